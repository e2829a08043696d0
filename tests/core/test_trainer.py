"""The one training loop: every option it promises, on tiny data."""
import math

import pytest
import torch

from core.datasets import load_dataset, make_splits
from core.models import MLP, MLPConfig
from core.preprocessing import StandardScaler
from core.trainer import OPTIMIZERS, EarlyStopping, EpochRecord, TrainConfig, fit, output_size, seed_everything


@pytest.fixture(scope="module")
def iris():
    return make_splits(load_dataset("iris"), seed=0).scaled(StandardScaler())


def model_for(data, hidden=(16,), seed=0):
    seed_everything(seed)
    ds = data.source
    return MLP(MLPConfig(ds.num_features, output_size(ds.task, ds.num_classes), hidden))


def run(data, **cfg):
    model = model_for(data)
    return model, list(fit(model, data, TrainConfig(**{"num_epochs": 5, "batch_size": 16, **cfg})))


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_every_optimizer_lowers_the_loss(iris, optimizer):
    lr = 0.1 if optimizer in ("sgd", "momentum") else 0.01
    _, records = run(iris, optimizer=optimizer, lr=lr, num_epochs=8, weight_decay=1e-4)
    assert records[-1].train_loss < records[0].train_loss
    assert all(math.isfinite(r.grad_norm) and r.seconds > 0 for r in records)


def test_schedulers_shape_the_learning_rate(iris):
    _, cos = run(iris, scheduler="cosine", lr=0.1, num_epochs=10)
    assert cos[0].lr == pytest.approx(0.1) and cos[-1].lr < 0.01
    _, step = run(iris, scheduler="step", lr=0.1, step_size=2, gamma=0.5, num_epochs=5)
    assert [r.lr for r in step] == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])
    _, one = run(iris, scheduler="onecycle", lr=0.1, num_epochs=6)
    lrs = [r.lr for r in one]
    assert max(lrs) > lrs[0] and lrs[-1] < max(lrs)


def test_early_stopping_stops_and_restores_the_best_weights():
    stopper = EarlyStopping(patience=2)
    model = torch.nn.Linear(1, 1)
    for epoch, val in enumerate([1.0, 0.5, 0.7, 0.8, 0.9], start=1):
        with torch.no_grad():
            model.weight.fill_(epoch)
        record = EpochRecord(epoch, 5, 1.0, val, None, None, 0.1, 1.0, 0.1)
        if stopper.on_epoch_end(record, model):
            break
    assert epoch == 4 and record.stop_reason == "early_stopping"
    stopper.on_train_end(model)
    assert model.weight.item() == 2.0  # the epoch with val loss 0.5


def test_gradient_clipping_bounds_each_step(iris):
    model = model_for(iris)
    before = [p.detach().clone() for p in model.parameters()]
    records = list(fit(model, iris, TrainConfig(num_epochs=1, batch_size=1000, optimizer="sgd", lr=1.0, clip_grad_norm=1e-3)))
    step = torch.sqrt(sum(((p - b) ** 2).sum() for p, b in zip(model.parameters(), before)))
    assert step.item() <= 1e-3 * 1.0001
    assert records[0].grad_norm > 1e-3  # the recorded norm is the one before clipping


def test_bf16_autocast_on_cpu_trains(iris):
    _, fp32 = run(iris, amp=False, num_epochs=10, lr=0.01)
    _, bf16 = run(iris, amp=True, num_epochs=10, lr=0.01)
    assert math.isfinite(bf16[-1].train_loss) and bf16[-1].val_score >= 0.8
    assert abs(bf16[-1].val_score - fp32[-1].val_score) <= 0.15


def test_same_seed_gives_identical_records(iris):
    a = [r.as_dict() | {"seconds": 0} for r in run(iris, seed=7)[1]]
    b = [r.as_dict() | {"seconds": 0} for r in run(iris, seed=7)[1]]
    c = [r.as_dict() | {"seconds": 0} for r in run(iris, seed=8)[1]]
    assert a == b and a != c


