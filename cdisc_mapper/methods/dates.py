"""Dates and times: raw CRF dates to ISO 8601, study days, ages, first/last dates.

Raw dates come as the EDC exports them: by default ``12 MAR 2021``, ``UN MAR 2021`` (unknown
day), ``UN UNK 2021`` and ISO 8601; any other layout (``MM/DD/YYYY``, ``DDMONYYYY``, SAS or Excel
numbers …) is declared with ``format`` (see :mod:`cdisc_mapper.lang.datetimes`).  Partial
dates stay partial (``2021-03``, ``2021``): SDTM keeps what was collected and imputation belongs to
ADaM.  An impossible date (``31 FEB 2021``) or text that is not a date is a data problem, reported
with its file, record and value; it is never guessed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..lang.datetimes import (FORMAT_PATTERN, NUMERIC_FORMATS, FormatError, compile_format,
                              parse_date, parse_time)
from .registry import RAW_COLUMN, VARIABLE, method

__all__ = ["parse_date", "parse_time", "iso_series", "study_day"]

_FORMAT_ONE = {"type": "string", "anyOf": [{"enum": list(NUMERIC_FORMATS)},
                                           {"pattern": FORMAT_PATTERN}]}
DATE_FORMAT = {"anyOf": [_FORMAT_ONE, {"type": "array", "items": _FORMAT_ONE, "minItems": 1}],
               "description": "the raw date format, e.g. MM/DD/YYYY, DD-MON-YYYY, DDMONYYYY, "
                              "YYYY-MM-DD, MM/DD/YY (with `pivot`), SAS, EXCEL; a list accepts "
                              "several (a value that fits two with different meanings is a "
                              "problem); default: the study file's `dates.format`, else DD MON "
                              "YYYY or ISO"}
PIVOT = {"type": "integer", "minimum": 1800, "maximum": 2100,
         "description": "for 2-digit years: the first year of the hundred they fall in "
                        "(1940: 39 → 2039, 40 → 1940); default the study file's `dates.pivot`"}
DATE_PARAMS = {"format": DATE_FORMAT, "pivot": PIVOT}


def date_options(ctx, p: dict) -> tuple:
    """The (formats, pivot) of a date parameter set, defaulting to the study file's ``dates``."""
    default = getattr(ctx.study, "dates", None) or {}
    fmt = p.get("format", default.get("format"))
    pivot = p.get("pivot", default.get("pivot"))
    problem = format_problem(fmt, pivot)
    if problem:
        raise ctx.fail(problem, sub=("format",))
    return (tuple(fmt) if isinstance(fmt, list) else fmt), pivot


def format_problem(fmt, pivot) -> str | None:
    """What is wrong with a declared date format (and pivot), or None."""
    for f in ([fmt] if isinstance(fmt, str) else fmt or []):
        try:
            compiled = compile_format(f)
        except FormatError as e:
            return str(e)
        if compiled.two_digit_year and pivot is None:
            return (f"the format {f} has a 2-digit year: declare `pivot` (the first year of "
                    "the hundred the years fall in, e.g. pivot: 1940)")
    return None


def _parse_series(ctx, raw: pd.Series, parse, what: str) -> pd.Series:
    """Parse each distinct value once; report every bad value as a data problem."""
    values = raw.dropna().unique()
    parsed: dict[str, str | None] = {}
    bad: dict[str, str] = {}
    for v in values:
        iso, err = parse(v)
        parsed[v] = iso
        if err:
            bad[v] = err
    out = raw.map(parsed).astype("string")
    if bad:
        for v, err in bad.items():
            ctx.problem(raw == v, f"{what}: {err}", raw)
    return out


def iso_series(ctx, date: pd.Series, time: pd.Series | None = None, formats=None,
               pivot: int | None = None) -> pd.Series:
    """ISO 8601 text of raw dates (and times, appended to complete dates only)."""
    if formats:
        d = _parse_series(ctx, date, lambda v: parse_date(v, formats, pivot), "unparseable date")
    else:
        d = _parse_series(ctx, date, parse_date, "unparseable date")
    if time is None:
        return d
    t = _parse_series(ctx, time, parse_time, "unparseable time")
    full = d.str.len() == 10
    return d.where(~(full & t.notna()).fillna(False), d + "T" + t)


