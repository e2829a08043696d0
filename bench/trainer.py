"""Throughput of our trainer against two other loops on the same model, data and epochs.

    python -m bench.trainer [--epochs 30] [--repeats 3]

1. ours: `core.trainer.fit`, consumed by a callback that does the live panel's chart work
   (building the Vega-Lite specs and serialising them) at the panel's throttled rate;
2. guide: the guide's style of loop — DataLoader batches, `.item()` after every batch, an
   evaluation DataLoader, `torch.max(outputs.data, 1)`;
3. lean: a bare loop over tensors in memory with no metrics at all, with torch's default Adam
   and again with the fused Adam kernel that our trainer picks, so the comparison is fair.
Prints epochs/s for each (best of `repeats`) and the ratios.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

from core.device import configure_threads  # noqa: E402
from core.models import build_model  # noqa: E402
from core.recipes import DIGITS_MLP, model_config, prepare_data  # noqa: E402
from core.trainer import fit, seed_everything  # noqa: E402

LABELS = {"loss_title": "Loss", "lr_title": "LR", "epoch": "Epoch", "loss": "Loss", "lr": "LR", "split": "Split"}
REDRAW_SECONDS = 1.0  # the panel's poll interval (app.training.POLL_SECONDS)


def fresh_model(data):
    seed_everything(0)
    return build_model(model_config(DIGITS_MLP, data))


def ours(data, epochs: int) -> float:
    from app.charts import history_charts  # the panel's chart builder, without a browser

    model, records, last_draw = fresh_model(data), [], 0.0
    config = DIGITS_MLP.train.__class__(**{**DIGITS_MLP.train.__dict__, "num_epochs": epochs})
    start = time.perf_counter()
    for record in fit(model, data, config):
        records.append(record)
        now = time.perf_counter()
        if now - last_draw >= REDRAW_SECONDS or record.epoch == epochs:
            json.dumps(history_charts(records, LABELS, "Accuracy"))
            last_draw = now
    return epochs / (time.perf_counter() - start)


def guide_style(data, epochs: int) -> float:
    model = fresh_model(data)
    optimizer = torch.optim.Adam(model.parameters(), lr=DIGITS_MLP.train.lr)
    train_loader = DataLoader(TensorDataset(data.X_train, data.y_train), batch_size=DIGITS_MLP.train.batch_size, shuffle=True)
    val_loader = DataLoader(TensorDataset(data.X_val, data.y_val), batch_size=DIGITS_MLP.train.batch_size)
    start = time.perf_counter()
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
    return epochs / (time.perf_counter() - start)


def lean(data, epochs: int, fused: bool = False) -> float:
    model = fresh_model(data)
    optimizer = torch.optim.Adam(model.parameters(), lr=DIGITS_MLP.train.lr, fused=fused or None)
    X, y, n, bs = data.X_train, data.y_train, len(data.y_train), DIGITS_MLP.train.batch_size
    start = time.perf_counter()
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(n)
        for i in range(0, n, bs):
            idx = perm[i : i + bs]
            loss = F.cross_entropy(model(X[idx]), y[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            model(data.X_val)
    return epochs / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30, help="epochs per timed run")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per loop; the best counts")
    args = parser.parse_args()
    configure_threads()  # the app's setting
    data = prepare_data(DIGITS_MLP)
    loops = {
        "ours (with chart work)": ours,
        "guide-style (DataLoader, .item())": guide_style,
        "lean bare loop": lean,
        "lean bare loop + fused Adam": lambda d, e: lean(d, e, fused=True),
    }
    for loop in loops.values():  # warm-up: one-off costs (the first optimizer step) out of the timings
        loop(data, 1)
    # interleave the repeats so background load hits every loop alike
    results = {name: 0.0 for name in loops}
    for _ in range(args.repeats):
        for name, loop in loops.items():
            results[name] = max(results[name], loop(data, args.epochs))
    print(f"digits MLP {DIGITS_MLP.hidden}, {len(data.y_train)} train samples, batch {DIGITS_MLP.train.batch_size}, "
          f"{args.epochs} epochs, best of {args.repeats}, torch threads {torch.get_num_threads()}")
    for name, eps in results.items():
        print(f"  {name:<36} {eps:8.1f} epochs/s")
    ours_eps, guide_eps, lean_eps, lean_fused_eps = results.values()
    print(f"ours / lean  = {ours_eps / lean_eps:.2f}x   (goal >= 0.90)")
    print(f"ours / guide = {ours_eps / guide_eps:.2f}x   (goal >= 1.15)")
    print(f"ours / lean with the same fused Adam = {ours_eps / lean_fused_eps:.2f}x   (the price of metrics, norms, records)")


if __name__ == "__main__":
    main()
