"""The Class page's numbers: learners × sections (quiz, exercises passed, runs), each exercise's pass
rate and most common failing check, and the same as CSV. Pure: the stores' reads go in, tables come out."""
from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

STATUS_PREFIX = "status:"  # a failure with no failing case (syntax error, timeout…): "status:<status>"
CSV_COLUMNS = ("learner", "section", "quiz_best", "quiz_total", "quiz_attempts", "exercises_passed", "exercises_total", "runs")


@dataclass(frozen=True)
class Cell:
    """One learner on one section."""
    quiz_best: int | None = None
    quiz_total: int | None = None
    quiz_attempts: int = 0
    exercises_passed: int = 0
    exercises_total: int = 0
    runs: int = 0


@dataclass(frozen=True)
class ExerciseRow:
    exercise: str
    section: str
    tried: int  # learners who pressed Check at least once
    passed: int
    common_failure: str = ""  # a failing check's name, or STATUS_PREFIX + status; "" when none failed
    failure_learners: int = 0  # learners whose last check failed that way

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.tried if self.tried else None


@dataclass(frozen=True)
class ClassReport:
    learners: tuple[str, ...]
    sections: tuple[str, ...]
    cells: Mapping[tuple[str, str], Cell]
    runs_total: Mapping[str, int]  # every run of the learner, on any page
    exercises: tuple[ExerciseRow, ...]

    def cell(self, learner: str, section: str) -> Cell:
        return self.cells.get((learner, section), Cell())

    def matrix(self, measure: str) -> list[dict[str, Any]]:
        """Rows of learner → one value per section: "best/total" for "quiz", "passed/total" for
        "exercises", a count for "runs"."""
        rows = []
        for learner in self.learners:
            row: dict[str, Any] = {"learner": learner}
            for section in self.sections:
                c = self.cell(learner, section)
                if measure == "quiz":
                    row[section] = "" if c.quiz_total is None else f"{c.quiz_best}/{c.quiz_total}"
                elif measure == "exercises":
                    row[section] = f"{c.exercises_passed}/{c.exercises_total}" if c.exercises_total else ""
                else:
                    row[section] = c.runs
            rows.append(row)
        return rows

    def csv(self) -> str:
        """One line per learner and section, for a spreadsheet."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for learner in self.learners:
            for section in self.sections:
                c = self.cell(learner, section)
                writer.writerow([_cell_text(learner), section, _blank(c.quiz_best), _blank(c.quiz_total), c.quiz_attempts,
                                 c.exercises_passed, c.exercises_total, c.runs])
        return out.getvalue()


def _blank(value) -> str:
    return "" if value is None else str(value)


def _cell_text(text: str) -> str:
    """A learner id as a spreadsheet cell: text that starts like a formula is kept as text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def failing_checks(last_status: str, last_result: Mapping | None) -> set[str]:
    """What made a learner's last check fail: the failing cases' check names, or the status when
    no case ran (a syntax error, a timeout). Empty for a pass or no check."""
    if not last_status or last_status == "passed":
        return set()
    outcomes = (last_result or {}).get("outcomes") or ()
    names = {str(o.get("check", "")) for o in outcomes if isinstance(o, Mapping) and not o.get("passed")}
    names.discard("")
    return names or {STATUS_PREFIX + last_status}


def build(sections: Iterable[str], exercise_sections: Mapping[str, str], learners: Iterable[str],
          quiz: Mapping[str, Mapping[str, Any]], exercises: Mapping[str, Mapping[str, Any]],
          run_counts: Mapping[tuple[str, str], int]) -> ClassReport:
    """The report from the stores' reads.

    `exercise_sections`: exercise id → section, every exercise of the guide, in order. `learners`:
    ProgressStore.learners(); learners with runs only are added. `quiz`: learner → section →
    QuizResult; `exercises`: learner → exercise → ExerciseProgress; `run_counts`: (learner, page) → runs.
    """
    sections = tuple(sections)
    who = sorted(set(learners) | {learner for learner, _ in run_counts})
    per_section = Counter(exercise_sections.values())
    cells: dict[tuple[str, str], Cell] = {}
    runs_total: dict[str, int] = {}
    for learner in who:
        passed = Counter(p.section for p in exercises.get(learner, {}).values() if p.passed)
        runs_total[learner] = sum(n for (who_, _), n in run_counts.items() if who_ == learner)
        for section in sections:
            q = quiz.get(learner, {}).get(section)
            cells[(learner, section)] = Cell(
                quiz_best=None if q is None else q.best, quiz_total=None if q is None else q.total,
                quiz_attempts=0 if q is None else q.attempts, exercises_passed=passed[section],
                exercises_total=per_section[section], runs=run_counts.get((learner, section), 0))
    rows = []
    for exercise, section in exercise_sections.items():
        tried = passed = 0
        failures: Counter[str] = Counter()
        for learner in who:
            p = exercises.get(learner, {}).get(exercise)
            if p is None or (p.attempts == 0 and not p.passed):
                continue
            tried += 1
            passed += bool(p.passed)
            failures.update(failing_checks(p.last_status, p.last_result))
        common, count = min(failures.items(), key=lambda kv: (-kv[1], kv[0])) if failures else ("", 0)
        rows.append(ExerciseRow(exercise, section, tried, passed, common, count))
    return ClassReport(tuple(who), sections, cells, runs_total, tuple(rows))
