"""3.4 Transformers: the attention playground, positions and the MHA check react to widgets; bad settings
and bad typed input get clear messages; a short run shows attention maps head by head, in EN and RU."""
import pytest
from conftest import open_page, texts, wait_for_jobs

from core.transformer import TinyTransformer, TransformerConfig

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def metric(at, label_start: str) -> float:
    return float(next(m.value for m in at.metric if m.label.startswith(label_start)))


def test_renders_all_five_parts_and_checks(lang):
    at = open_page("34_transformer", lang)
    assert not at.exception
    assert len(at.tabs) == 6 and at.latex and len(at.radio) >= 3
    assert any("class MultiHeadAttention" in c.value for c in at.code)
    assert "⟨" not in texts(at)
    diffs = [float(m.value) for m in at.metric if "|Δ|" in m.label]
    assert len(diffs) == 4 and max(diffs) < 1e-5
    assert [m.value for m in at.metric].count("4,224") == 3  # 4·(32² + 32), ours = torch = formula
    cross = [float(m.value) for m in at.metric if m.label.startswith(("Cross:", "Перекрёстное:"))]
    assert len(cross) == 2 and max(cross) < 1e-5                  # cross-attention against nn.MultiheadAttention
    assert "2 × 4 × 6 × 9" in [m.value for m in at.metric]       # decoder queries × encoder keys
    at.select_slider(key="tf_ck_h").set_value(5).run()
    assert not at.exception and at.error, "32 is not divisible by 5 heads"
    assert ("not divisible" in at.error[0].value) if lang == "en" else ("не делится" in at.error[0].value)


def test_scaling_switch_shows_saturation():
    at = open_page("34_transformer", "en")
    at.select_slider(key="tf_dk").set_value(512).run()
    scaled = metric(at, "Mean largest weight")
    at.toggle(key="tf_scale").set_value(False).run()
    unscaled = metric(at, "Mean largest weight")
    assert unscaled > 0.9 > scaled
    at.toggle(key="tf_causal").set_value(True).run()
    at.slider(key="tf_pelen").set_value(20).run()
    assert not at.exception
    assert "Neighbours are similar" in texts(at)


def test_bad_heads_get_a_message_and_no_crash():
    at = open_page("34_transformer", "en")
    at.select_slider(key="tf_heads").set_value(3).run()
    assert any("not divisible by 3 heads" in e.value for e in at.error)
    at.button(key="train_tiny_transformer").click().run()
    assert not at.exception
    assert "tiny_transformer" not in (at.session_state["_jobs"] if "_jobs" in at.session_state else {})


def test_training_then_attention_maps_for_typed_input(lang):
    at = open_page("34_transformer", lang)
    at.select_slider(key="tf_dmodel").set_value(16).run()
    at.slider(key="tf_layers").set_value(1).run()
    at.slider(key="tf_epochs").set_value(1).run()
    preview = TinyTransformer(TransformerConfig(d_model=16, num_heads=4, num_layers=1, d_ff=32))
    params = sum(p.numel() for p in preview.parameters())
    assert f"{params:,}" in texts(at), "the shown count is sum(p.numel())"
    at.button(key="train_tiny_transformer").click().run()
    at = wait_for_jobs(at, timeout=300)
    assert not at.exception
    job = at.session_state["_jobs"]["tiny_transformer"]
    assert job.status == "finished" and job.records[0].val_score is not None
    charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    n_before = len(charts)
    at.text_input(key="tf_text").set_value("1 2 x").run()
    assert any(("0–9" in e.value) for e in at.error)
    at.text_input(key="tf_text").set_value("123").run()
    assert any("8" in e.value and "3" in e.value for e in at.error)
    at.text_input(key="tf_text").set_value("87654321").run()
    assert not at.exception and not at.error
    right = "Right answer" if lang == "en" else "Правильный ответ"
    assert next(m.value for m in at.metric if m.label == right) == "1 2 3 4 5 6 7 8"
    charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    assert len(charts) == n_before  # 4 head maps back once the input is valid


def test_a_diverged_run_shows_no_maps_of_a_broken_model_and_says_why(lang):
    at = open_page("34_transformer", lang, timeout=300)
    at.slider(key="tf_epochs").set_value(1).run()
    at.select_slider(key="tf_lr").set_value(10.0).run()
    at.button(key="train_tiny_transformer").click().run()
    at = wait_for_jobs(at, 300)
    assert at.session_state["_jobs"]["tiny_transformer"].status == "diverged"
    at.run()
    assert not at.exception
    said = "diverged at epoch 1" if lang == "en" else "разошёлся на эпохе 1"
    assert any(said in c.value for c in at.caption), "where the maps would be, the reason they are not"
    assert not [t for t in at.text_input if t.key == "tf_text"], "no answers from inf/NaN weights"


def _tiny_trained_job():
    from core import transformer as tf
    from core.trainer import TrainConfig

    job = tf.make_transformer_job(tf.DigitTask(n_samples=200), TransformerConfig(d_model=8, num_heads=2, num_layers=1, d_ff=16),
                                  TrainConfig(num_epochs=1, batch_size=64), page="34_transformer").run()
    assert job.status == "finished"
    return job


@pytest.mark.parametrize("typed, shown", [("12²3 4567", "²"), ("١٢٣٤٥٦٧٨", "١ ٢ ٣ ٤ ٥ ٦ ٧ ٨"), ("1234567⁸", "⁸")])
def test_unicode_digits_get_the_digits_message_not_a_crash(lang, typed, shown):
    """"²" passes str.isdigit() and int() refuses it; "١" passes both: only ASCII 0-9 are digits here."""
    at = open_page("34_transformer", lang, _jobs={"tiny_transformer": _tiny_trained_job()})
    at.text_input(key="tf_text").set_value(typed).run()
    assert not at.exception
    said = f"Only digits 0–9 are allowed; remove: {shown}." if lang == "en" else f"Разрешены только цифры 0–9; уберите: {shown}."
    assert [e.value for e in at.error] == [said]
