"""Parameters derived from other parameters: computed values and responder parameters.

Both add records (one per group or per source record) and keep each new record's way back to
the SDTM records it was computed from.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError
from . import conditions as cn
from .registry import (CONDITION_REF, IO, LINEAGE, NAME, SET_VALUES, VARS, assign_column,
                       constant_params, group_ids, method, normalize, operand_reads, operand_text,
                       operand_value, set_column)

PARAM_CODE = {"type": "string", "pattern": "^[A-Z][A-Z0-9_]{0,7}$",
              "description": "a PARAMCD value"}
OPERATIONS = {"sum": "sum", "mean": "mean", "min": "min", "max": "max"}


def _add_records(dataset: pd.DataFrame, new: pd.DataFrame, drop: np.ndarray | None = None
                 ) -> pd.DataFrame:
    """``dataset`` (without the ``drop`` records) followed by ``new``; columns of either kept,
    missing where a side lacks them."""
    base = dataset[~drop] if drop is not None else dataset
    if new.empty:               # no records to add: the new variables still exist (missing)
        out = base.reset_index(drop=True)
        for c in new.columns:
            if c not in out.columns:
                out[c] = np.nan
        return out
    for c in base.columns:
        if c not in new.columns:
            new[c] = np.nan
    out = pd.concat([base.reset_index(drop=True), new[[*base.columns, *[
        c for c in new.columns if c not in base.columns]]]], ignore_index=True)
    for c in out.columns:
        # a column that is numeric on both sides stays numeric; text stays text
        if c != LINEAGE and out[c].dtype == object and not (
                (c in base.columns and base[c].dtype == object) or new[c].dtype == object):
            set_column(out, c, normalize(out[c].to_numpy()))
    return out


def _joined_lineage(src: pd.DataFrame, codes: np.ndarray) -> np.ndarray:
    """The lineage of every group: its records' lineage joined by blanks (in group order)."""
    order = np.argsort(codes, kind="stable")
    tokens = src[LINEAGE].to_numpy(dtype=object)[order] + " "
    starts = np.flatnonzero(np.r_[True, np.diff(codes[order]) != 0])
    joined = np.add.reduceat(tokens, starts) if len(tokens) else tokens
    return np.array([x.strip() for x in joined], dtype=object)


def _io_computed(p: dict[str, Any]) -> IO:
    var = p.get("analysis_var", "AVAL")
    return IO(reads=[(("by_vars", i), v) for i, v in enumerate(p["by_vars"])]
              + [((), "PARAMCD"), (("analysis_var",), var)],
              writes=[var] + list(p["by_vars"]) + [k for k in p["set_values_to"] if k != var],
              params_used=[(("parameters", i), v) for i, v in enumerate(p["parameters"])],
              params_made=constant_params(p["set_values_to"]))


def _describe_computed(p: dict[str, Any]) -> dict[str, str]:
    var = p.get("analysis_var", "AVAL")
    params = ", ".join(p["parameters"])
    made = ", ".join(constant_params(p["set_values_to"])) or "the new parameter"
    text = (f"For {made}: the {p['operation']} of {var} of parameters {params} per "
            f"{', '.join(p['by_vars'])}; computed only when every one of them is present "
            f"(one record each); the new record carries {', '.join(p['by_vars'])}.")
    if p.get("keep_source") is False:
        text += f" The records of {params} are not kept."
    out = {var: text}
    for k in p["by_vars"]:
        out[k] = f"On the records of {made}: the value shared by the records it is computed from."
    for k, v in p["set_values_to"].items():
        out[k] = f"{operand_text(v)} on the records of the computed parameter {made}."
    return out


