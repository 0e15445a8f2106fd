"""Conditions: one grammar for `where`, `filter`, `when` and `cases` in SDTM and ADaM files.

A condition is data, never code.  A *leaf* names what it tests — a variable (``of: VAR``) or,
in SDTM mappings, a raw column (``from: COLUMN``) — and one or more tests, all of which must
hold::

    {of: AESEV, equals: SEVERE}                 # equal
    {of: AESEV, not_equals: MILD}
    {from: DSDECOD, in: [Completed, Done]}      # one of; not_in: none of
    {of: RFXSTDTC, missing: true}               # missing / present
    {of: PCHG, le: -50}                         # lt, le, gt, ge: numbers
    {of: AGE, between: [18, 65]}                # lo <= x <= hi
    {of: AESTDTC, before: {of: RFXSTDTC}}       # dates: before, after,
    {of: AESTDTC, on_or_after: 2021-03-01}      # on_or_before, on_or_after
    {all: [cond, ...]} / {any: [cond, ...]} / {not: cond}

The right-hand side of a comparison is a constant or another value of the same record
(``{of: VAR}``, or ``{from: COLUMN}`` in SDTM).  A test on a missing value is false
(``not_equals`` and ``not_in`` are true): use ``missing`` to test for missing values.  Numbers
compare as numbers even when the values are text (raw columns are text).  Dates compare by day:
ISO 8601 text (only complete dates; a partial date is neither before nor after anything) or
numeric SAS dates.  Whether text compares ignoring case and surrounding blanks is a property of
the host: SDTM mappings read raw data as entered (case ignored), ADaM specs compare exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import values
from .values import SCALAR

EQUALITY = ("equals", "not_equals", "in", "not_in", "missing")
NUMERIC = ("lt", "le", "gt", "ge", "between")
DATES = ("before", "after", "on_or_before", "on_or_after")
TESTS = EQUALITY + NUMERIC + DATES
COMBINERS = ("all", "any", "not")

Path_ = tuple[Any, ...]
Resolve = Callable[[dict[str, Any]], pd.Series]


# ------------------------------------------------------------------------------------ schema

def leaf_schema(subjects: dict[str, Any], operand_refs: dict[str, Any],
                extra: dict[str, Any] | None = None,
                subject_required: list[list[str]] | None = None) -> dict[str, Any]:
    """The schema of a leaf: ``subjects`` are the keys that name what is tested (``of``,
    ``from``), ``operand_refs`` the reference keys allowed on the right of a comparison."""
    ref = {"type": "object", "properties": {**operand_refs, "value": SCALAR},
           "minProperties": 1, "maxProperties": 2 if "source" in operand_refs else 1,
           "additionalProperties": False,
           "description": "{value: X}" + "".join(f", {{{k}: ...}}" for k in operand_refs
                                                  if k != "source")}
    number = {"anyOf": [{"type": "number"}, ref],
              "description": "a number, or another value of the record"}
    date = {"anyOf": [{"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}"},
                      {"type": "number"}, ref],
            "description": "an ISO 8601 date (YYYY-MM-DD), or another date of the record"}
    props: dict[str, Any] = {
        **subjects, **(extra or {}),
        "equals": SCALAR, "not_equals": SCALAR,
        "in": {"type": "array", "items": SCALAR, "minItems": 1},
        "not_in": {"type": "array", "items": SCALAR, "minItems": 1},
        "missing": {"type": "boolean"},
        "lt": number, "le": number, "gt": number, "ge": number,
        "between": {"type": "array", "items": number, "minItems": 2, "maxItems": 2,
                    "description": "[low, high], both included"},
        "before": date, "after": date, "on_or_before": date, "on_or_after": date,
    }
    schema: dict[str, Any] = {"type": "object", "properties": props,
                              "additionalProperties": False, "minProperties": 2}
    groups = subject_required or [[k] for k in subjects]
    if len(groups) == 1:
        schema["required"] = groups[0]
    else:
        schema["oneOf"] = [{"required": g} for g in groups]
    return schema


def condition_schema(leaf: dict[str, Any], description: str) -> dict[str, Any]:
    """A condition: a leaf, or all/any/not of conditions (``#/$defs/condition``)."""
    nested = {"$ref": "#/$defs/condition"}
    return {
        "description": description,
        "anyOf": [
            leaf,
            {"type": "object", "properties": {"all": {"type": "array", "items": nested,
                                                       "minItems": 1}},
             "required": ["all"], "additionalProperties": False},
            {"type": "object", "properties": {"any": {"type": "array", "items": nested,
                                                       "minItems": 1}},
             "required": ["any"], "additionalProperties": False},
            {"type": "object", "properties": {"not": nested},
             "required": ["not"], "additionalProperties": False},
        ],
    }


# -------------------------------------------------------------------------------- evaluation

def _fold(v: Any) -> Any:
    return v.strip().upper() if isinstance(v, str) else v


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


def numbers(s: pd.Series | np.ndarray) -> np.ndarray:
    """Values as float64 (text that is not a number → NaN), per distinct value."""
    s = pd.Series(s) if not isinstance(s, pd.Series) else s
    if s.dtype.kind in "fiu":
        return s.to_numpy(dtype=np.float64)
    if s.dtype.kind == "b":
        return s.to_numpy(dtype=np.float64)
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    u = pd.to_numeric(pd.Series(uniques, dtype=object).astype("string").str.strip(),
                      errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    out = np.full(len(codes), np.nan)
    ok = codes >= 0
    out[ok] = u[codes[ok]]
    return out


_SAS_EPOCH = np.datetime64("1960-01-01", "D")


def days(s: pd.Series | np.ndarray | Any, n: int | None = None) -> np.ndarray:
    """Dates as days since 1960-01-01 (SAS dates): numbers as they are, ISO 8601 text by its
    first ten characters when they are a complete date (else NaN), per distinct value."""
    if not isinstance(s, (pd.Series, np.ndarray)):
        s = pd.Series([s] * (n or 1), dtype=object)
    s = pd.Series(s) if not isinstance(s, pd.Series) else s
    if s.dtype.kind in "fiu":
        return s.to_numpy(dtype=np.float64)
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    u = pd.Series(uniques, dtype=object).astype("string").str.slice(0, 10)
    parsed = pd.to_datetime(u.where(u.str.len() == 10), format="%Y-%m-%d", errors="coerce")
    d = (parsed.to_numpy(dtype="datetime64[D]") - _SAS_EPOCH).astype("float64")
    d[pd.isna(parsed).to_numpy()] = np.nan
    out = np.full(len(codes), np.nan)
    ok = codes >= 0
    out[ok] = d[codes[ok]]
    return out


@dataclass(frozen=True)
class Host:
    """How a host language reads the values a condition names."""

    resolve: Resolve                 # {of: X} / {from: X, source: S} → Series of the records
    fold: bool                       # text compares ignoring case and surrounding blanks
    subjects: tuple[str, ...] = ("of",)


def _subject(cond: dict[str, Any], host: Host) -> dict[str, Any]:
    return {k: cond[k] for k in cond if k not in TESTS}


def _right(host: Host, v: Any, n: int) -> Any:
    """A comparison's right-hand side: an operand (:mod:`.values`) — a constant, or the values
    of a reference."""
    return values.resolve(v, host.resolve)


def _text_equal(s: pd.Series, values: list[Any], fold: bool) -> np.ndarray:
    """Where ``s`` equals one of ``values``: numbers as numbers, text folded if asked."""
    n = len(s)
    out = np.zeros(n, dtype=bool)
    text_vals = [v for v in values if isinstance(v, str)]
    num_vals = [float(v) for v in values if _is_number(v)]
    bool_vals = [v for v in values if isinstance(v, bool)]
    numeric = s.dtype.kind in "fiu"
    if numeric:
        for t in text_vals:                 # '12' against a numeric column compares 12
            try:
                num_vals.append(float(t))
            except ValueError:
                pass
        text_vals = []
    if num_vals:
        out |= np.isin(numbers(s), num_vals)
    if text_vals and not numeric:
        if fold:
            from ..engine.context import keys_of
            keyed = keys_of(s)
            out |= keyed.isin([_fold(t) for t in text_vals]).to_numpy(dtype=bool)
        else:
            out |= s.isin(text_vals).to_numpy(dtype=bool)
    if bool_vals:
        out |= s.isin(bool_vals).to_numpy(dtype=bool)
    return out


def _compare(op: str, left: np.ndarray, right: Any) -> np.ndarray:
    right = np.asarray(right, dtype=np.float64) if not np.isscalar(right) else float(right)
    with np.errstate(invalid="ignore"):
        res = {"lt": np.less, "le": np.less_equal, "gt": np.greater,
               "ge": np.greater_equal}[op](left, right)
    return res & ~np.isnan(left) & ~np.isnan(right)


_DATE_OPS = {"before": "lt", "after": "gt", "on_or_before": "le", "on_or_after": "ge"}


def evaluate(cond: dict[str, Any] | None, host: Host, n: int) -> np.ndarray:
    """A boolean array: where ``cond`` holds on the ``n`` records (all true when None)."""
    if cond is None:
        return np.ones(n, dtype=bool)
    if "all" in cond:
        out = np.ones(n, dtype=bool)
        for c in cond["all"]:
            out &= evaluate(c, host, n)
        return out
    if "any" in cond:
        out = np.zeros(n, dtype=bool)
        for c in cond["any"]:
            out |= evaluate(c, host, n)
        return out
    if "not" in cond:
        return ~evaluate(cond["not"], host, n)
    s = host.resolve(_subject(cond, host))
    present = s.notna().to_numpy(dtype=bool)
    out = np.ones(n, dtype=bool)
    for test in TESTS:
        if test not in cond:
            continue
        v = cond[test]
        if test == "missing":
            out &= ~present if v else present
        elif test in ("equals", "not_equals"):
            v = _right(host, v, n)
            if isinstance(v, pd.Series):
                a, b = s, v
                if host.fold:
                    from ..engine.context import keys_of
                    a = keys_of(a) if a.dtype.kind not in "fiu" else a
                    b = keys_of(b) if b.dtype.kind not in "fiu" else b
                same = (a.to_numpy(dtype=object) == b.to_numpy(dtype=object)) \
                    & present & b.notna().to_numpy(dtype=bool)
            elif v is None:
                same = ~present
            else:
                same = present & _text_equal(s, [v], host.fold)
            out &= same if test == "equals" else ~same
        elif test in ("in", "not_in"):
            hit = present & _text_equal(s, list(v), host.fold)
            out &= hit if test == "in" else ~hit
        elif test == "between":
            left = numbers(s)
            lo, hi = (_right(host, x, n) for x in v)
            out &= _compare("ge", left, _num(lo)) & _compare("le", left, _num(hi))
        elif test in DATES:
            right = _right(host, v, n)
            out &= _compare(_DATE_OPS[test], days(s), days(right, n))
        else:
            out &= _compare(test, numbers(s), _num(_right(host, v, n)))
    return out


def _num(v: Any) -> Any:
    if isinstance(v, pd.Series):
        return numbers(v)
    if v is None:
        return np.nan
    try:
        return float(v)
    except (TypeError, ValueError):
        return np.nan


# -------------------------------------------------------------------------- what it reads

def references(cond: dict[str, Any] | None, path: Path_ = ()
               ) -> Iterator[tuple[Path_, dict[str, Any]]]:
    """Every (path, reference) a condition reads: its subjects and right-hand references
    (``{of: X}`` or ``{from: X, source: S}``)."""
    if not cond:
        return
    for key in ("all", "any"):
        if key in cond:
            for i, c in enumerate(cond[key]):
                yield from references(c, path + (key, i))
            return
    if "not" in cond:
        yield from references(cond["not"], path + ("not",))
        return
    subject = {k: cond[k] for k in cond if k not in TESTS}
    key = "of" if "of" in subject else "from" if "from" in subject else None
    if key:
        yield path + (key,), subject
    for test in NUMERIC + DATES + ("equals", "not_equals"):
        v = cond.get(test)
        items = v if test == "between" and isinstance(v, list) else [v]
        for i, item in enumerate(items):
            if isinstance(item, dict) and ("of" in item or "from" in item):
                k = "of" if "of" in item else "from"
                sub = (test, i, k) if test == "between" else (test, k)
                yield path + sub, item


def leaves(cond: dict[str, Any] | None, path: Path_ = ()
           ) -> Iterator[tuple[Path_, dict[str, Any]]]:
    """Every (path, leaf) of a condition."""
    if not cond:
        return
    for key in ("all", "any"):
        if key in cond:
            for i, c in enumerate(cond[key]):
                yield from leaves(c, path + (key, i))
            return
    if "not" in cond:
        yield from leaves(cond["not"], path + ("not",))
        return
    yield path, cond


# -------------------------------------------------------------------------------- describe

_WORDS = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "before": "before", "after": "after",
          "on_or_before": "on or before", "on_or_after": "on or after"}


def describe_tests(cond: dict[str, Any], what: str, show: Callable[[Any], str],
                   ref: Callable[[dict[str, Any]], str], words: dict[str, str]) -> str:
    """The tests of a leaf in words; ``words`` gives the verb of each equality test."""
    parts = []

    class _Shown(str):
        def __repr__(self) -> str:
            return str(self)

    def rhs(v: Any) -> str:
        if isinstance(v, dict):
            return show(v["value"]) if "value" in v else ref(v)
        return show(v)

    for test in TESTS:
        if test not in cond:
            continue
        v = cond[test]
        if test == "missing":
            parts.append(f"{what} is {'missing' if v else 'present'}")
        elif test in ("in", "not_in"):
            parts.append(words[test].format(what=what, v=v, items=", ".join(show(x) for x in v)))
        elif test in ("equals", "not_equals"):
            shown = _Shown(rhs(v)) if isinstance(v, dict) else v
            parts.append(words[test].format(what=what, v=shown, items=rhs(v)))
        elif test == "between":
            parts.append(f"{what} between {rhs(v[0])} and {rhs(v[1])}")
        else:
            parts.append(f"{what} {_WORDS[test]} {rhs(v)}")
    return " and ".join(parts)
