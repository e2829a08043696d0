"""Metrics: the from-scratch torch versions against sklearn on fixed arrays, and the sklearn helpers."""
import numpy as np
import pytest
import torch
from sklearn import metrics as skm
from torch import nn

from core.errors import InputError
from core.evaluation import (
    binary_curves,
    classification_report,
    compare_metrics,
    confusion_matrix_torch,
    curve_point,
    macro_prf_torch,
    misclassified,
    positive_scores,
    predict,
    prf_from_confusion,
    regression_metrics_torch,
    regression_report,
    score_agreement,
    threshold_metrics,
    unscaled_inputs,
)

Y_TRUE = np.array([0, 0, 1, 1, 2, 2, 2, 3, 3, 0, 1, 2])
Y_PRED = np.array([0, 1, 1, 1, 2, 0, 2, 0, 0, 0, 2, 2])  # class 3 is never predicted: precision 0 by convention


def test_confusion_matrix_matches_sklearn():
    ours = confusion_matrix_torch(Y_TRUE, Y_PRED, 4).numpy()
    np.testing.assert_array_equal(ours, skm.confusion_matrix(Y_TRUE, Y_PRED, labels=range(4)))
    assert ours.sum() == len(Y_TRUE)


def test_per_class_and_macro_prf_match_sklearn():
    per = prf_from_confusion(confusion_matrix_torch(Y_TRUE, Y_PRED, 4))
    p, r, f, s = skm.precision_recall_fscore_support(Y_TRUE, Y_PRED, labels=range(4), zero_division=0)
    for ours, ref in zip((per["precision"], per["recall"], per["f1"], per["support"]), (p, r, f, s)):
        np.testing.assert_allclose(ours.numpy(), ref, atol=1e-12)
    macro = macro_prf_torch(Y_TRUE, Y_PRED, 4)
    ref = skm.precision_recall_fscore_support(Y_TRUE, Y_PRED, labels=range(4), average="macro", zero_division=0)
    assert macro["precision_macro"] == pytest.approx(ref[0], abs=1e-12)
    assert macro["recall_macro"] == pytest.approx(ref[1], abs=1e-12)
    assert macro["f1_macro"] == pytest.approx(ref[2], abs=1e-12)
    assert macro["accuracy"] == pytest.approx(skm.accuracy_score(Y_TRUE, Y_PRED), abs=1e-12)


def test_regression_metrics_match_sklearn():
    rng = np.random.default_rng(0)
    y = rng.normal(10, 3, 50).astype(np.float32)
    y_hat = (y + rng.normal(0, 1, 50)).astype(np.float32)
    ours = regression_metrics_torch(y, y_hat)
    y64, h64 = y.astype(np.float64), y_hat.astype(np.float64)
    assert ours["mse"] == pytest.approx(skm.mean_squared_error(y64, h64), rel=1e-12)
    assert ours["mae"] == pytest.approx(skm.mean_absolute_error(y64, h64), rel=1e-12)
    assert ours["r2"] == pytest.approx(skm.r2_score(y64, h64), rel=1e-12)
    assert ours["rmse"] == pytest.approx(np.sqrt(ours["mse"]))
    assert regression_report(y64, h64)["rmse"] == pytest.approx(ours["rmse"])


@pytest.mark.parametrize("task", ["multiclass", "regression"])
def test_compare_metrics_rows_agree(task):
    if task == "regression":
        rows = compare_metrics(task, np.array([1.0, 2.0, 4.0, 3.5]), np.array([1.5, 2.0, 3.0, 3.0], dtype=np.float32))
        assert [r["metric"] for r in rows] == ["mse", "mae", "rmse", "r2"]
    else:
        rows = compare_metrics(task, Y_TRUE, Y_PRED, num_classes=4)
        assert rows[0]["metric"] == "confusion_matrix"
    assert max(r["difference"] for r in rows) < 1e-12


def test_classification_report_micro_equals_accuracy():
    rep = classification_report(Y_TRUE, Y_PRED, labels=np.arange(4))
    assert rep.f1_micro == pytest.approx(rep.accuracy) == pytest.approx(7 / 12)
    assert rep.per_class["precision"][3] == 0 and rep.confusion.shape == (4, 4)


