"""3.4 Transformers: attention playground, positional encoding, a tiny Transformer trained live, and its heads."""
import numpy as np
import pandas as pd
import streamlit as st

from app import widgets
from app.charts import draw_chart, heatmap, line_chart
from app.code import show_code
from app.controls import LR_CHOICES
from app.page import start_page
from app.session import device, seed
from app.text import explain_md
from app.training import trained_job, training_panel, why_untrained
from core import transformer as tf
from core.sequences import DIGIT_TASKS, SequenceInputError, parse_digit_string
from core.trainer import TrainConfig

page = start_page(__file__)
T = page.T
JOB = "tiny_transformer"


def config_error(exc: tf.TransformerConfigError) -> None:
    st.error(explain_md(exc, f"{page.stem}.errors"))


def matrix_frame(m: np.ndarray, rows: list[str], cols: list[str]) -> pd.DataFrame:
    r, c = np.meshgrid(np.arange(m.shape[0]), np.arange(m.shape[1]), indexing="ij")
    return pd.DataFrame({"row": np.array(rows)[r.ravel()], "col": np.array(cols)[c.ravel()], "v": m.ravel()})


@st.cache_data(max_entries=64, show_spinner=False)
def playground(seq_len: int, d_k: int, scale: bool, causal: bool, seed_: int):
    return tf.attention_playground(seq_len, d_k, scale, causal, seed_)


@st.cache_data(max_entries=16, show_spinner=False)
def saturation(seq_len: int, seed_: int) -> pd.DataFrame:
    return pd.DataFrame(tf.saturation_curve(seq_len, seed=seed_))


@st.cache_data(max_entries=32, show_spinner=False)
def positions(max_len: int, d_model: int) -> tuple[np.ndarray, np.ndarray]:
    pe = tf.sinusoidal_encoding(max_len, d_model)
    return pe.numpy(), tf.position_similarity(pe).numpy()


@st.cache_data(max_entries=64, show_spinner=False)
def mha_check(d_model: int, heads: int, causal: bool, seed_: int):
    mha = tf.compare_mha_with_torch(d_model, heads, 10, 3, causal, seed_)
    return mha, tf.compare_block_with_torch(d_model, heads, 2 * d_model, 10, seed_)


