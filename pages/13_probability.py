"""1.3 Probability: torch.distributions explorer, Bayes' rule, entropy/KL, softmax temperature and cross-entropy."""

import math

import pandas as pd
import streamlit as st
import torch

from app.charts import draw_chart, plane_spec
from app.code import show_code
from app.page import start_page
from app.widgets import select, select_slider, slider
from core.probability_demos import (
    DISTRIBUTIONS,
    bayes,
    cross_entropy_check,
    fit_gaussian_nb,
    gaussian_nb_proba,
    histogram_lines,
    info_by_hand,
    info_by_torch,
    naive_bayes_vs_sklearn,
    normalize,
    running_moments,
    samples_vs_density,
    softmax_with_temperature,
)

page = start_page(__file__)
T = page.T
CLASSES = ("A", "B", "C", "D")


@st.cache_data(max_entries=8, show_spinner=False)
def cached_naive_bayes(seed_: int) -> dict:
    return naive_bayes_vs_sklearn(seed_)


@st.cache_data(max_entries=64, show_spinner=False)
def cached_samples(name, params, n, seed):
    return samples_vs_density(name, params, n, seed)


@st.cache_data(max_entries=64, show_spinner=False)
def cached_moments(name, params, seed):
    return running_moments(name, params, 20000, seed)


def fmt(v: float) -> str:
    return "∞" if v == math.inf else f"{v:.4f}"


