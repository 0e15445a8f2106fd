"""Whole-column helpers shared by the operators: emptiness, text forms, ISO 8601 dates.

Semantics follow CDISC CORE: a value is *empty* when it is missing (NaN/None) or the empty
string; an empty list (an operation result) is empty too.  Dates are ISO 8601 strings, possibly
partial (``2012``, ``2012-11``, ``2012-11-30T10``): comparisons truncate both sides to the
precision they share; equality needs the same precision.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

__all__ = ["empty_mask", "as_text", "norm_text", "factorize_text", "date_precision", "compare_dates",
           "is_complete_date", "is_valid_date", "ListValue"]


class ListValue:
    """An operation result that is one list for the whole dataset (``distinct`` without group,
    ``study_domains``, ``required_variables``, ...)."""

    __slots__ = ("values",)

    def __init__(self, values):
        self.values = list(values)

    def __repr__(self) -> str:
        return f"ListValue({self.values!r})"


def _is_list_col(s: pd.Series) -> bool:
    if s.dtype != object or not len(s):
        return False
    first = s.iloc[0]
    return isinstance(first, (list, tuple, set, frozenset))


def empty_mask(s: pd.Series) -> np.ndarray:
    """True where the value is missing, the empty string, or an empty list."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = s.cat.categories
        empty_cats = np.asarray(pd.isna(cats) | (cats.astype(str) == ""), bool)
        codes = s.cat.codes.to_numpy()
        return (codes < 0) | np.append(empty_cats, False)[codes]
    if s.dtype.kind in "fiub":
        return s.isna().to_numpy()
    if s.dtype.kind == "M":
        return s.isna().to_numpy()
    arr = s.to_numpy(dtype=object)
    if infer_dtype(arr, skipna=False) == "string":
        return arr == ""            # all text: no missing values to look for
    out = pd.isna(arr)
    if out.dtype != bool:
        out = np.array([v is None or (isinstance(v, float) and v != v) for v in arr], bool)
    out = out | (arr == "")
    if _is_list_col(s):
        out = out | np.fromiter((isinstance(v, (list, tuple, set, frozenset)) and len(v) == 0
                                 for v in arr), bool, len(arr))
    return out


def _num_text(v: float) -> str:
    if v != v:
        return ""
    if float(v).is_integer():
        return f"{v:.0f}"
    return repr(float(v))


def as_text(s: pd.Series) -> pd.Series:
    """The column as text, empty string for missing; integer-valued numbers without ``.0``.

    The result holds Python strings (``object`` dtype, not pandas' Arrow-backed ``str``): the
    operators compare and hash them as NumPy object arrays, which then needs no conversion."""
    if s.dtype.kind in "fiu":
        vals = s.to_numpy(dtype=float)
        uniq, inv = np.unique(vals, return_inverse=True)
        return pd.Series(np.array([_num_text(u) for u in uniq], object)[inv], index=s.index,
                         dtype=object)
    if s.dtype.kind == "b":
        return pd.Series(np.where(s.to_numpy(bool), "True", "False").astype(object),
                         index=s.index, dtype=object)
    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = np.array([("" if pd.isna(c) else str(c)) for c in s.cat.categories] + [""], object)
        return pd.Series(cats[s.cat.codes.to_numpy()], index=s.index, dtype=object)
    arr = s.to_numpy(dtype=object)
    if infer_dtype(arr, skipna=False) == "string":
        return pd.Series(arr.copy(), index=s.index, dtype=object, copy=False)
    kind = infer_dtype(arr, skipna=True)
    if kind in ("string", "empty"):
        # all text (the common case): only the missing values change, no per-value loop
        na = pd.isna(arr)
        arr = arr.copy()
        if na.any():
            arr[na] = ""
        return pd.Series(arr, index=s.index, dtype=object, copy=False)
    return pd.Series(np.array(["" if (v is None or (isinstance(v, float) and v != v))
                               else (_num_text(v) if isinstance(v, float) else str(v))
                               for v in arr], object), index=s.index, dtype=object)


