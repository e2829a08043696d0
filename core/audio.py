"""Audio as data: a synthesized signal, its STFT, our own mel filterbank, log-mel and MFCC.

The mel scale is the HTK formula, mel(f) = 2595 · log10(1 + f / 700): roughly linear below
1 kHz and logarithmic above, like the ear's resolution. Filters are triangles whose corners sit on
equally spaced mel points; "slaney" normalization divides each by its width in Hz so that every
filter has the same area.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from core.errors import InputError


@dataclass(frozen=True)
class SignalConfig:
    sample_rate: int = 8000
    duration: float = 1.0  # seconds
    tones: tuple[tuple[float, float], ...] = ((440.0, 0.6), (1320.0, 0.3))  # (frequency Hz, amplitude)
    chirp: tuple[float, float, float] = (200.0, 3000.0, 0.3)  # (start Hz, end Hz, amplitude)
    noise: float = 0.05  # std of white noise
    seed: int = 0


def synth_signal(cfg: SignalConfig) -> tuple[np.ndarray, np.ndarray]:
    """(t, x): a sum of sine tones, a linear chirp and Gaussian noise, as float32 arrays."""
    n = int(round(cfg.sample_rate * cfg.duration))
    if n < 2:
        raise InputError("short_signal", "the signal needs at least two samples")
    t = np.arange(n) / cfg.sample_rate
    x = np.zeros(n)
    for freq, amp in cfg.tones:
        x += amp * np.sin(2 * np.pi * freq * t)
    f0, f1, amp = cfg.chirp
    # instantaneous frequency f0 + (f1 - f0) t / T, so the phase is its integral
    x += amp * np.sin(2 * np.pi * (f0 * t + (f1 - f0) * t**2 / (2 * cfg.duration)))
    x += np.random.default_rng(cfg.seed).normal(scale=cfg.noise, size=n)
    return t.astype(np.float32), x.astype(np.float32)


def stft_magnitude(x: torch.Tensor, n_fft: int, hop: int) -> torch.Tensor:
    """|STFT| with a Hann window from `torch.stft`: (n_fft // 2 + 1, frames)."""
    window = torch.hann_window(n_fft)
    spec = torch.stft(x, n_fft, hop_length=hop, window=window, center=True, pad_mode="reflect", return_complex=True)
    return spec.abs()


def our_stft_magnitude(x: torch.Tensor, n_fft: int, hop: int) -> torch.Tensor:
    """The same |STFT| by hand: reflect-pad, cut overlapping frames, window, real FFT."""
    padded = torch.nn.functional.pad(x[None, None], (n_fft // 2, n_fft // 2), mode="reflect")[0, 0]
    frames = padded.unfold(0, n_fft, hop)  # (frames, n_fft)
    window = 0.5 - 0.5 * torch.cos(2 * math.pi * torch.arange(n_fft) / n_fft)  # periodic Hann
    return torch.fft.rfft(frames * window, dim=1).abs().T  # (n_fft // 2 + 1, frames)


def hz_to_mel(f):
    """HTK mel scale."""
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def mel_to_hz(m):
    return 700.0 * (10.0 ** (np.asarray(m, dtype=np.float64) / 2595.0) - 1.0)


def mel_filterbank(
    n_mels: int, n_fft: int, sample_rate: int, f_min: float = 0.0, f_max: float | None = None, norm: str | None = None
) -> torch.Tensor:
    """Triangular mel filters, (n_mels, n_fft // 2 + 1), to multiply a power spectrum with.

    Filter i rises from mel point i to a peak of 1 at point i+1 and falls to 0 at point i+2;
    the n_mels + 2 points are equally spaced in mel between f_min and f_max. With norm="slaney"
    each filter is scaled by 2 / (its width in Hz). Raises ValueError if a filter is so narrow that
    it falls between two FFT bins (too many mel bands for this n_fft).
    """
    f_max = sample_rate / 2 if f_max is None else f_max
    if not 0 <= f_min < f_max <= sample_rate / 2:
        raise InputError("mel_range", f"need 0 <= f_min < f_max <= sample_rate/2 = {sample_rate / 2:g} Hz", nyquist=sample_rate / 2)
    if n_mels < 1:
        raise InputError("no_mels", "n_mels must be at least 1")
    bin_freqs = np.linspace(0, sample_rate / 2, n_fft // 2 + 1)  # (F,)
    edges = mel_to_hz(np.linspace(hz_to_mel(f_min), hz_to_mel(f_max), n_mels + 2))  # (n_mels + 2,)
    lower, center, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (bin_freqs - lower) / (center - lower)
    falling = (upper - bin_freqs) / (upper - center)
    fb = np.maximum(0.0, np.minimum(rising, falling))  # (n_mels, F)
    if norm == "slaney":
        fb *= 2.0 / (upper - lower)
    elif norm is not None:
        raise ValueError("norm must be None or 'slaney'")
    empty = np.flatnonzero(fb.max(axis=1) <= 0)
    if len(empty):
        width, spacing = upper[empty[0], 0] - lower[empty[0], 0], bin_freqs[1]
        raise InputError(
            "empty_mels",
            f"{len(empty)} of {n_mels} mel filters fall between FFT bins (the narrowest is "
            f"{width:.0f} Hz wide, the bins are {spacing:.0f} Hz apart): use fewer mel bands or a larger n_fft",
            empty=len(empty), n_mels=n_mels, width=float(width), spacing=float(spacing),
        )
    return torch.as_tensor(fb, dtype=torch.float32)


def dct_matrix(n_out: int, n_in: int) -> torch.Tensor:
    """Orthonormal DCT-II as a matrix: (n_out, n_in), y = D @ x."""
    k = torch.arange(n_out, dtype=torch.float64)[:, None]
    n = torch.arange(n_in, dtype=torch.float64)[None, :]
    d = torch.cos(math.pi / n_in * (n + 0.5) * k) * math.sqrt(2.0 / n_in)
    d[0] /= math.sqrt(2.0)
    return d.float()


@dataclass(frozen=True)
class Features:
    stft_db: np.ndarray  # (F, frames) 20·log10|X|
    mel_db: np.ndarray  # (n_mels, frames) 10·log10 mel power
    mfcc: np.ndarray  # (n_mfcc, frames)
    filterbank: np.ndarray  # (n_mels, F)
    bin_hz: float
    frame_s: float


def audio_features(x: np.ndarray, sample_rate: int, n_fft: int, hop: int, n_mels: int, n_mfcc: int) -> Features:
    """Spectrogram, log-mel spectrogram and MFCC of `x`; the MFCC is the DCT-II of the log-mel."""
    if n_fft > len(x):
        raise InputError("long_fft", f"n_fft = {n_fft} is longer than the signal ({len(x)} samples)", n_fft=n_fft, n=len(x))
    if n_mfcc > n_mels:
        raise InputError("mfcc_mels", "n_mfcc cannot exceed n_mels")
    mag = stft_magnitude(torch.as_tensor(x), n_fft, hop)  # (F, frames)
    fb = mel_filterbank(n_mels, n_fft, sample_rate)  # (n_mels, F)
    mel_power = fb @ mag**2  # (n_mels, frames)
    log_mel = 10 * torch.log10(mel_power + 1e-10)
    mfcc = dct_matrix(n_mfcc, n_mels) @ log_mel  # (n_mfcc, frames)
    return Features(
        (20 * torch.log10(mag + 1e-10)).numpy(), log_mel.numpy(), mfcc.numpy(), fb.numpy(),
        sample_rate / n_fft, hop / sample_rate,
    )


def filterbank_properties(fb: torch.Tensor, n_fft: int, sample_rate: int, f_min: float = 0.0, f_max: float | None = None) -> dict:
    """The facts a mel filterbank must satisfy, for the Check tab and the tests."""
    f_max = sample_rate / 2 if f_max is None else f_max
    freqs = np.linspace(0, sample_rate / 2, n_fft // 2 + 1)
    inside = (freqs > f_min) & (freqs < f_max)
    fb = fb.numpy()
    peaks = fb.argmax(axis=1)
    return {
        "shape": tuple(fb.shape),
        "min_value": float(fb.min()),
        "empty_filters": int((fb.max(axis=1) <= 0).sum()),
        "uncovered_bins": int((fb[:, inside].sum(axis=0) <= 0).sum()),
        "peaks_increasing": bool(np.all(np.diff(peaks) >= 0)),
        "lowest_hz": float(freqs[np.flatnonzero(fb.sum(axis=0) > 0)[0]]),
        "highest_hz": float(freqs[np.flatnonzero(fb.sum(axis=0) > 0)[-1]]),
    }
