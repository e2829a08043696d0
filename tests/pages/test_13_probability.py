"""1.3 Probability: distribution explorer, Bayes, KL asymmetry and softmax/cross-entropy widgets, EN and RU."""
from conftest import open_page, texts


def test_renders_all_five_parts(lang):
    at = open_page("13_probability", lang)
    assert not at.exception
    assert len(at.tabs) == 6 and at.latex and len(at.radio) >= 3
    assert any("def info_by_hand" in c.value for c in at.code)
    # naive Bayes on iris: ours against sklearn's GaussianNB, the same probabilities and accuracy
    nb = {m.label: m.value for m in at.metric}
    diff = next(v for k, v in nb.items() if k.startswith("Max |"))
    ours, ref = (v for k, v in nb.items() if k.startswith(("Test accuracy", "Доля верных ответов на тесте")))
    assert float(diff) < 1e-9 and ours == ref == "97.8%"


def test_distribution_explorer(lang):
    at = open_page("13_probability", lang)
    at.selectbox(key="pr_dist").set_value("poisson").run()
    at.slider(key="pr_poisson_0").set_value(5.0).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    exact = [v for k, v in metrics.items() if k in ("Exact mean", "Точное среднее")]
    assert exact == ["5.0000"]
    at.selectbox(key="pr_dist").set_value("uniform").run()
    at.slider(key="pr_uniform_0").set_value(2.0).run()
    assert not at.exception and at.error, "a > b gets a clear message, not a crash"


def test_bayes_posterior(lang):
    at = open_page("13_probability", lang)
    at.slider(key="pr_sens").set_value(0.9).run()
    at.slider(key="pr_fpr").set_value(0.05).run()
    assert not at.exception
    assert any(m.label == "P(D | +)" and m.value == "15.4%" for m in at.metric)
    assert "**495**" in texts(at)


def test_kl_is_asymmetric_and_cross_entropy_matches(lang):
    at = open_page("13_probability", lang)
    at.slider(key="pr_q0").set_value(0.5).run()
    at.select_slider(key="pr_temp").set_value(0.5).run()
    at.selectbox(key="pr_target").set_value(2).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["KL(p‖q)"] != metrics["KL(q‖p)"]
    assert metrics["F.cross_entropy"] == [v for k, v in metrics.items() if "softmax" in k and k != "F.cross_entropy"][0]
    assert ("asymmetric" in texts(at)) if lang == "en" else ("несимметрична" in texts(at))
    at.slider(key="pr_q0").set_value(0.0).run()
    assert at.warning, "zero probability under q makes KL(p‖q) infinite, and the page says so"
