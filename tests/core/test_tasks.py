"""Our classification, regression and clustering metrics against scikit-learn."""
import numpy as np
import pytest
from sklearn import metrics as skm

from core import tasks


@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel"])
@pytest.mark.parametrize("noise", [0.0, 0.5, 1.5])
def test_our_classification_metrics_equal_sklearn(kind, noise):
    ex = tasks.classification_example(kind, n=60, noise=noise, seed=1)
    ours = tasks.our_metrics(kind, ex["y_true"], ex["y_pred"])
    ref = tasks.sklearn_metrics(kind, ex["y_true"], ex["y_pred"])
    assert ours.keys() <= ref.keys()
    for k, v in ours.items():
        assert v == pytest.approx(ref[k], abs=1e-12), k


def test_hamming_loss_and_subset_accuracy_on_a_hand_example():
    Y = np.array([[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 1]])
    P = np.array([[1, 0, 1], [0, 0, 0], [1, 1, 1], [0, 0, 1]])
    assert tasks.hamming_loss(Y, P) == pytest.approx(2 / 12) == skm.hamming_loss(Y, P)
    assert tasks.subset_accuracy(Y, P) == 0.5 == skm.accuracy_score(Y, P)


def test_noise_makes_predictions_worse():
    clean = tasks.classification_example("multilabel", n=100, noise=0.0, seed=0)
    noisy = tasks.classification_example("multilabel", n=100, noise=1.0, seed=0)
    assert tasks.hamming_loss(clean["y_true"], clean["y_pred"]) == 0
    assert tasks.hamming_loss(noisy["y_true"], noisy["y_pred"]) > 0.1


def test_regression_metrics_equal_sklearn_and_outliers_hit_mse_harder():
    x, y, p = tasks.regression_example(80, noise=1.0, bias=0.5, outliers=0, seed=2)
    ours, ref = tasks.regression_metrics(y, p), tasks.sklearn_metrics("regression", y, p)
    for k in ("mse", "mae", "r2"):
        assert ours[k] == pytest.approx(ref[k], rel=1e-12)
    _, y2, p2 = tasks.regression_example(80, noise=1.0, bias=0.5, outliers=5, seed=2)
    bad = tasks.regression_metrics(y2, p2)
    assert bad["mse"] / ours["mse"] > bad["mae"] / ours["mae"] > 1


@pytest.mark.parametrize("shape", ["blobs", "moons", "circles"])
def test_clustering_inertia_and_silhouette_equal_sklearn(shape):
    X, _ = tasks.cluster_data(shape, n=200, seed=0)
    res = tasks.run_clustering(X, "kmeans", k=3)
    assert res.inertia == pytest.approx(res.sklearn_inertia, rel=1e-9)
    assert tasks.silhouette(X, res.labels) == pytest.approx(skm.silhouette_score(X, res.labels), abs=1e-9)
    assert res.silhouette == pytest.approx(skm.silhouette_score(X, res.labels))


def test_dbscan_separates_moons_and_reports_noise():
    X, y = tasks.cluster_data("moons", n=300, noise=0.05, seed=0)
    res = tasks.run_clustering(X, "dbscan", eps=0.3, min_samples=5)
    assert res.n_clusters == 2
    assert skm.adjusted_rand_score(y[res.labels >= 0], res.labels[res.labels >= 0]) > 0.95
    lone = tasks.run_clustering(X, "dbscan", eps=0.01, min_samples=20)
    assert lone.n_clusters == 0 and lone.silhouette is None and lone.n_noise == len(X)


def test_agglomerative_and_elbow():
    X, _ = tasks.cluster_data("blobs", n=200, seed=0)
    assert tasks.run_clustering(X, "agglomerative", k=4).n_clusters == 4
    el = tasks.elbow(X, range(1, 7))
    inertias = [i for _, i, _ in el]
    assert all(b <= a for a, b in zip(inertias, inertias[1:])) and el[0][2] is None


def test_bce_with_logits_stays_exact_where_sigmoid_plus_bceloss_is_clamped():
    from core.tasks import bce_from_logits_vs_probabilities

    rows = {r["logit"]: r for r in bce_from_logits_vs_probabilities([-5.0, 0.0, 5.0, 17.0, 40.0], label=0)}
    for z in (-5.0, 0.0, 5.0):                                  # where σ(z) is representable both agree
        assert rows[z]["bce"] == pytest.approx(rows[z]["exact"], rel=1e-5)
        assert rows[z]["bce_with_logits"] == pytest.approx(rows[z]["exact"], rel=1e-5)
    for z in (17.0, 40.0):                                      # σ(z) rounds to 1.0 in float32
        assert rows[z]["sigmoid"] == 1.0
        assert rows[z]["bce"] == 100.0 and rows[z]["grad_bce"] == 0.0          # log(0) clamped, no gradient
        assert rows[z]["bce_with_logits"] == pytest.approx(z, rel=1e-6) == rows[z]["exact"]
        assert rows[z]["grad_with_logits"] == pytest.approx(1.0)
