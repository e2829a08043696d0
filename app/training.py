"""The live training panel every page reuses: Train/Stop, progress with ETA, charts, summary.

Train submits a `core.jobs.TrainingJob` to this process's runner (`core.runner`: a thread, a
worker process or a Ray actor; the panel never knows which), which checks the server's limits
(`core.limits`) and queues it first in, first out. A fragment polls the job once a second, so
drawing never slows the loop, and a slider move, Stop or a page switch loses no finished epoch.
While it waits, the learner sees their place in the queue and can leave it. Every started job is
saved to the run history (`app.runs`) as it trains, outside the script thread, so a closed tab
still saves.
Before a run, the panel says how long it will take (`app.estimates`).
"""
from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from app import runs
from app.charts import draw_chart, history_charts
from app.estimates import duration, estimate_caption, known_seconds, remember_epoch_seconds
from app.i18n import t
from app.text import escape_md, explain_md
from core import limits as hosted
from core import runner as runners
from core.jobs import Status, TrainingJob

POLL_SECONDS = 1.0
JOBS_KEY = "_jobs"
SEEN_KEY = "_jobs_seen_done"



def jobs() -> dict[str, TrainingJob]:
    return st.session_state.setdefault(JOBS_KEY, {})


def current_job(key: str) -> TrainingJob | None:
    return jobs().get(key)


def finished_job(key: str) -> TrainingJob | None:
    """The panel's last job, if it is done and trained at least one epoch (diverged runs included:
    for views of the records themselves). Views of the trained model want `trained_job`."""
    job = current_job(key)
    return job if job is not None and job.done and job.records else None


def trained_job(key: str) -> TrainingJob | None:
    """The panel's last job, if it left a model worth checking: done, not diverged (its weights are
    inf or NaN) and with best weights, i.e. at least one epoch with a finite validation loss.
    Runs stopped or early-stopped after one epoch count: their best epoch is that one."""
    job = finished_job(key)
    if job is None or not job.status.left_a_model or job.best.state is None:
        return None
    return job


def why_untrained(key: str) -> str | None:
    """Why the panel's last, finished run left no model to check, in the learner's language;
    None when there is no finished run or when it did leave one."""
    job = current_job(key)
    if job is None or not job.done or trained_job(key) is not None:
        return None
    if job.status == "diverged":
        return t("train.untrained.diverged", epoch=len(job.records), lr=f"{job.config.lr:g}")
    if job.status == "failed":
        return t("train.untrained.failed")
    if job.status in (Status.REFUSED, Status.CANCELLED):
        return t("train.untrained.not_started")
    if not job.records:
        return t("train.untrained.no_epoch")
    return t("train.untrained.no_finite")


def trained_job_or_note(key: str, need_run: str) -> TrainingJob | None:
    """`trained_job(key)`; otherwise say why there is nothing to check: `need_run` when no run has
    finished yet, or what went wrong with the last one."""
    job = trained_job(key)
    if job is None:
        reason = why_untrained(key)
        if reason is None:
            st.info(need_run)
        else:
            st.warning(reason)
    return job


def _labels() -> dict[str, str]:
    return {k: t(f"train.{k}") for k in ("loss_title", "lr_title", "epoch", "loss", "lr", "split")}


def _start(key: str, make_job: Callable[[], TrainingJob]) -> None:
    try:
        job = make_job()
    except ValueError as exc:  # impossible settings: say why instead of crashing
        st.error(t("train.bad_config", reason=explain_md(exc)))
        return
    running = current_job(key)
    if running is not None and not running.done:
        runners.current().cancel(running)  # out of the queue, or stopped: one run per panel
    jobs()[key] = job
    st.session_state.setdefault(SEEN_KEY, set()).discard(key)
    job.expected_seconds = known_seconds(job)  # for the queue's waiting times; None if never timed
    runs.record(job, key)
    job.start(learner=runs.session_id())


def _hosted_t(key: str, **params) -> str:
    return t(f"90_runs.hosted.{key}", **params)


def _queue_message(key: str, job: TrainingJob) -> None:
    """Where the job waits: its place, the queue's length and about how long until it starts."""
    runner = runners.current()
    position = runner.position(job)
    if position is None:
        st.caption(t("train.starting"))
        return
    total, wait = runner.queued, runner.wait_seconds(job)
    if wait is None:
        st.info(t("train.queued_unknown", position=position, total=total), icon="⏳")
    else:
        st.info(t("train.queued", position=position, total=total, wait=duration(wait)), icon="⏳")
    st.caption(_hosted_t("slots", running=runner.running, limit=runner.capacity, queued=total))
    if st.button(t("train.cancel"), key=f"cancel_{key}", icon="✖"):
        runner.cancel(job)


