"""2.2 Kinds of tasks: classification, regression, clustering and reinforcement learning, with their metrics."""

import numpy as np
import pandas as pd
import streamlit as st

from app.charts import heatmap, labelled_grid, line_chart, scatter_chart
from app.code import show_code
from app.page import start_page
from app.session import seed
from app.widgets import select, slider, toggle
from core import rl, tasks

page = start_page(__file__)
T = page.T
SECTIONS = ("classification", "regression", "clustering", "rl")
CLS_KINDS = ("binary", "multiclass", "multilabel")
METRIC_ORDER = ("accuracy", "precision", "recall", "f1", "roc_auc", "macro_f1", "micro_f1", "hamming_loss",
                "subset_accuracy", "mse", "mae", "r2")


@st.cache_data(show_spinner=False)
def cluster_run(shape: str, noise: float, algorithm: str, k: int, eps: float, min_samples: int, linkage: str, seed_: int):
    X, _ = tasks.cluster_data(shape, noise=noise, seed=seed_)
    return X, tasks.run_clustering(X, algorithm, k, eps, min_samples, linkage, seed_)


@st.cache_data(show_spinner=False)
def our_silhouette(X: np.ndarray, labels: np.ndarray) -> float:
    return tasks.silhouette(X, labels)


@st.cache_data(show_spinner=False)
def elbow_run(shape: str, noise: float, seed_: int):
    X, _ = tasks.cluster_data(shape, noise=noise, seed=seed_)
    return tasks.elbow(X, seed=seed_)


@st.cache_data(show_spinner=False)
def q_run(episodes: int, alpha: float, gamma: float, epsilon: float, seed_: int) -> rl.QResult:
    return rl.q_learning(rl.GridWorld(), episodes, alpha, gamma, epsilon, seed_)


@st.cache_data(show_spinner=False)
def optimal_q(gamma: float) -> np.ndarray:
    return rl.value_iteration(rl.GridWorld(), gamma)


def metric_cards(ours: dict, ref: dict) -> None:
    keys = [k for k in METRIC_ORDER if k in ref]
    cols = st.columns(len(keys))
    for col, k in zip(cols, keys):
        if k in ours:
            col.metric(T(f"metrics.{k}"), f"{ours[k]:.3f}", T("sklearn_delta", v=ref[k]), delta_color="off")
        else:
            col.metric(T(f"metrics.{k}"), f"{ref[k]:.3f}", "sklearn", delta_color="off")


def confusion(y_true, y_pred, n: int, title: str):
    cm = pd.crosstab(pd.Categorical(y_true, range(n)), pd.Categorical(y_pred, range(n)), dropna=False)
    df = cm.stack().rename("count").reset_index()
    df.columns = ["true", "pred", "count"]
    return heatmap(df, "pred", "true", "count", title, T("labels.pred"), T("labels.true"), T("labels.count"), text=True, height=220)


def classification_settings() -> dict:
    kind = select("kt_kind", T("labels.cls_kind"), CLS_KINDS, format_func=lambda k: T(f"cls_kinds.{k}"), radio=True,
                  horizontal=True)
    c1, c2, c3 = st.columns(3)
    with c1:
        noise = slider("kt_noise", T("labels.noise"), 0.0, 1.5, 0.4, step=0.05)
    with c2:
        n = slider("kt_n", T("labels.n"), 10, 200, 40, step=10)
    threshold = 0.5
    if kind != "multiclass":
        with c3:
            threshold = slider("kt_thr", T("labels.threshold"), 0.05, 0.95, 0.5, step=0.05)
    return {"kind": kind, "noise": noise, "n": n, "threshold": threshold}


