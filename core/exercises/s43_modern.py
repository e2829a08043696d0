"""4.3 Modern architectures: ViT's patch embedding, and GELU, the activation inside every transformer block."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from core.exercises.base import Case, Check, Mistake, exercise
from core.exercises.checks import randint, randn

SECTION = "43_modern"


# ---- 4.3-patch-embedding ----------------------------------------------------------------------

def patch_embedding(images: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, patch: int) -> torch.Tensor:
    """ViT's first layer: cut (B, C, H, W) images into patch × patch squares, flatten each, project to D."""
    B, C, H, W = images.shape
    p = patch
    tiles = images.unfold(2, p, p).unfold(3, p, p)  # (B, C, H/p, W/p, p, p)
    tiles = tiles.permute(0, 2, 3, 1, 4, 5)  # (B, H/p, W/p, C, p, p): each patch's channels next to its pixels
    patches = tiles.reshape(B, (H // p) * (W // p), C * p * p)  # (B, N, C·p·p), patches in row-major order
    return patches @ weight.T + bias  # (B, N, D)


def _patch_library(images, weight, bias, patch):
    d, c = weight.shape[0], images.shape[1]
    out = F.conv2d(images, weight.reshape(d, c, patch, patch), bias, stride=patch)  # (B, D, H/p, W/p)
    return out.flatten(2).transpose(1, 2)  # (B, N, D)


def _patch_case(gen: torch.Generator, name: str, b: int, c: int, rows: int, cols: int, p: int, d: int,
                dtype=torch.float32) -> Case:
    images = randn(gen, b, c, rows * p, cols * p, dtype=dtype)
    weight = randn(gen, d, c * p * p, dtype=dtype, scale=(c * p * p) ** -0.5)
    return Case(name, (images, weight, randn(gen, d, dtype=dtype, scale=0.3), p))


def _patch_cases(gen: torch.Generator) -> list[Case]:
    b, d = randint(gen, 2, 4), randint(gen, 4, 9)
    p, k = randint(gen, 2, 4), randint(gen, 2, 4)
    return [
        _patch_case(gen, "rgb_images", b, 3, k, k, p, d),
        _patch_case(gen, "grayscale_images", b, 1, k, k, p, d),
        _patch_case(gen, "non_square_images", b, 3, k, k + 1, p, d),
        _patch_case(gen, "single_image", 1, 2, k + 1, k, p, d),
        _patch_case(gen, "one_patch", b, 3, 1, 1, p, d),
        _patch_case(gen, "float64", b, 3, k, k, p, d, torch.float64),
    ]


def _patch_timing(gen: torch.Generator) -> Case:
    return _patch_case(gen, "timing", 32, 3, 8, 8, 8, 192)


def _patch_variant(order: tuple = (0, 2, 3, 1, 4, 5), transpose: bool = False, with_bias: bool = True,
                   no_permute: bool = False):
    def embed(images, weight, bias, patch):
        B, C, H, W = images.shape
        tiles = images.unfold(2, patch, patch).unfold(3, patch, patch)
        tiles = tiles.contiguous() if no_permute else tiles.permute(*order)
        out = tiles.reshape(B, -1, C * patch * patch) @ weight.T
        out = out + bias if with_bias else out
        return out.transpose(1, 2) if transpose else out
    return embed


PATCH_EMBEDDING = exercise("4.3-patch-embedding", SECTION, patch_embedding, Check(
    cases=_patch_cases, library=_patch_library, library_name="F.conv2d(stride=patch)", timing=_patch_timing,
    mistakes=(
        Mistake("view_without_permute", _patch_variant(no_permute=True)),
        Mistake("channels_last", _patch_variant(order=(0, 2, 3, 4, 5, 1))),
        Mistake("column_order", _patch_variant(order=(0, 3, 2, 1, 4, 5))),
        Mistake("pixels_transposed", _patch_variant(order=(0, 2, 3, 1, 5, 4))),
        Mistake("transposed_output", _patch_variant(transpose=True)),
        Mistake("no_bias", _patch_variant(with_bias=False)),
    )))


# ---- 4.3-gelu ---------------------------------------------------------------------------------

def gelu(x: torch.Tensor, approximate: str) -> torch.Tensor:
    """GELU(x) = x·Φ(x); approximate="none" is the exact form, "tanh" the approximation GPT-2 and BERT used."""
    if approximate == "tanh":
        inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)
        return 0.5 * x * (1 + torch.tanh(inner))
    return 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))  # Φ(x) = (1 + erf(x/√2)) / 2, the standard normal CDF


def _gelu_library(x, approximate):
    return F.gelu(x, approximate=approximate)


def _gelu_cases(gen: torch.Generator) -> list[Case]:
    n, d = randint(gen, 3, 8), randint(gen, 4, 9)
    return [
        Case("gelu_exact", (randn(gen, n, d, scale=2.0), "none")),
        Case("gelu_tanh", (randn(gen, n, d, scale=2.0), "tanh")),
        Case("wide_range", (randn(gen, 64, scale=6.0), "none")),
        Case("huge_inputs", (randn(gen, n, d, scale=60.0), "none")),
        Case("huge_inputs_tanh", (randn(gen, n, d, scale=60.0), "tanh")),
        Case("scalar_input", (randn(gen, 1).squeeze(0) * 2, "none")),
        Case("float64", (randn(gen, 2, n, d, dtype=torch.float64, scale=2.0), "none")),
        Case("float64_tanh", (randn(gen, n, d, dtype=torch.float64, scale=2.0), "tanh")),
    ]


def _gelu_timing(gen: torch.Generator) -> Case:
    return Case("timing", (randn(gen, 1024, 1024), "none"))


def _exact(x):
    return 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))


def _tanh_form(x, cubic: float = 0.044715):
    return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + cubic * x**3)))


GELU = exercise("4.3-gelu", SECTION, gelu, Check(
    cases=_gelu_cases, library=_gelu_library, library_name="F.gelu", timing=_gelu_timing,
    mistakes=(
        Mistake("always_exact", lambda x, approximate: _exact(x)),
        Mistake("always_tanh", lambda x, approximate: _tanh_form(x)),
        Mistake("sigmoid_approximation", lambda x, approximate: x * torch.sigmoid(1.702 * x)),
        Mistake("silu", lambda x, approximate: x * torch.sigmoid(x)),
        Mistake("no_sqrt2", lambda x, approximate: _tanh_form(x) if approximate == "tanh"
                else 0.5 * x * (1 + torch.erf(x))),
        Mistake("no_half", lambda x, approximate: 2 * F.gelu(x, approximate=approximate)),
        Mistake("no_cubic_term", lambda x, approximate: _tanh_form(x, 0.0) if approximate == "tanh" else _exact(x)),
    )), imports="import math\n\nimport torch")

EXERCISES = (PATCH_EMBEDDING, GELU)
