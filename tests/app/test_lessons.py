"""Lesson links are signed: any edited byte, another server's secret, an oversized link or another
page's link is refused; the secret made for a server survives its restart."""
from __future__ import annotations

import os
import stat

import pytest

from core.lessons import MAX_KEYS, MAX_TOKEN, Lesson, LessonError, sign, verify

SECRET = b"a test secret"
LESSON = Lesson("11_linear_algebra", {"la_in": "7", "la_out": "5", "la_a1": "-1.5"}, frozenset({"la_in"}), "Shapes «1»")


def test_a_signed_lesson_verifies_to_itself():
    token = sign(LESSON, SECRET)
    assert verify(token, SECRET, page="11_linear_algebra") == LESSON
    assert len(token) < 400 and set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


def test_changing_any_character_of_the_link_is_refused():
    token = sign(LESSON, SECRET)
    for i, ch in enumerate(token):
        for other in {"A", "B", "_", "."} - {ch}:
            with pytest.raises(LessonError) as err:
                verify(token[:i] + other + token[i + 1:], SECRET)
            assert err.value.code in ("malformed", "bad_signature"), (i, other)
    for edited in (token[:-1], token + "A", token.replace(".", ""), "", "." + token):
        with pytest.raises(LessonError):
            verify(edited, SECRET)


def test_a_link_signed_with_another_secret_is_refused():
    with pytest.raises(LessonError) as err:
        verify(sign(LESSON, b"another server"), SECRET)
    assert err.value.code == "bad_signature"


def test_a_forged_payload_with_a_copied_signature_is_refused():
    token = sign(LESSON, SECRET)
    forged = sign(Lesson("11_linear_algebra", {"la_in": "7"}, frozenset(), ""), b"guess").split(".")[0]
    with pytest.raises(LessonError) as err:
        verify(forged + "." + token.split(".")[1], SECRET)
    assert err.value.code == "bad_signature"


def test_another_pages_link_is_refused_and_names_its_page():
    with pytest.raises(LessonError) as err:
        verify(sign(LESSON, SECRET), SECRET, page="52_training")
    assert err.value.code == "other_page" and err.value.params["page"] == "11_linear_algebra"


def test_oversized_links_and_lessons_are_refused():
    with pytest.raises(LessonError) as err:
        verify("A" * (MAX_TOKEN + 1), SECRET)
    assert err.value.code == "too_long"
    many = {f"k{i}": "1" for i in range(MAX_KEYS + 1)}
    with pytest.raises(LessonError) as err:
        Lesson("11_linear_algebra", many)
    assert err.value.code == "invalid"
    big = {f"key_{i:03d}_{'x' * 50}": "9" * 100 for i in range(40)}  # valid in every part, too long as a whole
    with pytest.raises(LessonError) as err:
        sign(Lesson("11_linear_algebra", big), SECRET)
    assert err.value.code == "too_long"


@pytest.mark.parametrize("bad", [
    dict(page="../etc/passwd"), dict(values={"la in": "1"}), dict(values={"la_in": "x" * 201}),
    dict(locked=frozenset({"not_set"})), dict(title="t" * 121), dict(values={"la_in": 7}),
])
def test_a_lesson_outside_the_rules_cannot_be_made(bad):
    fields = dict(page="11_linear_algebra", values={"la_in": "7"}, locked=frozenset(), title="")
    with pytest.raises(LessonError):
        Lesson(**{**fields, **bad})


def test_the_secret_is_made_once_kept_private_and_survives_a_restart(tmp_path, monkeypatch):
    from app import lessons

    monkeypatch.delenv(lessons.SECRET_ENV, raising=False)
    monkeypatch.setenv("DLDASH_RUNS_DB", str(tmp_path / "db" / "runs.db"))
    monkeypatch.setattr(lessons, "_file_secrets", {})
    first = lessons.secret()
    path = tmp_path / "db" / "lesson_secret"
    assert path.exists() and stat.S_IMODE(os.stat(path).st_mode) == 0o600 and len(first) == 64
    monkeypatch.setattr(lessons, "_file_secrets", {})  # a restarted server reads the same file
    assert lessons.secret() == first
    monkeypatch.setenv(lessons.SECRET_ENV, "from the environment")
    assert lessons.secret() == b"from the environment"
