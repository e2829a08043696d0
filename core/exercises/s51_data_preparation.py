"""5.1 Data preparation: a Dataset subclass read through a DataLoader, and a robust scaler fitted on train only."""
from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, TensorDataset

from core.exercises.base import Case, Check, Mistake, exercise
from core.exercises.checks import randint, randn

SECTION = "51_data_preparation"


# ---- 5.1-dataset ------------------------------------------------------------------------------

def dataset_batches(data: torch.Tensor, labels: torch.Tensor, transform, batch_size: int) -> list:
    """Wrap (data, labels) in a Dataset subclass, read it with a DataLoader in order, and return the list of batches."""

    class PairDataset(Dataset):
        def __init__(self, data, labels, transform=None):
            self.data, self.labels, self.transform = data, labels, transform

        def __len__(self):
            return len(self.data)  # the number of samples, not of features

        def __getitem__(self, idx):
            sample = self.data[idx]
            if self.transform is not None:  # a transform works on one sample at a time
                sample = self.transform(sample)
            return sample, self.labels[idx]

    loader = DataLoader(PairDataset(data, labels, transform), batch_size=batch_size, shuffle=False)
    return [batch for batch in loader]  # each batch: [samples (B, ...), labels (B,)]; the last one may be smaller


def _dataset_library(data, labels, transform, batch_size):
    samples = data if transform is None else torch.stack([transform(x) for x in data])
    return list(DataLoader(TensorDataset(samples, labels), batch_size=batch_size))


def _dataset_cases(gen: torch.Generator) -> list[Case]:
    n, f = randint(gen, 9, 15), randint(gen, 2, 5)
    c, length = randint(gen, 2, 4), randint(gen, 3, 6)
    mean, std = round(float(randn(gen, 1)), 2), round(0.5 + float(randn(gen, 1).abs()), 2)
    b = randint(gen, 3, 5)
    while n % b == 0:
        n += 1  # a smaller last batch

    def classes(k: int) -> torch.Tensor:
        return torch.randint(0, 3, (k,), generator=gen)

    def standardize(x):
        return (x - mean) / std

    def center(x):
        return x - x.mean()

    def flip(x):
        return x.flip(-1)

    return [
        Case("pairs_table", (randn(gen, n, f), classes(n), None, b)),
        Case("standardize_transform", (randn(gen, n, f, scale=3.0), classes(n), standardize, b),
             {"transform": f"lambda x: (x - {mean}) / {std}"}),
        Case("center_each_sample", (randn(gen, n, c, length) + 2.0, classes(n), center, b),
             {"transform": "lambda x: x - x.mean()"}),
        Case("batch_size_one", (randn(gen, 4, f), classes(4), None, 1)),
        Case("loader_one_batch", (randn(gen, n, f), classes(n), None, n + 3)),
        Case("float64", (randn(gen, n, c, length, dtype=torch.float64), randn(gen, n, dtype=torch.float64), flip, b),
             {"transform": "lambda x: x.flip(-1)"}),
    ]


def _batches(samples, labels, batch_size, drop_last=False):
    return list(DataLoader(TensorDataset(samples, labels), batch_size=batch_size, drop_last=drop_last))


def _per_sample(data, transform):
    return data if transform is None else torch.stack([transform(x) for x in data])


def _on_batches(data, labels, transform, batch_size):
    batches = _batches(data, labels, batch_size)
    return [[x if transform is None else transform(x), y] for x, y in batches]


DATASET = exercise("5.1-dataset", SECTION, dataset_batches, Check(
    cases=_dataset_cases, library=_dataset_library, library_name="DataLoader(TensorDataset)",
    mistakes=(
        Mistake("no_transform", lambda data, labels, transform, batch_size: _batches(data, labels, batch_size)),
        Mistake("drop_last", lambda data, labels, transform, batch_size: _batches(
            _per_sample(data, transform), labels, batch_size, drop_last=True)),
        Mistake("transform_on_batch", _on_batches),
        Mistake("transform_on_batch", lambda data, labels, transform, batch_size: _batches(
            data if transform is None else transform(data), labels, batch_size)),  # the whole tensor at once
    )), imports="import torch\nfrom torch.utils.data import DataLoader, Dataset")


