"""Our LSTM against nn.LSTM, gradients through time against autograd's Jacobian, sequence models, and the
LSTM beating the naive forecast on the noisy sine."""
import time

import pytest
import torch
from torch import nn

from core.rnn import (
    GradientSetup,
    LSTMFromScratch,
    SeqModelConfig,
    SeqTaskConfig,
    SequenceModel,
    _make_cell,
    compare_lstm_with_torch,
    count_parameters,
    forecast_report,
    gate_trace,
    gradient_through_time,
    lstm_parameter_formula,
    make_sequence_job,
    random_lstm,
)
from core.trainer import TrainConfig

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.parametrize("n_in, H, T", [(1, 1, 1), (3, 16, 20), (7, 33, 50)])
def test_lstm_matches_torch(n_in, H, T):
    check = compare_lstm_with_torch(n_in, H, T, batch=4, seed=1)
    assert max(check.output_diff, check.h_diff, check.c_diff) < 1e-5
    assert check.params_ours == check.params_torch == check.params_formula


@pytest.mark.parametrize("n_in, H, layers, bidir", [(1, 8, 1, False), (3, 16, 2, False), (5, 12, 3, True)])
def test_parameter_formula_matches_numel(n_in, H, layers, bidir):
    lstm = nn.LSTM(n_in, H, layers, bidirectional=bidir)
    assert lstm_parameter_formula(n_in, H, layers, bidir) == sum(p.numel() for p in lstm.parameters())


def test_lstm_from_scratch_backward_matches_torch():
    torch.manual_seed(0)
    ref = nn.LSTM(2, 5, batch_first=True)
    ours = LSTMFromScratch(2, 5).load_from(ref)
    x = torch.randn(3, 7, 2)
    ref(x)[0].sum().backward()
    ours(x)[0].sum().backward()
    assert (ours.weight_hh.grad - ref.weight_hh_l0.grad).abs().max() < 1e-5


def jacobian_norm(kind, setup, k):
    """‖∂h_T/∂h_{T-k}‖₂ with torch.autograd.functional.jacobian, one unbatched sequence."""
    cell = _make_cell(kind, setup)
    gen = torch.Generator().manual_seed(setup.seed + 1)
    x = torch.randn(1, setup.seq_len, 1, generator=gen)
    H, T = setup.hidden_size, setup.seq_len
    h, c = torch.zeros(1, H), torch.zeros(1, H)
    for t in range(T - k):
        h, c = (cell(x[:, t], h), c) if kind == "rnn" else cell(x[:, t], (h, c))
    c_fixed = c.detach()

    def rest(h_start):
        hh, cc = h_start, c_fixed
        for t in range(T - k, T):
            hh, cc = (cell(x[:, t], hh), cc) if kind == "rnn" else cell(x[:, t], (hh, cc))
        return hh
    J = torch.autograd.functional.jacobian(rest, h.detach())[0, :, 0, :]
    return torch.linalg.matrix_norm(J, ord=2).item()


@pytest.mark.parametrize("kind", ["rnn", "lstm"])
def test_gradient_norms_match_autograd_jacobian(kind):
    setup = GradientSetup(seq_len=12, hidden_size=6, recurrent_gain=1.1, forget_bias=1.0, seed=2)
    norms = gradient_through_time(kind, setup)
    assert len(norms) == 12 and norms[0] == pytest.approx(1.0, abs=1e-6)
    for k in (1, 4, 11):
        assert norms[k] == pytest.approx(jacobian_norm(kind, setup, k), rel=1e-4, abs=1e-8)


def test_rnn_vanishes_and_open_forget_gate_remembers():
    setup = GradientSetup(seq_len=80, hidden_size=16, recurrent_gain=0.8, forget_bias=5.0, seed=0)
    rnn, lstm = gradient_through_time("rnn", setup), gradient_through_time("lstm", setup)
    assert rnn[-1] < 1e-6 and lstm[-1] > 100 * rnn[-1]
    with pytest.raises(ValueError):
        gradient_through_time("transformer", setup)


