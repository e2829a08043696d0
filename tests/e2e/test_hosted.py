"""The real server in Debian Chromium: a copied URL reproduces a page; hosted mode under 4 sessions.

Needs `chromium` on PATH (the tests fail, not skip, without it). Servers take free ports.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
from e2e_support import HealthPoll, free_port, stop  # noqa: E402

READY = "[data-testid=stApp][data-test-script-state=notRunning]"
STREAMLIT = str(Path(sys.executable).with_name("streamlit"))


def _health(port: int, timeout: float = 5.0) -> tuple[str, float]:
    t0 = time.perf_counter()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=timeout) as r:
        body = r.read().decode()
    return body, time.perf_counter() - t0


@contextmanager
def server(port: int, tmp_path: Path, **env):
    """`streamlit run app` on `port` with `env`; waits for /_stcore/health, always killed at the end."""
    full_env = {**os.environ, "DLDASH_RUNS_DB": str(tmp_path / "runs.db"), **env}
    log = open(tmp_path / f"server-{port}.log", "w")
    proc = subprocess.Popen([STREAMLIT, "run", "app", "--server.headless", "true", "--server.port", str(port),
                             "--browser.gatherUsageStats", "false"], cwd=ROOT, env=full_env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.time() + 90
        while True:
            assert proc.poll() is None, f"server exited: {(tmp_path / f'server-{port}.log').read_text()[-2000:]}"
            try:
                if _health(port, 2)[0] == "ok":
                    break
            except OSError:
                pass
            assert time.time() < deadline, "server did not become healthy in 90 s"
            time.sleep(0.5)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)
        log.close()


def _open(browser, url: str, play: bool = True):
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.set_default_timeout(90_000)  # a shared 2-core machine under load can be slow to paint
    page.goto(url)
    page.wait_for_selector(READY, timeout=90_000)
    if play:  # the guide pages open on the Idea tab
        page.get_by_text("🎛️ Play", exact=True).first.click()
        _settled(page)
    return page


def _wait(predicate, timeout: float = 30, what: str = "condition"):
    deadline = time.time() + timeout
    while not predicate():
        assert time.time() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _expect(read, expected: str, page, timeout: float = 30) -> None:
    """`read()` reaches `expected` within `timeout` s; the failure names the last value and the URL."""
    deadline = time.time() + timeout
    while (value := read()) != expected:
        assert time.time() < deadline, f"still {value!r}, not {expected!r}, after {timeout} s (url {page.url})"
        time.sleep(0.2)


def _slider_value(page, label: str) -> str:
    box = page.locator("[data-testid=stSlider]", has_text=label).first
    return box.locator("[data-testid=stSliderThumbValue]").first.inner_text()


def _to_runs(page) -> None:
    """Follow the sidebar link (keeps the session: a reload is a new session, the same learner by its cookie)."""
    more = page.locator("[data-testid=stSidebarNavViewButton]")
    if more.count() and "more" in more.first.inner_text().lower():  # the nav is collapsed: "View 11 more"
        more.first.click()
    page.locator("[data-testid=stSidebarNav] a", has_text="Runs").first.click()
    page.get_by_text("Every training run from every page").first.wait_for(timeout=120_000)
    _settled(page)


def _settled(page) -> None:
    time.sleep(0.5)
    page.wait_for_selector(READY, timeout=60_000)


@pytest.mark.e2e
def test_a_copied_url_reproduces_the_widgets_and_seed_in_a_new_browser_session(tmp_path, browser):
    with server(free_port(), tmp_path) as base:
        first = _open(browser, f"{base}/training?tr_epochs=7&tr_lr=0.01")
        first.get_by_label("Seed", exact=True).fill("42")
        first.keyboard.press("Enter")
        _settled(first)
        first.get_by_label("Hidden layer widths", exact=True).fill("32, 16")
        first.keyboard.press("Enter")
        _settled(first)
        _wait(lambda: "seed=42" in first.url and "tr_hidden=" in first.url, what=f"the URL to update ({first.url})")
        copied = first.url
        assert "tr_epochs=7" in copied and "tr_lr=0.01" in copied

        second = _open(browser, copied)  # a new context: no shared cookies or session state
        # A widget whose value comes from session state is first painted with its default and set a
        # moment later (Streamlit applies `setValue` in an effect), so wait for the value to arrive.
        _expect(lambda: second.get_by_label("Seed", exact=True).input_value(), "42", second)
        _expect(lambda: second.get_by_label("Hidden layer widths", exact=True).input_value(), "32, 16", second)
        _expect(lambda: _slider_value(second, "Epochs"), "7", second)
        _expect(lambda: _slider_value(second, "Learning rate"), "0.01", second)
        assert "seed=42" in second.url, f"the second session rewrote the URL: {second.url}"
        assert second.locator("[data-testid=stException]").count() == 0

        broken = _open(browser, f"{base}/training?tr_epochs=abc&seed=1e999&tr_lr=%ZZ&tr_hidden=,,,")
        _wait(lambda: broken.get_by_text("invalid value").count() >= 2, what="a notice for each malformed value")
        _expect(lambda: _slider_value(broken, "Epochs"), "30", broken)
        assert broken.locator("[data-testid=stException]").count() == 0


@pytest.mark.e2e
def test_hosted_mode_four_sessions_two_slots(tmp_path, browser):
    env = {"DLDASH_HOSTED": "1", "DLDASH_RUNNER": "process", "DLDASH_MAX_JOBS": "2",
           "DLDASH_MAX_EPOCHS": "150", "DLDASH_MAX_PARAMS": "50000",
           "DLDASH_SESSIONS": "4"}
    port = free_port()
    with server(port, tmp_path, **env) as base:
        with HealthPoll(port) as health:
            health.phase = "open 4 sessions"
            # the URL asks for 200 epochs (150 allowed); batch size 8 keeps each run busy for a minute
            pages = [_open(browser, f"{base}/training?tr_epochs=200&tr_bs=8") for _ in range(4)]
            for page in pages:
                assert page.get_by_text("Hosted demo limits").count() >= 1
            health.phase = "4 × Train"
            for page in pages:
                page.locator("[data-testid=stBaseButton-primary]", has_text="Train").first.click()

            def outcome(page) -> str | None:
                if page.get_by_text("In the queue:").count():
                    return "queued"
                if page.get_by_text("/150 · about").count() or page.get_by_text("Finished 150 epochs").count():
                    return "running"
                return None

            _wait(lambda: all(outcome(p) for p in pages), timeout=90, what="every session to run or wait in the queue")
            outcomes = [outcome(p) for p in pages]
            assert sorted(outcomes) == ["queued", "queued", "running", "running"], outcomes
            running = [p for p, o in zip(pages, outcomes) if o == "running"]
            waiting = [p for p in pages if p not in running]
            for page in running:
                assert page.get_by_text("so 200 epochs became 150").count() == 1, "the URL cannot exceed the epoch limit"
            places = sorted(next(n for n in (1, 2) if p.get_by_text(f"In the queue: {n} of 2").count()) for p in waiting)
            assert places == [1, 2], "two learners wait, in places 1 and 2"
            for page in waiting:
                assert page.get_by_text("2 of 2 runs are training and 2 are waiting").count() == 1

            health.phase = "the first in the queue leaves it"
            first = next(p for p in waiting if p.get_by_text("In the queue: 1 of 2").count())
            first.get_by_role("button", name="Leave the queue").click()
            _wait(lambda: first.get_by_text("You left the queue").count() > 0, what="the cancelled message")
            last = next(p for p in waiting if p is not first)
            _wait(lambda: last.get_by_text("In the queue: 1 of 1").count() > 0, what="the last learner to move up")

            health.phase = "a 5th session asks for a too-large model"
            big = _open(browser, f"{base}/training?tr_hidden=1024,1024")
            big.locator("[data-testid=stBaseButton-primary]", has_text="Train").first.click()
            _wait(lambda: big.get_by_text("the demo server allows at most 50,000").count() > 0, what="the refusal")

            # each session sees only its own runs
            health.phase = "Runs pages"
            _to_runs(running[0])
            assert running[0].get_by_text("only the runs started in this browser").count() == 1
            assert running[0].get_by_text("1 of 1 runs").count() == 1
            idle = first  # left the queue before training: nothing was saved
            _to_runs(idle)
            assert idle.get_by_text("No runs yet").count() == 1
            for page in pages + [big]:
                shown = page.locator("[data-testid=stException]")
                assert shown.count() == 0, f"{page.url}: {shown.first.inner_text()[:2000]}"
        # Every poll was answered "ok" (a 5 s read timeout counts as a failure). How fast is a figure for
        # bench/, not an assertion: a timed assertion fails on a busy machine, not on a broken app.
        assert not health.failures, health.failures[:3]
        assert len(health.latencies) > 10, f"only {len(health.latencies)} health checks ran"
        print(f"health checks: {health.summary()}")
