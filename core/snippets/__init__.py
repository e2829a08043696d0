"""'The code you would write': one short, idiomatic PyTorch script per guide section.

Each `<page_stem>.py` here is shown on its page's Code tab exactly as stored, and the tests run every one.
They are data, not modules (their names start with a digit): read them with `snippet_source`, run them with
`run_snippet`.
"""
from __future__ import annotations

import contextlib
import io
from pathlib import Path

SNIPPETS_DIR = Path(__file__).resolve().parent


def snippet_stems() -> list[str]:
    return sorted(p.stem for p in SNIPPETS_DIR.glob("[0-9]*.py"))


def snippet_source(stem: str) -> str | None:
    """The script for page `stem`, or None when the page has none."""
    path = SNIPPETS_DIR / f"{stem}.py"
    return path.read_text(encoding="utf-8") if path.is_file() else None


def run_snippet(stem: str) -> tuple[dict, str]:
    """Run the script in a fresh namespace; return that namespace and everything it printed."""
    source = snippet_source(stem)
    if source is None:
        raise KeyError(stem)
    namespace: dict = {"__name__": "__snippet__"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, str(SNIPPETS_DIR / f"{stem}.py"), "exec"), namespace)
    return namespace, out.getvalue()
