"""5.2 Training: one epoch of the training loop (zero_grad → backward → step, in train mode), and the
evaluation pass (eval mode, no_grad, a loss averaged per sample)."""
from __future__ import annotations

import copy

import torch
from torch import nn

from core.exercises.base import Case, Check, Mistake, exercise
from core.exercises.checks import randint, randn

SECTION = "52_training"


def _mlp(gen: torch.Generator, sizes: tuple[int, ...], dtype=torch.float32) -> nn.Sequential:
    """Linear → BatchNorm1d → ReLU → … → Linear, with weights drawn from `gen` and running statistics that
    are not the data's (as after a little training), so train mode and eval mode give different outputs."""
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers += [nn.BatchNorm1d(n_out), nn.ReLU()]
    model = nn.Sequential(*layers).to(dtype)
    with torch.no_grad():
        for module in model:
            if isinstance(module, nn.Linear):
                module.weight.copy_(randn(gen, *module.weight.shape, dtype=dtype, scale=module.in_features**-0.5))
                module.bias.copy_(randn(gen, *module.bias.shape, dtype=dtype, scale=0.3))
            elif isinstance(module, nn.BatchNorm1d):
                module.weight.copy_(1.0 + randn(gen, module.num_features, dtype=dtype, scale=0.2))
                module.bias.copy_(randn(gen, module.num_features, dtype=dtype, scale=0.2))
                module.running_mean.copy_(randn(gen, module.num_features, dtype=dtype, scale=0.5))
                module.running_var.copy_(0.3 + randn(gen, module.num_features, dtype=dtype) ** 2)
    return model


def _describe(sizes: tuple[int, ...], mode: str) -> str:
    parts = []
    for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        parts.append(f"Linear({n_in}, {n_out})")
        if i < len(sizes) - 2:
            parts += [f"BatchNorm1d({n_out})", "ReLU"]
    return " → ".join(parts) + f", {mode}()"


def _copy(model: nn.Module, optimizer=None):
    """Deep copies that share nothing with the case's objects; leftover .grad comes along (deepcopy drops it)."""
    new_model, new_optimizer = copy.deepcopy((model, optimizer))
    for old, new in zip(model.parameters(), new_model.parameters()):
        if old.grad is not None:
            new.grad = old.grad.detach().clone()
    return new_model, new_optimizer


def _stale_grads(gen: torch.Generator, model: nn.Module) -> nn.Module:
    """Gradients left in .grad by an earlier backward pass."""
    for p in model.parameters():
        p.grad = randn(gen, *p.shape, dtype=p.dtype)
    return model


# ---- 5.2-train-epoch --------------------------------------------------------------------------

def train_epoch(model, optimizer, loss_fn, X: torch.Tensor, y: torch.Tensor, batch_size: int) -> torch.Tensor:
    """One epoch over (X, y) in order, batch_size rows at a time; returns every batch's loss (before its step)."""
    model.train()  # BatchNorm normalizes with the batch's own statistics (and dropout would drop)
    losses = []
    for start in range(0, len(X), batch_size):
        xb, yb = X[start:start + batch_size], y[start:start + batch_size]
        optimizer.zero_grad()  # .grad still holds the previous step's gradients: backward() would add to them
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        losses.append(loss.detach())  # detached: keeping the graph of every batch would hold on to its memory
    return torch.stack(losses)  # (number of batches,)


def _train_library(model, optimizer, loss_fn, X, y, batch_size):
    model, optimizer = _copy(model, optimizer)
    model.train()
    params = [p for group in optimizer.param_groups for p in group["params"]]
    losses = []
    for xb, yb in zip(X.split(batch_size), y.split(batch_size)):
        loss = loss_fn(model(xb), yb)
        for p, g in zip(params, torch.autograd.grad(loss, params)):  # fresh gradients, whatever .grad held
            p.grad = g
        optimizer.step()
        losses.append(loss.detach())
    return torch.stack(losses)


_OPTIMIZERS = {
    "sgd": (lambda params: torch.optim.SGD(params, lr=0.1), "SGD(lr=0.1)"),
    "momentum": (lambda params: torch.optim.SGD(params, lr=0.05, momentum=0.9), "SGD(lr=0.05, momentum=0.9)"),
    "adam": (lambda params: torch.optim.Adam(params, lr=0.01), "Adam(lr=0.01)"),
}


def _train_case(gen: torch.Generator, name: str, n: int, batch_size: int, optimizer: str, task: str = "classes",
                mode: str = "train", stale: bool = False, dtype=torch.float32) -> Case:
    f, hidden, k = randint(gen, 3, 6), randint(gen, 5, 9), randint(gen, 2, 5)
    sizes = (f, hidden, 1 if task == "regression" else k)
    model = _mlp(gen, sizes, dtype)
    model.train(mode == "train")
    if stale:
        _stale_grads(gen, model)
    make, shown = _OPTIMIZERS[optimizer]
    X = randn(gen, n, f, dtype=dtype)
    if task == "regression":
        y, loss_fn, loss_shown = randn(gen, n, 1, dtype=dtype), nn.MSELoss(), "nn.MSELoss()"
    else:
        y, loss_fn, loss_shown = torch.randint(0, k, (n,), generator=gen), nn.CrossEntropyLoss(), "nn.CrossEntropyLoss()"
    return Case(name, (model, make(model.parameters()), loss_fn, X, y, batch_size),
                {"model": _describe(sizes, mode), "optimizer": shown, "loss_fn": loss_shown})


