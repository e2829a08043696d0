"""3.3 RNN: one step of an LSTM cell and one step of a GRU cell, with PyTorch's weight layout."""
from __future__ import annotations

import torch
from torch import nn

from core.exercises.base import Case, Check, Mistake, exercise
from core.exercises.checks import randint, randn

SECTION = "33_rnn"


def _cell_case(gen: torch.Generator, name: str, gates: int, batch: tuple, n_in: int, hidden: int,
               dtype=torch.float32, zero_state: bool = False, cell_scale: float = 1.0, lstm: bool = True) -> Case:
    """Inputs for one step: x, h (and c for an LSTM), then W_ih (gates·H, I), W_hh (gates·H, H), b_ih, b_hh."""
    scale = hidden**-0.5 * 1.5  # a little above nn.LSTM's init, so the gates are not all near 0.5
    x = randn(gen, *batch, n_in, dtype=dtype)
    h = torch.zeros(*batch, hidden, dtype=dtype) if zero_state else randn(gen, *batch, hidden, dtype=dtype, scale=0.5)
    state = (h,)
    if lstm:
        c = torch.zeros(*batch, hidden, dtype=dtype) if zero_state else randn(gen, *batch, hidden, dtype=dtype, scale=cell_scale)
        state = (h, c)
    weights = (randn(gen, gates * hidden, n_in, dtype=dtype, scale=scale), randn(gen, gates * hidden, hidden, dtype=dtype, scale=scale),
               randn(gen, gates * hidden, dtype=dtype, scale=0.5), randn(gen, gates * hidden, dtype=dtype, scale=0.5))
    return Case(name, (x, *state, *weights))


def _cell_cases(gates: int, lstm: bool):
    def cases(gen: torch.Generator) -> list[Case]:
        n, i, h = randint(gen, 3, 7), randint(gen, 2, 6), randint(gen, 3, 8)
        h = h + 1 if h == i else h  # input and hidden sizes differ, so a swapped matrix cannot run
        kw = {"gates": gates, "lstm": lstm}
        out = [
            _cell_case(gen, "batch", batch=(n,), n_in=i, hidden=h, **kw),
            _cell_case(gen, "first_step", batch=(n,), n_in=i, hidden=h, zero_state=True, **kw),
            _cell_case(gen, "one_sample", batch=(1,), n_in=i, hidden=h, **kw),
            _cell_case(gen, "single_vector", batch=(), n_in=i, hidden=h, **kw),
            _cell_case(gen, "float64", batch=(n,), n_in=i + 1, hidden=h, dtype=torch.float64, **kw),
        ]
        if lstm:
            out.append(_cell_case(gen, "large_cell", batch=(n,), n_in=i, hidden=h, cell_scale=4.0, **kw))
        return out
    return cases


@torch.no_grad()
def _run_cell(cell_type, x, state, W_ih, W_hh, b_ih, b_hh):
    cell = cell_type(W_ih.shape[1], W_hh.shape[1], dtype=x.dtype)
    for name, value in (("weight_ih", W_ih), ("weight_hh", W_hh), ("bias_ih", b_ih), ("bias_hh", b_hh)):
        getattr(cell, name).copy_(value)
    return cell(x, state)


# ---- 3.3-lstm-cell ----------------------------------------------------------------------------

def lstm_cell(x, h, c, W_ih, W_hh, b_ih, b_hh):
    """One step of nn.LSTMCell; the four gates are stacked in the order i, f, g, o. Returns (h_new, c_new)."""
    gates = x @ W_ih.T + b_ih + h @ W_hh.T + b_hh  # (..., 4H): every gate's pre-activation at once
    i, f, g, o = gates.chunk(4, dim=-1)
    i, f, o = torch.sigmoid(i), torch.sigmoid(f), torch.sigmoid(o)
    g = torch.tanh(g)  # the candidate content: tanh, not a sigmoid
    c = f * c + i * g  # keep some old memory, write some new
    h = o * torch.tanh(c)
    return h, c


def _lstm_library(x, h, c, W_ih, W_hh, b_ih, b_hh):
    return _run_cell(nn.LSTMCell, x, (h, c), W_ih, W_hh, b_ih, b_hh)


