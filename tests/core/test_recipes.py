"""The default digits runs reach the accuracy the guide promises, and the seed makes them repeatable."""
from dataclasses import replace

import torch

from core.evaluation import classification_report, predict
from core.recipes import DIGITS_CNN, DIGITS_MLP, Recipe, make_job


def test_digits_mlp_reaches_95_percent_val_accuracy_and_is_repeatable():
    a = make_job(DIGITS_MLP, device="cpu").run()
    b = make_job(DIGITS_MLP, device="cpu").run()
    assert a.status == "finished"
    best = max(r.val_score for r in a.records)
    assert best >= 0.95, best
    strip = lambda job: [r.as_dict() | {"seconds": 0} for r in job.records]  # noqa: E731
    assert strip(a) == strip(b)


def test_digits_cnn_reaches_97_percent_test_accuracy():
    job = make_job(DIGITS_CNN, device="cpu").run()
    model = job.best_model()
    y_hat, _ = predict(model, job.data.X_test, "multiclass")
    acc = classification_report(job.data.y_test.numpy(), y_hat).accuracy
    assert acc >= 0.97, acc


def test_a_different_seed_gives_a_different_run():
    a = make_job(replace(DIGITS_MLP, train=replace(DIGITS_MLP.train, num_epochs=2, seed=1))).run()
    b = make_job(replace(DIGITS_MLP, train=replace(DIGITS_MLP.train, num_epochs=2, seed=2))).run()
    assert a.records[-1].train_loss != b.records[-1].train_loss


def test_prepare_data_gives_back_the_same_splits_for_the_same_settings_and_new_ones_for_another_seed():
    from core.datasets import load_dataset
    from core.recipes import prepare_data

    a = prepare_data(DIGITS_MLP)
    assert prepare_data(DIGITS_MLP) is a
    assert prepare_data(replace(DIGITS_MLP, train=replace(DIGITS_MLP.train, lr=0.1, num_epochs=2))) is a, \
        "training settings other than the seed leave the splits as they are"
    other = prepare_data(replace(DIGITS_MLP, train=replace(DIGITS_MLP.train, seed=1)))
    assert other is not a and not torch.equal(other.X_train, a.X_train)
    assert prepare_data(replace(DIGITS_MLP, scaler="none")) is not a
    assert prepare_data(replace(DIGITS_MLP, val_frac=0.2)) is not a
    # a dataset passed in is keyed by its content: a fresh load of the same data hits, other values miss
    iris = Recipe(dataset="iris")
    b = prepare_data(iris, load_dataset("iris"))
    assert prepare_data(iris, load_dataset("iris")) is b
    ds = load_dataset("iris")
    changed = replace(ds, X=ds.X + 1)
    assert prepare_data(iris, changed) is not b


def test_the_splits_cache_is_bounded(monkeypatch):
    from core import recipes

    monkeypatch.setattr(recipes, "MAX_CACHED_SPLITS", 3)
    for seed in range(6):
        recipes.prepare_data(replace(DIGITS_MLP, train=replace(DIGITS_MLP.train, seed=100 + seed)))
    assert len(recipes._SPLITS) == 3


def test_a_training_run_leaves_the_cached_splits_unchanged():
    from core.recipes import prepare_data

    r = replace(DIGITS_MLP, train=replace(DIGITS_MLP.train, num_epochs=2, seed=7))
    data = prepare_data(r)
    tensors = (data.X_train, data.y_train, data.X_val, data.y_val, data.X_test, data.y_test)
    versions, copies = [x._version for x in tensors], [x.clone() for x in tensors]
    job = make_job(r).run()
    assert job.status == "finished" and job.data is data
    assert [x._version for x in tensors] == versions, "a tensor of the shared splits was changed in place"
    assert all(torch.equal(x, c) for x, c in zip(tensors, copies))
