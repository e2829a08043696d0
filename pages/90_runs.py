"""9.0 Runs: the history of every training run; compare, export, delete and reopen runs."""

import time

import altair as alt
import pandas as pd
import streamlit as st

from app import runs as run_store
from app import widgets
from app.charts import draw_chart, line_chart, scatter_chart
from app.i18n import current_lang, page_t, t
from app.text import escape_md
from core.run_compare import export_rows, settings_diff, varying_settings
from core.runstore import EPOCH_FIELDS, flatten

STEM = "90_runs"
METRICS = ("best_val_loss", "max_val_score", "best_val_score", "final_val_loss", "final_train_loss", "final_val_score",
           "best_epoch", "seconds_per_epoch", "duration", "epochs_done")
CURVES = ("val_loss", "train_loss", "val_score", "train_score", "lr", "grad_norm")

current_lang()
T = page_t(STEM)
st.title(f"{T('icon')} {T('title')}")
st.caption(T("lead"))

problem = run_store.unavailable()
if problem:  # the database is down: say so plainly, training elsewhere still works
    st.error(T("store_down", error=escape_md(problem)))
    st.stop()
store = run_store.store()
if store.notice:
    st.warning(T("store_notice", notice=store.notice))
scope = run_store.scope()
if scope is not None:
    st.caption(T("hosted_scope"))

all_runs = store.runs(session=scope)
if not all_runs:
    st.info(T("empty"))
    training = run_store.page_file("52_training")
    try:
        st.page_link(str(training), label=T("go_train"), icon="▶")
    except Exception:  # run alone, outside the app's navigation (a test): no page to link to
        pass
    st.stop()


def page_title(stem: str) -> str:
    title = t(f"{stem}.title")
    return stem if title.startswith("⟨") else title


def metric_value(run, metric: str):
    if metric == "duration":
        return run.duration
    if metric == "epochs_done":
        return run.epochs_done
    return run.metrics.get(metric)


def run_label(run) -> str:
    return T("labels.run_label", id=run.id, page=page_title(run.page), dataset=run.dataset or "—", model=run.model or "—")


# --- filter and sort -------------------------------------------------------------------------
ALL = "*"
c1, c2, c3, c4 = st.columns([1, 1, 1.2, 0.6])
with c1:
    pages = [ALL] + sorted({r.page for r in all_runs})
    page_filter = widgets.select("rn_page", T("labels.page"), pages, format_func=lambda p: T("labels.all") if p == ALL
                                 else page_title(p))
with c2:
    datasets = [ALL] + sorted({r.dataset for r in all_runs})
    ds_filter = widgets.select("rn_ds", T("labels.dataset"), datasets,
                               format_func=lambda d: T("labels.all") if d == ALL else d)
with c3:
    sort_by = widgets.select("rn_sort", T("labels.sort"), ("id",) + METRICS,
                             format_func=lambda m: T("columns.id") if m == "id" else T(f"metrics.{m}"))
with c4:
    best_first = widgets.toggle("rn_best", T("labels.best_first"), value=True, help=T("labels.best_first_help"))

LOWER_IS_BETTER = {"best_val_loss", "final_val_loss", "final_train_loss", "seconds_per_epoch", "duration", "best_epoch"}
shown = [r for r in all_runs if page_filter in (ALL, r.page) and ds_filter in (ALL, r.dataset)]
if sort_by == "id":
    shown.sort(key=lambda r: r.id, reverse=best_first)  # "best" = newest
else:  # runs without the metric go last whatever the direction
    ascending = (sort_by in LOWER_IS_BETTER) == best_first
    have = [r for r in shown if metric_value(r, sort_by) is not None]
    have.sort(key=lambda r: metric_value(r, sort_by), reverse=not ascending)
    shown = have + [r for r in shown if metric_value(r, sort_by) is None]
by_id = {r.id: r for r in shown}

table = pd.DataFrame([{
    T("columns.id"): r.id,
    T("columns.when"): time.strftime("%m-%d %H:%M", time.localtime(r.created_at)),
    T("columns.page"): page_title(r.page),
    T("columns.dataset"): r.dataset,
    T("columns.model"): r.model,
    T("columns.status"): T(f"status.{r.status}") if not t(f"{STEM}.status.{r.status}").startswith("⟨") else r.status,
    T("columns.epochs"): f"{r.epochs_done}/{r.num_epochs}",
    **{T(f"metrics.{m}"): metric_value(r, m) for m in ("best_val_loss", "max_val_score", "final_train_loss")},
    T("columns.duration"): round(r.duration, 1),
    T("columns.device"): r.device,
} for r in shown])
st.caption(T("count", shown=len(shown), total=len(all_runs)))

# Which runs to compare: run ids differ between stores, so this selection is not put in the URL.
default_ids = [r.id for r in shown[:3]]
run_name = widgets.eager_labels([r.id for r in shown], lambda i: run_label(by_id[i]))  # in this run's language
chosen = st.multiselect(T("labels.compare"), [r.id for r in shown], default=default_ids, key="rn_pick",
                        format_func=run_name, help=T("labels.compare_help"))
selected = [by_id[i] for i in chosen if i in by_id]

tab_table, tab_curves, tab_hp, tab_diff, tab_manage = st.tabs(
    [T(f"tabs.{k}") for k in ("table", "curves", "hparams", "diff", "manage")])

with tab_table:
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={T(f"metrics.{m}"): st.column_config.NumberColumn(format="%.4f")
                                for m in ("best_val_loss", "max_val_score", "final_train_loss")})

