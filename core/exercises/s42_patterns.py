"""4.2 Patterns: a residual block with its shortcut, and a Squeeze-and-Excitation block."""
from __future__ import annotations

import torch
from torch import nn

from core.exercises.base import Case, Check, Mistake, exercise
from core.exercises.checks import randint, randn

SECTION = "42_patterns"


def _layer(gen: torch.Generator, n_in: int, n_out: int, dtype=torch.float32):
    """Weights (out, in) and bias (out,), scaled like nn.Linear's initialisation."""
    return randn(gen, n_out, n_in, dtype=dtype, scale=n_in**-0.5), randn(gen, n_out, dtype=dtype, scale=0.3)


def _load(module: nn.Module, **tensors) -> nn.Module:
    """`module` with its parameters replaced by the given tensors (same dtype)."""
    first = next(iter(tensors.values()))
    module = module.to(first.dtype)
    with torch.no_grad():
        for name, value in tensors.items():
            getattr(module, name).copy_(value.reshape(getattr(module, name).shape))
    return module


# ---- 4.2-residual -----------------------------------------------------------------------------

def residual_block(x: torch.Tensor, W1: torch.Tensor, b1: torch.Tensor, W2: torch.Tensor, b2: torch.Tensor,
                   W_skip: torch.Tensor | None) -> torch.Tensor:
    """ResNet's basic block for vectors: relu(F(x) + shortcut(x)), with F(x) = W2·relu(W1·x + b1) + b2."""
    h = torch.relu(x @ W1.T + b1)  # (..., hidden)
    f = h @ W2.T + b2  # (..., out): the residual branch
    shortcut = x if W_skip is None else x @ W_skip.T  # a projection only when in ≠ out
    return torch.relu(f + shortcut)  # add first, then the ReLU


def _res_library(x, W1, b1, W2, b2, W_skip):
    n_in, hidden, n_out = W1.shape[1], W1.shape[0], W2.shape[0]
    branch = nn.Sequential(_load(nn.Linear(n_in, hidden), weight=W1, bias=b1), nn.ReLU(),
                           _load(nn.Linear(hidden, n_out), weight=W2, bias=b2))
    shortcut = nn.Identity() if W_skip is None else _load(nn.Linear(n_in, n_out, bias=False), weight=W_skip)
    with torch.no_grad():
        return nn.ReLU()(branch(x) + shortcut(x))


def _res_case(gen: torch.Generator, name: str, lead: tuple, n_in: int, hidden: int, n_out: int,
              dtype=torch.float32, zero_branch: bool = False) -> Case:
    W1, b1 = _layer(gen, n_in, hidden, dtype)
    W2, b2 = _layer(gen, hidden, n_out, dtype)
    if zero_branch:
        W2, b2 = torch.zeros_like(W2), torch.zeros_like(b2)
    W_skip = None if n_in == n_out else _layer(gen, n_in, n_out, dtype)[0]
    return Case(name, (randn(gen, *lead, n_in, dtype=dtype), W1, b1, W2, b2, W_skip))


def _res_cases(gen: torch.Generator) -> list[Case]:
    d, hidden, n = randint(gen, 3, 7), randint(gen, 7, 12), randint(gen, 2, 6)
    d_out = d + randint(gen, 1, 4)
    return [
        _res_case(gen, "identity_shortcut", (n,), d, hidden, d),
        _res_case(gen, "projection_shortcut", (n,), d, hidden, d_out),
        _res_case(gen, "single_vector", (), d, hidden, d),
        _res_case(gen, "batch_3d", (2, n), d, hidden, d_out),
        _res_case(gen, "zero_branch", (n,), d, hidden, d, zero_branch=True),
        _res_case(gen, "float64", (n,), d, hidden, d_out, torch.float64),
    ]


def _res_variant(skip: bool = True, relu_where: str = "after", inner_relu: bool = True):
    def block(x, W1, b1, W2, b2, W_skip):
        h = x @ W1.T + b1
        h = torch.relu(h) if inner_relu else h
        f = h @ W2.T + b2
        shortcut = x if W_skip is None else x @ W_skip.T
        if not skip:
            return torch.relu(f)
        if relu_where == "branch":
            return torch.relu(f) + shortcut
        if relu_where == "none":
            return f + shortcut
        return torch.relu(f + shortcut)
    return block


