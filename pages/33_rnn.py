"""3.3 RNN: gradients through time, LSTM gates, training recurrent nets on sequences, attention pooling."""
import numpy as np
import pandas as pd
import streamlit as st

from app import widgets
from app.charts import draw_chart, heatmap, line_chart
from app.code import show_code
from app.controls import LR_CHOICES
from app.page import start_page
from app.session import device, seed
from app.training import trained_job, training_panel, why_untrained
from core.rnn import (
    GATES,
    HEADS,
    KINDS,
    SIGNALS,
    AttentionPooling,
    GradientSetup,
    GRUFromScratch,
    LSTMFromScratch,
    SeqModelConfig,
    SeqTaskConfig,
    SequenceModel,
    compare_gru_with_torch,
    compare_lstm_with_torch,
    count_parameters,
    demo_signal,
    forecast_report,
    gate_trace,
    gradient_through_time,
    lstm_parameter_formula,
    make_sequence_job,
    random_lstm,
)
from core.sequences import MOTIFS
from core.trainer import TrainConfig

page = start_page(__file__)
T = page.T
JOB = "rnn_seq"


@st.cache_data(max_entries=64, show_spinner=False)
def gradient_table(seq_len: int, hidden: int, gain: float, forget_bias: float, seed_: int) -> pd.DataFrame:
    setup = GradientSetup(seq_len, hidden, gain, forget_bias, seed_)
    frames = [pd.DataFrame({"k": np.arange(seq_len), "norm": gradient_through_time(kind, setup), "cell": kind.upper()})
              for kind in ("rnn", "lstm")]
    df = pd.concat(frames, ignore_index=True)
    df["norm"] = df["norm"].clip(lower=1e-30)  # a log axis cannot show an exact zero
    return df


@st.cache_data(max_entries=64, show_spinner=False)
def lstm_check(input_size: int, hidden: int, seq_len: int, seed_: int):
    return compare_lstm_with_torch(input_size, hidden, seq_len, 4, seed_)


@st.cache_data(max_entries=64, show_spinner=False)
def gru_check(input_size: int, hidden: int, seq_len: int, seed_: int):
    return compare_gru_with_torch(input_size, hidden, seq_len, 4, seed_)


def gate_heatmaps(gates: dict, x: np.ndarray, key: str) -> None:
    steps = np.arange(len(x))
    draw_chart(line_chart(pd.DataFrame({"t": steps, "x": x}), "t", "x", None, T("gates.input_title"), T("time_step"),
                          T("gates.input_value"), height=120))
    cols = st.columns(2)
    for i, name in enumerate(GATES):
        values = gates[name]  # (T, H)
        tt, hh = np.meshgrid(steps, np.arange(values.shape[1]), indexing="ij")
        df = pd.DataFrame({"t": tt.ravel(), "unit": hh.ravel(), "v": values.ravel()})
        with cols[i % 2]:
            draw_chart(heatmap(df, "t", "unit", "v", T(f"gates.{name}"), T("time_step"), T("gates.unit"),
                               value_title=T("gates.activation"), scheme="viridis" if name != "candidate" else "redblue",
                               height=180))
    forget = gates["forget"].mean()
    st.caption(T("gates.caption", forget=f"{forget:.2f}", input=f"{gates['input'].mean():.2f}",
                 output=f"{gates['output'].mean():.2f}"))


