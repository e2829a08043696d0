"""2.2 Kinds of tasks: binary cross-entropy straight from logits, and the regression metrics MSE, MAE and R²."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from core.exercises.base import Case, Check, Mistake, exercise
from core.exercises.checks import randint, randn

SECTION = "22_tasks"


# ---- 2.2-bce-logits ---------------------------------------------------------------------------

def bce_with_logits(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean binary cross-entropy of sigmoid(logits) against target, computed from the logits without overflow."""
    # −[y log σ(z) + (1 − y) log(1 − σ(z))] = log(1 + e^z) − z·y, and log(1 + e^z) = max(z, 0) + log(1 + e^−|z|):
    # exp only ever sees −|z| ≤ 0, so it cannot overflow, and no log(0) appears
    loss = logits.clamp_min(0) - logits * target + torch.log1p(torch.exp(-logits.abs()))
    return loss.mean()


def _bce_library(logits, target):
    return F.binary_cross_entropy_with_logits(logits, target)


def _labels(gen: torch.Generator, *shape: int, dtype=torch.float32) -> torch.Tensor:
    return torch.randint(0, 2, shape, generator=gen).to(dtype)


def _bce_cases(gen: torch.Generator) -> list[Case]:
    n, labels = randint(gen, 4, 10), randint(gen, 2, 5)
    sure = _labels(gen, n)
    confident = (2 * sure - 1) * (30.0 + 10 * torch.rand(n, generator=gen))  # right side, |z| in 30…40
    wrong = -confident  # just as sure, and wrong: the loss is about |z|
    large = randn(gen, n, scale=1000.0)
    large[0] = large[0].abs() + 100.0  # at least one z > 88, where exp(z) overflows float32
    return [
        Case("random_logits", (randn(gen, n, scale=2.0), _labels(gen, n))),
        Case("multilabel", (randn(gen, n, labels, scale=2.0), _labels(gen, n, labels))),
        Case("soft_targets", (randn(gen, n, scale=2.0), torch.rand(n, generator=gen))),
        Case("one_sample", (randn(gen, 1, scale=2.0), _labels(gen, 1))),
        Case("confident", (confident, sure)),
        Case("confidently_wrong", (wrong, sure)),
        Case("large_logits", (large, _labels(gen, n))),
        Case("float64", (randn(gen, n, labels, dtype=torch.float64, scale=3.0), _labels(gen, n, labels, dtype=torch.float64))),
    ]


def _bce_timing(gen: torch.Generator) -> Case:
    return Case("timing", (randn(gen, 1 << 18, scale=3.0), _labels(gen, 1 << 18)))


def _sigmoid_then_log(z, y):
    p = torch.sigmoid(z)
    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()


BCE = exercise("2.2-bce-logits", SECTION, bce_with_logits, Check(
    cases=_bce_cases, library=_bce_library, library_name="F.binary_cross_entropy_with_logits", timing=_bce_timing,
    mistakes=(
        Mistake("sigmoid_then_log", _sigmoid_then_log),
        Mistake("sigmoid_then_bce", lambda z, y: F.binary_cross_entropy(torch.sigmoid(z), y)),
        Mistake("exp_overflow", lambda z, y: (torch.log(1 + torch.exp(z)) - z * y).mean()),
        Mistake("exp_overflow", lambda z, y: (torch.log1p(torch.exp(z)) - z * y).mean()),
        Mistake("sum_not_mean", lambda z, y: F.binary_cross_entropy_with_logits(z, y, reduction="sum")),
        Mistake("labels_flipped", lambda z, y: F.binary_cross_entropy_with_logits(z, 1 - y)),
    )))


# ---- 2.2-regression-metrics -------------------------------------------------------------------

