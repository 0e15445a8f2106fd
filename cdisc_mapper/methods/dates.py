"""Dates and times: raw CRF dates to ISO 8601, study days, ages, first/last dates.

Raw dates come as a site enters them: ``12 MAR 2021``, ``UN MAR 2021`` (unknown day),
``UN UNK 2021`` (unknown day and month); ISO 8601 dates (``2021-03-12``) are accepted too.  Partial
dates stay partial (``2021-03``, ``2021``): SDTM keeps what was collected and imputation belongs to
ADaM.  An impossible date (``31 FEB 2021``) or text that is not a date is a data problem, reported
with its file, record and value; it is never guessed.
"""

from __future__ import annotations

import calendar
import re

import numpy as np
import pandas as pd

from .registry import RAW_COLUMN, VARIABLE, method

MONTHS = {m.upper(): i for i, m in enumerate(calendar.month_abbr) if m}
_UNKNOWN = {"UN", "UNK", "--", "XX", "NK"}
_DMY = re.compile(r"^(\d{1,2}|UN|UNK|--|XX|NK)[ \-/]([A-Z]{3}|UN|UNK|--|XX|NK)[ \-/](\d{4})$")
_ISO = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def parse_date(text: str) -> tuple[str | None, str | None]:
    """One raw date → (ISO 8601 text, None) or (None, what is wrong)."""
    t = text.strip().upper()
    m = _DMY.match(t)
    if m:
        day, mon, year = m.groups()
        if mon in _UNKNOWN:
            return year, None
        if mon not in MONTHS:
            return None, f"unknown month '{mon}'"
        month = MONTHS[mon]
        if day in _UNKNOWN:
            return f"{year}-{month:02d}", None
        d = int(day)
    else:
        m = _ISO.match(t)
        if not m:
            return None, "not a date (expected DD MON YYYY, UN MON YYYY, UN UNK YYYY or YYYY-MM-DD)"
        year, mm, dd = m.groups()
        if mm is None:
            return year, None
        month = int(mm)
        if not 1 <= month <= 12:
            return None, f"month {month} does not exist"
        if dd is None:
            return f"{year}-{month:02d}", None
        d = int(dd)
    last = calendar.monthrange(int(year), month)[1]
    if not 1 <= d <= last:
        return None, f"day {d} does not exist in {calendar.month_abbr[month]} {year}"
    return f"{year}-{month:02d}-{d:02d}", None


def parse_time(text: str) -> tuple[str | None, str | None]:
    """One raw time ``HH:MM[:SS]`` → (ISO text, None) or (None, what is wrong)."""
    t = text.strip().upper()
    if t in {"UN:UN", "UNK", "UN", "--:--"}:
        return None, None
    m = _TIME.match(t)
    if not m:
        return None, "not a time (expected HH:MM)"
    h, mi, s = m.groups()
    if int(h) > 23 or int(mi) > 59 or (s is not None and int(s) > 59):
        return None, "impossible time"
    return f"{int(h):02d}:{mi}" + (f":{s}" if s else ""), None


def _parse_series(ctx, raw: pd.Series, parse, what: str) -> pd.Series:
    """Parse each distinct value once; report every bad value as a data problem."""
    values = raw.dropna().unique()
    parsed: dict[str, str | None] = {}
    bad: dict[str, str] = {}
    for v in values:
        iso, err = parse(str(v))
        parsed[v] = iso
        if err:
            bad[v] = err
    out = raw.map(parsed).astype("string")
    if bad:
        for v, err in bad.items():
            ctx.problem(raw == v, f"{what}: {err}", raw)
    return out


def iso_series(ctx, date: pd.Series, time: pd.Series | None = None) -> pd.Series:
    d = _parse_series(ctx, date, parse_date, "unparseable date")
    if time is None:
        return d
    t = _parse_series(ctx, time, parse_time, "unparseable time")
    full = d.str.len() == 10
    return d.where(~(full & t.notna()).fillna(False), d + "T" + t)


@method("iso_date", family="dates", origin="Collected",
        summary="An ISO 8601 date (and time) from raw date and time columns; partial dates kept.",
        params={"date": RAW_COLUMN, "time": RAW_COLUMN}, required=("date",),
        example="AESTDTC: {method: iso_date, date: AESTDAT}\n"
                "EXSTDTC: {method: iso_date, date: EXSTDAT, time: EXSTTIM}")
def iso_date(ctx, p):
    """Convert the raw ``date`` (``12 MAR 2021``, ``UN MAR 2021``, ``UN UNK 2021`` or ISO) to
    ISO 8601 (``2021-03-12``, ``2021-03``, ``2021``) and append ``time`` (``T09:30``) when the
    date is complete.  Unknown parts are left out, never imputed.  Impossible or unreadable dates
    are data problems."""
    src = p.get("source")
    date = ctx.column(p["date"], src)
    time = ctx.column(p["time"], src) if "time" in p else None
    return iso_series(ctx, date, time)


_SOURCE_DATE = {"type": "object", "properties": {
    "source": {"type": "string"}, "date": RAW_COLUMN, "time": RAW_COLUMN},
    "required": ["source", "date"], "additionalProperties": False}


def _extreme(ctx, p, pick: str) -> pd.Series:
    parts = []
    for s in p["sources"]:
        form = ctx.form(s["source"])
        date = form.column(s["date"])
        time = form.column(s["time"]) if "time" in s else None
        iso = iso_series(ctx.for_form(form), date, time)
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
    listed forms; partial dates are ignored.  Missing when the subject has none."""
    return _extreme(ctx, p, "first")


@method("last_date", family="dates", origin="Derived",
        summary="The subject's latest complete date(time) across one or more raw forms.",
        params=_EXTREME_PARAMS, required=("sources",),
        example="RFPENDTC:\n  method: last_date\n  sources:\n    - {source: sv, date: VISDAT}\n"
                "    - {source: ds, date: DSSTDAT}")
def last_date(ctx, p):
    """For each subject, the latest complete date (with time where collected) found in the
    listed forms; partial dates are ignored.  Missing when the subject has none."""
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


