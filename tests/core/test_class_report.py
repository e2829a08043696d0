"""The Class page's numbers, for several seeded learners, equal what the database holds."""
from __future__ import annotations

import csv
import io
import sqlite3

from core.class_report import STATUS_PREFIX, build, failing_checks
from core.exercises import all_exercises
from core.exercises.base import CheckResult, Outcome
from core.progress import ProgressStore
from core.runstore import RunStore

SECTIONS = ("11_linear_algebra", "12_calculus", "52_training")


def _result(exercise: str, status: str, failed: tuple[str, ...] = ()) -> str:
    outcomes = tuple(Outcome(name, name not in failed, "x", "1", "2") for name in ("small", "large", "pure"))
    return CheckResult(exercise, status, outcomes if status in ("failed", "passed") else ()).to_json()


def seed(path) -> dict[str, str]:
    """Four learners (one with runs only); returns the exercises used, id → section."""
    ex = {e.id: e.section for e in all_exercises() if e.section in SECTIONS}
    e1, e2 = [i for i, s in ex.items() if s == "11_linear_algebra"][:2]
    progress, runs = ProgressStore(path), RunStore(path)
    progress.record_quiz("ann@x.org", "11_linear_algebra", 2, 4)
    progress.record_quiz("ann@x.org", "11_linear_algebra", 4, 4)
    progress.record_quiz("ann@x.org", "11_linear_algebra", 3, 4)  # best 4, attempts 3
    progress.record_quiz("bob", "12_calculus", 1, 5)
    progress.record_attempt("ann@x.org", e1, "11_linear_algebra", "code", "failed", _result(e1, "failed", ("small",)))
    progress.record_attempt("ann@x.org", e1, "11_linear_algebra", "code", "passed", _result(e1, "passed"))
    progress.record_attempt("bob", e1, "11_linear_algebra", "code", "failed", _result(e1, "failed", ("small", "large")))
    progress.record_attempt("=cmd", e1, "11_linear_algebra", "code", "failed", _result(e1, "failed", ("large",)))
    progress.record_attempt("bob", e2, "11_linear_algebra", "code", "syntax", _result(e2, "syntax"))
    progress.record_attempt("=cmd", e2, "11_linear_algebra", "code", "syntax", _result(e2, "syntax"))
    progress.save_code("ann@x.org", e2, "11_linear_algebra", "draft")  # typed, never checked: not tried
    for session, page in (("ann@x.org", "52_training"), ("ann@x.org", "52_training"), ("bob", "11_linear_algebra"),
                          ("carol", "52_training"), ("carol", "90_runs")):
        runs.start_run(page=page, session=session)
    return ex


def test_every_number_matches_the_database(tmp_path):
    path = tmp_path / "runs.db"
    ex = seed(path)
    progress, runs = ProgressStore(path), RunStore(path)
    report = build(SECTIONS, ex, progress.learners(), progress.all_quiz(), progress.all_exercises(), runs.run_counts())

    db = sqlite3.connect(path)
    learners = {r[0] for r in db.execute("SELECT learner FROM quiz_results UNION SELECT learner FROM exercise_progress"
                                         " UNION SELECT learner FROM section_visits UNION SELECT session FROM runs")}
    assert report.learners == tuple(sorted(learners)) == ("=cmd", "ann@x.org", "bob", "carol")
    for learner in report.learners:
        assert report.runs_total[learner] == db.execute("SELECT COUNT(*) FROM runs WHERE session = ?", (learner,)).fetchone()[0]
        for section in SECTIONS:
            c = report.cell(learner, section)
            quiz = db.execute("SELECT best, total, attempts FROM quiz_results WHERE learner = ? AND section = ?",
                              (learner, section)).fetchone()
            assert (c.quiz_best, c.quiz_total, c.quiz_attempts) == (tuple(quiz) if quiz else (None, None, 0))
            assert c.exercises_passed == db.execute("SELECT COUNT(*) FROM exercise_progress WHERE learner = ? AND section = ?"
                                                    " AND passed_at IS NOT NULL", (learner, section)).fetchone()[0]
            assert c.exercises_total == sum(s == section for s in ex.values())
            assert c.runs == db.execute("SELECT COUNT(*) FROM runs WHERE session = ? AND page = ?",
                                        (learner, section)).fetchone()[0]
    for row in report.exercises:
        tried, passed = db.execute("SELECT COUNT(*), COUNT(passed_at) FROM exercise_progress WHERE exercise = ?"
                                   " AND attempts > 0", (row.exercise,)).fetchone()
        assert (row.tried, row.passed) == (tried, passed)
    # the hand-worked figures, so that a wrong query above cannot hide a wrong report
    assert report.cell("ann@x.org", "11_linear_algebra") == report.cells[("ann@x.org", "11_linear_algebra")]
    assert (report.cell("ann@x.org", "11_linear_algebra").quiz_best, report.cell("ann@x.org", "11_linear_algebra").quiz_attempts) == (4, 3)
    assert report.cell("ann@x.org", "52_training").runs == 2 and report.runs_total["carol"] == 2
    e1, e2 = [i for i, s in ex.items() if s == "11_linear_algebra"][:2]
    rows = {r.exercise: r for r in report.exercises}
    assert (rows[e1].tried, rows[e1].passed, rows[e1].pass_rate) == (3, 1, 1 / 3)
    assert (rows[e1].common_failure, rows[e1].failure_learners) == ("large", 2)  # bob: small+large, =cmd: large
    assert (rows[e2].tried, rows[e2].passed, rows[e2].common_failure, rows[e2].failure_learners) == (2, 0, STATUS_PREFIX + "syntax", 2)
    untouched = [r for r in report.exercises if r.exercise not in (e1, e2)]
    assert untouched and all(r.tried == 0 and r.pass_rate is None and r.common_failure == "" for r in untouched)


def test_the_csv_has_a_line_per_learner_and_section_and_no_formulas(tmp_path):
    path = tmp_path / "runs.db"
    ex = seed(path)
    progress, runs = ProgressStore(path), RunStore(path)
    report = build(SECTIONS, ex, progress.learners(), progress.all_quiz(), progress.all_exercises(), runs.run_counts())
    lines = list(csv.DictReader(io.StringIO(report.csv())))
    assert len(lines) == 4 * len(SECTIONS)
    ann = next(r for r in lines if r["learner"] == "ann@x.org" and r["section"] == "11_linear_algebra")
    assert (ann["quiz_best"], ann["quiz_total"], ann["exercises_passed"], ann["runs"]) == ("4", "4", "1", "0")
    assert {r["learner"] for r in lines} == {"'=cmd", "ann@x.org", "bob", "carol"}


def test_failing_checks_names_cases_or_the_status():
    assert failing_checks("passed", {}) == set() and failing_checks("", None) == set()
    assert failing_checks("failed", {"outcomes": [{"check": "a", "passed": False}, {"check": "b", "passed": True}]}) == {"a"}
    assert failing_checks("timeout", {"outcomes": []}) == {STATUS_PREFIX + "timeout"}
