"""Kinds of tasks: classification and regression metrics (ours beside sklearn's) and clustering."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn import datasets as skd
from sklearn import metrics as skm
from sklearn.cluster import DBSCAN, AgglomerativeClustering, KMeans
from threadpoolctl import threadpool_limits

# --- toy predictions the learner can spoil with noise ----------------------------------------

def classification_example(kind: str, n: int = 40, noise: float = 0.5, n_classes: int = 3, n_labels: int = 4,
                           threshold: float = 0.5, seed: int = 0) -> dict[str, np.ndarray]:
    """Ground truth, a score per class (or label) and hard predictions.

    Scores are sigmoid/softmax of "true signal + noise·N(0, 1)", so more noise flips more predictions.
      binary:     y_true (n,), score (n,), y_pred (n,) = score >= threshold
      multiclass: y_true (n,), score (n, C), y_pred (n,) = argmax
      multilabel: y_true (n, L), score (n, L), y_pred (n, L) = score >= threshold
    """
    rng = np.random.default_rng(seed)
    if kind == "binary":
        y = rng.integers(0, 2, n)
        logit = 2.0 * (2 * y - 1) + 4.0 * noise * rng.normal(size=n)
        score = 1 / (1 + np.exp(-logit))
        return {"y_true": y, "score": score, "y_pred": (score >= threshold).astype(int)}
    if kind == "multiclass":
        y = rng.integers(0, n_classes, n)
        logits = 3.0 * np.eye(n_classes)[y] + 4.0 * noise * rng.normal(size=(n, n_classes))
        score = np.exp(logits - logits.max(1, keepdims=True))
        score /= score.sum(1, keepdims=True)
        return {"y_true": y, "score": score, "y_pred": score.argmax(1)}
    if kind == "multilabel":
        y = (rng.random((n, n_labels)) < 0.4).astype(int)
        logit = 2.0 * (2 * y - 1) + 4.0 * noise * rng.normal(size=(n, n_labels))
        score = 1 / (1 + np.exp(-logit))
        return {"y_true": y, "score": score, "y_pred": (score >= threshold).astype(int)}
    raise ValueError(f"unknown kind {kind!r}")


# --- our metrics ---------------------------------------------------------------------------------

def binary_metrics(y_true, y_pred) -> dict[str, float]:
    """Accuracy, precision, recall and F1 of the positive class, from the confusion counts."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    tp = int(((y_pred == 1) & (y_true == 1)).sum())
    fp = int(((y_pred == 1) & (y_true == 0)).sum())
    fn = int(((y_pred == 0) & (y_true == 1)).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"accuracy": float((y_true == y_pred).mean()), "precision": precision, "recall": recall, "f1": f1}