def test_gate_trace_ranges():
    x = torch.sin(torch.arange(30.0) * 0.3)
    gates = gate_trace(random_lstm(1, 8, 2.0, seed=0), x)
    for name in ("input", "forget", "output"):
        assert gates[name].shape == (30, 8) and gates[name].min() > 0 and gates[name].max() < 1
    assert gates["candidate"].min() > -1 and gates["forget"].mean() > 0.8  # bias 2 → σ ≈ 0.88


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru", "bilstm"])
@pytest.mark.parametrize("head", ["last", "attention"])
def test_sequence_model_shapes_and_attention(kind, head):
    model = SequenceModel(SeqModelConfig(kind=kind, hidden_size=6, num_layers=2, head=head, out_features=4))
    x = torch.randn(5, 9, 1)
    assert model(x).shape == (5, 4)
    w = model.attention(x)
    if head == "attention":
        assert w.shape == (5, 9) and torch.allclose(w.sum(1), torch.ones(5))
    else:
        assert w is None
    assert count_parameters(model) == sum(p.numel() for p in model.parameters())


def test_bad_sequence_config_is_refused():
    with pytest.raises(ValueError, match="hidden size"):
        SequenceModel(SeqModelConfig(hidden_size=0))
    with pytest.raises(ValueError, match="recurrent layer"):
        SequenceModel(SeqModelConfig(kind="transformer"))


def test_lstm_beats_naive_forecast_on_sine():
    task = SeqTaskConfig(task="forecast", n_samples=600, seq_len=20, noise=0.1, seed=0)
    job = make_sequence_job(task, SeqModelConfig(kind="lstm", hidden_size=16),
                            TrainConfig(num_epochs=8, lr=1e-2, batch_size=32, seed=0))
    start = time.perf_counter()
    job.run()
    seconds = time.perf_counter() - start
    assert job.status == "finished"
    report = forecast_report(job.best_model(), job.data)
    print(f"\nLSTM test MSE {report['model_mse']:.4f} vs naive {report['naive_mse']:.4f} in {seconds:.1f} s")
    assert report["model_mse"] < report["naive_mse"]


@pytest.mark.parametrize("input_size,hidden,seq_len,seed", [(3, 16, 20, 0), (5, 7, 33, 1), (1, 32, 5, 2)])
def test_gru_from_scratch_matches_nn_gru(input_size, hidden, seq_len, seed):
    from core.rnn import compare_gru_with_torch

    check = compare_gru_with_torch(input_size, hidden, seq_len, batch=3, seed=seed)
    assert check.output_diff < 1e-5 and check.h_diff < 1e-5
    assert check.params_ours == check.params_torch == check.params_formula == 3 * hidden * (input_size + hidden + 2)


def test_the_guides_gru_update_is_torchs_with_z_renamed():
    """h = (1 − z)·h_prev + z·n (the guide) differs from nn.GRU's h = (1 − z)·n + z·h_prev unless z means 1 − z."""
    from core.rnn import GRUFromScratch

    torch.manual_seed(0)
    ref = nn.GRU(2, 4, batch_first=True)
    x = torch.randn(1, 6, 2)
    ours = GRUFromScratch(2, 4).load_from(ref)
    with torch.no_grad():
        out_ref, _ = ref(x)
        H, h = 4, torch.zeros(1, 4)
        for t in range(6):                       # the guide's update with torch's z: not the same numbers
            gx, gh = x[:, t] @ ours.weight_ih.T + ours.bias_ih, h @ ours.weight_hh.T + ours.bias_hh
            r, z = torch.sigmoid(gx[:, :H] + gh[:, :H]), torch.sigmoid(gx[:, H:2 * H] + gh[:, H:2 * H])
            n = torch.tanh(gx[:, 2 * H:] + r * gh[:, 2 * H:])
            h = (1 - z) * h + z * n
    assert (h - out_ref[:, -1]).abs().max() > 1e-2
