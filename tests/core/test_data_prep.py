"""Data-preparation demos on tiny data: outlier scaling, leakage statistics, loaders (no timing asserts)."""
import sys
import types

import numpy as np
import pytest
import torch

from core.data_prep import (
    LoaderSettings,
    compare_with_sklearn,
    feature_with_outliers,
    leakage_experiment,
    make_loader,
    measure_throughput,
    scale_feature,
    scaler_reference_data,
    throughput_suite,
)


def test_outlier_feature_and_scaling_on_train_rows_only():
    f = feature_with_outliers(n=400, outlier_frac=0.05, magnitude=20, seed=1)
    assert f.x.shape == (400,) and 5 < f.is_outlier.sum() < 40
    assert f.x[f.is_outlier].min() > f.x[~f.is_outlier].max()
    z = scale_feature(f, "zscore")
    train = f.x[: f.n_train]
    assert z.center == pytest.approx(train.mean()) and z.scale == pytest.approx(train.std())
    np.testing.assert_allclose(z.values, (f.x - train.mean()) / train.std())
    iqr = {n: scale_feature(f, n).inlier_iqr for n in ("zscore", "minmax", "robust")}
    assert iqr["robust"] > iqr["zscore"] > iqr["minmax"]


def test_no_outliers_keeps_minmax_reasonable():
    f = feature_with_outliers(outlier_frac=0.0)
    assert not f.is_outlier.any()
    assert scale_feature(f, "minmax").inlier_iqr > 0.1
    with pytest.raises(ValueError):
        feature_with_outliers(outlier_frac=0.6)


def test_sklearn_comparison_rows_within_tolerance():
    rows = compare_with_sklearn(scaler_reference_data(n=120, outlier_frac=0.05), n_train=80)
    assert [r["sklearn"] for r in rows] == ["StandardScaler", "MinMaxScaler", "RobustScaler"]
    for r in rows:
        assert r["transform"] < 1e-6 and r["inverse_transform"] < 1e-6 and r["round_trip"] < 1e-6 and r["finite"]


def test_leakage_statistics_come_from_the_right_rows():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3)) * [1, 10, 100] + [0, 5, -50]
    y = (X[:, 0] > 0).astype(int)
    res = leakage_experiment(X, y, "binary", "zscore", train_frac=0.3, repeats=3, seed=7)
    np.testing.assert_allclose(res.center_all, X.mean(axis=0))  # leaky: every row
    first_train = np.random.default_rng(7).permutation(60)[:18]
    np.testing.assert_allclose(res.center_train, X[first_train].mean(axis=0))  # clean: train rows only
    np.testing.assert_allclose(res.scale_train, X[first_train].std(axis=0))
    assert res.score_clean.shape == res.score_leaky.shape == (3,)
    assert ((0 <= res.score_clean) & (res.score_clean <= 1)).all() and res.metric == "accuracy"
    assert res.center_shift.shape == (3,) and (res.center_shift > 0).all()


def test_leakage_regression_uses_r2_and_rejects_bad_share():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 2))
    y = X @ np.array([1.0, -2.0]) + 0.1 * rng.normal(size=40)
    res = leakage_experiment(X, y, "regression", "robust", train_frac=0.5, repeats=2)
    assert res.metric == "r2" and np.isfinite(res.mean_gap)
    with pytest.raises(ValueError):
        leakage_experiment(X, y, "regression", train_frac=0.99)


def tiny():
    return torch.arange(40, dtype=torch.float32).reshape(20, 2), torch.arange(20)


@pytest.mark.parametrize("method", ["dataloader", "batched"])
@pytest.mark.parametrize("shuffle", [False, True])
def test_loaders_yield_every_sample_once_per_epoch(method, shuffle):
    X, y = tiny()
    loader = make_loader(X, y, LoaderSettings(method, batch_size=6, shuffle=shuffle), seed=0)
    batches = list(loader)
    assert [len(b[1]) for b in batches] == [6, 6, 6, 2]
    seen = torch.cat([b[1] for b in batches])
    assert sorted(seen.tolist()) == list(range(20))
    assert (seen.tolist() != list(range(20))) == shuffle
    xb, yb = batches[0]
    assert torch.equal(xb, X[yb])  # features stay paired with their labels


