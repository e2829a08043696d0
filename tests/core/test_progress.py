"""Progress store on a real SQLite file and a real PostgreSQL server (`store_url`): round trips, learners
kept apart, reset, a newer schema refused; on SQLite, old run stores migrated and corrupt files moved aside."""
from __future__ import annotations

import json
import sqlite3
import time

import pytest
import sqlalchemy as sa

from core import progress
from core.progress import ProgressStore
from core.runstore import MIGRATIONS, SCHEMA_VERSION, RunStore, StoreError

S11, S12 = "11_linear_algebra", "12_calculus"


def test_everything_recorded_comes_back_from_a_new_store(store_url):
    path = store_url
    store = ProgressStore(path)
    store.visit("me", S11)
    store.visit("me", S12)
    store.record_quiz("me", S11, 2, 4)
    store.record_quiz("me", S11, 3, 4)
    store.record_quiz("me", S11, 1, 4)
    store.save_code("me", "1.1-cosine", S11, "draft")
    store.record_attempt("me", "1.1-cosine", S11, "wrong", "failed", json.dumps({"status": "failed"}))
    store.record_attempt("me", "1.1-cosine", S11, "right", "passed", json.dumps({"status": "passed"}))
    store.record_hint("me", "1.1-linear", S11, 2)
    store.record_hint("me", "1.1-linear", S11, 1)  # the count of open hints never shrinks
    store.record_solution_view("me", "1.1-linear", S11)

    again = ProgressStore(path, process_id="restarted")
    quiz = again.quiz("me")[S11]
    assert (quiz.correct, quiz.total, quiz.best, quiz.attempts) == (1, 4, 3, 3)
    cosine, linear = again.exercises("me", S11)["1.1-cosine"], again.exercises("me", S11)["1.1-linear"]
    assert cosine.code == "right" and cosine.attempts == 2 and cosine.passed and cosine.last_status == "passed"
    assert cosine.last_result == {"status": "passed"} and cosine.hints == 0 and not cosine.solution_viewed
    assert linear.hints == 2 and linear.solution_viewed and not linear.passed and linear.attempts == 0
    assert set(again.visits("me")) == {S11, S12}
    summary = again.summary("me")
    assert summary[S11].visited and summary[S11].exercises_passed == 1 and summary[S11].exercises_tried == 1
    assert summary[S11].quiz == quiz and summary[S12].quiz is None and summary[S12].exercises_passed == 0


def test_a_pass_stays_a_pass_and_the_last_code_is_kept(store_url):
    store = ProgressStore(store_url)
    store.record_attempt("me", "1.1-cosine", S11, "right", "passed")
    store.record_attempt("me", "1.1-cosine", S11, "broken again", "failed")
    ex = store.exercises("me")["1.1-cosine"]
    assert ex.passed and ex.last_status == "failed" and ex.code == "broken again" and ex.attempts == 2


def test_the_last_section_is_the_one_opened_last(store_url):
    store = ProgressStore(store_url)
    assert store.last_section("me") is None
    for section in (S11, S12, S11):
        store.visit("me", section)
        time.sleep(0.01)
    assert store.last_section("me") == S11


def test_two_learners_do_not_see_each_others_progress(store_url):
    store = ProgressStore(store_url)
    store.visit("ann", S11)
    store.record_quiz("ann", S11, 4, 4)
    store.record_attempt("ann", "1.1-cosine", S11, "ann's code", "passed")
    store.visit("bob", S12)
    runs = RunStore(store_url)
    runs.start_run(page="52_training", session="ann")
    runs.start_run(page="31_mlp", session="bob")

    assert store.quiz("bob") == {} and store.exercises("bob") == {} and store.last_section("bob") == S12
    assert store.exercises("ann")["1.1-cosine"].code == "ann's code"
    assert store.trained("ann", runs_session="ann") == {"52_training"}
    assert store.trained("bob", runs_session="bob") == {"31_mlp"}
    assert store.trained("local") == {"52_training", "31_mlp"}  # one local learner owns every run
    store.reset("ann")
    assert store.exercises("ann") == {} and store.last_section("bob") == S12 and store.trained("bob", "bob") == {"31_mlp"}


