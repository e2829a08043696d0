"""4.2 Patterns: plain vs residual deep nets, DenseNet channel growth, channel and spatial attention."""

import pandas as pd
import streamlit as st

from app import widgets
from app.charts import draw_chart, heatmap, image_grid, line_chart
from app.code import show_code
from app.page import start_page
from app.session import device, seed
from app.training import finished_job, training_panel
from core import patterns as P

page = start_page(__file__)
T = page.T


@st.cache_data(show_spinner=False)
def data(seed_: int, scale: bool):
    return P.digits_splits(seed_, scale)


@st.cache_data(show_spinner=False)
def dense_reference(c0: int, growth: int, num_layers: int):
    return P.dense_against_torchvision(c0, growth, num_layers)


@st.cache_data(show_spinner=False)
def se_reference(seed_: int) -> float:
    return P.se_against_torchvision(seed=seed_)


with page.play:
    # --- plain vs residual --------------------------------------------------------------------------
    st.subheader(T("res_title"))
    st.markdown(T("res_intro"))
    c1, c2, c3, c4 = st.columns(4)
    with c1:
        depth = widgets.slider("pt_depth", T("res_depth"), 2, 40, 20)
    with c2:
        act = widgets.select("pt_act", T("res_act"), ["tanh", "sigmoid", "relu"])
    with c3:
        lr = widgets.select_slider("pt_lr", T("res_lr"), (0.005, 0.01, 0.02, 0.05, 0.1), 0.05)
    with c4:
        epochs = widgets.slider("pt_epochs", T("res_epochs"), 1, 30, 5)
    splits = data(seed(), True)
    cols = st.columns(2)
    for col, residual, key in ((cols[0], False, "pt_plain"), (cols[1], True, "pt_res")):
        config = P.DeepNetConfig(depth=depth, activation=act, residual=residual)
        with col:
            st.markdown(f"**{T('res_residual') if residual else T('res_plain')}**")
            training_panel(key, lambda c=config: P.deep_net_job(c, splits, epochs, lr, seed(), str(device())),
                           score_title=T("accuracy"), button_label=T("res_train_res") if residual else T("res_train_plain"))
    plain, res = finished_job("pt_plain"), finished_job("pt_res")
    rows = P.layer_norm_rows(plain.records, T("res_plain")) if plain else []
    rows += P.layer_norm_rows(res.records, T("res_residual")) if res else []
    if rows:
        draw_chart(line_chart(pd.DataFrame(rows), "layer", "norm", "net", T("res_grad_chart"), T("res_layer"),
                              T("res_grad_norm"), log_y=True, color_title=T("res_net"), height=280))
        st.caption(T("res_grad_caption"))
        m = st.columns(2)
        for col, job, name in ((m[0], plain, "res_plain"), (m[1], res, "res_residual")):
            if job is not None and job.records[0].layer_grad_norms and job.status != "diverged":
                col.metric(T("res_ratio", net=T(name)), f"{P.early_late_ratio(job.records):.1e}",
                           help=T("res_ratio_help"))
    else:
        st.caption(T("res_hint"))

    # --- DenseNet ---------------------------------------------------------------------------------------
    st.subheader(T("dense_title"))
    c1, c2, c3, c4 = st.columns(4)
    with c1:
        c0 = widgets.slider("pt_c0", T("dense_c0"), 4, 64, 16)
    with c2:
        growth = widgets.slider("pt_growth", T("dense_growth"), 4, 48, 12)
    with c3:
        n_layers = widgets.slider("pt_layers", T("dense_layers"), 1, 12, 4)
    with c4:
        dense_epochs = widgets.slider("pt_dense_epochs", T("res_epochs"), 1, 20, 3)
    channels = P.dense_channels(c0, growth, n_layers)
    params = [P.dense_layer_params(c, growth) for c in channels[:-1]]
    ch_df = pd.DataFrame({"layer": range(1, n_layers + 2), "channels": channels})
    col_chart, col_table = st.columns([3, 2])
    with col_chart:
        draw_chart(line_chart(ch_df, "layer", "channels", None, T("dense_chart"), T("dense_layer_axis"), T("dense_channels"),
                              height=220, points=True))
    with col_table:
        st.dataframe(pd.DataFrame({T("dense_layer_axis"): range(1, n_layers + 1), T("dense_in"): channels[:-1],
                                   T("dense_params"): params}), hide_index=True, height=220)
    st.caption(T("dense_caption", out=channels[-1], c0=c0, k=growth, L=n_layers, params=f"{sum(params):,}"))
    dense_config = P.DenseNetConfig(c0=c0, growth=growth, num_layers=n_layers)
    raw = data(seed(), False)
    training_panel("pt_dense", lambda: P.densenet_job(dense_config, raw, dense_epochs, seed(), str(device())),
                   score_title=T("accuracy"), button_label=T("dense_train"))

    # --- attention ---------------------------------------------------------------------------------------
    st.subheader(T("att_title"))
    c1, c2 = st.columns(2)
    with c1:
        kind = widgets.select("pt_att", T("att_kind"), list(P.ATTENTIONS[1:]), value="cbam",
                              format_func=lambda a: T(f"atts.{a}"))
    with c2:
        att_epochs = widgets.slider("pt_att_epochs", T("res_epochs"), 1, 20, 4)
    att_config = P.AttentionCNNConfig(attention=kind)
    training_panel("pt_attn", lambda: P.attention_job(att_config, raw, att_epochs, seed(), str(device())),
                   score_title=T("accuracy"), button_label=T("att_train"))
    att_job = finished_job("pt_attn")
    if att_job is not None and att_job.status != "diverged":
        X = att_job.data.X_val[:8].cpu()
        y = att_job.data.y_val[:8].tolist()
        model = att_job.best_model().cpu()
        channel, spatial = P.attention_maps(model, X)
        images = X.view(-1, 8, 8).numpy()
        st.caption(T("att_trained", kind=T(f"atts.{att_job.meta['attention']}")))
        draw_chart(image_grid(images, [T("att_digit", y=d) for d in y], T("att_inputs"), cols=8, size=70))
        if spatial is not None:
            draw_chart(image_grid(spatial.numpy(), [T("att_digit", y=d) for d in y], T("att_spatial"), cols=8, size=70))
            st.caption(T("att_spatial_caption"))
        if channel is not None:
            df = pd.DataFrame([{"image": f"{i + 1}: {d}", "channel": j, "weight": float(channel[i, j])}
                               for i, d in enumerate(y) for j in range(channel.shape[1])])
            draw_chart(heatmap(df, "channel", "image", "weight", T("att_channel"), T("att_channel_axis"), T("att_image"),
                               T("att_weight"), scheme="viridis", height=240))
            st.caption(T("att_channel_caption"))

with page.check:
    st.markdown(T("check_se", diff=f"{se_reference(seed()):.1e}"))
    ours_c, ref_c, counted = dense_reference(c0, growth, n_layers)
    c1, c2, c3 = st.columns(3)
    c1.metric(T("check_dense_formula"), channels[-1])
    c2.metric(T("check_dense_ours"), ours_c)
    c3.metric(T("check_dense_tv"), ref_c)
    st.markdown(T("check_dense_params", formula=f"{sum(params):,}", counted=f"{counted:,}"))
    if plain is not None and res is not None:
        st.markdown(T("check_res", plain=f"{plain.records[-1].train_loss:.3f}", res=f"{res.records[-1].train_loss:.3f}"))

with page.code:
    st.markdown(T("code_intro"))
    show_code(P.Block, P.DeepNet, P.deep_net_job, P.early_late_ratio, P.dense_channels, P.dense_layer_params,
              P.DenseBlock, P.SqueezeExcite, P.CBAMChannel, P.SpatialAttention, P.attention_maps)
