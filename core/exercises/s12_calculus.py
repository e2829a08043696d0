"""1.2 Calculus: a gradient from autograd, and the same gradient from central differences."""
from __future__ import annotations

import torch

from core.exercises.base import Case, Check, Mistake, exercise
from core.exercises.checks import randint, randn

SECTION = "12_calculus"


def _functions(gen: torch.Generator, n: int, dtype) -> list[tuple[str, object]]:
    """Smooth scalar functions of a vector x of length n, with random coefficients; (shown as, f)."""
    A = randn(gen, n, n, dtype=dtype)
    w, c = randn(gen, n, dtype=dtype), float(randn(gen, 1))
    return [
        ("sum(sin(x) · x²)", lambda x: (x.sin() * x**2).sum()),
        ("xᵀ A x with a random, non-symmetric A", lambda x: x @ A @ x),
        ("logsumexp(x)", lambda x: torch.logsumexp(x, dim=0)),
        (f"sigmoid(w · x + {c:.3g}) with a random w", lambda x: torch.sigmoid(w @ x + c)),
    ]


# ---- 1.2-autograd -----------------------------------------------------------------------------

def gradient(f, x: torch.Tensor) -> torch.Tensor:
    """∇f at x by autograd, for a function f that maps a tensor to a scalar."""
    x = x.detach().clone().requires_grad_(True)  # our own leaf: the caller's x and its .grad stay untouched
    f(x).backward()
    return x.grad


def _gradient_library(f, x):
    x = x.detach().requires_grad_(True)
    return torch.autograd.grad(f(x), x)[0]


def _gradient_cases(gen: torch.Generator) -> list[Case]:
    n = randint(gen, 3, 8)
    cases = [Case("guide_example", (lambda x: x[0] ** 2 + x[1] ** 3, randn(gen, 2)), {"f": "x₀² + x₁³"})]
    for shown, f in _functions(gen, n, torch.float32):
        cases.append(Case("random_function", (f, randn(gen, n)), {"f": shown}))
    fs = _functions(gen, n, torch.float64)
    cases.append(Case("float64", (fs[1][1], randn(gen, n, dtype=torch.float64)), {"f": fs[1][0]}))
    cases.append(Case("matrix_input", (lambda x: (x.tanh() * x).sum(), randn(gen, 2, 3)), {"f": "sum(tanh(x) · x)"}))
    stale = randn(gen, n).requires_grad_(True)
    stale.grad = torch.ones(n)  # left over from an earlier backward()
    cases.append(Case("stale_grad", (fs[0][1], stale), {"f": fs[0][0]}))
    return cases


def _accumulates(f, x):
    x.requires_grad_(True)
    f(x).backward()
    return x.grad


GRADIENT = exercise("1.2-autograd", SECTION, gradient, Check(
    cases=_gradient_cases, library=_gradient_library, library_name="torch.autograd.grad",
    mistakes=(
        Mistake("stale_grad", _accumulates),
        Mistake("value_not_grad", lambda f, x: f(x)),
    )))


# ---- 1.2-finite-diff --------------------------------------------------------------------------

def numerical_gradient(f, x: torch.Tensor, h: float) -> torch.Tensor:
    """Central differences (f(x + h·eᵢ) − f(x − h·eᵢ)) / 2h for every coordinate i of a 1-D x."""
    grad = torch.zeros_like(x)
    for i in range(x.numel()):
        step = torch.zeros_like(x)
        step[i] = h  # move one coordinate at a time
        grad[i] = (f(x + step) - f(x - step)) / (2 * h)
    return grad


def _numerical_library(f, x, h):
    return _gradient_library(f, x)  # autograd's exact gradient: central differences agree to O(h²)


def _numerical_cases(gen: torch.Generator) -> list[Case]:
    n = randint(gen, 3, 7)
    steps = [1e-3, 1e-4, 1e-5]
    cases = [Case("guide_example", (lambda x: x[0] ** 2 + x[1] ** 3, randn(gen, 2, dtype=torch.float64), 1e-3),
                  {"f": "x₀² + x₁³"})]
    for i, (shown, f) in enumerate(_functions(gen, n, torch.float64)):
        cases.append(Case("random_function", (f, randn(gen, n, dtype=torch.float64), steps[i % 3]), {"f": shown}))
    return cases


def _forward(f, x, h):
    grad = torch.zeros_like(x)
    for i in range(x.numel()):
        step = torch.zeros_like(x)
        step[i] = h
        grad[i] = (f(x + step) - f(x)) / h
    return grad


def _no_half(f, x, h):
    return numerical_gradient(f, x, h) * 2


def _all_at_once(f, x, h):
    return torch.full_like(x, float((f(x + h) - f(x - h)) / (2 * h)))


NUMERICAL = exercise("1.2-finite-diff", SECTION, numerical_gradient, Check(
    cases=_numerical_cases, library=_numerical_library, library_name="torch.autograd.grad", rtol=1e-5, atol=1e-5,
    mistakes=(
        Mistake("forward", _forward),
        Mistake("no_half", _no_half),
        Mistake("all_at_once", _all_at_once),
        Mistake("all_at_once", lambda f, x, h: (f(x + h) - f(x - h)) / (2 * h)),
    )))

EXERCISES = (GRADIENT, NUMERICAL)
