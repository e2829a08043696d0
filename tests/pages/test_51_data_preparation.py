"""5.1 Data preparation: outlier slider, scaler and dataset choices, throughput button, sklearn check; EN and RU."""
import re

from conftest import open_page, texts

from app.i18n import t


def iqr_caption_numbers(at, lang: str) -> list[float]:
    """The (min-max, robust) IQRs that the scaling caption reports (not any other text naming the IQR)."""
    template = re.escape(t("51_data_preparation.scaling_caption", lang=lang))
    pattern = re.sub(r"\\\{(\w+)\\\}", lambda m: rf"(?P<{m.group(1)}>[-\d.,e+]+)", template)
    found = [m for c in at.caption if (m := re.search(pattern, c.value))]
    assert len(found) == 1, "the scaling caption is shown once"
    return [float(found[0]["minmax"]), float(found[0]["robust"])]


def test_renders_all_five_parts(lang):
    at = open_page("51_data_preparation", lang)
    assert not at.exception
    assert len(at.tabs) == 6 and at.latex and len(at.radio) >= 3
    assert any("class RobustScaler" in c.value for c in at.code)
    shown = texts(at)
    assert ("Min-max" in shown) and (("outliers in the data" in shown) if lang == "en" else ("выбросов" in shown))


def test_outlier_sliders_squash_minmax_but_not_robust(lang):
    at = open_page("51_data_preparation", lang)
    at.slider(key="dp_out").set_value(0.0).run()
    before = iqr_caption_numbers(at, lang)
    zscore_before = at.dataframe[0].value.iloc[0, 3]
    at.slider(key="dp_out").set_value(8.0).run()
    at.slider(key="dp_mag").set_value(40).run()
    assert not at.exception
    after = iqr_caption_numbers(at, lang)
    assert after[0] < before[0] / 5, "far outliers leave min-max little room for the normal points"
    assert after[1] > 0.5, "robust scaling keeps the bulk spread out"
    table = at.dataframe[0].value
    assert len(table) == 3 and table.iloc[0, 3] < zscore_before, "outliers inflate the z-score's σ"
    assert table.iloc[1, 3] < table.iloc[2, 3]


def test_leakage_reacts_to_scaler_and_dataset():
    at = open_page("51_data_preparation", "en")
    stats = at.dataframe[1].value
    assert list(stats.columns[:3]) == ["Feature", "Center (train)", "Center (all)"]
    at.selectbox(key="dp_scaler").set_value("robust").run()
    robust = at.dataframe[1].value
    assert not at.exception and not robust["Center (train)"].equals(stats["Center (train)"])
    at.selectbox(key="dp_ds").set_value("diabetes").run()
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert "Val R², fit on train only" in labels and "Val R², fit on all data" in labels
    at.slider(key="dp_train").set_value(60).run()
    assert not at.exception and "/ 10" in texts(at)


def test_throughput_button_measures_every_variant(lang):
    at = open_page("51_data_preparation", lang)
    at.select_slider(key="dp_bs").set_value(256).run()
    at.button(key="dp_measure").click().run()
    assert not at.exception
    table = next(df.value for df in at.dataframe if df.value.columns[0] in ("Variant", "Вариант"))
    assert len(table) == 3 and (table.iloc[:, 1] > 0).all()
    assert table.iloc[0, 2] == 1.0, "the first row is the yardstick"
    assert ("256" in texts(at))
    at.toggle(key="dp_shuffle").set_value(False).run()
    shown = texts(at)
    assert ("earlier settings" in shown) if lang == "en" else ("прежних настройках" in shown)


def test_check_tab_agrees_with_sklearn():
    at = open_page("51_data_preparation", "en")
    value = next(m.value for m in at.metric if m.label == "Max |difference| from sklearn")
    assert float(value) < 1e-6
    at.slider(key="dp_out").set_value(10.0).run()
    value = next(m.value for m in at.metric if m.label == "Max |difference| from sklearn")
    assert float(value) < 1e-6 and at.success


def test_dataloader_options_show_each_batch(lang):
    at = open_page("51_data_preparation", lang)
    table = next(df.value for df in at.dataframe if list(df.value.columns)[0] in ("Batch", "Батч"))
    assert list(table.iloc[:, 1]) == ["0, 1, 2, 3", "4, 5, 6, 7", "8, 9"]         # 10 samples, batches of 4
    at.toggle(key="dp_opt_drop_last").set_value(True).run()
    table = next(df.value for df in at.dataframe if list(df.value.columns)[0] in ("Batch", "Батч"))
    assert list(table.iloc[:, 2]) == [4, 4]
    assert ("2 samples dropped" if lang == "en" else "отброшено примеров: 2") in texts(at)
    assert not at.exception
