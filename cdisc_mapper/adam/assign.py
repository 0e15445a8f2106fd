"""Assigning values: copies, constants and categories defined by conditions."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from . import conditions as cn
from .registry import (CONDITION_REF, IO, NAME, OPERAND, SET_VALUES, assign_column, constant_params,
                       method, operand_reads, operand_text, operand_value)


def _io_assign(p: dict[str, Any]) -> IO:
    io = IO(reads=operand_reads(p["set_values_to"], ("set_values_to",)) +
            list(cn.variables(p.get("filter"), ("filter",))),
            writes=list(p["set_values_to"]),
            params_used=list(cn.parameters(p.get("filter"), ("filter",))),
            params_made=constant_params(p["set_values_to"]))
    return io


def _describe_assign(p: dict[str, Any]) -> dict[str, str]:
    where = f" on records where {cn.describe(p['filter'])}" if p.get("filter") else ""
    return {k: f"Set to {operand_text(v)}{where}." for k, v in p["set_values_to"].items()}


@method("derive_vars_assign", family="assign",
        summary="Set variables to constants or to other variables, optionally on some records.",
        params={"set_values_to": SET_VALUES,
                "filter": {**CONDITION_REF, "description": "only on these records (others keep "
                                                           "their values, missing if new)"}},
        required=("set_values_to",),
        io=_io_assign, describe=_describe_assign,
        example="""
analysis_value:
  method: derive_vars_assign
  set_values_to: {AVAL: {of: QSSTRESN}, SRCDOM: QS, SRCVAR: QSSTRESN, SRCSEQ: {of: QSSEQ}}""")
def derive_vars_assign(dataset: pd.DataFrame, *, set_values_to: dict[str, Any],
                       filter: dict | None = None) -> pd.DataFrame:
    """Set each variable of ``set_values_to`` to its value: a constant (``SRCDOM: QS``), another
    variable of the same record (``AVAL: {of: QSSTRESN}``) or ``{value: X}``.  With ``filter``,
    only the records where it holds are set; the others keep their values (missing for a new
    variable).  This is ``dplyr::mutate()`` in an admiral program."""
    df = dataset.copy(deep=False)
    rows = cn.evaluate(df, filter) if filter is not None else None
    for name, op in set_values_to.items():
        assign_column(df, name, operand_value(dataset, op), rows)
    return df


DEFINITION = {"type": "array", "minItems": 1, "items": {
    "type": "object", "additionalProperties": False, "required": ["when", "set_values_to"],
    "properties": {"when": CONDITION_REF, "set_values_to": SET_VALUES}}}


def _cat_writes(p: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for row in p["definition"]:
        out += [k for k in row["set_values_to"] if k not in out]
    out += [k for k in (p.get("else") or {}) if k not in out]
    return out


def _io_cat(p: dict[str, Any]) -> IO:
    io = IO(writes=_cat_writes(p))
    for i, row in enumerate(p["definition"]):
        base = ("definition", i)
        io.reads += list(cn.variables(row["when"], base + ("when",)))
        io.reads += operand_reads(row["set_values_to"], base + ("set_values_to",))
        io.params_used += list(cn.parameters(row["when"], base + ("when",)))
    io.reads += operand_reads(p.get("else") or {}, ("else",))
    return io


def _describe_cat(p: dict[str, Any]) -> dict[str, str]:
    out = {}
    for name in _cat_writes(p):
        cases = [f"{operand_text(r['set_values_to'][name])} if {cn.describe(r['when'])}"
                 for r in p["definition"] if name in r["set_values_to"]]
        other = (p.get("else") or {}).get(name)
        tail = f"; otherwise {operand_text(other)}" if name in (p.get("else") or {}) \
            else "; otherwise missing"
        out[name] = "; ".join(cases) + tail + " (first matching condition wins)."
    return out


@method("derive_vars_cat", family="assign",
        summary="Categorise records: the first matching condition of a table sets the variables.",
        params={"definition": {**DEFINITION, "description": "rows of {when: condition, "
                                                            "set_values_to: {...}}, in order"},
                "else": {**SET_VALUES, "description": "values where no condition matches "
                                                      "(default missing)"}},
        required=("definition",),
        io=_io_cat, describe=_describe_cat,
        example="""
age_groups:
  method: derive_vars_cat
  definition:
    - {when: {of: AGE, lt: 30}, set_values_to: {AGEGR1: "<30", AGEGR1N: 1}}
    - {when: {of: AGE, ge: 30}, set_values_to: {AGEGR1: ">=30", AGEGR1N: 2}}""")
def derive_vars_cat(dataset: pd.DataFrame, *, definition: list[dict[str, Any]],
                    **kw: Any) -> pd.DataFrame:
    """Derive one or several variables from a definition table, as admiral's
    ``derive_vars_cat()``: each record takes the ``set_values_to`` of the first row whose
    ``when`` holds; where no row matches, the values of ``else`` (missing when not given).
    Values are constants or ``{of: VARIABLE}``."""
    other = kw.get("else") or {}
    df = dataset.copy(deep=False)
    n = len(df)
    names = _cat_writes({"definition": definition, "else": other})
    decided = np.zeros(n, dtype=bool)
    hits = []
    for row in definition:
        hit = cn.evaluate(dataset, row["when"]) & ~decided
        hits.append(hit)
        decided |= hit
    for name in names:
        if name in df.columns:
            df = df.drop(columns=name)
        assign_column(df, name, operand_value(dataset, other[name]) if name in other else None)
        for row, hit in zip(definition, hits):
            if name in row["set_values_to"] and hit.any():
                assign_column(df, name, operand_value(dataset, row["set_values_to"][name]), hit)
    return df


__all__ = ["derive_vars_assign", "derive_vars_cat", "NAME", "OPERAND"]
