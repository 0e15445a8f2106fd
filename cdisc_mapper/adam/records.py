"""Records added by imputation, each marked with its derivation type (DTYPE)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from . import conditions as cn
from .params import _add_records
from .registry import (CONDITION_REF, DATASET_REF, IO, LINEAGE, NAME, SCALAR, SET_VALUES, VARS,
                       assign_column, constant_params, method, normalize, operand_text,
                       operand_value,
                       order_names, parse_order, set_column, sort_frame)

EXPECTED = {"type": "array", "minItems": 1, "items": {
    "type": "object", "minProperties": 1, "propertyNames": NAME, "additionalProperties": SCALAR},
    "description": "rows crossed with every subject of dataset_ref: the expected records"}


def _expected_columns(p: dict[str, Any]) -> list[str]:
    cols: list[str] = []
    for row in p.get("expected") or ():
        cols += [k for k in row if k not in cols]
    return cols


def _reference(dataset_ref: pd.DataFrame, ref_vars: list[str], filter_ref: dict | None,
               expected: list[dict[str, Any]] | None) -> pd.DataFrame:
    ref = dataset_ref[cn.evaluate(dataset_ref, filter_ref)] if filter_ref else dataset_ref
    ref = ref[list(ref_vars)].drop_duplicates().reset_index(drop=True)
    if expected:
        cols: list[str] = []
        for row in expected:
            cols += [k for k in row if k not in cols]
        table = pd.DataFrame({c: normalize(np.array([row.get(c) for row in expected],
                                                    dtype=object)) for c in cols})
        ref = ref.merge(table, how="cross")
    return ref


def _present(ref: pd.DataFrame, dataset: pd.DataFrame, by_vars: list[str]) -> np.ndarray:
    """For each row of ``ref``: whether ``dataset`` has a record with the same ``by_vars``."""
    from .merge import _key_frames
    left, right = _key_frames(ref, by_vars, dataset, by_vars)
    right = right.drop_duplicates().assign(__there__=True)
    merged = left.merge(right, how="left", on=list(left.columns), sort=False)
    return merged["__there__"].notna().to_numpy()


def _io_expected(p: dict[str, Any]) -> IO:
    ref_vars = p.get("ref_vars") or ["STUDYID", "USUBJID"]
    io = IO(reads=[(("by_vars", i), v) for i, v in enumerate(p["by_vars"])],
            writes=[c for c in [*ref_vars, *_expected_columns(p), *p["set_values_to"]]])
    io.add_reads["dataset_ref"] = ([(("ref_vars", i), v) for i, v in enumerate(ref_vars)]
                                   + list(cn.variables(p.get("filter_ref"), ("filter_ref",))))
    io.params_used = [(("expected", i, "PARAMCD"), str(r["PARAMCD"]))
                      for i, r in enumerate(p.get("expected") or ()) if r.get("PARAMCD")]
    io.params_made = constant_params(p["set_values_to"])
    return io


def _describe_expected(p: dict[str, Any]) -> dict[str, str]:
    ref = p["dataset_ref"]
    where = f" where {cn.describe(p['filter_ref'])}" if p.get("filter_ref") else ""
    combos = ""
    if p.get("expected"):
        combos = " × (" + "; ".join(", ".join(f"{k}={v}" for k, v in r.items())
                                    for r in p["expected"]) + ")"
    head = (f"On records added for every subject of {ref}{where}{combos} that has no record "
            f"with the same {', '.join(p['by_vars'])}")
    out = {k: f"{head}: {ref}.{k}." for k in p.get("ref_vars") or ["STUDYID", "USUBJID"]}
    out.update({k: f"{head}: the value of the expected row." for k in _expected_columns(p)})
    out.update({k: f"{head}: {operand_text(v)}." for k, v in p["set_values_to"].items()})
    return out


@method("derive_expected_records", family="records", adds_records=True,
        summary="Add the expected records that are missing (e.g. a visit with no response), "
                "with values such as DTYPE set.",
        params={"dataset_ref": DATASET_REF,
                "filter_ref": {**CONDITION_REF, "description": "which records of dataset_ref"},
                "ref_vars": {**VARS, "description": "variables of dataset_ref that identify a "
                                                    "subject (default STUDYID, USUBJID)"},
                "expected": EXPECTED, "by_vars": VARS, "set_values_to": SET_VALUES},
        required=("dataset_ref", "by_vars", "set_values_to"),
        datasets=("dataset_ref",), io=_io_expected, describe=_describe_expected,
        example="""
