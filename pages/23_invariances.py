"""2.3 Invariances and preprocessing: augmentations, conv equivariance vs pooled invariance, word order."""

import numpy as np
import pandas as pd
import streamlit as st
import torch
from sklearn.feature_extraction.text import CountVectorizer
from torchvision.transforms.v2 import InterpolationMode
from torchvision.transforms.v2 import functional as TF

from app.charts import draw_chart, heatmap, image_grid
from app.code import show_code
from app.i18n import lookup
from app.page import start_page
from app.session import seed
from app.widgets import select, slider, toggle
from core import invariance as inv

page = start_page(__file__)
T = page.T
SECTIONS = ("augment", "conv", "words", "preprocess")


@st.cache_data(show_spinner=False)
def base_image() -> np.ndarray:
    return inv.color_image().numpy()


@st.cache_data(show_spinner=False)
def augmented(cfg: inv.AugmentConfig) -> np.ndarray:
    return inv.augment(torch.as_tensor(base_image()), cfg).numpy()


@st.cache_data(show_spinner=False)
def random_samples(strength: float, seed_: int) -> list[np.ndarray]:
    return [a.numpy() for a in inv.random_augmentations(torch.as_tensor(base_image()), strength, 6, seed_)]


@st.cache_data(show_spinner=False)
def shifted(index: int, dx: int, dy: int, pool: str) -> inv.ShiftReport:
    return inv.shift_report(index, dx, dy, pool)


def hwc(img: np.ndarray, k: int = 4) -> np.ndarray:
    """(3, H, W) uint8 → (k·H, k·W, 3) for st.image."""
    return np.kron(img.transpose(1, 2, 0), np.ones((k, k, 1), dtype=img.dtype))


def show_augment() -> None:
    c1, c2, c3 = st.columns(3)
    with c1:
        angle = slider("iv_angle", T("labels.angle"), -180, 180, 0, step=5)
        crop = slider("iv_crop", T("labels.crop"), 0.3, 1.0, 1.0, step=0.05)
        hflip = toggle("iv_hflip", T("labels.hflip"))
        vflip = toggle("iv_vflip", T("labels.vflip"))
    with c2:
        brightness = slider("iv_bright", T("labels.brightness"), 0.2, 2.0, 1.0, step=0.05)
        contrast = slider("iv_contrast", T("labels.contrast"), 0.2, 2.0, 1.0, step=0.05)
    with c3:
        saturation = slider("iv_sat", T("labels.saturation"), 0.0, 2.0, 1.0, step=0.05)
        hue = slider("iv_hue", T("labels.hue"), -0.5, 0.5, 0.0, step=0.05)
    cfg = inv.AugmentConfig(float(angle), hflip, vflip, brightness, contrast, saturation, hue, crop)
    before, after = base_image(), augmented(cfg)
    names = [T("labels.before"), T("labels.after")]
    st.image([hwc(before), hwc(after)], caption=names, alt=names, width=256)
    diff = np.abs(after.astype(int) - before.astype(int))
    st.caption(T("aug_caption", shape=tuple(after.shape), changed=float((diff.sum(0) > 0).mean() * 100), mean=float(diff.mean())))
    st.subheader(T("random_heading"))
    strength = slider("iv_strength", T("labels.strength"), 0.0, 1.0, 0.5, step=0.1)
    samples = random_samples(strength, seed())
    st.image([hwc(s, 2) for s in samples], width=128, caption=[f"#{i + 1}" for i in range(len(samples))],
             alt=[f"{T('labels.strength')} {strength}: #{i + 1}" for i in range(len(samples))])
    st.caption(T("random_caption"))


