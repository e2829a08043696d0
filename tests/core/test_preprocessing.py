"""Our torch scalers equal sklearn's in float64: fit, transform, inverse; constant columns stay finite."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn import preprocessing as skp

from core.preprocessing import MinMaxScaler, RobustScaler, Scaler, StandardScaler, make_scaler

PAIRS = [(StandardScaler, skp.StandardScaler), (MinMaxScaler, skp.MinMaxScaler), (RobustScaler, skp.RobustScaler)]


def data_with_outliers_and_constant(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    X = rng.normal(3.0, 2.0, size=(200, 4))
    X[::25, 1] = 1e4  # outliers
    X[:, 2] = -1.5  # constant column
    X[:, 3] = rng.exponential(5.0, 200)
    return X


def fitted_pair(ours_cls, ref_cls, X):
    return ours_cls().fit(torch.as_tensor(X)), ref_cls().fit(X)


@pytest.mark.parametrize("ours_cls,ref_cls", PAIRS)
def test_matches_sklearn_fit_transform_inverse(ours_cls, ref_cls):
    X = data_with_outliers_and_constant()
    train, new = X[:150], X[150:] * 1.3 + 0.7  # transform data the scaler never saw
    ours, ref = fitted_pair(ours_cls, ref_cls, train)
    for Z in (train, new):
        z_ours = ours.transform(torch.as_tensor(Z)).numpy()
        np.testing.assert_allclose(z_ours, ref.transform(Z), rtol=0, atol=1e-6)
        np.testing.assert_allclose(ours.inverse_transform(torch.as_tensor(z_ours)).numpy(), ref.inverse_transform(z_ours),
                                   rtol=0, atol=1e-6)
    np.testing.assert_allclose(ours.fit_transform(torch.as_tensor(train)).numpy(), ref_cls().fit_transform(train), atol=1e-6)


@pytest.mark.parametrize("name", ["zscore", "minmax", "robust"])
def test_constant_column_maps_to_zero_and_stays_finite(name):
    X = torch.full((50, 3), 4.2, dtype=torch.float64)
    X[:, 0] = torch.arange(50, dtype=torch.float64)
    Z = make_scaler(name).fit_transform(X)
    assert torch.isfinite(Z).all()
    assert Z[:, 1:].abs().max() < 1e-12  # the mean of a constant column may round by one ulp


def test_float32_constant_column_is_finite_too():
    X = torch.ones(10, 2)
    X[:, 0] = torch.linspace(0, 1, 10)
    for name in ("zscore", "minmax", "robust"):
        assert torch.isfinite(make_scaler(name).fit_transform(X)).all()


def test_robust_scaler_ignores_outliers_that_wreck_minmax():
    X = data_with_outliers_and_constant()[:, 1:2]
    inliers = X[:, 0] < 100
    spread = lambda s: np.ptp(s.fit_transform(torch.as_tensor(X)).numpy()[inliers])  # noqa: E731
    assert spread(RobustScaler()) > 100 * spread(MinMaxScaler())


def test_identity_scaler_and_unfitted_errors():
    X = torch.randn(5, 3)
    assert torch.equal(Scaler().fit_transform(X), X)
    with pytest.raises(RuntimeError):
        StandardScaler().transform(X)


@settings(max_examples=40, deadline=None)
@given(
    X=arrays(np.float64, st.tuples(st.integers(2, 30), st.integers(1, 4)),
             elements=st.integers(-640_000, 640_000).map(lambda k: k / 64)),
    which=st.sampled_from(range(3)),
)
def test_property_matches_sklearn_and_never_nan(X, which):
    # values on a 1/64 grid: a column's spread is 0 or at least ~0.01, so the tolerances stay simple
    # (inexact constants and tiny spreads have their own test above)
    ours_cls, ref_cls = PAIRS[which]
    ours, ref = fitted_pair(ours_cls, ref_cls, X)
    z = ours.transform(torch.as_tensor(X)).numpy()
    assert np.isfinite(z).all()
    scale = max(1.0, np.abs(X).max())
    np.testing.assert_allclose(z, ref.transform(X), rtol=1e-6, atol=1e-6 * scale)
    np.testing.assert_allclose(ours.inverse_transform(torch.as_tensor(z)).numpy(), X, rtol=0, atol=1e-6 * scale)


# --- constant columns that floating point cannot hold exactly -------------------------------------

MANTISSAS = (0.1, 1 / 3, 1e-7 * np.pi, 123456.789, 1e8 + 0.3, -2.718281828, 7 / 11)
EXPONENTS = range(-24, 25, 6)  # 1e-24 … 1e24: inside float32's normal range for every mantissa


def mixed_frame(dtype, n: int, seed: int = 0):
    """(train, test, constant_mask): constant columns over many magnitudes beside ordinary and
    tiny-spread columns; test rows sit a relative 1e-7 away from each constant."""
    rng = np.random.default_rng(seed)
    constants = np.array([m * 10.0**e for m in MANTISSAS for e in EXPONENTS])
    varying = [(0, 1), (1e3, 1e-3), (-5e5, 1e4), (0, 1e-20), (1e6, 1)]  # (loc, scale): a relative test must keep these
    draw = lambda rows: np.stack([rng.normal(m, s, rows) for m, s in varying]  # noqa: E731
                                 + [1 + 2.0**-22 * rng.integers(0, 5, rows)], 1)  # a spread of a few float32 ulps
    train = np.concatenate([np.tile(constants, (n, 1)), draw(n)], 1)
    nudge = 1 + rng.choice([-1e-7, 0.0, 1e-7, 3e-8], size=(2 * n, len(constants)))
    test = np.concatenate([constants * nudge, draw(2 * n)], 1)
    mask = np.r_[np.ones(len(constants), bool), np.zeros(len(varying) + 1, bool)]
    return train.astype(dtype), test.astype(dtype), mask


def ulps(X_train, dtype) -> np.ndarray:
    """Per column: a rounding of the input (sklearn's float32 min-max works in float32) plus the error
    a float64 mean of n values may carry, in units of the column's magnitude."""
    rounding = 2 * np.finfo(dtype).eps + len(X_train) * np.finfo(np.float64).eps
    return rounding * np.abs(X_train.astype(np.float64)).max(axis=0)


def assert_like_sklearn(z_ours, z_ref, X_train, z_ref_train, dtype):
    """Equal to sklearn within that rounding error, measured in output units."""
    ptp_z = np.ptp(z_ref_train, axis=0)
    spread = np.ptp(X_train.astype(np.float64), axis=0) / np.where(ptp_z > 0, ptp_z, 1)
    tol = ulps(X_train, dtype) / np.where(spread > 0, spread, 1.0)
    assert np.isfinite(z_ours).all()
    bad = np.abs(z_ours.astype(np.float64) - z_ref) > tol + 1e-5 * np.abs(z_ref)
    assert not bad.any(), f"columns {np.flatnonzero(bad.any(0))}: ours {z_ours[bad][:3]} vs sklearn {z_ref[bad][:3]}"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [2, 3, 10, 37, 300])
