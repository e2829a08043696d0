"""Grading helpers: compare the learner's output with the library's, describe values briefly, time both.

`Prepared.build(check, seed)` draws the cases and computes the expected outputs (and the known
mistakes' outputs) before the learner's code is even loaded; `Prepared.grade(fn)` then calls the
learner's function on a fresh copy of each input and turns every case into an `Outcome`.
"""
from __future__ import annotations

import inspect
import math
import time
from dataclasses import dataclass

import torch

from core.exercises.base import Case, Check, Outcome

TOLERANCE = {  # dtype → (rtol, atol); other dtypes compare exactly
    torch.float64: (1e-6, 1e-8),
    torch.float32: (1e-4, 1e-5),
    torch.float16: (1e-2, 1e-3),
    torch.bfloat16: (2e-2, 1e-2),
}
SHOWN = 6  # values shown of a tensor


class Fatal(Exception):
    """Not the learner's answer being wrong but the run going wrong (memory, a forbidden call): stop."""


def is_fatal(exc: BaseException) -> bool:
    """Out of memory, or the sandbox refused an operation: the whole check stops with that status."""
    if isinstance(exc, (MemoryError, Fatal)) or getattr(exc, "sandbox_violation", False):
        return True
    text = str(exc)
    return isinstance(exc, RuntimeError) and ("can't allocate memory" in text or "not enough memory" in text)


# ---- showing values ---------------------------------------------------------------------------

def _num(x: float) -> str:
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, int):
        return str(x)
    if math.isnan(x) or math.isinf(x):
        return str(x)
    return f"{x:.4g}"


def short_repr(x, shown: int = SHOWN) -> str:
    """A tensor as `float32 (2, 3) [0.1, -2, 3.5, …]`: dtype, shape and the first values."""
    if isinstance(x, torch.Tensor):
        dtype = str(x.dtype).removeprefix("torch.")
        flat = x.detach().reshape(-1)[:shown].tolist()
        values = ", ".join(_num(v) for v in flat) + (", …" if x.numel() > shown else "")
        body = values if x.dim() == 0 else f"[{values}]"
        return f"{dtype} {tuple(x.shape)} {body}"
    if isinstance(x, (tuple, list)):
        inner = ", ".join(short_repr(v, shown) for v in x[:4]) + (", …" if len(x) > 4 else "")
        return f"({inner})" if isinstance(x, tuple) else f"[{inner}]"
    if isinstance(x, float | int):
        return _num(x)
    if x is None:
        return "None"
    if callable(x):
        return getattr(x, "__name__", "a function")
    text = repr(x)
    return f"{type(x).__name__}: {text[:60]}{'…' if len(text) > 60 else ''}"


def describe(case: Case, names: list[str]) -> str:
    """`a: float32 (4, 7) [...], b: ...`, with the case's own words for arguments it shows itself."""
    parts = []
    for name, value in zip(names, case.args):
        parts.append(f"{name} = {case.show.get(name) or short_repr(value, 4)}")
    return "; ".join(parts)


def type_name(x) -> str:
    return "None" if x is None else type(x).__name__


# ---- copying inputs ---------------------------------------------------------------------------

def copy_arg(x):
    """A fresh copy of an input, so nobody's in-place change leaks into the next call. A leaf's
    `requires_grad` and any stale `.grad` come along (some cases test exactly that)."""
    if isinstance(x, torch.Tensor):
        y = x.detach().clone().requires_grad_(x.requires_grad)
        if x.grad is not None:
            y.grad = x.grad.detach().clone()
        return y
    if isinstance(x, (tuple, list)):
        return type(x)(copy_arg(v) for v in x)
    if isinstance(x, dict):
        return {k: copy_arg(v) for k, v in x.items()}
    return x


def changed(before, after) -> bool:
    """Whether an input's values were changed in place."""
    if isinstance(before, torch.Tensor):
        return not (before.shape == after.shape and torch.equal(
            torch.nan_to_num(before.detach(), nan=0.125), torch.nan_to_num(after.detach(), nan=0.125)))
    if isinstance(before, (tuple, list)):
        return len(before) != len(after) or any(changed(b, a) for b, a in zip(before, after))
    return False


# ---- comparing --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Verdict:
    ok: bool
    code: str = ""
    params: dict | None = None
    diff: float = 0.0


