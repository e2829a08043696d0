"""2.3 Invariances and preprocessing: a z-score scaler fitted on the training split only, and a shift augmentation."""
from __future__ import annotations

import torch

from core.exercises.base import Case, Check, Mistake, exercise
from core.exercises.checks import randint, randn

SECTION = "23_invariances"


# ---- 2.3-standardize --------------------------------------------------------------------------

def standardize(train: torch.Tensor, test: torch.Tensor):
    """Z-score both splits with the per-column mean and std of train alone; returns (train_scaled, test_scaled)."""
    mean = train.mean(dim=0)
    std = train.std(dim=0, correction=0)  # the population std (divide by n), as StandardScaler
    std = torch.where(std == 0, torch.ones_like(std), std)  # a constant column is only centred: no 0/0
    return (train - mean) / std, (test - mean) / std


def _standardize_library(train, test):
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(train.numpy())
    return torch.from_numpy(scaler.transform(train.numpy())), torch.from_numpy(scaler.transform(test.numpy()))


def _columns(gen: torch.Generator, n: int, d: int, dtype=torch.float32) -> torch.Tensor:
    """n rows of d columns, each column with its own centre (±20) and spread (1…10)."""
    g = torch.Generator().manual_seed(randint(gen, 0, 2**31))
    centres = (torch.rand(d, generator=g, dtype=torch.float64) - 0.5) * 40
    spreads = 10 ** torch.rand(d, generator=g, dtype=torch.float64)
    return (torch.randn(n, d, generator=gen, dtype=torch.float64) * spreads + centres).to(dtype)


def _standardize_cases(gen: torch.Generator) -> list[Case]:
    n, m, d = randint(gen, 8, 20), randint(gen, 3, 8), randint(gen, 2, 5)

    def split(d=d, dtype=torch.float32, drift=1.0, test_rows=m):
        both = _columns(gen, n + test_rows, d, dtype)
        test = both[n:] + drift * both[:n].std(dim=0)  # the test split has drifted: its own stats differ
        return both[:n], test

    const_train, const_test = split()
    value = (2.5, -1.0, 7.0, 0.0)[randint(gen, 0, 4)]
    const_train[:, 0] = value  # constant in train, and not in test
    return [
        Case("train_and_test", split()),
        Case("constant_column", (const_train, const_test)),
        Case("one_test_row", split(test_rows=1)),
        Case("single_feature", split(d=1)),
        Case("float64", split(dtype=torch.float64)),
    ]


def _stats_of(fit):
    """A scaler that takes its statistics from fit(train, test), with StandardScaler's constant-column rule."""
    def scale(train, test):
        data = fit(train, test)
        mean, std = data.mean(dim=0), data.std(dim=0, correction=0)
        std = torch.where(std == 0, torch.ones_like(std), std)
        return (train - mean) / std, (test - mean) / std
    return scale


def _own_stats(train, test):
    return standardize(train, train)[0], standardize(test, test)[0]


def _sample_std(train, test):
    mean, std = train.mean(dim=0), train.std(dim=0)
    std = torch.where(std == 0, torch.ones_like(std), std)
    return (train - mean) / std, (test - mean) / std


def _no_guard(train, test):
    mean, std = train.mean(dim=0), train.std(dim=0, correction=0)
    return (train - mean) / std, (test - mean) / std


def _eps(train, test):
    mean, std = train.mean(dim=0), train.std(dim=0, correction=0)
    return (train - mean) / (std + 1e-8), (test - mean) / (std + 1e-8)


STANDARDIZE = exercise("2.3-standardize", SECTION, standardize, Check(
    cases=_standardize_cases, library=_standardize_library, library_name="sklearn StandardScaler",
    mistakes=(
        Mistake("fit_on_all", _stats_of(lambda train, test: torch.cat([train, test]))),
        Mistake("test_own_stats", _own_stats),
        Mistake("sample_std", _sample_std),
        Mistake("constant_nan", _no_guard),
        Mistake("eps_blowup", _eps),
    )))


# ---- 2.3-shift --------------------------------------------------------------------------------

def shift(images: torch.Tensor, dx: int, dy: int) -> torch.Tensor:
    """Move images (..., H, W) dx pixels right and dy pixels down; what comes in from outside is 0."""
    out = torch.zeros_like(images)
    h, w = images.shape[-2:]
    if abs(dx) >= w or abs(dy) >= h:
        return out  # shifted out of the frame entirely
    # rows: the target starts at max(dy, 0) and ends min(dy, 0) before the edge; the source the other way round
    out[..., max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        images[..., max(-dy, 0):h - max(dy, 0), max(-dx, 0):w - max(dx, 0)]
    return out


def _shift_library(images, dx, dy):
    from torchvision.transforms.v2 import functional as TF

    x = images if images.dim() >= 3 else images.unsqueeze(0)  # torchvision wants a channel dimension
    out = TF.affine(x, angle=0.0, translate=[dx, dy], scale=1.0, shear=[0.0, 0.0], fill=0)
    return out if images.dim() >= 3 else out.squeeze(0)


def _offsets(gen: torch.Generator, limit: int) -> tuple[int, int]:
    """Two different non-zero shifts in ±[1, limit)."""
    dx = randint(gen, 1, limit) * (1 if randint(gen, 0, 2) else -1)
    dy = randint(gen, 1, limit) * (1 if randint(gen, 0, 2) else -1)
    return dx, (dy if dy != dx else -dx)


def _shift_cases(gen: torch.Generator) -> list[Case]:
    h, w = randint(gen, 5, 9), randint(gen, 10, 14)  # never square: a swapped axis shows
    rgb = (torch.rand(3, h, w, generator=gen) * 255).round().to(torch.uint8)
    dx, dy = _offsets(gen, 4)
    return [
        Case("one_image", (randn(gen, h, w), *_offsets(gen, 4))),
        Case("rgb_uint8", (rgb, dx, dy)),
        Case("batch", (randn(gen, 2, 3, h, w), *_offsets(gen, 4))),
        Case("negative_shift", (randn(gen, 2, h, w), -randint(gen, 1, 4), -randint(gen, 1, 4))),
        Case("vertical_only", (randn(gen, 1, h, w), 0, randint(gen, 1, 4))),
        Case("out_of_frame", (randn(gen, 2, h, w), w + randint(gen, 0, 3), randint(gen, -2, 3))),
        Case("float64", (randn(gen, 2, 1, h, w, dtype=torch.float64), *_offsets(gen, 4))),
    ]


def _shift_timing(gen: torch.Generator) -> Case:
    return Case("timing", (randn(gen, 64, 3, 64, 64), 5, -3))


SHIFT = exercise("2.3-shift", SECTION, shift, Check(
    cases=_shift_cases, library=_shift_library, library_name="torchvision v2 affine", timing=_shift_timing,
    mistakes=(
        Mistake("wraps", lambda images, dx, dy: torch.roll(images, shifts=(dy, dx), dims=(-2, -1))),
        Mistake("swapped_axes", lambda images, dx, dy: shift(images, dy, dx)),
        Mistake("wrong_direction", lambda images, dx, dy: shift(images, -dx, -dy)),
    )))

EXERCISES = (STANDARDIZE, SHIFT)
