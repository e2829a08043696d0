"""Widgets whose values live in the URL, so a copied link reproduces the same settings.

Each helper seeds its widget from `st.query_params` on first render, after validating and
clamping the value like widget input; a malformed value falls back to the default and leaves a
notice. After rendering, a value that differs from the default is written back to the URL.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

from core.errors import InputError

MAX_RAW = 200  # longer URL values are refused before parsing: no widget needs more
QUOTE_CHARS = 40  # messages quote at most this much of what the learner typed or the link held


def _note_bad(key: str, raw: str) -> None:
    """Say so right above the widget, in this very run (a notice kept for the page header would
    only appear on the next rerun, because the header is drawn before the widgets)."""
    from app.i18n import t

    st.warning(t("url.bad_value", name=key, value=quote(raw)), icon="🔗")


def quote(text: str, limit: int = QUOTE_CHARS) -> str:
    """`text` for a message: at most `limit` characters, cut with "…", Markdown escaped."""
    from app.text import escape_md

    text = str(text)
    return escape_md(text if len(text) <= limit else text[: limit - 1] + "…")


def _note_changed(key: str, raw: str, used: str, lo, hi) -> None:
    """A URL number this widget cannot hold as it is (out of range, or between its steps): say what
    is used instead, right above the widget."""
    from app.i18n import t

    inside = lo <= float(raw.strip()) <= hi
    st.warning(t("url.snapped" if inside else "url.clamped", name=key, value=quote(raw.strip()), used=used,
                 lo=f"{lo:g}", hi=f"{hi:g}"), icon="🔗")


SEEN_KEY = "_url_seen"  # per widget: the URL value this session last read or wrote
LAST_KEY = "_url_last"  # per widget: its value when last drawn, for when Streamlit drops the widget's own


def _seed(key: str, default: Any, parse: Callable[[str], Any]) -> bool:
    """Put the URL's value (or the default) into session state before the widget is drawn; True
    when an active lesson locks the widget.

    A lesson link (app.lessons) comes first: a key it locks takes the lesson's value on every run,
    whatever the URL or session state say; a key it sets but leaves open takes it once, to start.

    The URL wins when the widget is new to the session, and also when the URL now holds a value
    this session neither read nor wrote: a link pasted into a tab whose session lives on.

    Otherwise the value the session holds is set again, so Streamlit sends it to the browser. After
    a run that ended before drawing the widget (the 5.2 page stops while it waits for a CSV; an
    error does the same), the server keeps the value but the browser has dropped the widget, and a
    widget drawn without a value sent shows Streamlit's own default, its minimum or first option,
    and sends that back: every training setting fell to its minimum when the dataset went to CSV.
    Setting the key again on every run is Streamlit's documented way to keep a widget's state.

    A run that ends normally without the widget (another page was open) makes Streamlit drop its
    value, and the URL has lost it too; then the value it had when last drawn comes back."""
    from app.lessons import for_widget

    lesson = for_widget()
    if lesson is not None and key in lesson.lesson.values:
        locked = key in lesson.lesson.locked
        if locked or key not in lesson.started:
            lesson.started.add(key)
            st.session_state[key] = parse_or_default(lesson.lesson.values[key], default, parse, lambda bad: _note_bad(key, bad))
            return locked
    try:
        raw = st.query_params.get(key)
    except Exception:
        raw = None
    seen = st.session_state.setdefault(SEEN_KEY, {})
    if raw is None or raw == seen.get(key):  # the URL holds nothing new
        last = remembered()
        if key in st.session_state or key in last:
            st.session_state[key] = st.session_state[key] if key in st.session_state else last[key]
            return False
    seen[key] = raw
    st.session_state[key] = parse_or_default(raw, default, parse, lambda bad: _note_bad(key, bad))
    return False


def _lockable(locked: bool, kwargs: dict) -> dict:
    """The widget's arguments, disabled when a lesson locks it."""
    return {**kwargs, "disabled": True} if locked else kwargs


def _note_locked(locked: bool) -> None:
    if locked:
        from app.i18n import t

        st.caption(t("lesson.locked"))


def remembered() -> dict[str, Any]:
    """Each widget's value when last drawn, by key (kept while Streamlit drops the widget's own)."""
    return st.session_state.setdefault(LAST_KEY, {})


def forget(keys) -> None:
    """Drop the remembered values of `keys`, so that their widgets take the URL's value or the
    default (reopening a run: a setting absent from its link was at its default)."""
    last = remembered()
    for key in keys:
        last.pop(key, None)


def parse_or_default(raw: str | None, default: Any, parse: Callable[[str], Any],
                     on_bad: Callable[[str], None] | None = None) -> Any:
    """`parse(raw)`, or `default` when `raw` is missing, too long or malformed. Never raises."""
    if raw is None:
        return default
    try:
        if not isinstance(raw, str) or len(raw) > MAX_RAW:
            raise ValueError("too long")
        return parse(raw)
    except Exception:  # any malformed value: the default, and a notice
        if on_bad is not None:
            on_bad(str(raw))
        return default


