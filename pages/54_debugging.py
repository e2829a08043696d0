"""5.4 Debugging and speed: gradient norms, failure cases, overfit one batch, profiler, checkpointing, AMP."""

from dataclasses import replace

import pandas as pd
import streamlit as st

from app import widgets
from app.charts import bar_chart, draw_chart, heatmap, line_chart
from app.code import show_code
from app.page import start_page
from app.session import device, seed
from app.training import finished_job, training_panel
from core.diagnostics import (
    FAILURES,
    SavedTensorMeter,
    clipping_rows,
    compare_checkpointing,
    compare_clipping,
    compare_precision,
    diagnose,
    failure_case,
    failure_job,
    grad_norm_reference,
    grad_norm_rows,
    init_weights,
    layer_grad_norms,
    linear_saved_bytes,
    measure_activation_memory,
    overfit_one_batch,
    profile_training_steps,
    segmented_forward,
    total_grad_norm,
)
from core.jobs import TrainingJob
from core.models import MLPConfig, build_model
from core.recipes import DIGITS_MLP, prepare_data
from core.trainer import TrainConfig, seed_everything

page = start_page(__file__)
T = page.T
RESULTS = "_dbg_results"


@st.cache_resource(show_spinner=False)
def digits(seed_: int):
    """Digits split 70/15/15 and scaled on train only (shared, read-only tensors)."""
    return prepare_data(replace(DIGITS_MLP, train=replace(DIGITS_MLP.train, seed=seed_)))


def results() -> dict:
    return st.session_state.setdefault(RESULTS, {})


def norm_heatmap(records, title_key: str) -> None:
    rows = grad_norm_rows(records)
    if not rows:
        st.info(T("grads.no_norms"))
        return
    draw_chart(heatmap(pd.DataFrame(rows), "epoch", "layer", "norm", T(title_key), T("labels.epoch"),
                       T("labels.layer"), T("labels.grad_norm"), scheme="viridis", log=True, height=260))


def mlp(in_features: int, hidden: tuple[int, ...], activation: str) -> MLPConfig:
    return MLPConfig(in_features, 10, hidden, activation)


def clip_comparison(config: TrainConfig, model_cfg: MLPConfig) -> None:
    """On request, the finished run's settings trained twice, clipped and unclipped, on one chart."""
    if st.button(T("clipcmp.run", clip=f"{config.clip_grad_norm:g}"), key="dbg_clip_cmp", icon="✂️"):
        with st.spinner(T("clipcmp.running", epochs=2 * config.num_epochs)):
            runs = compare_clipping(lambda: build_model(model_cfg), data, replace(config, device="cpu"))
        results()["clip"] = (config.clip_grad_norm, config.lr, runs)
    if "clip" not in results():
        return
    max_norm, lr, runs = results()["clip"]
    names = {"clipped": T("clipcmp.clipped", clip=f"{max_norm:g}"), "unclipped": T("clipcmp.unclipped")}
    curve = pd.DataFrame([{"epoch": r.epoch, "run": names[k], "loss": r.val_loss}
                          for k, records in runs.items() for r in records if r.val_loss == r.val_loss])
    draw_chart(line_chart(curve, "epoch", "loss", "run", T("clipcmp.title", lr=f"{lr:g}"), T("labels.epoch"),
                          T("clipcmp.val_loss"), log_y=True, color_title=T("clipcmp.run_label"), points=True))
    cols = st.columns(2)
    for col, key in zip(cols, ("clipped", "unclipped")):
        last = runs[key][-1]
        if last.stop_reason == "diverged":
            col.metric(names[key], T("clipcmp.diverged", epoch=last.epoch))
        else:
            col.metric(names[key], f"{last.val_score:.1%}", help=T("clipcmp.acc_help", loss=f"{last.val_loss:.3f}"))
    st.caption(T("clipcmp.caption"))


data = digits(seed())
n_features = data.X_train.shape[1]

