"""Augmentations, conv equivariance vs pooled invariance, and bag of words vs order."""
import numpy as np
import pytest
import torch
from sklearn.feature_extraction.text import CountVectorizer
from torchvision.transforms.v2 import functional as TF

from core import invariance as inv


def test_bag_of_words_cannot_tell_dog_bites_man_from_man_bites_dog():
    vocab, bow = inv.bag_of_words(["dog bites man", "man bites dog"])
    assert vocab == ["bites", "dog", "man"]
    np.testing.assert_array_equal(bow[0], bow[1])
    _, big = inv.bigrams(["dog bites man", "man bites dog"])
    assert (big[0] != big[1]).any()
    vocab_seq = vocab
    assert (inv.position_one_hot("dog bites man", vocab_seq) != inv.position_one_hot("man bites dog", vocab_seq)).any()


@pytest.mark.parametrize("pair", [["not good, really bad", "not bad, really good"], ["мать любит дочь", "дочь любит мать"]])
def test_bag_of_words_equals_count_vectorizer(pair):
    vocab, bow = inv.bag_of_words(pair)
    cv = CountVectorizer(token_pattern=r"(?u)\b\w+\b")
    ref = cv.fit_transform(pair).toarray()
    assert vocab == list(cv.get_feature_names_out())
    np.testing.assert_array_equal(bow, ref)
    grams, big = inv.bigrams(pair)
    cv2 = CountVectorizer(token_pattern=r"(?u)\b\w+\b", ngram_range=(2, 2))
    assert grams == list(cv2.fit(pair).get_feature_names_out())
    np.testing.assert_array_equal(big, cv2.transform(pair).toarray())


@pytest.mark.parametrize("dx,dy", [(0, 0), (3, 0), (-2, 4), (5, -5)])
def test_conv_is_shift_equivariant_and_pooling_is_invariant(dx, dy):
    rep = inv.shift_report(0, dx, dy, "max")
    assert rep.equivariance_error < 1e-6
    np.testing.assert_allclose(rep.pooled_original, rep.pooled_shifted, atol=1e-6)
    rep_avg = inv.shift_report(0, dx, dy, "avg")
    np.testing.assert_allclose(rep_avg.pooled_original, rep_avg.pooled_shifted, atol=1e-6)
    if (dx, dy) != (0, 0):
        assert np.abs(rep.flat_original - rep.flat_shifted).max() > 1e-3, "a flattening linear layer sees the shift"


def test_edge_conv_equals_functional_conv2d():
    conv = inv.edge_conv()
    x = inv.digit_canvas(3)
    ref = torch.nn.functional.conv2d(x, conv.weight, padding=1)
    assert (conv(x) - ref).abs().max() < 1e-6


def test_shift_beyond_the_canvas_is_refused():
    with pytest.raises(ValueError):
        inv.digit_canvas(0, 9, 0)


def test_augment_matches_plain_tensor_operations():
    img = inv.color_image()
    assert img.shape == (3, 64, 64) and img.dtype == torch.uint8
    assert torch.equal(inv.augment(img, inv.AugmentConfig()), img), "default settings change nothing"
    assert torch.equal(inv.augment(img, inv.AugmentConfig(hflip=True)), torch.flip(img, [-1]))
    assert torch.equal(inv.augment(img, inv.AugmentConfig(vflip=True)), torch.flip(img, [-2]))
    bright = inv.augment(img, inv.AugmentConfig(brightness=1.5))
    assert torch.equal(bright, (img.float() * 1.5).clamp(0, 255).floor().to(torch.uint8))
    assert torch.equal(TF.rotate(img, 90), torch.rot90(img, 1, (1, 2)))
    cropped = inv.augment(img, inv.AugmentConfig(crop=0.5))
    assert cropped.shape == img.shape and not torch.equal(cropped, img)


def test_random_augmentations_are_reproducible_and_varied():
    img = inv.color_image()
    a = inv.random_augmentations(img, 0.8, 3, seed=1)
    b = inv.random_augmentations(img, 0.8, 3, seed=1)
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert not torch.equal(a[0], a[1])


def test_imagenet_preprocess_shape_dtype_and_normalization():
    out = inv.imagenet_preprocess(inv.color_image(), size=56)
    assert out.shape == (3, 56, 56) and out.dtype == torch.float32
    gray = torch.full((3, 64, 64), 124, dtype=torch.uint8)  # ≈ 0.485·255
    assert inv.imagenet_preprocess(gray)[0].abs().max() < 0.02
