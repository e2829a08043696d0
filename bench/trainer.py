"""Throughput of our trainer against other loops on the same model, data, batches and epochs.

    python -m bench.trainer [--models mlp cnn] [--epochs 30] [--cnn-epochs 5] [--repeats 3] [--device cpu]

For the digits MLP and the digits CNN (`core.recipes.DIGITS_MLP`, `DIGITS_CNN`):
1. ours: `core.trainer.fit`, consumed by a callback that does the live panel's chart work
   (building the Vega-Lite specs and serialising them) at the panel's throttled rate;
2. guide: the guide's style of loop — DataLoader batches, `.item()` after every batch, an
   evaluation DataLoader, `torch.max(outputs.data, 1)`;
3. lean: a bare loop over tensors in memory with no metrics at all, with torch's default Adam
   and again with the fused Adam kernel that our trainer picks, so the comparison is fair.
Prints epochs/s for each (the best of `repeats` timed runs) and the ratios, and each loop's fastest
epoch over all runs: on a busy machine a whole run rarely escapes the background load, one epoch often does.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
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


def durations(ends: list[float]) -> list[float]:
    """Seconds of each epoch, from the clock readings at the start and after every epoch."""
    return [b - a for a, b in zip(ends, ends[1:])]


def ours(recipe: Recipe, data, epochs: int) -> list[float]:
    from app.charts import history_charts  # the panel's chart builder, without a browser

    device = data.X_train.device
    model, records, last_draw = fresh_model(recipe, data), [], 0.0
    config = replace(recipe.train, num_epochs=epochs, device=str(device))
    ends = [synced_clock(device)]
    for record in fit(model, data, config):
        records.append(record)
        now = time.perf_counter()
        if now - last_draw >= REDRAW_SECONDS or record.epoch == epochs:
            json.dumps(history_charts(records, LABELS, "Accuracy"))
            last_draw = now
        ends.append(synced_clock(device))
    return durations(ends)


def guide_style(recipe: Recipe, data, epochs: int) -> list[float]:
    device, bs = data.X_train.device, recipe.train.batch_size
    model = fresh_model(recipe, data)
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe.train.lr)
    train_loader = DataLoader(TensorDataset(data.X_train, data.y_train), batch_size=bs, shuffle=True)
    val_loader = DataLoader(TensorDataset(data.X_val, data.y_val), batch_size=bs)
    ends = [synced_clock(device)]
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
        ends.append(synced_clock(device))
    return durations(ends)


def lean(recipe: Recipe, data, epochs: int, fused: bool = False) -> list[float]:
    model = fresh_model(recipe, data)
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe.train.lr, fused=fused or None)
    X, y, n, bs = data.X_train, data.y_train, len(data.y_train), recipe.train.batch_size
    ends = [synced_clock(X.device)]
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
        ends.append(synced_clock(X.device))
    return durations(ends)


def compare(name: str, recipe: Recipe, epochs: int, repeats: int, device: torch.device) -> None:
    """Time the four loops on one recipe, repeats interleaved, and print epochs/s and ratios."""
    data = prepare_data(recipe).to(device)
    loops = {
        "ours (with chart work)": ours,
        "guide-style (DataLoader, .item())": guide_style,
        "lean bare loop": lean,
        "lean bare loop + fused Adam": lambda r, d, e: lean(r, d, e, fused=True),
    }
    for loop in loops.values():  # warm-up: one-off costs (the first optimizer step) out of the timings
        loop(recipe, data, 1)
    # interleave the repeats so background load hits every loop alike
    results = {label: 0.0 for label in loops}  # epochs/s of the best run
    fastest = {label: float("inf") for label in loops}  # seconds of the fastest epoch in any run
    for _ in range(repeats):
        for label, loop in loops.items():
            seconds = loop(recipe, data, epochs)
            results[label] = max(results[label], epochs / sum(seconds))
            fastest[label] = min(fastest[label], *seconds)
    shape = recipe.hidden if recipe.model == "mlp" else model_config(recipe, data).channels
    print(f"digits {name.upper()} {shape}, {len(data.y_train)} train samples, batch {recipe.train.batch_size}, "
          f"{epochs} epochs, best of {repeats}, {device}, torch threads {torch.get_num_threads()}")
    for label, eps in results.items():
        print(f"  {label:<36} {eps:8.1f} epochs/s   fastest epoch {fastest[label] * 1e3:8.1f} ms")
    ours_eps, guide_eps, lean_eps, lean_fused_eps = results.values()
    print(f"ours / lean  = {ours_eps / lean_eps:.2f}x   (goal >= 0.90)")
    print(f"ours / guide = {ours_eps / guide_eps:.2f}x   (goal >= 1.15)")
    print(f"ours / lean with the same fused Adam = {ours_eps / lean_fused_eps:.2f}x   "
          f"(goal >= 0.95; the price of metrics, norms, records)")
    print(f"  fastest epochs: ours / lean with the same fused Adam = "
          f"{fastest['lean bare loop + fused Adam'] / fastest['ours (with chart work)']:.2f}x")


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