def show_conv() -> None:
    c1, c2 = st.columns(2)
    with c1:
        index = slider("iv_digit", T("labels.digit"), 0, 29, 0)
        pool = select("iv_pool", T("labels.pool"), ("max", "avg"), format_func=lambda p: T(f"pools.{p}"))
    with c2:
        dx = slider("iv_dx", T("labels.dx"), -5, 5, 3)
        dy = slider("iv_dy", T("labels.dy"), -5, 5, 0)
    rep = shifted(index, dx, dy, pool)
    x = inv.digit_canvas(index, dx, dy)[0].numpy()  # (1, 20, 20)
    maps = np.concatenate([x, rep.maps / max(rep.maps.max(), 1e-9)])
    names = [T("labels.input")] + [T(f"kernels.{k}") for k in ("vertical", "horizontal", "blur", "diagonal")]
    draw_chart(image_grid(maps, names, T("maps_title", dx=dx, dy=dy), cols=5, size=120))
    c1, c2, c3 = st.columns(3)
    c1.metric(T("labels.equi_err"), f"{rep.equivariance_error:.1e}")
    c2.metric(T("labels.pool_diff"), f"{np.abs(rep.pooled_original - rep.pooled_shifted).max():.1e}")
    c3.metric(T("labels.flat_diff"), f"{np.abs(rep.flat_original - rep.flat_shifted).max():.3f}")
    table = pd.DataFrame({
        T("labels.representation"): [T("labels.pooled")] * 4 + [T("labels.flat")] * 3,
        T("labels.component"): [T(f"kernels.{k}") for k in ("vertical", "horizontal", "blur", "diagonal")] + ["y₁", "y₂", "y₃"],
        T("labels.original"): np.concatenate([rep.pooled_original, rep.flat_original]),
        T("labels.shifted"): np.concatenate([rep.pooled_shifted, rep.flat_shifted]),
    })
    table[T("labels.difference")] = (table[T("labels.shifted")] - table[T("labels.original")]).abs()
    st.dataframe(table.round(4), hide_index=True, width="stretch")
    st.caption(T("conv_caption"))


def show_words() -> list[str]:
    pairs = lookup(f"{page.stem}.pairs")
    i = select("iv_pair", T("labels.pair"), list(range(len(pairs))), format_func=lambda j: " ↔ ".join(pairs[j]))
    sentences = list(pairs[i])
    vocab, bow = inv.bag_of_words(sentences)
    equal = bool((bow[0] == bow[1]).all())
    st.markdown(f"#### {T('bow_heading')}")
    st.dataframe(pd.DataFrame(bow, index=sentences, columns=vocab), width="stretch")
    (st.error if equal else st.info)(T("bow_equal") if equal else T("bow_differ"))
    st.markdown(f"#### {T('order_heading')}")
    grams, big = inv.bigrams(sentences)
    st.dataframe(pd.DataFrame(big, index=sentences, columns=grams), width="stretch")
    c1, c2 = st.columns(2)
    for col, s in zip((c1, c2), sentences):
        oh = inv.position_one_hot(s, vocab)
        df = pd.DataFrame([(vocab[j], f"{t + 1}. {w}", int(oh[t, j])) for t, w in enumerate(inv.tokens(s)) for j in range(len(vocab))],
                          columns=["word", "position", "v"])
        col.altair_chart(heatmap(df, "word", "position", "v", T("seq_title", s=s), T("labels.vocab_word"), T("labels.position"),
                                 "one-hot", height=160, y_sort=None, x_sort=vocab), width="stretch")
    st.success(T("order_differs") if (big[0] != big[1]).any() else T("order_same"))
    return sentences


