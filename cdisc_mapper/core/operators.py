"""The check operators of the CORE rule language, each over whole columns.

An operator takes the working frame (:class:`~.frame.Work`) and one condition of the rule
(``name``, ``operator``, ``value`` and the operator's own keys) and returns a boolean array, True
where the condition holds.  Semantics follow CDISC CORE (documented in cdisc-open-rules
``docs/check_operator.md``): an empty value equals nothing, differs from any filled value, and
two empties are neither equal nor unequal; a comparator that names a variable of the dataset is
that variable unless ``value_is_literal``; ``$name`` is an operation result.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd

from .values import ListValue, as_text, compare_dates, date_precision, empty_mask, \
    factorize_text, \
    is_complete_date, is_valid_date, norm_text

__all__ = ["OPERATORS", "operator_names"]

Op = Callable[..., np.ndarray]
OPERATORS: dict[str, Op] = {}


def operator(*names: str):
    def deco(fn: Op) -> Op:
        for n in names:
            OPERATORS[n] = fn
        return fn
    return deco


def negated(name: str, base: str) -> None:
    def fn(w, c, _b=base):
        return ~OPERATORS[_b](w, c)
    OPERATORS[name] = fn


def operator_names() -> list[str]:
    return sorted(OPERATORS)


# ------------------------------------------------------------------------------- presence

@operator("exists")
def _exists(w, c):
    return np.full(w.n, w.has(c["name"]), bool)


negated("not_exists", "exists")


@operator("empty")
def _empty(w, c):
    return empty_mask(w.col(c["name"]))


negated("non_empty", "empty")


# ------------------------------------------------------------------------------- equality

def _values_equal(t: pd.Series, kind: str, comp, *, case: bool, typeless: bool) -> np.ndarray:
    """Element-wise equality of two filled values (emptiness is handled by the caller)."""
    if kind == "col":
        a, b = t, comp
        if typeless:
            a, b = norm_text(a), norm_text(b)
        elif a.dtype.kind in "fiu" and b.dtype.kind in "fiu":
            return (a.to_numpy(float) == b.to_numpy(float))
        elif a.dtype.kind in "fiu" or b.dtype.kind in "fiu":
            a, b = (norm_text(a), norm_text(b)) if _numeric_text(a, b) else (a, b)
        a = as_text(a) if a.dtype.kind not in "fiu" else a
        b = as_text(b) if b.dtype.kind not in "fiu" else b
        if case:
            a, b = a.astype(str).str.lower(), b.astype(str).str.lower()
        return (a.to_numpy(object) == b.to_numpy(object))
    v = comp
    if isinstance(v, bool) and t.dtype.kind != "b":
        v = str(v)
    if t.dtype.kind in "fiu":
        try:
            f = float(v)
        except (TypeError, ValueError):
            return np.zeros(len(t), bool) if not typeless else (
                norm_text(t).to_numpy(object) == str(v).strip())
        return t.to_numpy(float) == f
    txt = as_text(t)
    if typeless:
        txt = norm_text(t)
        v = norm_text(pd.Series([v], dtype=object)).iloc[0]
    elif not isinstance(v, str):
        v = norm_text(pd.Series([v], dtype=object)).iloc[0]
    if case:
        return (txt.str.lower().to_numpy(object) == str(v).lower())
    return txt.to_numpy(object) == v


def _numeric_text(a: pd.Series, b: pd.Series) -> bool:
    """A numeric column compared with a text column: compare as numbers when the text holds
    numbers (CSV tables and XPT files type the same variable differently)."""
    return True


def _equality(w, c, *, negate: bool, case: bool = False) -> np.ndarray:
    t = w.col(c["name"])
    typeless = bool(c.get("type_insensitive"))
    if c.get("value_is_reference"):
        kind, comp = "col", w.referenced(c)
    else:
        kind, comp = w.comparator(c)
    te = empty_mask(t)
    if kind == "list":
        comp = list(comp)
        kind = "lit"
        ce = np.zeros(len(t), bool) if comp else np.ones(len(t), bool)
        comp = comp[0] if len(comp) == 1 else comp
    if kind == "col":
        ce = empty_mask(comp)
    elif kind == "lit":
        ce = np.full(len(t), comp is None or (isinstance(comp, str) and comp == "") or (
            isinstance(comp, float) and comp != comp), bool)
    both = te & ce
    filled = ~te & ~ce
    eq = np.zeros(len(t), bool)
    if filled.any():
        if kind == "col":
            eq[filled] = _values_equal(t[filled], "col", comp[filled], case=case,
                                       typeless=typeless)
        else:
            eq[filled] = _values_equal(t[filled], "lit", comp, case=case, typeless=typeless)
    if negate:
        return ~both & ~(filled & eq)
    return filled & eq


@operator("equal_to")
def _equal_to(w, c):
    return _equality(w, c, negate=False)


@operator("not_equal_to")
def _not_equal_to(w, c):
    return _equality(w, c, negate=True)


@operator("equal_to_case_insensitive")
def _equal_ci(w, c):
    return _equality(w, c, negate=False, case=True)


@operator("not_equal_to_case_insensitive")
def _not_equal_ci(w, c):
    return _equality(w, c, negate=True, case=True)


# ------------------------------------------------------------------------------- numbers

def _numeric(w, c, fn) -> np.ndarray:
    t = pd.to_numeric(w.col(c["name"]), errors="coerce").to_numpy(float)
    kind, comp = w.comparator(c)
    if kind == "col":
        b = pd.to_numeric(comp, errors="coerce").to_numpy(float)
    else:
        try:
            b = float(comp)
        except (TypeError, ValueError):
            return np.zeros(len(t), bool)
    with np.errstate(invalid="ignore"):
        return np.asarray(fn(t, b), bool)


operator("less_than")(lambda w, c: _numeric(w, c, np.less))
operator("less_than_or_equal_to")(lambda w, c: _numeric(w, c, np.less_equal))
operator("greater_than")(lambda w, c: _numeric(w, c, np.greater))
operator("greater_than_or_equal_to")(lambda w, c: _numeric(w, c, np.greater_equal))


# ------------------------------------------------------------------------------- dates

def _date_op(op: str):
    def fn(w, c):
        kind, comp = w.comparator(c)
        if kind == "list":
            comp = comp[0] if comp else None
        return compare_dates(w.col(c["name"]), comp, op, c.get("date_component"))
    return fn


for _n, _o in (("date_equal_to", "eq"), ("date_not_equal_to", "ne"), ("date_less_than", "lt"),
               ("date_less_than_or_equal_to", "le"), ("date_greater_than", "gt"),
               ("date_greater_than_or_equal_to", "ge")):
    OPERATORS[_n] = _date_op(_o)


@operator("is_complete_date")
def _complete(w, c):
    return is_complete_date(w.col(c["name"]))


negated("is_incomplete_date", "is_complete_date")


@operator("invalid_date")
def _invalid_date(w, c):
    t = w.col(c["name"])
    return ~is_valid_date(t) & ~empty_mask(t)


_DURATION = re.compile(r"^-?P(?!$)((\d+([.,]\d+)?Y)?(\d+([.,]\d+)?M)?(\d+([.,]\d+)?D)?"
                       r"(T(?=\d)(\d+([.,]\d+)?H)?(\d+([.,]\d+)?M)?(\d+([.,]\d+)?S)?)?"
                       r"|\d+([.,]\d+)?W)$")


@operator("invalid_duration")
def _invalid_duration(w, c):
    t = as_text(w.col(c["name"]))
    neg_ok = c.get("negative") is not False
    uniq, inv = factorize_text(t.to_numpy(object))
    bad = np.array([bool(u) and (not _DURATION.match(u) or (u.startswith("-") and not neg_ok))
                    for u in uniq], bool)
    return bad[inv]


# ------------------------------------------------------------------------------- membership

def _members(kind: str, comp) -> list | None:
    if kind == "list":
        return list(comp)
    if kind == "lit":
        return list(comp) if isinstance(comp, (list, tuple, set)) else [comp]
    return None


def _list_target_in(t: pd.Series, kind: str, comp, case: bool) -> np.ndarray:
    """A target that holds a list per row (a define codelist's term codes) is contained where
    any of its items is in the comparator, as CORE reads it."""
    def norm(v):
        v = "" if v is None else (v if isinstance(v, str) else str(v))
        return v.lower() if case else v
    rows = t.to_numpy(object)
    if kind == "col" and len(comp) and isinstance(comp.iloc[0], (list, tuple, set, frozenset)):
        pools = [{norm(x) for x in (b or [])} for b in comp.to_numpy(object)]
    else:
        members = list(pd.unique(as_text(comp).to_numpy(object))) if kind == "col" \
            else (_members(kind, comp) or [])
        pool = {norm(m) for m in members if m is not None}
        pools = [pool] * len(rows)
    return np.array([isinstance(a, (list, tuple, set, frozenset)) and
                     any(norm(x) in p for x in a) for a, p in zip(rows, pools)], bool)


def _isin(t: pd.Series, kind: str, comp, *, case: bool = False) -> np.ndarray:
    if t.dtype == object and len(t) and isinstance(t.iloc[0], (list, tuple, set, frozenset)):
        return _list_target_in(t, kind, comp, case)
    if kind == "col" and comp.dtype == object and len(comp) and isinstance(
            comp.iloc[0], (list, tuple, set, frozenset)):
        # a per-row list (grouped operation result): row-wise membership
        tt = as_text(t).to_numpy(object)
        lists = comp.to_numpy(object)
        if case:
            return np.array([str(a).lower() in {str(x).lower() for x in b}
                             for a, b in zip(tt, lists)], bool)
        return _rowwise_in(tt, lists)
    if kind == "col":
        pool = comp
        members = pd.unique(as_text(pool).to_numpy(object)) if pool.dtype.kind not in "fiu" \
            else pool.dropna().unique()
        members = list(members)
    else:
        members = _members(kind, comp) or []
    if t.dtype.kind in "fiu":
        nums = []
        for m in members:
            try:
                nums.append(float(m))
            except (TypeError, ValueError):
                pass
        return np.isin(t.to_numpy(float), nums) & ~t.isna().to_numpy()
    txt = as_text(t)
    mem = [m if isinstance(m, str) else norm_text(pd.Series([m], dtype=object)).iloc[0]
           for m in members if m is not None]
    if case:
        return txt.str.lower().isin({m.lower() for m in mem}).to_numpy() & ~empty_mask(t)
    return txt.isin(set(mem)).to_numpy() & ~empty_mask(t)


def _rowwise_in(tt: np.ndarray, lists: np.ndarray) -> np.ndarray:
    """``tt[i] in lists[i]``, grouped by distinct list object (one group per subject or key)."""
    ids = np.array([id(x) for x in lists])
    out = np.zeros(len(tt), bool)
    uniq, inv = np.unique(ids, return_inverse=True)
    first = np.zeros(len(uniq), int)
    first[inv[::-1]] = np.arange(len(inv))[::-1]
    for k in range(len(uniq)):
        rows = inv == k
        lst = lists[first[k]]
        pool = {("" if v is None else (v if isinstance(v, str) else
                 norm_text(pd.Series([v], dtype=object)).iloc[0])) for v in (lst or [])}
        out[rows] = pd.Series(tt[rows]).isin(pool).to_numpy()
    return out


@operator("is_contained_by")
def _contained(w, c):
    kind, comp = w.comparator(c)
    return _isin(w.col(c["name"]), kind, comp)


negated("is_not_contained_by", "is_contained_by")


@operator("is_contained_by_case_insensitive")
def _contained_ci(w, c):
    kind, comp = w.comparator(c)
    return _isin(w.col(c["name"]), kind, comp, case=True)


negated("is_not_contained_by_case_insensitive", "is_contained_by_case_insensitive")


@operator("contains")
def _contains(w, c):
    t = w.col(c["name"])
    kind, comp = w.comparator(c)
    if t.dtype == object and len(t) and isinstance(t.iloc[0], (list, tuple, set)):
        if kind == "col":
            vals = as_text(comp).to_numpy(object)
            return np.array([v in set(x) for v, x in zip(vals, t.to_numpy(object))], bool)
        return np.array([comp in set(x) for x in t.to_numpy(object)], bool)
    txt = as_text(t)
    if kind == "col":
        other = as_text(comp).to_numpy(object)
        uniq = pd.DataFrame({"a": txt.to_numpy(object), "b": other}).drop_duplicates()
        hit = {(a, b) for a, b in zip(uniq["a"], uniq["b"]) if b and b in a}
        return np.array([(a, b) in hit for a, b in zip(txt.to_numpy(object), other)], bool)
    if kind == "list":
        return np.zeros(len(t), bool)
    return txt.str.contains(str(comp), regex=False).to_numpy(bool)


negated("does_not_contain", "contains")


@operator("contains_case_insensitive")
def _contains_ci(w, c):
    txt = as_text(w.col(c["name"])).str.lower()
    kind, comp = w.comparator(c)
    if kind == "col":
        other = as_text(comp).str.lower().to_numpy(object)
        return np.array([bool(b) and b in a for a, b in zip(txt.to_numpy(object), other)], bool)
    return txt.str.contains(str(comp).lower(), regex=False).to_numpy(bool)


negated("does_not_contain_case_insensitive", "contains_case_insensitive")


def _flat_values(w, comp_kind, comp) -> list:
    if comp_kind == "list":
        return list(comp)
    if comp_kind == "col":
        return list(pd.unique(as_text(comp).to_numpy(object)))
    return list(comp) if isinstance(comp, (list, tuple)) else [comp]


@operator("contains_all")
def _contains_all(w, c):
    t = w.col(c["name"])
    kind, comp = w.comparator(c)
    have = set(pd.unique(as_text(t).to_numpy(object)))
    need = set(str(x) for x in _flat_values(w, kind, comp))
    return np.full(w.n, need <= have, bool)


negated("not_contains_all", "contains_all")


def _as_set(v) -> set:
    if isinstance(v, (list, tuple, set, frozenset)):
        return set(v)
    if v is None or (isinstance(v, float) and v != v):
        return set()
    return {v}


@operator("shares_no_elements_with")
def _shares_none(w, c):
    t = w.col(c["name"]).to_numpy(object)
    kind, comp = w.comparator(c)
    if kind == "col":
        other = comp.to_numpy(object)
    else:
        other = [comp] * len(t)
    return np.array([not (_as_set(a) & _as_set(b)) for a, b in zip(t, other)], bool)


@operator("shares_at_least_one_element_with")
def _shares_some(w, c):
    return ~_shares_none(w, c)


@operator("shares_exactly_one_element_with")
def _shares_one(w, c):
    t = w.col(c["name"]).to_numpy(object)
    kind, comp = w.comparator(c)
    other = comp.to_numpy(object) if kind == "col" else [comp] * len(t)
    return np.array([len(_as_set(a) & _as_set(b)) == 1 for a, b in zip(t, other)], bool)


@operator("is_ordered_subset_of")
def _ordered_subset(w, c):
    t = w.col(c["name"]).to_numpy(object)
    kind, comp = w.comparator(c)
    other = comp.to_numpy(object) if kind == "col" else [comp] * len(t)
    cache: dict[tuple[int, int], bool] = {}

    def one(a, b) -> bool:
        key = (id(a), id(b))
        if key not in cache:
            pos = {v: i for i, v in enumerate(b or [])}
            idx = [pos.get(v) for v in (a or [])]
            cache[key] = None not in idx and idx == sorted(idx)
        return cache[key]
    return np.array([one(a, b) for a, b in zip(t, other)], bool)


negated("is_not_ordered_subset_of", "is_ordered_subset_of")


# ------------------------------------------------------------------------------- text

def _regex_text(s: pd.Series) -> pd.Series:
    return as_text(s)


def _regex(w, c, part: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    s = w.col(c["name"])
    txt = _regex_text(s)
    pattern = c.get("value")
    if not isinstance(pattern, str):
        raise ValueError(f"operator {c['operator']} needs a regular expression as value")
    if part == "prefix":
        txt = txt.str.slice(0, int(c.get("prefix")))
    elif part == "suffix":
        txt = txt.str.slice(-int(c.get("suffix")))
    filled = ~empty_mask(s)
    rx = re.compile(pattern)
    uniq, inv = factorize_text(txt.to_numpy(object))
    if part is None:
        hit = np.array([rx.match(u) is not None for u in uniq], bool)
    else:
        hit = np.array([rx.search(u) is not None for u in uniq], bool)
    return hit[inv], filled


@operator("matches_regex")
def _matches(w, c):
    hit, filled = _regex(w, c)
    return hit & filled


@operator("not_matches_regex")
def _not_matches(w, c):
    hit, filled = _regex(w, c)
    return ~hit & filled


@operator("prefix_matches_regex")
def _prefix_matches(w, c):
    hit, filled = _regex(w, c, "prefix")
    return hit & filled


@operator("not_prefix_matches_regex")
def _not_prefix_matches(w, c):
    hit, filled = _regex(w, c, "prefix")
    return ~hit & filled


@operator("suffix_matches_regex")
def _suffix_matches(w, c):
    hit, filled = _regex(w, c, "suffix")
    return hit & filled


@operator("not_suffix_matches_regex")
def _not_suffix_matches(w, c):
    hit, filled = _regex(w, c, "suffix")
    return ~hit & filled


def _part(w, c, part: str) -> tuple[pd.Series, np.ndarray]:
    s = w.col(c["name"])
    txt = as_text(s)
    n = int(c.get(part))
    txt = txt.str.slice(0, n) if part == "prefix" else txt.str.slice(-n)
    return txt, empty_mask(s)


def _part_equal(part: str):
    def fn(w, c):
        txt, te = _part(w, c, part)
        kind, comp = w.comparator(c)
        if c.get("value") == "DOMAIN" and (kind != "col" or not w.prefix == ""):
            kind, comp = "lit", w.domain or w.prefix   # as CORE: the dataset's DOMAIN
        if kind == "col":
            other = as_text(comp).to_numpy(object)
        else:
            other = "" if comp is None else str(comp)
        return (txt.to_numpy(object) == other) & ~te
    return fn


OPERATORS["prefix_equal_to"] = _part_equal("prefix")
OPERATORS["suffix_equal_to"] = _part_equal("suffix")
negated("prefix_not_equal_to", "prefix_equal_to")
negated("suffix_not_equal_to", "suffix_equal_to")


def _part_in(part: str):
    def fn(w, c):
        txt, te = _part(w, c, part)
        kind, comp = w.comparator(c)
        return _isin(txt, kind, comp) & ~te
    return fn


OPERATORS["prefix_is_contained_by"] = _part_in("prefix")
OPERATORS["suffix_is_contained_by"] = _part_in("suffix")
negated("prefix_is_not_contained_by", "prefix_is_contained_by")
negated("suffix_is_not_contained_by", "suffix_is_contained_by")


@operator("starts_with")
def _starts(w, c):
    kind, comp = w.comparator(c)
    txt = as_text(w.col(c["name"]))
    if kind == "col":
        other = as_text(comp).to_numpy(object)
        return np.array([bool(b) and a.startswith(b) for a, b in zip(txt, other)], bool)
    return txt.str.startswith(str(comp)).to_numpy(bool)


@operator("ends_with")
def _ends(w, c):
    kind, comp = w.comparator(c)
    txt = as_text(w.col(c["name"]))
    if kind == "col":
        other = as_text(comp).to_numpy(object)
        return np.array([bool(b) and a.endswith(b) for a, b in zip(txt, other)], bool)
    return txt.str.endswith(str(comp)).to_numpy(bool)


def _length(w, c, fn) -> np.ndarray:
    s = w.col(c["name"])
    n = as_text(s).str.len().to_numpy(float)
    n[empty_mask(s)] = np.nan
    kind, comp = w.comparator(c)
    if kind == "col":
        b = comp.to_numpy(float) if comp.dtype.kind in "fiu" else \
            as_text(comp).str.len().to_numpy(float)
    else:
        b = float(comp)
    with np.errstate(invalid="ignore"):
        return np.asarray(fn(n, b), bool)


operator("longer_than")(lambda w, c: _length(w, c, np.greater))
operator("longer_than_or_equal_to")(lambda w, c: _length(w, c, np.greater_equal))
operator("shorter_than")(lambda w, c: _length(w, c, np.less) | empty_mask(w.col(c["name"])))
operator("shorter_than_or_equal_to")(
    lambda w, c: _length(w, c, np.less_equal) | empty_mask(w.col(c["name"])))
operator("has_equal_length")(lambda w, c: _length(w, c, np.equal))
negated("has_not_equal_length", "has_equal_length")


@operator("equals_string_part")
def _equals_part(w, c):
    t = as_text(w.col(c["name"]))
    kind, comp = w.comparator(c)
    rx = re.compile(c.get("regex") or "(.*)")
    src = as_text(comp) if kind == "col" else pd.Series([str(comp)] * w.n)
    uniq, inv = factorize_text(src.to_numpy(object))
    parsed = np.array([(m[0] if isinstance(m[0], str) else m[0][0]) if (m := rx.findall(u))
                       else "" for u in uniq], object)[inv]
    te = empty_mask(t)
    pe = parsed == ""
    return ~te & ~pe & (t.to_numpy(object) == parsed)


@operator("does_not_equal_string_part")
def _not_equals_part(w, c):
    return ~_equals_part(w, c)


# ------------------------------------------------------------------------------- groups

def _names(w, v) -> list[str]:
    if v is None:
        return []
    vals = v if isinstance(v, list) else [v]
    out = []
    for x in vals:
        if isinstance(x, str):
            k, comp = w.comparator({"value": x})
            if k == "list":
                out.extend(str(y) for y in comp)
                continue
            out.append(w.name(x))
    return out


def _key_frame(w, cols: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: as_text(w.col(c)).to_numpy(object) for c in cols})


@operator("is_unique_set")
def _unique_set(w, c):
    cols = list(dict.fromkeys([w.name(c["name"])] + _names(w, c.get("value"))))
    cols = [x for x in cols if w.has(x)]
    f = _key_frame(w, cols)
    if c.get("regex"):
        rx = re.compile(c["regex"])
        for col in f.columns:
            uniq = pd.unique(f[col])
            mapping = {u: ((m[0] if isinstance(m[0], str) else m[0][0]) if (m := rx.findall(u))
                           else u) for u in uniq}
            f[col] = f[col].map(mapping)
    return ~f.duplicated(keep=False).to_numpy()


negated("is_not_unique_set", "is_unique_set")


@operator("is_not_unique_relationship")
def _not_unique_rel(w, c):
    a = w.name(c["name"])
    bs = _names(w, c.get("value"))
    f = _key_frame(w, [a] + bs)
    f["_b"] = f[bs].agg("\x1f".join, axis=1) if len(bs) > 1 else f[bs[0]]
    b_empty = (f[bs] == "").any(axis=1) if len(bs) > 1 else f[bs[0]] == ""
    f.loc[b_empty.to_numpy(), "_b"] = ""
    pairs = f[[a, "_b"]].drop_duplicates()
    pairs = pairs[(pairs[a] != "") | (pairs["_b"] != "")]

    def bad(key: str, other: str) -> set:
        g = pairs[pairs[key] != ""]
        n = g.groupby(key)[other].agg(lambda s: (s != "").sum() > 1 or (
            (s != "").sum() >= 1 and (s == "").any()))
        return set(n[n].index)
    bad_a, bad_b = bad(a, "_b"), bad("_b", a)
    return (f[a].isin(bad_a) | f["_b"].isin(bad_b)).to_numpy() & \
        ((f[a] != "") | (f["_b"] != "")).to_numpy()


negated("is_unique_relationship", "is_not_unique_relationship")


@operator("is_inconsistent_across_dataset")
def _inconsistent(w, c):
    """Every record of a group (the ``value`` variables) in which the target takes more than
    one value (an empty value counts as one), as CORE's results report them."""
    target = w.name(c["name"])
    groups = [g for g in _names(w, c.get("value")) if w.has(g)]
    f = _key_frame(w, groups + [target])
    if not groups:
        return np.full(w.n, f[target].nunique() > 1, bool)
    nuniq = f.groupby(groups, sort=False)[target].transform("nunique")
    return (nuniq > 1).to_numpy()


@operator("present_on_multiple_rows_within")
def _multiple_rows(w, c):
    target = w.name(c["name"])
    within = _names(w, c.get("within"))
    minimum = c.get("value") or 1
    f = _key_frame(w, within + [target])
    n = f.groupby(within + [target], sort=False)[target].transform("size").to_numpy()
    return n > int(minimum)


negated("not_present_on_multiple_rows_within", "present_on_multiple_rows_within")


def _sorted_positions(w, by: list[str]) -> np.ndarray:
    f = pd.DataFrame({b: _sort_key(w.col(b)) for b in by})
    return np.lexsort([f[b].to_numpy() for b in reversed(by)]) if by else np.arange(w.n)


def _sort_key(s: pd.Series):
    if s.dtype.kind in "fiu":
        return s.to_numpy(float)
    return _text_rank(s)


def _text_rank(s: pd.Series) -> np.ndarray:
    """Each value's rank among the column's distinct texts (sorted as strings): sorts and
    compares like the text itself, without a fixed-width copy of the column."""
    codes, _ = pd.factorize(as_text(s).to_numpy(object), sort=True, use_na_sentinel=False)
    return codes


def _within_except_last(w, c) -> tuple[np.ndarray, np.ndarray]:
    """(empty, not last) per row: rows grouped by ``value`` and ordered by ``ordering``; the
    last row of each group is left out of the comparison (as CORE)."""
    target = w.name(c["name"])
    within = _names(w, c.get("value"))
    order = _names(w, c.get("ordering"))
    pos = _sorted_positions(w, within + order)
    keys = _key_frame(w, within).iloc[pos]
    not_last = np.zeros(w.n, bool)
    not_last[pos] = keys.duplicated(keep="last").to_numpy() if within else \
        np.arange(w.n) < w.n - 1
    return empty_mask(w.col(target)), not_last


@operator("empty_within_except_last_row")
def _empty_except_last(w, c):
    emp, not_last = _within_except_last(w, c)
    return emp & not_last


@operator("non_empty_within_except_last_row")
def _nonempty_except_last(w, c):
    emp, not_last = _within_except_last(w, c)
    return ~emp & not_last


@operator("has_next_corresponding_record")
def _next_record(w, c):
    target = w.name(c["name"])
    comp = w.name(c.get("value"))
    within = _names(w, c.get("within"))
    order = _names(w, c.get("ordering"))
    pos = np.lexsort([_sort_key(w.col(o)) for o in reversed(order)]) if order else np.arange(w.n)
    keys = _key_frame(w, within).iloc[pos].reset_index(drop=True)
    # stable sort by group keeping the order within each group
    gid = keys.groupby(within, sort=True).ngroup().to_numpy()
    order2 = np.argsort(gid, kind="stable")
    pos = pos[order2]
    gid = gid[order2]
    tv = as_text(w.col(target)).to_numpy(object)[pos]
    cv = as_text(w.col(comp)).to_numpy(object)[pos]
    res = np.ones(w.n, bool)
    same_next = np.append(gid[1:] == gid[:-1], False)
    nxt = np.append(cv[1:], "")
    res_sorted = np.where(same_next, tv == nxt, True)
    res[pos] = res_sorted
    return res


negated("does_not_have_next_corresponding_record", "has_next_corresponding_record")


@operator("target_is_sorted_by")
def _sorted_by(w, c):
    target = w.name(c["name"])
    within = _names(w, c.get("within"))
    result = np.ones(w.n, bool)
    comps = c.get("value") or []
    for spec in comps if isinstance(comps, list) else [comps]:
        if isinstance(spec, dict):
            comp = w.name(spec.get("name"))
            asc = str(spec.get("sort_order", "asc")).lower() != "desc"
        else:
            comp, asc = w.name(spec), True
        ck = w.col(comp)
        cnum = ck.dtype.kind in "fiu"
        ckey = ck.to_numpy(float) if cnum else _padded_dates(ck)
        if not asc:
            ckey = -ckey if cnum else ckey
        keys = [_sort_key(w.col(x)) for x in within]
        if not asc and not cnum:
            order = np.lexsort([ckey] + list(reversed(keys)))
            # descending text: reverse within groups
            order = _reverse_within(order, keys)
        else:
            order = np.lexsort([ckey] + list(reversed(keys)))
        t = w.col(target)
        tnum = t.dtype.kind in "fiu"
        tv = t.to_numpy(float)[order] if tnum else _padded_dates(t)[order]
        te = empty_mask(t)[order] | empty_mask(ck)[order]
        gid = _key_frame(w, within).iloc[order].groupby(within, sort=False).ngroup().to_numpy() \
            if within else np.zeros(w.n, int)
        ok = ~te
        # compare each filled row with the next filled row of its group
        idx = np.nonzero(ok)[0]
        good = np.ones(w.n, bool)
        # a row whose target or comparator is empty is left out of the comparison
        if len(idx) > 1:
            a, b = idx[:-1], idx[1:]
            same = gid[a] == gid[b]
            dec = same & (tv[a] > tv[b])
            good[a[dec]] = False
            good[b[dec]] = False
        if not cnum:
            good &= ~_less_precise_overlap(as_text(ck).to_numpy(object)[order],
                                           empty_mask(ck)[order], gid)
        res = np.ones(w.n, bool)
        res[order] = good
        result &= res
    return result


def _less_precise_overlap(dates: np.ndarray, empty: np.ndarray, gid: np.ndarray) -> np.ndarray:
    """For dates in sorted order: True for the less precise of two consecutive filled dates of a
    group when one contains the other (``2005-10`` before ``2005-10-06``): their order is
    undetermined, as CORE reports."""
    out = np.zeros(len(dates), bool)
    idx = np.nonzero(~empty)[0]
    if len(idx) < 2:
        return out
    prec = date_precision(pd.Series(dates[idx], dtype=object))
    a, b = idx[:-1], idx[1:]
    pa, pb = prec[:-1], prec[1:]
    same = (gid[a] == gid[b]) & (pa > 0) & (pb > 0) & (pa != pb)
    for i in np.nonzero(same)[0]:
        da, db = str(dates[a[i]]), str(dates[b[i]])
        short = min(len(_date_prefix(da, pa[i])), len(_date_prefix(db, pb[i])))
        if da[:short] == db[:short]:
            out[a[i] if pa[i] < pb[i] else b[i]] = True
    return out


def _date_prefix(v: str, p: int) -> str:
    return v[:(0, 4, 7, 10, 13, 16, 19)[p]]


def _padded_dates(s: pd.Series) -> np.ndarray:
    return _text_rank(s)


def _reverse_within(order: np.ndarray, keys: list) -> np.ndarray:
    return order[::-1] if not keys else order


negated("target_is_not_sorted_by", "target_is_sorted_by")


@operator("is_ordered_set")
def _ordered_set(w, c):
    target = w.name(c["name"])
    within = _names(w, c.get("value"))
    f = _key_frame(w, within)
    t = w.col(target)
    key = _sort_key(t)
    gid = f.groupby(within, sort=False).ngroup().to_numpy()
    ok = pd.Series(key).groupby(gid).transform(lambda s: s.is_monotonic_increasing).to_numpy()
    return ok.astype(bool)


negated("is_not_ordered_set", "is_ordered_set")


@operator("has_different_values")
def _different(w, c):
    t = as_text(w.col(c["name"]))
    return np.full(w.n, t.nunique() > 1, bool)


negated("has_same_values", "has_different_values")


@operator("inconsistent_enumerated_columns")
def _enumerated(w, c):
    base = w.name(c["name"])
    rx = re.compile(rf"^{re.escape(base)}(\d*)$")
    cols = sorted((x for x in w.columns if rx.match(x)), key=lambda x: (len(x), x))
    out = np.zeros(w.n, bool)
    if not cols:
        return out
    prev = ~empty_mask(w.col(cols[0]))
    for col in cols[1:]:
        cur = ~empty_mask(w.col(col))
        out |= cur & ~prev
        prev = cur
    return out
