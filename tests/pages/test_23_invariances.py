"""2.3 Invariances: augmentations change pixels, shifts keep pooled vectors, bags of words coincide, EN and RU."""
import re

from conftest import open_page, texts

from app.i18n import lookup, t

STEM = "23_invariances"


def changed_percent(at) -> int:
    return int(re.search(r"(\d+)%", texts(at)).group(1))


def metric(at, key, lang):
    label = t(f"{STEM}.labels.{key}", lang=lang)
    return next(m for m in at.metric if m.label == label)


def test_renders_and_every_check_is_exact(lang):
    at = open_page(STEM, lang)
    assert not at.exception
    assert len(at.tabs) == 6 and at.latex and "⟨" not in texts(at)
    assert any("def shift_report" in c.value for c in at.code)
    col = t(f"{STEM}.labels.max_diff", lang=lang)
    checks = next(d.value for d in at.dataframe if col in d.value.columns)
    assert len(checks) == 7 and (checks[col] == 0).all()


def test_augmentation_sliders_change_the_image(lang):
    at = open_page(STEM, lang)
    assert changed_percent(at) == 0, "default settings leave the picture unchanged"
    at.toggle(key="iv_hflip").set_value(True).run()
    at.slider(key="iv_angle").set_value(30).run()
    at.slider(key="iv_hue").set_value(0.2).run()
    assert not at.exception
    assert changed_percent(at) > 50
    at.slider(key="iv_strength").set_value(1.0).run()
    assert not at.exception
    assert sum(len(i.proto.imgs) for i in at.get("image")) == 8  # before, after, six random draws


def test_shifted_digit_moves_the_maps_but_not_the_pooled_vector(lang):
    at = open_page(STEM, lang)
    at.radio(key="iv_section").set_value("conv").run()
    at.slider(key="iv_dx").set_value(-4).run()
    at.slider(key="iv_dy").set_value(2).run()
    at.selectbox(key="iv_pool").set_value("avg").run()
    assert not at.exception
    assert metric(at, "equi_err", lang).value == "0.0e+00"
    assert metric(at, "pool_diff", lang).value == "0.0e+00"
    assert float(metric(at, "flat_diff", lang).value) > 0.001


def test_bag_of_words_cannot_see_word_order(lang):
    at = open_page(STEM, lang)
    at.radio(key="iv_section").set_value("words").run()
    pairs = lookup(f"{STEM}.pairs", lang)
    for i in range(len(pairs)):
        at.selectbox(key="iv_pair").set_value(i).run()
        assert not at.exception
        assert any(t(f"{STEM}.bow_equal", lang=lang) in e.value for e in at.error)
        assert any(t(f"{STEM}.order_differs", lang=lang) in s.value for s in at.success)
        bow = at.dataframe[0].value
        assert list(bow.index) == list(pairs[i]) and (bow.iloc[0] == bow.iloc[1]).all()


def test_preprocessing_table_and_pipeline(lang):
    at = open_page(STEM, lang)
    at.radio(key="iv_section").set_value("preprocess").run()
    assert not at.exception
    assert len(at.dataframe[0].value) == 5
    assert "float32 (3, 56, 56)" in texts(at)