def f1_scores(y_true, y_pred, labels) -> dict[str, float]:
    """Macro F1 (mean of per-class F1) and micro F1 (F1 of pooled counts; equals accuracy for multiclass)."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    per_class, tps, fps, fns = [], 0, 0, 0
    for c in labels:
        tp = int(((y_pred == c) & (y_true == c)).sum())
        fp = int(((y_pred == c) & (y_true != c)).sum())
        fn = int(((y_pred != c) & (y_true == c)).sum())
        per_class.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0)
        tps, fps, fns = tps + tp, fps + fp, fns + fn
    micro = 2 * tps / (2 * tps + fps + fns) if tps + fps + fns else 0.0
    return {"accuracy": float((y_true == y_pred).mean()), "macro_f1": float(np.mean(per_class)), "micro_f1": micro}


def hamming_loss(Y_true, Y_pred) -> float:
    """Fraction of (sample, label) cells that are wrong."""
    return float((np.asarray(Y_true) != np.asarray(Y_pred)).mean())


def subset_accuracy(Y_true, Y_pred) -> float:
    """Fraction of samples whose whole label set is exactly right."""
    return float((np.asarray(Y_true) == np.asarray(Y_pred)).all(axis=1).mean())


def regression_metrics(y_true, y_pred) -> dict[str, float]:
    """MSE, MAE and R² = 1 − SS_res / SS_tot."""
    y_true, y_pred = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    err = y_pred - y_true
    ss_tot = ((y_true - y_true.mean()) ** 2).sum()
    return {"mse": float((err**2).mean()), "mae": float(np.abs(err).mean()),
            "r2": float(1 - (err**2).sum() / ss_tot) if ss_tot else float("nan")}


def sklearn_metrics(kind: str, y_true, y_pred, score=None) -> dict[str, float]:
    """The library's numbers for the same predictions, keyed like ours."""
    if kind == "binary":
        out = {"accuracy": skm.accuracy_score(y_true, y_pred),
               "precision": skm.precision_score(y_true, y_pred, zero_division=0),
               "recall": skm.recall_score(y_true, y_pred, zero_division=0),
               "f1": skm.f1_score(y_true, y_pred, zero_division=0)}
        if score is not None and len(set(np.asarray(y_true).tolist())) == 2:
            out["roc_auc"] = skm.roc_auc_score(y_true, score)
        return {k: float(v) for k, v in out.items()}
    if kind == "multiclass":
        return {"accuracy": float(skm.accuracy_score(y_true, y_pred)),
                "macro_f1": float(skm.f1_score(y_true, y_pred, average="macro", zero_division=0)),
                "micro_f1": float(skm.f1_score(y_true, y_pred, average="micro", zero_division=0))}
    if kind == "multilabel":
        return {"hamming_loss": float(skm.hamming_loss(y_true, y_pred)),
                "subset_accuracy": float(skm.accuracy_score(y_true, y_pred)),
                "micro_f1": float(skm.f1_score(y_true, y_pred, average="micro", zero_division=0)),
                "macro_f1": float(skm.f1_score(y_true, y_pred, average="macro", zero_division=0))}
    if kind == "regression":
        return {"mse": float(skm.mean_squared_error(y_true, y_pred)),
                "mae": float(skm.mean_absolute_error(y_true, y_pred)),
                "r2": float(skm.r2_score(y_true, y_pred))}
    raise ValueError(f"unknown kind {kind!r}")


def our_metrics(kind: str, y_true, y_pred, n_classes: int = 3) -> dict[str, float]:
    """Our from-scratch numbers, keyed like `sklearn_metrics`."""
    if kind == "binary":
        return binary_metrics(y_true, y_pred)
    if kind == "multiclass":
        return f1_scores(y_true, y_pred, range(n_classes))
    if kind == "multilabel":
        return {"hamming_loss": hamming_loss(y_true, y_pred), "subset_accuracy": subset_accuracy(y_true, y_pred)}
    if kind == "regression":
        return regression_metrics(y_true, y_pred)
    raise ValueError(f"unknown kind {kind!r}")


def regression_example(n: int = 60, noise: float = 1.0, bias: float = 0.0, outliers: int = 0, seed: int = 0):
    """x, a true line y = 2x + 1 with a little scatter, and a prediction off by `bias`, noise and outliers."""
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(0, 10, n))
    y_true = 2 * x + 1 + rng.normal(scale=1.0, size=n)
    y_pred = 2 * x + 1 + bias + rng.normal(scale=noise, size=n)
    if outliers:
        idx = rng.choice(n, size=min(outliers, n), replace=False)
        y_pred[idx] += rng.choice([-1, 1], size=len(idx)) * 15
    return x, y_true, y_pred


# --- clustering ----------------------------------------------------------------------------------

