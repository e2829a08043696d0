"""Comparing saved runs: flat settings, the settings that differ, and rows for a CSV export."""
from __future__ import annotations

import math
import time

from core.runstore import Run, flatten


def flat_settings(run: Run) -> dict:
    """A run's settings as flat "train.lr"-style keys, plus page/dataset/model."""
    out = {"page": run.page, "dataset": run.dataset, "model": run.model}
    out.update(flatten(run.hparams))
    return out


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0)
    return a == b


def settings_diff(runs: list[Run], only_diff: bool = True) -> tuple[list[str], list[list]]:
    """(setting keys, one row of values per key, one value per run); with `only_diff`, only the
    keys whose values are not all the same (a key missing from a run counts as a difference)."""
    flats = [flat_settings(r) for r in runs]
    keys = sorted(set().union(*flats)) if flats else []
    rows, kept = [], []
    for key in keys:
        values = [f.get(key) for f in flats]
        if only_diff and all(_same(v, values[0]) for v in values[1:]):
            continue
        kept.append(key)
        rows.append(values)
    return kept, rows


def varying_settings(runs: list[Run]) -> list[str]:
    """Settings that take more than one value across `runs` (the ones worth plotting against)."""
    keys, _ = settings_diff(runs, only_diff=True)
    return keys


def export_rows(runs: list[Run]) -> list[dict]:
    """One flat dict per run: identity, status, timing, every setting and every metric."""
    rows = []
    for run in runs:
        row = {"id": run.id, "started": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(run.created_at)),
               "page": run.page, "dataset": run.dataset, "model": run.model, "status": run.status, "device": run.device,
               "epochs_done": run.epochs_done, "num_epochs": run.num_epochs, "duration": round(run.duration, 3)}
        row.update({f"metric.{k}": v for k, v in run.metrics.items()})
        row.update({f"setting.{k}": v for k, v in flatten(run.hparams).items()})
        rows.append(row)
    return rows
