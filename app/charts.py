"""Altair chart builders shared by every page: titled, labelled and with tooltips."""
from __future__ import annotations

import math
import time
from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st
import torch
from torch import nn

from core.datasets import Splits
from core.playground import boundary_grid, plot_extent

SPLIT_COLORS = alt.Scale(domain=["train", "val", "test"], range=["#4C78A8", "#F58518", "#54A24B"])
CLASS_COLORS = ("#4C78A8", "#F58518", "#54A24B", "#E45756", "#B279A2", "#72B7B2", "#EECA3B", "#9D755D")


# The y-axis title sits above the axis, horizontally: rotated, a title longer than the plot is tall
# made Vega shrink the plot and push the chart's own title out of view.
Y_TITLE_ON_TOP = {"titleAngle": 0, "titleAlign": "left", "titleAnchor": "end", "titleBaseline": "bottom",
                  "titleY": -8, "titleX": -30}
TITLE_OFFSET = 14
# Axis labels for values like learning rates: 0, 0.1, 0.003, then 5e-4 and below.
SMALL_NUMBERS = "datum.value == 0 ? '0' : abs(datum.value) >= 0.001 ? format(datum.value, '~g') : format(datum.value, '~e')"


def draw_chart(chart) -> None:
    """Draw an Altair chart, or a Vega-Lite dict, at full width, in the house style."""
    if isinstance(chart, dict):
        config = dict(chart.get("config") or {})
        config["axisY"] = {**Y_TITLE_ON_TOP, **config.get("axisY", {})}
        config["title"] = {"offset": TITLE_OFFSET, **config.get("title", {})}
        st.vega_lite_chart({**chart, "config": config}, width="stretch")
    else:
        st.altair_chart(chart.configure_axisY(**Y_TITLE_ON_TOP).configure_title(offset=TITLE_OFFSET), width="stretch")


def history_rows(records: Sequence) -> list[dict]:
    """Long rows (epoch, split, metric, value) from `EpochRecord`s or their dicts; NaN dropped."""
    rows = []
    for r in records:
        r = r if isinstance(r, dict) else r.as_dict()
        for split in ("train", "val"):
            for metric in ("loss", "score"):
                v = r.get(f"{split}_{metric}")
                if v is not None and math.isfinite(v):
                    rows.append({"epoch": r["epoch"], "split": split, "metric": metric, "value": v})
        rows.append({"epoch": r["epoch"], "split": "lr", "metric": "lr", "value": r["lr"]})
    return rows


def _line_spec(rows: list[dict], title: str, x_title: str, y_title: str, color_title: str | None,
               height: int, y_labels: str | None = None, y_zero: bool = False) -> dict:
    """A Vega-Lite line chart written as a plain dict: cheap enough to rebuild twice a second."""
    enc = {
        "x": {"field": "epoch", "type": "quantitative", "title": x_title, "axis": {"tickMinStep": 1}},
        "y": {"field": "value", "type": "quantitative", "title": y_title, "scale": {"zero": y_zero},
              **({"axis": {"labelExpr": y_labels}} if y_labels else {})},
        "tooltip": [{"field": "epoch", "type": "quantitative", "title": x_title},
                    {"field": "value", "type": "quantitative", "title": y_title, "format": ".4g"}],
    }
    if color_title:
        enc["color"] = {"field": "split", "type": "nominal", "title": color_title,
                        "scale": {"domain": ["train", "val"], "range": ["#4C78A8", "#F58518"]}}
        enc["tooltip"].insert(0, {"field": "split", "type": "nominal", "title": color_title})
    return {
        "title": title, "height": height, "data": {"values": rows},
        "mark": {"type": "line", "point": len(rows) <= 80, "tooltip": True}, "encoding": enc,
    }


