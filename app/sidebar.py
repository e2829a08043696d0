"""Sidebar shared by all pages: language, device (with a CPU override) and the seed."""
from __future__ import annotations

import streamlit as st

from app import widgets
from app.i18n import LANG_NAMES, LANGS, default_lang, t
from app.session import device_info
from core import limits
from core.device import has_accelerator


def render_sidebar() -> None:
    with st.sidebar:
        widgets.select("lang", "🌐 Language / Язык", LANGS, value=default_lang(),
                       format_func=LANG_NAMES.get, radio=True, horizontal=True)
        accelerator = has_accelerator()
        widgets.toggle("force_cpu", t("sidebar.force_cpu"), value=False, disabled=not accelerator,
                       help=t("sidebar.force_cpu_help") if accelerator else t("sidebar.cpu_only"))
        info = device_info()
        st.caption(t("sidebar.device", label=info.label, threads=info.threads))
        if limits.current().hosted:
            st.caption(t("90_runs.hosted.sidebar"))
        widgets.number("seed", t("sidebar.seed"), 0, 2**31 - 1, 0, step=1, help=t("sidebar.seed_help"))
