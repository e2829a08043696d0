"""3.1 MLP: a playground with a live decision boundary, universal approximation, and export."""

import pandas as pd
import streamlit as st

from app import widgets
from app.charts import BoundaryPainter, draw_chart, line_chart
from app.code import show_code
from app.controls import LR_CHOICES, WD_CHOICES, csv_uploader
from app.i18n import t
from app.page import start_page
from app.session import device, seed
from app.text import explain_md
from app.training import trained_job, trained_job_or_note, training_panel, why_untrained
from core.models import ACTIVATIONS
from core.playground import (
    DEFAULT,
    DEFAULT_TRAIN,
    FEATURE_TEX,
    FEATURES,
    MULTICLASS_SETS,
    SETS,
    TARGETS,
    Block,
    FeatureCross,
    PlaygroundConfig,
    PlaygroundNet,
    accuracy_vs_sklearn,
    approx_curve,
    approximator,
    boundary_grid,
    build_net,
    check_playground,
    count_parameters,
    cross_features,
    feature_check,
    load_points,
    make_approx_job,
    make_playground_job,
    parameter_formula,
    playground_splits,
)
from core.playground_export import export_script
from core.trainer import OPTIMIZERS, TrainConfig, fit

page = start_page(__file__)
T = page.T


def boundary_labels() -> dict[str, str]:
    return {k: T(f"boundary.{k}") for k in ("title", "x", "y", "cls", "split", "conf", "train", "test")}


def painter_for(job, data) -> BoundaryPainter:
    """One painter per training job, kept across polls so its throttle holds."""
    held = st.session_state.get("_mlp_painter")
    if held is None or held[0] != id(job):
        held = (id(job), BoundaryPainter(data, boundary_labels()))
        st.session_state["_mlp_painter"] = held
    return held[1]


def draw_boundary(job) -> None:
    draw_chart(painter_for(job, job.data).paint(job.model, len(job.records), final=job.done))


def draw_fit(job) -> None:
    curve = approx_curve(job.model, job.meta["target"])
    df = pd.concat([pd.DataFrame({"x": curve["x"], "y": curve["target"], "series": T("ua.target")}),
                    pd.DataFrame({"x": curve["x"], "y": curve["fit"], "series": T("ua.fit")})])
    draw_chart(line_chart(df, "x", "y", "series", T("ua.chart_title"), "x", "f(x)", height=300, color_title=T("ua.series")))


def playground_controls() -> tuple[PlaygroundConfig, TrainConfig, str]:
    st.markdown(T("play.data_head"))
    c1, c2, c3, c4 = st.columns(4)
    with c1:
        dataset = widgets.select("mlp_ds", t("common.dataset"), SETS + ("csv",), value=DEFAULT.dataset,
                                 format_func=lambda n: t(f"common.datasets.{n}"))
    with c2:
        n_classes = widgets.slider("mlp_k", T("labels.classes"), 2, 6, DEFAULT.n_classes,
                                   disabled=dataset not in MULTICLASS_SETS, help=T("labels.classes_help"))
        n_samples = widgets.slider("mlp_n", T("labels.n_samples"), 100, 2000, DEFAULT.n_samples, 50)
    with c3:
        noise = widgets.slider("mlp_noise", T("labels.noise"), 0.0, 0.6, DEFAULT.noise, 0.05)
    with c4:
        test_ratio = widgets.slider("mlp_test", T("labels.test_ratio"), 0.1, 0.6, DEFAULT.test_ratio, 0.05)
    st.markdown(T("play.features_head"))
    cols = st.columns(len(FEATURES))
    chosen = []
    for f, col in zip(FEATURES, cols):
        with col:
            if widgets.toggle(f"mlp_f_{f}", f"${FEATURE_TEX[f]}$", f in DEFAULT.features):
                chosen.append(f)
    chosen = tuple(chosen)
    st.markdown(T("play.net_head"))
    c1, c2, c3, c4 = st.columns(4)
    with c1:
        hidden = widgets.int_list("mlp_hidden", t("common.hidden"), DEFAULT.hidden, lo=1, hi=1024, max_len=12,
                                  help=T("labels.hidden_help"))
        activation = widgets.select("mlp_act", t("common.activation"), list(ACTIVATIONS), value=DEFAULT.activation)
    with c2:
        dropout = widgets.slider("mlp_dropout", t("common.dropout"), 0.0, 0.7, DEFAULT.dropout, 0.05)
        batch_norm = widgets.toggle("mlp_bn", t("common.batch_norm"), DEFAULT.batch_norm)
        residual = widgets.toggle("mlp_res", T("labels.residual"), DEFAULT.residual, help=T("labels.residual_help"))
    with c3:
        optimizer = widgets.select("mlp_opt", t("common.optimizer"), OPTIMIZERS, value=DEFAULT_TRAIN.optimizer,
                                   format_func=lambda o: t(f"common.optimizers.{o}"))
        lr = widgets.select_slider("mlp_lr", t("common.lr"), LR_CHOICES, value=DEFAULT_TRAIN.lr, format_func=lambda v: f"{v:g}")
        l2 = widgets.select_slider("mlp_l2", T("labels.l2"), WD_CHOICES, value=DEFAULT_TRAIN.weight_decay,
                                   format_func=lambda v: f"{v:g}")
    with c4:
        batch_size = widgets.select_slider("mlp_bs", t("common.batch_size"), (4, 8, 16, 32, 64, 128, 256, 512),
                                           value=DEFAULT_TRAIN.batch_size)
        epochs = widgets.slider("mlp_epochs", t("common.epochs"), 1, 1000, DEFAULT_TRAIN.num_epochs)
    cfg = PlaygroundConfig(dataset, n_samples, noise, n_classes, test_ratio, chosen, hidden, activation, dropout,
                           batch_norm, residual)
    train = TrainConfig(num_epochs=epochs, batch_size=batch_size, optimizer=optimizer, lr=lr, weight_decay=l2,
                        seed=seed(), device=str(device()))
    return cfg, train, dataset


