"""1.2 Calculus: derivatives by autograd and by finite differences, the chain rule, gradient fields."""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

# f(x) for a tensor x, and its derivative written out by hand (for the check)
FUNCTIONS: dict[str, tuple[Callable, Callable]] = {
    "sigmoid": (torch.sigmoid, lambda x: torch.sigmoid(x) * (1 - torch.sigmoid(x))),
    "tanh": (torch.tanh, lambda x: 1 - torch.tanh(x) ** 2),
    "relu": (torch.relu, lambda x: (x > 0).to(x.dtype)),
    "square": (lambda x: x ** 2, lambda x: 2 * x),
    "cube": (lambda x: x ** 3, lambda x: 3 * x ** 2),
    "sin": (torch.sin, torch.cos),
    "exp": (torch.exp, torch.exp),
    "softplus": (F.softplus, torch.sigmoid),
}


def value_and_grad(name: str, x0: float, dtype=torch.float64) -> tuple[float, float]:
    """f(x0) and f'(x0) from autograd."""
    f = FUNCTIONS[name][0]
    x = torch.tensor(x0, dtype=dtype, requires_grad=True)
    y = f(x)
    y.backward()
    return y.item(), x.grad.item()


def analytic_derivative(name: str, x0: float) -> float:
    return float(FUNCTIONS[name][1](torch.tensor(x0, dtype=torch.float64)))


def central_difference(name: str, x0: float, h: float, dtype=torch.float64) -> float:
    """(f(x + h) − f(x − h)) / 2h, computed in `dtype`."""
    f = FUNCTIONS[name][0]
    x = torch.tensor(x0, dtype=dtype)
    hh = torch.tensor(h, dtype=dtype)
    return float((f(x + hh) - f(x - hh)) / (2 * hh))


def forward_difference(name: str, x0: float, h: float, dtype=torch.float64) -> float:
    """(f(x + h) − f(x)) / h, computed in `dtype`."""
    f = FUNCTIONS[name][0]
    x = torch.tensor(x0, dtype=dtype)
    hh = torch.tensor(h, dtype=dtype)
    return float((f(x + hh) - f(x)) / hh)


def curve_and_tangent(name: str, x0: float, lo: float = -4.0, hi: float = 4.0, n: int = 161) -> tuple[list[dict], float, float]:
    """Rows of f on [lo, hi] and of its tangent at x0; also f(x0) and f'(x0)."""
    f = FUNCTIONS[name][0]
    xs = torch.linspace(lo, hi, n, dtype=torch.float64)
    ys = f(xs)
    y0, slope = value_and_grad(name, x0)
    half = 1.5
    tx = torch.linspace(x0 - half, x0 + half, 2, dtype=torch.float64)
    rows = [{"x": float(a), "y": float(b), "curve": "f(x)"} for a, b in zip(xs, ys)]
    rows += [{"x": float(a), "y": float(y0 + slope * (a - x0)), "curve": "tangent"} for a in tx]
    return rows, y0, slope


def error_vs_step(name: str, x0: float, dtype=torch.float64, exponents=range(-14, 1)) -> list[dict]:
    """|finite difference − autograd| for h = 10^k, forward and central; zeros dropped for the log axes."""
    _, exact = value_and_grad(name, x0, torch.float64)
    rows = []
    for k in exponents:
        h = 10.0 ** k
        for scheme, fn in (("central", central_difference), ("forward", forward_difference)):
            err = abs(fn(name, x0, h, dtype) - exact)
            if err > 0 and np.isfinite(err):
                rows.append({"h": h, "error": err, "scheme": scheme})
    return rows


def best_step(rows: list[dict], scheme: str = "central") -> tuple[float, float]:
    """The h with the smallest error for one scheme, and that error."""
    best = min((r for r in rows if r["scheme"] == scheme), key=lambda r: r["error"])
    return best["h"], best["error"]


# ---------------------------------------------------------------- chain rule on a tiny graph
@dataclass(frozen=True)
class Node:
    name: str
    formula: str       # how the node's value is computed
    local: str         # how its gradient is computed from the next node's
    value: float
    grad: float        # ∂L/∂node by the chain rule


def chain_rule_graph(x: float = 1.5, w: float = -0.8, b: float = 0.3, y: float = 1.0) -> list[Node]:
    """L = (σ(w·x + b) − y)²: forward values, then each ∂L/∂node by hand, in forward order."""
    z = w * x + b
    a = 1 / (1 + np.exp(-z))
    d = a - y
    L = d * d
    dL_dL = 1.0
    dL_dd = 2 * d * dL_dL
    dL_da = dL_dd * 1.0
    dL_dz = dL_da * a * (1 - a)
    dL_dw = dL_dz * x
    dL_db = dL_dz * 1.0
    dL_dx = dL_dz * w
    return [
        Node("x", "input", "∂L/∂x = ∂L/∂z · w", x, dL_dx),
        Node("w", "weight", "∂L/∂w = ∂L/∂z · x", w, dL_dw),
        Node("b", "bias", "∂L/∂b = ∂L/∂z · 1", b, dL_db),
        Node("z", "z = w·x + b", "∂L/∂z = ∂L/∂a · σ(z)(1 − σ(z))", z, dL_dz),
        Node("a", "a = σ(z)", "∂L/∂a = ∂L/∂d · 1", a, dL_da),
        Node("d", "d = a − y", "∂L/∂d = 2d · ∂L/∂L", d, dL_dd),
        Node("L", "L = d²", "∂L/∂L = 1", L, dL_dL),
    ]


