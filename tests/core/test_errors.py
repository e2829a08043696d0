"""Impossible settings raise `InputError` with a code; every code reads well in EN and RU."""
import re
from pathlib import Path

import pytest
import torch

from app.i18n import LANGS, catalog, explain
from core import audio, cnn, layers, modern, trainer
from core.datasets import load_dataset, make_splits
from core.errors import InputError
from core.playground import PlaygroundConfig, check_playground

CORE = Path(__file__).resolve().parents[2] / "core"
OWN_TABLES = {"CSVError": "csv", "TransformerConfigError": "34_transformer.errors", "SequenceInputError": None}


def codes_raised_in_core() -> set[str]:
    """Every literal code passed to `InputError(...)` anywhere in core/."""
    found = set()
    for path in CORE.glob("*.py"):
        found |= set(re.findall(r'\bInputError\(\s*"(\w+)"', path.read_text(encoding="utf-8")))
    return found


def test_every_code_has_a_message_in_both_languages():
    codes = codes_raised_in_core()
    assert len(codes) >= 40, sorted(codes)
    for lang in LANGS:
        missing = codes - set(catalog(lang)["errors"])
        assert not missing, f"{lang}: no message for {sorted(missing)}"


IMPOSSIBLE = {
    "conv_span": lambda: cnn.conv_output_size(8, 11, 1, 0, 2),
    "conv_groups": lambda: cnn.conv_params(6, 8, 3, groups=4),
    "patch_tiling": lambda: modern.num_patches(32, 14),
    "norm_groups": lambda: layers.check_groups(6, 4),
    "empty_mels": lambda: audio.mel_filterbank(128, 64, 8000),
    "long_fft": lambda: audio.audio_features(torch.zeros(100).numpy(), 8000, 256, 64, 16, 8),
    "split_fracs": lambda: make_splits(load_dataset("iris"), 0.5, 0.45),
    "epochs": lambda: trainer.check_train_config(trainer.TrainConfig(num_epochs=0)),
    "lr": lambda: trainer.check_train_config(trainer.TrainConfig(lr=float("nan"))),
    "no_features": lambda: check_playground(PlaygroundConfig(features=())),
}


@pytest.mark.parametrize("code", sorted(IMPOSSIBLE))
def test_impossible_settings_are_explained_in_each_language(code):
    with pytest.raises(InputError) as caught:
        IMPOSSIBLE[code]()
    exc = caught.value
    assert exc.code == code and isinstance(exc, ValueError)
    en, ru = explain(exc, lang="en"), explain(exc, lang="ru")
    for said in (en, ru):
        assert "{" not in said and "⟨" not in said and said != str(exc.code), said
    assert re.search("[а-яё]", ru.lower()), ru
    assert not re.search("[а-яё]", en.lower()), en
    for value in exc.params.values():  # the numbers that explain the problem are in both messages
        if isinstance(value, int):
            assert str(value) in en and str(value) in ru


def test_an_error_without_a_known_code_keeps_its_own_message():
    assert explain(ValueError("plain words"), lang="ru") == "plain words"
    assert explain(InputError("no_such_code", "fallback words"), lang="ru") == "fallback words"
    assert explain(InputError("few_points", "x"), lang="ru") == "x"  # a blank it cannot fill: the fallback, no crash
