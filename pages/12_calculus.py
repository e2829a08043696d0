"""1.2 Calculus: tangents, autograd vs finite differences, the chain rule node by node, gradient fields."""

import pandas as pd
import streamlit as st
import torch

from app.charts import draw_chart, plane_spec
from app.code import show_code
from app.page import start_page
from app.widgets import select, slider, toggle
from core.calculus_demos import (
    BACKWARD_ORDER,
    FIELDS,
    FORWARD_ORDER,
    FUNCTIONS,
    analytic_derivative,
    best_step,
    central_difference,
    chain_rule_autograd,
    chain_rule_graph,
    curve_and_tangent,
    error_vs_step,
    gradient_at,
    gradient_field,
    graph_dot,
    sum_and_product_rules,
    value_and_grad,
)
from core.linalg_demos import arrow_rows

page = start_page(__file__)
T = page.T


@st.cache_data(max_entries=16, show_spinner=False)
def cached_field(name: str):
    return gradient_field(name, lim=3.5, n_field=36, n_arrows=11)


with page.play:
    # ---- derivative and tangent
    st.subheader(T("deriv.header"))
    c = st.columns(3)
    with c[0]:
        fname = select("ca_f", T("deriv.function"), list(FUNCTIONS), "sigmoid", format_func=lambda k: T(f"functions.{k}"))
    with c[1]:
        x0 = slider("ca_x0", T("deriv.point"), -3.0, 3.0, 1.0, 0.1)
    with c[2]:
        single = toggle("ca_f32", T("deriv.float32"), False)
    dtype = torch.float32 if single else torch.float64
    rows, y0, slope = curve_and_tangent(fname, x0)
    names = {"f(x)": T("deriv.curve"), "tangent": T("deriv.tangent")}
    lines = [{"x": r["x"], "y": r["y"], "group": names[r["curve"]], "seg": r["curve"], "order": i} for i, r in enumerate(rows)]
    point = [{"x": x0, "y": y0, "group": T("deriv.point_label")}]
    err_rows = error_vs_step(fname, x0, dtype)
    left, right = st.columns(2)
    with left:
        ys = [r["y"] for r in rows if r["curve"] == "f(x)"]
        pad = 0.1 * (max(ys) - min(ys) + 1e-9)
        draw_chart(plane_spec(T("deriv.chart", f=T(f"functions.{fname}")), "x", "f(x)", lines=lines, points=point,
                              y_domain=(min(ys) - pad, max(ys) + pad), color_title=T("deriv.legend"), height=320))
    with right:
        err_lines = [{"x": r["h"], "y": r["error"], "group": T(f"deriv.{r['scheme']}"), "seg": r["scheme"], "order": i}
                     for i, r in enumerate(err_rows)]
        if err_lines:
            draw_chart(plane_spec(T("deriv.err_chart"), T("deriv.h"), T("deriv.error"), lines=err_lines,
                                  points=[{"x": r["x"], "y": r["y"], "group": r["group"]} for r in err_lines],
                                  log_x=True, log_y=True, color_title=T("deriv.scheme"), height=320))
        else:
            st.info(T("deriv.no_error"))
    fd = central_difference(fname, x0, 1e-5 if not single else 1e-2, dtype)
    m = st.columns(4)
    m[0].metric("f(x₀)", f"{y0:.6g}")
    m[1].metric(T("deriv.autograd"), f"{slope:.6g}")
    m[2].metric(T("deriv.fd", h="1e-5" if not single else "1e-2"), f"{fd:.6g}", f"{fd - slope:+.1e}", delta_color="off")
    if err_rows:
        h_best, e_best = best_step(err_rows)
        m[3].metric(T("deriv.best_h"), f"{h_best:.0e}", f"{e_best:.1e}", delta_color="off")
    st.caption(T("deriv.err_caption"))
    if fname == "relu" and abs(x0) < 1e-9:
        st.warning(T("deriv.kink"))

    # ---- chain rule
    st.divider()
    st.subheader(T("chain.header"))
    st.caption(T("chain.caption"))
    c = st.columns(4)
    with c[0]:
        cx = slider("ca_cx", "x", -3.0, 3.0, 1.5, 0.1)
    with c[1]:
        cw = slider("ca_cw", "w", -3.0, 3.0, -0.8, 0.1)
    with c[2]:
        cb = slider("ca_cb", "b", -3.0, 3.0, 0.3, 0.1)
    with c[3]:
        cy = slider("ca_cy", T("chain.target"), 0.0, 1.0, 1.0, 0.1)
    step = slider("ca_step", T("chain.step"), 0, 14, 0)
    nodes = chain_rule_graph(cx, cw, cb, cy)
    st.graphviz_chart(graph_dot(nodes, step))
    by = {n.name: n for n in nodes}
    if step == 0:
        st.info(T("chain.start"))
    elif step <= 7:
        n = by[FORWARD_ORDER[step - 1]]
        st.info(T("chain.forward", name=n.name, formula=n.formula, value=f"{n.value:.4f}"))
    else:
        n = by[BACKWARD_ORDER[step - 8]]
        st.info(T("chain.backward", name=n.name, local=n.local, grad=f"{n.grad:.4f}"))
    if step == 14:
        st.success(T("chain.done"))

    # ---- gradient field
    st.divider()
    st.subheader(T("field.header"))
    c = st.columns(3)
    with c[0]:
        field_name = select("ca_field", T("field.function"), list(FIELDS), "poly", format_func=lambda k: T(f"fields.{k}"))
    with c[1]:
        p1 = slider("ca_p1", "x₁", -3.0, 3.0, 2.0, 0.5)
    with c[2]:
        p2 = slider("ca_p2", "x₂", -3.0, 3.0, 3.0, 0.5)
    field, arrows = cached_field(field_name)
    value, grad = gradient_at(field_name, p1, p2)
    norm = (grad[0] ** 2 + grad[1] ** 2) ** 0.5
    scale = 1.2 / norm if norm > 0 else 0.0
    here = T("field.at_point")
    arrows = arrows + arrow_rows((p1, p2), (p1 + scale * grad[0], p2 + scale * grad[1]), here, "here", 0.3)
    left, right = st.columns([3, 2])
    with left:
        draw_chart(plane_spec(T("field.chart", f=T(f"fields.{field_name}")), "x₁", "x₂", lines=arrows,
                              points=[{"x": p1, "y": p2, "group": here}], field=field, x_domain=(-3.7, 3.7), y_domain=(-3.7, 3.7),
                              color_title=T("field.legend"), field_title="f", height=420,
                              colors={"∇f": "#ffffff", here: "#e4572e"}))
    with right:
        st.latex(rf"f(x_1, x_2) = {T(f'fields_tex.{field_name}')}")
        st.latex(rf"\nabla f({p1:g},\ {p2:g}) = [{grad[0]:.4g},\ {grad[1]:.4g}]")
        st.metric(T("field.value"), f"{value:.4g}")
        st.metric(T("field.norm"), f"{norm:.4g}")
        st.caption(T("field.caption"))

