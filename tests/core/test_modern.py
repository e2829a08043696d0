"""core.modern: patches vs Conv2d and torchvision's ViT, scaling maths, separable-conv counts."""
import pytest
import torch

from core import modern as M


def test_vit_224_16_gives_196_patches_plus_cls():
    assert M.num_patches(224, 16) == 196
    assert M.torchvision_vit_seq_length(224, 16) == 197
    x = torch.randn(1, 3, 224, 224)
    assert M.patchify(x, 16).shape == (1, 196, 768)
    with pytest.raises(ValueError):
        M.num_patches(96, 14)


def test_patchify_matches_conv_patch_embedding():
    assert M.patch_embedding_against_conv(32, 8) < 1e-5
    assert M.patch_embedding_against_conv(224, 16, dim=8) < 1e-4


def test_patchify_order_is_row_major():
    x = torch.arange(16.0).view(1, 1, 4, 4)
    patches = M.patchify(x, 2)
    assert patches[0, 1].tolist() == [2.0, 3.0, 6.0, 7.0]


def test_small_vit_forward_and_sequence():
    vit = M.SmallViT(M.ViTConfig(patch_size=2))
    assert vit.pos.shape[1] == 17  # 16 patches + CLS
    assert vit(torch.rand(3, 64)).shape == (3, 10)
    with pytest.raises(ValueError):
        M.SmallViT(M.ViTConfig(dim=30, heads=4))


def test_compound_scaling():
    assert abs(1.2 * 1.1**2 * 1.15**2 - 2) < 0.1
    s = M.compound_scaling(1.0)
    assert s.depth == pytest.approx(1.2) and s.width == pytest.approx(1.1) and s.resolution == pytest.approx(1.15)
    assert s.image_size == round(224 * 1.15)
    assert M.compound_scaling(3.0).flops == pytest.approx((1.2 * 1.1**2 * 1.15**2) ** 3)


def test_efficientnet_param_counts_grow():
    b0, b1 = M.efficientnet_params("b0"), M.efficientnet_params("b1")
    assert b0 == 5_288_548 and b1 > b0


@pytest.mark.parametrize("c_in,c_out,k", [(64, 128, 3), (3, 16, 5), (32, 32, 1)])
def test_separable_formula_equals_counted(c_in, c_out, k):
    standard, separable = M.counted_conv_params(c_in, c_out, k)
    assert standard == M.conv_params(c_in, c_out, k)
    assert separable == M.separable_params(c_in, c_out, k)
    ratio = separable / standard
    assert ratio == pytest.approx(1 / c_out + 1 / k**2)


def test_comparison_jobs_train():
    from core.patterns import digits_splits

    data = digits_splits(0, scale=False)
    for kind in ("vit", "cnn"):
        job = M.comparison_job(kind, M.ViTConfig(), data, num_epochs=1).run()
        assert job.status == "finished" and job.records[0].val_score > 0.1
    with pytest.raises(ValueError):
        M.comparison_job("rnn", M.ViTConfig(), data)
