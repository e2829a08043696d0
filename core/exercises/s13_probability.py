"""1.3 Probability: cross-entropy from logits that never overflows, and the unbiased sample variance."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from core.exercises.base import Case, Check, Mistake, exercise
from core.exercises.checks import randint, randn

SECTION = "13_probability"


# ---- 1.3-cross-entropy ------------------------------------------------------------------------

def cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of −log softmax(logits)[target]; logits (N, C), target (N,) class indices."""
    shifted = logits - logits.max(dim=1, keepdim=True).values  # the largest logit becomes 0: exp never overflows
    log_probs = shifted - shifted.exp().sum(dim=1, keepdim=True).log()  # (N, C) log-softmax
    return -log_probs.gather(1, target.unsqueeze(1)).mean()


def _ce_library(logits, target):
    return F.cross_entropy(logits, target)


def _targets(gen: torch.Generator, n: int, c: int) -> torch.Tensor:
    return torch.randint(0, c, (n,), generator=gen)


def _ce_cases(gen: torch.Generator) -> list[Case]:
    n, c = randint(gen, 3, 9), randint(gen, 3, 7)
    confident = randn(gen, n, c)
    sure = _targets(gen, n, c)
    confident[torch.arange(n), sure] += 40.0  # the right class far ahead: loss close to 0
    return [
        Case("random_logits", (randn(gen, n, c), _targets(gen, n, c))),
        Case("two_classes", (randn(gen, n, 2), _targets(gen, n, 2))),
        Case("one_sample", (randn(gen, 1, c), _targets(gen, 1, c))),
        Case("large_logits", (randn(gen, n, c, scale=1000.0), _targets(gen, n, c))),
        Case("confident", (confident, sure)),
        Case("float64", (randn(gen, n, c, dtype=torch.float64, scale=3.0), _targets(gen, n, c))),
    ]


def _ce_timing(gen: torch.Generator) -> Case:
    return Case("timing", (randn(gen, 4096, 100), _targets(gen, 4096, 100)))


def _pick(log_probs, target):
    return log_probs.gather(1, target.unsqueeze(1)).squeeze(1)


CROSS_ENTROPY = exercise("1.3-cross-entropy", SECTION, cross_entropy, Check(
    cases=_ce_cases, library=_ce_library, library_name="F.cross_entropy", timing=_ce_timing,
    mistakes=(
        Mistake("no_max_shift", lambda z, y: -_pick(torch.log(z.exp() / z.exp().sum(1, keepdim=True)), y).mean()),
        Mistake("no_max_shift", lambda z, y: -_pick(z - z.exp().sum(1, keepdim=True).log(), y).mean()),
        Mistake("sum_not_mean", lambda z, y: -_pick(F.log_softmax(z, dim=1), y).sum()),
        Mistake("wrong_sign", lambda z, y: _pick(F.log_softmax(z, dim=1), y).mean()),
        Mistake("softmax_dim0", lambda z, y: -_pick(F.log_softmax(z, dim=0), y).mean()),
        Mistake("no_log", lambda z, y: -_pick(F.softmax(z, dim=1), y).mean()),
    )))


# ---- 1.3-sample-variance ----------------------------------------------------------------------

def sample_variance(x: torch.Tensor) -> torch.Tensor:
    """Unbiased variance along dim 0 (samples in rows): Σ(xᵢ − x̄)² / (n − 1)."""
    mean = x.mean(dim=0)  # subtract the mean first: Σx² − n·x̄² cancels catastrophically
    return ((x - mean) ** 2).sum(dim=0) / (x.shape[0] - 1)


def _var_library(x):
    return torch.var(x, dim=0)


def _var_cases(gen: torch.Generator) -> list[Case]:
    n, d = randint(gen, 5, 20), randint(gen, 2, 6)
    constant = randn(gen, n, d)
    constant[:, 0] = 2.5
    return [
        Case("one_column", (randn(gen, n, scale=3.0) + 1.0,)),
        Case("columns", (randn(gen, n, d, scale=2.0),)),
        Case("two_samples", (randn(gen, 2, d),)),
        Case("constant_column", (constant,)),
        Case("float64", (randn(gen, n, d, dtype=torch.float64),)),
        Case("large_offset", (randn(gen, 200, d) + 1e4,)),
    ]


def _one_pass(x):
    n = x.shape[0]
    return ((x**2).sum(dim=0) - n * x.mean(dim=0) ** 2) / (n - 1)


VARIANCE = exercise("1.3-sample-variance", SECTION, sample_variance, Check(
    cases=_var_cases, library=_var_library, library_name="torch.var",
    mistakes=(
        Mistake("population", lambda x: torch.var(x, dim=0, correction=0)),
        Mistake("std_not_var", lambda x: torch.std(x, dim=0)),
        Mistake("no_centering", lambda x: (x**2).sum(dim=0) / (x.shape[0] - 1)),
        Mistake("wrong_dim", lambda x: torch.var(x, dim=-1)),
        Mistake("one_pass", _one_pass, loose=True),
    )))

EXERCISES = (CROSS_ENTROPY, VARIANCE)
