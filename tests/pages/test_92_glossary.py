"""Glossary page: every term in a table, a search box that narrows it in either language, links to sections."""
from conftest import open_page, texts

from app.glossary import terms
from app.navigation import discover

SLUGS = {e.stem: e.slug for e in discover()}


def table(at):
    return at.dataframe[0].value


def search_for(at, query):
    at.text_input(key="gl_query").input(query)
    return at.run()


def test_lists_every_term_own_language_first_linked_to_its_section(lang):
    at = open_page("92_glossary", lang)
    assert not at.exception
    df = table(at)
    assert len(df) == len(terms())
    first = "English" if lang == "en" else "Русский"
    assert df.columns[0] == first
    assert (f"{len(terms())} of {len(terms())} terms" if lang == "en" else f"{len(terms())} терминов") in texts(at)
    col = "Taught in" if lang == "en" else "Где изучается"
    for term, link in zip(terms(), df[col]):  # each row links to the page that teaches the term
        assert term.section in SLUGS, f"{term.key}: no page {term.section}"
        assert link.startswith(f"./{SLUGS[term.section]}?lang={lang}#"), link


def test_search_narrows_the_rows_in_english_and_russian(lang):
    at = search_for(open_page("92_glossary", lang), "learning rate" if lang == "en" else "скорость обучения")
    assert not at.exception
    df = table(at)
    names = df["English"].tolist()
    assert names[0] == "learning rate" and len(df) < 10
    assert df["Russian" if lang == "en" else "Русский"].tolist()[0] == "скорость обучения"
    at = search_for(at, "лосс")  # a ruled-out variant finds the term that replaces it
    assert table(at)["English"].tolist() == ["loss (loss function)"]
    at = search_for(at, "no such term anywhere")
    assert not at.dataframe and at.info
    assert ("No term matches" if lang == "en" else "Ни один термин не подходит") in at.info[0].value

