"""3.2 CNN: the output shape of a conv layer from the formula, and conv2d (a cross-correlation) by hand."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from core.exercises.base import Case, Check, Mistake, exercise
from core.exercises.checks import randint, randn

SECTION = "32_cnn"


# ---- 3.2-conv-shape ---------------------------------------------------------------------------

def conv_output_shape(x: torch.Tensor, out_channels: int, kernel: int, stride: int, padding: int, dilation: int) -> tuple:
    """The shape of nn.Conv2d(x.shape[-3], out_channels, kernel, stride, padding, dilation)(x), from the formula alone."""
    def side(n):
        return (n + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1  # floor: a partial last window is dropped
    *lead, _, h, w = x.shape  # lead is (N,) for a batch, () for one unbatched image
    return (*lead, out_channels, side(h), side(w))


@torch.no_grad()
def _shape_library(x, out_channels, kernel, stride, padding, dilation):
    conv = nn.Conv2d(x.shape[-3], out_channels, kernel, stride, padding, dilation, dtype=x.dtype)
    return tuple(conv(x).shape)


def _image(gen: torch.Generator, lead: tuple, c: int, h: int, w: int, dtype=torch.float32) -> torch.Tensor:
    return randn(gen, *lead, c, h, w, dtype=dtype)


def _uneven(gen: torch.Generator, low: int, high: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """A size in [low, high) whose windows do not tile it exactly, so floor and ceil disagree."""
    n = randint(gen, low, high)
    while (n + 2 * padding - dilation * (kernel - 1) - 1) % stride == 0:
        n += 1
    return n


def _shape_cases(gen: torch.Generator) -> list[Case]:
    n, c, o = randint(gen, 1, 5), randint(gen, 1, 4), randint(gen, 4, 17)
    s = randint(gen, 8, 33)
    u = _uneven(gen, 9, 30, 3, 2, 1, 1)
    u5 = _uneven(gen, 12, 40, 5, 3, 2, 1)
    return [
        Case("same_padding", (_image(gen, (n,), c, s, s + 3), o, 3, 1, 1, 1)),
        Case("no_padding", (_image(gen, (n,), c, s, s), o, 5, 1, 0, 1)),
        Case("stride_two", (_image(gen, (n,), c, u, u), o, 3, 2, 1, 1)),
        Case("big_kernel_stride", (_image(gen, (n,), c, u5, s), o, 5, 3, 2, 1)),
        Case("dilation", (_image(gen, (n,), c, s, s + 1), o, 3, 1, 1, 3)),
        Case("unbatched", (_image(gen, (), c, s, s + 2), o, 3, 2, 0, 1)),
        Case("float64", (_image(gen, (n,), c, s + 1, s, torch.float64), o, 3, 2, 2, 2)),
    ]


def _shape_variant(side):
    def shape(x, out_channels, kernel, stride, padding, dilation):
        *lead, _, h, w = x.shape
        return (*lead, out_channels, side(h, kernel, stride, padding, dilation), side(w, kernel, stride, padding, dilation))
    return shape


CONV_SHAPE = exercise("3.2-conv-shape", SECTION, conv_output_shape, Check(
    cases=_shape_cases, library=_shape_library, library_name="nn.Conv2d",
    mistakes=(
        Mistake("one_side_padding", _shape_variant(lambda n, k, s, p, d: (n + p - d * (k - 1) - 1) // s + 1)),
        Mistake("no_plus_one", _shape_variant(lambda n, k, s, p, d: (n + 2 * p - d * (k - 1) - 1) // s)),
        Mistake("ceil", _shape_variant(lambda n, k, s, p, d: -(-(n + 2 * p - d * (k - 1) - 1) // s) + 1)),
        Mistake("no_dilation", _shape_variant(lambda n, k, s, p, d: (n + 2 * p - k) // s + 1)),
        Mistake("dilation_times_k", _shape_variant(lambda n, k, s, p, d: (n + 2 * p - d * k) // s + 1)),
        Mistake("channels_in", lambda x, o, k, s, p, d: conv_output_shape(x, x.shape[-3], k, s, p, d)),
    )))


# ---- 3.2-conv2d -------------------------------------------------------------------------------

def conv2d(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, stride: int, padding: int) -> torch.Tensor:
    """F.conv2d by hand: x (N, C, H, W), weight (O, C, k, k), bias (O,) → (N, O, H_out, W_out)."""
    n, c, h, w = x.shape
    o, _, k, _ = weight.shape
    x = F.pad(x, (padding, padding, padding, padding))  # zeros on all four sides
    h_out = (h + 2 * padding - k) // stride + 1
    w_out = (w + 2 * padding - k) // stride + 1
    out = torch.zeros(n, o, h_out, w_out, dtype=x.dtype)
    for i in range(k):  # one kernel tap at a time, every output position at once
        for j in range(k):
            patch = x[:, :, i:i + stride * h_out:stride, j:j + stride * w_out:stride]  # (N, C, H_out, W_out)
            out += torch.einsum("nchw,oc->nohw", patch, weight[:, :, i, j])
    return out + bias.view(1, o, 1, 1)  # not flipped: deep learning's "convolution" is a cross-correlation


def _conv_library(x, weight, bias, stride, padding):
    return F.conv2d(x, weight, bias, stride=stride, padding=padding)


def _conv_case(gen: torch.Generator, name: str, n: int, c: int, o: int, h: int, w: int, k: int, stride: int,
               padding: int, dtype=torch.float32) -> Case:
    return Case(name, (randn(gen, n, c, h, w, dtype=dtype), randn(gen, o, c, k, k, dtype=dtype, scale=(c * k * k) ** -0.5),
                       randn(gen, o, dtype=dtype, scale=0.5), stride, padding))


def _conv_cases(gen: torch.Generator) -> list[Case]:
    n, c, o = randint(gen, 2, 4), randint(gen, 2, 4), randint(gen, 2, 5)
    h, w = randint(gen, 6, 11), randint(gen, 6, 11)
    return [
        _conv_case(gen, "one_channel", n, 1, 1, h, w, 3, 1, 0),
        _conv_case(gen, "channels", n, c, o, h, w, 3, 1, 0),
        _conv_case(gen, "same_padding", n, c, o, h, w, 3, 1, 1),
        _conv_case(gen, "stride_two", n, c, o, h + 1, w, 3, 2, 1),
        _conv_case(gen, "big_kernel", 1, c, o, h + 2, w + 1, 5, 1, 2),
        _conv_case(gen, "one_by_one", n, c, o, h, w, 1, 1, 0),
        _conv_case(gen, "float64", n, c, o, h, w, 3, 2, 1, torch.float64),
    ]


def _conv_timing(gen: torch.Generator) -> Case:
    return _conv_case(gen, "timing", 8, 16, 32, 32, 32, 3, 1, 1)


CONV2D = exercise("3.2-conv2d", SECTION, conv2d, Check(
    cases=_conv_cases, library=_conv_library, library_name="F.conv2d", timing=_conv_timing,
    mistakes=(
        Mistake("flipped_kernel", lambda x, wt, b, s, p: F.conv2d(x, wt.flip(-2, -1), b, stride=s, padding=p)),
        Mistake("no_bias", lambda x, wt, b, s, p: F.conv2d(x, wt, None, stride=s, padding=p)),
        Mistake("no_padding", lambda x, wt, b, s, p: F.conv2d(x, wt, b, stride=s)),
        Mistake("one_side_padding", lambda x, wt, b, s, p: F.conv2d(F.pad(x, (p, 0, p, 0)), wt, b, stride=s)),
        Mistake("stride_ignored", lambda x, wt, b, s, p: F.conv2d(x, wt, b, padding=p)),
    )), imports="import torch\nimport torch.nn.functional as F")

EXERCISES = (CONV_SHAPE, CONV2D)
