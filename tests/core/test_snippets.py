"""Every 'code you would write' panel runs (fresh namespace, CPU, seeded) and prints what its page says it does."""
import math
import re

import pytest
import torch

from app.navigation import discover
from core.snippets import run_snippet, snippet_source, snippet_stems

SECTIONS = [e.stem for e in discover() if 1 <= e.part <= 5]


def numbers(line: str) -> list[float]:
    return [float(v) for v in re.findall(r"[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?", line)]


def line_with(out: str, start: str) -> str:
    return next(line for line in out.splitlines() if line.strip().startswith(start))


def check_11(ns, out):
    assert "dot 24.0, |a| 5.0, cosine 0.96" in out
    assert ns["y"].shape == (5, 2) and ns["eigenvalues"].tolist() == pytest.approx([1.0, 3.0])


def check_12(ns, out):
    assert "gradient [4.0, 27.0]" in out                                   # the guide's example
    rule, auto = numbers(line_with(out, "product rule"))
    assert rule == pytest.approx(auto, abs=1e-6) and rule == pytest.approx(math.cos(1) + 2 * math.sin(1), abs=1e-6)
    rule, auto = numbers(line_with(out, "chain rule"))
    assert rule == pytest.approx(auto, abs=1e-6)
    assert numbers(line_with(out, "finite difference"))[0] == pytest.approx(math.cos(1) + 2 * math.sin(1), abs=1e-6)


def check_13(ns, out):
    spread, sigma_over_root_n = numbers(line_with(out, "spread of the mean"))
    assert sigma_over_root_n == pytest.approx(0.3) and spread == pytest.approx(0.3, rel=0.1)   # Var(x̄) = σ²/n
    ce, manual = numbers(line_with(out, "cross-entropy"))
    assert ce == manual
    kl_pq, kl_qp = numbers(line_with(out, "KL(p||q)").replace("KL(p||q)", "").replace("KL(q||p)", ""))
    assert kl_pq > 0 and kl_qp > 0 and kl_pq != kl_qp


def check_14(ns, out):
    final = ns["final"]
    assert final["sgd"] < 1e-6 and final["adam"] < 1e-2 and final["momentum"] < 1e-2
    assert final["too_large"] > 1e6                                          # lr 0.21 > 2/κ
    assert ns["lrs"][0] == pytest.approx(0.1) and ns["lrs"][5] == pytest.approx(0.05)


def check_21(ns, out):
    assert "table (1797, 64) images (1797, 1, 8, 8)" in out and "embedded (6, 3)" in out
    assert ns["ids"].tolist() == [4, 0, 3, 2, 4, 1]


def check_22(ns, out):
    assert "Sigmoid + BCELoss: 100.0" in out                                  # σ(40) = 1.0: log(0) clamped
    assert numbers(line_with(out, "BCEWithLogitsLoss"))[0] == pytest.approx(40.0, abs=1e-4)
    assert torch.allclose(ns["probs"].sum(1), torch.ones(8))


def check_23(ns, out):
    assert "convolution equivariant: True | pooled features invariant: True" in out
    assert "dense layer invariant: False" in out


def check_31(ns, out):
    assert ns["n_params"] == 2 * 32 + 32 + 32 * 32 + 32 + 32 * 2 + 2 and ns["accuracy"] > 0.95


def check_32(ns, out):
    assert line_with(out, "Linear").endswith("(4, 10)") and "(4, 16, 7, 7)" in out
    assert "12 formula, 12 torch" in out


def check_33(ns, out):
    assert ns["loss"].item() < 0.01 * ns["y"].var().item()                   # far below predicting the mean
    assert "LSTM output (200, 20, 16)" in out


def check_34(ns, out):
    assert numbers(line_with(out, "max |difference|"))[0] < 1e-5
    assert "token 0 attends to [1.0, 0.0, 0.0, 0.0, 0.0]" in out              # the causal mask
    assert "encoder output (2, 5, 8)" in out


def check_41(ns, out):
    for name in ("BatchNorm2d", "LayerNorm", "GroupNorm"):
        mean, std = numbers(line_with(out, name + ":").split(":", 1)[1])
        assert abs(mean) < 1e-3 and std == pytest.approx(1.0, abs=1e-3)
    assert "survivors = 2.0" in out and "dropout (eval) is the identity: True" in out
    assert numbers(line_with(out, "BatchNorm running mean"))[-1] == pytest.approx(0.3, abs=0.05)   # 0.1 · 3


def check_42(ns, out):
    assert ns["g_res"] > 1e6 * ns["g_plain"]
    assert "bottleneck 4,448 parameters vs one 3×3 conv 36,928" in out


def check_43(ns, out):
    assert "patch embedding by hand matches: True" in out
    assert "tokens (2, 16, 64) sequence (2, 17, 64) logits (2, 10)" in out


def check_51(ns, out):
    assert "train 350, val 92, batches per epoch 5, batch (64, 10) (64,)" in out   # 350 // 64 with drop_last
    assert ns["train"].X.mean(0).abs().max() < 1e-5


def check_52(ns, out):
    assert numbers(line_with(out, "val accuracy"))[0] > 85
    assert "lr now 7.50e-04" in out                                            # 3e-3 halved twice
    assert "restored model agrees: True" in out


def check_53(ns, out):
    (p5, r5), (p2, r2) = (numbers(line_with(out, f"threshold {t}").split(":")[1].replace("F1", ""))[:2]
                          for t in ("0.5", "0.2"))
    assert r2 >= r5 and p2 < p5                                               # a lower threshold: recall up
    assert "R² of predicting the mean: 0.000" in out


def check_54(ns, out):
    assert numbers(line_with(out, "loss on the one batch"))[-1] < 0.01
    assert ns["before"].item() > 1.0 and ns["after"].item() == pytest.approx(1.0, abs=1e-4)


CHECKS = {name[6:]: fn for name, fn in globals().items() if name.startswith("check_")}


def test_every_section_has_a_snippet_and_a_check():
    assert snippet_stems() == SECTIONS
    assert sorted(CHECKS) == sorted(stem[:2] for stem in SECTIONS)


@pytest.mark.parametrize("stem", SECTIONS)
def test_snippet_runs_and_prints_what_it_claims(stem):
    torch.manual_seed(1234)                                  # a snippet must seed itself, not rely on the test
    namespace, out = run_snippet(stem)
    print(out)
    CHECKS[stem[:2]](namespace, out)
    lines = snippet_source(stem).count("\n")
    assert 10 <= lines <= 36, f"{stem}: {lines} lines"
