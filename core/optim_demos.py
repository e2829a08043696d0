"""1.4 Optimization: torch.optim optimizers racing on 2-D surfaces, divergence, LR schedules."""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

SQRT2 = math.sqrt(2.0)


@dataclass(frozen=True)
class Surface:
    f: Callable                      # f(x, y, kappa) on tensors or arrays
    grad: Callable                   # (∂f/∂x, ∂f/∂y) at (x, y, kappa), written out; tests check it against autograd
    start: tuple[float, float]
    minimum: tuple[float, float]     # one global minimum (Himmelblau has four, all with f = 0)
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    log_contours: bool


def _rotated_bowl_grad(x, y, k):
    u, v = (x + y) / SQRT2, k * ((y - x) / SQRT2)          # ∂f/∂u and ∂f/∂v, u and v along the diagonals
    return u / SQRT2 - v / SQRT2, u / SQRT2 + v / SQRT2


def _rosenbrock_grad(x, y):
    d = 100 * (2 * (y - x ** 2))                            # ∂f/∂y; the chain rule through x² gives ∂f/∂x
    return -(2 * (1 - x)) - d * (2 * x), d


SURFACES: dict[str, Surface] = {
    # f = ½(x² + κ y²): curvatures 1 and κ, so gradient descent is stable only for lr < 2/κ
    "bowl": Surface(lambda x, y, k: 0.5 * (x ** 2 + k * y ** 2), lambda x, y, k: (x, k * y), (-4.0, 1.5), (0.0, 0.0),
                    (-5, 5), (-2.5, 2.5), True),
    # the same bowl turned by 45°: curvatures 1 and κ along the diagonals, so no single coordinate is the steep one
    "rotated_bowl": Surface(lambda x, y, k: 0.5 * (((x + y) / SQRT2) ** 2 + k * ((y - x) / SQRT2) ** 2),
                            lambda x, y, k: _rotated_bowl_grad(x, y, k), (-4.0, 1.5),
                            (0.0, 0.0), (-5, 5), (-5, 5), True),
    "rosenbrock": Surface(lambda x, y, k: (1 - x) ** 2 + 100 * (y - x ** 2) ** 2,
                          lambda x, y, k: _rosenbrock_grad(x, y), (-1.5, 2.0),
                          (1.0, 1.0), (-2, 2), (-1, 3), True),
    # a saddle at the origin (x² − y²) with two valleys at y = ±√2 held by the y⁴ term
    "saddle": Surface(lambda x, y, k: x ** 2 - y ** 2 + 0.25 * y ** 4, lambda x, y, k: (2 * x, -(2 * y) + 0.25 * (4 * (y * y * y))),
                      (-2.0, 0.001), (0.0, math.sqrt(2)), (-2.5, 2.5), (-2.5, 2.5), False),
    # a local minimum near (0.96, 0), a saddle near (0.08, 0) and the global minimum near (−1.04, 0)
    "two_valleys": Surface(lambda x, y, k: (x ** 2 - 1) ** 2 + 0.3 * x + y ** 2,
                           lambda x, y, k: (4 * x * (x ** 2 - 1) + 0.3, 2 * y), (1.8, 1.2), (-1.0357, 0.0), (-2, 2),
                           (-1.5, 1.5), False),
    "himmelblau": Surface(lambda x, y, k: (x ** 2 + y - 11) ** 2 + (x + y ** 2 - 7) ** 2,
                          lambda x, y, k: (4 * x * (x ** 2 + y - 11) + 2 * (x + y ** 2 - 7),
                                           2 * (x ** 2 + y - 11) + 4 * y * (x + y ** 2 - 7)),
                          (-0.5, -0.5), (3.0, 2.0), (-5, 5), (-5, 5), True),
}

def gradient(surface: str, xy: torch.Tensor, kappa: float = 10.0) -> torch.Tensor:
    """∇f at the point xy (2,) from the surface's written-out gradient: autograd's to the last bit, ~15× cheaper."""
    a = xy.detach().numpy()[None]                                                 # (1, 2)
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging optimizer's point overflows; its run shows it
        return torch.from_numpy(np.concatenate(SURFACES[surface].grad(a[:, 0], a[:, 1], kappa)))


