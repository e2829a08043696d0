"""9.0 Runs: table, overlaid curves, setting-vs-metric, differing settings, delete, CSV, reopen; EN and RU."""
from __future__ import annotations

import json

import pytest
from conftest import open_page, texts, wait_for_jobs

from core import limits
from core.runstore import RunStore


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "runs.db"
    monkeypatch.setenv("DLDASH_RUNS_DB", str(path))
    yield path
    limits.configure(limits.Limits(hosted=False))


def _charts(at) -> list:
    return list(at.get("vega_lite_chart")) + list(at.get("arrow_vega_lite_chart"))


def _fake_run(store: RunStore, lr: float, optimizer: str, losses: list[float], session: str = "s", dataset: str = "iris",
              page: str = "52_training") -> int:
    hp = {"dataset": dataset, "model": "mlp", "hidden": [8], "train": {"lr": lr, "optimizer": optimizer, "num_epochs": len(losses)}}
    run_id = store.start_run(page=page, dataset=dataset, model="mlp", num_epochs=len(losses), hparams=hp, session=session,
                             device="cpu", query={"tr_lr": str(lr), "tr_opt": optimizer, "tr_ds": dataset, "seed": "7"})
    for i, loss in enumerate(losses, 1):
        store.add_epoch(run_id, {"epoch": i, "train_loss": loss * 0.9, "val_loss": loss, "val_score": 1 - loss / 2,
                                 "train_score": 1 - loss / 3, "lr": lr, "grad_norm": 1.0, "seconds": 0.1})
    rows = store.epochs([run_id])
    from core.runstore import metrics_from_rows
    store.finish_run(run_id, "finished", metrics_from_rows(rows), duration=0.1 * len(losses))
    return run_id


def _three_runs(db) -> RunStore:
    store = RunStore(db)
    _fake_run(store, 0.001, "adam", [1.0, 0.8, 0.7])
    _fake_run(store, 0.01, "adam", [0.9, 0.5, 0.3])
    _fake_run(store, 0.1, "sgd", [1.2, 1.1, 1.3], dataset="wine")
    return store


def test_empty_history_says_how_to_start(db, lang):
    at = open_page("90_runs", lang)
    assert not at.exception
    assert ("No runs yet" in texts(at)) if lang == "en" else ("Запусков пока нет" in texts(at))


def test_table_curves_scatter_and_diff(db, lang):
    _three_runs(db)
    at = open_page("90_runs", lang)
    assert not at.exception
    assert len(at.dataframe) >= 2, "the run table and the settings diff"
    table = at.dataframe[0].value
    assert len(table) == 3 and list(table.iloc[:, 0]) == [3, 2, 1], "newest first"
    assert at.multiselect(key="rn_pick").value == [3, 2, 1]
    charts = _charts(at)
    assert len(charts) >= 2, "overlaid curves and the setting-vs-metric scatter"
    diff = at.dataframe[1].value
    settings = list(diff.iloc[:, 0])
    assert "train.lr" in settings and "train.optimizer" in settings and "dataset" in settings
    assert "hidden" not in settings and "model" not in settings, "identical settings are hidden"
    assert (("3 of 3 runs" in texts(at)) if lang == "en" else ("Показано 3 из 3" in texts(at)))


def test_filter_and_sort_by_metric(db):
    _three_runs(db)
    at = open_page("90_runs", "en")
    at.selectbox(key="rn_ds").set_value("iris").run()
    assert list(at.dataframe[0].value.iloc[:, 0]) == [2, 1]
    at.selectbox(key="rn_ds").set_value("*").run()
    at.selectbox(key="rn_sort").set_value("best_val_loss").run()
    assert list(at.dataframe[0].value.iloc[:, 0]) == [2, 1, 3], "lowest loss first"
    at.toggle(key="rn_best").set_value(False).run()
    assert list(at.dataframe[0].value.iloc[:, 0]) == [3, 1, 2]
    at.selectbox(key="rn_sort").set_value("max_val_score").run()
    assert list(at.dataframe[0].value.iloc[:, 0]) == [2, 1, 3][::-1], "worst score first when reversed"
    assert not at.exception


def test_diff_shows_everything_when_asked_and_csv_exports(db):
    _three_runs(db)
    at = open_page("90_runs", "en")
    at.multiselect(key="rn_pick").set_value([1, 2]).run()
    settings = list(at.dataframe[1].value.iloc[:, 0])
    assert settings == ["train.lr"], "runs 1 and 2 differ only in the learning rate"
    at.toggle(key="rn_only_diff").set_value(False).run()
    assert "hidden" in list(at.dataframe[1].value.iloc[:, 0])
    assert at.get("download_button"), "CSV export offered"
    assert not at.exception


def test_scatter_of_a_categorical_setting(db):
    _three_runs(db)
    at = open_page("90_runs", "en")
    at.selectbox(key="rn_x").set_value("train.optimizer").run()
    at.selectbox(key="rn_y").set_value("final_val_loss").run()
    assert not at.exception
    specs = [json.loads(c.proto.spec) for c in _charts(at)]
    scatter = [s for s in specs if s["mark"]["type"] == "circle"]
    assert scatter and scatter[0]["encoding"]["x"]["type"] == "nominal"
    assert scatter[0]["encoding"]["y"]["title"] == "Final val loss"
    assert {t["field"] for t in scatter[0]["encoding"]["tooltip"]} == {"run", "x", "y"}


