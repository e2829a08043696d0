"""Who the learner is (app/identity.py): the local learner, a hosted browser's cookie token, an
account, and the teachers list. A stand-in `st` gives each rule the cookies, user and secrets it needs."""
from __future__ import annotations

import secrets
from types import SimpleNamespace

import pytest

from app import identity
from core import limits


class User(dict):
    def __init__(self, logged_in: bool, **claims):
        super().__init__(claims)
        self.is_logged_in = logged_in


@pytest.fixture
def fake_st(monkeypatch):
    """Point app.identity at a stand-in Streamlit: no auth, no cookies, empty session state."""
    fake = SimpleNamespace(session_state={}, secrets={}, user=User(False), html_calls=[],
                           context=SimpleNamespace(cookies={}))
    fake.html = lambda body, **kwargs: fake.html_calls.append((body, kwargs))
    monkeypatch.setattr(identity, "st", fake)
    monkeypatch.delenv(identity.TEACHERS_ENV, raising=False)
    yield fake
    limits.configure(None)


def hosted():
    limits.configure(limits.Limits(hosted=True))


AUTH = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "s", "client_id": "c",
                 "client_secret": "x", "server_metadata_url": "http://localhost:1/.well-known/openid-configuration"}}


def test_a_local_learner_is_one_learner_who_sees_every_run(fake_st):
    limits.configure(limits.Limits(hosted=False))
    assert identity.learner_id() == identity.LOCAL_LEARNER
    assert identity.run_scope() is None
    identity.remember_browser()
    assert fake_st.html_calls == [] and fake_st.session_state == {}


def test_a_hosted_browser_keeps_the_token_in_its_cookie(fake_st):
    hosted()
    token = secrets.token_urlsafe(24)
    fake_st.context.cookies = {identity.BROWSER_COOKIE: token}
    assert identity.learner_id() == token == identity.run_scope()
    identity.remember_browser()
    assert fake_st.html_calls == [], "a browser that has its cookie is not written to again"


@pytest.mark.parametrize("bad", ["user:ann@example.com", "short", "a" * 32 + ";path=/", 'x" onload="alert(1)' + "a" * 32,
                                 "a" * 87, "local", ""])
def test_a_bad_cookie_is_ignored_and_a_new_token_saved(fake_st, bad):
    hosted()
    fake_st.context.cookies = {identity.BROWSER_COOKIE: bad}
    learner = identity.learner_id()
    assert learner != bad and identity.valid_token(learner)
    assert identity.learner_id() == learner, "the same id for the rest of the session"
    identity.remember_browser()
    [(body, kwargs)] = fake_st.html_calls
    assert kwargs == {"unsafe_allow_javascript": True}
    assert f'"{identity.BROWSER_COOKIE}={learner}; path=/; max-age=' in body and "SameSite=Lax" in body


def test_new_tokens_differ_between_browsers(fake_st):
    hosted()
    first = identity.browser_id()
    fake_st.session_state.clear()
    assert identity.browser_id() != first


def test_the_cookie_script_takes_only_a_token():
    with pytest.raises(ValueError):
        identity.cookie_script('abc"; document.location="http://evil.example')


def test_a_signed_in_learner_is_their_account_in_every_browser(fake_st):
    hosted()
    fake_st.secrets = AUTH
    fake_st.context.cookies = {identity.BROWSER_COOKIE: secrets.token_urlsafe(24)}
    fake_st.user = User(True, sub="ann-sub", email="Ann@Example.com")
    assert identity.learner_id() == "user:ann-sub" == identity.run_scope()
    assert identity.email() == "ann@example.com"
    identity.remember_browser()
    assert fake_st.html_calls == []
    fake_st.user = User(True, email="bob@example.com")
    assert identity.learner_id() == "user:bob@example.com", "no subject: the e-mail"


def test_sign_in_counts_only_when_auth_is_configured(fake_st):
    limits.configure(limits.Limits(hosted=False))
    fake_st.user = User(True, sub="ann-sub")
    assert identity.account_id() is None and identity.learner_id() == identity.LOCAL_LEARNER
    fake_st.secrets = AUTH
    assert identity.learner_id() == "user:ann-sub"
    assert identity.run_scope() == "user:ann-sub", "signed in on a local server: only their own runs"


def test_teachers_come_from_secrets_and_the_environment(fake_st, monkeypatch):
    monkeypatch.setenv(identity.TEACHERS_ENV, " Tess@School.org, ,x@y.z ")
    fake_st.secrets = {**AUTH, "class": {"teachers": ["Ann@Example.com", " "]}}
    assert identity.teachers() == {"tess@school.org", "x@y.z", "ann@example.com"}
    fake_st.secrets = {**AUTH, "class": {"teachers": "solo@example.com"}}
    assert "solo@example.com" in identity.teachers()
    hosted()
    fake_st.user = User(True, sub="s", email="SOLO@example.com")
    assert identity.is_teacher()
    fake_st.user = User(True, sub="t", email="learner@example.com")
    assert not identity.is_teacher()
    fake_st.user = User(False)
    assert not identity.is_teacher()


def test_the_sidebar_offers_sign_in_only_with_auth(lang):
    from streamlit.testing.v1 import AppTest

    def sidebar():
        from app.sidebar import render_sidebar

        render_sidebar()

    at = AppTest.from_function(sidebar)
    at.session_state["lang"] = lang
    at.run()
    assert not at.exception and not [b for b in at.button if b.key == "sign_in"]
    at = AppTest.from_function(sidebar)
    at.session_state["lang"] = lang
    at.secrets["auth"] = AUTH["auth"]
    at.run()
    assert not at.exception
    [button] = [b for b in at.button if b.key == "sign_in"]
    from app.i18n import t

    assert button.label == t("sidebar.sign_in", lang=lang)
