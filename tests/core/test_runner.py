"""The runner: a FIFO queue in front of the thread and process backends (Ray: test_runner_ray.py).

What each backend guarantees for "same recipe + seed → same records" while other runs train:
- process (and Ray): every record, for any model. A run owns its worker's generators.
- thread: the initial weights and the batch order (seeded under a lock, and by the run's own
  generator); a model without dropout therefore gives the same records. Dropout draws from torch's
  global generator, which concurrent thread runs share.
"""
from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import replace

import pytest

from core.jobs import JobCallback, JobSlots, Status, TrainingJob, load_checkpoint
from core.recipes import DIGITS_CNN, DIGITS_MLP, make_job
from core.run_recorder import attach
from core.runner import Runner, ThreadBackend
from core.runner_remote import ProcessBackend
from core.runstore import RunStore

MLP = replace(DIGITS_MLP, train=replace(DIGITS_MLP.train, num_epochs=4))
MLP_NO_DROPOUT = replace(MLP, dropout=0.0)
CNN = replace(DIGITS_CNN, train=replace(DIGITS_CNN.train, num_epochs=2))
LONG = replace(DIGITS_MLP, train=replace(DIGITS_MLP.train, num_epochs=400, batch_size=8))


def values(job: TrainingJob) -> list[dict]:
    """A run's records without their wall-clock seconds."""
    return [{k: v for k, v in r.as_dict().items() if k != "seconds"} for r in job.records]


def wait_for(predicate, timeout: float = 120.0, what: str = "condition") -> None:
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


# --- the queue, with a backend that trains nothing until told --------------------------------
class HeldBackend:
    """Starts nothing by itself: the test ends each launched run when it likes."""

    name = "held"

    def __init__(self) -> None:
        self.launched: list[tuple[TrainingJob, object]] = []

    def launch(self, job, done):
        self.launched.append((job, done))
        job.begin(0)

    def finish(self, job) -> None:
        done = next(d for j, d in self.launched if j is job)
        job.end(Status.FINISHED)
        done()

    def shutdown(self): ...


def held(capacity: int = 2):
    backend = HeldBackend()
    return Runner(backend, capacity=capacity, slots=JobSlots(capacity)), backend


def test_the_queue_is_first_in_first_out_with_positions_and_cancel():
    runner, backend = held(capacity=2)
    jobs = [make_job(MLP) for _ in range(5)]
    for job in jobs:
        assert runner.submit(job)
    assert [j.status for j in jobs] == [Status.RUNNING] * 2 + [Status.QUEUED] * 3
    assert [runner.position(j) for j in jobs] == [None, None, 1, 2, 3] and runner.queued == 3
    runner.cancel(jobs[3])  # the learner in place 2 leaves
    assert jobs[3].status == Status.CANCELLED and jobs[3].done and runner.position(jobs[4]) == 2
    backend.finish(jobs[1])
    assert jobs[2].status == Status.RUNNING, "the first in the queue starts when a slot frees"
    assert runner.position(jobs[4]) == 1 and runner.running == 2
    backend.finish(jobs[0])
    assert [j for j, _ in backend.launched] == [jobs[0], jobs[1], jobs[2], jobs[4]], "started in order"
    assert runner.queued == 0


def test_the_estimated_wait_adds_up_the_runs_ahead():
    runner, backend = held(capacity=2)
    jobs = [make_job(MLP) for _ in range(5)]
    for job, seconds in zip(jobs, (10.0, 30.0, 20.0, 5.0, 7.0)):
        job.expected_seconds = seconds
        runner.submit(job)
    # slots free at ~10 s and ~30 s (the running ones have not trained an epoch, so their estimate
    # counts, less the time they have run); job 2 starts at ~10, job 3 when 2 or 1 ends (~30), job 4 at ~30
    assert runner.wait_seconds(jobs[2]) == pytest.approx(10, abs=0.5)
    assert runner.wait_seconds(jobs[3]) == pytest.approx(30, abs=0.5)
    assert runner.wait_seconds(jobs[4]) == pytest.approx(30, abs=0.5)
    assert runner.wait_seconds(jobs[0]) is None, "a running job does not wait"
    jobs[0].expected_seconds = None  # unknown, and no finished run to average: no estimate, not a guess
    assert runner.wait_seconds(jobs[2]) is None


def test_hosted_mode_allows_one_queued_or_running_run_per_learner():
    from core.limits import Limits

    hosted = Limits(hosted=True, max_jobs=1, max_epochs=5)
    runner, backend = held(capacity=1)
    first, second, other = make_job(MLP), make_job(MLP), make_job(MLP)
    assert first.start(runner, learner="ann", limits=hosted)
    assert not second.start(runner, learner="ann", limits=hosted) and second.refusal.code == "one_run"
    assert other.start(runner, learner="bob", limits=hosted) and runner.position(other) == 1
    first.stop()  # a stopping run no longer blocks its learner (Train again on the same panel)
    third = make_job(MLP)
    assert third.start(runner, learner="ann", limits=hosted) and runner.position(third) == 2


def test_a_run_the_backend_cannot_take_fails_and_the_queue_goes_on():
    class Refusing(HeldBackend):
        def launch(self, job, done):
            if job.meta.get("bad"):
                raise RuntimeError("cannot ship this run")
            super().launch(job, done)

    backend = Refusing()
    runner = Runner(backend, capacity=1, slots=JobSlots(1))
    bad, good = make_job(MLP, bad=True), make_job(MLP)
    runner.submit(bad)
    runner.submit(good)
    assert bad.status == Status.FAILED and "cannot ship" in bad.error
    assert good.status == Status.RUNNING