def compare(got, expected, rtol: float | None = None, atol: float | None = None) -> Verdict:
    """Is `got` the same as `expected` (type, shape, dtype, then values within tolerance)?"""
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)):
            return Verdict(False, "not_tuple", {"n": len(expected), "type": type_name(got)})
        if len(got) != len(expected):
            return Verdict(False, "tuple_len", {"n": len(expected), "got_n": len(got)})
        worst = 0.0
        for i, (g, e) in enumerate(zip(got, expected)):
            v = compare(g, e, rtol, atol)
            if not v.ok:
                return Verdict(False, v.code, {**(v.params or {}), "item": i + 1}, v.diff)
            worst = max(worst, v.diff)
        return Verdict(True, diff=worst)
    if isinstance(expected, torch.Tensor):
        if got is None:
            return Verdict(False, "returned_none")
        if isinstance(got, float | int) and expected.dim() == 0:
            return Verdict(False, "python_number", {"type": type_name(got)})
        if not isinstance(got, torch.Tensor):
            return Verdict(False, "not_tensor", {"type": type_name(got)})
        if got.shape != expected.shape:
            return Verdict(False, "shape", {"expected": tuple(expected.shape), "got": tuple(got.shape)})
        if got.dtype != expected.dtype:
            return Verdict(False, "dtype", {"expected": str(expected.dtype).removeprefix("torch."),
                                            "got": str(got.dtype).removeprefix("torch.")})
        return _values(got.detach(), expected.detach(), rtol, atol)
    if isinstance(expected, float | int):
        if isinstance(got, torch.Tensor) and got.numel() == 1:
            got = got.item()
        if not isinstance(got, float | int):
            return Verdict(False, "not_number", {"type": type_name(got)})
        return _values(torch.tensor(float(got), dtype=torch.float64), torch.tensor(float(expected), dtype=torch.float64),
                       rtol, atol)
    return Verdict(got == expected, "values", {"max_diff": "—", "index": "—", "expected_at": repr(expected),
                                               "got_at": repr(got)})


def _values(got: torch.Tensor, expected: torch.Tensor, rtol, atol) -> Verdict:
    if not expected.is_floating_point():
        same = got == expected
        if bool(same.all()):
            return Verdict(True)
        index = tuple(int(i) for i in (~same).nonzero()[0])
        return Verdict(False, "values", {"index": list(index), "expected_at": _num(expected[index].item()),
                                         "got_at": _num(got[index].item()), "max_diff": "—"})
    r0, a0 = TOLERANCE.get(expected.dtype, (0.0, 0.0))
    g, e = got.double(), expected.double()
    close = torch.isclose(g, e, rtol=r0 if rtol is None else rtol, atol=a0 if atol is None else atol, equal_nan=True)
    diff = (g - e).abs()
    both_finite = torch.isfinite(g) & torch.isfinite(e)
    max_diff = float(diff[both_finite].max()) if bool(both_finite.any()) else 0.0
    if bool(close.all()):
        return Verdict(True, diff=max_diff)
    badness = torch.where(close, 0.0, torch.where(torch.isfinite(diff), diff, math.inf))  # (same shape as e)
    index = tuple(int(i) for i in torch.unravel_index(badness.reshape(-1).argmax(), e.shape)) if e.dim() else ()
    code = "not_finite" if bool((~torch.isfinite(g) & torch.isfinite(e)).any()) else "values"
    return Verdict(False, code, {"index": list(index), "expected_at": _num(e[index].item()),
                                 "got_at": _num(g[index].item()), "max_diff": _num(float(badness.max()))},
                   diff=max_diff)


def matches_mistake(got, wrong, expected, loose: bool) -> bool:
    """Whether the learner's output is the known-wrong variant's output. For a tuple (an optimizer's
    new parameter and state) every item must be the expected one or the variant's, and one the variant's."""
    if compare(got, wrong).ok:
        return True
    if all(isinstance(v, (tuple, list)) for v in (got, wrong, expected)) and len(got) == len(wrong) == len(expected):
        hits = 0
        for g, w, e in zip(got, wrong, expected):
            if compare(g, e).ok:
                continue
            if not matches_mistake(g, w, e, loose):
                return False
            hits += 1
        return hits > 0
    if not loose or not all(isinstance(v, torch.Tensor) for v in (got, wrong, expected)):
        return False
    if got.shape != wrong.shape or got.shape != expected.shape:
        return False
    g, w, e = got.detach().double(), wrong.detach().double(), expected.detach().double()
    return float((g - w).abs().max()) * 10 < float((g - e).abs().max())


# ---- timing -----------------------------------------------------------------------------------

def time_call(fn, args: tuple, budget: float = 0.15, most: int = 25) -> float:
    """Median seconds of one call, over as many calls as fit in `budget` (at least 3)."""
    times = []
    start = time.perf_counter()
    while len(times) < 3 or (len(times) < most and time.perf_counter() - start < budget):
        fresh = copy_arg(args)
        t0 = time.perf_counter()
        fn(*fresh)
        times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]


