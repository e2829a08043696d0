"""3.1 MLP: the forward pass of an MLP from its weights, and the guide's DeepMLP (with BatchNorm and Dropout) in eval mode."""
from __future__ import annotations

import torch
from torch import nn

from core.exercises.base import Case, Check, Mistake, exercise
from core.exercises.checks import randint, randn

SECTION = "31_mlp"


def _layers(gen: torch.Generator, widths: list[int], dtype) -> tuple[list, list]:
    """Weights (out, in) and biases (out,) of Linear layers widths[0] → widths[1] → …, at nn.Linear's scale."""
    weights = [randn(gen, o, i, dtype=dtype, scale=i**-0.5 * 1.5) for i, o in zip(widths, widths[1:])]
    biases = [randn(gen, o, dtype=dtype, scale=0.5) for o in widths[1:]]
    return weights, biases


def _shapes(tensors) -> str:
    return "[" + ", ".join("×".join(str(s) for s in t.shape) for t in tensors) + "]"


# ---- 3.1-mlp-forward --------------------------------------------------------------------------

def mlp_forward(x: torch.Tensor, weights: list, biases: list) -> torch.Tensor:
    """Logits of an MLP: Linear layers (weights[i] of shape (out, in), biases[i] of shape (out,)), ReLU between them."""
    h = x
    for i, (W, b) in enumerate(zip(weights, biases)):
        h = h @ W.T + b
        if i < len(weights) - 1:  # no activation after the last layer: the loss wants raw logits
            h = torch.relu(h)
    return h


@torch.no_grad()
def _mlp_library(x, weights, biases):
    layers: list[nn.Module] = []
    for W, b in zip(weights, biases):
        linear = nn.Linear(W.shape[1], W.shape[0], dtype=W.dtype)
        linear.weight.copy_(W)
        linear.bias.copy_(b)
        layers += [linear, nn.ReLU()]
    return nn.Sequential(*layers[:-1])(x)  # no ReLU after the head


def _mlp_case(gen: torch.Generator, name: str, widths: list[int], batch: tuple, dtype=torch.float32) -> Case:
    weights, biases = _layers(gen, widths, dtype)
    return Case(name, (randn(gen, *batch, widths[0], dtype=dtype), weights, biases),
                {"weights": _shapes(weights), "biases": _shapes(biases)})


def _mlp_cases(gen: torch.Generator) -> list[Case]:
    d, n, out = randint(gen, 3, 7), randint(gen, 4, 9), randint(gen, 2, 5)

    def hidden(k):
        return [randint(gen, 5, 12) for _ in range(k)]

    return [
        _mlp_case(gen, "no_hidden_layer", [d, out], (n,)),
        _mlp_case(gen, "one_hidden_layer", [d, *hidden(1), out], (n,)),
        _mlp_case(gen, "deep", [d, *hidden(3), out], (n,)),
        _mlp_case(gen, "single_vector", [d, *hidden(2), out], ()),
        _mlp_case(gen, "one_sample", [d, *hidden(2), 1], (1,)),
        _mlp_case(gen, "float64", [d, *hidden(2), out], (n,), torch.float64),
    ]


def _mlp_variant(act=torch.relu, last=None):
    def forward(x, weights, biases):
        h = x
        for i, (W, b) in enumerate(zip(weights, biases)):
            h = h @ W.T + b
            if i < len(weights) - 1:
                h = act(h)
        return last(h) if last else h
    return forward


MLP_FORWARD = exercise("3.1-mlp-forward", SECTION, mlp_forward, Check(
    cases=_mlp_cases, library=_mlp_library, library_name="nn.Sequential(nn.Linear, nn.ReLU, …)",
    mistakes=(
        Mistake("relu_on_output", _mlp_variant(last=torch.relu)),
        Mistake("no_activation", _mlp_variant(act=lambda h: h)),
        Mistake("softmax_output", _mlp_variant(last=lambda h: torch.softmax(h, dim=-1))),
        Mistake("softmax_output", _mlp_variant(last=torch.sigmoid)),
        Mistake("wrong_activation", _mlp_variant(act=torch.sigmoid)),
        Mistake("wrong_activation", _mlp_variant(act=torch.tanh)),
    )))


# ---- 3.1-deep-mlp-eval ------------------------------------------------------------------------

def deep_mlp_eval(x: torch.Tensor, hidden: list, head: tuple, p: float) -> torch.Tensor:
    """The guide's DeepMLP in eval mode: per hidden layer Linear → BatchNorm1d → ReLU → Dropout(p), then the head.

    hidden[i] = (W, b, gamma, beta, running_mean, running_var); head = (W, b)."""
    eps = 1e-5  # nn.BatchNorm1d's default
    h = x
    for W, b, gamma, beta, mean, var in hidden:
        z = h @ W.T + b
        z = (z - mean) / torch.sqrt(var + eps) * gamma + beta  # eval mode: the running statistics, not the batch's
        h = torch.relu(z)  # Dropout is the identity in eval mode: nothing to drop, nothing to rescale
    W, b = head
    return h @ W.T + b


