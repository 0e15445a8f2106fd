"""Methods that produce controlled terms or look values up in a dictionary."""

from __future__ import annotations


from .assign import apply_case
from .registry import CODELIST, RAW_COLUMN, SCALAR, VALUE_MAP, VARIABLE, method


@method("assign_ct", family="terminology", origin="Collected",
        summary="Copy a raw column as a controlled term of a codelist.",
        params={"from": RAW_COLUMN, "codelist": CODELIST, "map": VALUE_MAP},
        required=("from", "codelist"),
        example="SEX: {method: assign_ct, from: SEX, codelist: SEX}\n"
                "AESER: {method: assign_ct, from: AESER, codelist: NY, map: {Yes: Y, No: N}}")
def assign_ct(ctx, p):
    """Turn each raw value into a term of ``codelist``: first through ``map`` (keys compared
    case-insensitively), else the term whose submission value or decode equals the raw value
    ignoring case (``moderate`` → ``MODERATE``, ``Male`` → ``M``).  A value that matches no
    term is a data problem (an unknown coded value), reported with its record.  This is
    sdtm.oak's ``assign_ct``."""
    raw = ctx.column(p["from"], p.get("source"))
    return ctx.to_terms(raw, p["codelist"], p.get("map"))


@method("hardcode_ct", family="terminology", origin="Assigned",
        summary="The same controlled term on every record (checked against its codelist).",
        params={"value": SCALAR, "codelist": CODELIST}, required=("value", "codelist"),
        example="AGEU: {method: hardcode_ct, value: YEARS, codelist: AGEU}\n"
                "DSCAT: {method: hardcode_ct, value: DISPOSITION EVENT, codelist: DSCAT}")
def hardcode_ct(ctx, p):
    """Set every record to ``value``, which must be a term of ``codelist`` (checked before the
    run starts)."""
    ctx.require_term(p["codelist"], p["value"])
    return ctx.constant(p["value"])


@method("decode", family="terminology", origin="Assigned",
        summary="The decode of a coded variable: a test name from its test code.",
        params={"of": VARIABLE, "codelist": CODELIST,
                "paired": {**CODELIST, "description": "a CDISC codelist paired with `codelist` "
                           "by NCI code (e.g. test names for test codes)"}},
        required=("of", "codelist"),
        example="QSTEST: {method: decode, of: QSTESTCD, codelist: DLQI1TC, paired: DLQI1TN}\n"
                "QSTEST: {method: decode, of: QSTESTCD, codelist: EASITC}")
def decode(ctx, p):
    """Look each value of ``of`` up in ``codelist`` and return its decode.  With ``paired``,
    return instead the term of the paired codelist that has the same NCI code — how CDISC pairs
    test codes with test names.  A value missing from the codelist is a data problem."""
    return ctx.decode(ctx.variable(p["of"]), p["codelist"], p.get("paired"))


@method("lookup", family="terminology", origin="Assigned",
        summary="Look a raw value up in a dictionary table of the study (e.g. the AE dictionary).",
        params={"from": RAW_COLUMN,
                "dictionary": {"type": "string", "description": "a dictionary named in the "
                                                                 "study file"},
                "match": {"type": "string", "description": "the dictionary column to match"},
                "take": {"type": "string", "description": "the dictionary column to return"},
                "case": {"enum": ["upper", "lower", "title", "asis"]}},
        required=("from", "dictionary", "match", "take"),
        example="AEDECOD: {method: lookup, from: AELLT, dictionary: ae, match: LLT, take: PT}")
def lookup(ctx, p):
    """Find the row of the dictionary whose ``match`` column equals the raw value (ignoring case
    and surrounding blanks) and return its ``take`` column.  A raw value that is not in the
    dictionary is a data problem.  The dictionary must not hold the same ``match`` value twice."""
    raw = ctx.column(p["from"], p.get("source"))
    table = ctx.dictionary(p["dictionary"], p["match"], p["take"])
    out = ctx.map_values(raw, table, keep_unmapped=False,
                         what=f"term of dictionary '{p['dictionary']}' ({p['match']})")
    return apply_case(out, p.get("case"))
