"""Dead paths stay deleted (issue 9, item 14): a URL-notice queue nothing filled (and whose Runs-page
reader passed `key=` to a template with `{name}`, a TypeError the day it ran), old private aliases,
finish hooks nobody registered, and a session value nobody read. The live path, a notice right above
the widget whose link value was bad, is tested on the Runs page."""
from __future__ import annotations

import re
from pathlib import Path

from conftest import ROOT, texts

GONE = {"app.widgets": ("url_notices", "NOTICES_KEY", "_clamp_number", "_parse_option"), "app.training": ("FINISH_HOOKS",)}


def test_dead_names_are_gone_from_the_modules():
    import importlib

    for module, names in GONE.items():
        left = [n for n in names if hasattr(importlib.import_module(module), n)]
        assert not left, f"{module} still defines {left}"


def test_nothing_refers_to_them():
    names = [n for names in GONE.values() for n in names] + ["last_recipe", "_url_notices"]
    pattern = re.compile("|".join(map(re.escape, names)))
    sources = [p for folder in ("app", "pages", "core") for p in (ROOT / folder).rglob("*.py")]
    hits = [f"{p.relative_to(ROOT)}: {m.group()}" for p in sources for m in pattern.finditer(Path(p).read_text("utf-8"))]
    assert not hits


def test_a_bad_link_value_on_the_runs_page_is_named_above_its_widget(lang, tmp_path, monkeypatch):
    from conftest import page_path
    from streamlit.testing.v1 import AppTest

    from core.runstore import RunStore

    monkeypatch.setenv("DLDASH_RUNS_DB", str(tmp_path / "runs.db"))
    store = RunStore(tmp_path / "runs.db")
    run_id = store.start_run(page="52_training", dataset="iris", model="mlp", num_epochs=1, hparams={}, session="s",
                             device="cpu", query={})
    store.finish_run(run_id, "finished", {}, duration=0.1)
    at = AppTest.from_file(page_path("90_runs"), default_timeout=60)
    at.session_state["lang"] = lang
    at.query_params["rn_sort"] = "[bogus](http://x.y)"
    at.run()
    assert not at.exception
    said = "invalid value for “rn_sort”" if lang == "en" else "недопустимое значение «rn_sort»"
    assert said in texts(at) and "\\[bogus\\]" in texts(at)
