"""Every page on disk renders in English and Russian without an exception, and Home maps them all."""
import pytest
from conftest import open_page, texts

from app.navigation import discover
from core.progress import ProgressStore
from core.snippets import snippet_source

PAGES = [e.stem for e in discover()]


@pytest.mark.parametrize("stem", PAGES)
def test_page_renders_in_both_languages(stem, lang):
    at = open_page(stem, lang)
    assert not at.exception, f"{stem} [{lang}]: {at.exception}"
    assert at.title, f"{stem} has no title"
    snippet = snippet_source(stem)
    if snippet is not None:  # every guide section: 'the code you would write', exactly the script the tests run
        assert any(c.value.strip() == snippet.strip() for c in at.code), f"{stem}: the snippet panel is missing"
        title = "The code you would write" if lang == "en" else "Код, который вы бы написали"
        assert title in [h.value for h in at.subheader]


def test_home_lists_every_guide_page_and_counts_quiz_progress(lang, tmp_path, monkeypatch):
    monkeypatch.setenv("DLDASH_RUNS_DB", str(tmp_path / "runs.db"))  # quiz scores live in the progress store
    ProgressStore(tmp_path / "runs.db").record_quiz("local", "52_training", 3, 4)
    at = open_page("00_home", lang)
    guide = [e for e in discover() if 1 <= e.part <= 5]
    assert any(m.value == f"0/{len(guide)}" for m in at.metric)  # sections visited
    assert any(m.value == "3/4" for m in at.metric)
    shown = texts(at)
    assert ("Map of the guide" if lang == "en" else "Карта руководства") in shown