def history_charts(records: Sequence, labels: dict[str, str], score_title: str | None) -> list[dict]:
    """Loss, score (if any) and learning-rate charts of a training run, as Vega-Lite dicts."""
    rows = history_rows(records)
    by = {m: [r for r in rows if r["metric"] == m] for m in ("loss", "score", "lr")}
    charts = [_line_spec(by["loss"], labels["loss_title"], labels["epoch"], labels["loss"], labels["split"], 240)]
    if score_title and by["score"]:
        charts.append(_line_spec(by["score"], score_title, labels["epoch"], score_title, labels["split"], 240))
    charts.append(_line_spec(by["lr"], labels["lr_title"], labels["epoch"], labels["lr"], None, 200, y_labels=SMALL_NUMBERS, y_zero=True))
    return charts


def line_chart(
    df: pd.DataFrame, x: str, y: str, color: str | None, title: str, x_title: str, y_title: str,
    height: int = 240, log_y: bool = False, color_title: str = "", points: bool = False,
) -> alt.Chart:
    """A line chart with a title, axis titles and a tooltip on every point."""
    whole = pd.api.types.is_integer_dtype(df[x])  # epochs, steps: no 2.5 ticks
    enc = {
        "x": alt.X(f"{x}:Q", title=x_title, axis=alt.Axis(tickMinStep=1, format="d") if whole else alt.Undefined),
        "y": alt.Y(f"{y}:Q", title=y_title, scale=alt.Scale(type="log") if log_y else alt.Undefined),
        "tooltip": [alt.Tooltip(f"{x}:Q", title=x_title), alt.Tooltip(f"{y}:Q", title=y_title, format=".4g")],
    }
    if color:
        scale = SPLIT_COLORS if set(df[color].unique()) <= {"train", "val", "test"} else alt.Undefined
        enc["color"] = alt.Color(f"{color}:N", title=color_title or color, scale=scale)
        enc["tooltip"].insert(0, alt.Tooltip(f"{color}:N", title=color_title or color))
    mark = alt.Chart(df).mark_line(point=points or len(df) < 40)
    return mark.encode(**enc).properties(title=title, height=height)


def heatmap(
    df: pd.DataFrame, x: str, y: str, value: str, title: str, x_title: str, y_title: str,
    value_title: str = "", scheme: str = "blues", text: bool = False, height: int = 300,
    x_sort=None, y_sort=None, log: bool = False,
) -> alt.Chart:
    """A rect heatmap (confusion matrices, gradient norms) with tooltips and optional cell text."""
    color = alt.Color(f"{value}:Q", title=value_title or value, legend=alt.Legend(format=".3~g"),
                      scale=alt.Scale(scheme=scheme, type="log" if log else "linear"))
    base = alt.Chart(df).encode(
        x=alt.X(f"{x}:O", title=x_title, sort=x_sort),
        y=alt.Y(f"{y}:O", title=y_title, sort=y_sort),
    )
    chart = base.mark_rect().encode(
        color=color,
        tooltip=[alt.Tooltip(f"{y}:O", title=y_title), alt.Tooltip(f"{x}:O", title=x_title),
                 alt.Tooltip(f"{value}:Q", title=value_title or value, format=".4g")],
    )
    if text:
        chart = chart + base.mark_text(fontSize=11).encode(
            text=alt.Text(f"{value}:Q", format=".0f"),
            color=alt.condition(alt.datum[value] > df[value].max() / 2, alt.value("white"), alt.value("black")),
        )
    return chart.properties(title=title, height=height)


def histogram(df: pd.DataFrame, column: str, color: str | None, title: str, x_title: str, y_title: str,
              bins: int = 40, height: int = 220, facet: str | None = None) -> alt.Chart:
    """Overlaid histograms with counts in the tooltip."""
    enc = {
        "x": alt.X(f"{column}:Q", bin=alt.Bin(maxbins=bins), title=x_title),
        "y": alt.Y("count():Q", title=y_title, stack=None),
        "tooltip": [alt.Tooltip("count():Q", title=y_title)],
    }
    if color:
        enc["color"] = alt.Color(f"{color}:N", title=color)
        enc["tooltip"].insert(0, alt.Tooltip(f"{color}:N"))
    chart = alt.Chart(df).mark_bar(opacity=0.6).encode(**enc).properties(title=title, height=height)
    return chart


