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
    # values on a 1/64 grid: a column's spread is 0 or at least ~0.01. (With spreads near 1e-37 our
    # absolute "constant column" cut-off differs from StandardScaler's relative one.)
    ours_cls, ref_cls = PAIRS[which]
    ours, ref = fitted_pair(ours_cls, ref_cls, X)
    z = ours.transform(torch.as_tensor(X)).numpy()
    assert np.isfinite(z).all()
    scale = max(1.0, np.abs(X).max())
    np.testing.assert_allclose(z, ref.transform(X), rtol=1e-6, atol=1e-6 * scale)
    np.testing.assert_allclose(ours.inverse_transform(torch.as_tensor(z)).numpy(), X, rtol=0, atol=1e-6 * scale)
