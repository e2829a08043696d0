"""1.1 Linear algebra: vectors, a 2×2 matrix acting on the plane, y = Wx + b, PCA by eigendecomposition."""

import numpy as np
import pandas as pd
import streamlit as st

from app.charts import draw_chart, plane_spec
from app.code import show_code
from app.page import start_page
from app.widgets import slider
from core.linalg_demos import (
    arrow_rows,
    eigenvalues_by_hand,
    linear_layer,
    make_cloud,
    pca_by_eigh,
    pca_differences,
    pca_sklearn,
    transform,
    transformed_grid_rows,
    vector_stats,
    vector_stats_by_hand,
)

page = start_page(__file__)
T = page.T


@st.cache_data(max_entries=64, show_spinner=False)
def cached_pca(n, sx, sy, corr, seed):
    X = make_cloud(n, sx, sy, corr, seed)
    return X, pca_by_eigh(X), pca_sklearn(X)


def fmt(v: float) -> str:
    return f"{v:.4g}" if np.isfinite(v) else "—"


with page.play:
    # ---- vectors
    st.subheader(T("vec.header"))
    c = st.columns(4)
    with c[0]:
        a1 = slider("la_a1", "a₁", -3.0, 3.0, 2.0, 0.1)
    with c[1]:
        a2 = slider("la_a2", "a₂", -3.0, 3.0, 1.0, 0.1)
    with c[2]:
        b1 = slider("la_b1", "b₁", -3.0, 3.0, 0.5, 0.1)
    with c[3]:
        b2 = slider("la_b2", "b₂", -3.0, 3.0, 2.0, 0.1)
    a, b = (a1, a2), (b1, b2)
    stats = vector_stats(a, b)
    left, right = st.columns([3, 2])
    with left:
        rows = arrow_rows((0, 0), a, "a", "a", 0.25) + arrow_rows((0, 0), b, "b", "b", 0.25)
        draw_chart(plane_spec(T("vec.chart"), "x₁", "x₂", lines=rows, x_domain=(-3.3, 3.3), y_domain=(-3.3, 3.3),
                              color_title=T("vec.vector"), height=330, colors={"a": "#4C78A8", "b": "#E45756"}))
    with right:
        m = st.columns(2)
        m[0].metric(T("vec.dot"), fmt(stats["dot"]))
        m[1].metric(T("vec.cos"), fmt(stats["cos"]))
        m[0].metric(T("vec.l2", v="a"), fmt(stats["l2_a"]))
        m[1].metric(T("vec.l2", v="b"), fmt(stats["l2_b"]))
        m[0].metric(T("vec.l1", v="a"), fmt(stats["l1_a"]))
        m[1].metric(T("vec.l1", v="b"), fmt(stats["l1_b"]))
        if np.isfinite(stats["cos"]):
            key = "vec.orthogonal" if abs(stats["dot"]) < 1e-9 else ("vec.same_side" if stats["dot"] > 0 else "vec.opposite")
            st.caption(T("vec.angle", angle=f"{stats['angle_deg']:.1f}") + " " + T(key))
        else:
            st.warning(T("vec.zero"))

    # ---- 2×2 matrix
    st.divider()
    st.subheader(T("mat.header"))
    st.caption(T("mat.caption"))
    c = st.columns(4)
    with c[0]:
        m11 = slider("la_m11", "m₁₁", -2.0, 2.0, 1.5, 0.1)
    with c[1]:
        m12 = slider("la_m12", "m₁₂", -2.0, 2.0, 0.5, 0.1)
    with c[2]:
        m21 = slider("la_m21", "m₂₁", -2.0, 2.0, 0.5, 0.1)
    with c[3]:
        m22 = slider("la_m22", "m₂₂", -2.0, 2.0, 1.0, 0.1)
    tr = transform(m11, m12, m21, m22)
    grid, circle = transformed_grid_rows(tr.matrix)
    before, after = T("mat.before"), T("mat.after")
    rename = {"before": before, "after": after}
    lines = [{**r, "group": rename[r["group"]]} for r in grid + circle]
    colors = {before: "#c7c7c7", after: "#4C78A8"}
    for i, (lam, vec) in enumerate(tr.real_eigenpairs()):
        label = T("mat.eig_label", i=i + 1, lam=f"{lam:.2f}")
        colors.setdefault(label, ("#E45756", "#F58518")[i])
        for sign in (1, -1):
            lines += arrow_rows((0, 0), sign * lam * vec, label, f"e{i}{sign}", 0.2)
    left, right = st.columns([3, 2])
    with left:
        draw_chart(plane_spec(T("mat.chart"), "x₁", "x₂", lines=lines, x_domain=(-4.5, 4.5), y_domain=(-4.5, 4.5),
                              color_title=T("mat.legend"), height=380, colors=colors))
    with right:
        st.latex(rf"M = \begin{{bmatrix}} {m11:.1f} & {m12:.1f} \\ {m21:.1f} & {m22:.1f} \end{{bmatrix}}")
        st.metric(T("mat.det"), f"{tr.det:.3f}")
        if abs(tr.det) < 1e-9:
            st.warning(T("mat.singular"))
        elif tr.det < 0:
            st.info(T("mat.flip"))
        else:
            st.caption(T("mat.area", k=f"{tr.det:.2f}"))
        if tr.real:
            for i, (lam, vec) in enumerate(tr.real_eigenpairs()):
                st.markdown(T("mat.eig_line", i=i + 1, lam=f"{lam:.3f}", v1=f"{vec[0]:.3f}", v2=f"{vec[1]:.3f}"))
            if abs(tr.eigenvalues[0] - tr.eigenvalues[1]) < 1e-9:
                st.caption(T("mat.repeated"))
        else:
            lam = tr.eigenvalues[0]
            st.warning(T("mat.complex", re=f"{lam.real:.3f}", im=f"{abs(lam.imag):.3f}"))

    # ---- y = Wx + b
    st.divider()
    st.subheader(T("lin.header"))
    c = st.columns(3)
    with c[0]:
        batch = slider("la_batch", T("lin.batch"), 1, 64, 4)
    with c[1]:
        n_in = slider("la_in", T("lin.in"), 1, 512, 3)
    with c[2]:
        n_out = slider("la_out", T("lin.out"), 1, 512, 2)
    lin = linear_layer(batch, n_in, n_out)
    st.latex(
        rf"\underbrace{{Y}}_{{{lin.y_shape[0]}\times{lin.y_shape[1]}}} = "
        rf"\underbrace{{X}}_{{{lin.x_shape[0]}\times{lin.x_shape[1]}}}\;"
        rf"\underbrace{{W^\top}}_{{{lin.W_shape[1]}\times{lin.W_shape[0]}}} + "
        rf"\underbrace{{b}}_{{{lin.b_shape[0]}}}"
    )
    st.markdown(T("lin.shapes", B=batch, i=n_in, o=n_out, params=lin.n_params))
    if batch * n_out <= 64:
        st.dataframe(pd.DataFrame(lin.y, columns=[f"y{j + 1}" for j in range(n_out)]).round(4), height=min(240, 38 + 35 * batch))

    # ---- PCA
    st.divider()
    st.subheader(T("pca.header"))
    c = st.columns(4)
    with c[0]:
        sx = slider("la_sx", T("pca.sx"), 0.1, 3.0, 2.0, 0.1)
    with c[1]:
        sy = slider("la_sy", T("pca.sy"), 0.1, 3.0, 0.7, 0.1)
    with c[2]:
        corr = slider("la_corr", T("pca.corr"), -0.95, 0.95, 0.6, 0.05)
    with c[3]:
        n_points = slider("la_n", T("pca.n"), 20, 1000, 300, 10)
    X, ours, ref = cached_pca(n_points, sx, sy, corr, 0)
    pts = [{"x": float(x), "y": float(y), "group": T("pca.points")} for x, y in X]
    axes = []
    for i in range(2):
        half = 2 * np.sqrt(ours.explained_variance[i]) * ours.components[i]
        axes += arrow_rows(ours.mean, ours.mean + half, T("pca.pc", i=i + 1), f"pc{i}", 0.3)
        axes += arrow_rows(ours.mean, ours.mean - half, T("pca.pc", i=i + 1), f"pcm{i}", 0.0)
    left, right = st.columns([3, 2])
    with left:
        draw_chart(plane_spec(T("pca.chart"), "x₁", "x₂", lines=axes, points=pts, x_domain=(-6, 8), y_domain=(-7, 6),
                              color_title=T("pca.legend"), height=380, points_below=True,
                              colors={T("pca.points"): "#b0b0b0", T("pca.pc", i=1): "#E45756", T("pca.pc", i=2): "#4C78A8"}))
    with right:
        cov = ours.covariance
        st.latex(rf"\Sigma = \begin{{bmatrix}} {cov[0, 0]:.3f} & {cov[0, 1]:.3f} \\ {cov[1, 0]:.3f} & {cov[1, 1]:.3f} \end{{bmatrix}}")
        for i in range(2):
            v = ours.components[i]
            st.markdown(T("pca.line", i=i + 1, var=f"{ours.explained_variance[i]:.3f}",
                          ratio=f"{100 * ours.explained_variance_ratio[i]:.1f}", v1=f"{v[0]:.3f}", v2=f"{v[1]:.3f}"))
        st.caption(T("pca.caption"))

