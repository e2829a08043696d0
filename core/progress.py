"""Learner progress that outlives a reload or a restart: quiz results, exercise work and visits.

It lives in the run history's SQLite file (`core.runstore`), so one file holds everything a learner
did, and "trained on this section" is read straight from the runs there. Everything is keyed by a
learner id; the app decides whose id that is (one local learner, or a hosted session for now).

Opening a `ProgressStore` first opens the file as a `RunStore`, which creates, migrates or
recovers the runs schema; then the progress tables follow their own migrations, versioned in
`progress_meta` (the file's `PRAGMA user_version` belongs to the run store, and a store from before
progress existed reads a file with these tables unchanged). `MIGRATIONS[v]` takes version v to
v + 1. Like the run store, every call opens its own connection, so any thread may use it.
"""
from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from core.runstore import PROCESS_ID, RunStore, StoreError

_V1 = """
CREATE TABLE learners (
    learner TEXT PRIMARY KEY,
    created_at REAL NOT NULL,
    reset_at REAL NOT NULL DEFAULT 0
);
CREATE TABLE section_visits (
    learner TEXT NOT NULL,
    section TEXT NOT NULL,
    first_at REAL NOT NULL,
    last_at REAL NOT NULL,
    visits INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (learner, section)
);
CREATE TABLE quiz_results (
    learner TEXT NOT NULL,
    section TEXT NOT NULL,
    correct INTEGER NOT NULL,
    total INTEGER NOT NULL,
    best INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 1,
    updated_at REAL NOT NULL,
    PRIMARY KEY (learner, section)
);
CREATE TABLE exercise_progress (
    learner TEXT NOT NULL,
    exercise TEXT NOT NULL,
    section TEXT NOT NULL,
    code TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    passed_at REAL,
    hints INTEGER NOT NULL DEFAULT 0,
    solution_viewed_at REAL,
    last_status TEXT NOT NULL DEFAULT '',
    last_result TEXT NOT NULL DEFAULT '',
    updated_at REAL NOT NULL,
    PRIMARY KEY (learner, exercise)
);
CREATE INDEX exercise_progress_section ON exercise_progress(learner, section);
"""
MIGRATIONS = (_V1,)  # MIGRATIONS[v] takes the progress tables at version v to v + 1
SCHEMA_VERSION = len(MIGRATIONS)
TABLES = ("section_visits", "quiz_results", "exercise_progress")  # what a reset deletes


@dataclass(frozen=True)
class QuizResult:
    correct: int
    total: int
    best: int
    attempts: int
    updated_at: float


@dataclass(frozen=True)
class ExerciseProgress:
    exercise: str
    section: str
    code: str | None = None
    attempts: int = 0
    passed: bool = False
    hints: int = 0
    solution_viewed: bool = False
    last_status: str = ""
    last_result: dict = field(default_factory=dict)  # CheckResult.to_json() of the last check, parsed
    updated_at: float = 0.0


@dataclass(frozen=True)
class SectionProgress:
    section: str
    visited: bool = False
    last_visit: float | None = None
    quiz: QuizResult | None = None
    exercises_passed: int = 0
    exercises_tried: int = 0
    trained: bool = False


