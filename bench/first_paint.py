"""How long a learner waits for the first painted Home on a cold server.

    python -m bench.first_paint [--runs 3]

Each run starts a fresh `streamlit run app` process, waits until /_stcore/health answers "ok", then
opens Home in Debian's Chromium (launched beforehand, so its start-up is not counted) and times
until the script has finished its run with Home's heading and section map on screen. Prints each
run and the median. Runs' history goes to a throw-away file, never data/runs.db.
"""
from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(port: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read() == b"ok":
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"no health 'ok' within {timeout:.0f} s")


def home_heading() -> str:
    with (ROOT / "app" / "content" / "en" / "00_home.toml").open("rb") as f:
        return tomllib.load(f)["heading"]


def first_paint(browser, env: dict) -> tuple[float, float]:
    """(server start to health "ok", health "ok" to the painted Home) of one fresh server, in seconds."""
    port = free_port()
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app", "--server.headless", "true", "--server.port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_healthy(port, proc)
        healthy = time.monotonic()
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{port}/")
        page.get_by_role("heading", name=home_heading()).wait_for(timeout=120_000)
        page.locator("[data-testid=stPageLink]").first.wait_for(timeout=120_000)
        page.wait_for_selector(IDLE, timeout=120_000)
        painted = time.monotonic()
        context.close()
        return healthy - started, painted - healthy
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="fresh server starts to time (default 3)")
    args = parser.parse_args()
    executable = shutil.which("chromium")
    if executable is None:
        sys.exit("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    env = {**os.environ, "DLDASH_RUNS_DB": str(Path(tempfile.mkdtemp(prefix="dldash-bench-")) / "runs.db")}
    paints = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        for i in range(args.runs):
            start_s, paint_s = first_paint(browser, env)
            paints.append(paint_s)
            print(f"run {i + 1}: server start to health ok {start_s:5.2f} s, health ok to painted Home {paint_s:5.2f} s")
        browser.close()
    print(f"first paint, median of {len(paints)}: {statistics.median(paints):.2f} s")


if __name__ == "__main__":
    main()
