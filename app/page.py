"""The frame every guide page shares: title, the six tabs, the idea text, the quiz and the exercises."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from app import lessons, progress
from app.code import show_snippet
from app.i18n import current_lang, lookup, page_t, t
from app.identity import is_teacher
from app.practice import practice
from app.quiz import quiz

PARTS = ("idea", "play", "check", "code", "quiz", "practice")


@dataclass
class Page:
    stem: str
    T: Callable[..., str]
    idea: Any
    play: Any
    check: Any
    code: Any
    quiz: Any
    practice: Any


def start_page(file: str) -> Page:
    """Title and tabs for the page at `file`; fills the Idea, Self-check and Practice tabs, and notes
    the visit in the learner's progress. A lesson link's note, and for teachers the link maker, sit
    under the title."""
    stem = Path(file).stem
    current_lang()
    T = page_t(stem)
    st.title(f"{T('icon')} {T('title')}")
    st.caption(T("lead"))
    lessons.header(stem)
    if is_teacher():
        lessons.link_maker(stem)
    tabs = st.tabs([t(f"tabs.{p}") for p in PARTS])
    page = Page(stem, T, *tabs)
    with page.idea:
        render_idea(stem)
    with page.code:
        show_snippet(stem)
    with page.quiz:
        quiz(stem)
    with page.practice:
        practice(stem)
    progress.visit(stem)
    return page


def render_idea(stem: str) -> None:
    """Markdown paragraphs and LaTeX formulas from the page's `[idea]` table."""
    idea = lookup(f"{stem}.idea")
    st.markdown(idea["intro"])
    for formula in idea.get("formulas", []):
        st.latex(formula)
    if "points" in idea:
        st.markdown(idea["points"])
