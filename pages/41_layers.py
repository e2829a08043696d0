"""4.1 Layers: Linear parameters, normalization axes, BatchNorm modes, activations, DropBlock, overfitting."""

import pandas as pd
import streamlit as st
import torch
from torch import nn
from torchvision.ops import DropBlock2d as TVDropBlock2d

from app import widgets
from app.charts import draw_chart, heatmap, image_grid, line_chart
from app.code import show_code
from app.page import start_page
from app.session import device, seed
from app.training import finished_job, training_panel
from core import layers as L

page = start_page(__file__)
T = page.T


@st.cache_data(show_spinner=False)
def norm_demo(kind: str, n: int, c: int, groups: int, seed_: int):
    x = L.sample_feature_maps((n, c, 6, 6), seed_)
    y = L.normalize(x, kind, groups)
    return L.norm_groups(kind, (n, c, 6, 6), groups), L.group_stats(y, kind, groups), L.compare_norm(x, kind, groups)


@st.cache_data(max_entries=64, show_spinner=False)
def batchnorm_run(data_mean: float, steps: int, momentum: float, seed_: int) -> L.BNRun:
    return L.batchnorm_train_eval(data_mean, 2.0, steps, momentum, seed=seed_)


@st.cache_data(max_entries=64, show_spinner=False)
def dead_fraction(width: int, shift: float, seed_: int) -> float:
    return L.dead_relu_fraction(width, shift, seed=seed_)


@st.cache_data(show_spinner=False)
def curves(act: str) -> dict:
    return L.activation_curves(act)


@st.cache_data(max_entries=64, show_spinner=False)
def drop_demo(p_drop: float, block: int, seed_: int):
    """The map, nn.Dropout of it and our DropBlock2d of it, each seeded."""
    torch.manual_seed(seed_)
    fmap = L.feature_map(24)
    dropped = nn.Dropout(p_drop).train()(fmap)
    gen = torch.Generator().manual_seed(seed_)
    blocked = L.DropBlock2d(p_drop, block).train()(fmap, generator=gen)
    return fmap, dropped, blocked


@st.cache_data(show_spinner=False)
def layer_checks(seed_: int):
    """The Check tab's fixed-setting checks: BatchNorm, DropBlock against torchvision, weight decay."""
    bn = L.batchnorm_train_eval(3.0, 2.0, 20, 0.1, seed=seed_)
    ours_frac = L.drop_fraction(L.DropBlock2d(0.2, 5).train(), seed=seed_)
    tv_frac = L.drop_fraction(TVDropBlock2d(0.2, 5).train(), seed=seed_)
    return bn.max_diff, ours_frac, tv_frac, L.weight_decay_check()


@st.cache_data(show_spinner=False)
def reference_checks(seed_: int):
    x = L.sample_feature_maps((4, 6, 5, 5), seed_)
    norms = {k: L.compare_norm(x, k, 3) for k in L.NORMS}
    acts = {}
    for a in L.ACTIVATION_NAMES:
        c = L.activation_curves(a)
        acts[a] = float(abs(c["autograd"] - c["closed"]).max())
    return norms, acts


