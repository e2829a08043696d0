"""3.2 CNN: conv arithmetic, classic kernels, small CNNs trained on digits and what they learned."""

import pandas as pd
import streamlit as st
import torch

from app import widgets
from app.charts import draw_chart, heatmap, image_grid
from app.code import show_code
from app.controls import LR_CHOICES
from app.i18n import explain, t
from app.page import start_page
from app.session import device, seed
from app.training import trained_job, training_panel, why_untrained
from core.cnn import (
    ARCHS,
    DIGITS_TRAIN,
    KERNELS,
    DigitsNet,
    DigitsNetConfig,
    ResidualBlock,
    SEBlock,
    SeparableBlock,
    accuracy_vs_sklearn,
    apply_kernel,
    classic_table,
    conv_output_size,
    conv_params,
    conv_sweep,
    feature_maps,
    first_filters,
    human_count,
    kernel_check,
    kernel_gallery,
    kernel_positions,
    make_digits_job,
    pool_demo,
    pool_output_size,
    pool_sweep,
    rescale,
    separable_modules,
    separable_params,
)
from core.datasets import load_dataset
from core.trainer import TrainConfig, fit

page = start_page(__file__)
T = page.T
IMAGE_SETS = ("digits", "mnist", "fashion_mnist")


@st.cache_resource(show_spinner=False)
def cached_classics() -> list[dict]:
    return classic_table()


@st.cache_data(show_spinner=False)
def cached_sweep(n_cases: int, seed_: int) -> dict:
    return conv_sweep(n_cases, seed_)


@st.cache_data(show_spinner=False)
def cached_pool_sweep(n_cases: int, seed_: int) -> dict:
    return pool_sweep(n_cases, seed_)


@st.cache_resource(show_spinner=False)
def cached_images(name: str, seed_: int):
    return load_dataset(name, seed=seed_)


def count(model) -> int:
    return sum(p.numel() for p in model.parameters())


@st.cache_data(max_entries=128, show_spinner=False)
def conv_facts(n: int, k: int, s: int, p: int, d: int, c_in: int, c_out: int) -> tuple[tuple[int, ...], int]:
    """torch's output shape and parameter count for one Conv2d, built and run once per settings."""
    conv = torch.nn.Conv2d(c_in, c_out, k, s, p, d)
    with torch.no_grad():
        shape = tuple(conv(torch.zeros(1, c_in, n, n)).shape)
    return shape, count(conv)


@st.cache_data(max_entries=64, show_spinner=False)
def kernel_pair(name: str, seed_: int, idx: int, kernel: str):
    """The image and one classic kernel's output, rescaled to [0, 1]: (2, H, W)."""
    ds = cached_images(name, seed_)
    image = ds.X[idx].reshape(ds.image_shape)[0]
    return rescale(torch.stack([image, apply_kernel(image, KERNELS[kernel])])).numpy()


@st.cache_data(max_entries=64, show_spinner=False)
def gallery_of(name: str, seed_: int, idx: int):
    ds = cached_images(name, seed_)
    gallery, names = kernel_gallery(ds.X[idx].reshape(ds.image_shape)[0])
    return gallery.numpy(), names


@st.cache_data(max_entries=64, show_spinner=False)
def model_size(cfg: DigitsNetConfig) -> int:
    return count(DigitsNet(cfg))


@st.cache_data(max_entries=64, show_spinner=False)
def separable_counts(c_in: int, c_out: int, k: int) -> dict[str, int]:
    standard, separable = separable_modules(c_in, c_out, k)
    return {"standard": count(standard), "separable": count(separable)}


@st.cache_data(max_entries=8, show_spinner=False)
def cached_kernel_check(name: str, seed_: int) -> float:
    ds = cached_images(name, seed_)
    return kernel_check(ds.X[0].reshape(ds.image_shape)[0])


