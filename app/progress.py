"""The learner's progress as the UI sees it: whose it is, and one store per database file.

Progress goes to the run history's file (`app.runs.db_path`), through `core.progress`. Locally there
is one learner, "local", who also owns every run on the machine; in hosted mode the learner is the
browser, or the account when signed in, with the same id its runs carry (`app.identity.learner_id`
decides). A store that cannot be used never breaks a page: progress is then
not saved, and the failure is logged.
"""
from __future__ import annotations

import logging
import sqlite3
import threading
import time
from pathlib import Path

import sqlalchemy as sa
import streamlit as st

from app import identity, runs
from core.progress import ExerciseProgress, ProgressStore, SectionProgress, StoreError

LOCAL_LEARNER = identity.LOCAL_LEARNER
LAST_VISIT_KEY = "_progress_last_visit"
RETRY_S = 5.0  # a file that could not be opened (busy, say) is tried again after this long, not on every rerun
log = logging.getLogger(__name__)
_stores: dict[str, ProgressStore] = {}
_failed: dict[str, float] = {}
_lock = threading.Lock()


def learner_id() -> str:
    """Whose progress this is (`app.identity.learner_id`)."""
    return identity.learner_id()


def store() -> ProgressStore | None:
    """The process-wide progress store of the configured database, or None when it cannot be opened."""
    target = runs.db_path()
    key = target if isinstance(target, str) else str(target.resolve())
    with _lock:
        if key not in _stores:
            if time.monotonic() < _failed.get(key, -RETRY_S) + RETRY_S:
                return None
            try:
                _stores[key] = _open_with_retries(target)
            except (OSError, sqlite3.Error, sa.exc.SQLAlchemyError, StoreError) as exc:
                _failed[key] = time.monotonic()
                log.warning("progress is not saved: %s", exc)
                return None
        return _stores[key]


def unavailable() -> str | None:
    """Why progress cannot be saved now (the run database is down, say), or None."""
    return runs.unavailable()


def _open_with_retries(target, tries: int = 5) -> ProgressStore:
    """Open the store; a file that is busy (another session's connection is switching it to WAL, which
    SQLite answers with "locked" at once, whatever the busy timeout) is tried again a moment later."""
    for attempt in range(tries):
        try:
            return ProgressStore(target)
        except (sqlite3.OperationalError, sa.exc.OperationalError):
            if attempt == tries - 1 or not isinstance(target, Path):
                raise
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


def _safely(action: str, call, default=None):
    """Run one store call; on a database error log it and return `default` (the page goes on)."""
    progress_store = store()
    if progress_store is None:
        return default
    try:
        return call(progress_store)
    except (OSError, sqlite3.Error, sa.exc.SQLAlchemyError, StoreError) as exc:
        log.warning("progress: %s failed: %s", action, exc)
        return default


# --- writes ----------------------------------------------------------------------------------
def visit(section: str) -> None:
    """Note that `section` is open. Written when the learner arrives, not on every rerun."""
    if st.session_state.get(LAST_VISIT_KEY) == section:
        return
    st.session_state[LAST_VISIT_KEY] = section
    _safely("visit", lambda s: s.visit(learner_id(), section))


def record_quiz(section: str, correct: int, total: int) -> None:
    _safely("quiz", lambda s: s.record_quiz(learner_id(), section, correct, total))


def save_code(exercise: str, section: str, code: str) -> None:
    _safely("save code", lambda s: s.save_code(learner_id(), exercise, section, code))


def record_attempt(exercise: str, section: str, code: str, status: str, result_json: str) -> None:
    _safely("attempt", lambda s: s.record_attempt(learner_id(), exercise, section, code, status, result_json))


def record_hint(exercise: str, section: str, shown: int) -> None:
    _safely("hint", lambda s: s.record_hint(learner_id(), exercise, section, shown))


def record_solution_view(exercise: str, section: str) -> None:
    _safely("solution", lambda s: s.record_solution_view(learner_id(), exercise, section))


def save_settings(values: dict[str, str]) -> None:
    """Store these sidebar settings (as URL text) for this learner (`app.settings` decides when)."""
    _safely("save settings", lambda s: s.save_settings(learner_id(), values))


def reset() -> None:
    """Delete this learner's progress (their runs stay in the history)."""
    _safely("reset", lambda s: s.reset(learner_id()))
    st.session_state.pop(LAST_VISIT_KEY, None)


# --- reads -----------------------------------------------------------------------------------
def quiz_scores() -> dict[str, tuple[int, int]]:
    """Latest quiz score per section: (correct, total)."""
    results = _safely("read quiz", lambda s: s.quiz(learner_id()), {})
    return {section: (r.correct, r.total) for section, r in results.items()}


def exercises(section: str) -> dict[str, ExerciseProgress]:
    return _safely("read exercises", lambda s: s.exercises(learner_id(), section), {})


def sections() -> dict[str, SectionProgress]:
    """Per section: visited, quiz, exercises passed, trained (runs counted as `app.runs` scopes them)."""
    return _safely("read progress", lambda s: s.summary(learner_id(), runs.scope()), {})


def stored_settings() -> dict[str, str]:
    """This learner's stored sidebar settings, as URL text (none when the store is down)."""
    return _safely("read settings", lambda s: s.settings(learner_id()), {})


def last_section() -> str | None:
    return _safely("read last section", lambda s: s.last_section(learner_id()))
