"""5.2 Training: widgets build the run, training shows charts and a summary, in EN and RU."""
import pytest
from conftest import open_page, texts, wait_for_jobs

from app.i18n import t


def test_renders_all_five_parts(lang):
    at = open_page("52_training", lang)
    assert not at.exception
    assert len(at.tabs) == 6
    assert at.latex, "the idea tab shows formulas"
    assert len(at.radio) >= 3, "the quiz asks its questions"
    assert any("def fit" in c.value for c in at.code), "the code tab shows the real trainer source"
    # the Self-check tab measures the loop's idioms, before any run
    idioms = next(df.value for df in at.dataframe if "zero_grad()" in list(df.value.iloc[:, 0]))
    measured = dict(zip(idioms.iloc[:, 0], idioms.iloc[:, 1]))
    assert ("leaves 12 in .grad" if lang == "en" else "оставляет в .grad 12") in measured["zero_grad()"]
    steps = measured["scheduler.step()"]
    assert "0.1, 0.05, 0.025, 0.0125" in steps and "0.05, 0.025, 0.0125, 0.00625" in steps
    assert "True" in measured["torch.no_grad()"] and "False" in measured["torch.no_grad()"]
    assert ("and by 0 after" if lang == "en" else "и на 0 после") in measured["state_dict()"]


def test_training_runs_and_reports(lang):
    at = open_page("52_training", lang)
    at.slider(key="tr_epochs").set_value(3).run()
    at.button(key="train_training").click().run()
    at = wait_for_jobs(at)
    assert not at.exception
    job = at.session_state["_jobs"]["training"]
    assert job.status == "finished" and len(job.records) == 3
    shown = texts(at)
    assert ("Finished 3 epochs" in shown) if lang == "en" else ("Готово: 3 эпохи" in shown)
    assert at.get("vega_lite_chart") or at.get("arrow_vega_lite_chart"), "live charts drawn"
    # the Check tab compares the loop's score with sklearn's on the same predictions
    shown_metrics = {m.label: m.value for m in at.metric}
    label = lambda key: t(f"52_training.{key}", lang=lang)
    ours, ref = float(shown_metrics[label("ours_score")]), float(shown_metrics[label("sklearn_score")])
    best = next(r for r in job.records if r.epoch == job.best.best_epoch)
    assert ours == pytest.approx(best.val_score, abs=1e-6), "the loop's score is the best epoch's val accuracy"
    assert abs(ours - ref) < 1e-6 and float(shown_metrics[label("difference")]) < 1e-6


def test_diverging_learning_rate_gives_a_clear_message():
    at = open_page("52_training", "en")
    at.select_slider(key="tr_lr").set_value(10.0).run()
    at.selectbox(key="tr_opt").set_value("sgd").run()
    at.slider(key="tr_epochs").set_value(5).run()
    at.button(key="train_training").click().run()
    at = wait_for_jobs(at)
    assert not at.exception
    assert at.session_state["_jobs"]["training"].status == "diverged"
    assert any("diverged" in e.value for e in at.error)


def test_cnn_needs_images_and_regression_uses_r2():
    at = open_page("52_training", "en")
    at.selectbox(key="tr_ds").set_value("diabetes").run()
    assert not at.exception
    assert at.selectbox(key="tr_model").options == ["MLP"]
    at.slider(key="tr_epochs").set_value(2).run()
    at.button(key="train_training").click().run()
    at = wait_for_jobs(at)
    assert at.session_state["_jobs"]["training"].data.task == "regression"
    assert "R²" in texts(at)


def test_bad_csv_upload_gets_its_specific_message(lang):
    at = open_page("52_training", lang)
    at.selectbox(key="tr_ds").set_value("csv").run()
    at.file_uploader(key="tr_csv").upload("bad.csv", b"a,b,label\n" + b"x,1,0\n" * 20, "text/csv").run()
    assert not at.exception
    expected = "not numeric" if lang == "en" else "не числовые"
    assert any(expected in e.value for e in at.error)


