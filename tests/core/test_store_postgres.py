"""The store shared by app processes (a PostgreSQL server, or one SQLite file), and a database that is
down at start-up: a clear error naming the URL without its password, and a page that says so."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
import sqlalchemy as sa
from conftest import ROOT, new_postgres_database, open_page, texts, wait_for_jobs
from e2e_support import free_port

from app.i18n import t
from core.progress import ProgressStore
from core.runstore import SCHEMA_VERSION, RunStore, StoreError, StoreUnavailable

S11 = "11_linear_algebra"
# One app process: it trains (a run left "running"), answers a quiz, passes an exercise, then waits
# until it sees the other process's run and progress, prints what it saw, and finishes its run on a
# line from stdin (so the other process reads its run while this one is alive).
APP_PROCESS = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from core.progress import ProgressStore
from core.runstore import RunStore
url, me, other = sys.argv[2:5]
runs, progress = RunStore(url), ProgressStore(url)
run_id = runs.start_run(page="52_training", session=me, num_epochs=5)
runs.add_epoch(run_id, {"epoch": 1, "train_loss": 0.5, "val_loss": 0.6})
progress.record_quiz(me, "11_linear_algebra", len(me), 9)
progress.record_attempt(me, "1.1-cosine", "11_linear_algebra", me + "'s code", "passed")
deadline = time.monotonic() + 90
while "1.1-cosine" not in progress.exercises(other) and time.monotonic() < deadline:
    time.sleep(0.05)
seen = [(r.session, r.status, r.epochs_done) for r in runs.runs(session=other)]
quiz = {s: q.correct for s, q in progress.quiz(other).items()}
print(json.dumps({"runs": seen, "quiz": quiz, "code": progress.exercises(other)["1.1-cosine"].code}), flush=True)
sys.stdin.readline()
runs.finish_run(run_id, "finished")
"""


def test_two_app_processes_on_one_database_see_each_others_runs_and_progress(store_url):
    RunStore(store_url)  # the schema exists before both start, as with a deployed database
    procs = {me: subprocess.Popen([sys.executable, "-c", APP_PROCESS, str(ROOT), store_url, me, other],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for me, other in (("ann", "bobby"), ("bobby", "ann"))}
    try:
        seen = {me: json.loads(proc.stdout.readline() or "null") for me, proc in procs.items()}
        for proc in procs.values():
            proc.stdin.write("\n")
            proc.stdin.flush()
        errors = {me: proc.communicate(timeout=60)[1] for me, proc in procs.items()}
    finally:
        for proc in procs.values():
            proc.kill()
    assert all(proc.returncode == 0 for proc in procs.values()), errors
    # each saw the other's run while that process was alive and training: still running, not "interrupted"
    assert seen["ann"] == {"runs": [["bobby", "running", 1]], "quiz": {S11: 5}, "code": "bobby's code"}
    assert seen["bobby"] == {"runs": [["ann", "running", 1]], "quiz": {S11: 3}, "code": "ann's code"}
    store = RunStore(store_url)
    assert sorted((r.session, r.status) for r in store.runs()) == [("ann", "finished"), ("bobby", "finished")]
    assert ProgressStore(store_url).learners() == ["ann", "bobby"]


def test_a_run_of_a_process_that_died_is_interrupted_for_the_next_process(store_url):
    code = ("import os, sys; sys.path.insert(0, sys.argv[1]); from core.runstore import RunStore; "
            "s = RunStore(sys.argv[2]); r = s.start_run(page='p', num_epochs=9); "
            "s.add_epoch(r, {'epoch': 1, 'train_loss': 1.0, 'val_loss': 0.5}); os._exit(0)")
    subprocess.run([sys.executable, "-c", code, str(ROOT), store_url], check=True, timeout=120)
    [run] = RunStore(store_url).runs()
    assert run.status == "interrupted" and run.epochs_done == 1 and run.metrics["best_val_loss"] == 0.5


def test_a_newer_schema_on_a_server_is_refused_not_moved_aside(postgres_server):
    url = new_postgres_database(postgres_server)
    store = RunStore(url)
    store.start_run(page="p")
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE schema_meta SET value = :v WHERE key = 'runs'"), {"v": str(SCHEMA_VERSION + 1)})
    with pytest.raises(StoreError, match="newer"):
        RunStore(url)
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE schema_meta SET value = :v WHERE key = 'runs'"), {"v": str(SCHEMA_VERSION)})
    assert len(RunStore(url).runs()) == 1, "the runs are still there"


def _down_url() -> str:
    return f"postgresql://teacher:s3cret-pw@127.0.0.1:{free_port()}/runs"  # nothing listens on a free port


def test_a_server_that_is_down_raises_a_clear_error_without_the_password():
    url = _down_url()
    for open_store in (RunStore, ProgressStore):
        with pytest.raises(StoreUnavailable) as caught:
            open_store(url)
        message = str(caught.value)
        assert "cannot be reached" in message and url.split("@")[1] in message and "teacher" in message
        assert "s3cret-pw" not in message


def test_the_runs_page_and_home_say_the_database_is_down(monkeypatch, lang):
    url = _down_url()
    monkeypatch.setenv("DLDASH_RUNS_DB", url)
    at = open_page("90_runs", lang)
    assert not at.exception
    [error] = at.error
    assert error.value.startswith(t("90_runs.store_down", lang=lang, error="").split(":")[0])
    assert "127\\.0\\.0\\.1" in error.value and "s3cret" not in texts(at)
    home = open_page("00_home", lang)
    assert not home.exception
    assert any(w.value.startswith(t("00_home.store_down", lang=lang, error="").split(":")[0]) for w in home.warning)
    assert "s3cret" not in texts(home)


def test_a_database_that_goes_away_after_start_up_is_reported_on_the_next_visit(postgres_server, monkeypatch):
    import psycopg

    url = new_postgres_database(postgres_server)
    RunStore(url).start_run(page="52_training", dataset="iris")
    monkeypatch.setenv("DLDASH_RUNS_DB", url)
    at = open_page("90_runs")
    assert not at.exception and not at.error and at.dataframe
    with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as conn:  # the server loses the database
        conn.execute(f"DROP DATABASE {url.rsplit('/', 1)[1]} WITH (FORCE)")
    at = open_page("90_runs")
    assert not at.exception
    [error] = at.error
    assert error.value.startswith(t("90_runs.store_down", lang="en", error="").split(":")[0])


def test_training_still_works_while_the_database_is_down(monkeypatch):
    monkeypatch.setenv("DLDASH_RUNS_DB", _down_url())
    at = open_page("52_training")
    at.selectbox(key="tr_ds").set_value("iris").run()
    at.slider(key="tr_epochs").set_value(2).run()
    at.button(key="train_training").click().run()
    at = wait_for_jobs(at)
    assert not at.exception
    [job] = at.session_state["_jobs"].values()
    assert job.status == "finished" and len(job.records) == 2
