"""core.cnn: conv arithmetic vs nn.Conv2d, kernels vs scipy, parameter counts vs numel, digits accuracy."""
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.signal import correlate2d
from torch import nn

from core.cnn import (
    ARCHS,
    DIGITS_TRAIN,
    KERNELS,
    DigitsNet,
    DigitsNetConfig,
    SEBlock,
    accuracy_vs_sklearn,
    apply_kernel,
    classic_table,
    conv_output_size,
    conv_params,
    conv_sweep,
    feature_maps,
    first_filters,
    kernel_check,
    kernel_positions,
    make_digits_job,
    separable_modules,
    separable_params,
)
from core.datasets import load_dataset


@settings(max_examples=250, deadline=None, derandomize=True)
@given(n=st.integers(1, 40), k=st.integers(1, 7), s=st.integers(1, 4), p=st.integers(0, 3), d=st.integers(1, 3),
       g=st.integers(1, 3), bias=st.booleans())
def test_output_size_and_params_match_conv2d(n, k, s, p, d, g, bias):
    conv = nn.Conv2d(2 * g, 4 * g, k, s, p, d, groups=g, bias=bias)
    if n + 2 * p < d * (k - 1) + 1:
        with pytest.raises(ValueError):
            conv_output_size(n, k, s, p, d)
        return
    out = conv_output_size(n, k, s, p, d)
    with torch.no_grad():
        assert conv(torch.zeros(1, 2 * g, n, n)).shape == (1, 4 * g, out, out)
    assert conv_params(2 * g, 4 * g, k, bias, g) == sum(q.numel() for q in conv.parameters())


def test_sweep_finds_no_mismatch():
    assert conv_sweep(300, 0) == {"cases": 300, "size_mismatches": 0, "param_mismatches": 0}


@pytest.mark.parametrize("n,k,s,p,d", [(8, 3, 1, 1, 1), (10, 3, 2, 0, 2), (7, 5, 3, 2, 1)])
def test_kernel_positions_reproduce_conv1d(n, k, s, p, d):
    x, w = torch.randn(n, dtype=torch.float64), torch.randn(k, dtype=torch.float64)
    ref = F.conv1d(x[None, None], w[None, None], stride=s, padding=p, dilation=d)[0, 0]
    ours = torch.zeros(conv_output_size(n, k, s, p, d), dtype=torch.float64)
    for r in kernel_positions(n, k, s, p, d):
        if not r["padding"]:
            ours[r["out"]] += w[r["tap"]] * x[r["input"]]
    torch.testing.assert_close(ours, ref)


def test_classic_kernels_match_scipy():
    img = load_dataset("digits").X[3].reshape(8, 8)
    assert kernel_check(img) < 1e-10
    sobel = apply_kernel(img, KERNELS["sobel_x"])
    ref = correlate2d(img.numpy(), torch.tensor(KERNELS["sobel_x"]).numpy(), mode="same")
    torch.testing.assert_close(sobel, torch.as_tensor(ref, dtype=torch.float32), atol=1e-5, rtol=0)


@pytest.mark.parametrize("c_in,c_out,k", [(1, 1, 1), (64, 128, 3), (32, 16, 5), (3, 96, 7)])
def test_separable_counts(c_in, c_out, k):
    f = separable_params(c_in, c_out, k)
    standard, separable = separable_modules(c_in, c_out, k)
    assert f["standard"] == sum(p.numel() for p in standard.parameters())
    assert f["separable"] == sum(p.numel() for p in separable.parameters())
    x = torch.randn(2, c_in, 9, 9)
    assert standard(x).shape == separable(x).shape


@pytest.mark.parametrize("seed", range(6))
def test_se_block_matches_torchvision_squeeze_excitation(seed):
    """Our SE block against torchvision's, same weights, on random widths, reductions and batches of one."""
    from torchvision.ops import SqueezeExcitation

    gen = torch.Generator().manual_seed(seed)
    channels, reduction = int(torch.randint(1, 33, (1,), generator=gen)), int(torch.randint(1, 9, (1,), generator=gen))
    batch, size = int(torch.randint(1, 4, (1,), generator=gen)), int(torch.randint(1, 7, (1,), generator=gen))
    torch.manual_seed(seed)
    ours = SEBlock(channels, reduction)
    hidden = max(1, channels // reduction)
    ref = SqueezeExcitation(channels, hidden)
    with torch.no_grad():
        ref.fc1.weight.copy_(ours.fc[0].weight[:, :, None, None])
        ref.fc1.bias.copy_(ours.fc[0].bias)
        ref.fc2.weight.copy_(ours.fc[2].weight[:, :, None, None])
        ref.fc2.bias.copy_(ours.fc[2].bias)
        x = torch.randn(batch, channels, size, size, generator=gen)
        torch.testing.assert_close(ours(x), ref(x))


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("se", [False, True])
@pytest.mark.parametrize("shape", [(1, 8, 8), (1, 28, 28)])
def test_digits_nets_shapes_and_views(arch, se, shape):
    net = DigitsNet(DigitsNetConfig(arch, shape, 10, 8, se))
    x = torch.rand(4, shape[0] * shape[1] * shape[2])
    assert net(x).shape == (4, 10)
    maps = feature_maps(net, x[0])
    assert maps["stem"].shape == (8, shape[1], shape[2]) and len(maps) >= 3
    assert first_filters(net).shape == (8, 3, 3)


def test_classic_table_counts_match_real_builds():
    rows = {r["model"]: r["params"] for r in classic_table()}
    assert rows == {"LeNet-5": 61_706, "AlexNet": 61_100_840, "VGG-16": 138_357_544, "ResNet-18": 11_689_512,
                    "ResNet-50": 25_557_032}
    from torchvision.models import resnet18

    assert sum(p.numel() for p in resnet18(weights=None).parameters()) == rows["ResNet-18"], "meta build = real build"


def test_default_digits_cnn_reaches_97_percent():
    """Default architecture and training settings (deterministic, seed 0)."""
    job = make_digits_job(load_dataset("digits"), DigitsNetConfig(), DIGITS_TRAIN).run()
    assert job.status == "finished"
    ours, ref = accuracy_vs_sklearn(job.best_model(), job.data.X_test, job.data.y_test)
    assert ours == pytest.approx(ref)
    assert ref >= 0.97, f"test accuracy {ref:.3f}"


def test_pool_output_size_matches_maxpool_and_avgpool_on_random_shapes():
    from core.cnn import pool_sweep

    sweep = pool_sweep(300, seed=1)
    print(sweep)
    assert sweep["cases"] == 300 and sweep["ceil_cases"] > 100 and sweep["mismatches"] == 0


def test_pool_output_size_ceil_mode_drops_a_window_that_would_start_in_the_padding():
    from core.cnn import pool_output_size

    assert pool_output_size(5, 2) == 2 and pool_output_size(5, 2, ceil_mode=True) == 3      # the partial window kept
    # n=5, k=3, s=3, p=1: ⌈4/3⌉ + 1 = 3, but the third window would start at 6 ≥ n + p = 6, so it is dropped
    torch_size = nn.MaxPool2d(3, 3, 1, ceil_mode=True)(torch.zeros(1, 1, 5, 5)).shape[-1]
    assert pool_output_size(5, 3, 3, 1, ceil_mode=True) == torch_size == 2