def _train_cases(gen: torch.Generator) -> list[Case]:
    b = randint(gen, 4, 7)
    n = 3 * b + randint(gen, 2, b)  # a smaller last batch, never of one row (BatchNorm needs two in train mode)
    return [
        _train_case(gen, "sgd_classifier", n, b, "sgd"),
        _train_case(gen, "momentum_optimizer", n, b, "momentum"),
        _train_case(gen, "model_in_eval_mode", n, b, "sgd", mode="eval"),
        _train_case(gen, "stale_grads", n, b, "adam", stale=True),
        _train_case(gen, "mlp_regression", 3 * b, b, "adam", task="regression"),
        _train_case(gen, "float64", n, b, "momentum", dtype=torch.float64),
    ]


def _train_variant(zero_grad: str = "first", order: str = "backward_step", set_train: bool = True,
                   drop_last: bool = False):
    def loop(model, optimizer, loss_fn, X, y, batch_size):
        model, optimizer = _copy(model, optimizer)
        if set_train:
            model.train()
        losses = []
        stop = len(X) - len(X) % batch_size if drop_last else len(X)
        for start in range(0, stop, batch_size):
            xb, yb = X[start:start + batch_size], y[start:start + batch_size]
            if zero_grad == "first":
                optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            if order == "step_backward":
                optimizer.step()
                loss.backward()
            else:
                loss.backward()
                optimizer.step()
            if zero_grad == "last":
                optimizer.zero_grad()
            losses.append(loss.detach())
        return torch.stack(losses)
    return loop


TRAIN_EPOCH = exercise("5.2-train-epoch", SECTION, train_epoch, Check(
    cases=_train_cases, library=_train_library, library_name="torch.autograd.grad + optimizer.step",
    mistakes=(
        Mistake("no_zero_grad", _train_variant(zero_grad="never")),
        Mistake("step_before_backward", _train_variant(order="step_backward")),
        Mistake("zero_grad_after_step", _train_variant(zero_grad="last")),
        Mistake("no_train_mode", _train_variant(set_train=False)),
        Mistake("drop_last", _train_variant(drop_last=True)),
    )))


# ---- 5.2-evaluate -----------------------------------------------------------------------------

def evaluate(model, loss_fn, X: torch.Tensor, y: torch.Tensor, batch_size: int):
    """Mean loss per sample and accuracy (a fraction) of a classifier on (X, y), batch_size rows at a time."""
    model.eval()  # BatchNorm uses its running statistics (and dropout is off)
    total_loss, correct = 0.0, 0
    with torch.no_grad():  # no graph: nothing here will be differentiated
        for start in range(0, len(X), batch_size):
            xb, yb = X[start:start + batch_size], y[start:start + batch_size]
            logits = model(xb)
            total_loss += loss_fn(logits, yb).item() * len(xb)  # a batch mean, weighed by the batch's size
            correct += (logits.argmax(dim=1) == yb).sum().item()
    return total_loss / len(X), correct / len(X)


def _eval_library(model, loss_fn, X, y, batch_size):
    model, _ = _copy(model)
    model.eval()
    with torch.no_grad():
        logits = model(X)  # the whole set at once: the batch size must not change the answer
        return loss_fn(logits, y).item(), (logits.argmax(dim=1) == y).double().mean().item()


def _eval_case(gen: torch.Generator, name: str, n: int, batch_size: int, dtype=torch.float32) -> Case:
    f, hidden, k = randint(gen, 3, 6), randint(gen, 5, 9), randint(gen, 2, 5)
    sizes = (f, hidden, k)
    model = _mlp(gen, sizes, dtype).train()  # straight from training: still in train mode
    X = randn(gen, n, f, dtype=dtype, scale=1.5) + 0.5
    y = torch.randint(0, k, (n,), generator=gen)
    return Case(name, (model, nn.CrossEntropyLoss(), X, y, batch_size),
                {"model": _describe(sizes, "train"), "loss_fn": "nn.CrossEntropyLoss()"})


def _eval_cases(gen: torch.Generator) -> list[Case]:
    b = randint(gen, 5, 9)
    n = 4 * b + randint(gen, 2, b)
    return [
        _eval_case(gen, "smaller_last_batch", n, b),
        _eval_case(gen, "exact_batches", 4 * b, b),
        _eval_case(gen, "loader_one_batch", n, n + 5),
        _eval_case(gen, "batch_size_one", 7, 1),
        _eval_case(gen, "float64", n, b, torch.float64),
    ]


def _eval_variant(set_eval: bool = True, weigh: bool = True, percent: bool = False):
    def run(model, loss_fn, X, y, batch_size):
        model, _ = _copy(model)
        model.eval() if set_eval else model.train()
        losses, sizes, correct = [], [], 0
        with torch.no_grad():
            for xb, yb in zip(X.split(batch_size), y.split(batch_size)):
                logits = model(xb)
                losses.append(loss_fn(logits, yb).item())
                sizes.append(len(xb))
                correct += (logits.argmax(dim=1) == yb).sum().item()
        loss = sum(v * s for v, s in zip(losses, sizes)) / len(X) if weigh else sum(losses) / len(losses)
        return loss, (100.0 if percent else 1.0) * correct / len(X)
    return run


EVALUATE = exercise("5.2-evaluate", SECTION, evaluate, Check(
    cases=_eval_cases, library=_eval_library, library_name="model.eval(); model(X)",
    rtol=1e-5, atol=1e-6,
    mistakes=(
        Mistake("train_mode", _eval_variant(set_eval=False)),
        Mistake("mean_of_batch_means", _eval_variant(weigh=False)),
        Mistake("percent", _eval_variant(percent=True)),
    )))

EXERCISES = (TRAIN_EPOCH, EVALUATE)