def test_the_backend_comes_from_the_env_else_hosted_mode_picks_the_process_pool():
    from core import limits
    from core.runner import runner_name

    assert runner_name({"DLDASH_RUNNER": "Ray "}) == "ray"
    limits.configure(limits.Limits(hosted=True))
    try:
        assert runner_name({}) == "process"
    finally:
        limits.configure(limits.Limits(hosted=False))
    assert runner_name({}) == "thread"
    with pytest.raises(ValueError, match="DLDASH_RUNNER is one of"):
        from core.runner import make_backend

        make_backend("celery", 2)


# --- the thread backend ------------------------------------------------------------------------
def _under_load(make_runner, recipe, others=2):
    """The records of `recipe` alone, then again while `others` runs of other seeds train."""
    solo_runner = make_runner()
    try:
        solo = make_job(recipe)
        solo.start(solo_runner)
        assert solo.join(300) and solo.status == Status.FINISHED, solo.error
        busy = [make_job(replace(recipe, train=replace(recipe.train, seed=s, num_epochs=recipe.train.num_epochs + 2)))
                for s in range(1, others + 1)]
        again = make_job(recipe)
        for job in (*busy, again):
            job.start(solo_runner)
        for job in (*busy, again):
            assert job.join(300) and job.status == Status.FINISHED, job.error
        overlap = all(b.started_at < again.finished_at and again.started_at < b.finished_at for b in busy)
        return values(solo), values(again), overlap
    finally:
        solo_runner.shutdown()


def test_thread_backend_reproduces_a_model_without_dropout_under_load():
    solo, again, overlap = _under_load(lambda: Runner(ThreadBackend(), capacity=3, slots=JobSlots(3)), MLP_NO_DROPOUT)
    assert overlap, "the runs trained at the same time"
    assert solo == again


# --- the process backend -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def pool():
    backend = ProcessBackend(workers=3, threads=1)
    backend.warm()
    runner = Runner(backend, capacity=3, slots=JobSlots(3))
    yield runner
    runner.shutdown()


def test_process_backend_reproduces_every_record_under_load(pool):
    # the MLP has dropout: only a backend that isolates the generators passes this
    shared = type("Shared", (), {"shutdown": lambda self: None, "__getattr__": lambda self, n: getattr(pool, n)})
    solo, again, overlap = _under_load(lambda: shared(), MLP)
    assert overlap, "the runs trained at the same time"
    assert solo == again and len(solo) == 4
    assert all(r["val_loss"] == r["val_loss"] for r in solo)


def test_process_backend_streams_records_stops_and_returns_the_checkpoint(pool, tmp_path):
    store = RunStore(tmp_path / "runs.db")
    job = make_job(LONG, page="52_training")
    seen: list[int] = []

    class Watch(JobCallback):
        def on_record(self, job, record):
            seen.append(record.epoch)

    job.add_callback(Watch())
    attach(job, store, page="52_training", session="s1")
    assert job.start(pool)
    wait_for(lambda: len(job.records) >= 3, what="three live records")
    assert not job.done and job.model is not None, "records and a live model arrive while it trains"
    job.stop()
    assert job.join(60) and job.status == Status.STOPPED and 3 <= len(job.records) < 400
    assert seen == [r.epoch for r in job.records], "the callbacks saw every record, in order"
    ckpt = load_checkpoint(job.checkpoint_bytes())
    assert ckpt["best_epoch"] >= 1 and ckpt["state_dict"], "the best weights came back"
    model = job.build_model()
    model.load_state_dict(ckpt["state_dict"])
    [run] = store.runs()
    assert run.status == "stopped" and run.epochs_done == len(job.records), "the store got every epoch"


def test_a_killed_worker_fails_the_run_and_keeps_its_epochs(pool):
    job = make_job(LONG)
    assert job.start(pool)
    wait_for(lambda: len(job.records) >= 2, what="two records")
    pid = pool.backend.worker_pid(job)
    assert pid is not None and pid != os.getpid()
    os.kill(pid, signal.SIGKILL)
    assert job.join(60) and job.status == Status.FAILED
    assert "worker process stopped" in job.error and len(job.records) >= 2
    after = make_job(MLP)  # the pool replaces the worker
    assert after.start(pool) and after.join(120) and after.status == Status.FINISHED


def test_process_backend_trains_a_cnn_like_the_thread_backend():
    """Same recipe and seed, one thread each: the process backend's records equal the thread backend's."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        local = make_job(CNN).run()
    finally:
        torch.set_num_threads(threads)
    backend = ProcessBackend(workers=1, threads=1)
    runner = Runner(backend, capacity=1, slots=JobSlots(1))
    try:
        remote = make_job(CNN)
        remote.start(runner)
        assert remote.join(300) and remote.status == Status.FINISHED, remote.error
    finally:
        runner.shutdown()
    assert values(local) == values(remote)
    assert local.best.best_epoch == remote.best.best_epoch
    for name, tensor in local.best.state.items():
        assert (tensor == remote.best.state[name]).all(), name


def test_a_run_that_cannot_be_pickled_fails_with_a_reason(pool):
    lock = threading.Lock()  # a closure over a lock cannot travel to another process
    base = make_job(MLP)
    job = TrainingJob(lambda: (lock, base.build_model())[1], base.data, base.config)
    assert job.start(pool)
    assert job.join(30) and job.status == Status.FAILED and "lock" in job.error.lower()
