"""Home: the map of the guide, the learner's progress, the device, and how to use the dashboard."""
import streamlit as st

from app.i18n import current_lang, page_t
from app.navigation import discover, page_link, section_label, title_and_icon
from app.session import device, progress
from core.device import describe_device

current_lang()
T = page_t("00_home")
st.title(f"{T('icon')} {T('heading')}")
st.markdown(T("intro"))

info = describe_device(device())
done = progress()
entries = [e for e in discover() if 1 <= e.part <= 5]
answered = sum(c for c, _ in done.values())
asked = sum(n for _, n in done.values())
c1, c2, c3 = st.columns(3)
c1.metric(T("device"), info.type.upper(), help=info.label)
c2.metric(T("sections"), len(entries))
c3.metric(T("quiz_progress"), f"{answered}/{asked}" if asked else "—", help=T("quiz_help"))

st.subheader(T("map"))
parts = sorted({e.part for e in entries})
PER_ROW = 3  # five columns cut titles such as "3.1 Multilayer perceptron" short
cols = [col for start in range(0, len(parts), PER_ROW) for col in st.columns(PER_ROW)]
for col, part in zip(cols, parts):
    with col:
        st.markdown(f"**{section_label(part)}**")
        for e in (e for e in entries if e.part == part):
            score = done.get(e.stem)
            badge = f" · ✅ {score[0]}/{score[1]}" if score else ""
            page_link(e, label=f"{title_and_icon(e.stem)[0]}{badge}")

st.subheader(T("how_title"))
st.markdown(T("how"))
