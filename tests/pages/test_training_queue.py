"""The training panel in front of the queue: the learner sees their place, can leave the queue,
and in hosted mode has one run at a time, in EN and RU."""
from __future__ import annotations

import re

import pytest
from conftest import open_page, texts, wait_for_jobs

from app.i18n import t
from core import limits as hosted
from core import runner as runners
from core.jobs import JobSlots, Status
from core.recipes import DIGITS_MLP, make_job
from core.runner import Runner, ThreadBackend


@pytest.fixture
def one_slot():
    """A runner with one slot, which the test holds: every run waits in the queue."""
    slots = JobSlots(1)
    runner = Runner(ThreadBackend(), capacity=1, slots=slots)
    runners._current = runner
    assert slots.try_acquire()
    yield runner, slots
    runners._current = None
    runner.shutdown()


def test_a_queued_run_shows_its_place_and_the_learner_can_leave_the_queue(lang, one_slot):
    runner, slots = one_slot
    at = open_page("52_training", lang)
    at.slider(key="tr_epochs").set_value(3).run()
    at.button(key="train_training").click().run()
    job = at.session_state["_jobs"]["training"]
    assert job.status == Status.QUEUED and runner.position(job) == 1
    shown = texts(at)
    assert t("train.queued_unknown", lang=lang, position=1, total=1) in shown, shown[-800:]
    assert at.button(key="train_training").disabled, "Train waits for the queued run"
    at.button(key=f"cancel_{'training'}").click().run()
    assert job.status == Status.CANCELLED and runner.queued == 0
    at.run()
    assert t("train.cancelled", lang=lang) in texts(at)
    assert not at.button(key="train_training").disabled, "Train is back once the learner left"
    at.button(key="train_training").click().run()  # and a new run starts when the slot frees
    again = at.session_state["_jobs"]["training"]
    assert again is not job and again.status == Status.QUEUED
    slots.release()
    at = wait_for_jobs(at)
    assert again.status == Status.FINISHED and len(again.records) == 3


class Held:
    """A backend that starts runs and never ends them: the run ahead trains for as long as the test likes."""

    name = "held"

    def launch(self, job, done):
        job.begin(0)

    def shutdown(self): ...


def test_the_wait_is_estimated_from_the_runs_ahead():
    runner = Runner(Held(), capacity=1, slots=JobSlots(1))
    runners._current = runner
    try:
        ahead, queued = make_job(DIGITS_MLP), make_job(DIGITS_MLP)
        ahead.expected_seconds, queued.expected_seconds = 42.0, 30.0
        runner.submit(ahead)  # trains: no epoch yet, so its estimate counts
        runner.submit(queued)  # waits in place 1
        at = open_page("52_training", "en")
        before = ahead.elapsed
        at.button(key="train_training").click().run()
        after = ahead.elapsed
        shown = texts(at)
        found = re.search(r"In the queue: 2 of 2\. About (\d+) s until it starts\.", shown)
        # what is left of the run ahead's 42 s (it has been training meanwhile), then the 30 s queued before ours
        assert found and 42 - after + 30 - 1 <= int(found.group(1)) <= 42 - before + 30 + 1, (before, after, shown[-800:])
    finally:
        runners._current = None


def test_hosted_mode_gives_each_learner_one_run_at_a_time(lang, one_slot):
    runner, slots = one_slot
    hosted.configure(hosted.Limits(hosted=True, max_jobs=1, max_epochs=3))
    try:
        at = open_page("52_training", lang)
        learner = at.session_state["_run_session"] if "_run_session" in at.session_state else None
        other_panel = make_job(DIGITS_MLP)
        assert learner and runner.submit(other_panel, learner=learner), "this learner's run on another page"
        at.button(key="train_training").click().run()
        job = at.session_state["_jobs"]["training"]
        assert job.status == Status.REFUSED and job.refusal.code == "one_run"
        assert t("90_runs.hosted.one_run", lang=lang) in texts(at)
        runner.cancel(other_panel)
    finally:
        hosted.configure(hosted.Limits(hosted=False))
