"""3.4 Transformers: scaled dot-product attention with a mask, and the sinusoidal positional encoding."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from core.exercises.base import Case, Check, Mistake, exercise
from core.exercises.checks import randint, randn

SECTION = "34_transformer"


# ---- 3.4-attention ----------------------------------------------------------------------------

def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask):
    """softmax(q kᵀ / √d_k) v; mask (bool, True = may attend) hides keys, and a query that may attend to none gets 0."""
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])  # (..., T_q, T_k)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))  # exp(−inf) = 0: a hidden key gets no weight at all
    weights = torch.softmax(scores, dim=-1)  # over the keys: each query's weights sum to 1
    if mask is not None:
        weights = weights.masked_fill(~mask, 0.0)  # a fully hidden row is 0/0 = NaN until here
    return weights @ v  # (..., T_q, d_v)


def _attention_library(q, k, v, mask):
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)


def _causal(t_q: int, t_k: int) -> torch.Tensor:
    return torch.ones(t_q, t_k, dtype=torch.bool).tril()  # query i sees keys 0…i


def _show_mask(mask: torch.Tensor, rows: int = 4, cols: int = 10) -> str:
    """`bool (6, 6) 100000, 110000, …`: the shape and the first rows as 0/1 strings."""
    flat = mask.reshape(-1, mask.shape[-1])
    cut = "…" if flat.shape[1] > cols else ""
    shown = ["".join(str(b) for b in r) + cut for r in flat[:rows, :cols].int().tolist()]
    more = ", …" if flat.shape[0] > rows else ""
    return f"bool {tuple(mask.shape)} " + ", ".join(shown) + more


def _attention_case(gen: torch.Generator, name: str, lead: tuple, t_q: int, t_k: int, d: int, mask, d_v: int | None = None,
                    dtype=torch.float32) -> Case:
    q, k = randn(gen, *lead, t_q, d, dtype=dtype), randn(gen, *lead, t_k, d, dtype=dtype)
    v = randn(gen, *lead, t_k, d_v or d, dtype=dtype)
    show = {"mask": _show_mask(mask)} if mask is not None else {}
    return Case(name, (q, k, v, mask), show)


def _attention_cases(gen: torch.Generator) -> list[Case]:
    b, t, d = randint(gen, 2, 4), randint(gen, 4, 8), randint(gen, 4, 17)
    lengths = torch.randint(1, t + 1, (b,), generator=gen)
    lengths[0] = t  # one full sequence, the others padded at the end
    padding = (torch.arange(t) < lengths[:, None])[:, None, :]  # (B, 1, T_k): every query sees the real keys
    left_pad = torch.arange(t) >= 2  # (T,) the first two keys are padding
    fully_masked = _causal(t, t) & left_pad  # queries 0 and 1 may see only padding: nothing at all
    return [
        _attention_case(gen, "no_mask", (b,), t, t, d, None),
        _attention_case(gen, "causal_mask", (b,), t, t, d, _causal(t, t)),
        _attention_case(gen, "padding_mask", (b,), t, t, d, padding),
        _attention_case(gen, "fully_masked_row", (b,), t, t, d, fully_masked),
        _attention_case(gen, "one_query", (1,), 1, t, d, None),
        _attention_case(gen, "cross_attention", (b,), t - 1, t + 2, d, None, d_v=d + 3),
        _attention_case(gen, "float64", (b, 2), t, t, d, _causal(t, t), dtype=torch.float64),
    ]


def _attention_timing(gen: torch.Generator) -> Case:
    return _attention_case(gen, "timing", (2, 8), 128, 128, 64, _causal(128, 128))


def _attention_variant(scale=lambda q, v: math.sqrt(q.shape[-1]), dim=-1, fill=float("-inf"), invert=False,
                       after=False, zero_rows=True):
    def attend(q, k, v, mask):
        scores = q @ k.transpose(-2, -1) / scale(q, v)
        if mask is not None:
            hide = mask if invert else ~mask
            if after:  # mask the weights after the softmax, without renormalising
                return (torch.softmax(scores, dim=dim) * ~hide) @ v
            scores = scores.masked_fill(hide, fill)
        weights = torch.softmax(scores, dim=dim)
        if mask is not None and zero_rows:
            weights = weights.masked_fill(hide, 0.0)
        return weights @ v
    return attend


ATTENTION = exercise("3.4-attention", SECTION, attention, Check(
    cases=_attention_cases, library=_attention_library, library_name="F.scaled_dot_product_attention",
    timing=_attention_timing,
    mistakes=(
        Mistake("no_scale", _attention_variant(scale=lambda q, v: 1.0)),
        Mistake("scale_by_d", _attention_variant(scale=lambda q, v: q.shape[-1])),
        Mistake("scale_by_d_v", _attention_variant(scale=lambda q, v: math.sqrt(v.shape[-1]))),
        Mistake("softmax_dim", _attention_variant(dim=-2)),
        Mistake("mask_inverted", _attention_variant(invert=True)),
        Mistake("mask_inverted", _attention_variant(invert=True, zero_rows=False)),
        Mistake("nan_rows", _attention_variant(zero_rows=False)),
        Mistake("large_negative", _attention_variant(fill=-1e9, zero_rows=False)),
        Mistake("mask_after_softmax", _attention_variant(after=True)),
    )), imports="import math\n\nimport torch")


# ---- 3.4-positional ---------------------------------------------------------------------------

def add_positional_encoding(x: torch.Tensor) -> torch.Tensor:
    """x (..., T, d) plus the sinusoidal encoding of positions 0 … T−1: sin in even columns, cos in odd ones (d even)."""
    T, d = x.shape[-2], x.shape[-1]
    pos = torch.arange(T, dtype=torch.float64).unsqueeze(1)  # (T, 1); float64 so that sin(pos · ω) stays exact for long T
    freq = 10000.0 ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)  # (d/2,): ω_i = 1 / 10000^(2i/d)
    pe = torch.zeros(T, d, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(pos * freq)
    pe[:, 1::2] = torch.cos(pos * freq)
    return x + pe.to(x.dtype)


def _guide_encoding(T: int, d: int, dtype=torch.float64) -> torch.Tensor:
    """The guide's PositionalEncoding table, (T, d), computed in `dtype`."""
    position = torch.arange(0, T, dtype=dtype).unsqueeze(1)
    div_term = torch.exp(torch.arange(0, d, 2, dtype=dtype) * -(math.log(10000.0) / d))
    pe = torch.zeros(T, d, dtype=dtype)
    pe[:, 0::2] = torch.sin(position * div_term)
    pe[:, 1::2] = torch.cos(position * div_term)
    return pe


