"""Exercises in Chromium with the real Ace editor, EN and RU: a wrong answer gets its targeted feedback,
the fix passes, and the progress survives a browser reload and a server restart on the same database.
Every request that leaves the machine is refused, so the editor is shown to work offline.
"""
from __future__ import annotations

import re
import textwrap
import threading
import time
import urllib.request
from contextlib import contextmanager

import pytest
from e2e_support import free_port, shot, start_server, stop, wait_idle
from playwright.sync_api import expect

from app.i18n import t
from core import exercises
from core.exercises.text import text as exercise_text

pytestmark = pytest.mark.e2e
COSINE = exercises.get("1.1-cosine")
PANEL = ".st-key-px_11_cosine"
WRONG = textwrap.dedent("""\
    import torch

    def cosine_similarity(a, b):
        return (a * b).sum(dim=-1) / (a.norm(dim=-1) * b.norm(dim=-1))
    """)
FIXED = WRONG.replace("a.norm(dim=-1) *", "a.norm(dim=-1).clamp_min(1e-8) *").replace(
    "b.norm(dim=-1))", "b.norm(dim=-1).clamp_min(1e-8))")
ENDLESS = "def cosine_similarity(a, b):\n    while True:\n        pass\n"
# Hostile submissions and the status each must end in, while the server keeps answering.
HOSTILE = {
    "endless_loop": (ENDLESS, "timeout"),
    "fork_bomb": ("import os\ndef cosine_similarity(a, b):\n    while True:\n        os.fork()\n", "forbidden"),
    "print_100_mb": ("def cosine_similarity(a, b):\n    print('x' * 100_000_000)\n", "output"),
    "allocate_50_gb": ("import torch\ndef cosine_similarity(a, b):\n    return torch.empty(50 * 2**30 // 4)\n", "memory"),
    "kill_the_parent": ("import os, signal\ndef cosine_similarity(a, b):\n    os.kill(os.getppid(), signal.SIGKILL)\n",
                        "forbidden"),
}
# The editor theme's CSS @imports a Google font; offline it falls back to the page's monospace font.
ALLOWED_OFFLINE_MISSES = ("https://fonts.googleapis.com/",)


@contextmanager
def app_server(db):
    """`streamlit run app` on a free port with its own run and progress database."""
    proc = start_server(free_port(), env={"DLDASH_RUNS_DB": str(db)})
    port = proc.args[proc.args.index("--server.port") + 1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc, 15)


@contextmanager
def offline_page(browser, lang: str):
    """A fresh browser session that may reach only the local server; yields (page, refused URLs)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ru-RU" if lang == "ru" else "en-US")
    refused: list[str] = []

    def route(request_route):
        url = request_route.request.url
        if re.match(r"https?://(127\.0\.0\.1|localhost)[:/]", url):
            request_route.continue_()
        else:
            refused.append(url)
            request_route.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.set_default_timeout(90_000)
    try:
        yield page, refused
    finally:
        context.close()


def open_exercises(page, url: str, lang: str):
    page.goto(f"{url}/linear_algebra?lang={lang}")
    wait_idle(page)
    page.get_by_role("tab", name=t("tabs.practice", lang=lang)).click()
    editor = page.frame_locator(f"{PANEL} iframe").locator(".ace_content")
    editor.wait_for(timeout=60_000)
    return editor


def type_code(page, code: str) -> None:
    """Replace the cosine editor's text, as a learner pasting their code would."""
    page.frame_locator(f"{PANEL} iframe").locator(".ace_content").click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(code)


def check(page, expect: str) -> str:
    """Press Check (the editor hands its text over as it loses focus); wait for feedback with `expect`."""
    page.locator(".st-key-px_check_11_cosine button").click()
    return feedback_with(page, expect)


def feedback_with(page, expect: str) -> str:
    box = page.locator(f"{PANEL} [data-testid=stAlert]").filter(has_text=expect)
    box.wait_for(timeout=120_000)
    return box.inner_text()


