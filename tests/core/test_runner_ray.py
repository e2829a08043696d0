"""The Ray backend on a local Ray instance (2 CPUs, no dashboard): four runs stream live records,
Stop works, the checkpoint comes back, a killed worker fails its run and keeps its epochs, and the
same recipe and seed give the same records while other runs train."""
from __future__ import annotations

import os
import signal
import threading
from dataclasses import replace

import pytest

ray = pytest.importorskip("ray", reason="the Ray backend's tests need requirements-dev.txt (ray)")

from test_runner import LONG, MLP, values, wait_for  # noqa: E402

from core.jobs import JobCallback, JobSlots, Status, load_checkpoint  # noqa: E402
from core.recipes import DIGITS_MLP, make_job  # noqa: E402
from core.run_recorder import attach  # noqa: E402
from core.runner import Runner  # noqa: E402
from core.runstore import RunStore  # noqa: E402


@pytest.fixture(scope="module")
def ray_runner():
    os.environ.pop("RAY_ADDRESS", None)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": os.getcwd()}})
    from core.runner_ray import RayBackend

    runner = Runner(RayBackend(), capacity=2, slots=JobSlots(2))
    yield runner
    runner.shutdown()  # stops running runs and joins their feeds: nothing may call Ray after ray.shutdown()
    assert not [t for t in threading.enumerate() if t.name == "training-feed-ray"], "a feed thread outlived the runner"
    ray.shutdown()


class Timeline(JobCallback):
    """When each record arrived, against the job being done."""

    def __init__(self) -> None:
        self.live = 0  # records that arrived while the run was not yet over

    def on_record(self, job, record):
        if not job.done:
            self.live += 1


def test_four_runs_stream_live_stop_return_checkpoints_and_a_killed_worker_fails(ray_runner, tmp_path):
    store = RunStore(tmp_path / "runs.db")
    quick = replace(DIGITS_MLP, train=replace(DIGITS_MLP.train, num_epochs=5, batch_size=16))
    jobs = [make_job(quick, page="p"), make_job(LONG, page="p"), make_job(quick, page="p"), make_job(LONG, page="p")]
    timelines = []
    for job in jobs:
        timelines.append(Timeline())
        job.add_callback(timelines[-1])
        attach(job, store, page="p", session="s")
        assert job.start(ray_runner) and job.backend == "ray"
    assert ray_runner.position(jobs[2]) == 1 and ray_runner.position(jobs[3]) == 2, "2 CPUs: two wait"

    stopped, killed = jobs[1], jobs[3]
    wait_for(lambda: len(stopped.records) >= 3, what="live records from the Ray actor")
    assert not stopped.done and stopped.model is not None
    stopped.stop()
    assert stopped.join(120) and stopped.status == Status.STOPPED and len(stopped.records) < 400

    wait_for(lambda: len(killed.records) >= 2, what="the fourth run to train two epochs")
    pid = ray.get(ray_runner.backend.actor_of(killed).pid.remote())
    os.kill(pid, signal.SIGKILL)
    assert killed.join(120) and killed.status == Status.FAILED
    assert "Ray worker stopped" in killed.error and len(killed.records) >= 2, "the finished epochs are kept"

    for job in (jobs[0], jobs[2]):
        assert job.join(300) and job.status == Status.FINISHED and len(job.records) == 5, job.error
    for job, timeline in zip(jobs, timelines):
        assert timeline.live == len(job.records), "every record arrived while its run trained"
    for job in (jobs[0], jobs[1], jobs[2]):
        ckpt = load_checkpoint(job.checkpoint_bytes())
        model = job.build_model()
        model.load_state_dict(ckpt["state_dict"])
        assert ckpt["best_epoch"] >= 1
    assert values(jobs[0]) == values(jobs[2]), "same recipe and seed, same records"
    runs = {r.id: r for r in store.runs()}
    assert sorted(r.status for r in runs.values()) == ["failed", "finished", "finished", "stopped"]
    assert all(r.epochs_done >= 2 for r in runs.values()), "the store kept every run's epochs, the failed one's too"


def test_ray_reproduces_every_record_while_another_run_trains(ray_runner):
    solo = make_job(MLP)
    solo.start(ray_runner)
    assert solo.join(300) and solo.status == Status.FINISHED, solo.error
    other = make_job(replace(LONG, train=replace(LONG.train, seed=7)))  # trains until stopped
    again = make_job(MLP)
    other.start(ray_runner)
    wait_for(lambda: len(other.records) >= 1, what="the other run to train (a new actor starts cold)")
    again.start(ray_runner)
    assert again.join(300) and again.status == Status.FINISHED
    assert not other.done, "the other run trained all along"
    other.stop()
    assert other.join(120)
    assert values(solo) == values(again)


def test_page_52_trains_live_through_ray_and_its_stop_and_checkpoint_work(ray_runner):
    """The page never knows the backend: live progress, Stop, the summary and the download."""
    import sys
    import time
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from conftest import open_page, texts, wait_for_jobs

    from core import runner as runners

    runners._current = ray_runner  # this module's Ray instance serves the page
    try:
        at = open_page("52_training", "en")
        at.slider(key="tr_epochs").set_value(200).run()
        at.button(key="train_training").click().run()
        job = at.session_state["_jobs"]["training"]
        assert job.backend == "ray"
        end = time.monotonic() + 120
        while len(job.records) < 2 and time.monotonic() < end:
            time.sleep(0.2)
        at.run()
        assert not job.done and "Epoch " in " ".join(p.proto.text for p in at.get("progress"))
        at.button(key="stop_training").click().run()
        at = wait_for_jobs(at)
        assert job.status == Status.STOPPED and 2 <= len(job.records) < 200
        assert f"Stopped. The {len(job.records)} finished epochs are kept." in texts(at)
        [download] = at.get("download_button")
        assert download.proto.label == "Download the best checkpoint (.pt)"
        assert load_checkpoint(job.checkpoint_bytes())["state_dict"]
    finally:
        runners._current = None

