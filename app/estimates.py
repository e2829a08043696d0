"""How long a run will take, said before it starts: the training panel's "⏱ About 12 s" caption.

Seconds per epoch are timed on a few batches of the very model (`core.jobs.probe_epoch_seconds`),
then replaced by a real run's own time per epoch for the same settings. The probe never runs on
the script thread: one background thread times one settings key at a time, the latest asked
first, and the panel says "estimating…" until it is done. Settings are keyed by their values
(the model's config the job would build, its training settings, the data shapes), so a rerun
builds no model to look an estimate up.
"""
from __future__ import annotations

import atexit
import contextlib
import dataclasses
import functools
import os
import threading
import time
import types
from collections import OrderedDict
from collections.abc import Callable

import numpy as np
import streamlit as st
import torch

from app.i18n import t
from core import jobs as _jobs
from core.jobs import TrainingJob, probe_epoch_seconds
from core.slots import SLOTS

POLL_SECONDS = 1.0
PROBE_THREAD = "estimate-probe"
MAX_KNOWN = 512  # settings keys remembered, process-wide
MAX_PENDING = 8  # probes waiting; the oldest asked is dropped first (asked again on its page's next rerun)
JOB_WAIT_SECONDS = 15.0  # a probe waits this long at most for running jobs: it would slow them and they it
PROBE_NICENESS = 10  # the probe thread's nice value on Linux: page reruns preempt it
PENDING = "pending"

Estimate = tuple[float, float, int, bool]  # (total seconds, seconds per epoch, epochs, measured on a real run)

# Seconds per epoch by settings key, shared by every session of this process: the machine is the
# same for all of them. None: the probe failed (the run will say why when it starts).
_known: OrderedDict[tuple, tuple[float, bool] | None] = OrderedDict()
_pending: OrderedDict[tuple, TrainingJob] = OrderedDict()
_running: tuple | None = None
_changed = threading.Condition()
_worker: threading.Thread | None = None
_closing = False
_INIT_LOCK = getattr(_jobs, "_INIT_LOCK", None) or contextlib.nullcontext()


# --- settings keys ------------------------------------------------------------------------------
_TIME_FIELDS = ("batch_size", "optimizer", "amp", "device", "track_layer_grads")  # what sets an epoch's time
_MAX_ITEMS = 64  # longer sequences are keyed by length and first items only
_MAX_DEPTH = 6


def _value_key(value, depth: int = 0):
    """A hashable stand-in for `value`: plain values as they are, tensors by shape and dtype,
    dataclasses and containers field by field, functions by name, defaults and closure."""
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return value
    if depth > _MAX_DEPTH:
        return type(value).__qualname__
    deeper = functools.partial(_value_key, depth=depth + 1)
    if isinstance(value, (torch.Tensor, np.ndarray)):
        return ("tensor", tuple(value.shape), str(value.dtype))
    if isinstance(value, (torch.device, torch.dtype)):
        return str(value)
    if isinstance(value, type):
        return ("type", value.__module__, value.__qualname__)
    if isinstance(value, types.ModuleType):
        return ("module", value.__name__)
    if dataclasses.is_dataclass(value):
        return (type(value).__qualname__, *((f.name, deeper(getattr(value, f.name))) for f in dataclasses.fields(value)))
    if isinstance(value, dict):
        return ("dict", *sorted(((str(k), deeper(v)) for k, v in value.items()), key=repr))
    if isinstance(value, (list, tuple)):
        head = tuple(deeper(v) for v in value[:_MAX_ITEMS])
        return (type(value).__name__, len(value), *head)
    if isinstance(value, (set, frozenset)):
        return ("set", *sorted((deeper(v) for v in value), key=repr)[:_MAX_ITEMS])
    if isinstance(value, functools.partial):
        return ("partial", deeper(value.func), deeper(value.args), deeper(value.keywords))
    if isinstance(value, types.FunctionType):
        cells = tuple(deeper(c.cell_contents) if _filled(c) else None for c in value.__closure__ or ())
        code = value.__code__
        settings = tuple((name, deeper(value.__globals__[name])) for name in code.co_names  # a page's lambda
                         if name in value.__globals__ and _is_setting(value.__globals__[name]))  # reads its globals
        return ("fn", value.__module__, value.__qualname__, code.co_firstlineno, deeper(value.__defaults__), cells,
                settings)
    if isinstance(value, (types.BuiltinFunctionType, types.MethodType)):
        return ("fn", getattr(value, "__module__", None), getattr(value, "__qualname__", repr(value)))
    if isinstance(value, torch.nn.Module):
        return ("module", str(value))
    if hasattr(value, "__dict__"):
        return (type(value).__qualname__, deeper(vars(value)))
    return type(value).__qualname__  # never repr(): an object's default repr holds its id, new every rerun


def _is_setting(value) -> bool:
    """A global a function reads that may hold settings: not a module, class or function."""
    return not isinstance(value, (types.ModuleType, type)) and not callable(value)


def _filled(cell) -> bool:
    try:
        cell.cell_contents  # noqa: B018  (an empty cell raises)
    except ValueError:
        return False
    return True


def settings_key(job: TrainingJob) -> tuple:
    """What sets the time of an epoch, by value: the model `job.build_model` would build (its
    function and the settings it closes over), the page's meta (a recipe's model part), the data
    shapes and the step's settings. Epochs, learning rate and seed leave it unchanged."""
    meta = dict(job.meta)
    if isinstance(meta.get("recipe"), dict):
        meta["recipe"] = {k: v for k, v in meta["recipe"].items() if k != "train"}
    data, config = job.data, job.config
    step = tuple(str(getattr(config, f)) for f in _TIME_FIELDS) + (config.clip_grad_norm > 0,)
    shapes = tuple(tuple(x.shape) for x in (data.X_train, data.y_train, data.X_val, data.y_val))
    return (_value_key(job.build_model), _value_key(meta), shapes, str(data.X_train.dtype), step)


