"""The run store as the UI sees it: where the database lives, whose runs a session sees, and the hook
that makes every training panel save its runs.

The database (a SQLite file path, or a `postgresql://` URL) comes from `DLDASH_RUNS_DB`, then the
`runs_db` secret, else `data/runs.db` in the repo; `unavailable()` says why it cannot be used.
Runs carry their learner (`app.identity.learner_id`): in hosted mode, or when signed in, a learner
sees only their own runs; locally one learner sees every run on the machine.
"""
from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path

import streamlit as st

from app import identity
from core import limits as hosted
from core.run_recorder import RunRecorder, attach
from core.runstore import ENV_VAR, RunStore, StoreError, default_target, is_url

PAGES_DIR = Path(__file__).resolve().parent.parent / "pages"
SESSION_KEY = identity.BROWSER_KEY
RETRY_S = 5.0  # a database that could not be opened is tried again after this long
_stores: dict[str, RunStore] = {}
_failed: dict[str, tuple[float, StoreError]] = {}
_lock = threading.Lock()


def configure_from_secrets() -> hosted.Limits:
    """Hosted-mode limits from env vars or a `[hosted]` secrets table, once per process."""
    secrets = identity.secrets_table()
    table = dict(secrets["hosted"]) if isinstance(secrets.get("hosted"), Mapping) else {}
    if table and not os.environ.get("DLDASH_HOSTED") and not hosted.current().hosted:
        return hosted.configure(hosted.limits_from(secrets=table))
    return hosted.current()


def db_path() -> Path | str:
    """The run database: a file path, or a database URL (`postgresql://...`) kept as a string."""
    if os.environ.get(ENV_VAR, "").strip():
        return default_target()
    raw = str(identity.secrets_table().get("runs_db") or "").strip()
    if not raw:
        return default_target()
    return raw if is_url(raw) else Path(raw).expanduser()


def _key(target: Path | str) -> str:
    return target if isinstance(target, str) else str(target.resolve())


def store() -> RunStore:
    """The process-wide store of the configured database (one per database, shared by all sessions).
    Raises `StoreError` when it cannot be opened (a server that is down: `StoreUnavailable`); after a
    failure the database is tried again RETRY_S later, not on every rerun."""
    target = db_path()
    key = _key(target)
    with _lock:
        if key not in _stores:
            failed_at, error = _failed.get(key, (-RETRY_S, None))
            if error is not None and time.monotonic() < failed_at + RETRY_S:
                raise error
            try:
                _stores[key] = RunStore(target)
            except StoreError as exc:
                _failed[key] = (time.monotonic(), exc)
                raise
            _failed.pop(key, None)
        return _stores[key]


def unavailable() -> str | None:
    """Why the run history cannot be used now (a database that is down, at start-up or since), or None."""
    try:
        store().check()
    except StoreError as exc:
        return str(exc)
    return None


def session_id() -> str:
    """The learner a run is saved under (`app.identity.learner_id`)."""
    return identity.learner_id()


def scope() -> str | None:
    """Whose runs this learner may see and delete: their own in hosted mode or signed in, all locally."""
    return identity.run_scope()


def calling_page() -> str:
    """The stem of the page file that is running (found on the call stack), or ""."""
    frame = sys._getframe(1)
    while frame is not None:
        path = Path(frame.f_code.co_filename)
        if path.parent == PAGES_DIR and path.suffix == ".py":
            return path.stem
        frame = frame.f_back
    return ""


def record(job, panel: str) -> RunRecorder | None:
    """Save `job` to the store from its own thread, with the page's URL so it can be reloaded."""
    try:
        query = st.query_params.to_dict()
    except Exception:
        query = {}
    page = str(job.meta.get("page") or calling_page() or panel)
    try:
        return attach(job, store(), page=page, panel=panel, session=session_id(), query=query)
    except Exception:  # the history is a convenience: never block training over it
        return None


_runner_warm = threading.Event()


def start_runner_in_background() -> None:
    """Make this process's training runner off the script thread, once (it imports torch), and
    start its workers where it has some (the process pool), so the first Train does not wait."""
    if _runner_warm.is_set():
        return
    _runner_warm.set()

    def warm() -> None:
        from core import runner as runners

        backend = runners.current().backend
        if hasattr(backend, "warm"):
            backend.warm()

    threading.Thread(target=warm, name="runner-warm-up", daemon=True).start()


def page_file(stem: str) -> Path | None:
    path = PAGES_DIR / f"{stem}.py"
    return path if path.exists() else None


def widget_keys_to_reset(query: Mapping, state) -> list[str]:
    """Session keys to drop before reopening a run, so its page's widgets re-read the run's URL:
    the URL's keys, every key sharing their page prefix ("tr_" for "tr_lr"; widgets left at their
    default are not in the URL) and the seed and device settings. The language stays."""
    prefixes = {k.split("_", 1)[0] + "_" for k in query if "_" in k}
    keep = {"lang"}
    return [k for k in list(state) if isinstance(k, str) and k not in keep and not k.startswith("_")
            and (k in query or k in ("seed", "force_cpu") or any(k.startswith(p) for p in prefixes))]