@method("derive_param_computed", family="params", adds_records=True,
        summary="A new parameter computed from other parameters (sum, mean, min, max) per group.",
        params={"parameters": {"type": "array", "items": PARAM_CODE, "minItems": 1},
                "by_vars": VARS, "operation": {"enum": list(OPERATIONS)},
                "analysis_var": NAME, "set_values_to": SET_VALUES,
                "keep_source": {"type": "boolean", "description": "keep the source parameters' "
                                                                 "records (default true)"}},
        required=("parameters", "by_vars", "operation", "set_values_to"),
        io=_io_computed, describe=_describe_computed,
        example="""
dlqi_total:
  method: derive_param_computed
  parameters: [DLQI101, DLQI102, DLQI103, DLQI104, DLQI105,
               DLQI106, DLQI107, DLQI108, DLQI109, DLQI110]
  by_vars: [STUDYID, USUBJID, VISITNUM, VISIT, ADT]
  operation: sum
  set_values_to: {PARAMCD: DLQI}
  keep_source: false""")
def derive_param_computed(dataset: pd.DataFrame, *, parameters: list[str], by_vars: list[str],
                          operation: str, set_values_to: dict[str, Any],
                          analysis_var: str = "AVAL", keep_source: bool = True) -> pd.DataFrame:
    """As admiral's ``derive_param_computed()`` for the common case of an arithmetic summary:
    for each ``by_vars`` group that has every parameter of ``parameters`` with a present
    ``analysis_var`` (one record each; two are a data error), one new record with the
    ``by_vars``, ``analysis_var`` = the ``operation`` (sum, mean, min, max) of their values and
    ``set_values_to`` (which names the new PARAMCD).  Only the ``by_vars`` are carried to the
    new record.  ``keep_source: false`` removes the source parameters' records afterwards."""
    pcd = dataset["PARAMCD"]
    mask = pcd.isin(parameters).to_numpy()
    cols = list(by_vars) + ["PARAMCD", analysis_var]
    src = dataset.loc[mask, cols + ([LINEAGE] if LINEAGE in dataset.columns else [])]
    values = pd.to_numeric(src[analysis_var], errors="coerce").to_numpy(dtype=np.float64)
    ids = group_ids(src, list(by_vars))
    pcodes = pd.factorize(src["PARAMCD"])[0]
    dup = pd.DataFrame({"g": ids, "p": pcodes}).duplicated(keep=False).to_numpy()
    if dup.any():
        first = src[dup].iloc[0]
        shown = ", ".join(f"{k}={first[k]}" for k in list(by_vars) + ["PARAMCD"])
        raise DataError(f"two records for ({shown}); add a variable to by_vars")
    ok = ~np.isnan(values)
    src, ids, values, pcodes = src[ok], ids[ok], values[ok], pcodes[ok]
    _, ids = np.unique(ids, return_inverse=True)          # groups 0..m-1, first-appearance order
    ids = ids.reshape(-1)
    first = np.unique(ids, return_index=True)[1]
    res = pd.DataFrame({c: src[c].to_numpy()[first] for c in by_vars})
    stats = pd.DataFrame({"g": ids, "v": values, "p": pcodes}).groupby("g", sort=True)
    res[analysis_var] = stats["v"].agg(OPERATIONS[operation]).to_numpy()
    n_params = stats["p"].nunique().to_numpy()
    if LINEAGE in src.columns:
        set_column(res, LINEAGE, _joined_lineage(src, ids))
    res = res[n_params == len(set(parameters))].reset_index(drop=True)
    for name, op in set_values_to.items():
        assign_column(res, name, operand_value(res, op))
    if LINEAGE not in res.columns and LINEAGE in dataset.columns:
        set_column(res, LINEAGE, np.full(len(res), "", dtype=object))
    return _add_records(dataset, res, None if keep_source else mask)


def _responder_writes(p: dict[str, Any]) -> list[str]:
    out = ["AVALC"] + (["AVAL"] if p.get("numeric_values", True) else [])
    out += [k for k in p["by_vars"] if k not in out]
    return out + [k for k in p["set_values_to"] if k not in out]


def _io_responder(p: dict[str, Any]) -> IO:
    return IO(reads=[(("by_vars", i), v) for i, v in enumerate(p["by_vars"])] + [((), "PARAMCD")]
              + list(cn.variables(p["criterion"], ("criterion",)))
              + list(cn.variables(p.get("filter"), ("filter",)))
              + operand_reads(p["set_values_to"], ("set_values_to",)),
              writes=_responder_writes(p),
              params_used=[(("source_param",), p["source_param"])]
              + list(cn.parameters(p.get("filter"), ("filter",))),
              params_made=constant_params(p["set_values_to"]))


