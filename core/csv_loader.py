"""Load a learner's CSV into a `Dataset`, refusing bad input with a specific reason."""
from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd
import torch

from core.datasets import Dataset
from core.errors import InputError

MAX_BYTES = 20 * 2**20
MAX_ROWS = 200_000
MIN_ROWS = 10
MIN_PER_CLASS = 10  # so that a stratified split puts every class in each part: 70/15/15 (5.2), or a 10% test share (3.1)
MAX_CLASSES_FOR_AUTO = 20
# Larger magnitudes are refused: their squares, summed over MAX_ROWS rows (a variance, an MSE),
# would overflow float32 (3.4e38), in which every model here trains.
MAX_ABS = 1e15


class CSVError(InputError):
    """A CSV that cannot be used; its codes are explained under `csv.<code>`."""


def _refuse(bad: np.ndarray, columns: list, code: str, what: str, **params) -> None:
    """Raise `code` when any cell of the (rows, columns) mask `bad` is set, naming the columns."""
    if bad.any():
        cols = [str(c) for c, hit in zip(columns, bad.any(axis=0)) if hit]
        count = int(bad.sum())
        raise CSVError(code, f"{count} {what} in {cols}", count=count, columns=", ".join(cols[:10]), **params)


def _megabytes(n: int) -> str:
    mb = n / 2**20
    return f"{mb:.1f}" if mb >= 0.1 else f"{mb:.2g}"


def _first_line(exc: Exception) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0][:200] if lines else type(exc).__name__


def _infer_task(target: pd.Series) -> str:
    if not pd.api.types.is_numeric_dtype(target):
        return "multiclass"
    values = target.to_numpy()
    is_int = np.all(np.equal(np.mod(values, 1), 0))
    if is_int and target.nunique() <= MAX_CLASSES_FOR_AUTO:
        return "binary" if target.nunique() == 2 else "multiclass"
    return "regression"


def load_csv(
    raw: bytes,
    target: str | None = None,
    task: str = "auto",
    name: str = "csv",
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_ROWS,
) -> Dataset:
    """Parse `raw` CSV bytes. The target defaults to the last column; the task is inferred."""
    if len(raw) > max_bytes:
        raise CSVError("too_large", f"file is {_megabytes(len(raw))} MB, over the {_megabytes(max_bytes)} MB limit",
                       size=_megabytes(len(raw)), limit=_megabytes(max_bytes))
    if not raw.strip():
        raise CSVError("empty", "the file is empty")
    try:
        df = pd.read_csv(io.BytesIO(raw), nrows=max_rows + 1)
    except UnicodeDecodeError as exc:  # pandas reads UTF-8; its position counts from a chunk, not the file
        raise CSVError("not_utf8", f"not UTF-8 text: {exc.reason}", detail=_first_line(exc)) from exc
    except ValueError as exc:  # pandas' ParserError and EmptyDataError are ValueErrors
        ragged = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if ragged:
            expected, line, got = map(int, ragged.groups())
            raise CSVError("ragged", f"line {line} has {got} fields, the header {expected}",
                           line=line, got=got, expected=expected) from exc
        raise CSVError("unreadable", f"not readable as CSV: {_first_line(exc)}", detail=_first_line(exc)) from exc
    if len(df) == 0:
        raise CSVError("header_only", "the file has a header but no rows")
    if len(df) > max_rows:
        raise CSVError("too_many_rows", f"more than {max_rows} rows", rows=f"> {max_rows}", limit=max_rows)
    if df.shape[1] < 2:
        raise CSVError("too_few_columns", "need at least one feature and one target column")
    target = df.columns[-1] if target is None else target
    if target not in df.columns:
        cols = ", ".join(map(str, df.columns[:20]))
        raise CSVError("bad_target", f"no column named {target!r}", target=target, columns=cols)
    features = df.drop(columns=[target])
    non_numeric = [str(c) for c in features.columns if not pd.api.types.is_numeric_dtype(features[c])]
    if non_numeric:
        raise CSVError("non_numeric", f"non-numeric feature columns: {non_numeric}", columns=", ".join(non_numeric[:10]))
    missing = df.isna()
    if missing.values.any():
        cols = [str(c) for c in df.columns[missing.any().to_numpy()]]
        count = int(missing.values.sum())
        raise CSVError("missing", f"{count} missing cells in {cols}", count=count, columns=", ".join(cols[:10]))
    y_col = df[target]
    numeric = [c for c in df.columns if c != target or pd.api.types.is_numeric_dtype(y_col)]
    _refuse(np.isinf(df[numeric].to_numpy(dtype=np.float64)), numeric, "infinite", "infinite cells")
    task = _infer_task(y_col) if task == "auto" else task
    sized = [c for c in numeric if c != target or task == "regression"]  # class labels are only names
    magnitude = np.abs(df[sized].to_numpy(dtype=np.float64))
    _refuse(magnitude > MAX_ABS, sized, "huge_values", f"cells beyond ±{MAX_ABS:g}", limit=MAX_ABS,
            largest=float(magnitude.max(initial=0)))
    X = np.array(features.to_numpy(dtype=np.float32), copy=True)  # a writable copy: pandas may hand out a read-only view
    if len(df) < MIN_ROWS:
        raise CSVError("too_few_rows", f"only {len(df)} rows", rows=len(df), minimum=MIN_ROWS)
    if task == "regression":
        if not pd.api.types.is_numeric_dtype(y_col):
            raise CSVError("non_numeric", "a regression target must be numeric", columns=str(target))
        y = torch.tensor(y_col.to_numpy(dtype=np.float32))
        classes: tuple[str, ...] = ()
    else:
        labels = sorted(y_col.unique(), key=str)
        if len(labels) < 2:
            raise CSVError("single_class", "only one class in the target", target=target, value=str(labels[0]))
        counts = y_col.value_counts().sort_values()
        rare = counts[counts < MIN_PER_CLASS]
        if len(rare):  # a stratified split would fail in scikit-learn, or leave a split without the class
            raise CSVError("rare_class", f"{len(rare)} classes have fewer than {MIN_PER_CLASS} rows",
                           target=str(target), value=str(rare.index[0]), count=int(rare.iloc[0]), rare=len(rare),
                           minimum=MIN_PER_CLASS)
        index = {v: i for i, v in enumerate(labels)}
        y = torch.tensor(y_col.map(index).to_numpy(dtype=np.int64))
        classes = tuple(str(v) for v in labels)
        task = "binary" if len(classes) == 2 else "multiclass"
    return Dataset(name, torch.as_tensor(X), y, task, tuple(map(str, features.columns)), classes)
