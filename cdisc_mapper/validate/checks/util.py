"""Helpers shared by the checks: column access by distinct value, and finding tables.

Character columns are categoricals (see :mod:`cdisc_mapper.validate.load`): a check asks for the
codes and the distinct values, decides per distinct value, and maps the decision back to rows
with one numpy take.  Findings are DataFrames with one row per finding: ``dataset``,
``variable``, ``record`` (1-based row in the file, or missing for dataset-level findings),
``usubjid``, ``value`` and an optional ``message``; any further column is available to the rule's
message template and then dropped.
"""

from __future__ import annotations

import re
from typing import Any
from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..load import Dataset

FINDING_COLUMNS = ("dataset", "variable", "record", "usubjid", "value", "message")
_EMPTY = np.array([], dtype=object)


def has(ds: Dataset, *names: str) -> bool:
    return all(n in ds.data.columns for n in names)


def is_char(ds: Dataset, name: str) -> bool:
    return isinstance(ds.data[name].dtype, pd.CategoricalDtype)


def text(ds: Dataset, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct values) of a character column; a numeric column is rendered as text."""
    col = ds.data[name]
    if isinstance(col.dtype, pd.CategoricalDtype):
        return col.cat.codes.to_numpy(), np.asarray(col.cat.categories, dtype=object)
    codes, uniq = pd.factorize(col.to_numpy(), use_na_sentinel=False)
    return codes.astype(np.int32), np.array([num_text(u) for u in uniq], dtype=object)


def values(ds: Dataset, name: str) -> np.ndarray:
    """The column as an object array of text (small datasets only)."""
    codes, cats = text(ds, name)
    return cats[codes] if len(cats) else np.full(len(codes), "", dtype=object)


def nonnull(ds: Dataset, name: str) -> np.ndarray:
    """True where the value is present (not "" / NaN)."""
    col = ds.data[name]
    if isinstance(col.dtype, pd.CategoricalDtype):
        codes, cats = text(ds, name)
        ok = np.array([c != "" for c in cats], dtype=bool)
        return ok[codes] if len(cats) else np.zeros(len(codes), dtype=bool)
    return ~np.isnan(col.to_numpy(dtype=np.float64))


def numbers(ds: Dataset, name: str) -> np.ndarray:
    """A numeric column as float64 (text converted where it is a number, else NaN)."""
    col = ds.data[name]
    if isinstance(col.dtype, pd.CategoricalDtype):
        codes, cats = text(ds, name)
        conv = pd.to_numeric(pd.Series(cats, dtype=object), errors="coerce").to_numpy(dtype=float)
        return conv[codes] if len(cats) else np.zeros(0)
    return col.to_numpy(dtype=np.float64)


def num_text(v: Any) -> str:
    """A number as the text a reviewer expects: 3.0 -> "3", NaN -> ""."""
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    if np.isnan(f):
        return ""
    if f.is_integer() and abs(f) < 1e15:
        return str(int(f))
    return repr(f)


#: Significant digits at which numbers are compared as keys (VISITNUM, ...).  An 8-byte stored
#: value carries about 16; arithmetic noise (1.1 + 0.1 = 1.2000000000000002) sits in the last one.
KEY_DIGITS = 12


def num_key(v: Any) -> str:
    """A number as a comparison key: rounded to :data:`KEY_DIGITS` significant digits, then
    written as :func:`num_text` does (``1.2000000000000002`` -> ``"1.2"``, NaN -> ``""``)."""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return "" if v is None else str(v)
    if np.isnan(f):
        return ""
    return num_text(float(f"{f:.{KEY_DIGITS}g}"))


def usubjids(ds: Dataset, rows: np.ndarray) -> np.ndarray:
    if "USUBJID" not in ds.data.columns or not len(rows):
        return np.full(len(rows), None, dtype=object)
    codes, cats = text(ds, "USUBJID")
    return cats[codes[rows]] if len(cats) else np.full(len(rows), "", dtype=object)


def found(ds: Dataset, rows: Iterable[int] | np.ndarray, variable: Any,
          value: Any = None, message: Any = None, **extra: Any) -> pd.DataFrame:
    """Record-level findings at 0-based ``rows`` of ``ds``.  ``value`` defaults to the variable's
    value on each row; any argument may be a scalar or an array aligned with ``rows``."""
    rows = np.asarray(rows, dtype=np.int64)
    n = len(rows)
    if n == 0:
        return empty()
    if value is None and isinstance(variable, str) and variable in ds.data.columns:
        codes, cats = text(ds, variable)
        value = cats[codes[rows]] if len(cats) else ""
    data = {
        "dataset": ds.name,
        "variable": variable,
        "record": rows + 1,
        "usubjid": usubjids(ds, rows),
        "value": value if value is not None else "",
        "message": message,
    }
    data.update(extra)
    return pd.DataFrame({k: _broadcast(v, n) for k, v in data.items()})


def found_dataset(ds: Dataset | str | None, variable: str | None = None, value: Any = "",
                  message: str | None = None, record: int | None = None,
                  **extra: Any) -> pd.DataFrame:
    """One dataset-level finding (no record unless given)."""
    name = ds.name if isinstance(ds, Dataset) else (ds or "")
    row = {"dataset": name, "variable": variable, "record": record, "usubjid": None,
           "value": "" if value is None else value, "message": message}
    row.update(extra)
    return pd.DataFrame([row])


def empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in FINDING_COLUMNS})


def _broadcast(v: Any, n: int) -> Any:
    if isinstance(v, (np.ndarray, pd.Series, list, tuple)):
        arr = np.asarray(v, dtype=object) if not isinstance(v, np.ndarray) else v
        if len(arr) != n:
            raise ValueError(f"finding column of length {len(arr)}, expected {n}")
        return arr
    return np.full(n, v, dtype=object)


def combine(frames: Iterable[pd.DataFrame | None]) -> pd.DataFrame | None:
    frames = [f for f in frames if f is not None and len(f)]
    if not frames:
        return None
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def pair_codes(*code_arrays: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(group id per row, first row of each group) for combinations of code arrays.  The key is
    re-factorised after each column, so it stays below n * (n + 2) and never overflows."""
    n = len(code_arrays[0])
    gid = np.zeros(n, dtype=np.int64)
    for c in code_arrays:
        c = np.asarray(c, dtype=np.int64)
        span = int(c.max()) + 2 if n else 1
        gid, _ = pd.factorize(gid * span + (c + 1))
        gid = gid.astype(np.int64, copy=False)
    ngroups = int(gid.max()) + 1 if n else 0
    first = np.empty(ngroups, dtype=np.int64)
    first[gid[::-1]] = np.arange(n - 1, -1, -1)
    return gid, first


def codes_of(ds: Dataset, name: str) -> np.ndarray:
    """Integer codes of any column (character or numeric; NaN is its own code)."""
    col = ds.data[name]
    if isinstance(col.dtype, pd.CategoricalDtype):
        return col.cat.codes.to_numpy().astype(np.int64)
    codes, _ = pd.factorize(col.to_numpy(), use_na_sentinel=False)
    return codes.astype(np.int64)


def prefixed(ds: Dataset, suffix: str) -> list[str]:
    """Variables named <domain prefix><suffix> that the dataset has, e.g. ``AESTDTC``."""
    name = ds.domain + suffix
    return [name] if name in ds.data.columns else []


def ends_with(ds: Dataset, pattern: str) -> list[str]:
    rx = re.compile(pattern)
    return [c for c in ds.data.columns if rx.search(c)]