@torch.no_grad()
def _deep_library(x, hidden, head, p):
    layers: list[nn.Module] = []
    for W, b, gamma, beta, mean, var in hidden:
        linear, bn = nn.Linear(W.shape[1], W.shape[0], dtype=W.dtype), nn.BatchNorm1d(W.shape[0], dtype=W.dtype)
        linear.weight.copy_(W)
        linear.bias.copy_(b)
        bn.weight.copy_(gamma)
        bn.bias.copy_(beta)
        bn.running_mean.copy_(mean)
        bn.running_var.copy_(var)
        layers += [linear, bn, nn.ReLU(), nn.Dropout(p)]
    W, b = head
    out = nn.Linear(W.shape[1], W.shape[0], dtype=W.dtype)
    out.weight.copy_(W)
    out.bias.copy_(b)
    return nn.Sequential(*layers, out).eval()(x)


def _deep_case(gen: torch.Generator, name: str, widths: list[int], n: int, dtype=torch.float32,
               var_scale: float = 1.0) -> Case:
    weights, biases = _layers(gen, widths, dtype)
    hidden = []
    for W, b in zip(weights[:-1], biases[:-1]):
        h = W.shape[0]
        gamma = 1.0 + randn(gen, h, dtype=dtype, scale=0.3)
        beta = randn(gen, h, dtype=dtype, scale=0.3)
        mean = randn(gen, h, dtype=dtype, scale=0.5)  # what training left in the running averages
        var = (0.3 + torch.rand(h, generator=gen, dtype=torch.float64) * 2).to(dtype) * var_scale
        hidden.append((W, b, gamma, beta, mean, var))
    p = (0.2, 0.3, 0.5)[randint(gen, 0, 3)]
    show = {"hidden": f"{len(hidden)} × (W, b, γ, β, running_mean, running_var), W: {_shapes(weights[:-1])}",
            "head": f"(W {_shapes(weights[-1:])}, b)"}
    return Case(name, (randn(gen, n, widths[0], dtype=dtype), hidden, (weights[-1], biases[-1]), p), show)


def _deep_cases(gen: torch.Generator) -> list[Case]:
    d, n, out = randint(gen, 3, 7), randint(gen, 4, 9), randint(gen, 2, 5)

    def hidden(k):
        return [randint(gen, 5, 12) for _ in range(k)]

    return [
        _deep_case(gen, "one_hidden_layer", [d, *hidden(1), out], n),
        _deep_case(gen, "deep", [d, *hidden(3), out], n),
        _deep_case(gen, "one_sample", [d, *hidden(2), out], 1),
        _deep_case(gen, "small_variance", [d, *hidden(2), out], n, torch.float64, var_scale=1e-4),
        _deep_case(gen, "float64", [d, *hidden(2), out], n, torch.float64),
    ]


def _deep_variant(batch_stats=False, eps=1e-5, sqrt=True, relu_first=False, dropout=None):
    def forward(x, hidden, head, p):
        h = x
        for W, b, gamma, beta, mean, var in hidden:
            z = h @ W.T + b
            if relu_first:
                z = torch.relu(z)
            if batch_stats:
                mean, var = z.mean(dim=0), z.var(dim=0, correction=0)
            z = (z - mean) / (torch.sqrt(var + eps) if sqrt else var + eps) * gamma + beta
            h = z if relu_first else torch.relu(z)
            if dropout:
                h = dropout(h, p)
        W, b = head
        return h @ W.T + b
    return forward


DEEP_MLP = exercise("3.1-deep-mlp-eval", SECTION, deep_mlp_eval, Check(
    cases=_deep_cases, library=_deep_library, library_name="DeepMLP (nn.Sequential) in .eval()",
    mistakes=(
        Mistake("batch_stats", _deep_variant(batch_stats=True)),
        Mistake("dropout_in_eval", _deep_variant(dropout=lambda h, p: h * (1 - p))),
        Mistake("dropout_in_eval", _deep_variant(dropout=lambda h, p: h / (1 - p))),
        Mistake("no_eps", _deep_variant(eps=0.0)),
        Mistake("var_not_std", _deep_variant(sqrt=False)),
        Mistake("relu_before_bn", _deep_variant(relu_first=True)),
    )))

EXERCISES = (MLP_FORWARD, DEEP_MLP)
