"""Synthetic sequence datasets: shapes, determinism, targets, the naive forecast, typed-input validation."""
import pytest
import torch

from core.sequences import (
    MOTIFS,
    SequenceInputError,
    digit_sequences,
    digit_targets,
    motif_sequences,
    naive_last_value,
    noisy_sine,
    parse_digit_string,
    sequence_splits,
)


def test_noisy_sine_shapes_and_seed():
    ds = noisy_sine(100, seq_len=25, noise=0.0, seed=3)
    assert ds.X.shape == (100, 25, 1) and ds.y.shape == (100,) and ds.task == "regression"
    assert torch.equal(ds.X, noisy_sine(100, seq_len=25, noise=0.0, seed=3).X)
    assert not torch.equal(ds.X, noisy_sine(100, seq_len=25, noise=0.0, seed=4).X)
    # noise-free windows are pure sines, so the target stays in [-1, 1] and continues the wave smoothly
    assert ds.y.abs().max() <= 1.0 and (ds.y - ds.X[:, -1, 0]).abs().max() < 0.5


def test_motifs_are_balanced_and_visible():
    ds = motif_sequences(400, seq_len=30, noise=0.0, seed=0)
    assert ds.X.shape == (400, 30, 1) and ds.class_names == MOTIFS
    assert torch.bincount(ds.y).tolist() == [100] * 4
    none = ds.y == 0
    assert ds.X[none].abs().max() == 0 and ds.X[~none].abs().amax(dim=(1, 2)).min() > 1.0


def test_digit_targets_reverse_and_sort():
    ds = digit_sequences("reverse", 50, seq_len=6, seed=1)
    assert ds.X.dtype == torch.long and ds.y.shape == (50, 6)
    assert torch.equal(ds.y, torch.stack([x.flip(0) for x in ds.X]))
    X = torch.tensor([[3, 1, 2]])
    assert digit_targets(X, "sort").tolist() == [[1, 2, 3]]
    with pytest.raises(ValueError, match="unknown task"):
        digit_sequences("shuffle")


def test_splits_cover_everything_once():
    ds = digit_sequences("sort", 200, seed=0)
    s = sequence_splits(ds, seed=0)
    assert sum(s.sizes()) == 200 and abs(s.sizes()[0] - 140) <= 1


def test_naive_last_value():
    X = torch.arange(12, dtype=torch.float32).reshape(2, 6, 1)
    assert naive_last_value(X).tolist() == [5.0, 11.0]


@pytest.mark.parametrize("text, code", [("", "empty"), ("1 2 x 4", "not_digits"), ("1 2 3", "wrong_length"),
                                        ("12345678", None), ("1,2,3,4,5,6,7,8", None)])
def test_parse_digit_string(text, code):
    if code is None:
        assert parse_digit_string(text, 8).tolist() == [[1, 2, 3, 4, 5, 6, 7, 8]]
    else:
        with pytest.raises(SequenceInputError) as err:
            parse_digit_string(text, 8)
        assert err.value.code == code


def test_parse_rejects_digits_outside_vocab():
    with pytest.raises(SequenceInputError) as err:
        parse_digit_string("1 2 7 9", 4, vocab=5)
    assert err.value.code == "out_of_vocab" and err.value.params["digits"] == "7 9"
