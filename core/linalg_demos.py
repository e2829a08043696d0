"""1.1 Linear algebra: vectors, 2×2 transforms, a linear layer's shapes and PCA by eigendecomposition."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.decomposition import PCA


# ---------------------------------------------------------------- vectors
def vector_stats(a: tuple[float, float], b: tuple[float, float]) -> dict[str, float]:
    """Dot product, L1/L2 norms, cosine similarity and angle of two vectors, with torch."""
    ta, tb = torch.tensor(a, dtype=torch.float64), torch.tensor(b, dtype=torch.float64)
    na, nb = torch.linalg.vector_norm(ta), torch.linalg.vector_norm(tb)
    if na == 0 or nb == 0:
        cos = float("nan")
    else:
        cos = float(torch.nn.functional.cosine_similarity(ta, tb, dim=0, eps=0.0))
    return {
        "dot": float(torch.dot(ta, tb)),
        "l1_a": float(torch.linalg.vector_norm(ta, ord=1)), "l2_a": float(na),
        "l1_b": float(torch.linalg.vector_norm(tb, ord=1)), "l2_b": float(nb),
        "cos": cos,
        "angle_deg": math.degrees(math.acos(max(-1.0, min(1.0, cos)))) if math.isfinite(cos) else float("nan"),
    }


def vector_stats_by_hand(a: tuple[float, float], b: tuple[float, float]) -> dict[str, float]:
    """The same numbers from the textbook sums, no library."""
    dot = a[0] * b[0] + a[1] * b[1]
    l2_a, l2_b = math.sqrt(a[0] ** 2 + a[1] ** 2), math.sqrt(b[0] ** 2 + b[1] ** 2)
    cos = dot / (l2_a * l2_b) if l2_a and l2_b else float("nan")
    return {"dot": dot, "l1_a": abs(a[0]) + abs(a[1]), "l2_a": l2_a, "l1_b": abs(b[0]) + abs(b[1]), "l2_b": l2_b, "cos": cos}


def arrow_rows(start, end, group: str, seg: str, head: float = 0.12) -> list[dict]:
    """Line rows for one arrow: the shaft plus two short strokes at the tip."""
    x0, y0 = float(start[0]), float(start[1])
    x1, y1 = float(end[0]), float(end[1])
    length = math.hypot(x1 - x0, y1 - y0)
    rows = [{"x": x0, "y": y0, "group": group, "seg": seg, "order": 0},
            {"x": x1, "y": y1, "group": group, "seg": seg, "order": 1}]
    if length == 0:
        return rows
    ux, uy = (x1 - x0) / length, (y1 - y0) / length
    size = min(head, 0.35 * length) if head > 0 else 0.0
    for k, side in enumerate((1, -1)):
        # rotate the backwards direction by ±25°
        c, s = math.cos(math.radians(25)), side * math.sin(math.radians(25))
        bx, by = -ux * c + uy * s, -ux * s - uy * c
        rows += [{"x": x1, "y": y1, "group": group, "seg": f"{seg}_h{k}", "order": 0},
                 {"x": x1 + size * bx, "y": y1 + size * by, "group": group, "seg": f"{seg}_h{k}", "order": 1}]
    return rows


# ---------------------------------------------------------------- 2×2 transforms
@dataclass(frozen=True)
class Transform2D:
    matrix: np.ndarray            # (2, 2)
    det: float
    eigenvalues: np.ndarray       # (2,) complex
    eigenvectors: np.ndarray      # (2, 2) complex, columns
    real: bool                    # both eigenvalues real

    def real_eigenpairs(self) -> list[tuple[float, np.ndarray]]:
        if not self.real:
            return []
        return [(float(self.eigenvalues[i].real), self.eigenvectors[:, i].real) for i in range(2)]


def transform(m11: float, m12: float, m21: float, m22: float) -> Transform2D:
    """Determinant and eigen-decomposition of a 2×2 matrix with torch.linalg."""
    M = torch.tensor([[m11, m12], [m21, m22]], dtype=torch.float64)
    vals, vecs = torch.linalg.eig(M)
    vals_np, vecs_np = vals.numpy(), vecs.numpy()
    real = bool(np.all(np.abs(vals_np.imag) < 1e-9))
    return Transform2D(M.numpy(), float(torch.linalg.det(M)), vals_np, vecs_np, real)


def eigenvalues_by_hand(m11: float, m12: float, m21: float, m22: float) -> tuple[complex, complex]:
    """Roots of λ² − tr·λ + det = 0, largest real part first."""
    tr, det = m11 + m22, m11 * m22 - m12 * m21
    disc = complex(tr * tr - 4 * det) ** 0.5
    return tuple(sorted(((tr + disc) / 2, (tr - disc) / 2), key=lambda z: (-z.real, -z.imag)))


def transformed_grid_rows(M: np.ndarray, lim: int = 2, circle_points: int = 73) -> tuple[list[dict], list[dict]]:
    """Rows of the original and transformed grid lines, and of the unit circle before/after."""
    grid, circle = [], []
    ts = np.linspace(-lim, lim, 9)
    for k in range(-lim, lim + 1):
        for name, pts in ((f"v{k}", np.stack([np.full_like(ts, k), ts], 1)), (f"h{k}", np.stack([ts, np.full_like(ts, k)], 1))):
            for stage, P in (("before", pts), ("after", pts @ M.T)):
                grid += [{"x": float(x), "y": float(y), "group": stage, "seg": f"{stage}_{name}", "order": i}
                         for i, (x, y) in enumerate(P)]
    angles = np.linspace(0, 2 * np.pi, circle_points)
    unit = np.stack([np.cos(angles), np.sin(angles)], 1)
    for stage, P in (("before", unit), ("after", unit @ M.T)):
        circle += [{"x": float(x), "y": float(y), "group": stage, "seg": f"circle_{stage}", "order": i}
                   for i, (x, y) in enumerate(P)]
    return grid, circle


# ---------------------------------------------------------------- y = Wx + b
@dataclass(frozen=True)
class LinearShapes:
    x_shape: tuple[int, ...]
    W_shape: tuple[int, ...]
    b_shape: tuple[int, ...]
    y_shape: tuple[int, ...]
    y: np.ndarray
    max_diff_vs_nn_linear: float
    n_params: int


def linear_layer(batch: int, in_features: int, out_features: int, seed: int = 0) -> LinearShapes:
    """y = x Wᵀ + b by hand, beside nn.Linear holding the same W and b."""
    if min(batch, in_features, out_features) < 1:
        raise ValueError("every size must be at least 1")
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, in_features, generator=g)            # (B, in)
    W = torch.randn(out_features, in_features, generator=g)     # (out, in)
    b = torch.randn(out_features, generator=g)                  # (out,)
    y = x @ W.T + b                                             # (B, out)
    layer = torch.nn.Linear(in_features, out_features)
    with torch.no_grad():
        layer.weight.copy_(W)
        layer.bias.copy_(b)
        ref = layer(x)
    return LinearShapes(tuple(x.shape), tuple(W.shape), tuple(b.shape), tuple(y.shape), y.numpy(),
                        float((y - ref).abs().max()), W.numel() + b.numel())


# ---------------------------------------------------------------- PCA
def make_cloud(n: int = 300, spread_x: float = 2.0, spread_y: float = 0.7, corr: float = 0.6, seed: int = 0) -> np.ndarray:
    """n points (n, 2) from a Gaussian with the given standard deviations and correlation."""
    if n < 3:
        raise ValueError("PCA needs at least 3 points")
    if not -1 < corr < 1:
        raise ValueError("the correlation must lie strictly between −1 and 1")
    cov = np.array([[spread_x ** 2, corr * spread_x * spread_y], [corr * spread_x * spread_y, spread_y ** 2]])
    rng = np.random.default_rng(seed)
    return rng.multivariate_normal([1.0, -0.5], cov, size=n)


@dataclass(frozen=True)
class PCAResult:
    mean: np.ndarray                 # (2,)
    covariance: np.ndarray           # (2, 2)
    components: np.ndarray           # (2, 2), rows = principal directions, largest variance first
    explained_variance: np.ndarray   # (2,)
    explained_variance_ratio: np.ndarray


def pca_by_eigh(X: np.ndarray) -> PCAResult:
    """PCA from scratch: centre, covariance with n − 1, torch.linalg.eigh, sort by eigenvalue."""
    T = torch.as_tensor(X, dtype=torch.float64)
    mean = T.mean(0)
    Xc = T - mean                                   # (n, 2)
    cov = Xc.T @ Xc / (T.shape[0] - 1)              # (2, 2)
    vals, vecs = torch.linalg.eigh(cov)             # ascending
    order = torch.argsort(vals, descending=True)
    vals, vecs = vals[order], vecs[:, order]
    return PCAResult(mean.numpy(), cov.numpy(), vecs.T.numpy(), vals.numpy(), (vals / vals.sum()).numpy())


def pca_sklearn(X: np.ndarray) -> PCAResult:
    p = PCA(n_components=2).fit(X)
    return PCAResult(p.mean_, np.cov(X.T), p.components_, p.explained_variance_, p.explained_variance_ratio_)


def pca_differences(ours: PCAResult, ref: PCAResult) -> dict[str, float]:
    """Max |difference| per quantity; components compared up to sign (±v is the same axis)."""
    signs = np.sign(np.sum(ours.components * ref.components, axis=1, keepdims=True))
    signs[signs == 0] = 1
    return {
        "components": float(np.abs(ours.components * signs - ref.components).max()),
        "explained_variance": float(np.abs(ours.explained_variance - ref.explained_variance).max()),
        "explained_variance_ratio": float(np.abs(ours.explained_variance_ratio - ref.explained_variance_ratio).max()),
        "mean": float(np.abs(ours.mean - ref.mean).max()),
    }


# ---------------------------------------------------------------- a plane chart as a Vega-Lite dict
