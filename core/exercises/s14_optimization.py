"""1.4 Optimization: one Adam step and one SGD-with-momentum step by hand, against torch.optim."""
from __future__ import annotations

import torch

from core.exercises.base import Case, Check, Mistake, exercise
from core.exercises.checks import randint, randn

SECTION = "14_optimization"


def _choice(gen: torch.Generator, options):
    return options[randint(gen, 0, len(options))]


# ---- 1.4-adam ---------------------------------------------------------------------------------

def adam_step(param, grad, m, v, t: int, lr: float, beta1: float, beta2: float, eps: float):
    """One Adam update at step t (the first step is t = 1); returns the new (param, m, v)."""
    m = beta1 * m + (1 - beta1) * grad          # moving average of the gradient
    v = beta2 * v + (1 - beta2) * grad * grad   # moving average of its square
    m_hat = m / (1 - beta1**t)                  # bias correction: m and v start at zero
    v_hat = v / (1 - beta2**t)
    return param - lr * m_hat / (v_hat.sqrt() + eps), m, v


def _adam_library(param, grad, m, v, t, lr, beta1, beta2, eps):
    p = param.detach().clone().requires_grad_(True)
    opt = torch.optim.Adam([p], lr=lr, betas=(beta1, beta2), eps=eps, foreach=False)
    if t > 1:  # resume from the given state, as if t − 1 steps had been taken
        opt.state[p] = {"step": torch.tensor(float(t - 1)), "exp_avg": m.clone(), "exp_avg_sq": v.clone()}
    p.grad = grad.clone()
    opt.step()
    state = opt.state[p]
    return p.detach(), state["exp_avg"], state["exp_avg_sq"]


def _adam_case(gen: torch.Generator, name: str, shape: tuple, t: int, dtype=torch.float32, scale: float = 1.0) -> Case:
    lr = _choice(gen, (1e-3, 1e-2, 0.1))
    beta1, beta2 = _choice(gen, (0.9, 0.8)), _choice(gen, (0.999, 0.99))
    grad = randn(gen, *shape, dtype=dtype, scale=scale)
    if t == 1:
        m, v = torch.zeros(shape, dtype=dtype), torch.zeros(shape, dtype=dtype)
    else:
        m = randn(gen, *shape, dtype=dtype, scale=0.3 * scale)
        v = randn(gen, *shape, dtype=dtype, scale=scale) ** 2 * (1 - beta2**t)
    return Case(name, (randn(gen, *shape, dtype=dtype), grad, m, v, t, lr, beta1, beta2, 1e-8))


def _adam_cases(gen: torch.Generator) -> list[Case]:
    n = randint(gen, 3, 8)
    return [
        _adam_case(gen, "first_step", (n,), 1),
        _adam_case(gen, "later_step", (n,), randint(gen, 2, 30)),
        _adam_case(gen, "late_step", (2, n), randint(gen, 1000, 5000)),
        _adam_case(gen, "float64", (3, n), randint(gen, 2, 30), torch.float64),
        _adam_case(gen, "small_gradients", (n,), randint(gen, 2, 30), torch.float64, scale=1e-8),
    ]


def _adam_variant(correct: bool = True, eps_inside: bool = False, t_shift: int = 0, square: bool = True,
                  ema: bool = True, sign: float = -1.0):
    def step(param, grad, m, v, t, lr, beta1, beta2, eps):
        m = beta1 * m + ((1 - beta1) if ema else 1.0) * grad
        v = beta2 * v + (1 - beta2) * (grad * grad if square else grad)
        if correct:
            m_hat, v_hat = m / (1 - beta1 ** (t + t_shift)), v / (1 - beta2 ** (t + t_shift))
        else:
            m_hat, v_hat = m, v
        denom = (v_hat + eps).sqrt() if eps_inside else v_hat.sqrt() + eps
        return param + sign * lr * m_hat / denom, m, v
    return step


ADAM = exercise("1.4-adam", SECTION, adam_step, Check(
    cases=_adam_cases, library=_adam_library, library_name="torch.optim.Adam", pure=False,
    mistakes=(
        Mistake("no_bias_correction", _adam_variant(correct=False)),
        Mistake("eps_inside_sqrt", _adam_variant(eps_inside=True)),
        Mistake("t_off_by_one", _adam_variant(t_shift=1)),
        Mistake("t_off_by_one", _adam_variant(t_shift=-1)),
        Mistake("v_not_squared", _adam_variant(square=False)),
        Mistake("m_without_one_minus_beta", _adam_variant(ema=False)),
        Mistake("ascent", _adam_variant(sign=1.0)),
    )))


# ---- 1.4-momentum -----------------------------------------------------------------------------

def sgd_momentum_step(param, grad, buf, lr: float, momentum: float):
    """One step of SGD with momentum as torch.optim.SGD takes it; buf is None before the first step.
    Returns the new (param, buf)."""
    buf = grad.clone() if buf is None else momentum * buf + grad  # torch: no (1 − momentum) on the gradient
    return param - lr * buf, buf


def _sgd_library(param, grad, buf, lr, momentum):
    p = param.detach().clone().requires_grad_(True)
    opt = torch.optim.SGD([p], lr=lr, momentum=momentum, foreach=False)
    if buf is not None:
        opt.state[p] = {"momentum_buffer": buf.clone()}
    p.grad = grad.clone()
    opt.step()
    return p.detach(), opt.state[p]["momentum_buffer"]


def _sgd_case(gen: torch.Generator, name: str, shape: tuple, first: bool, dtype=torch.float32) -> Case:
    lr, momentum = _choice(gen, (0.01, 0.05, 0.1)), _choice(gen, (0.9, 0.5, 0.99))
    buf = None if first else randn(gen, *shape, dtype=dtype)
    return Case(name, (randn(gen, *shape, dtype=dtype), randn(gen, *shape, dtype=dtype), buf, lr, momentum))


def _sgd_cases(gen: torch.Generator) -> list[Case]:
    n = randint(gen, 3, 8)
    return [
        _sgd_case(gen, "first_step", (n,), True),
        _sgd_case(gen, "later_step", (n,), False),
        _sgd_case(gen, "matrix_param", (2, n), False),
        _sgd_case(gen, "float64", (n,), False, torch.float64),
        _sgd_case(gen, "first_step_matrix", (3, n), True),
    ]


def _dampened(param, grad, buf, lr, momentum):
    buf = (1 - momentum) * grad if buf is None else momentum * buf + (1 - momentum) * grad
    return param - lr * buf, buf


def _velocity(param, grad, buf, lr, momentum):
    buf = lr * grad if buf is None else momentum * buf + lr * grad
    return param - buf, buf


MOMENTUM = exercise("1.4-momentum", SECTION, sgd_momentum_step, Check(
    cases=_sgd_cases, library=_sgd_library, library_name="torch.optim.SGD", pure=False,
    mistakes=(
        Mistake("dampening", _dampened),
        Mistake("plain_sgd", lambda param, grad, buf, lr, momentum: (param - lr * grad, sgd_momentum_step(
            param, grad, buf, lr, momentum)[1])),
        Mistake("lr_in_buffer", _velocity),
        Mistake("step_with_old_buffer", lambda param, grad, buf, lr, momentum: (
            param - lr * (grad if buf is None else buf), sgd_momentum_step(param, grad, buf, lr, momentum)[1])),
    )))

EXERCISES = (ADAM, MOMENTUM)
