"""Every recipe default is a value its widget can hold (issue 9, item 9). A select slider shows its
first option for a default it does not have: the CNN recipe's lr 2e-3, not one of LR_CHOICES,
made every CNN run opened from a link train at 1e-4. Each recipe in core.recipes is drawn with the
real training and model widgets, which must then show (and return) the recipe's own values."""
from __future__ import annotations

from dataclasses import fields

import pytest

from core import recipes
from core.recipes import Recipe

RECIPES = sorted(name for name, value in vars(recipes).items() if isinstance(value, Recipe))
TRAIN_WIDGETS = {"optimizer": "opt", "lr": "lr", "num_epochs": "epochs", "batch_size": "bs", "scheduler": "sched",
                 "weight_decay": "wd", "patience": "pat", "clip_grad_norm": "clip", "amp": "amp"}
MODEL_WIDGETS = {"scaler": "scaler", "hidden": "hidden", "activation": "act", "dropout": "dropout", "batch_norm": "bn"}


def draw_recipe(name: str) -> None:
    """The script AppTest runs: one recipe's model and training widgets, and what they return."""
    import streamlit as st

    from app import controls
    from core import recipes
    from core.datasets import load_dataset

    recipe = getattr(recipes, name)
    model = controls.model_controls("r_", load_dataset(recipe.dataset), recipe)
    train = controls.train_controls("r_", recipe.train)
    st.session_state["returned"] = (model, train)


def test_the_recipes_are_found():
    assert {"DIGITS_MLP", "DIGITS_CNN"} <= set(RECIPES)


@pytest.mark.parametrize("name", RECIPES)
def test_every_recipe_default_is_held_by_its_widget(name):
    from streamlit.testing.v1 import AppTest

    recipe = getattr(recipes, name)
    at = AppTest.from_function(draw_recipe, args=(name,), default_timeout=60)
    at.session_state["lang"] = "en"
    at.run()
    assert not at.exception, at.exception
    widgets = {w.key: w.value for kind in ("select_slider", "slider", "selectbox", "toggle", "text_input")
               for w in getattr(at, kind) if w.key}
    model, train = at.session_state["returned"]
    for field, suffix in TRAIN_WIDGETS.items():
        assert widgets[f"r_{suffix}"] == getattr(recipe.train, field), f"{name}.train.{field}: the widget shows another value"
        assert getattr(train, field) == getattr(recipe.train, field), f"{name}.train.{field}: the run would use another value"
    for field, suffix in MODEL_WIDGETS.items():
        value = getattr(recipe, field)
        shown = ", ".join(map(str, value)) if field == "hidden" else value
        assert widgets[f"r_{suffix}"] == shown, f"{name}.{field}: the widget shows another value"
        assert model[field] == value, f"{name}.{field}: the run would use another value"
    assert widgets["r_model"] == recipe.model and model["model"] == recipe.model
    assert set(TRAIN_WIDGETS) | {"seed", "device", "momentum", "step_size", "gamma", "track_layer_grads"} == {
        f.name for f in fields(recipe.train)}, "a new training setting needs a widget check here"


def draw_bad_default(kind: str) -> None:
    from app import widgets

    if kind == "select_slider":
        widgets.select_slider("bad", "lr", (1e-3, 3e-3), 2e-3)
    elif kind == "select":
        widgets.select("bad", "optimizer", ["adam", "sgd"], value="lion")
    elif kind == "slider":
        widgets.slider("bad", "epochs", 1, 200, 500)
    else:
        widgets.int_list("bad", "widths", (0, 4096))


@pytest.mark.parametrize("kind", ["select_slider", "select", "slider", "int_list"])
def test_a_default_the_widget_cannot_hold_fails_loudly(kind):
    """So that the page tests catch the next one, rather than a learner's silently changed run."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(draw_bad_default, args=(kind,), default_timeout=30)
    at.run()
    assert at.exception and "bad" in at.exception[0].value