def show_preprocess() -> None:
    rows = lookup(f"{page.stem}.prep_rows")
    st.dataframe(pd.DataFrame(rows, columns=lookup(f"{page.stem}.prep_columns")), hide_index=True, width="stretch")
    st.markdown(f"#### {T('pipeline_heading')}")
    out = inv.imagenet_preprocess(torch.as_tensor(base_image()))
    c1, c2, c3 = st.columns(3)
    c1.metric(T("labels.in_tensor"), "uint8 (3, 64, 64)", T("labels.range", lo=0, hi=255), delta_color="off")
    c2.metric(T("labels.out_tensor"), f"{str(out.dtype).replace('torch.', '')} {tuple(out.shape)}",
              T("labels.range2", lo=float(out.min()), hi=float(out.max())), delta_color="off")
    c3.metric(T("labels.channel_means"), " / ".join(f"{m:.2f}" for m in out.mean(dim=(1, 2)).tolist()))
    st.caption(T("pipeline_caption"))


section = "augment"
sentences = list(lookup(f"{page.stem}.pairs")[0])

with page.play:
    section = select("iv_section", T("labels.section"), SECTIONS, format_func=lambda s: T(f"sections.{s}"), radio=True,
                     horizontal=True)
    st.caption(T(f"section_notes.{section}"))
    if section == "augment":
        show_augment()
    elif section == "conv":
        show_conv()
    elif section == "words":
        sentences = show_words()
    else:
        show_preprocess()

with page.check:
    st.markdown(T("check_intro"))
    img = torch.as_tensor(base_image())
    vocab, bow = inv.bag_of_words(sentences)
    cv = CountVectorizer(token_pattern=r"(?u)\b\w+\b")
    ref_bow = cv.fit_transform(sentences).toarray()
    grams, big = inv.bigrams(sentences)
    cv2 = CountVectorizer(token_pattern=r"(?u)\b\w+\b", ngram_range=(2, 2))
    ref_big = cv2.fit_transform(sentences).toarray()
    rep = shifted(0, 3, -2, "max")
    rows = [
        (T("checks.bow"), "bag_of_words", "CountVectorizer",
         T("labels.same_vocab") if vocab == list(cv.get_feature_names_out()) else T("labels.other_vocab"),
         int(np.abs(bow - ref_bow).max()) if bow.shape == ref_bow.shape else -1),
        (T("checks.bigrams"), "bigrams", "CountVectorizer(ngram_range=(2, 2))",
         T("labels.same_vocab") if grams == list(cv2.get_feature_names_out()) else T("labels.other_vocab"),
         int(np.abs(big - ref_big).max()) if big.shape == ref_big.shape else -1),
        (T("checks.hflip"), "torch.flip(img, [-1])", "TF.horizontal_flip", "",
         int((torch.flip(img, [-1]).int() - TF.horizontal_flip(img).int()).abs().max())),
        (T("checks.rot90"), "torch.rot90(img, 1, (1, 2))", "TF.rotate(90, NEAREST)", "",
         int((torch.rot90(img, 1, (1, 2)).int() - TF.rotate(img, 90, InterpolationMode.NEAREST).int()).abs().max())),
        (T("checks.brightness"), "floor(clamp(1.5·img))", "TF.adjust_brightness(1.5)", "",
         int(((img.float() * 1.5).clamp(0, 255).floor().int() - TF.adjust_brightness(img, 1.5).int()).abs().max())),
        (T("checks.equivariance"), "conv(shift(x))", "shift(conv(x))", "dx=3, dy=−2", float(rep.equivariance_error)),
        (T("checks.pooling"), "maxpool(conv(shift(x)))", "maxpool(conv(x))", "dx=3, dy=−2",
         float(np.abs(rep.pooled_original - rep.pooled_shifted).max())),
    ]
    cols = [T("labels.what"), T("labels.ours"), T("labels.reference"), T("labels.note"), T("labels.max_diff")]
    st.dataframe(pd.DataFrame(rows, columns=cols).astype({cols[4]: float}), hide_index=True, width="stretch")
    st.caption(T("check_caption"))

with page.code:
    st.markdown(T("code_intro"))
    show_code(inv.augment, inv.random_pipeline, inv.edge_conv, inv.shift_report, inv.bag_of_words, inv.bigrams,
              inv.position_one_hot, inv.imagenet_preprocess)
