"""Glossary: the guide's terms in English and Russian, searchable, each linked to the page that teaches it."""
import pandas as pd
import streamlit as st

from app.glossary import search, terms
from app.i18n import current_lang, page_t, t
from app.navigation import discover, page_link

lang = current_lang()
T = page_t("92_glossary")
st.title(f"{T('icon')} {T('title')}")
st.caption(T("lead"))

pages = {e.stem: e for e in discover()}
query = st.text_input(T("search"), key="gl_query", placeholder=T("search_placeholder"))
found = search(query)
st.caption(T("count", shown=len(found), total=len(terms())))


def row(term) -> dict:
    """One table row, the reader's language first; the section cell links to the teaching page."""
    names = {"en": term.en, "ru": term.ru}
    other = "ru" if lang == "en" else "en"
    title = t(f"{term.section}.title")
    return {
        T(f"col_{lang}"): names[lang],
        T(f"col_{other}"): names[other],
        T("col_section"): f"./{pages[term.section].slug}?lang={lang}#{title}",
        T("col_ruled_out"): ", ".join(term.ruled_out),
        T("col_meaning"): term.en_def if lang == "en" else term.ru_def,
    }


if found:
    st.dataframe(pd.DataFrame([row(term) for term in found]), hide_index=True, width="stretch", height=min(600, 35 * (len(found) + 1) + 3),
                 column_config={T("col_section"): st.column_config.LinkColumn(display_text=r"#(.+)$", width="medium"),
                                T("col_ruled_out"): st.column_config.TextColumn(width="small"),
                                T("col_meaning"): st.column_config.TextColumn(width="large")})
    st.subheader(T("sections_title"))
    for stem in sorted({term.section for term in found}):
        n = sum(term.section == stem for term in found)
        page_link(pages[stem], label=T("section_link", title=t(f"{stem}.title"), n=n))
else:
    st.info(T("nothing", query=query))
