"""Feature scalers in torch: z-score, min-max and robust. Fit on the training split only.

Statistics are computed and applied in float64, like sklearn's accumulators, and the result is cast
back to the input's dtype; a constant column gets scale 1 (it maps to 0), never NaN or ~1e11."""
from __future__ import annotations

import torch

CHUNK = 1024  # rows (or columns) widened to float64 at a time, so image data never doubles in memory


def wide_dtype(X: torch.Tensor) -> torch.dtype:
    """float64 for statistics and arithmetic, as sklearn's accumulators (float32 on MPS, which has no float64)."""
    return torch.float32 if X.device.type == "mps" else torch.float64


def widen(X: torch.Tensor) -> torch.Tensor:
    return X.to(wide_dtype(X))


def _unit_where(constant: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """Scale 1 for the columns flagged constant, so they map to x - center."""
    return torch.where(constant, torch.ones_like(scale), scale)


def _near_zero(scale: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """sklearn's `_handle_zeros_in_scale` test: a spread below 10 ulps of 1 in `dtype` is no spread."""
    return scale < 10 * torch.finfo(dtype if dtype.is_floating_point else torch.float64).eps


def is_constant_feature(var: torch.Tensor, mean: torch.Tensor, n: int) -> torch.Tensor:
    """sklearn's `_is_constant_feature`: a variance within the rounding error of the two-pass
    algorithm (Chan, Golub & LeVeque) is zero. Relative, so 0.1 or 1e8 + 0.3 repeated counts too."""
    eps = torch.finfo(var.dtype).eps
    return var <= n * eps * var + (n * mean * eps) ** 2


class Scaler:
    """x' = (x - center) / scale, with per-column `center` and `scale` learned by `fit`.

    The base class is the identity: it leaves any tensor (token ids, images) untouched."""

    name = "none"

    def __init__(self) -> None:
        self.center: torch.Tensor | None = None
        self.scale: torch.Tensor | None = None

    def _stats(self, X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(center, scale) per column, in float64."""
        return torch.zeros(1, dtype=torch.float64), torch.ones(1, dtype=torch.float64)

    def fit(self, X: torch.Tensor) -> Scaler:
        self.center, self.scale = self._stats(X)
        return self

    def _check(self) -> None:
        if self.center is None:
            raise RuntimeError(f"{type(self).__name__} must be fitted before transform")

    def _apply(self, X: torch.Tensor, fn) -> torch.Tensor:
        """fn(x, center, scale) in float64, CHUNK rows at a time, cast back to X's dtype."""
        center, scale = self.center.to(X.device), self.scale.to(X.device)
        dtype = X.dtype if X.is_floating_point() else torch.get_default_dtype()
        parts = [fn(widen(rows), center, scale).to(dtype) for rows in X.split(CHUNK)]
        return torch.cat(parts) if parts else X.to(dtype)

    def transform(self, X: torch.Tensor) -> torch.Tensor:
        self._check()
        if type(self) is Scaler:
            return X
        return self._apply(X, lambda x, center, scale: (x - center) / scale)

    def inverse_transform(self, X: torch.Tensor) -> torch.Tensor:
        self._check()
        if type(self) is Scaler:
            return X
        return self._apply(X, lambda x, center, scale: x * scale + center)

    def fit_transform(self, X: torch.Tensor) -> torch.Tensor:
        return self.fit(X).transform(X)


class StandardScaler(Scaler):
    """z-score: subtract the mean, divide by the population standard deviation."""

    name = "zscore"

    def _stats(self, X):
        n = X.shape[0]
        mean = X.sum(dim=0, dtype=wide_dtype(X)) / n
        dev_sum, sq_sum = torch.zeros_like(mean), torch.zeros_like(mean)
        for rows in X.split(CHUNK):
            dev = widen(rows) - mean
            dev_sum, sq_sum = dev_sum + dev.sum(dim=0), sq_sum + (dev * dev).sum(dim=0)
        var = (sq_sum - dev_sum**2 / n) / n  # the corrected two-pass algorithm, as sklearn
        return mean, _unit_where(is_constant_feature(var, mean, n), var.clamp_min(0).sqrt())


class MinMaxScaler(Scaler):
    """Map each column's [min, max] onto [0, 1]."""

    name = "minmax"

    def _stats(self, X):
        lo, hi = X.min(dim=0).values, X.max(dim=0).values  # exact in any dtype
        spread = widen(hi) - widen(lo)
        return widen(lo), _unit_where(_near_zero(hi - lo, X.dtype), spread)  # sklearn: the cut-off on X's dtype


class RobustScaler(Scaler):
    """Subtract the median, divide by the interquartile range: outliers barely move it."""

    name = "robust"

    def _stats(self, X):
        levels = torch.tensor([0.25, 0.5, 0.75], dtype=wide_dtype(X), device=X.device)
        q = torch.cat([torch.quantile(widen(part), levels, dim=0) for part in X.split(CHUNK, dim=1)], dim=1)
        return q[1], _unit_where(_near_zero(q[2] - q[0], q.dtype), q[2] - q[0])  # sklearn: the IQR in float64


SCALERS: dict[str, type[Scaler]] = {
    "none": Scaler,
    "zscore": StandardScaler,
    "minmax": MinMaxScaler,
    "robust": RobustScaler,
}


def make_scaler(name: str) -> Scaler:
    return SCALERS[name]()
