"""The closed vocabulary of ADaM derivation methods.

An ADaM spec lists its derivations in order, each naming one method (``method:
derive_var_extreme_flag``).  Each name maps to exactly one small Python function registered here
with :func:`method`, with the JSON Schema of its parameters, a one-line summary, an example, and
two small functions of its parameters:

* ``io(params)`` — which variables the step reads (in the dataset being built and in the other
  datasets it names), which it writes, and which parameters (PARAMCD values) it reads or creates.
  The engine checks all of this against the SDTM files and the earlier steps *before* anything
  runs, so a misspelt variable is reported by file, line and key;
* ``describe(params)`` — plain-English text per written variable, for define.xml and the lineage
  file.

The functions follow admiral's conventions: the first argument is the dataset (a DataFrame), then
keyword arguments named as in admiral (``by_vars``, ``order``, ``new_var``, ``filter``,
``dataset_add``, ``set_values_to``); they return a new DataFrame and never add metadata (labels,
lengths and types come from the spec).  Other datasets named by a step (``dataset_add``,
``dataset_ref``) reach the function as DataFrames.  Nothing else can be called from a spec file:
there is no expression language and no ``eval``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from ..errors import DataError
from ..lang import values
from ..lang.values import SCALAR

# ------------------------------------------------------------------ parameter schema fragments

NAME = {"type": "string", "pattern": "^[A-Z][A-Z0-9_]{0,7}$",
        "description": "a variable name: upper case, at most 8 characters"}
VARS = {"type": "array", "items": NAME, "minItems": 1}
ORDER_ITEM = {"type": "string", "pattern": "^(desc\\()?[A-Z][A-Z0-9_]{0,7}\\)?$",
              "description": "a variable, or desc(VARIABLE) for descending order"}
ORDER = {"type": "array", "items": ORDER_ITEM, "minItems": 1,
         "description": "sort order: variables, desc(VAR) for descending; missing values last"}
RENAME = {"type": "object", "minProperties": 1, "maxProperties": 1,
          "propertyNames": NAME, "additionalProperties": NAME}
BY_VARS = {"type": "array", "minItems": 1, "items": {"anyOf": [NAME, RENAME]},
           "description": "grouping/join variables; {THIS: OTHER} joins THIS of this dataset "
                          "to OTHER of the other dataset"}
NEW_VARS = {"anyOf": [
    {"type": "array", "minItems": 1, "items": {"anyOf": [NAME, RENAME]}},
    {"type": "object", "minProperties": 1, "propertyNames": NAME, "additionalProperties": NAME}],
    "description": "variables to copy: a list of names, or {NEW: OTHER} to rename"}
OPERAND = values.operand_schema({"of": NAME},
                                "a value (text, number, null), {of: VARIABLE} or {value: X}")
SET_VALUES = {"type": "object", "minProperties": 1, "propertyNames": NAME,
              "additionalProperties": OPERAND,
              "description": "NEW: value, {of: VARIABLE} or {value: X}"}
DATASET_REF = {**NAME, "description": "an SDTM dataset, or an ADaM dataset built before"}
CONDITION_REF = {"$ref": "#/$defs/condition"}
FLAG_VALUE = {"type": ["string", "null"], "maxLength": 200}


# ---------------------------------------------------------------------------- what a step does

Path_ = tuple[Any, ...]


@dataclass
class IO:
    """What one derivation step reads, writes and which parameters it touches (for the checks
    run before anything is computed).  Paths are relative to the step."""

    reads: list[tuple[Path_, str]] = field(default_factory=list)
    add_reads: dict[str, list[tuple[Path_, str]]] = field(default_factory=dict)
    writes: list[str] = field(default_factory=list)
    params_used: list[tuple[Path_, str]] = field(default_factory=list)
    params_made: list[str] = field(default_factory=list)
    fresh: list[tuple[Path_, str]] = field(default_factory=list)   # must not exist yet


@dataclass(frozen=True)
class AdamMethod:
    name: str
    func: Callable[..., pd.DataFrame]
    family: str
    params: dict[str, Any]
    required: tuple[str, ...]
    summary: str
    example: str
    io: Callable[[dict[str, Any]], IO]
    describe: Callable[[dict[str, Any]], dict[str, str]]
    origin: str = "Derived"                 # define.xml origin of what it writes
    datasets: tuple[str, ...] = ()          # parameters naming another dataset
    adds_records: bool = False

    @property
    def doc(self) -> str:
        return (self.func.__doc__ or "").strip()

    def schema(self) -> dict[str, Any]:
        props = {"method": {"const": self.name}, **COMMON_PARAMS, **self.params}
        return {"type": "object", "properties": props, "required": ["method", *self.required],
                "additionalProperties": False}

    def kwargs(self, params: dict[str, Any]) -> dict[str, Any]:
        """The function's keyword arguments: the step's parameters without the common ones."""
        return {k: v for k, v in params.items() if k not in COMMON_PARAMS and k != "method"}


#: Keys every derivation step accepts.
COMMON_PARAMS: dict[str, Any] = {
    "comment": {"type": "string", "description": "a note for reviewers; goes to define.xml"},
    "describe": {"type": "string", "description": "replaces the generated derivation text"},
    "after": {"type": "string", "description": "in analysis_overrides: put this new step "
                                               "after the named step (default: at the end)"},
}

ADAM_METHODS: dict[str, AdamMethod] = {}


def method(name: str, *, family: str, summary: str, example: str, io: Callable,
           describe: Callable, params: dict[str, Any] | None = None,
           required: tuple[str, ...] = (), origin: str = "Derived",
           datasets: tuple[str, ...] = (), adds_records: bool = False) -> Callable:
    """Register an ADaM derivation method under ``name``."""

    def register(func: Callable[..., pd.DataFrame]) -> Callable[..., pd.DataFrame]:
        if name in ADAM_METHODS:
            raise RuntimeError(f"ADaM method {name} registered twice")
        ADAM_METHODS[name] = AdamMethod(name, func, family, params or {}, tuple(required),
                                        summary, example.strip(), io, describe, origin,
                                        tuple(datasets), adds_records)
        return func

    return register


def all_methods() -> dict[str, AdamMethod]:
    """Every registered ADaM method (importing the family modules registers them)."""
    from . import assign, baseline, dates, flags, merge, occds, params, records  # noqa: F401
    return ADAM_METHODS


# ------------------------------------------------------------------ helpers for the families

LINEAGE = "__lin__"      # hidden column: the SDTM records each row comes from ("QS:12 QS:13")


def by_pairs(by_vars: Iterable[Any]) -> list[tuple[str, str]]:
    """``[A, {B: C}]`` -> ``[(A, A), (B, C)]``: (this dataset's name, other dataset's name)."""
    out = []
    for item in by_vars or ():
        if isinstance(item, dict):
            (k, v), = item.items()
            out.append((k, v))
        else:
            out.append((item, item))
    return out


def new_var_pairs(new_vars: Any) -> list[tuple[str, str]]:
    """``new_vars`` as (NEW, OTHER) pairs, from a list of names/renames or a mapping."""
    if isinstance(new_vars, dict):
        return list(new_vars.items())
    return by_pairs(new_vars)


_ORDER = re.compile(r"^(desc\()?([A-Z][A-Z0-9_]*)\)?$")


def parse_order(order: Iterable[str] | None) -> list[tuple[str, bool]]:
    """``["desc(ASEVN)", "ASTDT"]`` -> ``[("ASEVN", False), ("ASTDT", True)]`` (ascending?)."""
    out = []
    for item in order or ():
        m = _ORDER.match(item)
        if not m:
            raise DataError(f"order item {item!r} is not a variable or desc(VARIABLE)")
        out.append((m.group(2), m.group(1) is None))
    return out


def order_names(order: Iterable[str] | None) -> list[str]:
    return [n for n, _ in parse_order(order)]


def sort_key(values: pd.Series | np.ndarray, ascending: bool = True,
             na_first: bool = False) -> np.ndarray:
    """A numeric key that sorts like ``values`` (text lexically, numbers numerically), missing
    values last (or first), for :func:`numpy.lexsort`."""
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    if s.dtype.kind in "fiu":
        key = s.to_numpy(dtype=np.float64).copy()
        if not ascending:
            key = -key
    else:
        codes, _ = pd.factorize(s, sort=True, use_na_sentinel=True)
        key = np.asarray(codes, dtype=np.float64)
        key[key < 0] = np.nan
        if not ascending:
            key = -key
    key[np.isnan(key)] = -np.inf if na_first else np.inf
    return key


def sort_positions(df: pd.DataFrame, by: list[str], order: list[tuple[str, bool]],
                   na_first: bool = False) -> np.ndarray:
    """The stable permutation that sorts ``df`` by ``by`` (ascending) then ``order``."""
    cols = [(c, True) for c in by] + list(order)
    if not cols:
        return np.arange(len(df))
    keys = [sort_key(df[c], asc, na_first) for c, asc in cols]
    return np.lexsort(keys[::-1])


def sort_frame(df: pd.DataFrame, by: list[str], order: list[tuple[str, bool]]) -> pd.DataFrame:
    """Stable sort by ``by`` (ascending) then ``order``; missing values last, as in R."""
    if not by and not order:
        return df
    return df.iloc[sort_positions(df, by, order)]


def operand_value(df: pd.DataFrame, op: Any) -> Any:
    """The value of an operand (:mod:`cdisc_mapper.lang.values`) on every record: a constant,
    or a column of ``df``."""
    return values.resolve(op, lambda ref: df[ref["of"]])


def operand_text(op: Any) -> str:
    return values.text(op)


def operand_reads(table: dict[str, Any], base: Path_) -> list[tuple[Path_, str]]:
    return list(values.references(table, base))


def constant_params(values: dict[str, Any]) -> list[str]:
    """PARAMCD values a ``set_values_to`` sets as constants."""
    v = (values or {}).get("PARAMCD")
    if isinstance(v, dict):
        v = v.get("value")
    return [str(v)] if isinstance(v, (str, int, float)) and v is not None else []


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


def normalize(arr: np.ndarray) -> np.ndarray:
    """A column as float64 when every present value is a number (all missing included), else
    as an object array (text; missing as NaN/None)."""
    arr = np.asarray(arr)
    if arr.dtype.kind in "fiu":
        return arr.astype(np.float64, copy=False)
    if arr.dtype.kind == "b":
        return arr.astype(object)
    kind = pd.api.types.infer_dtype(arr, skipna=True)
    if kind in ("floating", "integer", "mixed-integer-float", "decimal", "empty"):
        return pd.to_numeric(pd.Series(arr, dtype=object), errors="coerce").to_numpy(np.float64)
    return arr.astype(object, copy=False)


def column_values(values: Any, n: int) -> np.ndarray:
    """A constant or a column as an array of ``n`` values (numbers float64, text objects)."""
    if isinstance(values, pd.Series):
        return normalize(values.to_numpy(dtype=object) if values.dtype.kind not in "fiu"
                         else values.to_numpy())
    if isinstance(values, np.ndarray):
        return normalize(values)
    if values is None:
        return np.full(n, np.nan)
    if _is_number(values):
        return np.full(n, float(values))
    return np.full(n, values, dtype=object)


def assign_column(df: pd.DataFrame, name: str, values: Any, rows: np.ndarray | None = None) -> None:
    """Set ``df[name]`` to ``values`` (a constant or a column) on ``rows`` (a boolean mask; all
    rows when None), keeping the other rows' values (missing when the column is new).  Numbers
    are kept as float64, text as objects.  Modifies ``df`` in place."""
    n = len(df)
    new = column_values(values, n)
    if rows is None:
        set_column(df, name, new)
        return
    rows = np.asarray(rows, dtype=bool)
    base = column_values(df[name], n) if name in df.columns else np.full(n, np.nan)
    if base.dtype.kind == "f" and new.dtype.kind == "f":
        out = base.copy()
        out[rows] = new[rows]
    else:
        out = base.astype(object)
        out[rows] = new[rows]
        out = normalize(out)
    set_column(df, name, out)


def set_column(df: pd.DataFrame, name: str, values: np.ndarray) -> None:
    """``df[name] = values``, keeping text as plain objects (no conversion to a string dtype)."""
    if values.dtype == object:
        df[name] = pd.Series(values, index=df.index, dtype=object, copy=False)
    else:
        df[name] = values


def group_ids(df: pd.DataFrame, by: list[str]) -> np.ndarray:
    """One integer per distinct combination of ``by`` (missing is a value of its own), in
    order of first appearance; each column is factorised first, which is much faster than
    grouping on text."""
    if not by:
        return np.zeros(len(df), dtype=np.int64)
    codes = pd.DataFrame({f"c{i}": pd.factorize(df[c], use_na_sentinel=False)[0]
                          for i, c in enumerate(by)})
    return codes.groupby(list(codes.columns), sort=False).ngroup().to_numpy(dtype=np.int64)


def need_columns(df: pd.DataFrame, names: Iterable[str], what: str = "the dataset") -> None:
    missing = [n for n in names if n not in df.columns]
    if missing:
        raise DataError(f"{what} has no variable {', '.join(missing)}")


def lineage_of(df: pd.DataFrame) -> pd.Series | None:
    return df[LINEAGE] if LINEAGE in df.columns else None
