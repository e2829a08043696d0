"""Class: for teachers, each learner's quiz scores, exercises passed and runs by section, how each
exercise goes, and all of it as CSV. A learner who opens the page's address is refused."""
import pandas as pd
import streamlit as st

from app import identity, runs
from app import progress as learner_progress
from app.i18n import current_lang, page_t, t
from app.navigation import discover
from app.text import escape_md
from core.class_report import STATUS_PREFIX, ClassReport, build

current_lang()
T = page_t("93_class")
st.title(f"{T('icon')} {T('title')}")

if not identity.is_teacher():
    st.error(T("refused"))
    st.stop()
st.caption(T("lead"))


NONE = "—"


def number(stem: str) -> str:
    """ "52_training" → "5.2"."""
    return f"{stem[0]}.{stem[1]}"


def load() -> ClassReport | None:
    """The report from the run database, or None (said why) when it cannot be read."""
    from core.exercises import all_exercises

    store = learner_progress.store()
    try:
        if store is None:
            raise OSError(learner_progress.unavailable() or "")
        counts = runs.store().run_counts()
        learners, quiz, exercises = store.learners(), store.all_quiz(), store.all_exercises()
    except Exception as exc:  # a database that is down: a message, not a traceback
        st.error(T("no_store", error=escape_md(str(exc)[:200])))  # a URL or a path: Markdown-escaped
        return None
    sections = [e.stem for e in discover() if 1 <= e.part <= 5]
    return build(sections, {ex.id: ex.section for ex in all_exercises()}, learners, quiz, exercises, counts)


def matrices(report: ClassReport) -> None:
    """Learners × sections: one tab per measure."""
    labels = {s: number(s) for s in report.sections}
    for tab, measure in zip(st.tabs([T(f"measure.{m}") for m in ("quiz", "exercises", "runs")]), ("quiz", "exercises", "runs")):
        with tab:
            st.caption(T(f"measure_help.{measure}"))
            table = pd.DataFrame(report.matrix(measure)).rename(columns={"learner": T("learner"), **labels})
            if measure == "runs":
                table[T("all_runs")] = [report.runs_total[learner] for learner in report.learners]
            st.dataframe(table, hide_index=True, width="stretch",
                         column_config={labels[s]: st.column_config.Column(help=t(f"{s}.title")) for s in report.sections})


def failure_label(name: str) -> str:
    return T("no_verdict", status=name[len(STATUS_PREFIX):]) if name.startswith(STATUS_PREFIX) else name


def exercise_table(report: ClassReport) -> None:
    """Each exercise: who tried it, who passed, and the check that fails most often."""
    st.subheader(T("exercises_title"))
    from core.exercises import get

    rows = [{T("col.exercise"): f"{row.exercise} · {t(f'exercises.ex.{get(row.exercise).key}.title')}",
             T("col.tried"): row.tried, T("col.passed"): row.passed,
             T("col.rate"): NONE if row.pass_rate is None else f"{round(100 * row.pass_rate)} %",
             T("col.failure"): failure_label(row.common_failure) if row.common_failure else NONE,
             T("col.failure_learners"): row.failure_learners or NONE}
            for row in report.exercises]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")  # NONE, not the grid's grey "None", where nobody tried


report = load()
if report is not None:
    c = st.columns(3)
    c[0].metric(T("metric.learners"), len(report.learners))
    c[1].metric(T("metric.passed"), sum(row.passed for row in report.exercises))
    c[2].metric(T("metric.runs"), sum(report.runs_total.values()))
    if not report.learners:
        st.info(T("empty"))
    else:
        matrices(report)
        exercise_table(report)
        st.download_button(T("csv"), report.csv(), file_name="class.csv", mime="text/csv", icon="⬇️")
