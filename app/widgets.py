"""Widgets whose values live in the URL, so a copied link reproduces the same settings.

Each helper seeds its widget from `st.query_params` on first render, after validating and
clamping the value like widget input; a malformed value falls back to the default and leaves a
notice. After rendering, a value that differs from the default is written back to the URL.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

NOTICES_KEY = "_url_notices"
MAX_RAW = 200  # longer URL values are refused before parsing: no widget needs more


def _note_bad(key: str, raw: str) -> None:
    """Say so right above the widget, in this very run (a notice kept for the page header would
    only appear on the next rerun, because the header is drawn before the widgets)."""
    from app.i18n import t

    st.warning(t("url.bad_value", name=key, value=raw[:40]), icon="🔗")
    st.session_state.setdefault(NOTICES_KEY + "_shown", []).append((key, raw))


SEEN_KEY = "_url_seen"  # per widget: the URL value this session last read or wrote


def _seed(key: str, default: Any, parse: Callable[[str], Any]) -> None:
    """Put the URL's value (or the default) into session state before the widget is drawn.

    The URL wins when the widget is new to the session, and also when the URL now holds a value
    this session neither read nor wrote: a link pasted into a tab whose session lives on."""
    try:
        raw = st.query_params.get(key)
    except Exception:
        raw = None
    seen = st.session_state.setdefault(SEEN_KEY, {})
    if key in st.session_state and (raw is None or raw == seen.get(key)):
        return
    seen[key] = raw
    st.session_state[key] = parse_or_default(raw, default, parse, lambda bad: _note_bad(key, bad))


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


def _publish(key: str, value: Any, default: Any, fmt: Callable[[Any], str] = str) -> None:
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


def slider(key: str, label: str, min_value, max_value, value, step=None, **kwargs):
    """`st.slider` for one int or float, synced with the URL."""
    is_int = isinstance(value, int) and not isinstance(value, bool)
    _seed(key, value, lambda raw: parse_number(raw, min_value, max_value, is_int, step))
    out = st.slider(label, min_value, max_value, step=step, key=key, **kwargs)
    _publish(key, out, value, (lambda v: str(v)) if is_int else (lambda v: f"{v:g}"))
    return out


def number(key: str, label: str, min_value, max_value, value, step=None, **kwargs):
    """`st.number_input`, clamped and synced with the URL."""
    is_int = isinstance(value, int) and not isinstance(value, bool)
    _seed(key, value, lambda raw: parse_number(raw, min_value, max_value, is_int))
    out = st.number_input(label, min_value=min_value, max_value=max_value, step=step, key=key, **kwargs)
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
    _seed(key, default, lambda raw: parse_option(options, raw))
    widget = st.radio if radio else st.selectbox
    out = widget(label, options, key=key, format_func=eager_labels(options, format_func), **kwargs)
    _publish(key, out, default)
    return out


def select_slider(key: str, label: str, options: Sequence, value, format_func=str, **kwargs):
    """`st.select_slider` over discrete `options` (log-spaced learning rates, say)."""
    _seed(key, value, lambda raw: parse_option(options, raw))
    out = st.select_slider(label, options, key=key, format_func=eager_labels(options, format_func), **kwargs)
    _publish(key, out, value)
    return out


def toggle(key: str, label: str, value: bool = False, **kwargs) -> bool:
    """`st.toggle`, synced with the URL as 1/0."""
    _seed(key, value, parse_bool)
    out = st.toggle(label, key=key, **kwargs)
    _publish(key, out, value, lambda v: "1" if v else "0")
    return out


def int_list(key: str, label: str, value: tuple[int, ...], lo: int = 1, hi: int = 1024, max_len: int = 12, **kwargs) -> tuple[int, ...]:
    """A text box of comma-separated layer widths, e.g. "64, 32". Bad entries fall back."""
    parse = lambda raw: parse_int_list(raw, lo, hi, max_len)

    default_text = ", ".join(map(str, value))
    _seed(key, default_text, parse)
    text = st.text_input(label, key=key, **kwargs)
    try:
        widths = tuple(int(p) for p in parse(text).split(", "))
    except ValueError:
        st.warning(f"“{text}” → {default_text}")
        widths = value
    _publish(key, ", ".join(map(str, widths)), default_text)
    return widths


def parse_bool(raw: str) -> bool:
    if raw.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if raw.strip().lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(raw)


def parse_int_list(raw: str, lo: int = 1, hi: int = 1024, max_len: int = 12) -> str:
    """ "64,32" → "64, 32", each width clamped into [lo, hi]; ValueError for anything else."""
    parts = [w for w in raw.replace(" ", "").split(",") if w]
    if not 1 <= len(parts) <= max_len or any(len(w) > 12 for w in parts):
        raise ValueError(raw)
    return ", ".join(str(min(max(int(w), lo), hi)) for w in parts)


# old private names, kept for pages that imported them
_clamp_number, _parse_option = parse_number, parse_option


def url_notices() -> list[tuple[str, str]]:
    """Malformed URL values not yet shown. Each is now shown above its widget as soon as it is
    read, so this is empty; kept for the pages that call it."""
    return st.session_state.pop(NOTICES_KEY, [])
