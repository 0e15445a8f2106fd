"""Merging variables from another dataset (SDTM, ADSL) or from a lookup table in the spec."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError
from . import conditions as cn
from .registry import (BY_VARS, CONDITION_REF, DATASET_REF, IO, NAME, NEW_VARS, ORDER, SCALAR,
                       assign_column, by_pairs, column_values, method, new_var_pairs, normalize,
                       order_names, parse_order, sort_frame)

MODE = {"enum": ["first", "last"], "description": "with order: take the first or last record"}


def _key_frames(left: pd.DataFrame, lnames: list[str], right: pd.DataFrame,
                rnames: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Join keys as integer codes shared by both sides (numbers compare as numbers when both
    sides hold numbers, as text otherwise; missing matches missing)."""
    lo, ro = {}, {}
    nl = len(left)
    for i, (a, b) in enumerate(zip(lnames, rnames)):
        lv = column_values(left[a], nl)
        rv = column_values(right[b], len(right))
        if not (lv.dtype.kind == "f" and rv.dtype.kind == "f"):
            lv, rv = _as_text(lv), _as_text(rv)
        codes, _ = pd.factorize(np.concatenate([lv, rv]), use_na_sentinel=True)
        lo[f"__k{i}"], ro[f"__k{i}"] = codes[:nl], codes[nl:]
    return pd.DataFrame(lo), pd.DataFrame(ro)


def _as_text(v: np.ndarray) -> np.ndarray:
    """Values as text (whole numbers without '.0'), missing as None; converted per distinct
    value."""
    codes, uniques = pd.factorize(v, use_na_sentinel=True)
    texts = [str(int(u)) if isinstance(u, float) and u.is_integer() else str(u) for u in uniques]
    return np.array(texts + [None], dtype=object)[codes]


def _joined(dataset: pd.DataFrame, add: pd.DataFrame, pairs: list[tuple[str, str]],
            take: list[tuple[str, str]]) -> pd.DataFrame:
    """For each record of ``dataset``: the ``take`` columns (NEW <- OTHER) of the matching row of
    ``add`` (which has at most one row per key), as a frame aligned with ``dataset``; plus a
    boolean column ``__hit__``."""
    left, right = _key_frames(dataset, [a for a, _ in pairs], add, [b for _, b in pairs])
    for new, old in take:
        right[new] = column_values(add[old], len(add))
    right["__hit__"] = True
    left["__pos__"] = np.arange(len(left))
    merged = left.merge(right, on=list(left.columns[:-1]), how="left", sort=False)
    if len(merged) != len(left):
        raise DataError("the other dataset has more than one record per key")
    merged = merged.iloc[np.argsort(merged["__pos__"].to_numpy(), kind="stable")]
    merged["__hit__"] = merged["__hit__"].fillna(False).astype(bool)
    return merged.reset_index(drop=True)


def _one_per_key(add: pd.DataFrame, right: list[str], order, mode, what: str) -> pd.DataFrame:
    if order:
        if not mode:
            raise DataError("'order' needs 'mode: first' or 'mode: last'")
        srt = sort_frame(add, right, parse_order(order))
        return srt.drop_duplicates(right, keep="first" if mode == "first" else "last")
    dup = add.duplicated(right, keep=False)
    if dup.any():
        first = add[dup].iloc[0]
        key = ", ".join(f"{k}={first[k]}" for k in right)
        raise DataError(f"{what} has {int((add[right] == first[right]).all(axis=1).sum())} "
                        f"records for ({key}); give 'order' and 'mode' to choose one, or a "
                        "filter that leaves one record per key")
    return add


def _io_merged(p: dict[str, Any]) -> IO:
    pairs = by_pairs(p["by_vars"])
    news = new_var_pairs(p["new_vars"])
    io = IO(reads=[(("by_vars", i), a) for i, (a, _) in enumerate(pairs)])
    add = [(("by_vars", i), b) for i, (_, b) in enumerate(pairs)]
    add += [(("new_vars", i if isinstance(p["new_vars"], list) else new), old)
            for i, (new, old) in enumerate(news)]
    add += [(("order", i), n) for i, n in enumerate(order_names(p.get("order")))]
    add += list(cn.variables(p.get("filter_add"), ("filter_add",)))
    io.add_reads["dataset_add"] = add
    io.writes = [n for n, _ in news] + ([p["exist_flag"]] if p.get("exist_flag") else [])
    io.fresh = [(("new_vars",), n) for n in io.writes]
    return io


