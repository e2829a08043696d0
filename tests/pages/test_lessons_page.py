"""A lesson link on a page: locked widgets hold the lesson's values on every run, whatever the URL or
the session state say; open ones only start there; teachers alone see the link maker."""
from __future__ import annotations

import pytest
from conftest import page_path, texts
from streamlit.testing.v1 import AppTest

from core import limits
from core.lessons import Lesson, sign

STEM = "11_linear_algebra"
SECRET = "lesson page test secret"


@pytest.fixture(autouse=True)
def lesson_secret(monkeypatch):
    monkeypatch.setenv("DLDASH_LESSON_SECRET", SECRET)


def link(**values) -> str:
    return sign(Lesson(STEM, {k: str(v) for k, v in values.items()}, frozenset({"la_in"}), "Shapes"), SECRET.encode())


def open_with(token: str, lang: str = "en") -> AppTest:
    at = AppTest.from_file(page_path(STEM), default_timeout=120)
    at.session_state["lang"] = lang
    at.session_state["force_cpu"] = True
    at.query_params["lesson"] = token
    return at.run()


def shapes(at) -> str:
    """The sentence that reports the shapes the page computed from the layer's sliders."""
    return next(m.value for m in at.markdown if "A batch **X** has shape" in m.value)


def test_a_locked_widget_keeps_the_lessons_value_whatever_the_url_or_state_say():
    at = open_with(link(la_in=7, la_out=5))
    assert not at.exception
    assert at.slider(key="la_in").value == 7 and at.slider(key="la_in").disabled
    assert "shape (4, 7)" in shapes(at) and "Locked by your teacher for this lesson" in texts(at)
    assert "Lesson: Shapes" in texts(at)

    at.query_params["la_in"] = "300"  # an edited link
    at.run()
    assert at.slider(key="la_in").value == 7 and "shape (4, 7)" in shapes(at)

    at.session_state["la_in"] = 100  # edited state
    at.run()
    assert at.slider(key="la_in").value == 7 and "shape (4, 7)" in shapes(at)

    forged = at.slider(key="la_in")
    forged._value = 40  # a hand-made websocket message: a browser cannot move a disabled slider, AppTest refuses to
    at.run()
    assert at.slider(key="la_in").value == 7 and "shape (4, 7)" in shapes(at)

    del at.query_params["lesson"]  # the lesson stays for the session
    at.run()
    assert not at.exception
    assert at.slider(key="la_in").value == 7 and at.slider(key="la_in").disabled and "shape (4, 7)" in shapes(at)


def test_an_open_widget_starts_at_the_lessons_value_and_then_moves():
    at = open_with(link(la_in=7, la_out=5))
    assert at.slider(key="la_out").value == 5 and not at.slider(key="la_out").disabled
    at.slider(key="la_out").set_value(9).run()
    assert at.slider(key="la_out").value == 9 and "shape (4, 9)" in shapes(at)


def test_a_lesson_value_goes_through_the_widgets_own_parser():
    at = open_with(link(la_in=100000))  # signed, yet the slider holds 1-512
    assert not at.exception
    assert at.slider(key="la_in").value == 512 and "shape (4, 512)" in shapes(at)


def test_an_edited_link_is_refused_and_the_page_opens_as_usual(lang):
    token = link(la_in=7)
    head, tail = token.split(".")
    at = open_with(head[:-2] + ("A" if head[-2] != "A" else "B") + head[-1] + "." + tail, lang)
    assert not at.exception
    assert at.slider(key="la_in").value == 3 and not at.slider(key="la_in").disabled
    expected = "was not made on this server or was edited" if lang == "en" else "создана не на этом сервере или изменена"
    assert any(expected in e.value for e in at.error)


def test_the_link_maker_is_for_teachers_only():
    local = open_with(link(la_in=7))
    maker = [e for e in local.expander if e.label == "Lesson link"]
    assert maker, "the local learner is the teacher of their own machine"
    local.run()  # now the page's widgets are known: the link carries them, signed
    made = [c.value for c in local.code if "?lesson=" in c.value]
    assert made and made[0].startswith("/linear_algebra?lesson=")
    from core.lessons import verify

    lesson = verify(made[0].split("=", 1)[1], SECRET.encode(), page=STEM)
    assert lesson.values["la_in"] == "7" and lesson.values["la_out"] == "2" and not lesson.locked

    limits.configure(limits.Limits(hosted=True))
    try:
        hosted = open_with(link(la_in=7))
        assert not hosted.exception
        assert not [e for e in hosted.expander if e.label == "Lesson link"]
        assert not [c for c in hosted.code if "?lesson=" in c.value]
        assert hosted.slider(key="la_in").value == 7, "the learner's lesson is enforced all the same"
    finally:
        limits.configure(None)
