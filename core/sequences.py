"""Synthetic sequence tasks as `core.datasets.Dataset` objects: a noisy sine to forecast, motifs
hidden in noise to classify, and digit strings to reverse or sort."""
from __future__ import annotations

import math

import numpy as np
import torch

from core.datasets import Dataset, Splits, make_splits
from core.errors import InputError

MOTIFS = ("none", "bump", "dip", "zigzag")
DIGIT_TASKS = ("reverse", "sort")
MOTIF_WIDTH = 6
# The one rule for a typed digit, used to validate and to parse: ASCII 0-9 only ("²" and "٣" pass
# str.isdigit(), and int() refuses the first and reads the second as 3).
DIGIT_VALUES = {c: i for i, c in enumerate("0123456789")}


def check_sequence_args(n_samples: int, seq_len: int, min_len: int = 2) -> None:
    if n_samples < 20:
        raise ValueError("a sequence task needs at least 20 samples to split into train, val and test")
    if seq_len < min_len:
        raise ValueError(f"sequences must be at least {min_len} steps long")


def noisy_sine(n_samples: int = 800, seq_len: int = 30, noise: float = 0.1, horizon: int = 1, seed: int = 0) -> Dataset:
    """Windows of sin(ωt + φ) + noise, each with its own ω and φ; the target is the value `horizon` steps after.

    X: (N, T, 1) float32; y: (N,) float32.
    """
    check_sequence_args(n_samples, seq_len)
    if horizon < 1:
        raise ValueError("the forecast horizon must be at least one step")
    rng = np.random.default_rng(seed)
    omega = rng.uniform(0.15, 0.45, size=(n_samples, 1))
    phase = rng.uniform(0, 2 * math.pi, size=(n_samples, 1))
    t = np.arange(seq_len + horizon)[None, :]
    wave = np.sin(omega * t + phase) + rng.normal(scale=noise, size=(n_samples, seq_len + horizon))
    X = torch.as_tensor(wave[:, :seq_len, None], dtype=torch.float32)
    y = torch.as_tensor(wave[:, seq_len + horizon - 1], dtype=torch.float32)
    return Dataset("noisy_sine", X, y, "regression", tuple(f"t{i}" for i in range(seq_len)))


def motif_sequences(n_samples: int = 800, seq_len: int = 40, noise: float = 0.3, seed: int = 0) -> Dataset:
    """Gaussian noise with one motif (a bump, a dip, a zigzag, or none) at a random place; label = the motif.

    X: (N, T, 1) float32; y: (N,) int64 in MOTIFS order.
    """
    check_sequence_args(n_samples, seq_len, min_len=MOTIF_WIDTH + 2)
    rng = np.random.default_rng(seed)
    X = rng.normal(scale=noise, size=(n_samples, seq_len))
    y = np.arange(n_samples) % len(MOTIFS)
    rng.shuffle(y)
    start = rng.integers(0, seq_len - MOTIF_WIDTH + 1, size=n_samples)
    u = np.linspace(-1, 1, MOTIF_WIDTH)
    shapes = {
        "none": np.zeros(MOTIF_WIDTH),
        "bump": 1.5 * np.exp(-3 * u**2),
        "dip": -1.5 * np.exp(-3 * u**2),
        "zigzag": 1.2 * np.where(np.arange(MOTIF_WIDTH) % 2 == 0, 1.0, -1.0),
    }
    for i in range(n_samples):
        X[i, start[i] : start[i] + MOTIF_WIDTH] += shapes[MOTIFS[y[i]]]
    return Dataset("motifs", torch.as_tensor(X[:, :, None], dtype=torch.float32), torch.as_tensor(y, dtype=torch.int64),
                   "multiclass", tuple(f"t{i}" for i in range(seq_len)), MOTIFS)


def digit_sequences(task: str = "reverse", n_samples: int = 4000, seq_len: int = 8, vocab: int = 10, seed: int = 0) -> Dataset:
    """Random digit strings and their reversed (or sorted) copies, for token-level classification.

    X: (N, T) int64 tokens; y: (N, T) int64 targets, one per position.
    """
    if task not in DIGIT_TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {DIGIT_TASKS}")
    check_sequence_args(n_samples, seq_len)
    if not 2 <= vocab <= 10:
        raise ValueError("the vocabulary holds between 2 and 10 digits")
    gen = torch.Generator().manual_seed(seed)
    X = torch.randint(0, vocab, (n_samples, seq_len), generator=gen)
    y = digit_targets(X, task)
    return Dataset(f"digits_{task}", X, y, "multiclass", tuple(f"pos{i}" for i in range(seq_len)),
                   tuple(str(d) for d in range(vocab)))


def digit_targets(X: torch.Tensor, task: str) -> torch.Tensor:
    """The right answer for each digit string: (N, T) → (N, T)."""
    return X.flip(-1) if task == "reverse" else X.sort(dim=-1).values


def sequence_splits(ds: Dataset, seed: int = 0) -> Splits:
    """70/15/15 seeded split; sequence inputs need no scaling (the data are already O(1))."""
    return make_splits(ds, 0.15, 0.15, seed=seed)


def naive_last_value(X: torch.Tensor) -> torch.Tensor:
    """The persistence forecast: tomorrow equals today. (N, T, 1) → (N,)."""
    return X[:, -1, 0]


def mse(pred: torch.Tensor, target: torch.Tensor) -> float:
    return float(((pred.reshape(-1).float() - target.reshape(-1).float()) ** 2).mean())


def parse_digit_string(text: str, seq_len: int, vocab: int = 10) -> torch.Tensor:
    """Turn "3 1 4 1 5 9 2 6" or "31415926" into a (1, T) token tensor.

    Raises `SequenceInputError` with a reason code: empty, not_digits, out_of_vocab or wrong_length.
    """
    raw = text.replace(",", " ").split()
    chars = list("".join(raw))
    if not chars:
        raise SequenceInputError("empty", length=seq_len)
    bad = sorted({c for c in chars if c not in DIGIT_VALUES})
    if bad:
        raise SequenceInputError("not_digits", chars=" ".join(bad))
    digits = [DIGIT_VALUES[c] for c in chars]
    too_big = sorted({d for d in digits if d >= vocab})
    if too_big:
        raise SequenceInputError("out_of_vocab", digits=" ".join(map(str, too_big)), top=vocab - 1)
    if len(digits) != seq_len:
        raise SequenceInputError("wrong_length", got=len(digits), length=seq_len)
    return torch.tensor([digits], dtype=torch.long)


class SequenceInputError(InputError):
    """A typed sequence that cannot be used: empty, not_digits, out_of_vocab or wrong_length."""

    def __init__(self, code: str, **params) -> None:
        super().__init__(code, None, **params)
