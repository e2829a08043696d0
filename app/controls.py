"""Widget groups that build a `core.recipes.Recipe`: data, model and training settings."""
from __future__ import annotations

from dataclasses import replace

import streamlit as st

from app import widgets
from app.i18n import t
from app.session import device, seed
from app.text import explain_md
from core.csv_loader import MAX_BYTES, CSVError, load_csv
from core.datasets import DATASETS, TORCHVISION_SETS, Dataset, load_dataset
from core.models import ACTIVATIONS
from core.preprocessing import SCALERS
from core.recipes import Recipe
from core.trainer import OPTIMIZERS, SCHEDULERS, TrainConfig

# What each training widget can hold. Streamlit would show a default outside these as another value
# (a select slider its first option), so the widgets refuse one, and a test draws every recipe.
LR_CHOICES = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0, 10.0)
BATCH_CHOICES = (8, 16, 32, 64, 128, 256, 512)
WD_CHOICES = (0.0, 1e-5, 1e-4, 1e-3, 1e-2, 0.1)
CLIP_CHOICES = (0.0, 0.1, 0.5, 1.0, 5.0, 10.0)
EPOCHS_RANGE = (1, 200)
PATIENCE_RANGE = (0, 50)
DROPOUT_RANGE = (0.0, 0.8, 0.05)  # min, max, step
WIDTHS_RANGE = (1, 1024, 12)  # narrowest, widest, most layers


def dataset_picker(prefix: str, allowed: tuple[str, ...] | None = None, csv: bool = True) -> Dataset | None:
    """Pick a built-in, torchvision or uploaded dataset. Returns None when a CSV is bad or missing."""
    names = list(allowed or DATASETS) + ([] if allowed else list(TORCHVISION_SETS)) + (["csv"] if csv else [])
    name = widgets.select(f"{prefix}ds", t("common.dataset"), names, format_func=lambda n: t(f"common.datasets.{n}"))
    if name == "csv":
        return csv_uploader(prefix)
    ds = load_dataset(name, seed=seed())
    if ds.notice:
        st.info(ds.notice)
    return ds


def csv_uploader(prefix: str) -> Dataset | None:
    """Upload, choose the target column, and get a validated dataset or a specific message."""
    up = st.file_uploader(t("common.csv_file", limit=f"{MAX_BYTES / 2**20:g}"), type=["csv", "txt"], key=f"{prefix}csv")
    if up is None:
        return None
    raw = up.getvalue()
    target = st.text_input(t("common.csv_target"), value="", key=f"{prefix}csv_target",
                           placeholder=t("common.csv_target_placeholder")).strip() or None
    try:
        return load_csv(raw, target=target, name=up.name)
    except CSVError as exc:
        st.error(explain_md(exc, "csv"))  # user text (column names, the target) escaped, library text kept as a detail
        return None


def model_controls(prefix: str, ds: Dataset, default: Recipe) -> dict:
    """Model type, widths, activation, dropout, BatchNorm, scaling."""
    models = ["mlp", "cnn"] if ds.image_shape is not None else ["mlp"]
    c1, c2, c3 = st.columns(3)
    with c1:
        model = widgets.select(f"{prefix}model", t("common.model"), models,
                               value=default.model if default.model in models else "mlp",
                               format_func=str.upper)
        scaler = widgets.select(f"{prefix}scaler", t("common.scaler"), list(SCALERS), value=default.scaler,
                                format_func=lambda s: t(f"common.scalers.{s}"))
    with c2:
        hidden = widgets.int_list(f"{prefix}hidden", t("common.hidden"), default.hidden, *WIDTHS_RANGE,
                                  help=t("common.hidden_help"), disabled=model == "cnn")
        activation = widgets.select(f"{prefix}act", t("common.activation"), list(ACTIVATIONS),
                                    value=default.activation, disabled=model == "cnn")
    with c3:
        dropout = widgets.slider(f"{prefix}dropout", t("common.dropout"), *DROPOUT_RANGE[:2], default.dropout,
                                 DROPOUT_RANGE[2])
        batch_norm = widgets.toggle(f"{prefix}bn", t("common.batch_norm"), default.batch_norm, disabled=model == "cnn")
    return dict(model=model, scaler=scaler, hidden=hidden, activation=activation, dropout=dropout,
                batch_norm=batch_norm)


def train_controls(prefix: str, default: TrainConfig, advanced: bool = True) -> TrainConfig:
    """Optimizer, lr, epochs, batch size and, when `advanced`, the scheduler, decay, clipping, AMP."""
    c1, c2, c3 = st.columns(3)
    with c1:
        optimizer = widgets.select(f"{prefix}opt", t("common.optimizer"), OPTIMIZERS, value=default.optimizer,
                                   format_func=lambda o: t(f"common.optimizers.{o}"))
        lr = widgets.select_slider(f"{prefix}lr", t("common.lr"), LR_CHOICES, value=default.lr, format_func=lambda v: f"{v:g}")
    with c2:
        num_epochs = widgets.slider(f"{prefix}epochs", t("common.epochs"), *EPOCHS_RANGE, default.num_epochs)
        batch_size = widgets.select_slider(f"{prefix}bs", t("common.batch_size"), BATCH_CHOICES, value=default.batch_size)
    config = replace(default, optimizer=optimizer, lr=lr, num_epochs=num_epochs, batch_size=batch_size,
                     seed=seed(), device=str(device()))
    if not advanced:
        return config
    with c3:
        scheduler = widgets.select(f"{prefix}sched", t("common.scheduler"), SCHEDULERS, value=default.scheduler,
                                   format_func=lambda s: t(f"common.schedulers.{s}"))
        weight_decay = widgets.select_slider(f"{prefix}wd", t("common.weight_decay"), WD_CHOICES,
                                             value=default.weight_decay, format_func=lambda v: f"{v:g}")
    c4, c5, c6 = st.columns(3)
    with c4:
        patience = widgets.slider(f"{prefix}pat", t("common.patience"), *PATIENCE_RANGE, default.patience)
    with c5:
        clip = widgets.select_slider(f"{prefix}clip", t("common.clip"), CLIP_CHOICES,
                                     value=default.clip_grad_norm, format_func=lambda v: f"{v:g}")
    with c6:
        amp = widgets.toggle(f"{prefix}amp", t("common.amp"), default.amp, help=t("common.amp_help"))
    return replace(config, scheduler=scheduler, weight_decay=weight_decay, patience=patience,
                   clip_grad_norm=clip, amp=amp)


def score_title(task: str) -> str:
    return t("train.r2") if task == "regression" else t("train.accuracy")