with page.play:
    # --- Linear -----------------------------------------------------------------------------------
    st.subheader(T("lin_title"))
    c1, c2, c3 = st.columns(3)
    with c1:
        n_in = widgets.number("ly_in", T("lin_in"), 1, 100_000, 784)
    with c2:
        n_out = widgets.number("ly_out", T("lin_out"), 1, 100_000, 128)
    with c3:
        bias = widgets.toggle("ly_bias", T("lin_bias"), True)
    formula = L.linear_params(int(n_in), int(n_out), bias)
    counted = L.counted_params(nn.Linear(int(n_in), int(n_out), bias=bias, device="meta"))
    m1, m2 = st.columns(2)
    m1.metric(T("lin_formula"), f"{formula:,}")
    m2.metric(T("lin_counted"), f"{counted:,}")

    # --- normalization --------------------------------------------------------------------------------
    st.subheader(T("norm_title"))
    c1, c2, c3, c4 = st.columns(4)
    with c1:
        kind = widgets.select("ly_norm", T("norm_kind"), list(L.NORMS), format_func=lambda k: T(f"norms.{k}"))
    with c2:
        n = widgets.slider("ly_n", T("norm_n"), 2, 8, 4)
    with c3:
        c = widgets.slider("ly_c", T("norm_c"), 2, 12, 6)
    with c4:
        groups = widgets.slider("ly_groups", T("norm_groups"), 1, 12, 2, disabled=kind != "group")
    if kind == "group" and c % groups:
        st.error(T("norm_bad_groups", c=c, g=groups))
    else:
        ids, stats, diff = norm_demo(kind, n, c, groups, seed())
        df = pd.DataFrame([{"N": f"n{i}", "C": f"c{j}", "group": int(ids[i, j])} for i in range(n) for j in range(c)])
        col_pic, col_stats = st.columns([3, 2])
        with col_pic:
            draw_chart(heatmap(df, "C", "N", "group", T("norm_chart", kind=T(f"norms.{kind}")), T("axis_c"), T("axis_n"),
                               T("norm_group"), scheme="rainbow", height=220,
                               x_sort=[f"c{j}" for j in range(c)], y_sort=[f"n{i}" for i in range(n)]))
            st.caption(T("norm_caption", groups=len(stats), per=stats[0]["size"]))
        with col_stats:
            st.dataframe(pd.DataFrame(stats).rename(columns={"group": T("norm_group"), "size": T("norm_size"),
                                                             "mean": T("norm_mean"), "std": T("norm_std")}),
                         hide_index=True, height=220, column_config={
                             T("norm_mean"): st.column_config.NumberColumn(format="%.2e"),
                             T("norm_std"): st.column_config.NumberColumn(format="%.4f")})
        st.caption(T("norm_diff", diff=f"{diff:.1e}"))

    # --- BatchNorm train vs eval ---------------------------------------------------------------------
    st.subheader(T("bn_title"))
    c1, c2, c3 = st.columns(3)
    with c1:
        data_mean = widgets.slider("ly_bn_mean", T("bn_mean"), -5.0, 5.0, 3.0, 0.5)
    with c2:
        steps = widgets.slider("ly_bn_steps", T("bn_steps"), 1, 100, 20)
    with c3:
        momentum = widgets.select_slider("ly_bn_mom", T("bn_momentum"), (0.01, 0.05, 0.1, 0.3, 0.5, 1.0), 0.1)
    run = batchnorm_run(data_mean, steps, momentum, seed())
    bn_df = pd.DataFrame({"step": run.steps * 2, "value": run.ours_mean + run.torch_mean,
                          "source": [T("bn_ours")] * len(run.steps) + [T("bn_torch")] * len(run.steps)})
    draw_chart(line_chart(bn_df, "step", "value", "source", T("bn_chart"), T("bn_step"), T("bn_running_mean"),
                          height=220, color_title=T("bn_source")))
    m1, m2, m3 = st.columns(3)
    m1.metric(T("bn_train_out"), f"{run.train_out_mean:+.3f}")
    m2.metric(T("bn_eval_out"), f"{run.eval_out_mean:+.3f}")
    m3.metric(T("bn_running"), f"{run.torch_mean[-1]:.3f}")
    st.caption(T("bn_caption"))

    # --- activations -------------------------------------------------------------------------------------
    st.subheader(T("act_title"))
    c1, c2 = st.columns([1, 2])
    with c1:
        act = widgets.select("ly_act", T("act_pick"), list(L.ACTIVATION_NAMES), format_func=lambda a: T(f"acts.{a}"))
        shift = widgets.slider("ly_shift", T("act_shift"), -4.0, 2.0, -1.0, 0.25, help=T("act_shift_help"))
        width = widgets.slider("ly_width", T("act_width"), 8, 512, 128)
        dead = dead_fraction(width, shift, seed())
        st.metric(T("act_dead"), f"{dead:.1%}")
    with c2:
        act_curves = curves(act)
        act_df = pd.concat([
            pd.DataFrame({"x": act_curves["x"], "value": act_curves["y"], "curve": "f(x)"}),
            pd.DataFrame({"x": act_curves["x"], "value": act_curves["autograd"], "curve": "f′(x) autograd"}),
        ])
        draw_chart(line_chart(act_df, "x", "value", "curve", T("act_chart", name=T(f"acts.{act}")), "x", T("act_value"),
                              height=260, color_title=T("act_curve")))

    # --- Dropout vs DropBlock ----------------------------------------------------------------------------
    st.subheader(T("drop_title"))
    c1, c2 = st.columns(2)
    with c1:
        p_drop = widgets.slider("ly_p", T("drop_p"), 0.0, 0.6, 0.2, 0.05)
    with c2:
        block = widgets.select_slider("ly_block", T("drop_block"), (1, 3, 5, 7), 5)
    fmap, dropped, blocked = drop_demo(p_drop, block, seed())
    imgs = torch.cat([fmap, dropped, blocked]).squeeze(1).numpy()
    draw_chart(image_grid(imgs, [T("drop_orig"), T("drop_dropout"), T("drop_dropblock")], T("drop_chart"), cols=3, size=190))
    m1, m2, m3 = st.columns(3)
    m1.metric(T("drop_zero_dropout"), f"{(dropped == 0).float().mean().item():.1%}")
    m2.metric(T("drop_zero_block"), f"{(blocked == 0).float().mean().item():.1%}")
    m3.metric(T("drop_mean"), f"{fmap.mean().item():.3f} → {blocked.mean().item():.3f}")
    st.caption(T("drop_caption"))

    # --- overfitting ---------------------------------------------------------------------------------------
    st.subheader(T("of_title"))
    st.markdown(T("of_intro"))
    c1, c2, c3, c4 = st.columns(4)
    with c1:
        wd = widgets.select_slider("ly_wd", T("of_wd"), (0.0, 0.01, 0.1, 0.5, 1.0), 0.0)
    with c2:
        p_of = widgets.slider("ly_of_drop", T("of_dropout"), 0.0, 0.7, 0.0, 0.1)
    with c3:
        n_train = widgets.slider("ly_ntrain", T("of_ntrain"), 40, 600, 100, 20)
    with c4:
        epochs = widgets.slider("ly_of_epochs", T("of_epochs"), 5, 100, 30)
    setup = L.OverfitSetup(n_train=n_train, dropout=p_of, weight_decay=wd, num_epochs=epochs, seed=seed(), device=str(device()))
    training_panel("ly_overfit", lambda: L.overfit_job(setup), score_title=T("accuracy"))
    job = finished_job("ly_overfit")
    if job is not None:
        gap = L.generalization_gap(job.records)
        gaps = st.session_state.setdefault("ly_gaps", {})
        m = job.meta
        gaps[(m["weight_decay"], m["dropout"], m["n_train"], len(job.records))] = {
            T("of_wd"): m["weight_decay"], T("of_dropout"): m["dropout"], T("of_ntrain"): m["n_train"],
            T("of_epochs"): len(job.records), T("of_train_loss"): round(job.records[-1].train_loss, 4),
            T("of_val_loss"): round(job.records[-1].val_loss, 4), T("of_gap"): round(gap, 4)}
        st.metric(T("of_gap"), f"{gap:.4f}")
        st.caption(T("of_compare"))
        st.dataframe(pd.DataFrame(list(gaps.values())), hide_index=True)

