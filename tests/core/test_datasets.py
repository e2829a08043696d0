"""Datasets: registry, seeded stratified splits, torchvision files offline, and the fallback."""
import struct

import numpy as np
import pytest
import torch

from core.datasets import DATASETS, DatasetUnavailable, load_dataset, load_torchvision, make_splits


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_every_registered_dataset_loads_as_tensors(name):
    ds = load_dataset(name)
    assert ds.X.dtype == torch.float32 and ds.X.dim() == 2 and len(ds.X) == len(ds.y)
    assert torch.isfinite(ds.X).all()
    if ds.task == "regression":
        assert ds.y.dtype == torch.float32
    else:
        assert ds.y.dtype == torch.int64 and ds.num_classes == len(torch.unique(ds.y))


def test_splits_are_seeded_disjoint_and_stratified():
    ds = load_dataset("digits")
    a, b, c = make_splits(ds, seed=3), make_splits(ds, seed=3), make_splits(ds, seed=4)
    assert torch.equal(a.X_train, b.X_train) and not torch.equal(a.X_train, c.X_train)
    assert sum(a.sizes()) == len(ds.y)
    full = torch.bincount(ds.y) / len(ds.y)
    for y in (a.y_train, a.y_val, a.y_test):
        assert torch.allclose(torch.bincount(y, minlength=10) / len(y), full, atol=0.03)


def test_split_fractions_must_leave_training_data():
    with pytest.raises(ValueError, match="training"):
        make_splits(load_dataset("iris"), val_frac=0.5, test_frac=0.45)


def test_multiclass_synthetic_sets():
    ds = load_dataset("spiral", n_classes=3, n_samples=300)
    assert ds.task == "multiclass" and ds.num_classes == 3


def _write_idx(path, array: np.ndarray, magic: int) -> None:
    """An IDX file: big-endian magic, one size per dimension, then uint8 data."""
    header = struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def write_tiny_mnist(root, folder="MNIST", n=20):
    """Files in MNIST's own IDX format, as torchvision expects them under <root>/<folder>/raw."""
    raw = root / folder / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(n, 28, 28))
    labels = np.arange(n) % 10
    for split in ("train", "t10k"):
        for kind, arr, magic in (("images-idx3", images, 2051), ("labels-idx1", labels, 2049)):
            _write_idx(raw / f"{split}-{kind}-ubyte", arr, magic)
    return images, labels


@pytest.mark.parametrize("name,folder", [("mnist", "MNIST"), ("fashion_mnist", "FashionMNIST")])
def test_torchvision_loader_reads_files_in_mnist_format(tmp_path, name, folder):
    images, labels = write_tiny_mnist(tmp_path, folder)
    ds = load_torchvision(name, root=tmp_path, limit=None)
    assert ds.image_shape == (1, 28, 28) and ds.X.shape == (20, 784)
    assert torch.equal(ds.y, torch.as_tensor(labels))
    assert torch.allclose(ds.X[3].view(28, 28), torch.as_tensor(images[3] / 255.0, dtype=torch.float32))


def test_missing_files_offline_give_a_clear_message_and_fall_back(tmp_path):
    with pytest.raises(DatasetUnavailable, match="not available offline"):
        load_torchvision("mnist", root=tmp_path)
    ds = load_dataset("mnist", root=tmp_path)
    assert ds.name == "digits" and "built-in 8×8 digits" in ds.notice


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_features_are_refused_when_a_dataset_is_built(value):
    from core.datasets import Dataset
    from core.errors import InputError

    X = torch.randn(30, 3)
    X[[4, 9], 1] = value
    names = ("height", "a column name far longer than forty characters, as CSV headers can be", "z")
    with pytest.raises(InputError) as caught:
        Dataset("bad", X, torch.randint(0, 2, (30,)), "binary", names, ("0", "1"))
    err = caught.value
    assert err.code == "nonfinite_features" and err.params["count"] == 2
    assert err.params["columns"] == names[1][:39] + "…"  # only the bad column, cut to 40 characters


def test_a_non_finite_regression_target_is_refused_and_make_splits_never_sees_it():
    from core.datasets import Dataset
    from core.errors import InputError

    y = torch.randn(30)
    y[0] = float("nan")
    with pytest.raises(InputError) as caught:
        make_splits(Dataset("bad", torch.randn(30, 2), y, "regression", ("a", "b")))
    assert caught.value.code == "nonfinite_target" and caught.value.params["count"] == 1
