"""How long each non-training widget interaction takes, page by page.

    python -m bench.interactions [--pages 11 12 ...]

Runs every page in AppTest, then moves each slider, select box, radio and toggle once (to a
different value) and times the rerun that follows. Buttons are not pressed, so nothing trains.
Prints the slowest interaction per page and overall. AppTest adds its own small overhead, so the
times are an upper bound on what the server spends. The modules the app imports in the background
after its first paint (app.navigation.HEAVY_MODULES) are imported first, as the server has them.
"""
from __future__ import annotations

import argparse
import importlib
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

from app.navigation import HEAVY_MODULES, discover  # noqa: E402


def move(widget) -> bool:
    """Set the widget to a value other than its current one; False when it cannot move.

    Option widgets are driven by label: the app's widgets format options through a label table
    (app.widgets._eager) that maps a label to itself, so AppTest finds the label's index."""
    kind = type(widget).__name__
    if kind == "Slider":
        lo, hi, v = widget.proto.min, widget.proto.max, widget.value
        if isinstance(v, (tuple, list)):
            return False
        cast = int if isinstance(v, int) else float
        widget.set_value(cast(hi) if v != cast(hi) else cast(lo))
        return True
    if kind in ("Selectbox", "Radio", "SelectSlider"):
        options = list(widget.options)
        current = widget.format_func(widget.value) if widget.value is not None else None
        others = [o for o in options if o != current]
        if not others:
            return False
        widget.set_value(others[0])
        return True
    if kind in ("Toggle", "Checkbox"):
        widget.set_value(not widget.value)
        return True
    return False


def bench_page(stem: str, timeout: float = 120) -> list[tuple[str, float]]:
    at = AppTest.from_file(str(ROOT / "pages" / f"{stem}.py"), default_timeout=timeout)
    at.session_state["lang"] = "en"
    at.session_state["force_cpu"] = True
    at.run()
    timings = []
    for kind in ("slider", "selectbox", "radio", "select_slider", "toggle", "checkbox"):
        for i in range(len(getattr(at, kind))):
            if i >= len(getattr(at, kind)):  # a rerun can hide widgets (another mode, another tab)
                break
            widget = getattr(at, kind)[i]
            if widget.key is None or widget.key.startswith("quiz_") or getattr(widget, "disabled", False):
                continue
            try:
                if not move(widget):
                    continue
                start = time.perf_counter()
                at.run()
                timings.append((widget.key, time.perf_counter() - start))
            except Exception as exc:  # a widget AppTest cannot drive; skip it, say so
                timings.append((f"{widget.key} (skipped: {type(exc).__name__})", float("nan")))
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", nargs="*", help="page number prefixes to include (default: all)")
    args = parser.parse_args()
    entries = [e for e in discover() if not args.pages or e.stem[:2] in args.pages]
    for name in HEAVY_MODULES:  # what the server's warm-up thread imports after the first paint
        importlib.import_module(name)
    worst_overall = ("", "", 0.0)
    for entry in entries:
        timings = [(k, s) for k, s in bench_page(entry.stem) if s == s]
        if not timings:
            print(f"{entry.stem:<24} no movable widgets")
            continue
        key, worst = max(timings, key=lambda kv: kv[1])
        median = statistics.median(s for _, s in timings)
        print(f"{entry.stem:<24} {len(timings):3d} interactions  median {median:5.2f} s  slowest {worst:5.2f} s ({key})")
        if worst > worst_overall[2]:
            worst_overall = (entry.stem, key, worst)
    print(f"slowest overall: {worst_overall[2]:.2f} s — {worst_overall[0]} / {worst_overall[1]}")


if __name__ == "__main__":
    main()
