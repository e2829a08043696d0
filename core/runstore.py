"""Run history over SQLAlchemy Core: settings, per-epoch records, results, in a SQLite file (the
default) or a PostgreSQL database (`DLDASH_RUNS_DB=postgresql://user:pass@host/db`).

`core.run_recorder` feeds it from inside a training job's thread, so a run is saved even when the
browser tab that started it is closed; `core.run_compare` holds what the Runs page computes from
saved runs. Every write is one transaction. A run that is stopped keeps its finished epochs; a run
whose process died (a server crash or restart) is marked "interrupted" the next time a store opens
the database, so it is not mistaken for a Stop. Several app processes may share one PostgreSQL
database (or one SQLite file on one machine): each sees the others' runs.

One engine (a connection pool) serves each database in a process (`engine_for`). `MIGRATIONS[v]`
upgrades schema version v to v+1; a SQLite file keeps its version in `PRAGMA user_version` (as files
from before SQLAlchemy do), a PostgreSQL database in the `schema_meta` table. A SQLite file that is
not a database, or that holds an unknown (newer) schema, is moved aside to
`<name>.corrupt-<timestamp>` and a fresh store starts; `RunStore.notice` says what happened. A
PostgreSQL database is never moved aside: a newer schema raises `StoreError`, and a server that
cannot be reached raises `StoreUnavailable`, whose message names the URL without its password.
"""
from __future__ import annotations

import json
import math
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, is_dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import Column, Float, Integer, MetaData, Table, Text, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, Engine, make_url

ENV_VAR = "DLDASH_RUNS_DB"
DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "runs.db"
HOST = socket.gethostname()
PROCESS_ID = f"{HOST}:{os.getpid()}:{uuid.uuid4().hex}"  # tells this process's running runs from those of a dead one
OTHER_HOST_STALE_S = 12 * 3600  # a run left "running" by another machine's process counts as interrupted after this
BUSY_TIMEOUT_S = 15  # a SQLite writer waits this long for another one
SCHEMA_LOCK = 0x646C6461  # PostgreSQL advisory lock id: one process at a time creates or migrates the schema

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


_metadata = MetaData()
RUNS = Table("runs", _metadata, Column("id", Integer, primary_key=True), Column("created_at", Float),
             *(Column(c, Text) for c in ("page", "panel", "dataset", "model", "status", "device")),
             Column("num_epochs", Integer), Column("epochs_done", Integer), Column("duration", Float),
             *(Column(c, Text) for c in ("hparams", "metrics", "error", "session", "query", "process")))
EPOCHS = Table("epochs", _metadata, Column("run_id", Integer, primary_key=True), Column("epoch", Integer, primary_key=True),
               *(Column(f, Float) for f in EPOCH_FIELDS))
SCHEMA_META = Table("schema_meta", _metadata, Column("key", Text, primary_key=True), Column("value", Text))
_SCHEMA_META_DDL = "CREATE TABLE IF NOT EXISTS schema_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"


class StoreError(RuntimeError):
    """The database cannot serve as a run store (corrupt, or a schema this code does not know)."""


class StoreUnavailable(StoreError):
    """The database server cannot be reached (down, refusing connections, wrong credentials)."""


def default_target(env: Mapping[str, str] | None = None) -> Path | str:
    """`DLDASH_RUNS_DB` as a database URL (kept a string) or a file path, else data/runs.db."""
    env = os.environ if env is None else env
    raw = env.get(ENV_VAR, "").strip()
    if is_url(raw):
        return raw
    return Path(raw).expanduser() if raw else DEFAULT_PATH


def is_url(target) -> bool:
    return isinstance(target, str) and "://" in target


def store_url(target: str | Path) -> URL:
    """A SQLAlchemy URL for a file path or a `postgresql://` / `postgresql+psycopg://` / `sqlite:///` URL."""
    if not is_url(target):
        return URL.create("sqlite", database=str(Path(target).expanduser().resolve()))
    url = make_url(str(target))
    if url.get_backend_name() == "postgresql":
        return url.set(drivername="postgresql+psycopg")  # psycopg 3, whatever the URL names
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return url.set(database=str(Path(url.database).expanduser().resolve()))
    raise StoreError(f"unsupported run database {url.render_as_string(hide_password=True)}: "
                     "use a file path, sqlite:///path or postgresql://user:password@host/database")


