"""1.3 Probability: torch.distributions, Bayes' rule, entropy/cross-entropy/KL, softmax and cross-entropy."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributions as D
import torch.nn.functional as F


@dataclass(frozen=True)
class Param:
    name: str
    lo: float
    hi: float
    default: float
    step: float


# name -> (parameters, builder, discrete?)
DISTRIBUTIONS: dict[str, tuple[tuple[Param, ...], object, bool]] = {
    "normal": ((Param("μ", -3.0, 3.0, 0.0, 0.1), Param("σ", 0.2, 3.0, 1.0, 0.1)), lambda p: D.Normal(p[0], p[1]), False),
    "bernoulli": ((Param("p", 0.0, 1.0, 0.3, 0.01),), lambda p: D.Bernoulli(probs=p[0]), True),
    "binomial": ((Param("n", 1, 40, 10, 1), Param("p", 0.0, 1.0, 0.5, 0.01)),
                 lambda p: D.Binomial(total_count=int(p[0]), probs=p[1]), True),
    "poisson": ((Param("λ", 0.1, 20.0, 3.0, 0.1),), lambda p: D.Poisson(p[0]), True),
    "uniform": ((Param("a", -3.0, 2.9, 0.0, 0.1), Param("b", -2.9, 5.0, 1.0, 0.1)), lambda p: D.Uniform(p[0], p[1]), False),
    "exponential": ((Param("λ", 0.1, 5.0, 1.0, 0.1),), lambda p: D.Exponential(p[0]), False),
    "beta": ((Param("α", 0.2, 10.0, 2.0, 0.1), Param("β", 0.2, 10.0, 5.0, 0.1)), lambda p: D.Beta(p[0], p[1]), False),
}


def build(name: str, params: tuple[float, ...]) -> D.Distribution:
    """The torch distribution; a ValueError in plain words for impossible parameters."""
    specs, builder, _ = DISTRIBUTIONS[name]
    if len(params) != len(specs):
        raise ValueError(f"{name} needs {len(specs)} parameters")
    if name == "uniform" and params[0] >= params[1]:
        raise ValueError("a must be smaller than b")
    t = tuple(torch.tensor(float(v), dtype=torch.float64) for v in params)
    return builder(t)


def samples_vs_density(name: str, params: tuple[float, ...], n: int, seed: int = 0, bins: int = 40) -> tuple[list[dict], list[dict]]:
    """Histogram of n samples (as densities / frequencies) and the exact pdf or pmf, as rows."""
    dist = build(name, params)
    discrete = DISTRIBUTIONS[name][2]
    torch.manual_seed(seed)
    x = dist.sample((n,))
    if discrete:
        hi = int(x.max().item())
        if name == "binomial":
            hi = int(params[0])
        ks = torch.arange(0, max(hi, 1) + 1, dtype=torch.float64)
        counts = torch.bincount(x.long(), minlength=len(ks))[: len(ks)].double()
        hist = [{"x": k, "density": c / n} for k, c in zip(ks.tolist(), counts.tolist())]
        exact = [{"x": k, "density": p} for k, p in zip(ks.tolist(), dist.log_prob(ks).exp().tolist())]
        return hist, exact
    lo, hi = float(x.min()), float(x.max())
    if hi <= lo:
        hi = lo + 1e-6
    counts, edges = np.histogram(x.numpy(), bins=bins, range=(lo, hi))
    width = edges[1] - edges[0]
    hist = [{"x": float((edges[i] + edges[i + 1]) / 2), "density": float(c / (n * width)), "width": float(width)}
            for i, c in enumerate(counts)]
    grid = torch.linspace(lo, hi, 200, dtype=torch.float64)
    if name == "beta":
        grid = grid.clamp(1e-4, 1 - 1e-4)
    if name == "uniform":
        grid = grid.clamp(float(params[0]), float(params[1]) - 1e-9)
    exact = [{"x": a, "density": b} for a, b in zip(grid.tolist(), dist.log_prob(grid).exp().tolist())]
    return hist, exact


def running_moments(name: str, params: tuple[float, ...], n_max: int = 20000, seed: int = 0) -> tuple[list[dict], float, float]:
    """Sample mean and unbiased variance after n draws, n log-spaced up to n_max, and the exact values."""
    dist = build(name, params)
    torch.manual_seed(seed)
    x = dist.sample((n_max,))
    csum, csq = torch.cumsum(x, 0), torch.cumsum(x * x, 0)
    ns = sorted({int(v) for v in np.unique(np.logspace(1, math.log10(n_max), 40).astype(int))})
    rows = []
    for n in ns:
        mean = float(csum[n - 1] / n)
        var = float((csq[n - 1] - n * mean ** 2) / (n - 1))
        rows += [{"n": n, "value": mean, "moment": "mean"}, {"n": n, "value": var, "moment": "variance"}]
    return rows, float(dist.mean), float(dist.variance)


# ---------------------------------------------------------------- Bayes
@dataclass(frozen=True)
class BayesResult:
    posterior: float
    evidence: float          # P(positive)
    sick: int                # of the population
    true_pos: int
    false_pos: int


def bayes(prior: float, sensitivity: float, false_positive_rate: float, population: int = 10_000) -> BayesResult:
    """P(disease | positive test) by Bayes' rule, plus the same story in whole people."""
    for v in (prior, sensitivity, false_positive_rate):
        if not 0 <= v <= 1:
            raise ValueError("probabilities must lie between 0 and 1")
    evidence = sensitivity * prior + false_positive_rate * (1 - prior)
    if evidence == 0:
        raise ValueError("no one can test positive with these numbers, so the posterior is undefined")
    sick = round(population * prior)
    return BayesResult(sensitivity * prior / evidence, evidence, sick, round(sick * sensitivity),
                       round((population - sick) * false_positive_rate))


