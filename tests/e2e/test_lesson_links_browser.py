"""A lesson link in Chromium: a learner's browser opens it with the locked slider disabled at the
lesson's value, even with the link's own value for that slider edited. (The teacher's link maker,
forged links, state edits and forged widget messages: tests/pages/test_lessons_page.py.)"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from e2e_support import wait_idle

from core.lessons import Lesson, sign

pytestmark = pytest.mark.e2e


def server_secret() -> bytes:
    """The secret the test server signs with: its `lesson_secret` file next to the run database
    (tests/conftest.py points DLDASH_RUNS_DB at a throw-away folder); made here if the server has not yet."""
    path = Path(os.environ["DLDASH_RUNS_DB"]).parent / "lesson_secret"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip().encode()
    with os.fdopen(fd, "w") as f:
        f.write("e2e lesson secret")
    return b"e2e lesson secret"


def slider(page, label: str):
    return page.locator("[data-testid=stSlider]", has_text=label).first.locator("[data-testid=stSliderThumbValue]").first


def test_a_lesson_link_locks_the_slider_in_a_learners_browser(page, server):
    token = sign(Lesson("11_linear_algebra", {"la_in": "7", "la_out": "5"}, frozenset({"la_in"}), "Shapes"), server_secret())
    page.goto(f"{server}/linear_algebra?lesson={token}&la_in=300")  # the learner edits the link's own value
    wait_idle(page)
    assert page.get_by_text("Lesson: Shapes").count()
    page.get_by_role("tab", name=re.compile("Play")).first.click()
    page.get_by_text("Locked by your teacher for this lesson").first.wait_for(timeout=30_000)
    thumb = slider(page, "Input features")
    assert thumb.inner_text() == "7" and thumb.get_attribute("disabled") is not None
    assert "shape (4, 7)" in page.locator("[data-testid=stMain]").inner_text()
    assert slider(page, "Output features").inner_text() == "5"
    assert slider(page, "Output features").get_attribute("disabled") is None, "only the locked setting is disabled"