def home_line(page, url: str, lang: str) -> str:
    """Home's progress line under 1.1 (the caption after its link on the map)."""
    page.goto(f"{url}/?lang={lang}")
    # Home's last heading is drawn after the map; until then `.last` below could be the "continue where
    # you left off" link above the map, whose next caption is the map's legend (a CI failure)
    page.get_by_role("heading", name=t("00_home.how_title", lang=lang)).wait_for()
    wait_idle(page)
    # the last link to 1.1 is the map's; "continue where you left off" may link there too, above it
    link = page.locator("[data-testid=stPageLink-NavLink]").filter(has_text=t("11_linear_algebra.title", lang=lang)).last
    return link.locator("xpath=following::*[@data-testid='stCaptionContainer'][1]").inner_text()


def shown_part(markdown: str) -> str:
    """The start of a Markdown message, up to its first formatting mark: what the page shows verbatim."""
    return re.split(r"[`*_]", markdown)[0].strip()


def editor_text(page) -> str:
    return page.frame_locator(f"{PANEL} iframe").locator(".ace_text-layer").inner_text()


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_a_wrong_answer_then_the_fix_and_the_progress_survives_reload_and_restart(browser, tmp_path, lang):
    db = tmp_path / "runs.db"
    passed_badge = t("practice.passed", lang=lang)
    exercises_line = t("00_home.exercises_badge", lang=lang, passed=1, total=len(exercises.for_section("11_linear_algebra")))
    with app_server(db) as url, offline_page(browser, lang) as (page, refused):
        open_exercises(page, url, lang)
        type_code(page, WRONG)
        feedback = check(page, shown_part(exercise_text("ex.11_cosine.mistake.no_eps", lang)))
        assert exercise_text("case.zero_vector", lang) in feedback, "the failed check is named"
        assert passed_badge not in page.locator(f"{PANEL} h4").inner_text()

        type_code(page, FIXED)
        feedback = check(page, "✓")
        assert "F.cosine_similarity" in feedback and re.search(r"\d\.\d+e-0\d|: 0\b", feedback), "max |difference|"
        assert passed_badge in page.locator(f"{PANEL} h4").inner_text()
        shot(page, f"practice-passed-{lang}")
        assert exercises_line in home_line(page, url, lang)

        page.reload()
        wait_idle(page)
        assert exercises_line in home_line(page, url, lang), "a reload keeps the progress"
        assert all(u.startswith(ALLOWED_OFFLINE_MISSES) for u in refused), refused

    with app_server(db) as url, offline_page(browser, lang) as (page, _):  # a restarted server, a new session
        line = home_line(page, url, lang)
        assert exercises_line in line and t("00_home.visited_badge", lang=lang) in line
        continue_link = t("00_home.continue", lang=lang, title=t("11_linear_algebra.title", lang=lang))
        links = page.locator("[data-testid=stPageLink-NavLink]")
        try:
            expect(links.filter(has_text=continue_link)).to_have_count(1, timeout=30_000)
        except AssertionError as exc:
            raise AssertionError(f"no {continue_link!r} link; Home links to {links.all_inner_texts()[:3]}") from exc
        open_exercises(page, url, lang)
        assert passed_badge in page.locator(f"{PANEL} h4").inner_text()
        assert "clamp_min(1e-8)" in editor_text(page), "the learner's last code is back in the editor"
        shot(page, f"practice-restored-{lang}")


@pytest.mark.parametrize("hostile", list(HOSTILE))
def test_the_server_keeps_answering_during_a_hostile_submission(browser, tmp_path, hostile):
    code, status = HOSTILE[hostile]
    polls: list[str] = []
    stop = threading.Event()
    with app_server(tmp_path / "runs.db") as url, offline_page(browser, "en") as (page, _):
        open_exercises(page, url, "en")
        type_code(page, code)

        def poll():
            while not stop.is_set():
                try:
                    polls.append(urllib.request.urlopen(f"{url}/_stcore/health", timeout=5).read().decode())
                except OSError as exc:
                    polls.append(f"error: {exc}")
                time.sleep(0.2)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        try:
            page.locator(".st-key-px_check_11_cosine button").click()
            feedback = feedback_with(page, exercise_text(f"status.{status}", "en").split("{")[0].strip())
            time.sleep(1.5)  # and it still answers once the sandbox has cleaned up
        finally:
            stop.set()
            poller.join(10)
        assert "✗" in feedback
        assert len(polls) >= 3 and set(polls) == {"ok"}, polls

