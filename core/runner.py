"""Where training runs: one runner, a first-in-first-out queue, three backends.

    job = make_job(recipe)                  # a `core.jobs.TrainingJob`: the handle pages read
    runner = current()                      # picked by DLDASH_RUNNER: thread | process | ray
    runner.submit(job, learner="session")   # checks the limits, then queues or starts it
    runner.position(job), runner.wait_seconds(job), runner.cancel(job), job.stop()

The backends differ only in where `fit` runs:
- `thread`: a thread of this process (the local default; instant start).
- `process`: a pool of spawned worker processes that keep torch imported (the hosted default). A
  run owns its worker's random generators while it trains, and the web process keeps its GIL.
- `ray`: Ray actors that ask for `num_cpus` (and `num_gpus`), on a local instance or the cluster
  at `RAY_ADDRESS` (`core.runner_ray`).
Whatever the backend, the job gets its records through `begin`, `add_record` and `end` in this
process, so the run store, the live charts and the Check tabs never know which one trained it.
"""
from __future__ import annotations

import collections
import os
import threading
import time
import traceback
from collections.abc import Callable

from core import limits as hosted_limits
from core.jobs import Status, TrainingJob
from core.limits import LimitExceeded
from core.slots import SLOTS, JobSlots

RUNNERS = ("thread", "process", "ray")
ENV_VAR = "DLDASH_RUNNER"
LOCAL_CAPACITY = 4  # concurrent runs on a learner's own machine; hosted mode uses `max_jobs`
WEIGHTS_EVERY_S = 0.5  # a remote run sends its live weights at most this often (live views)

Done = Callable[[], None]


class ThreadBackend:
    name = "thread"

    def launch(self, job: TrainingJob, done: Done) -> None:
        def target() -> None:
            try:
                job.run()
            finally:
                done()

        threading.Thread(target=target, name="training-job", daemon=True).start()

    def shutdown(self) -> None: ...