# ---------------------------------------------------------------- information
def normalize(weights) -> torch.Tensor:
    """Non-negative weights → probabilities that sum to 1."""
    w = torch.as_tensor(weights, dtype=torch.float64)
    if (w < 0).any() or w.sum() <= 0:
        raise ValueError("weights must be non-negative and not all zero")
    return w / w.sum()


def info_by_hand(p: torch.Tensor, q: torch.Tensor) -> dict[str, float]:
    """H(p), H(q), H(p, q), KL(p‖q), KL(q‖p) in nats from the sums; 0·log 0 counts as 0."""
    def xlogy(a, b):
        return torch.where(a > 0, a * torch.log(torch.where(a > 0, b, torch.ones_like(b))), torch.zeros_like(a))

    H_p, H_q = -xlogy(p, p).sum(), -xlogy(q, q).sum()
    H_pq, H_qp = -xlogy(p, q).sum(), -xlogy(q, p).sum()
    return {"H_p": float(H_p), "H_q": float(H_q), "H_pq": float(H_pq),
            "KL_pq": float(H_pq - H_p), "KL_qp": float(H_qp - H_q)}


def info_by_torch(p: torch.Tensor, q: torch.Tensor) -> dict[str, float]:
    """The same quantities from torch.distributions."""
    P, Q = D.Categorical(probs=p), D.Categorical(probs=q)
    kl_pq, kl_qp = D.kl_divergence(P, Q), D.kl_divergence(Q, P)
    return {"H_p": float(P.entropy()), "H_q": float(Q.entropy()), "H_pq": float(P.entropy() + kl_pq),
            "KL_pq": float(kl_pq), "KL_qp": float(kl_qp)}


# ---------------------------------------------------------------- softmax and cross-entropy
def softmax_with_temperature(logits, temperature: float) -> torch.Tensor:
    if temperature <= 0:
        raise ValueError("the temperature must be positive")
    return torch.softmax(torch.as_tensor(logits, dtype=torch.float64) / temperature, dim=-1)


