"""Tokenizers and BPE on the bundled corpus."""
import pytest

from core import text


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_bpe_merges_reduce_the_token_count_of_its_training_text(lang):
    corpus = text.corpus(lang)
    result = text.train_bpe(corpus, 100)
    assert len(result.merges) == 100
    counts = result.token_counts
    assert all(b < a for a, b in zip(counts, counts[1:])), "every merge shortens the text"
    # each merge removes exactly as many tokens as the merged pair occurred
    assert [a - b for a, b in zip(counts, counts[1:])] == list(result.pair_counts)
    # encoding the training text with the learned merges gives the recorded count
    assert len(text.bpe_encode(corpus, result.merges)) == counts[-1]
    assert len(text.bpe_encode(corpus, ())) == counts[0] == sum(len(w) + 1 for w in text.word_tokenize(corpus))


def test_bpe_learns_the_most_frequent_pair_first():
    result = text.train_bpe("aa aa aa ab", 1)
    assert result.merges == (("a", "a"),)
    assert result.pair_counts == (3,)
    assert text.bpe_encode("aa ab", result.merges) == ["aa", "</w>", "a", "b", "</w>"]


def test_bpe_stops_when_no_pair_repeats_and_rejects_negative_merges():
    assert text.train_bpe("abc", 10).merges == ()
    with pytest.raises(ValueError):
        text.train_bpe("abc", -1)


def test_char_and_word_tokenizers():
    assert text.char_tokenize("a b") == ["a", " ", "b"]
    assert text.word_tokenize("The cat, the rat.") == ["the", "cat", ",", "the", "rat", "."]
    assert text.word_tokenize("Кошка сидела.") == ["кошка", "сидела", "."]


def test_one_hot_and_embedding_sizes_match_torch():
    sizes = text.encoding_sizes([0, 3, 3, 7], vocab_size=10, embedding_dim=5)
    assert sizes.one_hot_shape == (4, 10) and sizes.one_hot_nonzero == 4
    assert sizes.embedded_shape == (4, 5) and sizes.embedding_params == 50


def test_vocabulary_keeps_first_appearance_order():
    assert text.vocabulary(["b", "a", "b", "c"]) == {"b": 0, "a": 1, "c": 2}
