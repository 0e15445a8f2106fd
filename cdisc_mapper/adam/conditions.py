"""Conditions in ADaM specs: filters and criteria written as data, never as code.

The same shape as the SDTM mapping conditions (``of:`` names a variable), with comparisons::

    {of: QSTESTCD, equals: EASITOT}          # equal (text compared exactly)
    {of: AVISITN, in: [12, 16]}              # one of; not_in: none of
    {of: ASTDT, missing: true}               # missing / present
    {of: PCHG, le: -50}                      # lt, le, gt, ge: a number ...
    {of: ADT, le: {of: TRTSDT}}              # ... or another variable of the same record
    {of: AGE, ge: 30, lt: 40}                # several tests on one variable: all must hold
    {all: [cond, ...]} / {any: [cond, ...]} / {not: cond}

A test on a missing value is false (``not_equals`` and ``not_in`` are true), as in SAS ``where``
clauses on character variables; use ``missing:`` to test for missing values explicitly.
"""

from __future__ import annotations

from typing import Any
from collections.abc import Iterator

import numpy as np
import pandas as pd

from .registry import NAME, SCALAR, Path_

_NUMBER_OR_VAR = {"anyOf": [{"type": "number"},
                            {"type": "object", "properties": {"of": NAME}, "required": ["of"],
                             "additionalProperties": False}]}
_TESTS = ("equals", "not_equals", "in", "not_in", "missing", "lt", "le", "gt", "ge")
_LEAF = {
    "type": "object",
    "properties": {
        "of": NAME,
        "equals": SCALAR, "not_equals": SCALAR,
        "in": {"type": "array", "items": SCALAR, "minItems": 1},
        "not_in": {"type": "array", "items": SCALAR, "minItems": 1},
        "missing": {"type": "boolean"},
        "lt": _NUMBER_OR_VAR, "le": _NUMBER_OR_VAR, "gt": _NUMBER_OR_VAR, "ge": _NUMBER_OR_VAR,
    },
    "required": ["of"],
    "additionalProperties": False,
    "minProperties": 2,
}
CONDITION = {
    "description": "a test on variables of a record; combine with all/any/not",
    "anyOf": [
        _LEAF,
        {"type": "object", "properties": {"all": {"type": "array", "minItems": 1,
                                                   "items": {"$ref": "#/$defs/condition"}}},
         "required": ["all"], "additionalProperties": False},
        {"type": "object", "properties": {"any": {"type": "array", "minItems": 1,
                                                   "items": {"$ref": "#/$defs/condition"}}},
         "required": ["any"], "additionalProperties": False},
        {"type": "object", "properties": {"not": {"$ref": "#/$defs/condition"}},
         "required": ["not"], "additionalProperties": False},
    ],
}

