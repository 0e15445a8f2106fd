"""Flags: first/last record per group, criterion flags, record numbers."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError
from . import conditions as cn
from .registry import (CONDITION_REF, IO, NAME, ORDER, SCALAR, VARS, assign_column, method,
                       order_names, parse_order, sort_frame)


def _io_extreme(p: dict[str, Any]) -> IO:
    return IO(reads=[(("by_vars", i), v) for i, v in enumerate(p["by_vars"])]
              + [(("order", i), v) for i, v in enumerate(order_names(p["order"]))]
              + list(cn.variables(p.get("filter"), ("filter",))),
              writes=[p["new_var"]],
              params_used=list(cn.parameters(p.get("filter"), ("filter",))))


def _describe_extreme(p: dict[str, Any]) -> dict[str, str]:
    where = f" among the records where {cn.describe(p['filter'])}" if p.get("filter") else ""
    other = p.get("false_value")
    return {p["new_var"]: (f"{p.get('true_value', 'Y')!r} on the {p['mode']} record by "
                           f"{', '.join(p['order'])} per {', '.join(p['by_vars'])}{where}; "
                           f"{'missing' if other is None else repr(other)} on the others.")}


@method("derive_var_extreme_flag", family="flags",
        summary="Flag the first or last record per group in a given order.",
        params={"by_vars": VARS, "order": ORDER, "new_var": NAME,
                "mode": {"enum": ["first", "last"]},
                "filter": {**CONDITION_REF, "description": "only these records are candidates"},
                "true_value": SCALAR, "false_value": SCALAR},
        required=("by_vars", "order", "new_var", "mode"),
        io=_io_extreme, describe=_describe_extreme,
        example="""
first_occurrence:
  method: derive_var_extreme_flag
  by_vars: [STUDYID, USUBJID]
  order: [ASTDT, AESEQ]
  new_var: AOCCFL
  mode: first
  filter: {of: TRTEMFL, equals: "Y"}""")
def derive_var_extreme_flag(dataset: pd.DataFrame, *, by_vars: list[str], order: list[str],
                            new_var: str, mode: str, filter: dict | None = None,
                            true_value: Any = "Y", false_value: Any = None) -> pd.DataFrame:
    """As admiral's ``derive_var_extreme_flag()`` (with ``restrict_derivation`` as
    ``filter``): among the records where ``filter`` holds, sort each ``by_vars`` group by
    ``order`` (``desc(VAR)`` for descending; missing values last) and set ``new_var`` to
    ``true_value`` on the first (``mode: first``) or last record; every other record gets
    ``false_value`` (missing by default).  The records keep their order."""
    df = dataset.copy(deep=False)
    cand = cn.evaluate(dataset, filter)
    work = dataset.loc[cand, list(by_vars) + order_names(order)].copy()
    work["__pos__"] = np.flatnonzero(cand)
    work = sort_frame(work, list(by_vars), parse_order(order))
    pick = work.drop_duplicates(list(by_vars), keep="first" if mode == "first" else "last")
    flag = np.zeros(len(df), dtype=bool)
    flag[pick["__pos__"].to_numpy()] = True
    assign_column(df, new_var, false_value)
    assign_column(df, new_var, true_value, flag)
    return df


def _crit_names(p: dict[str, Any]) -> list[str]:
    y = p["crit_nr"]
    names = [f"CRIT{y}", f"CRIT{y}FL"]
    if p.get("create_numeric_flag"):
        names.append(f"CRIT{y}FN")
    return names


def _io_crit(p: dict[str, Any]) -> IO:
    return IO(reads=list(cn.variables(p["condition"], ("condition",)))
              + list(cn.variables(p.get("filter"), ("filter",))),
              writes=_crit_names(p),
              params_used=list(cn.parameters(p.get("filter"), ("filter",))))


def _describe_crit(p: dict[str, Any]) -> dict[str, str]:
    y = p["crit_nr"]
    where = f" on records where {cn.describe(p['filter'])}" if p.get("filter") else ""
    no = "'N'" if p.get("values_yn", True) else "missing"
    out = {f"CRIT{y}": f"{p['description']!r}{where}.",
           f"CRIT{y}FL": (f"'Y' if {cn.describe(p['condition'])}, else {no}{where}; missing "
                          "when a variable of the criterion is missing.")}
    if p.get("create_numeric_flag"):
        out[f"CRIT{y}FN"] = f"1 where CRIT{y}FL = 'Y', 0 where 'N'."
    return out


@method("derive_vars_crit_flag", family="flags",
        summary="Criterion variables CRITy, CRITyFL (and CRITyFN) from a condition.",
        params={"crit_nr": {"type": "integer", "minimum": 1, "maximum": 99},
                "condition": CONDITION_REF,
                "description": {"type": "string", "minLength": 1, "maxLength": 200,
                                "description": "the text of CRITy"},
                "values_yn": {"type": "boolean", "description": "'N' when the criterion does "
                                                                "not hold (default true)"},
                "create_numeric_flag": {"type": "boolean"},
                "filter": {**CONDITION_REF, "description": "only on these records"}},
        required=("crit_nr", "condition", "description"),
        io=_io_crit, describe=_describe_crit,
        example="""
