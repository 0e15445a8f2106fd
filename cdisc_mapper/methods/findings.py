"""Findings methods: reference-range indicator, planned visit day, visits by window."""

from __future__ import annotations

import pandas as pd

from ..engine.findings import nearest_visit, range_indicator
from .registry import VARIABLE, method


@method("range_indicator", family="findings", origin="Derived",
        summary="--NRIND: LOW, NORMAL or HIGH of a numeric result against its reference range.",
        params={"result": VARIABLE, "low": VARIABLE, "high": VARIABLE},
        required=("result",),
        example="LBNRIND: {method: range_indicator, result: LBSTRESN, low: LBSTNRLO, "
                "high: LBSTNRHI}")
def range_indicator_method(ctx, p):
    """``LOW`` when ``result`` is below ``low``, ``HIGH`` above ``high``, else ``NORMAL`` (the
    limits themselves are normal).  Missing when the result is missing or there is no limit."""
    low = ctx.variable(p["low"]) if "low" in p else None
    high = ctx.variable(p["high"]) if "high" in p else None
    return range_indicator(ctx.variable(p["result"]), low, high)


@method("visit_day", family="findings", origin="Derived",
        summary="VISITDY: the planned study day of the visit, from the study file's schedule.",
        params={"visitnum": VARIABLE}, required=("visitnum",),
        example="VISITDY: {method: visit_day, visitnum: VISITNUM}")
def visit_day(ctx, p):
    """The ``day`` the study file's ``visits`` give the record's VISITNUM (written once in the
    schedule, never per dataset); missing for a visit with no planned day."""
    table = {v.visitnum: v.day for v in ctx.study.visits if v.day is not None}
    return ctx.variable(p["visitnum"]).astype("Float64").map(table).astype("Float64")


@method("visit_window", family="findings", origin="Derived",
        summary="VISITNUM or VISIT of the planned visit nearest a record's study day "
                "(for forms with dates but no visit).",
        params={"dy": VARIABLE, "take": {"enum": ["visitnum", "visit"]},
                "within": {"type": "number", "minimum": 0,
                           "description": "at most this many days from the planned day "
                                          "(default: any distance)"}},
        required=("dy", "take"),
        example="VISITNUM: {method: visit_window, dy: LBDY, take: visitnum, within: 7}")
def visit_window(ctx, p):
    """The schedule's visit whose planned ``day`` is nearest the study day ``dy`` (ties go to
    the earlier visit).  A record farther than ``within`` days from every planned day, or with
    no study day, is a data problem and gets no visit."""
    visits = [v for v in ctx.study.visits if v.day is not None]
    dy = ctx.variable(p["dy"])
    pos = nearest_visit(dy, [v.day for v in visits], p.get("within"))
    bad = dy.notna() & pos.isna()
    if bad.any():
        ctx.problem(bad, f"no planned visit within {p.get('within')} days of this study day", dy)
    values = [v.visitnum if p["take"] == "visitnum" else v.visit for v in visits]
    out = pos.map(lambda i: None if pd.isna(i) else values[int(i)])
    return out.astype("Float64") if p["take"] == "visitnum" else out.astype("string")
