"""Debugging and speed: gradient norms, failure cases, overfit-one-batch, profiler, checkpointing, AMP."""
from __future__ import annotations

import math
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

from core.datasets import Splits
from core.jobs import TrainingJob
from core.models import MLPConfig, build_model
from core.trainer import Callback, EpochRecord, TrainConfig, fit, loss_fn, output_size, seed_everything

FAILURES = ("healthy", "zero_init", "huge_init", "huge_lr", "deep_sigmoid")
NORM_FLOOR = 1e-12  # shown instead of an exact zero on a log colour scale
EXPLODING_NORM = 10.0  # a layer gradient norm this large, epoch after epoch, means the scale is off


# --- gradient norms --------------------------------------------------------------------------

def backward_once(model: nn.Module, X: torch.Tensor, y: torch.Tensor, task: str) -> float:
    """One forward and backward pass on (X, y), leaving the gradients in `p.grad`; returns the loss."""
    model.train()
    model.zero_grad(set_to_none=True)
    loss = loss_fn(task)(model(X).float(), y)
    loss.backward()
    return loss.item()


def layer_grad_norms(model: nn.Module) -> dict[str, float]:
    """L2 norm of each layer's weight gradient, named like the trainer's `record.layer_grad_norms`."""
    return {
        name.removesuffix(".weight"): p.grad.detach().norm().item()
        for name, p in model.named_parameters()
        if p.dim() >= 2 and p.grad is not None
    }


def total_grad_norm(model: nn.Module) -> float:
    """L2 norm of all gradients stacked into one vector: sqrt(sum of squared per-tensor norms)."""
    return math.sqrt(sum(p.grad.detach().double().norm().item() ** 2 for p in model.parameters() if p.grad is not None))


def grad_norm_reference(model: nn.Module, data: Splits) -> dict:
    """Our per-layer and total gradient norms of one full-batch backward pass, against
    `torch.nn.utils` and against the norms the trainer records for the same weights."""
    init = {k: v.clone() for k, v in model.state_dict().items()}
    backward_once(model, data.X_train, data.y_train, data.task)
    ours, total = layer_grad_norms(model), total_grad_norm(model)
    lib_total = torch.nn.utils.get_total_norm([p.grad for p in model.parameters()]).item()
    clip_total = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1e9).item()  # returns the norm it saw
    manual = {n.removesuffix(".weight"): p.grad.norm().item() for n, p in model.named_parameters() if p.dim() >= 2}
    # one full-batch step per epoch: the recorded norms are the gradients at the same initial weights
    model.load_state_dict(init)
    model.zero_grad(set_to_none=True)
    one_step = TrainConfig(num_epochs=1, batch_size=len(data.y_train), optimizer="sgd", lr=1e-3, track_layer_grads=True)
    record = next(iter(fit(model, data, one_step)))
    rows = [{"layer": k, "ours": v, "manual": manual[k], "trainer": record.layer_grad_norms[k]} for k, v in ours.items()]
    return {"rows": rows, "total": total, "lib_total": lib_total, "clip_total": clip_total,
            "trainer_total": record.grad_norm}


def grad_norm_rows(records: Sequence[EpochRecord]) -> list[dict]:
    """Long rows (epoch, layer, norm) from records trained with `track_layer_grads=True`."""
    rows = []
    for r in records:
        for i, (layer, norm) in enumerate((r.layer_grad_norms or {}).items()):
            shown = norm if math.isfinite(norm) else float("nan")
            rows.append({"epoch": r.epoch, "layer": f"{i + 1}. {layer}", "norm": max(shown, NORM_FLOOR)})
    return [row for row in rows if math.isfinite(row["norm"])]


def clipping_rows(records: Sequence[EpochRecord], max_norm: float) -> list[dict]:
    """Per epoch: the mean gradient norm before clipping, the norm after it, and the scale applied."""
    rows = []
    for r in records:
        after = min(r.grad_norm, max_norm) if max_norm > 0 else r.grad_norm
        scale = after / r.grad_norm if r.grad_norm > 0 else 1.0
        rows.append({"epoch": r.epoch, "before": r.grad_norm, "after": after, "scale": scale})
    return rows


