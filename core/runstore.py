"""Run history in one SQLite file (standard library only): settings, per-epoch records, results.

`core.run_recorder` feeds it from inside a training job's thread, so a run is saved even when the
browser tab that started it is closed; `core.run_compare` holds what the Runs page computes from
saved runs. Every write is one transaction. A run that
is stopped keeps its finished epochs; a run whose process died (a server crash or restart) is
marked "interrupted" the next time a store opens the file, so it is not mistaken for a Stop.

The schema version lives in `PRAGMA user_version`; `MIGRATIONS[v]` upgrades version v to v+1. A
file that is not a database, or that holds an unknown (newer) schema, is moved aside to
`<name>.corrupt-<timestamp>` and a fresh store starts; `RunStore.notice` says what happened.
"""
from __future__ import annotations

import json
import math
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, is_dataclass
from pathlib import Path

ENV_VAR = "DLDASH_RUNS_DB"
DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "runs.db"
PROCESS_ID = uuid.uuid4().hex  # tells this process's running runs from those of a dead one

_V1 = """
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at REAL NOT NULL,
    page TEXT NOT NULL,
    panel TEXT NOT NULL DEFAULT '',
    dataset TEXT NOT NULL DEFAULT '',
    model TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    device TEXT NOT NULL DEFAULT '',
    num_epochs INTEGER NOT NULL DEFAULT 0,
    epochs_done INTEGER NOT NULL DEFAULT 0,
    duration REAL NOT NULL DEFAULT 0,
    hparams TEXT NOT NULL DEFAULT '{}',
    metrics TEXT NOT NULL DEFAULT '{}',
    error TEXT
);
CREATE TABLE epochs (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    epoch INTEGER NOT NULL,
    train_loss REAL, val_loss REAL, train_score REAL, val_score REAL,
    lr REAL, grad_norm REAL, seconds REAL,
    PRIMARY KEY (run_id, epoch)
);
"""
# v2: runs belong to a session (hosted mode scopes the history), keep the page's URL query and
# the process that trains them (to spot runs whose process died)
_V2 = """
ALTER TABLE runs ADD COLUMN session TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN query TEXT NOT NULL DEFAULT '{}';
ALTER TABLE runs ADD COLUMN process TEXT NOT NULL DEFAULT '';
CREATE INDEX runs_session ON runs(session);
"""
MIGRATIONS = (_V1, _V2)  # MIGRATIONS[v] takes a database at version v to v + 1
SCHEMA_VERSION = len(MIGRATIONS)
RUN_COLUMNS = ("id", "created_at", "page", "panel", "dataset", "model", "status", "device", "num_epochs",
               "epochs_done", "duration", "hparams", "metrics", "error", "session", "query", "process")
EPOCH_FIELDS = ("train_loss", "val_loss", "train_score", "val_score", "lr", "grad_norm", "seconds")


class StoreError(RuntimeError):
    """The file cannot serve as a run store (corrupt, or a schema this code does not know)."""


def default_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    raw = env.get(ENV_VAR, "").strip()
    return Path(raw).expanduser() if raw else DEFAULT_PATH


def plain(value):
    """JSON-safe copy: dataclasses to dicts, tuples to lists, non-finite floats to None."""
    if is_dataclass(value) and not isinstance(value, type):
        value = asdict(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, (str, int, bool)):
        return value
    return str(value)


def finite_or_none(x):
    return x if isinstance(x, (int, float)) and math.isfinite(x) else None


def flatten(tree: Mapping, prefix: str = "") -> dict:
    """{"train": {"lr": 0.1}} → {"train.lr": 0.1}; lists become "a, b" strings."""
    out = {}
    for k, v in tree.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(flatten(v, key + "."))
        elif isinstance(v, list):
            out[key] = ", ".join(map(str, v))
        else:
            out[key] = v
    return out


@dataclass
class Run:
    id: int
    created_at: float
    page: str
    panel: str
    dataset: str
    model: str
    status: str
    device: str
    num_epochs: int
    epochs_done: int
    duration: float
    hparams: dict
    metrics: dict
    error: str | None
    session: str
    query: dict
    process: str


