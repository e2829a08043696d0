"""One training loop for every page: `fit(...)` yields an `EpochRecord` per epoch."""
from __future__ import annotations

import contextlib
import math
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from core.datasets import Splits, check_finite
from core.errors import InputError
from core.evaluation import binary_labels, r2_score_torch

OPTIMIZERS = ("sgd", "momentum", "adam", "adamw", "rmsprop")
SCHEDULERS = ("none", "cosine", "step", "onecycle")
DIVERGENCE_FACTOR = 50.0  # an epoch loss this many times the first batch's counts as divergence


@dataclass(frozen=True)
class TrainConfig:
    num_epochs: int = 20
    batch_size: int = 64
    optimizer: str = "adam"
    lr: float = 1e-3
    weight_decay: float = 0.0
    momentum: float = 0.9
    scheduler: str = "none"
    step_size: int = 10  # StepLR: epochs between decays
    gamma: float = 0.5  # StepLR: decay factor
    patience: int = 0  # early stopping on val loss; 0 switches it off
    clip_grad_norm: float = 0.0  # 0 switches clipping off
    amp: bool = False  # bf16 autocast on CPU, fp16 + GradScaler on CUDA
    seed: int = 0
    track_layer_grads: bool = False
    device: str = "cpu"


def check_train_config(config: TrainConfig, n_train: int | None = None) -> None:
    """Raise ValueError with a clear reason for impossible hyperparameters."""
    if config.optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {config.optimizer!r}; choose one of {OPTIMIZERS}")
    if config.scheduler not in SCHEDULERS:
        raise ValueError(f"unknown scheduler {config.scheduler!r}; choose one of {SCHEDULERS}")
    if config.num_epochs < 1:
        raise InputError("epochs", "train for at least one epoch")
    if config.batch_size < 1:
        raise InputError("batch_size", "the batch size must be at least 1")
    if config.batch_size == 1:
        raise InputError("batch_one", "a batch of one sample is skipped (it breaks BatchNorm), so a batch size "
                                      "of 1 would train nothing: use 2 or more")
    if not config.lr > 0 or not math.isfinite(config.lr):
        raise InputError("lr", "the learning rate must be a positive number")
    if config.weight_decay < 0 or config.clip_grad_norm < 0 or config.patience < 0:
        raise InputError("negative", "weight decay, clipping and patience cannot be negative")
    if n_train is not None and n_train < 2:
        raise InputError("few_train", "the training split needs at least 2 samples")


@dataclass
class EpochRecord:
    epoch: int  # 1-based
    num_epochs: int
    train_loss: float
    val_loss: float
    train_score: float | None  # accuracy for classification, R² for regression
    val_score: float | None
    lr: float  # the learning rate of the epoch's last step
    grad_norm: float  # mean total gradient norm (before clipping) over the epoch's steps
    seconds: float
    layer_grad_norms: dict[str, float] | None = None
    stop_reason: str | None = None  # "diverged" | "early_stopping" on the last record

    def as_dict(self) -> dict:
        return asdict(self)


class Callback:
    """Hooks that `fit` calls; return True from `on_epoch_end` to stop training."""

    def on_train_begin(self, model: nn.Module) -> None: ...

    def on_epoch_end(self, record: EpochRecord, model: nn.Module) -> bool | None: ...

    def on_train_end(self, model: nn.Module) -> None: ...


class BestWeights(Callback):
    """Keeps a CPU copy of the weights with the lowest validation loss."""

    def __init__(self) -> None:
        self.best_loss = math.inf
        self.best_epoch = 0
        self.state: dict[str, torch.Tensor] | None = None

    def on_epoch_end(self, record, model):
        if record.val_loss < self.best_loss:
            self.best_loss, self.best_epoch = record.val_loss, record.epoch
            self.state = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}


