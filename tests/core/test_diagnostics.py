"""core.diagnostics: gradient norms against torch.nn.utils, failure cases, overfit, profiler, memory, AMP."""
import json
from dataclasses import replace

import pytest
import torch
from torch import nn

from core.datasets import load_dataset, make_splits
from core.diagnostics import (
    SavedTensorMeter,
    backward_once,
    clipping_rows,
    compare_checkpointing,
    compare_clipping,
    compare_precision,
    deep_mlp,
    diagnose,
    failure_case,
    failure_job,
    grad_norm_reference,
    grad_norm_rows,
    init_weights,
    layer_grad_norms,
    linear_saved_bytes,
    measure_activation_memory,
    overfit_one_batch,
    profile_training_steps,
    segmented_forward,
    total_grad_norm,
)
from core.models import MLPConfig, build_model
from core.preprocessing import make_scaler
from core.trainer import TrainConfig, seed_everything


@pytest.fixture(scope="module")
def digits():
    ds = load_dataset("digits")
    small = replace(ds, X=ds.X[:600], y=ds.y[:600])  # 420 train samples keep every run short
    return make_splits(small, seed=0).scaled(make_scaler("zscore"))


def _mlp(hidden=(16, 16), act="tanh"):
    seed_everything(0)
    return build_model(MLPConfig(64, 10, hidden, act))


def test_layer_norms_equal_manual_grad_norm_and_total_equals_torch(digits):
    model = _mlp()
    backward_once(model, digits.X_train[:100], digits.y_train[:100], "multiclass")
    ours = layer_grad_norms(model)
    manual = {n.removesuffix(".weight"): p.grad.norm().item() for n, p in model.named_parameters() if p.dim() >= 2}
    assert ours.keys() == manual.keys() == {"net.0", "net.2", "net.4"}
    for k in ours:
        assert ours[k] == pytest.approx(manual[k], rel=1e-6)
    total = total_grad_norm(model)
    assert total == pytest.approx(nn.utils.get_total_norm([p.grad for p in model.parameters()]).item(), rel=1e-5)
    assert total == pytest.approx(nn.utils.clip_grad_norm_(model.parameters(), 1e9).item(), rel=1e-5)


def test_the_page_check_agrees_with_torch_and_the_trainers_record(digits):
    chk = grad_norm_reference(_mlp(), digits)
    assert [r["layer"] for r in chk["rows"]] == ["net.0", "net.2", "net.4"]
    for row in chk["rows"]:
        assert row["ours"] == pytest.approx(row["manual"], rel=1e-6)
        assert row["trainer"] == pytest.approx(row["ours"], rel=1e-4), "fit records the same gradients"
    assert chk["total"] == pytest.approx(chk["lib_total"], rel=1e-5) == pytest.approx(chk["clip_total"], rel=1e-5)
    assert chk["trainer_total"] == pytest.approx(chk["total"], rel=1e-4)


def test_saved_tensor_meter_counts_a_linear_layers_input_and_weight():
    layer = nn.Linear(7, 3)
    x = torch.randn(5, 7, requires_grad=True)
    meter = SavedTensorMeter(list(layer.parameters()))
    with meter.hooks():
        layer(x)
    assert meter.activation_bytes == 5 * 7 * 4  # x, for the weight gradient
    assert meter.param_bytes == 3 * 7 * 4  # W, for the input gradient
    shown = linear_saved_bytes(5, 7, 3)
    assert (shown["act"], shown["param"]) == (shown["x"], shown["w"]) == (5 * 7 * 4, 3 * 7 * 4)


def test_checkpointing_saves_less_activation_memory_and_same_gradients():
    off, on = compare_checkpointing(depth=12, width=64, batch_size=64, segments=3)
    assert on.activation_bytes < off.activation_bytes / 2
    # without checkpointing: per hidden block the Linear input (= previous ReLU output) plus the ReLU output, deduped
    assert off.activation_bytes >= 12 * 64 * 64 * 4
    seed_everything(0)
    net = deep_mlp(6, 32)
    X, y = torch.randn(16, 64), torch.randint(0, 10, (16,))
    nn.functional.cross_entropy(net(X), y).backward()
    plain = [p.grad.clone() for p in net.parameters()]
    net.zero_grad()
    nn.functional.cross_entropy(segmented_forward(net, X, 3), y).backward()
    for a, p in zip(plain, net.parameters()):
        torch.testing.assert_close(p.grad, a)
    assert measure_activation_memory(net, X, y, checkpointed=True, segments=3, repeats=1).activation_bytes > 0


def test_profiler_summary_has_a_matmul_and_a_chrome_trace(digits):
    summary = profile_training_steps(_mlp((32,), "relu"), digits.X_train[:64], digits.y_train[:64], "multiclass", steps=2)
    ops = " ".join(r["op"] for r in summary.rows)
    assert any(name in ops for name in ("aten::mm", "aten::addmm", "aten::linear"))
    assert all(r["calls"] >= 1 and r["total_cpu_ms"] >= r["self_cpu_ms"] - 1e-6 for r in summary.rows)
    trace = json.loads(summary.trace)
    assert trace["traceEvents"], "the Chrome trace holds events"