def test_threshold_point_lies_on_sklearn_curves():
    y = np.array([0, 0, 1, 1, 0, 1, 1, 0])
    s = np.array([0.1, 0.4, 0.35, 0.8, 0.2, 0.9, 0.6, 0.7])
    curves = binary_curves(y, s)
    assert curves.roc_auc == pytest.approx(skm.roc_auc_score(y, s))
    for t in curves.roc_thresholds[1:]:  # at each sklearn threshold our point is a vertex of the ROC curve
        pt = curve_point(y, s, float(t))
        assert any(np.isclose(pt["fpr"], f) and np.isclose(pt["tpr"], r) for f, r in zip(curves.fpr, curves.tpr))
    m = threshold_metrics(y, s, 0.5)
    assert (m["tp"], m["fp"], m["fn"], m["tn"]) == (3, 1, 1, 3)
    assert m["precision"] == pytest.approx(0.75) and m["recall"] == pytest.approx(0.75)
    everything = curve_point(y, s, 0.0)
    assert everything["tpr"] == 1 and everything["fpr"] == 1
    nothing = curve_point(y, s, 1.01)
    assert nothing["tp"] == nothing["fp"] == 0 and nothing["precision_point"] == 1.0


def test_positive_scores_one_vs_rest():
    proba = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    yb, sb = positive_scores("multiclass", np.array([0, 2]), proba, positive=2)
    np.testing.assert_array_equal(yb, [0, 1])
    np.testing.assert_array_equal(sb, [0.1, 0.8])


def test_misclassified_most_confident_first():
    y_true = np.array([0, 1, 1, 0])
    y_pred = np.array([1, 1, 0, 1])
    scores = np.array([[0.4, 0.6], [0.1, 0.9], [0.95, 0.05], [0.2, 0.8]])
    np.testing.assert_array_equal(misclassified(y_true, y_pred, scores), [2, 3, 0])
    np.testing.assert_array_equal(misclassified(y_true, y_pred, limit=2), [0, 2])


def test_predict_shapes_per_task():
    torch.manual_seed(0)
    X = torch.randn(7, 3)
    y_hat, proba = predict(nn.Linear(3, 4), X, "multiclass")
    assert y_hat.shape == (7,) and proba.shape == (7, 4) and np.allclose(proba.sum(1), 1, atol=1e-6)
    y_hat, p = predict(nn.Linear(3, 1), X, "binary")
    assert set(y_hat) <= {0, 1} and ((p >= 0) & (p <= 1)).all()
    pred, same = predict(nn.Linear(3, 1), X, "regression")
    assert pred.shape == (7,) and pred is same


def test_unscaled_inputs_rebuild_the_raw_test_images():
    from core.recipes import Recipe, prepare_data

    recipe = Recipe(dataset="digits")
    data = prepare_data(recipe)
    raw = unscaled_inputs(data, recipe.as_dict(), "test")
    assert raw is not None and raw.min() >= 0 and raw.max() <= 1  # digits pixels are in [0, 1]
    assert not torch.allclose(raw, data.X_test)
    assert unscaled_inputs(data, {**recipe.as_dict(), "test_frac": 0.2}, "test") is None