class EarlyStopping(BestWeights):
    """Stops after `patience` epochs without a better val loss and restores the best weights."""

    def __init__(self, patience: int) -> None:
        super().__init__()
        self.patience = patience

    def on_epoch_end(self, record, model):
        super().on_epoch_end(record, model)
        if record.epoch - self.best_epoch >= self.patience:
            record.stop_reason = record.stop_reason or "early_stopping"
            return True
        return None

    def on_train_end(self, model):
        if self.state is not None:
            model.load_state_dict(self.state)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def output_size(task: str, num_classes: int) -> int:
    """Logits per sample: one per class, or a single one for binary and regression."""
    return num_classes if task == "multiclass" else 1


def _cross_entropy(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    if out.dim() != 2 or y.dim() != 1:  # (B, T, C) against (B, T): one row per token
        out, y = out.reshape(-1, out.shape[-1]), y.reshape(-1)
    return F.cross_entropy(out, y)


def loss_fn(task: str) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """Cross-entropy, BCE-with-logits or MSE. Multiclass logits may carry extra dims: (B, T, C)
    against labels (B, T) is scored token by token."""
    if task == "multiclass":
        return _cross_entropy
    if task == "binary":
        return lambda out, y: F.binary_cross_entropy_with_logits(out.reshape(-1), y.float())
    return lambda out, y: F.mse_loss(out.reshape(-1), y.float().reshape(-1))


def _predicted(task: str, out: torch.Tensor) -> torch.Tensor:
    """Predicted labels: the top class (per token, for sequence outputs), or logit > 0 for binary."""
    return out.argmax(dim=-1) if task == "multiclass" else binary_labels(out.reshape(-1))


def correct_count(task: str, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Number of right predictions (tokens, for sequence outputs) as a 0-d tensor (no host sync)."""
    return (_predicted(task, out) == y).sum()


def make_optimizer(params, config: TrainConfig) -> torch.optim.Optimizer:
    """The optimizer, with its fused kernel where torch has one (one call per step instead of
    several small ops per parameter: 1.6x faster steps for our small CPU models), else foreach."""
    wd, lr, params = config.weight_decay, config.lr, list(params)
    if config.optimizer == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, weight_decay=wd, foreach=True)
    cls, kwargs = {
        "sgd": (torch.optim.SGD, {}),
        "momentum": (torch.optim.SGD, {"momentum": config.momentum}),
        "adam": (torch.optim.Adam, {}),
        "adamw": (torch.optim.AdamW, {}),
    }[config.optimizer]
    try:
        return cls(params, lr=lr, weight_decay=wd, fused=True, **kwargs)
    except (RuntimeError, ValueError, TypeError):  # no fused kernel for this device or dtype
        return cls(params, lr=lr, weight_decay=wd, foreach=True, **kwargs)


def make_scheduler(optimizer, config: TrainConfig, steps_per_epoch: int):
    """Returns (scheduler, steps_per_batch): one-cycle steps every batch, the others every epoch."""
    if config.scheduler == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.num_epochs), False
    if config.scheduler == "step":
        return torch.optim.lr_scheduler.StepLR(optimizer, config.step_size, config.gamma), False
    if config.scheduler == "onecycle":
        total = config.num_epochs * steps_per_epoch
        return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=config.lr, total_steps=total), True
    return None, False


def trained_per_epoch(n: int, batch_size: int) -> tuple[int, int]:
    """(samples, steps) that one epoch trains: a last batch of one sample is skipped, since it
    breaks BatchNorm and adds only noise."""
    samples = n - 1 if n % batch_size == 1 and n > 1 else n
    return samples, math.ceil(samples / batch_size)


def _weight_params(model: nn.Module) -> list[tuple[str, nn.Parameter]]:
    """Parameters that are weights of a layer (dim ≥ 2), in forward order."""
    return [(n.removesuffix(".weight"), p) for n, p in model.named_parameters() if p.dim() >= 2 and p.requires_grad]


def _grad_norms(params: list[nn.Parameter]) -> torch.Tensor:
    """(P,) L2 norm of each parameter's gradient in one fused kernel; 0 for a parameter the batch did not reach."""
    grads = [p.grad for p in params if p.grad is not None]
    norms = torch._foreach_norm(grads) if grads else ()
    if len(grads) < len(params):
        found = iter(norms)
        norms = [next(found) if p.grad is not None else p.new_zeros(()) for p in params]
    return torch.stack(norms)


def _clip_(params: list[nn.Parameter], norms: torch.Tensor, max_norm: float) -> torch.Tensor:
    """Scale the gradients in place to a total norm of at most `max_norm`, exactly as
    nn.utils.clip_grad_norm_ does, from their per-parameter `norms`; returns the scale (0-d)."""
    scale = torch.clamp(max_norm / (torch.linalg.vector_norm(norms) + 1e-6), max=1.0)
    torch._foreach_mul_([p.grad for p in params if p.grad is not None], scale)
    return scale


@torch.no_grad()
def evaluate_loss(model, X, y, task: str, batch_size: int = 4096) -> tuple[float, float | None]:
    """Mean loss and score (accuracy, or R² for regression) over (X, y), one host sync."""
    model.eval()
    criterion = loss_fn(task)
    loss_sum = torch.zeros((), device=X.device)
    correct = torch.zeros((), device=X.device, dtype=torch.long)
    outs = []
    for i in range(0, len(X), batch_size):
        out = model(X[i : i + batch_size]).float()
        yb = y[i : i + batch_size]
        loss_sum += criterion(out, yb) * len(yb)
        if task == "regression":
            outs.append(out.reshape(-1))
        else:
            correct += correct_count(task, out, yb)
    n = max(1, len(X))
    if task == "regression":
        r2 = r2_score_torch(y, torch.cat(outs))
        loss, r2 = torch.stack([(loss_sum / n).to(r2.dtype), r2]).tolist()  # one host sync
        return loss, r2
    return (loss_sum / n).item(), correct.item() / max(1, y.numel())


def fit(
    model: nn.Module,
    data: Splits,
    config: TrainConfig,
    callbacks: Iterable[Callback] = (),
    should_stop: Callable[[], bool] | None = None,
) -> Iterator[EpochRecord]:
    """Train `model` on `data`, yielding one record per finished epoch.

    Data stays on the device and is batched by index; the host syncs once per epoch.
    `should_stop` is polled between batches. A non-finite or exploding loss ends the run
    with `stop_reason="diverged"` on the last record.
    """
    check_train_config(config, len(data.y_train))
    for X, y in ((data.X_train, data.y_train), (data.X_val, data.y_val)):
        check_finite(X, y, data.source.feature_names)
    callbacks = list(callbacks)
    if config.patience > 0 and not any(isinstance(c, EarlyStopping) for c in callbacks):
        callbacks.append(EarlyStopping(config.patience))
    device = torch.device(config.device)
    data = data.to(device)
    model.to(device)
    task, n = data.task, len(data.y_train)
    X, y = data.X_train, data.y_train
    criterion = loss_fn(task)
    optimizer = make_optimizer(model.parameters(), config)
    trained, steps = trained_per_epoch(n, config.batch_size)
    scheduler, per_batch = make_scheduler(optimizer, config, steps)
    use_amp = config.amp and device.type in ("cpu", "cuda", "mps")
    amp_dtype = torch.bfloat16 if device.type == "cpu" else torch.float16
    scaler = torch.amp.GradScaler(device.type) if use_amp and device.type == "cuda" else None
    params = [p for p in model.parameters() if p.requires_grad]
    weights = _weight_params(model) if config.track_layer_grads else []
    weight_index = torch.tensor([next(i for i, p in enumerate(params) if p is w) for _, w in weights], dtype=torch.long,
                                device=device)
    batch_sizes = torch.tensor([min(config.batch_size, trained - i) for i in range(0, trained, config.batch_size)],
                               dtype=torch.float32, device=device)
    gen = torch.Generator(device=device).manual_seed(config.seed)
    first_loss: float | None = None
    optimizer.zero_grad(set_to_none=True)  # then after every step, which frees the gradients before the next forward
    for cb in callbacks:
        cb.on_train_begin(model)
    try:
        for epoch in range(1, config.num_epochs + 1):
            start = time.perf_counter()
            model.train()
            # per step, kept on the device and reduced once at the epoch's end
            losses, predictions, grad_norms, clip_scales = [], [], [], []
            perm = torch.randperm(n, device=device, generator=gen)
            for i in range(0, trained, config.batch_size):
                if should_stop is not None and should_stop():
                    return
                idx = perm[i : min(i + config.batch_size, trained)]
                xb, yb = X[idx], y[idx]
                with torch.autocast(device.type, dtype=amp_dtype) if use_amp else contextlib.nullcontext():
                    out = model(xb)
                    loss = criterion(out.float(), yb)
                if scaler is not None:
                    scaler.scale(loss).backward()
                    scaler.unscale_(optimizer)
                else:
                    loss.backward()
                norms = _grad_norms(params)  # (P,) before clipping
                if config.clip_grad_norm > 0:
                    clip_scales.append(_clip_(params, norms, config.clip_grad_norm))
                if scaler is not None:
                    scaler.step(optimizer)
                    scaler.update()
                else:
                    optimizer.step()
                optimizer.zero_grad(set_to_none=True)
                lr = optimizer.param_groups[0]["lr"]  # the rate this step used; the record keeps the last one
                if per_batch:
                    scheduler.step()
                losses.append(loss.detach())
                grad_norms.append(norms)
                if task != "regression":
                    predictions.append(_predicted(task, out))
            if scheduler is not None and not per_batch:
                scheduler.step()
            if first_loss is None:
                first_loss = losses[0].item()  # the divergence yardstick: the run's first batch
            train_loss = (torch.stack(losses) @ batch_sizes / trained).item()
            diverged = not math.isfinite(train_loss) or (
                math.isfinite(first_loss) and train_loss > DIVERGENCE_FACTOR * max(first_loss, 1e-3)
            )
            if diverged:
                val_loss, val_score = math.nan, None
            else:
                val_loss, val_score = evaluate_loss(model, data.X_val, data.y_val, task)
                diverged = not math.isfinite(val_loss)
            if task == "regression":
                train_score = None if diverged else evaluate_loss(model, X, y, task)[1]
            else:
                labels = torch.cat(predictions)  # (trained, ...) in the order of perm
                train_score = (labels == y[perm[:trained]]).sum().item() / max(1, labels.numel())
            grad_norms = torch.stack(grad_norms)  # (steps, P)
            layer_grad_norms = None
            if weights:
                layer_norms = grad_norms[:, weight_index]  # (steps, layers)
                if clip_scales:
                    layer_norms = layer_norms * torch.stack(clip_scales)[:, None]  # the layers' norms after clipping
                layer_grad_norms = dict(zip((name for name, _ in weights), layer_norms.mean(0).tolist()))
            record = EpochRecord(
                epoch=epoch,
                num_epochs=config.num_epochs,
                train_loss=train_loss,
                val_loss=val_loss,
                train_score=train_score,
                val_score=val_score,
                lr=lr,
                grad_norm=torch.linalg.vector_norm(grad_norms, dim=1).mean().item(),
                seconds=time.perf_counter() - start,
                layer_grad_norms=layer_grad_norms,
                stop_reason="diverged" if diverged else None,
            )
            stop = diverged
            if not diverged:
                for cb in callbacks:
                    stop = bool(cb.on_epoch_end(record, model)) or stop
            yield record
            if stop:
                return
    finally:
        for cb in callbacks:
            cb.on_train_end(model)

