"""Run `fit` in a background thread so the UI can redraw, stop or move on while it trains."""
from __future__ import annotations

import io
import pickle
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import replace

import torch
from torch import nn

from core import limits as hosted_limits
from core.datasets import Splits
from core.errors import InputError
from core.limits import LimitExceeded, Limits
from core.slots import SLOTS, JobSlots
from core.trainer import BestWeights, EpochRecord, TrainConfig, fit, seed_everything

# "busy": no free slot on the server; "refused": hosted-mode limits forbid these settings
FINAL_STATES = ("finished", "stopped", "diverged", "early_stopped", "failed", "busy", "refused")


class TrainingJob:
    """One training run: its records, its best weights, and a stop switch."""

    def __init__(
        self,
        build_model: Callable[[], nn.Module],
        data: Splits,
        config: TrainConfig,
        meta: dict | None = None,
        on_record: Callable[[TrainingJob, EpochRecord], None] | None = None,
        on_finish: Callable[[TrainingJob], None] | None = None,
        on_start: Callable[[TrainingJob], None] | None = None,
    ) -> None:
        self.build_model, self.data, self.config = build_model, data, config
        self.meta = dict(meta or {})
        self.on_record, self.on_finish, self.on_start = on_record, on_finish, on_start
        self.listeners: list = []  # objects with optional on_start/on_record/on_finish (the run store)
        self.listener_errors: list[str] = []
        self.limits: Limits | None = None  # the limits this job was checked against
        self.limit_notes: tuple[tuple[str, dict], ...] = ()  # clamps hosted mode applied
        self.refusal: LimitExceeded | None = None
        self.num_parameters: int | None = None
        self.records: list[EpochRecord] = []
        self.status = "pending"
        self.error: str | None = None
        self.model: nn.Module | None = None
        self.best = BestWeights()
        self.started_at: float | None = None
        self.finished_at: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- control ---------------------------------------------------------------------------
    def check_limits(self, limits: Limits | None = None) -> bool:
        """Apply hosted-mode limits once, before training: clamp epochs and data, refuse big models."""
        if self.limits is not None:
            return self.refusal is None
        self.limits = limits or hosted_limits.current()
        try:
            enforced = hosted_limits.enforce(self.limits, self.config, self.data, self.build_model)
        except LimitExceeded as exc:
            self.refusal, self.status, self.error = exc, "refused", str(exc)
            self.started_at = self.finished_at = time.perf_counter()
            return False
        self.config, self.data, self.limit_notes = enforced.config, enforced.data, enforced.notes
        if enforced.parameters >= 0:
            self.num_parameters = enforced.parameters
        return True

    def add_listener(self, listener) -> None:
        self.listeners.append(listener)

    def _notify(self, event: str, *args) -> None:
        """Call the hook `event` on every listener; a failing listener never breaks training."""
        for listener in self.listeners:
            hook = getattr(listener, event, None)
            if hook is None:
                continue
            try:
                hook(self, *args)
            except Exception as exc:
                self.listener_errors.append(f"{event}: {type(exc).__name__}: {exc}")

    def start(self, slots: JobSlots = SLOTS, limits: Limits | None = None) -> bool:
        """Train in a daemon thread. Returns False with status "refused" (over the hosted limits)
        or "busy" (no free slot on the server)."""
        if not self.check_limits(limits):
            return False
        if slots is SLOTS and self.limits.hosted and slots.limit != self.limits.max_jobs:
            slots.set_limit(self.limits.max_jobs)
        if not slots.try_acquire():
            self.status = "busy"
            return False
        self.status = "running"

        def target() -> None:
            try:
                self.run()
            finally:
                slots.release()

        self._thread = threading.Thread(target=target, name="training-job", daemon=True)
        self._thread.start()
        return True

    def run(self) -> TrainingJob:
        """Train in the calling thread (tests, benchmarks, scripts)."""
        if not self.check_limits():
            return self
        self.status = "running"
        self.started_at = time.perf_counter()
        try:
            seed_everything(self.config.seed)
            self.model = self.build_model()
            if self.num_parameters is None:
                self.num_parameters = sum(p.numel() for p in self.model.parameters())
            if self.on_start is not None:
                self.on_start(self)
            self._notify("on_start")
            for record in fit(self.model, self.data, self.config, [self.best], should_stop=self._stop.is_set):
                self.records.append(record)
                if self.on_record is not None:
                    self.on_record(self, record)
                self._notify("on_record", record)
            last = self.records[-1].stop_reason if self.records else None
            if last == "diverged":
                self.status = "diverged"
            elif last == "early_stopping":
                self.status = "early_stopped"
            elif self._stop.is_set() and len(self.records) < self.config.num_epochs:  # a Stop after the last epoch stops nothing
                self.status = "stopped"
            else:
                self.status = "finished"
        except Exception as exc:  # shown to the learner instead of a crashed page
            self.status = "failed"
            self.error = f"{type(exc).__name__}: {exc}"
            self.traceback = traceback.format_exc()
        finally:
            self.finished_at = time.perf_counter()
            self._notify("on_finish")
            if self.on_finish is not None:
                self.on_finish(self)
        return self

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    # --- state -----------------------------------------------------------------------------
    @property
    def done(self) -> bool:
        return self.status in FINAL_STATES

    @property
    def progress(self) -> float:
        return len(self.records) / self.config.num_epochs

    @property
    def elapsed(self) -> float:
        if self.started_at is None:
            return 0.0
        return (self.finished_at or time.perf_counter()) - self.started_at

    @property
    def eta_seconds(self) -> float | None:
        if not self.records or self.done:
            return None
        per_epoch = self.elapsed / len(self.records)
        return per_epoch * (self.config.num_epochs - len(self.records))

    def best_model(self) -> nn.Module | None:
        """The trained model with its best-val-loss weights loaded."""
        if self.model is None:
            return None
        if self.best.state is not None and self.status != "diverged":
            self.model.load_state_dict(self.best.state)
        return self.model

    def checkpoint_bytes(self) -> bytes:
        """The best weights and the settings that made them, as a `torch.save` file."""
        buf = io.BytesIO()
        payload = {
            "state_dict": self.best.state or {},
            "best_epoch": self.best.best_epoch,
            "meta": {k: v for k, v in self.meta.items() if isinstance(v, (str, int, float, bool))},
        }
        torch.save(payload, buf)
        return buf.getvalue()


