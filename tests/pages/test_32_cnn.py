"""3.2 CNN: the calculator, kernels, training with filters and feature maps, the checks, EN and RU."""
import json

from conftest import open_page, texts, wait_for_jobs


def test_renders_all_five_parts_and_the_calculator(lang):
    at = open_page("32_cnn", lang, timeout=600)
    assert not at.exception
    assert len(at.tabs) == 6
    assert at.latex and len(at.radio) >= 3
    assert any("class ResidualBlock" in c.value for c in at.code)
    metrics = [m.value for m in at.metric]
    assert "8 × 8" in metrics and "80" in metrics, "8×8 input, k=3, p=1: 8×8 out, 1·8·9 + 8 = 80 parameters"
    assert "1×8×8×8" in metrics, "nn.Conv2d's actual output shape"
    # the check tab: 300 random settings, no mismatch; kernels equal scipy
    assert "300" in metrics and metrics.count("0") >= 2
    shown = texts(at)
    assert "73,728" in shown and "8,768" in shown, "separable counts for 64→128, k=3"


def test_moving_calculator_widgets(lang):
    at = open_page("32_cnn", lang, timeout=600)
    at.slider(key="cnn_s").set_value(2).run()
    assert "4 × 4" in [m.value for m in at.metric]
    at.slider(key="cnn_d").set_value(2).run()
    at.slider(key="cnn_cin").set_value(3).run()
    # n=8, k=3, s=2, p=1, d=2: ⌊(8+2−4−1)/2⌋+1 = 3; params 8·3·9 + 8 = 224
    metrics = [m.value for m in at.metric]
    assert "3 × 3" in metrics and "224" in metrics and "1×8×3×3" in metrics
    at.slider(key="cnn_k").set_value(11).run()
    at.slider(key="cnn_p").set_value(0).run()
    assert not at.exception
    assert at.error, "a kernel wider than the input gives a message"
    # n=8, k=11, d=2: the kernel spans 21 pixels, the padded input is 8, said in the page's language
    said = at.error[0].value
    assert "21" in said and "8" in said
    assert ("охватывает" in said) if lang == "ru" else ("spans" in said), said
    at.selectbox(key="cnn_kernel").set_value("sobel_x").run()
    at.slider(key="cnn_img").set_value(5).run()
    assert not at.exception


def test_training_shows_filters_and_feature_maps(lang):
    at = open_page("32_cnn", lang, timeout=600)
    at.selectbox(key="cnn_arch").set_value("lenet").run()
    at.toggle(key="cnn_se").set_value(True).run()
    at.select_slider(key="cnn_width").set_value(4).run()
    at.slider(key="cnn_epochs").set_value(2).run()
    at.button(key="train_cnn").click().run()
    at = wait_for_jobs(at, 600)
    assert not at.exception
    job = at.session_state["_jobs"]["cnn"]
    assert job.status == "finished" and len(job.records) == 2
    specs = "".join(json.dumps(json.loads(c.proto.spec), ensure_ascii=False)
                    for c in at.get("arrow_vega_lite_chart") + at.get("vega_lite_chart"))
    assert ("Learned first-layer filters" if lang == "en" else "Выученные фильтры") in specs
    at.slider(key="cnn_test_img").set_value(7).run()
    stages = at.selectbox(key="cnn_stage").options
    at.selectbox(key="cnn_stage").set_value(stages[-1]).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    ours = [v for k, v in metrics.items() if "torch" in k.lower()]
    ref = [v for k, v in metrics.items() if "accuracy_score" in k]
    assert ours and ours == ref


def test_classic_table_from_torchvision():
    at = open_page("32_cnn", "en", timeout=600)
    at.button(key="cnn_classics").click().run()
    assert not at.exception
    table = at.dataframe[-1].value
    assert "138,357,544 (138M)" in table.to_string() and "11,689,512" in table.to_string()


def test_pooling_demo_matches_torch_and_the_check_tab_sweeps_pooling(lang):
    at = open_page("32_cnn", lang)
    at.slider(key="cnn_pool_n").set_value(5).run()
    at.slider(key="cnn_pool_k").set_value(3).run()
    at.slider(key="cnn_pool_s").set_value(3).run()
    at.slider(key="cnn_pool_p").set_value(1).run()
    at.toggle(key="cnn_pool_ceil").set_value(True).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    formula = metrics["Output size by formula" if lang == "en" else "Размер выхода по формуле"]
    from_torch = metrics["Output size the module returns" if lang == "en" else "Размер выхода у модуля"]
    assert formula == from_torch == "2 × 2"                      # ⌈4/3⌉ + 1 = 3, the last window dropped
    at.selectbox(key="cnn_pool_kind").set_value("avg").run()
    assert not at.exception
    bad = [m.value for m in at.metric if m.label in ("Output-size mismatches", "Расхождений в размере")]
    assert len(bad) == 2 and all(v == "0" for v in bad)        # the conv sweep and the pooling sweep
