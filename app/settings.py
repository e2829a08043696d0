"""The sidebar's settings (language, seed, CPU override) follow a learner who is not the local one.

A signed-in account or a hosted browser (`app.identity.learner_id`) gets its stored settings back
once per session, before the sidebar draws them, except a setting the URL carries: a shared link
wins. A setting the learner then changes is saved, once per change. The one local learner keeps
its settings in the URL, as before. A store that is down only means nothing is restored or saved.
"""
from __future__ import annotations

import streamlit as st

from app import identity, progress
from app.i18n import LANGS
from app.widgets import parse_bool, parse_number, parse_option, parse_or_default

SEED_MAX = 2**31 - 1
PARSERS = {  # each setting's URL text → value, validated as its widget validates the URL's
    "lang": lambda raw: parse_option(LANGS, raw),
    "force_cpu": parse_bool,
    "seed": lambda raw: parse_number(raw, 0, SEED_MAX, is_int=True),
}
RESTORED_KEY = "_settings_learner"  # the learner whose settings this session restored
SAVED_KEY = "_settings_saved"  # each setting as URL text when first drawn in this session, or last saved


def as_text(value) -> str:
    """A setting's value as URL text, as its widget writes it: True → "1", 7 → "7", "ru" → "ru"."""
    return ("1" if value else "0") if isinstance(value, bool) else str(value)


def _learner() -> str | None:
    learner = identity.learner_id()
    return None if learner == identity.LOCAL_LEARNER else learner


def restore() -> None:
    """Before the sidebar draws: put the learner's stored settings into session state, once per
    session and learner. A stored value its widget cannot hold is skipped (the widget's default)."""
    learner, state = _learner(), st.session_state
    if learner is None or state.get(RESTORED_KEY) == learner:
        return
    state[RESTORED_KEY] = learner
    state.pop(SAVED_KEY, None)
    stored = progress.stored_settings()
    for key, parse in PARSERS.items():
        if key in stored and key not in st.query_params:  # a link carrying it wins (as in `widgets._seed`)
            value = parse_or_default(stored[key], None, parse)
            if value is not None:
                state[key] = value


def save() -> None:
    """After the sidebar draws: store the settings that differ from what this session opened with
    or last saved (one write per change, none on a plain rerun)."""
    learner, state = _learner(), st.session_state
    if learner is None or state.get(RESTORED_KEY) != learner:
        return
    now = {key: as_text(state[key]) for key in PARSERS if key in state}
    if SAVED_KEY not in state:  # the first draw: what the store, the link or the defaults gave
        state[SAVED_KEY] = now
        return
    saved = state[SAVED_KEY]
    changed = {key: text for key, text in now.items() if saved.get(key) != text}
    if changed:
        progress.save_settings(changed)
        saved.update(changed)
