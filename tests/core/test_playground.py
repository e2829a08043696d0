"""core.playground: feature crosses vs sklearn, parameter formula vs numel, boundary, export, default accuracy."""
import itertools
from dataclasses import replace

import numpy as np
import pytest
import torch
from sklearn.preprocessing import PolynomialFeatures

from core.playground import (
    DEFAULT,
    DEFAULT_TRAIN,
    FEATURES,
    PlaygroundConfig,
    PlaygroundNet,
    accuracy_vs_sklearn,
    approx_splits,
    approximator,
    boundary_grid,
    count_parameters,
    cross_features,
    feature_check,
    load_points,
    make_approx_job,
    make_playground_job,
    parameter_formula,
    playground_splits,
)
from core.playground_export import export_script


def test_crosses_match_polynomial_features():
    X = torch.randn(50, 2, dtype=torch.float64)
    ours = cross_features(X, ("x1", "x2", "x1_sq", "x1x2", "x2_sq")).numpy()
    ref = PolynomialFeatures(2, include_bias=False).fit_transform(X.numpy())
    np.testing.assert_allclose(ours, ref, atol=1e-12)
    np.testing.assert_allclose(cross_features(X, ("sin_x2",)).numpy()[:, 0], np.sin(X.numpy()[:, 1]), atol=1e-12)
    assert max(feature_check(X.float()).values()) < 1e-6


@pytest.mark.parametrize("hidden,bn,res,classes,features", [
    ((8,), False, False, 2, ("x1", "x2")),
    ((8, 8), True, True, 2, FEATURES),
    ((3, 7, 7, 2), True, False, 4, ("x1_sq", "x2_sq")),
    ((16,) * 10, False, True, 6, ("x1", "x2", "x1x2")),
    ((), False, False, 3, ("x1", "x2")),
])
def test_parameter_formula_equals_numel(hidden, bn, res, classes, features):
    cfg = PlaygroundConfig(hidden=hidden, batch_norm=bn, residual=res, features=features)
    n_out = 1 if classes == 2 else classes
    net = PlaygroundNet(cfg, n_out)
    assert parameter_formula(cfg, n_out)[0] == count_parameters(net) == sum(p.numel() for p in net.parameters())


def test_residual_adds_the_input_only_where_widths_match():
    torch.manual_seed(0)
    net = PlaygroundNet(PlaygroundConfig(hidden=(4, 4, 3), residual=True, features=("x1", "x2")), 1)
    skips = [b.skip for b in net.blocks]
    assert skips == [False, True, False]
    h = torch.randn(5, 4)
    block = net.blocks[1]
    torch.testing.assert_close(block(h), h + block.body(h))


def test_standardised_inputs_and_splits():
    ds = load_points(replace(DEFAULT, dataset="gaussians", n_classes=4), seed=0)
    data = playground_splits(ds, 0.25, seed=0)
    assert data.num_classes == 4 and len(data.y_test) == 125 and torch.equal(data.X_test, data.X_val)
    job = make_playground_job(replace(DEFAULT, dataset="gaussians", n_classes=4, features=FEATURES), DEFAULT_TRAIN, ds)
    z = job.build_model().inputs(job.data.X_train)
    torch.testing.assert_close(z.mean(0), torch.zeros(len(FEATURES)), atol=1e-4, rtol=0)
    with pytest.raises(ValueError, match="at least one input feature"):
        make_playground_job(replace(DEFAULT, features=()), DEFAULT_TRAIN)


def test_boundary_grid_leaves_the_training_model_untouched():
    net = PlaygroundNet(replace(DEFAULT, dropout=0.5, batch_norm=True), 3)
    net.train()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    grid = boundary_grid(net, (-2, 2, -2, 2), resolution=20)
    assert net.training, "the model keeps its train mode"
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items()), "BN statistics untouched"
    assert grid["cls"].shape == (400,) and set(np.unique(grid["cls"])) <= {0, 1, 2}
    assert ((grid["conf"] >= 1 / 3 - 1e-6) & (grid["conf"] <= 1)).all()


def test_export_script_runs_and_reports_accuracy(capsys):
    cfg = replace(DEFAULT, dataset="moons", n_samples=120, features=("x1", "x2", "x1x2"), hidden=(8, 8), residual=True,
                  batch_norm=True, dropout=0.1)
    script = export_script(cfg, replace(DEFAULT_TRAIN, num_epochs=2), 2)
    exec(compile(script, "playground_mlp.py", "exec"), {})
    assert "test accuracy" in capsys.readouterr().out
    for ds in ("circles", "xor", "gaussians", "spiral"):
        compile(export_script(replace(cfg, dataset=ds, n_classes=3), DEFAULT_TRAIN, 3), "x.py", "exec")


def test_universal_approximation_network():
    net = approximator(10, "tanh")
    assert count_parameters(net) == 3 * 10 + 1
    data = approx_splits("abs", 64)
    assert len(data.y_train) == 32 and data.task == "regression"
    job = make_approx_job("cube", 16, "tanh", replace(DEFAULT_TRAIN, num_epochs=3, batch_size=16)).run()
    assert job.status == "finished" and job.records[-1].val_score is not None


@pytest.mark.parametrize("dataset,threshold", [("spiral", 0.95), ("xor", 0.90)])
def test_defaults_solve_spiral_and_xor(dataset, threshold):
    """Default network and training settings (deterministic, seed 0)."""
    job = make_playground_job(replace(DEFAULT, dataset=dataset), DEFAULT_TRAIN).run()
    assert job.status == "finished"
    ours, ref = accuracy_vs_sklearn(job)
    assert ours == pytest.approx(ref, abs=1e-9)
    assert ref >= threshold, f"{dataset}: test accuracy {ref:.3f}"


def test_multiclass_configs_build():
    for ds, k in itertools.product(("gaussians", "spiral"), (3, 6)):
        cfg = replace(DEFAULT, dataset=ds, n_classes=k, n_samples=120)
        job = make_playground_job(cfg, replace(DEFAULT_TRAIN, num_epochs=1))
        assert job.build_model()(job.data.X_train).shape[1] == k


def test_universal_approximation_needs_a_non_polynomial_activation():
    """With x² as activation every width gives a quadratic: no better than the best degree-2 fit."""
    from core.playground import random_feature_r2, target_points

    x, y = target_points("sin")
    coef = np.polyfit(x.squeeze(1).double().numpy(), y.double().numpy(), 2)
    residual = np.polyval(coef, x.squeeze(1).double().numpy()) - y.double().numpy()
    best_quadratic = 1 - (residual**2).sum() / ((y.double().numpy() - y.double().numpy().mean()) ** 2).sum()
    for units in (8, 128):
        assert random_feature_r2("sin", units, "square") <= best_quadratic + 1e-9
    assert random_feature_r2("sin", 128, "tanh") > 0.999 and random_feature_r2("sin", 128, "relu") > 0.99
    assert random_feature_r2("sin", 4, "tanh") < random_feature_r2("sin", 128, "tanh")   # width helps
