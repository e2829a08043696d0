"""Home: the map of the guide with the learner's progress, where to continue, the device, and how to
use the dashboard."""
import streamlit as st

from app import progress
from app.i18n import current_lang, page_t
from app.navigation import discover, page_link, section_label, title_and_icon
from app.practice import forget_work
from app.session import device_info
from app.text import escape_md
from core import exercises
from core.progress import SectionProgress

current_lang()
T = page_t("00_home")
PER_ROW = 3  # five columns cut titles such as "3.1 Multilayer perceptron" short
CONFIRM_KEY = "home_confirm_reset"


def badges(done: SectionProgress | None, total: int) -> str:
    """One line under a section's link: visited, quiz score, exercises passed, trained."""
    shown = []
    if done and done.visited:
        shown.append(T("visited_badge"))
    if done and done.quiz:
        shown.append(T("quiz_badge", correct=done.quiz.correct, total=done.quiz.total))
    if total:
        shown.append(T("exercises_badge", passed=done.exercises_passed if done else 0, total=total))
    if done and done.trained:
        shown.append(T("trained_badge"))
    if not (done and done.visited):
        shown.insert(0, T("not_started"))
    return " · ".join(shown)


def ask_to_reset(confirming: bool) -> None:
    st.session_state[CONFIRM_KEY] = confirming


def reset_progress() -> None:
    progress.reset()
    forget_work()
    st.session_state[CONFIRM_KEY] = False
    st.session_state["home_reset_done"] = True


def reset_controls() -> None:
    """"Reset my progress", then a confirmation before anything is deleted."""
    if st.session_state.pop("home_reset_done", False):
        st.success(T("reset_done"))
    if not st.session_state.get(CONFIRM_KEY):
        st.button(T("reset"), key="home_reset", icon="🗑️", on_click=ask_to_reset, args=(True,))
        return
    st.warning(T("reset_confirm"))
    with st.container(horizontal=True):
        st.button(T("reset_yes"), key="home_reset_yes", type="primary", icon="🗑️", on_click=reset_progress)
        st.button(T("reset_no"), key="home_reset_no", on_click=ask_to_reset, args=(False,))


st.title(f"{T('icon')} {T('heading')}")
st.markdown(T("intro"))

info = device_info()
entries = [e for e in discover() if 1 <= e.part <= 5]
problem = progress.unavailable()
if problem:  # the database is down: progress is not shown or saved, the guide still works
    st.warning(T("store_down", error=escape_md(problem)))
done = progress.sections()
counts = exercises.counts()  # from the exercises' words: loading the exercises themselves imports torch
totals = {e.stem: counts.get(e.stem[:2], 0) for e in entries}
quiz = [d.quiz for d in done.values() if d.quiz]
c1, c2, c3, c4 = st.columns(4)
c1.metric(T("device"), info.type.upper(), help=info.label)
c2.metric(T("visited_metric"), f"{sum(done[e.stem].visited for e in entries if e.stem in done)}/{len(entries)}")
c3.metric(T("quiz_progress"), f"{sum(q.correct for q in quiz)}/{sum(q.total for q in quiz)}" if quiz else "—",
          help=T("quiz_help"))
c4.metric(T("exercises_metric"), f"{sum(d.exercises_passed for d in done.values())}/{sum(totals.values())}",
          help=T("exercises_help"))

by_stem = {e.stem: e for e in entries}
last = by_stem.get(progress.last_section() or "")
if last:
    page_link(last, label=T("continue", title=title_and_icon(last.stem)[0]))
elif entries:
    page_link(entries[0], label=T("start", title=title_and_icon(entries[0].stem)[0]))

st.subheader(T("map"))
st.caption(T("legend"))
parts = sorted({e.part for e in entries})
cols = [col for start in range(0, len(parts), PER_ROW) for col in st.columns(PER_ROW)]
for col, part in zip(cols, parts):
    with col:
        st.markdown(f"**{section_label(part)}**")
        for e in (e for e in entries if e.part == part):
            page_link(e)
            st.caption(badges(done.get(e.stem), totals[e.stem]))
reset_controls()

st.subheader(T("how_title"))
st.markdown(T("how"))