TEXT_KEY = "_url_text"  # per widget: its value as URL text when last drawn, for lesson links
_page_defaults: dict[str, dict[str, str]] = {}  # page stem → its widgets' keys, in drawing order, and defaults as URL text


def page_settings(stem: str) -> dict[str, str]:
    """The page's widget keys with this session's values as URL text (a widget not yet drawn in this
    session: its default), in the order the page draws them."""
    texts = st.session_state.get(TEXT_KEY, {})
    return {key: texts.get(key, text) for key, text in dict(_page_defaults.get(stem, {})).items()}


def _note_page_widget(key: str, text: str, default_text: str) -> None:
    from app.runs import calling_page

    st.session_state.setdefault(TEXT_KEY, {})[key] = text
    stem = calling_page()
    if stem and key not in _page_defaults.get(stem, {}):
        _page_defaults.setdefault(stem, {})[key] = default_text


def _publish(key: str, value: Any, default: Any, fmt: Callable[[Any], str] = str) -> None:
    """After drawing: remember the widget's value, and write it to the URL unless it is the default."""
    remembered()[key] = st.session_state.get(key, value)
    _note_page_widget(key, fmt(value), fmt(default))
    try:
        seen = st.session_state.setdefault(SEEN_KEY, {})
        if value == default:
            seen[key] = None
            if key in st.query_params:
                del st.query_params[key]
        else:
            seen[key] = fmt(value)
            if st.query_params.get(key) != fmt(value):
                st.query_params[key] = fmt(value)
    except Exception:  # query params are a convenience; never break the page over them
        pass


def parse_number(raw: str, lo, hi, is_int: bool, step=None):
    """A number from the URL, clamped into [lo, hi] and snapped to `step`; ValueError if not a number."""
    x = float(raw.strip())
    if not math.isfinite(x):
        raise ValueError(raw)
    x = min(max(x, lo), hi)
    if is_int:
        return int(round(x))
    if step:
        x = lo + round((x - lo) / step) * step
        x = min(max(x, lo), hi)
    return x


def _number_parser(key: str, lo, hi, is_int: bool, step=None) -> Callable[[str], Any]:
    """`parse_number` for a URL value, with a notice when the widget cannot hold the value as written."""
    fmt = (lambda v: str(v)) if is_int else (lambda v: f"{v:g}")

    def parse(raw: str):
        value = parse_number(raw, lo, hi, is_int, step)
        if not math.isclose(value, float(raw.strip()), rel_tol=1e-9, abs_tol=1e-12):
            _note_changed(key, raw, fmt(value), lo, hi)
        return value

    return parse


def _check_default(key: str, value, options: Sequence | None = None, lo=None, hi=None) -> None:
    """A default the widget cannot hold is a bug in the page or its recipe: Streamlit would show
    another value (a select slider its first option) and the run would silently use that one."""
    if options is not None and value not in options:
        raise ValueError(f"widget {key!r}: the default {value!r} is not one of its options {tuple(options)}")
    if lo is not None and not lo <= value <= hi:
        raise ValueError(f"widget {key!r}: the default {value!r} is outside [{lo}, {hi}]")


def slider(key: str, label: str, min_value, max_value, value, step=None, **kwargs):
    """`st.slider` for one int or float, synced with the URL."""
    _check_default(key, value, lo=min_value, hi=max_value)
    is_int = isinstance(value, int) and not isinstance(value, bool)
    locked = _seed(key, value, _number_parser(key, min_value, max_value, is_int, step))
    out = st.slider(label, min_value, max_value, step=step, key=key, **_lockable(locked, kwargs))
    _note_locked(locked)
    _publish(key, out, value, (lambda v: str(v)) if is_int else (lambda v: f"{v:g}"))
    return out


def number(key: str, label: str, min_value, max_value, value, step=None, **kwargs):
    """`st.number_input`, clamped and synced with the URL."""
    _check_default(key, value, lo=min_value, hi=max_value)
    is_int = isinstance(value, int) and not isinstance(value, bool)
    locked = _seed(key, value, _number_parser(key, min_value, max_value, is_int))
    out = st.number_input(label, min_value=min_value, max_value=max_value, step=step, key=key, **_lockable(locked, kwargs))
    _note_locked(locked)
    _publish(key, out, value, (lambda v: str(v)) if is_int else (lambda v: f"{v:g}"))
    return out


def parse_option(options: Sequence, raw: str):
    """The option whose str() is `raw` (numbers also by value: "10" finds 10.0); ValueError otherwise."""
    for opt in options:
        if str(opt) == raw:
            return opt
    try:
        number = float(raw)
    except (TypeError, ValueError):
        raise ValueError(raw) from None
    for opt in options:
        if isinstance(opt, (int, float)) and not isinstance(opt, bool) and float(opt) == number:
            return opt
    raise ValueError(raw)


