"""Browser-test support: the real server, Debian Chromium (missing Chromium fails, never skips),
waiting for a run to finish, screenshots. tests/conftest.py registers this module as a plugin, so
its fixtures exist once per session (a second conftest.py would shadow the one the page tests
import helpers from)."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SHOTS = Path(os.environ.get("SCREENSHOT_DIR", ROOT / "artifacts" / "screenshots"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HealthPoll:
    """Asks `/_stcore/health` every `every` s in a thread while the `with` block runs. `latencies`
    keeps each answer's seconds with the `phase` the test was in; `failures` every answer that was
    not "ok" (a 5 s read timeout counts)."""

    def __init__(self, port: int, every: float = 0.2) -> None:
        self.port, self.every = port, every
        self.phase = ""
        self.latencies: list[tuple[float, str]] = []
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self._stop.is_set():
            start = time.perf_counter()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/_stcore/health", timeout=5) as answer:
                    body = answer.read().decode()
                self.latencies.append((time.perf_counter() - start, self.phase))
                if body != "ok":
                    self.failures.append(body)
            except OSError as exc:
                self.failures.append(f"{self.phase}: {exc}")
            time.sleep(self.every)

    def __enter__(self) -> HealthPoll:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(10)

    def summary(self) -> str:
        """Count, median, p95 and max in ms, and the slowest answers with their phase."""
        seconds = sorted(s for s, _ in self.latencies)
        if not seconds:
            return "no health checks answered"
        p95 = seconds[int(0.95 * (len(seconds) - 1))]
        slowest = ", ".join(f"{s * 1000:.0f} ms ({what})" for s, what in sorted(self.latencies, reverse=True)[:4])
        return (f"{len(seconds)} checks, median {seconds[len(seconds) // 2] * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
                f"max {seconds[-1] * 1000:.0f} ms; slowest: {slowest}")


def start_server(port: int, env: dict | None = None) -> subprocess.Popen:
    """`streamlit run app` on `port`; returns once /_stcore/health answers ok."""
    log = open(ROOT / "artifacts" / f"server-{port}.log", "w") if (ROOT / "artifacts").is_dir() else subprocess.DEVNULL
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app", "--server.headless", "true", "--server.port", str(port)],
        cwd=ROOT, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read() == b"ok":
                return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("the app did not answer /_stcore/health within 90 s")


def stop(proc: subprocess.Popen, grace: float = 10) -> None:
    """Ask `proc` to exit, and kill it if it is still running after `grace` s."""
    proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"
BUSY = "[data-testid=stApp]:not([data-test-script-state=notRunning])"


def wait_idle(page, timeout: float = 120_000) -> None:
    """Wait until the script has finished its run.

    A freshly loaded page says "notRunning" before its first run starts, so first wait for the run to
    have drawn something in the main area: its state is "running" from before its first element."""
    page.locator("[data-testid=stMain] [data-testid=stElementContainer]").first.wait_for(timeout=timeout)
    page.wait_for_selector(IDLE, timeout=timeout)


def wait_rerun(page, timeout: float = 120_000, start_within: float = 3_000) -> None:
    """After an action that reruns the script: wait for that rerun to start (a very quick one may be
    over before we look, hence the short `start_within`), then for it to finish."""
    try:
        page.wait_for_selector(BUSY, timeout=start_within)
    except Exception:  # playwright's TimeoutError: the rerun was already over, or never came
        pass
    wait_idle(page, timeout)


def shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture(scope="session")
def server():
    (ROOT / "artifacts").mkdir(exist_ok=True)
    port = free_port()
    proc = start_server(port)
    yield f"http://127.0.0.1:{port}"
    stop(proc)


@pytest.fixture(scope="session")
def browser():
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is not installed (apt-get install chromium); the e2e tests must run")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    pg = context.new_page()
    yield pg
    context.close()


