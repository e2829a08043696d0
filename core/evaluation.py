"""Predictions and metrics. Every number comes from sklearn so it matches the reference."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from sklearn import metrics as skm
from torch import nn

from core.errors import InputError
from core.preprocessing import is_constant_feature, widen


def binary_labels(logits: torch.Tensor) -> torch.Tensor:
    """Class 1 where the logit is positive, i.e. sigmoid(logit) > 1/2, decided on the logit itself:
    in float32, sigmoid rounds to exactly 0.5 for |logit| below ~3e-8. The one rule for `predict`
    and the training loop's accuracy."""
    return (logits > 0).long()


def r2_score_torch(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    """R² = 1 − SS_res / SS_tot in float64, as a 0-d tensor (no host sync).

    As sklearn's `r2_score`: NaN for fewer than two samples, and for a constant target 1.0 for a
    perfect prediction, else 0.0 (force_finite). "Constant" is sklearn's relative test for constant
    features, so a constant such as 0.1, whose float mean is an ulp off, counts too (there sklearn's
    exact test sees a SS_tot of ~1e-33 and gives an R² of ~-1e27)."""
    t, p = widen(y_true.reshape(-1)), widen(y_pred.reshape(-1))
    n = t.numel()
    mean = t.mean()
    ss_res, ss_tot = ((t - p) ** 2).sum(), ((t - mean) ** 2).sum()
    constant = is_constant_feature(ss_tot / max(n, 1), mean, n)
    r2 = torch.where(constant, (ss_res == 0).to(t.dtype), 1 - ss_res / torch.where(constant, 1.0, ss_tot))
    return r2 if n >= 2 else torch.full_like(r2, float("nan"))


@torch.no_grad()
def predict(model: nn.Module, X: torch.Tensor, task: str, batch_size: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    """(y_hat, scores): labels and class probabilities, or predictions twice for regression."""
    model.eval()
    device = next(model.parameters()).device
    outs = [model(X[i : i + batch_size].to(device)).float().cpu() for i in range(0, len(X), batch_size)]
    out = torch.cat(outs) if outs else torch.empty(0)
    if task == "multiclass":
        proba = out.softmax(dim=1)
        return proba.argmax(dim=1).numpy(), proba.numpy()
    if task == "binary":
        logits = out.reshape(-1)
        return binary_labels(logits).numpy(), logits.sigmoid().numpy()
    pred = out.reshape(-1).numpy()
    return pred, pred


@dataclass(frozen=True)
class ClassificationReport:
    accuracy: float
    precision_macro: float
    recall_macro: float
    f1_macro: float
    precision_micro: float
    recall_micro: float
    f1_micro: float
    per_class: dict[str, np.ndarray]  # precision, recall, f1, support, one entry per class
    confusion: np.ndarray  # (C, C), rows = true class


def classification_report(y_true, y_pred, labels=None) -> ClassificationReport:
    labels = np.unique(np.concatenate([y_true, y_pred])) if labels is None else np.asarray(labels)
    macro = skm.precision_recall_fscore_support(y_true, y_pred, labels=labels, average="macro", zero_division=0)
    micro = skm.precision_recall_fscore_support(y_true, y_pred, labels=labels, average="micro", zero_division=0)
    p, r, f, s = skm.precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    return ClassificationReport(
        accuracy=float(skm.accuracy_score(y_true, y_pred)),
        precision_macro=float(macro[0]), recall_macro=float(macro[1]), f1_macro=float(macro[2]),
        precision_micro=float(micro[0]), recall_micro=float(micro[1]), f1_micro=float(micro[2]),
        per_class={"precision": p, "recall": r, "f1": f, "support": s},
        confusion=skm.confusion_matrix(y_true, y_pred, labels=labels),
    )


@dataclass(frozen=True)
class Curves:
    """ROC and PR curves of one class against the rest."""

    fpr: np.ndarray
    tpr: np.ndarray
    roc_thresholds: np.ndarray
    roc_auc: float
    precision: np.ndarray
    recall: np.ndarray
    pr_thresholds: np.ndarray
    average_precision: float


def binary_curves(y_true_binary: np.ndarray, score: np.ndarray) -> Curves:
    fpr, tpr, roc_t = skm.roc_curve(y_true_binary, score)
    prec, rec, pr_t = skm.precision_recall_curve(y_true_binary, score)
    return Curves(
        fpr, tpr, roc_t, float(skm.roc_auc_score(y_true_binary, score)),
        prec, rec, pr_t, float(skm.average_precision_score(y_true_binary, score)),
    )


def positive_scores(task: str, y_true: np.ndarray, scores: np.ndarray, positive: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """One-vs-rest labels and scores for `positive` (the probability column in multiclass)."""
    if task == "multiclass":
        return (y_true == positive).astype(int), scores[:, positive]
    return y_true.astype(int), scores


def threshold_metrics(y_true_binary: np.ndarray, score: np.ndarray, threshold: float) -> dict[str, float]:
    """Precision, recall, F1 and the confusion counts when predicting positive at score ≥ threshold."""
    pred = (score >= threshold).astype(int)
    tn, fp, fn, tp = skm.confusion_matrix(y_true_binary, pred, labels=[0, 1]).ravel()
    return {
        "precision": float(skm.precision_score(y_true_binary, pred, zero_division=0)),
        "recall": float(skm.recall_score(y_true_binary, pred, zero_division=0)),
        "f1": float(skm.f1_score(y_true_binary, pred, zero_division=0)),
        "tp": int(tp), "fp": int(fp), "tn": int(tn), "fn": int(fn),
    }


def regression_report(y_true, y_pred) -> dict[str, float]:
    mse = float(skm.mean_squared_error(y_true, y_pred))
    return {
        "mse": mse,
        "mae": float(skm.mean_absolute_error(y_true, y_pred)),
        "rmse": float(np.sqrt(mse)),
        "r2": float(skm.r2_score(y_true, y_pred)),
    }


def score_agreement(model: nn.Module, X: torch.Tensor, y: torch.Tensor, task: str) -> tuple[float, float]:
    """(the training loop's own val score, sklearn's score of the same predictions).

    A model whose outputs are not all finite (a run that diverged) has no score: both are NaN,
    never sklearn's ValueError about NaN input."""
    from core.trainer import evaluate_loss

    y_hat, scores = predict(model, X, task)
    if not np.isfinite(scores).all():
        return float("nan"), float("nan")
    device = next(model.parameters()).device
    _, loop_score = evaluate_loss(model, X.to(device), y.to(device), task)
    y_np = y.cpu().numpy()
    ref = skm.r2_score(y_np, y_hat) if task == "regression" else skm.accuracy_score(y_np, y_hat)
    return float(loop_score), float(ref)


# --- from scratch, in torch: the Check tab compares these with sklearn -----------------------

def _class_indices(labels, num_classes: int, name: str = "labels") -> torch.Tensor:
    """`labels` as a flat long tensor, refused unless every one is a whole number in [0, num_classes)."""
    arr = np.asarray(labels.cpu() if isinstance(labels, torch.Tensor) else labels).reshape(-1)
    if arr.dtype.kind not in "biuf":
        raise InputError("label_type", f"{name} must be class numbers, not {arr.dtype}", name=name)
    if arr.dtype.kind == "f":
        bad = ~np.isfinite(arr) | (arr != np.round(arr))
        if bad.any():
            raise InputError("label_fraction", f"{name} must be whole class numbers; found {arr[bad][0]!r}",
                             name=name, value=f"{arr[bad][0]!r}"[:40])
    outside = (arr < 0) | (arr >= num_classes)
    if outside.any():
        raise InputError("label_range", f"{name} must lie in 0 … {num_classes - 1} for {num_classes} classes; "
                         f"found {arr[outside][0]!r}", name=name, top=num_classes - 1, classes=num_classes,
                         value=f"{arr[outside][0]!r}"[:40])
    return torch.as_tensor(arr.astype(np.int64))


def confusion_matrix_torch(y_true, y_pred, num_classes: int) -> torch.Tensor:
    """(C, C) counts, rows = true class, columns = predicted class, via one bincount.

    Labels outside [0, C), fractions and NaN are refused (InputError) rather than counted in a wrong cell."""
    t, p = _class_indices(y_true, num_classes, "y_true"), _class_indices(y_pred, num_classes, "y_pred")
    if len(t) != len(p):
        raise InputError("label_lengths", f"y_true has {len(t)} labels and y_pred {len(p)}", n_true=len(t), n_pred=len(p))
    return torch.bincount(t * num_classes + p, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def _ratio(num: torch.Tensor, den: torch.Tensor) -> torch.Tensor:
    """num / den where den > 0, else 0 (sklearn's zero_division=0). den may be a fraction, not a count."""
    positive = den > 0
    return torch.where(positive, num / torch.where(positive, den, torch.ones_like(den)), torch.zeros_like(num))


def prf_from_confusion(cm: torch.Tensor) -> dict[str, torch.Tensor]:
    """Per-class precision, recall, F1 and support from a confusion matrix; 0 where undefined."""
    cm = cm.double()
    tp = cm.diag()
    predicted, actual = cm.sum(dim=0), cm.sum(dim=1)  # column sums: predicted as c; row sums: truly c
    precision, recall = _ratio(tp, predicted), _ratio(tp, actual)
    f1 = _ratio(2 * precision * recall, precision + recall)
    return {"precision": precision, "recall": recall, "f1": f1, "support": actual}


def macro_prf_torch(y_true, y_pred, num_classes: int) -> dict[str, float]:
    """Macro-averaged precision, recall and F1 (the unweighted mean over classes), and accuracy."""
    cm = confusion_matrix_torch(y_true, y_pred, num_classes).double()
    per = prf_from_confusion(cm)
    return {
        "accuracy": float(cm.diag().sum() / cm.sum().clamp_min(1)),
        "precision_macro": float(per["precision"].mean()),
        "recall_macro": float(per["recall"].mean()),
        "f1_macro": float(per["f1"].mean()),
    }


def regression_metrics_torch(y_true, y_pred) -> dict[str, float]:
    """MSE, MAE, RMSE and R² = 1 − SS_res / SS_tot (sklearn's convention for a constant target), in float64."""
    t = torch.as_tensor(np.asarray(y_true), dtype=torch.float64).reshape(-1)
    p = torch.as_tensor(np.asarray(y_pred), dtype=torch.float64).reshape(-1)
    err = p - t
    mse = float((err**2).mean())
    return {
        "mse": mse,
        "mae": float(err.abs().mean()),
        "rmse": mse**0.5,
        "r2": float(r2_score_torch(t, p)),
    }


def compare_metrics(task: str, y_true, y_pred, num_classes: int = 0) -> list[dict]:
    """Rows (metric, ours, sklearn, difference): our torch metrics beside sklearn's."""
    rows = []
    if task == "regression":
        y_true, y_pred = np.asarray(y_true, dtype=np.float64), np.asarray(y_pred, dtype=np.float64)
        ours, ref = regression_metrics_torch(y_true, y_pred), regression_report(y_true, y_pred)
    else:
        ours = macro_prf_torch(y_true, y_pred, num_classes)
        rep = classification_report(y_true, y_pred, labels=np.arange(num_classes))
        ref = {"accuracy": rep.accuracy, "precision_macro": rep.precision_macro,
               "recall_macro": rep.recall_macro, "f1_macro": rep.f1_macro}
        cm = confusion_matrix_torch(y_true, y_pred, num_classes).numpy()
        rows.append({"metric": "confusion_matrix", "ours": float(cm.trace()), "sklearn": float(rep.confusion.trace()),
                     "difference": float(np.abs(cm - rep.confusion).max())})
    for name in ref:
        rows.append({"metric": name, "ours": ours[name], "sklearn": ref[name], "difference": abs(ours[name] - ref[name])})
    return rows


def curve_point(y_true_binary: np.ndarray, score: np.ndarray, threshold: float) -> dict[str, float]:
    """Where `threshold` sits on the ROC curve (fpr, tpr) and the PR curve (recall, precision)."""
    m = threshold_metrics(y_true_binary, score, threshold)
    negatives, predicted = m["fp"] + m["tn"], m["tp"] + m["fp"]
    return {**m, "fpr": m["fp"] / negatives if negatives else 0.0, "tpr": m["recall"],
            "precision_point": m["precision"] if predicted else 1.0}


def misclassified(y_true: np.ndarray, y_pred: np.ndarray, scores: np.ndarray | None = None, limit: int = 24) -> np.ndarray:
    """Indices of wrong predictions, the most confidently wrong first when class scores are given."""
    wrong = np.flatnonzero(np.asarray(y_true) != np.asarray(y_pred))
    if scores is not None and scores.ndim == 2 and len(wrong):
        wrong = wrong[np.argsort(-scores[wrong, y_pred[wrong]], kind="stable")]
    return wrong[:limit]


def unscaled_inputs(data, recipe: dict | None, split: str = "test") -> torch.Tensor | None:
    """The `split` inputs before scaling (for showing images), rebuilt from the run's recipe and
    checked against the scaled tensors; None when the recipe cannot reproduce them."""
    from core.datasets import make_splits
    from core.preprocessing import make_scaler

    try:
        raw = make_splits(data.source, recipe["val_frac"], recipe["test_frac"], seed=recipe["train"]["seed"])
        scaler = make_scaler(recipe.get("scaler", "none")).fit(raw.X_train)
        X_raw, X_scaled = getattr(raw, f"X_{split}"), getattr(data, f"X_{split}").cpu()
        if X_raw.shape == X_scaled.shape and torch.allclose(scaler.transform(X_raw), X_scaled, atol=1e-4):
            return X_raw
    except (KeyError, TypeError, ValueError):
        pass
    return None
