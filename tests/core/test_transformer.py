"""Attention against PyTorch's, positional encoding against the formula, config errors, and the tiny
Transformer learning to reverse digits."""
import math
import time

import pytest
import torch
import torch.nn.functional as F

from core import transformer as tf
from core.trainer import TrainConfig

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.parametrize("causal", [False, True])
def test_sdpa_matches_torch(causal):
    q, k, v = (torch.randn(2, 3, 7, 5) for _ in range(3))
    mask = tf.causal_mask(7) if causal else None
    ours, w = tf.scaled_dot_product_attention(q, k, v, mask)
    ref = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert (ours - ref).abs().max() < 1e-5
    assert torch.allclose(w.sum(-1), torch.ones(2, 3, 7))
    if causal:
        assert w[..., 0, 1:].abs().max() == 0


@pytest.mark.parametrize("d, h, causal", [(32, 4, False), (32, 4, True), (12, 3, False), (8, 1, True), (64, 8, False)])
def test_multihead_matches_nn_multiheadattention(d, h, causal):
    check = tf.compare_mha_with_torch(d, h, seq_len=9, batch=2, causal=causal, seed=3)
    assert check.output_diff < 1e-5 and check.weights_diff < 1e-5 and check.sdpa_diff < 1e-5
    assert check.params_ours == check.params_torch == check.params_formula == 4 * (d * d + d)


def test_block_matches_transformer_encoder_layer():
    assert tf.compare_block_with_torch(32, 4, 64, 10, seed=0) < 1e-5


def test_heads_must_divide_d_model():
    with pytest.raises(tf.TransformerConfigError, match="not divisible") as err:
        tf.MultiHeadAttention(64, 3)
    assert err.value.code == "heads" and err.value.params == {"d_model": 64, "heads": 3}
    with pytest.raises(ValueError):
        tf.check_transformer_config(tf.TransformerConfig(d_model=15, num_heads=3, positional="sinusoidal"))
    tf.check_transformer_config(tf.TransformerConfig(d_model=15, num_heads=3, positional="learned"))
    with pytest.raises(ValueError):
        tf.make_transformer_job(tf.DigitTask(n_samples=100), tf.TransformerConfig(d_model=10, num_heads=4), TrainConfig())


def test_sinusoidal_encoding_matches_formula():
    pe = tf.sinusoidal_encoding(20, 8)
    for pos in (0, 3, 19):
        for i in range(4):
            angle = pos / 10000 ** (2 * i / 8)
            assert pe[pos, 2 * i].item() == pytest.approx(math.sin(angle), abs=1e-6)
            assert pe[pos, 2 * i + 1].item() == pytest.approx(math.cos(angle), abs=1e-6)
    sim = tf.position_similarity(pe)
    assert torch.allclose(sim.diagonal(), torch.full((20,), 4.0), atol=1e-5)  # each row has norm √(d/2)
    assert sim[0, 1] > sim[0, 10]


def test_scaling_prevents_saturation():
    rows = tf.saturation_curve(seq_len=8, dims=(4, 512), seed=0)
    by = {(r["d_k"], r["scaled"]): r["max_weight"] for r in rows}
    assert by[(512, False)] > 0.9 and by[(512, True)] < 0.6
    pg = tf.attention_playground(6, 16, scale=True, causal=True, seed=0)
    assert math.isnan(pg.scores[0, 1]) and pg.weights[0, 0] == pytest.approx(1.0)


@pytest.mark.parametrize("impl", ["ours", "torch"])
def test_tiny_transformer_shapes_maps_and_params(impl):
    model = tf.TinyTransformer(tf.TransformerConfig(d_model=16, num_heads=2, num_layers=2, d_ff=32, impl=impl))
    tokens = torch.randint(0, 10, (3, 8))
    assert model(tokens).shape == (3, 8, 10)
    maps = model.attention_maps(tokens)
    assert len(maps) == 2 and maps[0].shape == (3, 2, 8, 8)
    assert torch.allclose(maps[1].sum(-1), torch.ones(3, 2, 8), atol=1e-5)
    assert sum(tf.parameter_breakdown(model).values()) == sum(p.numel() for p in model.parameters())