with page.play:
    # ---- distributions
    st.subheader(T("dist.header"))
    c = st.columns([2, 1, 1, 2])
    with c[0]:
        dname = select("pr_dist", T("dist.family"), list(DISTRIBUTIONS), "normal", format_func=lambda k: T(f"dists.{k}"))
    specs, _, discrete = DISTRIBUTIONS[dname]
    params = []
    for i, spec in enumerate(specs):
        with c[1 + i]:
            is_int = float(spec.step).is_integer() and spec.step == 1
            cast = int if is_int else float
            params.append(slider(f"pr_{dname}_{i}", spec.name, cast(spec.lo), cast(spec.hi), cast(spec.default), cast(spec.step)))
    with c[3]:
        n = select_slider("pr_n", T("dist.n"), [50, 200, 1000, 5000, 20000], 1000)
    params = tuple(float(p) for p in params)
    try:
        hist, exact = cached_samples(dname, params, n, 0)
        moments, mean, var = cached_moments(dname, params, 0)
    except ValueError:
        st.error(T("dist.bad"))
    else:
        sample_label, exact_label = T("dist.samples", n=n), T("dist.pmf" if discrete else "dist.pdf")
        lines = histogram_lines(hist, discrete, sample_label)
        pts = []
        if discrete:
            pts = [{"x": r["x"], "y": r["density"], "group": exact_label} for r in exact]
        else:
            lines += [{"x": r["x"], "y": r["density"], "group": exact_label, "seg": "pdf", "order": i} for i, r in enumerate(exact)]
        colors = {sample_label: "#9ecae9", exact_label: "#e4572e"}
        left, right = st.columns(2)
        with left:
            draw_chart(plane_spec(T("dist.chart", d=T(f"dists.{dname}")), "x", T("dist.density"), lines=lines, points=pts,
                                  color_title=T("dist.legend"), colors=colors, height=330))
        with right:
            sample_mean, exact_mean = T("dist.sample_mean"), T("dist.exact_mean")
            sample_var, exact_var = T("dist.sample_var"), T("dist.exact_var")
            rows = []
            for i, r in enumerate(moments):
                group = sample_mean if r["moment"] == "mean" else sample_var
                rows.append({"x": r["n"], "y": r["value"], "group": group, "seg": group, "order": i})
            ns = (moments[0]["n"], moments[-1]["n"])
            for g, v in ((exact_mean, mean), (exact_var, var)):
                rows += [{"x": ns[0], "y": v, "group": g, "seg": g, "order": 0}, {"x": ns[1], "y": v, "group": g, "seg": g, "order": 1}]
            draw_chart(plane_spec(T("dist.conv_chart"), T("dist.n_axis"), T("dist.value"), lines=rows, log_x=True,
                                  color_title=T("dist.legend"), height=330,
                                  colors={sample_mean: "#4C78A8", exact_mean: "#1f3b57", sample_var: "#F58518", exact_var: "#8a4b0b"}))
        last_mean = [r["value"] for r in moments if r["moment"] == "mean"][-1]
        last_var = [r["value"] for r in moments if r["moment"] == "variance"][-1]
        m = st.columns(4)
        m[0].metric(T("dist.exact_mean").capitalize(), f"{mean:.4f}")
        m[1].metric(T("dist.sample_mean_n"), f"{last_mean:.4f}", f"{last_mean - mean:+.4f}", delta_color="off")
        m[2].metric(T("dist.exact_var").capitalize(), f"{var:.4f}")
        m[3].metric(T("dist.sample_var_n"), f"{last_var:.4f}", f"{last_var - var:+.4f}", delta_color="off")
        st.caption(T("dist.caption"))

    # ---- Bayes
    st.divider()
    st.subheader(T("bayes.header"))
    c = st.columns(3)
    with c[0]:
        prior = select_slider("pr_prior", T("bayes.prior"), [0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8], 0.01,
                              format_func=lambda v: f"{100 * v:g}%")
    with c[1]:
        sens = slider("pr_sens", T("bayes.sens"), 0.5, 1.0, 0.9, 0.01)
    with c[2]:
        fpr = slider("pr_fpr", T("bayes.fpr"), 0.0, 0.3, 0.05, 0.01)
    try:
        br = bayes(prior, sens, fpr)
        m = st.columns([1, 2])
        m[0].metric(T("bayes.posterior"), f"{100 * br.posterior:.1f}%")
        with m[1]:
            num = rf"{sens:.2f}\cdot{prior:g}"
            st.latex(rf"P(D\mid +) = \frac{{{num}}}{{{num} + {fpr:.2f}\cdot{1 - prior:g}}} = {br.posterior:.3f}")
        st.info(T("bayes.story", sick=br.sick, tp=br.true_pos, healthy=10000 - br.sick, fp=br.false_pos,
                  pos=br.true_pos + br.false_pos, share=f"{100 * br.true_pos / max(1, br.true_pos + br.false_pos):.1f}"))
    except ValueError:
        st.error(T("bayes.undefined"))

    # ---- entropy, cross-entropy, KL
    st.divider()
    st.subheader(T("info.header"))
    st.caption(T("info.caption"))
    p_w, q_w = [], []
    c = st.columns(4)
    for i, name in enumerate(CLASSES):
        with c[i]:
            p_w.append(slider(f"pr_p{i}", f"p({name})", 0.0, 1.0, (0.6, 0.25, 0.1, 0.05)[i], 0.05))
            q_w.append(slider(f"pr_q{i}", f"q({name})", 0.0, 1.0, (0.25, 0.25, 0.25, 0.25)[i], 0.05))
    try:
        p, q = normalize(p_w), normalize(q_w)
    except ValueError:
        st.error(T("info.all_zero"))
        p, q = normalize([1.0] * 4), normalize([1.0] * 4)
        st.caption(T("info.fallback"))
    ours = info_by_hand(p, q)
    ref = info_by_torch(p, q)
    left, right = st.columns([2, 3])
    with left:
        pq_lines, pq_pts = [], []
        for label, dist, shift in (("p", p, -0.08), ("q", q, 0.08)):
            for i, v in enumerate(dist.tolist()):
                pq_lines += [{"x": i + shift, "y": 0.0, "group": label, "seg": f"{label}{i}", "order": 0},
                             {"x": i + shift, "y": v, "group": label, "seg": f"{label}{i}", "order": 1}]
                pq_pts.append({"x": i + shift, "y": v, "group": label})
        draw_chart(plane_spec(T("info.chart"), T("info.class_axis"), T("info.prob"), lines=pq_lines, points=pq_pts,
                              x_domain=(-0.5, 3.5), y_domain=(0, 1), color_title=T("info.legend"), height=280,
                              colors={"p": "#4C78A8", "q": "#F58518"}))
    with right:
        m = st.columns(3)
        m[0].metric("H(p)", fmt(ours["H_p"]))
        m[1].metric("H(q)", fmt(ours["H_q"]))
        m[2].metric("H(p, q)", fmt(ours["H_pq"]))
        m = st.columns(3)
        m[0].metric("KL(p‖q)", fmt(ours["KL_pq"]))
        m[1].metric("KL(q‖p)", fmt(ours["KL_qp"]))
        m[2].metric(T("info.gap"), fmt(abs(ours["KL_pq"] - ours["KL_qp"])) if math.isfinite(ours["KL_pq"] - ours["KL_qp"]) else "∞")
        if math.isinf(ours["KL_pq"]) or math.isinf(ours["KL_qp"]):
            st.warning(T("info.infinite"))
        elif abs(ours["KL_pq"] - ours["KL_qp"]) > 1e-9:
            st.info(T("info.asymmetric", a=f"{ours['KL_pq']:.4f}", b=f"{ours['KL_qp']:.4f}"))
        else:
            st.info(T("info.symmetric"))
        st.caption(T("info.identity"))

    # ---- softmax and cross-entropy
    st.divider()
    st.subheader(T("soft.header"))
    c = st.columns(6)
    logits = []
    for i, name in enumerate(CLASSES):
        with c[i]:
            logits.append(slider(f"pr_z{i}", T("soft.logit", c=name), -5.0, 5.0, (2.0, 1.0, 0.1, -1.0)[i], 0.1))
    with c[4]:
        temp = select_slider("pr_temp", T("soft.temp"), [0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0], 1.0)
    with c[5]:
        target = select("pr_target", T("soft.target"), list(range(4)), 0, format_func=lambda i: CLASSES[i])
    probs = softmax_with_temperature(logits, temp)
    ce = cross_entropy_check(logits, target, temp)
    left, right = st.columns([2, 3])
    with left:
        rows, pts = [], []
        for i, v in enumerate(probs.tolist()):
            g = T("soft.true") if i == target else T("soft.other")
            rows += [{"x": i, "y": 0.0, "group": g, "seg": f"s{i}", "order": 0}, {"x": i, "y": v, "group": g, "seg": f"s{i}", "order": 1}]
            pts.append({"x": i, "y": v, "group": g})
        draw_chart(plane_spec(T("soft.chart", t=temp), T("info.class_axis"), T("info.prob"), lines=rows, points=pts,
                              x_domain=(-0.5, 3.5), y_domain=(0, 1), color_title=T("info.legend"), height=280,
                              colors={T("soft.true"): "#54A24B", T("soft.other"): "#4C78A8"}))
    with right:
        m = st.columns(3)
        m[0].metric(T("soft.manual"), f"{ce['manual']:.5f}")
        m[1].metric("F.cross_entropy", f"{ce['torch']:.5f}")
        m[2].metric(T("soft.diff"), f"{abs(ce['manual'] - ce['torch']):.1e}")
        st.markdown(T("soft.explain", p=f"{probs[target]:.4f}", c=CLASSES[target]))
        st.caption(T("soft.temp_caption"))

