"""5.3 Evaluation: confusion matrix, P/R/F1, ROC and PR with a threshold, regression errors."""

from dataclasses import replace

import numpy as np
import pandas as pd
import streamlit as st

from app import widgets
from app.charts import curve_with_point, draw_chart, heatmap, image_grid, scatter_with_line
from app.code import show_code
from app.controls import score_title
from app.page import start_page
from app.session import device, seed
from app.text import dataset_label, escape_md
from app.training import finished_job, training_panel
from core.evaluation import (
    binary_curves,
    classification_report,
    compare_metrics,
    confusion_matrix_torch,
    curve_point,
    macro_prf_torch,
    misclassified,
    positive_scores,
    predict,
    prf_from_confusion,
    regression_metrics_torch,
    regression_report,
    threshold_metrics,
    unscaled_inputs,
)
from core.recipes import DIGITS_MLP, Recipe, make_job

QUICK_SETS = ("digits", "breast_cancer", "diabetes")
QUICK_LR = {"digits": 3e-3, "breast_cancer": 3e-3, "diabetes": 1e-2}  # the unscaled diabetes target needs bigger steps

page = start_page(__file__)
T = page.T


def quick_recipe(name: str, num_epochs: int) -> Recipe:
    train = replace(DIGITS_MLP.train, num_epochs=num_epochs, lr=QUICK_LR[name], seed=seed(), device=str(device()))
    return Recipe(dataset=name, hidden=(64,), train=train)


def predictions(job):
    """(y_true, y_hat, scores, split name) on the test split (val if there is no test split), once per job."""
    cache = st.session_state.setdefault("_ev_pred", {})
    if id(job) not in cache:
        data = job.data
        X, y, split = (data.X_test, data.y_test, "test") if len(data.y_test) else (data.X_val, data.y_val, "val")
        y_hat, scores = predict(job.best_model(), X, data.task)
        cache.clear()
        cache[id(job)] = (y.cpu().numpy(), y_hat, scores, split)
    return cache[id(job)]


def class_names(job) -> list[str]:
    names = list(job.data.source.class_names)
    return names if names else [str(i) for i in range(job.data.num_classes)]


def show_classification(job, y, y_hat, scores) -> None:
    names = class_names(job)
    k = len(names)
    rep = classification_report(y, y_hat, labels=np.arange(k))
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(T("accuracy"), f"{rep.accuracy:.4f}")
    c2.metric(T("f1_macro"), f"{rep.f1_macro:.4f}")
    c3.metric(T("f1_micro"), f"{rep.f1_micro:.4f}")
    c4.metric(T("errors"), f"{int((y != y_hat).sum())} / {len(y)}")

    left, right = st.columns([1.1, 1])
    with left:
        cm = pd.DataFrame([{"true": names[i], "pred": names[j], "count": int(rep.confusion[i, j])}
                           for i in range(k) for j in range(k)])
        draw_chart(heatmap(cm, "pred", "true", "count", T("cm_title"), T("predicted"), T("actual"), T("count"),
                           text=True, height=320 if k > 2 else 200, x_sort=names, y_sort=names))
    with right:
        per = rep.per_class
        table = pd.DataFrame({T("class"): names, "precision": per["precision"], "recall": per["recall"],
                              "F1": per["f1"], "support": per["support"]})
        avg = pd.DataFrame({T("class"): [T("macro_avg"), T("micro_avg")],
                            "precision": [rep.precision_macro, rep.precision_micro],
                            "recall": [rep.recall_macro, rep.recall_micro], "F1": [rep.f1_macro, rep.f1_micro],
                            "support": [len(y), len(y)]})
        st.dataframe(pd.concat([table, avg], ignore_index=True), hide_index=True, width="stretch",
                     column_config={c: st.column_config.NumberColumn(format="%.3f") for c in ("precision", "recall", "F1")})
        st.caption(T("avg_caption"))

    st.subheader(T("curves_header"))
    c1, c2 = st.columns(2)
    if st.session_state.get("ev_cls", 0) not in range(k):  # the class list changed with the dataset
        st.session_state["ev_cls"] = 1 if k == 2 else 0
    with c1:
        positive = widgets.select("ev_cls", T("positive_class"), list(range(k)), value=1 if k == 2 else 0,
                                  format_func=lambda i: names[i], disabled=k == 2)
    with c2:
        threshold = widgets.slider("ev_thr", T("threshold"), 0.0, 1.0, 0.5, 0.01, help=T("threshold_help"))
    yb, sb = positive_scores(job.data.task, y, scores, positive)
    if yb.min() == yb.max():
        st.warning(T("one_class_only", cls=escape_md(names[positive])))
        return
    curves = binary_curves(yb, sb)
    pt = curve_point(yb, sb, threshold)
    at_label = T("at_threshold", t=f"{threshold:.2f}")
    c1, c2 = st.columns(2)
    with c1:
        roc = pd.DataFrame({"fpr": curves.fpr, "tpr": curves.tpr})
        draw_chart(curve_with_point(roc, "fpr", "tpr", (pt["fpr"], pt["tpr"]), T("roc_title", auc=f"{curves.roc_auc:.3f}"),
                                    T("fpr"), T("tpr"), at_label, diagonal=True))
    with c2:
        pr = pd.DataFrame({"recall": curves.recall, "precision": curves.precision})
        draw_chart(curve_with_point(pr, "recall", "precision", (pt["recall"], pt["precision_point"]),
                                    T("pr_title", ap=f"{curves.average_precision:.3f}"), T("recall"), T("precision"), at_label))
    m = st.columns(7)
    for col, key in zip(m, ("precision", "recall", "f1")):
        col.metric(T(key), f"{pt[key]:.3f}")
    for col, key in zip(m[3:], ("tp", "fp", "fn", "tn")):
        col.metric(key.upper(), pt[key], help=T(f"help_{key}"))
    st.caption(T("threshold_caption", cls=escape_md(names[positive]), t=f"{threshold:.2f}", auc=f"{curves.roc_auc:.3f}",
                 ap=f"{curves.average_precision:.3f}"))

    shape = job.data.source.image_shape
    if shape is not None and shape[0] == 1:
        wrong = misclassified(y, y_hat, scores, limit=24)
        split = "test" if len(job.data.y_test) else "val"
        X = unscaled_inputs(job.data, job.meta.get("recipe"), split)
        if X is None:  # fall back to the scaled pixels, stretched per image
            X = getattr(job.data, f"X_{split}").cpu()
            lo, hi = X.min(dim=1, keepdim=True).values, X.max(dim=1, keepdim=True).values
            X = (X - lo) / (hi - lo).clamp_min(1e-8)
        st.subheader(T("gallery_header"))
        if len(wrong) == 0:
            st.success(T("no_errors"))
        else:
            images = X[wrong].cpu().numpy().reshape(len(wrong), shape[1], shape[2])
            captions = [T("caption", true=names[y[i]], pred=names[y_hat[i]], p=f"{scores[i, y_hat[i]]:.2f}") for i in wrong]
            draw_chart(image_grid(images, captions, T("gallery_title", n=len(wrong)), cols=8))
            st.caption(T("gallery_caption"))


