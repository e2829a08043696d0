"""1.4 core: torch.optim on 2-D surfaces, divergence, Adam vs SGD on an ill-conditioned bowl, schedules."""
import math
import warnings

import numpy as np
import pytest
import torch

from core.optim_demos import (
    OPTIMIZERS,
    SCHEDULES,
    SURFACES,
    TWO_VALLEYS_CRITICAL,
    Run,
    adam_by_hand,
    adam_steps_axis_vs_rotated,
    classify_critical_point,
    contour_field,
    cosine_by_hand,
    lr_schedule,
    momentum_by_hand,
    momentum_ema_by_hand,
    race,
    run_optimizer,
    sgd_stable_lr,
    steps_to_reach,
    torch_race,
)

LR_PLAIN = (1e-4, 1e-3, 0.01, 0.05, 0.1, 0.3, 1.0)      # the page's select sliders, thinned
LR_ADAPTIVE = (1e-3, 0.01, 0.05, 0.1, 0.3, 0.5, 1.0)


def test_adam_reaches_the_ill_conditioned_minimum_in_fewer_steps_than_stable_sgd():
    kappa = 50.0
    lr_sgd = 0.5 * sgd_stable_lr(kappa)          # 0.02: comfortably stable
    sgd = run_optimizer("bowl", "sgd", lr_sgd, 600, kappa)
    adam = run_optimizer("bowl", "adam", 0.1, 600, kappa)
    assert sgd.diverged_at is None and adam.diverged_at is None
    n_sgd, n_adam = steps_to_reach(sgd, "bowl"), steps_to_reach(adam, "bowl")
    assert n_sgd is not None and n_adam is not None
    assert n_adam < n_sgd


def test_sgd_diverges_above_two_over_kappa_and_converges_below():
    kappa = 10.0
    bad = run_optimizer("bowl", "sgd", 1.2 * sgd_stable_lr(kappa), 300, kappa)
    assert bad.diverged_at is not None and math.isinf(bad.losses[-1])
    good = run_optimizer("bowl", "sgd", 0.9 * sgd_stable_lr(kappa), 300, kappa)
    assert good.diverged_at is None and good.losses[-1] < 1e-6


def test_race_equals_separate_runs():
    runs = race("rosenbrock", tuple(OPTIMIZERS), 0.001, 0.05, 60)
    for r in runs:
        alone = run_optimizer("rosenbrock", r.optimizer, r.lr, 60)
        assert np.allclose(r.path, alone.path, atol=1e-12)
        assert len(r.losses) == 61 and r.path.shape == (61, 2)


def test_optimizers_find_minima():
    for surface in ("rosenbrock", "saddle"):
        adam = run_optimizer(surface, "adam", 0.05, 2000)
        assert np.linalg.norm(adam.path[-1] - np.array(SURFACES[surface].minimum)) < 0.05
    him = run_optimizer("himmelblau", "adam", 0.1, 500)
    assert him.losses[-1] < 1e-4


def test_by_hand_updates_match_torch_optim():
    for surface in ("bowl", "rosenbrock"):
        assert np.abs(adam_by_hand(surface, 0.05, 80) - run_optimizer(surface, "adam", 0.05, 80).path).max() < 1e-10
        assert np.abs(momentum_by_hand(surface, 0.001, 80) - run_optimizer(surface, "momentum", 0.001, 80).path).max() < 1e-10


def test_schedules_shapes():
    for name in SCHEDULES:
        lrs = lr_schedule(name, 100, 0.1, warmup=10)
        assert len(lrs) == 100 and max(lrs) <= 0.1 + 1e-12 and min(lrs) >= 0
    warm = lr_schedule("warmup_cosine", 100, 0.1, warmup=10)
    assert warm[0] < warm[5] < warm[10] and warm[10] == pytest.approx(0.1) and warm[-1] < 0.01
    assert lr_schedule("step", 90, 0.1, step_size=30)[60] == pytest.approx(0.1 * 0.3 ** 2)
    one = lr_schedule("one_cycle", 100, 0.1)
    assert int(np.argmax(one)) in range(20, 40) and one[-1] < 1e-3
    assert np.abs(np.array(lr_schedule("cosine", 100, 0.1)) - np.array(cosine_by_hand(100, 0.1))).max() < 1e-12
    with pytest.raises(ValueError):
        lr_schedule("cosine", 1)


