"""1.3 core: distributions, Bayes, entropy/KL against torch.distributions and scipy, cross-entropy."""
import math

import numpy as np
import pytest
import scipy.stats
import torch
import torch.nn.functional as F

from core.probability_demos import (
    DISTRIBUTIONS,
    bayes,
    build,
    cross_entropy_check,
    histogram_lines,
    info_by_hand,
    info_by_torch,
    normalize,
    running_moments,
    samples_vs_density,
    softmax_with_temperature,
)


@pytest.mark.parametrize("name", list(DISTRIBUTIONS))
def test_sample_moments_approach_the_exact_ones(name):
    params = tuple(p.default for p in DISTRIBUTIONS[name][0])
    rows, mean, var = running_moments(name, params, 20000, seed=0)
    last_mean = [r["value"] for r in rows if r["moment"] == "mean"][-1]
    last_var = [r["value"] for r in rows if r["moment"] == "variance"][-1]
    sd = math.sqrt(var)
    assert abs(last_mean - mean) < 5 * sd / math.sqrt(20000) + 1e-12
    assert abs(last_var - var) < 0.1 * var + 1e-12


@pytest.mark.parametrize("name", list(DISTRIBUTIONS))
def test_histogram_integrates_to_one_and_density_is_exact(name):
    params = tuple(p.default for p in DISTRIBUTIONS[name][0])
    hist, exact = samples_vs_density(name, params, 5000, seed=1)
    if DISTRIBUTIONS[name][2]:
        assert sum(r["density"] for r in hist) == pytest.approx(1.0)
    else:
        assert sum(r["density"] * r["width"] for r in hist) == pytest.approx(1.0)
    assert histogram_lines(hist, DISTRIBUTIONS[name][2], "s")


def test_pmf_and_pdf_against_scipy():
    _, exact = samples_vs_density("binomial", (10, 0.3), 100)
    assert np.allclose([r["density"] for r in exact], scipy.stats.binom.pmf(np.arange(11), 10, 0.3))
    _, exact = samples_vs_density("normal", (0.5, 2.0), 100)
    xs = np.array([r["x"] for r in exact])
    assert np.allclose([r["density"] for r in exact], scipy.stats.norm.pdf(xs, 0.5, 2.0))


def test_impossible_parameters():
    with pytest.raises(ValueError):
        build("uniform", (2.0, 1.0))


def test_bayes_medical_test():
    r = bayes(0.01, 0.9, 0.05)
    assert r.posterior == pytest.approx(0.009 / (0.009 + 0.0495))
    assert (r.sick, r.true_pos, r.false_pos) == (100, 90, 495)
    with pytest.raises(ValueError):
        bayes(0.0, 0.9, 0.0)


@pytest.mark.parametrize("pw,qw", [([0.6, 0.25, 0.1, 0.05], [0.25, 0.25, 0.25, 0.25]), ([1, 2, 3, 4], [4, 1, 1, 1]),
                                   ([0, 1, 1, 2], [1, 1, 1, 1])])
def test_entropy_cross_entropy_kl_against_torch_and_scipy(pw, qw):
    p, q = normalize(pw), normalize(qw)
    ours, ref = info_by_hand(p, q), info_by_torch(p, q)
    for k in ours:
        if math.isinf(ref[k]):
            assert math.isinf(ours[k])
        else:
            assert ours[k] == pytest.approx(ref[k], abs=1e-12)
    assert ours["H_p"] == pytest.approx(scipy.stats.entropy(p.numpy()))
    assert ours["KL_pq"] == pytest.approx(scipy.stats.entropy(p.numpy(), q.numpy()))
    kl = torch.distributions.kl_divergence(torch.distributions.Categorical(probs=p), torch.distributions.Categorical(probs=q))
    assert ours["KL_pq"] == pytest.approx(float(kl))


def test_kl_is_asymmetric_and_infinite_on_zero_support():
    p, q = normalize([0.6, 0.25, 0.1, 0.05]), normalize([1, 1, 1, 1])
    ours = info_by_hand(p, q)
    assert abs(ours["KL_pq"] - ours["KL_qp"]) > 0.01
    ours = info_by_hand(normalize([1, 1, 1, 1]), normalize([0, 1, 1, 1]))
    assert math.isinf(ours["KL_pq"]) and math.isfinite(ours["KL_qp"])
    with pytest.raises(ValueError):
        normalize([0, 0, 0, 0])


@pytest.mark.parametrize("temp", [0.25, 1.0, 4.0])
@pytest.mark.parametrize("target", [0, 2])
def test_cross_entropy_is_minus_log_softmax(temp, target):
    logits = [2.0, 1.0, 0.1, -1.0]
    r = cross_entropy_check(logits, target, temp)
    z = torch.tensor([logits]) / temp
    assert r["manual"] == pytest.approx(r["torch"], abs=1e-12)
    assert r["torch"] == pytest.approx(float(F.cross_entropy(z.double(), torch.tensor([target]))))
    assert r["manual"] == pytest.approx(-math.log(float(softmax_with_temperature(logits, temp)[target])), abs=1e-12)


def test_temperature_sharpens_and_flattens():
    logits = [2.0, 1.0, 0.0]
    assert softmax_with_temperature(logits, 0.1)[0] > 0.99
    assert np.allclose(softmax_with_temperature(logits, 1000.0).numpy(), 1 / 3, atol=1e-3)
    with pytest.raises(ValueError):
        softmax_with_temperature(logits, 0.0)


def test_gaussian_naive_bayes_matches_sklearn():
    from core.probability_demos import naive_bayes_vs_sklearn

    for seed in (0, 1):
        r = naive_bayes_vs_sklearn(seed)
        assert r["max_proba_diff"] < 1e-9 and r["accuracy_ours"] == r["accuracy_sklearn"] > 0.85


def test_naive_bayes_is_bayes_rule_with_a_product_likelihood():
    """One feature, two classes: the posterior equals Bayes' rule with the two normal densities written out."""
    from core.probability_demos import fit_gaussian_nb, gaussian_nb_proba

    X = torch.tensor([[0.0], [1.0], [2.0], [4.0], [5.0], [6.0]])
    y = torch.tensor([0, 0, 0, 1, 1, 1])
    model = fit_gaussian_nb(X, y, var_smoothing=0.0)
    assert model.variances[:, 0].tolist() == pytest.approx([2 / 3, 2 / 3])            # population variance (ddof 0)
    density = lambda x, mu: math.exp(-((x - mu) ** 2) / (2 * 2 / 3)) / math.sqrt(2 * math.pi * 2 / 3)  # noqa: E731
    posterior = 0.5 * density(3.2, 1.0) / (0.5 * density(3.2, 1.0) + 0.5 * density(3.2, 5.0))
    assert gaussian_nb_proba(model, torch.tensor([[3.2]], dtype=torch.float64))[0, 0].item() == pytest.approx(posterior, rel=1e-9)