def regression_metrics(y_true: torch.Tensor, y_pred: torch.Tensor):
    """(MSE, MAE, R²) of y_pred against y_true, each a 0-dim tensor; R² is averaged over output columns."""
    err = y_pred - y_true
    mse = (err**2).mean()
    mae = err.abs().mean()
    ss_res = (err**2).sum(dim=0)  # per output column: () for 1-D targets, (k,) for (n, k)
    ss_tot = ((y_true - y_true.mean(dim=0)) ** 2).sum(dim=0)  # the error of always predicting the mean
    r2 = (1 - ss_res / ss_tot).mean()
    return mse, mae, r2


def _metrics_library(y_true, y_pred):
    from sklearn.metrics import r2_score

    r2 = r2_score(y_true.numpy(), y_pred.numpy())  # multioutput="uniform_average": the mean over columns
    return F.mse_loss(y_pred, y_true), F.l1_loss(y_pred, y_true), torch.tensor(r2, dtype=y_true.dtype)


def _regression_cases(gen: torch.Generator) -> list[Case]:
    n, k = randint(gen, 8, 20), randint(gen, 2, 4)

    def truth(*shape, dtype=torch.float32):
        return randn(gen, *shape, dtype=dtype, scale=3.0) + 5.0

    y, y_bias, y_out, y_bad, y64 = truth(n), truth(n), truth(n), truth(n), truth(n, dtype=torch.float64)
    outliers = y_out + randn(gen, n, scale=0.3)
    outliers[:2] += 15.0  # two wild predictions: MSE grows far more than MAE
    scales = torch.tensor([1.0, 10.0, 0.1, 3.0][:k])
    y_multi = truth(n, k) * scales  # columns on very different scales
    y_two = truth(2)
    return [
        Case("close_fit", (y, y + randn(gen, n, scale=0.5))),
        Case("biased", (y_bias, y_bias + 2.0 + randn(gen, n, scale=0.3))),
        Case("outliers", (y_out, outliers)),
        Case("worse_than_mean", (y_bad, truth(n))),
        Case("multi_output", (y_multi, y_multi + randn(gen, n, k) * scales * 0.5)),
        Case("two_samples", (y_two, y_two + randn(gen, 2))),
        Case("float64", (y64, y64 + randn(gen, n, dtype=torch.float64))),
    ]


def _r2_variant(r2):
    def metrics(y_true, y_pred):
        err = y_pred - y_true
        return (err**2).mean(), err.abs().mean(), r2(y_true, y_pred)
    return metrics


def _r2(y_true, y_pred):
    return regression_metrics(y_true, y_pred)[2]


def _r2_pooled(y_true, y_pred):
    return 1 - ((y_pred - y_true) ** 2).sum() / ((y_true - y_true.mean()) ** 2).sum()


def _r2_squared_correlation(y_true, y_pred):
    t, p = y_true - y_true.mean(dim=0), y_pred - y_pred.mean(dim=0)
    return ((t * p).sum(dim=0) ** 2 / ((t**2).sum(dim=0) * (p**2).sum(dim=0))).mean()


METRICS = exercise("2.2-regression-metrics", SECTION, regression_metrics, Check(
    cases=_regression_cases, library=_metrics_library, library_name="F.mse_loss, F.l1_loss, sklearn r2_score",
    mistakes=(
        Mistake("rmse", lambda t, p: (((p - t) ** 2).mean().sqrt(), (p - t).abs().mean(), _r2(t, p))),
        Mistake("no_abs", lambda t, p: (((p - t) ** 2).mean(), (p - t).mean(), _r2(t, p))),
        Mistake("no_abs", lambda t, p: (((p - t) ** 2).mean(), (t - p).mean(), _r2(t, p))),
        Mistake("r2_swapped", _r2_variant(lambda t, p: _r2(p, t))),
        Mistake("r2_pooled", _r2_variant(_r2_pooled)),
        Mistake("r2_correlation", _r2_variant(_r2_squared_correlation)),
        Mistake("r2_no_one_minus", _r2_variant(lambda t, p: (((p - t) ** 2).sum(0) / ((t - t.mean(0)) ** 2).sum(0)).mean())),
    )))

EXERCISES = (BCE, METRICS)