def _by_text(pairs: list[tuple[str, str]]) -> str:
    return ", ".join(a if a == b else f"{a} (= {b})" for a, b in pairs)


def _describe_merged(p: dict[str, Any]) -> dict[str, str]:
    ds = p["dataset_add"]
    pairs = by_pairs(p["by_vars"])
    which = "the record"
    if p.get("order"):
        which = f"the {p.get('mode', 'first')} record (ordered by {', '.join(p['order'])})"
    where = f" where {cn.describe(p['filter_add'])}" if p.get("filter_add") else ""
    out = {}
    for new, old in new_var_pairs(p["new_vars"]):
        miss = (p.get("missing_values") or {}).get(new)
        tail = f"; {miss!r} when there is none" if miss is not None else ""
        out[new] = f"{ds}.{old} of {which} of {ds}{where} with the same {_by_text(pairs)}{tail}."
    if p.get("exist_flag"):
        out[p["exist_flag"]] = (f"{p.get('true_value', 'Y')!r} when {ds} has a record{where} "
                                f"with the same {_by_text(pairs)}, else "
                                f"{p.get('false_value')!r}.")
    return out


@method("derive_vars_merged", family="merge", origin="Predecessor",
        summary="Add variables from another dataset (SDTM or ADSL), joined by key.",
        params={"dataset_add": DATASET_REF, "by_vars": BY_VARS, "new_vars": NEW_VARS,
                "filter_add": {**CONDITION_REF, "description": "records of dataset_add to use"},
                "order": ORDER, "mode": MODE,
                "exist_flag": {**NAME, "description": "a new flag variable: whether a record "
                                                      "was found"},
                "true_value": SCALAR, "false_value": SCALAR,
                "missing_values": {"type": "object", "propertyNames": NAME,
                                   "additionalProperties": SCALAR,
                                   "description": "values for records with no match"}},
        required=("dataset_add", "by_vars", "new_vars"),
        datasets=("dataset_add",), io=_io_merged, describe=_describe_merged,
        example="""
first_infusion:
  method: derive_vars_merged
  dataset_add: EX
  filter_add: {of: EXSTDTC, missing: false}
  by_vars: [STUDYID, USUBJID]
  order: [EXSTDTC, EXSEQ]
  mode: first
  new_vars: {TRTSDTC: EXSTDTC}""")
def derive_vars_merged(dataset: pd.DataFrame, *, dataset_add: pd.DataFrame, by_vars: list,
                       new_vars: Any, filter_add: dict | None = None,
                       order: list[str] | None = None, mode: str | None = None,
                       exist_flag: str | None = None, true_value: Any = "Y",
                       false_value: Any = None,
                       missing_values: dict[str, Any] | None = None) -> pd.DataFrame:
    """Copy ``new_vars`` from the record of ``dataset_add`` with the same ``by_vars`` (after
    ``filter_add``).  Without ``order`` there must be at most one such record per key (else a
    data error names the key); with ``order`` and ``mode`` the first or last record in that
    order is taken.  Records with no match get missing values (or ``missing_values``).  A
    variable that already exists is an error: merging never overwrites.  ``exist_flag`` adds a
    flag: ``true_value`` where a record was found, ``false_value`` elsewhere."""
    pairs = by_pairs(by_vars)
    take = new_var_pairs(new_vars)
    clash = [n for n, _ in take if n in dataset.columns]
    if exist_flag and exist_flag in dataset.columns:
        clash.append(exist_flag)
    if clash:
        raise DataError(f"variable {', '.join(clash)} already exists; merging never "
                        "overwrites (rename it in new_vars)")
    add = dataset_add[cn.evaluate(dataset_add, filter_add)] if filter_add else dataset_add
    right = [b for _, b in pairs]
    add = _one_per_key(add, right, order, mode, "dataset_add")
    merged = _joined(dataset, add, pairs, take)
    df = dataset.copy(deep=False)
    hit = merged["__hit__"].to_numpy()
    for new, _ in take:
        assign_column(df, new, merged[new])
        if missing_values and new in missing_values:
            assign_column(df, new, missing_values[new], ~hit)
    if exist_flag:
        assign_column(df, exist_flag, false_value)
        assign_column(df, exist_flag, true_value, hit)
    return df


