"""5.3 Evaluation: macro F1 from a classifier's logits, and ROC AUC from scores, each against scikit-learn."""
from __future__ import annotations

import torch

from core.exercises.base import Case, Check, Mistake, exercise
from core.exercises.checks import randint, randn

SECTION = "53_evaluation"


# ---- 5.3-macro-f1 -----------------------------------------------------------------------------

def macro_f1(logits: torch.Tensor, target: torch.Tensor) -> float:
    """Macro F1 of the predictions logits.argmax(1) against target, over the classes seen in either."""
    pred = logits.argmax(dim=1)
    classes = torch.unique(torch.cat([target, pred]))  # a class in neither has no F1 to average
    scores = []
    for c in classes:
        tp = ((pred == c) & (target == c)).sum().item()
        fp = ((pred == c) & (target != c)).sum().item()
        fn = ((pred != c) & (target == c)).sum().item()
        scores.append(2 * tp / (2 * tp + fp + fn))  # = 2PR / (P + R), and 0 (not 0/0) when tp = 0
    return sum(scores) / len(scores)  # every class counts the same, however rare


def _f1_library(logits, target):
    from sklearn.metrics import f1_score

    return float(f1_score(target.numpy(), logits.argmax(dim=1).numpy(), average="macro", zero_division=0))


def _f1_case(gen: torch.Generator, name: str, n: int, k: int, dtype=torch.float32, never_predicted=(),
             not_in_target=(), accuracy: float = 0.5) -> Case:
    allowed = torch.tensor([c for c in range(k) if c not in not_in_target])
    target = allowed[torch.randint(0, len(allowed), (n,), generator=gen)]
    logits = randn(gen, n, k, dtype=dtype)
    right = torch.rand(n, generator=gen) < accuracy
    logits[right, target[right]] += 3.0  # some predictions right, the rest by chance
    for c in never_predicted:
        logits[:, c] = -100.0
    return Case(name, (logits, target))


def _f1_cases(gen: torch.Generator) -> list[Case]:
    n, k = randint(gen, 20, 40), randint(gen, 3, 6)
    return [
        _f1_case(gen, "typical_classifier", n, k),
        _f1_case(gen, "class_never_predicted", n, k, never_predicted=(k - 1,)),
        _f1_case(gen, "class_not_in_target", n, k, not_in_target=(0,), accuracy=0.3),
        _f1_case(gen, "class_in_neither", n, k + 1, never_predicted=(1,), not_in_target=(1,)),
        _f1_case(gen, "two_classes", n, 2, accuracy=0.6),
        _f1_case(gen, "perfect_predictions", n, k, accuracy=1.0),
        _f1_case(gen, "one_sample", 1, k),
        _f1_case(gen, "float64", n, k, torch.float64),
    ]


def _f1_timing(gen: torch.Generator) -> Case:
    return _f1_case(gen, "timing", 100_000, 10)


def _counts(logits, target, classes):
    pred = logits.argmax(dim=1)
    tp = torch.stack([((pred == c) & (target == c)).sum() for c in classes]).double()
    fp = torch.stack([((pred == c) & (target != c)).sum() for c in classes]).double()
    fn = torch.stack([((pred != c) & (target == c)).sum() for c in classes]).double()
    return tp, fp, fn


def _f1_variant(classes_from: str = "both", guard: str = "zero"):
    def f1(logits, target):
        pred = logits.argmax(dim=1)
        classes = torch.unique(torch.cat([target, pred]) if classes_from == "both" else target)
        tp, fp, fn = _counts(logits, target, classes)
        if guard == "zero":
            return (2 * tp / (2 * tp + fp + fn)).mean().item()
        precision, recall = tp / (tp + fp), tp / (tp + fn)  # 0/0 = nan for a class never predicted
        scores = 2 * precision * recall / (precision + recall)
        return (scores.nanmean() if guard == "skip" else scores.mean()).item()
    return f1


def _f1_all_columns(logits, target):
    tp, fp, fn = _counts(logits, target, range(logits.shape[1]))
    return (2 * tp / (2 * tp + fp + fn)).nan_to_num(0.0).mean().item()  # a class in neither counts as 0


def _f1_of_means(logits, target):
    pred = logits.argmax(dim=1)
    tp, fp, fn = _counts(logits, target, torch.unique(torch.cat([target, pred])))
    precision = (tp / (tp + fp)).nan_to_num(0.0).mean()
    recall = (tp / (tp + fn)).nan_to_num(0.0).mean()
    return (2 * precision * recall / (precision + recall)).nan_to_num(0.0).item()