def show_classification(cfg: dict) -> None:
    kind = cfg["kind"]
    ex = tasks.classification_example(kind, cfg["n"], cfg["noise"], threshold=cfg["threshold"], seed=seed())
    y, p = ex["y_true"], ex["y_pred"]
    ours = tasks.our_metrics(kind, y, p)
    ref = tasks.sklearn_metrics(kind, y, p, ex["score"] if kind == "binary" else None)
    st.caption(T(f"cls_notes.{kind}"))
    metric_cards(ours, ref)
    c1, c2 = st.columns([3, 2])
    if kind == "multilabel":
        rows = [{"sample": i, "label": f"L{j}", "state": T("cell." + ("tp" if y[i, j] and p[i, j] else "fn" if y[i, j]
                 else "fp" if p[i, j] else "tn")), "wrong": int(y[i, j] != p[i, j])}
                for i in range(min(len(y), 20)) for j in range(y.shape[1])]
        df = pd.DataFrame(rows)
        c1.altair_chart(heatmap(df, "label", "sample", "wrong", T("ml_title"), T("labels.label"), T("labels.sample"),
                                T("labels.wrong"), scheme="reds", height=360), width="stretch")
        exact = (y == p).all(1)
        show = pd.DataFrame({T("labels.true"): [str(r.tolist()) for r in y[:20]], T("labels.pred"): [str(r.tolist()) for r in p[:20]],
                             "✓": ["✓" if e else "✗" for e in exact[:20]]})
        c2.dataframe(show, width="stretch", height=360)
        st.caption(T("ml_caption", wrong=int((y != p).sum()), cells=y.size, exact=int(exact.sum()), n=len(y)))
    else:
        n_classes = 2 if kind == "binary" else 3
        c1.altair_chart(confusion(y, p, n_classes, T("cm_title")), width="stretch")
        score = ex["score"] if kind == "binary" else ex["score"].max(1)
        show = pd.DataFrame({T("labels.true"): y[:20], T("labels.score"): np.round(score[:20], 2), T("labels.pred"): p[:20],
                             "✓": ["✓" if a == b else "✗" for a, b in zip(y[:20], p[:20])]})
        c2.dataframe(show, width="stretch", height=260)


def regression_settings() -> dict:
    c1, c2, c3 = st.columns(3)
    with c1:
        noise = slider("kt_rnoise", T("labels.noise"), 0.0, 5.0, 1.0, step=0.1)
    with c2:
        bias = slider("kt_bias", T("labels.bias"), -5.0, 5.0, 0.0, step=0.25)
    with c3:
        outliers = slider("kt_outliers", T("labels.outliers"), 0, 10, 0)
    return {"noise": noise, "bias": bias, "outliers": outliers}


def show_regression(cfg: dict) -> None:
    x, y, p = tasks.regression_example(60, cfg["noise"], cfg["bias"], cfg["outliers"], seed=seed())
    metric_cards(tasks.regression_metrics(y, p), tasks.sklearn_metrics("regression", y, p))
    df = pd.DataFrame({"x": np.tile(x, 2), "y": np.concatenate([y, p]),
                       "series": np.repeat([T("labels.true"), T("labels.pred")], len(x))})
    c1, c2 = st.columns(2)
    c1.altair_chart(scatter_chart(df, "x", "y", "series", T("reg_title"), "x", "y", color_title=" "), width="stretch")
    res = pd.DataFrame({"y": y, "residual": p - y})
    c2.altair_chart(scatter_chart(res, "y", "residual", None, T("resid_title"), T("labels.true"), T("labels.residual")),
                    width="stretch")
    st.caption(T("reg_caption"))


def clustering_settings() -> dict:
    c1, c2, c3 = st.columns(3)
    with c1:
        shape = select("kt_shape", T("labels.shape"), ("blobs", "moons", "circles"), format_func=lambda s: T(f"shapes.{s}"))
        noise = slider("kt_cnoise", T("labels.noise"), 0.0, 0.2, 0.06, step=0.01)
    with c2:
        algorithm = select("kt_algo", T("labels.algorithm"), ("kmeans", "dbscan", "agglomerative"),
                           format_func=lambda a: T(f"algos.{a}"))
        k = slider("kt_k", T("labels.k"), 2, 10, 4)
    with c3:
        eps = slider("kt_eps", T("labels.eps"), 0.05, 1.0, 0.3, step=0.05)
        min_samples = slider("kt_min", T("labels.min_samples"), 2, 20, 5)
        linkage = select("kt_link", T("labels.linkage"), ("ward", "average", "complete", "single"),
                         format_func=lambda m: T(f"linkages.{m}"))
    return {"shape": shape, "noise": noise, "algorithm": algorithm, "k": k, "eps": eps, "min_samples": min_samples,
            "linkage": linkage}


