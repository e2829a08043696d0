"""Models follow their frozen configs; the device picker and thread setting behave."""
import dataclasses

import pytest
import torch

from core.device import configure_threads, describe_device, pick_device
from core.models import CNNConfig, MLPConfig, RegressorConfig, build_model, count_parameters


def test_configs_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        MLPConfig(2, 2).hidden = (1,)


def test_mlp_layers_follow_the_config():
    model = build_model(MLPConfig(4, 3, (8, 5), "gelu", 0.2, True))
    kinds = [type(m).__name__ for m in model.net]
    assert kinds == ["Linear", "BatchNorm1d", "GELU", "Dropout", "Linear", "BatchNorm1d", "GELU", "Dropout", "Linear"]
    assert count_parameters(model) == (4 * 8 + 8) + 16 + (8 * 5 + 5) + 10 + (5 * 3 + 3)


def test_cnn_takes_flat_or_image_input_and_regressor_squeezes():
    cnn = build_model(CNNConfig())
    flat, img = torch.rand(5, 64), torch.rand(5, 1, 8, 8)
    assert cnn(flat).shape == cnn(img).shape == (5, 10)
    assert build_model(RegressorConfig(3))(torch.rand(7, 3)).shape == (7,)


def test_impossible_model_settings_raise_clear_errors():
    with pytest.raises(ValueError, match="pool"):
        build_model(CNNConfig(image_shape=(1, 8, 8), channels=(8, 8, 8, 8, 8)))
    with pytest.raises(ValueError, match="dropout"):
        build_model(MLPConfig(2, 2, dropout=1.5))


def test_device_picks_an_accelerator_unless_cpu_is_forced():
    assert pick_device(force_cpu=True).type == "cpu"
    expected = "cuda" if torch.cuda.is_available() else ("mps" if torch.backends.mps.is_available() else "cpu")
    assert pick_device().type == expected
    info = describe_device("cpu")
    assert info.type == "cpu" and info.name and "CPU" in info.label
    assert configure_threads() >= 1