def test_good_csv_upload_trains(tmp_path):
    at = open_page("52_training", "en")
    at.selectbox(key="tr_ds").set_value("csv").run()
    rows = "".join(f"{i % 7},{(i * 3) % 5},{i % 2}\n" for i in range(60))
    at.file_uploader(key="tr_csv").upload("ok.csv", ("a,b,label\n" + rows).encode(), "text/csv").run()
    at.slider(key="tr_epochs").set_value(2).run()
    at.button(key="train_training").click().run()
    at = wait_for_jobs(at)
    assert at.session_state["_jobs"]["training"].data.task == "binary"


def test_checkpoint_upload_is_weights_only(lang):
    import io
    import os

    import torch

    from core.recipes import DIGITS_MLP, make_job

    class Evil:
        def __reduce__(self):
            return (os.system, ("true",))

    at = open_page("52_training", lang)
    good = make_job(DIGITS_MLP.__class__(train=DIGITS_MLP.train.__class__(num_epochs=1))).run().checkpoint_bytes()
    at.file_uploader(key="tr_ckpt").upload("best.pt", good).run()
    assert not at.exception and at.success and at.dataframe
    buf = io.BytesIO()
    torch.save({"state_dict": {}, "x": Evil()}, buf)
    at.file_uploader(key="tr_ckpt").upload("evil.pt", buf.getvalue()).run()
    assert not at.exception and at.error


def test_train_is_greyed_out_while_a_run_is_going_and_back_after_stop():
    at = open_page("52_training", "en")
    at.slider(key="tr_epochs").set_value(200).run()
    assert not at.button(key="train_training").disabled
    at.button(key="train_training").click().run()
    job = at.session_state["_jobs"]["training"]
    assert not job.done and at.button(key="train_training").disabled, "one run at a time per panel"
    job.stop()
    at = wait_for_jobs(at)
    assert job.status == "stopped" and not at.button(key="train_training").disabled


def test_the_panel_says_how_long_a_run_will_take_before_it_starts(lang):
    at = open_page("52_training", lang)
    word = "About" if lang == "en" else "Примерно"

    def estimate() -> str:
        return next(c.value for c in at.caption if c.value.startswith("⏱"))

    from app.estimates import wait_for_estimates

    assert wait_for_estimates(), "the probe runs in the background"
    at.run()
    first = estimate()
    assert word in first and "30" in first, first  # the default 30 epochs
    at.slider(key="tr_epochs").set_value(60).run()
    assert "60" in estimate() and estimate() != first
    from app.estimates import estimate_seconds
    from core.recipes import DIGITS_MLP, make_job
    total, per_epoch, epochs, _ = estimate_seconds(lambda: make_job(DIGITS_MLP), timeout=120)
    assert epochs == DIGITS_MLP.train.num_epochs and total == per_epoch * epochs > 0


def test_a_finished_run_teaches_the_estimate_its_real_epoch_time():
    from app import estimates

    at = open_page("52_training", "en")
    at.slider(key="tr_epochs").set_value(4).run()
    at.button(key="train_training").click().run()
    at = wait_for_jobs(at)
    job = at.session_state["_jobs"]["training"]
    real = job.elapsed / len(job.records)
    assert estimates._known[estimates.settings_key(job)] == (real, True)
    said = next(c.value for c in at.caption if c.value.startswith("⏱"))
    assert "as measured on the last run" in said, said
    assert estimates.duration(0.009) == "9 ms" and estimates.duration(0.4) == "0.4 s" and estimates.duration(300) == "5.0 min"


def test_a_cnn_link_opens_with_the_cnn_recipe_settings():
    """?tr_model=cnn: the training widgets show DIGITS_CNN's own settings (its lr was not one of the
    slider's choices, so the slider showed, and the run used, its minimum, 1e-4)."""
    from conftest import page_path
    from streamlit.testing.v1 import AppTest

    from core.recipes import DIGITS_CNN

    at = AppTest.from_file(page_path("52_training"), default_timeout=120)
    at.session_state["force_cpu"] = True
    at.query_params["tr_model"] = "cnn"
    at.run()
    assert not at.exception
    assert at.selectbox(key="tr_model").value == "cnn"
    assert at.select_slider(key="tr_lr").value == DIGITS_CNN.train.lr
    assert at.slider(key="tr_epochs").value == DIGITS_CNN.train.num_epochs
    assert at.selectbox(key="tr_sched").value == DIGITS_CNN.train.scheduler