with page.play:
    # --- 1. gradients through time -------------------------------------------------------------
    st.subheader(T("grad.header"))
    st.markdown(T("grad.intro"))
    c1, c2, c3, c4 = st.columns(4)
    with c1:
        g_len = widgets.slider("rn_glen", T("grad.seq_len"), 10, 200, 60, 10)
    with c2:
        g_hidden = widgets.select_slider("rn_ghidden", T("grad.hidden"), (8, 16, 32, 64), 32)
    with c3:
        g_gain = widgets.slider("rn_gain", T("grad.gain"), 0.5, 2.0, 1.0, 0.05, help=T("grad.gain_help"))
    with c4:
        g_fbias = widgets.slider("rn_fbias", T("grad.forget_bias"), -2.0, 5.0, 1.0, 0.5, help=T("grad.forget_bias_help"))
    grads = gradient_table(g_len, g_hidden, g_gain, g_fbias, seed())
    draw_chart(line_chart(grads, "k", "norm", "cell", T("grad.chart_title"), T("grad.k"), T("grad.norm"), log_y=True,
                          color_title=T("grad.cell"), height=300))
    far = grads[grads["k"] == g_len - 1].set_index("cell")["norm"]
    m1, m2 = st.columns(2)
    m1.metric(T("grad.rnn_far", k=g_len - 1), f"{far['RNN']:.2e}")
    m2.metric(T("grad.lstm_far", k=g_len - 1), f"{far['LSTM']:.2e}")
    st.caption(T("grad.caption"))

    # --- 2. gate activations --------------------------------------------------------------------
    st.divider()
    st.subheader(T("gates.header"))
    st.markdown(T("gates.intro"))
    trained = trained_job(JOB)
    trained_lstm = trained is not None and trained.meta["model"].kind in ("lstm", "bilstm")
    c1, c2, c3 = st.columns(3)
    with c1:
        signal = widgets.select("rn_signal", T("gates.signal"), SIGNALS, format_func=lambda s: T(f"gates.signals.{s}"))
    with c2:
        gate_fbias = widgets.slider("rn_gfbias", T("grad.forget_bias"), -2.0, 5.0, 1.0, 0.5)
    with c3:
        use_trained = widgets.toggle("rn_gtrained", T("gates.use_trained"), False, disabled=not trained_lstm,
                                     help=T("gates.use_trained_help"))
    if use_trained and trained_lstm:
        model = trained.best_model()
        cell = LSTMFromScratch(1, model.config.hidden_size).load_from(model.rnn.cpu())
        model.rnn.to(trained.config.device)
        x = trained.data.X_test[0, :, 0].cpu()
        st.caption(T("gates.trained_caption"))
    else:
        cell = random_lstm(1, 8, gate_fbias, seed())
        x = demo_signal(signal, 40, seed())
    gate_heatmaps(gate_trace(cell, x), x.numpy(), "g")

    # --- 3. training ----------------------------------------------------------------------------
    st.divider()
    st.subheader(T("train.header"))
    c1, c2, c3 = st.columns(3)
    with c1:
        task = widgets.select("rn_task", T("train.task"), ("forecast", "classify"), format_func=lambda s: T(f"train.tasks.{s}"))
        kind = widgets.select("rn_kind", T("train.kind"), KINDS, value="lstm", format_func=lambda k: T(f"train.kinds.{k}"))
        head = widgets.select("rn_head", T("train.head"), HEADS, value="last" if task == "forecast" else "attention",
                              format_func=lambda h: T(f"train.heads.{h}"), help=T("train.head_help"))
    with c2:
        hidden = widgets.select_slider("rn_hidden", T("train.hidden"), (4, 8, 16, 32, 64, 128), 32)
        layers = widgets.slider("rn_layers", T("train.layers"), 1, 3, 1)
        seq_len = widgets.slider("rn_len", T("train.seq_len"), 10, 80, 30 if task == "forecast" else 40, 5)
    with c3:
        noise = widgets.slider("rn_noise", T("train.noise"), 0.0, 1.0, 0.1 if task == "forecast" else 0.3, 0.05)
        epochs = widgets.slider("rn_epochs", T("train.epochs"), 1, 100, 20)
        lr = widgets.select_slider("rn_lr", T("train.lr"), LR_CHOICES, 3e-3, format_func=lambda v: f"{v:g}")
    task_cfg = SeqTaskConfig(task=task, n_samples=600, seq_len=seq_len, noise=noise, seed=seed())
    model_cfg = SeqModelConfig(kind=kind, hidden_size=hidden, num_layers=layers, head=head,
                               out_features=1 if task == "forecast" else len(MOTIFS))
    preview = SequenceModel(model_cfg)
    n_params = count_parameters(preview)
    st.caption(T("train.params", n=f"{n_params:,}", kind=T(f"train.kinds.{kind}")))
    train_cfg = TrainConfig(num_epochs=epochs, lr=lr, batch_size=32, seed=seed(), device=str(device()))
    training_panel(JOB, lambda: make_sequence_job(task_cfg, model_cfg, train_cfg, page="33_rnn"),
                   score_title=T("train.r2") if task == "forecast" else T("train.accuracy"))

    job = trained_job(JOB)
    if job is None and (untrained := why_untrained(JOB)) is not None:
        st.caption(untrained)  # a diverged run has NaN weights: no forecast or gates of it
    if job is not None:
        model = job.best_model()
        st.markdown(T("train.trained_params", n=f"{count_parameters(model):,}"))
        data = job.data
        if data.task == "regression":
            report = forecast_report(model, data)
            c1, c2, c3 = st.columns(3)
            c1.metric(T("train.model_mse"), f"{report['model_mse']:.4f}")
            c2.metric(T("train.naive_mse"), f"{report['naive_mse']:.4f}")
            ratio = report["naive_mse"] / max(report["model_mse"], 1e-12)
            c3.metric(T("train.ratio"), f"{ratio:.1f}×")
            st.caption(T("train.beats" if report["model_mse"] < report["naive_mse"] else "train.loses"))
            n = min(60, len(report["truth"]))
            rows = [pd.DataFrame({"i": np.arange(n), "value": report[k][:n], "series": T(f"train.series.{k}")})
                    for k in ("truth", "pred", "naive")]
            draw_chart(line_chart(pd.concat(rows), "i", "value", "series", T("train.pred_title"), T("train.sample"),
                                  T("train.next_value"), color_title=T("train.series_title"), height=280))
        else:
            pred = model(data.X_test.to(next(model.parameters()).device)).argmax(-1).cpu()
            st.metric(T("train.test_acc"), f"{(pred == data.y_test.cpu()).float().mean().item():.1%}")
        if model.pool is not None:
            st.markdown(f"**{T('attn.header')}**")
            idx = widgets.slider("rn_seq", T("attn.pick"), 0, len(data.y_test) - 1, 0)
            x = data.X_test[idx : idx + 1].to(next(model.parameters()).device)
            weights = model.attention(x)[0].cpu().numpy()
            values = data.X_test[idx, :, 0].cpu().numpy()
            steps = np.arange(len(values))
            label = (T("attn.label_motif", motif=T(f"train.motifs.{MOTIFS[int(data.y_test[idx])]}"))
                     if data.task != "regression" else T("attn.label_value", value=f"{float(data.y_test[idx]):.3f}"))
            st.caption(label)
            c1, c2 = st.columns(2)
            with c1:
                draw_chart(line_chart(pd.DataFrame({"t": steps, "x": values}), "t", "x", None, T("attn.seq_title"),
                                      T("time_step"), T("gates.input_value"), height=220))
            with c2:
                draw_chart(line_chart(pd.DataFrame({"t": steps, "w": weights}), "t", "w", None, T("attn.weights_title"),
                                      T("time_step"), T("attn.weight"), height=220))
            st.caption(T("attn.caption", t=int(weights.argmax()), w=f"{weights.max():.2f}", uniform=f"{1 / len(weights):.3f}"))

