"""The MLP playground: 2-D datasets, feature crosses, a configurable MLP, its decision boundary.

Also the universal-approximation demo (one hidden layer fitting a 1-D function) and the
export of a configured model as a short stand-alone PyTorch script.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, replace

import numpy as np
import torch
from torch import nn

from core.datasets import Dataset, Splits, load_dataset, make_splits
from core.errors import InputError
from core.jobs import TrainingJob
from core.models import ACTIVATIONS, MLPConfig, check_config
from core.trainer import TrainConfig, output_size

SETS = ("circles", "xor", "gaussians", "spiral", "moons")
MULTICLASS_SETS = ("gaussians", "spiral")  # take n_classes
FEATURES = ("x1", "x2", "x1_sq", "x2_sq", "x1x2", "sin_x1", "sin_x2")
FEATURE_TEX = {"x1": "x_1", "x2": "x_2", "x1_sq": "x_1^2", "x2_sq": "x_2^2", "x1x2": "x_1 x_2",
               "sin_x1": "\\sin x_1", "sin_x2": "\\sin x_2"}


@dataclass(frozen=True)
class PlaygroundConfig:
    dataset: str = "spiral"
    n_samples: int = 500
    noise: float = 0.1
    n_classes: int = 2
    test_ratio: float = 0.3
    features: tuple[str, ...] = ("x1", "x2")
    hidden: tuple[int, ...] = (32, 32, 32)
    activation: str = "relu"
    dropout: float = 0.0
    batch_norm: bool = False
    residual: bool = False


DEFAULT = PlaygroundConfig()
DEFAULT_TRAIN = TrainConfig(num_epochs=120, batch_size=64, optimizer="adam", lr=1e-2)


def check_playground(cfg: PlaygroundConfig) -> None:
    """Raise ValueError with a clear reason for impossible settings."""
    if not cfg.features:
        raise InputError("no_features", "choose at least one input feature")
    unknown = set(cfg.features) - set(FEATURES)
    if unknown:
        raise ValueError(f"unknown features {sorted(unknown)}")
    if not 0.05 <= cfg.test_ratio <= 0.8:
        raise InputError("test_share", "the test share must be between 5% and 80%")
    check_config(MLPConfig(len(cfg.features), 2, cfg.hidden, cfg.activation, cfg.dropout))  # the layers' own rules


# --- features --------------------------------------------------------------------------------

def cross_features(X: torch.Tensor, features: tuple[str, ...]) -> torch.Tensor:
    """(N, 2) points → (N, len(features)) columns in the order given."""
    x1, x2 = X[:, 0], X[:, 1]
    cols = {"x1": lambda: x1, "x2": lambda: x2, "x1_sq": lambda: x1 * x1, "x2_sq": lambda: x2 * x2,
            "x1x2": lambda: x1 * x2, "sin_x1": lambda: torch.sin(x1), "sin_x2": lambda: torch.sin(x2)}
    return torch.stack([cols[f]() for f in features], dim=1)


class FeatureCross(nn.Module):
    """Raw (x1, x2) → chosen feature columns, standardized with train-set statistics (buffers)."""

    def __init__(self, features: tuple[str, ...], mean: torch.Tensor, std: torch.Tensor) -> None:
        super().__init__()
        self.features = tuple(features)
        self.register_buffer("mean", mean.clone().float())
        self.register_buffer("std", std.clone().float())

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, 2) → (B, F)
        return (cross_features(x, self.features) - self.mean) / self.std


# --- the model -------------------------------------------------------------------------------

class Block(nn.Module):
    """Linear → [BatchNorm] → activation → [Dropout]; adds its input when `residual` and widths match."""

    def __init__(self, d_in: int, d_out: int, activation: str, dropout: float, batch_norm: bool, residual: bool) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Linear(d_in, d_out)]
        if batch_norm:
            layers.append(nn.BatchNorm1d(d_out))
        layers.append(ACTIVATIONS[activation]())
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        self.body = nn.Sequential(*layers)
        self.skip = residual and d_in == d_out

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        out = self.body(h)
        return h + out if self.skip else out


class PlaygroundNet(nn.Module):
    """FeatureCross → hidden Blocks → linear head (one logit for two classes, else one per class)."""

    def __init__(self, cfg: PlaygroundConfig, n_out: int, mean: torch.Tensor | None = None,
                 std: torch.Tensor | None = None) -> None:
        super().__init__()
        check_playground(cfg)
        f = len(cfg.features)
        self.inputs = FeatureCross(cfg.features, torch.zeros(f) if mean is None else mean,
                                   torch.ones(f) if std is None else std)
        blocks, width = [], f
        for h in cfg.hidden:
            blocks.append(Block(width, h, cfg.activation, cfg.dropout, cfg.batch_norm, cfg.residual))
            width = h
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Linear(width, n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, 2) → (B, n_out)
        return self.head(self.blocks(self.inputs(x)))


def parameter_formula(cfg: PlaygroundConfig, n_out: int) -> tuple[int, list[tuple[str, int]]]:
    """Trainable parameters by formula: Σ (d_in·d_out + d_out) over linear layers, + 2·d per BatchNorm."""
    rows, width = [], len(cfg.features)
    for i, h in enumerate(cfg.hidden, 1):
        rows.append((f"Linear {i}: {width}·{h} + {h}", width * h + h))
        if cfg.batch_norm:
            rows.append((f"BatchNorm {i}: 2·{h}", 2 * h))
        width = h
    rows.append((f"Head: {width}·{n_out} + {n_out}", width * n_out + n_out))
    return sum(n for _, n in rows), rows


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# --- data ------------------------------------------------------------------------------------

def load_points(cfg: PlaygroundConfig, seed: int = 0) -> Dataset:
    """One of the synthetic 2-D sets with the config's size, noise and (where it applies) classes."""
    kwargs = dict(n_samples=cfg.n_samples, noise=cfg.noise, seed=seed)
    if cfg.dataset in MULTICLASS_SETS:
        kwargs["n_classes"] = cfg.n_classes
    return load_dataset(cfg.dataset, **kwargs)


