"""Built-in, synthetic and torchvision datasets, returned as tensors with seeded splits."""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from sklearn import datasets as skd
from sklearn.model_selection import train_test_split

from core.errors import InputError

TASKS = ("multiclass", "binary", "regression")
DEFAULT_ROOT = Path(__file__).resolve().parent.parent / "data"


def _quoted(names: list[str]) -> str:
    """At most five names, each cut to 40 characters, for a message."""
    cut = [n if len(n) <= 40 else n[:39] + "…" for n in names[:5]]
    return ", ".join(cut) + (", …" if len(names) > 5 else "")


def check_finite(X: torch.Tensor, y: torch.Tensor, feature_names: tuple[str, ...] = ()) -> None:
    """Refuse NaN or ±inf in the features or a numeric target (InputError): a model trained on them
    learns NaN, and the run reports a divergence whose cause is the data, not the settings."""
    if X.is_floating_point():
        bad = ~torch.isfinite(X)
        if bad.any():
            per_column = bad.reshape(len(X), -1).any(dim=0).nonzero().flatten().tolist()
            names = [feature_names[i] if i < len(feature_names) else f"#{i}" for i in per_column]
            count = int(bad.sum())
            raise InputError("nonfinite_features", f"{count} feature values are NaN or infinite (in {_quoted(names)})",
                             count=count, columns=_quoted(names))
    if y.is_floating_point():
        bad = ~torch.isfinite(y)
        if bad.any():
            count = int(bad.sum())
            raise InputError("nonfinite_target", f"{count} target values are NaN or infinite", count=count)


@dataclass(frozen=True)
class Dataset:
    """A whole dataset. Images are stored flat, (N, C*H*W), with their shape in `image_shape`."""

    name: str
    X: torch.Tensor  # (N, F) float32
    y: torch.Tensor  # (N,) int64 for classification, float32 for regression
    task: str
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...] = ()
    image_shape: tuple[int, int, int] | None = None  # (C, H, W)
    notice: str = ""  # set when a fallback replaced the requested data

    def __post_init__(self) -> None:
        check_finite(self.X, self.y, self.feature_names)

    @property
    def num_classes(self) -> int:
        return len(self.class_names) if self.task != "regression" else 1

    @property
    def num_features(self) -> int:
        return self.X.shape[1]


@dataclass(frozen=True)
class Splits:
    """Train/val/test tensors cut from one `Dataset`."""

    X_train: torch.Tensor
    y_train: torch.Tensor
    X_val: torch.Tensor
    y_val: torch.Tensor
    X_test: torch.Tensor
    y_test: torch.Tensor
    source: Dataset = field(repr=False)

    @property
    def task(self) -> str:
        return self.source.task

    @property
    def num_classes(self) -> int:
        return self.source.num_classes

    def sizes(self) -> tuple[int, int, int]:
        return len(self.y_train), len(self.y_val), len(self.y_test)

    def scaled(self, scaler) -> Splits:
        """Fit `scaler` on the training split only and apply it to all three."""
        scaler.fit(self.X_train)
        return replace(
            self,
            X_train=scaler.transform(self.X_train),
            X_val=scaler.transform(self.X_val),
            X_test=scaler.transform(self.X_test),
        )

    def to(self, device: torch.device | str) -> Splits:
        return replace(
            self,
            **{k: getattr(self, k).to(device) for k in ("X_train", "y_train", "X_val", "y_val", "X_test", "y_test")},
        )


def make_splits(ds: Dataset, val_frac: float = 0.15, test_frac: float = 0.15, seed: int = 0) -> Splits:
    """Seeded split; stratified by class for classification tasks."""
    if not 0 < val_frac < 1 or not 0 <= test_frac < 1 or val_frac + test_frac >= 0.9:
        raise InputError("split_fracs", "val_frac and test_frac must leave at least 10% of the data for training")
    idx = np.arange(len(ds.y))
    strat = ds.y.numpy() if ds.task != "regression" and ds.y.dim() == 1 else None
    if test_frac > 0:
        rest, test = train_test_split(idx, test_size=test_frac, random_state=seed, stratify=strat)
    else:
        rest, test = idx, idx[:0]
    strat_rest = strat[rest] if strat is not None else None
    train, val = train_test_split(
        rest, test_size=val_frac / (1 - test_frac), random_state=seed, stratify=strat_rest
    )
    pick = lambda t, i: t[torch.as_tensor(i, dtype=torch.long)]  # noqa: E731
    return Splits(
        pick(ds.X, train), pick(ds.y, train),
        pick(ds.X, val), pick(ds.y, val),
        pick(ds.X, test), pick(ds.y, test),
        source=ds,
    )