def cross_entropy_check(logits, target: int, temperature: float = 1.0) -> dict[str, float]:
    """−log softmax(z/T)[target] by hand (log-sum-exp) beside F.cross_entropy."""
    z = torch.as_tensor(logits, dtype=torch.float64) / temperature
    if not 0 <= target < z.numel():
        raise ValueError("the target class does not exist")
    manual = float(-(z[target] - (z.max() + torch.log(torch.exp(z - z.max()).sum()))))
    ref = float(F.cross_entropy(z.unsqueeze(0), torch.tensor([target])))
    return {"manual": manual, "torch": ref, "naive": float(-torch.log(torch.softmax(z, 0)[target]))}


def histogram_lines(hist: list[dict], discrete: bool, group: str) -> list[dict]:
    """Plane-chart line rows for a histogram: stems at each value (discrete) or a step outline (continuous)."""
    rows = []
    if discrete:
        for i, r in enumerate(hist):
            rows += [{"x": r["x"], "y": 0.0, "group": group, "seg": f"s{i}", "order": 0},
                     {"x": r["x"], "y": r["density"], "group": group, "seg": f"s{i}", "order": 1}]
        return rows
    k = 0
    for r in hist:
        lo, hi = r["x"] - r["width"] / 2, r["x"] + r["width"] / 2
        for x, y in ((lo, 0.0), (lo, r["density"]), (hi, r["density"]), (hi, 0.0)):
            rows.append({"x": x, "y": y, "group": group, "seg": "hist", "order": k})
            k += 1
    return rows


# --- naive Bayes ------------------------------------------------------------------------------

@dataclass(frozen=True)
class GaussianNB:
    priors: torch.Tensor     # (K,) P(y = k)
    means: torch.Tensor      # (K, D) per-class feature means
    variances: torch.Tensor  # (K, D) per-class feature variances (+ a tiny smoothing term)


def fit_gaussian_nb(X: torch.Tensor, y: torch.Tensor, var_smoothing: float = 1e-9) -> GaussianNB:
    """Per class: its share of the rows, and each feature's mean and (population) variance, as sklearn computes them."""
    X = X.double()
    classes = torch.unique(y)
    eps = var_smoothing * X.var(dim=0, unbiased=False).max()
    rows = [X[y == k] for k in classes]
    return GaussianNB(torch.tensor([len(r) / len(X) for r in rows], dtype=torch.float64),
                      torch.stack([r.mean(0) for r in rows]),
                      torch.stack([r.var(0, unbiased=False) for r in rows]) + eps)


def gaussian_nb_proba(model: GaussianNB, X: torch.Tensor) -> torch.Tensor:
    """P(y = k | x) ∝ P(y = k) · Π_j N(x_j; μ_kj, σ²_kj): features are taken as independent given the class."""
    X = X.double()[:, None, :]                                               # (N, 1, D)
    log_lik = -0.5 * (torch.log(2 * math.pi * model.variances) + (X - model.means) ** 2 / model.variances).sum(-1)
    return torch.softmax(log_lik + model.priors.log(), dim=1)               # (N, K), Bayes' rule normalised


def naive_bayes_vs_sklearn(seed: int = 0) -> dict[str, float]:
    """Our Gaussian naive Bayes and sklearn's GaussianNB trained on the same iris split."""
    from sklearn.datasets import load_iris
    from sklearn.model_selection import train_test_split
    from sklearn.naive_bayes import GaussianNB as SkGaussianNB

    X, y = load_iris(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, random_state=seed, stratify=y)
    ours = gaussian_nb_proba(fit_gaussian_nb(torch.tensor(X_tr), torch.tensor(y_tr)), torch.tensor(X_te)).numpy()
    ref = SkGaussianNB().fit(X_tr, y_tr).predict_proba(X_te)
    return {"max_proba_diff": float(np.abs(ours - ref).max()),
            "accuracy_ours": float((ours.argmax(1) == y_te).mean()), "accuracy_sklearn": float((ref.argmax(1) == y_te).mean())}