def _limit_notes(job: TrainingJob) -> None:
    """Say which hosted-mode limits changed this run (clamped epochs or samples)."""
    for code, params in job.limit_notes:
        st.info(_hosted_t(code, **params))


def _status_message(job: TrainingJob) -> None:
    n = len(job.records)
    if job.status == "finished":
        st.success(t("train.finished", epochs=n, seconds=f"{job.elapsed:.1f}"))
    elif job.status == "early_stopped":
        st.success(t("train.early_stopped", epochs=n, best=job.best.best_epoch))
    elif job.status == "stopped":
        st.info(t("train.stopped", epochs=n))
    elif job.status == "diverged":
        st.error(t("train.diverged", epoch=n, lr=f"{job.config.lr:g}"))
    elif job.status == "failed":
        st.error(t("train.failed", error=escape_md(job.error or "")))
    elif job.status == Status.CANCELLED:
        st.info(t("train.cancelled"))
    elif job.status == Status.REFUSED and job.refusal is not None:
        st.error(_hosted_t(job.refusal.code, **job.refusal.params))


def _summary(job: TrainingJob, score_title: str | None) -> None:
    finite = [r for r in job.records if r.val_loss == r.val_loss]
    if not finite:
        return
    best = min(finite, key=lambda r: r.val_loss)
    cols = st.columns(4)
    cols[0].metric(t("train.best_val_loss"), f"{best.val_loss:.4f}", help=t("train.best_epoch", epoch=best.epoch))
    if score_title and best.val_score is not None:
        cols[1].metric(t("train.best_val_score", score=score_title), f"{best.val_score:.2%}"
                       if job.data.task != "regression" else f"{best.val_score:.3f}")
    cols[2].metric(t("train.epochs_done"), f"{len(job.records)}/{job.config.num_epochs}")
    cols[3].metric(t("train.time"), duration(job.elapsed))
    if job.best.state is not None and job.status != "diverged":
        st.download_button(
            t("train.download"), job.checkpoint_bytes(), file_name=f"{job.meta.get('page', 'model')}_best.pt",
            mime="application/octet-stream", key=f"dl_{id(job)}", on_click="ignore",
        )


def _draw(key: str, job: TrainingJob, score_title: str | None) -> None:
    running = not job.done
    _limit_notes(job)
    if job.status == Status.QUEUED:
        _queue_message(key, job)
    elif running:
        eta = job.eta_seconds
        text = t("train.progress", epoch=len(job.records), total=job.config.num_epochs,
                 eta=f"{eta:.0f}" if eta is not None else "…")
        st.progress(min(1.0, job.progress), text=text)
        if st.button(t("train.stop"), key=f"stop_{key}", type="secondary", icon="⏹"):
            job.stop()
    else:
        _status_message(job)
    if job.records:
        charts = history_charts(job.records, _labels(), score_title)
        cols = st.columns(2)
        for i, chart in enumerate(charts[:2]):
            with cols[i]:
                draw_chart(chart)
        if len(charts) > 2:
            draw_chart(charts[2])
    if not running:
        _summary(job, score_title)


def training_panel(
    key: str,
    make_job: Callable[[], TrainingJob],
    score_title: str | None = None,
    button_label: str | None = None,
    live_extra: Callable[[TrainingJob], None] | None = None,
) -> TrainingJob | None:
    """Train/Stop controls and live charts for the job `make_job` builds. Returns the job.

    `live_extra(job)` draws page-specific live views (a decision boundary, say) on every poll.
    """
    job = current_job(key)
    busy = job is not None and not job.done
    if st.button(button_label or t("train.start"), key=f"train_{key}", type="primary", icon="▶", disabled=busy):
        _start(key, make_job)
        if current_job(key) is not job:  # started: draw the page again, with Train greyed out while it runs
            st.rerun()
    limits = hosted.current()
    if limits.hosted:
        st.caption(_hosted_t("caption", epochs=limits.max_epochs, samples=limits.max_train_samples,
                             params=f"{limits.max_parameters:,}", jobs=limits.max_jobs))
    if job is None or job.done:
        estimate_caption(make_job)
    if job is None:
        st.caption(t("train.idle"))
        return None

    @st.fragment(run_every=POLL_SECONDS if not job.done else None)
    def live() -> None:
        _draw(key, job, score_title)
        if live_extra is not None and job.model is not None:
            live_extra(job)
        seen = st.session_state.setdefault(SEEN_KEY, set())
        if job.done and key not in seen:
            seen.add(key)
            remember_epoch_seconds(job)
            if job.status != Status.REFUSED:  # (a refusal is drawn by the run that pressed Train)
                st.rerun()  # redraw the whole page: post-training views appear, Train is enabled again

    live()
    return job