def test_measure_throughput_counts_whole_epochs():
    X, y = tiny()
    for method in ("index", "dataloader", "batched"):
        r = measure_throughput(X, y, LoaderSettings(method, batch_size=7), max_seconds=0.0, max_epochs=3)
        assert r.epochs == 1 and r.samples == 20 and r.samples_per_s > 0
        assert 0 < r.first_batch_seconds <= r.seconds
    with pytest.raises(ValueError):
        measure_throughput(X, y, LoaderSettings("index", batch_size=0))


def test_suite_variants_without_workers():
    results = throughput_suite(batch_size=32, shuffle=True, num_workers=0, pin_memory=True, n=200, num_features=4,
                               max_seconds=0.0)
    assert [r.settings.method for r in results] == ["index", "dataloader", "batched"]
    assert all(r.samples == 200 for r in results)


def test_spawned_worker_delivers_the_same_samples():
    X, y = tiny()
    r = measure_throughput(X, y, LoaderSettings("dataloader", batch_size=5, shuffle=False, num_workers=1),
                           max_seconds=0.0, max_epochs=1)
    assert r.samples == 20 and r.epochs == 1


def test_spawned_workers_never_rerun_the_parents_script(tmp_path, monkeypatch):
    """Streamlit installs each script run as `__main__`; a spawned worker used to run that file again
    (the whole app under the server; a NameError under AppTest, whose scripts take arguments)."""
    marker = tmp_path / "ran"
    script = tmp_path / "page.py"
    script.write_text(f"open({str(marker)!r}, 'w').close()\nraise SystemExit('the page ran in a DataLoader worker')\n")
    page = types.ModuleType("__main__")
    page.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", page)
    X, y = tiny()
    for method in ("dataloader", "batched"):
        r = measure_throughput(X, y, LoaderSettings(method, batch_size=5, shuffle=False, num_workers=1),
                               max_seconds=0.0, max_epochs=1)
        assert r.samples == 20 and r.epochs == 1
    assert not marker.exists(), "a worker re-ran the parent's __main__ file"
    assert sys.modules["__main__"] is page, "the parent's __main__ is put back"


def test_measurement_restores_the_thread_count():
    before = torch.get_num_threads()
    X, y = tiny()
    measure_throughput(X, y, LoaderSettings("index", batch_size=4), max_seconds=0.0, max_epochs=1)
    assert torch.get_num_threads() == before


@pytest.mark.parametrize("n,bs", [(10, 4), (12, 4), (7, 1), (3, 8)])
def test_loader_batches_follow_the_batch_count_formula(n, bs):
    import math

    from core.data_prep import loader_batches

    keep = loader_batches(n, bs, shuffle=False, drop_last=False)
    assert len(keep) == math.ceil(n / bs) and sum(keep, []) == list(range(n))
    drop = loader_batches(n, bs, shuffle=True, drop_last=True, seed=1)
    assert len(drop) == n // bs and all(len(b) == bs for b in drop)
    shuffled = sum(loader_batches(n, bs, shuffle=True, drop_last=False, seed=1), [])
    assert sorted(shuffled) == list(range(n))                       # a permutation: every sample once


def test_pad_collate_pads_to_the_longest_and_keeps_lengths():
    from core.data_prep import collate_demo

    padded, lengths, labels = collate_demo((2, 5, 3))
    assert padded.shape == (3, 5) and lengths.tolist() == [2, 5, 3] and labels.tolist() == [0, 1, 0]
    assert padded[0].tolist() == [1, 2, 0, 0, 0] and (padded != 0).sum(1).tolist() == [2, 5, 3]