# ---- one check, prepared then graded ----------------------------------------------------------

@dataclass(frozen=True)
class Graded:
    outcomes: tuple[Outcome, ...]
    max_abs_diff: float | None
    timing: dict | None


@dataclass(frozen=True)
class Prepared:
    """A check's cases with their expected and known-wrong outputs, ready for the learner's function."""
    check: Check
    names: list[str]
    cases: list[Case]
    expected: list
    wrong: list[dict]  # per case: mistake index → its output
    timing_case: Case | None
    library_seconds: float | None

    @classmethod
    def build(cls, check: Check, seed: int) -> Prepared:
        gen = torch.Generator().manual_seed(seed)
        cases = list(check.cases(gen))
        names = list(inspect.signature(check.library).parameters)
        expected, wrong = [], []
        for case in cases:
            expected.append(check.library(*copy_arg(case.args)))
            outputs = {}  # by position: several variants may share one code
            for i, mistake in enumerate(check.mistakes):
                try:
                    outputs[i] = mistake.fn(*copy_arg(case.args))
                except Exception:  # a variant that cannot run on this input matches nothing
                    pass
            wrong.append(outputs)
        timing_case = check.timing(gen) if check.timing else None
        library_seconds = time_call(check.library, timing_case.args) if timing_case else None
        return cls(check, names, cases, expected, wrong, timing_case, library_seconds)

    def grade(self, fn, on_case=None) -> Graded:
        """Run `fn` on every case; `on_case(name)` is told which case starts (for timeout messages)."""
        outcomes, worst = [], 0.0
        for case, expected, wrong in zip(self.cases, self.expected, self.wrong):
            if on_case:
                on_case(case.name)
            outcome = self._one(fn, case, expected, wrong)
            outcomes.append(outcome)
            if outcome.passed:
                worst = max(worst, outcome.params.get("max_diff", 0.0))
        all_passed = all(o.passed for o in outcomes)
        timing = None
        if all_passed and self.timing_case is not None:
            if on_case:
                on_case("timing")
            try:
                ours = time_call(fn, self.timing_case.args)
                timing = {"yours": ours, "library": self.library_seconds,
                          "inputs": describe(self.timing_case, self.names)}
            except Exception as exc:  # it passed the checks; a failing timing run only loses the timing
                if is_fatal(exc):
                    raise
        return Graded(tuple(outcomes), worst if all_passed else None, timing)

    def _one(self, fn, case: Case, expected, wrong: dict) -> Outcome:
        inputs = describe(case, self.names)
        shown = short_repr(expected)
        args = copy_arg(case.args)
        try:
            got = fn(*args)
        except Exception as exc:
            if is_fatal(exc):
                raise
            code = "not_implemented" if isinstance(exc, NotImplementedError) else "raised"
            return Outcome(case.name, False, inputs, shown, "—", code, {"error": error_text(exc)})
        verdict = compare(got, expected, self.check.rtol, self.check.atol)
        if verdict.ok and self.check.pure and changed(case.args, args):
            verdict = Verdict(False, "modified_input")
        if verdict.ok:
            return Outcome(case.name, True, inputs, shown, short_repr(got), "", {"max_diff": verdict.diff})
        for i, mistake in enumerate(self.check.mistakes):
            if i in wrong and matches_mistake(got, wrong[i], expected, mistake.loose):
                return Outcome(case.name, False, inputs, shown, short_repr(got), f"mistake.{mistake.code}", {})
        return Outcome(case.name, False, inputs, shown, short_repr(got), verdict.code, _plain(verdict.params or {}))


def error_text(exc: BaseException, limit: int = 300) -> str:
    """`TypeError: message (line 4)`, the line being the deepest one in the learner's code."""
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == LEARNER_FILE:
            line = tb.tb_lineno
        tb = tb.tb_next
    text = f"{type(exc).__name__}: {exc}"
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return f"{text} (line {line})" if line else text


LEARNER_FILE = "<your code>"


def _plain(params: dict) -> dict:
    """JSON-friendly params (tuples → lists, floats stay floats)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}


# ---- inputs for cases -------------------------------------------------------------------------

def randn(gen: torch.Generator, *shape: int, dtype=torch.float32, scale: float = 1.0) -> torch.Tensor:
    """Standard-normal values times `scale`, drawn from `gen` (float64 then cast, so dtypes agree)."""
    return (torch.randn(*shape, generator=gen, dtype=torch.float64) * scale).to(dtype)


def randint(gen: torch.Generator, low: int, high: int) -> int:
    """One integer in [low, high)."""
    return int(torch.randint(low, high, (1,), generator=gen))