RESIDUAL = exercise("4.2-residual", SECTION, residual_block, Check(
    cases=_res_cases, library=_res_library, library_name="nn.Linear + nn.ReLU",
    mistakes=(
        Mistake("no_skip", _res_variant(skip=False)),
        Mistake("relu_before_add", _res_variant(relu_where="branch")),
        Mistake("no_final_relu", _res_variant(relu_where="none")),
        Mistake("no_inner_relu", _res_variant(inner_relu=False)),
    )))


# ---- 4.2-squeeze-excite -----------------------------------------------------------------------

def squeeze_excite(x: torch.Tensor, W1: torch.Tensor, b1: torch.Tensor, W2: torch.Tensor,
                   b2: torch.Tensor) -> torch.Tensor:
    """Squeeze-and-Excitation: rescale each channel of x (B, C, H, W) by a learned weight in (0, 1)."""
    s = x.mean(dim=(2, 3))  # squeeze: (B, C), one number per channel
    z = torch.relu(s @ W1.T + b1)  # (B, C/r)
    w = torch.sigmoid(z @ W2.T + b2)  # excite: (B, C), each weight in (0, 1)
    return x * w[:, :, None, None]  # broadcast over H and W


def _se_library(x, W1, b1, W2, b2):
    c, hidden = W1.shape[1], W1.shape[0]
    se = nn.Sequential(  # how torchvision.ops.SqueezeExcitation builds it: 1×1 convolutions on the pooled map
        nn.AdaptiveAvgPool2d(1),
        _load(nn.Conv2d(c, hidden, 1), weight=W1, bias=b1), nn.ReLU(),
        _load(nn.Conv2d(hidden, c, 1), weight=W2, bias=b2), nn.Sigmoid())
    with torch.no_grad():
        return x * se(x)


def _se_case(gen: torch.Generator, name: str, b: int, c: int, h: int, w: int, reduction: int = 2,
             dtype=torch.float32) -> Case:
    hidden = max(1, c // reduction)
    W1, b1 = _layer(gen, c, hidden, dtype)
    W2, b2 = _layer(gen, hidden, c, dtype)
    x = randn(gen, b, c, h, w, dtype=dtype) + randn(gen, 1, c, 1, 1, dtype=dtype)  # channels with different means
    return Case(name, (x, W1, b1, W2 * 3.0, b2))


def _se_cases(gen: torch.Generator) -> list[Case]:
    b, c, s = randint(gen, 2, 5), randint(gen, 4, 9), randint(gen, 3, 7)
    return [
        _se_case(gen, "feature_maps", b, c, s, s),
        _se_case(gen, "single_image", 1, c, s, s),
        _se_case(gen, "non_square_maps", b, c, s, s + randint(gen, 1, 4)),
        _se_case(gen, "one_pixel", b, c, 1, 1),
        _se_case(gen, "one_hidden_unit", b, c, s, s, reduction=c),
        _se_case(gen, "float64", b, c, s, s, dtype=torch.float64),
    ]


def _se_timing(gen: torch.Generator) -> Case:
    return _se_case(gen, "timing", 64, 64, 16, 16, reduction=4)


def _se_variant(pool: str = "mean", gate: str = "sigmoid", inner_relu: bool = True, apply: bool = True):
    def se(x, W1, b1, W2, b2):
        s = x.mean(dim=(2, 3)) if pool == "mean" else x.amax(dim=(2, 3))
        z = s @ W1.T + b1
        z = torch.relu(z) if inner_relu else z
        logits = z @ W2.T + b2
        w = {"sigmoid": torch.sigmoid, "softmax": lambda t: torch.softmax(t, dim=1), "none": lambda t: t}[gate](logits)
        return x * w[:, :, None, None] if apply else w
    return se


SQUEEZE_EXCITE = exercise("4.2-squeeze-excite", SECTION, squeeze_excite, Check(
    cases=_se_cases, library=_se_library, library_name="nn.AdaptiveAvgPool2d + nn.Conv2d", timing=_se_timing,
    mistakes=(
        Mistake("max_pool", _se_variant(pool="max")),
        Mistake("softmax_gate", _se_variant(gate="softmax")),
        Mistake("no_sigmoid", _se_variant(gate="none")),
        Mistake("no_inner_relu", _se_variant(inner_relu=False)),
        Mistake("returned_weights", _se_variant(apply=False)),
    )))

EXERCISES = (RESIDUAL, SQUEEZE_EXCITE)
