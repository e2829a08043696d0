"""Roadmap: what the learner now knows, linked to each page with its quiz progress, and where to go next."""
import streamlit as st
from streamlit.errors import StreamlitAPIException

from app.i18n import current_lang, page_t, t
from app.navigation import discover, section_label
from app.session import progress

current_lang()
T = page_t("91_roadmap")
st.title(f"{T('icon')} {T('title')}")
st.caption(T("lead"))

done = progress()
entries = [e for e in discover() if 1 <= e.part <= 5]
taken = [done[e.stem] for e in entries if e.stem in done]
c1, c2, c3 = st.columns(3)
c1.metric(T("pages"), len(entries))
c2.metric(T("quizzes_taken"), f"{len(taken)}/{len(entries)}")
c3.metric(T("correct"), f"{sum(c for c, _ in taken)}/{sum(n for _, n in taken)}" if taken else "—")

st.header(T("knows_title"))
for part in sorted({e.part for e in entries}):
    st.subheader(section_label(part))
    st.markdown(T(f"knows.part{part}"))
    for e in (e for e in entries if e.part == part):
        score = done.get(e.stem)
        badge = T("score", correct=score[0], total=score[1]) if score else T("not_taken")
        label = f"{t(f'{e.stem}.title')} · {badge}"
        try:
            st.page_link(str(e.path), label=label, icon=t(f"{e.stem}.icon"))
        except StreamlitAPIException:  # run on its own, outside the router: no pages to link to
            st.markdown(f"{t(f'{e.stem}.icon')} {label}")

st.header(T("next_title"))
st.markdown(T("next"))
st.header(T("tips_title"))
st.markdown(T("tips"))
