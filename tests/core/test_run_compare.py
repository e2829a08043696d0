"""core.run_compare: which settings differ between runs, and the flat rows of a CSV export."""
from core.run_compare import export_rows, settings_diff, varying_settings
from core.runstore import Run


def run(run_id: int, **hparams) -> Run:
    return Run(id=run_id, created_at=0.0, page="52_training", panel="training", dataset="digits", model="mlp",
               status="finished", device="cpu", num_epochs=3, epochs_done=3, duration=1.5, hparams=hparams,
               metrics={"best_val_loss": 0.1 * run_id}, error=None, session="", query={}, process="")


def test_only_the_settings_that_differ_are_kept():
    a = run(1, train={"lr": 0.01, "seed": 0}, hidden=[64])
    b = run(2, train={"lr": 0.001, "seed": 0}, hidden=[64])
    keys, rows = settings_diff([a, b])
    assert keys == ["train.lr"] and rows == [[0.01, 0.001]]
    assert varying_settings([a, b]) == ["train.lr"]
    everything, _ = settings_diff([a, b], only_diff=False)
    assert {"page", "dataset", "model", "train.lr", "train.seed", "hidden"} <= set(everything)


def test_a_setting_one_run_lacks_counts_as_a_difference_and_float_noise_does_not():
    a = run(1, train={"lr": 0.1 + 0.2}, dropout=0.2)
    b = run(2, train={"lr": 0.3})
    keys, rows = settings_diff([a, b])
    assert keys == ["dropout"] and rows == [[0.2, None]]


def test_export_rows_are_flat():
    (row,) = export_rows([run(3, train={"lr": 0.01})])
    assert row["id"] == 3 and row["setting.train.lr"] == 0.01 and abs(row["metric.best_val_loss"] - 0.3) < 1e-12
    assert row["status"] == "finished" and row["epochs_done"] == 3
