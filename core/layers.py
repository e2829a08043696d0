"""4.1 Layers: parameter counts, normalization by hand, activations, DropBlock2d, overfitting demo."""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from core.datasets import Splits, load_dataset, make_splits
from core.errors import InputError
from core.jobs import TrainingJob
from core.models import MLP, MLPConfig
from core.preprocessing import make_scaler
from core.trainer import TrainConfig

NORMS = ("batch", "layer", "group", "instance")
ACTIVATION_NAMES = ("relu", "leaky_relu", "elu", "silu", "gelu", "sigmoid", "tanh")
LEAKY_SLOPE = 0.01
ELU_ALPHA = 1.0


# --- Linear -------------------------------------------------------------------------------------

def linear_params(in_features: int, out_features: int, bias: bool = True) -> int:
    """Weights in·out plus one bias per output."""
    return in_features * out_features + (out_features if bias else 0)


def counted_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


# --- normalization ------------------------------------------------------------------------------

def norm_groups(kind: str, shape: tuple[int, int, int, int], groups: int = 2) -> np.ndarray:
    """(N, C) array of statistic-group ids: cells with the same id share one mean and variance."""
    n, c = shape[0], shape[1]
    ns, cs = np.meshgrid(np.arange(n), np.arange(c), indexing="ij")  # (N, C)
    if kind == "batch":
        return cs  # one group per channel, across the batch
    if kind == "layer":
        return ns  # one group per sample, across all channels
    if kind == "instance":
        return ns * c + cs  # one group per (sample, channel)
    if kind == "group":
        check_groups(c, groups)
        return ns * groups + cs // (c // groups)
    raise ValueError(f"unknown normalization {kind!r}")


def check_groups(channels: int, groups: int) -> None:
    if groups < 1 or channels % groups:
        raise InputError("norm_groups", f"{channels} channels cannot be split into {groups} equal groups",
                         channels=channels, groups=groups)


