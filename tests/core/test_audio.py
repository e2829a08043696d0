"""Our STFT, mel filterbank and DCT against torch and scipy."""
import numpy as np
import pytest
import torch
from scipy.fft import dct

from core import audio


@pytest.mark.parametrize("n_mels,n_fft,sr", [(40, 256, 8000), (64, 1024, 16000), (8, 128, 8000), (128, 2048, 22050)])
def test_mel_filterbank_shape_nonnegative_nonempty_and_covers_the_range(n_mels, n_fft, sr):
    fb = audio.mel_filterbank(n_mels, n_fft, sr)
    assert fb.shape == (n_mels, n_fft // 2 + 1)
    assert (fb >= 0).all()
    assert (fb.max(dim=1).values > 0).all(), "every filter is non-zero somewhere"
    freqs = np.linspace(0, sr / 2, n_fft // 2 + 1)
    inside = (freqs > 0) & (freqs < sr / 2)
    assert (fb[:, inside].sum(dim=0) > 0).all(), "together the filters span (f_min, f_max)"
    props = audio.filterbank_properties(fb, n_fft, sr)
    assert props["empty_filters"] == 0 and props["uncovered_bins"] == 0 and props["peaks_increasing"]
    assert props["lowest_hz"] <= freqs[1] and props["highest_hz"] >= freqs[-2]


def test_mel_filterbank_respects_f_min_f_max_and_peaks_at_one():
    fb = audio.mel_filterbank(20, 512, 16000, f_min=300, f_max=4000)
    freqs = np.linspace(0, 8000, 257)
    assert fb[:, freqs <= 300].sum() == 0 and fb[:, freqs >= 4000].sum() == 0
    assert fb.max() <= 1 and fb.max() > 0.9


def test_slaney_norm_gives_equal_areas_in_hz():
    n_fft, sr = 4096, 16000
    fb = audio.mel_filterbank(10, n_fft, sr, norm="slaney").numpy()
    areas = fb.sum(axis=1) * sr / n_fft  # ≈ ∫ triangle · 2/width df = 1
    np.testing.assert_allclose(areas, 1.0, atol=0.02)


def test_mel_scale_is_htk_and_invertible():
    assert abs(float(audio.hz_to_mel(1000.0)) - 1000.0) < 0.1
    f = np.array([0.0, 100.0, 4000.0, 11025.0])
    np.testing.assert_allclose(audio.mel_to_hz(audio.hz_to_mel(f)), f, atol=1e-6)


def test_too_many_mels_for_the_fft_gives_a_clear_error():
    with pytest.raises(ValueError, match="fewer mel bands"):
        audio.mel_filterbank(128, 256, 16000)
    with pytest.raises(ValueError):
        audio.mel_filterbank(10, 256, 8000, f_max=5000)


@pytest.mark.parametrize("n_fft,hop", [(256, 128), (512, 128), (128, 64)])
def test_our_stft_magnitude_equals_torch_stft(n_fft, hop):
    _, x = audio.synth_signal(audio.SignalConfig(duration=0.25))
    x = torch.as_tensor(x)
    ours, ref = audio.our_stft_magnitude(x, n_fft, hop), audio.stft_magnitude(x, n_fft, hop)
    assert ours.shape == ref.shape
    assert (ours - ref).abs().max() < 1e-3 * ref.abs().max()


def test_dct_matrix_equals_scipy_orthonormal_dct2():
    x = np.random.default_rng(0).normal(size=(40, 7))
    ours = audio.dct_matrix(13, 40).double().numpy() @ x
    np.testing.assert_allclose(ours, dct(x, type=2, norm="ortho", axis=0)[:13], atol=1e-5)


def test_tone_shows_up_at_its_frequency_in_the_spectrogram():
    cfg = audio.SignalConfig(tones=((1000.0, 1.0),), chirp=(200.0, 200.0, 0.0), noise=0.0)
    f = audio.audio_features(audio.synth_signal(cfg)[1], cfg.sample_rate, 256, 128, 40, 13)
    peak_bin = f.stft_db[:, 5].argmax()
    assert abs(peak_bin * f.bin_hz - 1000) <= f.bin_hz
    assert f.mel_db.shape == (40, f.stft_db.shape[1]) and f.mfcc.shape == (13, f.stft_db.shape[1])


def test_bad_feature_settings_raise():
    _, x = audio.synth_signal(audio.SignalConfig(duration=0.01))
    with pytest.raises(ValueError):
        audio.audio_features(x, 8000, 1024, 512, 20, 13)
    _, x = audio.synth_signal(audio.SignalConfig())
    with pytest.raises(ValueError):
        audio.audio_features(x, 8000, 256, 128, 10, 13)