with page.play:
    # --- 1. scaled dot-product attention --------------------------------------------------------
    st.subheader(T("sdpa.header"))
    st.markdown(T("sdpa.intro"))
    c1, c2, c3, c4 = st.columns(4)
    with c1:
        p_len = widgets.slider("tf_plen", T("sdpa.seq_len"), 3, 16, 8)
    with c2:
        p_dk = widgets.select_slider("tf_dk", T("sdpa.d_k"), (2, 4, 8, 16, 32, 64, 128, 256, 512), 64)
    with c3:
        p_scale = widgets.toggle("tf_scale", T("sdpa.scale"), True)
    with c4:
        p_causal = widgets.toggle("tf_causal", T("sdpa.causal"), False)
    pg = playground(p_len, p_dk, p_scale, p_causal, seed())
    names = [f"{i}" for i in range(p_len)]
    c1, c2 = st.columns(2)
    with c1:
        draw_chart(heatmap(matrix_frame(pg.scores, names, names), "col", "row", "v",
                           T("sdpa.scores_title", scale="/√d_k" if p_scale else ""), T("key"), T("query"),
                           value_title=T("sdpa.score"), scheme="redblue", height=260, x_sort=names, y_sort=names))
    with c2:
        draw_chart(heatmap(matrix_frame(pg.weights, names, names), "col", "row", "v", T("sdpa.weights_title"),
                           T("key"), T("query"), value_title=T("sdpa.weight"), scheme="blues", height=260,
                           x_sort=names, y_sort=names))
    m1, m2, m3 = st.columns(3)
    m1.metric(T("sdpa.max_weight"), f"{pg.max_weight:.2f}", help=T("sdpa.max_weight_help"))
    m2.metric(T("sdpa.entropy"), f"{pg.entropy:.2f}", help=T("sdpa.entropy_help"))
    m3.metric(T("sdpa.score_std"), f"{np.nanstd(pg.scores):.1f}")
    sat = saturation(p_len, seed())
    sat["log2_dk"] = np.log2(sat["d_k"])
    sat["variant"] = [T("sdpa.scaled") if s else T("sdpa.unscaled") for s in sat["scaled"]]
    draw_chart(line_chart(sat, "log2_dk", "max_weight", "variant", T("sdpa.sat_title"), T("sdpa.log2_dk"),
                          T("sdpa.max_weight"), color_title=T("sdpa.variant"), height=240, points=True))
    st.caption(T("sdpa.caption"))

    # --- 2. positional encoding -----------------------------------------------------------------
    st.divider()
    st.subheader(T("pe.header"))
    st.markdown(T("pe.intro"))
    c1, c2 = st.columns(2)
    with c1:
        pe_len = widgets.slider("tf_pelen", T("pe.max_len"), 8, 100, 50)
    with c2:
        pe_d = widgets.select_slider("tf_ped", T("pe.d_model"), (8, 16, 32, 64, 128), 64)
    pe, sim = positions(pe_len, pe_d)
    c1, c2 = st.columns(2)
    with c1:
        draw_chart(heatmap(matrix_frame(pe, list(map(str, range(pe_len))), list(map(str, range(pe_d)))), "col", "row", "v",
                           T("pe.pe_title"), T("pe.dim"), T("pe.pos"), value_title="PE", scheme="redblue", height=320,
                           x_sort=list(map(str, range(pe_d))), y_sort=list(map(str, range(pe_len)))))
    with c2:
        labels = list(map(str, range(pe_len)))
        draw_chart(heatmap(matrix_frame(sim, labels, labels), "col", "row", "v", T("pe.sim_title"), T("pe.pos"), T("pe.pos"),
                           value_title=T("pe.dot"), scheme="viridis", height=320, x_sort=labels, y_sort=labels))
    st.caption(T("pe.caption", d=pe_d, near=f"{sim[0, 1]:.1f}", far=f"{sim[0, pe_len - 1]:.1f}"))

    # --- 3. a tiny Transformer --------------------------------------------------------------------
    st.divider()
    st.subheader(T("train.header"))
    st.markdown(T("train.intro"))
    c1, c2, c3 = st.columns(3)
    with c1:
        task = widgets.select("tf_task", T("train.task"), DIGIT_TASKS, format_func=lambda s: T(f"train.tasks.{s}"))
        impl = widgets.select("tf_impl", T("train.impl"), tf.IMPLS, format_func=lambda s: T(f"train.impls.{s}"))
        positional = widgets.select("tf_pos", T("train.positional"), tf.POSITIONAL, format_func=lambda s: T(f"train.positionals.{s}"))
    with c2:
        d_model = widgets.select_slider("tf_dmodel", T("train.d_model"), (8, 12, 16, 24, 32, 48, 64, 96, 128), 32)
        heads = widgets.select_slider("tf_heads", T("train.heads"), (1, 2, 3, 4, 6, 8), 4)
        layers = widgets.slider("tf_layers", T("train.layers"), 1, 4, 2)
    with c3:
        causal = widgets.toggle("tf_tcausal", T("train.causal"), False, help=T("train.causal_help"))
        epochs = widgets.slider("tf_epochs", T("train.epochs"), 1, 60, 5)
        lr = widgets.select_slider("tf_lr", T("train.lr"), LR_CHOICES, 3e-3, format_func=lambda v: f"{v:g}")
    digit_task = tf.DigitTask(task=task, n_samples=3000, seq_len=8, seed=seed())
    model_cfg = tf.TransformerConfig(d_model=d_model, num_heads=heads, num_layers=layers, d_ff=2 * d_model, impl=impl,
                                     positional=positional, causal=causal)
    train_cfg = TrainConfig(num_epochs=epochs, lr=lr, batch_size=64, seed=seed(), device=str(device()))
    try:
        tf.check_transformer_config(model_cfg)
        preview = tf.TinyTransformer(model_cfg)
        parts = tf.parameter_breakdown(preview)
        st.caption(T("train.params", n=f"{sum(p.numel() for p in preview.parameters()):,}",
                     parts=", ".join(f"{k} {v:,}" for k, v in parts.items())))
    except tf.TransformerConfigError as exc:
        config_error(exc)
    training_panel(JOB, lambda: tf.make_transformer_job(digit_task, model_cfg, train_cfg, page="34_transformer"),
                   score_title=T("train.token_acc"))

    job = trained_job(JOB)
    if job is None and (untrained := why_untrained(JOB)) is not None:
        st.caption(untrained)
    if job is not None:
        model = job.best_model()
        trained_task = job.meta["task"]
        st.markdown(f"**{T('maps.header')}**")
        st.caption(T("maps.trained", task=T(f"train.tasks.{trained_task.task}"),
                     n=f"{sum(p.numel() for p in model.parameters()):,}"))
        text = st.text_input(T("maps.input"), value="3 1 4 1 5 9 2 6", key="tf_text", help=T("maps.input_help"))
        try:
            tokens = parse_digit_string(text, trained_task.seq_len, trained_task.vocab)
        except SequenceInputError as exc:
            st.error(explain_md(exc, f"{page.stem}.maps.errors"))
            tokens = None
        if tokens is not None:
            result = tf.answer(model, tokens, trained_task.task)
            c1, c2, c3 = st.columns(3)
            c1.metric(T("maps.model_says"), " ".join(map(str, result["pred"])))
            c2.metric(T("maps.right_answer"), " ".join(map(str, result["target"])))
            c3.metric(T("maps.correct"), f"{sum(result['correct'])}/{len(result['correct'])}")
            maps = [w.cpu().numpy()[0] for w in model.attention_maps(tokens.to(next(model.parameters()).device))]
            layer = widgets.slider("tf_layer", T("maps.layer"), 1, len(maps), len(maps)) if len(maps) > 1 else 1
            labels = [f"{i}:{d}" for i, d in enumerate(tokens[0].tolist())]
            w = maps[layer - 1]  # (h, T, T)
            cols = st.columns(min(4, w.shape[0]))
            for h in range(w.shape[0]):
                with cols[h % len(cols)]:
                    draw_chart(heatmap(matrix_frame(w[h], labels, labels), "col", "row", "v", T("maps.head_title", h=h + 1, layer=layer),
                                       T("key"), T("query"), value_title=T("sdpa.weight"), height=230, x_sort=labels, y_sort=labels))
            st.caption(T(f"maps.caption_{trained_task.task}"))