@pytest.mark.parametrize("ours_cls,ref_cls", PAIRS)
def test_inexact_constants_match_sklearn_on_train_and_nearby_test_values(ours_cls, ref_cls, n, dtype):
    train, test, constant = mixed_frame(dtype, n, seed=n)
    ours, ref = fitted_pair(ours_cls, ref_cls, train)
    z_ref_train = ref.transform(train)
    for X in (train, test):
        z = ours.transform(torch.as_tensor(X)).numpy()
        assert z.dtype == dtype
        assert_like_sklearn(z, ref.transform(X), train, z_ref_train, dtype)
    z_train = ours.transform(torch.as_tensor(train)).numpy()
    assert (np.abs(z_train[:, constant]) <= ulps(train, dtype)[constant]).all()  # the training rows map to 0, not ±1
    np.testing.assert_array_equal(ours_cls().fit_transform(torch.as_tensor(train)).numpy(), z_train)
    back = ours.inverse_transform(torch.as_tensor(z_train)).numpy().astype(np.float64)
    assert (np.abs(back - train) <= ulps(train, dtype)).all()


def test_a_float64_constant_of_1e8_plus_0_3_gets_scale_one():
    # 37 copies sum to a mean an ulp off: a std of ~1e-8, far above an absolute cut-off of 10 eps
    X = torch.full((37, 1), 1e8 + 0.3, dtype=torch.float64)
    scaler = StandardScaler().fit(X)
    assert scaler.scale.item() == 1.0
    assert abs(scaler.transform(torch.tensor([[(1e8 + 0.3) * (1 + 1e-7)]], dtype=torch.float64)).item() - 10.0) < 1e-6
