"""Share by URL: widget values survive a round trip through the query string, and no malformed
query string makes the parsing helpers (or a page) raise."""
from __future__ import annotations

import math

import pytest
from conftest import texts
from hypothesis import given, settings
from hypothesis import strategies as st

from app.controls import LR_CHOICES
from app.widgets import MAX_RAW, parse_bool, parse_int_list, parse_number, parse_option, parse_or_default

NASTY = st.one_of(
    st.text(max_size=300),
    st.sampled_from(["nan", "inf", "-inf", "1e400", "-1e400", "0x10", "", " ", "1,2,,3", "9" * 5000, "1e-400", "½", "٣",
                     "1_000", "True", "None", "[1]", "%00", "\x00", "--1", "+5", " 7 ", "64, 32", "99999999999999999999"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers().map(str),
)


def _parsers():
    return [
        (lambda raw: parse_number(raw, 1, 200, True), 30),
        (lambda raw: parse_number(raw, 0.0, 0.8, False, 0.05), 0.1),
        (lambda raw: parse_number(raw, 0, 2**31 - 1, True), 0),
        (lambda raw: parse_option(LR_CHOICES, raw), 1e-3),
        (lambda raw: parse_option(("adam", "sgd"), raw), "adam"),
        (parse_bool, False),
        (lambda raw: parse_int_list(raw, 1, 1024, 12), "128, 64"),
    ]


@settings(max_examples=400, deadline=None)
@given(raw=NASTY)
def test_malformed_values_never_raise_and_stay_in_range(raw):
    for parse, default in _parsers():
        bad = []
        value = parse_or_default(raw, default, parse, bad.append)
        assert (value == default) or not bad
        if isinstance(value, float):
            assert math.isfinite(value)
    n = parse_or_default(raw, 30, lambda r: parse_number(r, 1, 200, True))
    assert isinstance(n, int) and 1 <= n <= 200
    x = parse_or_default(raw, 0.1, lambda r: parse_number(r, 0.0, 0.8, False, 0.05))
    assert 0.0 <= x <= 0.8
    widths = parse_or_default(raw, "128, 64", lambda r: parse_int_list(r))
    assert all(1 <= int(w) <= 1024 for w in widths.split(", ")) and len(widths.split(", ")) <= 12


@given(st.integers(1, 200))
def test_int_round_trip(n):
    assert parse_number(str(n), 1, 200, True) == n


@given(st.integers(0, 16))
def test_float_slider_round_trip(k):
    x = 0.0 + k * 0.05  # what st.slider produces for step 0.05
    assert parse_number(f"{x:g}", 0.0, 0.8, False, 0.05) == x


@given(st.sampled_from(LR_CHOICES))
def test_option_round_trip(lr):
    assert parse_option(LR_CHOICES, str(lr)) == lr


@given(st.lists(st.integers(1, 1024), min_size=1, max_size=12))
def test_int_list_round_trip(widths):
    text = ", ".join(map(str, widths))
    assert parse_int_list(text) == text


def test_too_long_value_is_refused():
    bad = []
    assert parse_or_default("1" * (MAX_RAW + 1), 5, int, bad.append) == 5 and bad


def test_a_copied_query_string_reproduces_the_page_in_a_new_session():
    from conftest import page_path
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(page_path("52_training"), default_timeout=120)
    at.session_state["force_cpu"] = True
    for k, v in {"tr_epochs": "7", "tr_lr": "0.01", "tr_hidden": "32,16", "tr_bn": "1", "tr_dropout": "0.25",
                 "tr_ds": "wine", "seed": "42", "lang": "ru"}.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception
    assert at.slider(key="tr_epochs").value == 7 and at.select_slider(key="tr_lr").value == 0.01
    assert at.text_input(key="tr_hidden").value == "32, 16" and at.toggle(key="tr_bn").value is True
    assert at.slider(key="tr_dropout").value == 0.25 and at.selectbox(key="tr_ds").value == "wine"
    # the seed and language live in the sidebar, which only the full app draws: see tests/e2e/test_hosted.py


def test_malformed_query_string_on_a_page_gives_notices_not_errors():
    from conftest import page_path
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(page_path("52_training"), default_timeout=120)
    at.session_state["force_cpu"] = True
    for k, v in {"tr_epochs": "nan", "tr_lr": "1e999", "tr_hidden": "a,b", "tr_bn": "maybe", "tr_ds": "../../etc/passwd",
                 "seed": "-1e400", "tr_dropout": "9"}.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception
    assert at.slider(key="tr_epochs").value == 30 and at.slider(key="tr_dropout").value == 0.8
    assert at.selectbox(key="tr_ds").value == "digits"
    assert texts(at).count("invalid value") == 5, "one notice per malformed value (the seed is the sidebar's)"


def test_a_link_value_the_widget_cannot_hold_is_changed_with_a_notice(lang):
    """Out of range (epochs 500 of 1-200), between steps (dropout 0.27 in steps of 0.05), widths out of
    range: each is used as the nearest value it can take, and a notice in the learner's language says so."""
    from conftest import page_path
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(page_path("52_training"), default_timeout=120)
    at.session_state["force_cpu"] = True
    at.session_state["lang"] = lang
    for k, v in {"tr_epochs": "500", "tr_dropout": "0.27", "tr_hidden": "0,4096", "tr_bs": "64"}.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception
    assert at.slider(key="tr_epochs").value == 200 and at.slider(key="tr_dropout").value == 0.25
    said = sorted(w.value for w in at.warning)
    if lang == "en":
        expected = ["A layer width is a whole number from 1 to 1024, so “0\\,4096” is used as 1, 1024.",
                    "The link set “tr_dropout” to 0\\.27, which is not one of its steps; the nearest, 0.25, is used instead.",
                    "The link set “tr_epochs” to 500, outside its range of 1 to 200; 200 is used instead."]
    else:
        expected = ["Ссылка задаёт «tr_dropout» = 0\\.27, но такого шага у этой настройки нет; используется ближайшее значение 0.25.",
                    "Ссылка задаёт «tr_epochs» = 500, а это вне диапазона от 1 до 200; используется 200.",
                    "Ширина слоя — целое число от 1 до 1024, поэтому вместо «0\\,4096» используется 1, 1024."]
    assert said == sorted(expected)
    assert at.query_params["tr_epochs"] == "200" and at.query_params["tr_hidden"] == "1, 1024", "the link now holds what is used"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(-10**15, 10**15), min_size=1, max_size=12))
