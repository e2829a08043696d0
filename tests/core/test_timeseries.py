"""Moving average, decomposition and autocorrelation against numpy and pandas."""
import numpy as np
import pandas as pd
import pytest

from core import timeseries as ts


def test_autocorrelation_equals_np_correlate():
    y = ts.make_series(ts.SeriesConfig(seed=3))["y"]
    np.testing.assert_allclose(ts.autocorrelation(y, 40), ts.autocorrelation_np(y, 40), atol=1e-12)
    assert ts.autocorrelation(y, 5)[0] == pytest.approx(1.0)


def test_seasonal_series_peaks_at_its_period():
    y = ts.make_series(ts.SeriesConfig(slope=0.0, noise=0.1, period=12))["y"]
    r = ts.autocorrelation(y, 24)
    assert r[12] > 0.8 and r[6] < -0.8


def test_odd_moving_average_equals_pandas_rolling_centered():
    x = np.random.default_rng(0).normal(size=50)
    ours = ts.moving_average(x, 7)
    ref = pd.Series(x).rolling(7, center=True).mean().to_numpy()
    np.testing.assert_allclose(ours, ref, atol=1e-12, equal_nan=True)


def test_even_moving_average_is_the_centred_2xm_average():
    x = np.arange(30, dtype=float)
    ma = ts.moving_average(x, 12)
    assert np.isnan(ma[:6]).all() and np.isnan(ma[-6:]).all()
    np.testing.assert_allclose(ma[6:-6], x[6:-6])  # a straight line is kept exactly


def test_decomposition_recovers_trend_and_season():
    cfg = ts.SeriesConfig(n=240, noise=0.05)
    s = ts.make_series(cfg)
    parts = ts.decompose(s["y"], cfg.period)
    assert np.nanmax(np.abs(parts["trend"] - s["trend"])) < 0.1
    assert np.abs(parts["seasonal"] - s["seasonal"]).max() < 0.1
    assert parts["seasonal"][: cfg.period].sum() == pytest.approx(0, abs=1e-9)


def test_bad_inputs_raise():
    with pytest.raises(ValueError):
        ts.make_series(ts.SeriesConfig(n=10, period=12))
    with pytest.raises(ValueError):
        ts.autocorrelation(np.ones(10), 3)
    with pytest.raises(ValueError):
        ts.moving_average(np.ones(5), 6)