# --- the shared table and its probe thread ------------------------------------------------------
def _remember(key: tuple, value: tuple[float, bool] | None) -> None:
    """Store under `_changed`'s lock, keeping the most recently used `MAX_KNOWN` keys."""
    _known[key] = value
    _known.move_to_end(key)
    while len(_known) > MAX_KNOWN:
        _known.popitem(last=False)


def _probe_loop() -> None:
    global _running
    _yield_to_pages()
    while True:
        with _changed:
            while not _pending:
                _changed.wait()
            key, job = _pending.popitem(last=True)  # the settings asked for last: the ones on screen
            _running = key
        deadline = time.monotonic() + JOB_WAIT_SECONDS
        while SLOTS.active and time.monotonic() < deadline:
            time.sleep(0.1)
        try:
            with _INIT_LOCK:  # the lock runs seed and build under: their initial weights stay their seed's
                model = job.build_model()
            value = (probe_epoch_seconds(job, model=model), False)
        except Exception:
            value = None
        with _changed:
            if _known.get(key) is None or not _known[key][1]:  # a real run's time is never overwritten
                _remember(key, value)
            _running = None
            _changed.notify_all()


def _yield_to_pages() -> None:
    """Lower this thread's priority (Linux sets it per thread): a rerun on the same cores comes first."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), PROBE_NICENESS)
    except (AttributeError, OSError):  # not Linux, or not allowed: the probe runs at normal priority
        pass


@atexit.register
def _shutdown() -> None:
    """Drop queued probes and let a running one finish: torch aborts the process when it exits mid-op."""
    global _closing
    with _changed:
        _closing = True
        _pending.clear()
        _changed.wait_for(lambda: _running is None, 60)


def _ask(key: tuple, job: TrainingJob) -> None:
    """Queue a probe of `job` for `key` (under `_changed`'s lock); the worker starts on first use."""
    global _worker
    if key == _running or _closing:
        return
    _pending[key] = job
    _pending.move_to_end(key)
    while len(_pending) > MAX_PENDING:
        _pending.popitem(last=False)
    if _worker is None or not _worker.is_alive():
        _worker = threading.Thread(target=_probe_loop, name=PROBE_THREAD, daemon=True)
        _worker.start()
    _changed.notify_all()


def _waiting(key: tuple) -> bool:
    with _changed:
        return key in _pending or key == _running


def wait_for_estimates(timeout: float = 120.0) -> bool:
    """Block until no probe is queued or running (tests; never a page). False on timeout."""
    with _changed:
        return _changed.wait_for(lambda: not _pending and _running is None, timeout)


def _clear() -> None:
    """Forget every estimate and queued probe (tests)."""
    with _changed:
        _known.clear()
        _pending.clear()


# --- public -------------------------------------------------------------------------------------
def remember_epoch_seconds(job: TrainingJob) -> None:
    """After a real run, its own time per epoch (live charts, run store and all) replaces the probe's
    for the same settings: the probe times the bare loop, so it underestimates tiny epochs."""
    if len(job.records) < 3 or job.status not in ("finished", "early_stopped", "stopped"):
        return
    key = settings_key(job)
    with _changed:
        _pending.pop(key, None)
        _remember(key, (job.elapsed / len(job.records), True))
        _changed.notify_all()


def known_seconds(job: TrainingJob) -> float | None:
    """Seconds the whole of `job` should take, if its settings were timed already; never probes."""
    try:
        key = settings_key(job)
    except Exception:
        return None
    with _changed:
        known = _known.get(key)
    return None if known is None else known[0] * job.config.num_epochs


def _estimate(make_job: Callable[[], TrainingJob], timeout: float) -> tuple[tuple | None, Estimate | str | None]:
    """(settings key, estimate) of the run `make_job` would start; see `estimate_seconds`."""
    try:
        job = make_job()
        if not job.check_limits():  # hosted mode: the clamped epochs, or a refusal the button will explain
            return None, None
        key = settings_key(job)
    except Exception:
        return None, None
    with _changed:
        if key not in _known:
            _ask(key, job)
            _changed.wait_for(lambda: key in _known, timeout)
        if key not in _known:
            return key, PENDING
        known = _known[key]
        _known.move_to_end(key)
    if known is None:
        return key, None
    per_epoch, from_run = known
    epochs = job.config.num_epochs
    return key, (per_epoch * epochs, per_epoch, epochs, from_run)


def estimate_seconds(make_job: Callable[[], TrainingJob], timeout: float = 0.0) -> Estimate | str | None:
    """(total seconds, seconds per epoch, epochs, from a real run) of the run `make_job` would start;
    `PENDING` while its probe runs in the background (after waiting up to `timeout` s for it); None
    when its settings cannot train. Timed once per settings key, scaled by epochs."""
    return _estimate(make_job, timeout)[1]


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
    """"⏱ About …" for the run `make_job` would start, or "estimating…" while it is being timed."""
    key, estimate = _estimate(make_job, 0.0)
    if estimate == PENDING:
        _estimating(key)
    elif estimate is not None:
        total, per_epoch, epochs, from_run = estimate
        st.caption(t("train.estimate_run" if from_run else "train.estimate", time=duration(total), epochs=epochs,
                     per_epoch=duration(per_epoch)))


@st.fragment(run_every=POLL_SECONDS)
def _estimating(key: tuple) -> None:
    """Polls while the probe runs; then draws the page again, with the estimate and without this timer."""
    if _waiting(key):
        st.caption(t("train.estimating"))
    else:
        st.rerun()
