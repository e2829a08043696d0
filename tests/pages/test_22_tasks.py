"""2.2 Kinds of tasks: metrics react to noise, clustering and Q-learning render, checks agree with sklearn, EN and RU."""
from conftest import open_page, texts

from app.i18n import t

STEM = "22_tasks"


def metric(at, key, lang, group="labels"):
    label = t(f"{STEM}.{group}.{key}", lang=lang)
    return next(m for m in at.metric if m.label == label)


def test_renders_and_the_check_tab_agrees_with_sklearn(lang):
    at = open_page(STEM, lang)
    assert not at.exception
    assert len(at.tabs) == 6 and at.latex and "⟨" not in texts(at)
    assert any("def q_learning" in c.value for c in at.code) and any("def hamming_loss" in c.value for c in at.code)
    assert float(metric(at, "worst", lang).value) < 1e-9
    checked = next(d.value for d in at.dataframe if "sklearn" in d.value.columns)
    names = set(checked[t(f"{STEM}.labels.metric", lang=lang)])
    assert {"Hamming loss", "Subset accuracy", "MSE", "R²", t(f"{STEM}.metrics.silhouette", lang=lang)} <= names


def test_classification_noise_flips_predictions(lang):
    at = open_page(STEM, lang)
    at.slider(key="kt_noise").set_value(0.0).run()
    assert metric(at, "accuracy", lang, "metrics").value == "1.000"
    at.slider(key="kt_noise").set_value(1.5).run()
    acc = metric(at, "accuracy", lang, "metrics")
    assert float(acc.value) < 0.95 and acc.delta == t(f"{STEM}.sklearn_delta", lang=lang, v=float(acc.value))
    at.radio(key="kt_kind").set_value("multilabel").run()
    assert not at.exception
    hl = metric(at, "hamming_loss", lang, "metrics")
    sa = metric(at, "subset_accuracy", lang, "metrics")
    assert float(hl.value) > 0 and float(sa.value) < 1
    assert hl.delta == t(f"{STEM}.sklearn_delta", lang=lang, v=float(hl.value))
    at.slider(key="kt_noise").set_value(0.0).run()
    assert metric(at, "hamming_loss", lang, "metrics").value == "0.000"
    assert metric(at, "subset_accuracy", lang, "metrics").value == "1.000"


def test_regression_outliers_raise_mse(lang):
    at = open_page(STEM, lang)
    at.radio(key="kt_section").set_value("regression").run()
    mse0 = float(metric(at, "mse", lang, "metrics").value)
    at.slider(key="kt_outliers").set_value(5).run()
    assert not at.exception
    assert float(metric(at, "mse", lang, "metrics").value) > 2 * mse0


def test_clustering_dbscan_finds_the_moons(lang):
    at = open_page(STEM, lang)
    at.radio(key="kt_section").set_value("clustering").run()
    assert metric(at, "clusters", lang).value == "4"
    at.selectbox(key="kt_shape").set_value("moons").run()
    at.selectbox(key="kt_algo").set_value("dbscan").run()
    assert not at.exception
    assert metric(at, "clusters", lang).value == "2"
    at.slider(key="kt_eps").set_value(0.05).run()
    at.slider(key="kt_min").set_value(20).run()
    assert not at.exception and at.warning, "no clusters: the silhouette is explained as undefined"


def test_q_learning_reaches_the_goal_and_draws_the_policy(lang):
    at = open_page(STEM, lang)
    at.radio(key="kt_section").set_value("rl").run()
    assert not at.exception
    assert metric(at, "reached", lang).value == t(f"{STEM}.yes", lang=lang)
    assert metric(at, "path_len", lang).value == "9"
    at.slider(key="kt_episodes").set_value(10).run()
    at.slider(key="kt_epsilon").set_value(0.0).run()
    assert not at.exception
    charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    assert len(charts) >= 2, "reward curve and policy grid"


def test_linkage_methods_are_named_in_the_learners_language(lang):
    at = open_page(STEM, lang)
    at.radio(key="kt_section").set_value("clustering").run()
    at.selectbox(key="kt_algo").set_value("agglomerative").run()
    link = at.selectbox(key="kt_link")
    assert link.options == [t(f"{STEM}.linkages.{m}", lang=lang) for m in ("ward", "average", "complete", "single")]
    assert "ward" not in link.options
    link.set_value("single").run()
    assert not at.exception and at.selectbox(key="kt_link").value == "single"


def test_check_tab_shows_bce_clamped_and_bce_with_logits_exact(lang):
    at = open_page("22_tasks", lang)
    assert not at.exception
    table = next(df.value for df in at.dataframe if "BCEWithLogitsLoss" in " ".join(map(str, df.value.iloc[:, 0])))
    losses = dict(zip(table.iloc[:, 0], table.iloc[:, 1]))
    assert losses["Sigmoid + BCELoss"] == 100.0 and losses["BCEWithLogitsLoss"] == 40.0   # logit 40, label 0
    at.slider(key="kt_bce_logit").set_value(3.0).run()
    table = next(df.value for df in at.dataframe if "BCEWithLogitsLoss" in " ".join(map(str, df.value.iloc[:, 0])))
    losses = list(table.iloc[:, 1])
    assert max(losses) - min(losses) < 1e-5                    # a moderate logit: all three agree