def calculator() -> dict | None:
    st.subheader(T("calc.head"))
    c1, c2, c3, c4 = st.columns(4)
    with c1:
        n = widgets.slider("cnn_n", T("calc.size"), 1, 64, 8)
        c_in = widgets.slider("cnn_cin", T("calc.c_in"), 1, 64, 1)
    with c2:
        k = widgets.slider("cnn_k", T("calc.kernel"), 1, 11, 3)
        c_out = widgets.slider("cnn_cout", T("calc.c_out"), 1, 128, 8)
    with c3:
        s = widgets.slider("cnn_s", T("calc.stride"), 1, 5, 1)
        p = widgets.slider("cnn_p", T("calc.padding"), 0, 6, 1)
    with c4:
        d = widgets.slider("cnn_d", T("calc.dilation"), 1, 4, 1)
    try:
        out = conv_output_size(n, k, s, p, d)
    except ValueError as exc:
        st.error(T("calc.bad", reason=explain(exc)))
        return None
    shape, counted = conv_facts(n, k, s, p, d, c_in, c_out)
    m1, m2, m3 = st.columns(3)
    m1.metric(T("calc.out"), f"{out} × {out}", help=T("calc.out_help"))
    m2.metric(T("calc.params"), f"{counted:,}", help=T("calc.params_help", k=k, c_in=c_in, c_out=c_out))
    m3.metric(T("calc.torch_shape"), "×".join(map(str, shape)))
    st.latex(rf"\left\lfloor \frac{{{n} + 2\cdot{p} - {d}\cdot({k}-1) - 1}}{{{s}}} \right\rfloor + 1 = {out}")
    if out <= 40 and n + 2 * p <= 80:
        rows = pd.DataFrame(kernel_positions(n, k, s, p, d))
        rows["tap"] = rows["tap"] + 1
        chart = heatmap(rows, "input", "out", "tap", T("calc.chart_title"), T("calc.chart_x"), T("calc.chart_y"),
                        value_title=T("calc.chart_tap"), scheme="viridis", height=min(360, 40 + 18 * out),
                        x_sort=list(range(-p, n + p)), y_sort=list(range(out)))
        draw_chart(chart)
        st.caption(T("calc.chart_caption"))
    return {"n": n, "k": k, "s": s, "p": p, "d": d, "c_in": c_in, "c_out": c_out, "out": out, "shape": shape,
            "counted": counted, "formula": conv_params(c_in, c_out, k)}


def pooling_section() -> None:
    st.subheader(T("pool.head"))
    st.markdown(T("pool.intro"))
    c1, c2, c3, c4 = st.columns(4)
    with c1:
        kind = widgets.select("cnn_pool_kind", T("pool.kind"), ("max", "avg"), format_func=lambda k: T(f"pool.kinds.{k}"))
        n = widgets.slider("cnn_pool_n", T("calc.size"), 2, 12, 5)
    with c2:
        k = widgets.slider("cnn_pool_k", T("calc.kernel"), 1, 5, 2)
        s = widgets.slider("cnn_pool_s", T("calc.stride"), 1, 4, 2)
    with c3:
        p = widgets.slider("cnn_pool_p", T("calc.padding"), 0, 2, 0)
        d = widgets.slider("cnn_pool_d", T("calc.dilation"), 1, 3, 1, disabled=kind == "avg")
    with c4:
        ceil_mode = widgets.toggle("cnn_pool_ceil", "ceil_mode", False, help=T("pool.ceil_help"))
    try:
        demo = pool_demo(n, kind, k, s, p, d if kind == "max" else 1, ceil_mode)
    except (ValueError, RuntimeError) as exc:
        st.error(T("calc.bad", reason=explain(exc) if isinstance(exc, ValueError) else str(exc)))
        return
    m1, m2 = st.columns(2)
    m1.metric(T("pool.formula"), f"{demo['formula']} × {demo['formula']}")
    m2.metric(T("pool.torch"), f"{demo['torch']} × {demo['torch']}")
    left, right = st.columns(2)
    left.markdown(f"**{T('pool.input')}**")
    left.dataframe(pd.DataFrame(demo["input"].numpy().astype(int)), width="stretch")
    right.markdown(f"**{T('pool.output')}**")
    right.dataframe(pd.DataFrame(demo["output"].numpy()).round(2), width="stretch")
    st.caption(T("pool.caption"))


def kernels_section(ds_name: str, ds) -> None:
    st.subheader(T("kernels.head"))
    c1, c2 = st.columns([1, 2])
    with c1:
        idx = widgets.slider("cnn_img", T("kernels.image"), 0, len(ds.y) - 1, 0)
        name = widgets.select("cnn_kernel", T("kernels.kernel"), list(KERNELS), value="edge",
                              format_func=lambda n: T(f"kernels.names.{n}"))
        st.dataframe(pd.DataFrame(KERNELS[name]).round(3), hide_index=True)
    with c2:
        draw_chart(image_grid(kernel_pair(ds_name, seed(), idx, name), [T("kernels.original"), T(f"kernels.names.{name}")],
                              T("kernels.pair_title", label=ds.class_names[int(ds.y[idx])]), cols=2, size=150))
    gallery, names = gallery_of(ds_name, seed(), idx)
    draw_chart(image_grid(gallery, [T(f"kernels.names.{n}") for n in names], T("kernels.gallery_title"),
                          cols=8, size=70))