with page.check:
    norms, acts = reference_checks(seed())
    st.markdown(T("check_norms"))
    refs = {"batch": "nn.BatchNorm2d", "layer": "nn.LayerNorm", "group": "nn.GroupNorm(3)", "instance": "nn.InstanceNorm2d"}
    st.dataframe(pd.DataFrame([{T("check_ours"): f"normalize('{k}')", T("check_ref"): refs[k], T("check_diff"): f"{v:.1e}"}
                               for k, v in norms.items()]), hide_index=True)
    st.markdown(T("check_acts"))
    st.dataframe(pd.DataFrame([{T("check_act"): T(f"acts.{a}"), T("check_diff"): f"{v:.1e}"} for a, v in acts.items()]),
                 hide_index=True)
    bn_diff, ours_frac, tv_frac, wd = layer_checks(seed())
    st.markdown(T("check_bn", diff=f"{bn_diff:.1e}"))
    st.markdown(T("check_linear", formula=f"{formula:,}", counted=f"{counted:,}"))
    x = torch.randn(2, 3, 8, 8)
    identity = torch.equal(L.DropBlock2d(0.5, 3).eval()(x), x)
    c1, c2, c3 = st.columns(3)
    c1.metric(T("check_db_ours"), f"{ours_frac:.2%}")
    c2.metric(T("check_db_tv"), f"{tv_frac:.2%}")
    c3.metric(T("check_db_eval"), "✅" if identity else "❌")
    st.caption(T("check_db_caption"))
    st.markdown(T("check_wd"))
    st.dataframe(pd.DataFrame([{T("check_wd_pair"): T(f"wd_pairs.{k}"), T("check_wd_diff"): f"{v:.1e}"} for k, v in wd.items()]),
                 hide_index=True)
    st.caption(T("check_wd_caption"))

with page.code:
    st.markdown(T("code_intro"))
    show_code(L.linear_params, L.normalize, L.norm_groups, L.batchnorm_train_eval, L.closed_form_derivative,
              L.activation_curves, L.dead_relu_fraction, L.DropBlock2d, L.overfit_splits, L.overfit_job,
              L.weight_decay_check, L.adamw_by_hand)
