"""What each runner backend costs: the overhead per run and the steady-state training speed.

    python -m bench.runners [--backends thread process ray] [--repeats 3]

For each backend, one run at a time, on the digits MLP and the digits CNN:
- overhead: seconds from `submit` to the first epoch record, less that epoch's own training time
  (queueing, shipping the run, building the model, a worker's or actor's start-up). The process
  pool is measured warm (its worker started, as the app starts it after the first paint) and cold;
  Ray starts an actor per run;
- steady state: epochs per second between the first and the last record, against the thread
  backend's, with one torch thread in every backend (what the app gives these small models:
  `core.device.configure_threads`; a second thread made the thread backend 2x slower here).
Prints best-of-`repeats` figures and the ratios. Goal: the process pool at >= 0.9x the thread
backend's throughput.
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.jobs import JobCallback, JobSlots  # noqa: E402
from core.recipes import DIGITS_CNN, DIGITS_MLP, make_job, prepare_data  # noqa: E402
from core.runner import Runner, ThreadBackend  # noqa: E402

THREADS = 1
RECIPES = {"mlp": replace(DIGITS_MLP, train=replace(DIGITS_MLP.train, num_epochs=20)),
           "cnn": replace(DIGITS_CNN, train=replace(DIGITS_CNN.train, num_epochs=6))}


class Clock(JobCallback):
    def __init__(self) -> None:
        self.first: float | None = None
        self.last: float | None = None
        self.first_seconds = 0.0
        self.done = threading.Event()

    def on_record(self, job, record):
        now = time.perf_counter()
        if self.first is None:
            self.first, self.first_seconds = now, record.seconds
        self.last = now

    def on_finish(self, job):
        self.done.set()


def one_run(runner: Runner, recipe, data) -> tuple[float, float]:
    """(overhead seconds, steady epochs/s) of one run."""
    job = make_job(recipe, data=data)
    clock = Clock()
    job.add_callback(clock)
    submitted = time.perf_counter()
    runner.submit(job)
    clock.done.wait(600)
    assert job.status == "finished", (job.status, job.error)
    steady = (len(job.records) - 1) / (clock.last - clock.first)
    return clock.first - submitted - clock.first_seconds, steady


def make_runner(name: str) -> Runner:
    if name == "thread":
        import torch

        torch.set_num_threads(THREADS)
        backend = ThreadBackend()
    elif name == "process":
        from core.runner_remote import ProcessBackend

        backend = ProcessBackend(workers=1, threads=THREADS)
    else:
        os.environ.setdefault("DLDASH_RAY_CPUS", str(os.cpu_count() or 1))
        os.environ.setdefault("DLDASH_RAY_RUN_CPUS", str(THREADS))
        from core.runner_ray import RayBackend

        backend = RayBackend()
    return Runner(backend, capacity=1, slots=JobSlots(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="+", default=["thread", "process", "ray"])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    data = {name: prepare_data(recipe) for name, recipe in RECIPES.items()}
    results: dict[tuple[str, str], tuple[float, float]] = {}
    for backend in args.backends:
        runner = make_runner(backend)
        if backend == "process":
            start = time.perf_counter()
            cold = one_run(runner, RECIPES["mlp"], data["mlp"])[0]
            print(f"process pool, cold (the worker starts and imports torch): overhead {cold:.2f} s "
                  f"({time.perf_counter() - start:.1f} s for the whole run)")
        for model, recipe in RECIPES.items():
            runs = [one_run(runner, recipe, data[model]) for _ in range(args.repeats)]
            results[backend, model] = (min(r[0] for r in runs), max(r[1] for r in runs))
            overhead, steady = results[backend, model]
            print(f"{backend:>7} {model}: overhead {overhead * 1000:7.0f} ms, steady {steady:6.2f} epochs/s")
        runner.shutdown()
    if "thread" in args.backends:
        for backend in args.backends:
            for model in RECIPES:
                ratio = results[backend, model][1] / results["thread", model][1]
                print(f"{backend:>7} {model}: {ratio:.2f}x the thread backend's epochs/s")


if __name__ == "__main__":
    main()
