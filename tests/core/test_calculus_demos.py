"""1.2 core: autograd against formulas and finite differences, the chain rule, gradient fields."""
import math

import numpy as np
import pytest
import torch

from core.calculus_demos import (
    FUNCTIONS,
    analytic_derivative,
    best_step,
    central_difference,
    chain_rule_autograd,
    chain_rule_graph,
    curve_and_tangent,
    error_vs_step,
    forward_difference,
    gradient_at,
    gradient_field,
    graph_dot,
    value_and_grad,
)


def test_guide_example_gradient_is_4_27():
    value, grad = gradient_at("poly", 2.0, 3.0)
    assert value == pytest.approx(31.0)
    assert grad == pytest.approx([4.0, 27.0], abs=1e-12)


@pytest.mark.parametrize("name", [n for n in FUNCTIONS if n != "relu"])
@pytest.mark.parametrize("x0", [-1.3, 0.4, 2.1])
def test_autograd_matches_formula_and_central_difference(name, x0):
    _, ag = value_and_grad(name, x0)
    assert ag == pytest.approx(analytic_derivative(name, x0), rel=1e-12, abs=1e-12)
    assert central_difference(name, x0, 1e-5) == pytest.approx(ag, rel=1e-7, abs=1e-8)


def test_relu_away_from_the_kink():
    assert value_and_grad("relu", 0.7)[1] == 1.0 and value_and_grad("relu", -0.7)[1] == 0.0
    assert central_difference("relu", 0.0, 1e-3) == pytest.approx(0.5)


def test_central_beats_forward_and_error_curve_has_a_dip():
    x0, h = 1.0, 1e-3
    exact = value_and_grad("sin", x0)[1]
    assert abs(central_difference("sin", x0, h) - exact) < abs(forward_difference("sin", x0, h) - exact) / 100
    rows = error_vs_step("sin", x0)
    h_best, e_best = best_step(rows)
    assert 1e-8 <= h_best <= 1e-3 and e_best < 1e-9
    big = [r["error"] for r in rows if r["scheme"] == "central" and r["h"] == 1.0][0]
    tiny = [r["error"] for r in rows if r["scheme"] == "central" and r["h"] == 1e-13][0]
    assert big > e_best * 1e3 and tiny > e_best * 10, "truncation on the right, rounding on the left"


def test_float32_moves_the_best_step_up():
    h64, _ = best_step(error_vs_step("sin", 1.0, torch.float64))
    h32, _ = best_step(error_vs_step("sin", 1.0, torch.float32))
    assert h32 > h64


def test_tangent_touches_the_curve():
    rows, y0, slope = curve_and_tangent("tanh", 0.5)
    assert y0 == pytest.approx(np.tanh(0.5))
    tangent = [r for r in rows if r["curve"] == "tangent"]
    (xa, ya), (xb, yb) = [(r["x"], r["y"]) for r in tangent]
    assert (yb - ya) / (xb - xa) == pytest.approx(slope)


@pytest.mark.parametrize("vals", [(1.5, -0.8, 0.3, 1.0), (-2.0, 0.5, 1.0, 0.0)])
def test_chain_rule_by_hand_matches_autograd(vals):
    nodes = {n.name: n for n in chain_rule_graph(*vals)}
    auto = chain_rule_autograd(*vals)
    for v in ("x", "w", "b"):
        assert nodes[v].grad == pytest.approx(auto[v], abs=1e-12)
    assert nodes["L"].value == pytest.approx(auto["L"])


def test_graph_reveals_values_then_gradients():
    nodes = chain_rule_graph()
    assert "∂L" not in graph_dot(nodes, 7) and "= 1.5000" in graph_dot(nodes, 7)
    assert graph_dot(nodes, 14).count("∂L/∂") == 7


def test_gradient_field_arrows_point_uphill():
    field, arrows = gradient_field("bowl", lim=2.0, n_field=9, n_arrows=5)
    assert len(field) == 81
    shafts = [arrows[i:i + 2] for i in range(0, len(arrows), 6)]
    for start, end in shafts:
        _, g = gradient_at("bowl", start["x"], start["y"])
        d = np.array([end["x"] - start["x"], end["y"] - start["y"]])
        assert np.dot(d, g) > 0


@pytest.mark.parametrize("x0", [-2.0, 0.3, 1.3])
def test_sum_and_product_rules_match_autograd(x0):
    from core.calculus_demos import sum_and_product_rules

    rules = sum_and_product_rules(x0)
    for rule, auto in rules.values():
        assert rule == pytest.approx(auto, abs=1e-12)
    # the naive "product of derivatives" is not the product rule
    assert abs(math.cos(x0) * 2 * x0 - rules["product"][1]) > 1e-3
