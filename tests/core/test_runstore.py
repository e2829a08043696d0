"""Run store on a real SQLite file and a real PostgreSQL server (`store_url`): restart, stopped runs,
session scope; and, on SQLite, corrupt and old files."""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading

import sqlalchemy as sa
from conftest import ROOT

from core.datasets import load_dataset
from core.recipes import Recipe, make_job
from core.run_recorder import attach
from core.runstore import MIGRATIONS, SCHEMA_VERSION, RunStore, flatten, metrics_from_rows
from core.trainer import TrainConfig

TINY = Recipe(dataset="iris", hidden=(8,), train=TrainConfig(num_epochs=3, batch_size=32, seed=1))


def _train(store: RunStore, recipe: Recipe = TINY, session: str = "s1", **query):
    job = make_job(recipe, page="52_training")
    attach(job, store, page="52_training", panel="training", session=session, query=query or {"tr_epochs": "3"})
    job.start()
    job.join(60)
    assert job.done
    return job


def test_run_is_saved_with_settings_epochs_and_metrics(store_url):
    store = RunStore(store_url)
    job = _train(store)
    [run] = store.runs()
    assert run.status == "finished" and run.page == "52_training" and run.dataset == "iris" and run.model == "mlp"
    assert run.epochs_done == 3 and run.num_epochs == 3 and run.duration > 0 and run.device == "cpu"
    assert run.hparams["train"]["lr"] == TINY.train.lr and run.hparams["hidden"] == [8]
    assert run.hparams["parameters"] == sum(p.numel() for p in job.model.parameters())
    assert run.query == {"tr_epochs": "3"} and run.session == "s1"
    epochs = store.epochs([run.id])
    assert [e["epoch"] for e in epochs] == [1, 2, 3]
    assert [e["val_loss"] for e in epochs] == [r.val_loss for r in job.records]
    best = min(job.records, key=lambda r: r.val_loss)
    assert run.metrics["best_val_loss"] == best.val_loss and run.metrics["best_epoch"] == best.epoch
    assert flatten(run.hparams)["train.batch_size"] == 32


