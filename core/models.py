"""Models configured by frozen dataclasses: an MLP, a small CNN for digits, and a regressor."""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from core.errors import InputError

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "elu": nn.ELU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
}


@dataclass(frozen=True)
class MLPConfig:
    in_features: int
    out_features: int
    hidden: tuple[int, ...] = (64, 64)
    activation: str = "relu"
    dropout: float = 0.0
    batch_norm: bool = False


@dataclass(frozen=True)
class RegressorConfig:
    """An MLP with one linear output unit."""

    in_features: int
    hidden: tuple[int, ...] = (64, 32)
    activation: str = "relu"
    dropout: float = 0.0


@dataclass(frozen=True)
class CNNConfig:
    image_shape: tuple[int, int, int] = (1, 8, 8)  # (C, H, W)
    num_classes: int = 10
    channels: tuple[int, ...] = (32, 64)
    kernel_size: int = 3
    hidden: int = 128
    dropout: float = 0.25
    batch_norm: bool = True


def check_config(config) -> None:
    """Raise ValueError with a clear reason for impossible settings."""
    if isinstance(config, (MLPConfig, RegressorConfig)):
        if config.activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {config.activation!r}")
        if any(w < 1 for w in config.hidden):
            raise InputError("hidden_units", "every hidden layer needs at least one unit")
        if not 0 <= config.dropout < 1:
            raise InputError("dropout", "dropout must be in [0, 1)")
    if isinstance(config, CNNConfig):
        _, h, w = config.image_shape
        if min(h, w) // 2 ** max(0, len(config.channels) - 1) < 1:
            raise InputError("pool_blocks", f"{len(config.channels)} conv blocks pool a {h}×{w} image below 1×1; use fewer blocks",
                             blocks=len(config.channels), size=f"{h}×{w}")
        if config.kernel_size % 2 == 0:
            raise InputError("odd_kernel", "use an odd kernel size so that 'same' padding keeps the size")


class MLP(nn.Module):
    """Linear → [BatchNorm] → activation → [Dropout], repeated, then a linear head."""

    def __init__(self, config: MLPConfig) -> None:
        super().__init__()
        check_config(config)
        layers: list[nn.Module] = []
        width = config.in_features
        for h in config.hidden:
            layers.append(nn.Linear(width, h))
            if config.batch_norm:
                layers.append(nn.BatchNorm1d(h))
            layers.append(ACTIVATIONS[config.activation]())
            if config.dropout > 0:
                layers.append(nn.Dropout(config.dropout))
            width = h
        layers.append(nn.Linear(width, config.out_features))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, F) → (B, out)
        return self.net(x)


class Regressor(MLP):
    """An MLP whose single output is squeezed to (B,)."""

    def __init__(self, config: RegressorConfig) -> None:
        super().__init__(MLPConfig(config.in_features, 1, config.hidden, config.activation, config.dropout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)


class SmallCNN(nn.Module):
    """Conv blocks (conv → BN → ReLU, pooling after all but the first), then an MLP head."""

    def __init__(self, config: CNNConfig) -> None:
        super().__init__()
        check_config(config)
        self.image_shape = config.image_shape
        c_in, h, w = config.image_shape
        blocks: list[nn.Module] = []
        for i, c_out in enumerate(config.channels):
            blocks.append(nn.Conv2d(c_in, c_out, config.kernel_size, padding=config.kernel_size // 2))
            if config.batch_norm:
                blocks.append(nn.BatchNorm2d(c_out))
            blocks.append(nn.ReLU())
            if i > 0:
                blocks.append(nn.MaxPool2d(2))
                h, w = h // 2, w // 2
            c_in = c_out
        self.features = nn.Sequential(*blocks)
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(c_in * h * w, config.hidden),
            nn.ReLU(),
            nn.Dropout(config.dropout),
            nn.Linear(config.hidden, config.num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 2:  # flat pixels (B, C*H*W) → (B, C, H, W)
            x = x.view(-1, *self.image_shape)
        return self.head(self.features(x))


def build_model(config) -> nn.Module:
    """Instantiate the model that `config` describes."""
    if isinstance(config, MLPConfig):
        return MLP(config)
    if isinstance(config, RegressorConfig):
        return Regressor(config)
    if isinstance(config, CNNConfig):
        return SmallCNN(config)
    raise TypeError(f"no model for {type(config).__name__}")


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