def test_the_class_reads_cover_every_learner(store_url):
    store = ProgressStore(store_url)
    assert store.learners() == [] and store.all_quiz() == {} and store.all_exercises() == {}
    store.visit("cat", S12)  # a visit alone makes a learner
    store.record_quiz("ann", S11, 3, 4)
    store.record_quiz("ann", S12, 1, 2)
    store.record_attempt("ann", "1.1-cosine", S11, "ann's code", "passed")
    store.record_hint("dan", "1.1-linear", S11, 1)  # exercise progress alone too
    store.record_quiz("bob", S11, 2, 4)
    store.record_quiz("bob", S11, 4, 4)

    assert store.learners() == ["ann", "bob", "cat", "dan"]
    quiz = store.all_quiz()
    assert set(quiz) == {"ann", "bob"} and quiz["ann"] == store.quiz("ann") and quiz["bob"] == store.quiz("bob")
    assert (quiz["bob"][S11].correct, quiz["bob"][S11].best, quiz["bob"][S11].attempts) == (4, 4, 2)
    exercises = store.all_exercises()
    assert exercises == {"ann": store.exercises("ann"), "dan": store.exercises("dan")}
    assert exercises["ann"]["1.1-cosine"].passed and not exercises["dan"]["1.1-linear"].passed
    store.reset("ann")
    assert store.learners() == ["bob", "cat", "dan"] and "ann" not in store.all_quiz()


def test_reset_forgets_progress_and_earlier_training_but_keeps_the_runs(store_url):
    path = store_url
    store, runs = ProgressStore(path), RunStore(path)
    store.visit("local", S11)
    store.record_quiz("local", S11, 3, 4)
    store.record_attempt("local", "1.1-cosine", S11, "code", "passed")
    runs.start_run(page="52_training")
    assert store.summary("local")["52_training"].trained

    store.reset("local")
    assert store.summary("local") == {} and store.quiz("local") == {} and store.last_section("local") is None
    assert len(runs.runs()) == 1, "a progress reset leaves the run history alone"
    time.sleep(0.01)
    runs.start_run(page="31_mlp")  # training after the reset counts again
    assert store.trained("local") == {"31_mlp"}
    assert ProgressStore(path).summary("local")["31_mlp"].trained


def _old_run_store(path, version: int) -> None:
    """A runs.db as an app from before progress left it, at run-store schema `version`, with one run."""
    conn = sqlite3.connect(path)
    for v in range(version):
        conn.executescript(MIGRATIONS[v])
    conn.execute(f"PRAGMA user_version = {version}")
    conn.execute("INSERT INTO runs (created_at, page, status) VALUES (?, 'old_page', 'finished')", (time.time() - 60,))
    conn.commit()
    conn.close()


@pytest.mark.parametrize("version", [1, SCHEMA_VERSION])
def test_an_existing_run_store_gains_progress_tables_and_keeps_its_runs(tmp_path, version):
    path = tmp_path / "runs.db"
    _old_run_store(path, version)
    store = ProgressStore(path)
    assert store.notice is None and not list(tmp_path.glob("*.corrupt-*")), "nothing was moved aside"
    store.record_quiz("local", S11, 1, 2)
    assert store.trained("local") == {"old_page"}
    [run] = RunStore(path).runs()  # the run store still opens the file as its own
    assert run.page == "old_page" and run.status == "finished"
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("SELECT value FROM progress_meta WHERE key = 'version'").fetchone()[0] == str(progress.SCHEMA_VERSION)
    conn.close()
    assert ProgressStore(path).quiz("local")[S11].correct == 1  # opening again migrates nothing twice


