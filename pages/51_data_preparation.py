"""5.1 Data preparation: scalers under outliers, scaling leakage, DataLoader throughput."""

import numpy as np
import pandas as pd
import streamlit as st

from app import widgets
from app.charts import draw_chart, histogram
from app.code import show_code
from app.page import start_page
from app.session import seed
from core.data_prep import (
    SCALER_NAMES,
    Numbered,
    collate_demo,
    compare_with_sklearn,
    feature_with_outliers,
    leakage_experiment,
    loader_batches,
    make_loader,
    measure_throughput,
    pad_collate,
    scale_feature,
    scaler_reference_data,
    throughput_suite,
)
from core.datasets import load_dataset
from core.preprocessing import MinMaxScaler, RobustScaler, StandardScaler, is_constant_feature

LEAK_SETS = ("wine", "breast_cancer", "diabetes")
BATCHES = (16, 32, 64, 128, 256, 512, 1024)

page = start_page(__file__)
T = page.T
scaler_label = lambda s: T(f"scalers.{s}")  # noqa: E731


@st.cache_data(show_spinner=False, max_entries=64)
def scaled_views(outlier_frac: float, magnitude: float, seed: int):
    feature = feature_with_outliers(outlier_frac=outlier_frac, magnitude=magnitude, seed=seed)
    return feature, [scale_feature(feature, name) for name in SCALER_NAMES]


@st.cache_data(show_spinner=False, max_entries=32)
def leakage(name: str, scaler: str, train_frac: float, seed: int):
    ds = load_dataset(name, seed=seed)
    return leakage_experiment(ds.X.numpy(), ds.y.numpy(), ds.task, scaler, train_frac, repeats=10, seed=seed,
                              feature_names=ds.feature_names)


@st.cache_data(show_spinner=False, max_entries=16)
def sklearn_table(outlier_frac: float, seed: int):
    return compare_with_sklearn(scaler_reference_data(outlier_frac=max(outlier_frac, 0.005), seed=seed), n_train=210)


