"""Sidebar shared by all pages: language, device (with a CPU override) and the seed."""
from __future__ import annotations

import streamlit as st

from app import widgets
from app.i18n import LANG_NAMES, LANGS, default_lang, t
from app.session import device
from core import limits
from core.device import describe_device, pick_device


def render_sidebar() -> None:
    with st.sidebar:
        widgets.select("lang", "🌐 Language / Язык", LANGS, value=default_lang(),
                       format_func=LANG_NAMES.get, radio=True, horizontal=True)
        has_accelerator = pick_device().type != "cpu"
        widgets.toggle("force_cpu", t("sidebar.force_cpu"), value=False, disabled=not has_accelerator,
                       help=t("sidebar.force_cpu_help") if has_accelerator else t("sidebar.cpu_only"))
        info = describe_device(device())
        st.caption(t("sidebar.device", label=info.label, threads=info.threads))
        if limits.current().hosted:
            st.caption(t("90_runs.hosted.sidebar"))
        widgets.number("seed", t("sidebar.seed"), 0, 2**31 - 1, 0, step=1, help=t("sidebar.seed_help"))
