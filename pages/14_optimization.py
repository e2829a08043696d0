"""1.4 Optimization: torch.optim optimizers race on 2-D surfaces; divergence; learning-rate schedules."""

import math

import numpy as np
import pandas as pd
import streamlit as st

from app.charts import draw_chart, line_chart, plane_spec
from app.code import show_code
from app.page import start_page
from app.widgets import select, select_slider, slider, toggle
from core.optim_demos import (
    ADAPTIVE,
    OPTIMIZERS,
    SCHEDULES,
    SURFACES,
    TWO_VALLEYS_CRITICAL,
    adam_by_hand,
    adam_step_,
    adam_steps_axis_vs_rotated,
    classify_critical_point,
    contour_field,
    cosine_by_hand,
    lr_schedule,
    momentum_by_hand,
    momentum_ema_by_hand,
    race,
    run_optimizer,
    sgd_stable_lr,
    steps_to_reach,
    torch_race,
)

page = start_page(__file__)
T = page.T
COLORS = {"sgd": "#e45756", "momentum": "#f58518", "nesterov": "#eeca3b", "rmsprop": "#54a24b", "adam": "#4c78a8", "adamw": "#b279a2"}
LR_PLAIN = [1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0]
LR_ADAPTIVE = [1e-3, 3e-3, 0.01, 0.03, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0]
DEFAULT_LR = {"bowl": (0.05, 0.1), "rotated_bowl": (0.05, 0.1), "rosenbrock": (0.001, 0.05), "saddle": (0.05, 0.05),
              "two_valleys": (0.03, 0.05), "himmelblau": (0.01, 0.1)}
BOWLS = ("bowl", "rotated_bowl")


@st.cache_data(max_entries=64, show_spinner=False)
def cached_group(surface, group, lr, steps, kappa):
    return race(surface, group, lr, lr, steps, kappa)


def cached_race(surface, lr_plain, lr_adaptive, steps, kappa):
    """All six optimizers, whichever are shown: each path is independent of the others, so switching
    one on or off only picks from the cached runs, and each lr slider reruns only the three that read it."""
    plain = tuple(o for o in OPTIMIZERS if o not in ADAPTIVE)
    return cached_group(surface, plain, lr_plain, steps, kappa) + cached_group(surface, ADAPTIVE, lr_adaptive, steps, kappa)


# Adam's check reads only the adaptive lr and momentum's only the plain one, so each lr slider reruns one of them
@st.cache_data(max_entries=32, show_spinner=False)
def cached_adam_check(surface, lr_adaptive, steps, kappa):
    return adam_by_hand(surface, lr_adaptive, steps, kappa), run_optimizer(surface, "adam", lr_adaptive, steps, kappa).path


@st.cache_data(max_entries=32, show_spinner=False)
def cached_momentum_check(surface, lr_plain, steps, kappa):
    return (momentum_by_hand(surface, lr_plain, steps, kappa), run_optimizer(surface, "momentum", lr_plain, steps, kappa).path,
            momentum_ema_by_hand(surface, lr_plain / (1 - 0.9), steps, kappa))


@st.cache_data(max_entries=32, show_spinner=False)
def cached_rotation(kappa, lr):
    return adam_steps_axis_vs_rotated(kappa, lr)


