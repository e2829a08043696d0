"""Sidebar shared by all pages: language, sign-in, device (with a CPU override) and the seed; the
settings follow a signed-in or hosted learner (`app.settings`)."""
from __future__ import annotations

import streamlit as st

from app import identity, settings, widgets
from app.i18n import LANG_NAMES, LANGS, default_lang, t
from app.session import device_info
from app.text import escape_md
from core import limits
from core.device import has_accelerator


def render_sidebar() -> None:
    settings.restore()  # a learner's stored settings, before their widgets are drawn
    with st.sidebar:
        widgets.select("lang", "🌐 Language / Язык", LANGS, value=default_lang(),
                       format_func=LANG_NAMES.get, radio=True, horizontal=True)
        if identity.auth_configured():
            render_account()
        identity.remember_browser()
        accelerator = has_accelerator()
        widgets.toggle("force_cpu", t("sidebar.force_cpu"), value=False, disabled=not accelerator,
                       help=t("sidebar.force_cpu_help") if accelerator else t("sidebar.cpu_only"))
        info = device_info()
        st.caption(t("sidebar.device", label=info.label, threads=info.threads))
        if limits.current().hosted:
            st.caption(t("90_runs.hosted.sidebar"))
        widgets.number("seed", t("sidebar.seed"), 0, settings.SEED_MAX, 0, step=1, help=t("sidebar.seed_help"))
    settings.save()


def render_account() -> None:
    """Sign in (Streamlit's OpenID Connect, `[auth]` in secrets) or out; signed in, the e-mail."""
    if identity.account_id() is None:
        if st.button(t("sidebar.sign_in"), key="sign_in", icon=":material/login:"):
            st.login()
        st.caption(t("sidebar.sign_in_help"))
        return
    mail = identity.email()
    st.caption(t("sidebar.signed_in", email=escape_md(mail)) if mail else t("sidebar.signed_in_no_email"))
    if st.button(t("sidebar.sign_out"), key="sign_out", icon=":material/logout:"):
        st.logout()
