"""Invariances: image augmentations, conv equivariance vs pooled invariance, bag-of-words vs order."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cache

import numpy as np
import torch
from sklearn.datasets import load_digits
from torch import nn
from torchvision.transforms import v2
from torchvision.transforms.v2 import functional as TF


def color_image(size: int = 64) -> torch.Tensor:
    """A synthetic RGB scene, uint8 (3, size, size): sky gradient, red sun, green hill, blue-ish house."""
    yy, xx = torch.meshgrid(torch.linspace(0, 1, size), torch.linspace(0, 1, size), indexing="ij")
    img = torch.stack([0.35 + 0.3 * yy, 0.6 + 0.2 * yy, 0.95 - 0.2 * yy])  # (3, H, W) sky
    sun = (xx - 0.78) ** 2 + (yy - 0.22) ** 2 < 0.012
    img[:, sun] = torch.tensor([0.95, 0.25, 0.1])[:, None]
    hill = yy > 0.72 - 0.18 * torch.exp(-((xx - 0.3) ** 2) / 0.05)
    img[:, hill] = torch.tensor([0.15, 0.65, 0.2])[:, None]
    house = (xx > 0.12) & (xx < 0.36) & (yy > 0.4) & (yy < 0.62)
    img[:, house] = torch.tensor([0.2, 0.3, 0.85])[:, None]
    door = (xx > 0.2) & (xx < 0.27) & (yy > 0.5) & (yy < 0.62)
    img[:, door] = torch.tensor([0.9, 0.85, 0.2])[:, None]
    return (img.clamp(0, 1) * 255).round().to(torch.uint8)


@dataclass(frozen=True)
class AugmentConfig:
    angle: float = 0.0
    hflip: bool = False
    vflip: bool = False
    brightness: float = 1.0
    contrast: float = 1.0
    saturation: float = 1.0
    hue: float = 0.0
    crop: float = 1.0  # side of the centre crop as a fraction of the image, resized back


def augment(img: torch.Tensor, cfg: AugmentConfig) -> torch.Tensor:
    """Apply each transform with exactly the given parameters (torchvision.transforms.v2.functional)."""
    out = img
    if cfg.crop < 1.0:
        h, w = img.shape[-2:]
        side = max(2, int(round(min(h, w) * cfg.crop)))
        out = TF.resize(TF.center_crop(out, [side, side]), [h, w], antialias=True)
    if cfg.angle:
        out = TF.rotate(out, cfg.angle, interpolation=v2.InterpolationMode.BILINEAR)
    if cfg.hflip:
        out = TF.horizontal_flip(out)
    if cfg.vflip:
        out = TF.vertical_flip(out)
    out = TF.adjust_brightness(out, cfg.brightness)
    out = TF.adjust_contrast(out, cfg.contrast)
    out = TF.adjust_saturation(out, cfg.saturation)
    if cfg.hue:
        out = TF.adjust_hue(out, cfg.hue)
    return out


def random_pipeline(strength: float) -> v2.Compose:
    """The usual training-time augmentation, its ranges scaled by `strength` in [0, 1]."""
    s = strength
    return v2.Compose([
        v2.RandomResizedCrop(64, scale=(1 - 0.6 * s, 1.0), antialias=True),
        v2.RandomHorizontalFlip(p=0.5 * s),
        v2.RandomRotation(degrees=30 * s),
        v2.ColorJitter(brightness=0.5 * s, contrast=0.5 * s, saturation=0.5 * s, hue=0.1 * s),
    ])


def random_augmentations(img: torch.Tensor, strength: float, n: int, seed: int = 0) -> list[torch.Tensor]:
    """`n` draws from `random_pipeline`, reproducible through the seed."""
    torch.manual_seed(seed)
    pipeline = random_pipeline(strength)
    return [pipeline(img) for _ in range(n)]


def imagenet_preprocess(img: torch.Tensor, size: int = 56) -> torch.Tensor:
    """The standard eval-time image pipeline: resize, centre crop, to float in [0, 1], normalize."""
    pipeline = v2.Compose([
        v2.Resize(size + size // 7, antialias=True),
        v2.CenterCrop(size),
        v2.ToDtype(torch.float32, scale=True),
        v2.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
    ])
    return pipeline(img)


# --- conv equivariance ---------------------------------------------------------------------------

CANVAS = 20


@cache
def _digit_images() -> np.ndarray:
    return load_digits().images  # (1797, 8, 8), values 0..16


def digit_canvas(index: int = 0, dx: int = 0, dy: int = 0) -> torch.Tensor:
    """An 8×8 sklearn digit placed in the middle of a blank 20×20 canvas, shifted by (dx, dy): (1, 1, 20, 20)."""
    limit = (CANVAS - 8) // 2 - 1
    if max(abs(dx), abs(dy)) > limit:
        raise ValueError(f"shift at most {limit} pixels, so the digit stays clear of the border")
    digit = torch.as_tensor(_digit_images()[index], dtype=torch.float32) / 16.0
    canvas = torch.zeros(1, 1, CANVAS, CANVAS)
    top, left = (CANVAS - 8) // 2 + dy, (CANVAS - 8) // 2 + dx
    canvas[0, 0, top:top + 8, left:left + 8] = digit
    return canvas


def edge_conv() -> nn.Conv2d:
    """A conv layer with 4 readable kernels: vertical edges, horizontal edges, blur, and a diagonal."""
    conv = nn.Conv2d(1, 4, kernel_size=3, padding=1, bias=False)
    kernels = torch.tensor([
        [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
        [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
        [[1, 1, 1], [1, 1, 1], [1, 1, 1]],
        [[2, 1, 0], [1, 0, -1], [0, -1, -2]],
    ], dtype=torch.float32)
    kernels[2] /= 9
    with torch.no_grad():
        conv.weight.copy_(kernels[:, None])
    return conv


@dataclass(frozen=True)
class ShiftReport:
    maps: np.ndarray  # (4, H, W) feature maps of the shifted digit
    equivariance_error: float  # max |conv(shift(x)) − shift(conv(x))|
    pooled_original: np.ndarray  # (4,) global max pool (after ReLU) of the unshifted digit
    pooled_shifted: np.ndarray  # (4,)
    flat_original: np.ndarray  # (3,) a linear layer on the flattened maps
    flat_shifted: np.ndarray  # (3,)


@torch.no_grad()
def shift_report(index: int, dx: int, dy: int, pool: str = "max", seed: int = 0) -> ShiftReport:
    """Feature maps move with the input; global pooling forgets where; a flattening linear layer does not."""
    conv = edge_conv()
    x0, x1 = digit_canvas(index), digit_canvas(index, dx, dy)
    f0, f1 = torch.relu(conv(x0)), torch.relu(conv(x1))  # (1, 4, H, W)
    err = (f1 - torch.roll(f0, shifts=(dy, dx), dims=(2, 3))).abs().max()
    reduce = (lambda f: f.amax(dim=(2, 3))) if pool == "max" else (lambda f: f.mean(dim=(2, 3)))
    torch.manual_seed(seed)
    linear = nn.Linear(4 * CANVAS * CANVAS, 3)
    return ShiftReport(
        f1[0].numpy(), float(err), reduce(f0)[0].numpy(), reduce(f1)[0].numpy(),
        linear(f0.flatten(1))[0].numpy(), linear(f1.flatten(1))[0].numpy(),
    )


# --- word order ----------------------------------------------------------------------------------

def tokens(sentence: str) -> list[str]:
    return [w.strip(".,!?;:").lower() for w in sentence.split() if w.strip(".,!?;:")]


def bag_of_words(sentences: list[str]) -> tuple[list[str], np.ndarray]:
    """(sorted vocabulary, counts (n_sentences, vocab)): how often each word occurs, order ignored."""
    vocab = sorted({w for s in sentences for w in tokens(s)})
    counts = np.zeros((len(sentences), len(vocab)), dtype=int)
    for i, s in enumerate(sentences):
        for w, c in Counter(tokens(s)).items():
            counts[i, vocab.index(w)] = c
    return vocab, counts


def bigrams(sentences: list[str]) -> tuple[list[str], np.ndarray]:
    """Counts of adjacent word pairs: the cheapest representation that sees some order."""
    grams = [[f"{a} {b}" for a, b in zip(tokens(s), tokens(s)[1:])] for s in sentences]
    vocab = sorted({g for gs in grams for g in gs})
    counts = np.zeros((len(sentences), len(vocab)), dtype=int)
    for i, gs in enumerate(grams):
        for g, c in Counter(gs).items():
            counts[i, vocab.index(g)] = c
    return vocab, counts


def position_one_hot(sentence: str, vocab: list[str]) -> np.ndarray:
    """A sequence of one-hot rows, (words, vocab): what an RNN or Transformer reads, in order."""
    words = tokens(sentence)
    out = np.zeros((len(words), len(vocab)), dtype=int)
    for t, w in enumerate(words):
        out[t, vocab.index(w)] = 1
    return out