def image_grid(images: np.ndarray, captions: Sequence[str], title: str, cols: int = 8, size: int = 70) -> alt.Chart:
    """Small grayscale images (N, H, W) as one faceted Altair heatmap, each with a caption."""
    n, h, w = images.shape
    ys, xs = np.mgrid[0:h, 0:w]
    frames = [
        pd.DataFrame({"x": xs.ravel(), "y": ys.ravel(), "v": img.ravel(), "caption": f"{i + 1}. {captions[i]}"})
        for i, img in enumerate(images)
    ]
    df = pd.concat(frames, ignore_index=True)
    return (
        alt.Chart(df)
        .mark_rect()
        .encode(
            x=alt.X("x:O", axis=None), y=alt.Y("y:O", axis=None),
            color=alt.Color("v:Q", scale=alt.Scale(scheme="greys"), legend=None),
            tooltip=[alt.Tooltip("caption:N"), alt.Tooltip("v:Q", format=".2f")],
        )
        .properties(width=size, height=size)
        .facet(alt.Facet("caption:N", title=None, sort=[f"{i + 1}. {c}" for i, c in enumerate(captions)]), columns=cols)
        .properties(title=title)
    )


def scatter_chart(df: pd.DataFrame, x: str, y: str, color: str | None, title: str, x_title: str, y_title: str,
                  color_title: str = "", height: int = 300, size: int = 40) -> alt.Chart:
    """Points coloured by a category (clusters, classes), with a tooltip on every point."""
    enc = {
        "x": alt.X(f"{x}:Q", title=x_title, scale=alt.Scale(zero=False)),
        "y": alt.Y(f"{y}:Q", title=y_title, scale=alt.Scale(zero=False)),
        "tooltip": [alt.Tooltip(f"{x}:Q", title=x_title, format=".3g"), alt.Tooltip(f"{y}:Q", title=y_title, format=".3g")],
    }
    if color:
        enc["color"] = alt.Color(f"{color}:N", title=color_title or color)
        enc["tooltip"].insert(0, alt.Tooltip(f"{color}:N", title=color_title or color))
    return alt.Chart(df).mark_circle(size=size, opacity=0.8).encode(**enc).properties(title=title, height=height)


def labelled_grid(df: pd.DataFrame, x: str, y: str, value: str, label: str, title: str, x_title: str, y_title: str,
                  value_title: str = "", scheme: str = "viridis", height: int = 300) -> alt.Chart:
    """A heatmap whose cells also carry a text label (an arrow, a symbol); cells with no value stay grey."""
    base = alt.Chart(df).encode(x=alt.X(f"{x}:O", title=x_title), y=alt.Y(f"{y}:O", title=y_title))
    tooltip = [alt.Tooltip(f"{y}:O", title=y_title), alt.Tooltip(f"{x}:O", title=x_title),
               alt.Tooltip(f"{label}:N", title=" "), alt.Tooltip(f"{value}:Q", title=value_title or value, format=".3g")]
    cells = base.mark_rect(stroke="white").encode(
        color=alt.condition(f"isValid(datum['{value}'])",
                            alt.Color(f"{value}:Q", title=value_title or value, scale=alt.Scale(scheme=scheme)),
                            alt.value("#bbbbbb")),
        tooltip=tooltip,
    )
    text = base.mark_text(fontSize=20, fontWeight="bold").encode(text=f"{label}:N", tooltip=tooltip)
    return (cells + text).properties(title=title, height=height)


