"""4.3 Modern architectures: ViT patches and a small ViT, EfficientNet scaling, MobileNet's separable conv."""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from core.datasets import Splits
from core.errors import InputError
from core.jobs import TrainingJob
from core.models import CNNConfig, SmallCNN
from core.trainer import TrainConfig

EFFICIENTNETS = tuple(f"b{i}" for i in range(8))
# torchvision's (width multiplier, depth multiplier, input resolution) for B0–B7
EFFICIENTNET_TABLE = {
    "b0": (1.0, 1.0, 224), "b1": (1.0, 1.1, 240), "b2": (1.1, 1.2, 260), "b3": (1.2, 1.4, 300),
    "b4": (1.4, 1.8, 380), "b5": (1.6, 2.2, 456), "b6": (1.8, 2.6, 528), "b7": (2.0, 3.1, 600),
}


# --- ViT ------------------------------------------------------------------------------------------

def num_patches(image_size: int, patch_size: int) -> int:
    """(H/P)² for a square image; the patch size must divide the image size."""
    if patch_size < 1 or image_size % patch_size:
        raise InputError("patch_tiling", f"a {patch_size}-pixel patch does not tile a {image_size}-pixel image",
                         patch=patch_size, size=image_size)
    return (image_size // patch_size) ** 2


def patchify(x: torch.Tensor, patch_size: int) -> torch.Tensor:
    """(B, C, H, W) → (B, N, C·P·P): non-overlapping patches in row-major order, each flattened."""
    b, c, h, w = x.shape
    p = patch_size
    if h % p or w % p:
        raise InputError("patch_tiling", f"a {p}-pixel patch does not tile a {h}×{w} image", patch=p, size=f"{h}×{w}")
    tiles = x.unfold(2, p, p).unfold(3, p, p)  # (B, C, H/P, W/P, P, P)
    return tiles.permute(0, 2, 3, 1, 4, 5).reshape(b, (h // p) * (w // p), c * p * p)


def patch_embedding_against_conv(image_size: int = 32, patch_size: int = 8, channels: int = 3, dim: int = 16,
                                 seed: int = 0) -> float:
    """Max |patchify + Linear − Conv2d(kernel = stride = P)| with shared weights (ViT's usual trick)."""
    torch.manual_seed(seed)
    conv = nn.Conv2d(channels, dim, patch_size, stride=patch_size)
    linear = nn.Linear(channels * patch_size**2, dim)
    with torch.no_grad():
        linear.weight.copy_(conv.weight.reshape(dim, -1))
        linear.bias.copy_(conv.bias)
        x = torch.randn(2, channels, image_size, image_size)
        ours = linear(patchify(x, patch_size))  # (B, N, D)
        ref = conv(x).flatten(2).transpose(1, 2)  # (B, D, H/P, W/P) → (B, N, D)
        return (ours - ref).abs().max().item()


def torchvision_vit_seq_length(image_size: int = 224, patch_size: int = 16) -> int:
    """Tokens torchvision's VisionTransformer feeds its encoder (a tiny one: only the shape matters)."""
    from torchvision.models.vision_transformer import VisionTransformer

    vit = VisionTransformer(image_size, patch_size, num_layers=1, num_heads=1, hidden_dim=8, mlp_dim=8)
    return vit.seq_length


@dataclass(frozen=True)
class ViTConfig:
    image_shape: tuple[int, int, int] = (1, 8, 8)
    patch_size: int = 2
    num_classes: int = 10
    dim: int = 32
    depth: int = 2
    heads: int = 4


class SmallViT(nn.Module):
    """Patches → linear embedding, a learned CLS token and positions → Transformer encoder → head on CLS."""

    def __init__(self, config: ViTConfig) -> None:
        super().__init__()
        c, h, w = config.image_shape
        if h != w:
            raise InputError("square_images", "this ViT takes square images")
        if config.dim % config.heads:
            raise InputError("vit_heads", f"the width {config.dim} must divide into {config.heads} heads",
                                 dim=config.dim, heads=config.heads)
        n = num_patches(h, config.patch_size)
        self.image_shape, self.patch_size = config.image_shape, config.patch_size
        self.embed = nn.Linear(c * config.patch_size**2, config.dim)
        self.cls = nn.Parameter(torch.zeros(1, 1, config.dim))
        self.pos = nn.Parameter(torch.randn(1, n + 1, config.dim) * 0.02)
        layer = nn.TransformerEncoderLayer(config.dim, config.heads, 2 * config.dim, dropout=0.0,
                                           batch_first=True, norm_first=True, activation="gelu")
        self.encoder = nn.TransformerEncoder(layer, config.depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(config.dim)
        self.head = nn.Linear(config.dim, config.num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = patchify(x.view(-1, *self.image_shape), self.patch_size)  # (B, N, C·P·P)
        tokens = self.embed(x)  # (B, N, D)
        tokens = torch.cat([self.cls.expand(len(tokens), -1, -1), tokens], dim=1) + self.pos  # (B, N+1, D)
        return self.head(self.norm(self.encoder(tokens))[:, 0])


def small_cnn_config(image_shape=(1, 8, 8)) -> CNNConfig:
    return CNNConfig(image_shape=image_shape, channels=(16, 32), hidden=64, dropout=0.1)


def comparison_job(kind: str, vit: ViTConfig, data: Splits, num_epochs: int = 5, seed: int = 0, device: str = "cpu") -> TrainingJob:
    """One training job for the ViT or the CNN; both see the same data and the same optimizer."""
    if kind == "vit":
        SmallViT(vit)

        def build() -> nn.Module:
            return SmallViT(vit)
    elif kind == "cnn":
        config = small_cnn_config(vit.image_shape)

        def build() -> nn.Module:
            return SmallCNN(config)
    else:
        raise ValueError(f"unknown model {kind!r}")
    train = TrainConfig(num_epochs=num_epochs, batch_size=64, optimizer="adamw", lr=3e-3, seed=seed, device=device)
    return TrainingJob(build, data, train, meta={"page": "43_modern", "model": kind})


# --- EfficientNet ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Scaling:
    depth: float
    width: float
    resolution: float
    flops: float  # (α·β²·γ²)^φ
    image_size: int


def compound_scaling(phi: float, alpha: float = 1.2, beta: float = 1.1, gamma: float = 1.15, base_size: int = 224) -> Scaling:
    """Depth α^φ, width β^φ, resolution γ^φ; FLOPs grow as (α·β²·γ²)^φ ≈ 2^φ."""
    if min(alpha, beta, gamma) < 1:
        raise InputError("compound", "α, β and γ must be at least 1: scaling never shrinks the network")
    return Scaling(alpha**phi, beta**phi, gamma**phi, (alpha * beta**2 * gamma**2) ** phi, round(base_size * gamma**phi))


def efficientnet_params(name: str) -> int:
    """Parameters of torchvision's efficientnet_<name>, built without weights on the meta device
    (shapes only, no memory and no random init, so it takes a fraction of the time)."""
    from torchvision import models

    if name not in EFFICIENTNETS:
        raise ValueError(f"unknown EfficientNet {name!r}")
    with torch.device("meta"):
        model = getattr(models, f"efficientnet_{name}")(weights=None)
    return sum(p.numel() for p in model.parameters())


# --- MobileNet ----------------------------------------------------------------------------------------

def conv_params(c_in: int, c_out: int, k: int) -> int:
    """A standard k×k convolution without bias: K²·C_in·C_out."""
    return k * k * c_in * c_out


def separable_params(c_in: int, c_out: int, k: int) -> int:
    """Depthwise (K²·C_in) + pointwise (C_in·C_out), both without bias."""
    return k * k * c_in + c_in * c_out


class DepthwiseSeparableConv(nn.Module):
    """A per-channel k×k conv (groups = C_in) followed by a 1×1 conv that mixes channels."""

    def __init__(self, c_in: int, c_out: int, k: int = 3) -> None:
        super().__init__()
        self.depthwise = nn.Conv2d(c_in, c_in, k, padding=k // 2, groups=c_in, bias=False)
        self.pointwise = nn.Conv2d(c_in, c_out, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.depthwise(x))


def counted_conv_params(c_in: int, c_out: int, k: int) -> tuple[int, int]:
    """(standard, separable) parameters counted from real modules."""
    standard = nn.Conv2d(c_in, c_out, k, padding=k // 2, bias=False)
    separable = DepthwiseSeparableConv(c_in, c_out, k)
    return sum(p.numel() for p in standard.parameters()), sum(p.numel() for p in separable.parameters())


def digit_image(index: int = 0, size: int = 32) -> torch.Tensor:
    """One 8×8 digit from the built-in set, blown up to (1, 1, size, size) with nearest-neighbour."""
    from core.datasets import load_dataset

    ds = load_dataset("digits")
    img = ds.X[index % len(ds.y)].view(1, 1, 8, 8)
    return nn.functional.interpolate(img, size=(size, size), mode="nearest")