SETTINGS = {  # key: (widget kind, a value that is not the default)
    "tr_epochs": ("slider", 50), "tr_lr": ("select_slider", 0.01), "tr_bs": ("select_slider", 128),
    "tr_dropout": ("slider", 0.3), "tr_opt": ("selectbox", "sgd"), "tr_scaler": ("selectbox", "minmax"),
    "tr_hidden": ("text_input", "32, 16"), "tr_act": ("selectbox", "tanh"), "tr_bn": ("toggle", True),
    "tr_sched": ("selectbox", "cosine"), "tr_wd": ("select_slider", 1e-4), "tr_pat": ("slider", 5),
    "tr_clip": ("select_slider", 1.0), "tr_amp": ("toggle", True),
}


def _assert_settings_kept(at, when: str) -> None:
    """Each setting holds its value, and the server sends it with the widget. A widget that was not
    drawn in the last run is new to the browser, which shows the value sent with it (`set_value`)
    or else Streamlit's own default, the minimum or first option: 1 epoch, lr 1e-4, batch 8, SGD."""
    for key, (kind, value) in SETTINGS.items():
        widget = getattr(at, kind)(key=key)
        assert widget.value == value, f"{when}: {key} is {widget.value!r}, not {value!r}"
        assert widget.proto.set_value, f"{when}: {key} is drawn without its value; the browser shows its minimum"


def test_a_dataset_change_keeps_every_other_setting(lang):
    at = open_page("52_training", lang)
    for key, (kind, value) in SETTINGS.items():
        getattr(at, kind)(key=key).set_value(value).run()
    assert not at.exception
    at.selectbox(key="tr_ds").set_value("csv").run()  # the page waits for a file: no settings drawn
    assert not [s for s in at.slider if s.key == "tr_epochs"]
    at.selectbox(key="tr_ds").set_value("wine").run()
    _assert_settings_kept(at, "back to a built-in set")
    at.selectbox(key="tr_ds").set_value("csv").run()
    rows = "".join(f"{i % 7},{(i * 3) % 5},{i % 2}\n" for i in range(60))
    at.file_uploader(key="tr_csv").upload("ok.csv", ("a,b,label\n" + rows).encode(), "text/csv").run()
    assert not at.exception
    _assert_settings_kept(at, "after a CSV upload")
    assert {k: at.query_params[k] for k in ("tr_epochs", "tr_opt", "tr_hidden")} == {
        "tr_epochs": "50", "tr_opt": "sgd", "tr_hidden": "32, 16"}, "the link still holds them"


def test_settings_come_back_after_a_visit_to_another_page(lang):
    """Through the router: a page switch ends runs without the 5.2 widgets, so Streamlit drops their
    values and the link loses them; the values they had when last drawn come back."""
    from conftest import ROOT
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app" / "streamlit_app.py"), default_timeout=120)
    at.session_state["lang"], at.session_state["force_cpu"] = lang, True
    at.run()
    at.switch_page("../pages/52_training.py").run()
    for key, (kind, value) in SETTINGS.items():
        getattr(at, kind)(key=key).set_value(value).run()
    at.switch_page("../pages/91_roadmap.py").run()
    assert "tr_epochs" not in at.session_state, "Streamlit dropped it"
    for key in SETTINGS:  # as the browser does: the sidebar link opens a page without the last one's query
        del at.query_params[key]
    at.switch_page("../pages/52_training.py").run()
    assert not at.exception
    for key, (kind, value) in SETTINGS.items():
        assert getattr(at, kind)(key=key).value == value, key
    assert at.query_params["tr_epochs"] == "50", "and the link has them again"