def curve_with_point(df: pd.DataFrame, x: str, y: str, point: tuple[float, float], title: str, x_title: str,
                     y_title: str, point_title: str = "", diagonal: bool = False, height: int = 280) -> alt.Chart:
    """A curve (ROC, precision-recall) with one highlighted point, e.g. the current threshold."""
    tip = [alt.Tooltip(f"{x}:Q", title=x_title, format=".3f"), alt.Tooltip(f"{y}:Q", title=y_title, format=".3f")]
    enc = dict(x=alt.X(f"{x}:Q", title=x_title, scale=alt.Scale(domain=[0, 1])),
               y=alt.Y(f"{y}:Q", title=y_title, scale=alt.Scale(domain=[0, 1])), tooltip=tip)
    ordered = df.assign(_order=np.arange(len(df)))  # draw in the given order, not sorted by x
    curve = alt.Chart(ordered).mark_line().encode(order="_order:Q", **enc)
    dot_df = pd.DataFrame({x: [point[0]], y: [point[1]], "label": [point_title]})
    dot = alt.Chart(dot_df).mark_point(size=160, filled=True, color="#E45756").encode(
        **{**enc, "tooltip": [alt.Tooltip("label:N", title=" ")] + tip})
    layers = [curve, dot]
    if diagonal:
        layers.insert(0, alt.Chart(pd.DataFrame({x: [0.0, 1.0], y: [0.0, 1.0]})).mark_line(
            strokeDash=[4, 4], color="gray").encode(x=f"{x}:Q", y=f"{y}:Q"))
    return alt.layer(*layers).properties(title=title, height=height)


def scatter_with_line(df: pd.DataFrame, x: str, y: str, title: str, x_title: str, y_title: str,
                      line: str = "identity", height: int = 300) -> alt.Chart:
    """Points with a dashed reference line: y = x ("identity", predicted vs actual) or y = 0 ("zero", residuals)."""
    tip = [alt.Tooltip(f"{x}:Q", title=x_title, format=".3g"), alt.Tooltip(f"{y}:Q", title=y_title, format=".3g")]
    points = alt.Chart(df).mark_circle(size=40, opacity=0.7).encode(
        x=alt.X(f"{x}:Q", title=x_title, scale=alt.Scale(zero=False)),
        y=alt.Y(f"{y}:Q", title=y_title, scale=alt.Scale(zero=False)), tooltip=tip)
    lo, hi = float(min(df[x].min(), df[y].min())), float(max(df[x].max(), df[y].max()))
    ref = (pd.DataFrame({x: [lo, hi], y: [lo, hi]}) if line == "identity"
           else pd.DataFrame({x: [float(df[x].min()), float(df[x].max())], y: [0.0, 0.0]}))
    rule = alt.Chart(ref).mark_line(strokeDash=[4, 4], color="#E45756").encode(x=f"{x}:Q", y=f"{y}:Q")
    return alt.layer(points, rule).properties(title=title, height=height)


def bar_chart(df: pd.DataFrame, x: str, y: str, title: str, x_title: str, y_title: str,
              color: str | None = None, value_format: str = ".3g", height: int = 240) -> alt.Chart:
    """Vertical bars for a few categories (measured memory, time, speed), the value printed on each bar."""
    tip = [alt.Tooltip(f"{x}:N", title=x_title), alt.Tooltip(f"{y}:Q", title=y_title, format=value_format)]
    base = alt.Chart(df).encode(x=alt.X(f"{x}:N", title=x_title, sort=None, axis=alt.Axis(labelAngle=0, labelLimit=240)),
                                y=alt.Y(f"{y}:Q", title=y_title), tooltip=tip)
    bars = base.mark_bar().encode(color=alt.Color(f"{color or x}:N", legend=None))
    text = base.mark_text(dy=-7).encode(text=alt.Text(f"{y}:Q", format=value_format))
    return (bars + text).properties(title=title, height=height)


