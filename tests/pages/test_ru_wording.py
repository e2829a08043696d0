"""Russian pages speak Russian: built-in set names, tab names in the prose, task names."""
import re
from pathlib import Path

from conftest import open_page

from app.i18n import CONTENT_DIR, t


def test_russian_prose_names_the_tabs_in_russian():
    tabs = "|".join(re.escape(t(f"tabs.{k}", lang="en").split(" ", 1)[1]) for k in ("idea", "play", "check", "code", "quiz"))
    for path in sorted(Path(CONTENT_DIR, "ru").glob("*.toml")):
        english = re.findall(rf"вкладк\w*\s+(?:{tabs})\b", path.read_text(encoding="utf-8"))
        assert not english, f"{path.name}: {english}"


def test_the_table_picker_on_2_1_lists_the_sets_by_their_russian_names():
    at = open_page("21_data_kinds", "ru")
    assert not at.exception
    options = at.selectbox(key="dk_table").options
    assert options == [t(f"common.datasets.{n}", lang="ru") for n in ("iris", "wine", "breast_cancer", "diabetes")]
    assert "breast_cancer" not in options


def test_the_5_1_code_tab_shows_the_functions_its_text_names():
    at = open_page("51_data_preparation", "ru")
    assert not at.exception
    shown = "\n".join(c.value for c in at.code)
    for lang in ("en", "ru"):
        for name in re.findall(r"`(\w+)`", t("51_data_preparation.code_intro", lang=lang)):
            if name not in ("fit",):
                assert f"def {name}" in shown or f"class {name}" in shown, name
