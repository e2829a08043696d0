"""The text names tabs by their real labels: «Эксперимент», not «Игра»; "the Play tab", not "the Demo tab"."""
import re

import pytest

from app.i18n import LANGS, catalog, content_strings

# A tab named in prose: «Эксперимент» or **«🏋️ Упражнения»** next to «вкладка»; "the Play tab",
# "(Play tab)" or **🏋️ Exercises** tab in English.
REFERENCES = {
    "ru": [re.compile(r"вкладк\w*\s+\**«([^»]+)»", re.I), re.compile(r"«([^»]+)»\**\s+вкладк", re.I)],
    "en": [re.compile(r"\*\*([^*\n]+)\*\*\s+tabs?\b"),
           re.compile(r"(?:\bthe|\bThe|\()\s+((?:\S+ )?[A-Z][\w-]*)\s+tabs?\b"),
           re.compile(r"\(((?:\S+ )?[A-Z][\w-]*)\s+tabs?\b")],
}


def bare(label: str) -> str:
    """A label without its leading icon: "🎛️ Эксперимент" → "Эксперимент"."""
    return re.sub(r"^[^\w«]+", "", label).strip()


def tab_labels(lang: str) -> set[str]:
    """Every tab label the app shows: the six guide tabs, and the tabs a page builds from its own [tabs]."""
    cat = catalog(lang)
    tables = [cat["tabs"]] + [page["tabs"] for page in cat.values() if isinstance(page, dict) and "tabs" in page
                              and isinstance(page["tabs"], dict) and page is not cat["tabs"]]
    return {bare(label) for table in tables for label in table.values() if isinstance(label, str)}


def tab_references(lang: str, files=None):
    """(file, key, the tab name as quoted) for every tab the text of `lang` names."""
    for name, key, text in content_strings(lang, files):
        if key.startswith("tabs.") or ".tabs." in f".{key}":
            continue
        for pattern in REFERENCES[lang]:
            for m in pattern.finditer(text):
                yield name, key, m.group(1)


@pytest.mark.parametrize("lang", LANGS)
def test_every_tab_the_text_names_is_a_real_tab(lang):
    labels = tab_labels(lang)
    refs = list(tab_references(lang))
    assert len(refs) >= 10, "the patterns no longer find the tab references"
    wrong = [f"{f}: {key}: «{name}»" for f, key, name in refs if bare(name) not in labels]
    assert not wrong, f"tabs named in the {lang} text that do not exist (real: {sorted(labels)}):\n" + "\n".join(wrong)


def test_a_wrong_tab_name_is_found(tmp_path):
    planted = tmp_path / "planted.toml"
    planted.write_text('a = "Все числа на вкладке «Игра»."\nb = "Откройте **«🏋️ Упражнения»** вкладку."\n',
                       encoding="utf-8")
    names = [name for _, _, name in tab_references("ru", [planted])]
    assert names == ["Игра", "🏋️ Упражнения"]
    assert bare("Игра") not in tab_labels("ru") and bare("🏋️ Упражнения") in tab_labels("ru")
    planted.write_text('a = "Train it on the Demo tab (Play tab), then see the **🏋️ Exercises** tab."\n')
    assert sorted(name for _, _, name in tab_references("en", [planted])) == ["Demo", "Play", "🏋️ Exercises"]
    assert "Demo" not in tab_labels("en")