def _positional_library(x):
    return x + _guide_encoding(x.shape[-2], x.shape[-1]).to(x.dtype)


def _positional_cases(gen: torch.Generator) -> list[Case]:
    b, t, d = randint(gen, 2, 4), randint(gen, 5, 12), 2 * randint(gen, 3, 9)
    return [
        Case("batch", (randn(gen, b, t, d),)),
        Case("zero_input", (torch.zeros(t, d),)),
        Case("one_position", (randn(gen, 1, 1, d),)),
        Case("two_columns", (randn(gen, b, t, 2),)),
        Case("long_sequence", (randn(gen, 1, randint(gen, 150, 300), d),)),
        Case("float64", (randn(gen, b, randint(gen, 40, 80), d, dtype=torch.float64),)),
    ]


def _pe_variant(layout="interleaved", exponent=2, start=0, swap=False, dtype=torch.float64, divide=True):
    def add(x):
        T, d = x.shape[-2], x.shape[-1]
        pos = torch.arange(start, start + T, dtype=dtype).unsqueeze(1)
        i = torch.arange(d // 2, dtype=dtype)
        angles = pos / 10000.0 ** (exponent * i / d) if divide else pos * (1 / 10000.0 ** (exponent * i / d))  # (T, d/2)
        first, second = (angles.cos(), angles.sin()) if swap else (angles.sin(), angles.cos())
        if layout == "interleaved":
            pe = torch.stack([first, second], dim=-1).reshape(T, d)
        else:  # the sines in the first half, the cosines in the second
            pe = torch.cat([first, second], dim=-1)
        return x + pe.to(x.dtype)
    return add


POSITIONAL = exercise("3.4-positional", SECTION, add_positional_encoding, Check(
    cases=_positional_cases, library=_positional_library, library_name="the guide's PositionalEncoding",
    mistakes=(
        Mistake("concatenated", _pe_variant(layout="halves")),
        Mistake("exponent_i", _pe_variant(exponent=1)),
        Mistake("sin_cos_swapped", _pe_variant(swap=True)),
        Mistake("positions_from_one", _pe_variant(start=1)),
        Mistake("float32_table", lambda x: x + _guide_encoding(x.shape[-2], x.shape[-1], torch.float32).to(x.dtype),
                loose=True),
        Mistake("float32_table", _pe_variant(dtype=torch.float32), loose=True),
        Mistake("float32_table", _pe_variant(dtype=torch.float32, divide=False), loose=True),
        Mistake("float32_table", lambda x: x + _guide_encoding(x.shape[-2], x.shape[-1]).float().to(x.dtype), loose=True),
    )))

EXERCISES = (ATTENTION, POSITIONAL)
