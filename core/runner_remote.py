"""Training in another process: what runs there, how its messages feed the job here, and the
process pool (`ProcessBackend`). `core.runner_ray` reuses the first two.

A run travels as one cloudpickle payload (the model builder, the splits, the config: pages build
their models in closures, which plain pickle cannot carry). The trainer on the other side sends
three kinds of message, in order, and `Feed` applies them to the job in this process:
    ("begin", parameters)
    ("record", EpochRecord as a dict, weights or None)   # weights at most every WEIGHTS_EVERY_S
    ("end", status, error, traceback, best weights, best epoch, best val loss, last weights)
"""
from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable

import cloudpickle
import torch

from core.jobs import JobCallback, Status, TrainingJob
from core.limits import LOCAL
from core.spawn import spawn_without_parent_main
from core.trainer import EpochRecord

WORKER_NICE = 10  # pool workers yield the CPU to the web server: a page or a health check never waits on training
WEIGHTS_EVERY_S = 0.5  # live views (the 3.1 boundary) redraw from these; the last epoch always sends


def payload_of(job: TrainingJob) -> bytes:
    """The run as bytes for another process (after the limits were applied here)."""
    return cloudpickle.dumps((job.build_model, job.data, job.config))


def _cpu_copy(model) -> dict[str, torch.Tensor]:
    return {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}


class _Sender(JobCallback):
    """On the training side: turns the job's hooks into messages."""

    def __init__(self, send: Callable[[tuple], None]) -> None:
        self.send, self._last_weights = send, 0.0

    def on_start(self, job):
        self.send(("begin", job.num_parameters))

    def on_record(self, job, record):
        now = time.perf_counter()
        last = record.epoch == job.config.num_epochs or record.stop_reason is not None
        weights = None
        if job.model is not None and (last or now - self._last_weights >= WEIGHTS_EVERY_S):
            weights, self._last_weights = _cpu_copy(job.model), now
        self.send(("record", record.as_dict(), weights))

    def on_finish(self, job):
        final = _cpu_copy(job.model) if job.model is not None else None
        self.send(("end", str(job.status), job.error, job.traceback, job.best.state, job.best.best_epoch,
                   job.best.best_loss, final))


def train_payload(payload: bytes, stop_flag, send: Callable[[tuple], None]) -> None:
    """Train one run from `payload_of` bytes, polling `stop_flag.is_set()` between batches."""
    build_model, data, config = cloudpickle.loads(payload)
    job = TrainingJob(build_model, data, config, callbacks=[_Sender(send)])
    job.limits = LOCAL  # applied at submission, in the web process
    job._stop = stop_flag
    job._checkpoint = b""  # the web process builds the checkpoint from the weights it receives
    job.run()


class Feed:
    """On the web side: applies the messages of one run to its job, in order."""

    def __init__(self, job: TrainingJob) -> None:
        self.job, self.ended = job, False

    def _model(self):
        job = self.job
        if job.model is None:
            with torch.random.fork_rng(devices=[]):  # a mirror for live views: leave the global RNG alone
                job.model = job.build_model().to(job.config.device)
        return job.model

    def _load(self, weights) -> None:
        if weights:
            self._model().load_state_dict(weights)

    def __call__(self, message: tuple) -> None:
        kind, *rest = message
        job = self.job
        if kind == "begin":
            self._model()
            job.begin(rest[0])
        elif kind == "record":
            values, weights = rest
            self._load(weights)
            job.add_record(EpochRecord(**values))
        elif kind == "end":
            status, error, trace, best, best_epoch, best_loss, final = rest
            self._load(final)
            job.best.state, job.best.best_epoch, job.best.best_loss = best, best_epoch, best_loss
            job.traceback = trace
            self.ended = True
            job.end(Status(status), error)

    def lost(self, why: str) -> None:
        """The trainer is gone mid-run: the run failed, and the epochs it finished stay."""
        if not self.ended:
            self.ended = True
            self.job.end(Status.FAILED, f"{why} after {len(self.job.records)} finished epochs")


