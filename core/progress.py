"""Learner progress that outlives a reload or a restart: quiz results, exercise work and visits,
and the learner's settings (kept by a reset, which forgets progress only).

It lives in the run history's database (`core.runstore`: a SQLite file or a PostgreSQL URL), so
one database holds everything a learner did, and "trained on this section" is read straight from
the runs there. Everything is keyed by a learner id; the app decides whose id that is.

Opening a `ProgressStore` first opens the database as a `RunStore`, which creates, migrates or
recovers the runs schema; then the progress tables follow their own migrations, versioned in
`progress_meta` (the run store keeps its own version, and a store from before progress existed
reads a database with these tables unchanged). `MIGRATIONS[v]` takes version v to v + 1. Calls
borrow a connection from the database's pool (`core.runstore.engine_for`), so any thread may use it.
"""
from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import Column, Float, Integer, MetaData, Table, Text

from core.runstore import PROCESS_ID, RUNS, SCHEMA_LOCK, RunStore, StoreError, dialect_ddl, greatest, upsert

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
_V2 = """
CREATE TABLE learner_settings (
    learner TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (learner, key)
);
"""
MIGRATIONS = (_V1, _V2)  # MIGRATIONS[v] takes the progress tables at version v to v + 1
SCHEMA_VERSION = len(MIGRATIONS)
_metadata = MetaData()
LEARNERS = Table("learners", _metadata, Column("learner", Text, primary_key=True), Column("created_at", Float),
                 Column("reset_at", Float))
VISITS = Table("section_visits", _metadata, Column("learner", Text, primary_key=True), Column("section", Text, primary_key=True),
               Column("first_at", Float), Column("last_at", Float), Column("visits", Integer))
QUIZ = Table("quiz_results", _metadata, Column("learner", Text, primary_key=True), Column("section", Text, primary_key=True),
             *(Column(c, Integer) for c in ("correct", "total", "best", "attempts")), Column("updated_at", Float))
EXERCISES = Table("exercise_progress", _metadata, Column("learner", Text, primary_key=True),
                  Column("exercise", Text, primary_key=True), Column("section", Text), Column("code", Text),
                  Column("attempts", Integer), Column("passed_at", Float), Column("hints", Integer),
                  Column("solution_viewed_at", Float), Column("last_status", Text), Column("last_result", Text),
                  Column("updated_at", Float))
SETTINGS = Table("learner_settings", _metadata, Column("learner", Text, primary_key=True), Column("key", Text, primary_key=True),
                 Column("value", Text), Column("updated_at", Float))