@method("iso_date", family="dates", origin="Collected",
        summary="An ISO 8601 date (and time) from raw date and time columns; partial dates kept.",
        params={"date": RAW_COLUMN, "time": RAW_COLUMN, **DATE_PARAMS}, required=("date",),
        example="AESTDTC: {method: iso_date, date: AESTDAT}\n"
                "EXSTDTC: {method: iso_date, date: EXSTDAT, time: EXSTTIM}\n"
                "VSDTC: {method: iso_date, date: Visit Date, format: MM/DD/YYYY}\n"
                "BRTHDTC: {method: iso_date, date: BRTHDAT, format: DD-MON-YY, pivot: 1925}\n"
                "LBDTC: {method: iso_date, date: COLLDT, format: SAS}\n"
                "EGDTC: {method: iso_date, date: EGDAT, format: [MM/DD/YYYY hh:mm AM, "
                "MM/DD/YYYY]}")
def iso_date(ctx, p):
    """Convert the raw ``date`` to ISO 8601 (``2021-03-12``, ``2021-03``, ``2021``) and append
    ``time`` (``T09:30``; ``2:30 PM`` → ``T14:30``) when the date is complete.  ``format``
    declares how the EDC writes dates: tokens ``DD``, ``MM``, ``MON``, ``YYYY``, ``YY`` (with
    ``pivot``), ``hh``, ``mm``, ``ss``, ``AM`` and separators, or ``SAS``, ``SAS_DATETIME``,
    ``EXCEL`` for numeric dates.  Without one, ``12 MAR 2021``-style dates and ISO 8601 are read.
    Unknown parts (``UN``, ``UNK``, ``--``, ``99``) are left out, never imputed.  Impossible,
    unreadable or ambiguous dates are data problems."""
    src = p.get("source")
    date = ctx.column(p["date"], src)
    time = ctx.column(p["time"], src) if "time" in p else None
    formats, pivot = date_options(ctx, p)
    return iso_series(ctx, date, time, formats, pivot)


_SOURCE_DATE = {"type": "object", "properties": {
    "source": {"type": "string"}, "date": RAW_COLUMN, "time": RAW_COLUMN, **DATE_PARAMS,
    "where": {"$ref": "#/$defs/condition",
              "description": "only the records of this form where the condition holds "
                             "(`from:` its raw columns)"}},
    "required": ["source", "date"], "additionalProperties": False}


def _extreme(ctx, p, pick: str) -> pd.Series:
    from .conditions import evaluate

    parts = []
    for i, s in enumerate(p["sources"]):
        form = ctx.form(s["source"])
        fctx = ctx.for_form(form)
        date = form.column(s["date"])
        time = form.column(s["time"]) if "time" in s else None
        formats, pivot = date_options(ctx, s)
        iso = iso_series(fctx, date, time, formats, pivot)
        if s.get("where"):
            fctx.path = ctx.path + ("sources", i, "where")
            keep = evaluate(fctx, s["where"]).to_numpy()
            iso = iso.where(keep)
        parts.append(pd.DataFrame({"subject": form.subject.to_numpy(), "dtc": iso.to_numpy()}))
    allv = pd.concat(parts, ignore_index=True).dropna()
    allv = allv[allv["dtc"].str.len() >= 10]           # complete dates only
    allv = allv.sort_values(["subject", "dtc"], kind="stable")
    per = allv.groupby("subject", sort=False)["dtc"].agg(pick)
    return ctx.by_subject(per)


_EXTREME_PARAMS = {"sources": {"type": "array", "minItems": 1, "items": _SOURCE_DATE,
                               "description": "raw forms and date (time) columns to look in"}}


@method("first_date", family="dates", origin="Derived",
        summary="The subject's earliest complete date(time) across one or more raw forms.",
        params=_EXTREME_PARAMS, required=("sources",),
        example="RFXSTDTC:\n  method: first_date\n  sources: [{source: ex, date: EXSTDAT, "
                "time: EXSTTIM}]")
def first_date(ctx, p):
    """For each subject, the earliest complete date (with time where collected) found in the
    listed forms; partial dates are ignored.  Missing when the subject has none.  Each source
    may say its date ``format`` (and ``pivot``) and a ``where`` condition on its own raw
    columns, e.g. only the disposition records whose DSDECOD is COMPLETED."""
    return _extreme(ctx, p, "first")


