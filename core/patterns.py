"""4.2 Patterns: plain vs residual deep nets, a DenseNet block, channel and spatial attention."""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from core.datasets import Splits, load_dataset, make_splits
from core.errors import InputError
from core.jobs import TrainingJob
from core.models import ACTIVATIONS
from core.preprocessing import make_scaler
from core.trainer import TrainConfig

ATTENTIONS = ("none", "se", "cbam_channel", "spatial", "cbam")


def digits_splits(seed: int = 0, scale: bool = True) -> Splits:
    """The 8×8 digits, split 70/15/15 with `seed`; z-scored on train when `scale`."""
    data = make_splits(load_dataset("digits"), 0.15, 0.15, seed=seed)
    return data.scaled(make_scaler("zscore")) if scale else data


# --- plain vs residual ------------------------------------------------------------------------------

@dataclass(frozen=True)
class DeepNetConfig:
    in_features: int = 64
    num_classes: int = 10
    depth: int = 20  # hidden blocks between the stem and the head
    width: int = 32
    activation: str = "tanh"
    residual: bool = False


class Block(nn.Module):
    """act(Wx + b); with `residual`, x + act(Wx + b)."""

    def __init__(self, width: int, activation: str, residual: bool) -> None:
        super().__init__()
        self.linear = nn.Linear(width, width)
        self.act = ACTIVATIONS[activation]()
        self.residual = residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, width)
        out = self.act(self.linear(x))
        return x + out if self.residual else out


class DeepNet(nn.Module):
    """stem → `depth` blocks → head; the only switch between the two nets is the skip connection."""

    def __init__(self, config: DeepNetConfig) -> None:
        super().__init__()
        if config.depth < 1 or config.width < 1:
            raise InputError("depth_width", "depth and width must be at least 1")
        if config.activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {config.activation!r}")
        self.stem = nn.Linear(config.in_features, config.width)
        self.blocks = nn.Sequential(*[Block(config.width, config.activation, config.residual) for _ in range(config.depth)])
        self.head = nn.Linear(config.width, config.num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, F) → (B, classes)
        return self.head(self.blocks(self.stem(x)))


def deep_net_job(config: DeepNetConfig, data: Splits, num_epochs: int = 8, lr: float = 0.05, seed: int = 0,
                 device: str = "cpu") -> TrainingJob:
    """Train one DeepNet with SGD + momentum, recording per-layer gradient norms every epoch."""
    DeepNet(config)  # fail fast on bad settings
    train = TrainConfig(num_epochs=num_epochs, batch_size=64, optimizer="momentum", lr=lr, seed=seed,
                        track_layer_grads=True, device=device)
    return TrainingJob(lambda: DeepNet(config), data, train, meta={"page": "42_patterns", "residual": config.residual})


def layer_norm_rows(records, label: str) -> list[dict]:
    """Long rows (layer index, layer, norm) of the first epoch's per-layer gradient norms."""
    if not records or not records[0].layer_grad_norms:
        return []
    norms = records[0].layer_grad_norms
    return [{"layer": i, "name": name, "norm": v, "net": label} for i, (name, v) in enumerate(norms.items())]


def early_late_ratio(records) -> float:
    """Gradient norm of the first hidden block over that of the last, in the first epoch."""
    norms = [v for k, v in records[0].layer_grad_norms.items() if k.startswith("blocks.")]
    return norms[0] / max(norms[-1], 1e-30)


# --- DenseNet ---------------------------------------------------------------------------------------

def dense_channels(c0: int, growth: int, num_layers: int) -> list[int]:
    """Channels entering layer 1..L, then the block's output: c0 + l·k."""
    return [c0 + i * growth for i in range(num_layers + 1)]


def dense_layer_params(c_in: int, growth: int, kernel_size: int = 3) -> int:
    """BatchNorm (γ, β per input channel) + a bias-free k×k conv to `growth` channels."""
    return 2 * c_in + c_in * growth * kernel_size * kernel_size


