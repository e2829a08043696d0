"""Opening one run history from many threads at once (the run store and the progress store of several
sessions) never mistakes a busy file for a broken one: nothing is moved aside, no run is lost. On
PostgreSQL the schema is made once, under a lock."""
import sqlite3
import threading

import sqlalchemy as sa

from core.progress import ProgressStore
from core.runstore import RunStore


def test_a_busy_file_is_not_moved_aside(tmp_path, monkeypatch):
    path = tmp_path / "runs.db"
    store = RunStore(path)
    run_id = store.start_run(page="52_training", panel="training")

    def busy(self):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(RunStore, "_open_sqlite_schema", busy)
    try:
        RunStore(path)
    except sqlite3.OperationalError:
        pass
    monkeypatch.undo()
    assert not list(tmp_path.glob("runs.db.corrupt-*")), "a locked file was taken for a broken one"
    assert RunStore(path).run(run_id) is not None


def test_many_threads_open_the_same_new_file_at_once(tmp_path, store_url):
    path = store_url  # a new SQLite file in tmp_path, or a new PostgreSQL database
    errors: list[str] = []
    start = threading.Barrier(8)

    def open_one(i: int) -> None:
        start.wait()
        try:
            (ProgressStore if i % 2 else RunStore)(path)
        except (sqlite3.OperationalError, sa.exc.OperationalError) as exc:
            if path.startswith("postgresql"):  # a server has no "busy": every opening must succeed
                errors.append(repr(exc))  # on SQLite busy is allowed (the app retries); moving the file aside is not
        except Exception as exc:  # noqa: BLE001
            errors.append(repr(exc))

    threads = [threading.Thread(target=open_one, args=(i,)) for i in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert not errors
    assert not list(tmp_path.glob("runs.db.corrupt-*"))
