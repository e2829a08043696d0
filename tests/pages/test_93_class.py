"""The Class page: a teacher sees every learner's numbers and a CSV of them; a learner who opens its
address gets a refusal and no data; the menu lists it for teachers only."""
from __future__ import annotations

import pytest
from conftest import open_page, texts

from core import limits
from core.exercises import all_exercises
from core.progress import ProgressStore
from core.runstore import RunStore


@pytest.fixture
def class_db(tmp_path, monkeypatch):
    """Two learners with a quiz, an exercise and runs, in a database of their own."""
    path = tmp_path / "runs.db"
    monkeypatch.setenv("DLDASH_RUNS_DB", str(path))
    first = next(e for e in all_exercises() if e.section == "11_linear_algebra")
    progress, runs = ProgressStore(path), RunStore(path)
    progress.record_quiz("ann@x.org", "11_linear_algebra", 3, 4)
    progress.record_attempt("ann@x.org", first.id, first.section, "code", "passed", "")
    progress.record_attempt("bob@x.org", first.id, first.section, "code", "syntax", "")
    for _ in range(2):
        runs.start_run(page="52_training", session="bob@x.org")
    return first


@pytest.fixture
def hosted():
    limits.configure(limits.Limits(hosted=True))
    yield
    limits.configure(None)


def test_a_teacher_sees_the_numbers_and_can_download_them(class_db, lang):
    at = open_page("93_class", lang)
    assert not at.exception
    quiz, exercises, runs = (at.dataframe[i].value for i in range(3))
    learner = quiz.columns[0]
    assert list(quiz[learner]) == ["ann@x.org", "bob@x.org"]
    assert list(quiz["1.1"]) == ["3/4", ""]
    total = sum(e.section == "11_linear_algebra" for e in all_exercises())
    assert list(exercises["1.1"]) == [f"1/{total}", f"0/{total}"]
    assert list(runs["5.2"]) == [0, 2] and list(runs["1.1"]) == [0, 0]
    per_exercise = at.dataframe[3].value
    row = per_exercise[per_exercise.iloc[:, 0].str.startswith(class_db.id + " ·")].iloc[0]
    assert list(row.iloc[1:4]) == [2, 1, "50 %"], "two learners checked, one passed: 50 %"
    assert ("no verdict: syntax" if lang == "en" else "нет вердикта: syntax") == row.iloc[4]
    [download] = at.get("download_button")
    assert download.proto.label in ("Download as CSV", "Скачать CSV")


def test_a_learner_who_opens_the_class_page_gets_no_data(class_db, hosted, lang):
    at = open_page("93_class", lang)
    assert not at.exception
    assert at.error and ("for teachers" in at.error[0].value or "для преподавателей" in at.error[0].value)
    assert not at.dataframe and not at.get("download_button") and not at.metric
    assert "ann@x.org" not in texts(at) and "bob@x.org" not in texts(at)


def test_a_signed_in_teacher_sees_it_in_hosted_mode_and_a_signed_in_learner_does_not(class_db, hosted, monkeypatch):
    monkeypatch.setenv("DLDASH_TEACHERS", "teacher@x.org")
    monkeypatch.setattr("app.identity.email", lambda: "teacher@x.org")
    assert open_page("93_class").dataframe, "a listed teacher"
    monkeypatch.setattr("app.identity.email", lambda: "ann@x.org")
    at = open_page("93_class")
    assert at.error and not at.dataframe, "a signed-in learner who is not listed"


def test_the_menu_lists_the_class_page_for_teachers_only():
    from app.navigation import discover, menu_entries

    assert "93_class" in [e.stem for e in discover()]
    assert "93_class" in [e.stem for e in menu_entries(teacher=True)]
    shown = [e.stem for e in menu_entries(teacher=False)]
    assert "93_class" not in shown and "90_runs" in shown
