"""Roadmap: lists only existing guide pages, links each with its quiz progress, in EN and RU."""
from conftest import ROOT, texts

from app.navigation import discover
from core.progress import ProgressStore

GUIDE = [e for e in discover() if 1 <= e.part <= 5]


def open_roadmap(lang, **state):
    """Through the real router, so that st.page_link can resolve the other pages."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app" / "streamlit_app.py"), default_timeout=120)
    at.session_state["lang"] = lang
    at.session_state["force_cpu"] = True
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    return at.switch_page("../pages/91_roadmap.py").run()


def labels(at) -> list[str]:
    return [link.proto.label for link in at.get("page_link")]


def test_lists_existing_pages_with_progress(lang, tmp_path, monkeypatch):
    monkeypatch.setenv("DLDASH_RUNS_DB", str(tmp_path / "runs.db"))  # an empty progress store
    at = open_roadmap(lang)
    assert not at.exception
    shown = texts(at)
    assert ("What you now know" if lang == "en" else "Что вы теперь знаете") in shown
    assert ("Where to go next" if lang == "en" else "Куда двигаться дальше") in shown
    ours = [label for label in labels(at) if "·" in label]
    assert len(ours) == len(GUIDE)  # one link per existing guide page, no more
    assert all(("self-check not taken yet" if lang == "en" else "самопроверка ещё не пройдена") in label for label in ours)
    assert any(m.value == "—" for m in at.metric)


def test_shows_recorded_quiz_scores(lang, tmp_path, monkeypatch):
    monkeypatch.setenv("DLDASH_RUNS_DB", str(tmp_path / "runs.db"))  # quiz scores live in the progress store
    store = ProgressStore(tmp_path / "runs.db")
    store.record_quiz("local", "41_layers", 4, 5)
    store.record_quiz("local", "42_patterns", 2, 4)
    at = open_roadmap(lang)
    assert not at.exception
    values = {m.value for m in at.metric}
    assert "6/9" in values and f"2/{len(GUIDE)}" in values
    layer = next(label for label in labels(at) if label.startswith(("4.1", "4.1 ")) and "·" in label)
    assert "✅ 4/5" in layer
