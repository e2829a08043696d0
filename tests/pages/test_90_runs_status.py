"""9.0 Runs: a run cut short by a server crash is labelled "interrupted", apart from a learner's Stop."""
from __future__ import annotations

from conftest import open_page

from app.i18n import t
from core.runstore import RunStore


def test_a_crashed_run_and_a_stopped_run_get_different_labels(tmp_path, monkeypatch, lang):
    path = tmp_path / "runs.db"
    dead = RunStore(path, process_id="a-server-that-crashed")
    crashed = dead.start_run(page="52_training", dataset="iris", num_epochs=60)
    dead.add_epoch(crashed, {"epoch": 1, "train_loss": 1.0, "val_loss": 1.1, "lr": 0.01})
    stopped = dead.start_run(page="52_training", dataset="iris", num_epochs=60)
    dead.add_epoch(stopped, {"epoch": 1, "train_loss": 1.0, "val_loss": 1.1, "lr": 0.01})
    dead.finish_run(stopped, "stopped")
    monkeypatch.setenv("DLDASH_RUNS_DB", str(path))  # the page opens the file afresh, as a restarted server does

    at = open_page("90_runs", lang)
    assert not at.exception
    table = at.dataframe[0].value
    status = dict(zip(table.iloc[:, 0], table[t("90_runs.columns.status", lang=lang)]))
    assert status[crashed] == t("90_runs.status.interrupted", lang=lang)
    assert status[stopped] == t("90_runs.status.stopped", lang=lang) != status[crashed]