def chain_rule_autograd(x: float = 1.5, w: float = -0.8, b: float = 0.3, y: float = 1.0) -> dict[str, float]:
    """The same gradients of x, w, b from autograd."""
    tx, tw, tb = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (x, w, b))
    L = (torch.sigmoid(tw * tx + tb) - y) ** 2
    L.backward()
    return {"x": tx.grad.item(), "w": tw.grad.item(), "b": tb.grad.item(), "L": L.item()}


EDGES = [("x", "z"), ("w", "z"), ("b", "z"), ("z", "a"), ("a", "d"), ("d", "L")]
BACKWARD_ORDER = ["L", "d", "a", "z", "w", "b", "x"]
FORWARD_ORDER = ["x", "w", "b", "z", "a", "d", "L"]


def graph_dot(nodes: list[Node], step: int) -> str:
    """Graphviz DOT of the graph at `step`: 0..7 reveal forward values, 8..14 reveal gradients."""
    by = {n.name: n for n in nodes}
    shown_values = set(FORWARD_ORDER[:min(step, 7)])
    shown_grads = set(BACKWARD_ORDER[:max(0, step - 7)])
    lines = ["digraph G {", "rankdir=LR;", 'node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11];']
    for name in FORWARD_ORDER:
        n = by[name]
        label = f"{n.formula}" if n.formula in ("input", "weight", "bias") else n.formula
        label = f"{name}: {label}" if n.formula in ("input", "weight", "bias") else label
        if name in shown_values:
            label += f"\\n= {n.value:.4f}"
        if name in shown_grads:
            label += f"\\n∂L/∂{name} = {n.grad:.4f}"
        fill = "#fde0c5" if name in shown_grads else ("#d6e9f8" if name in shown_values else "#f2f2f2")
        lines.append(f'"{name}" [label="{label}", fillcolor="{fill}"];')
    for s, t in EDGES:
        back = t in shown_grads and s in shown_grads
        lines.append(f'"{s}" -> "{t}" [color="{"#e4572e" if back else "#555555"}"];')
    lines.append("}")
    return "\n".join(lines)


# ---------------------------------------------------------------- gradients of f(x1, x2)
FIELDS: dict[str, Callable] = {
    "poly": lambda x1, x2: x1 ** 2 + x2 ** 3,
    "bowl": lambda x1, x2: x1 ** 2 + 3 * x2 ** 2,
    "saddle": lambda x1, x2: x1 ** 2 - x2 ** 2,
    "waves": lambda x1, x2: torch.sin(x1) * torch.cos(x2),
}


def gradient_at(name: str, x1: float, x2: float) -> tuple[float, list[float]]:
    """f(x1, x2) and ∇f from one backward pass."""
    x = torch.tensor([x1, x2], dtype=torch.float64, requires_grad=True)
    y = FIELDS[name](x[0], x[1])
    y.backward()
    return y.item(), x.grad.tolist()


def gradient_field(name: str, lim: float = 3.0, n_field: int = 41, n_arrows: int = 11) -> tuple[list[dict], list[dict]]:
    """Background rows {x, y, z} and arrow rows (unit-length-scaled ∇f) from one batched backward."""
    from core.linalg_demos import arrow_rows

    g = torch.linspace(-lim, lim, n_field, dtype=torch.float64)
    X1, X2 = torch.meshgrid(g, g, indexing="xy")
    Z = FIELDS[name](X1, X2)
    field = [{"x": a, "y": b, "z": c} for a, b, c in zip(X1.ravel().tolist(), X2.ravel().tolist(), Z.ravel().tolist())]
    ga = torch.linspace(-lim, lim, n_arrows, dtype=torch.float64)
    A1, A2 = torch.meshgrid(ga, ga, indexing="xy")
    A1.requires_grad_(True)
    A2.requires_grad_(True)
    FIELDS[name](A1, A2).sum().backward()   # each point's value depends only on itself, so .grad is ∇f per point
    G1, G2 = A1.grad.ravel().tolist(), A2.grad.ravel().tolist()
    P1, P2 = A1.detach().ravel().tolist(), A2.detach().ravel().tolist()
    norms = [float(np.hypot(d1, d2)) for d1, d2 in zip(G1, G2)]
    longest = max(norms) or 1.0
    spacing = 2 * lim / (n_arrows - 1)
    arrows = []
    for i, (a, b, d1, d2, nm) in enumerate(zip(P1, P2, G1, G2, norms)):
        if nm < 1e-12:
            continue
        # length grows with |∇f| but never overlaps the next arrow
        length = spacing * 0.85 * (0.3 + 0.7 * nm / longest)
        arrows += arrow_rows((a, b), (a + length * d1 / nm, b + length * d2 / nm), "∇f", f"g{i}", head=0.25 * spacing)
    return field, arrows


def sum_and_product_rules(x0: float) -> dict[str, tuple[float, float]]:
    """(f + g)′ = f′ + g′ and (f·g)′ = f′g + fg′ for f = sin, g = x², by the rule and by autograd: (rule, autograd)."""
    out = {}
    for name, combine, rule in (
        ("sum", lambda f, g: f + g, lambda x: math.cos(x) + 2 * x),
        ("product", lambda f, g: f * g, lambda x: math.cos(x) * x**2 + math.sin(x) * 2 * x),
    ):
        x = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
        combine(torch.sin(x), x**2).backward()
        out[name] = (rule(x0), x.grad.item())
    return out