def _describe_responder(p: dict[str, Any]) -> dict[str, str]:
    made = ", ".join(constant_params(p["set_values_to"])) or "the new parameter"
    src = p["source_param"]
    where = f" where {cn.describe(p['filter'])}" if p.get("filter") else ""
    crit = cn.describe(p["criterion"])
    reads = sorted({v for _, v in cn.variables(p["criterion"])})
    yes, no = p.get("true_value", "Y"), p.get("false_value", "N")
    text = (f"For {made}: one record per {src} record{where} on which {', '.join(reads)} "
            f"{'is' if len(reads) == 1 else 'are'} present; AVALC = {yes!r} if {crit} on that "
            f"record, else {no!r}")
    out = {"AVALC": text + "."}
    if p.get("numeric_values", True):
        out["AVAL"] = f"For {made}: 1 when AVALC = {yes!r}, 0 when AVALC = {no!r}."
    for k, v in p["set_values_to"].items():
        out.setdefault(k, f"{operand_text(v)} on the records of {made}.")
    for k in p["by_vars"]:
        out.setdefault(k, f"On the records of {made}: copied from the {src} record.")
    return out


@method("derive_param_responder", family="params", adds_records=True,
        summary="A responder parameter (AVALC Y/N, AVAL 1/0) from a criterion on each record "
                "of another parameter.",
        params={"source_param": PARAM_CODE, "criterion": CONDITION_REF,
                "by_vars": {**VARS, "description": "variables copied from the source record"},
                "filter": {**CONDITION_REF, "description": "which source records (e.g. "
                                                           "post-baseline visits)"},
                "set_values_to": SET_VALUES,
                "true_value": {"type": "string"}, "false_value": {"type": "string"},
                "numeric_values": {"type": "boolean", "description": "also AVAL = 1/0 "
                                                                     "(default true)"}},
        required=("source_param", "criterion", "by_vars", "set_values_to"),
        io=_io_responder, describe=_describe_responder,
        example="""
easi50:
  method: derive_param_responder
  source_param: EASI
  criterion: {of: PCHG, le: -50}
  filter: {of: AVISITN, gt: 0}
  by_vars: [STUDYID, USUBJID, VISITNUM, VISIT, AVISIT, AVISITN, ADT, ADY]
  set_values_to: {PARAMCD: EASI50}""")
def derive_param_responder(dataset: pd.DataFrame, *, source_param: str, criterion: dict,
                           by_vars: list[str], set_values_to: dict[str, Any],
                           filter: dict | None = None, true_value: str = "Y",
                           false_value: str = "N", numeric_values: bool = True) -> pd.DataFrame:
    """For each record of ``source_param`` (where ``filter`` holds) on which every variable the
    ``criterion`` reads is present, one record of a new parameter (named in
    ``set_values_to``) with the ``by_vars`` of the source record, AVALC = ``true_value`` when
    the criterion holds, else ``false_value``, and AVAL = 1/0.  A record whose criterion cannot
    be evaluated (e.g. no baseline) gives no responder record: missing responses are handled
    by a separate, visible imputation step (``derive_expected_records``)."""
    rows = np.array((dataset["PARAMCD"] == source_param).fillna(False), dtype=bool)
    rows &= cn.evaluate(dataset, filter)
    for _, v in cn.variables(criterion):
        rows &= dataset[v].notna().to_numpy()
    src = dataset[rows]
    holds = cn.evaluate(src, criterion)
    new = src[list(by_vars) + ([LINEAGE] if LINEAGE in src.columns else [])].copy()
    new = new.reset_index(drop=True)
    set_column(new, "AVALC", np.where(holds, true_value, false_value).astype(object))
    if numeric_values:
        new["AVAL"] = np.where(holds, 1.0, 0.0)
    for name, op in set_values_to.items():
        assign_column(new, name, operand_value(src.reset_index(drop=True), op))
    return _add_records(dataset, new)
