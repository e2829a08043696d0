"""The Practice tab: the section's graded exercises, each with an editor, Check, tiered hints and the
solution. The learner's code, tries, hints and solution views go to the progress store, so a reload
or a restart brings them back.

Checks run in `core.exercises`' sandbox, never in this process. In hosted mode each check also
takes one of the server's training slots (`core.jobs.SLOTS`, sized by `max_jobs`) while it runs,
so exercises and training share the server's one concurrency limit.

The editor is streamlit-code-editor (Ace, its scripts inside the wheel: nothing is fetched at run
time): Tab indents, Python is coloured, Ctrl+Enter checks. AppTest cannot drive a component, so a
plain text area stands in when `DLDASH_PLAIN_EDITOR=1`, when session state has `_plain_editor`, or
when the package is missing.
"""
from __future__ import annotations

import json
import logging
import os
import threading
import time
from functools import cache

import streamlit as st

from app import progress
from app.i18n import LANGS, current_lang, t
from core import exercises
from core import limits as hosted
from core.exercises import CheckResult, Exercise
from core.progress import ExerciseProgress
from core.slots import SLOTS

PLAIN_EDITOR_ENV = "DLDASH_PLAIN_EDITOR"
PLAIN_EDITOR_KEY = "_plain_editor"
SLOT_WAIT_S = 15.0  # hosted mode: how long a check waits for a free server slot before saying "busy"
EDITOR_LINES = [8, 30]  # the editor grows with the code between these heights
log = logging.getLogger(__name__)
_warm_started = False


def practice(stem: str) -> None:
    """Every exercise of the section at `stem`, or a short note when it has none yet."""
    items = section_exercises(stem)
    if items is None:
        st.warning(t("practice.unavailable"))
        return
    if not items:
        st.info(t("practice.none"))
        return
    lang = current_lang()
    saved = progress.exercises(stem)
    st.caption(t("practice.intro", example=items[0].id))
    for ex in items:
        with st.container(border=True, key=f"px_{_slug(ex)}"):
            exercise_panel(ex, lang, saved.get(ex.id))


def section_exercises(stem: str) -> tuple[Exercise, ...] | None:
    """The section's exercises, or None when they cannot be loaded: one broken exercise module must
    not take every guide page down with it."""
    try:
        return exercises.for_section(stem)
    except Exception:
        log.exception("the exercises could not be loaded")
        return None


def exercise_panel(ex: Exercise, lang: str, saved: ExerciseProgress | None) -> None:
    """Title and prompt, the editor, the buttons, then the feedback, the open hints and the solution."""
    work = _work(ex, lang, saved)
    slug = _slug(ex)
    head = st.empty()  # filled last, so a pass shows in the badge on the run that made it
    st.markdown(exercises.prompt(ex, lang))
    code, submitted = editor(f"px_code_{slug}_{work['version']}", work["code"])
    if code != work["code"]:
        work["code"] = code
        progress.save_code(ex.id, ex.section, code)

    hints = exercises.hints(ex, lang)
    passed = bool(saved and saved.passed)
    with st.container(horizontal=True):
        check = st.button(t("exercises.ui.check_button"), key=f"px_check_{slug}", type="primary", icon="▶️")
        st.button(t("practice.hint_button", n=min(work["hints"] + 1, len(hints)), total=len(hints)),
                  key=f"px_hint_{slug}", icon="💡", disabled=work["hints"] >= len(hints),
                  on_click=_open_hint, args=(ex, work, len(hints)))
        unlocked = passed or work["hints"] >= len(hints)
        st.button(t("exercises.ui.solution_button"), key=f"px_solution_{slug}", icon="📖",
                  disabled=work["solution"] or not unlocked,
                  help=None if unlocked else t("practice.solution_locked"),
                  on_click=_show_solution, args=(ex, work))
        st.button(t("exercises.ui.reset_button"), key=f"px_reset_{slug}", icon="↩️",
                  on_click=_start_over, args=(ex, work, lang))

    if check or (submitted and submitted != work["submitted"]):
        work["submitted"] = submitted or work["submitted"]
        with st.spinner(t("exercises.ui.checking")):
            result = run_check(ex, code)
        work["result"] = json.loads(result.to_json())
        passed = passed or result.passed
        progress.record_attempt(ex.id, ex.section, code, result.status, result.to_json())
    if work["result"]:
        feedback(ex, CheckResult.from_dict(work["result"]), lang)
    for i in range(work["hints"]):
        st.info(f"**{t('practice.hint_title', n=i + 1)}** {hints[i]}", icon="💡")
    if work["solution"]:
        st.caption(t("exercises.ui.solution_viewed"))
        st.code(exercises.solution(ex), language="python")

    badge = f":green-badge[✅ {t('practice.passed')}]" if passed else ""
    head.markdown(f"#### {ex.number} · {exercises.title(ex, lang)} {badge}")


