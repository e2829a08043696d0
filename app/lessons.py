"""Lesson links in the app: the server's signing secret, the lesson a session has opened, and the
teacher's link maker.

A lesson opened from `?lesson=…` stays active for the session's run of its page, even once the
parameter leaves the URL; `app.widgets` enforces its locked values on every run.
"""
from __future__ import annotations

import os
import re
import secrets as _random
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import streamlit as st

from app import identity
from core.lessons import MAX_TITLE, Lesson, LessonError, sign, verify

PARAM = "lesson"
SECRET_ENV = "DLDASH_LESSON_SECRET"
SECRET_FILE = "lesson_secret"
ACTIVE_KEY = "_lessons"  # stem → Active
CHECKED_KEY = "_lesson_checked"  # "stem|token" → None (accepted) or the LessonError that refused it
MAX_CHECKED = 32
_file_secrets: dict[str, bytes] = {}
_lock = threading.Lock()


@dataclass
class Active:
    lesson: Lesson
    started: set[str] = field(default_factory=set)  # unlocked keys that took their starting value


def secret_file() -> Path:
    """`lesson_secret` next to the run database (in data/ when the database is a server URL)."""
    from app.runs import db_path
    from core.runstore import DEFAULT_PATH

    path = db_path()
    return (DEFAULT_PATH.parent if re.match(r"^[a-z][a-z0-9+]*:/", str(path)) else Path(path).parent) / SECRET_FILE


def secret() -> bytes:
    """The signing secret: DLDASH_LESSON_SECRET, `[class] lesson_secret`, else a random one made once
    and kept in a 0600 file, so that links survive a restart."""
    raw = os.environ.get(SECRET_ENV, "").strip()
    table = identity.secrets_table().get("class")
    if not raw and isinstance(table, Mapping):
        raw = str(table.get("lesson_secret", "")).strip()
    if raw:
        return raw.encode()
    path = secret_file()
    with _lock:
        if str(path) not in _file_secrets:
            _file_secrets[str(path)] = _read_or_create(path)
        return _file_secrets[str(path)]


def _read_or_create(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # made before (or by another process just now)
        value = path.read_text().strip()
        if value:
            return value.encode()
        raise
    with os.fdopen(fd, "w") as f:
        f.write(_random.token_hex(32))
    return path.read_text().strip().encode()


def _url_token() -> str | None:
    try:
        return st.query_params.get(PARAM)
    except Exception:  # outside a script run
        return None


def for_page(stem: str) -> Active | None:
    """The lesson active for `stem` in this session, after taking in a `lesson=` value the URL holds."""
    token = _url_token()
    if token is not None:
        checked = st.session_state.setdefault(CHECKED_KEY, {})
        tag = f"{stem}|{token}"
        if tag not in checked:
            if len(checked) >= MAX_CHECKED:
                checked.clear()
            try:
                lesson = verify(token, secret(), page=stem)
            except LessonError as exc:
                checked[tag] = exc
            else:
                checked[tag] = None
                st.session_state.setdefault(ACTIVE_KEY, {})[stem] = Active(lesson)
    return st.session_state.get(ACTIVE_KEY, {}).get(stem)


def for_widget() -> Active | None:
    """The lesson of the page whose widget is being drawn (none for the sidebar's widgets)."""
    if not st.session_state.get(ACTIVE_KEY) and _url_token() is None:
        return None
    from app.runs import calling_page

    stem = calling_page()
    return for_page(stem) if stem else None


def refusal(stem: str) -> LessonError | None:
    """Why the URL's lesson link was refused on this page, if it was."""
    token = _url_token()
    if token is None:
        return None
    return st.session_state.get(CHECKED_KEY, {}).get(f"{stem}|{token}")


def refusal_text(exc: LessonError) -> str:
    from app.i18n import t
    from app.widgets import quote

    return t(f"lesson.refused.{exc.code}", page=quote(exc.params.get("page", "")), limit=exc.params.get("limit", ""))


def header(stem: str) -> None:
    """Under the page title: the lesson's title and a word on its locks, or why a link was refused."""
    from app.i18n import t
    from app.text import escape_md

    active = for_page(stem)
    refused = refusal(stem)
    if refused is not None:
        st.error(refusal_text(refused), icon="🔗")
    if active is not None:
        title = escape_md(active.lesson.title) if active.lesson.title else t("lesson.untitled")
        st.info(t("lesson.active", title=title, n=len(active.lesson.locked)), icon="🎓")


def page_url(stem: str) -> str:
    """The page's address without a query: absolute when the browser told us, else a path."""
    try:
        url = st.context.url
    except Exception:
        url = None
    if url:
        parts = urlsplit(url)
        return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    return "/" + stem.split("_", 1)[1]


def link_maker(stem: str) -> None:
    """For teachers: lock some of this page's settings and copy a signed link that opens them."""
    from app.i18n import t
    from app.widgets import page_settings

    with st.expander(t("lesson.maker_title"), icon="🔗"):
        settings = page_settings(stem)
        if not settings:  # the page's first run in this server: its widgets come after this box
            st.caption(t("lesson.no_settings"))
            st.button(t("lesson.list_settings"), key=f"_lesson_list_{stem}")  # a rerun, and they are known
            return
        locked = st.multiselect(t("lesson.lock_label"), list(settings), key=f"_lesson_lock_{stem}",
                                help=t("lesson.lock_help"))
        title = st.text_input(t("lesson.title_label"), key=f"_lesson_title_{stem}", max_chars=MAX_TITLE)
        try:
            token = sign(Lesson(stem, settings, frozenset(k for k in locked if k in settings), title.strip()), secret())
        except LessonError as exc:
            st.warning(refusal_text(exc))
            return
        st.caption(t("lesson.link_caption", n=len(settings)))
        st.code(f"{page_url(stem)}?{PARAM}={token}", language=None, wrap_lines=True)
