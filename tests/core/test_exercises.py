"""Every exercise that `list` prints: the reference passes, the stub fails, a plausible wrong solution
fails with its targeted message, and an answer hard-coded to one input fails. Plus the texts (EN and
RU) and the command line.

Adding an exercise? Add a plausible wrong solution for it to WRONG in exercise_wrong_answers.py (a test insists).
"""
from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from exercise_wrong_answers import WRONG

from core import exercises
from core.exercises.base import MESSAGES, STATUSES
from core.exercises.checks import compare, copy_arg
from core.exercises.text import catalog, lookup

ROOT = Path(__file__).resolve().parents[2]
ALL = exercises.all_exercises()
IDS = [ex.id for ex in ALL]


def has_cyrillic(text: str) -> bool:
    return bool(re.search("[а-яА-Я]", text))


# ---- through the sandbox, for every exercise ---------------------------------------------------

@pytest.mark.parametrize("exercise_id", IDS)
def test_reference_solution_passes(exercise_id):
    ex = exercises.get(exercise_id)
    result = exercises.check(exercise_id, ex.solution)
    assert result.passed, exercises.render(result, "en")
    assert result.max_abs_diff is not None and result.max_abs_diff < 1e-3
    for lang in ("en", "ru"):
        text = exercises.render(result, lang)
        assert text.startswith("✓") and ex.check.library_name in text


@pytest.mark.parametrize("exercise_id", IDS)
@pytest.mark.parametrize("lang", ["en", "ru"])
def test_stub_fails_and_says_so(exercise_id, lang):
    ex = exercises.get(exercise_id)
    result = exercises.check(exercise_id, exercises.stub(ex, lang))
    assert result.status == "failed"
    assert {o.message for o in result.outcomes} == {"not_implemented"}
    assert "NotImplementedError" in exercises.render(result, lang)


def test_every_exercise_has_a_plausible_wrong_solution():
    assert set(WRONG) == set(IDS), "add a plausible wrong solution for each new exercise to WRONG"


@pytest.mark.parametrize("exercise_id", IDS)
def test_plausible_wrong_solution_fails_with_its_targeted_message(exercise_id):
    ex = exercises.get(exercise_id)
    source, code = WRONG[exercise_id]
    result = exercises.check(exercise_id, textwrap.dedent(source))
    assert result.status == "failed", exercises.render(result, "en")
    assert f"mistake.{code}" in {o.message for o in result.outcomes}
    for lang in ("en", "ru"):
        text = exercises.render(result, lang)
        assert lookup(f"ex.{ex.key}.mistake.{code}", lang) in text, text


def literal(value) -> str:
    """Python source that rebuilds `value` (tensors, tuples of them, numbers)."""
    if isinstance(value, torch.Tensor):
        return f"torch.tensor({value.tolist()!r}, dtype={value.dtype})"
    if isinstance(value, (tuple, list)):
        return "(" + ", ".join(literal(v) for v in value) + ",)"
    return repr(value)


@pytest.mark.parametrize("exercise_id", IDS)
def test_answer_hard_coded_to_one_input_fails(exercise_id):
    ex = exercises.get(exercise_id)
    prepared = ex.check.prepare(seed=1)
    answer = literal(prepared.expected[0])          # the right answer to seed 1's first case
    source = f"import torch\nnan, inf = float('nan'), float('inf')\n\ndef {ex.function}(*args, **kwargs):\n    return {answer}\n"
    result = exercises.check(exercise_id, source, seed=2)
    assert result.status == "failed", exercises.render(result, "en")
    assert sum(not o.passed for o in result.outcomes) >= len(result.outcomes) - 1


# ---- the checks themselves, in this process (trusted code only) -------------------------------

@pytest.mark.parametrize("exercise_id", IDS)
def test_inputs_change_with_the_seed_and_cover_several_shapes_and_dtypes(exercise_id):
    check = exercises.get(exercise_id).check
    a, b = check.prepare(seed=1), check.prepare(seed=2)
    assert [c.name for c in a.cases] == [c.name for c in b.cases]
    assert not compare(a.expected, b.expected).ok
    tensors = [x for c in a.cases for x in c.args if isinstance(x, torch.Tensor)]
    assert len({tuple(t.shape) for t in tensors}) >= 2
    assert torch.float64 in {t.dtype for t in tensors}
    assert len(a.cases) >= 4


@pytest.mark.parametrize("exercise_id", IDS)
def test_every_known_mistake_is_recognised_when_made(exercise_id):
    """Each known-wrong variant, handed in as the answer, fails and is named by its own code."""
    check = exercises.get(exercise_id).check
    prepared = check.prepare(seed=3)
    for mistake in check.mistakes:
        graded = prepared.grade(mistake.fn)
        messages = {o.message for o in graded.outcomes if not o.passed}
        assert messages, (mistake.code, "passes every check")
        assert f"mistake.{mistake.code}" in messages, (mistake.code, messages)


