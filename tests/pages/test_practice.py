"""The Exercises tab and the progress map under AppTest, in English and Russian.

AppTest cannot type into the Ace editor component, so these tests use its plain text-area stand-in
(`_plain_editor`); the Check, hint, solution and progress logic is the same. The browser test with the
real editor is tests/e2e/test_exercises_browser.py. Each test has its own progress database.
"""
from __future__ import annotations

import sqlite3
import textwrap

import pytest
from conftest import open_page, texts

from app import practice
from app.i18n import t
from core import exercises
from core import limits as hosted
from core.exercises.text import text as exercise_text
from core.jobs import SLOTS
from core.progress import ProgressStore

STEM = "11_linear_algebra"
COSINE = exercises.get("1.1-cosine")
CODE_KEY = "px_code_11_cosine_0"
WRONG = textwrap.dedent("""
    import torch

    def cosine_similarity(a, b):
        return (a * b).sum(dim=-1) / (a.norm(dim=-1) * b.norm(dim=-1))
    """)
FIXED = WRONG.replace("a.norm(dim=-1) *", "a.norm(dim=-1).clamp_min(1e-8) *").replace(
    "b.norm(dim=-1))", "b.norm(dim=-1).clamp_min(1e-8))")


@pytest.fixture
def db(tmp_path, monkeypatch):
    """A fresh progress database for this test (the app reads DLDASH_RUNS_DB on every call)."""
    path = tmp_path / "runs.db"
    monkeypatch.setenv("DLDASH_RUNS_DB", str(path))
    return path


def open_exercises(lang: str, **state):
    return open_page(STEM, lang, _plain_editor=True, **state)


def panel_texts(at) -> str:
    return texts(at) + "\n" + "\n".join(str(b.label) for b in at.button)


def verdicts(at, kind: str) -> list[str]:
    """The exercise feedback boxes of one kind ("success", "error"): they start with ✓ or ✗."""
    return [box.value for box in getattr(at, kind) if box.value.startswith(("✓", "✗"))]


def check(at, code: str):
    at.text_area(key=CODE_KEY).set_value(code).run()
    return at.button(key="px_check_11_cosine").click().run()


def test_the_exercises_tab_follows_self_check_on_every_guide_page(db, lang):
    at = open_exercises(lang)
    assert not at.exception
    assert [tab.label for tab in at.tabs][-2:] == [t("tabs.quiz", lang=lang), t("tabs.practice", lang=lang)]
    shown = texts(at)
    for ex in exercises.for_section(STEM):
        assert exercises.title(ex, lang) in shown
        assert at.text_area(key=f"px_code_{ex.key}_0").value == exercises.stub(ex, lang)
    assert "⟨" not in panel_texts(at)


def test_a_wrong_solution_gets_targeted_feedback_then_the_fix_passes_and_is_saved(db, lang):
    at = check(open_exercises(lang), WRONG)
    assert not at.exception
    [error] = verdicts(at, "error")
    assert exercise_text("ex.11_cosine.mistake.no_eps", lang) in error, "the known mistake is named"
    assert exercise_text("case.zero_vector", lang) in error, "and so is the check that caught it"
    ex = ProgressStore(db).exercises("local")["1.1-cosine"]
    assert ex.attempts == 1 and not ex.passed and ex.code == WRONG

    at = check(at, FIXED)
    assert not at.exception and not verdicts(at, "error")
    [success] = verdicts(at, "success")
    library = exercise_text("ui.max_diff", lang, library="F.cosine_similarity", diff="").split(":")[0]
    assert library in success, "a pass shows the largest difference from the library"
    assert t("practice.passed", lang=lang) in texts(at)
    ex = ProgressStore(db).exercises("local")["1.1-cosine"]
    assert ex.attempts == 2 and ex.passed and ex.code == FIXED and ex.last_status == "passed"


