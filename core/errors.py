"""One exception for settings or input that cannot work, explained in the learner's language.

`code` names the problem; the app looks it up in its catalogue (`errors.<code>` in
`app/content/<lang>/ui.toml`, or a page's own table) and fills the blanks from `params`. The
message is the English fallback, for logs, tests and callers without a catalogue.
"""
from __future__ import annotations


class InputError(ValueError):
    """Impossible settings or unusable input. A `ValueError`, so existing handlers still catch it."""

    def __init__(self, code: str, message: str | None = None, **params) -> None:
        self.code, self.params = code, params
        super().__init__(message or f"{code}: {params}")
