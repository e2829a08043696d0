"""Hosted-demo limits, enforced on the server when a training job starts.

A shared demo (a class of ~20 pressing Train at once) turns on with `DLDASH_HOSTED=1`. Then every
`TrainingJob` is checked in `core.jobs` before its thread starts, so neither a widget, a URL nor a
session-state value can exceed the limits: epochs and the training split are clamped, a model
with too many parameters is refused with a clear reason, and at most `max_jobs` jobs train at once.

Environment variables (all optional; the defaults apply only in hosted mode):
    DLDASH_HOSTED       1/true/yes turns hosted mode on
    DLDASH_MAX_EPOCHS   epochs per run (default 50)
    DLDASH_MAX_SAMPLES  training samples per run (default 5000)
    DLDASH_MAX_PARAMS   model parameters (default 2_000_000)
    DLDASH_MAX_JOBS     concurrent training jobs on the server (default 2)
    DLDASH_SESSIONS     expected concurrent sessions, sizes torch's thread pool (default 8)
"""
from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # torch loads only when a run is checked: Home and the router never need it
    from core.datasets import Splits
    from core.trainer import TrainConfig

TRUE = ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Limits:
    hosted: bool = False
    max_epochs: int = 50
    max_train_samples: int = 5000
    max_parameters: int = 2_000_000
    max_jobs: int = 2
    sessions: int = 8

    def describe(self) -> dict:
        return {"epochs": self.max_epochs, "samples": self.max_train_samples, "params": self.max_parameters,
                "jobs": self.max_jobs}


LOCAL = Limits(hosted=False)


class LimitExceeded(ValueError):
    """A run that hosted mode refuses; `code` and `params` let the UI say why in any language."""

    def __init__(self, code: str, **params) -> None:
        self.code, self.params = code, params
        super().__init__(f"{code}: " + ", ".join(f"{k}={v}" for k, v in params.items()))


def _int(raw, default: int, lo: int = 1) -> int:
    try:
        value = int(float(str(raw).strip()))
    except (TypeError, ValueError, OverflowError):
        return default
    return max(lo, value)


def limits_from(env: Mapping[str, str] | None = None, secrets: Mapping | None = None) -> Limits:
    """Limits from environment variables, then a `[hosted]` table of Streamlit secrets (env wins)."""
    env = os.environ if env is None else env
    secrets = dict(secrets or {})

    def get(name: str, secret_key: str):
        if name in env:
            return env[name]
        return secrets.get(secret_key)

    hosted_raw = get("DLDASH_HOSTED", "enabled")
    hosted = str(hosted_raw).strip().lower() in TRUE if hosted_raw is not None else False
    base = Limits()
    return Limits(
        hosted=hosted,
        max_epochs=_int(get("DLDASH_MAX_EPOCHS", "max_epochs"), base.max_epochs),
        max_train_samples=_int(get("DLDASH_MAX_SAMPLES", "max_samples"), base.max_train_samples, lo=10),
        max_parameters=_int(get("DLDASH_MAX_PARAMS", "max_params"), base.max_parameters, lo=10),
        max_jobs=_int(get("DLDASH_MAX_JOBS", "max_jobs"), base.max_jobs),
        sessions=_int(get("DLDASH_SESSIONS", "sessions"), base.sessions),
    )


_current: Limits | None = None


def current() -> Limits:
    """This process's limits (read from the environment once, unless `configure` set them)."""
    global _current
    if _current is None:
        _current = limits_from()
    return _current


def configure(limits: Limits | None) -> Limits:
    """Set this process's limits (the app passes secrets here; tests pass their own). None re-reads env."""
    global _current
    _current = limits if limits is not None else limits_from()
    return _current


def count_parameters_of(build_model) -> int:
    """Parameters of the model `build_model()` makes, counted on the meta device (no memory, no RNG)."""
    import torch

    try:
        with torch.device("meta"):
            model = build_model()
    except Exception:  # a constructor that cannot run on meta: build it for real
        model = build_model()
    return sum(p.numel() for p in model.parameters())


def _subsample(data: Splits, n: int, seed: int) -> Splits:
    import torch

    gen = torch.Generator().manual_seed(seed)
    idx = torch.randperm(len(data.y_train), generator=gen)[:n].sort().values
    return replace(data, X_train=data.X_train[idx], y_train=data.y_train[idx])


@dataclass(frozen=True)
class Enforced:
    config: TrainConfig
    data: Splits
    parameters: int
    notes: tuple[tuple[str, dict], ...]  # (code, params) for each clamp applied


def enforce(limits: Limits, config: TrainConfig, data: Splits, build_model) -> Enforced:
    """Clamp epochs and training samples to `limits`; raise LimitExceeded for a model that is too big."""
    notes: list[tuple[str, dict]] = []
    n_params = count_parameters_of(build_model) if limits.hosted else -1
    if not limits.hosted:
        return Enforced(config, data, n_params, ())
    if n_params > limits.max_parameters:
        raise LimitExceeded("too_many_params", params=n_params, limit=limits.max_parameters)
    epochs = config.num_epochs if isinstance(config.num_epochs, int) else math.floor(config.num_epochs)
    if epochs > limits.max_epochs:
        notes.append(("epochs_clamped", {"asked": epochs, "limit": limits.max_epochs}))
        config = replace(config, num_epochs=limits.max_epochs)
    n_train = len(data.y_train)
    if n_train > limits.max_train_samples:
        notes.append(("samples_clamped", {"asked": n_train, "limit": limits.max_train_samples}))
        data = _subsample(data, limits.max_train_samples, config.seed)
    return Enforced(config, data, n_params, tuple(notes))
