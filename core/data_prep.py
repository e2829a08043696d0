"""Data preparation demos: scalers under outliers, scaling leakage, and DataLoader throughput."""
from __future__ import annotations

import multiprocessing
import time
import warnings
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import BatchSampler, DataLoader, RandomSampler, SequentialSampler
from torch.utils.data import Dataset as TorchDataset

from core.preprocessing import make_scaler
from core.spawn import spawn_without_parent_main

SCALER_NAMES = ("zscore", "minmax", "robust")
SKLEARN_SCALERS = {"zscore": "StandardScaler", "minmax": "MinMaxScaler", "robust": "RobustScaler"}
# sklearn is imported inside the functions that need it: spawned DataLoader workers import this
# module, and every import they skip shortens their start-up


# --- scalers under outliers ------------------------------------------------------------------

@dataclass(frozen=True)
class OutlierFeature:
    """One feature: `x` (N,), `is_outlier` (N,) bool, and the first `n_train` rows form the train split."""

    x: np.ndarray
    is_outlier: np.ndarray
    n_train: int


def feature_with_outliers(n: int = 600, outlier_frac: float = 0.02, magnitude: float = 15.0, seed: int = 0,
                          train_frac: float = 0.7) -> OutlierFeature:
    """A bell-shaped feature (mean 50, std 10) where a share of points sits `magnitude` stds above the mean."""
    if not 0 <= outlier_frac < 0.5:
        raise ValueError("the outlier share must be in [0, 0.5)")
    rng = np.random.default_rng(seed)
    x = rng.normal(50.0, 10.0, size=n)
    is_outlier = rng.random(n) < outlier_frac
    x[is_outlier] = 50.0 + 10.0 * magnitude * rng.uniform(0.8, 1.2, size=int(is_outlier.sum()))
    return OutlierFeature(x, is_outlier, max(2, int(round(train_frac * n))))


@dataclass(frozen=True)
class ScaledFeature:
    name: str
    center: float
    scale: float
    values: np.ndarray  # (N,) the whole feature, transformed with statistics from the train rows
    inlier_iqr: float  # interquartile range of the normal points after scaling: the room they get


def scale_feature(feature: OutlierFeature, name: str) -> ScaledFeature:
    """Fit scaler `name` on the train rows only and transform every row."""
    X = torch.as_tensor(feature.x, dtype=torch.float64).reshape(-1, 1)
    scaler = make_scaler(name).fit(X[: feature.n_train])
    values = scaler.transform(X).reshape(-1).numpy()
    q1, q3 = np.percentile(values[~feature.is_outlier], [25, 75])
    return ScaledFeature(name, float(scaler.center[0]), float(scaler.scale[0]), values, float(q3 - q1))


def scaler_reference_data(n: int = 300, outlier_frac: float = 0.03, seed: int = 0) -> np.ndarray:
    """(N, 4) float64 test matrix: a normal column, one with outliers, a constant one, a skewed one."""
    rng = np.random.default_rng(seed)
    normal = rng.normal(5.0, 2.0, n)
    spiky = rng.normal(0.0, 1.0, n)
    spiky[rng.random(n) < outlier_frac] = 1e3
    constant = np.full(n, 7.5)
    skewed = rng.exponential(3.0, n)
    return np.stack([normal, spiky, constant, skewed], axis=1)


def compare_with_sklearn(X: np.ndarray, n_train: int | None = None) -> list[dict]:
    """Our torch scalers against sklearn's on float64 data: max |difference| of each step."""
    from sklearn import preprocessing as skp

    X = np.asarray(X, dtype=np.float64)
    train = X[: n_train or len(X)]
    rows = []
    for name in SCALER_NAMES:
        ours = make_scaler(name).fit(torch.as_tensor(train))
        ref = getattr(skp, SKLEARN_SCALERS[name])().fit(train)
        Xt = torch.as_tensor(X)
        z_ours = ours.transform(Xt).numpy()
        z_ref = ref.transform(X)
        back_ours = ours.inverse_transform(torch.as_tensor(z_ref)).numpy()
        back_ref = ref.inverse_transform(z_ref)
        rows.append({
            "scaler": name,
            "sklearn": type(ref).__name__,
            "transform": float(np.abs(z_ours - z_ref).max()),
            "inverse_transform": float(np.abs(back_ours - back_ref).max()),
            "round_trip": float(np.abs(ours.inverse_transform(torch.as_tensor(z_ours)).numpy() - X).max()),
            "finite": bool(np.isfinite(z_ours).all()),
        })
    return rows


# --- leakage: fit the scaler on all rows or on train only ------------------------------------

