"""Convolution arithmetic, classic kernels, small CNNs for digits and the classic-architecture table."""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from core.datasets import Dataset, make_splits
from core.errors import InputError
from core.jobs import TrainingJob
from core.trainer import TrainConfig

# --- conv arithmetic -------------------------------------------------------------------------


def conv_output_size(n: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """⌊(n + 2p − d·(k − 1) − 1) / s⌋ + 1; ValueError when the kernel does not fit."""
    if min(n, kernel, stride, dilation) < 1 or padding < 0:
        raise InputError("conv_sizes", "size, kernel, stride and dilation must be ≥ 1 and padding ≥ 0")
    span = dilation * (kernel - 1) + 1
    if n + 2 * padding < span:
        raise InputError("conv_span", f"the dilated kernel spans {span} pixels, more than the padded input ({n + 2 * padding})",
                         span=span, padded=n + 2 * padding)
    return (n + 2 * padding - span) // stride + 1


def pool_output_size(n: int, kernel: int, stride: int | None = None, padding: int = 0, dilation: int = 1,
                     ceil_mode: bool = False) -> int:
    """Pooling's output size: the conv formula, rounded up under ceil_mode, except that a last window starting
    beyond the input and its left padding is dropped. stride defaults to the kernel, as in nn.MaxPool2d."""
    stride = kernel if stride is None else stride
    if min(n, kernel, stride, dilation) < 1 or padding < 0:
        raise InputError("conv_sizes", "size, kernel, stride and dilation must be ≥ 1 and padding ≥ 0")
    if 2 * padding > kernel:
        raise InputError("pool_padding", "padding must be at most half the kernel", padding=padding, kernel=kernel)
    span = dilation * (kernel - 1) + 1
    if n + 2 * padding < span:
        raise InputError("conv_span", f"the dilated kernel spans {span} pixels, more than the padded input ({n + 2 * padding})",
                         span=span, padded=n + 2 * padding)
    room = n + 2 * padding - span
    out = (-(-room // stride) if ceil_mode else room // stride) + 1
    if ceil_mode and (out - 1) * stride >= n + padding:
        out -= 1
    return out


def pool_demo(n: int, kind: str, kernel: int, stride: int, padding: int, dilation: int, ceil_mode: bool) -> dict:
    """An n×n grid of 0, 1, 2, … pooled by nn.MaxPool2d or nn.AvgPool2d (average pooling has no dilation)."""
    x = torch.arange(n * n, dtype=torch.float32).reshape(1, 1, n, n)
    if kind == "max":
        pool = nn.MaxPool2d(kernel, stride, padding, dilation, ceil_mode=ceil_mode)
    else:
        pool = nn.AvgPool2d(kernel, stride, padding, ceil_mode=ceil_mode, count_include_pad=True)
        dilation = 1
    y = pool(x)
    return {"input": x[0, 0], "output": y[0, 0], "formula": pool_output_size(n, kernel, stride, padding, dilation, ceil_mode),
            "torch": int(y.shape[-1])}


def conv_params(c_in: int, c_out: int, kernel: int, bias: bool = True, groups: int = 1) -> int:
    """Weights c_out·(c_in/groups)·k² plus c_out biases."""
    if c_in % groups or c_out % groups:
        raise InputError("conv_groups", "in and out channels must both be divisible by groups")
    return c_out * (c_in // groups) * kernel * kernel + (c_out if bias else 0)


def kernel_positions(n: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> list[dict]:
    """For each output position along one axis, the padded-input indices its kernel taps read."""
    out = conv_output_size(n, kernel, stride, padding, dilation)
    rows = []
    for o in range(out):
        for j in range(kernel):
            i = o * stride + j * dilation  # index in the padded input
            rows.append({"out": o, "tap": j, "input": i - padding, "padding": not 0 <= i - padding < n})
    return rows


def separable_params(c_in: int, c_out: int, kernel: int) -> dict[str, int]:
    """Parameters (no bias) of a standard conv against depthwise (k²·c_in) + pointwise (c_in·c_out)."""
    standard = kernel * kernel * c_in * c_out
    depthwise, pointwise = kernel * kernel * c_in, c_in * c_out
    return {"standard": standard, "depthwise": depthwise, "pointwise": pointwise,
            "separable": depthwise + pointwise}


def separable_modules(c_in: int, c_out: int, kernel: int) -> tuple[nn.Module, nn.Module]:
    pad = kernel // 2
    standard = nn.Conv2d(c_in, c_out, kernel, padding=pad, bias=False)
    separable = nn.Sequential(nn.Conv2d(c_in, c_in, kernel, padding=pad, groups=c_in, bias=False),
                              nn.Conv2d(c_in, c_out, 1, bias=False))
    return standard, separable


# --- classic kernels -------------------------------------------------------------------------

KERNELS: dict[str, list[list[float]]] = {
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "edge": [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],
    "blur": [[1 / 9] * 3] * 3,
    "gaussian": [[1 / 16, 2 / 16, 1 / 16], [2 / 16, 4 / 16, 2 / 16], [1 / 16, 2 / 16, 1 / 16]],
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "sobel_x": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "sobel_y": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "emboss": [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]],
}


def apply_kernel(image: torch.Tensor, kernel: torch.Tensor | list, padding: int = 1) -> torch.Tensor:
    """(H, W) image ⋆ (k, k) kernel with F.conv2d (cross-correlation, zero padding) → (H', W')."""
    x = image if image.is_floating_point() else image.float()
    k = torch.as_tensor(kernel, dtype=x.dtype)
    return F.conv2d(x[None, None], k[None, None], padding=padding)[0, 0]


# --- models ----------------------------------------------------------------------------------

ARCHS = ("lenet", "resnet", "separable")


@dataclass(frozen=True)
class DigitsNetConfig:
    arch: str = "resnet"
    image_shape: tuple[int, int, int] = (1, 8, 8)
    num_classes: int = 10
    width: int = 16
    se: bool = False
    dropout: float = 0.1


class SEBlock(nn.Module):
    """Squeeze (global average) and excite (two linear layers, sigmoid): reweights channels."""

    def __init__(self, channels: int, reduction: int = 4) -> None:
        super().__init__()
        hidden = max(1, channels // reduction)
        self.fc = nn.Sequential(nn.Linear(channels, hidden), nn.ReLU(), nn.Linear(hidden, channels), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, C, H, W)
        w = self.fc(x.mean(dim=(2, 3)))  # (B, C)
        return x * w[:, :, None, None]


class ResidualBlock(nn.Module):
    """conv-BN-ReLU-conv-BN plus the input (1×1 projection when the shape changes), then ReLU."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1, se: bool = False) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(),
            nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False), nn.BatchNorm2d(c_out),
            *([SEBlock(c_out)] if se else []),
        )
        self.shortcut = nn.Identity() if stride == 1 and c_in == c_out else nn.Sequential(
            nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.body(x) + self.shortcut(x))


class SeparableBlock(nn.Module):
    """Depthwise 3×3 (one filter per channel) → BN → ReLU → pointwise 1×1 → BN → ReLU [→ SE]."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1, se: bool = False) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(c_in, c_in, 3, stride, 1, groups=c_in, bias=False), nn.BatchNorm2d(c_in), nn.ReLU(),
            nn.Conv2d(c_in, c_out, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(),
            *([SEBlock(c_out)] if se else []),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class DigitsNet(nn.Module):
    """stem (first conv, the filters we show) → stages → global average pool or flatten → classifier."""

    def __init__(self, cfg: DigitsNetConfig) -> None:
        super().__init__()
        check_digits_config(cfg)
        self.image_shape = cfg.image_shape
        c, h, w = cfg.image_shape
        k = cfg.width
        if cfg.arch == "lenet":
            self.stem = nn.Conv2d(c, k, 3, padding=1)
            self.stages = nn.Sequential(
                nn.ReLU(), nn.MaxPool2d(2), *([SEBlock(k)] if cfg.se else []),
                nn.Conv2d(k, 2 * k, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), *([SEBlock(2 * k)] if cfg.se else []),
            )
            flat = 2 * k * (h // 4) * (w // 4)
            self.head = nn.Sequential(nn.Flatten(), nn.Linear(flat, 120), nn.ReLU(), nn.Dropout(cfg.dropout),
                                      nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, cfg.num_classes))
        else:
            block = ResidualBlock if cfg.arch == "resnet" else SeparableBlock
            self.stem = nn.Conv2d(c, k, 3, padding=1, bias=False)
            self.stages = nn.Sequential(
                nn.BatchNorm2d(k), nn.ReLU(),
                block(k, k, 1, cfg.se), block(k, 2 * k, 2, cfg.se), block(2 * k, 2 * k, 1, cfg.se),
            )
            self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(cfg.dropout),
                                      nn.Linear(2 * k, cfg.num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 2:  # flat pixels (B, C·H·W) → (B, C, H, W)
            x = x.view(-1, *self.image_shape)
        return self.head(self.stages(self.stem(x)))


def check_digits_config(cfg: DigitsNetConfig) -> None:
    if cfg.arch not in ARCHS:
        raise ValueError(f"unknown architecture {cfg.arch!r}; choose one of {ARCHS}")
    if cfg.width < 2:
        raise InputError("few_channels", "use at least 2 channels")
    if min(cfg.image_shape[1:]) < 4:
        raise InputError("small_images", "the images must be at least 4×4 pixels")
    if not 0 <= cfg.dropout < 1:
        raise InputError("dropout", "dropout must be in [0, 1)")


@torch.no_grad()
def feature_maps(model: DigitsNet, image: torch.Tensor) -> dict[str, torch.Tensor]:
    """Activations of one image after the first conv and after each stage module: name → (C, H, W)."""
    model.eval()
    x = image.reshape(1, *model.image_shape)
    maps = {"stem": torch.relu(model.stem(x))[0]}
    h = model.stem(x)
    for i, layer in enumerate(model.stages):
        h = layer(h)
        if isinstance(layer, (ResidualBlock, SeparableBlock, nn.MaxPool2d)):
            maps[f"stage {i}: {type(layer).__name__}"] = h[0]
    return maps


def first_filters(model: DigitsNet) -> torch.Tensor:
    """The stem's kernels, (out_channels, k, k), averaged over input channels."""
    return model.stem.weight.detach().cpu().mean(dim=1)


def make_digits_job(ds: Dataset, cfg: DigitsNetConfig, train: TrainConfig, **meta) -> TrainingJob:
    """Split 70/15/15 (seeded, stratified) and return a ready-to-start job."""
    if ds.image_shape is None:
        raise InputError("no_images", f"{ds.name} holds no images", name=ds.name)
    data = make_splits(ds, 0.15, 0.15, seed=train.seed)
    DigitsNet(cfg)  # fail fast on impossible settings
    return TrainingJob(lambda: DigitsNet(cfg), data, train, meta={"page": "32_cnn", "dataset": ds.name, **meta})


DIGITS_TRAIN = TrainConfig(num_epochs=15, batch_size=64, optimizer="adam", lr=3e-3, scheduler="cosine")


# --- the classic architectures ---------------------------------------------------------------

class LeNet5(nn.Module):
    """LeCun et al. 1998 on 32×32 inputs (tanh, average pooling, full C3 connections)."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2), nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2),
            nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


CLASSICS = (  # name, year, torchvision builder (None: built here), input size, depth in weight layers
    ("LeNet-5", 1998, None, 32, 5),
    ("AlexNet", 2012, "alexnet", 224, 8),
    ("VGG-16", 2014, "vgg16", 224, 16),
    ("ResNet-18", 2015, "resnet18", 224, 18),
    ("ResNet-50", 2015, "resnet50", 224, 50),
)


def build_classic(builder: str | None) -> nn.Module:
    """The architecture with random weights (weights=None); never downloads anything."""
    if builder is None:
        return LeNet5()
    from torchvision import models

    return getattr(models, builder)(weights=None)


def classic_table() -> list[dict]:
    """Parameter counts from the real builders. Built on the meta device: shapes only, no memory, fast."""
    rows = []
    for name, year, builder, size, depth in CLASSICS:
        with torch.device("meta"):
            model = build_classic(builder)
        params = sum(p.numel() for p in model.parameters())
        convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
        conv_params_ = sum(p.numel() for m in convs for p in m.parameters())
        rows.append({"model": name, "year": year, "input": f"{size}×{size}", "depth": depth,
                     "params": params, "conv_share": conv_params_ / params,
                     "builder": f"torchvision.models.{builder}(weights=None)" if builder else "core.cnn.LeNet5()"})
    return rows


def human_count(n: int) -> str:
    if n < 1000:
        return str(n)
    units = ("K", "M", "B")
    exp = min(len(units), int(math.log10(n) // 3))
    return f"{n / 10 ** (3 * exp):.3g}{units[exp - 1]}"


# --- checks against the libraries ------------------------------------------------------------

def conv_sweep(n_cases: int = 300, seed: int = 0) -> dict[str, int]:
    """Random (size, kernel, stride, padding, dilation, groups) settings: our size and parameter
    formulas against what nn.Conv2d produces. Returns counts of cases and mismatches."""
    gen = torch.Generator().manual_seed(seed)
    cases = size_bad = param_bad = 0
    while cases < n_cases:
        n, k, s, p, d = (int(torch.randint(lo, hi, (), generator=gen)) for lo, hi in
                         ((1, 33), (1, 8), (1, 5), (0, 4), (1, 4)))
        g = int(torch.randint(1, 4, (), generator=gen))
        try:
            out = conv_output_size(n, k, s, p, d)
        except ValueError:
            continue
        conv = nn.Conv2d(2 * g, 3 * g, k, s, p, d, groups=g)
        with torch.no_grad():
            shape = conv(torch.zeros(1, 2 * g, n, n)).shape
        cases += 1
        size_bad += shape[-1] != out or shape[-2] != out
        param_bad += sum(q.numel() for q in conv.parameters()) != conv_params(2 * g, 3 * g, k, True, g)
    return {"cases": cases, "size_mismatches": size_bad, "param_mismatches": param_bad}


def pool_sweep(n_cases: int = 300, seed: int = 0) -> dict[str, int]:
    """Random (height, width, kernel, stride, padding, dilation, ceil_mode) settings: pool_output_size against the
    shapes nn.MaxPool2d and nn.AvgPool2d return. Returns counts of cases and mismatches."""
    gen = torch.Generator().manual_seed(seed)
    cases = bad = ceil_cases = 0
    while cases < n_cases:
        h, w, k, s, p, d = (int(torch.randint(lo, hi, (), generator=gen)) for lo, hi in
                            ((1, 30), (1, 30), (1, 7), (1, 5), (0, 4), (1, 4)))
        ceil_mode = bool(torch.randint(0, 2, (), generator=gen))
        try:
            expect = (pool_output_size(h, k, s, p, d, ceil_mode), pool_output_size(w, k, s, p, d, ceil_mode))
        except ValueError:
            continue
        x = torch.zeros(1, 2, h, w)
        shapes = [nn.MaxPool2d(k, s, p, d, ceil_mode=ceil_mode)(x).shape[-2:]]
        if d == 1:
            shapes.append(nn.AvgPool2d(k, s, p, ceil_mode=ceil_mode)(x).shape[-2:])
        cases += 1
        ceil_cases += ceil_mode
        bad += any(tuple(shape) != expect for shape in shapes)
    return {"cases": cases, "ceil_cases": ceil_cases, "mismatches": bad}


def kernel_check(image: torch.Tensor) -> float:
    """Max |F.conv2d − scipy.signal.correlate2d| over every classic kernel on `image` (H, W)."""
    from scipy.signal import correlate2d

    worst = 0.0
    for k in KERNELS.values():
        ours = apply_kernel(image.double(), k).double().numpy()
        ref = correlate2d(image.double().numpy(), torch.as_tensor(k, dtype=torch.float64).numpy(), mode="same")
        worst = max(worst, float(abs(ours - ref).max()))
    return worst


def kernel_gallery(image: torch.Tensor) -> tuple[torch.Tensor, list[str]]:
    """Every classic kernel applied to one (H, W) image, each rescaled to [0, 1] for display."""
    outs = []
    for k in KERNELS.values():
        z = apply_kernel(image, k)
        outs.append((z - z.min()) / (z.max() - z.min()).clamp_min(1e-8))
    return torch.stack(outs), list(KERNELS)


def rescale(maps: torch.Tensor) -> torch.Tensor:
    """(N, H, W) → each map min-max scaled to [0, 1]."""
    flat = maps.reshape(len(maps), -1)
    lo, hi = flat.min(dim=1).values, flat.max(dim=1).values
    return (maps - lo[:, None, None]) / (hi - lo).clamp_min(1e-8)[:, None, None]


@torch.no_grad()
def accuracy_vs_sklearn(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """Test accuracy counted with torch, and sklearn's accuracy_score on the same predictions."""
    from sklearn.metrics import accuracy_score

    model.eval()
    pred = model(X).argmax(dim=1).cpu()
    return float((pred == y.cpu()).float().mean()), float(accuracy_score(y.cpu().numpy(), pred.numpy()))