# --- the process pool --------------------------------------------------------------------------
def _worker_main(conn, stop_flag, threads: int) -> None:
    """A worker: torch imported once, then one run at a time until told to exit."""
    try:
        os.nice(WORKER_NICE)
    except OSError:  # not allowed here: train at the same priority
        pass
    torch.set_num_threads(threads)
    import core.models  # noqa: F401  (warm: the first run starts as fast as the next ones)
    import core.recipes  # noqa: F401

    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        try:
            train_payload(message[1], stop_flag, conn.send)
        except (BrokenPipeError, EOFError, OSError):  # the web process is gone
            return


class _Worker:
    def __init__(self, ctx, threads: int) -> None:
        self.conn, child = ctx.Pipe()
        self.stop_flag = ctx.Event()
        with spawn_without_parent_main():
            self.process = ctx.Process(target=_worker_main, args=(child, self.stop_flag, threads),
                                       name="dldash-trainer", daemon=True)
            self.process.start()
        child.close()

    @property
    def alive(self) -> bool:
        return self.process.is_alive()

    def close(self) -> None:
        try:
            self.conn.send(None)
        except (BrokenPipeError, OSError):
            pass
        self.process.join(2)
        if self.process.is_alive():
            self.process.kill()
        self.conn.close()


class ProcessBackend:
    """`workers` spawned processes (spawned, never forked: forking a threaded web server can
    deadlock), started on first use or by `warm`, each training one run at a time."""

    name = "process"

    def __init__(self, workers: int, threads: int | None = None) -> None:
        self.size = max(1, workers)
        self.threads = threads or max(1, (os.cpu_count() or 1) // self.size)
        self._ctx = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._busy: dict[int, _Worker] = {}  # id(job) → worker
        self._closed = False

    def warm(self) -> None:
        """Start the idle workers now (each imports torch: seconds), so the first run need not wait."""
        with self._lock:
            missing = self.size - len(self._idle) - len(self._busy)
        started = [_Worker(self._ctx, self.threads) for _ in range(max(0, missing))]
        with self._lock:
            self._idle.extend(started)

    def _take(self) -> _Worker:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.alive:
                    return worker
                worker.close()
        return _Worker(self._ctx, self.threads)

    def worker_pid(self, job: TrainingJob) -> int | None:
        with self._lock:
            worker = self._busy.get(id(job))
        return worker.process.pid if worker is not None else None

    def launch(self, job: TrainingJob, done: Callable[[], None]) -> None:
        payload = payload_of(job)  # fails here (the runner marks the run failed) if it cannot travel
        worker = self._take()
        worker.stop_flag.clear()
        job._remote_stop = worker.stop_flag.set
        if job.stop_requested():
            worker.stop_flag.set()
        with self._lock:
            self._busy[id(job)] = worker
        threading.Thread(target=self._pump, args=(worker, job, payload, done), name="training-feed",
                         daemon=True).start()

    def _pump(self, worker: _Worker, job: TrainingJob, payload: bytes, done: Callable[[], None]) -> None:
        feed, healthy = Feed(job), True
        try:
            worker.conn.send(("run", payload))
            while not feed.ended:
                feed(worker.conn.recv())
        except (EOFError, OSError):
            healthy = False
            worker.process.join(1)
            feed.lost(f"the training worker process stopped (exit code {worker.process.exitcode})")
        except Exception as exc:  # a message that does not apply: fail this run, keep the worker out
            healthy = False
            feed.lost(f"{type(exc).__name__}: {exc}")
        finally:
            job._remote_stop = None
            with self._lock:
                self._busy.pop(id(job), None)
                keep = healthy and worker.alive and not self._closed and len(self._idle) < self.size
                if keep:
                    self._idle.append(worker)
            if not keep:
                worker.close()
            done()

    def shutdown(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.close()