LOOKUP = {"type": "array", "minItems": 1, "items": {
    "type": "object", "minProperties": 2, "propertyNames": NAME, "additionalProperties": SCALAR}}


def _lookup_frame(lookup: list[dict[str, Any]], keys: list[str]) -> pd.DataFrame:
    names: list[str] = []
    for row in lookup:
        names += [k for k in row if k not in names]
    missing = [k for k in keys if any(k not in row for row in lookup)]
    if missing:
        raise DataError(f"every lookup row needs the key variable(s) {', '.join(missing)}")
    table = pd.DataFrame({n: normalize(np.array([row.get(n) for row in lookup], dtype=object))
                          for n in names})
    dup = table.duplicated(keys, keep=False)
    if dup.any():
        first = table[dup].iloc[0]
        raise DataError("the lookup table names the key ("
                        + ", ".join(f"{k}={first[k]}" for k in keys) + ") twice")
    return table


def _io_lookup(p: dict[str, Any]) -> IO:
    keys = list(p["by_vars"])
    names: list[str] = []
    for row in p["lookup"]:
        names += [k for k in row if k not in names and k not in keys]
    io = IO(reads=[(("by_vars", i), k) for i, k in enumerate(keys)], writes=names,
            fresh=[(("lookup",), n) for n in names])
    if "PARAMCD" in names:
        io.params_made = sorted({str(r["PARAMCD"]) for r in p["lookup"] if r.get("PARAMCD")})
    if "PARAMCD" in keys:
        io.params_used = [(("lookup", i, "PARAMCD"), str(r["PARAMCD"]))
                          for i, r in enumerate(p["lookup"]) if r.get("PARAMCD") is not None]
    return io


def _describe_lookup(p: dict[str, Any]) -> dict[str, str]:
    keys = list(p["by_vars"])
    out = {}
    for name in _io_lookup(p).writes:
        pairs = [f"{'/'.join(str(r.get(k)) for k in keys)} → {r.get(name)}"
                 for r in p["lookup"] if name in r]
        shown = "; ".join(pairs[:12]) + ("; …" if len(pairs) > 12 else "")
        out[name] = f"From {', '.join(keys)} by the spec's table: {shown}."
    return out


@method("derive_vars_merged_lookup", family="merge",
        summary="Add variables from a lookup table written in the spec, joined by key.",
        params={"lookup": {**LOOKUP, "description": "rows of key and new values"},
                "by_vars": {"type": "array", "items": NAME, "minItems": 1},
                "unmatched": {"enum": ["error", "missing"], "description":
                              "a key value the table does not name: a data error (default) or "
                              "missing values"}},
        required=("lookup", "by_vars"),
        io=_io_lookup, describe=_describe_lookup,
        example="""
analysis_visit:
  method: derive_vars_merged_lookup
  by_vars: [VISIT]
  lookup:
    - {VISIT: WEEK 12, AVISIT: Week 12, AVISITN: 12}
    - {VISIT: WEEK 24, AVISIT: Week 24, AVISITN: 24}""")