OPTIMIZERS: dict[str, Callable] = {
    # foreach=False: the per-tensor loop is faster than the fused path for one 2-element tensor
    "sgd": lambda p, lr: torch.optim.SGD(p, lr=lr, foreach=False),
    "momentum": lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9, foreach=False),
    "nesterov": lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9, nesterov=True, foreach=False),
    "rmsprop": lambda p, lr: torch.optim.RMSprop(p, lr=lr, alpha=0.99, foreach=False),
    "adam": lambda p, lr: torch.optim.Adam(p, lr=lr, betas=(0.9, 0.999), foreach=False),
    "adamw": lambda p, lr: torch.optim.AdamW(p, lr=lr, betas=(0.9, 0.999), weight_decay=0.01, foreach=False),
}
ADAPTIVE = ("rmsprop", "adam", "adamw")

DIVERGE_LIMIT = 1e6   # |x| or |y| beyond this (or a non-finite loss) counts as divergence


@dataclass(frozen=True)
class Run:
    optimizer: str
    lr: float
    path: np.ndarray          # (steps + 1, 2), stops early on divergence
    losses: np.ndarray        # (steps + 1,)
    diverged_at: int | None   # the step where the iterate blew up


def adam_step_(p: torch.Tensor, g: torch.Tensor, m: torch.Tensor, v: torch.Tensor, t: int, lr: float,
               betas=(0.9, 0.999), eps: float = 1e-8) -> None:
    """torch.optim.Adam's update (foreach=False) on p, m, v in place, op for op, so the roundings are torch's."""
    m.lerp_(g, 1 - betas[0])
    v.mul_(betas[1]).addcmul_(g, g, value=1 - betas[1])
    denom = (v.sqrt() / (1 - betas[1] ** t) ** 0.5).add_(eps)
    p.addcdiv_(m, denom, value=-(lr / (1 - betas[0] ** t)))


def race(surface: str, optimizers: tuple[str, ...], lr_plain: float, lr_adaptive: float, steps: int = 150,
         kappa: float = 10.0) -> list[Run]:
    """Every chosen optimizer from the same start, in lockstep; SGD-family and adaptive ones get their own lr.

    Each optimizer is one row of a (k, 2) tensor, stepped by torch.optim's own update ops (those of its
    foreach=False code, in the same order) applied to its rows, so every path equals the real optimizer's
    to the last bit: six torch.optim step() calls cost up to 0.3 ms of Python each, over a second for 300 steps.
    `torch_race` runs the real optimizers; the tests and the Check tab compare the two.
    """
    if lr_plain <= 0 or lr_adaptive <= 0:
        raise ValueError("the learning rate must be positive")
    s = SURFACES[surface]
    names = [o for o in OPTIMIZERS if o in optimizers]          # one row each, in this order: groups are contiguous

    def rows(*group: str) -> slice | None:
        idx = [i for i, o in enumerate(names) if o in group]
        return slice(idx[0], idx[-1] + 1) if idx else None

    sgd, mom, nest, rms, adam, adamw = (rows(o) for o in OPTIMIZERS)
    heavy, adams = rows("momentum", "nesterov"), rows("adam", "adamw")
    k = len(names)
    xy = torch.tensor([s.start] * k, dtype=torch.float64)      # (k, 2); the update ops below change it in place
    x, y = xy.numpy()[:, 0], xy.numpy()[:, 1]                  # NumPy views of it, for f and its gradient
    buf, sq, m, v, g = (torch.zeros(k, 2, dtype=torch.float64) for _ in range(5))
    g_np = g.numpy()                                            # the gradient is written here, row by row
    path, loss = np.empty((steps + 1, k, 2)), np.empty((steps + 1, k))
    path[0] = xy.numpy()
    ends: list[int | None] = [None] * k       # the last recorded step of a diverged row
    blew_up = [False] * k                     # the row stepped out of bounds (its last loss is ∞)
    with np.errstate(all="ignore"):           # a diverging row overflows; it leaves the race below
        for step in range(steps + 1):
            loss[step] = s.f(x, y, kappa)
            if step == steps:
                break
            for i in np.flatnonzero(~np.isfinite(loss[step])):
                ends[i] = step if ends[i] is None else ends[i]
            if None not in ends:
                break
            g_np[:, 0], g_np[:, 1] = s.grad(x, y, kappa)                         # (k, 2), equal to autograd's
            if heavy and step == 0:           # SGD(momentum=0.9): buf = g at the first step, then buf ← 0.9·buf + g
                buf[heavy].copy_(g[heavy])
            elif heavy:
                buf[heavy].mul_(0.9).add_(g[heavy])
            if sgd:
                xy[sgd].add_(g[sgd], alpha=-lr_plain)
            if mom:
                xy[mom].add_(buf[mom], alpha=-lr_plain)
            if nest:
                xy[nest].add_(g[nest].add(buf[nest], alpha=0.9), alpha=-lr_plain)
            if rms:                           # RMSprop(alpha=0.99)
                sq[rms].mul_(0.99).addcmul_(g[rms], g[rms], value=1 - 0.99)
                xy[rms].addcdiv_(g[rms], sq[rms].sqrt().add_(1e-8), value=-lr_adaptive)
            if adamw:                         # AdamW's decoupled weight decay, then Adam's step
                xy[adamw].mul_(1 - lr_adaptive * 0.01)
            if adams:
                adam_step_(xy[adams], g[adams], m[adams], v[adams], step + 1, lr_adaptive)
            path[step + 1] = xy.numpy()
            for i in np.flatnonzero(~(np.abs(path[step + 1]) <= DIVERGE_LIMIT).all(axis=1)):   # beyond the limit, or NaN
                if ends[i] is None:
                    ends[i], blew_up[i] = step + 1, True
            if None not in ends:
                break
    runs = {}
    for i, o in enumerate(names):
        end = steps if ends[i] is None else ends[i]
        losses = loss[:end + 1, i].copy()
        if blew_up[i]:
            losses[-1] = float("inf")
        lr = lr_adaptive if o in ADAPTIVE else lr_plain
        runs[o] = Run(o, lr, path[:end + 1, i].copy(), losses, ends[i])
    return [runs[o] for o in optimizers]


