"""The frame every guide page shares: title, the five tabs, the idea text and the quiz."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from app.i18n import current_lang, lookup, page_t, t
from app.quiz import quiz

PARTS = ("idea", "play", "check", "code", "quiz")


@dataclass
class Page:
    stem: str
    T: Callable[..., str]
    idea: Any
    play: Any
    check: Any
    code: Any
    quiz: Any


def start_page(file: str) -> Page:
    """Title and tabs for the page at `file`; fills the Idea and Self-check tabs from content."""
    stem = Path(file).stem
    current_lang()
    T = page_t(stem)
    st.title(f"{T('icon')} {T('title')}")
    st.caption(T("lead"))
    tabs = st.tabs([t(f"tabs.{p}") for p in PARTS])
    page = Page(stem, T, *tabs)
    with page.idea:
        render_idea(stem)
    with page.quiz:
        quiz(stem)
    return page


def render_idea(stem: str) -> None:
    """Markdown paragraphs and LaTeX formulas from the page's `[idea]` table."""
    idea = lookup(f"{stem}.idea")
    st.markdown(idea["intro"])
    for formula in idea.get("formulas", []):
        st.latex(formula)
    if "points" in idea:
        st.markdown(idea["points"])
