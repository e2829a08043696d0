"""A `Recipe` is everything a run needs (data, scaling, model, training), as one frozen value.

Pages build a recipe from widgets; tests, benchmarks and the run history build the same
recipe in code and get the same run.
"""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass, field, replace

from torch import nn

from core.datasets import Dataset, Splits, load_dataset, make_splits
from core.errors import InputError
from core.jobs import TrainingJob
from core.models import CNNConfig, MLPConfig, RegressorConfig, build_model
from core.preprocessing import make_scaler
from core.trainer import TrainConfig, output_size

MODELS = ("mlp", "cnn")


@dataclass(frozen=True)
class Recipe:
    dataset: str = "digits"
    model: str = "mlp"
    hidden: tuple[int, ...] = (128, 64)
    activation: str = "relu"
    dropout: float = 0.1
    batch_norm: bool = False
    scaler: str = "zscore"
    val_frac: float = 0.15
    test_frac: float = 0.15
    train: TrainConfig = field(default_factory=lambda: TrainConfig(num_epochs=30, lr=1e-3, batch_size=64))

    def as_dict(self) -> dict:
        return asdict(self)


DIGITS_MLP = Recipe()
DIGITS_CNN = Recipe(model="cnn", scaler="none", dropout=0.25,
                    train=TrainConfig(num_epochs=20, lr=3e-3, batch_size=64, scheduler="cosine"))


# Splits by what makes them, shared process-wide: pages call `prepare_data` on every rerun. Cached
# Splits are shared, so nothing may change their tensors in place (jobs and hosted-mode clamps
# build new ones); a test checks the tensors' version counters after a run.
_SPLITS: OrderedDict[tuple, Splits] = OrderedDict()
_SPLITS_LOCK = threading.Lock()
MAX_CACHED_SPLITS = 8
MAX_CACHED_BYTES = 512 * 2**20


def _dataset_key(ds: Dataset) -> tuple:
    """A dataset by content: an uploaded CSV keeps its name when its values change."""
    digest = hashlib.blake2b(digest_size=16)
    for x in (ds.X, ds.y):
        digest.update(x.detach().cpu().contiguous().numpy().data)
    return (ds.name, ds.task, tuple(ds.X.shape), str(ds.X.dtype), str(ds.y.dtype), ds.feature_names, ds.class_names,
            ds.image_shape, ds.notice, digest.hexdigest())


def _nbytes(data: Splits) -> int:
    return sum(x.element_size() * x.nelement() for x in (data.X_train, data.y_train, data.X_val, data.y_val,
                                                         data.X_test, data.y_test))


def prepare_data(recipe: Recipe, dataset: Dataset | None = None) -> Splits:
    """Load (or take) the dataset, split it with the recipe's seed, scale on train only.
    The same dataset, seed, fractions and scaler give the same `Splits` object back, not a copy."""
    source = ("named", recipe.dataset) if dataset is None else ("given", _dataset_key(dataset))
    key = (source, recipe.train.seed, recipe.val_frac, recipe.test_frac, recipe.scaler)
    with _SPLITS_LOCK:
        if key in _SPLITS:
            _SPLITS.move_to_end(key)
            return _SPLITS[key]
    ds = dataset if dataset is not None else load_dataset(recipe.dataset, seed=recipe.train.seed)
    data = make_splits(ds, recipe.val_frac, recipe.test_frac, seed=recipe.train.seed).scaled(make_scaler(recipe.scaler))
    with _SPLITS_LOCK:
        data = _SPLITS.setdefault(key, data)  # a rerun that made the same splits meanwhile: keep one
        _SPLITS.move_to_end(key)
        while len(_SPLITS) > 1 and (len(_SPLITS) > MAX_CACHED_SPLITS
                                    or sum(map(_nbytes, _SPLITS.values())) > MAX_CACHED_BYTES):
            _SPLITS.popitem(last=False)
    return data


def model_config(recipe: Recipe, data: Splits):
    """The model's frozen config, sized to the data."""
    ds = data.source
    if recipe.model == "cnn":
        if ds.image_shape is None:
            raise InputError("cnn_tabular", f"a CNN needs image data, and {ds.name} is tabular; choose the MLP", name=ds.name)
        return CNNConfig(image_shape=ds.image_shape, num_classes=ds.num_classes, dropout=recipe.dropout)
    if ds.task == "regression":
        return RegressorConfig(ds.num_features, recipe.hidden, recipe.activation, recipe.dropout)
    return MLPConfig(ds.num_features, output_size(ds.task, ds.num_classes), recipe.hidden, recipe.activation,
                     recipe.dropout, recipe.batch_norm)


def make_job(recipe: Recipe, data: Splits | None = None, device: str | None = None, **meta) -> TrainingJob:
    """A ready-to-start job for `recipe`; `device` overrides the recipe's."""
    if device is not None:
        recipe = replace(recipe, train=replace(recipe.train, device=str(device)))
    data = data if data is not None else prepare_data(recipe)
    config = model_config(recipe, data)
    build_model(config)  # fail fast on impossible settings, before a thread starts

    def build() -> nn.Module:
        return build_model(config)

    return TrainingJob(build, data, recipe.train, meta={"recipe": recipe.as_dict(), "dataset": data.source.name, **meta})
