"""core.patterns: residual vs plain behaviour, dense-block arithmetic, attention modules vs torchvision."""
import pytest
import torch

from core import patterns as P


@pytest.fixture(scope="module")
def deep_runs():
    data = P.digits_splits(seed=0)
    runs = {}
    for residual in (False, True):
        job = P.deep_net_job(P.DeepNetConfig(depth=20, residual=residual), data, num_epochs=5, seed=0).run()
        assert job.status == "finished"
        runs[residual] = job
    return runs


def test_residual_trains_to_a_much_lower_loss(deep_runs):
    plain, res = deep_runs[False].records[-1], deep_runs[True].records[-1]
    assert plain.train_loss > 2.0  # stuck near ln 10 ≈ 2.30
    assert res.train_loss < 0.5 * plain.train_loss
    assert res.val_score > plain.val_score + 0.5


def test_plain_early_gradients_vanish(deep_runs):
    plain_ratio = P.early_late_ratio(deep_runs[False].records)
    res_ratio = P.early_late_ratio(deep_runs[True].records)
    assert plain_ratio < 1e-2  # orders of magnitude smaller at the first block than at the last
    assert res_ratio > 0.1
    norms = deep_runs[False].records[0].layer_grad_norms
    assert list(norms)[0] == "stem" and list(norms)[-1] == "head" and len(norms) == 22


def test_dense_channels_and_params():
    assert P.dense_channels(16, 12, 4) == [16, 28, 40, 52, 64]
    block = P.DenseBlock(16, 12, 4)
    assert sum(p.numel() for p in block.parameters()) == sum(P.dense_layer_params(c, 12) for c in [16, 28, 40, 52])
    assert block(torch.randn(2, 16, 8, 8)).shape == (2, 64, 8, 8)
    for c0, k, n in ((64, 32, 6), (4, 4, 1), (16, 12, 4), (64, 48, 12)):
        ours, ref, counted = P.dense_against_torchvision(c0, k, n)
        assert ours == ref == P.dense_channels(c0, k, n)[-1]
        assert counted == sum(p.numel() for p in P.DenseBlock(c0, k, n).parameters())


def test_se_matches_torchvision():
    assert P.se_against_torchvision(16, 4) < 1e-6


def test_attention_modules_shapes_and_ranges():
    x = torch.randn(3, 8, 6, 6)
    for mod in (P.SqueezeExcite(8), P.CBAMChannel(8), P.SpatialAttention()):
        assert mod(x).shape == x.shape
        assert (mod.weights >= 0).all() and (mod.weights <= 1).all()
    model = P.AttentionCNN(P.AttentionCNNConfig(attention="cbam"))
    channel, spatial = P.attention_maps(model, torch.rand(4, 64))
    assert channel.shape == (4, 16) and spatial.shape == (4, 8, 8)
    with pytest.raises(ValueError):
        P.AttentionCNN(P.AttentionCNNConfig(attention="bogus"))
