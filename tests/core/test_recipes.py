"""The default digits runs reach the accuracy the guide promises, and the seed makes them repeatable."""
from dataclasses import replace

from core.evaluation import classification_report, predict
from core.recipes import DIGITS_CNN, DIGITS_MLP, make_job


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
