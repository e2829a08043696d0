"""4.3 Modern: patch arithmetic, ViT vs CNN run, EfficientNet and MobileNet calculators, in EN and RU."""
from conftest import open_page, wait_for_jobs


def metric(at, *labels):
    return next(m.value for m in at.metric if m.label in labels)


def test_calculators_react(lang):
    at = open_page("43_modern", lang)
    assert not at.exception
    assert len(at.tabs) == 6 and at.latex and len(at.radio) >= 3
    assert metric(at, "Patches (H/P)²", "Патчей (H/P)²") == "196"
    assert metric(at, "Sequence length (+1 CLS)", "Длина последовательности (+1 CLS)") == "197"
    # the check tab: torchvision's ViT agrees
    assert metric(at, "torchvision VisionTransformer seq_length", "seq_length у VisionTransformer из torchvision") == "197"
    at.select_slider(key="md_patch").set_value(14).run()
    assert metric(at, "Patches (H/P)²", "Патчей (H/P)²") == "256"
    at.select_slider(key="md_size").set_value(96).run()
    assert not at.exception and at.error  # 14 does not divide 96
    # MobileNet: 3×3, 64 → 128
    assert metric(at, "Standard conv K²·C_in·C_out", "Обычная свёртка K²·C_in·C_out") == "73,728"
    assert metric(at, "Separable K²·C_in + C_in·C_out", "Разделённая K²·C_in + C_in·C_out") == "8,768"
    at.select_slider(key="md_k").set_value(5).run()
    assert metric(at, "Standard conv K²·C_in·C_out", "Обычная свёртка K²·C_in·C_out") == "204,800"
    # EfficientNet: φ = 2 doubles the compute twice
    at.slider(key="md_phi").set_value(2.0).run()
    assert metric(at, "FLOPs") == "×3.7"
    assert metric(at, "α·β²·γ²") == "1.920"
    at.button(key="md_eff_go").click().run()
    assert not at.exception
    table = at.dataframe[-1].value
    assert table.iloc[0, -1] == "5.29 M" and table.iloc[7, -1] == "66.35 M"


def test_vit_and_cnn_compare(lang):
    at = open_page("43_modern", lang)
    at.slider(key="md_cmp_epochs").set_value(1).run()
    at.button(key="train_md_vit").click().run()
    at.button(key="train_md_cnn").click().run()
    at = wait_for_jobs(at)
    assert not at.exception
    jobs = at.session_state["_jobs"]
    assert jobs["md_vit"].status == jobs["md_cnn"].status == "finished"
    table = next(df.value for df in at.dataframe if len(df.value) == 2)
    assert len(table.columns) == 5
    assert int(table.iloc[0, 1]) > 0 and int(table.iloc[1, 1]) > 0