with page.play:
    # --- 1. gradient norms per layer, and clipping ----------------------------------------------
    st.subheader(T("grads.header"))
    st.caption(T("grads.caption"))
    c1, c2, c3 = st.columns(3)
    with c1:
        activation = widgets.select("dbg_act", T("labels.activation"), ["relu", "tanh", "sigmoid"],
                                    format_func=lambda a: T(f"activations.{a}"))
        depth = widgets.slider("dbg_depth", T("labels.depth"), 1, 8, 4)
    with c2:
        lr = widgets.select_slider("dbg_lr", T("labels.lr"), (1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0), 0.1,
                                   format_func=lambda v: f"{v:g}")
        epochs = widgets.slider("dbg_epochs", T("labels.epochs"), 1, 40, 10)
    with c3:
        clip = widgets.select_slider("dbg_clip", T("labels.clip"), (0.0, 0.1, 0.5, 1.0, 2.0, 5.0), 0.5,
                                     format_func=lambda v: f"{v:g}" if v else T("labels.off"))
    grads_cfg = mlp(n_features, (64,) * depth, activation)
    grads_train = TrainConfig(num_epochs=epochs, batch_size=64, optimizer="momentum", lr=lr, clip_grad_norm=clip,
                              track_layer_grads=True, seed=seed(), device=str(device()))
    training_panel("dbg_grads", lambda: TrainingJob(lambda: build_model(grads_cfg), data, grads_train,
                                                    meta={"page": "54_debugging"}),
                   score_title=T("labels.accuracy"))
    job = finished_job("dbg_grads")
    if job is not None:
        norm_heatmap(job.records, "grads.heatmap_title")
        used_clip = job.config.clip_grad_norm
        rows = clipping_rows(job.records, used_clip)
        names = {"before": T("grads.before"), "after": T("grads.after")}
        long = pd.DataFrame([{"epoch": r["epoch"], "series": names[k], "norm": r[k]} for r in rows for k in names])
        draw_chart(line_chart(long, "epoch", "norm", "series", T("grads.clip_title"), T("labels.epoch"),
                              T("labels.total_norm"), log_y=True, color_title=T("labels.series")))
        if used_clip > 0:
            clipped = sum(r["scale"] < 1 for r in rows)
            mean_scale = sum(r["scale"] for r in rows) / len(rows)
            st.caption(T("grads.clip_summary", clip=f"{used_clip:g}", clipped=clipped, total=len(rows),
                         scale=f"{mean_scale:.2f}"))
        else:
            st.caption(T("grads.no_clip"))
        clip_comparison(job.config if used_clip > 0 else replace(job.config, clip_grad_norm=clip or 1.0), grads_cfg)

    st.divider()
    # --- 2. failure switches ----------------------------------------------------------------------
    st.subheader(T("fail.header"))
    st.caption(T("fail.caption"))
    f1, f2 = st.columns([3, 1])
    with f1:
        case_name = widgets.select("dbg_case", T("labels.case"), list(FAILURES), radio=True, horizontal=True,
                                   format_func=lambda c: T(f"cases.{c}.name"))
    with f2:
        fail_epochs = widgets.slider("dbg_fail_epochs", T("labels.epochs"), 1, 30, 8)
    case = failure_case(case_name, n_features, 10, TrainConfig(num_epochs=fail_epochs, seed=seed(), device=str(device())))
    st.markdown(T("fail.settings", opt=case.config.optimizer, lr=f"{case.config.lr:g}",
                  hidden=" × ".join(map(str, case.model.hidden)), act=case.model.activation, init=case.init))
    training_panel("dbg_fail", lambda: failure_job(case, data, page="54_debugging"), score_title=T("labels.accuracy"))
    fail = finished_job("dbg_fail")
    if fail is not None:
        ran = fail.meta.get("failure", case_name)
        verdict = diagnose(fail.records)
        box = st.success if verdict == "healthy" else st.warning
        box(f"**{T(f'cases.{ran}.name')}** · {T(f'diagnosis.{verdict}')}")
        st.caption(T(f"cases.{ran}.why"))
        norm_heatmap(fail.records, "fail.heatmap_title")

    st.divider()
    # --- 3. overfit one batch ---------------------------------------------------------------------
    st.subheader(T("overfit.header"))
    st.caption(T("overfit.caption"))
    o1, o2, o3 = st.columns(3)
    with o1:
        ob_size = widgets.select_slider("dbg_ob_bs", T("labels.batch"), (8, 16, 32, 64), 32)
    with o2:
        ob_lr = widgets.select_slider("dbg_ob_lr", T("labels.lr"), (1e-4, 1e-3, 3e-3, 1e-2), 3e-3, format_func=lambda v: f"{v:g}")
    with o3:
        ob_act = widgets.select("dbg_ob_act", T("labels.activation"), ["relu", "tanh", "sigmoid"],
                                format_func=lambda a: T(f"activations.{a}"))
    if st.button(T("overfit.run"), key="dbg_ob_run", icon="🎯"):
        seed_everything(seed())
        model = build_model(mlp(n_features, (64, 64), ob_act))
        results()["overfit"] = (ob_size, overfit_one_batch(model, data, ob_size, max_steps=400, lr=ob_lr, seed=seed()))
    if "overfit" in results():
        size, losses = results()["overfit"]
        curve = pd.DataFrame({"step": range(1, len(losses) + 1), "loss": [max(v, 1e-6) for v in losses]})
        m1, m2 = st.columns(2)
        m1.metric(T("overfit.final"), f"{losses[-1]:.4f}")
        m2.metric(T("overfit.steps"), len(losses))
        (st.success if losses[-1] < 0.05 else st.warning)(
            T("overfit.ok" if losses[-1] < 0.05 else "overfit.bad", n=size, steps=len(losses)))
        draw_chart(line_chart(curve, "step", "loss", None, T("overfit.chart"), T("labels.step"), T("labels.loss"), log_y=True))

    st.divider()
    # --- 4. profiler ------------------------------------------------------------------------------
    st.subheader(T("prof.header"))
    st.caption(T("prof.caption"))
    p1, p2 = st.columns(2)
    with p1:
        prof_bs = widgets.select_slider("dbg_prof_bs", T("labels.batch"), (32, 64, 128, 256, 512), 128)
    with p2:
        prof_width = widgets.select_slider("dbg_prof_w", T("labels.width"), (32, 64, 128, 256, 512), 128)
    if st.button(T("prof.run"), key="dbg_prof_run", icon="⏱️"):
        seed_everything(seed())
        model = build_model(mlp(n_features, (prof_width, prof_width), "relu"))
        results()["profile"] = profile_training_steps(model, data.X_train[:prof_bs], data.y_train[:prof_bs], "multiclass")
    if "profile" in results():
        summary = results()["profile"]
        table = pd.DataFrame(summary.rows).rename(columns={
            "op": T("prof.op"), "calls": T("prof.calls"), "self_cpu_ms": T("prof.self_ms"), "total_cpu_ms": T("prof.total_ms")})
        st.dataframe(table, hide_index=True, width="stretch",
                     column_config={T("prof.self_ms"): st.column_config.NumberColumn(format="%.3f"),
                                    T("prof.total_ms"): st.column_config.NumberColumn(format="%.3f")})
        st.caption(T("prof.table_caption", steps=summary.steps))
        st.download_button(T("prof.download"), summary.trace, file_name="trace.json", mime="application/json",
                           key="dbg_trace", on_click="ignore", icon="⬇️")

    st.divider()
    # --- 5. gradient checkpointing ---------------------------------------------------------------
    st.subheader(T("ckpt.header"))
    st.caption(T("ckpt.caption"))
    k1, k2, k3, k4 = st.columns(4)
    with k1:
        ck_depth = widgets.slider("dbg_ck_depth", T("labels.depth"), 4, 32, 16)
    with k2:
        ck_width = widgets.select_slider("dbg_ck_w", T("labels.width"), (64, 128, 256, 512), 256)
    with k3:
        ck_bs = widgets.select_slider("dbg_ck_bs", T("labels.batch"), (64, 128, 256, 512), 256)
    with k4:
        ck_seg = widgets.slider("dbg_ck_seg", T("labels.segments"), 2, 8, 4)
    if st.button(T("ckpt.run"), key="dbg_ck_run", icon="💾"):
        results()["ckpt"] = compare_checkpointing(ck_depth, ck_width, ck_bs, ck_seg, seed=seed())
    if "ckpt" in results():
        off, on = results()["ckpt"]
        label = {False: T("ckpt.off"), True: T("ckpt.on")}
        df = pd.DataFrame([{"mode": label[m.checkpointed], "mib": m.activation_bytes / 2**20, "ms": m.seconds * 1e3}
                           for m in (off, on)])
        b1, b2 = st.columns(2)
        with b1:
            draw_chart(bar_chart(df, "mode", "mib", T("ckpt.mem_title"), T("labels.mode"), T("labels.mib"), value_format=".2f"))
        with b2:
            draw_chart(bar_chart(df, "mode", "ms", T("ckpt.time_title"), T("labels.mode"), T("labels.ms"), value_format=",.0f"))
        st.caption(T("ckpt.summary", saved=f"{1 - on.activation_bytes / max(off.activation_bytes, 1):.0%}",
                     slower=f"{on.seconds / max(off.seconds, 1e-9):.2f}"))

    st.divider()
    # --- 6. mixed precision ----------------------------------------------------------------------
    st.subheader(T("amp.header"))
    st.caption(T("amp.caption"))
    a1, a2 = st.columns(2)
    with a1:
        amp_width = widgets.select_slider("dbg_amp_w", T("labels.width"), (64, 128, 256, 512), 256)
    with a2:
        amp_epochs = widgets.slider("dbg_amp_epochs", T("labels.epochs"), 1, 10, 3)
    if st.button(T("amp.run"), key="dbg_amp_run", icon="⚡"):
        amp_cfg = mlp(n_features, (amp_width, amp_width), "relu")
        amp_train = TrainConfig(num_epochs=amp_epochs, batch_size=64, lr=1e-3, seed=seed(), device=str(device()))
        with st.spinner(T("amp.running")):
            results()["amp"] = compare_precision(lambda: build_model(amp_cfg), data, amp_train)
    if "amp" in results():
        runs = results()["amp"]
        df = pd.DataFrame([{"precision": r.precision, "speed": r.samples_per_s, "acc": r.val_accuracy} for r in runs])
        b1, b2 = st.columns(2)
        with b1:
            draw_chart(bar_chart(df, "precision", "speed", T("amp.speed_title"), T("labels.precision"), T("labels.speed"),
                                 value_format=".0f"))
        with b2:
            draw_chart(bar_chart(df, "precision", "acc", T("amp.acc_title"), T("labels.precision"), T("labels.accuracy"),
                                 value_format=".1%"))
        st.caption(T("amp.summary", half=runs[1].precision, ratio=f"{runs[1].samples_per_s / max(runs[0].samples_per_s, 1e-9):.2f}",
                     gap=f"{abs(runs[1].val_accuracy - runs[0].val_accuracy):.1%}"))


