"""4.1 Layers: LayerNorm by hand, and BatchNorm's train-mode forward with its running statistics."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from core.exercises.base import Case, Check, Mistake, exercise
from core.exercises.checks import randint, randn

SECTION = "41_layers"


def _choice(gen: torch.Generator, options):
    return options[randint(gen, 0, len(options))]


# ---- 4.1-layer-norm ---------------------------------------------------------------------------

def layer_norm(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float) -> torch.Tensor:
    """LayerNorm over the last dimension of x, then the learned scale and shift: γ·x̂ + β."""
    mean = x.mean(dim=-1, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=-1, keepdim=True)  # the population variance: divide by D, not D − 1
    x_hat = (x - mean) / torch.sqrt(var + eps)  # eps inside the root, as torch
    return x_hat * weight + bias  # weight and bias (D,) broadcast over the leading dims


def _ln_library(x, weight, bias, eps):
    return F.layer_norm(x, (x.shape[-1],), weight, bias, eps)


def _affine(gen: torch.Generator, d: int, dtype=torch.float32):
    return 1.0 + randn(gen, d, dtype=dtype, scale=0.3), randn(gen, d, dtype=dtype, scale=0.5)


def _ln_cases(gen: torch.Generator) -> list[Case]:
    d, n = randint(gen, 3, 9), randint(gen, 2, 6)
    eps = _choice(gen, (1e-5, 1e-3))
    constant = randn(gen, n, d, scale=2.0)
    constant[0] = 0.5  # one row with no spread: only eps keeps 0/0 away
    return [
        Case("single_vector", (randn(gen, d, scale=2.0) + 1.0, *_affine(gen, d), eps)),
        Case("batch", (randn(gen, n, d, scale=3.0), *_affine(gen, d), eps)),
        Case("token_batch", (randn(gen, 2, n, d), *_affine(gen, d), eps)),
        Case("one_sample", (randn(gen, 1, d), *_affine(gen, d), eps)),
        Case("constant_row", (constant, *_affine(gen, d), 1e-5)),
        Case("large_eps", (randn(gen, n, d, scale=0.3), *_affine(gen, d), 0.5)),
        Case("float64", (randn(gen, n, d, dtype=torch.float64), *_affine(gen, d, torch.float64), eps)),
    ]


def _ln_timing(gen: torch.Generator) -> Case:
    return Case("timing", (randn(gen, 4096, 512), *_affine(gen, 512), 1e-5))


def _ln_variant(correction: int = 0, eps_outside: bool = False, dim: int = -1, affine: bool = True,
                shift_first: bool = False, no_eps: bool = False):
    def norm(x, weight, bias, eps):
        mean = x.mean(dim=dim, keepdim=True)
        var = x.var(dim=dim, keepdim=True, correction=correction)
        if no_eps:
            x_hat = (x - mean) / var.sqrt()
        elif eps_outside:
            x_hat = (x - mean) / (var.sqrt() + eps)
        else:
            x_hat = (x - mean) / torch.sqrt(var + eps)
        if not affine:
            return x_hat
        return (x_hat + bias) * weight if shift_first else x_hat * weight + bias
    return norm


LAYER_NORM = exercise("4.1-layer-norm", SECTION, layer_norm, Check(
    cases=_ln_cases, library=_ln_library, library_name="F.layer_norm", timing=_ln_timing,
    mistakes=(
        Mistake("sample_variance", _ln_variant(correction=1)),
        Mistake("eps_outside_sqrt", _ln_variant(eps_outside=True)),
        Mistake("no_eps", _ln_variant(no_eps=True)),
        Mistake("batch_axis", _ln_variant(dim=0)),
        Mistake("no_affine", _ln_variant(affine=False)),
        Mistake("shift_before_scale", _ln_variant(shift_first=True)),
    )))


# ---- 4.1-batch-norm ---------------------------------------------------------------------------

def batch_norm_train(x: torch.Tensor, running_mean: torch.Tensor, running_var: torch.Tensor, weight: torch.Tensor,
                     bias: torch.Tensor, momentum: float, eps: float):
    """BatchNorm in train mode on x (N, C, ...); returns (y, new_running_mean, new_running_var)."""
    dims = [0, *range(2, x.dim())]  # every axis but the channels (dim 1)
    shape = [1, -1] + [1] * (x.dim() - 2)  # (1, C, 1, …): per-channel values broadcast over the rest
    n = x.numel() // x.shape[1]  # values per channel
    mean = x.mean(dim=dims)
    var = ((x - mean.view(shape)) ** 2).mean(dim=dims)  # biased: this is what normalizes the batch
    y = (x - mean.view(shape)) / torch.sqrt(var.view(shape) + eps) * weight.view(shape) + bias.view(shape)
    new_mean = (1 - momentum) * running_mean + momentum * mean
    new_var = (1 - momentum) * running_var + momentum * var * n / (n - 1)  # the running average keeps the unbiased one
    return y, new_mean, new_var


def _bn_library(x, running_mean, running_var, weight, bias, momentum, eps):
    rm, rv = running_mean.clone(), running_var.clone()
    y = F.batch_norm(x, rm, rv, weight, bias, training=True, momentum=momentum, eps=eps)  # updates rm, rv in place
    return y, rm, rv


def _bn_case(gen: torch.Generator, name: str, shape: tuple, dtype=torch.float32, constant: bool = False) -> Case:
    c = shape[1]
    x = randn(gen, *shape, dtype=dtype, scale=2.0) + randn(gen, c, dtype=dtype).view(1, c, *[1] * (len(shape) - 2))
    if constant:
        x[:, 0] = 0.0  # a channel with no spread in this batch (0 is exact however the mean is summed)
    running_mean = randn(gen, c, dtype=dtype)
    running_var = 0.5 + randn(gen, c, dtype=dtype) ** 2
    weight, bias = _affine(gen, c, dtype)
    return Case(name, (x, running_mean, running_var, weight, bias, _choice(gen, (0.1, 0.01, 0.3)), 1e-5))


def _bn_cases(gen: torch.Generator) -> list[Case]:
    n, c = randint(gen, 4, 9), randint(gen, 2, 5)
    h, w = randint(gen, 2, 5), randint(gen, 2, 5)
    return [
        _bn_case(gen, "feature_vectors", (n, c)),
        _bn_case(gen, "feature_maps", (n, c, h, w)),
        _bn_case(gen, "sequence_batch", (n, c, randint(gen, 3, 7))),
        _bn_case(gen, "two_samples", (2, c)),
        _bn_case(gen, "constant_channel", (n, c, h, w), constant=True),
        _bn_case(gen, "float64", (n, c, h, w), torch.float64),
    ]


def _bn_timing(gen: torch.Generator) -> Case:
    return _bn_case(gen, "timing", (128, 64, 16, 16))


def _bn_variant(norm_correction: int = 0, running_correction: int = 1, swapped: bool = False, update: bool = True):
    def bn(x, running_mean, running_var, weight, bias, momentum, eps):
        dims = [0, *range(2, x.dim())]
        shape = [1, -1] + [1] * (x.dim() - 2)
        mean = x.mean(dim=dims)
        var = x.var(dim=dims, correction=norm_correction)
        y = (x - mean.view(shape)) / torch.sqrt(var.view(shape) + eps) * weight.view(shape) + bias.view(shape)
        if not update:
            return y, running_mean.clone(), running_var.clone()
        keep, new = (momentum, 1 - momentum) if swapped else (1 - momentum, momentum)
        return (y, keep * running_mean + new * mean,
                keep * running_var + new * x.var(dim=dims, correction=running_correction))
    return bn


def _bn_eval_mode(x, running_mean, running_var, weight, bias, momentum, eps):
    y = F.batch_norm(x, running_mean, running_var, weight, bias, training=False, eps=eps)
    return y, running_mean.clone(), running_var.clone()


BATCH_NORM = exercise("4.1-batch-norm", SECTION, batch_norm_train, Check(
    cases=_bn_cases, library=_bn_library, library_name="F.batch_norm", timing=_bn_timing, pure=False,
    mistakes=(
        Mistake("unbiased_in_norm", _bn_variant(norm_correction=1)),
        Mistake("biased_running_var", _bn_variant(running_correction=0)),
        Mistake("momentum_swapped", _bn_variant(swapped=True)),
        Mistake("no_running_update", _bn_variant(update=False)),
        Mistake("running_stats_in_train", _bn_eval_mode),
    )))

EXERCISES = (LAYER_NORM, BATCH_NORM)
