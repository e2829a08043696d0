"""Feature scalers in torch: z-score, min-max and robust. Fit on the training split only."""
from __future__ import annotations

import torch


def _safe_scale(scale: torch.Tensor) -> torch.Tensor:
    """Replace near-zero scales by 1 so constant columns map to 0, never NaN or inf."""
    eps = torch.finfo(scale.dtype).eps
    return torch.where(scale < 10 * eps, torch.ones_like(scale), scale)


class Scaler:
    """x' = (x - center) / scale, with per-column `center` and `scale` learned by `fit`.

    The base class is the identity: it leaves any tensor (token ids, images) untouched."""

    name = "none"

    def __init__(self) -> None:
        self.center: torch.Tensor | None = None
        self.scale: torch.Tensor | None = None

    def _stats(self, X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.zeros(1), torch.ones(1)

    def fit(self, X: torch.Tensor) -> Scaler:
        center, scale = self._stats(X)
        self.center, self.scale = center, _safe_scale(scale)
        return self

    def _check(self) -> None:
        if self.center is None:
            raise RuntimeError(f"{type(self).__name__} must be fitted before transform")

    def transform(self, X: torch.Tensor) -> torch.Tensor:
        self._check()
        if type(self) is Scaler:
            return X
        return (X - self.center.to(X)) / self.scale.to(X)

    def inverse_transform(self, X: torch.Tensor) -> torch.Tensor:
        self._check()
        if type(self) is Scaler:
            return X
        return X * self.scale.to(X) + self.center.to(X)

    def fit_transform(self, X: torch.Tensor) -> torch.Tensor:
        return self.fit(X).transform(X)


class StandardScaler(Scaler):
    """z-score: subtract the mean, divide by the population standard deviation."""

    name = "zscore"

    def _stats(self, X):
        return X.mean(dim=0), X.std(dim=0, correction=0)


class MinMaxScaler(Scaler):
    """Map each column's [min, max] onto [0, 1]."""

    name = "minmax"

    def _stats(self, X):
        lo, hi = X.min(dim=0).values, X.max(dim=0).values
        return lo, hi - lo


class RobustScaler(Scaler):
    """Subtract the median, divide by the interquartile range: outliers barely move it."""

    name = "robust"

    def _stats(self, X):
        q = torch.quantile(X, torch.tensor([0.25, 0.5, 0.75], dtype=X.dtype), dim=0)
        return q[1], q[2] - q[0]


SCALERS: dict[str, type[Scaler]] = {
    "none": Scaler,
    "zscore": StandardScaler,
    "minmax": MinMaxScaler,
    "robust": RobustScaler,
}


def make_scaler(name: str) -> Scaler:
    return SCALERS[name]()