def feedback(ex: Exercise, result: CheckResult, lang: str) -> None:
    text = exercises.render(result, lang, ex)
    if result.passed:
        st.success(text)
    elif result.status in ("busy", "sandbox"):
        st.warning(text)
    else:
        st.error(text)


def editor(key: str, code: str) -> tuple[str, str]:
    """The code editor seeded with `code`: (its text, the id of a Ctrl+Enter press or "")."""
    label = t("exercises.ui.editor_label")
    if plain_editor():
        return st.text_area(label, code, key=key, height=320, help=t("practice.plain_editor_help")), ""
    st.caption(f"{label} · {t('practice.editor_help')}")
    reply = _code_editor()(code, lang="python", key=key, height=EDITOR_LINES, response_mode=["blur"],
                        options={"showLineNumbers": True, "tabSize": 4, "useSoftTabs": True, "showPrintMargin": False},
                        props={"scrollMargin": [0, 0, 0, 0]})
    if not reply or not reply.get("id"):  # nothing typed since the editor appeared
        return code, ""
    return reply.get("text", code), reply["id"] if reply.get("type") == "submit" else ""


def plain_editor() -> bool:
    return (_code_editor() is None or bool(st.session_state.get(PLAIN_EDITOR_KEY))
            or os.environ.get(PLAIN_EDITOR_ENV, "").strip().lower() in hosted.TRUE)


@cache
def _code_editor():
    """streamlit-code-editor's component, imported when a Practice tab first needs it (not on Home),
    or None when the package is missing: the plain text area then stands in."""
    try:
        from code_editor import code_editor
    except ImportError:
        return None
    return code_editor


def run_check(ex: Exercise, code: str) -> CheckResult:
    """Grade `code` in the sandbox; in hosted mode, inside one of the server's job slots."""
    limits = hosted.current()
    if not limits.hosted:
        return exercises.check(ex.id, code)
    if SLOTS.limit != limits.max_jobs:
        SLOTS.set_limit(limits.max_jobs)
    deadline = time.monotonic() + SLOT_WAIT_S
    while not SLOTS.try_acquire():
        if time.monotonic() > deadline:
            return CheckResult(ex.id, "busy")
        time.sleep(0.2)
    try:
        return exercises.check(ex.id, code)
    finally:
        SLOTS.release()


def start_sandbox_in_background() -> None:
    """Start the sandbox's warm worker once per process, off the script thread (it imports torch
    in its own process), so the first Check does not wait for it."""
    global _warm_started
    if not _warm_started:
        _warm_started = True
        threading.Thread(target=_warm_up, name="exercise-warm-up", daemon=True).start()


def _warm_up() -> None:
    try:
        exercises.warm_up()
    except Exception as exc:  # the first check starts it again and says what failed
        log.warning("exercise sandbox warm-up failed: %s", exc)


# --- one exercise's state in this session ------------------------------------------------------
def _slug(ex: Exercise) -> str:
    return ex.key


def _work(ex: Exercise, lang: str, saved: ExerciseProgress | None) -> dict:
    """This session's state of `ex`, first filled from the store: code, open hints, solution, last check."""
    key = f"_px_{_slug(ex)}"
    if key not in st.session_state:
        st.session_state[key] = {
            "code": saved.code if saved and saved.code is not None else exercises.stub(ex, lang),
            "version": 0,  # a new editor key: the editor starts again from "code"
            "hints": saved.hints if saved else 0,
            "solution": bool(saved and saved.solution_viewed),
            "result": saved.last_result if saved and saved.last_result else None,
            "submitted": "",
        }
    work = st.session_state[key]
    untouched = {exercises.stub(ex, other) for other in LANGS if other != lang}
    if work["code"] in untouched:  # the language changed before any typing: the stub follows it
        work["code"] = exercises.stub(ex, lang)
        work["version"] += 1
    return work


def forget_work() -> None:
    """Drop this session's exercise state (after a progress reset), so every editor starts over."""
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(("_px_", "px_code_"))]:
        del st.session_state[key]


def _open_hint(ex: Exercise, work: dict, total: int) -> None:
    work["hints"] = min(work["hints"] + 1, total)
    progress.record_hint(ex.id, ex.section, work["hints"])


def _show_solution(ex: Exercise, work: dict) -> None:
    work["solution"] = True
    progress.record_solution_view(ex.id, ex.section)


def _start_over(ex: Exercise, work: dict, lang: str) -> None:
    work.update(code=exercises.stub(ex, lang), version=work["version"] + 1, result=None, submitted="")
    progress.save_code(ex.id, ex.section, work["code"])
