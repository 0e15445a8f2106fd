"""Methods that copy, constant-fill or combine values."""

from __future__ import annotations

import pandas as pd

from .registry import OPERAND, RAW_COLUMN, SCALAR, VALUE_MAP, VARIABLE, method

CASE = {"enum": ["upper", "lower", "title", "asis"],
        "description": "change the case of the text (default asis)"}


def apply_case(s: pd.Series, case: str | None) -> pd.Series:
    if case == "upper":
        return s.str.upper()
    if case == "lower":
        return s.str.lower()
    if case == "title":
        return s.str.title()
    return s


@method("assign", family="copy", origin="Collected",
        summary="Copy a raw column as it is (trimmed), optionally through a value map.",
        params={"from": RAW_COLUMN, "map": VALUE_MAP, "case": CASE,
                "unmapped": {"enum": ["error", "keep"], "description":
                             "with `map`: what to do with a value the map does not name "
                             "(default error)"}},
        required=("from",),
        example="AETERM: {method: assign, from: AETERM}\n"
                "QSORRES: {method: assign, from: VALUE, case: upper}")
def assign(ctx, p):
    """Copy the raw column ``from`` (leading and trailing blanks removed, empty → missing).

    With ``map``, each value is replaced by the map's entry (keys compared case-insensitively);
    a value the map does not name is a data problem unless ``unmapped: keep``.  This is
    sdtm.oak's ``assign_no_ct``: no controlled terminology is checked.
    """
    s = apply_case(ctx.column(p["from"], p.get("source")), p.get("case"))
    if "map" in p:
        s = ctx.map_values(s, p["map"], keep_unmapped=p.get("unmapped") == "keep")
    return s


@method("hardcode", family="copy", origin="Assigned",
        summary="The same value on every record.",
        params={"value": SCALAR}, required=("value",),
        example="AEPRESP: {method: hardcode, value: null}\nEXDOSU: {method: hardcode, value: cells/kg}")
def hardcode(ctx, p):
    """Set every record to ``value`` (a string, a number or null)."""
    return ctx.constant(p["value"])


@method("study_id", family="copy", origin="Protocol",
        summary="The study identifier from the study file.",
        example="STUDYID: {method: study_id}")
def study_id(ctx, p):
    """The ``study.id`` of the study file on every record."""
    return ctx.constant(ctx.study.id)


@method("domain", family="copy", origin="Assigned",
        summary="The two-letter domain code of the dataset (RDOMAIN for SUPP--).",
        example="DOMAIN: {method: domain}")
def domain(ctx, p):
    """The dataset's domain abbreviation, e.g. ``AE``; in a SUPP-- dataset, the parent's."""
    return ctx.constant(ctx.domain)


@method("usubjid", family="copy", origin="Derived",
        summary="The unique subject identifier, built as the study file's `subject.usubjid` says.",
        example="USUBJID: {method: usubjid}")
def usubjid(ctx, p):
    """The study file's ``subject.usubjid`` rule, written once: by default STUDYID and the raw
    subject number joined by the study's separator (``ADT2002-P2-03-012``); ``{parts: [STUDYID,
    SITE, SUBJECT], separator: "-"}`` joins the study identifier and raw columns of the record's
    form; ``{from: COLUMN}`` takes a raw column as it is."""
    return ctx.usubjid()


@method("concat", family="copy", origin="Derived",
        summary="Join constants, raw columns and variables with a separator.",
        params={"parts": {"type": "array", "minItems": 2, "items": OPERAND},
                "sep": {"type": "string", "description": "separator (default empty)"}},
        required=("parts",),
        example="EXADJ: {method: concat, parts: [{value: 'INFUSION INTERRUPTED: '}, "
                "{from: INTRSN}]}")
def concat(ctx, p):
    """Join the parts in order with ``sep``.  If any part is missing on a record, the result
    is missing there (no dangling separators)."""
    parts = [ctx.operand(op) for op in p["parts"]]
    sep = p.get("sep", "")
    out = parts[0].astype("string")
    for part in parts[1:]:
        out = out + sep + part.astype("string")
    return out


@method("number", family="copy", origin="auto",
        summary="A numeric value from a raw column or a character variable.",
        params={"from": RAW_COLUMN, "of": VARIABLE},
        example="QSSTRESN: {method: number, of: QSSTRESC}\nEXDOSE: {method: number, from: EXDOSE}")
def number(ctx, p):
    """Convert text to a number.  Text that is not a number is a data problem (the value is
    left missing); an empty value stays missing.  Give exactly one of ``from`` and ``of``."""
    src = ctx.operand({k: p[k] for k in ("from", "of") if k in p}, source=p.get("source"))
    return ctx.to_number(src)