def safe_url(url: URL) -> str:
    return url.render_as_string(hide_password=True)


_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def engine_for(url: URL) -> Engine:
    """The process's one engine (and connection pool) for `url`."""
    key = url.render_as_string(hide_password=False)
    with _engines_lock:
        if key not in _engines:
            _engines[key] = _make_engine(url)
        return _engines[key]


def close_engine(target: str | Path) -> None:
    """Close the pool of `target`'s engine and forget it (a test's throw-away database)."""
    with _engines_lock:
        engine = _engines.pop(store_url(target).render_as_string(hide_password=False), None)
    if engine is not None:
        engine.dispose()


def _make_engine(url: URL) -> Engine:
    if url.get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10, connect_args={"connect_timeout": 10})
    engine = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        dbapi_conn.isolation_level = None  # SQLAlchemy's "begin" below emits BEGIN, not the driver
        dbapi_conn.execute("PRAGMA foreign_keys = ON")
        dbapi_conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers take the lock when they begin (IMMEDIATE), so they queue, and never deadlock upgrading a read lock.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN")

    return engine


def _forget_pools_in_child() -> None:
    for engine in _engines.values():
        engine.dispose(close=False)  # a forked worker must not share its parent's connections


os.register_at_fork(after_in_child=_forget_pools_in_child)


def dialect_ddl(sql: str, dialect: str) -> list[str]:
    """The statements of one migration (written for SQLite) for `dialect`: PostgreSQL wants identity
    ids and double-precision floats (its REAL is single precision)."""
    if dialect == "postgresql":
        sql = sql.replace("INTEGER PRIMARY KEY AUTOINCREMENT", "INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")
        sql = sql.replace(" REAL", " DOUBLE PRECISION")
    return [statement for statement in sql.split(";") if statement.strip()]


def upsert(conn: Connection, table: Table, keys: Iterable[str], values: Mapping, update: Mapping) -> None:
    """INSERT ... ON CONFLICT (keys) DO UPDATE SET update, on SQLite and PostgreSQL alike; a callable
    value in `update` is given the `excluded` (proposed) row's columns."""
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = dialect_insert(table).values(**values)
    set_ = {k: (v(stmt.excluded) if callable(v) else v) for k, v in update.items()}
    conn.execute(stmt.on_conflict_do_update(index_elements=list(keys), set_=set_))