def test_overfit_one_batch_reaches_near_zero(digits):
    losses = overfit_one_batch(_mlp((64, 64), "relu"), digits, batch_size=16, lr=1e-2, max_steps=300)
    assert losses[0] > 1.0
    assert losses[-1] < 0.05


def test_huge_lr_diverges(digits):
    case = failure_case("huge_lr", 64, 10, TrainConfig(num_epochs=3))
    job = failure_job(case, digits).run()
    assert job.status == "diverged"
    assert diagnose(job.records) == "diverged"


def test_deep_sigmoid_gradients_vanish(digits):
    case = failure_case("deep_sigmoid", 64, 10, TrainConfig(num_epochs=1))
    job = failure_job(case, digits).run()
    norms = list(job.records[-1].layer_grad_norms.values())
    assert len(norms) == 11
    assert norms[0] < 1e-4 * norms[-1]  # four orders of magnitude at least
    assert diagnose(job.records) == "vanishing"
    rows = grad_norm_rows(job.records)
    assert len(rows) == 11 and all(r["norm"] > 0 for r in rows)


def test_zero_init_kills_hidden_gradients_and_huge_init_explodes(digits):
    dead = failure_job(failure_case("zero_init", 64, 10, TrainConfig(num_epochs=1)), digits).run()
    assert all(v == 0 for v in list(dead.records[-1].layer_grad_norms.values()))
    assert diagnose(dead.records) == "dead"
    model = init_weights(_mlp((8,)), "huge", scale=10.0)
    ref = _mlp((8,))
    torch.testing.assert_close(model.net[0].weight, ref.net[0].weight * 10)
    huge = failure_job(failure_case("huge_init", 64, 10, TrainConfig(num_epochs=1)), digits).run()
    assert huge.records[0].train_loss > 20
    assert diagnose(huge.records) == "exploding"
    healthy = failure_job(failure_case("healthy", 64, 10, TrainConfig(num_epochs=8)), digits).run()
    assert diagnose(healthy.records) == "healthy"
    with pytest.raises(ValueError):
        failure_case("nope", 64, 10, TrainConfig())


def test_clipping_rows_cap_the_norm():
    class R:
        def __init__(self, e, g):
            self.epoch, self.grad_norm = e, g

    rows = clipping_rows([R(1, 4.0), R(2, 0.5)], max_norm=1.0)
    assert [r["after"] for r in rows] == [1.0, 0.5]
    assert rows[0]["scale"] == pytest.approx(0.25) and rows[1]["scale"] == 1.0
    assert clipping_rows([R(1, 4.0)], 0.0)[0]["after"] == 4.0


def test_precision_comparison_uses_the_trainer(digits):
    runs = compare_precision(lambda: _mlp((32,), "relu"), digits, TrainConfig(num_epochs=2, batch_size=128, lr=3e-3))
    assert [r.precision for r in runs] == ["fp32", "bf16"]
    assert all(r.status == "finished" and r.samples_per_s > 0 for r in runs)
    assert runs[0].val_accuracy > 0.5 and runs[1].val_accuracy > 0.5


def test_clipping_rescues_a_learning_rate_that_diverges_without_it(digits):
    config = TrainConfig(num_epochs=6, batch_size=64, optimizer="momentum", lr=1.0, clip_grad_norm=0.5, seed=0)
    runs = compare_clipping(lambda: build_model(MLPConfig(64, 10, (64,) * 4, "relu")), digits, config)
    clipped, unclipped = runs["clipped"], runs["unclipped"]
    assert unclipped[-1].stop_reason == "diverged" and len(unclipped) < 6
    assert len(clipped) == 6 and clipped[-1].stop_reason is None and clipped[-1].val_score > 0.5
    again = compare_clipping(lambda: build_model(MLPConfig(64, 10, (64,) * 4, "relu")), digits, config)
    assert [r.val_loss for r in again["clipped"]] == [r.val_loss for r in clipped], "same seed, same start, same run"


def test_sigmoid_backward_factor_is_bounded_by_a_quarter_of_the_weight_norm_not_by_a_quarter():
    from core.diagnostics import sigmoid_layer_factors

    for scale in (1.0, 10.0):
        rows = sigmoid_layer_factors(depth=6, width=32, weight_scale=scale)
        assert all(r["factor"] <= r["bound"] + 1e-12 for r in rows)          # ‖Wᵀdiag(σ′)‖₂ ≤ ¼‖W‖₂
    big = sigmoid_layer_factors(depth=6, width=32, weight_scale=10.0)
    assert min(r["factor"] for r in big) > 1.0     # large weights beat the ¼: "at most ¼ per layer" is false
    small = sigmoid_layer_factors(depth=6, width=32, weight_scale=0.5)
    assert max(r["factor"] for r in small) < 0.25  # ‖W‖₂ < 1: the signal shrinks by more than 4× per layer