def test_hints_open_one_at_a_time_then_the_solution_and_both_are_recorded(db, lang):
    at = open_exercises(lang)
    hints = exercises.hints(COSINE, lang)
    solution = at.button(key="px_solution_11_cosine")
    assert solution.disabled, "the solution waits for the hints"
    for n in range(1, len(hints) + 1):
        at = at.button(key="px_hint_11_cosine").click().run()
        shown = [i.value for i in at.info]
        assert [h for h in hints if any(h in s for s in shown)] == hints[:n], f"exactly {n} hints open"
        assert ProgressStore(db).exercises("local")["1.1-cosine"].hints == n
    assert at.button(key="px_hint_11_cosine").disabled
    assert not any(c.value.strip() == exercises.solution(COSINE).strip() for c in at.code)

    at = at.button(key="px_solution_11_cosine").click().run()
    assert not at.exception
    assert any(c.value.strip() == exercises.solution(COSINE).strip() for c in at.code)
    assert exercise_text("ui.solution_viewed", lang) in texts(at)
    assert ProgressStore(db).exercises("local")["1.1-cosine"].solution_viewed


def test_a_reload_brings_back_the_code_the_pass_and_the_hints(db, lang):
    at = open_exercises(lang)
    at = at.button(key="px_hint_11_cosine").click().run()
    check(at, FIXED)
    at.text_area(key="px_code_11_linear_0").set_value("def linear(x, W, b):\n    return 0\n").run()

    again = open_exercises(lang)  # a new browser session on the same database
    assert not again.exception
    assert again.text_area(key=CODE_KEY).value == FIXED
    assert again.text_area(key="px_code_11_linear_0").value == "def linear(x, W, b):\n    return 0\n"
    assert t("practice.passed", lang=lang) in texts(again)
    assert verdicts(again, "success"), "the last check's feedback is shown again"
    assert sum(exercises.hints(COSINE, lang)[0] in i.value for i in again.info) == 1


def test_start_over_puts_the_stub_back(db, lang):
    at = check(open_exercises(lang), WRONG)
    at = at.button(key="px_reset_11_cosine").click().run()
    assert not at.exception and not verdicts(at, "error")
    assert at.text_area(key="px_code_11_cosine_1").value == exercises.stub(COSINE, lang)
    assert ProgressStore(db).exercises("local")["1.1-cosine"].code == exercises.stub(COSINE, lang)


def test_an_untouched_stub_follows_the_language(db):
    at = open_exercises("en")
    at.session_state["lang"] = "ru"
    at = at.run()
    assert at.text_area(key="px_code_11_cosine_1").value == exercises.stub(COSINE, "ru")


def test_a_section_without_exercises_says_so(db, lang, monkeypatch):
    monkeypatch.setattr(practice.exercises, "for_section", lambda stem: ())
    at = open_exercises(lang)
    assert not at.exception
    assert t("practice.none", lang=lang) in texts(at)


def test_a_broken_exercise_module_leaves_the_page_and_home_working(db, lang, monkeypatch):
    def broken(stem):
        raise ImportError("a half-written exercise module")

    monkeypatch.setattr(practice.exercises, "for_section", broken)
    at = open_exercises(lang)
    assert not at.exception and len(at.tabs) == 6 and at.latex
    assert t("practice.unavailable", lang=lang) in [w.value for w in at.warning]
    assert not open_home(lang).exception


def test_hosted_learners_each_have_their_own_work(db):
    hosted.configure(hosted.Limits(hosted=True))
    try:
        ann = check(open_exercises("en"), FIXED)
        assert verdicts(ann, "success")
        bob = open_exercises("en")
        assert bob.text_area(key=CODE_KEY).value == exercises.stub(COSINE, "en")
        assert t("practice.passed", lang="en") not in texts(bob)
        learners = {row[0] for row in sqlite3.connect(db).execute("SELECT learner FROM exercise_progress")}
        assert learners == {ann.session_state["_run_session"]}, "hosted progress is keyed by the session id"
    finally:
        hosted.configure(None)


