"""Who is using the app: the one place that decides whose runs, progress and rights a session has.

- Locally (not hosted, no sign-in configured) there is one learner, "local", who owns every run
  on the machine and may make lesson links and open the Class page.
- In hosted mode each browser is a learner: a random token in a cookie, so a refresh keeps its runs
  and progress, while a copied URL opened elsewhere does not carry it. Without cookies it is the
  browser session. With `[auth]` in secrets a signed-in learner is their account ("user:" + the
  OpenID subject), whichever browser they use.
- Teachers are the signed-in e-mails listed under `[class] teachers` in secrets (or in
  `DLDASH_TEACHERS`, comma-separated).
"""
from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping

import streamlit as st

from core import limits

LOCAL_LEARNER = "local"
TEACHERS_ENV = "DLDASH_TEACHERS"
ACCOUNT_PREFIX = "user:"
BROWSER_COOKIE = "dldash_learner"
BROWSER_KEY = "_run_session"  # this session's browser id (the name runs and tests have always used)
UNSAVED_KEY = "_browser_id_unsaved"  # the id was made in this session: the browser has no cookie yet
COOKIE_MAX_AGE_S = 365 * 24 * 3600
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,86}")  # secrets.token_urlsafe(24..64): no ":", so never an account id


def secrets_table() -> dict:
    """The app's secrets (`.streamlit/secrets.toml`) as a dict; empty without a secrets file."""
    try:
        return dict(st.secrets)
    except Exception:  # no secrets file: the normal local case
        return {}


def hosted() -> bool:
    return limits.current().hosted


def auth_configured() -> bool:
    """`[auth]` in secrets: `st.login` can sign learners in."""
    return isinstance(secrets_table().get("auth"), Mapping)


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
    table = secrets_table().get("class")
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


def valid_token(value) -> bool:
    """A browser id as `secrets.token_urlsafe` makes them; anything else in the cookie is ignored."""
    return isinstance(value, str) and _TOKEN.fullmatch(value) is not None


def account_id() -> str | None:
    """The signed-in learner's stable id: "user:" + the OpenID subject (else the e-mail), or None."""
    if not auth_configured():
        return None
    try:
        user = st.user
        if not user.is_logged_in:
            return None
        subject = user.get("sub") or user.get("email")
    except Exception:  # outside a script run
        return None
    return f"{ACCOUNT_PREFIX}{subject}" if subject else None


def _cookie_token() -> str | None:
    try:
        value = st.context.cookies.get(BROWSER_COOKIE)
    except Exception:  # no browser request behind this session (AppTest, a bare script)
        return None
    return value if valid_token(value) else None


def browser_id() -> str:
    """This browser's id: the token in its cookie, else a new one, kept for this session and
    saved to the cookie by `remember_browser`."""
    state = st.session_state
    if BROWSER_KEY not in state:
        token = _cookie_token()
        state[UNSAVED_KEY] = token is None
        state[BROWSER_KEY] = token or secrets.token_urlsafe(24)
    return state[BROWSER_KEY]


def learner_id() -> str:
    """Whose runs and progress these are: the account when signed in, else this browser in hosted
    mode, else the one local learner."""
    return account_id() or (browser_id() if hosted() else LOCAL_LEARNER)


def run_scope() -> str | None:
    """Whose runs this session may see and delete: every run for the local learner, else its own."""
    learner = learner_id()
    return None if learner == LOCAL_LEARNER else learner


def cookie_script(token: str) -> str:
    """The script that stores `token` in the browser (first-party, never in the URL; Secure over https)."""
    if not valid_token(token):
        raise ValueError("not a browser id")
    flags = f"; path=/; max-age={COOKIE_MAX_AGE_S}; SameSite=Lax"
    return (f'<script>document.cookie = "{BROWSER_COOKIE}={token}{flags}"'
            ' + (location.protocol === "https:" ? "; Secure" : "");</script>')


def remember_browser() -> None:
    """In hosted mode, save a browser id made in this session to the browser's cookie, so a refresh
    is the same learner. Read back at the next session's start (`st.context.cookies`)."""
    if not hosted() or account_id() is not None:
        return
    token = browser_id()
    if st.session_state.get(UNSAVED_KEY):
        st.html(cookie_script(token), unsafe_allow_javascript=True)