@st.cache_data(show_spinner=False)
def grad_norm_check(seed_: int) -> dict:
    seed_everything(seed_)
    return grad_norm_reference(build_model(mlp(n_features, (32, 32), "tanh")), digits(seed_))


@st.cache_data(show_spinner=False)
def linear_memory_check(batch: int, fan_in: int, fan_out: int) -> dict:
    return linear_saved_bytes(batch, fan_in, fan_out)


with page.check:
    st.markdown(T("check.norms_intro"))
    chk = grad_norm_check(seed())
    table = pd.DataFrame(chk["rows"])
    table["max |diff|"] = (table[["ours", "manual", "trainer"]].max(axis=1) - table[["ours", "manual", "trainer"]].min(axis=1))
    st.dataframe(table.rename(columns={"layer": T("labels.layer"), "ours": T("check.ours"), "manual": T("check.manual"),
                                       "trainer": T("check.trainer")}), hide_index=True, width="stretch")
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(T("check.total_ours"), f"{chk['total']:.6f}")
    c2.metric("get_total_norm", f"{chk['lib_total']:.6f}")
    c3.metric("clip_grad_norm_", f"{chk['clip_total']:.6f}")
    c4.metric(T("check.total_trainer"), f"{chk['trainer_total']:.6f}")
    worst = max(abs(chk["total"] - chk["lib_total"]), abs(chk["total"] - chk["clip_total"]),
                abs(chk["total"] - chk["trainer_total"]), float(table["max |diff|"].max()))
    st.metric(T("check.max_diff"), f"{worst:.2e}")
    st.caption(T("check.norms_caption"))

    st.markdown(T("check.mem_intro"))
    m1, m2, m3 = st.columns(3)
    with m1:
        lb = widgets.slider("dbg_chk_b", T("labels.batch"), 1, 256, 32)
    with m2:
        lin = widgets.slider("dbg_chk_in", T("check.fan_in"), 1, 512, 64)
    with m3:
        lout = widgets.slider("dbg_chk_out", T("check.fan_out"), 1, 512, 10)
    mem = linear_memory_check(lb, lin, lout)
    n1, n2, n3, n4 = st.columns(4)
    n1.metric(T("check.act_measured"), f"{mem['act']:,} B", help=T("check.act_expected", b=lb, n=lin))
    n2.metric(T("check.act_known"), f"{mem['x']:,} B")
    n3.metric(T("check.param_measured"), f"{mem['param']:,} B")
    n4.metric(T("check.param_known"), f"{mem['w']:,} B", help=T("check.param_expected", o=lout, n=lin))
    (st.success if mem["act"] == mem["x"] and mem["param"] == mem["w"] else st.error)(
        T("check.mem_verdict", count=mem["count"], diff=abs(mem["act"] - mem["x"]) + abs(mem["param"] - mem["w"])))

with page.code:
    st.markdown(T("code_intro"))
    show_code(layer_grad_norms, total_grad_norm, grad_norm_reference, compare_clipping, failure_case, init_weights,
              diagnose, overfit_one_batch, profile_training_steps, SavedTensorMeter, linear_saved_bytes,
              segmented_forward, measure_activation_memory, compare_precision)
