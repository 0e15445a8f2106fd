"""The rule type 'Define Item Metadata Check against Library Metadata': one row per variable that
the package's define.xml gives the dataset (its ItemRefs, in order), with the define's metadata
of the variable and the guide's metadata of the variable of the same name.

Columns (as CDISC CORE names them):

* ``define_variable_name``, ``_label``, ``_data_type``, ``_role``, ``_size`` and ``_length``,
  ``_format``, ``_origin_type``, ``_is_collected``, ``_order_number``, ``_mandatory``,
  ``_has_comment``, ``_has_method``;
* the variable's codelist: ``define_variable_has_codelist``, ``define_variable_ccode`` (the
  codelist's NCI code), ``define_variable_allowed_terms`` and ``define_variable_codelist_coded_values``
  (its terms), ``define_variable_codelist_coded_codes`` (the NCI code of each term);
* ``library_variable_name``, ``_label``, ``_data_type``, ``_role``, ``_core``, ``_order_number``,
  ``_has_codelist``, ``_ccode`` (from the shipped guide; a rule that reads them under a version
  the product does not ship is skipped, see :mod:`.versions`).

The record of a finding is the variable's 1-based position in the define's list.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from cdisc_mapper.errors import CdiscMapperError

from .frame import ROW, Unsupported
from .versions import require_own_version

__all__ = ["DEFINE_RULE_TYPES", "define_item_frame"]

DEFINE_RULE_TYPES = ("Define Item Metadata Check against Library Metadata",)

_COLUMNS = ("define_variable_name", "define_variable_label", "define_variable_data_type",
            "define_variable_role", "define_variable_size", "define_variable_length",
            "define_variable_ccode", "define_variable_format", "define_variable_allowed_terms",
            "define_variable_origin_type", "define_variable_is_collected",
            "define_variable_has_no_data", "define_variable_order_number",
            "define_variable_has_codelist", "define_variable_codelist_coded_values",
            "define_variable_codelist_coded_codes", "define_variable_mandatory",
            "define_variable_has_comment", "define_variable_has_method")
_LIBRARY = ("library_variable_name", "library_variable_label", "library_variable_data_type",
            "library_variable_role", "library_variable_core", "library_variable_order_number",
            "library_variable_has_codelist", "library_variable_ccode")


def _define(study):
    key = ("define",)
    if key not in study.cache:
        from cdisc_mapper.validate.define_checks import read_define
        path = study.package.define_path
        if path is None:
            raise Unsupported("a define.xml")
        try:
            study.cache[key] = read_define(path)
        except CdiscMapperError as e:       # reported by the define checks; here: cannot run
            study.cache[key] = e
    if isinstance(study.cache[key], CdiscMapperError):
        raise Unsupported(f"a readable define.xml ({study.cache[key]})")
    return study.cache[key]


def _uses_library(rule) -> bool:
    return "library_variable_" in json.dumps([rule.check, rule.operations, rule.output_variables],
                                             default=str)


def define_item_frame(rule, study, ds) -> pd.DataFrame:
    d = _define(study)
    group = d.group_for(ds.name)
    rows = []
    refs = sorted(group.refs, key=lambda r: (r.order is None, r.order or 0)) if group else []
    data_cols = set(ds.data.columns)
    for i, ref in enumerate(refs, 1):
        it = d.items.get(ref.item_oid)
        if it is None:
            continue
        cl = d.codelists.get(it.codelist_oid) if it.codelist_oid else None
        rows.append({
            "define_variable_name": it.name, "define_variable_label": it.label,
            "define_variable_data_type": it.data_type, "define_variable_role": ref.role,
            "define_variable_size": it.length, "define_variable_length": it.length,
            "define_variable_ccode": (cl.nci_code or "") if cl else "",
            "define_variable_format": it.display_format,
            "define_variable_allowed_terms": list(cl.values) if cl else [],
            "define_variable_origin_type": it.origin,
            "define_variable_is_collected": it.origin == "Collected",
            "define_variable_has_no_data": it.name not in data_cols,
            "define_variable_order_number": ref.order if ref.order is not None else i,
            "define_variable_has_codelist": cl is not None,
            "define_variable_codelist_coded_values": list(cl.values) if cl else [],
            "define_variable_codelist_coded_codes": [c for c in cl.codes if c] if cl else [],
            "define_variable_mandatory": "Yes" if ref.mandatory else "No",
            "define_variable_has_comment": bool(it.comment_oid),
            "define_variable_has_method": bool(ref.method_oid),
        })
    df = pd.DataFrame(rows, columns=list(_COLUMNS))
    if _uses_library(rule):
        _add_library(study, ds, df)
    df[ROW] = np.arange(len(df))
    return df


def _add_library(study, ds, df: pd.DataFrame) -> None:
    require_own_version(study, "variable metadata")
    igd = study.ig(ds)
    if igd is None:
        raise Unsupported(f"{study.product} {study.version} metadata for dataset {ds.name}")
    lib = {v.name: v for v in igd.variables}
    names = df["define_variable_name"].tolist()

    def col(fn):
        return [fn(lib[n]) if n in lib else None for n in names]

    df["library_variable_name"] = col(lambda v: v.name)
    df["library_variable_label"] = col(lambda v: v.label)
    df["library_variable_data_type"] = col(lambda v: v.type)
    df["library_variable_role"] = col(lambda v: v.role)
    df["library_variable_core"] = col(lambda v: v.core)
    df["library_variable_order_number"] = col(lambda v: v.order)
    df["library_variable_has_codelist"] = col(lambda v: bool(v.codelist))

    def ccode(v):
        c = study.codelists.get(v.codelist) if v.codelist else None
        return c.code if c is not None else None
    df["library_variable_ccode"] = col(ccode)