def check_points(ds: Dataset) -> None:
    """A dataset the playground can draw: two numeric features and class labels."""
    if ds.num_features != 2:
        raise InputError("two_features", f"the playground needs exactly 2 features (x1, x2); this data has {ds.num_features}",
                         n=ds.num_features)
    if ds.task == "regression":
        raise InputError("needs_classes", "the playground classifies points; the target column must hold class labels")
    if len(ds.y) < 10:
        raise InputError("few_points", "the playground needs at least 10 points", n=10)


def playground_splits(ds: Dataset, test_ratio: float, seed: int = 0) -> Splits:
    """Train and test points; the test points double as the validation set the trainer scores each epoch."""
    check_points(ds)
    s = make_splits(ds, val_frac=test_ratio, test_frac=0.0, seed=seed)
    return replace(s, X_test=s.X_val, y_test=s.y_val)


def feature_stats(X_train: torch.Tensor, features: tuple[str, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    Z = cross_features(X_train, features)
    std = Z.std(dim=0, unbiased=False)
    return Z.mean(dim=0), torch.where(std < 1e-6, torch.ones_like(std), std)


def build_net(cfg: PlaygroundConfig, data: Splits) -> PlaygroundNet:
    mean, std = feature_stats(data.X_train, cfg.features)
    return PlaygroundNet(cfg, output_size(data.task, data.num_classes), mean, std)


def make_playground_job(cfg: PlaygroundConfig, train: TrainConfig, ds: Dataset | None = None, **meta) -> TrainingJob:
    """A ready-to-start training job for the playground (raises ValueError for impossible settings)."""
    check_playground(cfg)
    ds = ds if ds is not None else load_points(cfg, seed=train.seed)
    data = playground_splits(ds, cfg.test_ratio, seed=train.seed)
    build_net(cfg, data)  # fail fast, before a thread starts
    return TrainingJob(lambda: build_net(cfg, data), data, train, meta={"page": "31_mlp", "dataset": ds.name, **meta})


# --- the decision boundary -------------------------------------------------------------------

def plot_extent(X: torch.Tensor, margin: float = 0.15) -> tuple[float, float, float, float]:
    lo, hi = X.min(dim=0).values, X.max(dim=0).values
    pad = (hi - lo) * margin + 1e-3
    return float(lo[0] - pad[0]), float(hi[0] + pad[0]), float(lo[1] - pad[1]), float(hi[1] + pad[1])


@torch.no_grad()
def boundary_grid(model: nn.Module, extent: tuple[float, float, float, float], resolution: int = 40) -> dict:
    """Class and confidence on a resolution² grid. Runs on a copy, so a model training in another
    thread keeps its train mode and weights."""
    x0, x1, y0, y1 = extent
    net = copy.deepcopy(model).cpu().eval()
    xs, ys = torch.linspace(x0, x1, resolution), torch.linspace(y0, y1, resolution)
    gx, gy = torch.meshgrid(xs, ys, indexing="xy")
    out = net(torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1))  # (R², n_out)
    if out.shape[1] == 1:
        p1 = torch.sigmoid(out[:, 0])
        probs = torch.stack([1 - p1, p1], dim=1)
    else:
        probs = torch.softmax(out, dim=1)
    conf, cls = probs.max(dim=1)
    return {"x": gx.reshape(-1).numpy(), "y": gy.reshape(-1).numpy(), "cls": cls.numpy(), "conf": conf.numpy(),
            "dx": (x1 - x0) / (resolution - 1), "dy": (y1 - y0) / (resolution - 1)}


@torch.no_grad()
def predict_points(model: nn.Module, X: torch.Tensor) -> torch.Tensor:
    net = copy.deepcopy(model).cpu().eval()
    out = net(X.cpu())
    return (out[:, 0] > 0).long() if out.shape[1] == 1 else out.argmax(dim=1)


# --- universal approximation ------------------------------------------------------------------

TARGETS = {
    "sin": lambda x: torch.sin(3 * x),
    "abs": lambda x: x.abs(),
    "step": lambda x: (x > 0).float(),
    "cube": lambda x: x**3,
    "gauss": lambda x: torch.exp(-8 * x**2),
    "sawtooth": lambda x: 2 * ((2 * x) % 1.0) - 1,
}


def target_points(name: str, n: int = 256) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.linspace(-1.5, 1.5, n).unsqueeze(1)
    return x, TARGETS[name](x).squeeze(1)


def approx_splits(name: str, n: int = 256) -> Splits:
    """The target on an even grid: every other point trains, the rest measure the fit."""
    x, y = target_points(name, n)
    ds = Dataset(f"target_{name}", x, y, "regression", ("x",))
    tr, va = slice(0, None, 2), slice(1, None, 2)
    return Splits(x[tr], y[tr], x[va], y[va], x[va], y[va], source=ds)


def approximator(units: int, activation: str = "tanh") -> nn.Module:
    """One hidden layer of `units` neurons: the network of the universal approximation theorem."""
    if units < 1:
        raise InputError("hidden_units", "use at least one hidden unit")
    return nn.Sequential(nn.Linear(1, units), ACTIVATIONS[activation](), nn.Linear(units, 1), nn.Flatten(0))


def make_approx_job(name: str, units: int, activation: str, train: TrainConfig) -> TrainingJob:
    if name not in TARGETS:
        raise ValueError(f"unknown target {name!r}")
    approximator(units, activation)
    data = approx_splits(name)
    return TrainingJob(lambda: approximator(units, activation), data, train, meta={"page": "31_mlp", "target": name})


@torch.no_grad()
def approx_curve(model: nn.Module, name: str, n: int = 200) -> dict[str, np.ndarray]:
    x, y = target_points(name, n)
    net = copy.deepcopy(model).cpu().eval()
    return {"x": x.squeeze(1).numpy(), "target": y.numpy(), "fit": net(x).numpy()}


def random_feature_r2(name: str, units: int, activation: str, seed: int = 0) -> float:
    """R² on the target's grid of one hidden layer with random fixed input weights and a least-squares output layer.

    `activation` may also be "square" (x²): then every hidden unit is a quadratic in x, so is their sum, and no
    width helps; a non-polynomial activation keeps improving with width, as the theorem requires.
    """
    x, y = target_points(name)
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(1, units, generator=g, dtype=torch.float64) * 2
    b = torch.empty(units, dtype=torch.float64).uniform_(-3, 3, generator=g)
    z = x.double() @ w + b                                                  # (n, units)
    h = z.square() if activation == "square" else ACTIVATIONS[activation]()(z)
    features = torch.cat([h, torch.ones(len(x), 1, dtype=torch.float64)], dim=1)
    coef = torch.linalg.lstsq(features, y.double().unsqueeze(1), driver="gelsd").solution
    residual = features @ coef - y.double().unsqueeze(1)
    return float(1 - residual.square().sum() / (y.double() - y.double().mean()).square().sum())


# --- checks against the libraries ------------------------------------------------------------

def feature_check(X: torch.Tensor) -> dict[str, float]:
    """Max |difference| of our crosses from sklearn's PolynomialFeatures(2) and of sin from numpy."""
    from sklearn.preprocessing import PolynomialFeatures

    X64 = X.double()
    ours = cross_features(X64, ("x1", "x2", "x1_sq", "x1x2", "x2_sq")).numpy()  # sklearn's column order
    ref = PolynomialFeatures(degree=2, include_bias=False).fit_transform(X64.numpy())
    sin = cross_features(X64, ("sin_x1", "sin_x2")).numpy()
    return {"poly": float(np.abs(ours - ref).max()), "sin": float(np.abs(sin - np.sin(X64.numpy())).max())}


def accuracy_vs_sklearn(job: TrainingJob) -> tuple[float, float]:
    """The trainer's test (val) accuracy at the best epoch against sklearn's accuracy_score."""
    from sklearn.metrics import accuracy_score

    model = job.best_model()
    best = next(r for r in job.records if r.epoch == job.best.best_epoch) if job.best.best_epoch else job.records[-1]
    pred = predict_points(model, job.data.X_test)
    return float(best.val_score), float(accuracy_score(job.data.y_test.cpu().numpy(), pred.numpy()))