def compare_clipping(build: Callable[[], nn.Module], data: Splits, config: TrainConfig) -> dict[str, list[EpochRecord]]:
    """What clipping changes: the same run, from the same initial weights and seed, with
    `config.clip_grad_norm` ("clipped") and with clipping off ("unclipped")."""
    runs = {}
    for label, max_norm in (("clipped", config.clip_grad_norm), ("unclipped", 0.0)):
        seed_everything(config.seed)
        runs[label] = list(fit(build(), data, replace(config, clip_grad_norm=max_norm)))
    return runs


def diagnose(records: Sequence[EpochRecord]) -> str:
    """A one-word verdict on a run: diverged, dead, vanishing, exploding, stalled or healthy."""
    if not records:
        return "empty"
    last = records[-1]
    if last.stop_reason == "diverged":
        return "diverged"
    norms = list((last.layer_grad_norms or {}).values())
    if norms and max(norms[:-1] or [0.0]) < 1e-8:
        return "dead"
    if len(norms) >= 2 and norms[0] < 1e-3 * norms[-1]:
        return "vanishing"
    if norms and max(norms) > EXPLODING_NORM:
        return "exploding"
    first = records[0].train_loss
    if len(records) >= 2 and last.train_loss > 0.9 * first:
        return "stalled"
    return "healthy"


# --- failure switches ------------------------------------------------------------------------

@dataclass(frozen=True)
class FailureCase:
    """A model and training settings that show one failure (or the healthy baseline)."""

    name: str
    model: MLPConfig
    init: str  # "default" | "zero" | "huge"
    config: TrainConfig


def failure_case(name: str, in_features: int, num_classes: int, base: TrainConfig) -> FailureCase:
    """The settings for failure `name`; `base` gives epochs, seed and device."""
    if name not in FAILURES:
        raise ValueError(f"unknown failure case {name!r}; choose one of {FAILURES}")
    out = output_size("multiclass", num_classes)
    relu = MLPConfig(in_features, out, (64, 64, 64), "relu")
    adam = replace(base, optimizer="adam", lr=1e-3, track_layer_grads=True, clip_grad_norm=0.0)
    if name == "zero_init":
        return FailureCase(name, relu, "zero", adam)
    if name == "huge_init":
        return FailureCase(name, relu, "huge", adam)
    if name == "huge_lr":
        return FailureCase(name, relu, "default", replace(adam, optimizer="sgd", lr=10.0))
    if name == "deep_sigmoid":
        sigmoid = MLPConfig(in_features, out, (32,) * 10, "sigmoid")
        return FailureCase(name, sigmoid, "default", replace(adam, optimizer="sgd", lr=0.1))
    return FailureCase(name, relu, "default", adam)


def sigmoid_layer_factors(depth: int = 10, width: int = 32, weight_scale: float = 1.0, seed: int = 0) -> list[dict]:
    """Per layer of a deep sigmoid stack: the spectral norm of its backward factor W_ℓᵀ diag(σ′(z_ℓ)), the bound
    ¼‖W_ℓ‖₂ and ‖W_ℓ‖₂. The factor depends on the weights, so "at most ¼" holds only when ‖W_ℓ‖₂ ≤ 1."""
    g = torch.Generator().manual_seed(seed)
    h = torch.randn(1, width, generator=g, dtype=torch.float64)
    rows = []
    for _ in range(depth):
        # nn.Linear's default init draws from U(−1/√width, 1/√width); weight_scale multiplies it
        W = (torch.rand(width, width, generator=g, dtype=torch.float64) * 2 - 1) * weight_scale / math.sqrt(width)
        z = h @ W.T                                                   # (1, width)
        slope = torch.sigmoid(z) * (1 - torch.sigmoid(z))             # σ′(z) ≤ ¼
        factor = W.T @ torch.diag(slope[0])                           # ∂L/∂h_{ℓ−1} = ∂L/∂h_ℓ · diag(σ′) W
        w_norm = float(torch.linalg.matrix_norm(W, ord=2))
        rows.append({"factor": float(torch.linalg.matrix_norm(factor, ord=2)), "bound": w_norm / 4, "w_norm": w_norm})
        h = torch.sigmoid(z)
    return rows


