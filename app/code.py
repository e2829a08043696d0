"""Show the exact `core` source a demo ran, read with `inspect.getsource`."""
from __future__ import annotations

import inspect

import streamlit as st

from app.i18n import t


def show_code(*objects, expanded: bool = False) -> None:
    """One expander per function or class, titled with its dotted name."""
    for obj in objects:
        name = f"{obj.__module__}.{obj.__qualname__}"
        with st.expander(t("code.title", name=name), expanded=expanded):
            st.code(inspect.getsource(obj), language="python", line_numbers=True)
