"""5.2 Training: the full loop on a chosen dataset and model, live."""

import math

import streamlit as st

from app.code import show_code
from app.controls import dataset_picker, model_controls, score_title, train_controls
from app.i18n import t
from app.page import start_page
from app.text import dataset_label, explain_md
from app.training import trained_job_or_note, training_panel
from core.errors import InputError
from core.evaluation import score_agreement
from core.jobs import load_checkpoint
from core.loop_idioms import no_grad_graph, scheduler_order, stale_gradients, state_dict_round_trip, train_vs_eval
from core.recipes import DIGITS_CNN, DIGITS_MLP, Recipe, make_job, prepare_data
from core.trainer import EarlyStopping, fit

page = start_page(__file__)
T = page.T


def finite_scores(job) -> tuple[float, float] | None:
    """The loop's and scikit-learn's val scores, or None when the model predicts inf or NaN."""
    try:
        scores = score_agreement(job.best_model(), job.data.X_val, job.data.y_val, job.data.task)
    except ValueError:  # scikit-learn refuses non-finite predictions
        return None
    return scores if all(math.isfinite(s) for s in scores) else None


def loop_idioms() -> None:
    """The loop's idioms measured on tiny models: what each call changes."""
    st.markdown(T("idioms.head"))
    grads, modes, graph = stale_gradients(), train_vs_eval(), no_grad_graph()
    order, saved = scheduler_order(), state_dict_round_trip()
    lrs = lambda xs: ", ".join(f"{v:g}" for v in xs)  # noqa: E731
    rows = [
        ("zero_grad()", T("idioms.zero_grad", once=f"{grads['once']:g}", twice=f"{grads['twice_without_zero_grad']:g}")),
        ("train() / eval()", T("idioms.modes", train=f"{modes['train_two_passes']:.3f}", eval=f"{modes['eval_two_passes']:g}")),
        ("torch.no_grad()", T("idioms.no_grad", tracked=graph["tracked_requires_grad"], inside=graph["no_grad_requires_grad"])),
        ("scheduler.step()", T("idioms.scheduler", after=lrs(order["after"]), before=lrs(order["before"]))),
        ("state_dict()", T("idioms.state_dict", n=len(saved["keys"]), before=f"{saved['diff_before_load']:.3f}",
                           after=f"{saved['diff_after_load']:g}")),
    ]
    st.dataframe([{T("idioms.call"): a, T("idioms.measured"): b} for a, b in rows], hide_index=True, width="stretch")


with page.play:
    ds = dataset_picker("tr_")
    if ds is None:
        st.info(T("need_data"))
        st.stop()
    st.caption(T("data_caption", name=dataset_label(ds.name), n=len(ds.y), f=ds.num_features,
                 task=t(f"common.tasks.{ds.task}"), split=T("split_random" if ds.task == "regression" else "split_stratified")))
    model = model_controls("tr_", ds, DIGITS_MLP)
    base = DIGITS_CNN if model["model"] == "cnn" else DIGITS_MLP
    train = train_controls("tr_", base.train)
    recipe = Recipe(dataset=ds.name, **model, train=train)
    training_panel(
        "training",
        lambda: make_job(recipe, prepare_data(recipe, ds), page="52_training"),
        score_title=score_title(ds.task),
    )
    with st.expander(T("ckpt_title"), icon="📦"):
        upload = st.file_uploader(T("ckpt_upload"), type=["pt", "pth"], key="tr_ckpt")
        if upload is not None:
            try:
                ckpt = load_checkpoint(upload.getvalue())
            except InputError as exc:  # a pickle with code, not a checkpoint, or not shaped like one
                st.error(explain_md(exc))
            else:
                tensors, epoch = ckpt["state_dict"], ckpt.get("best_epoch")
                st.success(T("ckpt_loaded", n=len(tensors), epoch="?" if epoch is None else epoch))
                st.dataframe([{"tensor": k, "shape": str(tuple(v.shape)), "values": v.numel()} for k, v in tensors.items()],
                             hide_index=True)

with page.check:
    job = trained_job_or_note("training", T("check_needs_run"))  # a diverged run: why there is nothing to check
    scores = None if job is None else finite_scores(job)
    if job is not None and scores is None:
        st.warning(T("check_not_finite"))
    elif scores is not None:
        loop_score, ref = scores
        c1, c2, c3 = st.columns(3)
        c1.metric(T("ours_score"), f"{loop_score:.6f}")
        c2.metric(T("sklearn_score"), f"{ref:.6f}")
        c3.metric(T("difference"), f"{abs(loop_score - ref):.2e}")
        st.caption(T("check_caption"))
    loop_idioms()

with page.code:
    st.markdown(T("code_intro"))
    show_code(fit, EarlyStopping, make_job, load_checkpoint, stale_gradients, train_vs_eval, no_grad_graph, scheduler_order,
              state_dict_round_trip)