class ProgressStore:
    """The progress tables of one run-store file."""

    def __init__(self, path: str | Path | None = None, process_id: str = PROCESS_ID) -> None:
        runs = RunStore(path, process_id=process_id)  # creates, migrates or recovers the file first
        self.path = runs.path
        self.notice = runs.notice
        self._open_schema()

    # --- schema ----------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=15, isolation_level=None)
        conn.row_factory = sqlite3.Row
        return conn

    def _open_schema(self) -> None:
        conn = self._connect()
        try:
            conn.execute("PRAGMA busy_timeout = 15000")
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute("CREATE TABLE IF NOT EXISTS progress_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
                row = conn.execute("SELECT value FROM progress_meta WHERE key = 'version'").fetchone()
                version = int(row[0]) if row else 0
                if version > SCHEMA_VERSION:
                    raise StoreError(f"progress schema version {version} is newer than this app's {SCHEMA_VERSION}")
                for v in range(version, SCHEMA_VERSION):
                    for statement in filter(str.strip, MIGRATIONS[v].split(";")):
                        conn.execute(statement)
                conn.execute("INSERT OR REPLACE INTO progress_meta (key, value) VALUES ('version', ?)",
                             (str(max(version, SCHEMA_VERSION)),))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        finally:
            conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction on its own connection (BEGIN IMMEDIATE: writers queue, never deadlock)."""
        conn = self._connect()
        try:
            with conn:
                conn.execute("BEGIN IMMEDIATE")
                yield conn
        finally:
            conn.close()

    def _write(self, sql: str, args: tuple = ()) -> None:
        with self._transaction() as conn:
            conn.execute(sql, args)

    def _read(self, sql: str, args: tuple = ()) -> list[sqlite3.Row]:
        conn = self._connect()
        try:
            return conn.execute(sql, args).fetchall()
        finally:
            conn.close()

    # --- writes ----------------------------------------------------------------------------
    def visit(self, learner: str, section: str) -> None:
        now = time.time()
        self._write("INSERT INTO section_visits (learner, section, first_at, last_at) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (learner, section) DO UPDATE SET last_at = excluded.last_at, visits = visits + 1",
                    (learner, section, now, now))

    def record_quiz(self, learner: str, section: str, correct: int, total: int) -> None:
        """The latest score counts; the best one and the number of tries are kept too."""
        self._write("INSERT INTO quiz_results (learner, section, correct, total, best, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (learner, section) DO UPDATE SET"
                    " correct = excluded.correct, total = excluded.total, attempts = attempts + 1,"
                    " best = MAX(best, excluded.correct), updated_at = excluded.updated_at",
                    (learner, section, int(correct), int(total), int(correct), time.time()))

    def _exercise(self, learner: str, exercise: str, section: str, assignments: str, args: tuple) -> None:
        """Create the exercise's row if needed and apply `assignments` (a SET clause whose `?`s
        `args` fill), in one transaction."""
        with self._transaction() as conn:
            conn.execute("INSERT INTO exercise_progress (learner, exercise, section, updated_at) VALUES (?, ?, ?, ?)"
                         " ON CONFLICT (learner, exercise) DO UPDATE SET updated_at = excluded.updated_at",
                         (learner, exercise, section, time.time()))
            conn.execute(f"UPDATE exercise_progress SET {assignments} WHERE learner = ? AND exercise = ?",
                         (*args, learner, exercise))

    def save_code(self, learner: str, exercise: str, section: str, code: str) -> None:
        self._exercise(learner, exercise, section, "code = ?", (code,))

    def record_attempt(self, learner: str, exercise: str, section: str, code: str, status: str,
                       result_json: str = "") -> None:
        """One press of Check: the code, how it ended, and the first pass's time (a pass stays a pass)."""
        passed = status == "passed"
        self._exercise(learner, exercise, section,
                       "code = ?, attempts = attempts + 1, last_status = ?, last_result = ?,"
                       " passed_at = COALESCE(passed_at, CASE WHEN ? THEN ? END)",
                       (code, status, result_json, passed, time.time()))

    def record_hint(self, learner: str, exercise: str, section: str, shown: int) -> None:
        """`shown` hints are now open (the count only grows)."""
        self._exercise(learner, exercise, section, "hints = MAX(hints, ?)", (int(shown),))

    def record_solution_view(self, learner: str, exercise: str, section: str) -> None:
        self._exercise(learner, exercise, section, "solution_viewed_at = COALESCE(solution_viewed_at, ?)",
                       (time.time(),))

    def reset(self, learner: str) -> None:
        """Forget this learner's progress. Runs stay in the history, but runs before now no longer
        count as "trained"."""
        now = time.time()
        with self._transaction() as conn:
            for table in TABLES:
                conn.execute(f"DELETE FROM {table} WHERE learner = ?", (learner,))
            conn.execute("INSERT INTO learners (learner, created_at, reset_at) VALUES (?, ?, ?)"
                         " ON CONFLICT (learner) DO UPDATE SET reset_at = excluded.reset_at", (learner, now, now))

    # --- reads -----------------------------------------------------------------------------
    def quiz(self, learner: str) -> dict[str, QuizResult]:
        rows = self._read("SELECT section, correct, total, best, attempts, updated_at FROM quiz_results"
                          " WHERE learner = ?", (learner,))
        return {r["section"]: QuizResult(r["correct"], r["total"], r["best"], r["attempts"], r["updated_at"])
                for r in rows}

    def exercises(self, learner: str, section: str | None = None) -> dict[str, ExerciseProgress]:
        sql = ("SELECT exercise, section, code, attempts, passed_at, hints, solution_viewed_at, last_status,"
               " last_result, updated_at FROM exercise_progress WHERE learner = ?")
        args: tuple = (learner,)
        if section is not None:
            sql, args = sql + " AND section = ?", (learner, section)
        return {r["exercise"]: _exercise_progress(r) for r in self._read(sql, args)}

    def visits(self, learner: str) -> dict[str, float]:
        """Section → when it was last opened."""
        rows = self._read("SELECT section, last_at FROM section_visits WHERE learner = ?", (learner,))
        return {r["section"]: r["last_at"] for r in rows}

    def last_section(self, learner: str) -> str | None:
        rows = self._read("SELECT section FROM section_visits WHERE learner = ? ORDER BY last_at DESC LIMIT 1",
                          (learner,))
        return rows[0]["section"] if rows else None

    def trained(self, learner: str, runs_session: str | None = None) -> set[str]:
        """Pages with a run in the history since the learner's last reset; `runs_session` scopes the
        runs to one session (hosted mode), None counts every run (one local learner)."""
        sql = ("SELECT DISTINCT page FROM runs WHERE created_at > COALESCE("
               "(SELECT reset_at FROM learners WHERE learner = ?), 0)")
        args: tuple = (learner,)
        if runs_session is not None:
            sql, args = sql + " AND session = ?", (learner, runs_session)
        return {r["page"] for r in self._read(sql, args)}

    def learners(self) -> list[str]:
        """Every learner with any progress or visit, sorted (for the Class page)."""
        rows = self._read("SELECT learner FROM section_visits UNION SELECT learner FROM quiz_results"
                          " UNION SELECT learner FROM exercise_progress ORDER BY learner")
        return [r["learner"] for r in rows]

    def all_quiz(self) -> dict[str, dict[str, QuizResult]]:
        """Learner → section → quiz result, for every learner."""
        out: dict[str, dict[str, QuizResult]] = {}
        for r in self._read("SELECT learner, section, correct, total, best, attempts, updated_at FROM quiz_results"):
            out.setdefault(r["learner"], {})[r["section"]] = QuizResult(r["correct"], r["total"], r["best"], r["attempts"],
                                                                         r["updated_at"])
        return out

    def all_exercises(self) -> dict[str, dict[str, ExerciseProgress]]:
        """Learner → exercise → progress, for every learner."""
        out: dict[str, dict[str, ExerciseProgress]] = {}
        for r in self._read("SELECT learner, exercise, section, code, attempts, passed_at, hints, solution_viewed_at,"
                            " last_status, last_result, updated_at FROM exercise_progress"):
            out.setdefault(r["learner"], {})[r["exercise"]] = _exercise_progress(r)
        return out

    def summary(self, learner: str, runs_session: str | None = None) -> dict[str, SectionProgress]:
        """Everything known per section, for the progress map."""
        visits, quiz, trained = self.visits(learner), self.quiz(learner), self.trained(learner, runs_session)
        passed: dict[str, int] = {}
        tried: dict[str, int] = {}
        for ex in self.exercises(learner).values():
            passed[ex.section] = passed.get(ex.section, 0) + ex.passed
            tried[ex.section] = tried.get(ex.section, 0) + (ex.attempts > 0)
        sections = set(visits) | set(quiz) | trained | set(tried)
        return {s: SectionProgress(s, visited=s in visits, last_visit=visits.get(s), quiz=quiz.get(s),
                                   exercises_passed=passed.get(s, 0), exercises_tried=tried.get(s, 0),
                                   trained=s in trained) for s in sections}


def _exercise_progress(r: sqlite3.Row) -> ExerciseProgress:
    try:
        last = json.loads(r["last_result"]) if r["last_result"] else {}
    except json.JSONDecodeError:
        last = {}
    return ExerciseProgress(exercise=r["exercise"], section=r["section"], code=r["code"], attempts=r["attempts"],
                            passed=r["passed_at"] is not None, hints=r["hints"],
                            solution_viewed=r["solution_viewed_at"] is not None, last_status=r["last_status"],
                            last_result=last if isinstance(last, dict) else {}, updated_at=r["updated_at"])
