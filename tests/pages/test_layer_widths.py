"""The layer-width boxes (3.1, 5.2): every clamp or refusal says what changed and why, in the
learner's language, and quotes at most 40 characters of what was typed."""
from __future__ import annotations

import re

import pytest
from conftest import open_page

BOXES = [("31_mlp", "mlp_hidden", "32, 32, 32"), ("52_training", "tr_hidden", "128, 64")]
CLAMPED = {"en": "A layer width is a whole number from 1 to 1024, so “{text}” is used as {widths}.",
           "ru": "Ширина слоя — целое число от 1 до 1024, поэтому вместо «{text}» используется {widths}."}
NOT_INTS = {"en": "“{text}” is not a list of whole numbers separated by commas (e.g. 64, 32), so the default {default} is used.",
            "ru": "«{text}» — не список целых чисел через запятую (например, 64, 32), "
                  "поэтому используется значение по умолчанию {default}."}
TOO_MANY = {"en": "“{text}” has 200 layers, and at most 12 are allowed, so the default {default} is used.",
            "ru": "В «{text}» слоёв: 200, а можно не больше 12, поэтому используется значение по умолчанию {default}."}
CASES = [  # typed, expected message, the quote as shown, widths used
    ("0", CLAMPED, "0", "1"),
    ("-5", CLAMPED, "-5", "1"),
    ("4096, 4096, 4096", CLAMPED, "4096, 4096, 4096", "1024, 1024, 1024"),
    ("9" * 400, CLAMPED, "9" * 39 + "…", "1024"),
    ("x" * 400, NOT_INTS, "x" * 39 + "…", None),
    ("1," * 200, TOO_MANY, "1," * 19 + "1…", None),
    ("64 32", NOT_INTS, "64 32", None),
]


def as_read(message: str) -> str:
    """A message as the learner reads it: Markdown's backslash escapes (user text is escaped) removed."""
    return re.sub(r"\\(.)", r"\1", message)


def quoted(message: str) -> str:
    """The quoted input inside a message."""
    inner = re.search(r"“(.*?)”|«(.*?)»", message)
    return inner.group(1) or inner.group(2)


@pytest.mark.parametrize("stem, key, default", BOXES)
def test_every_clamp_or_refusal_says_what_and_why(stem, key, default, lang):
    at = open_page(stem, lang, timeout=300)
    for typed, template, shown, used in CASES:
        at.text_input(key=key).set_value(typed).run()
        assert not at.exception
        said = [as_read(w.value) for w in at.warning]
        expected = template[lang].format(text=shown, widths=used, default=default)
        assert said == [expected], (typed[:20], said)
        assert len(quoted(said[0])) <= 40, "at most 40 characters of the input are quoted"
        assert at.query_params.get(key, default) == (used or default), "the widths the run will use"
    at.text_input(key=key).set_value("[x](http://a.b) *y*").run()
    assert "\\[x\\]\\(http\\:\\/\\/a\\.b\\) \\*y\\*" in at.warning[0].value, "the quote is text, not Markdown"


def test_valid_widths_say_nothing():
    at = open_page("52_training", "ru")
    at.text_input(key="tr_hidden").set_value("64,32,,").run()
    assert not at.exception and not at.warning
    assert at.query_params["tr_hidden"] == "64, 32"