def points_for(cfg: PlaygroundConfig, dataset: str):
    if dataset == "csv":
        st.caption(T("play.csv_hint"))
        return csv_uploader("mlp_")
    return load_points(cfg, seed=seed())


with page.play:
    cfg, train, dataset = playground_controls()
    ds = points_for(cfg, dataset)
    data = None
    if ds is not None:
        try:
            check_playground(cfg)
            data = playground_splits(ds, cfg.test_ratio, seed=seed())
        except ValueError as exc:
            st.error(T("play.bad", reason=explain_md(exc)))
    if data is not None:
        n_out = 1 if data.num_classes == 2 else data.num_classes
        counted = count_parameters(build_net(cfg, data))
        formula, rows = parameter_formula(cfg, n_out)
        m1, m2, m3 = st.columns(3)
        m1.metric(T("play.params"), f"{counted:,}", help=T("play.params_help"))
        m2.metric(T("play.layers"), f"{len(cfg.hidden)} × {max(cfg.hidden)}" if len(set(cfg.hidden)) == 1
                  else " → ".join(map(str, cfg.hidden)))
        m3.metric(T("play.points"), f"{len(data.y_train)} / {len(data.y_test)}", help=T("play.points_help"))
        st.caption(" + ".join(f"{n:,}" for _, n in rows) + f" = {formula:,}")
        job = training_panel("mlp", lambda: make_playground_job(cfg, train, ds), score_title=t("train.accuracy"),
                             live_extra=draw_boundary)
        st.caption(T("play.val_is_test"))
        if job is None:
            draw_chart(BoundaryPainter(data, boundary_labels()).paint(None, 0))

        with st.expander(T("export.title"), icon="📦"):
            script = export_script(cfg, train, data.num_classes)
            st.caption(T("export.caption"))
            st.code(script, language="python")
            st.download_button(T("export.download"), script, file_name="playground_mlp.py", mime="text/x-python",
                               key="mlp_export_dl", on_click="ignore")

    st.divider()
    st.subheader(T("ua.head"))
    st.markdown(T("ua.intro"))
    c1, c2, c3, c4 = st.columns(4)
    with c1:
        target = widgets.select("mlp_ua_fn", T("ua.function"), list(TARGETS), format_func=lambda n: T(f"ua.targets.{n}"))
    with c2:
        units = widgets.slider("mlp_ua_units", T("ua.units"), 1, 256, 16)
    with c3:
        ua_act = widgets.select("mlp_ua_act", t("common.activation"), ["tanh", "relu", "sigmoid", "gelu"])
    with c4:
        ua_epochs = widgets.slider("mlp_ua_epochs", t("common.epochs"), 10, 2000, 300, 10)
    ua_train = TrainConfig(num_epochs=ua_epochs, batch_size=32, optimizer="adam", lr=1e-2, seed=seed(), device=str(device()))
    st.caption(T("ua.params", n=count_parameters(approximator(units, ua_act)), units=units))
    training_panel("mlp_ua", lambda: make_approx_job(target, units, ua_act, ua_train), score_title=t("train.r2"),
                   button_label=T("ua.fit_button"), live_extra=draw_fit)

with page.check:
    st.markdown(T("check.features_head"))
    if data is None:
        st.info(T("check.need_data"))
    else:
        diffs = feature_check(data.X_train)
        c1, c2 = st.columns(2)
        c1.metric(T("check.poly"), f"{diffs['poly']:.2e}", help=T("check.poly_help"))
        c2.metric(T("check.sin"), f"{diffs['sin']:.2e}")
        st.markdown(T("check.params_head"))
        c1, c2, c3 = st.columns(3)
        c1.metric(T("check.formula"), f"{formula:,}")
        c2.metric(T("check.counted"), f"{counted:,}")
        c3.metric(t("common.difference"), f"{abs(formula - counted)}")
        st.markdown(T("check.export_head"))
        try:
            compile(script, "playground_mlp.py", "exec")
            st.success(T("check.export_ok", lines=script.count("\n")))
        except SyntaxError as exc:  # pragma: no cover - would be a bug in export_script
            st.error(str(exc))
    st.markdown(T("check.acc_head"))
    job = trained_job_or_note("mlp", T("check.need_run"))
    if job is not None:
        ours, ref = accuracy_vs_sklearn(job)
        c1, c2, c3 = st.columns(3)
        c1.metric(T("check.ours_acc"), f"{ours:.6f}")
        c2.metric(T("check.sk_acc"), f"{ref:.6f}")
        c3.metric(t("common.difference"), f"{abs(ours - ref):.2e}")
    ua = trained_job("mlp_ua")
    if ua is not None:
        st.caption(T("check.ua_r2", r2=f"{ua.records[-1].val_score:.4f}"))
    elif (ua_note := why_untrained("mlp_ua")) is not None:
        st.caption(ua_note)

with page.code:
    st.markdown(T("code_intro"))
    show_code(cross_features, FeatureCross, Block, PlaygroundNet, parameter_formula, make_playground_job, boundary_grid,
              BoundaryPainter, approximator, export_script, fit)