def test_bad_lr_and_contours():
    with pytest.raises(ValueError):
        run_optimizer("bowl", "adam", 0.0)
    field = contour_field("rosenbrock", n=10)
    assert len(field) == 100 and min(r["z"] for r in field) == pytest.approx(0.0)


def test_adam_step_count_grows_with_kappa_only_on_the_rotated_bowl():
    """Adam's per-coordinate scaling cancels κ on ½(x² + κy²) but not on the same bowl turned by 45°."""
    flat = adam_steps_axis_vs_rotated(1.0, lr=0.3, steps=250)
    steep = adam_steps_axis_vs_rotated(50.0, lr=0.3, steps=500)
    print("kappa=1:", flat, "kappa=50:", steep)
    assert flat["bowl"] == flat["rotated_bowl"]                     # κ = 1 is a round bowl: rotation changes nothing
    assert steep["bowl"] == flat["bowl"]                            # axis-aligned: κ does not matter to Adam
    assert steep["rotated_bowl"] is not None and steep["rotated_bowl"] > 2.5 * steep["bowl"]


def test_rotated_bowl_has_the_same_eigenvalues_as_the_bowl():
    for name in ("bowl", "rotated_bowl"):
        c = classify_critical_point(name, (0.0, 0.0), kappa=50.0)
        assert c["kind"] == "minimum" and np.allclose(c["eigenvalues"], [1.0, 50.0])


def test_two_valleys_has_a_local_minimum_a_saddle_and_a_global_minimum():
    kinds = [classify_critical_point("two_valleys", p) for p in TWO_VALLEYS_CRITICAL]
    assert [k["kind"] for k in kinds] == ["minimum", "saddle", "minimum"]
    assert all(k["grad_norm"] < 1e-5 for k in kinds)
    assert kinds[2]["value"] > kinds[0]["value"]                      # the right-hand minimum is only local
    sgd = run_optimizer("two_valleys", "sgd", 0.03, 300)
    momentum = run_optimizer("two_valleys", "momentum", 0.03, 300)
    assert np.allclose(sgd.path[-1], TWO_VALLEYS_CRITICAL[2], atol=1e-3)
    assert np.allclose(momentum.path[-1], TWO_VALLEYS_CRITICAL[0], atol=1e-3)


def test_guide_momentum_with_lr_over_one_minus_beta_equals_torch_sgd_momentum():
    beta, lr = 0.9, 0.02
    torch_path = run_optimizer("bowl", "momentum", lr, 80, 10.0).path
    guide_path = momentum_ema_by_hand("bowl", lr / (1 - beta), 80, 10.0, beta)
    assert np.abs(guide_path - torch_path).max() < 1e-10
    same_lr = momentum_ema_by_hand("bowl", lr, 80, 10.0, beta)       # without the rescaling the steps differ
    assert np.abs(same_lr - torch_path).max() > 1e-2


def test_written_out_gradients_equal_autograd_bit_for_bit():
    rng = np.random.default_rng(0)
    for name, s in SURFACES.items():
        P = torch.from_numpy(rng.normal(size=(2000, 2)) * 3).requires_grad_(True)
        kappa = float(rng.uniform(1, 100))
        (auto,) = torch.autograd.grad(s.f(P[:, 0], P[:, 1], kappa).sum(), P)
        xy = P.detach().numpy()
        written = np.stack(s.grad(xy[:, 0], xy[:, 1], kappa), axis=1)
        assert np.array_equal(written, auto.numpy()), name
        assert np.array_equal(s.f(xy[:, 0], xy[:, 1], kappa), s.f(P[:, 0], P[:, 1], kappa).detach().numpy()), name


