"""Run `fit` in a background thread so the UI can redraw, stop or move on while it trains."""
from __future__ import annotations

import io
import threading
import time
import traceback
from collections.abc import Callable

import torch
from torch import nn

from core.datasets import Splits
from core.trainer import BestWeights, EpochRecord, TrainConfig, fit, seed_everything

FINAL_STATES = ("finished", "stopped", "diverged", "early_stopped", "failed", "busy")


class JobSlots:
    """A process-wide cap on concurrent training jobs (several users share one server)."""

    def __init__(self, limit: int) -> None:
        self._lock = threading.Lock()
        self.limit = limit
        self.active = 0

    def try_acquire(self) -> bool:
        with self._lock:
            if self.active >= self.limit:
                return False
            self.active += 1
            return True

    def release(self) -> None:
        with self._lock:
            self.active = max(0, self.active - 1)

    def set_limit(self, limit: int) -> None:
        with self._lock:
            self.limit = max(1, int(limit))


SLOTS = JobSlots(limit=4)


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
    ) -> None:
        self.build_model, self.data, self.config = build_model, data, config
        self.meta = dict(meta or {})
        self.on_record, self.on_finish = on_record, on_finish
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
    def start(self, slots: JobSlots = SLOTS) -> bool:
        """Train in a daemon thread. Returns False (status "busy") when no slot is free."""
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
        self.status = "running"
        self.started_at = time.perf_counter()
        try:
            seed_everything(self.config.seed)
            self.model = self.build_model()
            for record in fit(self.model, self.data, self.config, [self.best], should_stop=self._stop.is_set):
                self.records.append(record)
                if self.on_record is not None:
                    self.on_record(self, record)
            last = self.records[-1].stop_reason if self.records else None
            if last == "diverged":
                self.status = "diverged"
            elif last == "early_stopping":
                self.status = "early_stopped"
            elif self._stop.is_set():
                self.status = "stopped"
            else:
                self.status = "finished"
        except Exception as exc:  # shown to the learner instead of a crashed page
            self.status = "failed"
            self.error = f"{type(exc).__name__}: {exc}"
            self.traceback = traceback.format_exc()
        finally:
            self.finished_at = time.perf_counter()
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


def load_checkpoint(raw: bytes) -> dict:
    """Load a checkpoint safely: tensors and plain containers only, never pickled code."""
    return torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)