with page.check:
    st.markdown(T("check.intro"))
    c1, c2, c3 = st.columns(3)
    with c1:
        ck_in = widgets.slider("rn_ck_in", T("check.input_size"), 1, 16, 3)
    with c2:
        ck_hidden = widgets.slider("rn_ck_hidden", T("check.hidden"), 1, 128, 16)
    with c3:
        ck_len = widgets.slider("rn_ck_len", T("check.seq_len"), 1, 100, 20)
    check = lstm_check(ck_in, ck_hidden, ck_len, seed())
    m1, m2, m3 = st.columns(3)
    m1.metric(T("check.out_diff"), f"{check.output_diff:.2e}")
    m2.metric(T("check.h_diff"), f"{check.h_diff:.2e}")
    m3.metric(T("check.c_diff"), f"{check.c_diff:.2e}")
    ok = max(check.output_diff, check.h_diff, check.c_diff) < 1e-5
    (st.success if ok else st.error)(T("check.verdict_ok" if ok else "check.verdict_bad"))
    st.dataframe(pd.DataFrame({T("check.ours"): check.ours_first, T("check.torch"): check.torch_first}).T,
                 width="stretch")
    p1, p2, p3 = st.columns(3)
    p1.metric(T("check.params_ours"), f"{check.params_ours:,}")
    p2.metric(T("check.params_torch"), f"{check.params_torch:,}")
    p3.metric(T("check.params_formula"), f"{lstm_parameter_formula(ck_in, ck_hidden):,}")
    st.caption(T("check.caption"))
    st.markdown(T("check.gru_head"))
    gru = gru_check(ck_in, ck_hidden, ck_len, seed())
    g1, g2, g3 = st.columns(3)
    g1.metric(T("check.gru_out_diff"), f"{gru.output_diff:.2e}")
    g2.metric(T("check.gru_h_diff"), f"{gru.h_diff:.2e}")
    g3.metric(T("check.gru_params"), f"{gru.params_ours:,} / {gru.params_torch:,} / {gru.params_formula:,}")
    gru_ok = max(gru.output_diff, gru.h_diff) < 1e-5 and gru.params_ours == gru.params_torch == gru.params_formula
    (st.success if gru_ok else st.error)(T("check.gru_ok" if gru_ok else "check.gru_bad"))

with page.code:
    st.markdown(T("code_intro"))
    show_code(LSTMFromScratch, compare_lstm_with_torch, GRUFromScratch, compare_gru_with_torch, gradient_through_time,
              gate_trace, AttentionPooling, SequenceModel, make_sequence_job, forecast_report)