@st.cache_data(max_entries=64, show_spinner=False)
def cached_schedule(name, total, base_lr, warmup):
    return lr_schedule(name, total, base_lr, warmup, step_size=max(1, total // 3))


def cached_schedules(total, base_lr, warmup):
    # only the warm-up schedule reads `warmup`, so moving it leaves the other four curves in the cache
    return {name: cached_schedule(name, total, base_lr, warmup if name == "warmup_cosine" else 0) for name in SCHEDULES}


@st.cache_data(max_entries=16, show_spinner=False)
def cached_field(surface, kappa):
    return contour_field(surface, kappa)


with page.play:
    st.subheader(T("race.header"))
    c = st.columns([2, 2, 2, 2])
    with c[0]:
        surface = select("op_surface", T("race.surface"), list(SURFACES), "bowl", format_func=lambda k: T(f"surfaces.{k}"))
    kappa = 10.0
    with c[1]:
        if surface in BOWLS:
            kappa = float(slider("op_kappa", T("race.kappa"), 1, 100, 10))
        else:
            st.caption(T(f"notes.{surface}"))
    d_plain, d_adaptive = DEFAULT_LR[surface]
    with c[2]:
        lr_plain = select_slider(f"op_lr_{surface}", T("race.lr_plain"), LR_PLAIN, d_plain, format_func=lambda v: f"{v:g}")
    with c[3]:
        lr_adaptive = select_slider(f"op_lra_{surface}", T("race.lr_adaptive"), LR_ADAPTIVE, d_adaptive, format_func=lambda v: f"{v:g}")
    c = st.columns(7)
    chosen = []
    for i, name in enumerate(OPTIMIZERS):
        with c[i]:
            if toggle(f"op_use_{name}", T(f"optimizers.{name}"), True):
                chosen.append(name)
    with c[6]:
        steps = slider("op_steps", T("race.steps"), 10, 300, 150, 10)
    if not chosen:
        st.info(T("race.none"))
        st.stop()
    runs = [run for run in cached_race(surface, lr_plain, lr_adaptive, steps, kappa) if run.optimizer in chosen]
    s = SURFACES[surface]
    field = cached_field(surface, kappa)
    lines, pts = [], []
    for run in runs:
        label = T(f"optimizers.{run.optimizer}")
        lines += [{"x": float(x), "y": float(y), "group": label, "seg": run.optimizer, "order": i} for i, (x, y) in enumerate(run.path)]
    pts.append({"x": s.start[0], "y": s.start[1], "group": T("race.start")})
    pts.append({"x": s.minimum[0], "y": s.minimum[1], "group": T("race.minimum")})
    colors = {T(f"optimizers.{o}"): COLORS[o] for o in chosen} | {T("race.start"): "#000000", T("race.minimum"): "#ffffff"}
    left, right = st.columns([3, 2])
    with left:
        draw_chart(plane_spec(T("race.chart", s=T(f"surfaces.{surface}")), "x", "y", lines=lines, points=pts, field=field,
                              x_domain=s.x_range, y_domain=s.y_range, color_title=T("race.legend"),
                              field_title=T("race.log_f") if s.log_contours else "f", height=430, colors=colors))
    with right:
        log_loss = surface != "saddle"
        loss_rows = []
        for run in runs:
            label = T(f"optimizers.{run.optimizer}")
            for i, v in enumerate(run.losses):
                if math.isfinite(v) and abs(v) < 1e8:
                    loss_rows.append({"x": i, "y": max(v, 1e-12) if log_loss else v, "group": label, "seg": run.optimizer, "order": i})
        draw_chart(plane_spec(T("race.loss_chart"), T("race.step"), T("race.loss_log") if log_loss else T("race.loss"),
                              lines=loss_rows, log_y=log_loss, color_title=T("race.legend"), height=430,
                              colors={T(f"optimizers.{o}"): COLORS[o] for o in chosen}))
    table = []
    for run in runs:
        reached = steps_to_reach(run, surface) if surface != "himmelblau" else None
        if run.diverged_at is not None:
            status = T("race.status_diverged", step=run.diverged_at)
        elif reached is not None:
            status = T("race.status_reached", step=reached)
        else:
            status = T("race.status_running")
        final = run.losses[-1]
        table.append({T("race.optimizer"): T(f"optimizers.{run.optimizer}"), "lr": f"{run.lr:g}",
                      T("race.final_loss"): f"{final:.3e}" if math.isfinite(final) else "∞",
                      T("race.final_point"): f"({run.path[-1][0]:.3g}, {run.path[-1][1]:.3g})", T("race.status"): status})
    st.dataframe(pd.DataFrame(table), hide_index=True)
    diverged = [r for r in runs if r.diverged_at is not None]
    if diverged:
        names = ", ".join(f"{T(f'optimizers.{r.optimizer}')} (lr = {r.lr:g}, {T('race.step').lower()} {r.diverged_at})" for r in diverged)
        st.error(T("race.diverged", names=names))
        if surface in BOWLS:
            st.markdown(T("race.why_bowl", kappa=f"{kappa:g}", limit=f"{sgd_stable_lr(kappa):.3g}"))
        else:
            st.markdown(T("race.why_general"))
    elif surface in BOWLS:
        st.caption(T("race.bowl_hint", kappa=f"{kappa:g}", limit=f"{sgd_stable_lr(kappa):.3g}"))
    if surface == "himmelblau":
        st.caption(T("race.himmelblau_hint"))
    if surface == "two_valleys":
        st.markdown(f"**{T('critical.header')}**")
        crit = [classify_critical_point(surface, p) for p in TWO_VALLEYS_CRITICAL]
        st.dataframe(pd.DataFrame({T("critical.point"): [f"({x:.3f}, {y:g})" for x, y in TWO_VALLEYS_CRITICAL],
                                   "f": [round(c["value"], 4) for c in crit],
                                   T("critical.eigenvalues"): [", ".join(f"{e:.2f}" for e in c["eigenvalues"]) for c in crit],
                                   T("critical.kind"): [T(f"critical.kinds.{c['kind']}") for c in crit]}), hide_index=True)
        st.caption(T("critical.caption"))

    # ---- does Adam remove κ? only along the axes
    if surface in BOWLS:
        st.markdown(f"**{T('rotation.header')}**")
        counts = cached_rotation(kappa, lr_adaptive)
        m1, m2 = st.columns(2)
        for col, name in ((m1, "bowl"), (m2, "rotated_bowl")):
            n = counts[name]
            col.metric(T(f"rotation.{name}"), T("rotation.never") if n is None else str(n))
        st.caption(T("rotation.caption", kappa=f"{kappa:g}", lr=f"{lr_adaptive:g}"))

    # ---- schedules
    st.divider()
    st.subheader(T("sched.header"))
    c = st.columns(3)
    with c[0]:
        total = slider("op_total", T("sched.total"), 20, 500, 100, 10)
    with c[1]:
        base_lr = select_slider("op_base_lr", T("sched.base_lr"), [0.001, 0.01, 0.1, 1.0], 0.1, format_func=lambda v: f"{v:g}")
    with c[2]:
        warmup = slider("op_warmup", T("sched.warmup"), 1, 50, 10)
    rows = []
    for name, lrs in cached_schedules(total, base_lr, warmup).items():
        label = T(f"schedules.{name}")
        rows += [{"step": i, "lr": lr, "schedule": label} for i, lr in enumerate(lrs)]
    draw_chart(line_chart(pd.DataFrame(rows), "step", "lr", "schedule", T("sched.chart"), T("race.step"), T("sched.lr"),
                          height=300, color_title=T("sched.legend")))
    st.caption(T("sched.caption"))

with page.check:
    st.markdown(T("check.intro"))
    check_steps = min(steps, 100)
    lr_a = lr_adaptive
    ours_adam, torch_adam = cached_adam_check(surface, lr_a, check_steps, kappa)
    ours_mom, torch_mom, ema_mom = cached_momentum_check(surface, lr_plain, check_steps, kappa)
    race_paths = {run.optimizer: run.path for run in cached_race(surface, lr_plain, lr_adaptive, steps, kappa)}
    race_adam, race_mom = race_paths["adam"], race_paths["momentum"]
    cos_torch = np.array(cached_schedules(total, base_lr, warmup)["cosine"])
    cos_ours = np.array(cosine_by_hand(total, base_lr))

    def path_diff(a, b):
        n = min(len(a), len(b))
        d = np.abs(a[:n] - b[:n])
        return float(np.nanmax(d)) if np.isfinite(d).any() else float("nan")

    rows = [
        {T("check.what"): T("check.adam", n=check_steps, lr=f"{lr_a:g}"), T("check.final_ours"): str(np.round(ours_adam[-1], 6)),
         T("check.final_torch"): str(np.round(torch_adam[-1], 6)), T("check.diff"): path_diff(ours_adam, torch_adam)},
        {T("check.what"): T("check.momentum", n=check_steps, lr=f"{lr_plain:g}"), T("check.final_ours"): str(np.round(ours_mom[-1], 6)),
         T("check.final_torch"): str(np.round(torch_mom[-1], 6)), T("check.diff"): path_diff(ours_mom, torch_mom)},
        {T("check.what"): T("check.momentum_ema", n=check_steps, lr=f"{lr_plain:g}", lr_ema=f"{lr_plain / 0.1:g}"),
         T("check.final_ours"): str(np.round(ema_mom[-1], 6)), T("check.final_torch"): str(np.round(torch_mom[-1], 6)),
         T("check.diff"): path_diff(ema_mom, torch_mom)},
        {T("check.what"): T("check.race", n=check_steps), T("check.final_ours"): str(np.round(race_adam[:check_steps + 1][-1], 6)),
         T("check.final_torch"): str(np.round(torch_adam[-1], 6)),
         T("check.diff"): max(path_diff(race_adam[:check_steps + 1], torch_adam), path_diff(race_mom[:check_steps + 1], torch_mom))},
        {T("check.what"): T("check.cosine", n=total), T("check.final_ours"): f"{cos_ours[-1]:.6g}",
         T("check.final_torch"): f"{cos_torch[-1]:.6g}", T("check.diff"): float(np.abs(cos_ours - cos_torch).max())},
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True)
    st.caption(T("check.caption"))

with page.code:
    st.markdown(T("code_intro"))
    show_code(race, adam_step_, run_optimizer, torch_race, steps_to_reach, adam_by_hand, momentum_ema_by_hand, adam_steps_axis_vs_rotated,
              classify_critical_point, lr_schedule)