with page.check:
    st.markdown(T("check.intro"))
    rows = [(T(f"check.{k}"), ours[k], ref[k]) for k in ("H_p", "H_q", "H_pq", "KL_pq", "KL_qp")]
    rows.append((T("check.ce"), ce["manual"], ce["torch"]))
    z = torch.tensor(logits, dtype=torch.float64) / temp
    rows += [(T("check.softmax", c=CLASSES[i]), float(probs[i]), float(torch.nn.functional.softmax(z, 0)[i])) for i in range(4)]

    def diff(o, r):
        return 0.0 if o == r else abs(o - r)

    st.dataframe(pd.DataFrame([{T("check.quantity"): q, T("check.ours"): o, T("check.library"): r, T("check.diff"): diff(o, r)}
                               for q, o, r in rows]), hide_index=True)
    st.caption(T("check.caption"))
    st.markdown(T("check.nb_head"))
    nb = cached_naive_bayes(0)
    c1, c2, c3 = st.columns(3)
    c1.metric(T("check.nb_diff"), f"{nb['max_proba_diff']:.1e}")
    c2.metric(T("check.nb_acc_ours"), f"{nb['accuracy_ours']:.1%}")
    c3.metric(T("check.nb_acc_sklearn"), f"{nb['accuracy_sklearn']:.1%}")

with page.code:
    st.markdown(T("code_intro"))
    show_code(samples_vs_density, running_moments, bayes, info_by_hand, info_by_torch, cross_entropy_check, fit_gaussian_nb,
              gaussian_nb_proba, naive_bayes_vs_sklearn)