def torch_race(surface: str, optimizers: tuple[str, ...], lr_plain: float, lr_adaptive: float, steps: int = 150,
               kappa: float = 10.0) -> list[Run]:
    """The same race with real torch.optim optimizers, one step() each per step.

    One vectorised forward and backward per step serves all optimizers: each point's loss depends only on
    its own coordinates, so the gradient of the summed loss is each optimizer's own gradient.
    """
    if lr_plain <= 0 or lr_adaptive <= 0:
        raise ValueError("the learning rate must be positive")
    s = SURFACES[surface]
    lrs = [lr_adaptive if o in ADAPTIVE else lr_plain for o in optimizers]
    params = [torch.tensor(s.start, dtype=torch.float64, requires_grad=True) for _ in optimizers]
    opts = [OPTIMIZERS[o]([p], lr) for o, p, lr in zip(optimizers, params, lrs)]
    k = len(optimizers)
    paths = [[torch.tensor(s.start, dtype=torch.float64)] for _ in range(k)]
    losses: list[list[float]] = [[] for _ in range(k)]
    diverged: list[int | None] = [None] * k
    for step in range(steps + 1):
        active = [i for i in range(k) if diverged[i] is None]
        if not active:
            break
        for i in active:
            params[i].grad = None
        P = torch.stack([params[i] for i in active])            # (A, 2)
        L = s.f(P[:, 0], P[:, 1], kappa)                         # (A,)
        for i, v in zip(active, L.tolist()):
            losses[i].append(v)
        if step == steps:
            break
        L.sum().backward()
        for i in active:
            if not math.isfinite(losses[i][-1]):
                diverged[i] = step
                continue
            opts[i].step()
            point = params[i].detach().clone()
            paths[i].append(point)
            if not torch.isfinite(point).all() or point.abs().max() > DIVERGE_LIMIT:
                diverged[i] = step + 1
                losses[i].append(float("inf"))
    return [Run(o, lr, torch.stack(path).numpy(), np.array(loss), d)
            for o, lr, path, loss, d in zip(optimizers, lrs, paths, losses, diverged)]


def run_optimizer(surface: str, optimizer: str, lr: float, steps: int = 150, kappa: float = 10.0) -> Run:
    """Minimise the surface from its start point with one torch.optim optimizer."""
    return torch_race(surface, (optimizer,), lr, lr, steps, kappa)[0]