with page.play:
    st.subheader(T("scaling_header"))
    c1, c2 = st.columns(2)
    with c1:
        share = widgets.slider("dp_out", T("outlier_share"), 0.0, 10.0, 2.0, 0.5, help=T("outlier_share_help"))
    with c2:
        magnitude = widgets.slider("dp_mag", T("outlier_size"), 5, 50, 15, help=T("outlier_size_help"))
    feature, views = scaled_views(share / 100, float(magnitude), seed())
    kind = np.where(feature.is_outlier, T("outlier"), T("normal"))
    panels = [(T("raw"), feature.x)] + [(scaler_label(v.name), v.values) for v in views]
    cols = st.columns(2)
    for i, (name, values) in enumerate(panels):
        df = pd.DataFrame({"value": values, T("point"): kind})
        with cols[i % 2]:
            draw_chart(histogram(df, "value", T("point"), T("hist_title", name=name), T("value"), T("count"), bins=50))
    st.dataframe(pd.DataFrame({
        T("scaler"): [scaler_label(v.name) for v in views],
        T("center"): [v.center for v in views],
        T("scale"): [v.scale for v in views],
        T("inlier_iqr"): [v.inlier_iqr for v in views],
    }), hide_index=True, width="stretch", column_config={
        T("center"): st.column_config.NumberColumn(format="%.3f"),
        T("scale"): st.column_config.NumberColumn(format="%.3f"),
        T("inlier_iqr"): st.column_config.NumberColumn(format="%.3f", help=T("inlier_iqr_help")),
    })
    iqr = {v.name: v.inlier_iqr for v in views}
    st.caption(T("scaling_caption", n=int(feature.is_outlier.sum()), minmax=f"{iqr['minmax']:.3f}",
                 robust=f"{iqr['robust']:.3f}"))

    st.divider()
    st.subheader(T("leak_header"))
    st.markdown(T("leak_intro"))
    c1, c2, c3 = st.columns(3)
    with c1:
        leak_ds = widgets.select("dp_ds", T("dataset"), LEAK_SETS, format_func=lambda n: T(f"datasets.{n}"))
    with c2:
        leak_scaler = widgets.select("dp_scaler", T("scaler"), SCALER_NAMES, format_func=scaler_label)
    with c3:
        train_pct = widgets.slider("dp_train", T("train_share"), 10, 70, 20, 5, help=T("train_share_help"))
    res = leakage(leak_ds, leak_scaler, train_pct / 100, seed())
    metric = T(f"metric_{res.metric}")
    m1, m2, m3 = st.columns(3)
    m1.metric(T("score_clean", metric=metric), f"{res.score_clean.mean():.4f}")
    m2.metric(T("score_leaky", metric=metric), f"{res.score_leaky.mean():.4f}",
              delta=f"{res.mean_gap:+.4f}", delta_color="off")
    m3.metric(T("leaky_wins"), f"{int((res.score_leaky > res.score_clean).sum())} / {len(res.score_clean)}",
              help=T("leaky_wins_help"))
    show = min(8, len(res.feature_names))
    st.dataframe(pd.DataFrame({
        T("feature"): res.feature_names[:show],
        T("center_train"): res.center_train[:show], T("center_all"): res.center_all[:show],
        T("scale_train"): res.scale_train[:show], T("scale_all"): res.scale_all[:show],
        T("shift"): res.center_shift[:show],
    }), hide_index=True, width="stretch",
        column_config={k: st.column_config.NumberColumn(format="%.4g") for k in
                       (T("center_train"), T("center_all"), T("scale_train"), T("scale_all"), T("shift"))})
    st.caption(T("leak_caption", shift=f"{res.center_shift.max():.2f}", gap=f"{res.mean_gap:+.4f}"))

    st.divider()
    st.subheader(T("options.header"))
    st.markdown(T("options.intro"))
    c1, c2, c3, c4 = st.columns(4)
    with c1:
        n_small = widgets.slider("dp_opt_n", T("options.n"), 1, 30, 10)
    with c2:
        bs_small = widgets.slider("dp_opt_bs", T("batch_size"), 1, 16, 4)
    with c3:
        shuffle_small = widgets.toggle("dp_opt_shuffle", "shuffle", False)
    with c4:
        drop_last = widgets.toggle("dp_opt_drop_last", "drop_last", False, help=T("options.drop_last_help"))
    batches = loader_batches(n_small, bs_small, shuffle_small, drop_last, seed())
    st.dataframe(pd.DataFrame({T("options.batch"): range(1, len(batches) + 1),
                               T("options.indices"): [", ".join(map(str, b)) for b in batches],
                               T("options.size"): [len(b) for b in batches]}), hide_index=True)
    st.caption(T("options.count", n=n_small, bs=bs_small, batches=len(batches),
                 dropped=n_small - sum(len(b) for b in batches)))
    padded, lengths, _ = collate_demo()
    st.markdown(T("options.collate", lengths=", ".join(map(str, lengths.tolist())), shape=" × ".join(map(str, padded.shape))))
    st.dataframe(pd.DataFrame(padded.numpy()), hide_index=False)

    st.divider()
    st.subheader(T("loader_header"))
    st.markdown(T("loader_intro"))
    c1, c2, c3, c4 = st.columns(4)
    with c1:
        batch_size = widgets.select_slider("dp_bs", T("batch_size"), BATCHES, 64)
    with c2:
        workers = widgets.slider("dp_workers", T("workers"), 0, 2, 0, help=T("workers_help"))
    with c3:
        shuffle = widgets.toggle("dp_shuffle", T("shuffle"), True)
    with c4:
        pin = widgets.toggle("dp_pin", T("pin_memory"), False, help=T("pin_help"))
    settings = (batch_size, shuffle, workers, pin)
    if st.button(T("measure"), key="dp_measure", icon="⏱️", type="primary"):
        with st.spinner(T("measuring")):
            try:
                st.session_state["dp_results"] = (settings, throughput_suite(*settings, max_seconds=0.5, seed=seed()))
            except RuntimeError as exc:  # a worker that did not start in time
                st.error(T("measure_failed", error=str(exc)))
    saved = st.session_state.get("dp_results")
    if saved is None:
        st.caption(T("measure_idle"))
    else:
        used, results = saved
        if used != settings:
            st.info(T("stale"))
        base = results[0].samples_per_s
        table = pd.DataFrame({
            T("variant"): [T(f"methods.{r.settings.method}", w=r.settings.num_workers) for r in results],
            T("samples_s"): [r.samples_per_s for r in results],
            T("vs_index"): [r.samples_per_s / base for r in results],
            T("first_batch"): [r.first_batch_seconds for r in results],
            T("epochs"): [r.epochs for r in results],
        })
        st.dataframe(table, hide_index=True, width="stretch", column_config={
            T("samples_s"): st.column_config.ProgressColumn(format="%.0f", min_value=0,
                                                            max_value=float(table[T("samples_s")].max())),
            T("vs_index"): st.column_config.NumberColumn(format="%.2f×"),
            T("first_batch"): st.column_config.NumberColumn(format="%.3f s"),
        })
        st.info(T("loader_lesson", bs=used[0], index=f"{base:,.0f}", loader=f"{results[1].samples_per_s:,.0f}"))

with page.check:
    st.markdown(T("check_intro"))
    rows = sklearn_table(share / 100, seed())
    st.dataframe(pd.DataFrame({
        T("scaler"): [scaler_label(r["scaler"]) for r in rows],
        "sklearn": [r["sklearn"] for r in rows],
        "transform": [r["transform"] for r in rows],
        "inverse_transform": [r["inverse_transform"] for r in rows],
        T("round_trip"): [r["round_trip"] for r in rows],
        T("finite"): ["✅" if r["finite"] else "❌" for r in rows],
    }), hide_index=True, width="stretch", column_config={
        k: st.column_config.NumberColumn(format="%.2e") for k in ("transform", "inverse_transform", T("round_trip"))})
    worst = max(max(r["transform"], r["inverse_transform"]) for r in rows)
    st.metric(T("max_diff"), f"{worst:.2e}")
    (st.success if worst < 1e-6 else st.error)(T("check_verdict", diff=f"{worst:.2e}"))

with page.code:
    st.markdown(T("code_intro"))
    show_code(StandardScaler, MinMaxScaler, RobustScaler, is_constant_feature, scale_feature, leakage_experiment,
              Numbered, loader_batches, pad_collate, collate_demo, make_loader, measure_throughput)
