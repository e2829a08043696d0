"""5.4 Debugging: the gradient norm of every parameter after one backward pass, and clipping all the
gradients together by their total norm, against torch.nn.utils.clip_grad_norm_."""
from __future__ import annotations

import copy

import torch
from torch import nn

from core.exercises.base import Case, Check, Mistake, exercise
from core.exercises.checks import randint, randn

SECTION = "54_debugging"

_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}


def _mlp(gen: torch.Generator, sizes: tuple[int, ...], activation: str = "tanh", dtype=torch.float32,
         weight_scale: float = 1.0) -> nn.Sequential:
    """Linear → activation → … → Linear, with weights drawn from `gen`."""
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(_ACTIVATIONS[activation]())
    model = nn.Sequential(*layers).to(dtype)
    with torch.no_grad():
        for module in model:
            if isinstance(module, nn.Linear):
                module.weight.copy_(randn(gen, *module.weight.shape, dtype=dtype,
                                          scale=weight_scale * module.in_features**-0.5))
                module.bias.copy_(randn(gen, *module.bias.shape, dtype=dtype, scale=0.3))
    return model


def _shown(sizes: tuple[int, ...], activation: str) -> str:
    act = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid"}[activation]
    return f" → {act} → ".join(f"Linear({a}, {b})" for a, b in zip(sizes, sizes[1:]))


def _stale(gen: torch.Generator, model: nn.Module) -> nn.Module:
    """Gradients an earlier backward pass left in .grad."""
    for p in model.parameters():
        if p.requires_grad:
            p.grad = randn(gen, *p.shape, dtype=p.dtype)
    return model


def _copy(model: nn.Module, keep_grads: bool = False) -> nn.Module:
    new = copy.deepcopy(model)  # deepcopy drops .grad; a mistake that keeps old gradients needs them back
    if keep_grads:
        for old, p in zip(model.parameters(), new.parameters()):
            if old.grad is not None:
                p.grad = old.grad.detach().clone()
    return new


def _data(gen: torch.Generator, n: int, f: int, out: int, task: str, dtype, target_scale: float = 1.0):
    X = randn(gen, n, f, dtype=dtype)
    if task == "regression":
        return X, randn(gen, n, out, dtype=dtype, scale=target_scale), nn.MSELoss(), "nn.MSELoss()"
    return X, torch.randint(0, out, (n,), generator=gen), nn.CrossEntropyLoss(), "nn.CrossEntropyLoss()"


# ---- 5.4-grad-norms ---------------------------------------------------------------------------

