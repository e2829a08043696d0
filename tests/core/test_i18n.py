"""English and Russian have exactly the same keys, and every quiz is well formed."""
import pytest

from app.i18n import LANGS, catalog, flat_keys
from app.navigation import discover


def test_every_key_exists_in_both_languages():
    en, ru = flat_keys(catalog("en")), flat_keys(catalog("ru"))
    assert en - ru == set(), f"missing in RU: {sorted(en - ru)[:20]}"
    assert ru - en == set(), f"missing in EN: {sorted(ru - en)[:20]}"


@pytest.mark.parametrize("lang", LANGS)
def test_every_page_has_title_icon_and_well_formed_quiz(lang):
    cat = catalog(lang)
    for entry in discover():
        content = cat[entry.stem]
        assert content["title"] and content["icon"], entry.stem
        for q in content.get("quiz", []):
            assert 0 <= q["answer"] < len(q["options"]) == len(q["explanations"]), (entry.stem, q["question"])
        if 1 <= entry.part <= 5:
            assert 3 <= len(content["quiz"]) <= 5, entry.stem
            assert content["idea"]["intro"].strip(), entry.stem


def test_russian_text_is_really_russian():
    ru = catalog("ru")
    for entry in discover():
        assert any("а" <= ch <= "я" for ch in ru[entry.stem]["title"].lower()), entry.stem
