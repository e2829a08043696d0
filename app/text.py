"""User text (file names, CSV headers, URL values, typed input) made safe for Streamlit's Markdown.

Every text element (`st.markdown`, `st.caption`, `st.warning`, metric and widget labels) renders
Markdown, so a CSV column named `[Log in](http://…)` would become a live link, `![p](http://…)` an
image the browser fetches, and `$x$` LaTeX. `escape_md` backslash-escapes every ASCII punctuation
character, which CommonMark always renders as the character itself. Use it only for text bound for
Markdown: inside `st.dataframe`, `st.code`, select options or chart titles the backslashes would show.
"""
from __future__ import annotations

import string
from collections.abc import Mapping

from app.i18n import explain, t

_ESCAPES = {ord(c): "\\" + c for c in string.punctuation}
_ESCAPES.update({ord("\n"): " ", ord("\r"): " ", ord("\t"): " "})  # no line breaks: no headings, lists or code blocks


def escape_md(text) -> str:
    """`text` as it should read, with no Markdown, HTML, LaTeX, link or emoji syntax left live."""
    return str(text).translate(_ESCAPES)


def escape_params(params: Mapping) -> dict:
    """A copy of message parameters with every string escaped; numbers keep their formatting."""
    return {k: escape_md(v) if isinstance(v, str) else v for k, v in params.items()}


class _Escaped(Exception):
    """Stands in for a core error, with its message and parameters escaped."""

    def __init__(self, exc: Exception) -> None:
        super().__init__(escape_md(str(exc)))
        self.code = getattr(exc, "code", None)
        self.params = escape_params(getattr(exc, "params", {}) or {})


def explain_md(exc: Exception, table: str = "errors", lang: str | None = None) -> str:
    """`app.i18n.explain`, safe for Markdown: the user text the error quotes is escaped."""
    return explain(_Escaped(exc), table, lang)


def dataset_label(name: str) -> str:
    """A built-in data set's name in the learner's language; any other name (an uploaded file's), escaped."""
    label = t(f"common.datasets.{name}")
    return escape_md(name) if label.startswith("⟨") else label