class RunStore:
    """One SQLite file of runs. Each call opens its own connection, so any thread may use it."""

    def __init__(self, path: str | Path | None = None, process_id: str = PROCESS_ID) -> None:
        self.path = Path(path) if path is not None else default_path()
        self.process_id = process_id
        self.notice: str | None = None  # what recovery did, for the UI to show once
        self.moved_to: Path | None = None
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._open_schema()
        except sqlite3.OperationalError:
            raise  # busy or locked: another connection is opening the same file, which is not broken
        except (sqlite3.DatabaseError, StoreError) as exc:
            self._move_aside(exc)
            self._open_schema()
        self.mark_interrupted()

    # --- schema ----------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=15, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        return conn

    def _open_schema(self) -> None:
        conn = self._connect()
        try:
            conn.execute("PRAGMA busy_timeout = 15000")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("BEGIN IMMEDIATE")
            try:
                # The version and the tables are read in one transaction: read apart, another thread's
                # migration could commit between them (version 0, tables present), and a new file
                # being created by two sessions at once was taken for a broken one and moved aside.
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                if version > SCHEMA_VERSION:
                    raise StoreError(f"schema version {version} is newer than this app's {SCHEMA_VERSION}")
                tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
                if version == 0 and tables - {"sqlite_sequence"}:
                    raise StoreError(f"unversioned tables {sorted(tables)} are not a run store")
                for v in range(version, SCHEMA_VERSION):
                    for statement in filter(str.strip, MIGRATIONS[v].split(";")):
                        conn.execute(statement)
                    conn.execute(f"PRAGMA user_version = {v + 1}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            columns = {r[1] for r in conn.execute("PRAGMA table_info(runs)")}
            missing = set(RUN_COLUMNS) - columns
            if missing:
                raise StoreError(f"the runs table lacks columns {sorted(missing)}")
            conn.execute("PRAGMA quick_check").fetchone()
        finally:
            conn.close()

    def _move_aside(self, exc: Exception) -> None:
        """Keep the unreadable file for inspection under a new name and start an empty store."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        n = 1
        while target.exists():
            target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{n}")
            n += 1
        os.replace(self.path, target)
        for suffix in ("-wal", "-shm", "-journal"):
            side = self.path.with_name(self.path.name + suffix)
            if side.exists():
                os.replace(side, target.with_name(target.name + suffix))
        self.moved_to = target
        self.notice = (f"The run history file {self.path} could not be used ({exc}). It was moved to {target} "
                       f"and a new, empty history was started.")

    # --- writes ----------------------------------------------------------------------------
    def start_run(self, *, page: str, panel: str = "", dataset: str = "", model: str = "", status: str = "running",
                  device: str = "", num_epochs: int = 0, hparams: Mapping | None = None, session: str = "",
                  query: Mapping | None = None) -> int:
        with self._lock:
            conn = self._connect()
            try:
                with conn:
                    conn.execute("BEGIN IMMEDIATE")
                    cur = conn.execute(
                        "INSERT INTO runs (created_at, page, panel, dataset, model, status, device, num_epochs, hparams,"
                        " session, query, process) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (time.time(), page, panel, dataset, model, status, device, int(num_epochs),
                         json.dumps(plain(hparams or {})), session, json.dumps(plain(query or {})), self.process_id),
                    )
                    return int(cur.lastrowid)
            finally:
                conn.close()

    def add_epoch(self, run_id: int, record: Mapping, duration: float | None = None) -> None:
        self.add_epochs(run_id, [record], duration)

    def add_epochs(self, run_id: int, records: list[Mapping], duration: float | None = None) -> None:
        """Save finished epochs and bump the run's progress, in one transaction (the recorder
        batches a run's epochs about once a second)."""
        if not records:
            return
        rows = [(run_id, int(r["epoch"]), *(finite_or_none(r.get(f)) for f in EPOCH_FIELDS)) for r in records]
        conn = self._connect()
        try:
            with conn:
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany(f"INSERT OR REPLACE INTO epochs (run_id, epoch, {', '.join(EPOCH_FIELDS)}) "
                                 f"VALUES (?, ?, {', '.join('?' * len(EPOCH_FIELDS))})", rows)
                conn.execute("UPDATE runs SET epochs_done = (SELECT COUNT(*) FROM epochs WHERE run_id = ?),"
                             " duration = COALESCE(?, duration) WHERE id = ?", (run_id, duration, run_id))
        finally:
            conn.close()

    def finish_run(self, run_id: int, status: str, metrics: Mapping | None = None, duration: float | None = None,
                   error: str | None = None, num_epochs: int | None = None) -> None:
        conn = self._connect()
        try:
            with conn:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute(
                    "UPDATE runs SET status = ?, metrics = ?, duration = COALESCE(?, duration), error = ?,"
                    " num_epochs = COALESCE(?, num_epochs),"
                    " epochs_done = (SELECT COUNT(*) FROM epochs WHERE run_id = ?) WHERE id = ?",
                    (status, json.dumps(plain(metrics or {})), duration, error, num_epochs, run_id, run_id),
                )
        finally:
            conn.close()

    def mark_interrupted(self) -> int:
        """Runs left "running" by a process that is gone become "interrupted" (not "stopped": nobody
        pressed Stop); their epochs stay."""
        conn = self._connect()
        try:
            with conn:
                conn.execute("BEGIN IMMEDIATE")
                stale = [r[0] for r in conn.execute(
                    "SELECT id FROM runs WHERE status = 'running' AND process != ?", (self.process_id,))]
                for run_id in stale:
                    metrics = metrics_from_rows(self._epoch_rows(conn, [run_id]))
                    conn.execute("UPDATE runs SET status = 'interrupted', metrics = ?,"
                                 " epochs_done = (SELECT COUNT(*) FROM epochs WHERE run_id = ?) WHERE id = ?",
                                 (json.dumps(plain(metrics)), run_id, run_id))
                return len(stale)
        finally:
            conn.close()

    def delete(self, run_ids: Iterable[int], session: str | None = None) -> int:
        """Delete runs (and their epochs); with `session`, only that session's runs."""
        ids = [int(i) for i in run_ids]
        if not ids:
            return 0
        marks = ", ".join("?" * len(ids))
        sql, args = f"DELETE FROM runs WHERE id IN ({marks})", list(ids)
        if session is not None:
            sql += " AND session = ?"
            args.append(session)
        conn = self._connect()
        try:
            with conn:
                conn.execute("BEGIN IMMEDIATE")
                return conn.execute(sql, args).rowcount
        finally:
            conn.close()

    # --- reads -----------------------------------------------------------------------------
    def runs(self, session: str | None = None, page: str | None = None, dataset: str | None = None) -> list[Run]:
        """Runs, newest first; `session` scopes them to one learner (hosted mode)."""
        where, args = [], []
        for column, value in (("session", session), ("page", page), ("dataset", dataset)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        sql = f"SELECT {', '.join(RUN_COLUMNS)} FROM runs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        conn = self._connect()
        try:
            rows = conn.execute(sql + " ORDER BY id DESC", args).fetchall()
        finally:
            conn.close()
        return [_run(r) for r in rows]

    def run_counts(self) -> dict[tuple[str, str], int]:
        """(session, page) → number of runs, over the whole history (for the Class page)."""
        conn = self._connect()
        try:
            rows = conn.execute("SELECT session, page, COUNT(*) FROM runs GROUP BY session, page").fetchall()
        finally:
            conn.close()
        return {(r[0], r[1]): int(r[2]) for r in rows}

    def run(self, run_id: int, session: str | None = None) -> Run | None:
        found = [r for r in self.runs(session=session) if r.id == int(run_id)]
        return found[0] if found else None

    def epochs(self, run_ids: Iterable[int]) -> list[dict]:
        ids = [int(i) for i in run_ids]
        if not ids:
            return []
        conn = self._connect()
        try:
            return self._epoch_rows(conn, ids)
        finally:
            conn.close()

    @staticmethod
    def _epoch_rows(conn: sqlite3.Connection, ids: list[int]) -> list[dict]:
        marks = ", ".join("?" * len(ids))
        rows = conn.execute(f"SELECT run_id, epoch, {', '.join(EPOCH_FIELDS)} FROM epochs WHERE run_id IN ({marks})"
                            " ORDER BY run_id, epoch", ids).fetchall()
        return [dict(r) for r in rows]


def _run(row: sqlite3.Row) -> Run:
    d = dict(row)
    for key in ("hparams", "metrics", "query"):
        try:
            d[key] = json.loads(d[key] or "{}")
        except json.JSONDecodeError:
            d[key] = {}
    return Run(**d)


def metrics_from_rows(rows: list[Mapping]) -> dict:
    """Final and best metrics of a run from its epoch records (dicts with EpochRecord fields)."""
    if not rows:
        return {}
    last = rows[-1]
    out = {"final_train_loss": finite_or_none(last.get("train_loss")), "final_val_loss": finite_or_none(last.get("val_loss")),
           "final_train_score": finite_or_none(last.get("train_score")), "final_val_score": finite_or_none(last.get("val_score"))}
    finite = [r for r in rows if finite_or_none(r.get("val_loss")) is not None]
    if finite:
        best = min(finite, key=lambda r: r["val_loss"])
        out.update(best_val_loss=best["val_loss"], best_epoch=best["epoch"], best_val_score=finite_or_none(best.get("val_score")))
    scores = [r["val_score"] for r in rows if finite_or_none(r.get("val_score")) is not None]
    if scores:
        out["max_val_score"] = max(scores)
    out["seconds_per_epoch"] = sum(finite_or_none(r.get("seconds")) or 0.0 for r in rows) / len(rows)
    return {k: v for k, v in out.items() if v is not None}