def train_section(ds):
    st.subheader(T("train.head"))
    c1, c2, c3, c4 = st.columns(4)
    with c1:
        arch = widgets.select("cnn_arch", T("train.arch"), ARCHS, value="resnet", format_func=lambda a: T(f"train.archs.{a}"))
        se = widgets.toggle("cnn_se", T("train.se"), False, help=T("train.se_help"))
    with c2:
        width = widgets.select_slider("cnn_width", T("train.width"), (4, 8, 16, 32, 64), value=16)
        dropout = widgets.slider("cnn_dropout", t("common.dropout"), 0.0, 0.6, 0.1, 0.05)
    with c3:
        lr = widgets.select_slider("cnn_lr", t("common.lr"), LR_CHOICES, value=DIGITS_TRAIN.lr, format_func=lambda v: f"{v:g}")
        bs = widgets.select_slider("cnn_bs", t("common.batch_size"), (16, 32, 64, 128, 256), value=DIGITS_TRAIN.batch_size)
    with c4:
        epochs = widgets.slider("cnn_epochs", t("common.epochs"), 1, 60, DIGITS_TRAIN.num_epochs)
    cfg = DigitsNetConfig(arch, ds.image_shape, ds.num_classes, width, se, dropout)
    train = TrainConfig(num_epochs=epochs, batch_size=bs, optimizer="adam", lr=lr, scheduler="cosine",
                        seed=seed(), device=str(device()))
    st.caption(T("train.summary", params=f"{model_size(cfg):,}", shape="×".join(map(str, ds.image_shape)),
                 n=len(ds.y)))
    training_panel("cnn", lambda: make_digits_job(ds, cfg, train), score_title=t("train.accuracy"))
    job = trained_job("cnn")
    if job is None:
        if (untrained := why_untrained("cnn")) is not None:
            st.caption(untrained)  # a diverged run has NaN weights: no accuracy, filters or maps of it
        return None
    model = job.best_model().cpu()
    data = job.data
    acc, _ = accuracy_vs_sklearn(model, data.X_test.cpu(), data.y_test.cpu())
    st.metric(T("train.test_acc"), f"{acc:.2%}", help=T("train.test_acc_help", n=len(data.y_test)))
    filters = first_filters(model)[:16]
    draw_chart(image_grid(rescale(filters).numpy(), [f"#{i + 1}" for i in range(len(filters))],
                          T("train.filters_title"), cols=8, size=60))
    st.caption(T("train.filters_caption"))
    c1, c2 = st.columns([1, 3])
    with c1:
        i = widgets.slider("cnn_test_img", T("train.test_image"), 0, len(data.y_test) - 1, 0)
        x = data.X_test[i].cpu()
        with torch.no_grad():
            pred = int(model(x[None]).argmax(1))
        maps = feature_maps(model, x)
        stage = widgets.select("cnn_stage", T("train.stage"), list(maps))
        names = data.source.class_names
        st.markdown(T("train.pred", truth=names[int(data.y_test[i])], pred=names[pred]))
        draw_chart(image_grid(x.reshape(data.source.image_shape)[:1].numpy(), [T("train.input")], "", cols=1, size=120))
    with c2:
        fm = maps[stage][:16]
        draw_chart(image_grid(rescale(fm).numpy(), [f"ch {j + 1}" for j in range(len(fm))],
                              T("train.maps_title", stage=stage, h=fm.shape[1], w=fm.shape[2]), cols=8, size=60))
    return job