def test_binary_and_regression_tasks():
    cancer = make_splits(load_dataset("breast_cancer")).scaled(StandardScaler())
    _, rec = run(cancer, num_epochs=5, lr=0.01)
    assert rec[-1].val_score > 0.9
    diabetes = make_splits(load_dataset("diabetes")).scaled(StandardScaler())
    diabetes = diabetes.__class__(**{**diabetes.__dict__, "y_train": diabetes.y_train / 100, "y_val": diabetes.y_val / 100,
                                     "y_test": diabetes.y_test / 100})
    _, rec = run(diabetes, num_epochs=30, lr=0.01)
    assert rec[-1].val_loss < rec[0].val_loss and rec[-1].val_score > 0.2  # R²


def test_stop_request_is_honoured_between_batches(iris):
    calls = {"n": 0}

    def should_stop():
        calls["n"] += 1
        return calls["n"] > 12  # mid-way through epoch 2 (7 batches per epoch)

    records = list(fit(model_for(iris), iris, TrainConfig(num_epochs=10, batch_size=16), should_stop=should_stop))
    assert len(records) == 1


def test_divergence_stops_with_a_reason(iris):
    _, records = run(iris, optimizer="sgd", lr=10.0, num_epochs=20)
    assert records[-1].stop_reason == "diverged" and len(records) < 20


@pytest.mark.parametrize("split, value", [("X_train", float("nan")), ("X_val", float("inf")), ("y_train", float("-inf"))])
def test_non_finite_inputs_are_refused_before_training(split, value):
    # hand-built splits skip Dataset's own check: fit refuses them, naming the column, instead of a "diverged" run
    from core.errors import InputError

    data = toy_splits(20, task="regression")
    tensor = getattr(data, split).clone()
    tensor[3] = value
    bad = data.__class__(**{**data.__dict__, split: tensor})
    model = model_for(data)
    with pytest.raises(InputError) as caught:
        next(fit(model, bad, TrainConfig(num_epochs=1, batch_size=8)))
    if split == "y_train":
        assert caught.value.code == "nonfinite_target" and caught.value.params["count"] == 1
    else:
        assert caught.value.code == "nonfinite_features" and caught.value.params["count"] == 4  # the whole row 3
        assert caught.value.params["columns"] == "a, b, c, d"


def test_impossible_settings_raise_clear_errors(iris):
    for cfg, match in [({"lr": -1}, "learning rate"), ({"optimizer": "lion"}, "optimizer"), ({"num_epochs": 0}, "epoch")]:
        with pytest.raises(ValueError, match=match):
            next(fit(model_for(iris), iris, TrainConfig(**cfg)))


def test_host_syncs_do_not_grow_with_the_number_of_batches(iris, monkeypatch):
    """Batches come from tensors on the device; our loop syncs a fixed number of times per epoch.

    (torch.optim's own single-tensor CPU kernels read their step counters; on CUDA they don't.)"""
    import sys

    counts = {"n": 0}
    real_item = torch.Tensor.item

    def counting_item(self):
        if sys._getframe(1).f_code.co_filename.endswith("core/trainer.py"):
            counts["n"] += 1
        return real_item(self)

    monkeypatch.setattr(torch.Tensor, "item", counting_item)
    syncs = []
    for batch_size in (50, 5):  # 3 vs 21 batches per epoch
        counts["n"] = 0
        list(fit(model_for(iris), iris, TrainConfig(num_epochs=2, batch_size=batch_size)))
        syncs.append(counts["n"])
    assert syncs[0] == syncs[1]


def test_token_level_outputs_are_scored_per_token():
    from core.datasets import Dataset, Splits

    X = torch.randint(0, 5, (40, 6))
    y = X.clone()  # copy task: (B, T) labels
    ds = Dataset("copy", X, y, "multiclass", ("t",), tuple("01234"))
    data = Splits(X[:30], y[:30], X[30:35], y[30:35], X[35:], y[35:], ds)
    model = torch.nn.Sequential(torch.nn.Embedding(5, 16), torch.nn.Linear(16, 5))  # (B, T, 5)
    records = list(fit(model, data, TrainConfig(num_epochs=30, lr=0.05, batch_size=10)))
    assert records[-1].val_score == 1.0


