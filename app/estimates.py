"""How long a run will take, said before it starts: the training panel's "⏱ About 12 s" caption.

Seconds per epoch are timed on a few batches of the very model (`core.jobs.probe_epoch_seconds`),
then replaced by a real run's own time per epoch for the same settings.
"""
from __future__ import annotations

import threading
from collections.abc import Callable

import streamlit as st

from app.i18n import t
from core.jobs import TrainingJob, probe_epoch_seconds

# Seconds per epoch by what sets them (model, data shapes, batch, optimizer, device), shared by
# every session of this process: the machine is the same for all of them.
_EPOCH_SECONDS: dict[tuple, tuple[float, bool]] = {}  # → (seconds, measured on a real run)
_EPOCH_SECONDS_LOCK = threading.Lock()


def _fingerprint(model, data, config) -> tuple:
    """What sets the time of an epoch: the architecture, the data shapes and the step's settings."""
    return (str(model), tuple(data.X_train.shape), tuple(data.X_val.shape), config.batch_size, config.optimizer,
            config.amp, str(config.device), config.track_layer_grads, config.clip_grad_norm > 0)


def remember_epoch_seconds(job: TrainingJob) -> None:
    """After a real run, its own time per epoch (live charts, run store and all) replaces the probe's
    for the same settings: the probe times the bare loop, so it underestimates tiny epochs."""
    if job.model is None or len(job.records) < 3 or job.status not in ("finished", "early_stopped", "stopped"):
        return
    with _EPOCH_SECONDS_LOCK:
        _EPOCH_SECONDS[_fingerprint(job.model, job.data, job.config)] = (job.elapsed / len(job.records), True)


def estimate_seconds(make_job: Callable[[], TrainingJob]) -> tuple[float, float, int, bool] | None:
    """(total seconds, seconds per epoch, epochs, from a real run) of the run `make_job` would start,
    or None when its settings cannot train. Timed once per model and data shape, scaled by epochs."""
    try:
        job = make_job()
        if not job.check_limits():  # hosted mode: the clamped epochs, or a refusal the button will explain
            return None
        model, data, config = job.build_model(), job.data, job.config
    except Exception:
        return None
    fingerprint = _fingerprint(model, data, config)
    with _EPOCH_SECONDS_LOCK:
        known = _EPOCH_SECONDS.get(fingerprint)
    if known is None:
        try:
            known = (probe_epoch_seconds(job, model=model), False)
        except Exception:
            return None
        with _EPOCH_SECONDS_LOCK:
            if len(_EPOCH_SECONDS) > 512:
                _EPOCH_SECONDS.clear()
            _EPOCH_SECONDS[fingerprint] = known
    per_epoch, from_run = known
    return per_epoch * config.num_epochs, per_epoch, config.num_epochs, from_run


def duration(seconds: float) -> str:
    """9 ms, 0.4 s, 12 s, 3.5 min: in the learner's language."""
    if seconds < 0.1:
        return t("train.milliseconds", n=f"{seconds * 1000:.0f}")
    if seconds < 10:
        return t("train.seconds", n=f"{seconds:.1f}")
    if seconds < 90:
        return t("train.seconds", n=f"{seconds:.0f}")
    return t("train.minutes", n=f"{seconds / 60:.1f}")


def estimate_caption(make_job: Callable[[], TrainingJob]) -> None:
    estimate = estimate_seconds(make_job)
    if estimate is not None:
        total, per_epoch, epochs, from_run = estimate
        st.caption(t("train.estimate_run" if from_run else "train.estimate", time=duration(total), epochs=epochs,
                     per_epoch=duration(per_epoch)))
