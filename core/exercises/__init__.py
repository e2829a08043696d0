"""Graded coding exercises: the learner writes one function, hidden checks compare it with the library.

Like Kaggle's learntools, each exercise is a small object with a prompt, tiered hints, a solution
and `check`; unlike them, the checks draw fresh random inputs on every call (several shapes, dtypes
and edge cases), so an answer hard-coded to one input fails. Learner code never runs in this
process: `check` sends it to the sandbox (`core.exercises.sandbox`).

Exercises live one module per guide section, `core/exercises/s<stem>.py`, each with a tuple
`EXERCISES`; they are found on disk, nothing to register. See docs/EXERCISES.md.

    from core import exercises
    ex = exercises.get("1.1-cosine")
    exercises.stub(ex, "en")                       # what the editor starts with
    result = exercises.check("1.1-cosine", source)  # a CheckResult, run in the sandbox
    exercises.render(result, "ru")                 # the feedback, in words
"""
from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from core.exercises.base import Case, Check, CheckResult, Exercise, Mistake, Outcome, exercise
from core.exercises.text import catalog, hints, prompt, render, stub, title

__all__ = ["Case", "Check", "CheckResult", "Exercise", "Mistake", "Outcome", "all_exercises", "check", "check_once", "counts", "exercise",
           "for_section", "get", "hints", "prompt", "render", "solution", "stub", "title", "warm_up"]


@cache
def _registry() -> dict[str, Exercise]:
    found: dict[str, Exercise] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name[:1] == "s" and info.name[1:3].isdigit():
            module = importlib.import_module(f"{__name__}.{info.name}")
            for ex in module.EXERCISES:
                if ex.id in found:
                    raise ValueError(f"two exercises have the id {ex.id}")
                found[ex.id] = ex
    return found


def all_exercises() -> tuple[Exercise, ...]:
    """Every exercise, in guide order."""
    return tuple(_registry().values())


def get(exercise_id: str) -> Exercise:
    """The exercise with this id; KeyError names the known ids when there is none."""
    try:
        return _registry()[exercise_id]
    except KeyError:
        raise KeyError(f"no exercise {exercise_id!r}; known: {', '.join(_registry())}") from None


def for_section(section: str) -> tuple[Exercise, ...]:
    """The exercises of one page, e.g. `for_section("11_linear_algebra")`."""
    return tuple(ex for ex in _registry().values() if ex.section == section)


def counts() -> dict[str, int]:
    """Exercises per section number ("11" for 1.1), read from their words in exercises.toml: the
    exercise modules import torch, which Home must not wait for. A test keeps the two in step."""
    found: dict[str, int] = {}
    for key in catalog("en").get("ex", {}):
        found[key[:2]] = found.get(key[:2], 0) + 1
    return found


def solution(ex: Exercise) -> str:
    return ex.solution


def check(exercise_id: str, source: str, *, seed: int | None = None, timeout: float | None = None) -> CheckResult:
    """Grade `source` (the learner's code) for one exercise, in the sandbox. Never raises for
    anything the learner's code does; the result's status says what happened. Thread-safe."""
    from core.exercises import sandbox

    get(exercise_id)
    return sandbox.default().check(exercise_id, source, seed=seed, timeout=timeout)


def check_once(exercise_id: str, source: str, *, seed: int | None = None, timeout: float | None = None) -> CheckResult:
    """The same, for a one-off process such as the CLI: forks the sandbox from this process instead
    of starting a warm zygote. Call it from a single-threaded process that has run no torch op."""
    from core.exercises import sandbox

    get(exercise_id)
    return sandbox.Sandbox(zygote=False).check(exercise_id, source, seed=seed, timeout=timeout)


def warm_up() -> None:
    """Start the sandbox's warm worker in the background, so the first check is fast."""
    from core.exercises import sandbox

    sandbox.default().start(wait=False)