def steps_to_reach(run: Run, surface: str, tol: float = 1e-3) -> int | None:
    """First step at which the iterate is within `tol` of the minimum and stays there."""
    if run.diverged_at is not None:
        return None
    dist = np.linalg.norm(run.path - np.array(SURFACES[surface].minimum), axis=1)
    outside = np.nonzero(dist >= tol)[0]
    if len(outside) == 0:
        return 0
    first = int(outside[-1]) + 1
    return first if first < len(dist) else None


def adam_steps_axis_vs_rotated(kappa: float, lr: float = 0.1, steps: int = 1500, tol: float = 1e-3) -> dict[str, int | None]:
    """Adam's steps to within `tol` of the minimum on the axis-aligned bowl and on the same bowl turned by 45°.

    Adam rescales each coordinate, which undoes κ only when the steep direction is a coordinate axis.
    """
    names = ("bowl", "rotated_bowl")
    # Adam acts on each coordinate alone, so both points (one row each) take the same steps as two separate
    # optimizers; adam_step_ is torch.optim.Adam's update
    xy = torch.tensor([SURFACES[n].start for n in names], dtype=torch.float64)   # (2 surfaces, 2 coords)
    a = xy.numpy()                                                                # a NumPy view of it
    m, v, g = torch.zeros_like(xy), torch.zeros_like(xy), torch.zeros_like(xy)
    g_np = g.numpy()
    path = np.empty((steps + 1, 2, 2))
    path[0] = a
    grads = [SURFACES[n].grad for n in names]
    for t in range(1, steps + 1):
        # on Python floats: both gradients use only + − × ÷, so they round exactly as autograd's
        (x0, y0), (x1, y1) = a.tolist()
        g_np[0], g_np[1] = grads[0](x0, y0, kappa), grads[1](x1, y1, kappa)
        adam_step_(xy, g, m, v, t, lr)
        path[t] = a
    counts = {n: steps_to_reach(Run("adam", lr, path[:, i], np.zeros(0), None), n, tol) for i, n in enumerate(names)}
    return counts


# where ∂f/∂x = 4x(x² − 1) + 0.3 = 0 on y = 0: the global minimum, the saddle, the local minimum
TWO_VALLEYS_CRITICAL = ((-1.035579, 0.0), (0.075429, 0.0), (0.960150, 0.0))


def classify_critical_point(surface: str, point: tuple[float, float], kappa: float = 10.0) -> dict:
    """Gradient norm and Hessian eigenvalues at `point`: a minimum has both eigenvalues > 0, a saddle one of each sign."""
    f = SURFACES[surface].f
    xy = torch.tensor(point, dtype=torch.float64, requires_grad=True)
    grad = torch.autograd.grad(f(xy[0], xy[1], kappa), xy)[0]
    hess = torch.autograd.functional.hessian(lambda p: f(p[0], p[1], kappa), xy.detach())
    eig = torch.linalg.eigvalsh(hess)
    kind = "minimum" if eig.min() > 0 else "maximum" if eig.max() < 0 else "saddle"
    return {"grad_norm": float(grad.norm()), "eigenvalues": eig.tolist(), "kind": kind,
            "value": float(f(xy[0], xy[1], kappa).detach())}


def sgd_stable_lr(kappa: float) -> float:
    """Plain gradient descent on ½(x² + κy²) converges only for lr < 2 / (largest curvature)."""
    return 2.0 / max(1.0, kappa)


def contour_field(surface: str, kappa: float = 10.0, n: int = 45) -> list[dict]:
    """Rows {x, y, z} over the surface's window; z is log10(1 + f − min) where the surface is steep."""
    s = SURFACES[surface]
    xs = torch.linspace(*s.x_range, n, dtype=torch.float64)
    ys = torch.linspace(*s.y_range, n, dtype=torch.float64)
    X, Y = torch.meshgrid(xs, ys, indexing="xy")
    Z = s.f(X, Y, kappa)
    if s.log_contours:
        Z = torch.log10(1 + Z - Z.min())
    return [{"x": a, "y": b, "z": c} for a, b, c in zip(X.ravel().tolist(), Y.ravel().tolist(), Z.ravel().tolist())]


