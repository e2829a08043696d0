"""Russian nouns agree with the numbers before them: 1 канал, 2 канала, 5 каналов, 21 канал."""
import re
from pathlib import Path

import pytest

from app.i18n import CONTENT_DIR, content_strings, plural_ru, resolve_plurals, t

RU_FILES = sorted(Path(CONTENT_DIR, "ru").glob("*.toml"))
FORMS = ("канал", "канала", "каналов")


def ru_strings():
    return content_strings("ru")


@pytest.mark.parametrize("n, form", [
    (0, "каналов"), (1, "канал"), (2, "канала"), (4, "канала"), (5, "каналов"), (11, "каналов"),
    (12, "каналов"), (14, "каналов"), (21, "канал"), (22, "канала"), (25, "каналов"), (101, "канал"),
    (111, "каналов"), (1000, "каналов"), (-3, "канала"), (2.5, "канала"), ("1,021", "канал"), ("n/a", "каналов"),
])
def test_plural_ru_follows_the_one_few_many_rule(n, form):
    assert plural_ru(n, *FORMS) == form


def test_a_string_picks_its_forms_from_its_own_numbers():
    text = "{c} {c|канал|канала|каналов} нельзя разбить на {g} {g|группу|группы|групп}"
    assert resolve_plurals(text, {"c": 3, "g": 2}).format(c=3, g=2) == "3 канала нельзя разбить на 2 группы"
    assert resolve_plurals(text, {"c": 21, "g": 5}).format(c=21, g=5) == "21 канал нельзя разбить на 5 групп"
    assert resolve_plurals("{n} {n|step|steps}", {"n": 1}) == "{n} step"
    assert t("41_layers.norm_bad_groups", lang="ru", c=3, g=2).startswith("3 канала нельзя разбить на 2 группы")
    assert "на 3 головы:" in t("34_transformer.errors.heads", lang="ru", d_model=64, heads=3)


def test_no_russian_text_leaves_a_form_unresolved():
    """No "голов(ы)" or "канал(ов)": a count picks one form with {n|one|few|many}."""
    found = [f"{f}: {key}: {m.group(0)}" for f, key, text in ru_strings()
             for m in re.finditer(r"[а-яё]+\((?:ы|ов|а|и|ей|ь|ю|я|ий|ые|ая|ое)\)", text, re.I)]
    assert not found, "\n".join(found)


def test_every_plural_in_the_russian_text_has_three_forms_of_a_number_it_shows():
    for f, key, text in ru_strings():
        for m in re.finditer(r"\{(\w+)\|([^{}]*)\}", text):
            assert m.group(2).count("|") == 2, f"{f}: {key}: {m.group(0)} needs the one|few|many forms"
            assert re.search(rf"\{{{m.group(1)}(?::[^}}]*)?\}}", text), f"{f}: {key}: {m.group(0)} counts nothing shown"


# Genitive plurals that, right after a bare {count}, are wrong for 1–4 and 21–24.
COUNTED = ("шагов", "эпох", "примеров", "параметров", "каналов", "групп", "голов", "строк", "токенов", "патчей",
           "отсчётов", "полос", "коэффициентов", "выбросов", "предложений", "символов", "нейронов", "ячеек",
           "запусков", "изображений", "блоков", "точек", "цифр", "тензоров", "элементов", "выборок", "пикселей")


def test_no_count_is_followed_by_a_fixed_plural():
    # "примеров/с" is a rate, not a count
    pattern = re.compile(r"\{\w+(?::[^}]*)?\}\s+(?:[а-яё]+(?:ых|их)\s+)?(?:" + "|".join(COUNTED) + r")(?![а-яё/])", re.I)
    found = [f"{f}: {key}: {m.group(0)}" for f, key, text in ru_strings() for m in pattern.finditer(text)]
    assert not found, "use {n} {n|one|few|many}:\n" + "\n".join(found)
