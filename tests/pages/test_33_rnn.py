"""3.3 RNN: gradient chart and LSTM check respond to widgets; a short training run shows the forecast, in EN and RU."""
import pytest
from conftest import open_page, texts, wait_for_jobs

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def metric(at, label_start: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(label_start))


def test_renders_all_five_parts(lang):
    at = open_page("33_rnn", lang)
    assert not at.exception
    assert len(at.tabs) == 6 and at.latex and len(at.radio) >= 3
    assert any("class LSTMFromScratch" in c.value for c in at.code)
    shown = texts(at)
    assert "⟨" not in shown, "every label has a translation"
    # the Check tab: our LSTM against nn.LSTM, and the three parameter counts agree (4·16·(3+16+2) = 1344)
    diffs = [float(m.value) for m in at.metric if "|Δ|" in m.label]
    assert len(diffs) == 3 and max(diffs) < 1e-5
    assert [m.value for m in at.metric].count("1,344") == 3
    # moving the hidden size changes the counts: 4·40·(3+40+2) = 7200
    at.slider(key="rn_ck_hidden").set_value(40).run()
    assert [m.value for m in at.metric].count("7,200") == 3 and not at.exception
    # our GRU against nn.GRU: outputs agree, and 3·40·(3+40+2) = 5400 parameters three ways
    gru = {m.label: m.value for m in at.metric if m.label.startswith("GRU:")}
    assert len(gru) == 2 and max(float(v) for v in gru.values()) < 1e-5
    assert "5,400 / 5,400 / 5,400" in [m.value for m in at.metric] and at.success


def test_gradient_controls_move_the_far_gradient():
    at = open_page("33_rnn", "en")
    before = float(metric(at, "LSTM at k"))
    at.slider(key="rn_fbias").set_value(5.0).run()
    after = float(metric(at, "LSTM at k"))
    assert after > 10 * before, "an open forget gate keeps the gradient alive"
    at.slider(key="rn_glen").set_value(20).run()
    assert any(m.label == "RNN at k = 19" for m in at.metric) and not at.exception
    at.selectbox(key="rn_signal").set_value("step").run()
    assert not at.exception and len(at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")) >= 6


def test_training_shows_forecast_and_parameter_count(lang):
    at = open_page("33_rnn", lang)
    at.select_slider(key="rn_hidden").set_value(8).run()
    at.slider(key="rn_len").set_value(15).run()
    at.slider(key="rn_epochs").set_value(2).run()
    at.button(key="train_rnn_seq").click().run()
    at = wait_for_jobs(at, timeout=300)
    assert not at.exception
    job = at.session_state["_jobs"]["rnn_seq"]
    assert job.status == "finished" and len(job.records) == 2
    n = sum(p.numel() for p in job.model.parameters())
    assert f"{n:,}" in texts(at)  # the displayed count is sum(p.numel())
    assert n == 4 * 8 * (1 + 8 + 2) + 8 + 1
    naive = "Last-value forecast MSE" if lang == "en" else "MSE прогноза «последнее значение»"
    assert float(metric(at, naive)) > 0


def test_classification_with_attention_pooling_shows_weights():
    at = open_page("33_rnn", "en")
    at.selectbox(key="rn_task").set_value("classify").run()
    at.selectbox(key="rn_kind").set_value("gru").run()
    at.selectbox(key="rn_head").set_value("attention").run()
    at.select_slider(key="rn_hidden").set_value(8).run()
    at.slider(key="rn_epochs").set_value(1).run()
    at.button(key="train_rnn_seq").click().run()
    at = wait_for_jobs(at, timeout=300)
    assert not at.exception
    assert "Test accuracy" in texts(at) and "The head puts most weight on step" in texts(at)
    at.slider(key="rn_seq").set_value(5).run()
    assert not at.exception and "True class:" in texts(at)
