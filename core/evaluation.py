"""Predictions and metrics. Every number comes from sklearn so it matches the reference."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from sklearn import metrics as skm
from torch import nn


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
        p = out.reshape(-1).sigmoid()
        return (p > 0.5).long().numpy(), p.numpy()
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
    """(the training loop's own val score, sklearn's score of the same predictions)."""
    from core.trainer import evaluate_loss

    device = next(model.parameters()).device
    _, loop_score = evaluate_loss(model, X.to(device), y.to(device), task)
    y_hat, _ = predict(model, X, task)
    y_np = y.cpu().numpy()
    ref = skm.r2_score(y_np, y_hat) if task == "regression" else skm.accuracy_score(y_np, y_hat)
    return float(loop_score), float(ref)