# --- built-in sklearn sets -------------------------------------------------------------------

def _from_sklearn(name: str, bunch, task: str, image_shape=None) -> Dataset:
    X = torch.as_tensor(np.asarray(bunch.data, dtype=np.float32))
    if task == "regression":
        y = torch.as_tensor(np.asarray(bunch.target, dtype=np.float32))
        classes: tuple[str, ...] = ()
    else:
        y = torch.as_tensor(np.asarray(bunch.target, dtype=np.int64))
        names = getattr(bunch, "target_names", None)
        classes = tuple(str(c) for c in names) if names is not None else tuple(str(c) for c in sorted(set(y.tolist())))
    features = tuple(str(f) for f in getattr(bunch, "feature_names", [f"x{i}" for i in range(X.shape[1])]))
    return Dataset(name, X, y, task, features, classes, image_shape)


def _digits(**_) -> Dataset:
    ds = _from_sklearn("digits", skd.load_digits(), "multiclass", image_shape=(1, 8, 8))
    return replace(ds, X=ds.X / 16.0)  # pixel intensities 0..16 → 0..1


def _iris(**_) -> Dataset:
    return _from_sklearn("iris", skd.load_iris(), "multiclass")


def _wine(**_) -> Dataset:
    return _from_sklearn("wine", skd.load_wine(), "multiclass")


def _breast_cancer(**_) -> Dataset:
    return _from_sklearn("breast_cancer", skd.load_breast_cancer(), "binary")


def _diabetes(**_) -> Dataset:
    return _from_sklearn("diabetes", skd.load_diabetes(), "regression")


# --- synthetic 2-D sets ----------------------------------------------------------------------

def _two_d(name: str, X: np.ndarray, y: np.ndarray, n_classes: int) -> Dataset:
    return Dataset(
        name,
        torch.as_tensor(X, dtype=torch.float32),
        torch.as_tensor(y, dtype=torch.int64),
        "binary" if n_classes == 2 else "multiclass",
        ("x1", "x2"),
        tuple(str(i) for i in range(n_classes)),
    )


def _moons(n_samples=400, noise=0.15, seed=0, **_) -> Dataset:
    X, y = skd.make_moons(n_samples, noise=noise, random_state=seed)
    return _two_d("moons", X, y, 2)


def _circles(n_samples=400, noise=0.1, seed=0, **_) -> Dataset:
    X, y = skd.make_circles(n_samples, noise=noise, factor=0.5, random_state=seed)
    return _two_d("circles", X, y, 2)


def _gaussians(n_samples=400, noise=0.1, seed=0, n_classes=2, **_) -> Dataset:
    angles = np.linspace(0, 2 * math.pi, n_classes, endpoint=False)
    centers = np.stack([np.cos(angles), np.sin(angles)], axis=1) * 2.0
    X, y = skd.make_blobs(n_samples, centers=centers, cluster_std=0.4 + 3 * noise, random_state=seed)
    return _two_d("gaussians", X, y, n_classes)


def _spiral(n_samples=400, noise=0.1, seed=0, n_classes=2, **_) -> Dataset:
    rng = np.random.default_rng(seed)
    per = n_samples // n_classes
    X, y = [], []
    for c in range(n_classes):
        r = np.linspace(0.05, 1.0, per)
        theta = r * 3.5 * math.pi + 2 * math.pi * c / n_classes
        pts = np.stack([r * np.sin(theta), r * np.cos(theta)], axis=1)
        X.append(pts + rng.normal(scale=noise * 0.25, size=pts.shape))
        y.append(np.full(per, c))
    return _two_d("spiral", np.concatenate(X) * 2, np.concatenate(y), n_classes)