def random_label_cases(count: int = 200, seed: int = 0):
    """Seeded (y_true, y_pred, C): sizes down to 1, classes missing from either side, one-class vectors."""
    rng = np.random.default_rng(seed)
    for i in range(count):
        C = int(rng.integers(2, 9))
        n = int(rng.choice([1, 2, 3, int(rng.integers(4, 40)), int(rng.integers(40, 300))]))
        y_true, y_pred = rng.integers(0, C, n), rng.integers(0, C, n)
        kind = i % 5
        if kind == 1:  # some classes never predicted
            y_pred = rng.integers(0, max(1, C // 2), n)
        elif kind == 2:  # some classes never in the labels
            y_true = rng.integers(C // 2, C, n)
        elif kind == 3:  # all one class, on one side or both
            y_true = np.full(n, int(rng.integers(0, C)))
            if rng.random() < 0.5:
                y_pred = np.full(n, int(rng.integers(0, C)))
        elif kind == 4:  # mostly right: precision + recall near 2, and some near 0
            y_pred = np.where(rng.random(n) < 0.7, y_true, y_pred)
        yield y_true, y_pred, C


def test_prf_matches_sklearn_on_random_labels_including_fractional_f1_denominators():
    below_one = 0  # classes with 0 < precision + recall < 1: the case a count-style clamp gets wrong
    for case, (y_true, y_pred, C) in enumerate(random_label_cases()):
        labels = np.arange(C)
        per = prf_from_confusion(confusion_matrix_torch(y_true, y_pred, C))
        p, r, f, s = skm.precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
        for name, ref in zip(("precision", "recall", "f1", "support"), (p, r, f, s)):
            np.testing.assert_allclose(per[name].numpy(), ref, rtol=0, atol=1e-12, err_msg=f"{name} C={C} n={len(y_true)}")
        below_one += int(((p + r > 0) & (p + r < 1)).sum())
        macro = skm.precision_recall_fscore_support(y_true, y_pred, labels=labels, average="macro", zero_division=0)
        ours = macro_prf_torch(y_true, y_pred, C)
        assert (ours["precision_macro"], ours["recall_macro"], ours["f1_macro"]) == pytest.approx(macro[:3], abs=1e-12)
        assert ours["accuracy"] == pytest.approx(skm.accuracy_score(y_true, y_pred), abs=1e-12)
        if case % 4 == 0:  # the Check tab's rows (slower: sklearn's full report)
            rows = compare_metrics("multiclass", y_true, y_pred, num_classes=C)
            assert max(row["difference"] for row in rows) < 1e-12
    assert below_one > 100  # the sweep really exercised the fractional denominators


def test_f1_of_a_class_with_precision_and_recall_below_one_half():
    # class 0: tp = 1, predicted 4 times, truly 4 times: precision = recall = F1 = 0.25
    y_true = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    y_pred = np.array([0, 1, 1, 1, 0, 0, 0, 1])
    f1 = prf_from_confusion(confusion_matrix_torch(y_true, y_pred, 2))["f1"]
    assert f1[0].item() == pytest.approx(0.25)


# --- edge cases: constant targets, labels outside [0, C), one binary rule, diverged models ---------

def test_r2_of_a_constant_target_follows_sklearn():
    rng = np.random.default_rng(1)
    for c in (0.0, 2.0, -3.5, 0.25, 1e6, 7.0):  # exactly representable: SS_tot is exactly 0 for sklearn too
        for n in (1, 2, 5, 40):
            y = np.full(n, c)
            for y_hat in (y.copy(), y + rng.normal(0, 1, n), np.full(n, c + 1.0)):
                ours = regression_metrics_torch(y, y_hat)["r2"]
                if n == 1:  # sklearn: R² is not defined for one sample
                    assert np.isnan(ours)
                    continue
                ref = skm.r2_score(y, y_hat)
                assert ref in (0.0, 1.0) and ours == ref
                assert max(r["difference"] for r in compare_metrics("regression", y, y_hat)) < 1e-9


def test_r2_matches_sklearn_on_random_targets_some_constant():
    rng = np.random.default_rng(2)
    for i in range(200):
        n = int(rng.integers(2, 60))
        y = rng.normal(rng.normal(0, 100), 10.0 ** rng.integers(-3, 4), n)
        if i % 5 == 0:
            y = np.full(n, float(rng.integers(-50, 50)) / 4)  # constant, exactly representable
        y_hat = y + rng.normal(0, 10.0 ** rng.integers(-4, 3), n)
        assert regression_metrics_torch(y, y_hat)["r2"] == pytest.approx(skm.r2_score(y, y_hat), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("c", [0.1, 1 / 3, 1e8 + 0.3, 123456.789])
def test_r2_of_an_inexact_constant_is_the_convention_not_minus_1e27(c):
    y = np.full(37, c)  # the float mean is an ulp off: SS_tot ~1e-33 where it should be 0
    assert regression_metrics_torch(y, y * 1.01)["r2"] == 0.0
    assert regression_metrics_torch(y, y)["r2"] == 1.0


def constant_model(out_features: int, bias: float) -> nn.Module:
    model = nn.Linear(3, out_features)
    with torch.no_grad():
        model.weight.zero_()
        model.bias.fill_(bias)
    return model


def test_training_loop_r2_of_a_constant_target_follows_sklearn():
    from core.trainer import evaluate_loss

    X = torch.randn(30, 3)
    for c in (2.0, 0.1):
        y = torch.full((30,), c)
        for bias, expected in ((c, 1.0), (c + 0.5, 0.0)):
            model = constant_model(1, bias)
            _, r2 = evaluate_loss(model, X, y, "regression")
            assert r2 == expected
            if c == 2.0:  # exactly representable: sklearn agrees
                assert r2 == skm.r2_score(y.numpy(), model(X).detach().reshape(-1).numpy())


@pytest.mark.filterwarnings("ignore:A single label was found")
def test_confusion_matrix_matches_sklearn_on_random_valid_labels_and_refuses_others():
    rng = np.random.default_rng(3)
    for i in range(150):
        C, n = int(rng.integers(1, 9)), int(rng.integers(1, 80))
        y_true, y_pred = rng.integers(0, C, n), rng.integers(0, C, n)
        ref = skm.confusion_matrix(y_true, y_pred, labels=range(C))
        as_kind = [lambda a: a, lambda a: a.astype(np.int32), lambda a: a.astype(np.float32), torch.as_tensor, list][i % 5]
        np.testing.assert_array_equal(confusion_matrix_torch(as_kind(y_true), as_kind(y_pred), C).numpy(), ref)
        wrong = y_pred.copy()
        wrong[rng.integers(0, n)] = rng.choice([-1, C, C + 7])  # one label outside [0, C): refused, not miscounted
        with pytest.raises(InputError, match="y_pred"):
            confusion_matrix_torch(as_kind(y_true), as_kind(wrong), C)


@pytest.mark.parametrize("bad, code", [
    ([0, 1, -1], "label_range"),
    ([0, 1, 3], "label_range"),
    ([0, 1, 2.5], "label_fraction"),
    ([0, 1, float("nan")], "label_fraction"),
    ([0, 1, float("inf")], "label_fraction"),
    (["a", "b", "c"], "label_type"),
])
@pytest.mark.parametrize("side", ["y_true", "y_pred"])
def test_labels_outside_the_classes_are_refused_clearly(bad, code, side):
    good = [0, 1, 2]
    args = (bad, good) if side == "y_true" else (good, bad)
    with pytest.raises(InputError) as caught:
        confusion_matrix_torch(*args, num_classes=3)
    assert caught.value.code == code and caught.value.params["name"] == side
    with pytest.raises(InputError):
        macro_prf_torch(*args, num_classes=3)


def test_label_vectors_of_different_lengths_are_refused_clearly():
    with pytest.raises(InputError) as caught:
        confusion_matrix_torch([0, 1, 1], [0, 1], num_classes=2)
    assert caught.value.code == "label_lengths"


@pytest.mark.parametrize("logit, label", [(1e-9, 1), (3e-8, 1), (-1e-9, 0), (0.0, 0), (2.0, 1)])
def test_predict_and_the_training_loop_share_one_binary_rule(logit, label):
    from core.trainer import evaluate_loss

    assert torch.tensor(logit).sigmoid().item() == 0.5 or abs(logit) > 1e-7  # sigmoid cannot tell these apart
    model = constant_model(1, logit)
    X = torch.randn(8, 3)
    y_hat, _ = predict(model, X, "binary")
    assert (y_hat == label).all()
    for y in (torch.ones(8, dtype=torch.long), torch.zeros(8, dtype=torch.long)):
        _, accuracy = evaluate_loss(model, X, y, "binary")
        assert accuracy == float((y_hat == y.numpy()).mean())
        loop, ref = score_agreement(model, X, y, "binary")
        assert loop == ref


@pytest.mark.parametrize("task, outputs", [("regression", 1), ("multiclass", 3)])
@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_score_agreement_of_a_diverged_model_is_nan_not_a_sklearn_error(task, outputs, value):
    model = constant_model(outputs, value)
    X = torch.randn(10, 3)
    y = torch.randn(10) if task == "regression" else torch.randint(0, outputs, (10,))
    loop, ref = score_agreement(model, X, y, task)
    assert np.isnan(loop) and np.isnan(ref)


def test_micro_f1_equals_accuracy_and_macro_f1_is_the_mean_of_per_class_f1():
    """What 5.3's quiz Q3 states: single-label multiclass micro F1 = accuracy; macro = unweighted mean."""
    from sklearn.metrics import accuracy_score, f1_score

    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 4, 200)
    y_pred = np.where((rng.random(200) < 0.6) & (y_true < 3), y_true, rng.integers(0, 3, 200))   # never class 3
    micro = f1_score(y_true, y_pred, average="micro")
    macro = f1_score(y_true, y_pred, average="macro", zero_division=0)
    per_class = f1_score(y_true, y_pred, average=None, zero_division=0)
    assert micro == pytest.approx(accuracy_score(y_true, y_pred), abs=1e-12)
    assert macro == pytest.approx(per_class.mean(), abs=1e-12) and per_class[3] == 0
    assert macro < micro