def plane_spec(title: str, x_title: str, y_title: str, lines: list[dict] | None = None, points: list[dict] | None = None,
               field: list[dict] | None = None, x_domain=None, y_domain=None, color_title: str = "",
               field_title: str = "", height: int = 340, log_x: bool = False, log_y: bool = False,
               colors: dict[str, str] | None = None, points_below: bool = False) -> dict:
    """Line segments, points and an optional coloured background field on one x–y plane.

    lines: rows {x, y, group, seg, order}; points: rows {x, y, group}; field: rows {x, y, z}.
    """
    def axis(field_name, title_, domain, log):
        scale = {"zero": False}
        if domain is not None:
            scale["domain"] = list(domain)
            scale["nice"] = False
        if log:
            scale["type"] = "log"
        return {"field": field_name, "type": "quantitative", "title": title_, "scale": scale}

    color_scale = {}
    if colors:
        color_scale = {"domain": list(colors), "range": list(colors.values())}
    layers = []
    if field:
        # cells of the regular grid: each row's rectangle spans half a step either side
        xs, ys = sorted({r["x"] for r in field}), sorted({r["y"] for r in field})
        hx = (xs[1] - xs[0]) / 2 if len(xs) > 1 else 0.5
        hy = (ys[1] - ys[0]) / 2 if len(ys) > 1 else 0.5
        layers.append({
            "data": {"values": field},
            "transform": [{"calculate": f"datum.x - {hx}", "as": "x_lo"}, {"calculate": f"datum.x + {hx}", "as": "x_hi"},
                          {"calculate": f"datum.y - {hy}", "as": "y_lo"}, {"calculate": f"datum.y + {hy}", "as": "y_hi"}],
            "mark": {"type": "rect", "opacity": 0.6, "strokeWidth": 0, "clip": True},
            "encoding": {
                "x": axis("x_lo", x_title, x_domain, log_x), "x2": {"field": "x_hi"},
                "y": axis("y_lo", y_title, y_domain, log_y), "y2": {"field": "y_hi"},
                "fill": {"field": "z", "type": "quantitative", "title": field_title,
                         "scale": {"type": "quantize", "scheme": {"name": "viridis", "count": 14}, "zero": False}},
                "tooltip": [{"field": "x", "type": "quantitative", "format": ".3g", "title": x_title},
                            {"field": "y", "type": "quantitative", "format": ".3g", "title": y_title},
                            {"field": "z", "type": "quantitative", "format": ".4g", "title": field_title}],
            },
        })
    # with a colour-bar beside the plot, the series legend goes underneath so neither gets cut off
    legend = {"orient": "bottom", "columns": 3} if field else {}
    tooltip = [{"field": "group", "type": "nominal", "title": color_title},
               {"field": "x", "type": "quantitative", "format": ".4g", "title": x_title},
               {"field": "y", "type": "quantitative", "format": ".4g", "title": y_title}]
    line_layers = []
    if lines:
        line_layers.append({
            "data": {"values": lines},
            "mark": {"type": "line", "clip": True, "strokeWidth": 2},
            "encoding": {
                "x": axis("x", x_title, x_domain, log_x), "y": axis("y", y_title, y_domain, log_y),
                "color": {"field": "group", "type": "nominal", "title": color_title, "scale": color_scale, "legend": legend},
                "detail": {"field": "seg", "type": "nominal"},
                "order": {"field": "order", "type": "quantitative"},
                "tooltip": tooltip,
            },
        })
    if points:
        layers.append({
            "data": {"values": points},
            "mark": {"type": "circle", "size": 28, "opacity": 0.7, "clip": True},
            "encoding": {
                "x": axis("x", x_title, x_domain, log_x), "y": axis("y", y_title, y_domain, log_y),
                "color": {"field": "group", "type": "nominal", "title": color_title, "scale": color_scale, "legend": legend},
                "tooltip": tooltip,
            },
        })
    layers = layers + line_layers if points_below else layers[:1 if field else 0] + line_layers + layers[1 if field else 0:]
    return {"title": title, "height": height, "layer": layers}


# --- the playground's live decision boundary ------------------------------------------------------

