"""1.1 core: vector maths, 2×2 eigen-decomposition, linear-layer shapes and PCA against torch/sklearn."""
import math

import numpy as np
import pytest
import torch

from app.charts import plane_spec
from core.linalg_demos import (
    arrow_rows,
    eigenvalues_by_hand,
    linear_layer,
    make_cloud,
    pca_by_eigh,
    pca_differences,
    pca_sklearn,
    transform,
    transformed_grid_rows,
    vector_stats,
    vector_stats_by_hand,
)


@pytest.mark.parametrize("a,b", [((1.0, 2.0), (3.0, -1.0)), ((-2.5, 0.5), (0.3, 2.9)), ((1.0, 0.0), (0.0, 1.0))])
def test_vector_stats_match_by_hand_and_numpy(a, b):
    ours, hand = vector_stats(a, b), vector_stats_by_hand(a, b)
    for k in hand:
        assert ours[k] == pytest.approx(hand[k], abs=1e-12)
    assert ours["dot"] == pytest.approx(float(np.dot(a, b)))
    assert ours["l2_a"] == pytest.approx(float(np.linalg.norm(a)))
    assert ours["l1_b"] == pytest.approx(float(np.abs(b).sum()))


def test_orthogonal_and_zero_vectors():
    s = vector_stats((1.0, 0.0), (0.0, 2.0))
    assert s["dot"] == 0 and s["angle_deg"] == pytest.approx(90)
    assert math.isnan(vector_stats((0.0, 0.0), (1.0, 1.0))["cos"])


def test_eigenvectors_are_only_scaled():
    tr = transform(1.5, 0.5, 0.5, 1.0)
    assert tr.real and tr.det == pytest.approx(1.25)
    for lam, v in tr.real_eigenpairs():
        assert np.allclose(tr.matrix @ v, lam * v, atol=1e-12)
    assert tr.det == pytest.approx(float(np.prod(tr.eigenvalues).real))


def test_rotation_has_complex_eigenvalues_matching_the_characteristic_polynomial():
    tr = transform(0.0, -1.0, 1.0, 0.0)
    assert not tr.real and tr.real_eigenpairs() == []
    hand = eigenvalues_by_hand(0.0, -1.0, 1.0, 0.0)
    torch_vals = sorted(tr.eigenvalues.tolist(), key=lambda z: (-z.real, -z.imag))
    assert np.allclose(hand, torch_vals, atol=1e-12)


def test_grid_is_transformed_by_the_matrix():
    M = np.array([[2.0, 0.0], [0.0, 0.5]])
    grid, circle = transformed_grid_rows(M)
    after = [(r["x"], r["y"]) for r in circle if r["group"] == "after"]
    radii = [x * x / 4 + y * y / 0.25 for x, y in after]   # the image of the unit circle is an ellipse
    assert np.allclose(radii, 1.0)
    assert {r["group"] for r in grid} == {"before", "after"}


def test_linear_layer_shapes_and_nn_linear():
    lin = linear_layer(5, 7, 3, seed=1)
    assert lin.x_shape == (5, 7) and lin.W_shape == (3, 7) and lin.b_shape == (3,) and lin.y_shape == (5, 3)
    assert lin.n_params == 7 * 3 + 3
    assert lin.max_diff_vs_nn_linear < 1e-5
    with pytest.raises(ValueError):
        linear_layer(0, 3, 2)


@pytest.mark.parametrize("sx,sy,corr", [(2.0, 0.7, 0.6), (1.0, 1.0, 0.0), (0.3, 2.5, -0.9)])
def test_pca_matches_sklearn(sx, sy, corr):
    X = make_cloud(400, sx, sy, corr, seed=3)
    ours, ref = pca_by_eigh(X), pca_sklearn(X)
    d = pca_differences(ours, ref)
    assert d["components"] < 1e-6, "components agree up to sign"
    assert d["explained_variance"] < 1e-6 and d["explained_variance_ratio"] < 1e-6
    assert ours.explained_variance[0] >= ours.explained_variance[1]
    assert np.allclose(ours.covariance, np.cov(X.T))


def test_pca_difference_would_catch_a_wrong_axis():
    X = make_cloud(200, 2.0, 0.5, 0.3, seed=0)
    ours, ref = pca_by_eigh(X), pca_sklearn(X)
    wrong = type(ours)(ours.mean, ours.covariance, ours.components[::-1], ours.explained_variance, ours.explained_variance_ratio)
    assert pca_differences(wrong, ref)["components"] > 0.1


def test_cloud_rejects_bad_settings():
    with pytest.raises(ValueError):
        make_cloud(2)
    with pytest.raises(ValueError):
        make_cloud(50, corr=1.0)


def test_arrow_and_plane_spec():
    rows = arrow_rows((0, 0), (1, 1), "a", "a")
    assert len(rows) == 6 and rows[1]["x"] == 1.0
    spec = plane_spec("t", "x", "y", lines=rows, points=[{"x": 0, "y": 0, "group": "p"}], field=[{"x": 0, "y": 0, "z": 1}])
    assert spec["title"] == "t" and len(spec["layer"]) == 3
    assert all("tooltip" in layer["encoding"] for layer in spec["layer"])
    torch.manual_seed(0)