class DenseLayer(nn.Module):
    """BN → ReLU → 3×3 conv producing `growth` new channels."""

    def __init__(self, c_in: int, growth: int) -> None:
        super().__init__()
        self.bn = nn.BatchNorm2d(c_in)
        self.conv = nn.Conv2d(c_in, growth, 3, padding=1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(torch.relu(self.bn(x)))


class DenseBlock(nn.Module):
    """Each layer sees the concatenation of the block input and every earlier layer's output."""

    def __init__(self, c0: int, growth: int, num_layers: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(DenseLayer(c, growth) for c in dense_channels(c0, growth, num_layers)[:-1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, c0, H, W) → (B, c0 + L·k, H, W)
        features = [x]
        for layer in self.layers:
            features.append(layer(torch.cat(features, dim=1)))
        return torch.cat(features, dim=1)


@dataclass(frozen=True)
class DenseNetConfig:
    image_shape: tuple[int, int, int] = (1, 8, 8)
    num_classes: int = 10
    c0: int = 16
    growth: int = 12
    num_layers: int = 4


class TinyDenseNet(nn.Module):
    """stem conv → one dense block → BN-ReLU → global average pool → linear."""

    def __init__(self, config: DenseNetConfig) -> None:
        super().__init__()
        if min(config.c0, config.growth, config.num_layers) < 1:
            raise InputError("dense_sizes", "c0, growth and the number of layers must be at least 1")
        self.image_shape = config.image_shape
        self.stem = nn.Conv2d(config.image_shape[0], config.c0, 3, padding=1, bias=False)
        self.block = DenseBlock(config.c0, config.growth, config.num_layers)
        c_out = dense_channels(config.c0, config.growth, config.num_layers)[-1]
        self.norm = nn.BatchNorm2d(c_out)
        self.head = nn.Linear(c_out, config.num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.view(-1, *self.image_shape)  # flat pixels → (B, C, H, W)
        x = torch.relu(self.norm(self.block(self.stem(x))))
        return self.head(x.mean(dim=(2, 3)))


def densenet_job(config: DenseNetConfig, data: Splits, num_epochs: int = 5, seed: int = 0, device: str = "cpu") -> TrainingJob:
    TinyDenseNet(config)
    train = TrainConfig(num_epochs=num_epochs, batch_size=64, optimizer="adam", lr=3e-3, seed=seed, device=device)
    return TrainingJob(lambda: TinyDenseNet(config), data, train, meta={"page": "42_patterns", "model": "densenet"})


# --- attention ----------------------------------------------------------------------------------------

class SqueezeExcite(nn.Module):
    """SE: global average pool → FC (C→C/r) → ReLU → FC (C/r→C) → sigmoid, one weight per channel."""

    def __init__(self, channels: int, reduction: int = 4) -> None:
        super().__init__()
        hidden = max(1, channels // reduction)
        self.fc1, self.fc2 = nn.Linear(channels, hidden), nn.Linear(hidden, channels)
        self.weights: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, C, H, W)
        w = torch.sigmoid(self.fc2(torch.relu(self.fc1(x.mean(dim=(2, 3))))))  # (B, C)
        self.weights = w.detach()
        return x * w[:, :, None, None]


class CBAMChannel(nn.Module):
    """CBAM's channel half: a shared MLP on both the average- and the max-pooled descriptor."""

    def __init__(self, channels: int, reduction: int = 4) -> None:
        super().__init__()
        hidden = max(1, channels // reduction)
        self.mlp = nn.Sequential(nn.Linear(channels, hidden), nn.ReLU(), nn.Linear(hidden, channels))
        self.weights: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = torch.sigmoid(self.mlp(x.mean(dim=(2, 3))) + self.mlp(x.amax(dim=(2, 3))))  # (B, C)
        self.weights = w.detach()
        return x * w[:, :, None, None]


class SpatialAttention(nn.Module):
    """A k×k conv over the channel-mean and channel-max maps → one sigmoid weight per pixel."""

    def __init__(self, kernel_size: int = 3) -> None:
        super().__init__()
        self.conv = nn.Conv2d(2, 1, kernel_size, padding=kernel_size // 2)
        self.weights: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = torch.cat([x.mean(dim=1, keepdim=True), x.amax(dim=1, keepdim=True)], dim=1)  # (B, 2, H, W)
        w = torch.sigmoid(self.conv(pooled))  # (B, 1, H, W)
        self.weights = w.detach()[:, 0]
        return x * w


@dataclass(frozen=True)
class AttentionCNNConfig:
    image_shape: tuple[int, int, int] = (1, 8, 8)
    num_classes: int = 10
    channels: int = 16
    attention: str = "cbam"


class AttentionCNN(nn.Module):
    """Two conv blocks, an attention module, global average pool, linear head."""

    def __init__(self, config: AttentionCNNConfig) -> None:
        super().__init__()
        if config.attention not in ATTENTIONS:
            raise ValueError(f"unknown attention {config.attention!r}")
        c = config.channels
        self.image_shape = config.image_shape
        self.features = nn.Sequential(
            nn.Conv2d(config.image_shape[0], c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU(),
            nn.Conv2d(c, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU(),
        )
        self.channel = {"se": SqueezeExcite(c), "cbam_channel": CBAMChannel(c), "cbam": CBAMChannel(c)}.get(config.attention)
        self.spatial = SpatialAttention() if config.attention in ("spatial", "cbam") else None
        self.head = nn.Linear(c, config.num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x.view(-1, *self.image_shape))  # (B, C, H, W)
        if self.channel is not None:
            x = self.channel(x)
        if self.spatial is not None:
            x = self.spatial(x)
        return self.head(x.mean(dim=(2, 3)))


def attention_job(config: AttentionCNNConfig, data: Splits, num_epochs: int = 5, seed: int = 0, device: str = "cpu") -> TrainingJob:
    AttentionCNN(config)
    train = TrainConfig(num_epochs=num_epochs, batch_size=64, optimizer="adam", lr=3e-3, seed=seed, device=device)
    return TrainingJob(lambda: AttentionCNN(config), data, train, meta={"page": "42_patterns", "attention": config.attention})


@torch.no_grad()
def attention_maps(model: AttentionCNN, X: torch.Tensor) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    """Channel weights (B, C) and spatial maps (B, H, W) the trained model gives the images X."""
    model.eval()
    model(X)
    channel = model.channel.weights.cpu() if model.channel is not None else None
    spatial = model.spatial.weights.cpu() if model.spatial is not None else None
    return channel, spatial


def se_against_torchvision(channels: int = 16, reduction: int = 4, seed: int = 0) -> float:
    """Max |our SE − torchvision.ops.SqueezeExcitation| with the same weights."""
    from torchvision.ops import SqueezeExcitation

    torch.manual_seed(seed)
    ours = SqueezeExcite(channels, reduction)
    ref = SqueezeExcitation(channels, max(1, channels // reduction))
    with torch.no_grad():
        ref.fc1.weight.copy_(ours.fc1.weight[:, :, None, None])
        ref.fc1.bias.copy_(ours.fc1.bias)
        ref.fc2.weight.copy_(ours.fc2.weight[:, :, None, None])
        ref.fc2.bias.copy_(ours.fc2.bias)
        x = torch.randn(4, channels, 8, 8)
        return (ours(x) - ref(x)).abs().max().item()


def dense_against_torchvision(c0: int, growth: int, num_layers: int) -> tuple[int, int, int]:
    """Output channels of our block and of torchvision's DenseNet `_DenseBlock` on the same input,
    and our block's parameter count. Only shapes are compared, so both are built on the meta device
    and given uninitialised memory (no weight init, the slow part for wide blocks), then run on one
    1×1 input."""
    from torchvision.models.densenet import _DenseBlock

    with torch.device("meta"):
        ref = _DenseBlock(num_layers, c0, bn_size=4, growth_rate=growth, drop_rate=0.0)
        ours = DenseBlock(c0, growth, num_layers)
    ref, ours = ref.to_empty(device="cpu").eval(), ours.to_empty(device="cpu").eval()
    x = torch.zeros(1, c0, 1, 1)  # (B, C, H, W)
    with torch.no_grad():
        return ours(x).shape[1], ref(x).shape[1], sum(p.numel() for p in ours.parameters())