def test_delete_needs_confirmation(db):
    store = _three_runs(db)
    at = open_page("90_runs", "en")
    at.multiselect(key="rn_pick").set_value([3]).run()
    assert at.button(key="rn_delete").disabled
    at.checkbox(key="rn_confirm").check().run()
    at.button(key="rn_delete").click().run()
    assert not at.exception
    assert [r.id for r in store.runs()] == [2, 1]
    assert len(at.dataframe[0].value) == 2


def test_hosted_sessions_see_only_their_runs(db):
    limits.configure(limits.Limits(hosted=True))
    store = RunStore(db)
    _fake_run(store, 0.01, "adam", [1.0, 0.5], session="alice")
    _fake_run(store, 0.1, "sgd", [1.0, 0.9], session="bob")
    at = open_page("90_runs", "en", _run_session="alice")
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table.iloc[:, 0]) == [1]
    assert "only the runs started in this browser, or on your account" in texts(at)
    at = open_page("90_runs", "en", _run_session="carol")
    assert "No runs yet" in texts(at)


def test_a_learner_can_neither_see_reopen_nor_delete_another_learners_run(db):
    """The store answers a learner's scope only: another learner's run id reads as missing and
    deleting it deletes nothing; the Runs page, asked to select it, shows nothing of it."""
    limits.configure(limits.Limits(hosted=True))
    store = RunStore(db)
    theirs = _fake_run(store, 0.1, "sgd", [1.0, 0.9], session="user:bob")
    assert store.run(theirs, session="user:alice") is None
    assert store.delete([theirs], session="user:alice") == 0
    assert store.run(theirs, session="user:bob") is not None, "bob's run is still there"
    at = open_page("90_runs", "en", _run_session="user:alice", runs_selected=[theirs])
    assert not at.exception
    assert "No runs yet" in texts(at) and not at.dataframe


def test_corrupt_history_file_shows_a_message(db):
    db.write_bytes(b"garbage" * 500)
    at = open_page("90_runs", "en")
    assert not at.exception
    assert "could not be used" in texts(at) and "corrupt-" in texts(at)


def test_a_run_trained_on_a_page_appears_here(db, lang):
    at = open_page("52_training", lang)
    at.selectbox(key="tr_ds").set_value("iris").run()
    at.slider(key="tr_epochs").set_value(2).run()
    at.button(key="train_training").click().run()
    wait_for_jobs(at)
    runs = RunStore(db).runs()
    assert len(runs) == 1 and runs[0].status == "finished" and runs[0].epochs_done == 2
    assert runs[0].query.get("tr_epochs") == "2" and runs[0].query.get("tr_ds") == "iris"
    assert runs[0].page == "52_training" and runs[0].hparams["train"]["num_epochs"] == 2
    at = open_page("90_runs", lang)
    assert not at.exception and len(at.dataframe[0].value) == 1


def test_reopening_a_run_brings_its_settings_back_to_its_page(db, lang):
    """Through the router: train on 5.2, change the settings, then reopen the run from the Runs page."""
    from conftest import ROOT
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app" / "streamlit_app.py"), default_timeout=120)
    at.session_state["lang"], at.session_state["force_cpu"] = lang, True
    at.run()
    at.switch_page("../pages/52_training.py").run()
    at.selectbox(key="tr_ds").set_value("iris").run()
    at.slider(key="tr_epochs").set_value(2).run()
    at.select_slider(key="tr_lr").set_value(0.01).run()
    at.button(key="train_training").click().run()
    wait_for_jobs(at)
    at.slider(key="tr_epochs").set_value(40).run()  # the learner moves on
    at.select_slider(key="tr_lr").set_value(0.003).run()
    at.selectbox(key="tr_ds").set_value("wine").run()

    at.switch_page("../pages/90_runs.py").run()
    assert not at.exception
    at.button(key="rn_reload").click().run()
    assert not at.exception
    assert at.slider(key="tr_epochs").value == 2 and at.select_slider(key="tr_lr").value == 0.01
    assert at.selectbox(key="tr_ds").value == "iris"
    assert at.query_params.get("tr_epochs") == "2", "the URL is the run's, so it can be shared as it is"


def test_every_run_keeps_its_name_in_the_reopen_picker_whatever_is_compared(db, lang):
    _three_runs(db)
    at = open_page("90_runs", lang)
    at.multiselect(key="rn_pick").set_value([1]).run()
    assert not at.exception
    options = at.selectbox(key="rn_reload_pick").options
    assert len(options) == 3 and all("·" in o for o in options), options


def test_reopening_a_run_resets_settings_it_had_at_their_default(db):
    """5.2 remembers each setting's last value across page visits; reopening a run forgets them, so
    a setting absent from the run's link (it was at its default) is at its default again."""
    from conftest import ROOT
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app" / "streamlit_app.py"), default_timeout=120)
    at.session_state["force_cpu"] = True
    at.run()
    at.switch_page("../pages/52_training.py").run()
    at.selectbox(key="tr_ds").set_value("iris").run()
    at.slider(key="tr_epochs").set_value(2).run()
    at.button(key="train_training").click().run()
    wait_for_jobs(at)
    default_dropout = at.slider(key="tr_dropout").value
    at.slider(key="tr_dropout").set_value(0.5).run()  # the learner moves on
    at.switch_page("../pages/90_runs.py").run()
    at.button(key="rn_reload").click().run()
    assert not at.exception
    assert at.slider(key="tr_epochs").value == 2 and at.slider(key="tr_dropout").value == default_dropout