def init_weights(model: nn.Module, init: str, scale: float = 10.0) -> nn.Module:
    """Re-initialise Linear layers: "zero" sets every weight and bias to 0, "huge" multiplies weights by `scale`."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Linear):
                if init == "zero":
                    m.weight.zero_()
                    m.bias.zero_()
                elif init == "huge":
                    m.weight.mul_(scale)
    return model


def failure_job(case: FailureCase, data: Splits, **meta) -> TrainingJob:
    """A training job for `case`, trained by the shared trainer."""
    return TrainingJob(lambda: init_weights(build_model(case.model), case.init), data, case.config,
                       meta={"failure": case.name, **meta})


# --- overfit one batch -----------------------------------------------------------------------

class StopBelow(Callback):
    """Stops training once the training loss falls below `target`."""

    def __init__(self, target: float) -> None:
        self.target = target

    def on_epoch_end(self, record, model):
        return record.train_loss < self.target


def one_batch(data: Splits, batch_size: int, seed: int = 0) -> Splits:
    """Splits whose train and val sets are the same `batch_size` training samples."""
    g = torch.Generator().manual_seed(seed)
    idx = torch.randperm(len(data.y_train), generator=g)[:batch_size]
    X, y = data.X_train[idx], data.y_train[idx]
    return replace(data, X_train=X, y_train=y, X_val=X, y_val=y, X_test=X, y_test=y)


def overfit_one_batch(model: nn.Module, data: Splits, batch_size: int = 32, max_steps: int = 300,
                      lr: float = 1e-2, target: float = 0.01, seed: int = 0) -> list[float]:
    """Train on one fixed batch (one step per epoch of the shared trainer) until the loss is below `target`.

    Returns the loss before each step; a healthy model and loop drive it towards zero.
    """
    batch = one_batch(data, batch_size, seed)
    config = TrainConfig(num_epochs=max_steps, batch_size=batch_size, optimizer="adam", lr=lr, seed=seed)
    return [r.train_loss for r in fit(model, batch, config, [StopBelow(target)])]


# --- profiler --------------------------------------------------------------------------------

@dataclass
class ProfileSummary:
    rows: list[dict]  # op, calls, self_cpu_ms, total_cpu_ms; sorted by self CPU time
    trace: bytes  # Chrome trace JSON, for chrome://tracing or https://ui.perfetto.dev
    steps: int


def profile_training_steps(model: nn.Module, X: torch.Tensor, y: torch.Tensor, task: str,
                           steps: int = 3, top: int = 12) -> ProfileSummary:
    """Profile `steps` forward+backward+SGD steps on the CPU; the top ops and the Chrome trace."""
    from torch.profiler import ProfilerActivity, profile

    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
    criterion = loss_fn(task)
    model.train()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(steps):
            optimizer.zero_grad(set_to_none=True)
            criterion(model(X), y).backward()
            optimizer.step()
    events = sorted(prof.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)
    rows = [{"op": e.key, "calls": e.count, "self_cpu_ms": e.self_cpu_time_total / 1e3,
             "total_cpu_ms": e.cpu_time_total / 1e3} for e in events[:top]]
    fd, path = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    try:
        prof.export_chrome_trace(path)
        with open(path, "rb") as f:
            trace = f.read()
    finally:
        os.remove(path)
    return ProfileSummary(rows, trace, steps)


# --- activation memory and checkpointing -----------------------------------------------------

class SavedTensorMeter:
    """Counts the bytes autograd saves for backward, each storage once, split into activations and parameters."""

    def __init__(self, params: Sequence[torch.Tensor] = ()) -> None:
        self.param_storages = {p.untyped_storage().data_ptr() for p in params}
        self.storages: dict[int, int] = {}
        self.activation_bytes = 0
        self.param_bytes = 0
        self.count = 0

    def pack(self, t: torch.Tensor) -> torch.Tensor:
        storage = t.untyped_storage()
        ptr = storage.data_ptr()
        self.count += 1
        if ptr not in self.storages:
            self.storages[ptr] = storage.nbytes()
            if ptr in self.param_storages:
                self.param_bytes += storage.nbytes()
            else:
                self.activation_bytes += storage.nbytes()
        return t

    def hooks(self):
        return torch.autograd.graph.saved_tensors_hooks(self.pack, lambda t: t)


def linear_saved_bytes(batch: int, fan_in: int, fan_out: int) -> dict:
    """What the meter counts for one Linear layer, beside what backward needs: x for dW, W for dx."""
    layer = nn.Linear(fan_in, fan_out)
    x = torch.randn(batch, fan_in, requires_grad=True)  # (B, in)
    meter = SavedTensorMeter(list(layer.parameters()))
    with meter.hooks():
        layer(x).sum()
    return {"act": meter.activation_bytes, "param": meter.param_bytes, "count": meter.count,
            "x": x.numel() * x.element_size(), "w": layer.weight.numel() * layer.weight.element_size()}


def deep_mlp(depth: int, width: int, in_features: int = 64, num_classes: int = 10) -> nn.Sequential:
    """`depth` blocks of Linear(width) + ReLU, then a linear head: a model whose memory is mostly activations."""
    return build_model(MLPConfig(in_features, num_classes, (width,) * depth, "relu")).net


def segmented_forward(net: nn.Sequential, x: torch.Tensor, segments: int) -> torch.Tensor:
    """Run `net` in `segments` checkpointed chunks: only chunk inputs are kept, the rest is recomputed in backward."""
    layers = list(net)
    size = math.ceil(len(layers) / segments)
    for start in range(0, len(layers), size):
        x = checkpoint(nn.Sequential(*layers[start:start + size]), x, use_reentrant=False)
    return x


@dataclass
class MemoryMeasure:
    checkpointed: bool
    activation_bytes: int
    saved_tensors: int
    seconds: float  # median forward+backward time


def measure_activation_memory(net: nn.Sequential, X: torch.Tensor, y: torch.Tensor, checkpointed: bool,
                              segments: int = 4, repeats: int = 3) -> MemoryMeasure:
    """Bytes saved for backward during the forward pass, and the median time of forward+backward."""
    criterion = loss_fn("multiclass")

    def forward() -> torch.Tensor:
        out = segmented_forward(net, X, segments) if checkpointed else net(X)
        return criterion(out, y)

    meter = SavedTensorMeter(list(net.parameters()))
    with meter.hooks():
        loss = forward()
    loss.backward()
    times = []
    for _ in range(repeats):
        net.zero_grad(set_to_none=True)
        start = time.perf_counter()
        forward().backward()
        times.append(time.perf_counter() - start)
    return MemoryMeasure(checkpointed, meter.activation_bytes, meter.count, statistics.median(times))


def compare_checkpointing(depth: int = 16, width: int = 256, batch_size: int = 256, segments: int = 4,
                          seed: int = 0) -> list[MemoryMeasure]:
    """Activation memory and time without and with gradient checkpointing, same model and batch."""
    seed_everything(seed)
    net = deep_mlp(depth, width)
    X, y = torch.randn(batch_size, 64), torch.randint(0, 10, (batch_size,))
    return [measure_activation_memory(net, X, y, c, segments) for c in (False, True)]


# --- mixed precision -------------------------------------------------------------------------

@dataclass
class PrecisionRun:
    precision: str  # "fp32" | "bf16" | "fp16"
    samples_per_s: float
    val_accuracy: float
    final_loss: float
    status: str


def compare_precision(build: Callable[[], nn.Module], data: Splits, config: TrainConfig) -> list[PrecisionRun]:
    """Train the same model twice with the shared trainer, fp32 and autocast, and compare speed and accuracy."""
    half = "fp16" if torch.device(config.device).type == "cuda" else "bf16"
    runs = []
    for amp in (False, True):
        job = TrainingJob(build, data, replace(config, amp=amp), meta={"amp": amp}).run()
        if not job.records:
            raise RuntimeError(job.error or "training produced no epoch")
        seconds = sum(r.seconds for r in job.records)
        seen = len(data.y_train) * len(job.records)
        last = job.records[-1]
        runs.append(PrecisionRun(half if amp else "fp32", seen / max(seconds, 1e-9),
                                 last.val_score or 0.0, last.train_loss, job.status))
    return runs