def test_a_file_written_before_sqlalchemy_opens_with_everything_in_it(tmp_path):
    """Today's v2 file as the sqlite3-only stores wrote it: runs with epochs, progress tables at v1."""
    path = tmp_path / "runs.db"
    _old_run_store(path, SCHEMA_VERSION)
    conn = sqlite3.connect(path)
    conn.executescript(progress.MIGRATIONS[0])
    conn.executescript("CREATE TABLE progress_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                       "INSERT INTO progress_meta VALUES ('version', '1');")
    conn.execute("UPDATE runs SET session = 'ann', hparams = '{\"lr\": 0.1}', query = '{\"tr_epochs\": \"2\"}'")
    conn.executemany("INSERT INTO epochs (run_id, epoch, train_loss, val_loss) VALUES (1, ?, ?, ?)", [(1, 1.0, 0.9), (2, 0.5, 0.4)])
    conn.execute("INSERT INTO quiz_results VALUES ('ann', ?, 3, 4, 3, 1, 0)", (S11,))
    conn.execute("INSERT INTO exercise_progress (learner, exercise, section, code, attempts, passed_at, updated_at)"
                 " VALUES ('ann', '1.1-cosine', ?, 'old code', 2, 5, 5)", (S11,))
    conn.commit()
    conn.close()

    runs, store = RunStore(path), ProgressStore(path)
    assert runs.notice is None and store.notice is None and not list(tmp_path.glob("*.corrupt-*"))
    [run] = runs.runs(session="ann")
    assert run.hparams == {"lr": 0.1} and run.query == {"tr_epochs": "2"}
    assert [e["val_loss"] for e in runs.epochs([run.id])] == [0.9, 0.4]
    assert store.quiz("ann")[S11].correct == 3 and store.exercises("ann")["1.1-cosine"].code == "old code"
    assert store.exercises("ann")["1.1-cosine"].passed and store.trained("ann", "ann") == {"old_page"}
    assert runs.start_run(page="new", session="ann") == 2, "new ids follow the old ones"


def test_a_progress_schema_from_a_newer_app_is_refused_and_the_runs_are_left_alone(store_url):
    path = store_url
    store = ProgressStore(path)
    RunStore(path).start_run(page="p")
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE progress_meta SET value = :v WHERE key = 'version'"), {"v": str(progress.SCHEMA_VERSION + 1)})
    with pytest.raises(StoreError, match="newer"):
        ProgressStore(path)
    assert len(RunStore(path).runs()) == 1


def test_a_corrupt_file_is_moved_aside_and_progress_starts_afresh(tmp_path):
    path = tmp_path / "runs.db"
    path.write_bytes(b"this is not a database" * 100)
    store = ProgressStore(path)
    assert store.notice and list(tmp_path.glob("runs.db.corrupt-*"))
    store.record_quiz("local", S11, 1, 1)
    assert store.quiz("local")[S11].correct == 1


def test_settings_are_kept_per_learner_upserted_key_by_key_and_survive_a_reset(store_url):
    store = ProgressStore(store_url)
    assert store.settings("ann") == {}
    store.save_settings("ann", {"lang": "ru", "seed": "7"})
    store.save_settings("ann", {"seed": "8"})  # only the keys given change
    store.save_settings("bob", {"lang": "en"})
    store.record_quiz("ann", S11, 1, 2)
    store.reset("ann")  # a reset forgets progress, not settings
    again = ProgressStore(store_url, process_id="restarted")
    assert again.settings("ann") == {"lang": "ru", "seed": "8"}
    assert again.settings("bob") == {"lang": "en"} and again.settings("carol") == {}
    assert again.quiz("ann") == {} and "ann" not in again.learners(), "settings alone do not make a learner of the class"


def test_a_database_at_progress_version_1_gains_settings_and_keeps_its_progress(store_url):
    """A database as the previous app left it (progress tables at v1, no settings table), on both backends."""
    from core.runstore import dialect_ddl

    runs = RunStore(store_url)
    with runs.engine.begin() as conn:
        for statement in dialect_ddl(progress.MIGRATIONS[0], conn.dialect.name):
            conn.exec_driver_sql(statement)
        conn.exec_driver_sql("CREATE TABLE progress_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        conn.exec_driver_sql("INSERT INTO progress_meta VALUES ('version', '1')")
        conn.execute(sa.text("INSERT INTO quiz_results VALUES ('ann', :s, 3, 4, 3, 1, 0)"), {"s": S11})
        conn.execute(sa.text("INSERT INTO section_visits VALUES ('ann', :s, 1, 2, 5)"), {"s": S12})
    store = ProgressStore(store_url)
    assert store.quiz("ann")[S11].correct == 3 and store.visits("ann") == {S12: 2}
    store.save_settings("ann", {"lang": "ru"})
    assert ProgressStore(store_url).settings("ann") == {"lang": "ru"}
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT value FROM progress_meta WHERE key = 'version'")).scalar() == "2"