def test_runs_survive_a_new_store_and_a_new_process(store_url):
    path = store_url
    _train(RunStore(path))
    reopened = RunStore(path, process_id="restarted")
    assert [r.status for r in reopened.runs()] == ["finished"]
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from core.runstore import RunStore; "
            "runs = RunStore(sys.argv[2]).runs(); print(len(runs), runs[0].epochs_done, runs[0].status)")
    out = subprocess.run([sys.executable, "-c", code, str(ROOT), str(path)], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["1", "3", "finished"]


def test_a_run_stopped_midway_keeps_its_finished_epochs(store_url):
    store = RunStore(store_url)
    job = make_job(Recipe(dataset="iris", hidden=(8,), train=TrainConfig(num_epochs=50, batch_size=16, seed=0)), page="p")
    gate = threading.Event()

    class StopAfterTwo:
        def on_record(self, job, record):
            if record.epoch == 2:
                job.stop()
                gate.set()

    attach(job, store, page="p", session="s")
    job.add_callback(StopAfterTwo())
    job.start()
    job.join(60)
    assert gate.is_set() and job.status == "stopped"
    [run] = store.runs()
    assert run.status == "stopped" and run.epochs_done == len(job.records) >= 2 and run.num_epochs == 50
    assert len(store.epochs([run.id])) == run.epochs_done


def test_a_run_whose_process_died_is_reloaded_as_interrupted_not_stopped(store_url):
    path = store_url
    dead = RunStore(path, process_id="dead")
    run_id = dead.start_run(page="p", num_epochs=10)
    for epoch in (1, 2):
        dead.add_epoch(run_id, {"epoch": epoch, "train_loss": 1.0 / epoch, "val_loss": 1.5 / epoch, "lr": 0.1})
    stopped = dead.start_run(page="p", num_epochs=10)
    dead.finish_run(stopped, "stopped")  # a learner's Stop, in the same dead process
    alive = RunStore(path, process_id="alive")
    run = alive.run(run_id)
    assert run.status == "interrupted" and run.epochs_done == 2 and run.metrics["best_val_loss"] == 0.75
    assert alive.run(stopped).status == "stopped", "a learner's Stop keeps its own label"


def test_interrupted_and_stopped_read_differently_in_each_language():
    from app.i18n import t

    for lang in ("en", "ru"):
        interrupted, stopped = t("90_runs.status.interrupted", lang=lang), t("90_runs.status.stopped", lang=lang)
        assert not interrupted.startswith("⟨") and interrupted != stopped


def test_hosted_sessions_do_not_see_each_other(store_url):
    store = RunStore(store_url)
    a = store.start_run(page="p", session="alice")
    b = store.start_run(page="p", session="bob")
    assert [r.id for r in store.runs(session="alice")] == [a]
    assert [r.id for r in store.runs(session="bob")] == [b]
    assert store.run(b, session="alice") is None
    assert store.delete([b], session="alice") == 0, "one session cannot delete another's run"
    assert store.delete([a], session="alice") == 1 and {r.id for r in store.runs()} == {b}


def test_run_counts_per_session_and_page(store_url):
    store = RunStore(store_url)
    assert store.run_counts() == {}
    for session, page in (("alice", "p"), ("alice", "p"), ("alice", "q"), ("bob", "p")):
        store.start_run(page=page, session=session)
    assert store.run_counts() == {("alice", "p"): 2, ("alice", "q"): 1, ("bob", "p"): 1}


def test_one_pool_per_database_not_a_connection_per_epoch(store_url):
    store = RunStore(store_url)
    assert RunStore(store_url).engine is store.engine, "one engine per database in a process"
    connects = []

    def count(*_) -> None:
        connects.append(1)

    sa.event.listen(store.engine, "connect", count)
    try:
        run_id = store.start_run(page="p")
        for epoch in range(1, 21):
            store.add_epoch(run_id, {"epoch": epoch, "train_loss": 1.0 / epoch})
        store.finish_run(run_id, "finished")
    finally:
        sa.event.remove(store.engine, "connect", count)
    assert store.run(run_id).epochs_done == 20 and len(connects) <= 1


def test_delete_removes_epochs_too(store_url):
    store = RunStore(store_url)
    run_id = store.start_run(page="p")
    store.add_epoch(run_id, {"epoch": 1, "train_loss": 1.0, "val_loss": float("nan"), "lr": 0.1})
    assert store.epochs([run_id])[0]["val_loss"] is None, "NaN is stored as NULL"
    store.delete([run_id])
    assert store.epochs([run_id]) == []


def test_corrupt_file_is_moved_aside_with_a_message(tmp_path):
    path = tmp_path / "runs.db"
    path.write_bytes(b"this is not a database at all" * 100)
    store = RunStore(path)
    assert store.moved_to is not None and store.moved_to.name.startswith("runs.db.corrupt-")
    assert store.moved_to.read_bytes().startswith(b"this is not")
    assert "could not be used" in store.notice and str(store.moved_to) in store.notice
    assert store.runs() == [] and store.start_run(page="p") == 1


def test_newer_or_foreign_schema_is_moved_aside(tmp_path):
    newer = tmp_path / "newer.db"
    with sqlite3.connect(newer) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    store = RunStore(newer)
    assert "newer than this app" in store.notice and store.moved_to.exists()
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE something_else (x)")
    store = RunStore(foreign)
    assert "not a run store" in store.notice and store.runs() == []


def test_old_schema_is_migrated_keeping_its_runs(tmp_path):
    path = tmp_path / "v1.db"
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0])
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO runs (created_at, page, status, hparams, metrics) VALUES (0, 'old', 'finished', ?, '{}')",
                 (json.dumps({"train": {"lr": 0.01}}),))
    conn.commit()
    conn.close()
    store = RunStore(path)
    assert store.notice is None
    [run] = store.runs()
    assert run.page == "old" and run.session == "" and run.query == {} and run.hparams["train"]["lr"] == 0.01
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_metrics_from_rows_skips_non_finite():
    rows = [{"epoch": 1, "train_loss": 2.0, "val_loss": 1.0, "val_score": 0.5, "seconds": 1.0},
            {"epoch": 2, "train_loss": 1.0, "val_loss": None, "val_score": None, "seconds": 3.0}]
    m = metrics_from_rows(rows)
    assert m["best_val_loss"] == 1.0 and m["best_epoch"] == 1 and m["final_train_loss"] == 1.0
    assert m["seconds_per_epoch"] == 2.0 and "final_val_loss" not in m
    assert metrics_from_rows([]) == {}


def test_failed_job_is_recorded_with_its_error(store_url):
    store = RunStore(store_url)
    job = make_job(TINY, page="p")
    job.build_model = lambda: (_ for _ in ()).throw(RuntimeError("boom"))
    attach(job, store, page="p")
    job.run()
    [run] = store.runs()
    assert run.status == "failed" and "boom" in run.error


def test_listener_failure_does_not_break_training(tmp_path):
    store = RunStore(tmp_path / "runs.db")
    job = make_job(TINY, data=None, page="p")
    attach(job, store, page="p")
    with sqlite3.connect(store.path) as conn:  # the tables vanish under the store: writes fail, training goes on
        conn.executescript("DROP TABLE epochs; DROP TABLE runs;")
    job.run()
    assert job.status == "finished" and job.callback_errors
    assert load_dataset("iris").name == "iris"
