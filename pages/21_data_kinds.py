"""2.1 Kinds of data: tables, images, text, audio and time series, each as the numbers a model sees."""

import numpy as np
import pandas as pd
import streamlit as st
import torch
from scipy.fft import dct

from app.charts import draw_chart, heatmap, histogram, line_chart
from app.code import show_code
from app.i18n import current_lang, explain, t
from app.page import start_page
from app.widgets import select, slider
from core import audio, text, timeseries
from core.datasets import load_dataset
from core.invariance import color_image

page = start_page(__file__)
T = page.T
KINDS = ("tabular", "images", "text", "audio", "timeseries")
TABLES = ("iris", "wine", "breast_cancer", "diabetes")
MAX_MERGES = 300


@st.cache_data(show_spinner=False)
def table(name: str) -> pd.DataFrame:
    ds = load_dataset(name)
    df = pd.DataFrame(ds.X.numpy(), columns=list(ds.feature_names))
    if ds.task == "regression":
        df["target"] = ds.y.numpy()
    else:
        df["target"] = pd.Categorical.from_codes(ds.y.numpy(), categories=list(ds.class_names))
    return df


@st.cache_data(show_spinner=False)
def digits_images() -> np.ndarray:
    from sklearn.datasets import load_digits

    return load_digits().images.astype(int)  # (1797, 8, 8), 0..16


@st.cache_data(show_spinner=False)
def bpe(lang: str) -> text.BPEResult:
    return text.train_bpe(text.corpus(lang), MAX_MERGES)


@st.cache_data(show_spinner=False)
def corpus_token_count(lang: str) -> int:
    return len(text.bpe_encode(text.corpus(lang), bpe(lang).merges))


@st.cache_data(show_spinner=False)
def signal(cfg: audio.SignalConfig):
    return audio.synth_signal(cfg)