easi50_criterion:
  method: derive_vars_crit_flag
  crit_nr: 1
  condition: {of: PCHG, le: -50}
  description: EASI-50 (percent change from baseline <= -50)
  filter: {all: [{of: PARAMCD, equals: EASI}, {of: AVISITN, gt: 0}]}""")
def derive_vars_crit_flag(dataset: pd.DataFrame, *, crit_nr: int, condition: dict,
                          description: str, values_yn: bool = True,
                          create_numeric_flag: bool = False,
                          filter: dict | None = None) -> pd.DataFrame:
    """As admiral's ``derive_vars_crit_flag()``: on the records where ``filter`` holds,
    ``CRITy`` = ``description`` and ``CRITyFL`` = 'Y' where ``condition`` holds, 'N' where it
    does not (missing with ``values_yn: false``), missing where a variable the condition reads
    is missing.  Records outside ``filter`` keep their values (missing when new), so one
    criterion number can carry a parameter-specific text."""
    y = crit_nr
    df = dataset.copy(deep=False)
    rows = cn.evaluate(dataset, filter)
    known = np.ones(len(df), dtype=bool)
    for _, v in cn.variables(condition):
        known &= dataset[v].notna().to_numpy()
    holds = cn.evaluate(dataset, condition)
    assign_column(df, f"CRIT{y}", description, rows)
    assign_column(df, f"CRIT{y}FL", None, rows)
    assign_column(df, f"CRIT{y}FL", "Y", rows & known & holds)
    if values_yn:
        assign_column(df, f"CRIT{y}FL", "N", rows & known & ~holds)
    if create_numeric_flag:
        assign_column(df, f"CRIT{y}FN", None, rows)
        assign_column(df, f"CRIT{y}FN", 1.0, rows & known & holds)
        assign_column(df, f"CRIT{y}FN", 0.0, rows & known & ~holds)
    return df


def _io_obs(p: dict[str, Any]) -> IO:
    return IO(reads=[(("by_vars", i), v) for i, v in enumerate(p["by_vars"])]
              + [(("order", i), v) for i, v in enumerate(order_names(p["order"]))],
              writes=[p.get("new_var", "ASEQ")])


def _describe_obs(p: dict[str, Any]) -> dict[str, str]:
    return {p.get("new_var", "ASEQ"): f"Record number 1, 2, … per {', '.join(p['by_vars'])} in "
                                      f"the order {', '.join(p['order'])}."}


@method("derive_var_obs_number", family="flags",
        summary="Number the records 1, 2, … per group in a given order (ASEQ).",
        params={"by_vars": VARS, "order": ORDER, "new_var": NAME,
                "check_type": {"enum": ["error", "none"], "description": "two records with "
                               "the same order values: an error (default) or numbered anyway"}},
        required=("by_vars", "order"),
        io=_io_obs, describe=_describe_obs,
        example="""
sequence:
  method: derive_var_obs_number
  by_vars: [STUDYID, USUBJID]
  order: [PARAMN, AVISITN, ADT]
  new_var: ASEQ""")
def derive_var_obs_number(dataset: pd.DataFrame, *, by_vars: list[str], order: list[str],
                          new_var: str = "ASEQ", check_type: str = "error") -> pd.DataFrame:
    """As admiral's ``derive_var_obs_number()``: within each ``by_vars`` group, the records
    sorted by ``order`` are numbered from 1.  With ``check_type: error`` (default) two records
    of a group with the same ``order`` values are a data error (the numbering would depend on
    chance)."""
    names = order_names(order)
    work = dataset[list(by_vars) + names].copy()
    work["__pos__"] = np.arange(len(work))
    work = sort_frame(work, list(by_vars), parse_order(order))
    if check_type == "error":
        dup = work.duplicated(list(by_vars) + names, keep=False)
        if dup.any():
            first = work[dup].iloc[0]
            shown = ", ".join(f"{k}={first[k]}" for k in list(by_vars) + names)
            raise DataError(f"two records have the same ({shown}); add a variable to 'order'")
    seq = work.groupby(list(by_vars), dropna=False, sort=False).cumcount().to_numpy() + 1
    out = np.empty(len(work), dtype=np.float64)
    out[work["__pos__"].to_numpy()] = seq
    df = dataset.copy(deep=False)
    df[new_var] = out
    return df