class Runner:
    """The queue in front of a backend: at most `capacity` runs train at once (sharing the
    process-wide `SLOTS` with the exercise checker), the rest wait first in, first out. In hosted
    mode a learner has at most one queued or running run."""

    def __init__(self, backend, capacity: int | None = None, slots: JobSlots = SLOTS) -> None:
        self.backend, self.slots = backend, slots
        self.name = backend.name
        self._capacity = capacity
        self._lock = threading.RLock()
        self._queue: collections.deque[TrainingJob] = collections.deque()
        self._running: list[TrainingJob] = []
        self._durations: collections.deque[float] = collections.deque(maxlen=20)
        slots.add_release_listener(self._dispatch)

    @property
    def capacity(self) -> int:
        limits = hosted_limits.current()
        return self._capacity or (limits.max_jobs if limits.hosted else LOCAL_CAPACITY)

    # --- submitting ------------------------------------------------------------------------
    def submit(self, job: TrainingJob, learner: str | None = None) -> bool:
        """Check the limits, then queue the job. False (status REFUSED, with `job.refusal`) for
        settings over the hosted limits, or a learner who has a run queued or running already."""
        if not job.check_limits():
            return False
        job.learner, job.backend = learner, self.name
        if self.slots is SLOTS and job.limits.hosted and self.slots.limit != job.limits.max_jobs:
            self.slots.set_limit(job.limits.max_jobs)
        with self._lock:
            if learner is not None and job.limits.hosted:
                mine = [j for j in (*self._queue, *self._running) if j.learner == learner and not j.stop_requested()]
                if mine:
                    job.refuse(LimitExceeded("one_run"))
                    return False
            job.status, job.submitted_at = Status.QUEUED, time.perf_counter()
            self._queue.append(job)
        self._dispatch()
        return True

    def cancel(self, job: TrainingJob) -> None:
        """Take a queued job out of the queue, or stop a running one."""
        with self._lock:
            queued = job in self._queue
            if queued:
                self._queue.remove(job)
        if queued:
            job.cancel()
            self._dispatch()
        else:
            job.stop()

    def _dispatch(self) -> None:
        """Start queued jobs while a slot is free (called on submit and whenever a run ends)."""
        while True:
            with self._lock:
                if not self._queue or len(self._running) >= self.capacity or not self.slots.try_acquire():
                    return
                job = self._queue.popleft()
                self._running.append(job)
            try:
                self.backend.launch(job, lambda job=job: self._finished(job))
            except Exception as exc:  # the backend could not take it: the run fails, the queue goes on
                job.traceback = traceback.format_exc()
                job.end(Status.FAILED, f"{type(exc).__name__}: {exc}")
                self._finished(job)

    def _finished(self, job: TrainingJob) -> None:
        with self._lock:
            if job in self._running:
                self._running.remove(job)
                if job.started_at is not None and job.finished_at is not None and job.records:
                    self._durations.append(job.finished_at - job.started_at)
            else:
                return
        self.slots.release()  # wakes `_dispatch` through the release listener

    # --- the queue as a learner sees it ------------------------------------------------------
    def position(self, job: TrainingJob) -> int | None:
        """1 for the next job to start; None when the job is not queued."""
        with self._lock:
            try:
                return self._queue.index(job) + 1
            except ValueError:
                return None

    @property
    def queued(self) -> int:
        with self._lock:
            return len(self._queue)

    @property
    def running(self) -> int:
        with self._lock:
            return len(self._running)

    def _seconds(self, job: TrainingJob) -> float | None:
        if job.expected_seconds is not None:
            return job.expected_seconds
        return sum(self._durations) / len(self._durations) if self._durations else None

    def wait_seconds(self, job: TrainingJob) -> float | None:
        """About how long until `job` starts: the slots free up as the running runs end (their
        ETA), and each job ahead takes its estimate. None when some time is unknown."""
        with self._lock:
            if job not in self._queue:
                return None
            free_at = []
            for running in self._running:
                left = running.eta_seconds if running.records else self._seconds(running)
                if left is None:
                    return None
                if not running.records:
                    left = max(0.0, left - running.elapsed)
                free_at.append(left)
            if self.slots.active > len(self._running):  # the exercise checker holds a slot: for how long, unknown
                return None
            free_at += [0.0] * max(0, min(self.capacity, self.slots.limit) - len(free_at))
            for ahead in list(self._queue)[: self._queue.index(job)]:
                seconds = self._seconds(ahead)
                if seconds is None:
                    return None
                free_at.sort()
                free_at[0] += seconds
            return min(free_at) if free_at else None

    def shutdown(self) -> None:
        self.slots.remove_release_listener(self._dispatch)
        self.backend.shutdown()


def make_backend(name: str, capacity: int):
    if name == "thread":
        return ThreadBackend()
    if name == "process":
        from core.runner_remote import ProcessBackend

        return ProcessBackend(workers=capacity)
    if name == "ray":
        from core.runner_ray import RayBackend

        return RayBackend()
    raise ValueError(f"unknown runner {name!r}; {ENV_VAR} is one of {RUNNERS}")


def runner_name(env=None) -> str:
    """DLDASH_RUNNER, else `process` in hosted mode and `thread` on a learner's own machine."""
    env = os.environ if env is None else env
    name = str(env.get(ENV_VAR, "")).strip().lower()
    if name:
        return name
    return "process" if hosted_limits.current().hosted else "thread"


_current: Runner | None = None
_current_lock = threading.Lock()


def current() -> Runner:
    """This process's runner, made on first use."""
    global _current
    with _current_lock:
        if _current is None:
            limits = hosted_limits.current()
            capacity = limits.max_jobs if limits.hosted else LOCAL_CAPACITY
            _current = Runner(make_backend(runner_name(), capacity))
        return _current


def configure(name: str | None = None, capacity: int | None = None) -> Runner:
    """Replace this process's runner (tests, benchmarks, the app's secrets); None re-reads the env."""
    global _current
    with _current_lock:
        old, _current = _current, None
    if old is not None:
        old.shutdown()
    limits = hosted_limits.current()
    size = capacity or (limits.max_jobs if limits.hosted else LOCAL_CAPACITY)
    runner = Runner(make_backend(name or runner_name(), size), capacity=capacity)
    with _current_lock:
        _current = runner
    return runner