def derive_vars_merged_lookup(dataset: pd.DataFrame, *, lookup: list[dict[str, Any]],
                              by_vars: list[str], unmatched: str = "error") -> pd.DataFrame:
    """admiral's ``derive_vars_merged_lookup()`` with the lookup table written in the spec:
    every column of the table that is not a key becomes a variable.  A present key value the
    table does not name is a data error listing the values (``unmatched: missing`` leaves
    such records missing); records whose key is missing stay missing."""
    keys = list(by_vars)
    table = _lookup_frame(lookup, keys)
    new = [c for c in table.columns if c not in keys]
    clash = [n for n in new if n in dataset.columns]
    if clash:
        raise DataError(f"variable {', '.join(clash)} already exists; a lookup never "
                        "overwrites")
    merged = _joined(dataset, table, [(k, k) for k in keys], [(n, n) for n in new])
    if unmatched == "error":
        present = dataset[keys].notna().all(axis=1).to_numpy()
        bad = present & ~merged["__hit__"].to_numpy()
        if bad.any():
            vals = dataset.loc[bad, keys].drop_duplicates().head(5)
            shown = "; ".join(", ".join(f"{k}={r[k]}" for k in keys)
                              for _, r in vals.iterrows())
            raise DataError(f"{int(bad.sum())} record(s) have a key the lookup table does not "
                            f"name: {shown}")
    df = dataset.copy(deep=False)
    for n in new:
        assign_column(df, n, merged[n])
    return df


def _io_exist(p: dict[str, Any]) -> IO:
    pairs = by_pairs(p["by_vars"])
    io = IO(reads=[(("by_vars", i), a) for i, (a, _) in enumerate(pairs)],
            writes=[p["new_var"]], fresh=[(("new_var",), p["new_var"])])
    io.add_reads["dataset_add"] = (
        [(("by_vars", i), b) for i, (_, b) in enumerate(pairs)]
        + list(cn.variables(p.get("condition"), ("condition",)))
        + list(cn.variables(p.get("filter_add"), ("filter_add",))))
    return io


def _describe_exist(p: dict[str, Any]) -> dict[str, str]:
    ds = p["dataset_add"]
    where = f" where {cn.describe(p['filter_add'])}" if p.get("filter_add") else ""
    cond = f" with {cn.describe(p['condition'])}" if p.get("condition") else ""
    text = (f"{p.get('true_value', 'Y')!r} when {ds}{where} has a record{cond} with the same "
            f"{_by_text(by_pairs(p['by_vars']))}")
    if "false_value" in p:
        text += f"; {p['false_value']!r} when it has records but none{cond and ' such'}"
    if "missing_value" in p:
        text += f"; {p['missing_value']!r} when it has no record"
    return {p["new_var"]: text + "."}


@method("derive_var_merged_exist_flag", family="merge",
        summary="A flag: whether another dataset has a record (meeting a condition) per key.",
        params={"dataset_add": DATASET_REF, "by_vars": BY_VARS, "new_var": NAME,
                "condition": {**CONDITION_REF, "description": "the record must meet this"},
                "filter_add": {**CONDITION_REF, "description": "records of dataset_add to use"},
                "true_value": SCALAR, "false_value": SCALAR, "missing_value": SCALAR},
        required=("dataset_add", "by_vars", "new_var"),
        datasets=("dataset_add",), io=_io_exist, describe=_describe_exist,
        example="""
safety:
  method: derive_var_merged_exist_flag
  dataset_add: EX
  by_vars: [STUDYID, USUBJID]
  new_var: SAFFL
  condition: {of: EXSTDTC, missing: false}
  false_value: N
  missing_value: N""")
def derive_var_merged_exist_flag(dataset: pd.DataFrame, *, dataset_add: pd.DataFrame,
                                 by_vars: list, new_var: str, condition: dict | None = None,
                                 filter_add: dict | None = None, true_value: Any = "Y",
                                 false_value: Any = None,
                                 missing_value: Any = None) -> pd.DataFrame:
    """As admiral's ``derive_var_merged_exist_flag()``: ``true_value`` when ``dataset_add``
    (after ``filter_add``) has a record with the same ``by_vars`` meeting ``condition``;
    ``false_value`` when it has records but none meets it; ``missing_value`` when it has
    none."""
    if new_var in dataset.columns:
        raise DataError(f"variable {new_var} already exists; merging never overwrites")
    pairs = by_pairs(by_vars)
    right = [b for _, b in pairs]
    add = dataset_add[cn.evaluate(dataset_add, filter_add)] if filter_add else dataset_add
    met = cn.evaluate(add, condition)
    summary = add[right].copy()
    summary["__met__"] = met
    summary = summary.groupby(right, dropna=False, sort=False, as_index=False)["__met__"].max()
    merged = _joined(dataset, summary, pairs, [("__met__", "__met__")])
    hit = merged["__hit__"].to_numpy()
    met_rows = hit & merged["__met__"].fillna(False).astype(bool).to_numpy()
    df = dataset.copy(deep=False)
    assign_column(df, new_var, missing_value)
    assign_column(df, new_var, false_value, hit)
    assign_column(df, new_var, true_value, met_rows)
    return df


