"""Throughput of our trainer against other loops on the same model, data, batches and epochs.

    python -m bench.trainer [--models mlp cnn] [--epochs 30] [--cnn-epochs 5] [--repeats 3] [--device cpu]

For the digits MLP and the digits CNN (`core.recipes.DIGITS_MLP`, `DIGITS_CNN`):
1. ours: `core.trainer.fit`, consumed by a callback that does the live panel's chart work
   (building the Vega-Lite specs and serialising them) at the panel's throttled rate;
2. guide: the guide's style of loop — DataLoader batches, `.item()` after every batch, an
   evaluation DataLoader, `torch.max(outputs.data, 1)`;
3. lean: a bare loop over tensors in memory with no metrics at all, with torch's default Adam
   and again with the fused Adam kernel that our trainer picks, so the comparison is fair.
The loops run side by side, one epoch of each in turn, and every epoch is timed. Prints epochs/s for
each (the best of `repeats` runs) and the ratios, and the median over all epochs of ours / lean-fused
epoch by epoch: on a busy machine, neighbouring epochs meet the same background load, whole runs don't.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

from core.device import configure_threads  # noqa: E402
from core.models import build_model  # noqa: E402
from core.recipes import DIGITS_CNN, DIGITS_MLP, Recipe, model_config, prepare_data  # noqa: E402
from core.trainer import fit, seed_everything  # noqa: E402

RECIPES = {"mlp": DIGITS_MLP, "cnn": DIGITS_CNN}
LABELS = {"loss_title": "Loss", "lr_title": "LR", "epoch": "Epoch", "loss": "Loss", "lr": "LR", "split": "Split"}
REDRAW_SECONDS = 1.0  # the panel's poll interval (app.training.POLL_SECONDS)


def fresh_model(recipe: Recipe, data):
    seed_everything(0)
    return build_model(model_config(recipe, data)).to(data.X_train.device)


def synced_clock(device: torch.device) -> float:
    """perf_counter once the device has finished its queued work (a no-op on the CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter()


def ours(recipe: Recipe, data, epochs: int) -> Iterator[None]:
    from app.charts import history_charts  # the panel's chart builder, without a browser

    model, records, elapsed, last_draw = fresh_model(recipe, data), [], 0.0, -REDRAW_SECONDS
    config = replace(recipe.train, num_epochs=epochs, device=str(data.X_train.device))
    yield  # set up; every later step is one epoch
    for record in fit(model, data, config):
        records.append(record)
        elapsed += record.seconds  # the panel's clock, as if this loop ran alone
        if elapsed - last_draw >= REDRAW_SECONDS or record.epoch == epochs:
            json.dumps(history_charts(records, LABELS, "Accuracy"))
            last_draw = elapsed
        yield


def guide_style(recipe: Recipe, data, epochs: int) -> Iterator[None]:
    model = fresh_model(recipe, data)
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe.train.lr)
    bs = recipe.train.batch_size
    train_loader = DataLoader(TensorDataset(data.X_train, data.y_train), batch_size=bs, shuffle=True)
    val_loader = DataLoader(TensorDataset(data.X_val, data.y_val), batch_size=bs)
    yield
    for _ in range(epochs):
        model.train()
        train_loss, correct, total = 0.0, 0, 0
        for X, y in train_loader:
            out = model(X)
            loss = F.cross_entropy(out, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            train_loss += loss.item()
            _, predicted = torch.max(out.data, 1)
            total += y.size(0)
            correct += (predicted == y).sum().item()
        model.eval()
        val_loss, val_correct = 0.0, 0
        with torch.no_grad():
            for X, y in val_loader:
                out = model(X)
                val_loss += F.cross_entropy(out, y).item()
                val_correct += (out.argmax(1) == y).sum().item()
        yield


def lean(recipe: Recipe, data, epochs: int, fused: bool = False) -> Iterator[None]:
    model = fresh_model(recipe, data)
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe.train.lr, fused=fused or None)
    X, y, n, bs = data.X_train, data.y_train, len(data.y_train), recipe.train.batch_size
    yield
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(n, device=X.device)
        for i in range(0, n, bs):
            idx = perm[i : i + bs]
            loss = F.cross_entropy(model(X[idx]), y[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            model(data.X_val)
        yield


LOOPS: dict[str, Callable[..., Iterator[None]]] = {
    "ours (with chart work)": ours,
    "guide-style (DataLoader, .item())": guide_style,
    "lean bare loop": lean,
    "lean bare loop + fused Adam": lambda r, d, e: lean(r, d, e, fused=True),
}


def side_by_side(recipe: Recipe, data, epochs: int) -> dict[str, list[float]]:
    """Seconds of every epoch of every loop, the loops taking turns one epoch at a time."""
    runs = {label: loop(recipe, data, epochs) for label, loop in LOOPS.items()}
    for run in runs.values():
        next(run)  # build the model and optimizer, untimed
    seconds: dict[str, list[float]] = {label: [] for label in LOOPS}
    device = data.X_train.device
    for _ in range(epochs):
        for label, run in runs.items():
            start = synced_clock(device)
            next(run)
            seconds[label].append(synced_clock(device) - start)
    return seconds


def compare(name: str, recipe: Recipe, epochs: int, repeats: int, device: torch.device) -> None:
    """Time the four loops on one recipe and print epochs/s and ratios."""
    data = prepare_data(recipe).to(device)
    side_by_side(recipe, data, 1)  # warm-up: one-off costs (the first optimizer step) out of the timings
    best = {label: 0.0 for label in LOOPS}  # epochs/s of each loop's best run
    paired: list[float] = []  # lean-fused / ours, epoch by epoch
    for _ in range(repeats):
        seconds = side_by_side(recipe, data, epochs)
        for label, s in seconds.items():
            best[label] = max(best[label], epochs / sum(s))
        paired += [lean / ours for lean, ours in zip(seconds["lean bare loop + fused Adam"], seconds["ours (with chart work)"])]
    shape = recipe.hidden if recipe.model == "mlp" else model_config(recipe, data).channels
    print(f"digits {name.upper()} {shape}, {len(data.y_train)} train samples, batch {recipe.train.batch_size}, "
          f"{epochs} epochs, best of {repeats}, {device}, torch threads {torch.get_num_threads()}")
    for label, eps in best.items():
        print(f"  {label:<36} {eps:8.1f} epochs/s")
    ours_eps, guide_eps, lean_eps, lean_fused_eps = best.values()
    print(f"ours / lean  = {ours_eps / lean_eps:.2f}x   (goal >= 0.90)")
    print(f"ours / guide = {ours_eps / guide_eps:.2f}x   (goal >= 1.15)")
    print(f"ours / lean with the same fused Adam = {ours_eps / lean_fused_eps:.2f}x   "
          f"(goal >= 0.95; the price of metrics, norms, records)")
    print(f"  epoch by epoch: median {statistics.median(paired):.2f}x over {len(paired)} pairs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", choices=sorted(RECIPES), default=["mlp", "cnn"], help="recipes to time")
    parser.add_argument("--epochs", type=int, default=30, help="epochs per timed run of the MLP")
    parser.add_argument("--cnn-epochs", type=int, default=5, help="epochs per timed run of the CNN (~20x slower per epoch)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per loop; the best counts")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or mps: data, model and every loop on it")
    args = parser.parse_args()
    configure_threads()  # the app's setting
    for name in args.models:
        epochs = args.cnn_epochs if name == "cnn" else args.epochs
        compare(name, RECIPES[name], epochs, args.repeats, torch.device(args.device))


if __name__ == "__main__":
    main()