def toy_splits(n_train: int, seed: int = 0, task: str = "multiclass"):
    """n_train random rows, 2 classes (or a real target), and 5 validation and 5 test rows."""
    from core.datasets import Dataset, Splits

    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n_train + 10, 4, generator=g)
    y = X[:, 0] + 0.5 * torch.randn(n_train + 10, generator=g)
    y, classes = (y, ()) if task == "regression" else ((y > 0).long(), ("0", "1"))
    ds = Dataset("toy", X, y, task, ("a", "b", "c", "d"), classes)
    cut = lambda a, b: (X[a:b], y[a:b])  # noqa: E731
    return Splits(*cut(0, n_train), *cut(n_train, n_train + 5), *cut(n_train + 5, n_train + 10), source=ds)


def gradient_of(model, X, y):
    """(mean loss, total grad norm, {layer: weight grad norm}) of one batch, on a copy of `model`."""
    import copy

    from core.trainer import loss_fn

    twin = copy.deepcopy(model).train()
    loss = loss_fn("multiclass")(twin(X), y)
    loss.backward()
    total = torch.sqrt(sum((p.grad**2).sum() for p in twin.parameters())).item()
    layers = {n.removesuffix(".weight"): p.grad.norm().item() for n, p in twin.named_parameters() if p.dim() >= 2}
    return loss.item(), total, layers


def test_a_last_batch_of_one_is_skipped_and_not_counted():
    # 65 rows in batches of 64: one step on 64 rows; the 65th row (whichever it is) is not trained
    data = toy_splits(65)
    model = model_for(data, hidden=(8, 8))
    import copy

    start = copy.deepcopy(model)
    (record,) = fit(model, data, TrainConfig(num_epochs=1, batch_size=64, optimizer="sgd", lr=0.1, track_layer_grads=True))
    keep = lambda j: torch.arange(65) != j  # noqa: E731
    candidates = [gradient_of(start, data.X_train[keep(j)], data.y_train[keep(j)]) for j in range(65)]
    matches = [c for c in candidates if c[1] == pytest.approx(record.grad_norm, rel=1e-5)]
    assert matches, f"recorded grad norm {record.grad_norm}; one batch's real norm is ~{candidates[0][1]}"
    loss, _, layers = matches[0]
    assert record.train_loss == pytest.approx(loss, rel=1e-5)  # the mean over the 64 trained rows
    assert record.layer_grad_norms.keys() == layers.keys()
    for name, norm in layers.items():
        assert record.layer_grad_norms[name] == pytest.approx(norm, rel=1e-5), name


def test_onecycle_counts_only_the_steps_taken():
    data = toy_splits(65)
    records = list(fit(model_for(data), data, TrainConfig(num_epochs=4, batch_size=64, scheduler="onecycle", lr=0.1)))
    reference = torch.optim.lr_scheduler.OneCycleLR(
        torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1), max_lr=0.1, total_steps=4)
    expected = []
    for _ in range(4):  # one step per epoch: the batch of one is never trained
        expected.append(reference.get_last_lr()[0])  # the rate that epoch's step used
        reference.optimizer.step()
        reference.step()
    assert [r.lr for r in records] == pytest.approx(expected, rel=1e-9)
    assert records[-1].lr == pytest.approx(0.1 / 25 / 1e4)  # the cycle ran to its end: max_lr / div / final_div


def test_a_batch_size_of_one_is_refused_clearly():
    from core.errors import InputError

    data = toy_splits(10)
    with pytest.raises(InputError, match="batch size of 1") as caught:
        next(fit(model_for(data), data, TrainConfig(batch_size=1)))
    assert caught.value.code == "batch_one"


def test_every_public_name_in_the_trainer_is_used_by_the_app():
    """No dead code: each function or class the trainer defines is used somewhere in core/, app/ or pages/."""
    import inspect
    import re
    from pathlib import Path

    from core import trainer

    root = Path(__file__).resolve().parents[2]
    source = "\n".join(p.read_text(encoding="utf-8") for d in ("core", "app", "pages") for p in (root / d).rglob("*.py"))
    defined = [n for n, obj in vars(trainer).items() if not n.startswith("_") and (inspect.isfunction(obj) or inspect.isclass(obj))
               and obj.__module__ == trainer.__name__]
    unused = [n for n in defined if len(re.findall(rf"\b{n}\b", source)) < 2]  # the definition alone
    assert not unused, unused
