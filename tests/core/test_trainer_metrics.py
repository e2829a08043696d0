"""Every metric `fit` records, against a plain reference loop that computes it the obvious way, step by step.

The trainer keeps per-step values on the device and reduces them once an epoch (one fused norm kernel
per step, the loss and predictions reduced at the epoch's end); the reference uses torch's own
`get_total_norm` / `clip_grad_norm_`, `.item()` after every batch and Python sums.
"""
import contextlib
import math

import pytest
import torch
from torch import nn

from core.datasets import Dataset, Splits
from core.trainer import (
    TrainConfig,
    _predicted,
    _weight_params,
    evaluate_loss,
    fit,
    loss_fn,
    make_optimizer,
    make_scheduler,
    trained_per_epoch,
)


class Net(nn.Module):
    """A small MLP with the awkward parameters: a frozen layer, and one the forward pass never reaches."""

    def __init__(self, n_in: int, n_out: int, seed: int) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.frozen = nn.Linear(n_in, n_in)
        self.frozen.requires_grad_(False)
        self.body = nn.Sequential(nn.Linear(n_in, 12), nn.Tanh(), nn.Linear(12, 8), nn.ReLU())
        self.head = nn.Linear(8, n_out)
        self.unused = nn.Parameter(torch.randn(3, 3))  # no gradient ever: counts 0, as in get_total_norm

    def forward(self, x):
        return self.head(self.body(self.frozen(x)))


def random_splits(n_train: int, task: str, seed: int) -> Splits:
    g = torch.Generator().manual_seed(seed)
    n_in, n = 5, n_train + 20
    X = torch.randn(n, n_in, generator=g) * torch.rand(n_in, generator=g) * 3
    score = X @ torch.randn(n_in, generator=g)
    if task == "multiclass":
        y, classes = torch.bucketize(score, torch.tensor([-1.0, 0.0, 1.0])), ("a", "b", "c", "d")
    elif task == "binary":
        y, classes = (score > 0).long(), ("no", "yes")
    else:
        y, classes = score + 0.3 * torch.randn(n, generator=g), ()
    ds = Dataset("random", X, y, task, tuple(f"x{i}" for i in range(n_in)), classes)
    return Splits(X[:n_train], y[:n_train], X[n_train:n_train + 10], y[n_train:n_train + 10], X[n_train + 10:],
                  y[n_train + 10:], ds)


def reference_records(model: nn.Module, data: Splits, config: TrainConfig) -> list[dict]:
    """The records of `fit`, computed the plain way: one `.item()` per batch and per quantity."""
    task, X, y, n = data.task, data.X_train, data.y_train, len(data.y_train)
    criterion = loss_fn(task)
    optimizer = make_optimizer(model.parameters(), config)
    trained, steps = trained_per_epoch(n, config.batch_size)
    scheduler, per_batch = make_scheduler(optimizer, config, steps)
    weights = _weight_params(model)
    gen = torch.Generator().manual_seed(config.seed)
    records = []
    for _ in range(config.num_epochs):
        model.train()
        loss_sum = norm_sum = 0.0
        correct = seen = 0
        layer_sum = {name: 0.0 for name, _ in weights}
        perm = torch.randperm(n, generator=gen)
        for i in range(0, trained, config.batch_size):
            idx = perm[i : min(i + config.batch_size, trained)]
            autocast = torch.autocast("cpu", dtype=torch.bfloat16) if config.amp else contextlib.nullcontext()
            with autocast:
                out = model(X[idx])
                loss = criterion(out.float(), y[idx])
            optimizer.zero_grad()
            loss.backward()
            grads = [p.grad for p in model.parameters() if p.grad is not None]
            norm_sum += nn.utils.get_total_norm(grads).item()  # before clipping
            if config.clip_grad_norm > 0:
                nn.utils.clip_grad_norm_(model.parameters(), config.clip_grad_norm)
            for name, p in weights:  # after clipping, as the trainer has always reported them
                layer_sum[name] += 0.0 if p.grad is None else p.grad.norm().item()
            lr = optimizer.param_groups[0]["lr"]
            optimizer.step()
            if per_batch:
                scheduler.step()
            loss_sum += loss.item() * len(idx)
            if task != "regression":
                correct += (_predicted(task, out) == y[idx]).sum().item()
                seen += y[idx].numel()
        if scheduler is not None and not per_batch:
            scheduler.step()
        val_loss, val_score = evaluate_loss(model, data.X_val, data.y_val, task)
        records.append({
            "train_loss": loss_sum / trained,
            "train_score": evaluate_loss(model, X, y, task)[1] if task == "regression" else correct / seen,
            "val_loss": val_loss,
            "val_score": val_score,
            "grad_norm": norm_sum / steps,
            "lr": lr,
            "layer_grad_norms": {name: v / steps for name, v in layer_sum.items()} if config.track_layer_grads else None,
        })
    return records


