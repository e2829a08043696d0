"""4.2 Patterns: plain and residual nets train side by side, dense-block arithmetic, attention maps, EN and RU."""
from conftest import open_page, texts, wait_for_jobs


def test_renders_and_dense_calculator_reacts(lang):
    at = open_page("42_patterns", lang)
    assert not at.exception
    assert len(at.tabs) == 6 and at.latex and len(at.radio) >= 3
    assert "16 + 4·12 = 64" in texts(at)
    at.slider(key="pt_growth").set_value(32).run()
    at.slider(key="pt_layers").set_value(6).run()
    at.slider(key="pt_c0").set_value(64).run()
    shown = texts(at)
    assert "64 + 6·32 = 256" in shown  # DenseNet-121's first block
    # our block and torchvision's _DenseBlock agree on the output channels
    assert [m.value for m in at.metric if m.label in ("c₀ + L·k",)] == ["256"]
    assert sum(m.value == "256" for m in at.metric) == 3


def test_plain_and_residual_train_and_show_gradients(lang):
    at = open_page("42_patterns", lang)
    at.slider(key="pt_depth").set_value(20).run()
    at.slider(key="pt_epochs").set_value(2).run()
    at.button(key="train_pt_plain").click().run()
    at.button(key="train_pt_res").click().run()
    at = wait_for_jobs(at)
    assert not at.exception
    jobs = at.session_state["_jobs"]
    plain, res = jobs["pt_plain"], jobs["pt_res"]
    assert plain.status == res.status == "finished"
    assert res.records[-1].train_loss < plain.records[-1].train_loss
    ratios = {m.label: float(m.value) for m in at.metric if "/" in m.label}
    assert len(ratios) == 2
    plain_ratio = next(v for k, v in ratios.items() if k.startswith(("Plain", "Обычная")))
    assert plain_ratio < 1e-2


def test_attention_trains_and_draws_maps(lang):
    at = open_page("42_patterns", lang)
    at.selectbox(key="pt_att").set_value("cbam").run()
    at.slider(key="pt_att_epochs").set_value(1).run()
    at.button(key="train_pt_attn").click().run()
    at = wait_for_jobs(at)
    assert not at.exception
    assert at.session_state["_jobs"]["pt_attn"].status == "finished"
    shown = texts(at)
    assert ("One weight per pixel" in shown) or ("Один вес на пиксель" in shown)
    assert ("One sigmoid weight per channel" in shown) or ("Один сигмоидный вес" in shown)