def separable_section() -> dict:
    st.subheader(T("sep.head"))
    c1, c2, c3 = st.columns(3)
    with c1:
        c_in = widgets.slider("cnn_sep_in", T("calc.c_in"), 1, 512, 64)
    with c2:
        c_out = widgets.slider("cnn_sep_out", T("calc.c_out"), 1, 512, 128)
    with c3:
        k = widgets.select("cnn_sep_k", T("calc.kernel"), [1, 3, 5, 7], value=3)
    f = separable_params(c_in, c_out, k)
    counted = separable_counts(c_in, c_out, k)
    df = pd.DataFrame([
        {T("sep.layer"): T("sep.standard"), T("sep.formula"): f"{k}²·{c_in}·{c_out} = {f['standard']:,}",
         T("sep.counted"): f"{counted['standard']:,}"},
        {T("sep.layer"): T("sep.separable"),
         T("sep.formula"): f"{k}²·{c_in} + {c_in}·{c_out} = {f['separable']:,}", T("sep.counted"): f"{counted['separable']:,}"},
    ])
    st.dataframe(df, hide_index=True)
    st.caption(T("sep.ratio", ratio=f"{f['standard'] / f['separable']:.1f}"))
    return {"formula": f, "counted": counted}


def classics_section() -> None:
    st.subheader(T("classic.head"))
    st.caption(T("classic.intro"))
    if not st.session_state.get("cnn_classics_on") and not st.button(T("classic.build"), key="cnn_classics", icon="🏛️"):
        return
    st.session_state["cnn_classics_on"] = True
    with st.spinner(T("classic.building")):
        rows = cached_classics()
    df = pd.DataFrame([{T("classic.model"): r["model"], T("classic.year"): r["year"], T("classic.input"): r["input"],
                        T("classic.depth"): r["depth"], T("classic.params"): f"{r['params']:,} ({human_count(r['params'])})",
                        T("classic.conv_share"): f"{r['conv_share']:.0%}", T("classic.builder"): r["builder"]} for r in rows])
    st.dataframe(df, hide_index=True)
    st.caption(T("classic.caption"))


with page.play:
    calc = calculator()
    st.divider()
    pooling_section()
    st.divider()
    name = widgets.select("cnn_ds", t("common.dataset"), IMAGE_SETS, format_func=lambda n: t(f"common.datasets.{n}"))
    ds = cached_images(name, seed())
    if ds.notice:
        st.info(T("offline_notice", name=t(f"common.datasets.{name}")))
    kernels_section(name, ds)
    st.divider()
    trained = train_section(ds)
    st.divider()
    sep = separable_section()
    st.divider()
    classics_section()

with page.check:
    st.markdown(T("check.conv_head"))
    sweep = cached_sweep(300, 0)
    c1, c2, c3 = st.columns(3)
    c1.metric(T("check.cases"), sweep["cases"])
    c2.metric(T("check.size_bad"), sweep["size_mismatches"])
    c3.metric(T("check.param_bad"), sweep["param_mismatches"])
    if calc is not None:
        st.caption(T("check.current", out=calc["out"], shape="×".join(map(str, calc["shape"])), formula=calc["formula"],
                     counted=calc["counted"]))
    st.markdown(T("check.pool_head"))
    pools = cached_pool_sweep(300, 0)
    c1, c2, c3 = st.columns(3)
    c1.metric(T("check.cases"), pools["cases"])
    c2.metric(T("check.ceil_cases"), pools["ceil_cases"])
    c3.metric(T("check.size_bad"), pools["mismatches"])
    st.markdown(T("check.kernel_head"))
    st.metric(T("check.kernel_diff"), f"{cached_kernel_check(name, seed()):.2e}")
    st.markdown(T("check.sep_head"))
    c1, c2 = st.columns(2)
    c1.metric(T("sep.standard"), f"{sep['formula']['standard']:,} / {sep['counted']['standard']:,}")
    c2.metric(T("sep.separable"), f"{sep['formula']['separable']:,} / {sep['counted']['separable']:,}")
    st.markdown(T("check.acc_head"))
    if trained is None:
        st.info(T("check.need_run"))
    else:
        ours, ref = accuracy_vs_sklearn(trained.best_model().cpu(), trained.data.X_test.cpu(), trained.data.y_test.cpu())
        c1, c2, c3 = st.columns(3)
        c1.metric(T("check.ours_acc"), f"{ours:.6f}")
        c2.metric(T("check.sk_acc"), f"{ref:.6f}")
        c3.metric(t("common.difference"), f"{abs(ours - ref):.2e}")

with page.code:
    st.markdown(T("code_intro"))
    show_code(conv_output_size, pool_output_size, pool_demo, pool_sweep, conv_params,
              kernel_positions, apply_kernel, SEBlock, ResidualBlock, SeparableBlock, DigitsNet,
              feature_maps, separable_params, classic_table, fit)
