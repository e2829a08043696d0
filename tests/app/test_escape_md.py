"""User text is escaped before Markdown sees it: no links, images, emphasis, HTML or LaTeX survive."""
import string

import pytest

from app.text import escape_md, explain_md
from core.csv_loader import CSVError

LIVE = set("[]()!*_`<>$~#|\\")
PAYLOADS = [
    "[Click to log in](http://evil.example/login)",
    "![p](http://evil.example/x.png)",
    "*bold* and **strong** and _em_ and __strong__",
    "<img src=x onerror=alert(1)>",
    "<a href='http://evil.example'>x</a>",
    "$\\frac{1}{0}$ and $$x$$",
    "`code` ~~strike~~ # heading | table |",
    "back\\slash \\[not a link\\](x)",
    ":red[colour] :material/home: http://evil.example www.evil.example",
    "line one\n# heading\n\n    code block\r\n- list",
]


def unescaped(text: str) -> list[str]:
    """The Markdown-active characters that no backslash escapes, scanning as CommonMark does."""
    found, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in string.punctuation:
            i += 2
            continue
        if text[i] in LIVE:
            found.append(text[i])
        i += 1
    return found


def unescape(text: str) -> str:
    """What CommonMark shows for backslash-escaped text."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in string.punctuation:
            i += 1
        out.append(text[i])
        i += 1
    return "".join(out)


def test_the_checker_sees_raw_payloads():
    assert all(unescaped(p) for p in PAYLOADS)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_markdown_syntax_survives_escaping(payload):
    safe = escape_md(payload)
    assert unescaped(safe) == [], safe
    assert "\n" not in safe and "\r" not in safe
    assert "http:" not in safe and "www." not in safe, "no bare URL for an autolink to find"


@pytest.mark.parametrize("payload", PAYLOADS + ["plain words", "Ирис_данные.csv", "x = 3.5e-4 (50%)"])
def test_escaped_text_reads_the_same(payload):
    assert unescape(escape_md(payload)) == payload.replace("\r", " ").replace("\n", " ")


def test_non_strings_are_shown_as_text():
    assert escape_md(3) == "3" and escape_md(1.5) == "1\\.5" and escape_md(None) == "None"


def test_error_messages_escape_the_user_text_they_quote():
    exc = CSVError("bad_target", "no column named '[x](http://evil)'", target="[x](http://evil)",
                   columns="![p](http://evil/x.png), *b*")
    for lang in ("en", "ru"):
        said = explain_md(exc, "csv", lang=lang)
        assert "[x](http" not in said and "![p]" not in said and unescaped(said) == []
        assert "x" in said and "evil" in said
    fallback = explain_md(ValueError("bad [x](http://evil)"))
    assert unescaped(fallback) == [] and unescape(fallback) == "bad [x](http://evil)"
