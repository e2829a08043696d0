"""5.2 The training loop's idioms, each measured on a tiny model: what zero_grad, train/eval, no_grad, the
scheduler's place and a state_dict round trip actually do."""
from __future__ import annotations

import io
import warnings

import torch
from torch import nn


def stale_gradients() -> dict[str, float]:
    """.grad accumulates: two backward passes without zero_grad() leave twice the gradient."""
    w = torch.tensor(3.0, requires_grad=True)
    (w**2).backward()
    once = w.grad.item()                       # d(w²)/dw = 2w = 6
    (w**2).backward()
    twice = w.grad.item()                      # 6 + 6: the second gradient was added, not stored
    w.grad = None                              # what optimizer.zero_grad() does (set_to_none=True)
    (w**2).backward()
    return {"once": once, "twice_without_zero_grad": twice, "after_zero_grad": w.grad.item()}


def train_vs_eval(seed: int = 0) -> dict[str, float]:
    """Dropout and BatchNorm behave differently in the two modes: train mode is random and batch-dependent."""
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 1))
    x = torch.randn(8, 4)
    model.train()
    train_gap = (model(x) - model(x)).abs().max().item()           # two passes, two dropout masks
    model.eval()
    eval_gap = (model(x) - model(x)).abs().max().item()            # deterministic
    alone = model(x[:1])                                           # eval: a sample's output ignores its batch
    return {"train_two_passes": train_gap, "eval_two_passes": eval_gap,
            "eval_alone_vs_in_batch": (alone - model(x)[:1]).abs().max().item()}


def no_grad_graph() -> dict[str, bool]:
    """Inside torch.no_grad() no graph is recorded: the output has no grad_fn and cannot be backpropagated."""
    layer = nn.Linear(3, 1)
    x = torch.randn(2, 3)
    tracked = layer(x)
    with torch.no_grad():
        untracked = layer(x)
    return {"tracked_requires_grad": tracked.requires_grad, "no_grad_requires_grad": untracked.requires_grad,
            "no_grad_has_graph": untracked.grad_fn is not None}


def scheduler_order(epochs: int = 4, lr: float = 0.1, gamma: float = 0.5) -> dict[str, list[float]]:
    """The lr each epoch trains with under StepLR(step_size=1): scheduler.step() after the epoch's optimizer steps
    (right) or before them (wrong: the first epoch already runs with a decayed lr, and torch warns)."""
    used: dict[str, list[float]] = {}
    for order in ("after", "before"):
        p = nn.Parameter(torch.zeros(1))
        opt = torch.optim.SGD([p], lr=lr)
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=gamma)
        used[order] = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            for _ in range(epochs):
                if order == "before":
                    sched.step()
                used[order].append(opt.param_groups[0]["lr"])
                p.grad = torch.ones(1)
                opt.step()
                if order == "after":
                    sched.step()
    return used


def state_dict_round_trip(seed: int = 0) -> dict:
    """torch.save(model.state_dict()) and load_state_dict into a freshly built model give the same outputs."""
    torch.manual_seed(seed)
    build = lambda: nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))  # noqa: E731
    model = build()
    model.train()
    model(torch.randn(16, 4))                         # moves BatchNorm's running statistics (buffers, saved too)
    buffer = io.BytesIO()                             # a file path works the same way
    torch.save(model.state_dict(), buffer)
    fresh = build()
    x = torch.randn(5, 4)
    before = (fresh.eval()(x) - model.eval()(x)).abs().max().item()
    buffer.seek(0)
    fresh.load_state_dict(torch.load(buffer, weights_only=True))
    after = (fresh.eval()(x) - model.eval()(x)).abs().max().item()
    return {"keys": list(model.state_dict()), "diff_before_load": before, "diff_after_load": after,
            "bytes": buffer.getbuffer().nbytes}
