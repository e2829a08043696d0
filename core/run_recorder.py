"""Save a `core.jobs.TrainingJob` into a `RunStore` as it trains: a job callback, called where the
runner feeds the job (never on a page's script thread)."""
from __future__ import annotations

import time
from collections.abc import Mapping

from core.run_state import JobCallback, Status
from core.runstore import RunStore, metrics_from_rows, plain

FLUSH_SECONDS = 1.0  # epochs reach the store in batches, about once a second, and all at the end


def job_hparams(job) -> dict:
    """The settings that made a job: its recipe when `core.recipes.make_job` built it, else its
    TrainConfig under "train" plus the scalar meta values; the model's parameter count and any
    hosted-mode clamps are added."""
    meta = dict(job.meta)
    if isinstance(meta.get("recipe"), Mapping):
        hp = plain(meta["recipe"])
        hp["train"] = plain(job.config)  # after hosted clamps: what really ran
    else:
        hp = {"train": plain(job.config)}
        hp.update({k: plain(v) for k, v in meta.items()
                   if k not in ("page", "dataset") and isinstance(v, (str, int, float, bool, list, tuple))})
    if job.num_parameters is not None:
        hp["parameters"] = int(job.num_parameters)
    hp["train_samples"] = int(len(job.data.y_train))
    if job.limit_notes:
        hp["hosted_clamps"] = [code for code, _ in job.limit_notes]
    return hp


def job_model_name(job) -> str:
    recipe = job.meta.get("recipe")
    if isinstance(recipe, Mapping) and recipe.get("model"):
        return str(recipe["model"])
    for key in ("model", "arch", "architecture"):
        if isinstance(job.meta.get(key), str):
            return job.meta[key]
    return type(job.model).__name__ if job.model is not None else ""


class RunRecorder(JobCallback):
    """Saves the run: a row when it starts, its epochs in batches, its status and metrics at the end."""

    def __init__(self, store: RunStore, *, page: str, panel: str = "", session: str = "",
                 query: Mapping | None = None) -> None:
        self.store, self.page, self.panel, self.session = store, page, panel, session
        self.query = dict(query or {})
        self.run_id: int | None = None
        self._pending: list[dict] = []
        self._flushed_at = 0.0

    def on_start(self, job) -> None:
        self.run_id = self.store.start_run(
            page=self.page, panel=self.panel, dataset=str(job.meta.get("dataset") or getattr(job.data.source, "name", "")),
            model=job_model_name(job), device=str(job.config.device), num_epochs=job.config.num_epochs,
            hparams=job_hparams(job), session=self.session, query=self.query,
        )
        self._flushed_at = time.perf_counter()

    def on_record(self, job, record) -> None:
        if self.run_id is None:
            return
        self._pending.append(record.as_dict() if hasattr(record, "as_dict") else dict(record))
        if time.perf_counter() - self._flushed_at >= FLUSH_SECONDS:
            self._flush(job)

    def _flush(self, job) -> None:
        pending, self._pending = self._pending, []
        self._flushed_at = time.perf_counter()
        self.store.add_epochs(self.run_id, pending, job.elapsed)

    def on_finish(self, job) -> None:
        if job.status in (Status.REFUSED, Status.CANCELLED):
            return
        if self.run_id is None:  # failed before its first epoch: keep the failure in the history
            self.on_start(job)
        self._flush(job)
        rows = [r.as_dict() for r in job.records]
        self.store.finish_run(self.run_id, str(job.status), metrics_from_rows(rows), job.elapsed, job.error,
                              num_epochs=job.config.num_epochs)


def attach(job, store: RunStore, **context) -> RunRecorder:
    """Save `job` into `store` as it trains. `context`: page, panel, session, query."""
    recorder = RunRecorder(store, **context)
    job.add_callback(recorder)
    return recorder
