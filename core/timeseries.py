"""Time series as data: trend + seasonality + noise, a moving-average decomposition, autocorrelation."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.errors import InputError


@dataclass(frozen=True)
class SeriesConfig:
    n: int = 144  # e.g. 12 years of months
    slope: float = 0.05  # trend per step
    period: int = 12
    amplitude: float = 2.0
    noise: float = 0.5
    seed: int = 0


def make_series(cfg: SeriesConfig) -> dict[str, np.ndarray]:
    """The series and the true parts it was built from: trend, seasonal, noise."""
    if cfg.period < 2 or cfg.n < 2 * cfg.period:
        raise InputError("short_series", "the series must cover at least two periods of length >= 2")
    t = np.arange(cfg.n, dtype=np.float64)
    trend = cfg.slope * t
    seasonal = cfg.amplitude * np.sin(2 * np.pi * t / cfg.period)
    noise = np.random.default_rng(cfg.seed).normal(scale=cfg.noise, size=cfg.n)
    return {"t": t, "y": trend + seasonal + noise, "trend": trend, "seasonal": seasonal, "noise": noise}


def moving_average(x: np.ndarray, window: int) -> np.ndarray:
    """Centred moving average; an even window uses the 2×window average so it stays centred.

    The first and last window // 2 values are NaN: there is not enough data on one side.
    """
    x = np.asarray(x, dtype=np.float64)
    if window < 1 or window > len(x):
        raise InputError("bad_window", "window must be between 1 and the series length")
    weights = np.full(window, 1.0 / window)
    if window % 2 == 0:  # e.g. 12 → weights 1/24, 1/12, …, 1/12, 1/24 over 13 points
        weights = np.convolve(weights, [0.5, 0.5])
    half = len(weights) // 2
    out = np.full(len(x), np.nan)
    for i in range(half, len(x) - half):
        out[i] = weights @ x[i - half:i + half + 1]
    return out


def decompose(y: np.ndarray, period: int) -> dict[str, np.ndarray]:
    """Classical additive decomposition: trend = MA over one period, seasonal = mean detrended
    value at each phase (centred to sum to zero), residual = the rest."""
    trend = moving_average(y, period)
    detrended = y - trend
    phase_means = np.array([np.nanmean(detrended[p::period]) for p in range(period)])
    phase_means -= phase_means.mean()
    seasonal = np.resize(phase_means, len(y))
    return {"trend": trend, "seasonal": seasonal, "residual": y - trend - seasonal}


def autocorrelation(x: np.ndarray, max_lag: int) -> np.ndarray:
    """r_k = Σ_t (x_t − x̄)(x_{t+k} − x̄) / Σ_t (x_t − x̄)², for k = 0 … max_lag."""
    x = np.asarray(x, dtype=np.float64)
    if not 0 <= max_lag < len(x):
        raise InputError("bad_lag", "max_lag must be below the series length")
    xc = x - x.mean()
    denom = xc @ xc
    if denom == 0:
        raise InputError("constant_series", "a constant series has no autocorrelation")
    return np.array([xc[: len(x) - k] @ xc[k:] / denom for k in range(max_lag + 1)])


def autocorrelation_np(x: np.ndarray, max_lag: int) -> np.ndarray:
    """The same estimate through `np.correlate`, as the reference."""
    xc = np.asarray(x, dtype=np.float64) - np.mean(x)
    full = np.correlate(xc, xc, mode="full")[len(xc) - 1:]
    return full[: max_lag + 1] / full[0]


def confidence_band(n: int) -> float:
    """±1.96/√n: where |r_k| of white noise falls 95% of the time."""
    return 1.96 / np.sqrt(n)
