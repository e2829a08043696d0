"""The Ray backend: each run is a Ray actor that asks for `num_cpus` (and `num_gpus`), on a local
instance or on the cluster at `RAY_ADDRESS` (KubeRay, say: docs/DEPLOY.md).

    DLDASH_RUNNER=ray                 use it
    RAY_ADDRESS=ray://head:10001      a cluster (unset: a local instance of DLDASH_RAY_CPUS CPUs)
    DLDASH_RAY_CPUS=2                 CPUs a local instance may use (default: all)
    DLDASH_RAY_RUN_CPUS=1             CPUs per run (its torch threads)
    DLDASH_RAY_NUM_GPUS=1             GPUs per run: such runs land on GPU nodes and train on CUDA

The actor trains with the same code as a pool worker (`core.runner_remote.train_payload`) and keeps
the messages; a feed thread here polls them (about 4 times a second) and applies them to the job,
so the live charts, the run store and Stop behave as with any other backend. A dead actor (a node
lost, a worker killed) ends the run as "failed" with the epochs it had sent.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import ray

from core.jobs import TrainingJob
from core.runner_remote import Feed, payload_of, train_payload

ROOT = Path(__file__).resolve().parent.parent
POLL_SECONDS = 0.25


@ray.remote(max_concurrency=4)  # threaded: `poll` and `stop` answer while `run` trains
class TrainActor:
    def __init__(self) -> None:
        self.messages: list[tuple] = []
        self.stop_flag = threading.Event()
        self.lock = threading.Lock()

    def pid(self) -> int:
        return os.getpid()

    def reset(self) -> None:
        """Ready for the next run (an actor is reused: starting one imports torch, seconds)."""
        with self.lock:
            self.messages = []
        self.stop_flag.clear()

    def _send(self, message: tuple) -> None:
        with self.lock:
            self.messages.append(message)

    def run(self, payload: bytes, device: str | None) -> None:
        import torch

        torch.set_num_threads(max(1, int(ray.get_runtime_context().get_assigned_resources().get("CPU", 1))))
        if device is not None:  # a GPU run: the web process picked its device without seeing this node
            import cloudpickle

            build, data, config = cloudpickle.loads(payload)
            from dataclasses import replace

            payload = cloudpickle.dumps((build, data, replace(config, device=device)))
        train_payload(payload, self.stop_flag, self._send)

    def poll(self, since: int) -> list[tuple]:
        with self.lock:
            return self.messages[since:]

    def stop(self) -> None:
        self.stop_flag.set()


def init() -> None:
    """Connect to RAY_ADDRESS, or start a local instance (no dashboard), once per process."""
    if ray.is_initialized():
        return
    address = os.environ.get("RAY_ADDRESS") or None
    kwargs: dict = {"include_dashboard": False, "log_to_driver": False, "ignore_reinit_error": True}
    if address is None:
        cpus = os.environ.get("DLDASH_RAY_CPUS")
        if cpus:
            kwargs["num_cpus"] = int(cpus)
        # local workers import core/ from this checkout; a cluster's image carries it (docs/DEPLOY.md)
        kwargs["runtime_env"] = {"env_vars": {"PYTHONPATH": str(ROOT)}}
    ray.init(address=address, **kwargs)


class RayBackend:
    name = "ray"

    def __init__(self) -> None:
        init()
        self.gpus = float(os.environ.get("DLDASH_RAY_NUM_GPUS", "0") or 0)
        self.cpus = float(os.environ.get("DLDASH_RAY_RUN_CPUS", "1") or 1)
        self._actors: dict[int, object] = {}
        self._idle: list = []  # actors whose run ended well, kept for the next run
        self._pumps: set[threading.Thread] = set()  # one per running run, feeding its job
        self._closing = threading.Event()
        self._lock = threading.Lock()

    def actor_of(self, job: TrainingJob):
        with self._lock:
            return self._actors.get(id(job))

    def launch(self, job: TrainingJob, done: Callable[[], None]) -> None:
        payload = payload_of(job)
        with self._lock:
            actor = self._idle.pop() if self._idle else None
        if actor is None:
            actor = TrainActor.options(num_cpus=self.cpus, num_gpus=self.gpus).remote()
        with self._lock:
            self._actors[id(job)] = actor
        job._remote_stop = lambda: actor.stop.remote()
        if job.stop_requested():
            actor.stop.remote()
        result = actor.run.remote(payload, "cuda" if self.gpus > 0 else None)
        pump = threading.Thread(target=self._pump, args=(actor, result, job, done), name="training-feed-ray", daemon=True)
        with self._lock:
            self._pumps.add(pump)
        pump.start()

    def _pump(self, actor, result, job: TrainingJob, done: Callable[[], None]) -> None:
        feed, seen, healthy = Feed(job), 0, False
        try:
            while not feed.ended:
                if self._closing.is_set():  # no Ray call after shutdown: one would start a new Ray instance here
                    raise RuntimeError("the runner shut down")
                finished, _ = ray.wait([result], timeout=POLL_SECONDS)
                messages = ray.get(actor.poll.remote(seen))
                seen += len(messages)
                for message in messages:
                    feed(message)
                if finished and not feed.ended:
                    ray.get(result)  # raises the actor's error, if it died
                    feed.lost("the Ray actor returned without finishing the run")
            ray.get(result)
            ray.get(actor.reset.remote())
            healthy = True
        except (Exception, SystemExit) as exc:  # RayActorError and friends: a worker killed, a node lost, Ray shut down
            feed.lost(f"the Ray worker stopped ({type(exc).__name__})")
        finally:
            job._remote_stop = None
            with self._lock:
                self._actors.pop(id(job), None)
                self._pumps.discard(threading.current_thread())
                if healthy:
                    self._idle.append(actor)
            if not healthy:
                _kill(actor)
            done()

    def shutdown(self, timeout: float = 30.0) -> None:
        """Stop the running runs and wait for their feeds to end, then let the idle actors go, so that
        no thread calls into Ray after `ray.shutdown()` (one did, and took its process down later)."""
        self._closing.set()
        with self._lock:
            running, pumps = list(self._actors.values()), list(self._pumps)
        for actor in running:
            try:
                actor.stop.remote()
            except Exception:  # already gone
                pass
        for pump in pumps:
            pump.join(timeout)
        with self._lock:
            idle, self._idle = self._idle, []
        for actor in idle:
            _kill(actor)


def _kill(actor) -> None:
    try:
        ray.kill(actor)
    except Exception:  # already gone
        pass
