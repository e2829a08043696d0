"""1.1 Linear algebra: cosine similarity, and the linear layer y = x Wᵀ + b, from plain tensor ops."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from core.exercises.base import Case, Check, Mistake, exercise
from core.exercises.checks import randint, randn

SECTION = "11_linear_algebra"


# ---- 1.1-cosine -------------------------------------------------------------------------------

def cosine_similarity(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Cosine of the angle between a and b along the last dimension."""
    eps = 1e-8  # as torch: a norm below eps counts as eps, so a zero vector gives 0, not 0/0
    dot = (a * b).sum(dim=-1)
    return dot / (a.norm(dim=-1).clamp_min(eps) * b.norm(dim=-1).clamp_min(eps))


def _cosine_library(a, b):
    return F.cosine_similarity(a, b, dim=-1)


def _cosine_cases(gen: torch.Generator) -> list[Case]:
    d = randint(gen, 3, 9)
    n = randint(gen, 2, 6)
    a = randn(gen, n, d)
    k = torch.tensor([2.0, -0.5, 3.0]).unsqueeze(1)           # (3, 1): same, opposite, same direction
    parallel = randn(gen, 3, d)
    zero = randn(gen, 2, d)
    zero[0] = 0.0
    return [
        Case("random_vectors", (randn(gen, d), randn(gen, d))),
        Case("batch", (a, randn(gen, n, d))),
        Case("parallel", (parallel, parallel * k)),
        Case("zero_vector", (zero, randn(gen, 2, d))),
        Case("float64", (randn(gen, n, d, dtype=torch.float64), randn(gen, n, d, dtype=torch.float64))),
        Case("batch_3d", (randn(gen, 2, 3, d), randn(gen, 2, 3, d))),
    ]


def _cosine_timing(gen: torch.Generator) -> Case:
    return Case("timing", (randn(gen, 4096, 256), randn(gen, 4096, 256)))


COSINE = exercise("1.1-cosine", SECTION, cosine_similarity, Check(
    cases=_cosine_cases, library=_cosine_library, library_name="F.cosine_similarity", timing=_cosine_timing,
    mistakes=(
        Mistake("dot_only", lambda a, b: (a * b).sum(dim=-1)),
        Mistake("squared_norms", lambda a, b: (a * b).sum(dim=-1) / ((a * a).sum(dim=-1) * (b * b).sum(dim=-1))),
        Mistake("no_eps", lambda a, b: (a * b).sum(dim=-1) / (a.norm(dim=-1) * b.norm(dim=-1))),
        Mistake("whole_batch", lambda a, b: (a * b).sum() / (a.norm() * b.norm())),
        Mistake("first_dim", lambda a, b: F.cosine_similarity(a, b, dim=0)),
    )))


# ---- 1.1-linear -------------------------------------------------------------------------------

def linear(x: torch.Tensor, W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """y = x Wᵀ + b for x of shape (..., in), W of shape (out, in), b of shape (out,)."""
    return x @ W.T + b  # (..., in) @ (in, out) → (..., out); b broadcasts over the leading dims


def _linear_library(x, W, b):
    return F.linear(x, W, b)


def _linear_cases(gen: torch.Generator) -> list[Case]:
    n_in, n_out = randint(gen, 3, 7), randint(gen, 7, 10)  # never square, except in "square"
    n, sq = randint(gen, 2, 6), randint(gen, 2, 6)

    def layer(i, o, dtype=torch.float32):
        return randn(gen, o, i, dtype=dtype), randn(gen, o, dtype=dtype)

    return [
        Case("single_vector", (randn(gen, n_in), *layer(n_in, n_out))),
        Case("batch", (randn(gen, n, n_in), *layer(n_in, n_out))),
        Case("square", (randn(gen, n, sq), *layer(sq, sq))),
        Case("one_output", (randn(gen, n, n_in), *layer(n_in, 1))),
        Case("float64", (randn(gen, n, n_in, dtype=torch.float64), *layer(n_in, n_out, torch.float64))),
        Case("batch_3d", (randn(gen, 2, n, n_in), *layer(n_in, n_out))),
    ]


def _linear_timing(gen: torch.Generator) -> Case:
    return Case("timing", (randn(gen, 2048, 256), randn(gen, 128, 256), randn(gen, 128)))


LINEAR = exercise("1.1-linear", SECTION, linear, Check(
    cases=_linear_cases, library=_linear_library, library_name="F.linear", timing=_linear_timing,
    mistakes=(
        Mistake("no_transpose", lambda x, W, b: x @ W + b),
        Mistake("no_bias", lambda x, W, b: x @ W.T),
        Mistake("transposed_result", lambda x, W, b: W @ x.mT + b.unsqueeze(-1)),  # (out, batch)
    )))

EXERCISES = (COSINE, LINEAR)