def boundary_spec(data: Splits, grid: dict | None, labels: dict[str, str], height: int = 420) -> dict:
    """A Vega-Lite dict: the predicted class as coloured cells (faded where unsure), train points
    filled, test points hollow. `labels` holds title, x, y, cls, split, conf, train, test."""
    classes = [str(c) for c in data.source.class_names]
    color = {"field": "cls", "type": "nominal", "title": labels["cls"],
             "scale": {"domain": classes, "range": list(CLASS_COLORS[: len(classes)])}}
    x_enc = {"field": "x", "type": "quantitative", "title": labels["x"], "scale": {"nice": False, "zero": False}}
    y_enc = {"field": "y", "type": "quantitative", "title": labels["y"], "scale": {"nice": False, "zero": False}}
    layers = []
    if grid is not None:
        hx, hy = grid["dx"] / 2, grid["dy"] / 2
        xs, ys, cls, conf = grid["x"].tolist(), grid["y"].tolist(), grid["cls"].tolist(), grid["conf"].tolist()
        cells = [{"x": x - hx, "x2": x + hx, "y": y - hy, "y2": y + hy, "cls": classes[c], "conf": round(p, 3)}
                 for x, y, c, p in zip(xs, ys, cls, conf)]
        layers.append({
            "data": {"values": cells}, "mark": {"type": "rect"},
            "encoding": {"x": x_enc, "x2": {"field": "x2"}, "y": y_enc, "y2": {"field": "y2"}, "color": color,
                         "opacity": {"field": "conf", "type": "quantitative", "legend": None,
                                     "scale": {"domain": [1 / max(2, len(classes)), 1], "range": [0.05, 0.55]}},
                         "tooltip": [{"field": "cls", "title": labels["cls"]},
                                     {"field": "conf", "title": labels["conf"], "format": ".2f"}]},
        })
    tooltip = [{"field": "split", "title": labels["split"]}, {"field": "cls", "title": labels["cls"]},
               {"field": "x", "type": "quantitative", "title": labels["x"], "format": ".2f"},
               {"field": "y", "type": "quantitative", "title": labels["y"], "format": ".2f"}]
    marks = {"train": {"type": "circle", "size": 32, "opacity": 0.95, "stroke": "white", "strokeWidth": 0.6},
             "test": {"type": "square", "size": 34, "filled": False, "strokeWidth": 1.6, "opacity": 1}}
    for split, X, y in (("train", data.X_train, data.y_train), ("test", data.X_test, data.y_test)):
        mark = marks[split]
        points = [{"x": round(a, 4), "y": round(b, 4), "cls": classes[c], "split": labels[split]}
                  for (a, b), c in zip(X.cpu().tolist(), y.cpu().tolist())]
        layers.append({"data": {"values": points}, "mark": mark,
                       "encoding": {"x": x_enc, "y": y_enc, "color": color, "tooltip": tooltip}})
    return {"title": labels["title"], "height": height, "layer": layers}


class BoundaryPainter:
    """The live decision boundary of a playground run: redrawn at most every `min_interval` seconds
    and only after a new epoch, otherwise the last spec. The page and the benchmark share it."""

    def __init__(self, data: Splits, labels: dict[str, str], min_interval: float = 1.0, resolution: int = 40) -> None:
        self.data, self.labels = data, labels
        self.min_interval, self.resolution = min_interval, resolution
        self.extent = plot_extent(torch.cat([data.X_train, data.X_test]).cpu())
        self.last_time, self.last_epoch, self.spec = -math.inf, -1, None
        self.draws = 0

    def paint(self, model: nn.Module | None, epoch: int, final: bool = False) -> dict:
        now = time.perf_counter()
        stale = epoch != self.last_epoch and (final or now - self.last_time >= self.min_interval)
        if self.spec is None or stale:
            grid = boundary_grid(model, self.extent, self.resolution) if model is not None else None
            self.spec = boundary_spec(self.data, grid, self.labels)
            self.last_time, self.last_epoch = now, epoch if model is not None else -1
            self.draws += model is not None
        return self.spec
