"""One vocabulary: the glossary is complete, and no Russian text uses a variant it ruled out."""
import re
from pathlib import Path

import pytest

from app.glossary import ruled_out_hits, search, terms
from app.i18n import CONTENT_DIR, content_strings
from app.navigation import PAGES_DIR

RU_FILES = sorted(Path(CONTENT_DIR, "ru").glob("*.toml"))


def ruled_out_in(files) -> list[str]:
    by_key = {t.key: t for t in terms()}
    found = []
    for name, key, text in content_strings("ru", files):
        for term, word in ruled_out_hits(text):
            found.append(f"{name}: {key}: «{word}» (the glossary says «{by_key[term].ru}»)")
    return found


def test_no_russian_text_uses_a_ruled_out_variant():
    found = ruled_out_in(RU_FILES)
    assert not found, f"{len(found)} ruled-out words in the Russian content:\n" + "\n".join(found)


def test_every_term_is_complete_and_taught_on_an_existing_page():
    all_terms = terms()
    assert len(all_terms) >= 80
    assert len({t.key for t in all_terms}) == len(all_terms), "term keys repeat"
    assert len({t.en.casefold() for t in all_terms}) == len(all_terms), "English names repeat"
    for t in all_terms:
        assert all((t.en, t.ru, t.en_def, t.ru_def)), t.key
        assert (PAGES_DIR / f"{t.section}.py").exists(), f"{t.key}: no page {t.section}"
        assert re.search("[а-яё]", t.ru_def, re.I) and not re.search("[а-яё]", t.en_def, re.I), t.key


def test_every_ruled_out_variant_is_caught_by_its_terms_patterns():
    """Each listed variant (its parenthesised remark dropped) trips the term's own `forbid` pattern."""
    for t in terms():
        for variant in t.ruled_out:
            word = re.sub(r"\s*\(.*\)$", "", variant)
            assert [k for k, _ in ruled_out_hits(word, [t])] == [t.key], f"{t.key}: «{variant}» is not caught"


@pytest.mark.parametrize("text, term", [
    ("Лосс падает с каждой эпохой.", "loss"),
    ("Посчитайте loss на валидации.", "loss"),
    ("Уменьшите шаг обучения.", "learning_rate"),
    ("Слишком большой learning rate.", "learning_rate"),
    ("Точность на тесте: 0,93.", "accuracy"),
    ("Каковы её accuracy и полнота?", "accuracy"),
    ("Precision растёт, когда порог выше.", "precision"),
    ("Как это чинят ворота LSTM.", "gate"),
    ("Обрежьте градиент: клиппинг спасает.", "gradient_clipping"),
])
def test_a_planted_variant_is_found(text, term):
    assert term in [k for k, _ in ruled_out_hits(text)]


@pytest.mark.parametrize("text", [
    "Функция потерь `loss_fn` и `loss.backward()`; потери падают.",
    "Скорость обучения (learning rate) задаёт длину шага; $\\eta$ — это lr.",
    "Точность и полнота меняются местами при сдвиге порога.",
    "Совпадает с точностью до округления; смешанная точность экономит память.",
    "Поворот на 90° и вентиль забывания.",
    "Hamming loss считает ошибочные ячейки; осталось {loss}.",
    "Кривая точность-полнота и макро-точность.",
    "Доля верных ответов (accuracy), subset accuracy, точность (precision) и полнота (recall).",
])
def test_the_ruled_forms_and_their_contexts_pass(text):
    assert ruled_out_hits(text) == []


def test_search_matches_either_language_and_the_ruled_out_words():
    assert [t.key for t in search("learning rate")][0] == "learning_rate"
    assert "learning_rate" in [t.key for t in search("СКОРОСТЬ обучения")]
    assert [t.key for t in search("лосс")] == ["loss"]
    assert len(search("")) == len(terms())
    assert search("no such term at all") == []
