"""Who the learner is, in Chromium against one hosted server with sign-in configured: a learner who does
not sign in keeps their runs across a refresh (a cookie, not the URL); a signed-in learner's runs and
quiz results follow their account to a new browser, and another account sees none of them.

The server runs from a temporary folder whose .streamlit/secrets.toml points `[auth]` at a local
OpenID provider (oidc-provider-mock, started here); the repo's own .streamlit is not touched.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from e2e_support import ROOT, free_port, stop, wait_idle

pytestmark = pytest.mark.e2e
READY = "[data-testid=stApp][data-test-script-state=notRunning]"


def _wait_http(url: str, what: str, proc: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.time() + timeout
    while True:
        assert proc.poll() is None, f"{what} exited: {log.read_text()[-2000:]}"
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            assert time.time() < deadline, f"{what} did not answer in {timeout} s"
            time.sleep(0.3)


@contextmanager
def _process(args: list[str], cwd: Path, env: dict, log: Path, url: str, what: str):
    with open(log, "w") as out:
        proc = subprocess.Popen(args, cwd=cwd, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            _wait_http(url, what, proc, log)
            yield proc
        finally:
            stop(proc)


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """A hosted app with `[auth]` pointing at a mock OpenID provider; yields its base URL."""
    tmp = tmp_path_factory.mktemp("accounts")
    mock_port, port = free_port(), free_port()
    (tmp / ".streamlit").mkdir()
    shutil.copy(ROOT / ".streamlit" / "config.toml", tmp / ".streamlit" / "config.toml")
    (tmp / ".streamlit" / "secrets.toml").write_text(f"""
[auth]
redirect_uri = "http://localhost:{port}/oauth2callback"
cookie_secret = "a-test-cookie-secret-that-is-long-enough"
client_id = "dldash-test"
client_secret = "dldash-test-secret"
server_metadata_url = "http://127.0.0.1:{mock_port}/.well-known/openid-configuration"
""")
    env = {"DLDASH_HOSTED": "1", "DLDASH_RUNNER": "thread", "DLDASH_RUNS_DB": str(tmp / "runs.db"),
           "DLDASH_MAX_EPOCHS": "3"}
    with _process([sys.executable, "-m", "oidc_provider_mock", "--port", str(mock_port)], tmp, {}, tmp / "oidc.log",
                  f"http://127.0.0.1:{mock_port}/.well-known/openid-configuration", "the OpenID provider"), \
         _process([sys.executable, "-m", "streamlit", "run", str(ROOT / "app"), "--server.headless", "true",
                   "--server.port", str(port)], tmp, env, tmp / "server.log",
                  f"http://127.0.0.1:{port}/_stcore/health", "the app"):
        yield f"http://localhost:{port}"


def _context(browser):
    return browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")


def _open(page, url: str) -> None:
    page.set_default_timeout(90_000)
    page.goto(url)
    wait_idle(page)


def _settled(page) -> None:
    time.sleep(0.5)
    page.wait_for_selector(READY, timeout=90_000)


def _train(page, base: str) -> None:
    """One short run on 5.2 Training (3 epochs, the server's limit), to its end."""
    _open(page, f"{base}/training?tr_epochs=3")
    page.get_by_text("🎛️ Play", exact=True).first.click()
    _settled(page)
    page.locator("[data-testid=stBaseButton-primary]", has_text="Train").first.click()
    page.get_by_text("Finished 3 epochs").first.wait_for(timeout=120_000)
    _settled(page)


def _runs_listed(page, url: str) -> str:
    """The Runs page at `url`, as this learner sees it: "1 of 1 runs", "No runs yet", ..."""
    _open(page, url)
    page.get_by_text("Every training run from every page").first.wait_for()
    if page.get_by_text("No runs yet").count():
        return "No runs yet"
    return page.get_by_text(re.compile(r"^\d+ of \d+ runs$")).first.inner_text()


def _sign_in(page, base: str, subject: str) -> None:
    """Sign in through the mock provider's form, typing `subject` (the mock makes it the e-mail too)."""
    _open(page, base)
    page.get_by_role("button", name="Sign in").click()
    page.locator("input[name=sub]").fill(subject)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{base}/**")
    wait_idle(page)
    page.get_by_text(f"Signed in as {subject}").wait_for()


def _quiz_metric(page, base: str) -> str:
    _open(page, base)
    return page.locator("[data-testid=stMetric]", has_text="Quiz answers right").locator(
        "[data-testid=stMetricValue]").inner_text()


def test_a_learner_without_sign_in_keeps_their_runs_across_a_refresh_but_not_in_a_new_browser(app_url, browser):
    ann = _context(browser).new_page()
    _train(ann, app_url)
    ann.reload()
    wait_idle(ann)
    assert _runs_listed(ann, f"{app_url}/runs") == "1 of 1 runs", "the same browser after a refresh"
    token = {c["name"]: c["value"] for c in ann.context.cookies()}.get("dldash_learner")
    assert token and token not in ann.url, "the browser keeps its id in a cookie, not in the URL"
    copied = ann.url
    stranger = _context(browser).new_page()
    assert _runs_listed(stranger, copied) == "No runs yet", "a copied URL in another browser"
    for page in (ann, stranger):
        assert page.locator("[data-testid=stException]").count() == 0
        page.context.close()


def test_a_signed_in_learner_finds_their_runs_and_quiz_in_a_new_browser_and_nobody_else_does(app_url, browser):
    first = _context(browser).new_page()
    _sign_in(first, app_url, "ann@example.com")
    _train(first, app_url)
    first.get_by_text("🎓 Self-check", exact=True).first.click()
    _settled(first)
    first.get_by_text("To see how the model does on data it never trained on").first.click()
    _settled(first)
    first.get_by_role("button", name="Check").click()
    first.locator("[data-testid=stMetric]", has_text="Your score").first.wait_for()
    assert _quiz_metric(first, app_url) == "1/4"
    first.get_by_role("button", name="Sign out").click()
    first.get_by_role("button", name="End session").click()  # the provider's own sign-out page
    first.wait_for_url(f"{app_url}/**")
    wait_idle(first)
    first.get_by_role("button", name="Sign in").wait_for()
    assert _quiz_metric(first, app_url) == "—", "signed out: this browser's own (empty) progress"
    first.context.close()

    again = _context(browser).new_page()
    _sign_in(again, app_url, "ann@example.com")
    assert _runs_listed(again, f"{app_url}/runs") == "1 of 1 runs"
    assert _quiz_metric(again, app_url) == "1/4"
    again.context.close()

    bob = _context(browser).new_page()
    _sign_in(bob, app_url, "bob@example.com")
    assert _runs_listed(bob, f"{app_url}/runs") == "No runs yet"
    assert _quiz_metric(bob, app_url) == "—"
    assert bob.locator("[data-testid=stException]").count() == 0
    bob.context.close()
