"""The exercises' words in English and Russian, and the learner-facing feedback built from a result.

All prose lives in `app/content/<lang>/exercises.toml`, the same file the app reads as
`t("exercises.…")`; core reads it with `tomllib` (it never imports the app).
"""
from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from core.exercises.base import CheckResult, Exercise, Outcome

CONTENT_DIR = Path(__file__).resolve().parents[2] / "app" / "content"
LANGS = ("en", "ru")


@cache
def catalog(lang: str) -> dict:
    if lang not in LANGS:
        lang = "en"
    with (CONTENT_DIR / lang / "exercises.toml").open("rb") as f:
        return tomllib.load(f)


def lookup(key: str, lang: str):
    """The value at dotted `key` of exercises.toml; KeyError if missing."""
    node = catalog(lang)
    for part in key.split("."):
        node = node[part]
    return node


def text(key: str, lang: str, **params) -> str:
    """The string at `key` filled with `params`; a missing key shows itself instead of crashing."""
    try:
        value = lookup(key, lang)
    except (KeyError, TypeError):
        return f"⟨exercises.{key}⟩"
    return value.format_map(_Blanks(params)) if params and isinstance(value, str) else value


class _Blanks(dict):
    """Format params where a blank the text names but the caller did not give shows as "?"."""

    def __missing__(self, key: str) -> str:
        return "?"


def title(ex: Exercise, lang: str) -> str:
    return text(f"ex.{ex.key}.title", lang)


def prompt(ex: Exercise, lang: str) -> str:
    return text(f"ex.{ex.key}.prompt", lang)


def hints(ex: Exercise, lang: str) -> list[str]:
    return [text(k, lang) for k in ex.hint_keys]


def stub(ex: Exercise, lang: str) -> str:
    return ex.stub(text(f"ex.{ex.key}.docstring", lang), text("ui.todo", lang))


def case_name(name: str, lang: str) -> str:
    return text(f"case.{name}", lang)


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def outcome_message(ex: Exercise, outcome: Outcome, lang: str) -> str:
    """Why one case failed, in words: the targeted message for a known mistake, else the generic one."""
    params = {k: _fmt(v) for k, v in outcome.params.items()}
    if outcome.message.startswith("mistake."):
        return text(f"ex.{ex.key}.{outcome.message}", lang, **params)
    message = text(f"msg.{outcome.message}", lang, **params)
    if "item" in outcome.params:
        message = text("msg.in_item", lang, item=params["item"]) + " " + message
    return message


def status_message(result: CheckResult, lang: str) -> str:
    params = {k: _fmt(v) for k, v in result.params.items()}
    message = text(f"status.{result.status}", lang, n=len(result.outcomes), failed=len(result.failures), **params)
    if result.params.get("check"):
        message += text("ui.during", lang, check=case_name(result.params["check"], lang))
    return message


def _seconds(s: float) -> str:
    return f"{s * 1e3:.3g} ms" if s < 1 else f"{s:.3g} s"


def render(result: CheckResult, lang: str, ex: Exercise | None = None, most: int = 2) -> str:
    """The feedback a learner reads: the verdict, then the first failed checks (input, expected,
    got, why), or on a pass the max |difference| against the library and the timing."""
    from core.exercises import get

    ex = ex or get(result.exercise)
    lines = [("✓ " if result.passed else "✗ ") + status_message(result, lang)]
    # targeted messages first, and different messages before a repeat of one already shown
    seen: set[str] = set()
    ranked = []
    for o in sorted(result.failures, key=lambda o: not o.message.startswith("mistake.")):
        ranked.append((o.message in seen, len(ranked), o))
        seen.add(o.message)
    for _, _, outcome in sorted(ranked, key=lambda r: r[:2])[:most]:
        lines += ["", text("ui.failed_check", lang, check=case_name(outcome.check, lang)),
                  f"- {text('ui.input', lang)}: `{outcome.inputs}`",
                  f"- {text('ui.expected', lang)}: `{outcome.expected}`",
                  f"- {text('ui.got', lang)}: `{outcome.got}`",
                  f"- {outcome_message(ex, outcome, lang)}"]
    if len(result.failures) > most:
        lines += ["", text("ui.more_failed", lang, n=len(result.failures) - most)]
    if result.outcomes and result.failures:
        passed = [case_name(o.check, lang) for o in result.outcomes if o.passed]
        if passed:
            lines += ["", text("ui.passed_checks", lang, checks=", ".join(passed))]
    if result.passed:
        lines += ["", text("ui.max_diff", lang, library=ex.check.library_name, diff=f"{result.max_abs_diff or 0.0:.3g}")]
        if result.timing:
            lines.append(text("ui.timing", lang, inputs=result.timing["inputs"], yours=_seconds(result.timing["yours"]),
                              library=_seconds(result.timing["library"]), name=ex.check.library_name))
    if result.stdout:
        lines += ["", text("ui.stdout", lang), "```", result.stdout.rstrip(), "```"]
    return "\n".join(lines)
