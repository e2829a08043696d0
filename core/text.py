"""Text as data: a small bundled corpus, character and word tokenizers, and byte-pair encoding."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import torch
from torch import nn

# Written for this project; short sentences so that BPE finds shared stems and endings.
CORPUS = {
    "en": """
The cat sat on the mat and looked at the rat.
The rat ran under the mat when the cat started to run.
A model learns from data; more data usually means a better model.
The learner trains the network, the network learns the weights.
Training is slow when the learning rate is too low.
Training is unstable when the learning rate is too high.
Lower the learning rate and the loss gets lower and lower.
Tokens are the pieces a tokenizer cuts a sentence into.
A tokenizer that knows the pieces of words handles new words.
Unknown words are split into known pieces: unhappy is un and happy.
Playing, played, player and players share the stem play.
Running, runner and runs share the stem run.
The newest networks read text as tokens, not as letters.
Images are grids of pixels; sounds are waves; tables are rows and columns.
The slowest part of training is often reading the data.
Small models train fast; larger models learn more but train slower.
The dog chased the ball, then the ball rolled under the table.
We tested the model on data it had never seen before.
The test showed that the model had learned the training data too well.
Lowering the noise made the signal clearer and the learning faster.
""",
    "ru": """
Кошка сидела на коврике и смотрела на мышку.
Мышка убежала под коврик, когда кошка побежала.
Модель учится на данных; больше данных обычно даёт лучшую модель.
Ученик обучает сеть, а сеть подбирает веса.
Обучение идёт медленно, когда шаг обучения слишком мал.
Обучение неустойчиво, когда шаг обучения слишком велик.
Уменьшаем шаг обучения, и потери становятся меньше и меньше.
Токены — это кусочки, на которые токенизатор режет предложение.
Токенизатор, который знает части слов, справляется с новыми словами.
Незнакомые слова делятся на знакомые части: невесёлый — это не и весёлый.
Играть, играл, игрок и игроки имеют общую основу игр.
Бегать, бегун и бегает имеют общую основу бег.
Новые сети читают текст как токены, а не как буквы.
Картинки — это сетки пикселей, звуки — волны, таблицы — строки и столбцы.
Самая медленная часть обучения — часто чтение данных.
Маленькие модели учатся быстро, большие узнают больше, но учатся медленнее.
Собака погналась за мячом, и мяч закатился под стол.
Мы проверили модель на данных, которых она раньше не видела.
Проверка показала, что модель слишком хорошо выучила обучающие данные.
Меньше шума — сигнал чище, и обучение быстрее.
""",
}

END = "</w>"  # marks the end of a word, so "er" at the end differs from "er" inside
_WORD = re.compile(r"\w+|[^\w\s]")


def corpus(lang: str) -> str:
    """The bundled text in `lang` ("en" or "ru"), one sentence per line."""
    return CORPUS[lang].strip()


def char_tokenize(text: str) -> list[str]:
    """Every character is a token, spaces included."""
    return list(text)


def word_tokenize(text: str, lower: bool = True) -> list[str]:
    """Words and punctuation marks as tokens."""
    return _WORD.findall(text.lower() if lower else text)


@dataclass(frozen=True)
class BPEResult:
    merges: tuple[tuple[str, str], ...]  # in the order they were learned
    pair_counts: tuple[int, ...]  # how often each merged pair occurred when it was merged
    token_counts: tuple[int, ...]  # tokens in the training text after 0, 1, …, len(merges) merges
    vocab_sizes: tuple[int, ...]  # distinct tokens after 0, 1, …, len(merges) merges


def _pair_counts(words: dict[tuple[str, ...], int]) -> Counter:
    pairs: Counter = Counter()
    for symbols, freq in words.items():
        for a, b in zip(symbols, symbols[1:]):
            pairs[a, b] += freq
    return pairs


def _merge_word(symbols: tuple[str, ...], pair: tuple[str, str]) -> tuple[str, ...]:
    out, i = [], 0
    while i < len(symbols):
        if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == pair:
            out.append(symbols[i] + symbols[i + 1])
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return tuple(out)


def train_bpe(text: str, num_merges: int) -> BPEResult:
    """Learn up to `num_merges` merges: each step joins the most frequent adjacent pair of symbols.

    Words start as characters plus an end-of-word marker. Ties go to the pair seen first, so the
    result is deterministic. Training stops early when no pair occurs twice.
    """
    if num_merges < 0:
        raise ValueError("num_merges must be >= 0")
    words = Counter(tuple(w) + (END,) for w in word_tokenize(text))
    merges, pair_counts = [], []
    token_counts = [sum(len(s) * f for s, f in words.items())]
    vocab_sizes = [len({c for s in words for c in s})]
    for _ in range(num_merges):
        pairs = _pair_counts(words)
        if not pairs:
            break
        best, count = max(pairs.items(), key=lambda kv: kv[1])  # first-seen wins ties
        if count < 2:
            break
        words = Counter({_merge_word(s, best): f for s, f in words.items()})
        merges.append(best)
        pair_counts.append(count)
        token_counts.append(sum(len(s) * f for s, f in words.items()))
        vocab_sizes.append(len({c for s in words for c in s}))
    return BPEResult(tuple(merges), tuple(pair_counts), tuple(token_counts), tuple(vocab_sizes))


def bpe_encode(text: str, merges: tuple[tuple[str, str], ...]) -> list[str]:
    """Split `text` into words, then apply the learned merges to each word in their learned order."""
    out: list[str] = []
    for word in word_tokenize(text):
        symbols = tuple(word) + (END,)
        for pair in merges:
            if len(symbols) == 1:
                break
            symbols = _merge_word(symbols, pair)
        out.extend(symbols)
    return out


@dataclass(frozen=True)
class EncodingSizes:
    vocab_size: int
    embedding_dim: int
    seq_len: int
    one_hot_shape: tuple[int, int]  # (seq_len, vocab_size)
    one_hot_nonzero: int
    embedded_shape: tuple[int, int]  # (seq_len, embedding_dim)
    embedding_params: int


def encoding_sizes(token_ids: list[int], vocab_size: int, embedding_dim: int, seed: int = 0) -> EncodingSizes:
    """Shapes of one-hot and embedded versions of the same token ids, built with torch."""
    ids = torch.as_tensor(token_ids, dtype=torch.long)  # (T,)
    one_hot = nn.functional.one_hot(ids, vocab_size)  # (T, V)
    torch.manual_seed(seed)
    table = nn.Embedding(vocab_size, embedding_dim)
    embedded = table(ids)  # (T, D)
    return EncodingSizes(
        vocab_size, embedding_dim, len(token_ids),
        tuple(one_hot.shape), int(one_hot.count_nonzero()), tuple(embedded.shape),
        sum(p.numel() for p in table.parameters()),
    )


def vocabulary(tokens: list[str]) -> dict[str, int]:
    """Token → id, in order of first appearance."""
    vocab: dict[str, int] = {}
    for tok in tokens:
        vocab.setdefault(tok, len(vocab))
    return vocab