def probe_epoch_seconds(job: TrainingJob, batches: int = 4, model: nn.Module | None = None) -> float:
    """Seconds one epoch of `job` will take, timed rather than guessed: its own model, optimizer,
    batch size and device train two epochs on a slice of `batches` batches (the first epoch pays
    one-off costs, the second is timed), scaled to the full training and validation splits."""
    data, config = job.data, job.config
    n_train, n_val = len(data.y_train), len(data.y_val)
    m = min(n_train, batches * config.batch_size)
    m_val = min(n_val, max(1, round(m * n_val / n_train)))
    part = Splits(data.X_train[:m], data.y_train[:m], data.X_val[:m_val], data.y_val[:m_val],
                  data.X_test[:1], data.y_test[:1], data.source)
    probe = replace(config, num_epochs=2, patience=0)
    records = list(fit(model if model is not None else job.build_model(), part, probe))  # a fresh, untrained model
    return records[-1].seconds * n_train / m


def load_checkpoint(raw: bytes) -> dict:
    """Load a checkpoint safely (tensors and plain containers only, never pickled code) and check
    that it is one: a dict whose "state_dict" maps names to tensors, with an optional whole-number
    "best_epoch" and an optional "meta" dict. Anything else is an `InputError`."""
    try:
        ckpt = torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:  # the weights-only unpickler met code or an unknown class
        raise InputError("ckpt_code", f"not a weights-only checkpoint: {_first_line(exc)}",
                         detail=_first_line(exc)) from exc
    except Exception as exc:  # not a torch.save file at all (a zip error, a truncated file, ...)
        detail = f"{type(exc).__name__}: {_first_line(exc)}" if str(exc).strip() else type(exc).__name__
        raise InputError("ckpt_unreadable", f"not a checkpoint file: {detail}", detail=detail) from exc
    check_checkpoint(ckpt)
    return ckpt


def check_checkpoint(ckpt) -> None:
    """Refuse a loaded object that is not a checkpoint as `TrainingJob.checkpoint_bytes` writes it."""
    if not isinstance(ckpt, dict):
        raise InputError("ckpt_not_dict", f"a checkpoint is a dict, not a {type(ckpt).__name__}", kind=type(ckpt).__name__)
    weights = ckpt.get("state_dict")
    if not isinstance(weights, dict):
        kind = "None" if weights is None else type(weights).__name__
        raise InputError("ckpt_no_state_dict", f"'state_dict' must be a dict of tensors, not {kind}", kind=kind)
    for name, value in weights.items():
        if not isinstance(name, str) or not isinstance(value, torch.Tensor):
            shown = name if isinstance(name, str) else repr(name)
            raise InputError("ckpt_not_tensor", f"state_dict[{shown[:40]!r}] is a {type(value).__name__}, not a tensor",
                             name=shown[:40], kind=type(value).__name__)
    epoch = ckpt.get("best_epoch")
    if epoch is not None and (isinstance(epoch, bool) or not isinstance(epoch, int)):
        raise InputError("ckpt_best_epoch", f"'best_epoch' must be a whole number, not a {type(epoch).__name__}",
                         kind=type(epoch).__name__)
    meta = ckpt.get("meta", {})
    if not isinstance(meta, dict):
        raise InputError("ckpt_meta", f"'meta' must be a dict, not a {type(meta).__name__}", kind=type(meta).__name__)


def _first_line(exc: Exception) -> str:
    """The line of a torch.load error that names the problem (its weights-only errors open with
    advice to load unsafely, which we never do)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    named = [line for line in lines if "unsupported" in line.lower()]
    return (named or lines or [type(exc).__name__])[0].split(". ")[0][:200]
