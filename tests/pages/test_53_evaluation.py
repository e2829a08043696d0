"""5.3 Evaluation: a quick model or the 5.2 model, threshold and class choices, regression, check; EN and RU."""
from dataclasses import replace

from conftest import open_page, texts, wait_for_jobs

from core.recipes import DIGITS_MLP, Recipe, make_job


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def trained(at, dataset: str, epochs: int = 2):
    at.selectbox(key="ev_ds").set_value(dataset).run()
    at.slider(key="ev_epochs").set_value(epochs).run()
    at.button(key="train_evaluation").click().run()
    return wait_for_jobs(at)


def test_renders_all_five_parts_and_asks_for_a_model(lang):
    at = open_page("53_evaluation", lang)
    assert not at.exception
    assert len(at.tabs) == 6 and at.latex and len(at.radio) >= 4  # source + quiz questions
    assert any("def confusion_matrix_torch" in c.value for c in at.code)
    assert at.info, "without a model the page says what to do"


def test_binary_threshold_moves_counts_and_scores(lang):
    at = trained(open_page("53_evaluation", lang), "breast_cancer", epochs=3)
    assert not at.exception
    counts = lambda: tuple(int(metric(at, k)) for k in ("TP", "FP", "FN", "TN"))  # noqa: E731
    mid = counts()
    assert sum(mid) == 86, "the test split has 86 samples"
    at.slider(key="ev_thr").set_value(0.05).run()
    low = counts()
    at.slider(key="ev_thr").set_value(0.95).run()
    high = counts()
    assert low[0] + low[1] >= mid[0] + mid[1] >= high[0] + high[1], "a lower threshold calls more samples positive"
    assert low != high
    rec = "Recall" if lang == "en" else "Полнота (recall)"
    assert float(metric(at, rec)) <= 1.0
    assert len(at.dataframe[0].value) == 2 + 2, "two classes plus macro and micro rows"
    shown = texts(at)
    assert "AUC" in shown and "AP =" in shown
    assert float(metric(at, "Max |difference|" if lang == "en" else "Макс. |разница|")) < 1e-9


def test_digits_confusion_gallery_and_class_choice():
    at = trained(open_page("53_evaluation", "en"), "digits", epochs=1)
    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) == 12 and list(table.columns[:4]) == ["Class", "precision", "recall", "F1"]
    errors = int(metric(at, "Errors").split("/")[0])
    assert errors > 0 and "Misclassified digits" in texts(at)
    assert len(at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")) >= 4  # confusion, ROC, PR, gallery
    assert int(metric(at, "TP")) + int(metric(at, "FN")) == int(table[table["Class"] == "0"]["support"].iloc[0])
    at.selectbox(key="ev_cls").set_value(8).run()
    assert not at.exception
    tp, fn = int(metric(at, "TP")), int(metric(at, "FN"))
    assert tp + fn == int(table[table["Class"] == "8"]["support"].iloc[0])
    assert float(metric(at, "Max |difference|")) < 1e-9


def test_regression_metrics_and_switching_back(lang):
    at = trained(open_page("53_evaluation", lang), "diabetes", epochs=3)
    assert not at.exception
    mse, rmse = float(metric(at, "MSE")), float(metric(at, "RMSE"))
    assert abs(rmse - mse ** 0.5) / rmse < 1e-2
    assert "R² =" in texts(at) and "RMSE" in texts(at)
    at.selectbox(key="ev_ds").set_value("breast_cancer").run()
    assert not at.exception and at.info, "the shown model was trained on another dataset: the page says so"


def test_uses_the_model_trained_on_page_52():
    recipe = Recipe(dataset="breast_cancer", hidden=(16,), train=replace(DIGITS_MLP.train, num_epochs=2))
    job = make_job(recipe, page="52_training").run()
    at = open_page("53_evaluation", "en", _jobs={"training": job})
    assert not at.exception
    assert at.radio(key="ev_src").value == "trained"
    assert "The model trained on page 5.2: Breast cancer" in texts(at), "the set's name, not its internal key"
    assert int(metric(at, "TP")) + int(metric(at, "FN")) > 0
    at.radio(key="ev_src").set_value("quick").run()
    assert not at.exception and at.button(key="train_evaluation")


def test_a_diverged_model_does_not_crash_the_page():
    train = replace(DIGITS_MLP.train, num_epochs=3, optimizer="sgd", lr=10.0)
    job = make_job(Recipe(dataset="diabetes", hidden=(16,), train=train)).run()
    assert job.status == "diverged"
    at = open_page("53_evaluation", "en", _jobs={"training": job})
    assert not at.exception
    from app.i18n import t

    assert [e.value for e in at.error] == [t("53_evaluation.not_finite", lang="en")], "said, not scored"
    assert not any(m.label == t("53_evaluation.mse", lang="en") for m in at.metric), "no metrics of NaN predictions"