def gradient_norms(model, loss_fn, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The L2 norm of every parameter's gradient after one backward pass, in model.parameters() order."""
    model.zero_grad()  # the model may still hold an earlier step's gradients; backward() would add to them
    loss_fn(model(X), y).backward()
    norms = []
    for p in model.parameters():
        if p.grad is None:  # a frozen parameter (requires_grad=False) gets no gradient
            norms.append(torch.zeros((), dtype=p.dtype))
        else:
            norms.append(torch.sqrt((p.grad ** 2).sum()))
    return torch.stack(norms)  # (number of parameter tensors,)


def _norms_library(model, loss_fn, X, y):
    model = _copy(model)
    params = list(model.parameters())
    trainable = [p for p in params if p.requires_grad]
    grads = dict(zip(map(id, trainable), torch.autograd.grad(loss_fn(model(X), y), trainable)))
    return torch.stack([torch.linalg.vector_norm(grads[id(p)]) if id(p) in grads else torch.zeros((), dtype=p.dtype)
                        for p in params])


def _norms_case(gen: torch.Generator, name: str, sizes: tuple[int, ...], n: int, activation: str = "tanh",
                task: str = "classes", dtype=torch.float32, stale: bool = True, frozen: bool = False) -> Case:
    model = _mlp(gen, sizes, activation, dtype)
    if frozen:
        model[0].requires_grad_(False)  # the first layer is frozen, as when fine-tuning
    if stale:
        _stale(gen, model)
    X, y, loss_fn, loss_shown = _data(gen, n, sizes[0], sizes[-1], task, dtype)
    model_shown = _shown(sizes, activation) + (", Linear 0 frozen" if frozen else "")
    return Case(name, (model, loss_fn, X, y), {"model": model_shown, "loss_fn": loss_shown})


def _norms_cases(gen: torch.Generator) -> list[Case]:
    f, h, k, n = randint(gen, 3, 7), randint(gen, 5, 10), randint(gen, 2, 5), randint(gen, 6, 16)
    return [
        _norms_case(gen, "stale_grads", (f, h, k), n),
        _norms_case(gen, "mlp_regression", (f, h, 1), n, "relu", task="regression", stale=False),
        _norms_case(gen, "frozen_layer", (f, h, h, k), n, "relu", frozen=True),
        _norms_case(gen, "deep_sigmoid", (f, h, h, h, h, h, k), n, "sigmoid"),
        _norms_case(gen, "one_sample", (f, h, k), 1),
        _norms_case(gen, "float64", (f, h, k), n, dtype=torch.float64),
    ]


def _norms_variant(norm: str = "l2", zero_grad: bool = True, frozen: str = "zero", weights_only: bool = False,
                   total: bool = False):
    measure = {"l2": lambda g: torch.sqrt((g ** 2).sum()), "squared": lambda g: (g ** 2).sum(),
               "l1": lambda g: g.abs().sum(), "max": lambda g: g.abs().max()}[norm]

    def norms(model, loss_fn, X, y):
        model = _copy(model, keep_grads=not zero_grad)
        if zero_grad:
            model.zero_grad()
        loss_fn(model(X), y).backward()
        values = []
        for p in model.parameters():
            if weights_only and p.dim() < 2:
                continue
            if p.grad is None:
                if frozen == "zero":
                    values.append(torch.zeros((), dtype=p.dtype))
                continue
            values.append(measure(p.grad))
        out = torch.stack(values)
        return torch.sqrt((out ** 2).sum()) if total else out
    return norms


GRAD_NORMS = exercise("5.4-grad-norms", SECTION, gradient_norms, Check(
    cases=_norms_cases, library=_norms_library, library_name="torch.autograd.grad + torch.linalg.vector_norm",
    mistakes=(
        Mistake("stale_grad", _norms_variant(zero_grad=False)),
        Mistake("squared", _norms_variant(norm="squared")),
        Mistake("l1", _norms_variant(norm="l1")),
        Mistake("max_abs", _norms_variant(norm="max")),
        Mistake("frozen_skipped", _norms_variant(frozen="skip")),
        Mistake("weights_only", _norms_variant(weights_only=True)),
        Mistake("total_only", _norms_variant(total=True)),
    )))


# ---- 5.4-clip-grad-norm -----------------------------------------------------------------------

def clip_grad_norm(model, loss_fn, X: torch.Tensor, y: torch.Tensor, max_norm: float):
    """One backward pass, then clip all the gradients together to a total norm of at most max_norm.

    Returns (total norm before clipping, list of the clipped gradients in model.parameters() order)."""
    model.zero_grad()
    loss_fn(model(X), y).backward()
    grads = [p.grad for p in model.parameters()]
    total = torch.sqrt(sum((g ** 2).sum() for g in grads))  # the norm of all gradients as one long vector
    coef = max_norm / (total + 1e-6)  # as torch: + 1e-6, so that all-zero gradients do not divide by zero
    if coef < 1:  # only ever shrink: gradients already within the limit stay as they are
        grads = [g * coef for g in grads]  # one factor for all: the direction is kept, only the length changes
    return total, grads


def _clip_library(model, loss_fn, X, y, max_norm):
    model = _copy(model)
    loss_fn(model(X), y).backward()
    total = nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    return total, [p.grad for p in model.parameters()]


def _clip_case(gen: torch.Generator, name: str, sizes: tuple[int, ...], n: int, max_norm: float, activation="tanh",
               task: str = "regression", dtype=torch.float32, target_scale: float = 1.0, stale: bool = False,
               miss: float | None = None) -> Case:
    model = _mlp(gen, sizes, activation, dtype)
    X, y, loss_fn, loss_shown = _data(gen, n, sizes[0], sizes[-1], task, dtype, target_scale)
    if miss is not None:  # targets within `miss` of the predictions: gradients of about that size (0: all zero)
        with torch.no_grad():
            y = model(X) + randn(gen, *y.shape, dtype=dtype, scale=miss)
    if stale:
        _stale(gen, model)
    return Case(name, (model, loss_fn, X, y, max_norm), {"model": _shown(sizes, activation), "loss_fn": loss_shown})


def _clip_cases(gen: torch.Generator) -> list[Case]:
    f, h, n = randint(gen, 3, 7), randint(gen, 5, 10), randint(gen, 6, 16)
    return [
        _clip_case(gen, "large_gradients", (f, h, 2), n, 1.0, target_scale=20.0),
        _clip_case(gen, "within_limit", (f, h, 2), n, 1e3),
        _clip_case(gen, "mlp_classifier", (f, h, h, 3), n, 0.3, "relu", task="classes"),
        _clip_case(gen, "stale_grads", (f, h, 2), n, 0.5, target_scale=5.0, stale=True),
        _clip_case(gen, "zero_gradients", (f, h, 2), n, 1.0, miss=0.0),
        _clip_case(gen, "one_sample", (f, h, 1), 1, 0.2, target_scale=5.0),
        _clip_case(gen, "tiny_norm_float64", (f, h, 1), n, 1e-6, dtype=torch.float64, miss=3e-6),
        _clip_case(gen, "float64", (f, h, h, 3), n, 0.5, "relu", task="classes", dtype=torch.float64),
    ]


def _clip_variant(total_from: str = "l2", clamp: bool = True, eps: float = 1e-6, per_parameter: bool = False,
                  report: str = "before", zero_grad: bool = True):
    def clip(model, loss_fn, X, y, max_norm):
        model = _copy(model, keep_grads=not zero_grad)
        if zero_grad:
            model.zero_grad()
        loss_fn(model(X), y).backward()
        grads = [p.grad for p in model.parameters()]
        true_total = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))
        if per_parameter:
            grads = [g * (max_norm / (torch.linalg.vector_norm(g) + eps)).clamp(max=1.0) for g in grads]
            return true_total, grads
        total = sum(torch.linalg.vector_norm(g) for g in grads) if total_from == "sum" else true_total
        coef = max_norm / (total + eps)
        grads = [g * (coef.clamp(max=1.0) if clamp else coef) for g in grads]
        if report == "after":
            return torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads])), grads
        return total, grads
    return clip


CLIP = exercise("5.4-clip-grad-norm", SECTION, clip_grad_norm, Check(
    cases=_clip_cases, library=_clip_library, library_name="nn.utils.clip_grad_norm_",
    mistakes=(
        Mistake("per_parameter", _clip_variant(per_parameter=True)),
        Mistake("no_clamp", _clip_variant(clamp=False)),
        Mistake("sum_of_norms", _clip_variant(total_from="sum")),
        Mistake("norm_after", _clip_variant(report="after")),
        Mistake("no_eps", _clip_variant(eps=0.0)),
        Mistake("stale_grad", _clip_variant(zero_grad=False)),
    )))

EXERCISES = (GRAD_NORMS, CLIP)