def test_read_widths_clamps_and_says_when(asked):
    from app.widgets import read_widths

    widths, clamped = read_widths(",".join(map(str, asked)), 1, 1024, 12)
    assert widths == tuple(min(max(w, 1), 1024) for w in asked)
    assert clamped == any(not 1 <= w <= 1024 for w in asked)


@pytest.mark.parametrize("text, code", [("", "empty"), (" , ,", "empty"), ("64 32", "not_ints"), ("٣", "not_ints"),
                                        ("1_000", "not_ints"), ("²", "not_ints"), ("1e3", "not_ints"), ("1," * 13, "too_many")])
def test_read_widths_refuses_what_is_not_a_list_of_widths(text, code):
    from app.widgets import read_widths
    from core.errors import InputError

    with pytest.raises(InputError) as err:
        read_widths(text, 1, 1024, 12)
    assert err.value.code == code


def test_a_long_bad_link_value_is_quoted_short_with_an_ellipsis():
    from conftest import page_path
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(page_path("52_training"), default_timeout=120)
    at.session_state["force_cpu"] = True
    at.session_state["lang"] = "ru"
    at.query_params["tr_epochs"] = "x" * 400
    at.run()
    assert not at.exception
    said = [w.value for w in at.warning if "tr_epochs" in w.value]
    assert said == ["В ссылке недопустимое значение «tr_epochs» (" + "x" * 39 + "…); используется значение по умолчанию."]