def eager_labels(options: Sequence, format_func: Callable[[Any], str]) -> Callable[[Any], str]:
    """Compute every label now, in this run's language, rather than whenever Streamlit asks."""
    labels = {opt: str(format_func(opt)) for opt in options}
    return lambda opt: labels.get(opt, str(opt))


def select(key: str, label: str, options: Sequence, value=None, format_func=str, radio: bool = False, **kwargs):
    """`st.selectbox` (or `st.radio`) over `options`, synced with the URL by option value."""
    default = options[0] if value is None else value
    _check_default(key, default, options)
    locked = _seed(key, default, lambda raw: parse_option(options, raw))
    widget = st.radio if radio else st.selectbox
    out = widget(label, options, key=key, format_func=eager_labels(options, format_func), **_lockable(locked, kwargs))
    _note_locked(locked)
    _publish(key, out, default)
    return out


def select_slider(key: str, label: str, options: Sequence, value, format_func=str, **kwargs):
    """`st.select_slider` over discrete `options` (log-spaced learning rates, say)."""
    _check_default(key, value, options)
    locked = _seed(key, value, lambda raw: parse_option(options, raw))
    out = st.select_slider(label, options, key=key, format_func=eager_labels(options, format_func), **_lockable(locked, kwargs))
    _note_locked(locked)
    _publish(key, out, value)
    return out


def toggle(key: str, label: str, value: bool = False, **kwargs) -> bool:
    """`st.toggle`, synced with the URL as 1/0."""
    locked = _seed(key, value, parse_bool)
    out = st.toggle(label, key=key, **_lockable(locked, kwargs))
    _note_locked(locked)
    _publish(key, out, value, lambda v: "1" if v else "0")
    return out


def int_list(key: str, label: str, value: tuple[int, ...], lo: int = 1, hi: int = 1024, max_len: int = 12, **kwargs) -> tuple[int, ...]:
    """A text box of comma-separated layer widths, e.g. "64, 32". A width outside [lo, hi] is clamped
    and text that is not a list of widths falls back to `value`; either way a message says so."""
    from app.i18n import t

    default_text = ", ".join(map(str, value))
    _check_default(key, tuple(value), [read_widths(default_text, lo, hi, max_len)[0]])

    def from_url(raw: str) -> str:  # as the link wrote it when clamped, so the box's message explains it
        widths, clamped = read_widths(raw, lo, hi, max_len)
        return raw.strip() if clamped else ", ".join(map(str, widths))

    locked = _seed(key, default_text, from_url)
    text = st.text_input(label, key=key, **_lockable(locked, kwargs))
    _note_locked(locked)
    try:
        widths, clamped = read_widths(text, lo, hi, max_len)
    except InputError as exc:
        st.warning(t(f"widths.{exc.code}", text=quote(text), default=default_text, **exc.params))
        widths = value
    else:
        if clamped:
            st.warning(t("widths.clamped", text=quote(text), lo=lo, hi=hi, widths=", ".join(map(str, widths))))
    _publish(key, ", ".join(map(str, widths)), default_text)
    return widths


def parse_bool(raw: str) -> bool:
    if raw.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if raw.strip().lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(raw)


_WIDTH = re.compile(r"[+-]?[0-9]+")  # ASCII digits only: the rule that validates is the one int() then reads


def read_widths(text: str, lo: int = 1, hi: int = 1024, max_len: int = 12) -> tuple[tuple[int, ...], bool]:
    """ "64,32" → ((64, 32), False); widths outside [lo, hi] are clamped, and then the flag is True.
    Raises `InputError` "empty", "not_ints" or "too_many" for text that is not a list of widths."""
    parts = [w.strip() for w in str(text).split(",") if w.strip()]
    if not parts:
        raise InputError("empty", "type at least one layer width")
    if not all(_WIDTH.fullmatch(w) for w in parts):
        raise InputError("not_ints", "layer widths are whole numbers separated by commas")
    if len(parts) > max_len:
        raise InputError("too_many", f"at most {max_len} layers", n=len(parts), max_len=max_len)
    # a 13-digit width is out of range anyway: no int() of the 5000 digits someone may paste
    asked = [int(w) if len(w) <= 12 else (lo - 1 if w.startswith("-") else hi + 1) for w in parts]
    widths = tuple(min(max(w, lo), hi) for w in asked)
    return widths, widths != tuple(asked)


def parse_int_list(raw: str, lo: int = 1, hi: int = 1024, max_len: int = 12) -> str:
    """ "64,32" → "64, 32", each width clamped into [lo, hi]; ValueError for anything else."""
    return ", ".join(map(str, read_widths(raw, lo, hi, max_len)[0]))