@method("last_date", family="dates", origin="Derived",
        summary="The subject's latest complete date(time) across one or more raw forms.",
        params=_EXTREME_PARAMS, required=("sources",),
        example="RFPENDTC:\n  method: last_date\n  sources:\n    - {source: sv, date: VISDAT}\n"
                "    - {source: ds, date: DSSTDAT}\n"
                "RFENDTC:\n  method: last_date\n  sources:\n"
                "    - {source: ds, date: DSSTDAT, where: {from: DSDECOD, equals: COMPLETED}}")
def last_date(ctx, p):
    """For each subject, the latest complete date (with time where collected) found in the
    listed forms; partial dates are ignored.  Missing when the subject has none.  Each source
    may say its date ``format`` (and ``pivot``) and a ``where`` condition on its own raw
    columns, e.g. only the disposition records whose DSDECOD is COMPLETED."""
    return _extreme(ctx, p, "last")


def _days(s: pd.Series) -> pd.Series:
    """Complete ISO dates → datetime64 (NaT for partial or missing), parsed per distinct value."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    u = pd.Series(uniques, dtype="string").str.slice(0, 10)
    parsed = pd.to_datetime(u.where(u.str.len() == 10), format="%Y-%m-%d", errors="coerce")
    values = np.full(len(codes), np.datetime64("NaT"), dtype="datetime64[ns]")
    ok = codes >= 0
    values[ok] = parsed.to_numpy(dtype="datetime64[ns]")[codes[ok]]
    return pd.Series(values, index=s.index)


def _instants(s: pd.Series) -> pd.Series:
    """ISO date-times with at least hours and minutes → datetime64 (NaT for a date without a
    time, a partial value or missing), parsed per distinct value."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    u = pd.Series(uniques, dtype="string")
    timed = u.str.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?").fillna(False)
    parsed = pd.to_datetime(u.where(timed), format="ISO8601", errors="coerce")
    values = np.full(len(codes), np.datetime64("NaT"), dtype="datetime64[ns]")
    ok = codes >= 0
    values[ok] = parsed.to_numpy(dtype="datetime64[ns]")[codes[ok]]
    return pd.Series(values, index=s.index)


def study_day(dtc: pd.Series, ref: pd.Series) -> pd.Series:
    """SDTM study day: date − reference date, +1 on or after the reference (no day 0)."""
    delta = (_days(dtc) - _days(ref)).dt.days
    out = delta.where(delta < 0, delta + 1)
    return out.astype("Float64")


@method("study_day", family="dates", origin="Derived",
        summary="Study day of a date relative to the reference start date (no day 0).",
        params={"of": VARIABLE, "ref": {**VARIABLE, "description": "reference date variable "
                                        "(default DM.RFSTDTC)"}},
        required=("of",),
        example="AESTDY: {method: study_day, of: AESTDTC}")
def study_day_method(ctx, p):
    """``--DY = date − RFSTDTC + 1`` when the date is on or after RFSTDTC, ``date − RFSTDTC``
    before it; there is no day 0.  Missing when either date is partial or missing: a partial
    date is never filled in to compute a day (the date variable itself stays partial)."""
    return study_day(ctx.variable(p["of"]), ctx.variable(p.get("ref", "DM.RFSTDTC")))


@method("age", family="dates", origin="Derived",
        summary="Age in completed years at a reference date.",
        params={"birth": VARIABLE, "ref": VARIABLE}, required=("birth", "ref"),
        example="AGE: {method: age, birth: BRTHDTC, ref: RFICDTC}")
def age(ctx, p):
    """Whole years from ``birth`` to ``ref`` (both complete dates), as on a birthday calendar;
    missing when either is partial."""
    b = _days(ctx.variable(p["birth"]))
    r = _days(ctx.variable(p["ref"]))
    years = r.dt.year - b.dt.year
    before = (r.dt.month < b.dt.month) | ((r.dt.month == b.dt.month) & (r.dt.day < b.dt.day))
    years = years - before.astype("Int64")
    return years.astype("Float64").where(b.notna() & r.notna())