SUMMARY = {"enum": ["count", "sum", "min", "max", "mean"]}


def _io_summary(p: dict[str, Any]) -> IO:
    pairs = by_pairs(p["by_vars"])
    io = IO(reads=[(("by_vars", i), a) for i, (a, _) in enumerate(pairs)],
            writes=[p["new_var"]], fresh=[(("new_var",), p["new_var"])])
    io.add_reads["dataset_add"] = (
        [(("by_vars", i), b) for i, (_, b) in enumerate(pairs)]
        + ([(("analysis_var",), p["analysis_var"])] if p.get("analysis_var") else [])
        + list(cn.variables(p.get("filter_add"), ("filter_add",))))
    return io


def _describe_summary(p: dict[str, Any]) -> dict[str, str]:
    ds = p["dataset_add"]
    where = f" where {cn.describe(p['filter_add'])}" if p.get("filter_add") else ""
    what = ("number of records" if p["summary"] == "count"
            else f"{p['summary']} of {p.get('analysis_var')}")
    miss = f"; {p['missing_value']!r} when there is none" if "missing_value" in p else ""
    return {p["new_var"]: f"The {what} of {ds}{where} with the same "
                          f"{_by_text(by_pairs(p['by_vars']))}{miss}."}


@method("derive_var_merged_summary", family="merge",
        summary="A count, sum, minimum, maximum or mean of another dataset's records per key.",
        params={"dataset_add": DATASET_REF, "by_vars": BY_VARS, "new_var": NAME,
                "summary": SUMMARY, "analysis_var": NAME,
                "filter_add": {**CONDITION_REF, "description": "records of dataset_add to use"},
                "missing_value": SCALAR},
        required=("dataset_add", "by_vars", "new_var", "summary"),
        datasets=("dataset_add",), io=_io_summary, describe=_describe_summary,
        example="""
infusions:
  method: derive_var_merged_summary
  dataset_add: EX
  by_vars: [STUDYID, USUBJID]
  new_var: NINFUS
  summary: count
  missing_value: 0""")
def derive_var_merged_summary(dataset: pd.DataFrame, *, dataset_add: pd.DataFrame,
                              by_vars: list, new_var: str, summary: str,
                              analysis_var: str | None = None, filter_add: dict | None = None,
                              missing_value: Any = None) -> pd.DataFrame:
    """As admiral's ``derive_var_merged_summary()``: one summary value of ``dataset_add``
    (after ``filter_add``) per ``by_vars`` group — ``count`` of records, or ``sum``, ``min``,
    ``max``, ``mean`` of ``analysis_var`` (missing values ignored); ``missing_value`` for
    records with no group."""
    if new_var in dataset.columns:
        raise DataError(f"variable {new_var} already exists; merging never overwrites")
    if summary != "count" and not analysis_var:
        raise DataError(f"summary '{summary}' needs analysis_var")
    pairs = by_pairs(by_vars)
    right = [b for _, b in pairs]
    add = dataset_add[cn.evaluate(dataset_add, filter_add)] if filter_add else dataset_add
    grouped = add.groupby(right, dropna=False, sort=False)
    if summary == "count":
        res = grouped.size().rename("__v__").reset_index()
    else:
        values = add[right].copy()
        values["__v__"] = pd.to_numeric(add[analysis_var], errors="coerce")
        res = values.groupby(right, dropna=False, sort=False)["__v__"].agg(summary).reset_index()
    merged = _joined(dataset, res, pairs, [("__v__", "__v__")])
    df = dataset.copy(deep=False)
    assign_column(df, new_var, merged["__v__"])
    if missing_value is not None:
        assign_column(df, new_var, missing_value, ~merged["__hit__"].to_numpy())
    return df