with tab_curves:
    if not selected:
        st.info(T("labels.need_selection"))
    else:
        curve = widgets.select("rn_curve", T("labels.curve_metric"), CURVES, format_func=lambda c: T(f"curves.{c}"))
        rows = [{"epoch": e["epoch"], "value": e[curve], "run": run_name(e["run_id"])}
                for e in store.epochs([r.id for r in selected]) if e.get(curve) is not None]
        if rows:
            name = T(f"curves.{curve}")
            chart = line_chart(pd.DataFrame(rows), "epoch", "value", "run", T("curves.title", metric=name),
                               T("curves.epoch"), name, height=480, log_y=curve == "lr", color_title=T("curves.run"))
            chart = chart.encode(  # whole-epoch ticks; a palette where runs do not share a hue
                x=alt.X("epoch:Q", title=T("curves.epoch"), axis=alt.Axis(tickMinStep=1, format="d")),
                color=alt.Color("run:N", title=T("curves.run"), scale=alt.Scale(scheme="tableau10")),
            ).configure_legend(orient="bottom", columns=1, labelLimit=600)
            draw_chart(chart)
        else:
            st.info(T("labels.need_selection"))

with tab_hp:
    params = [p for p in varying_settings(shown) if p not in ("page",)]
    if not params:
        st.info(T("labels.no_params"))
    else:
        h1, h2, h3 = st.columns([1.2, 1.2, 0.6])
        with h1:
            x_param = widgets.select("rn_x", T("labels.x_param"), params,
                                     value="train.lr" if "train.lr" in params else params[0])
        with h2:
            y_metric = widgets.select("rn_y", T("labels.y_metric"), METRICS, format_func=lambda m: T(f"metrics.{m}"))
        points = []
        for r in shown:
            x_value = ({"dataset": r.dataset, "model": r.model} | flatten(r.hparams)).get(x_param)
            y_value = metric_value(r, y_metric)
            if x_value is not None and y_value is not None:
                points.append({"x": x_value, "y": y_value, "run": run_label(r)})
        numeric = bool(points) and all(isinstance(p["x"], (int, float)) and not isinstance(p["x"], bool) for p in points)
        with h3:
            log_x = widgets.toggle("rn_logx", T("labels.log_x"), value=x_param.endswith(("lr", "weight_decay")),
                                   disabled=not numeric)
        if points:
            df = pd.DataFrame(points)
            y_title = T(f"metrics.{y_metric}")
            chart = scatter_chart(df if numeric else df.assign(x=df["x"].astype(str)), "x", "y", None,
                                  T("curves.scatter_title", x=x_param, y=y_title), x_param, y_title, height=380, size=90)
            x_enc = (alt.X("x:Q", title=x_param, scale=alt.Scale(type="log" if log_x and (df["x"] > 0).all() else "linear",
                                                                  zero=False, padding=24))
                     if numeric else alt.X("x:N", title=x_param, axis=alt.Axis(labelAngle=0)))
            chart = chart.encode(x=x_enc, tooltip=[alt.Tooltip("run:N", title=T("curves.run")),
                                                   alt.Tooltip(f"x:{'Q' if numeric else 'N'}", title=x_param),
                                                   alt.Tooltip("y:Q", title=y_title, format=".4g")])
            draw_chart(chart)
        else:
            st.info(T("labels.no_params"))

with tab_diff:
    if len(selected) < 2:
        st.info(T("labels.one_run_diff"))
    else:
        only_diff = widgets.toggle("rn_only_diff", T("labels.only_diff"), value=True)
        keys, values = settings_diff(selected, only_diff=only_diff)
        if not keys:
            st.success(T("labels.no_diff"))
        else:
            columns = [f"#{r.id}" for r in selected]
            frame = pd.DataFrame([[("—" if v is None else str(v)) for v in row] for row in values], columns=columns)
            frame.insert(0, T("labels.setting"), keys)
            st.dataframe(frame, hide_index=True, width="stretch")

with tab_manage:
    m1, m2 = st.columns(2)
    with m1:
        csv = pd.DataFrame(export_rows(shown)).to_csv(index=False).encode("utf-8")
        st.download_button(T("labels.export"), csv, file_name="runs.csv", mime="text/csv", icon="⬇",
                           on_click="ignore", key="rn_csv")
        if selected:
            confirm = st.checkbox(T("labels.confirm_delete", n=len(selected)), key="rn_confirm")
            if st.button(T("labels.delete"), key="rn_delete", icon="🗑", disabled=not confirm):
                n = store.delete([r.id for r in selected], session=scope)
                st.session_state.pop("rn_pick", None)
                st.session_state.pop("rn_confirm", None)
                st.toast(T("labels.deleted", n=n))
                st.rerun()
    with m2:
        target_id = st.selectbox(T("labels.reload_pick"), [r.id for r in shown], key="rn_reload_pick",
                                 format_func=run_name)
        target = by_id.get(target_id)
        if target is not None and st.button(T("labels.reload"), key="rn_reload", icon="↩", help=T("labels.reload_help")):
            path = run_store.page_file(target.page)
            if path is None:
                st.error(T("labels.reload_missing", page=target.page))
            else:
                for key in run_store.widget_keys_to_reset(target.query, st.session_state):
                    del st.session_state[key]  # so the page's widgets re-read the run's values from the URL
                widgets.forget(run_store.widget_keys_to_reset(target.query, widgets.remembered()))
                st.switch_page(str(path), query_params=target.query)

assert set(EPOCH_FIELDS) >= set(CURVES)
