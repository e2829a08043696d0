"""Recurrent nets: an LSTM written gate by gate, gradient decay through time, and sequence models
(RNN, LSTM, GRU, BiLSTM with a last-state or attention-pooling head) for the shared trainer."""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import torch
from torch import nn

from core.datasets import Splits
from core.errors import InputError
from core.jobs import TrainingJob
from core.sequences import motif_sequences, naive_last_value, noisy_sine, sequence_splits
from core.trainer import TrainConfig

GATES = ("input", "forget", "candidate", "output")  # nn.LSTM's row order: i, f, g, o
KINDS = ("rnn", "lstm", "gru", "bilstm")
HEADS = ("last", "attention")
SEQ_TASKS = ("forecast", "classify")
CELLS = ("rnn", "lstm")


# --- an LSTM, gate by gate ---------------------------------------------------------------------

class LSTMFromScratch(nn.Module):
    """One LSTM layer with nn.LSTM's parameter layout, so weights copy across one to one."""

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        self.weight_ih = nn.Parameter(torch.empty(4 * hidden_size, input_size))
        self.weight_hh = nn.Parameter(torch.empty(4 * hidden_size, hidden_size))
        self.bias_ih = nn.Parameter(torch.empty(4 * hidden_size))
        self.bias_hh = nn.Parameter(torch.empty(4 * hidden_size))
        bound = 1 / math.sqrt(hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def forward(self, x: torch.Tensor, state=None, return_gates: bool = False):
        """x: (B, T, I) → outputs (B, T, H), (h_T, c_T)[, gates {name: (B, T, H)}]."""
        B, T, _ = x.shape
        H = self.hidden_size
        h = x.new_zeros(B, H) if state is None else state[0]
        c = x.new_zeros(B, H) if state is None else state[1]
        outputs, trace = [], {g: [] for g in GATES}
        for t in range(T):
            z = x[:, t] @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T + self.bias_hh  # (B, 4H)
            i = torch.sigmoid(z[:, 0:H])          # how much new content to write
            f = torch.sigmoid(z[:, H : 2 * H])    # how much old memory to keep
            g = torch.tanh(z[:, 2 * H : 3 * H])   # the candidate content
            o = torch.sigmoid(z[:, 3 * H : 4 * H])  # how much memory to reveal
            c = f * c + i * g
            h = o * torch.tanh(c)
            outputs.append(h)
            if return_gates:
                for name, v in zip(GATES, (i, f, g, o)):
                    trace[name].append(v)
        out = torch.stack(outputs, dim=1)
        if return_gates:
            return out, (h, c), {k: torch.stack(v, dim=1) for k, v in trace.items()}
        return out, (h, c)

    @torch.no_grad()
    def load_from(self, lstm: nn.LSTM, layer: int = 0, reverse: bool = False) -> LSTMFromScratch:
        """Copy one layer (and direction) of an `nn.LSTM` into this cell."""
        suffix = f"_l{layer}" + ("_reverse" if reverse else "")
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(self, name).copy_(getattr(lstm, name + suffix))
        return self


def lstm_parameter_formula(input_size: int, hidden_size: int, num_layers: int = 1, bidirectional: bool = False) -> int:
    """4 gates × (input weights + recurrent weights + two biases), per layer and direction."""
    dirs = 2 if bidirectional else 1
    total = 0
    for layer in range(num_layers):
        i = input_size if layer == 0 else hidden_size * dirs
        total += dirs * 4 * hidden_size * (i + hidden_size + 2)
    return total


@dataclass(frozen=True)
class LSTMCheck:
    output_diff: float
    h_diff: float
    c_diff: float
    params_ours: int
    params_torch: int
    params_formula: int
    ours_first: list[float]  # the first few outputs, to show side by side
    torch_first: list[float]


@torch.no_grad()
def compare_lstm_with_torch(input_size: int = 3, hidden_size: int = 16, seq_len: int = 20, batch: int = 4, seed: int = 0) -> LSTMCheck:
    """Run our LSTM and `nn.LSTM` with the same weights on the same random batch."""
    torch.manual_seed(seed)
    ref = nn.LSTM(input_size, hidden_size, batch_first=True)
    ours = LSTMFromScratch(input_size, hidden_size).load_from(ref)
    x = torch.randn(batch, seq_len, input_size)
    h0, c0 = torch.randn(batch, hidden_size), torch.randn(batch, hidden_size)
    out_ref, (h_ref, c_ref) = ref(x, (h0[None], c0[None]))
    out, (h, c) = ours(x, (h0, c0))
    return LSTMCheck(
        output_diff=(out - out_ref).abs().max().item(),
        h_diff=(h - h_ref[0]).abs().max().item(),
        c_diff=(c - c_ref[0]).abs().max().item(),
        params_ours=sum(p.numel() for p in ours.parameters()),
        params_torch=sum(p.numel() for p in ref.parameters()),
        params_formula=lstm_parameter_formula(input_size, hidden_size),
        ours_first=out[0, -1, :6].tolist(),
        torch_first=out_ref[0, -1, :6].tolist(),
    )


class GRUFromScratch(nn.Module):
    """One GRU layer with nn.GRU's parameter layout (rows: reset r, update z, new n), so weights copy one to one."""

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        self.weight_ih = nn.Parameter(torch.empty(3 * hidden_size, input_size))
        self.weight_hh = nn.Parameter(torch.empty(3 * hidden_size, hidden_size))
        self.bias_ih = nn.Parameter(torch.empty(3 * hidden_size))
        self.bias_hh = nn.Parameter(torch.empty(3 * hidden_size))
        bound = 1 / math.sqrt(hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def forward(self, x: torch.Tensor, h: torch.Tensor | None = None):
        """x: (B, T, I) → outputs (B, T, H), h_T (B, H)."""
        B, T, _ = x.shape
        H = self.hidden_size
        h = x.new_zeros(B, H) if h is None else h
        outputs = []
        for t in range(T):
            gx = x[:, t] @ self.weight_ih.T + self.bias_ih        # (B, 3H)
            gh = h @ self.weight_hh.T + self.bias_hh              # (B, 3H)
            r = torch.sigmoid(gx[:, :H] + gh[:, :H])              # reset: how much of h the candidate sees
            z = torch.sigmoid(gx[:, H : 2 * H] + gh[:, H : 2 * H])  # update: how much of h to keep
            n = torch.tanh(gx[:, 2 * H :] + r * gh[:, 2 * H :])   # candidate; torch applies r after W_hn
            h = (1 - z) * n + z * h
            outputs.append(h)
        return torch.stack(outputs, dim=1), h

    @torch.no_grad()
    def load_from(self, gru: nn.GRU, layer: int = 0) -> GRUFromScratch:
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(self, name).copy_(getattr(gru, f"{name}_l{layer}"))
        return self


@dataclass(frozen=True)
class GRUCheck:
    output_diff: float
    h_diff: float
    params_ours: int
    params_torch: int
    params_formula: int


@torch.no_grad()
def compare_gru_with_torch(input_size: int = 3, hidden_size: int = 16, seq_len: int = 20, batch: int = 4,
                           seed: int = 0) -> GRUCheck:
    """Run our GRU and `nn.GRU` with the same weights on the same random batch and initial state."""
    torch.manual_seed(seed)
    ref = nn.GRU(input_size, hidden_size, batch_first=True)
    ours = GRUFromScratch(input_size, hidden_size).load_from(ref)
    x, h0 = torch.randn(batch, seq_len, input_size), torch.randn(batch, hidden_size)
    out_ref, h_ref = ref(x, h0[None])
    out, h = ours(x, h0)
    return GRUCheck(
        output_diff=(out - out_ref).abs().max().item(),
        h_diff=(h - h_ref[0]).abs().max().item(),
        params_ours=sum(p.numel() for p in ours.parameters()),
        params_torch=sum(p.numel() for p in ref.parameters()),
        params_formula=3 * hidden_size * (input_size + hidden_size + 2),
    )


# --- gradients through time --------------------------------------------------------------------

@dataclass(frozen=True)
class GradientSetup:
    seq_len: int = 60
    hidden_size: int = 32
    recurrent_gain: float = 1.0  # W_hh = gain × an orthogonal matrix (per gate for the LSTM)
    forget_bias: float = 1.0  # LSTM only: a larger bias keeps the forget gate open
    seed: int = 0


def _make_cell(kind: str, setup: GradientSetup) -> nn.Module:
    torch.manual_seed(setup.seed)
    H = setup.hidden_size
    cell = nn.RNNCell(1, H) if kind == "rnn" else nn.LSTMCell(1, H)
    with torch.no_grad():
        blocks = 1 if kind == "rnn" else 4
        for b in range(blocks):
            nn.init.orthogonal_(cell.weight_hh[b * H : (b + 1) * H], gain=setup.recurrent_gain)
        if kind == "lstm":
            cell.bias_ih[H : 2 * H] = setup.forget_bias
            cell.bias_hh[H : 2 * H] = 0.0
    return cell


def gradient_through_time(kind: str, setup: GradientSetup) -> np.ndarray:
    """‖∂h_T/∂h_{T−k}‖₂ (the Jacobian's largest singular value) for k = 0 … T−1.

    The batch holds H copies of one random input; copy j backpropagates only from unit j of h_T,
    so one backward pass gives every row of every Jacobian at once.
    """
    if kind not in CELLS:
        raise ValueError(f"unknown cell {kind!r}; choose one of {CELLS}")
    if setup.seq_len < 2 or setup.hidden_size < 1:
        raise InputError("rnn_sizes", "use at least 2 time steps and 1 hidden unit")
    cell = _make_cell(kind, setup)
    H, T = setup.hidden_size, setup.seq_len
    gen = torch.Generator().manual_seed(setup.seed + 1)
    x = torch.randn(1, T, 1, generator=gen).expand(H, T, 1)
    h = torch.zeros(H, H)
    c = torch.zeros(H, H)
    hs = []
    for t in range(T):
        if kind == "rnn":
            h = cell(x[:, t], h)
        else:
            h, c = cell(x[:, t], (h, c))
        hs.append(h)
    picked = hs[-1][torch.arange(H), torch.arange(H)].sum()
    grads = torch.autograd.grad(picked, hs, allow_unused=True)
    norms = [torch.linalg.matrix_norm(g, ord=2).item() if g is not None else 0.0 for g in grads]
    return np.array(norms[::-1])  # index k = distance back from T


def gradient_curves(setup: GradientSetup) -> dict[str, np.ndarray]:
    return {kind: gradient_through_time(kind, setup) for kind in CELLS}


# --- gate activations ---------------------------------------------------------------------------

SIGNALS = ("sine", "step", "spikes")


def demo_signal(kind: str, seq_len: int = 40, seed: int = 0) -> torch.Tensor:
    """A short 1-D input to watch the gates on: (T,)."""
    t = torch.arange(seq_len, dtype=torch.float32)
    if kind == "sine":
        return torch.sin(0.3 * t)
    if kind == "step":
        return (t >= seq_len // 2).float()
    gen = torch.Generator().manual_seed(seed)
    spikes = torch.zeros(seq_len)
    spikes[torch.randperm(seq_len, generator=gen)[: max(1, seq_len // 8)]] = 1.0
    return spikes


@torch.no_grad()
def gate_trace(cell: LSTMFromScratch, x: torch.Tensor) -> dict[str, np.ndarray]:
    """Gate values for one sequence x: (T,) or (T, I) → {gate: (T, H)} plus the cell state 'cell'."""
    x = x.reshape(1, len(x), -1).float()
    out, _, gates = cell(x, return_gates=True)
    result = {k: v[0].numpy() for k, v in gates.items()}
    i, f, g = gates["input"][0], gates["forget"][0], gates["candidate"][0]
    c, cs = torch.zeros(cell.hidden_size), []
    for t in range(x.shape[1]):
        c = f[t] * c + i[t] * g[t]
        cs.append(c)
    result["cell"] = torch.stack(cs).numpy()
    result["hidden"] = out[0].numpy()
    return result


def random_lstm(input_size: int, hidden_size: int, forget_bias: float, seed: int) -> LSTMFromScratch:
    torch.manual_seed(seed)
    cell = LSTMFromScratch(input_size, hidden_size)
    with torch.no_grad():
        cell.bias_ih[hidden_size : 2 * hidden_size] = forget_bias
        cell.bias_hh[hidden_size : 2 * hidden_size] = 0.0
    return cell


# --- sequence models for the trainer -----------------------------------------------------------

@dataclass(frozen=True)
class SeqModelConfig:
    kind: str = "lstm"
    input_size: int = 1
    hidden_size: int = 32
    num_layers: int = 1
    head: str = "last"
    out_features: int = 1  # 1 = regression, squeezed to (B,)


def check_seq_config(config: SeqModelConfig) -> None:
    if config.kind not in KINDS:
        raise ValueError(f"unknown recurrent layer {config.kind!r}; choose one of {KINDS}")
    if config.head not in HEADS:
        raise ValueError(f"unknown head {config.head!r}; choose one of {HEADS}")
    if not 1 <= config.hidden_size <= 512:
        raise InputError("rnn_hidden", "the hidden size must be between 1 and 512")
    if not 1 <= config.num_layers <= 4:
        raise InputError("rnn_layers", "use between 1 and 4 recurrent layers")


class AttentionPooling(nn.Module):
    """Score each time step with a linear layer, softmax over time, and average the states."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.score = nn.Linear(width, 1)

    def forward(self, states: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        weights = torch.softmax(self.score(states).squeeze(-1), dim=1)  # (B, T)
        context = (weights.unsqueeze(-1) * states).sum(dim=1)  # (B, width)
        return context, weights


class SequenceModel(nn.Module):
    """A recurrent layer, a head that turns the states into one vector, and a linear output."""

    def __init__(self, config: SeqModelConfig) -> None:
        super().__init__()
        check_seq_config(config)
        self.config = config
        bidirectional = config.kind == "bilstm"
        layer = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU, "bilstm": nn.LSTM}[config.kind]
        self.rnn = layer(config.input_size, config.hidden_size, config.num_layers, batch_first=True,
                         bidirectional=bidirectional)
        width = config.hidden_size * (2 if bidirectional else 1)
        self.pool = AttentionPooling(width) if config.head == "attention" else None
        self.out = nn.Linear(width, config.out_features)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(B, T, I) → a summary (B, width) and the attention weights (B, T) if the head has them."""
        states, hidden = self.rnn(x)  # states: (B, T, width)
        if self.pool is not None:
            return self.pool(states)
        h_n = hidden[0] if isinstance(hidden, tuple) else hidden  # (layers*dirs, B, H)
        if self.config.kind == "bilstm":
            return torch.cat([h_n[-2], h_n[-1]], dim=-1), None  # forward's last step, backward's first
        return h_n[-1], None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        summary, _ = self.encode(x)
        out = self.out(summary)
        return out.squeeze(-1) if self.config.out_features == 1 else out

    @torch.no_grad()
    def attention(self, x: torch.Tensor) -> torch.Tensor | None:
        self.eval()
        return self.encode(x)[1]


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@dataclass(frozen=True)
class SeqTaskConfig:
    task: str = "forecast"
    n_samples: int = 800
    seq_len: int = 30
    noise: float = 0.1
    horizon: int = 1
    seed: int = 0


def sequence_data(task: SeqTaskConfig) -> Splits:
    if task.task not in SEQ_TASKS:
        raise ValueError(f"unknown task {task.task!r}; choose one of {SEQ_TASKS}")
    if task.task == "forecast":
        ds = noisy_sine(task.n_samples, task.seq_len, task.noise, task.horizon, task.seed)
    else:
        ds = motif_sequences(task.n_samples, task.seq_len, task.noise, task.seed)
    return sequence_splits(ds, task.seed)


def make_sequence_job(task: SeqTaskConfig, model: SeqModelConfig, train: TrainConfig, **meta) -> TrainingJob:
    """A ready-to-start job: the data, the model sized to it, and the trainer's settings."""
    data = sequence_data(task)
    out = 1 if data.task == "regression" else data.num_classes
    model = replace(model, input_size=data.X_train.shape[-1], out_features=out)
    SequenceModel(model)  # fail fast on impossible settings

    def build() -> nn.Module:
        return SequenceModel(model)

    return TrainingJob(build, data, train, meta={"task": task, "model": model, **meta})


@torch.no_grad()
def forecast_report(model: nn.Module, data: Splits) -> dict:
    """Test-set predictions, the model's MSE and the naive last-value forecast's MSE."""
    model.eval()
    X, y = data.X_test.cpu(), data.y_test.cpu()
    device = next(model.parameters()).device
    pred = model(X.to(device)).cpu().reshape(-1)
    naive = naive_last_value(X)
    return {
        "pred": pred.numpy(), "naive": naive.numpy(), "truth": y.numpy(),
        "model_mse": float(((pred - y) ** 2).mean()), "naive_mse": float(((naive - y) ** 2).mean()),
    }
