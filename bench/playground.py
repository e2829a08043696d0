"""Epochs per second of the MLP playground on spiral (500 points), with and without the live boundary.

Run: python -m bench.playground [--epochs 300] [--repeats 2]

The "draw" runs poll the job exactly as the page's live fragment does (every POLL_SECONDS) and call
the page's `BoundaryPainter.paint` (a grid forward pass on a copy of the model plus the Vega-Lite
spec), which throttles itself to one redraw per new epoch and per second. The "plain" runs poll
without drawing. Runs alternate so that background load hits both alike.
"""
from __future__ import annotations

import argparse
import time
from dataclasses import replace

import torch

from app.charts import BoundaryPainter
from app.training import POLL_SECONDS
from core.device import configure_threads
from core.playground import DEFAULT, DEFAULT_TRAIN, make_playground_job

LABELS = {k: k for k in ("title", "x", "y", "cls", "split", "conf", "train", "test")}


def run_once(epochs: int, draw: bool) -> tuple[float, int]:
    """(epochs per second, boundary redraws) of one training run."""
    job = make_playground_job(DEFAULT, replace(DEFAULT_TRAIN, num_epochs=epochs))
    painter = BoundaryPainter(job.data, LABELS)
    if not job.start():
        raise RuntimeError("no free training slot")
    while not job.done:
        time.sleep(POLL_SECONDS)
        if draw and job.model is not None:
            painter.paint(job.model, len(job.records), final=job.done)
    job.join()
    if draw:
        painter.paint(job.model, len(job.records), final=True)
    return len(job.records) / job.elapsed, painter.draws


def redraw_ms(repeats: int = 20) -> float:
    """Median milliseconds of one forced redraw (grid forward pass on a model copy + spec build)."""
    job = make_playground_job(DEFAULT, replace(DEFAULT_TRAIN, num_epochs=1)).run()
    painter = BoundaryPainter(job.data, LABELS, min_interval=0.0)
    times = []
    for epoch in range(repeats):
        start = time.perf_counter()
        painter.paint(job.model, epoch)
        times.append((time.perf_counter() - start) * 1000)
    return sorted(times)[len(times) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=300, help="epochs per run")
    parser.add_argument("--repeats", type=int, default=2, help="plain/draw pairs to average")
    args = parser.parse_args()
    configure_threads()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; spiral, {DEFAULT.n_samples} points, "
          f"hidden {DEFAULT.hidden}, batch {DEFAULT_TRAIN.batch_size}, poll every {POLL_SECONDS} s")
    run_once(3, draw=True)  # warm-up: first optimizer import, allocator
    plain, drawn, draws = [], [], 0
    for _ in range(args.repeats):
        plain.append(run_once(args.epochs, draw=False)[0])
        eps, n = run_once(args.epochs, draw=True)
        drawn.append(eps)
        draws += n
    p, d = sum(plain) / len(plain), sum(drawn) / len(drawn)
    print(f"no drawing:     {p:7.1f} epochs/s  (runs: {', '.join(f'{x:.1f}' for x in plain)})")
    print(f"live boundary:  {d:7.1f} epochs/s  (runs: {', '.join(f'{x:.1f}' for x in drawn)}; {draws} redraws)")
    print(f"ratio drawn/plain: {d / p:.3f}  (drawing costs {max(0.0, 1 - d / p):.1%} of throughput)")
    ms = redraw_ms()
    print(f"one redraw: {ms:.1f} ms (median of 20) → at most one per {POLL_SECONDS} s poll = {ms / (10 * POLL_SECONDS):.1f}% "
          "of one core")


if __name__ == "__main__":
    main()
