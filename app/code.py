"""Show the exact `core` source a demo ran, read with `inspect.getsource`, and the section's short script."""
from __future__ import annotations

import functools
import inspect

import streamlit as st

from app.i18n import t
from core.snippets import snippet_source


@functools.lru_cache(maxsize=512)
def source(obj) -> str:
    """inspect.getsource, once per object: it re-reads and re-parses the module (~5 ms a class) on every rerun
    otherwise. A module that Streamlit reloads after an edit brings new objects, so new entries."""
    return inspect.getsource(obj)


def show_code(*objects, expanded: bool = False) -> None:
    """One expander per function or class, titled with its dotted name."""
    for obj in objects:
        name = f"{obj.__module__}.{obj.__qualname__}"
        with st.expander(t("code.title", name=name), expanded=expanded):
            st.code(source(obj), language="python", line_numbers=True)


def show_snippet(stem: str) -> None:
    """'The code you would write': the section's script from core/snippets/, exactly as the tests run it."""
    source = snippet_source(stem)
    if source is None:
        return
    st.subheader(t("snippets.title"))
    st.caption(t("snippets.intro"))
    st.markdown(t(f"snippets.captions.{stem}"))
    st.code(source, language="python", line_numbers=True)
    st.divider()