def show_regression(y, y_hat) -> None:
    rep = regression_report(y, y_hat)
    for col, key in zip(st.columns(4), ("mse", "mae", "rmse", "r2")):
        col.metric(T(key), f"{rep[key]:.4g}")
    df = pd.DataFrame({"actual": y, "predicted": y_hat, "residual": y - y_hat})
    c1, c2 = st.columns(2)
    with c1:
        draw_chart(scatter_with_line(df, "actual", "predicted", T("pva_title"), T("actual_value"), T("predicted_value")))
    with c2:
        draw_chart(scatter_with_line(df, "predicted", "residual", T("resid_title"), T("predicted_value"), T("residual"),
                                     line="zero"))
    st.caption(T("regression_caption", rmse=f"{rep['rmse']:.3g}", r2=f"{rep['r2']:.3f}"))


with page.play:
    trained = finished_job("training")
    sources = ["trained", "quick"] if trained is not None else ["quick"]
    source = widgets.select("ev_src", T("source"), sources, format_func=lambda s: T(f"sources.{s}"), radio=True,
                            horizontal=True)
    if source == "trained":
        job = trained
        st.caption(T("trained_caption", name=dataset_label(job.data.source.name), epochs=len(job.records)))
    else:
        if trained is None:
            st.caption(T("no_trained"))
        c1, c2 = st.columns(2)
        with c1:
            name = widgets.select("ev_ds", T("dataset"), QUICK_SETS, format_func=lambda n: T(f"datasets.{n}"))
        with c2:
            epochs = widgets.slider("ev_epochs", T("epochs"), 1, 60, 20)
        recipe = quick_recipe(name, epochs)
        training_panel("evaluation", lambda: make_job(recipe, page="53_evaluation"),
                       score_title=score_title("regression" if name == "diabetes" else "multiclass"),
                       button_label=T("train_quick"))
        job = finished_job("evaluation")
        if job is not None and job.data.source.name != name:
            st.info(T("other_dataset", name=dataset_label(job.data.source.name)))
    if job is not None and not np.isfinite(np.asarray(predictions(job)[2], dtype=float)).all():
        st.error(T("not_finite"))  # a diverged run predicts NaN: nothing to evaluate
        job = None
    if job is None:
        st.info(T("need_model"))
    else:
        y, y_hat, scores, split = predictions(job)
        st.subheader(T("results_header", split=split, n=len(y)))
        if job.data.task == "regression":
            show_regression(y, y_hat)
        else:
            show_classification(job, y, y_hat, scores)

with page.check:
    if job is None:
        st.info(T("check_needs_model"))
    else:
        y, y_hat, _, _ = predictions(job)
        rows = compare_metrics(job.data.task, y, y_hat, num_classes=job.data.num_classes if job.data.task != "binary" else 2)
        st.markdown(T("check_intro"))
        st.dataframe(pd.DataFrame({
            T("metric"): [T(f"metrics.{r['metric']}") for r in rows],
            T("ours"): [r["ours"] for r in rows], "sklearn": [r["sklearn"] for r in rows],
            T("difference"): [r["difference"] for r in rows],
        }), hide_index=True, width="stretch", column_config={
            T("ours"): st.column_config.NumberColumn(format="%.6f"), "sklearn": st.column_config.NumberColumn(format="%.6f"),
            T("difference"): st.column_config.NumberColumn(format="%.2e")})
        worst = max(r["difference"] for r in rows)
        st.metric(T("max_diff"), f"{worst:.2e}")
        (st.success if worst < 1e-9 else st.error)(T("check_verdict", diff=f"{worst:.2e}"))

with page.code:
    st.markdown(T("code_intro"))
    show_code(predict, classification_report, binary_curves, threshold_metrics, regression_report,
              confusion_matrix_torch, prf_from_confusion, macro_prf_torch, regression_metrics_torch)