def test_torch_impl_maps_match_our_blocks_with_copied_weights():
    torch.manual_seed(0)
    ours = tf.TinyTransformer(tf.TransformerConfig(d_model=16, num_heads=4, num_layers=2, d_ff=32, impl="ours"))
    ref = tf.TinyTransformer(tf.TransformerConfig(d_model=16, num_heads=4, num_layers=2, d_ff=32, impl="torch"))
    ref.embed.load_state_dict(ours.embed.state_dict())
    ref.head.load_state_dict(ours.head.state_dict())
    for a, b in zip(ours.blocks, ref.blocks):
        b.load_state_dict(a.to_torch().state_dict())
    ours.eval()
    ref.train()  # dropout is 0; train mode skips the fused fast path
    tokens = torch.randint(0, 10, (2, 8))
    assert (ours(tokens) - ref(tokens)).abs().max() < 1e-4
    for wa, wb in zip(ours.attention_maps(tokens), ref.attention_maps(tokens)):
        assert (wa - wb).abs().max() < 1e-5


def test_transformer_learns_to_reverse_digits():
    """Default page settings: ≥ 90% token accuracy; the training time is printed for the report."""
    job = tf.make_transformer_job(tf.DigitTask("reverse", n_samples=3000, seq_len=8, seed=0),
                                  tf.TransformerConfig(d_model=32, num_heads=4, num_layers=2, d_ff=64),
                                  TrainConfig(num_epochs=5, lr=3e-3, batch_size=64, seed=0))
    start = time.perf_counter()
    job.run()
    wall = time.perf_counter() - start
    assert job.status == "finished"
    accs = [r.val_score for r in job.records]
    first = next(i for i, a in enumerate(accs) if a >= 0.9)
    to_90 = sum(r.seconds for r in job.records[: first + 1])
    print(f"\nval token accuracy per epoch {[round(a, 3) for a in accs]}; ≥90% after epoch {first + 1} "
          f"({to_90:.1f} s of training); {wall:.1f} s wall for {len(accs)} epochs")
    assert max(accs) >= 0.9
    model = job.best_model()
    result = tf.answer(model, torch.tensor([[3, 1, 4, 1, 5, 9, 2, 6]]), "reverse")
    assert result["target"] == [6, 2, 9, 5, 1, 4, 1, 3] and sum(result["correct"]) >= 7


def test_fully_masked_rows_give_zeros_as_torch_does():
    gen = torch.Generator().manual_seed(0)
    blank_rows = 0
    for trial in range(40):
        B, H, T_q, T_k, d = (int(torch.randint(lo, hi, (1,), generator=gen)) for lo, hi in
                             ((1, 4), (1, 4), (1, 7), (1, 7), (1, 9)))
        if trial % 4 == 0:
            B = 1  # a batch of one
        q, k, v = (torch.randn(B, H, T, d, generator=gen, dtype=torch.float64, requires_grad=True)
                   for T in (T_q, T_k, T_k))
        shape = (T_q, T_k) if trial % 2 else (B, H, T_q, T_k)
        mask = torch.rand(shape, generator=gen) < 0.6
        mask[..., torch.rand(T_q, generator=gen) < 0.4, :] = False  # some queries may look nowhere
        blank = ~mask.any(dim=-1)
        blank_rows += int(blank.sum())
        ours, w = tf.scaled_dot_product_attention(q, k, v, mask)
        ref = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        assert torch.isfinite(ours).all() and torch.isfinite(w).all()
        torch.testing.assert_close(ours, ref, rtol=1e-10, atol=1e-12)
        w_full = w.expand(B, H, T_q, T_k)
        assert (w_full[blank.expand(B, H, T_q)] == 0).all()
        torch.testing.assert_close(w_full.sum(-1)[~blank.expand(B, H, T_q)], torch.ones((~blank.expand(B, H, T_q)).sum().item(),
                                   dtype=torch.float64))
        g = torch.randn(ref.shape, generator=gen, dtype=torch.float64)
        ours_grads = torch.autograd.grad(ours, (q, k, v), g)
        ref_grads = torch.autograd.grad(ref, (q, k, v), g)
        for a, b in zip(ours_grads, ref_grads):
            assert torch.isfinite(a).all()
            torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-10)
    assert blank_rows > 20


@pytest.mark.parametrize("d_model,heads,t_dec,t_enc", [(32, 4, 6, 9), (12, 3, 1, 5), (8, 1, 7, 2)])
def test_cross_attention_matches_torch_with_rectangular_weights(d_model, heads, t_dec, t_enc):
    from core.transformer import compare_cross_attention_with_torch

    r = compare_cross_attention_with_torch(d_model, heads, t_dec, t_enc, batch=2, seed=1)
    assert r["output_diff"] < 1e-5 and r["weights_diff"] < 1e-5
    assert r["output_shape"] == (2, t_dec, d_model) and r["weights_shape"] == (2, heads, t_dec, t_enc)
