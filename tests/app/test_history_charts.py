"""The live training charts: one loss, one score and one learning-rate chart, titled and labelled."""
from app.charts import history_charts, history_rows

LABELS = {"loss_title": "Loss", "lr_title": "Learning rate", "epoch": "Epoch", "loss": "loss", "lr": "lr",
          "split": "Split"}


def records(n=3):
    return [{"epoch": e, "train_loss": 1.0 / e, "val_loss": float("nan") if e == 2 else 1.2 / e,
             "train_score": 0.5 + e / 10, "val_score": 0.4 + e / 10, "lr": 1e-3 * 0.5 ** e} for e in range(1, n + 1)]


def test_rows_drop_nan_and_keep_the_learning_rate():
    rows = history_rows(records())
    assert {"epoch": 2, "split": "val", "metric": "loss", "value": 0.6} not in rows
    assert len([r for r in rows if r["metric"] == "loss"]) == 5  # 3 train + 2 finite val
    assert [r["value"] for r in rows if r["metric"] == "lr"] == [5e-4, 2.5e-4, 1.25e-4]


def test_three_charts_with_titles_axis_labels_and_tooltips():
    loss, score, lr = history_charts(records(), LABELS, "Accuracy")
    assert (loss["title"], score["title"], lr["title"]) == ("Loss", "Accuracy", "Learning rate")
    for chart in (loss, score, lr):
        enc = chart["encoding"]
        assert enc["x"]["title"] == "Epoch" and enc["y"]["title"] and enc["tooltip"]
    assert "'~e'" in lr["encoding"]["y"]["axis"]["labelExpr"], "tiny learning rates read as 5e-4, not 0.0005"
    assert lr["height"] >= 200, "room for the plot under its two titles"
    assert lr["encoding"]["y"]["scale"]["zero"], "a constant learning rate still gets an axis with ticks"
    assert "color" in loss["encoding"] and "color" not in lr["encoding"]
    assert len(history_charts(records(), LABELS, None)) == 2, "regression without a score: no score chart"