# ---------------------------------------------------------------- the same updates written out
def adam_by_hand(surface: str, lr: float, steps: int, kappa: float = 10.0, betas=(0.9, 0.999), eps: float = 1e-8) -> np.ndarray:
    """Adam from its formulas: m, v moving averages, bias correction, per-coordinate step."""
    s = SURFACES[surface]
    xy = torch.tensor(s.start, dtype=torch.float64)
    m, v = torch.zeros(2, dtype=torch.float64), torch.zeros(2, dtype=torch.float64)
    path = [xy.clone()]
    for t in range(1, steps + 1):
        g = gradient(surface, xy, kappa)
        m = betas[0] * m + (1 - betas[0]) * g
        v = betas[1] * v + (1 - betas[1]) * g * g
        m_hat, v_hat = m / (1 - betas[0] ** t), v / (1 - betas[1] ** t)
        xy = xy - lr * m_hat / (v_hat.sqrt() + eps)
        path.append(xy.clone())
    return torch.stack(path).numpy()


def momentum_by_hand(surface: str, lr: float, steps: int, kappa: float = 10.0, beta: float = 0.9) -> np.ndarray:
    """SGD with momentum as torch writes it: v ← βv + g, θ ← θ − lr·v."""
    s = SURFACES[surface]
    xy = torch.tensor(s.start, dtype=torch.float64)
    vel = None
    path = [xy.clone()]
    for _ in range(steps):
        g = gradient(surface, xy, kappa)
        vel = g if vel is None else beta * vel + g
        xy = xy - lr * vel
        path.append(xy.clone())
    return torch.stack(path).numpy()


def momentum_ema_by_hand(surface: str, lr: float, steps: int, kappa: float = 10.0, beta: float = 0.9) -> np.ndarray:
    """Momentum in the guide's form: v ← βv + (1 − β)g from v = 0, θ ← θ − lr·v.

    Its v is (1 − β) times torch's, so it takes the same steps as torch.optim.SGD(momentum=β) with lr·(1 − β).
    """
    s = SURFACES[surface]
    xy = torch.tensor(s.start, dtype=torch.float64)
    vel = torch.zeros(2, dtype=torch.float64)
    path = [xy.clone()]
    for _ in range(steps):
        vel = beta * vel + (1 - beta) * gradient(surface, xy, kappa)
        xy = xy - lr * vel
        path.append(xy.clone())
    return torch.stack(path).numpy()


# ---------------------------------------------------------------- learning-rate schedules
SCHEDULES = ("constant", "step", "cosine", "one_cycle", "warmup_cosine")


def lr_schedule(name: str, total_steps: int = 100, base_lr: float = 0.1, warmup: int = 10, step_size: int = 30,
                gamma: float = 0.3) -> list[float]:
    """The lr at every step, read from a real torch.optim.lr_scheduler driving a dummy optimizer."""
    if total_steps < 2:
        raise ValueError("a schedule needs at least 2 steps")
    warmup = max(1, min(warmup, total_steps - 1))
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base_lr)
    sched = torch.optim.lr_scheduler
    if name == "constant":
        s = sched.LambdaLR(opt, lambda _: 1.0)
    elif name == "step":
        s = sched.StepLR(opt, step_size=max(1, step_size), gamma=gamma)
    elif name == "cosine":
        s = sched.CosineAnnealingLR(opt, T_max=total_steps)
    elif name == "one_cycle":
        s = sched.OneCycleLR(opt, max_lr=base_lr, total_steps=total_steps)
    elif name == "warmup_cosine":
        s = sched.SequentialLR(opt, [sched.LinearLR(opt, start_factor=0.01, end_factor=1.0, total_iters=warmup),
                                     sched.CosineAnnealingLR(opt, T_max=total_steps - warmup)], milestones=[warmup])
    else:
        raise ValueError(f"unknown schedule {name}")
    opt.step()      # its parameter has no gradient, so this changes nothing; once is enough for the scheduler's order check
    lrs = []
    for _ in range(total_steps):
        lrs.append(opt.param_groups[0]["lr"])
        s.step()
    return lrs


def cosine_by_hand(total_steps: int, base_lr: float, min_lr: float = 0.0) -> list[float]:
    """η_t = η_min + ½(η_0 − η_min)(1 + cos(πt/T))."""
    return [min_lr + 0.5 * (base_lr - min_lr) * (1 + math.cos(math.pi * t / total_steps)) for t in range(total_steps)]