_OPS = {"lt": np.less, "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal}
_WORDS = {"lt": "<", "le": "<=", "gt": ">", "ge": ">="}


def _numbers(s: pd.Series | np.ndarray) -> np.ndarray:
    s = pd.Series(s) if not isinstance(s, pd.Series) else s
    if s.dtype.kind in "fiu":
        return s.to_numpy(dtype=np.float64)
    return pd.to_numeric(s.astype(object), errors="coerce").to_numpy(dtype=np.float64)


def _same_kind(s: pd.Series, value: Any) -> Any:
    """Compare numbers with numbers: a numeric column against '12' compares 12."""
    if s.dtype.kind in "fiu" and isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def evaluate(df: pd.DataFrame, cond: dict[str, Any] | None) -> np.ndarray:
    """A boolean array: where ``cond`` holds on the records of ``df`` (all true when None)."""
    n = len(df)
    if cond is None:
        return np.ones(n, dtype=bool)
    if "all" in cond:
        out = np.ones(n, dtype=bool)
        for c in cond["all"]:
            out &= evaluate(df, c)
        return out
    if "any" in cond:
        out = np.zeros(n, dtype=bool)
        for c in cond["any"]:
            out |= evaluate(df, c)
        return out
    if "not" in cond:
        return ~evaluate(df, cond["not"])
    s = df[cond["of"]]
    present = s.notna().to_numpy()
    out = np.ones(n, dtype=bool)
    for test in _TESTS:
        if test not in cond:
            continue
        v = cond[test]
        if test == "missing":
            out &= ~present if v else present
        elif test == "equals":
            out &= present & (s == _same_kind(s, v)).fillna(False).to_numpy(dtype=bool) \
                if v is not None else ~present
        elif test == "not_equals":
            out &= ~present | (s != _same_kind(s, v)).fillna(True).to_numpy(dtype=bool) \
                if v is not None else present
        elif test == "in":
            out &= present & s.isin([_same_kind(s, x) for x in v]).to_numpy(dtype=bool)
        elif test == "not_in":
            out &= ~(present & s.isin([_same_kind(s, x) for x in v]).to_numpy(dtype=bool))
        else:
            left = _numbers(s)
            right = _numbers(df[v["of"]]) if isinstance(v, dict) else float(v)
            with np.errstate(invalid="ignore"):
                out &= _OPS[test](left, right) & ~np.isnan(left) & ~np.isnan(right)
    return out


def variables(cond: dict[str, Any] | None, path: Path_ = ()) -> Iterator[tuple[Path_, str]]:
    """Every (path, variable) a condition reads."""
    if not cond:
        return
    for key in ("all", "any"):
        if key in cond:
            for i, c in enumerate(cond[key]):
                yield from variables(c, path + (key, i))
            return
    if "not" in cond:
        yield from variables(cond["not"], path + ("not",))
        return
    yield path + ("of",), cond["of"]
    for op in _OPS:
        v = cond.get(op)
        if isinstance(v, dict):
            yield path + (op, "of"), v["of"]


def parameters(cond: dict[str, Any] | None, path: Path_ = ()) -> Iterator[tuple[Path_, str]]:
    """Every (path, PARAMCD value) a condition tests PARAMCD against."""
    if not cond:
        return
    for key in ("all", "any"):
        if key in cond:
            for i, c in enumerate(cond[key]):
                yield from parameters(c, path + (key, i))
            return
    if "not" in cond:
        yield from parameters(cond["not"], path + ("not",))
        return
    if cond.get("of") != "PARAMCD":
        return
    if isinstance(cond.get("equals"), str):
        yield path + ("equals",), cond["equals"]
    for i, v in enumerate(cond.get("in") or ()):
        if isinstance(v, str):
            yield path + ("in", i), v


def describe(cond: dict[str, Any] | None) -> str:
    """Plain-English text of a condition."""
    if not cond:
        return "all records"
    if "all" in cond:
        return " and ".join(_wrap(c) for c in cond["all"])
    if "any" in cond:
        return " or ".join(_wrap(c) for c in cond["any"])
    if "not" in cond:
        return f"not ({describe(cond['not'])})"
    what = cond["of"]
    parts = []
    for test in _TESTS:
        if test not in cond:
            continue
        v = cond[test]
        if test == "missing":
            parts.append(f"{what} is {'missing' if v else 'present'}")
        elif test == "equals":
            parts.append(f"{what} = {_text(v)}")
        elif test == "not_equals":
            parts.append(f"{what} ≠ {_text(v)}")
        elif test == "in":
            parts.append(f"{what} in ({', '.join(_text(x) for x in v)})")
        elif test == "not_in":
            parts.append(f"{what} not in ({', '.join(_text(x) for x in v)})")
        else:
            right = v["of"] if isinstance(v, dict) else _text(v)
            parts.append(f"{what} {_WORDS[test]} {right}")
    return " and ".join(parts)


def _wrap(c: dict[str, Any]) -> str:
    text = describe(c)
    return f"({text})" if ("all" in c or "any" in c) else text


def _text(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return f"'{v}'" if isinstance(v, str) else str(v)