# ---- 5.1-robust-scaler ------------------------------------------------------------------------

def robust_scale(X_train: torch.Tensor, X_val: torch.Tensor):
    """Fit a robust scaler (median, interquartile range) on X_train only; return (scaled train, scaled val)."""
    q = torch.quantile(X_train, torch.tensor([0.25, 0.5, 0.75], dtype=X_train.dtype), dim=0)  # (3, d), per column
    median, iqr = q[1], q[2] - q[0]
    iqr = torch.where(iqr == 0, torch.ones_like(iqr), iqr)  # a constant column: scale by 1, as sklearn does
    return (X_train - median) / iqr, (X_val - median) / iqr  # the validation rows reuse the train statistics


def _robust_library(X_train, X_val):
    from sklearn.preprocessing import RobustScaler

    scaler = RobustScaler().fit(X_train.numpy())
    return tuple(torch.from_numpy(np.asarray(scaler.transform(X.numpy()))).to(X.dtype) for X in (X_train, X_val))


def _table(gen: torch.Generator, n: int, d: int, dtype=torch.float32, outliers: bool = True) -> torch.Tensor:
    X = randn(gen, n, d, dtype=dtype, scale=2.0) + randn(gen, d, dtype=dtype, scale=5.0)
    if outliers:
        rows = torch.randint(0, n, (max(1, n // 8),), generator=gen)
        X[rows, 0] += 40.0  # a few extreme values in the first column
    return X


def _robust_cases(gen: torch.Generator) -> list[Case]:
    n, m, d = 2 * randint(gen, 6, 12), randint(gen, 3, 8), randint(gen, 2, 5)
    constant = _table(gen, n, d)
    constant[:, 1] = 3.0  # the same value in every train row; the validation rows differ
    return [
        Case("train_outliers", (_table(gen, n, d), _table(gen, m, d))),
        Case("odd_train_rows", (_table(gen, n + 1, d), _table(gen, m, d))),
        Case("single_feature", (_table(gen, n, 1), _table(gen, m, 1))),
        Case("constant_column", (constant, _table(gen, m, d))),
        Case("one_val_row", (_table(gen, n, d, outliers=False), _table(gen, 1, d))),
        Case("float64", (_table(gen, n, d, torch.float64), _table(gen, m, d, torch.float64))),
    ]


def _robust_timing(gen: torch.Generator) -> Case:
    return Case("timing", (_table(gen, 20000, 32), _table(gen, 5000, 32)))


def _robust_variant(fit: str = "train", median: str = "quantile", zero_iqr: str = "one"):
    def stats(X):
        q = torch.quantile(X, torch.tensor([0.25, 0.5, 0.75], dtype=X.dtype), dim=0)
        centre = X.median(dim=0).values if median == "lower" else q[1]
        iqr = q[2] - q[0]
        iqr = torch.where(iqr == 0, torch.ones_like(iqr), iqr) if zero_iqr == "one" else iqr + 1e-8
        return centre, iqr

    def scale(X_train, X_val):
        centre, iqr = stats(torch.cat([X_train, X_val]) if fit == "all" else X_train)
        if fit == "each":
            val_centre, val_iqr = stats(X_val)
            return (X_train - centre) / iqr, (X_val - val_centre) / val_iqr
        return (X_train - centre) / iqr, (X_val - centre) / iqr
    return scale


def _standard(X_train, X_val):
    mean, std = X_train.mean(dim=0), X_train.std(dim=0)
    return (X_train - mean) / std, (X_val - mean) / std


ROBUST_SCALER = exercise("5.1-robust-scaler", SECTION, robust_scale, Check(
    cases=_robust_cases, library=_robust_library, library_name="sklearn RobustScaler", timing=_robust_timing,
    mistakes=(
        Mistake("fit_on_all", _robust_variant(fit="all")),
        Mistake("val_own_stats", _robust_variant(fit="each")),
        Mistake("lower_median", _robust_variant(median="lower")),
        Mistake("eps_not_one", _robust_variant(zero_iqr="eps")),
        Mistake("standard_scaler", _standard),
    )))

EXERCISES = (DATASET, ROBUST_SCALER)