def normalize(x: torch.Tensor, kind: str, groups: int = 2, eps: float = 1e-5) -> torch.Tensor:
    """(N, C, H, W) → same shape, normalized over the axes that `kind` pools (no affine part)."""
    n, c, h, w = x.shape
    if kind == "batch":
        dims, view = (0, 2, 3), x
    elif kind == "layer":
        dims, view = (1, 2, 3), x
    elif kind == "instance":
        dims, view = (2, 3), x
    elif kind == "group":
        check_groups(c, groups)
        dims, view = (2, 3, 4), x.reshape(n, groups, c // groups, h, w)
    else:
        raise ValueError(f"unknown normalization {kind!r}")
    mean = view.mean(dim=dims, keepdim=True)
    var = view.var(dim=dims, keepdim=True, unbiased=False)  # the biased variance, as the layers use
    return ((view - mean) / torch.sqrt(var + eps)).reshape(n, c, h, w)


def reference_norm(kind: str, shape: tuple[int, int, int, int], groups: int = 2) -> nn.Module:
    """The torch.nn layer that does what `normalize(kind)` does, in train mode."""
    c, h, w = shape[1:]
    if kind == "batch":
        return nn.BatchNorm2d(c)
    if kind == "layer":
        return nn.LayerNorm([c, h, w])
    if kind == "group":
        return nn.GroupNorm(groups, c)
    if kind == "instance":
        return nn.InstanceNorm2d(c)
    raise ValueError(f"unknown normalization {kind!r}")


def compare_norm(x: torch.Tensor, kind: str, groups: int = 2) -> float:
    """Max |ours − torch.nn| on x."""
    layer = reference_norm(kind, tuple(x.shape), groups).train()
    with torch.no_grad():
        return (normalize(x, kind, groups) - layer(x)).abs().max().item()


def group_stats(y: torch.Tensor, kind: str, groups: int = 2) -> list[dict]:
    """Mean and std of the normalized output inside every statistic group."""
    ids = torch.as_tensor(norm_groups(kind, tuple(y.shape), groups))  # (N, C)
    rows = []
    for g in ids.unique().tolist():
        vals = y[ids == g]  # (cells in group, H, W)
        rows.append({"group": int(g), "size": vals.numel(), "mean": vals.mean().item(), "std": vals.std(unbiased=False).item()})
    return rows


def sample_feature_maps(shape: tuple[int, int, int, int], seed: int = 0) -> torch.Tensor:
    """A batch whose channels and samples have different offsets and scales, so every norm shows."""
    g = torch.Generator().manual_seed(seed)
    n, c, _, _ = shape
    offset = torch.linspace(-3, 3, c).view(1, c, 1, 1) + torch.linspace(0, 2, n).view(n, 1, 1, 1)
    scale = torch.linspace(0.5, 3, c).view(1, c, 1, 1)
    return offset + scale * torch.randn(shape, generator=g)


# --- BatchNorm: train vs eval --------------------------------------------------------------------

@dataclass(frozen=True)
class BNRun:
    steps: list[int]
    ours_mean: list[float]  # running mean of channel 0 after each step, by our formula
    torch_mean: list[float]  # the same from nn.BatchNorm2d
    ours_var: list[float]
    torch_var: list[float]
    train_out_mean: float  # mean of the output for a test batch, train mode
    eval_out_mean: float  # same batch, eval mode (running stats)
    max_diff: float


def batchnorm_train_eval(data_mean: float, data_std: float, steps: int, momentum: float = 0.1,
                         batch: int = 16, seed: int = 0) -> BNRun:
    """Feed `steps` batches from N(data_mean, data_std²) to BatchNorm2d; track running stats both ways."""
    g = torch.Generator().manual_seed(seed)
    bn = nn.BatchNorm2d(1, momentum=momentum).train()
    mean, var = 0.0, 1.0
    out = BNRun(list(range(steps + 1)), [mean], [0.0], [var], [1.0], 0.0, 0.0, 0.0)
    with torch.no_grad():
        for _ in range(steps):
            x = data_mean + data_std * torch.randn(batch, 1, 4, 4, generator=g)
            bn(x)
            m = x.mean().item()
            v = x.var(unbiased=True).item()  # running_var uses the unbiased batch variance
            mean = (1 - momentum) * mean + momentum * m
            var = (1 - momentum) * var + momentum * v
            out.ours_mean.append(mean)
            out.ours_var.append(var)
            out.torch_mean.append(bn.running_mean.item())
            out.torch_var.append(bn.running_var.item())
        test = data_mean + data_std * torch.randn(batch, 1, 4, 4, generator=g)
        train_mean = F.batch_norm(test, None, None, training=True).mean().item()  # batch stats, no update
        bn.eval()
        eval_y = bn(test)
        ours_eval = (test - mean) / math.sqrt(var + bn.eps)
    diff = max(np.abs(np.subtract(out.ours_mean, out.torch_mean)).max(), np.abs(np.subtract(out.ours_var, out.torch_var)).max(),
               (eval_y - ours_eval).abs().max().item())
    return BNRun(out.steps, out.ours_mean, out.torch_mean, out.ours_var, out.torch_var, train_mean, eval_y.mean().item(), float(diff))


# --- activations ---------------------------------------------------------------------------------

def activation_fn(name: str):
    """The activation as a torch function."""
    return {
        "relu": F.relu,
        "leaky_relu": lambda x: F.leaky_relu(x, LEAKY_SLOPE),
        "elu": lambda x: F.elu(x, ELU_ALPHA),
        "silu": F.silu,
        "gelu": F.gelu,
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
    }[name]


def closed_form_derivative(name: str, x: torch.Tensor) -> torch.Tensor:
    """f'(x) written out by hand."""
    s = torch.sigmoid(x)
    if name == "relu":
        return (x > 0).to(x.dtype)
    if name == "leaky_relu":
        return torch.where(x > 0, torch.ones_like(x), torch.full_like(x, LEAKY_SLOPE))
    if name == "elu":
        return torch.where(x > 0, torch.ones_like(x), ELU_ALPHA * torch.exp(x))
    if name == "silu":
        return s * (1 + x * (1 - s))
    if name == "gelu":
        cdf = 0.5 * (1 + torch.erf(x / math.sqrt(2)))
        pdf = torch.exp(-0.5 * x**2) / math.sqrt(2 * math.pi)
        return cdf + x * pdf
    if name == "sigmoid":
        return s * (1 - s)
    if name == "tanh":
        return 1 - torch.tanh(x) ** 2
    raise ValueError(f"unknown activation {name!r}")


def activation_curves(name: str, lo: float = -5.0, hi: float = 5.0, n: int = 201) -> dict[str, np.ndarray]:
    """x, f(x), f'(x) by autograd and by the closed form."""
    x = torch.linspace(lo, hi, n, dtype=torch.float64, requires_grad=True)
    y = activation_fn(name)(x)
    (grad,) = torch.autograd.grad(y.sum(), x)
    xd = x.detach()
    return {"x": xd.numpy(), "y": y.detach().numpy(), "autograd": grad.numpy(),
            "closed": closed_form_derivative(name, xd).numpy()}


def dead_relu_fraction(width: int, bias_shift: float, in_features: int = 16, n_samples: int = 512, seed: int = 0) -> float:
    """Share of ReLU units in Linear(in, width) + ReLU that output 0 for every input in a batch."""
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    layer = nn.Linear(in_features, width)
    with torch.no_grad():
        layer.bias.add_(bias_shift)
        h = F.relu(layer(torch.randn(n_samples, in_features, generator=g)))
    return (h.amax(dim=0) == 0).float().mean().item()


# --- Dropout and DropBlock ------------------------------------------------------------------------

class DropBlock2d(nn.Module):
    """Drops square blocks of a feature map (Ghiasi et al., 2018), then rescales what is left.

    `drop_prob` is the share of units to drop; block centres are drawn with rate γ so that the
    blocks cover about that share, only where a whole block fits inside the map.
    """

    def __init__(self, drop_prob: float = 0.1, block_size: int = 3) -> None:
        super().__init__()
        if not 0 <= drop_prob < 1:
            raise InputError("dropout", "drop_prob must be in [0, 1)")
        if block_size < 1 or block_size % 2 == 0:
            raise InputError("block_size", "block_size must be a positive odd number")
        self.drop_prob, self.block_size = drop_prob, block_size

    def gamma(self, h: int, w: int) -> float:
        """Rate of block centres: drop_prob · HW / (b² · (H−b+1)(W−b+1))."""
        b = min(self.block_size, h, w)
        return self.drop_prob * h * w / (b * b * (h - b + 1) * (w - b + 1))

    def block_mask(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """(N, C, H, W) mask of ones with square holes of zeros."""
        n, c, h, w = x.shape
        b = min(self.block_size, h, w)
        if b % 2 == 0:
            b -= 1
        rate = min(1.0, self.gamma(h, w))
        valid = torch.rand(n, c, h - b + 1, w - b + 1, generator=generator, device=x.device) < rate
        centres = F.pad(valid.to(x.dtype), [b // 2] * 4)  # (N, C, H, W): a centre only where a block fits
        holes = F.max_pool2d(centres, kernel_size=b, stride=1, padding=b // 2)  # grow each centre to b×b
        return 1 - holes

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:  # (N, C, H, W)
        if not self.training or self.drop_prob == 0:
            return x
        mask = self.block_mask(x, generator)
        kept = mask.sum()
        if kept == 0:
            return torch.zeros_like(x)
        return x * mask * (mask.numel() / kept)


def dropout_mask(shape: tuple[int, ...], p: float, seed: int = 0) -> torch.Tensor:
    """Where nn.Dropout keeps units (1) and drops them (0)."""
    torch.manual_seed(seed)
    return (nn.Dropout(p).train()(torch.ones(shape)) != 0).float()


def feature_map(size: int = 24) -> torch.Tensor:
    """A smooth (1, 1, S, S) map: a digit-like ring and a bar, so dropped blocks are easy to see."""
    ys, xs = torch.meshgrid(torch.linspace(-1, 1, size), torch.linspace(-1, 1, size), indexing="ij")
    ring = torch.exp(-((torch.sqrt(xs**2 + ys**2) - 0.55) ** 2) / 0.02)
    bar = torch.exp(-(xs**2) / 0.01) * (ys.abs() < 0.8)
    return (0.2 + ring + bar).view(1, 1, size, size)


def drop_fraction(module: nn.Module, shape=(8, 4, 24, 24), repeats: int = 20, seed: int = 0) -> float:
    """Mean share of zeroed units over `repeats` draws on an all-ones input."""
    torch.manual_seed(seed)
    x = torch.ones(shape)
    return float(np.mean([(module(x) == 0).float().mean().item() for _ in range(repeats)]))


# --- overfitting demo -----------------------------------------------------------------------------

@dataclass(frozen=True)
class OverfitSetup:
    n_train: int = 100
    hidden: tuple[int, ...] = (128, 128)
    dropout: float = 0.0
    weight_decay: float = 0.0
    num_epochs: int = 40
    lr: float = 3e-3
    seed: int = 0
    device: str = "cpu"


@functools.lru_cache(maxsize=4)
def _digits_splits(seed: int) -> Splits:
    """Digits read and split once per seed: the training panel builds the job for its estimate on every rerun."""
    return make_splits(load_dataset("digits"), val_frac=0.3, test_frac=0.1, seed=seed)


def overfit_splits(n_train: int, seed: int = 0) -> Splits:
    """Digits with only `n_train` training images (easy to memorise) and a large val split."""
    full = _digits_splits(seed)
    if not 20 <= n_train <= len(full.y_train):
        raise InputError("train_images", f"use between 20 and {len(full.y_train)} training images", lo=20, hi=len(full.y_train))
    small = Splits(full.X_train[:n_train], full.y_train[:n_train].clone(), full.X_val, full.y_val.clone(), full.X_test,
                   full.y_test.clone(), full.source)
    return small.scaled(make_scaler("zscore"))  # new X tensors; the labels are copies, so the cached split stays as read


def overfit_job(setup: OverfitSetup) -> TrainingJob:
    """A job that trains a wide MLP on a few digits; weight decay and dropout are the knobs."""
    data = overfit_splits(setup.n_train, setup.seed)
    config = MLPConfig(data.X_train.shape[1], 10, setup.hidden, "relu", setup.dropout)
    MLP(config)  # fail fast on bad settings

    def build() -> nn.Module:
        return MLP(config)

    train = TrainConfig(num_epochs=setup.num_epochs, batch_size=32, optimizer="adamw", lr=setup.lr,
                        weight_decay=setup.weight_decay, seed=setup.seed, device=setup.device)
    return TrainingJob(build, data, train, meta={"page": "41_layers", "weight_decay": setup.weight_decay,
                                                       "dropout": setup.dropout, "n_train": setup.n_train})


def generalization_gap(records) -> float:
    """Val loss minus train loss at the last epoch."""
    last = records[-1]
    return last.val_loss - last.train_loss


# --- weight decay: an L2 term in the loss vs decoupled decay -----------------------------------

def _decay_run(kind: str, lam: float, lr: float, steps: int, seed: int) -> torch.Tensor:
    """Final weights of a linear least-squares fit trained `steps` full-batch steps in one of five ways."""
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(64, 5, generator=g, dtype=torch.float64)
    y = X @ torch.randn(5, generator=g, dtype=torch.float64) + 0.1 * torch.randn(64, generator=g, dtype=torch.float64)
    w = torch.full((5,), 0.5, dtype=torch.float64, requires_grad=True)
    opt = {
        "sgd_wd": lambda: torch.optim.SGD([w], lr=lr, weight_decay=lam),          # adds λ·w to the gradient
        "sgd_half_l2": lambda: torch.optim.SGD([w], lr=lr),                       # loss + (λ/2)‖w‖²
        "sgd_full_l2": lambda: torch.optim.SGD([w], lr=lr),                       # loss + λ‖w‖²
        "adam_l2": lambda: torch.optim.Adam([w], lr=lr, weight_decay=lam),        # L2 inside Adam's gradient
        "adamw": lambda: torch.optim.AdamW([w], lr=lr, weight_decay=lam),         # decoupled: w ← w − lr·λ·w
    }[kind]()
    penalty = {"sgd_half_l2": lam / 2, "sgd_full_l2": lam}.get(kind, 0.0)
    for _ in range(steps):
        opt.zero_grad()
        loss = F.mse_loss(X @ w, y) + penalty * w.square().sum()
        loss.backward()
        opt.step()
    return w.detach()


def adamw_by_hand(lam: float, lr: float, steps: int, seed: int, betas=(0.9, 0.999), eps: float = 1e-8) -> torch.Tensor:
    """AdamW from its formulas: shrink w by lr·λ·w, then the Adam step on the plain loss's gradient."""
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(64, 5, generator=g, dtype=torch.float64)
    y = X @ torch.randn(5, generator=g, dtype=torch.float64) + 0.1 * torch.randn(64, generator=g, dtype=torch.float64)
    w = torch.full((5,), 0.5, dtype=torch.float64)
    m, v = torch.zeros_like(w), torch.zeros_like(w)
    for t in range(1, steps + 1):
        grad = 2 * X.T @ (X @ w - y) / len(y)                 # ∇ of mean((Xw − y)²)
        w = w * (1 - lr * lam)                                # decoupled decay: not part of the gradient
        m = betas[0] * m + (1 - betas[0]) * grad
        v = betas[1] * v + (1 - betas[1]) * grad**2
        w = w - lr * (m / (1 - betas[0] ** t)) / ((v / (1 - betas[1] ** t)).sqrt() + eps)
    return w


def weight_decay_check(lam: float = 0.1, lr: float = 0.05, steps: int = 50, seed: int = 0) -> dict[str, float]:
    """Max |difference| between final weights: torch's weight_decay=λ is the gradient of (λ/2)‖w‖², and AdamW's
    decoupled decay differs from Adam with that L2 term."""
    run = {k: _decay_run(k, lam, lr, steps, seed) for k in ("sgd_wd", "sgd_half_l2", "sgd_full_l2", "adam_l2", "adamw")}
    diff = lambda a, b: float((a - b).abs().max())  # noqa: E731
    return {
        "sgd_wd_vs_half_l2": diff(run["sgd_wd"], run["sgd_half_l2"]),
        "sgd_wd_vs_full_l2": diff(run["sgd_wd"], run["sgd_full_l2"]),
        "adamw_vs_adam_l2": diff(run["adamw"], run["adam_l2"]),
        "adamw_vs_by_hand": diff(run["adamw"], adamw_by_hand(lam, lr, steps, seed)),
    }
