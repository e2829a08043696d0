"""How long checking an exercise takes, as the app does it: through the warm sandbox.

    python -m bench.exercises [--repeats 7] [--ids 1.1-cosine 1.4-adam ...]

Cold: starting the zygote (imports torch once) plus the first check. Warm: the median wall time of
`repeats` checks of the reference solution per exercise, each in a fresh forked child (confinement,
expected outputs, grading, and the timing runs for exercises that report speed). Goal: warm ≤ 2 s.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core import exercises  # noqa: E402
from core.exercises.sandbox import Sandbox  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="warm checks per exercise (default 7)")
    parser.add_argument("--ids", nargs="*", default=None, help="exercise ids (default: all)")
    args = parser.parse_args(argv)
    chosen = [exercises.get(i) for i in args.ids] if args.ids else list(exercises.all_exercises())

    sandbox = Sandbox()
    try:
        t0 = time.perf_counter()
        sandbox.start()
        started = time.perf_counter() - t0
        first = sandbox.check(chosen[0].id, chosen[0].solution)
        cold = time.perf_counter() - t0
        print(f"cold: zygote start {started:.2f} s + first check {first.seconds:.2f} s = {cold:.2f} s "
              f"({chosen[0].id}, {first.status})")
        print(f"{'exercise':<22} {'median s':>9} {'min s':>7} {'max s':>7}  status")
        medians = []
        for ex in chosen:
            times, statuses = [], set()
            for _ in range(args.repeats):
                t = time.perf_counter()
                result = sandbox.check(ex.id, ex.solution)
                times.append(time.perf_counter() - t)
                statuses.add(result.status)
            medians.append(statistics.median(times))
            print(f"{ex.id:<22} {medians[-1]:>9.3f} {min(times):>7.3f} {max(times):>7.3f}  {','.join(sorted(statuses))}")
        print(f"warm median over exercises: {statistics.median(medians):.3f} s, slowest {max(medians):.3f} s "
              f"(goal ≤ 2 s)")
    finally:
        sandbox.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