def show_clustering(cfg: dict) -> None:
    X, res = cluster_run(**cfg, seed_=seed())
    st.caption(T(f"algo_notes.{cfg['algorithm']}"))
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(T("labels.clusters"), res.n_clusters)
    c2.metric(T("labels.noise_points"), res.n_noise)
    c3.metric(T("metrics.silhouette"), "—" if res.silhouette is None else f"{res.silhouette:.3f}")
    c4.metric(T("metrics.inertia"), f"{res.inertia:.1f}")
    if res.silhouette is None:
        st.warning(T("no_silhouette"))
    df = pd.DataFrame({"x1": X[:, 0], "x2": X[:, 1],
                       "cluster": [T("labels.noise_label") if c < 0 else str(c) for c in res.labels]})
    c1, c2 = st.columns([3, 2])
    c1.altair_chart(scatter_chart(df, "x1", "x2", "cluster", T("clusters_title"), "x₁", "x₂", T("labels.cluster"), height=360),
                    width="stretch")
    el = pd.DataFrame(elbow_run(cfg["shape"], cfg["noise"], seed()), columns=["k", "inertia", "silhouette"])
    c2.altair_chart(line_chart(el, "k", "inertia", None, T("elbow_title"), "k", T("metrics.inertia"), height=160, points=True),
                    width="stretch")
    c2.altair_chart(line_chart(el.dropna(), "k", "silhouette", None, T("sil_title"), "k", T("metrics.silhouette"), height=160,
                               points=True), width="stretch")


def rl_settings() -> dict:
    c1, c2 = st.columns(2)
    with c1:
        alpha = slider("kt_alpha", "α " + T("labels.alpha"), 0.05, 1.0, 0.5, step=0.05)
        gamma = slider("kt_gamma", "γ " + T("labels.gamma"), 0.5, 0.99, 0.95, step=0.01)
    with c2:
        epsilon = slider("kt_epsilon", "ε " + T("labels.epsilon"), 0.0, 0.5, 0.1, step=0.01)
        episodes = slider("kt_episodes", T("labels.episodes"), 10, 1000, 300, step=10)
    return {"alpha": alpha, "gamma": gamma, "epsilon": epsilon, "episodes": episodes}


def show_rl(cfg: dict) -> None:
    env = rl.GridWorld()
    res = q_run(cfg["episodes"], cfg["alpha"], cfg["gamma"], cfg["epsilon"], seed())
    path, reached = rl.greedy_path(env, res.Q)
    st.caption(T("rl_caption", rows=env.rows, cols=env.cols, step=env.step_reward, goal=env.goal_reward, pit=env.pit_reward))
    c1, c2, c3 = st.columns(3)
    c1.metric(T("labels.reached"), T("yes") if reached else T("no"))
    c2.metric(T("labels.path_len"), len(path) - 1)
    c3.metric(T("labels.last_reward"), f"{res.episode_rewards[-20:].mean():.2f}")
    if not reached:
        st.warning(T("not_reached"))
    smooth = toggle("kt_smooth", T("labels.smooth"), True)
    rewards = res.episode_rewards
    if smooth and len(rewards) >= 10:
        rewards = np.convolve(rewards, np.ones(10) / 10, mode="valid")
    curve = pd.DataFrame({"episode": np.arange(1, len(rewards) + 1), "reward": rewards})
    c1, c2 = st.columns(2)
    c1.altair_chart(line_chart(curve, "episode", "reward", None, T("reward_title"), T("labels.episode"), T("labels.reward")),
                    width="stretch")
    grid = pd.DataFrame(rl.grid_table(env, res.Q))
    on_path = set(path)
    grid["label"] = [f"{lab}·" if (r, c) in on_path and k == "free" and not lab.startswith("S") else lab
                     for lab, r, c, k in zip(grid["label"], grid["row"], grid["col"], grid["kind"])]
    c2.altair_chart(labelled_grid(grid, "col", "row", "value", "label", T("policy_title"), T("labels.col"), T("labels.row"),
                                  "V(s)"), width="stretch")
    st.caption(T("grid_legend"))


section = "classification"
cls_cfg = {"kind": "binary", "noise": 0.4, "n": 40, "threshold": 0.5}
reg_cfg = {"noise": 1.0, "bias": 0.0, "outliers": 0}
clu_cfg = {"shape": "blobs", "noise": 0.06, "algorithm": "kmeans", "k": 4, "eps": 0.3, "min_samples": 5, "linkage": "ward"}
rl_cfg = {"alpha": 0.5, "gamma": 0.95, "epsilon": 0.1, "episodes": 300}

with page.play:
    section = select("kt_section", T("labels.section"), SECTIONS, format_func=lambda s: T(f"sections.{s}"), radio=True,
                     horizontal=True)
    if section == "classification":
        cls_cfg = classification_settings()
        show_classification(cls_cfg)
    elif section == "regression":
        reg_cfg = regression_settings()
        show_regression(reg_cfg)
    elif section == "clustering":
        clu_cfg = clustering_settings()
        show_clustering(clu_cfg)
    else:
        rl_cfg = rl_settings()
        show_rl(rl_cfg)