META = Table("progress_meta", _metadata, Column("key", Text, primary_key=True), Column("value", Text))
TABLES = (VISITS, QUIZ, EXERCISES)  # what a reset deletes (a learner's settings are not progress: they stay)


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
    """The progress tables of one run-store database."""

    def __init__(self, path: str | Path | None = None, process_id: str = PROCESS_ID) -> None:
        runs = RunStore(path, process_id=process_id)  # creates, migrates or recovers the database first
        self.path, self.url, self.notice = runs.path, runs.url, runs.notice
        self.engine, self._writer = runs.engine, runs._writer
        with runs.reaching():
            self._open_schema()

    # --- schema ----------------------------------------------------------------------------
    def _open_schema(self) -> None:
        with self._writer.begin() as conn:  # SQLite: BEGIN IMMEDIATE; PostgreSQL: the schema lock below
            dialect = conn.dialect.name
            if dialect == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": SCHEMA_LOCK})
            conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS progress_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            row = conn.execute(sa.select(META.c.value).where(META.c.key == "version")).first()
            version = int(row[0]) if row else 0
            if version > SCHEMA_VERSION:
                raise StoreError(f"progress schema version {version} is newer than this app's {SCHEMA_VERSION}")
            for v in range(version, SCHEMA_VERSION):
                for statement in dialect_ddl(MIGRATIONS[v], dialect):
                    conn.exec_driver_sql(statement)
            upsert(conn, META, ["key"], {"key": "version", "value": str(max(version, SCHEMA_VERSION))},
                   {"value": lambda excluded: excluded.value})

    def _write(self, *statements) -> None:
        with self._writer.begin() as conn:
            for statement in statements:
                conn.execute(statement)

    def _read(self, query) -> list[Mapping]:
        with self.engine.connect() as conn:
            return list(conn.execute(query).mappings())

    # --- writes ----------------------------------------------------------------------------
    def visit(self, learner: str, section: str) -> None:
        now = time.time()
        with self._writer.begin() as conn:
            upsert(conn, VISITS, ["learner", "section"],
                   {"learner": learner, "section": section, "first_at": now, "last_at": now, "visits": 1},
                   {"last_at": lambda excluded: excluded.last_at, "visits": VISITS.c.visits + 1})

    def record_quiz(self, learner: str, section: str, correct: int, total: int) -> None:
        """The latest score counts; the best one and the number of tries are kept too."""
        with self._writer.begin() as conn:
            upsert(conn, QUIZ, ["learner", "section"],
                   {"learner": learner, "section": section, "correct": int(correct), "total": int(total),
                    "best": int(correct), "attempts": 1, "updated_at": time.time()},
                   {"correct": lambda excluded: excluded.correct, "total": lambda excluded: excluded.total,
                    "attempts": QUIZ.c.attempts + 1, "best": lambda excluded: greatest(QUIZ.c.best, excluded.correct),
                    "updated_at": lambda excluded: excluded.updated_at})

    def _exercise(self, learner: str, exercise: str, section: str, **assignments) -> None:
        """Create the exercise's row if needed and apply `assignments` (column → value or SQL
        expression), in one transaction."""
        with self._writer.begin() as conn:
            upsert(conn, EXERCISES, ["learner", "exercise"],
                   {"learner": learner, "exercise": exercise, "section": section, "attempts": 0, "hints": 0,
                    "last_status": "", "last_result": "", "updated_at": time.time()},
                   {"updated_at": lambda excluded: excluded.updated_at})
            conn.execute(EXERCISES.update().where(EXERCISES.c.learner == learner, EXERCISES.c.exercise == exercise)
                         .values(**assignments))

    def save_code(self, learner: str, exercise: str, section: str, code: str) -> None:
        self._exercise(learner, exercise, section, code=code)

    def record_attempt(self, learner: str, exercise: str, section: str, code: str, status: str,
                       result_json: str = "") -> None:
        """One press of Check: the code, how it ended, and the first pass's time (a pass stays a pass)."""
        passed_at = {"passed_at": sa.func.coalesce(EXERCISES.c.passed_at, time.time())} if status == "passed" else {}
        self._exercise(learner, exercise, section, code=code, attempts=EXERCISES.c.attempts + 1, last_status=status,
                       last_result=result_json, **passed_at)

    def record_hint(self, learner: str, exercise: str, section: str, shown: int) -> None:
        """`shown` hints are now open (the count only grows)."""
        self._exercise(learner, exercise, section, hints=greatest(EXERCISES.c.hints, int(shown)))

    def record_solution_view(self, learner: str, exercise: str, section: str) -> None:
        self._exercise(learner, exercise, section,
                       solution_viewed_at=sa.func.coalesce(EXERCISES.c.solution_viewed_at, time.time()))

    def save_settings(self, learner: str, values: Mapping[str, str]) -> None:
        """Store these settings (key → value as URL text) for the learner; keys not given are left alone."""
        now = time.time()
        with self._writer.begin() as conn:
            for key, value in values.items():
                upsert(conn, SETTINGS, ["learner", "key"],
                       {"learner": learner, "key": str(key), "value": str(value), "updated_at": now},
                       {"value": lambda excluded: excluded.value, "updated_at": lambda excluded: excluded.updated_at})

    def reset(self, learner: str) -> None:
        """Forget this learner's progress. Runs stay in the history, but runs before now no longer
        count as "trained". Their settings (language, seed, ...) stay too: they are not progress."""
        now = time.time()
        with self._writer.begin() as conn:
            for table in TABLES:
                conn.execute(table.delete().where(table.c.learner == learner))
            upsert(conn, LEARNERS, ["learner"], {"learner": learner, "created_at": now, "reset_at": now},
                   {"reset_at": lambda excluded: excluded.reset_at})

    # --- reads -----------------------------------------------------------------------------
    def quiz(self, learner: str) -> dict[str, QuizResult]:
        return {r["section"]: _quiz_result(r) for r in self._read(sa.select(QUIZ).where(QUIZ.c.learner == learner))}

    def settings(self, learner: str) -> dict[str, str]:
        """The learner's stored settings: key → value as URL text."""
        rows = self._read(sa.select(SETTINGS.c.key, SETTINGS.c.value).where(SETTINGS.c.learner == learner))
        return {r["key"]: r["value"] for r in rows}

    def exercises(self, learner: str, section: str | None = None) -> dict[str, ExerciseProgress]:
        query = sa.select(EXERCISES).where(EXERCISES.c.learner == learner)
        if section is not None:
            query = query.where(EXERCISES.c.section == section)
        return {r["exercise"]: _exercise_progress(r) for r in self._read(query)}

    def visits(self, learner: str) -> dict[str, float]:
        """Section → when it was last opened."""
        rows = self._read(sa.select(VISITS.c.section, VISITS.c.last_at).where(VISITS.c.learner == learner))
        return {r["section"]: r["last_at"] for r in rows}

    def last_section(self, learner: str) -> str | None:
        rows = self._read(sa.select(VISITS.c.section).where(VISITS.c.learner == learner)
                          .order_by(VISITS.c.last_at.desc()).limit(1))
        return rows[0]["section"] if rows else None

    def trained(self, learner: str, runs_session: str | None = None) -> set[str]:
        """Pages with a run in the history since the learner's last reset; `runs_session` scopes the
        runs to one session (hosted mode), None counts every run (one local learner)."""
        reset_at = sa.select(LEARNERS.c.reset_at).where(LEARNERS.c.learner == learner).scalar_subquery()
        query = sa.select(RUNS.c.page).distinct().where(RUNS.c.created_at > sa.func.coalesce(reset_at, 0))
        if runs_session is not None:
            query = query.where(RUNS.c.session == runs_session)
        return {r["page"] for r in self._read(query)}

    def learners(self) -> list[str]:
        """Every learner with any progress or visit, sorted (for the Class page)."""
        query = sa.union(*(sa.select(table.c.learner) for table in TABLES))
        return sorted(r["learner"] for r in self._read(query))

    def all_quiz(self) -> dict[str, dict[str, QuizResult]]:
        """Learner → section → quiz result, for every learner."""
        out: dict[str, dict[str, QuizResult]] = {}
        for r in self._read(sa.select(QUIZ)):
            out.setdefault(r["learner"], {})[r["section"]] = _quiz_result(r)
        return out

    def all_exercises(self) -> dict[str, dict[str, ExerciseProgress]]:
        """Learner → exercise → progress, for every learner."""
        out: dict[str, dict[str, ExerciseProgress]] = {}
        for r in self._read(sa.select(EXERCISES)):
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


def _quiz_result(r: Mapping) -> QuizResult:
    return QuizResult(r["correct"], r["total"], r["best"], r["attempts"], r["updated_at"])


def _exercise_progress(r: Mapping) -> ExerciseProgress:
    try:
        last = json.loads(r["last_result"]) if r["last_result"] else {}
    except json.JSONDecodeError:
        last = {}
    return ExerciseProgress(exercise=r["exercise"], section=r["section"], code=r["code"], attempts=r["attempts"],
                            passed=r["passed_at"] is not None, hints=r["hints"],
                            solution_viewed=r["solution_viewed_at"] is not None, last_status=r["last_status"],
                            last_result=last if isinstance(last, dict) else {}, updated_at=r["updated_at"])