@dataclass(frozen=True)
class LeakageResult:
    feature_names: tuple[str, ...]
    center_train: np.ndarray  # (F,) statistics the scaler learned from the train rows (first split)
    center_all: np.ndarray  # (F,) ... from every row, validation included
    scale_train: np.ndarray
    scale_all: np.ndarray
    score_clean: np.ndarray  # (R,) validation score per repeat, scaler fitted on train only
    score_leaky: np.ndarray  # (R,) the same splits, scaler fitted on all rows
    metric: str  # "accuracy" or "r2"

    @property
    def center_shift(self) -> np.ndarray:
        """How far the leaked center moved, in units of the clean scale, per feature."""
        return np.abs(self.center_all - self.center_train) / self.scale_train

    @property
    def mean_gap(self) -> float:
        return float((self.score_leaky - self.score_clean).mean())


def _quick_model(task: str):
    """k-nearest neighbours: distances depend directly on how each feature is scaled."""
    from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

    return KNeighborsRegressor(5) if task == "regression" else KNeighborsClassifier(5)


def leakage_experiment(X: np.ndarray, y: np.ndarray, task: str, scaler: str = "zscore", train_frac: float = 0.2,
                       repeats: int = 20, seed: int = 0, feature_names: tuple[str, ...] = ()) -> LeakageResult:
    """Over `repeats` random train/val splits, score a k-NN model with the scaler fitted two ways."""
    if not 0.05 <= train_frac <= 0.9:
        raise ValueError("the train share must be between 5% and 90%")
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    n = len(X)
    n_train = max(6, int(round(train_frac * n)))
    if n - n_train < 2:
        raise ValueError("the validation split is empty")
    rng = np.random.default_rng(seed)
    clean, leaky, stats = [], [], None
    for r in range(repeats):
        perm = rng.permutation(n)
        tr, va = perm[:n_train], perm[n_train:]
        fitted = {}
        for how, rows in (("clean", tr), ("leaky", perm)):
            sc = make_scaler(scaler).fit(torch.as_tensor(X[rows]))
            Xs = sc.transform(torch.as_tensor(X)).numpy()
            model = _quick_model(task).fit(Xs[tr], y[tr])
            score = float(model.score(Xs[va], y[va]))  # accuracy, or R² for regression
            (clean if how == "clean" else leaky).append(score)
            fitted[how] = sc
        if r == 0:
            stats = fitted
    names = feature_names or tuple(f"x{i}" for i in range(X.shape[1]))
    return LeakageResult(
        names,
        stats["clean"].center.numpy(), stats["leaky"].center.numpy(),
        stats["clean"].scale.numpy(), stats["leaky"].scale.numpy(),
        np.array(clean), np.array(leaky), "r2" if task == "regression" else "accuracy",
    )


# --- Dataset / DataLoader throughput ---------------------------------------------------------

class TensorPairs(TorchDataset):
    """(x, y) pairs from two tensors; lives in core so spawned DataLoader workers can import it."""

    def __init__(self, X: torch.Tensor, y: torch.Tensor) -> None:
        self.X, self.y = X, y

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, idx):
        # an int gives one sample (collated later); a list of ints gives a whole batch at once
        return self.X[idx], self.y[idx]


@dataclass(frozen=True)
class LoaderSettings:
    method: str = "dataloader"  # "index" (what core.trainer.fit does) | "dataloader" | "batched" (BatchSampler)
    batch_size: int = 64
    shuffle: bool = True
    num_workers: int = 0
    pin_memory: bool = False


@dataclass(frozen=True)
class Throughput:
    settings: LoaderSettings
    samples: int
    seconds: float
    first_batch_seconds: float  # start-up: worker processes, first fetch
    epochs: int

    @property
    def samples_per_s(self) -> float:
        return self.samples / max(self.seconds, 1e-9)


def synthetic_tensors(n: int = 20_000, num_features: int = 64, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, num_features, generator=g), torch.randint(0, 10, (n,), generator=g)


def _index_batches(X: torch.Tensor, y: torch.Tensor, s: LoaderSettings, gen: torch.Generator):
    """Batches cut from tensors already in memory by an index tensor, as `core.trainer.fit` does."""
    n = len(y)
    order = torch.randperm(n, generator=gen) if s.shuffle else torch.arange(n)
    for i in range(0, n, s.batch_size):
        idx = order[i : i + s.batch_size]
        yield X[idx], y[idx]


class SpawningLoader(DataLoader):
    """A DataLoader whose spawned workers import only what they unpickle, never the parent's script."""

    def _get_iterator(self):
        if self.num_workers == 0:
            return super()._get_iterator()
        with spawn_without_parent_main():
            return super()._get_iterator()