def _lstm_variant(order="ifgo", g_act=torch.tanh, tanh_c=True, old_c_in_h=False, input_gate=True, b_hh_used=True):
    def step(x, h, c, W_ih, W_hh, b_ih, b_hh):
        gates = x @ W_ih.T + b_ih + h @ W_hh.T + (b_hh if b_hh_used else 0)
        parts = dict(zip(order, gates.chunk(4, dim=-1)))
        i, f, o, g = torch.sigmoid(parts["i"]), torch.sigmoid(parts["f"]), torch.sigmoid(parts["o"]), g_act(parts["g"])
        c_new = f * c + (i * g if input_gate else g)
        return o * ((torch.tanh(c if old_c_in_h else c_new)) if tanh_c else c_new), c_new
    return step


LSTM = exercise("3.3-lstm-cell", SECTION, lstm_cell, Check(
    cases=_cell_cases(4, lstm=True), library=_lstm_library, library_name="nn.LSTMCell",
    mistakes=(
        Mistake("gate_order", _lstm_variant(order="fiog")),
        Mistake("gate_order", _lstm_variant(order="ifog")),
        Mistake("gate_order", _lstm_variant(order="figo")),
        Mistake("sigmoid_candidate", _lstm_variant(g_act=torch.sigmoid)),
        Mistake("no_tanh_on_c", _lstm_variant(tanh_c=False)),
        Mistake("old_cell_in_h", _lstm_variant(old_c_in_h=True)),
        Mistake("no_input_gate", _lstm_variant(input_gate=False)),
        Mistake("one_bias", _lstm_variant(b_hh_used=False)),
    )))


# ---- 3.3-gru-cell -----------------------------------------------------------------------------

def gru_cell(x, h, W_ih, W_hh, b_ih, b_hh):
    """One step of nn.GRUCell; the three blocks are stacked in the order r, z, n. Returns h_new."""
    x_r, x_z, x_n = (x @ W_ih.T + b_ih).chunk(3, dim=-1)  # (..., H) each, from the input
    h_r, h_z, h_n = (h @ W_hh.T + b_hh).chunk(3, dim=-1)  # the same from the previous state
    r = torch.sigmoid(x_r + h_r)  # reset gate
    z = torch.sigmoid(x_z + h_z)  # update gate: how much of the old state to keep
    n = torch.tanh(x_n + r * h_n)  # torch resets W_hn·h + b_hn, its bias included
    return (1 - z) * n + z * h


def _gru_library(x, h, W_ih, W_hh, b_ih, b_hh):
    return _run_cell(nn.GRUCell, x, h, W_ih, W_hh, b_ih, b_hh)


def _gru_variant(order="rzn", swap_z=False, reset="torch"):
    def step(x, h, W_ih, W_hh, b_ih, b_hh):
        xs = dict(zip(order, (x @ W_ih.T + b_ih).chunk(3, dim=-1)))
        hs = dict(zip(order, (h @ W_hh.T + b_hh).chunk(3, dim=-1)))
        r, z = torch.sigmoid(xs["r"] + hs["r"]), torch.sigmoid(xs["z"] + hs["z"])
        H = h.shape[-1]
        start = order.index("n") * H
        W_hn, b_hn = W_hh[start:start + H], b_hh[start:start + H]
        if reset == "torch":
            n = torch.tanh(xs["n"] + r * hs["n"])
        elif reset == "before_matmul":  # the paper's form: r scales h before W_hn
            n = torch.tanh(xs["n"] + (r * h) @ W_hn.T + b_hn)
        elif reset == "bias_outside":
            n = torch.tanh(xs["n"] + r * (h @ W_hn.T) + b_hn)
        else:  # no reset gate at all
            n = torch.tanh(xs["n"] + hs["n"])
        return z * n + (1 - z) * h if swap_z else (1 - z) * n + z * h
    return step


GRU = exercise("3.3-gru-cell", SECTION, gru_cell, Check(
    cases=_cell_cases(3, lstm=False), library=_gru_library, library_name="nn.GRUCell",
    mistakes=(
        Mistake("z_swapped", _gru_variant(swap_z=True)),
        Mistake("reset_before_matmul", _gru_variant(reset="before_matmul")),
        Mistake("reset_before_matmul", _gru_variant(reset="before_matmul", swap_z=True)),
        Mistake("reset_bias_outside", _gru_variant(reset="bias_outside")),
        Mistake("gate_order", _gru_variant(order="zrn")),
        Mistake("no_reset", _gru_variant(reset="none")),
    )))

EXERCISES = (LSTM, GRU)