def cluster_data(shape: str, n: int = 300, noise: float = 0.06, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(X, true groups) for "moons", "blobs" or "circles", standardized."""
    if shape == "moons":
        X, y = skd.make_moons(n, noise=noise, random_state=seed)
    elif shape == "circles":
        X, y = skd.make_circles(n, noise=noise, factor=0.45, random_state=seed)
    elif shape == "blobs":
        X, y = skd.make_blobs(n, centers=4, cluster_std=0.6 + 8 * noise, random_state=seed)
    else:
        raise ValueError(f"unknown shape {shape!r}")
    X = (X - X.mean(0)) / X.std(0)
    return X, y


@dataclass(frozen=True)
class ClusterResult:
    labels: np.ndarray  # (n,), -1 = noise (DBSCAN)
    n_clusters: int
    n_noise: int
    silhouette: float | None  # sklearn, over non-noise points; None if fewer than 2 clusters
    inertia: float  # our within-cluster sum of squares
    sklearn_inertia: float | None  # KMeans.inertia_ when the algorithm is KMeans


@threadpool_limits.wrap(limits=1)  # KMeans' OpenMP threads thrash a small shared CPU on 300 points
def run_clustering(X: np.ndarray, algorithm: str, k: int = 3, eps: float = 0.3, min_samples: int = 5,
                   linkage: str = "ward", seed: int = 0) -> ClusterResult:
    """KMeans, DBSCAN or agglomerative clustering from sklearn, with silhouette and inertia."""
    sk_inertia = None
    if algorithm == "kmeans":
        model = KMeans(n_clusters=k, n_init=4, random_state=seed).fit(X)
        labels, sk_inertia = model.labels_, float(model.inertia_)
    elif algorithm == "dbscan":
        labels = DBSCAN(eps=eps, min_samples=min_samples).fit_predict(X)
    elif algorithm == "agglomerative":
        labels = AgglomerativeClustering(n_clusters=k, linkage=linkage).fit_predict(X)
    else:
        raise ValueError(f"unknown algorithm {algorithm!r}")
    kept = labels >= 0
    n_clusters = len(set(labels[kept].tolist()))
    sil = float(skm.silhouette_score(X[kept], labels[kept])) if 2 <= n_clusters < kept.sum() else None
    return ClusterResult(labels, n_clusters, int((~kept).sum()), sil, inertia(X, labels), sk_inertia)


def inertia(X: np.ndarray, labels: np.ndarray) -> float:
    """Σ over clusters of squared distances to the cluster mean (noise points ignored)."""
    return float(sum(((X[labels == c] - X[labels == c].mean(0)) ** 2).sum() for c in set(labels.tolist()) if c >= 0))


def silhouette(X: np.ndarray, labels: np.ndarray) -> float:
    """Mean of s_i = (b_i − a_i) / max(a_i, b_i): a = mean distance within i's cluster, b = to the nearest other."""
    D = np.sqrt(((X[:, None, :] - X[None, :, :]) ** 2).sum(-1))  # (n, n)
    clusters = sorted(set(labels.tolist()))
    s = np.zeros(len(X))
    for i in range(len(X)):
        own = labels == labels[i]
        if own.sum() == 1:
            continue  # sklearn's convention: a singleton scores 0
        a = D[i, own].sum() / (own.sum() - 1)
        b = min(D[i, labels == c].mean() for c in clusters if c != labels[i])
        s[i] = (b - a) / max(a, b)
    return float(s.mean())


@threadpool_limits.wrap(limits=1)
def elbow(X: np.ndarray, ks: range = range(1, 11), seed: int = 0) -> list[tuple[int, float, float | None]]:
    """(k, KMeans inertia, silhouette) for each k; silhouette is None for k = 1."""
    out = []
    for k in ks:
        model = KMeans(n_clusters=k, n_init=2, random_state=seed).fit(X)
        sil = float(skm.silhouette_score(X, model.labels_)) if k > 1 else None
        out.append((k, float(model.inertia_), sil))
    return out


# --- why a binary head's loss should get logits ---------------------------------------------------

def bce_from_logits_vs_probabilities(logits, label: float) -> list[dict[str, float]]:
    """Per logit z (float32, as a model computes it): σ(z), Sigmoid + BCELoss, BCEWithLogitsLoss, and the exact
    loss max(z, 0) − z·y + log(1 + e^{−|z|}) in float64. BCELoss clamps log(0) to −100; the logits form never
    forms σ(z), so it stays exact."""
    import torch
    from torch import nn

    z = torch.as_tensor(logits, dtype=torch.float32).clone().requires_grad_(True)
    y = torch.full_like(z, float(label))
    p = torch.sigmoid(z)
    bce = nn.BCELoss(reduction="none")(p, y)
    (grad_bce,) = torch.autograd.grad(bce.sum(), z)
    with_logits = nn.BCEWithLogitsLoss(reduction="none")(z, y)
    (grad_logits,) = torch.autograd.grad(with_logits.sum(), z)
    z64, y64 = z.detach().double(), y.double()
    exact = z64.clamp(min=0) - z64 * y64 + torch.log1p(torch.exp(-z64.abs()))
    rows = zip(z.detach(), p.detach(), bce.detach(), with_logits.detach(), exact, grad_bce, grad_logits, torch.sigmoid(z64) - y64)
    return [{"logit": float(a), "sigmoid": float(b), "bce": float(c), "bce_with_logits": float(d), "exact": float(e),
             "grad_bce": float(f), "grad_with_logits": float(g), "grad_exact": float(h)} for a, b, c, d, e, f, g, h in rows]