def make_loader(X: torch.Tensor, y: torch.Tensor, s: LoaderSettings, seed: int = 0,
                timeout_s: float = 120.0) -> DataLoader:
    """A DataLoader for the settings. Workers are spawned: forking a threaded server can deadlock."""
    ds = TensorPairs(X, y)
    gen = torch.Generator().manual_seed(seed)
    pin = s.pin_memory and torch.cuda.is_available()  # pinning needs an accelerator to copy to
    workers = dict(num_workers=s.num_workers)
    if s.num_workers > 0:
        workers.update(multiprocessing_context=multiprocessing.get_context("spawn"), timeout=timeout_s)
    if s.method == "batched":
        base = RandomSampler(ds, generator=gen) if s.shuffle else SequentialSampler(ds)
        sampler = BatchSampler(base, s.batch_size, drop_last=False)
        return SpawningLoader(ds, sampler=sampler, batch_size=None, pin_memory=pin, **workers)
    return SpawningLoader(ds, batch_size=s.batch_size, shuffle=s.shuffle, generator=gen, pin_memory=pin, **workers)


def measure_throughput(X: torch.Tensor, y: torch.Tensor, s: LoaderSettings, max_seconds: float = 1.0,
                       max_epochs: int = 20, seed: int = 0) -> Throughput:
    """Samples per second when every batch is fetched and touched (summed), epochs until `max_seconds`.

    The clock includes start-up (building the iterator, starting workers): that is what a short run pays.
    """
    if s.batch_size < 1 or s.num_workers < 0:
        raise ValueError("the batch size must be ≥ 1 and the number of workers ≥ 0")
    gen = torch.Generator().manual_seed(seed)
    loader = None if s.method == "index" else make_loader(X, y, s, seed)
    samples, epochs, first = 0, 0, None
    sink = torch.zeros(())
    threads = torch.get_num_threads()
    # one intra-op thread, as in DataLoader workers: on a busy CPU a thread pool spinning on tiny
    # tensors would swamp the batching cost being measured
    torch.set_num_threads(1)
    try:
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # pin_memory without an accelerator
            while epochs < max_epochs:
                batches = _index_batches(X, y, s, gen) if loader is None else iter(loader)
                for xb, yb in batches:
                    sink += xb.sum()  # touch the data so nothing is skipped
                    samples += len(yb)
                    if first is None:
                        first = time.perf_counter() - start
                epochs += 1
                if time.perf_counter() - start >= max_seconds:
                    break
        seconds = time.perf_counter() - start
    finally:
        torch.set_num_threads(threads)
    return Throughput(s, samples, seconds, first or seconds, epochs)


def throughput_suite(batch_size: int, shuffle: bool, num_workers: int, pin_memory: bool, n: int = 20_000,
                     num_features: int = 64, max_seconds: float = 1.0, seed: int = 0) -> list[Throughput]:
    """In-memory indexing, a per-sample DataLoader, a batched DataLoader, and the batched one with workers."""
    X, y = synthetic_tensors(n, num_features, seed)
    base = LoaderSettings("index", batch_size, shuffle, 0, False)
    variants = [
        base,
        LoaderSettings("dataloader", batch_size, shuffle, 0, pin_memory),
        LoaderSettings("batched", batch_size, shuffle, 0, pin_memory),
    ]
    if num_workers > 0:
        variants.append(LoaderSettings("batched", batch_size, shuffle, num_workers, pin_memory))
    # worker runs get one epoch past their start-up, never an unbounded number
    return [measure_throughput(X, y, v, max_seconds, max_epochs=20 if v.num_workers == 0 else 2, seed=seed)
            for v in variants]


# --- what a DataLoader yields: its options on a dataset small enough to read -------------------

class Numbered(TorchDataset):
    """Sample i is the number i: shows which samples each batch got. A Dataset needs __len__ and __getitem__."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> int:
        if not 0 <= i < self.n:
            raise IndexError(i)
        return i


def loader_batches(n: int, batch_size: int, shuffle: bool, drop_last: bool, seed: int = 0) -> list[list[int]]:
    """The sample indices of every batch one epoch of DataLoader(Numbered(n), …) yields."""
    gen = torch.Generator().manual_seed(seed)
    loader = DataLoader(Numbered(n), batch_size=batch_size, shuffle=shuffle, drop_last=drop_last, generator=gen)
    return [batch.tolist() for batch in loader]


def pad_collate(batch: list[tuple[torch.Tensor, int]]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """A collate_fn for sequences of different lengths: pad them to the longest, keep the true lengths."""
    seqs, labels = zip(*batch)
    lengths = torch.tensor([len(s) for s in seqs])
    padded = torch.nn.utils.rnn.pad_sequence(list(seqs), batch_first=True)      # (B, max_len)
    return padded, lengths, torch.tensor(labels)


def collate_demo(lengths: tuple[int, ...] = (2, 5, 3, 4), batch_size: int = 4) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One batch of variable-length sequences through DataLoader(collate_fn=pad_collate)."""
    data = [(torch.arange(1, n + 1), i % 2) for i, n in enumerate(lengths)]
    return next(iter(DataLoader(data, batch_size=batch_size, collate_fn=pad_collate)))