def _xor(n_samples=400, noise=0.1, seed=0, **_) -> Dataset:
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n_samples, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    X = X + rng.normal(scale=noise * 0.5, size=X.shape)
    return _two_d("xor", X * 2, y, 2)


@dataclass(frozen=True)
class DatasetSpec:
    loader: Callable[..., Dataset]
    kind: str  # "tabular" | "image" | "2d"
    task: str
    synthetic: bool = False


DATASETS: dict[str, DatasetSpec] = {
    "digits": DatasetSpec(_digits, "image", "multiclass"),
    "iris": DatasetSpec(_iris, "tabular", "multiclass"),
    "wine": DatasetSpec(_wine, "tabular", "multiclass"),
    "breast_cancer": DatasetSpec(_breast_cancer, "tabular", "binary"),
    "diabetes": DatasetSpec(_diabetes, "tabular", "regression"),
    "moons": DatasetSpec(_moons, "2d", "binary", synthetic=True),
    "circles": DatasetSpec(_circles, "2d", "binary", synthetic=True),
    "gaussians": DatasetSpec(_gaussians, "2d", "binary", synthetic=True),
    "spiral": DatasetSpec(_spiral, "2d", "binary", synthetic=True),
    "xor": DatasetSpec(_xor, "2d", "binary", synthetic=True),
}

TORCHVISION_SETS = ("mnist", "fashion_mnist", "cifar10")


def load_dataset(name: str, **kwargs) -> Dataset:
    """Load a registered dataset; synthetic sets take n_samples, noise, seed (and n_classes)."""
    if name in TORCHVISION_SETS:
        return load_torchvision_or_fallback(name, **kwargs)
    if name not in DATASETS:
        raise KeyError(f"unknown dataset {name!r}; choose one of {sorted(DATASETS)}")
    return DATASETS[name].loader(**kwargs)


# --- torchvision sets, offline first --------------------------------------------------------

class DatasetUnavailable(RuntimeError):
    """The files are missing and could not be downloaded."""


def load_torchvision(
    name: str, root: str | Path = DEFAULT_ROOT, train: bool = True, download: bool = False, limit: int | None = 5000
) -> Dataset:
    """MNIST, Fashion-MNIST or CIFAR-10 from `root`; downloads only when asked to."""
    from torchvision import datasets as tvd

    cls = {"mnist": tvd.MNIST, "fashion_mnist": tvd.FashionMNIST, "cifar10": tvd.CIFAR10}[name]
    try:
        raw = cls(str(root), train=train, download=download)
    except (RuntimeError, OSError) as exc:  # missing files, or no network for the download
        raise DatasetUnavailable(
            f"{name} is not available offline: its files are not under {root} "
            f"and {'the download failed' if download else 'downloading is off'} ({exc.__class__.__name__})."
        ) from exc
    data = torch.as_tensor(np.asarray(raw.data))
    targets = torch.as_tensor(np.asarray(raw.targets), dtype=torch.int64)
    if data.dim() == 4:  # CIFAR: (N, H, W, C) uint8 → (N, C, H, W)
        data = data.permute(0, 3, 1, 2)
    else:
        data = data.unsqueeze(1)  # (N, 1, H, W)
    if limit is not None:
        data, targets = data[:limit], targets[:limit]
    shape = tuple(data.shape[1:])
    X = data.reshape(len(data), -1).float() / 255.0
    classes = tuple(str(c) for c in raw.classes)
    return Dataset(name, X, targets, "multiclass", tuple(f"px{i}" for i in range(X.shape[1])), classes, shape)


def load_torchvision_or_fallback(name: str, root: str | Path = DEFAULT_ROOT, download: bool = False, **kwargs) -> Dataset:
    """Like `load_torchvision`, but offline it returns the built-in digits with a `notice`."""
    try:
        return load_torchvision(name, root=root, download=download, limit=kwargs.get("limit", 5000))
    except DatasetUnavailable as exc:
        return replace(_digits(), notice=f"{exc} Using the built-in 8×8 digits instead.")