week12_nonresponse:
  method: derive_expected_records
  dataset_ref: ADSL
  filter_ref: {of: FASFL, equals: "Y"}
  expected:
    - {PARAMCD: EASI50, AVISIT: Week 12, AVISITN: 12}
  by_vars: [STUDYID, USUBJID, PARAMCD, AVISITN]
  set_values_to: {AVALC: "N", AVAL: 0, DTYPE: WC}""")
def derive_expected_records(dataset: pd.DataFrame, *, dataset_ref: pd.DataFrame,
                            by_vars: list[str], set_values_to: dict[str, Any],
                            filter_ref: dict | None = None, ref_vars: list[str] | None = None,
                            expected: list[dict[str, Any]] | None = None) -> pd.DataFrame:
    """As admiral's ``derive_expected_records()``: the expected records are every subject of
    ``dataset_ref`` (where ``filter_ref`` holds; its ``ref_vars``) crossed with the rows of
    ``expected``; for each one with no record in the dataset (compared on ``by_vars``), a new
    record with the expected values and ``set_values_to`` (e.g. ``AVALC: N, DTYPE: WC``) is
    added.  The added records have no SDTM source (their lineage is empty)."""
    ref = _reference(dataset_ref, ref_vars or ["STUDYID", "USUBJID"], filter_ref, expected)
    new = ref[~_present(ref, dataset, list(by_vars))].reset_index(drop=True)
    for name, op in set_values_to.items():
        assign_column(new, name, operand_value(new, op))
    if LINEAGE in dataset.columns:
        set_column(new, LINEAGE, np.full(len(new), "", dtype=object))
    return _add_records(dataset, new)


def _io_locf(p: dict[str, Any]) -> IO:
    io = _io_expected({**p, "set_values_to": p["set_values_to"]})
    io.reads += [(("order", i), v) for i, v in enumerate(order_names(p["order"]))]
    io.reads += [(("analysis_var",), p.get("analysis_var", "AVAL"))]
    io.reads += [(("keep_vars", i), v) for i, v in enumerate(p.get("keep_vars") or ())]
    io.writes += [p.get("analysis_var", "AVAL")] + list(p.get("keep_vars") or ())
    return io


def _describe_locf(p: dict[str, Any]) -> dict[str, str]:
    out = _describe_expected(p)
    var = p.get("analysis_var", "AVAL")
    group = [b for b in p["by_vars"] if b not in _expected_columns(p)]
    for v in [var] + list(p.get("keep_vars") or ()):
        out[v] = (f"On records added for expected records with no record: {v} of the last "
                  f"earlier record (by {', '.join(p['order'])}) with a present {var} of the "
                  f"same {', '.join(group)} (last observation carried forward).")
    return out


@method("derive_locf_records", family="records", adds_records=True,
        summary="Add missing expected records carrying the last observation forward (LOCF).",
        params={"dataset_ref": DATASET_REF,
                "filter_ref": {**CONDITION_REF, "description": "which records of dataset_ref"},
                "ref_vars": VARS, "expected": EXPECTED, "by_vars": VARS, "order": {
                    "type": "array", "items": NAME, "minItems": 1,
                    "description": "the order of visits, e.g. [AVISITN]"},
                "analysis_var": NAME, "keep_vars": VARS, "set_values_to": SET_VALUES},
        required=("dataset_ref", "expected", "by_vars", "order", "set_values_to"),
        datasets=("dataset_ref",), io=_io_locf, describe=_describe_locf,
        example="""
week12_locf:
  method: derive_locf_records
  dataset_ref: ADSL
  expected:
    - {PARAMCD: DLQI, AVISIT: Week 12, AVISITN: 12}
  by_vars: [STUDYID, USUBJID, PARAMCD, AVISITN]
  order: [AVISITN]
  set_values_to: {DTYPE: LOCF}""")
def derive_locf_records(dataset: pd.DataFrame, *, dataset_ref: pd.DataFrame,
                        expected: list[dict[str, Any]], by_vars: list[str], order: list[str],
                        set_values_to: dict[str, Any], filter_ref: dict | None = None,
                        ref_vars: list[str] | None = None, analysis_var: str = "AVAL",
                        keep_vars: list[str] | None = None) -> pd.DataFrame:
    """As admiral's ``derive_locf_records()``: for each expected record (subjects of
    ``dataset_ref`` × ``expected``) with no record in the dataset, a new record whose
    ``analysis_var`` (and ``keep_vars``, e.g. BASE) is taken from the last earlier record (in
    ``order``) of the same group (``by_vars`` without the ``order`` variables) with a present
    value, marked by ``set_values_to`` (``DTYPE: LOCF``).  Without an earlier value no record is
    added.  The new record's lineage is the carried record's."""
    ref = _reference(dataset_ref, ref_vars or ["STUDYID", "USUBJID"], filter_ref, expected)
    new = ref[~_present(ref, dataset, list(by_vars))].reset_index(drop=True)
    ordering = list(order)
    group = [b for b in by_vars if b not in ordering]
    keep = [analysis_var] + list(keep_vars or ())
    obs = dataset[dataset[analysis_var].notna()]
    cols = group + ordering + keep + ([LINEAGE] if LINEAGE in dataset.columns else [])
    obs = sort_frame(obs[cols], group, parse_order(ordering))
    new["__pos__"] = np.arange(len(new))
    # merge_asof needs one numeric ordering variable: the last observation at or before it
    key = ordering[-1]
    left = new.copy()
    left[key] = pd.to_numeric(left[key], errors="coerce")
    right = obs.copy()
    right[key] = pd.to_numeric(right[key], errors="coerce")
    right = right.rename(columns={c: f"__c_{c}" for c in keep + [LINEAGE] if c in right.columns})
    left = left.sort_values(key, kind="stable")
    right = right.sort_values(key, kind="stable")
    carried = pd.merge_asof(left, right[group + [key] + [c for c in right.columns
                                                          if c.startswith("__c_")]],
                            on=key, by=group or None, direction="backward",
                            allow_exact_matches=False)
    carried = carried.sort_values("__pos__", kind="stable").reset_index(drop=True)
    found = carried[f"__c_{analysis_var}"].notna().to_numpy()
    new = new[found].reset_index(drop=True)
    carried = carried[found].reset_index(drop=True)
    for c in keep:
        assign_column(new, c, carried[f"__c_{c}"])
    if LINEAGE in dataset.columns:
        set_column(new, LINEAGE, carried[f"__c_{LINEAGE}"].fillna("").to_numpy(dtype=object))
    for name, op in set_values_to.items():
        assign_column(new, name, operand_value(new, op))
    return _add_records(dataset, new.drop(columns="__pos__"))
