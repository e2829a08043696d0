"""4.3 Modern architectures: ViT patches and a ViT-vs-CNN run, EfficientNet scaling, MobileNet savings."""

import pandas as pd
import streamlit as st

from app import widgets
from app.charts import draw_chart, image_grid
from app.code import show_code
from app.page import start_page
from app.session import device, seed
from app.training import finished_job, training_panel
from core import modern as M
from core.models import count_parameters
from core.patterns import digits_splits

page = start_page(__file__)
T = page.T


@st.cache_data(show_spinner=False)
def digits(seed_: int):
    return digits_splits(seed_, scale=False)


@st.cache_resource(show_spinner=False)
def efficientnet_counts() -> dict[str, int]:
    return {name: M.efficientnet_params(name) for name in M.EFFICIENTNETS}


@st.cache_data(show_spinner=False)
def vit_reference() -> tuple[float, int]:
    return M.patch_embedding_against_conv(), M.torchvision_vit_seq_length(224, 16)


with page.play:
    # --- ViT patches -------------------------------------------------------------------------------------
    st.subheader(T("vit_title"))
    c1, c2, c3 = st.columns(3)
    with c1:
        size = widgets.select_slider("md_size", T("vit_size"), (32, 64, 96, 128, 224, 384), 224)
    with c2:
        patch = widgets.select_slider("md_patch", T("vit_patch"), (2, 4, 8, 14, 16, 32), 16)
    with c3:
        chans = widgets.select("md_chans", T("vit_chans"), [3, 1])
    try:
        n_patches = M.num_patches(size, patch)
    except ValueError:
        st.error(T("vit_bad", size=size, patch=patch))
        n_patches = None
    if n_patches is not None:
        m1, m2, m3 = st.columns(3)
        m1.metric(T("vit_n"), f"{n_patches}", help=f"({size}/{patch})²")
        m2.metric(T("vit_seq"), f"{n_patches + 1}")
        m3.metric(T("vit_dim"), f"{chans * patch * patch}")
        st.caption(T("vit_caption", size=size, patch=patch, side=size // patch, n=n_patches))
    c1, c2 = st.columns(2)
    with c1:
        digit_index = widgets.slider("md_digit", T("vit_digit"), 0, 50, 0)
    with c2:
        demo_patch = widgets.select_slider("md_demo_patch", T("vit_demo_patch"), (4, 8, 16), 8)
    img = M.digit_image(digit_index, 32)
    tiles = M.patchify(img, demo_patch)[0].view(-1, demo_patch, demo_patch).numpy()  # (N, P, P)
    col_img, col_tiles = st.columns([1, 2])
    with col_img:
        draw_chart(image_grid(img[0].numpy(), [T("vit_whole")], T("vit_image"), cols=1, size=200))
    with col_tiles:
        per_row = 32 // demo_patch
        names = [T("vit_patch_n", r=i // per_row + 1, c=i % per_row + 1) for i in range(len(tiles))]
        draw_chart(image_grid(tiles, names, T("vit_tiles", n=len(tiles)),
                              cols=per_row, size=max(24, 300 // per_row)))

    # --- ViT vs CNN --------------------------------------------------------------------------------------
    st.subheader(T("cmp_title"))
    st.markdown(T("cmp_intro"))
    c1, c2, c3 = st.columns(3)
    with c1:
        vit_patch = widgets.select("md_vit_patch", T("cmp_patch"), [2, 4], format_func=lambda p: T("cmp_patch_opt", p=p, n=(8 // p) ** 2))
    with c2:
        vit_depth = widgets.slider("md_vit_depth", T("cmp_depth"), 1, 4, 2)
    with c3:
        cmp_epochs = widgets.slider("md_cmp_epochs", T("cmp_epochs"), 1, 30, 5)
    vit_config = M.ViTConfig(patch_size=vit_patch, depth=vit_depth)
    data = digits(seed())
    cols = st.columns(2)
    for col, kind in zip(cols, ("vit", "cnn")):
        with col:
            st.markdown(f"**{T(f'cmp_{kind}')}**")
            training_panel(f"md_{kind}", lambda k=kind: M.comparison_job(k, vit_config, data, cmp_epochs, seed(), str(device())),
                           score_title=T("accuracy"), button_label=T(f"cmp_train_{kind}"))
    rows = []
    for kind in ("vit", "cnn"):
        job = finished_job(f"md_{kind}")
        if job is not None and job.model is not None:
            best = max((r.val_score or 0.0) for r in job.records)
            rows.append({T("cmp_model"): T(f"cmp_{kind}"), T("cmp_params"): count_parameters(job.model),
                         T("cmp_acc"): f"{best:.1%}", T("cmp_epochs"): len(job.records),
                         T("cmp_time"): f"{job.elapsed:.1f}"})
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True)
        st.caption(T("cmp_caption"))

    # --- EfficientNet --------------------------------------------------------------------------------------
    st.subheader(T("eff_title"))
    c1, c2, c3, c4 = st.columns(4)
    with c1:
        phi = widgets.slider("md_phi", "φ", 0.0, 7.0, 1.0, 0.5)
    with c2:
        alpha = widgets.slider("md_alpha", T("eff_alpha"), 1.0, 2.0, 1.2, 0.05)
    with c3:
        beta = widgets.slider("md_beta", T("eff_beta"), 1.0, 2.0, 1.1, 0.05)
    with c4:
        gamma = widgets.slider("md_gamma", T("eff_gamma"), 1.0, 2.0, 1.15, 0.05)
    scale = M.compound_scaling(phi, alpha, beta, gamma)
    constraint = alpha * beta**2 * gamma**2
    m = st.columns(5)
    m[0].metric(T("eff_depth"), f"×{scale.depth:.2f}")
    m[1].metric(T("eff_width"), f"×{scale.width:.2f}")
    m[2].metric(T("eff_res"), f"{scale.image_size} px")
    m[3].metric("α·β²·γ²", f"{constraint:.3f}")
    m[4].metric(T("eff_flops"), f"×{scale.flops:.1f}")
    if abs(constraint - 2) > 0.25:
        st.warning(T("eff_off", value=f"{constraint:.2f}"))
    counts = st.session_state.get("md_eff_counts")
    if counts is None:
        if st.button(T("eff_button"), key="md_eff_go", icon="🔢"):
            with st.spinner(T("eff_building")):
                counts = efficientnet_counts()
            st.session_state["md_eff_counts"] = counts
    table = pd.DataFrame([
        {T("eff_model"): f"EfficientNet-{name.upper()}", T("eff_width_col"): w, T("eff_depth_col"): d,
         T("eff_res_col"): r, T("eff_params"): f"{counts[name] / 1e6:.2f} M" if counts else "—"}
        for name, (w, d, r) in M.EFFICIENTNET_TABLE.items()
    ])
    st.dataframe(table, hide_index=True)
    st.caption(T("eff_caption"))

    # --- MobileNet ------------------------------------------------------------------------------------------
    st.subheader(T("mb_title"))
    c1, c2, c3 = st.columns(3)
    with c1:
        c_in = widgets.slider("md_cin", T("mb_cin"), 1, 512, 64)
    with c2:
        c_out = widgets.slider("md_cout", T("mb_cout"), 1, 512, 128)
    with c3:
        k = widgets.select_slider("md_k", T("mb_k"), (1, 3, 5, 7), 3)
    standard, separable = M.conv_params(c_in, c_out, k), M.separable_params(c_in, c_out, k)
    counted_std, counted_sep = M.counted_conv_params(c_in, c_out, k)
    m = st.columns(3)
    m[0].metric(T("mb_standard"), f"{standard:,}", help=f"{k}·{k}·{c_in}·{c_out}")
    m[1].metric(T("mb_separable"), f"{separable:,}", help=f"{k}·{k}·{c_in} + {c_in}·{c_out}")
    m[2].metric(T("mb_saving"), f"×{standard / separable:.1f}")
    st.caption(T("mb_caption", ratio=f"{separable / standard:.3f}", approx=f"{1 / c_out + 1 / k**2:.3f}"))

with page.check:
    conv_diff, tv_seq = vit_reference()
    c1, c2, c3 = st.columns(3)
    c1.metric(T("check_patches"), M.num_patches(224, 16))
    c2.metric(T("check_seq_ours"), M.num_patches(224, 16) + 1)
    c3.metric(T("check_seq_tv"), tv_seq)
    st.markdown(T("check_conv", diff=f"{conv_diff:.1e}"))
    st.markdown(T("check_mb", std=f"{standard:,}", cstd=f"{counted_std:,}", sep=f"{separable:,}", csep=f"{counted_sep:,}"))
    st.markdown(T("check_eff", value=f"{1.2 * 1.1**2 * 1.15**2:.4f}"))

with page.code:
    st.markdown(T("code_intro"))
    show_code(M.num_patches, M.patchify, M.SmallViT, M.comparison_job, M.compound_scaling, M.efficientnet_params,
              M.conv_params, M.separable_params, M.DepthwiseSeparableConv)