def test_a_hosted_check_takes_a_server_slot_and_waits_for_one(monkeypatch):
    hosted.configure(hosted.Limits(hosted=True, max_jobs=1))
    limit, seen = SLOTS.limit, []
    monkeypatch.setattr(practice.exercises, "check", lambda ex_id, code: seen.append(SLOTS.active) or "graded")
    monkeypatch.setattr(practice, "SLOT_WAIT_S", 0.5)
    try:
        assert practice.run_check(COSINE, FIXED) == "graded" and seen == [1] and SLOTS.active == 0
        assert SLOTS.try_acquire()  # a training job holds the only slot
        try:
            result = practice.run_check(COSINE, FIXED)
        finally:
            SLOTS.release()
        assert result.status == "busy" and seen == [1]
    finally:
        hosted.configure(None)
        SLOTS.set_limit(limit)


# --- Home's progress map ------------------------------------------------------------------------

def open_home(lang: str):
    return open_page("00_home", lang)


def test_home_maps_quiz_exercises_visits_and_training_and_links_the_last_section(db, lang):
    total = len(exercises.all_exercises())
    at = open_home(lang)
    assert not at.exception
    assert any(m.value == f"0/{total}" for m in at.metric) and any(m.value == "—" for m in at.metric)
    store = ProgressStore(db)
    store.visit("local", "12_calculus")
    store.record_quiz("local", STEM, 3, 4)
    store.record_attempt("local", "1.1-cosine", STEM, FIXED, "passed")
    from core.runstore import RunStore

    RunStore(db).start_run(page="52_training")
    at = open_home(lang)
    assert not at.exception
    values = {m.value for m in at.metric}
    assert {"3/4", f"1/{total}"} <= values
    captions = [c.value for c in at.caption]
    scores = t("00_home.quiz_badge", lang=lang, correct=3, total=4) + " · " + t("00_home.exercises_badge", lang=lang, passed=1, total=2)
    assert any(scores in c for c in captions)
    assert any(t("00_home.trained_badge", lang=lang) in c for c in captions)
    assert any(t("00_home.visited_badge", lang=lang) in c for c in captions)
    link = t("00_home.continue", lang=lang, title=t("12_calculus.title", lang=lang))
    assert link in texts(at), "continue where you left off: the last section opened"


def test_progress_from_pages_reaches_home_after_a_new_session(db, lang):
    at = open_page("12_calculus", lang)
    questions = [r for r in at.radio if (r.key or "").startswith("quiz_12_calculus_")]
    at = questions[0].set_value(0).run().button(key="quiz_check_12_calculus").click().run()
    assert not at.exception
    home = open_home(lang)  # a new session: nothing comes from the old one's state
    assert t("00_home.continue", lang=lang, title=t("12_calculus.title", lang=lang)) in texts(home)
    assert any(m.value.endswith(f"/{len(questions)}") and m.value != "—" for m in home.metric)


def test_reset_asks_first_and_then_deletes_the_progress(db, lang):
    store = ProgressStore(db)
    store.record_quiz("local", STEM, 3, 4)
    store.record_attempt("local", "1.1-cosine", STEM, FIXED, "passed")
    at = open_home(lang).button(key="home_reset").click().run()
    assert not at.exception
    assert t("00_home.reset_confirm", lang=lang) in [w.value for w in at.warning]
    assert store.quiz("local"), "nothing is deleted before the learner confirms"

    at = at.button(key="home_reset_no").click().run()
    assert not at.warning and store.quiz("local")
    at = at.button(key="home_reset").click().run().button(key="home_reset_yes").click().run()
    assert not at.exception
    assert store.quiz("local") == {} and store.exercises("local") == {}
    assert t("00_home.reset_done", lang=lang) in [s.value for s in at.success]
    assert "3/4" not in {m.value for m in at.metric}
