"""1.4 Optimization: the race, divergence message, surfaces and schedules, EN and RU."""
from conftest import open_page, texts


def test_renders_all_five_parts(lang):
    at = open_page("14_optimization", lang)
    assert not at.exception
    assert len(at.tabs) == 6 and at.latex and len(at.radio) >= 3
    assert any("def race" in c.value for c in at.code)
    assert not at.error, ("the defaults converge", [e.value for e in at.error])


def test_too_large_lr_diverges_and_the_page_explains(lang):
    at = open_page("14_optimization", lang)
    at.slider(key="op_kappa").set_value(20).run()
    at.select_slider(key="op_lr_bowl").set_value(0.2).run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert ("Diverged: SGD" in errors) if lang == "en" else ("Расхождение: SGD" in errors)
    assert "2/κ = **0.1**" in texts(at)
    at.select_slider(key="op_lr_bowl").set_value(0.03).run()
    assert not at.error, [e.value for e in at.error]


def test_surfaces_and_optimizer_toggles(lang):
    at = open_page("14_optimization", lang)
    at.selectbox(key="op_surface").set_value("rosenbrock").run()
    at.toggle(key="op_use_rmsprop").set_value(False).run()
    at.slider(key="op_steps").set_value(60).run()
    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) == 5
    at.selectbox(key="op_surface").set_value("himmelblau").run()
    assert not at.exception and "(3, 2)" in texts(at)


def test_schedules_and_check_tab(lang):
    at = open_page("14_optimization", lang)
    at.slider(key="op_total").set_value(60).run()
    at.slider(key="op_warmup").set_value(5).run()
    assert not at.exception
    check = at.dataframe[-1].value
    assert check.iloc[:, -1].max() < 1e-9, "our Adam, momentum and cosine formulas match torch"


def test_rotated_bowl_shows_adam_slowing_down(lang):
    at = open_page("14_optimization", lang)
    at.selectbox(key="op_surface").set_value("rotated_bowl").run()
    at.slider(key="op_kappa").set_value(50).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    axis = metrics["Adam's steps to 1e-3: axis-aligned bowl" if lang == "en" else "Шагов Adam до 1e-3: чаша по осям"]
    rotated = [v for k, v in metrics.items() if "45" in k][0]
    assert (int(axis), int(rotated)) == (166, 1135)
    check = at.dataframe[-1].value
    assert len(check) == 5 and check.iloc[:, -1].max() < 1e-9, "the guide's (1 − β) momentum with lr/(1 − β) matches torch"


def test_two_valleys_lists_its_critical_points(lang):
    at = open_page("14_optimization", lang)
    at.selectbox(key="op_surface").set_value("two_valleys").run()
    assert not at.exception
    kinds = list(at.dataframe[1].value.iloc[:, -1])
    saddle, minimum = ("saddle point", "minimum") if lang == "en" else ("седловая точка", "минимум")
    assert kinds == [minimum, saddle, minimum]
