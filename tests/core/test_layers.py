"""core.layers against torch.nn / torchvision, and the overfitting demo's behaviour."""
import pytest
import torch
from torch import nn
from torchvision.ops import DropBlock2d as TVDropBlock2d

from core import layers as L


@pytest.mark.parametrize("kind", L.NORMS)
def test_normalization_matches_torch_nn(kind):
    x = L.sample_feature_maps((5, 6, 7, 3), seed=1)
    assert L.compare_norm(x, kind, groups=3) < 1e-5
    assert L.compare_norm(x * 10 + 4, kind, groups=2) < 1e-5


def test_reference_layers_are_the_named_ones():
    shape = (2, 4, 3, 3)
    assert isinstance(L.reference_norm("batch", shape), nn.BatchNorm2d)
    assert isinstance(L.reference_norm("layer", shape), nn.LayerNorm)
    assert isinstance(L.reference_norm("group", shape), nn.GroupNorm)
    assert isinstance(L.reference_norm("instance", shape), nn.InstanceNorm2d)


def test_norm_groups_and_stats():
    shape = (4, 6, 5, 5)
    assert len(set(L.norm_groups("batch", shape).ravel())) == 6
    assert len(set(L.norm_groups("layer", shape).ravel())) == 4
    assert len(set(L.norm_groups("instance", shape).ravel())) == 24
    assert len(set(L.norm_groups("group", shape, 3).ravel())) == 12
    x = L.sample_feature_maps(shape)
    for row in L.group_stats(L.normalize(x, "group", 3), "group", 3):
        assert abs(row["mean"]) < 1e-5 and abs(row["std"] - 1) < 1e-3
    with pytest.raises(ValueError, match="equal groups"):
        L.normalize(x, "group", 4)


def test_batchnorm_running_stats_and_eval():
    run = L.batchnorm_train_eval(3.0, 2.0, 25, momentum=0.1)
    assert run.max_diff < 1e-5
    assert abs(run.train_out_mean) < 1e-5  # train mode: the batch's own statistics
    assert run.eval_out_mean > 0.1  # eval mode: running mean has not caught up with 3 yet
    assert L.batchnorm_train_eval(3.0, 2.0, 25, momentum=1.0).eval_out_mean < run.eval_out_mean


@pytest.mark.parametrize("name", L.ACTIVATION_NAMES)
def test_autograd_derivative_equals_closed_form(name):
    c = L.activation_curves(name, n=301)
    assert abs(c["autograd"] - c["closed"]).max() < 1e-10


def test_activation_functions_match_nn_modules():
    x = torch.linspace(-4, 4, 101)
    mods = {"relu": nn.ReLU(), "leaky_relu": nn.LeakyReLU(0.01), "elu": nn.ELU(), "silu": nn.SiLU(), "gelu": nn.GELU(),
            "sigmoid": nn.Sigmoid(), "tanh": nn.Tanh()}
    for name, mod in mods.items():
        torch.testing.assert_close(L.activation_fn(name)(x), mod(x))


def test_dead_relu_fraction_grows_with_negative_bias():
    assert L.dead_relu_fraction(128, 0.0) == 0.0
    assert L.dead_relu_fraction(128, -4.0) > 0.9


@pytest.mark.parametrize("n_in,n_out,bias", [(784, 128, True), (3, 1, False), (64, 10, True)])
def test_linear_params_formula(n_in, n_out, bias):
    assert L.linear_params(n_in, n_out, bias) == sum(p.numel() for p in nn.Linear(n_in, n_out, bias=bias).parameters())


def test_dropblock_drops_contiguous_blocks():
    torch.manual_seed(0)
    db = L.DropBlock2d(0.02, 5).train()
    mask = db.block_mask(torch.ones(1, 1, 40, 40))
    holes = (mask == 0)
    assert holes.any()
    # every dropped pixel lies inside a full 5×5 square of dropped pixels
    F = torch.nn.functional
    corners = -F.max_pool2d(-holes.float(), 5, stride=1)  # top-left corners of fully dropped 5×5 squares
    opened = F.max_pool2d(F.pad(corners, [4] * 4), 5, stride=1)  # grow them back into squares
    assert torch.equal(opened.bool(), holes)
    # single pixels are not how it drops: far fewer connected spots than dropped pixels
    assert holes.sum() >= 25


def test_dropblock_keeps_the_mean_and_is_identity_in_eval():
    torch.manual_seed(0)
    x = torch.rand(16, 8, 20, 20) + 0.5
    db = L.DropBlock2d(0.3, 3).train()
    out = db(torch.ones(16, 8, 20, 20))
    assert abs(out.mean().item() - 1.0) < 1e-5  # survivors rescaled exactly
    means = torch.stack([db(x).mean() for _ in range(30)])
    assert abs(means.mean().item() - x.mean().item()) < 0.01 * x.mean().item()
    assert torch.equal(db.eval()(x), x)
    assert torch.equal(L.DropBlock2d(0.0, 3).train()(x), x)


def test_dropblock_drop_rate_matches_torchvision():
    ours = L.drop_fraction(L.DropBlock2d(0.2, 5).train(), repeats=30)
    ref = L.drop_fraction(TVDropBlock2d(0.2, 5).train(), repeats=30)
    assert abs(ours - ref) < 0.01
    with pytest.raises(ValueError):
        L.DropBlock2d(0.1, 4)


def test_weight_decay_and_dropout_narrow_the_gap():
    def gap(**kw):
        job = L.overfit_job(L.OverfitSetup(num_epochs=30, seed=0, **kw)).run()
        assert job.status == "finished"
        return L.generalization_gap(job.records)

    base = gap()
    assert base > 0.3  # it memorises: val loss far above train loss
    assert gap(weight_decay=0.5) < base - 0.05
    assert gap(dropout=0.5) < base - 0.05


def test_overfit_splits_reject_bad_sizes():
    with pytest.raises(ValueError, match="training images"):
        L.overfit_splits(5)


def test_torch_weight_decay_is_the_gradient_of_half_lambda_w_squared_and_adamw_is_decoupled():
    from core.layers import weight_decay_check

    d = weight_decay_check(lam=0.1, lr=0.05, steps=50)
    print(d)
    assert d["sgd_wd_vs_half_l2"] < 1e-12           # SGD(weight_decay=λ) == SGD on L + (λ/2)‖w‖²
    assert d["sgd_wd_vs_full_l2"] > 1e-3            # ... and not L + λ‖w‖²
    assert d["adamw_vs_adam_l2"] > 1e-3             # AdamW ≠ Adam + L2
    assert d["adamw_vs_by_hand"] < 1e-12            # AdamW = shrink by lr·λ·w, then the Adam step
