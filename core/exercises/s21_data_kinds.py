"""2.1 Kinds of data: a table's category column one-hot encoded, and words turned into vectors with an unknown token."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from core.exercises.base import Case, Check, Mistake, exercise
from core.exercises.checks import randint, randn

SECTION = "21_data_kinds"


# ---- 2.1-one-hot ------------------------------------------------------------------------------

def one_hot_features(numeric: torch.Tensor, category: torch.Tensor, num_classes: int) -> torch.Tensor:
    """The numeric columns, then one 0/1 column per category: (n, d) and (n,) → (n, d + num_classes)."""
    one_hot = torch.zeros(len(category), num_classes, dtype=numeric.dtype)  # (n, C); every class gets a column
    one_hot[torch.arange(len(category)), category] = 1.0
    return torch.cat([numeric, one_hot], dim=1)


def _one_hot_library(numeric, category, num_classes):
    return torch.cat([numeric, F.one_hot(category, num_classes).to(numeric.dtype)], dim=1)


def _categories(gen: torch.Generator, n: int, c: int) -> torch.Tensor:
    return torch.randint(0, c, (n,), generator=gen)


def _one_hot_cases(gen: torch.Generator) -> list[Case]:
    n, d, c = randint(gen, 6, 12), randint(gen, 2, 5), randint(gen, 4, 7)
    unseen = _categories(gen, n, c - 1)  # the last class never occurs in this batch
    return [
        Case("table", (randn(gen, n, d, scale=10.0), _categories(gen, n, c), c)),
        Case("unseen_class", (randn(gen, n, d), unseen, c)),
        Case("two_classes", (randn(gen, n, d), _categories(gen, n, 2), 2)),
        Case("one_sample", (randn(gen, 1, d), _categories(gen, 1, c), c)),
        Case("float64", (randn(gen, n, d + 1, dtype=torch.float64), _categories(gen, n, c), c)),
        Case("no_numeric", (torch.zeros(n, 0), _categories(gen, n, c), c)),
    ]


ONE_HOT = exercise("2.1-one-hot", SECTION, one_hot_features, Check(
    cases=_one_hot_cases, library=_one_hot_library, library_name="F.one_hot",
    mistakes=(
        Mistake("classes_from_data", lambda x, cat, c: torch.cat([x, F.one_hot(cat).to(x.dtype)], dim=1)),
        Mistake("ordinal", lambda x, cat, c: torch.cat([x, cat.unsqueeze(1).to(x.dtype)], dim=1)),
        Mistake("category_first", lambda x, cat, c: torch.cat([F.one_hot(cat, c).to(x.dtype), x], dim=1)),
        Mistake("dropped_numeric", lambda x, cat, c: F.one_hot(cat, c).to(x.dtype)),
    )))


# ---- 2.1-embed-words --------------------------------------------------------------------------

def embed_words(text: str, vocab: dict, table: torch.Tensor) -> torch.Tensor:
    """One row of table per word of text (lower-cased, split on whitespace); unknown words get the row of "<unk>"."""
    unk = vocab["<unk>"]
    ids = [vocab.get(word, unk) for word in text.lower().split()]  # split() with no argument: any run of whitespace
    return table[torch.tensor(ids, dtype=torch.long)]  # (T, D); an empty text gives (0, D)


def _word_ids(text: str, vocab: dict) -> torch.Tensor:
    return torch.tensor([vocab.get(w, vocab["<unk>"]) for w in text.lower().split()], dtype=torch.long)


def _embed_library(text, vocab, table):
    return F.embedding(_word_ids(text, vocab), table)


WORDS = ("the", "cat", "dog", "sat", "on", "a", "mat", "ran", "in", "park", "big", "red", "sun", "sky", "old",
         "tree", "under", "small", "bird", "sang")


def _pick(gen: torch.Generator, words: list[str], n: int) -> list[str]:
    return [words[randint(gen, 0, len(words))] for _ in range(n)]


def _vocab(gen: torch.Generator) -> tuple[dict, list[str], list[str]]:
    """A vocabulary of about half the words ("<pad>" = 0, "<unk>" = 1, the rest in random order),
    with the words it knows and the ones it does not."""
    order = torch.randperm(len(WORDS), generator=gen).tolist()
    size = randint(gen, 8, 12)
    known = [WORDS[i] for i in order[:size]]
    vocab = {"<pad>": 0, "<unk>": 1, **{w: i + 2 for i, w in enumerate(known)}}
    return vocab, known, [WORDS[i] for i in order[size:]]


def _embed_case(gen: torch.Generator, name: str, make_text, dim: int, dtype=torch.float32) -> Case:
    vocab, known, unknown = _vocab(gen)
    text = make_text(known, unknown)
    return Case(name, (text, vocab, randn(gen, len(vocab), dim, dtype=dtype)),
                {"text": repr(text), "vocab": repr(vocab)})


def _embed_cases(gen: torch.Generator) -> list[Case]:
    d = randint(gen, 3, 6)
    n = randint(gen, 4, 8)

    def sentence(words: list[str]) -> str:
        return " ".join(words)

    def with_unknown(known, unknown):
        words = _pick(gen, known, n)
        words.insert(randint(gen, 0, n), unknown[0])
        return sentence(words + [unknown[1]])

    def capitals(known, unknown):
        return sentence(w.capitalize() if i % 2 == 0 else w.upper() for i, w in enumerate(_pick(gen, known, n)))

    def spaces(known, unknown):
        return "  " + "   ".join(_pick(gen, known, 3)) + "\t" + " ".join(_pick(gen, known, 2)) + " \n"

    return [
        _embed_case(gen, "known_words", lambda k, u: sentence(_pick(gen, k, n)), d),
        _embed_case(gen, "unknown_words", with_unknown, d),
        _embed_case(gen, "capitals", capitals, d),
        _embed_case(gen, "extra_spaces", spaces, d),
        _embed_case(gen, "one_word", lambda k, u: _pick(gen, k, 1)[0], d + 1),
        _embed_case(gen, "empty_text", lambda k, u: "", d),
        _embed_case(gen, "float64", with_unknown, d + 2, torch.float64),
    ]


def _skip_unknown(text, vocab, table):
    return table[torch.tensor([vocab[w] for w in text.lower().split() if w in vocab], dtype=torch.long)]


def _unk_is_pad(text, vocab, table):
    return table[torch.tensor([vocab.get(w, 0) for w in text.lower().split()], dtype=torch.long)]


def _case_sensitive(text, vocab, table):
    return table[torch.tensor([vocab.get(w, vocab["<unk>"]) for w in text.split()], dtype=torch.long)]


def _split_on_space(text, vocab, table):
    return table[torch.tensor([vocab.get(w, vocab["<unk>"]) for w in text.lower().split(" ")], dtype=torch.long)]


EMBED = exercise("2.1-embed-words", SECTION, embed_words, Check(
    cases=_embed_cases, library=_embed_library, library_name="F.embedding",
    mistakes=(
        Mistake("skip_unknown", _skip_unknown),
        Mistake("unk_is_pad", _unk_is_pad),
        Mistake("case_sensitive", _case_sensitive),
        Mistake("split_on_space", _split_on_space),
    )))

EXERCISES = (ONE_HOT, EMBED)
