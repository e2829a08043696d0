"""Self-check quizzes from the page content files; scores go to the learner's progress."""
from __future__ import annotations

import streamlit as st

from app.i18n import lookup, t
from app.session import record_quiz


def quiz(stem: str) -> None:
    """Radio questions, a Check button, and an explanation for every answer."""
    questions = lookup(f"{stem}.quiz")
    answers = []
    for i, q in enumerate(questions):
        answers.append(st.radio(f"**{i + 1}. {q['question']}**", range(len(q["options"])), index=None,
                                format_func=lambda j, q=q: q["options"][j], key=f"quiz_{stem}_{i}"))
    if not st.button(t("quiz.check"), key=f"quiz_check_{stem}", icon="✅"):
        return
    correct = 0
    for i, (q, a) in enumerate(zip(questions, answers)):
        if a is None:
            st.warning(t("quiz.unanswered", n=i + 1))
            continue
        ok = a == q["answer"]
        correct += ok
        box = st.success if ok else st.error
        verdict = t("quiz.right") if ok else t("quiz.wrong", answer=q["options"][q["answer"]])
        box(f"{i + 1}. {verdict} {q['explanations'][a]}")
        if not ok:
            st.caption(q["explanations"][q["answer"]])
    record_quiz(stem, correct, len(questions))
    st.metric(t("quiz.score"), f"{correct}/{len(questions)}")