with page.check:
    st.markdown(T("check.intro"))
    exact = analytic_derivative(fname, x0)
    ag = value_and_grad(fname, x0)[1]
    fd64 = central_difference(fname, x0, 1e-6)
    auto = chain_rule_autograd(cx, cw, cb, cy)
    h = 1e-6
    fd_grad = [(gradient_at(field_name, p1 + h, p2)[0] - gradient_at(field_name, p1 - h, p2)[0]) / (2 * h),
               (gradient_at(field_name, p1, p2 + h)[0] - gradient_at(field_name, p1, p2 - h)[0]) / (2 * h)]
    rows = [
        (T("check.formula", f=T(f"functions.{fname}")), exact, ag),
        (T("check.fd"), fd64, ag),
        *[(T("check.chain", v=v), by[v].grad, auto[v]) for v in ("x", "w", "b")],
        (T("check.partial", i=1), fd_grad[0], grad[0]),
        (T("check.partial", i=2), fd_grad[1], grad[1]),
        *[(T(f"check.{rule}_rule", x=f"{x0:g}"), *values) for rule, values in sum_and_product_rules(x0).items()],
    ]
    st.dataframe(pd.DataFrame([{T("check.quantity"): q, T("check.ours"): o, T("check.library"): r, T("check.diff"): abs(o - r)}
                               for q, o, r in rows]), hide_index=True)
    guide_value, guide_grad = gradient_at("poly", 2.0, 3.0)
    st.success(T("check.guide", g1=f"{guide_grad[0]:g}", g2=f"{guide_grad[1]:g}"))

with page.code:
    st.markdown(T("code_intro"))
    show_code(value_and_grad, central_difference, error_vs_step, chain_rule_graph, chain_rule_autograd, gradient_at, gradient_field)
