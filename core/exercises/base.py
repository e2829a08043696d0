"""What an exercise is, and what checking one gives back: plain frozen data.

An `Exercise` names the function a learner writes, carries the reference solution's source and a
`Check`: randomised `Case`s, the library route that gives the expected answer, and known-wrong
`Mistake` variants that turn a failure into a targeted message. Checking gives a `CheckResult`: a
list of `Outcome`s (one per case) plus how the run ended. Every message is a code with params; the
words live in `app/content/<lang>/exercises.toml` (see `core.exercises.text`).
"""
from __future__ import annotations

import ast
import inspect
import json
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Case:
    """One input to try. `name` is a key of `[case]` in exercises.toml; `show` replaces the
    description of arguments that print badly (a function, a long list)."""
    name: str
    args: tuple
    show: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Mistake:
    """A known-wrong variant of the solution. When the learner's output matches its output (and not
    the library's), the feedback is the targeted message `ex.<key>.mistake.<code>`. `loose` also
    matches answers that are ten times closer to the variant than to the expected value (for
    variants whose error is rounding noise, e.g. catastrophic cancellation)."""
    code: str
    fn: Callable
    loose: bool = False


@dataclass(frozen=True)
class Check:
    """Hidden checks: `cases(generator)` draws fresh inputs, `library(*args)` gives the expected
    output, `mistakes` name common errors. `pure`: the learner must not change the inputs.
    `timing(generator)` gives one larger case on which both are timed, when speed is interesting.
    `rtol`/`atol` override the per-dtype tolerances of `core.exercises.checks`."""
    cases: Callable
    library: Callable
    library_name: str
    mistakes: tuple[Mistake, ...] = ()
    pure: bool = True
    timing: Callable | None = None
    rtol: float | None = None
    atol: float | None = None

    def prepare(self, seed: int):
        """Inputs, expected outputs and the mistakes' outputs, computed before any learner code runs."""
        from core.exercises.checks import Prepared

        return Prepared.build(self, seed)


@dataclass(frozen=True)
class Exercise:
    """One exercise: the learner writes `function`; `check` grades it. Prose is looked up by `key`."""
    id: str                    # "1.1-cosine": section number, then a slug
    section: str               # the page stem, "11_linear_algebra"
    function: str              # the name the learner's code must define
    solution: str              # reference solution: imports + function source
    check: Check
    hint_keys: tuple[str, ...]  # keys in exercises.toml, easiest first

    @property
    def key(self) -> str:
        """The exercise's table in exercises.toml: "1.1-cosine" → "11_cosine"."""
        return self.id.replace(".", "").replace("-", "_")

    @property
    def number(self) -> str:
        return self.id.split("-", 1)[0]

    def stub(self, docstring: str, todo: str) -> str:
        """The solution's imports and signature, with `docstring` and a body that says `todo`."""
        lines = self.solution.splitlines()
        node = next(n for n in ast.parse(self.solution).body
                    if isinstance(n, ast.FunctionDef) and n.name == self.function)
        head = lines[: node.body[0].lineno - 1]  # imports and the whole signature, however many lines
        doc = textwrap.indent(f'"""{docstring.strip()}\n"""', "    ")
        return "\n".join(head) + f"\n{doc}\n    raise NotImplementedError  # {todo}\n"


def exercise(id: str, section: str, solution: Callable, check: Check, *, imports: str = "import torch",
             hints: int = 3) -> Exercise:
    """An `Exercise` whose reference solution is the real function `solution` (ruff and the tests see it)."""
    source = textwrap.dedent(inspect.getsource(solution))
    key = id.replace(".", "").replace("-", "_")
    return Exercise(id=id, section=section, function=solution.__name__, solution=f"{imports}\n\n\n{source}",
                    check=check, hint_keys=tuple(f"ex.{key}.hint{i}" for i in range(1, hints + 1)))


@dataclass(frozen=True)
class Outcome:
    """One case: its name, whether it passed, what went in, what was expected and what came back.
    `message` is a code: `msg.<code>` in exercises.toml, or `mistake.<code>` for a targeted one."""
    check: str
    passed: bool
    inputs: str
    expected: str
    got: str
    message: str = ""
    params: dict = field(default_factory=dict)


STATUSES = ("passed", "failed", "syntax", "load_error", "missing_function", "timeout", "memory", "output", "forbidden",
            "interrupted", "exited", "crashed", "busy", "sandbox", "too_long")
MESSAGES = ("raised", "not_implemented", "returned_none", "python_number", "not_tensor", "not_number", "not_tuple",
            "tuple_len", "shape", "dtype", "values", "not_finite", "modified_input")  # per-case, generic


@dataclass(frozen=True)
class CheckResult:
    """How a submission did. `status`: passed, failed (some case failed), or why no verdict came
    (syntax, load_error, missing_function, timeout, memory, output, forbidden, interrupted, exited,
    crashed, busy, sandbox). `params` fill the status message; `isolation` names the sandbox layers
    that were on."""
    exercise: str
    status: str
    outcomes: tuple[Outcome, ...] = ()
    params: dict = field(default_factory=dict)
    max_abs_diff: float | None = None
    timing: dict | None = None
    stdout: str = ""
    seed: int | None = None
    isolation: tuple[str, ...] = ()
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def failures(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if not o.passed)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_dict(cls, data: dict) -> CheckResult:
        data = dict(data)
        data["outcomes"] = tuple(Outcome(**o) for o in data.get("outcomes", ()))
        data["isolation"] = tuple(data.get("isolation", ()))
        return cls(**data)

    @classmethod
    def from_json(cls, text: str) -> CheckResult:
        return cls.from_dict(json.loads(text))