def _f1_weighted(logits, target):
    pred = logits.argmax(dim=1)
    classes = torch.unique(torch.cat([target, pred]))
    tp, fp, fn = _counts(logits, target, classes)
    support = tp + fn
    return ((2 * tp / (2 * tp + fp + fn)) * support).sum().item() / len(target)


MACRO_F1 = exercise("5.3-macro-f1", SECTION, macro_f1, Check(
    cases=_f1_cases, library=_f1_library, library_name="sklearn f1_score(average='macro')", timing=_f1_timing,
    mistakes=(
        Mistake("micro", lambda logits, target: (logits.argmax(dim=1) == target).double().mean().item()),
        Mistake("weighted", _f1_weighted),
        Mistake("f1_of_means", _f1_of_means),
        Mistake("nan_for_empty", _f1_variant(guard="nan")),
        Mistake("target_classes_only", _f1_variant(classes_from="target")),
        Mistake("skipped_undefined", _f1_variant(guard="skip")),
        Mistake("all_columns", _f1_all_columns),
    )))


# ---- 5.3-roc-auc ------------------------------------------------------------------------------

def roc_auc(scores: torch.Tensor, target: torch.Tensor) -> float:
    """Area under the ROC curve: how well scores rank the positives (target 1) above the negatives (target 0)."""
    pos, neg = scores[target == 1], scores[target == 0]
    # AUC = the chance that a random positive outscores a random negative; a tie counts one half
    above = (pos[:, None] > neg[None, :]).sum().item()  # (P, N) comparisons: every pair once
    ties = (pos[:, None] == neg[None, :]).sum().item()
    return (above + 0.5 * ties) / (len(pos) * len(neg))


def _auc_library(scores, target):
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(target.numpy(), scores.numpy()))


def _labels(gen: torch.Generator, n: int, share: float) -> torch.Tensor:
    target = (torch.rand(n, generator=gen) < share).long()
    target[0], target[1] = 1, 0  # both classes always present
    return target


def _auc_case(gen: torch.Generator, name: str, n: int, share: float = 0.5, signal: float = 1.0,
              kind: str = "prob", dtype=torch.float32) -> Case:
    target = _labels(gen, n, share)
    logits = randn(gen, n, dtype=dtype) + signal * (2 * target.to(dtype) - 1)
    scores = torch.sigmoid(logits) if kind == "prob" else logits
    if kind == "rounded":
        scores = (torch.sigmoid(logits) * 10).round() / 10  # only 11 distinct values: many ties
    return Case(name, (scores, target))


def _auc_cases(gen: torch.Generator) -> list[Case]:
    n = randint(gen, 30, 60)
    one = _labels(gen, n, 0.0)
    one[:] = 0
    one[randint(gen, 0, n)] = 1
    return [
        _auc_case(gen, "probabilities", n),
        _auc_case(gen, "logit_scores", n, kind="logit", signal=0.5),
        _auc_case(gen, "tied_scores", n, kind="rounded"),
        _auc_case(gen, "perfect_ranking", n, signal=20.0, kind="logit"),
        _auc_case(gen, "reversed_ranking", n, signal=-20.0, kind="logit"),
        Case("one_positive", (randn(gen, n), one)),
        _auc_case(gen, "imbalanced", 4 * n, share=0.1, signal=1.5),
        _auc_case(gen, "float64", n, kind="logit", dtype=torch.float64),
    ]


def _auc_timing(gen: torch.Generator) -> Case:
    return _auc_case(gen, "timing", 5000, kind="rounded")


def _pairs(scores, target, tie: float, flip: bool = False):
    pos, neg = scores[target == 1].double(), scores[target == 0].double()
    if flip:
        pos, neg = neg, pos
    above = (pos[:, None] > neg[None, :]).sum().item()
    ties = (pos[:, None] == neg[None, :]).sum().item()
    return (above + tie * ties) / (len(pos) * len(neg))


ROC_AUC = exercise("5.3-roc-auc", SECTION, roc_auc, Check(
    cases=_auc_cases, library=_auc_library, library_name="sklearn roc_auc_score", timing=_auc_timing,
    mistakes=(
        Mistake("ties_ignored", lambda scores, target: _pairs(scores, target, 0.0)),
        Mistake("ties_as_wins", lambda scores, target: _pairs(scores, target, 1.0)),
        Mistake("thresholded", lambda scores, target: _pairs((scores > 0.5).double(), target, 0.5)),
        Mistake("swapped", lambda scores, target: _pairs(scores, target, 0.5, flip=True)),
    )))

EXERCISES = (MACRO_F1, ROC_AUC)