def greatest(a, b):
    """max(a, b) in SQL on both dialects (SQLite's two-argument MAX, PostgreSQL's GREATEST)."""
    return sa.case((a >= b, a), else_=b)


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
    """The runs of one database (a SQLite file or a PostgreSQL URL). Any thread may use it; every call
    borrows a connection from the database's pool."""

    def __init__(self, path: str | Path | None = None, process_id: str = PROCESS_ID) -> None:
        self.url = store_url(default_target() if path is None else path)
        self.sqlite = self.url.get_backend_name() == "sqlite"
        self.path: Path | None = Path(self.url.database) if self.sqlite else None
        self.process_id = process_id
        self.notice: str | None = None  # what recovery did, for the UI to show once
        self.moved_to: Path | None = None
        self.engine = engine_for(self.url)
        self._writer = self.engine.execution_options(write=True)
        if self.sqlite:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                self._open_sqlite_schema()
            except (sqlite3.OperationalError, sa.exc.OperationalError):
                raise  # busy or locked: another connection is opening the same file, which is not broken
            except (sqlite3.DatabaseError, sa.exc.DatabaseError, StoreError) as exc:
                self._move_aside(exc)
                self._open_sqlite_schema()
        else:
            with self.reaching():
                self._open_server_schema()
        with self.reaching():
            self.mark_interrupted()

    def __repr__(self) -> str:
        return f"RunStore({safe_url(self.url)!r})"

    @contextmanager
    def reaching(self) -> Iterator[None]:
        """A server that cannot be reached becomes `StoreUnavailable`, with the URL minus its password."""
        try:
            yield
        except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
            if self.sqlite:
                raise
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise StoreUnavailable(f"the run database {safe_url(self.url)} cannot be reached: {reason}") from exc

    def check(self) -> None:
        """Raise `StoreUnavailable` when the database cannot be reached now (it went down after start-up)."""
        with self.reaching(), self.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))

    # --- schema ----------------------------------------------------------------------------
    def _open_sqlite_schema(self) -> None:
        conn = self.engine.raw_connection()  # the driver's own connection: PRAGMAs and BEGIN as written
        try:
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
                    for statement in dialect_ddl(MIGRATIONS[v], "sqlite"):
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

    def _open_server_schema(self) -> None:
        with self._writer.begin() as conn:
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": SCHEMA_LOCK})  # other processes wait here
            conn.exec_driver_sql(_SCHEMA_META_DDL)
            row = conn.execute(sa.select(SCHEMA_META.c.value).where(SCHEMA_META.c.key == "runs")).first()
            version = int(row[0]) if row else 0
            if version > SCHEMA_VERSION:
                raise StoreError(f"schema version {version} of {safe_url(self.url)} is newer than this app's {SCHEMA_VERSION}")
            if version == 0 and sa.inspect(conn).has_table("runs"):
                raise StoreError(f"{safe_url(self.url)} holds a runs table that is not a run store's")
            for v in range(version, SCHEMA_VERSION):
                for statement in dialect_ddl(MIGRATIONS[v], "postgresql"):
                    conn.exec_driver_sql(statement)
            upsert(conn, SCHEMA_META, ["key"], {"key": "runs", "value": str(max(version, SCHEMA_VERSION))},
                   {"value": lambda excluded: excluded.value})

    def _move_aside(self, exc: Exception) -> None:
        """Keep the unreadable file for inspection under a new name and start an empty store."""
        self.engine.dispose()  # pooled connections still point at the old file
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
        reason = getattr(exc, "orig", None) or exc
        self.notice = (f"The run history file {self.path} could not be used ({reason}). It was moved to {target} "
                       f"and a new, empty history was started.")

    # --- writes ----------------------------------------------------------------------------
    def start_run(self, *, page: str, panel: str = "", dataset: str = "", model: str = "", status: str = "running",
                  device: str = "", num_epochs: int = 0, hparams: Mapping | None = None, session: str = "",
                  query: Mapping | None = None) -> int:
        with self._writer.begin() as conn:
            result = conn.execute(RUNS.insert().values(
                created_at=time.time(), page=page, panel=panel, dataset=dataset, model=model, status=status, device=device,
                num_epochs=int(num_epochs), epochs_done=0, duration=0.0, metrics="{}", hparams=json.dumps(plain(hparams or {})),
                session=session, query=json.dumps(plain(query or {})), process=self.process_id))
            return int(result.inserted_primary_key[0])

    def add_epoch(self, run_id: int, record: Mapping, duration: float | None = None) -> None:
        self.add_epochs(run_id, [record], duration)

    def add_epochs(self, run_id: int, records: list[Mapping], duration: float | None = None) -> None:
        """Save finished epochs and bump the run's progress, in one transaction (the recorder
        batches a run's epochs about once a second)."""
        if not records:
            return
        with self._writer.begin() as conn:
            for r in records:
                values = {f: finite_or_none(r.get(f)) for f in EPOCH_FIELDS}
                upsert(conn, EPOCHS, ["run_id", "epoch"], {"run_id": int(run_id), "epoch": int(r["epoch"]), **values}, values)
            conn.execute(RUNS.update().where(RUNS.c.id == int(run_id)).values(
                epochs_done=_epochs_done(run_id), duration=sa.func.coalesce(duration, RUNS.c.duration)))

    def finish_run(self, run_id: int, status: str, metrics: Mapping | None = None, duration: float | None = None,
                   error: str | None = None, num_epochs: int | None = None) -> None:
        with self._writer.begin() as conn:
            conn.execute(RUNS.update().where(RUNS.c.id == int(run_id)).values(
                status=status, metrics=json.dumps(plain(metrics or {})), duration=sa.func.coalesce(duration, RUNS.c.duration),
                error=error, num_epochs=sa.func.coalesce(num_epochs, RUNS.c.num_epochs), epochs_done=_epochs_done(run_id)))

    def mark_interrupted(self) -> int:
        """Runs left "running" by a process that is gone become "interrupted" (not "stopped": nobody
        pressed Stop); their epochs stay. Another live app process's runs on the same database are
        left alone (`process_alive`)."""
        now = time.time()
        with self._writer.begin() as conn:
            query = sa.select(RUNS.c.id, RUNS.c.process, RUNS.c.created_at).where(
                RUNS.c.status == "running", RUNS.c.process != self.process_id)
            if not self.sqlite:
                query = query.with_for_update(skip_locked=True)  # two processes starting at once: each run once
            stale = [run_id for run_id, process, created_at in conn.execute(query)
                     if not process_alive(process, created_at, now)]
            for run_id in stale:
                metrics = metrics_from_rows(_epoch_rows(conn, [run_id]))
                conn.execute(RUNS.update().where(RUNS.c.id == run_id).values(
                    status="interrupted", metrics=json.dumps(plain(metrics)), epochs_done=_epochs_done(run_id)))
            return len(stale)

    def delete(self, run_ids: Iterable[int], session: str | None = None) -> int:
        """Delete runs (and their epochs); with `session`, only that session's runs."""
        ids = [int(i) for i in run_ids]
        if not ids:
            return 0
        query = RUNS.delete().where(RUNS.c.id.in_(ids))
        if session is not None:
            query = query.where(RUNS.c.session == session)
        with self._writer.begin() as conn:
            return conn.execute(query).rowcount

    # --- reads -----------------------------------------------------------------------------
    def runs(self, session: str | None = None, page: str | None = None, dataset: str | None = None) -> list[Run]:
        """Runs, newest first; `session` scopes them to one learner (hosted mode)."""
        query = sa.select(*(RUNS.c[c] for c in RUN_COLUMNS))
        for column, value in (("session", session), ("page", page), ("dataset", dataset)):
            if value is not None:
                query = query.where(RUNS.c[column] == value)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(RUNS.c.id.desc())).mappings().all()
        return [_run(r) for r in rows]

    def run_counts(self) -> dict[tuple[str, str], int]:
        """(session, page) → number of runs, over the whole history (for the Class page)."""
        query = sa.select(RUNS.c.session, RUNS.c.page, sa.func.count()).group_by(RUNS.c.session, RUNS.c.page)
        with self.engine.connect() as conn:
            return {(session, page): int(n) for session, page, n in conn.execute(query)}

    def run(self, run_id: int, session: str | None = None) -> Run | None:
        found = [r for r in self.runs(session=session) if r.id == int(run_id)]
        return found[0] if found else None

    def epochs(self, run_ids: Iterable[int]) -> list[dict]:
        ids = [int(i) for i in run_ids]
        if not ids:
            return []
        with self.engine.connect() as conn:
            return _epoch_rows(conn, ids)


def process_alive(process: str, created_at: float, now: float) -> bool:
    """Whether the process that wrote `process` ("host:pid:uuid") may still be training: on this
    machine, whether the pid is alive; on another, whether the run started less than
    OTHER_HOST_STALE_S ago. Ids without a host (older files, tests) count as gone."""
    parts = str(process).rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        return False
    if parts[0] != HOST:
        return now - (created_at or 0) < OTHER_HOST_STALE_S
    try:
        os.kill(int(parts[1]), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _epochs_done(run_id: int):
    return sa.select(sa.func.count()).select_from(EPOCHS).where(EPOCHS.c.run_id == int(run_id)).scalar_subquery()


def _epoch_rows(conn: Connection, ids: list[int]) -> list[dict]:
    query = (sa.select(EPOCHS.c.run_id, EPOCHS.c.epoch, *(EPOCHS.c[f] for f in EPOCH_FIELDS))
             .where(EPOCHS.c.run_id.in_(ids)).order_by(EPOCHS.c.run_id, EPOCHS.c.epoch))
    return [dict(r) for r in conn.execute(query).mappings()]


def _run(row: Mapping) -> Run:
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
