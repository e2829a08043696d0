"""2.1 Kinds of data: every modality renders, widgets change what is shown, checks agree, in EN and RU."""
import re

from conftest import open_page, texts

from app.i18n import t

STEM = "21_data_kinds"


def metric(at, key, lang):
    label = t(f"{STEM}.labels.{key}", lang=lang)
    return next(m.value for m in at.metric if m.label == label)


def check_table(at, lang):
    col = t(f"{STEM}.labels.max_diff", lang=lang)
    return next(d.value for d in at.dataframe if col in d.value.columns)


def test_renders_all_five_parts_and_the_checks_agree(lang):
    at = open_page(STEM, lang)
    assert not at.exception
    assert len(at.tabs) == 6 and at.latex
    assert any("def train_bpe" in c.value for c in at.code) and any("def mel_filterbank" in c.value for c in at.code)
    assert "⟨" not in texts(at), "no missing strings"
    diffs = check_table(at, lang)[t(f"{STEM}.labels.max_diff", lang=lang)]
    assert len(diffs) == 5 and (diffs < 1e-3).all()
    assert metric(at, "fb_empty", lang) == "0" and metric(at, "fb_uncovered", lang) == "0"
    at.selectbox(key="dk_table").set_value("wine").run()
    assert "178" in texts(at)
    assert not at.exception


def test_images_show_pixels_and_channels(lang):
    at = open_page(STEM, lang)
    at.radio(key="dk_kind").set_value("images").run()
    at.slider(key="dk_row").set_value(40).run()
    at.slider(key="dk_col").set_value(10).run()
    assert not at.exception
    shown = texts(at)
    assert "R " in shown and "G " in shown and "B " in shown and "3 × 64 × 64" in shown
    assert "(40" in shown or "40," in shown or " 40" in shown
    at.slider(key="dk_digit").set_value(5).run()
    assert not at.exception
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart"), "the pixel matrix is drawn"
    assert len(at.get("image")) >= 3, "the digit and the RGB channels are drawn as images"


def test_bpe_merges_shrink_the_tokens_and_embedding_sizes_follow(lang):
    at = open_page(STEM, lang)
    at.radio(key="dk_kind").set_value("text").run()
    at.slider(key="dk_merges").set_value(0).run()
    chars_plus_ends = int(metric(at, "bpe_tokens", lang))
    at.slider(key="dk_merges").set_value(120).run()
    merged = int(metric(at, "bpe_tokens", lang))
    assert not at.exception
    assert merged < chars_plus_ends
    assert int(metric(at, "word_tokens", lang)) <= merged
    at.slider(key="dk_dim").set_value(32).run()
    assert metric(at, "embedded_shape", lang).endswith("×32")
    vocab = int(metric(at, "vocab", lang))
    assert metric(at, "onehot_shape", lang) == f"{merged}×{vocab}"


def test_audio_spectrograms_and_a_clear_error_for_too_many_mels(lang):
    at = open_page(STEM, lang)
    at.radio(key="dk_kind").set_value("audio").run()
    at.slider(key="dk_tone1").set_value(800).run()
    at.slider(key="dk_mels").set_value(64).run()
    at.selectbox(key="dk_nfft").set_value(128).run()
    assert not at.exception
    said = " ".join(e.value for e in at.error)
    assert "n_fft" in said, "too many mel bands for n_fft=128 is explained"
    assert ("бинами БПФ" in said) if lang == "ru" else ("FFT bins" in said), f"in the page's language: {said}"
    at.selectbox(key="dk_nfft").set_value(1024).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert metric(at, "fb_shape", lang) == "64×513"
    charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    assert len(charts) >= 5  # waveform, STFT, mel, MFCC, filterbank


def test_time_series_decomposition_and_acf(lang):
    at = open_page(STEM, lang)
    at.radio(key="dk_kind").set_value("timeseries").run()
    at.slider(key="dk_period").set_value(6).run()
    at.slider(key="dk_tsnoise").set_value(0.2).run()
    assert not at.exception
    caption = next(c.value for c in at.caption if "r " in c.value and " 6 =" in c.value)
    assert float(re.search(r" 6 = (-?\d+\.\d+)", caption).group(1)) > 0.5, "the ACF peaks at the period"
    diffs = check_table(at, lang)[t(f"{STEM}.labels.max_diff", lang=lang)]
    assert (diffs < 1e-5).all()