@st.cache_data(show_spinner=False)
def features(cfg: audio.SignalConfig, n_fft: int, n_mels: int, n_mfcc: int) -> audio.Features:
    return audio.audio_features(signal(cfg)[1], cfg.sample_rate, n_fft, n_fft // 2, n_mels, n_mfcc)


def upscale(img: np.ndarray, k: int) -> np.ndarray:
    return np.kron(img, np.ones((k, k) + (1,) * (img.ndim - 2), dtype=img.dtype))


def grid_frame(values: np.ndarray, x_step: float, y_step: float, x_name: str, y_name: str, value: str) -> pd.DataFrame:
    """Long rows (x, y, value) of a (rows, cols) array: rows are y, columns are x."""
    ys, xs = np.mgrid[0:values.shape[0], 0:values.shape[1]]
    return pd.DataFrame({x_name: np.round(xs.ravel() * x_step, 3), y_name: np.round(ys.ravel() * y_step, 1),
                         value: values.ravel().astype(float)})


def spectro(df: pd.DataFrame, x: str, y: str, value: str, title: str, x_title: str, y_title: str, value_title: str):
    chart = heatmap(df, x, y, value, title, x_title, y_title, value_title, scheme="viridis", y_sort="descending", height=260)
    return chart.configure_axis(labelOverlap=True, labelAngle=0)


def show_tabular() -> None:
    name = select("dk_table", T("labels.table"), TABLES, format_func=lambda n: t(f"common.datasets.{n}"))
    df = table(name)
    st.caption(T("tabular_caption", rows=len(df), cols=df.shape[1] - 1))
    st.dataframe(df.head(8), width="stretch")
    c1, c2 = st.columns([1, 2])
    dtypes = pd.DataFrame({T("labels.column"): df.columns, "dtype": [str(d) for d in df.dtypes],
                           T("labels.unique"): [df[c].nunique() for c in df.columns]})
    c1.dataframe(dtypes, hide_index=True, width="stretch", height=260)
    c2.dataframe(df.describe().T.round(3), width="stretch", height=260)
    feature = select("dk_feature", T("labels.feature"), list(df.columns[:-1]))
    hue = "target" if name != "diabetes" else None
    draw_chart(histogram(df, feature, hue, T("hist_title", feature=feature), feature, T("labels.count")))


def show_images() -> None:
    index = slider("dk_digit", T("labels.digit"), 0, 99, 0)
    img = digits_images()[index]
    c1, c2 = st.columns([3, 1])
    df = grid_frame(img, 1, 1, "col", "row", "v")
    c1.altair_chart(heatmap(df, "col", "row", "v", T("pixels_title"), T("labels.col"), T("labels.row"),
                            T("labels.intensity"), scheme="greys", text=True, height=300), width="stretch")
    digit = T("digit_caption", shape="8×8", lo=0, hi=16)
    c2.image(upscale((img * 255 // 16).astype(np.uint8), 16), caption=digit, alt=digit)
    st.subheader(T("rgb_heading"))
    rgb = color_image().numpy()  # (3, H, W) uint8
    st.caption(T("rgb_caption", shape=" × ".join(map(str, rgb.shape))))
    tinted = []
    for c in range(3):
        only = np.zeros_like(rgb)
        only[c] = rgb[c]
        tinted.append(upscale(only.transpose(1, 2, 0), 3))
    names = [T("labels.red"), T("labels.green"), T("labels.blue")]
    captions = [T("labels.full")] + [f"{n}: {rgb[c].mean():.0f}" for c, n in enumerate(names)]
    st.image([upscale(rgb.transpose(1, 2, 0), 3)] + tinted, width=170, caption=captions, alt=captions)
    captions = [f"{n} (0–255)" for n in names]
    st.image([upscale(rgb[c], 3) for c in range(3)], width=170, caption=captions, alt=captions)
    row = slider("dk_row", T("labels.row"), 0, rgb.shape[1] - 1, 20)
    col = slider("dk_col", T("labels.col"), 0, rgb.shape[2] - 1, 50)
    st.markdown(T("pixel_value", row=row, col=col, r=rgb[0, row, col], g=rgb[1, row, col], b=rgb[2, row, col]))


def show_text(lang: str) -> None:
    sentences = text.corpus(lang).splitlines()
    with st.expander(T("corpus_title", n=len(sentences))):
        st.text(text.corpus(lang))
    i = select("dk_sentence", T("labels.sentence"), list(range(len(sentences))), format_func=lambda j: sentences[j][:60])
    sentence = sentences[i]
    chars, words = text.char_tokenize(sentence), text.word_tokenize(sentence)
    result = bpe(lang)
    merges = slider("dk_merges", T("labels.merges"), 0, len(result.merges), min(40, len(result.merges)))
    pieces = text.bpe_encode(sentence, result.merges[:merges])
    c1, c2, c3 = st.columns(3)
    c1.metric(T("labels.char_tokens"), len(chars))
    c2.metric(T("labels.word_tokens"), len(words))
    c3.metric(T("labels.bpe_tokens"), len(pieces))
    st.markdown(f"**{T('labels.chars')}** `{' | '.join(c if c != ' ' else '␣' for c in chars)}`")
    st.markdown(f"**{T('labels.words')}** `{' | '.join(words)}`")
    st.markdown(f"**BPE ({merges})** `{' | '.join(pieces)}`")
    c1, c2 = st.columns(2)
    counts = pd.DataFrame({"merges": range(len(result.token_counts)), "tokens": result.token_counts,
                           "vocab": result.vocab_sizes})
    c1.altair_chart(line_chart(counts, "merges", "tokens", None, T("bpe_count_title"), T("labels.merges"),
                               T("labels.corpus_tokens")), width="stretch")
    table_ = pd.DataFrame({"#": range(1, merges + 1), T("labels.pair"): [f"{a} + {b}" for a, b in result.merges[:merges]],
                           T("labels.new_token"): [a + b for a, b in result.merges[:merges]],
                           T("labels.times"): result.pair_counts[:merges]})
    c2.dataframe(table_, hide_index=True, width="stretch", height=300)
    st.caption(T("bpe_caption", before=result.token_counts[0], after=result.token_counts[merges],
                 vocab=result.vocab_sizes[merges]))
    st.subheader(T("onehot_heading"))
    dim = slider("dk_dim", T("labels.embedding_dim"), 2, 512, 64)
    vocab = text.vocabulary(text.bpe_encode(text.corpus(lang), result.merges[:merges]))
    ids = [vocab[p] for p in pieces]
    sizes = text.encoding_sizes(ids, len(vocab), dim)
    c1, c2, c3 = st.columns(3)
    c1.metric(T("labels.vocab"), sizes.vocab_size)
    c2.metric(T("labels.onehot_shape"), f"{sizes.one_hot_shape[0]}×{sizes.one_hot_shape[1]}",
              T("labels.nonzero", k=sizes.one_hot_nonzero, n=sizes.one_hot_shape[0] * sizes.one_hot_shape[1]),
              delta_color="off")
    c3.metric(T("labels.embedded_shape"), f"{sizes.embedded_shape[0]}×{sizes.embedded_shape[1]}",
              T("labels.params", n=sizes.embedding_params), delta_color="off")


def audio_settings() -> tuple[audio.SignalConfig, int, int, int]:
    c1, c2 = st.columns(2)
    with c1:
        tone1 = slider("dk_tone1", T("labels.tone1"), 100, 2000, 440, step=10)
        tone2 = slider("dk_tone2", T("labels.tone2"), 100, 3500, 1320, step=10)
        chirp_end = slider("dk_chirp", T("labels.chirp_end"), 200, 3900, 3000, step=50)
        noise = slider("dk_noise", T("labels.noise"), 0.0, 1.0, 0.05, step=0.01)
    with c2:
        n_fft = select("dk_nfft", T("labels.n_fft"), (128, 256, 512, 1024), value=256)
        n_mels = slider("dk_mels", T("labels.n_mels"), 4, 64, 40)
        n_mfcc = slider("dk_mfcc", T("labels.n_mfcc"), 2, 20, 13)
    cfg = audio.SignalConfig(tones=((float(tone1), 0.6), (float(tone2), 0.3)), chirp=(200.0, float(chirp_end), 0.3),
                             noise=float(noise))
    return cfg, n_fft, n_mels, n_mfcc


def show_audio(cfg: audio.SignalConfig, n_fft: int, n_mels: int, n_mfcc: int) -> None:
    t, x = signal(cfg)
    st.caption(T("audio_caption", sr=cfg.sample_rate, n=len(x), hz=cfg.sample_rate / n_fft, ms=1000 * n_fft / 2 / cfg.sample_rate))
    show = slice(0, int(0.04 * cfg.sample_rate))
    wave = pd.DataFrame({"t": t[show] * 1000, "x": x[show]})
    draw_chart(line_chart(wave, "t", "x", None, T("wave_title"), T("labels.time_ms"), T("labels.amplitude"), height=200))
    try:
        f = features(cfg, n_fft, n_mels, n_mfcc)
    except ValueError as e:
        st.error(T("bad_audio", reason=explain(e)))
        return
    s = grid_frame(f.stft_db, f.frame_s, f.bin_hz, "t", "hz", "db")
    draw_chart(spectro(s, "t", "hz", "db", T("stft_title", n_fft=n_fft), T("labels.time_s"), T("labels.freq"), "dB"))
    c1, c2 = st.columns(2)
    m = grid_frame(f.mel_db, f.frame_s, 1, "t", "mel", "db")
    with c1:
        draw_chart(spectro(m, "t", "mel", "db", T("mel_title", n=n_mels), T("labels.time_s"), T("labels.mel_band"), "dB"))
    c = grid_frame(f.mfcc, f.frame_s, 1, "t", "k", "c")
    with c2:
        draw_chart(spectro(c, "t", "k", "c", T("mfcc_title", n=n_mfcc), T("labels.time_s"), T("labels.coef"), T("labels.value")))
    fb = grid_frame(f.filterbank, f.bin_hz, 1, "hz", "mel", "w")
    draw_chart(spectro(fb, "hz", "mel", "w", T("fb_title"), T("labels.freq"), T("labels.mel_band"), T("labels.weight")))


def series_settings() -> tuple[timeseries.SeriesConfig, int, int]:
    c1, c2 = st.columns(2)
    with c1:
        n = slider("dk_n", T("labels.length"), 48, 400, 144, step=4)
        slope = slider("dk_slope", T("labels.slope"), -0.2, 0.2, 0.05, step=0.01)
        noise = slider("dk_tsnoise", T("labels.noise"), 0.0, 3.0, 0.5, step=0.1)
    with c2:
        period = slider("dk_period", T("labels.period"), 2, 24, 12)
        amplitude = slider("dk_amp", T("labels.amplitude"), 0.0, 5.0, 2.0, step=0.1)
        window = slider("dk_window", T("labels.window"), 2, 36, 12)
    return timeseries.SeriesConfig(n=n, slope=slope, period=period, amplitude=amplitude, noise=noise), window, min(48, n - 1)


def show_series(cfg: timeseries.SeriesConfig, window: int, max_lag: int) -> None:
    try:
        s = timeseries.make_series(cfg)
    except ValueError as e:
        st.error(explain(e))
        return
    trend = timeseries.moving_average(s["y"], window)
    parts = timeseries.decompose(s["y"], cfg.period)
    rows = pd.DataFrame({"t": np.tile(s["t"], 3), "value": np.concatenate([s["y"], trend, s["trend"]]),
                         "line": np.repeat([T("labels.series"), T("labels.ma", w=window), T("labels.true_trend")], cfg.n)})
    draw_chart(line_chart(rows.dropna(), "t", "value", "line", T("series_title"), T("labels.step"), T("labels.value"),
                          color_title=" "))
    c1, c2 = st.columns(2)
    seas = pd.DataFrame({"t": np.tile(s["t"], 2), "value": np.concatenate([parts["seasonal"], s["seasonal"]]),
                         "line": np.repeat([T("labels.estimated"), T("labels.true")], cfg.n)})
    c1.altair_chart(line_chart(seas, "t", "value", "line", T("seasonal_title"), T("labels.step"), T("labels.value"),
                               color_title=" "), width="stretch")
    resid = pd.DataFrame({"t": s["t"], "value": parts["residual"]}).dropna()
    c2.altair_chart(line_chart(resid, "t", "value", None, T("residual_title", std=np.nanstd(parts["residual"])),
                               T("labels.step"), T("labels.value")), width="stretch")
    r = timeseries.autocorrelation(s["y"], max_lag)
    band = timeseries.confidence_band(cfg.n)
    acf = pd.DataFrame({"lag": np.tile(np.arange(max_lag + 1), 3),
                        "r": np.concatenate([r, np.full(max_lag + 1, band), np.full(max_lag + 1, -band)]),
                        "line": np.repeat(["r_k", "+1.96/√n", "−1.96/√n"], max_lag + 1)})
    draw_chart(line_chart(acf, "lag", "r", "line", T("acf_title"), T("labels.lag"), "r_k", color_title=" ", points=True))
    st.caption(T("acf_caption", period=cfg.period, r=r[cfg.period] if cfg.period <= max_lag else float("nan")))


lang = current_lang()
audio_cfg: tuple = (audio.SignalConfig(), 256, 40, 13)
series_cfg: tuple = (timeseries.SeriesConfig(), 12, 48)

with page.play:
    kind = select("dk_kind", T("labels.kind"), KINDS, format_func=lambda k: T(f"kinds.{k}"), radio=True, horizontal=True)
    st.caption(T(f"kind_notes.{kind}"))
    if kind == "tabular":
        show_tabular()
    elif kind == "images":
        show_images()
    elif kind == "text":
        show_text(lang)
    elif kind == "audio":
        audio_cfg = audio_settings()
        show_audio(*audio_cfg)
    else:
        series_cfg = series_settings()
        show_series(*series_cfg)

with page.check:
    st.markdown(T("check_intro"))
    cfg, n_fft, n_mels, _ = audio_cfg
    x = torch.as_tensor(signal(cfg)[1])
    ours_stft, ref_stft = audio.our_stft_magnitude(x, n_fft, n_fft // 2), audio.stft_magnitude(x, n_fft, n_fft // 2)
    log_mel = torch.randn(40, 8, generator=torch.Generator().manual_seed(0), dtype=torch.float64).float()
    ours_dct = (audio.dct_matrix(13, 40) @ log_mel).numpy()
    ref_dct = dct(log_mel.numpy(), type=2, norm="ortho", axis=0)[:13]
    ts_cfg, _, max_lag = series_cfg
    y = timeseries.make_series(ts_cfg)["y"]
    odd = 2 * (ts_cfg.period // 2) + 1
    ma_ref = pd.Series(y).rolling(odd, center=True).mean().to_numpy()
    result = bpe(lang)
    corpus_tokens = corpus_token_count(lang)
    rows = [
        (T("checks.stft"), "our_stft_magnitude", "torch.stft", float((ours_stft - ref_stft).abs().max())),
        (T("checks.dct"), "dct_matrix @ x", "scipy.fft.dct(norm='ortho')", float(np.abs(ours_dct - ref_dct).max())),
        (T("checks.acf"), "autocorrelation", "np.correlate", float(np.abs(timeseries.autocorrelation(y, max_lag)
                                                                         - timeseries.autocorrelation_np(y, max_lag)).max())),
        (T("checks.ma", w=odd), "moving_average", "pandas rolling(center=True)",
         float(np.nanmax(np.abs(timeseries.moving_average(y, odd) - ma_ref)))),
        (T("checks.bpe"), "bpe_encode", "train_bpe", float(abs(corpus_tokens - result.token_counts[-1]))),
    ]
    st.dataframe(pd.DataFrame(rows, columns=[T("labels.what"), T("labels.ours"), T("labels.reference"), T("labels.max_diff")]),
                 hide_index=True, width="stretch", column_config={T("labels.max_diff"): st.column_config.NumberColumn(format="%.2e")})
    st.markdown(T("fb_check_intro", n_mels=n_mels, n_fft=n_fft))
    try:
        fb = audio.mel_filterbank(n_mels, n_fft, cfg.sample_rate)
        props = audio.filterbank_properties(fb, n_fft, cfg.sample_rate)
        c1, c2, c3, c4 = st.columns(4)
        c1.metric(T("labels.fb_shape"), f"{props['shape'][0]}×{props['shape'][1]}", f"n_fft//2+1 = {n_fft // 2 + 1}", delta_color="off")
        c2.metric(T("labels.fb_min"), f"{props['min_value']:.3g}")
        c3.metric(T("labels.fb_empty"), props["empty_filters"])
        c4.metric(T("labels.fb_uncovered"), props["uncovered_bins"])
        st.caption(T("fb_caption", lo=props["lowest_hz"], hi=props["highest_hz"], mel=float(audio.hz_to_mel(1000.0))))
    except ValueError as e:
        st.error(T("bad_audio", reason=explain(e)))

with page.code:
    st.markdown(T("code_intro"))
    show_code(text.train_bpe, text.bpe_encode, text.encoding_sizes, audio.mel_filterbank, audio.audio_features,
              audio.our_stft_magnitude, audio.dct_matrix, timeseries.moving_average, timeseries.decompose,
              timeseries.autocorrelation)