with page.check:
    st.markdown(T("check.intro"))
    by_hand = vector_stats_by_hand(a, b)
    lam_hand = eigenvalues_by_hand(m11, m12, m21, m22)
    lam_torch = sorted(tr.eigenvalues.tolist(), key=lambda z: (-z.real, -z.imag))
    diffs = pca_differences(ours, ref)
    rows = [
        (T("check.dot"), by_hand["dot"], stats["dot"]),
        (T("check.norm"), by_hand["l2_a"], stats["l2_a"]),
        (T("check.cos"), by_hand["cos"], stats["cos"]),
        (T("check.eig_re", i=1), lam_hand[0].real, lam_torch[0].real),
        (T("check.eig_im", i=1), lam_hand[0].imag, lam_torch[0].imag),
        (T("check.eig_re", i=2), lam_hand[1].real, lam_torch[1].real),
        (T("check.eig_im", i=2), lam_hand[1].imag, lam_torch[1].imag),
        (T("check.pca_var1"), ours.explained_variance[0], ref.explained_variance[0]),
        (T("check.pca_var2"), ours.explained_variance[1], ref.explained_variance[1]),
    ]
    table = pd.DataFrame([{T("check.quantity"): q, T("check.ours"): o, T("check.library"): r,
                           T("check.diff"): abs(o - r) if np.isfinite(o) and np.isfinite(r) else float("nan")} for q, o, r in rows])
    st.dataframe(table, hide_index=True)
    c = st.columns(3)
    c[0].metric(T("check.pca_components"), f"{diffs['components']:.1e}")
    c[1].metric(T("check.pca_ratio"), f"{diffs['explained_variance_ratio']:.1e}")
    c[2].metric(T("check.linear"), f"{lin.max_diff_vs_nn_linear:.1e}")
    ok = max(diffs.values()) < 1e-6
    (st.success if ok else st.error)(T("check.pca_ok" if ok else "check.pca_bad"))

with page.code:
    st.markdown(T("code_intro"))
    show_code(vector_stats, transform, linear_layer, pca_by_eigh, pca_differences)