CASES = [  # (task, n_train, batch_size, extra config)
    ("multiclass", 37, 8, {}),  # a last batch of 5
    ("multiclass", 33, 8, {"track_layer_grads": True}),  # a last batch of one: skipped
    ("multiclass", 40, 16, {"clip_grad_norm": 0.05, "track_layer_grads": True, "optimizer": "sgd", "lr": 0.5}),
    ("multiclass", 5, 2, {"clip_grad_norm": 1e3, "track_layer_grads": True}),  # clipping that never bites
    ("binary", 30, 7, {"clip_grad_norm": 0.2, "optimizer": "momentum", "lr": 0.1, "scheduler": "onecycle"}),
    ("binary", 64, 64, {"track_layer_grads": True, "optimizer": "rmsprop", "lr": 0.01}),  # one batch a step
    ("regression", 29, 6, {"track_layer_grads": True, "optimizer": "adamw", "scheduler": "cosine", "weight_decay": 0.1}),
    ("multiclass", 26, 5, {"amp": True, "clip_grad_norm": 0.3, "track_layer_grads": True}),
]


@pytest.mark.parametrize("task, n_train, batch_size, extra", CASES)
@pytest.mark.parametrize("seed", [0, 1])
def test_every_metric_matches_a_plain_reference_loop(task, n_train, batch_size, extra, seed):
    data = random_splits(n_train, task, seed)
    n_out = 4 if task == "multiclass" else 1
    config = TrainConfig(**{"num_epochs": 3, "batch_size": batch_size, "lr": 0.01, "seed": seed, **extra})
    expected = reference_records(Net(5, n_out, seed), data, config)
    got = list(fit(Net(5, n_out, seed), data, config))
    assert len(got) == len(expected)
    for epoch, (r, e) in enumerate(zip(got, expected), start=1):
        assert r.epoch == epoch and r.stop_reason is None
        for key in ("train_loss", "val_loss", "grad_norm", "lr"):
            assert getattr(r, key) == pytest.approx(e[key], rel=1e-5, abs=1e-7), (epoch, key)
        for key in ("train_score", "val_score"):
            assert getattr(r, key) == pytest.approx(e[key], rel=1e-5, abs=1e-7), (epoch, key)
        if e["layer_grad_norms"] is None:
            assert r.layer_grad_norms is None
        else:
            assert list(r.layer_grad_norms) == list(e["layer_grad_norms"]) == ["unused", "body.0", "body.2", "head"]
            assert r.layer_grad_norms["unused"] == 0.0
            for name, value in e["layer_grad_norms"].items():
                assert r.layer_grad_norms[name] == pytest.approx(value, rel=1e-5, abs=1e-7), (epoch, name)


def test_clipping_bounds_the_total_norm_like_torch():
    """The trainer's clip scales each step's gradients exactly as nn.utils.clip_grad_norm_ does."""
    from core.trainer import _clip_, _grad_norms

    g = torch.Generator().manual_seed(3)
    for max_norm in (1e-3, 0.5, 2.0, 1e6):
        shapes = [(4, 3), (3,), (2, 5, 5), (1,)]
        ours = [nn.Parameter(torch.empty(s)) for s in shapes]
        theirs = [nn.Parameter(torch.empty(s)) for s in shapes]
        for a, b in zip(ours, theirs):
            a.grad = torch.randn(a.shape, generator=g) * 2
            b.grad = a.grad.clone()
        grads = [p.grad for p in ours]
        norms = _grad_norms(ours)
        assert torch.linalg.vector_norm(norms).item() == pytest.approx(nn.utils.get_total_norm(grads).item(), rel=1e-6)
        _clip_(ours, norms, max_norm)
        total = nn.utils.clip_grad_norm_(theirs, max_norm)
        assert torch.linalg.vector_norm(norms).item() == pytest.approx(total.item(), rel=1e-6)
        for a, b in zip(ours, theirs):
            torch.testing.assert_close(a.grad, b.grad, rtol=1e-6, atol=0)


def test_a_parameter_without_a_gradient_counts_zero():
    from core.trainer import _grad_norms

    params = [nn.Parameter(torch.ones(2, 2)), nn.Parameter(torch.ones(3)), nn.Parameter(torch.ones(4))]
    params[0].grad, params[2].grad = torch.full((2, 2), 3.0), torch.full((4,), -1.0)
    norms = _grad_norms(params)
    assert norms.tolist() == [6.0, 0.0, 2.0]
    assert math.isclose(torch.linalg.vector_norm(norms).item(), nn.utils.get_total_norm([params[0].grad, params[2].grad]).item())


def test_stale_gradients_from_before_the_run_are_cleared():
    """fit zeroes the gradients after each step, and once before the first: leftovers never leak into step one."""
    data = random_splits(30, "multiclass", 0)
    config = TrainConfig(num_epochs=2, batch_size=8, lr=0.01, track_layer_grads=True)
    clean = [r.as_dict() | {"seconds": 0} for r in fit(Net(5, 4, 0), data, config)]
    stale = Net(5, 4, 0)
    for p in stale.parameters():
        p.grad = torch.full_like(p, 100.0)
    assert [r.as_dict() | {"seconds": 0} for r in fit(stale, data, config)] == clean