def test_compare_names_shape_dtype_and_values():
    x = torch.ones(3)
    assert compare(torch.ones(2), x).code == "shape"
    assert compare(x.double(), x).code == "dtype"
    assert compare(None, x).code == "returned_none"
    assert compare(1.0, torch.tensor(1.0)).code == "python_number"
    bad = x.clone()
    bad[2] = 5.0
    verdict = compare(bad, x)
    assert verdict.code == "values" and verdict.params["index"] == [2]
    assert compare(torch.tensor([1.0, float("nan")]), torch.tensor([1.0, 2.0])).code == "not_finite"
    assert compare((x, x), (x,)).code == "tuple_len"
    assert compare(x + 1e-7, x).ok


def test_copies_keep_stale_gradients_and_leave_the_original_alone():
    x = torch.randn(3, requires_grad=True)
    x.grad = torch.ones(3)
    y = copy_arg(x)
    y.grad += 1
    assert y.requires_grad and torch.equal(x.grad, torch.ones(3))


# ---- texts --------------------------------------------------------------------------------------

def test_part_one_has_two_exercises_per_section_on_real_pages():
    for section in ("11_linear_algebra", "12_calculus", "13_probability", "14_optimization"):
        assert len(exercises.for_section(section)) >= 2, section
    for ex in ALL:
        assert (ROOT / "pages" / f"{ex.section}.py").exists(), ex.id
        assert ex.id.startswith(f"{ex.section[0]}.{ex.section[1]}-"), ex.id
        assert 2 <= len(ex.hint_keys) <= 3


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_every_exercise_has_all_its_words(lang):
    for ex in ALL:
        parts = [exercises.title(ex, lang), exercises.prompt(ex, lang), *exercises.hints(ex, lang)]
        for mistake in ex.check.mistakes:
            parts.append(lookup(f"ex.{ex.key}.mistake.{mistake.code}", lang))
        for case in ex.check.prepare(seed=0).cases:
            parts.append(lookup(f"case.{case.name}", lang))
        assert all(p.strip() and "⟨" not in p for p in parts), ex.id
        if lang == "ru":
            assert all(has_cyrillic(p) for p in parts[:5]), ex.id
        stub = exercises.stub(ex, lang)
        namespace: dict = {}
        exec(compile(stub, "<stub>", "exec"), namespace)
        with pytest.raises(NotImplementedError):
            namespace[ex.function](*ex.check.prepare(seed=0).cases[0].args)


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_every_status_and_message_has_words(lang):
    for status in STATUSES:
        assert lookup(f"status.{status}", lang).strip(), status
    for message in MESSAGES + ("in_item",):
        assert lookup(f"msg.{message}", lang).strip(), message


def test_english_and_russian_files_have_the_same_keys():
    def keys(tree, prefix=""):
        if isinstance(tree, dict):
            return set().union(*(keys(v, f"{prefix}{k}.") for k, v in tree.items()))
        return {prefix}
    assert keys(catalog("en")) == keys(catalog("ru"))


def test_a_result_survives_json():
    ex = exercises.get("1.1-cosine")
    graded = ex.check.prepare(seed=0).grade(lambda a, b: (a * b).sum(-1))
    result = exercises.CheckResult(ex.id, "failed", graded.outcomes, seed=0)
    again = exercises.CheckResult.from_json(result.to_json())
    assert again == result
    assert exercises.render(again, "ru") == exercises.render(result, "ru")


# ---- the command line ---------------------------------------------------------------------------

def cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "core.exercises", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def test_cli_list_prints_one_line_per_exercise():
    done = cli("list")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split()[:2] for line in lines] == [[ex.id, ex.section] for ex in ALL]
    assert "Cosine similarity" in lines[0]


def test_cli_check_exits_zero_only_on_a_pass(tmp_path):
    good, bad = tmp_path / "good.py", tmp_path / "bad.py"
    good.write_text(exercises.get("1.3-sample-variance").solution)
    bad.write_text(textwrap.dedent(WRONG["1.3-sample-variance"][0]))
    done = cli("check", "1.3-sample-variance", str(good))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("✓")
    done = cli("check", "1.3-sample-variance", str(bad), "--lang", "ru")
    assert done.returncode == 1, done.stdout + done.stderr
    assert lookup("ex.13_sample_variance.mistake.population", "ru") in done.stdout


def test_cli_stub_solution_hint_and_errors(tmp_path):
    stub = cli("stub", "1.4-adam", "--lang", "ru")
    assert stub.returncode == 0 and "def adam_step(" in stub.stdout and has_cyrillic(stub.stdout)
    compile(stub.stdout, "stub.py", "exec")
    assert cli("solution", "1.4-adam").stdout == exercises.get("1.4-adam").solution
    assert cli("hint", "1.4-adam", "2").stdout.startswith("2. ")
    assert cli("check", "9.9-nothing", str(tmp_path / "x.py")).returncode == 2
    assert cli("check", "1.4-adam", str(tmp_path / "missing.py")).returncode == 2


def test_core_exercises_never_imports_streamlit():
    script = ("import sys, core.exercises, core.exercises.sandbox, core.exercises.worker, core.exercises.__main__\n"
              "core.exercises.all_exercises()\nassert 'streamlit' not in sys.modules and 'app' not in sys.modules\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
