"""The playground's live decision boundary: coloured cells under train and test points, throttled redraws."""
from dataclasses import replace

from app.charts import CLASS_COLORS, BoundaryPainter, boundary_spec
from core.playground import DEFAULT, PlaygroundNet, boundary_grid, load_points, playground_splits

LABELS = {k: k.capitalize() for k in ("title", "x", "y", "cls", "split", "conf", "train", "test")}


def spiral(classes=3):
    return playground_splits(load_points(replace(DEFAULT, dataset="spiral", n_classes=classes), seed=0), 0.3)


def test_the_spec_layers_cells_under_train_and_test_points():
    data = spiral()
    net = PlaygroundNet(DEFAULT, 3)
    spec = boundary_spec(data, boundary_grid(net, (-2, 2, -2, 2), resolution=10), LABELS)
    cells, train, test = spec["layer"]
    assert cells["mark"]["type"] == "rect" and len(cells["data"]["values"]) == 100
    assert len(train["data"]["values"]) == len(data.y_train) and len(test["data"]["values"]) == len(data.y_test)
    assert {p["split"] for p in test["data"]["values"]} == {"Test"}
    assert cells["encoding"]["color"]["scale"]["range"] == list(CLASS_COLORS[:3]), "one colour per class"
    assert spec["title"] == "Title" and train["encoding"]["x"]["title"] == "X" and train["encoding"]["tooltip"]
    assert len(boundary_spec(data, None, LABELS)["layer"]) == 2, "before training: the points alone"


def test_redraws_are_throttled_but_the_last_epoch_is_always_drawn():
    data = spiral()
    net = PlaygroundNet(DEFAULT, 3)
    painter = BoundaryPainter(data, LABELS, min_interval=60)
    first = painter.paint(net, 1)
    assert painter.paint(net, 2) is first and painter.draws == 1, "throttled: no redraw within min_interval"
    painter.paint(net, 3, final=True)
    assert painter.draws == 2, "the final epoch is always drawn"
    assert any(layer["mark"]["type"] == "rect" for layer in painter.spec["layer"])