with page.check:
    st.markdown(T("check_intro"))
    rows = []
    for kind in CLS_KINDS:
        ex = tasks.classification_example(kind, cls_cfg["n"], cls_cfg["noise"], threshold=cls_cfg["threshold"], seed=seed())
        ours = tasks.our_metrics(kind, ex["y_true"], ex["y_pred"])
        ref = tasks.sklearn_metrics(kind, ex["y_true"], ex["y_pred"])
        rows += [(T(f"cls_kinds.{kind}"), T(f"metrics.{k}"), v, ref[k], abs(v - ref[k])) for k, v in ours.items()]
    x, y, p = tasks.regression_example(60, reg_cfg["noise"], reg_cfg["bias"], reg_cfg["outliers"], seed=seed())
    ref = tasks.sklearn_metrics("regression", y, p)
    rows += [(T("sections.regression"), T(f"metrics.{k}"), v, ref[k], abs(v - ref[k]))
             for k, v in tasks.regression_metrics(y, p).items()]
    # only the settings KMeans uses, so moving eps or the linkage does not refit it
    X, res = cluster_run(clu_cfg["shape"], clu_cfg["noise"], "kmeans", clu_cfg["k"], 0.3, 5, "ward", seed())
    rows.append((T("algos.kmeans"), T("metrics.inertia"), res.inertia, res.sklearn_inertia, abs(res.inertia - res.sklearn_inertia)))
    ours_sil = our_silhouette(X, res.labels)
    rows.append((T("algos.kmeans"), T("metrics.silhouette"), ours_sil, res.silhouette, abs(ours_sil - res.silhouette)))
    cols = [T("labels.task"), T("labels.metric"), T("labels.ours"), "sklearn", T("labels.diff")]
    st.dataframe(pd.DataFrame(rows, columns=cols), hide_index=True, width="stretch",
                 column_config={cols[4]: st.column_config.NumberColumn(format="%.1e")})
    worst = max(r[4] for r in rows)
    st.metric(T("labels.worst"), f"{worst:.1e}")
    st.markdown(T("rl_check_intro"))
    env = rl.GridWorld()
    q = q_run(rl_cfg["episodes"], rl_cfg["alpha"], rl_cfg["gamma"], rl_cfg["epsilon"], seed()).Q
    q_star = optimal_q(rl_cfg["gamma"])
    path_opt, _ = rl.greedy_path(env, q_star)
    path_q, reached = rl.greedy_path(env, q)
    c1, c2, c3 = st.columns(3)
    c1.metric(T("labels.v_start_q"), f"{q[env.state(env.start)].max():.3f}")
    c2.metric(T("labels.v_start_opt"), f"{q_star[env.state(env.start)].max():.3f}")
    c3.metric(T("labels.path_lengths"), f"{len(path_q) - 1} / {len(path_opt) - 1}" if reached else f"— / {len(path_opt) - 1}")
    st.caption(T("rl_check_caption"))
    st.markdown(T("bce.head"))
    c1, c2 = st.columns(2)
    with c1:
        logit = slider("kt_bce_logit", T("bce.logit"), -60.0, 60.0, 40.0, 1.0)
    with c2:
        label = select("kt_bce_label", T("bce.label"), (0, 1), 0, radio=True, horizontal=True)
    row = tasks.bce_from_logits_vs_probabilities([logit], label)[0]
    st.metric(T("bce.sigmoid"), f"{row['sigmoid']:.9g}")
    st.dataframe(pd.DataFrame([{"": T(f"bce.rows.{k}"), T("bce.loss"): row[k], T("bce.grad"): row[g]}
                               for k, g in (("bce", "grad_bce"), ("bce_with_logits", "grad_with_logits"),
                                            ("exact", "grad_exact"))]), hide_index=True)
    st.caption(T("bce.caption"))

with page.code:
    st.markdown(T("code_intro"))
    show_code(tasks.classification_example, tasks.binary_metrics, tasks.f1_scores, tasks.hamming_loss, tasks.subset_accuracy,
              tasks.regression_metrics, tasks.run_clustering, tasks.inertia, tasks.silhouette, tasks.elbow, rl.GridWorld,
              rl.q_learning, rl.value_iteration, tasks.bce_from_logits_vs_probabilities)