with page.check:
    st.markdown(T("check.intro"))
    c1, c2, c3 = st.columns(3)
    with c1:
        ck_d = widgets.select_slider("tf_ck_d", T("train.d_model"), (4, 6, 8, 12, 16, 24, 32, 48, 64, 128), 32)
    with c2:
        ck_h = widgets.select_slider("tf_ck_h", T("train.heads"), (1, 2, 3, 4, 5, 6, 8), 4)
    with c3:
        ck_causal = widgets.toggle("tf_ck_causal", T("sdpa.causal"), False)
    try:
        ck, block_diff = mha_check(ck_d, ck_h, ck_causal, seed())
    except tf.TransformerConfigError as exc:
        config_error(exc)
    else:
        m1, m2, m3, m4 = st.columns(4)
        m1.metric(T("check.out_diff"), f"{ck.output_diff:.2e}")
        m2.metric(T("check.w_diff"), f"{ck.weights_diff:.2e}")
        m3.metric(T("check.sdpa_diff"), f"{ck.sdpa_diff:.2e}")
        m4.metric(T("check.block_diff"), f"{block_diff:.2e}")
        ok = max(ck.output_diff, ck.weights_diff, ck.sdpa_diff, block_diff) < 1e-5
        (st.success if ok else st.error)(T("check.verdict_ok" if ok else "check.verdict_bad"))
        p1, p2, p3 = st.columns(3)
        p1.metric(T("check.params_ours"), f"{ck.params_ours:,}")
        p2.metric(T("check.params_torch"), f"{ck.params_torch:,}")
        p3.metric(T("check.params_formula"), f"{ck.params_formula:,}")
        st.caption(T("check.caption"))
        cross = tf.compare_cross_attention_with_torch(ck_d, ck_h, seed=seed())
        st.markdown(T("check.cross_head"))
        x1, x2, x3 = st.columns(3)
        x1.metric(T("check.cross_out_diff"), f"{cross['output_diff']:.2e}")
        x2.metric(T("check.cross_w_diff"), f"{cross['weights_diff']:.2e}")
        x3.metric(T("check.cross_w_shape"), " × ".join(map(str, cross["weights_shape"])))
        st.caption(T("check.cross_caption"))

with page.code:
    st.markdown(T("code_intro"))
    show_code(tf.scaled_dot_product_attention, tf.MultiHeadAttention, tf.compare_mha_with_torch,
              tf.compare_cross_attention_with_torch, tf.sinusoidal_encoding,
              tf.TransformerBlock, tf.TinyTransformer, tf.make_transformer_job)
