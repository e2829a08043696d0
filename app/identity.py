"""Who is using the app: the one place that decides whose runs, progress and rights a session has.

- Locally (not hosted, no sign-in configured) there is one learner, "local", who owns every run
  on the machine and may make lesson links and open the Class page.
- In hosted mode each browser is a learner; with `[auth]` in secrets a signed-in learner is their
  account, whichever browser they use.
- Teachers are the signed-in e-mails listed under `[class] teachers` in secrets (or in
  `DLDASH_TEACHERS`, comma-separated).
"""
from __future__ import annotations

import os
from collections.abc import Mapping

import streamlit as st

from core import limits

LOCAL_LEARNER = "local"
TEACHERS_ENV = "DLDASH_TEACHERS"


def _secrets() -> dict:
    try:
        return dict(st.secrets)
    except Exception:  # no secrets file: the normal local case
        return {}


def hosted() -> bool:
    return limits.current().hosted


def auth_configured() -> bool:
    """`[auth]` in secrets: `st.login` can sign learners in."""
    return isinstance(_secrets().get("auth"), Mapping)


def email() -> str | None:
    """The signed-in learner's e-mail, lower-cased, or None."""
    try:
        user = st.user
        if not user.is_logged_in:
            return None
        value = user.get("email")
    except Exception:  # no auth configured, or outside a script run
        return None
    return str(value).strip().lower() if value else None


def teachers() -> frozenset[str]:
    """The configured teachers' e-mails, lower-cased."""
    raw = os.environ.get(TEACHERS_ENV, "")
    listed = [part for part in raw.split(",") if part.strip()]
    table = _secrets().get("class")
    if isinstance(table, Mapping):
        value = table.get("teachers", [])
        listed += [value] if isinstance(value, str) else list(value)
    return frozenset(str(e).strip().lower() for e in listed if str(e).strip())


def is_teacher() -> bool:
    """May this session make lesson links and see the Class page? The local learner of a machine
    without sign-in may; otherwise only a signed-in e-mail listed as a teacher."""
    if not hosted() and not auth_configured():
        return True
    mail = email()
    return mail is not None and mail in teachers()