def assert_same_runs(fast, ref):
    """Bit for bit: the same points, losses (∞ where it blew up) and divergence step."""
    for a, b in zip(fast, ref, strict=True):
        assert (a.optimizer, a.lr, a.diverged_at) == (b.optimizer, b.lr, b.diverged_at)
        assert np.array_equal(a.path, b.path, equal_nan=True), a.optimizer
        assert np.array_equal(a.losses, b.losses, equal_nan=True), a.optimizer


@pytest.mark.parametrize("seed", range(6))
def test_race_equals_torch_optim_bit_for_bit_on_random_settings(seed):
    """`race` steps six optimizers as rows of one tensor with torch.optim's update ops; the real optimizers agree."""
    rng = np.random.default_rng(seed)
    surface = str(rng.choice(list(SURFACES)))
    lr_plain, lr_adaptive = float(rng.choice(LR_PLAIN)), float(rng.choice(LR_ADAPTIVE))
    steps, kappa = int(rng.integers(1, 16)) * 10, float(rng.integers(1, 101))
    chosen = tuple(rng.permutation(list(OPTIMIZERS))[:int(rng.integers(1, 7))])     # any subset, any order
    print(surface, lr_plain, lr_adaptive, steps, kappa, chosen)
    assert_same_runs(race(surface, chosen, lr_plain, lr_adaptive, steps, kappa),
                     torch_race(surface, chosen, lr_plain, lr_adaptive, steps, kappa))


def test_race_equals_torch_optim_where_rounding_is_amplified():
    """RMSprop at lr 1 on the rotated bowl bounces chaotically: a last-bit difference per step (NumPy's √, or a
    multiply-add not fused as torch fuses it) grows to a different path within 300 steps. SGD at lr 1 diverges."""
    assert_same_runs(race("rotated_bowl", tuple(OPTIMIZERS), 1.0, 1.0, 300, 37.0),
                     torch_race("rotated_bowl", tuple(OPTIMIZERS), 1.0, 1.0, 300, 37.0))


def test_adam_steps_axis_vs_rotated_equals_torch_optim_adam():
    def with_torch_optim(kappa, lr, steps, tol=1e-3):
        names = ("bowl", "rotated_bowl")
        params = [torch.tensor(SURFACES[n].start, dtype=torch.float64, requires_grad=True) for n in names]
        opts = [torch.optim.Adam([p], lr=lr, foreach=False) for p in params]
        paths = [[p.detach().clone()] for p in params]
        for _ in range(steps):
            for n, p, opt, path in zip(names, params, opts, paths):
                opt.zero_grad()
                SURFACES[n].f(p[0], p[1], kappa).backward()
                opt.step()
                path.append(p.detach().clone())
        return {n: steps_to_reach(Run("adam", lr, torch.stack(path).numpy(), np.zeros(0), None), n, tol)
                for n, path in zip(names, paths)}

    rng = np.random.default_rng(1)
    for kappa, lr in [(50.0, 0.1)] + [(float(rng.integers(1, 101)), float(rng.choice(LR_ADAPTIVE))) for _ in range(3)]:
        assert adam_steps_axis_vs_rotated(kappa, lr, steps=400) == with_torch_optim(kappa, lr, 400), (kappa, lr)


def test_schedules_need_no_optimizer_step_per_step():
    """lr_schedule steps its dummy optimizer once, before the first scheduler step: no order warning, and the
    same lrs as a loop that calls optimizer.step() before every scheduler.step()."""
    sched = torch.optim.lr_scheduler
    for total, warmup in ((50, 5), (137, 20)):
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
        s = sched.SequentialLR(opt, [sched.LinearLR(opt, start_factor=0.01, end_factor=1.0, total_iters=warmup),
                                     sched.CosineAnnealingLR(opt, T_max=total - warmup)], milestones=[warmup])
        every_step = []
        for _ in range(total):
            every_step.append(opt.param_groups[0]["lr"])
            opt.step()
            s.step()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert lr_schedule("warmup_cosine", total, 0.1, warmup) == every_step
            for name in SCHEDULES:
                lr_schedule(name, total, 0.1, warmup=warmup, step_size=total // 3)
