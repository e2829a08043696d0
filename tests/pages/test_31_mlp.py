"""3.1 MLP: the playground trains with a live boundary, the check tab agrees with sklearn, EN and RU."""
import json

from conftest import open_page, texts, wait_for_jobs

from app.i18n import t


def chart_specs(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("arrow_vega_lite_chart") + at.get("vega_lite_chart")]


def _small(at):
    """A quick run: 200 points, 3 epochs."""
    at.slider(key="mlp_n").set_value(200).run()
    at.slider(key="mlp_epochs").set_value(3).run()
    return at


def test_renders_all_five_parts(lang):
    at = open_page("31_mlp", lang, timeout=600)
    assert not at.exception
    assert len(at.tabs) == 6
    assert at.latex, "the idea tab shows formulas"
    assert len(at.radio) >= 3, "the quiz asks its questions"
    assert any("class PlaygroundNet" in c.value for c in at.code), "the code tab shows the real model source"
    assert any("import torch" in c.value and "optimizer.step()" in c.value for c in at.code), "export script shown"
    shown = texts(at)
    # default: features x1, x2 → hidden 32, 32, 32 → one logit: (2·32+32) + 2·(32·32+32) + (32+1) = 2241
    assert "2,241" in shown
    poly = next(m.value for m in at.metric if m.label in (t("31_mlp.check.poly", lang=lang),))
    assert float(poly) < 1e-6, f"feature crosses equal PolynomialFeatures, shown {poly}"


def test_moving_widgets_changes_parameter_count_and_data():
    at = open_page("31_mlp", "en", timeout=600)
    at.text_input(key="mlp_hidden").set_value("8, 8").run()
    at.toggle(key="mlp_f_x1_sq").set_value(True).run()
    at.toggle(key="mlp_bn").set_value(True).run()
    assert not at.exception
    # 3 inputs → 8 → 8 → 1 with BN: (3·8+8) + 16 + (8·8+8) + 16 + (8+1) = 145
    assert "145" in [m.value for m in at.metric]
    at.selectbox(key="mlp_ds").set_value("gaussians").run()
    at.slider(key="mlp_k").set_value(4).run()
    # 4 classes → 4 logits: (3·8+8) + 16 + (8·8+8) + 16 + (8·4+4) = 172
    assert "172" in [m.value for m in at.metric]
    assert not at.exception


def test_no_features_gives_a_clear_message():
    at = open_page("31_mlp", "en", timeout=600)
    at.toggle(key="mlp_f_x1").set_value(False).run()
    at.toggle(key="mlp_f_x2").set_value(False).run()
    assert not at.exception
    assert any("at least one input feature" in e.value for e in at.error)


def test_training_draws_the_boundary_and_checks_accuracy(lang):
    at = _small(open_page("31_mlp", lang, timeout=600))
    at.selectbox(key="mlp_ds").set_value("spiral").run()
    at.slider(key="mlp_k").set_value(3).run()
    at.button(key="train_mlp").click().run()
    at = wait_for_jobs(at, 600)
    assert not at.exception
    job = at.session_state["_jobs"]["mlp"]
    assert job.status == "finished" and len(job.records) == 3
    title = "Decision boundary" if lang == "en" else "Граница решений"
    boundary = [s for s in chart_specs(at) if s.get("title") == title]
    assert boundary, "the boundary is drawn"
    cells = [layer for layer in boundary[0]["layer"] if layer["mark"]["type"] == "rect"]
    assert cells and len(cells[0]["data"]["values"]) == 40 * 40, "with its grid of predicted classes"
    assert {c["cls"] for c in cells[0]["data"]["values"]} <= {"0", "1", "2"}
    shown = texts(at)
    assert ("Finished 3 epochs" in shown) if lang == "en" else ("Готово: 3 эпохи" in shown)
    metrics = {m.label: m.value for m in at.metric}
    ours = [v for k, v in metrics.items() if "best epoch" in k or "лучшая эпоха" in k]
    ref = [v for k, v in metrics.items() if "accuracy_score" in k]
    assert ours and ref and ours[0] == ref[0], "the trainer's test accuracy equals sklearn's"


def test_universal_approximation_fits_live():
    at = open_page("31_mlp", "en", timeout=600)
    at.selectbox(key="mlp_ua_fn").set_value("abs").run()
    at.slider(key="mlp_ua_units").set_value(8).run()
    at.slider(key="mlp_ua_epochs").set_value(20).run()
    assert "8 hidden units → 25 parameters" in texts(at)
    at.button(key="train_mlp_ua").click().run()
    at = wait_for_jobs(at, 600)
    assert not at.exception
    assert at.session_state["_jobs"]["mlp_ua"].status == "finished"
    assert any("Target and the network" in json.dumps(s) for s in chart_specs(at))
    assert "R² of the last fit" in texts(at)


def _every_tab_drawn(at) -> None:
    assert not at.exception
    assert len(at.tabs) == 6 and at.latex and len(at.radio) >= 3, "idea, quiz"
    assert any("class PlaygroundNet" in c.value for c in at.code), "code"
    assert any(m.label in ("Formula", "По формуле") for m in at.metric), "the Check tab's parameter count"


def test_a_diverged_run_keeps_every_tab_working_and_says_why(lang):
    at = _small(open_page("31_mlp", lang, timeout=600))
    at.select_slider(key="mlp_lr").set_value(10.0).run()
    at.button(key="train_mlp").click().run()
    at = wait_for_jobs(at, 600)
    job = at.session_state["_jobs"]["mlp"]
    assert job.status == "diverged" and job.best.state is None, "lr 10 diverges at once: no best weights"
    for _ in range(2):  # the Check tab is drawn on every rerun, not only the first
        at.run()
        _every_tab_drawn(at)
        said = "diverged at epoch 1 (learning rate 10)" if lang == "en" else "разошёлся на эпохе 1 (скорость обучения 10)"
        assert [w.value for w in at.warning if said in w.value], "the Check tab says why it has nothing to compare"
        assert not [m for m in at.metric if "accuracy_score" in m.label], "no accuracy of a NaN model"


def _one_epoch_job(status: str):
    """A real one-epoch playground run, ended as a learner's Stop or early stopping would end it."""
    from dataclasses import replace

    from core.playground import DEFAULT, DEFAULT_TRAIN, make_playground_job

    job = make_playground_job(replace(DEFAULT, n_samples=200), replace(DEFAULT_TRAIN, num_epochs=1)).run()
    assert job.status == "finished" and len(job.records) == 1 and job.best.best_epoch == 1
    job.status = status
    return job


def test_runs_stopped_or_early_stopped_at_epoch_one_are_checked(lang):
    for status in ("stopped", "early_stopped"):
        job = _one_epoch_job(status)
        at = open_page("31_mlp", lang, timeout=600, _jobs={"mlp": job})
        at.run()
        _every_tab_drawn(at)
        metrics = {m.label: m.value for m in at.metric}
        ours = [v for k, v in metrics.items() if "best epoch" in k or "лучшая эпоха" in k]
        ref = [v for k, v in metrics.items() if "accuracy_score" in k]
        assert ours and ref and ours[0] == ref[0], status
