"""Find the pages on disk and group them by guide part for `st.navigation`."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from app.i18n import t
from app.identity import is_teacher

PAGES_DIR = Path(__file__).resolve().parent.parent / "pages"
# Imported in the background after the first page is drawn (app/streamlit_app.py), so no widget waits for
# them; torchvision is what 3.2's dataset picker and 4.1's DropBlock check need (seconds on a cold start).
HEAVY_MODULES = ("pandas", "altair", "core.trainer", "core.models", "core.datasets", "core.jobs", "app.charts", "code_editor",
                 "app.training", "torchvision")
_NAME = re.compile(r"^(\d\d)_([a-z0-9_]+)$")
TEACHER_PAGES = ("93_class",)  # in the menu for teachers only; the page itself refuses anyone else


@dataclass(frozen=True)
class PageEntry:
    stem: str
    path: Path
    part: int  # 0 home, 1–5 guide parts, 9 tools around the guide
    slug: str


def discover(pages_dir: Path = PAGES_DIR) -> list[PageEntry]:
    """Every `NN_slug.py` page file that exists, in order."""
    entries = []
    for path in sorted(pages_dir.glob("*.py")):
        m = _NAME.match(path.stem)
        if m:
            number = int(m.group(1))
            entries.append(PageEntry(path.stem, path, number // 10, m.group(2)))
    return entries


def menu_entries(teacher: bool) -> list[PageEntry]:
    """The pages a session's menu lists: the teachers' pages only for a teacher."""
    return [entry for entry in discover() if teacher or entry.stem not in TEACHER_PAGES]


def section_label(part: int) -> str:
    return t(f"nav.part{part}")


def title_and_icon(stem: str) -> tuple[str, str]:
    """A page's title and icon; a page whose content file is not written yet still gets a menu entry."""
    title, icon = t(f"{stem}.title"), t(f"{stem}.icon")
    missing = title.startswith("⟨") or icon.startswith("⟨")
    return (stem.replace("_", " ") if title.startswith("⟨") else title), ("📄" if missing else icon)


def page_link(entry: PageEntry, label: str | None = None) -> None:
    """`st.page_link` to `entry`; plain text when the page runs outside the router (AppTest, bare run)."""
    title, icon = title_and_icon(entry.stem)
    try:
        st.page_link(str(entry.path), label=label or title, icon=icon)
    except st.errors.StreamlitAPIException:
        st.markdown(f"{icon} {label or title}")


def navigation():
    """`st.navigation` over the discovered pages, every one shown (no "View N more" to click).

    One flat list, not sections by part: Streamlit 1.67 draws sections as <div>s inside the menu's
    <ul>, which screen readers cannot read as a list (axe: list, listitem). The titles carry the
    part's number ("1.1 …"); Home and the Roadmap show the parts by name."""
    pages = [
        st.Page(str(entry.path), title=title, icon=icon, url_path="" if entry.part == 0 else entry.slug,
                default=entry.part == 0)
        for entry in menu_entries(is_teacher())
        for title, icon in [title_and_icon(entry.stem)]
    ]
    return st.navigation(pages, expanded=True)
