"""A training run as the pages see it: its records, status, best weights and checkpoint.

A `TrainingJob` is the handle: pages read `records`, `status`, `model` and `best` from it whichever
runner trained it (`core.runner`: a thread here, a worker process, or a Ray actor elsewhere). The
runner feeds it through three steps, `begin`, `add_record` and `end`, which call the job's
callbacks (one protocol, `JobCallback`: the run store's recorder is one) in that order.
"""
from __future__ import annotations

import io
import pickle
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import replace

import torch
from torch import nn

from core import limits as hosted_limits
from core.datasets import Splits
from core.errors import InputError
from core.limits import LimitExceeded, Limits
from core.run_state import FINAL_STATES, JobCallback, Status, final_status  # noqa: F401
from core.slots import SLOTS, JobSlots  # noqa: F401  (re-exported: the exercise checker shares the slots)
from core.trainer import BestWeights, EpochRecord, TrainConfig, fit, seed_everything

# Seeding and building a model draw from torch's global generator: two runs starting at once in
# threads of one process would interleave their draws. Under this lock a run's initial weights
# depend on its seed alone (dropout still draws from the shared generator while it trains).
_INIT_LOCK = threading.Lock()


class TrainingJob:
    """One training run: its records, its best weights, and a stop switch."""

    def __init__(
        self,
        build_model: Callable[[], nn.Module],
        data: Splits,
        config: TrainConfig,
        meta: dict | None = None,
        callbacks: Iterable[JobCallback] = (),
    ) -> None:
        self.build_model, self.data, self.config = build_model, data, config
        self.meta = dict(meta or {})
        self.callbacks: list[JobCallback] = list(callbacks)
        self.callback_errors: list[str] = []
        self.limits: Limits | None = None  # the limits this job was checked against
        self.limit_notes: tuple[tuple[str, dict], ...] = ()  # clamps hosted mode applied
        self.refusal: LimitExceeded | None = None
        self.num_parameters: int | None = None
        self.records: list[EpochRecord] = []
        self.status = Status.PENDING
        self.error: str | None = None
        self.traceback: str | None = None
        self.model: nn.Module | None = None
        self.best = BestWeights()
        self.learner: str | None = None  # who submitted it (the runner's one-run-per-learner rule)
        self.backend: str | None = None  # which runner trained it; pages never need it
        self.expected_seconds: float | None = None  # the panel's estimate, for the queue's waiting time
        self.submitted_at: float | None = None
        self.started_at: float | None = None
        self.finished_at: float | None = None
        self._stop = threading.Event()
        self._done = threading.Event()
        self._remote_stop: Callable[[], None] | None = None  # set by a runner that trains elsewhere
        self._checkpoint: bytes | None = None

    @property
    def status(self) -> Status:
        return self._status

    @status.setter
    def status(self, value: Status | str) -> None:
        self._status = Status(value)  # a typo'd status fails here, not in a page that compares it

    # --- limits ------------------------------------------------------------------------------
    def check_limits(self, limits: Limits | None = None) -> bool:
        """Apply hosted-mode limits once, before training: clamp epochs and data, refuse big models."""
        if self.limits is not None:
            return self.refusal is None
        self.limits = limits or hosted_limits.current()
        try:
            enforced = hosted_limits.enforce(self.limits, self.config, self.data, self.build_model)
        except LimitExceeded as exc:
            self.refuse(exc)
            return False
        self.config, self.data, self.limit_notes = enforced.config, enforced.data, enforced.notes
        if enforced.parameters >= 0:
            self.num_parameters = enforced.parameters
        return True

    def refuse(self, reason: LimitExceeded) -> None:
        self.refusal, self.status, self.error = reason, Status.REFUSED, str(reason)
        self.started_at = self.finished_at = time.perf_counter()
        self._done.set()

    def add_callback(self, callback: JobCallback) -> None:
        self.callbacks.append(callback)

    def _notify(self, event: str, *args) -> None:
        for callback in self.callbacks:
            try:
                getattr(callback, event)(self, *args)
            except Exception as exc:
                self.callback_errors.append(f"{event}: {type(exc).__name__}: {exc}")

    # --- what a runner calls, in order ---------------------------------------------------------
    def begin(self, num_parameters: int | None = None) -> None:
        """Training has started (the model exists wherever it trains)."""
        self.status = Status.RUNNING
        if self.started_at is None:
            self.started_at = time.perf_counter()
        if num_parameters is not None and self.num_parameters is None:
            self.num_parameters = num_parameters
        self._notify("on_start")

    def add_record(self, record: EpochRecord) -> None:
        self.records.append(record)
        self._notify("on_record", record)

    def end(self, status: Status, error: str | None = None) -> None:
        """The run is over: build the checkpoint once, then tell the callbacks."""
        if self.started_at is None:
            self.started_at = time.perf_counter()
        self.status, self.error = Status(status), error
        self.finished_at = time.perf_counter()
        if self._checkpoint is None and self.best.state is not None and self.status != Status.DIVERGED:
            try:
                self._checkpoint = self._build_checkpoint()
            except Exception as exc:  # the run stands; only the download is missing
                self.callback_errors.append(f"checkpoint: {type(exc).__name__}: {exc}")
        self._notify("on_finish")
        self._done.set()

    def cancel(self) -> None:
        """Taken out of the queue before it started."""
        self._stop.set()
        self.end(Status.CANCELLED)

    # --- control -------------------------------------------------------------------------------
    def start(self, runner=None, learner: str | None = None, limits: Limits | None = None) -> bool:
        """Submit to `runner` (default: this process's, `core.runner.current()`), checked against
        `limits` (default: this process's). False when refused; otherwise it is queued or running."""
        from core import runner as runners

        if limits is not None and not self.check_limits(limits):
            return False
        return (runner or runners.current()).submit(self, learner=learner)

    def run(self) -> TrainingJob:
        """Train in the calling thread (the thread runner, a worker process, tests and scripts)."""
        if self.status in FINAL_STATES or not self.check_limits():
            return self
        try:
            with _INIT_LOCK:
                seed_everything(self.config.seed)
                self.model = self.build_model()
            self.begin(sum(p.numel() for p in self.model.parameters()))
            for record in fit(self.model, self.data, self.config, [self.best], should_stop=self.stop_requested):
                self.add_record(record)
            status, error = final_status(self.records, self.stop_requested(), self.config.num_epochs), None
        except Exception as exc:  # shown to the learner instead of a crashed page
            status, error = Status.FAILED, f"{type(exc).__name__}: {exc}"
            self.traceback = traceback.format_exc()
        self.end(status, error)
        return self

    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        self._stop.set()
        if self._remote_stop is not None:
            try:
                self._remote_stop()
            except Exception as exc:  # a worker that is gone needs no stopping
                self.callback_errors.append(f"stop: {type(exc).__name__}: {exc}")

    def join(self, timeout: float | None = None) -> bool:
        """Wait until the run is over (or `timeout` seconds); True when it is."""
        return self._done.wait(timeout)

    # --- state ---------------------------------------------------------------------------------
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
        if self.best.state is not None and self.status != Status.DIVERGED:
            self.model.load_state_dict(self.best.state)
        return self.model

    def checkpoint_bytes(self) -> bytes:
        """The best weights and the settings that made them, as a `torch.save` file (built once,
        when the run ended)."""
        if self._checkpoint is None:
            self._checkpoint = self._build_checkpoint()
        return self._checkpoint

    def _build_checkpoint(self) -> bytes:
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
