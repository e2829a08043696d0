"""1.2 Calculus: function/point widgets, the chain-rule stepper and the gradient field, in EN and RU."""
from conftest import open_page, texts


def test_renders_all_five_parts(lang):
    at = open_page("12_calculus", lang)
    assert not at.exception
    assert len(at.tabs) == 6 and at.latex and len(at.radio) >= 3
    assert any("def central_difference" in c.value for c in at.code)
    check = next(df.value for df in at.dataframe if any("x²)′" in str(q) for q in df.value.iloc[:, 0]))
    rules = check[check.iloc[:, 0].str.contains("x²\\)′", regex=True)]
    assert len(rules) == 2 and rules.iloc[:, -1].max() < 1e-9      # sum and product rules against autograd


def test_guide_gradient_is_shown(lang):
    at = open_page("12_calculus", lang)
    shown = texts(at)
    assert r"\nabla f(2,\ 3) = [4,\ 27]" in shown
    assert "[4, 27]" in shown


def test_function_and_point_change_the_derivative(lang):
    at = open_page("12_calculus", lang)
    at.selectbox(key="ca_f").set_value("square").run()
    at.slider(key="ca_x0").set_value(1.5).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["f(x₀)"] == "2.25" and "3" == [v for k, v in metrics.items() if "autograd" in k][0]
    at.selectbox(key="ca_f").set_value("relu").run()
    at.slider(key="ca_x0").set_value(0.0).run()
    assert ("kink" in texts(at)) if lang == "en" else ("излом" in texts(at))


def test_chain_rule_stepper_reaches_the_gradients(lang):
    at = open_page("12_calculus", lang)
    at.slider(key="ca_step").set_value(4).run()
    assert "z = w·x + b" in texts(at)
    at.slider(key="ca_step").set_value(14).run()
    assert not at.exception
    assert "∂L/∂x = ∂L/∂z · w" in texts(at)
    assert at.success


def test_gradient_field_follows_the_point(lang):
    at = open_page("12_calculus", lang)
    at.selectbox(key="ca_field").set_value("bowl").run()
    at.slider(key="ca_p1").set_value(1.0).run()
    at.slider(key="ca_p2").set_value(-1.0).run()
    assert not at.exception
    assert r"\nabla f(1,\ -1) = [2,\ -6]" in texts(at)
