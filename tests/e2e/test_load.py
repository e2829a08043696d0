"""Load: a class of 12 learners presses Train on a hosted server with the process pool.

Hosted mode, DLDASH_RUNNER=process, 2 runs at a time. Learners 1 and 2 train a CNN for 200 epochs;
learners 3-12 press Train while those train, each for a 3-epoch CNN, so the queue grows one by one
and each must see its exact place. Learner 12 then leaves the queue, and learners 1 and 2 press
Stop, so the queue drains. Checked:
- every run finishes, or was stopped or cancelled by its own learner;
- each learner's first place in the queue is exact (k-2 of k-2), and a place never goes up;
- each learner's Runs page lists their run and no other;
- /_stcore/health answers "ok" throughout. Its latency (p50, p95, max) is printed, not asserted:
  a timed assertion fails on a busy machine, not on a broken app.
"""
from __future__ import annotations

import re
import sqlite3
import time

import pytest
from e2e_support import HealthPoll, free_port
from test_hosted import _open, _to_runs, _wait, server

LEARNERS = 12
PLACE = re.compile(r"In the queue: (\d+) of (\d+)")


def _place(page) -> tuple[int, int] | None:
    """The place the page shows now, or None (reads without waiting: a rerun may remove the text)."""
    for text in page.get_by_text(PLACE).all_inner_texts():
        if match := PLACE.search(text):
            return int(match.group(1)), int(match.group(2))
    return None


def _state(page) -> str | None:
    if page.get_by_text(re.compile(r"Finished \d+ epochs in")).count():
        return "finished"
    if page.get_by_text(re.compile(r"Stopped\. The \d+ finished epochs are kept")).count():
        return "stopped"
    if page.get_by_text(re.compile("You left the queue")).count():
        return "cancelled"
    if page.get_by_text(PLACE).count():
        return "queued"
    if page.get_by_text(re.compile(r"Epoch \d+/\d+ · about")).count() or page.get_by_text(re.compile("Starting on a free worker")).count():
        return "running"
    return None


def _read(read, what: str, timeout: float = 60):
    """The first value `read()` gives that is not None (a page mid-rerun shows nothing for a moment)."""
    deadline = time.time() + timeout
    while (value := read()) is None:
        assert time.time() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
    return value


@pytest.mark.e2e
def test_twelve_learners_press_train_on_the_process_pool(tmp_path, browser):
    env = {"DLDASH_HOSTED": "1", "DLDASH_RUNNER": "process", "DLDASH_MAX_JOBS": "2", "DLDASH_SESSIONS": "12",
           "DLDASH_MAX_EPOCHS": "200"}
    port = free_port()
    with server(port, tmp_path, **env) as base:
        pages = [_open(browser, f"{base}/training?tr_model=cnn&tr_epochs={200 if i < 2 else 3}")
                 for i in range(LEARNERS)]
        places: dict[int, list[tuple[int, int]]] = {i: [] for i in range(LEARNERS)}
        with HealthPoll(port, every=0.1) as health:
            health.phase = "12 learners press Train"
            for i, page in enumerate(pages):
                page.locator("[data-testid=stBaseButton-primary]", has_text="Train").first.click()
                if i < 2:
                    _wait(lambda: _state(page) == "running", timeout=60, what=f"learner {i + 1}'s run to start")
                else:
                    places[i].append(_read(lambda: _place(page), what=f"learner {i + 1}'s place"))
                    assert places[i][0] == (i - 1, i - 1), f"learner {i + 1} was shown {places[i][0]}, not {(i - 1, i - 1)}"
            for page in pages[:2]:  # the long runs outlast the presses
                assert _read(lambda: _state(page), what="a long run's state") == "running"

            last = pages[-1]
            last.get_by_role("button", name="Leave the queue").click()
            _wait(lambda: _state(last) == "cancelled", what="learner 12 to leave the queue")
            for page in pages[:2]:
                page.get_by_role("button", name="Stop").click()

            health.phase = "the queue drains"
            deadline = time.time() + 300
            while not all(_state(p) in ("finished", "stopped", "cancelled") for p in pages):
                assert time.time() < deadline, f"runs still going: {[_state(p) for p in pages]}"
                for i, page in enumerate(pages[2:-1], start=2):
                    place = _place(page)
                    if place is not None:
                        places[i].append(place)
                time.sleep(0.3)

        for i, seen in places.items():
            firsts = [p for p, _ in seen]
            assert firsts == sorted(firsts, reverse=True), f"learner {i + 1}'s place went up: {firsts}"

        with sqlite3.connect(tmp_path / "runs.db") as db:
            rows = db.execute("SELECT session, status, created_at, epochs_done FROM runs ORDER BY created_at").fetchall()
        assert sorted(r[1] for r in rows) == ["finished"] * (LEARNERS - 3) + ["stopped"] * 2, rows
        assert len({r[0] for r in rows}) == LEARNERS - 1, "one run per learner, each in its own session"

        for page in pages:
            _to_runs(page)
        for i, page in enumerate(pages[:-1]):
            assert page.get_by_text("1 of 1 runs").count() == 1, f"learner {i + 1} sees other runs, or none"
        assert pages[-1].get_by_text("No runs yet").count() == 1, "the learner who left saved nothing"
        for page in pages:
            assert page.locator("[data-testid=stException]").count() == 0

    assert not health.failures, health.failures[:3]
    print(f"\nhealth during the load: {health.summary()}")