def factorize_text(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct values as ``str``, index of each element's value) of a text array, by hashing:
    no fixed-width copy of the whole column as ``np.unique(arr.astype(str))`` would make."""
    arr = np.asarray(arr, dtype=object)
    if infer_dtype(arr, skipna=False) not in ("string", "empty"):
        arr = np.array([str(v) for v in arr], object)
    codes, uniq = pd.factorize(arr, use_na_sentinel=False)
    return np.asarray(uniq, dtype=object), codes


def _num_text15(v: float) -> str:
    """A number at 15 significant digits, the precision a double keeps through decimal text:
    ``8.549999999999999`` (8.55 read back from an XPT file's IBM float) is ``8.55``."""
    if v in (float("inf"), float("-inf")) or float(v).is_integer():
        return _num_text(v)
    return _num_text(float(f"{v:.15g}"))


def norm_text(s: pd.Series) -> pd.Series:
    """Text for type-insensitive comparison: trimmed, numbers in one form (``200.0`` = ``200``,
    and at 15 significant digits, so that binary noise of a stored number is not a difference)."""
    t = as_text(s)
    uniq, inv = factorize_text(t.to_numpy(dtype=object))
    out = []
    for u in uniq:
        v = u.strip()
        try:
            f = float(v)
            v = _num_text15(f) if f == f else v
        except ValueError:
            pass
        out.append(v)
    return pd.Series(np.array(out, object)[inv] if len(out) else np.array([], object),
                     index=t.index, dtype=object)


# ------------------------------------------------------------------------------------- dates

_DATE = re.compile(
    r"^(?P<y>\d{4})(-(?P<m>\d{2})(-(?P<d>\d{2})(T(?P<h>\d{2})(:(?P<mi>\d{2})(:(?P<s>\d{2})"
    r"(\.\d+)?)?)?)?)?)?(Z|[+-]\d{2}(:\d{2})?)?$")
_PREC_LEN = (0, 4, 7, 10, 13, 16, 19)      # characters of each precision (year .. second)
_FULL = "1970-01-01T00:00:00"


def _precision_one(v: str) -> int:
    m = _DATE.match(v)
    if not m:
        return 0
    for i, g in enumerate(("s", "mi", "h", "d", "m", "y")):
        if m.group(g) is not None:
            return 6 - i
    return 0


def date_precision(t: pd.Series) -> np.ndarray:
    """0 (not a date) or 1..6 (year .. second) for each text value."""
    uniq, inv = factorize_text(t.to_numpy(dtype=object))
    return np.array([_precision_one(u) for u in uniq], np.int8)[inv]


_COMPONENT = {"year": 1, "month": 2, "day": 3, "hour": 4, "minute": 5, "second": 6}


def _date_table(text: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per distinct value: its precision and its prefixes at every precision (row 0: the value
    padded to a full date-time with the start of the period).  Returns (table, precision, inverse
    index of each row)."""
    uniq, inv = factorize_text(text)
    prec = np.array([_precision_one(u) for u in uniq], np.int8)
    table = np.empty((7, len(uniq)), object)
    for k, (u, p) in enumerate(zip(uniq, prec)):
        full = u[:_PREC_LEN[p]] + _FULL[_PREC_LEN[p]:]
        table[0, k] = full
        for q in range(1, 7):
            table[q, k] = full[:_PREC_LEN[q]]
    return table, prec[inv], inv


def compare_dates(a: pd.Series, b, op: str, component: str | None = None) -> np.ndarray:
    """``a op b`` for ISO 8601 text; False where either side is empty or not a date.

    Without ``component``: both sides are truncated to their common precision; ``==`` needs
    equal precision, ``!=`` holds for unequal precision; for ``<``, ``<=``, ``>``, ``>=`` a tie
    at the common precision is broken on the full values (missing parts as the start of the
    period) when the left side is the more precise.  With ``component`` (year, month, ...): the
    values are compared up to that component."""
    ta = as_text(a).to_numpy(dtype=object)
    tb = (as_text(b).to_numpy(dtype=object) if isinstance(b, pd.Series)
          else np.full(len(ta), "" if b is None else str(b), object))
    Ta, pa, ia = _date_table(ta)
    Tb, pb, ib = _date_table(tb)
    ok = (pa > 0) & (pb > 0)
    out = np.zeros(len(ta), bool)
    if not ok.any():
        return out
    fn = {"eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
          "gt": np.greater, "ge": np.greater_equal}[op]
    if component and component in _COMPONENT:
        c = _COMPONENT[component]
        out[ok] = fn(Ta[c, ia[ok]].astype(str), Tb[c, ib[ok]].astype(str))
        return out
    qa, qb = pa[ok], pb[ok]
    common = np.minimum(qa, qb)
    ca = Ta[common, ia[ok]].astype(str)
    cb = Tb[common, ib[ok]].astype(str)
    if op == "eq":
        res = (qa == qb) & (ca == cb)
    elif op == "ne":
        res = (qa != qb) | (ca != cb)
    else:
        res = fn(ca, cb)
        tie = (ca == cb) & (qa > qb)
        if tie.any():
            res[tie] = fn(Ta[0, ia[ok][tie]].astype(str), Tb[0, ib[ok][tie]].astype(str))
    out[ok] = res
    return out


def is_valid_date(t: pd.Series) -> np.ndarray:
    """ISO 8601 date/time, possibly partial or with unknown parts (``--``), or an interval."""
    uniq, inv = factorize_text(as_text(t).to_numpy(dtype=object))
    return np.array([_valid_one(u) for u in uniq], bool)[inv]


_UNCERTAIN = re.compile(
    r"^((-?[0-9]{4}|-)(-(1[0-2]|0[1-9]|-)(-(3[01]|0[1-9]|[12][0-9]|-)"
    r"(T(2[0-3]|[01][0-9]|-)(:([0-5][0-9]|-)((:([0-5][0-9]|-))?(\.[0-9]+)?"
    r"((Z|[+-](:2[0-3]|[01][0-9]):[0-5][0-9]))?)?)?)?)?)?)(\/((-?[0-9]{4}|-)"
    r"(-(1[0-2]|0[1-9]|-)(-(3[01]|0[1-9]|[12][0-9]|-)(T(2[0-3]|[01][0-9]|-)"
    r"(:([0-5][0-9]|-)((:([0-5][0-9]|-))?(\.[0-9]+)?((Z|[+-](:2[0-3]|[01][0-9])"
    r":[0-5][0-9]))?)?)?)?)?)?))?$")


def _valid_one(v: str) -> bool:
    if not v:
        return True            # empty is not an invalid date
    if not _UNCERTAIN.match(v):
        return False
    m = _DATE.match(v)
    if m and m.group("d"):
        import datetime as _dt
        try:
            _dt.date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
        except ValueError:
            return False
    return True


def is_complete_date(t: pd.Series) -> np.ndarray:
    """A full date (at least year-month-day) that is a real calendar date."""
    import datetime as _dt
    uniq, inv = factorize_text(as_text(t).to_numpy(dtype=object))

    def one(v: str) -> bool:
        if not v:
            return False
        try:
            _dt.datetime.fromisoformat(v.replace("Z", "+00:00"))
        except ValueError:
            return False
        return True

    return np.array([one(u) for u in uniq], bool)[inv]
