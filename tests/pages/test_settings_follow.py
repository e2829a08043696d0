"""The sidebar's settings follow a hosted or signed-in learner (app/settings.py): a new session of the
same learner opens with them, another learner does not, and a setting the URL carries wins."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from conftest import ROOT

from app.i18n import t
from core import limits
from core.progress import ProgressStore


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "runs.db"
    monkeypatch.setenv("DLDASH_RUNS_DB", str(path))
    limits.configure(limits.Limits(hosted=True))
    yield path
    limits.configure(limits.Limits(hosted=False))


def _session(learner: str, **query):
    """A new session of the app (its router and sidebar) for the hosted browser `learner`."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app" / "streamlit_app.py"), default_timeout=120)
    at.session_state["_run_session"] = learner  # app.identity.BROWSER_KEY: this browser's id
    at.query_params.update(query)
    return at.run()


def _shown(at) -> tuple[str, int]:
    assert not at.exception
    return at.radio(key="lang").value, at.number_input(key="seed").value


def test_settings_follow_the_learner_into_a_new_session_and_a_link_wins(db, monkeypatch):
    writes = []
    save = ProgressStore.save_settings
    monkeypatch.setattr(ProgressStore, "save_settings", lambda self, learner, values: (writes.append(dict(values)),
                                                                                         save(self, learner, values)))
    alice = _session("alice")
    assert _shown(alice) == ("en", 0)
    alice.radio(key="lang").set_value("ru").run()
    alice.number_input(key="seed").set_value(7).run()
    alice.run()  # a rerun with nothing changed writes nothing
    assert writes == [{"lang": "ru"}, {"seed": "7"}]
    assert ProgressStore(db).settings("alice") == {"lang": "ru", "seed": "7"}

    again = _session("alice")
    assert _shown(again) == ("ru", 7)
    assert again.number_input(key="seed").label == t("sidebar.seed", lang="ru"), "the page is drawn in Russian"
    assert _shown(_session("bob")) == ("en", 0), "another learner keeps their own"
    assert _shown(_session("alice", lang="en")) == ("en", 7), "a shared link's language wins over the stored one"
    assert len(writes) == 2, "opening sessions saves nothing"


def test_a_bad_stored_value_falls_back_a_store_that_fails_breaks_nothing_and_the_local_learner_reads_nothing(db, monkeypatch):
    ProgressStore(db).save_settings("alice", {"lang": "fr", "seed": "1e12", "force_cpu": "maybe"})
    alice = _session("alice")
    assert _shown(alice) == ("en", 2**31 - 1), "an unknown language is the default; a seed is clamped as the widget does"

    def down(*args):
        raise sa.exc.OperationalError("SELECT", {}, Exception("the server is down"))

    monkeypatch.setattr(ProgressStore, "settings", down)
    monkeypatch.setattr(ProgressStore, "save_settings", down)
    alice = _session("alice")
    assert _shown(alice) == ("en", 0)
    alice.number_input(key="seed").set_value(3).run()
    assert _shown(alice) == ("en", 3), "the setting still changes; it is only not saved"
    limits.configure(limits.Limits(hosted=False))
    monkeypatch.setattr(ProgressStore, "settings", lambda self, learner: pytest.fail("the local learner read settings"))
    assert _shown(_session("alice")) == ("en", 0)
