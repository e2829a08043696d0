"""Lesson links: a page's settings, some of them locked, signed so that a learner cannot alter them.

A lesson travels as one URL parameter, `<payload>.<signature>`: the payload is canonical JSON in
base64url, the signature its HMAC-SHA256 under the server's secret, also base64url. Values are kept
as the text a URL would hold, so the page's own widget parsers read them like any link value.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from dataclasses import dataclass, field

VERSION = 1
MAX_TOKEN = 4096  # characters of the whole `lesson=` value
MAX_KEYS = 100
MAX_VALUE = 200  # as long as a widget's URL value may be (app.widgets.MAX_RAW)
MAX_TITLE = 120
_KEY = re.compile(r"[A-Za-z0-9_]{1,64}")
_STEM = re.compile(r"\d\d_[a-z0-9_]{1,60}")


class LessonError(ValueError):
    """A lesson link refused; `code` says why: too_long, malformed, bad_signature, invalid, other_page."""

    def __init__(self, code: str, **params) -> None:
        self.code, self.params = code, params
        super().__init__(code)


@dataclass(frozen=True)
class Lesson:
    page: str  # the page's stem, "52_training"
    values: dict[str, str] = field(default_factory=dict)  # widget key → its value as URL text
    locked: frozenset[str] = frozenset()
    title: str = ""

    def __post_init__(self) -> None:
        check(self)


def check(lesson: Lesson) -> None:
    """Raise LessonError("invalid") unless the lesson is within the caps and well formed."""
    ok = (isinstance(lesson.page, str) and _STEM.fullmatch(lesson.page)
          and isinstance(lesson.values, dict) and len(lesson.values) <= MAX_KEYS
          and all(isinstance(k, str) and _KEY.fullmatch(k) and isinstance(v, str) and len(v) <= MAX_VALUE
                  for k, v in lesson.values.items())
          and all(isinstance(k, str) and k in lesson.values for k in lesson.locked)
          and isinstance(lesson.title, str) and len(lesson.title) <= MAX_TITLE)
    if not ok:
        raise LessonError("invalid")


def canonical(lesson: Lesson) -> bytes:
    """The bytes that are signed: sorted keys, no spaces, ASCII only."""
    body = {"v": VERSION, "page": lesson.page, "values": lesson.values, "locked": sorted(lesson.locked),
            "title": lesson.title}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    """Strict base64url: only the one canonical spelling of the bytes is accepted (the spare low
    bits of the last character would otherwise let an edited link decode to the same bytes)."""
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise LessonError("malformed")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise LessonError("malformed") from None
    if _b64(data) != text:
        raise LessonError("malformed")
    return data


def _mac(payload: bytes, secret: bytes) -> bytes:
    return hmac.new(secret, payload, hashlib.sha256).digest()


def sign(lesson: Lesson, secret: bytes) -> str:
    """The `lesson=` value for `lesson`; LessonError("too_long") when it would exceed MAX_TOKEN."""
    payload = canonical(lesson)
    token = f"{_b64(payload)}.{_b64(_mac(payload, secret))}"
    if len(token) > MAX_TOKEN:
        raise LessonError("too_long", limit=MAX_TOKEN)
    return token


def verify(token: str, secret: bytes, page: str | None = None) -> Lesson:
    """The lesson a signed token carries, or LessonError: too long, malformed, not signed with
    `secret`, not a valid lesson, or (with `page`) made for another page."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN:
        raise LessonError("too_long", limit=MAX_TOKEN)
    head, dot, tail = token.partition(".")
    if not dot:
        raise LessonError("malformed")
    payload, signature = _unb64(head), _unb64(tail)
    if not hmac.compare_digest(_mac(payload, secret), signature):
        raise LessonError("bad_signature")
    try:
        body = json.loads(payload)
        if body.get("v") != VERSION:
            raise LessonError("invalid")
        lesson = Lesson(body["page"], dict(body["values"]), frozenset(body["locked"]), body.get("title", ""))
    except LessonError:
        raise
    except Exception:  # signed by us, yet not a lesson: a bug or an old format
        raise LessonError("invalid") from None
    if canonical(lesson) != payload:
        raise LessonError("invalid")
    if page is not None and lesson.page != page:
        raise LessonError("other_page", page=lesson.page)
    return lesson
