"""Dates and times: ISO 8601 syntax and calendar validity, start before end, study days.

SDTM keeps dates as ISO 8601 text at the precision collected: ``2021-03-12T10:15``, ``2021-03``,
``2021``; an unknown component in the middle is a hyphen (``2021---12``: month unknown), and
unknown trailing components are left out.  A value may also be an interval (``start/end``) or a
duration (``P2D``, ``-PT15M``).  Each distinct value is parsed once.
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from functools import lru_cache

import numpy as np

from . import Skip, check
from .util import combine, found, num_text, numbers, pair_codes, text

_DATE = r"(?P<Y>\d{4}|-)(?:-(?P<M>\d{2}|-)(?:-(?P<D>\d{2}|-))?)?"
_TIME = r"(?P<h>\d{2}|-)(?::(?P<m>\d{2}|-)(?::(?P<s>\d{2}(?:\.\d+)?|-))?)?"
_TZ = r"(?P<tz>Z|[+-]\d{2}(?::?\d{2})?)?"
_DT_RX = re.compile(rf"^{_DATE}(?:T{_TIME}{_TZ})?$")
_NUM = r"\d+(?:[.,]\d+)?"
_DUR_RX = re.compile(rf"^-?P(?:{_NUM}W|(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}D)?"
                     rf"(?:T(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?)$")
_FIELDS = ("Y", "M", "D", "h", "m", "s")
_NAMES = {"Y": "year", "M": "month", "D": "day", "h": "hour", "m": "minute", "s": "second"}


def datetime_parts(value: str) -> tuple[tuple[str | None, ...], str | None] | None:
    """The six components (text or None when absent, "-" when unknown) and the time zone, or
    None when ``value`` is not an ISO 8601 date/time."""
    m = _DT_RX.match(value)
    if not m:
        return None
    return tuple(m.group(f) for f in _FIELDS), m.group("tz")


def duration_ok(value: str) -> bool:
    return bool(_DUR_RX.match(value)) and any(ch.isdigit() for ch in value) \
        and not value.endswith("T")


def check_datetime(value: str) -> tuple[str | None, str | None]:
    """(syntax problem, calendar problem) of one date/time; (None, None) when valid."""
    parsed = datetime_parts(value)
    if parsed is None:
        return "not an ISO 8601 date/time (YYYY-MM-DDThh:mm:ss at the precision collected)", None
    parts, _tz = parsed
    given = [p for p in parts if p is not None]
    if not any(p != "-" for p in given):
        return "no known date or time component", None
    if given[-1] == "-":
        return ("an unknown trailing component is written as '-'; leave it out instead "
                "(reduced precision)"), None
    y, mo, d, h, mi, s = parts
    if mo not in (None, "-") and not 1 <= int(mo) <= 12:
        return None, f"month {mo} does not exist"
    if d not in (None, "-"):
        day = int(d)
        if mo in (None, "-"):
            if not 1 <= day <= 31:
                return None, f"day {d} does not exist"
        else:
            last = calendar.monthrange(int(y) if y not in (None, "-") else 2000, int(mo))[1]
            if not 1 <= day <= last:
                when = f"{calendar.month_name[int(mo)]} {y}" if y not in (None, "-") \
                    else calendar.month_name[int(mo)]
                return None, f"day {d} does not exist in {when}"
    if h not in (None, "-") and not 0 <= int(h) <= 23:
        return None, f"hour {h} does not exist"
    if mi not in (None, "-") and not 0 <= int(mi) <= 59:
        return None, f"minute {mi} does not exist"
    if s not in (None, "-") and not 0 <= float(s) < 60:
        return None, f"second {s} does not exist"
    return None, None


@lru_cache(maxsize=1 << 16)
def check_value(value: str, kind: str) -> tuple[str | None, str | None]:
    """(syntax problem, calendar problem) of a value of the given kind: ``datetime`` (a date/time
    or an interval of them), ``duration`` or ``interval`` (duration or interval)."""
    if kind in ("duration", "interval") and duration_ok(value):
        return None, None
    if kind == "duration":
        return "not an ISO 8601 duration (e.g. P2D, PT30M, -P1W)", None
    if "/" in value:
        a, _, b = value.partition("/")
        if "/" in b:
            return "not an ISO 8601 interval (start/end)", None
        results = []
        for part in (a, b):
            if duration_ok(part):
                results.append((None, None))
            else:
                results.append(check_datetime(part))
        if duration_ok(a) and duration_ok(b):
            return "an interval needs at least one date/time", None
        for syn, cal in results:
            if syn or cal:
                return syn, cal
        return None, None
    return check_datetime(value)


def kind_of(ctx, ds, name: str) -> str | None:
    """The ISO 8601 kind a character variable holds, or None."""
    if not name or ds.variable(name) is None or ds.variable(name).type != "Char":
        return None
    if ds.kind == "SDTM":
        from cdisc_mapper.standards import value_domain
        igds = ctx.ig_dataset(ds)
        if igds is not None and igds.variable(name) is not None:
            vd = value_domain(igds.name, name) or ""
            if "duration" in vd:
                return "duration" if "interval" not in vd else "interval"
            if "ISO 8601" in vd:
                return "datetime"
    if name.endswith("DTC"):
        return "datetime"
    if name.endswith(("DUR", "ELTM")) and ds.kind == "SDTM":
        return "duration"
    if name.endswith(("EVLINT", "STINT", "ENINT")) and ds.kind == "SDTM":
        return "interval"
    return None


def _problems(cats: np.ndarray, kind: str, which: int) -> dict[int, str]:
    out = {}
    for i, c in enumerate(cats):
        if c == "":
            continue
        probs = check_value(c, kind)
        if probs[which]:
            out[i] = probs[which]
    return out


@check("iso8601", family="dates",
       params={"mode": {"enum": ["syntax", "calendar"]}},
       summary="ISO 8601 dates, times, durations")
def iso8601(ctx, ds, mode: str = "syntax"):
    """Date/time variables hold ISO 8601 values (``syntax``) that exist on the calendar
    (``calendar``: no 31 April, no month 13, no hour 25)."""
    which = 0 if mode == "syntax" else 1
    out = []
    any_var = False
    for v in ds.variables:
        kind = kind_of(ctx, ds, v.name)
        if kind is None:
            continue
        any_var = True
        codes, cats = text(ds, v.name)
        probs = _problems(cats, kind, which)
        if not probs:
            continue
        bad = np.zeros(len(cats), dtype=bool)
        bad[list(probs)] = True
        rows = np.flatnonzero(bad[codes])
        why = np.array([probs[c] for c in codes[rows]], dtype=object)
        out.append(found(ds, rows, v.name, why=why, kind=kind))
    if not any_var:
        raise Skip("no ISO 8601 variable")
    return combine(out)


@lru_cache(maxsize=1 << 16)
def _known(value: str) -> tuple | None:
    """Leading known components of a date/time as numbers (None for an interval or duration)."""
    if not value or "/" in value or value.startswith(("P", "-P")):
        return None
    parsed = datetime_parts(value)
    if parsed is None:
        return None
    nums = []
    for p in parsed[0]:
        if p is None or p == "-":
            break
        nums.append(float(p) if "." in p else int(p))
    return tuple(nums)


def after(a: str, b: str) -> bool:
    """True when date/time ``a`` is certainly after ``b``, compared at their common precision."""
    ka, kb = _known(a), _known(b)
    if not ka or not kb:
        return False
    n = min(len(ka), len(kb))
    return ka[:n] > kb[:n]


@check("start_end_order", family="dates",
       params={"pairs": {"type": "array", "items": {"type": "array", "items": {"type": "string"},
                                                    "minItems": 2, "maxItems": 2}}},
       summary="start not after end")
def start_end_order(ctx, ds, pairs=(("--STDTC", "--ENDTC"),)):
    """A start date/time is not after its end date/time (compared at the precision both have:
    ``2021-03`` is after ``2021-02-15``, not after ``2021-03-15``)."""
    out = []
    ran = False
    for start, end in pairs:
        s, e = start.replace("--", ds.domain), end.replace("--", ds.domain)
        if s not in ds.data.columns or e not in ds.data.columns:
            continue
        ran = True
        cs, vs = text(ds, s)
        ce, ve = text(ds, e)
        gid, first = pair_codes(cs, ce)
        bad_group = np.array([after(vs[cs[r]], ve[ce[r]]) for r in first], dtype=bool)
        rows = np.flatnonzero(bad_group[gid]) if len(first) else np.array([], dtype=np.int64)
        if len(rows):
            out.append(found(ds, rows, s, end_variable=e, end=ve[ce[rows]]))
    if not ran:
        raise Skip("no start/end pair of variables")
    return combine(out)


# ------------------------------------------------------------------------------- study days

_EPOCH = date(1970, 1, 1).toordinal()


@lru_cache(maxsize=1 << 16)
def day_number(value: str) -> float:
    """Days since 1970-01-01 of the date part of a complete date/time, else NaN."""
    k = _known(value)
    if not k or len(k) < 3:
        return np.nan
    try:
        return float(date(int(k[0]), int(k[1]), int(k[2])).toordinal() - _EPOCH)
    except ValueError:
        return np.nan


def day_numbers(ds, name: str) -> np.ndarray:
    codes, cats = text(ds, name)
    per = np.array([day_number(c) for c in cats], dtype=np.float64)
    return per[codes] if len(cats) else np.full(len(codes), np.nan)


def reference_days(ctx) -> dict[str, float]:
    """RFSTDTC of each subject in DM as a day number (complete dates only)."""
    if "rfstdtc" not in ctx.cache:
        dm = ctx.dataset("DM")
        ref: dict[str, float] = {}
        if dm is not None and "USUBJID" in dm.data.columns and "RFSTDTC" in dm.data.columns:
            cu, vu = text(dm, "USUBJID")
            cr, vr = text(dm, "RFSTDTC")
            for u, r in zip(vu[cu], vr[cr]):
                ref.setdefault(u, day_number(r))
        ctx.cache["rfstdtc"] = ref
    return ctx.cache["rfstdtc"]


@check("study_day", family="dates", params={"suffix": {"enum": ["DY", "STDY", "ENDY"]}},
       summary="--DY consistent with RFSTDTC")
def study_day(ctx, ds, suffix: str = "DY"):
    """A study day is (date of --DTC) - (date of RFSTDTC) + 1 on or after RFSTDTC, and the plain
    difference before it; there is no day 0.  Checked where both dates are complete."""
    p = ds.domain
    dy, dtc = p + suffix, p + suffix[:-2] + "DTC"
    if dy not in ds.data.columns or dtc not in ds.data.columns or "USUBJID" not in ds.data.columns:
        raise Skip(f"no {dy}/{dtc} pair")
    ref = reference_days(ctx)
    if not ref:
        raise Skip("no DM.RFSTDTC to compute study days from")
    cu, vu = text(ds, "USUBJID")
    per_subject = np.array([ref.get(u, np.nan) for u in vu], dtype=np.float64)
    r = per_subject[cu] if len(vu) else np.full(len(cu), np.nan)
    d = day_numbers(ds, dtc)
    diff = d - r
    expected = np.where(diff >= 0, diff + 1, diff)
    actual = numbers(ds, dy)
    bad = (~np.isnan(actual)) & (((~np.isnan(expected)) & (actual != expected)) | (actual == 0))
    rows = np.flatnonzero(bad)
    if not len(rows):
        return None
    cd, vd = text(ds, dtc)
    exp_txt = np.array([num_text(x) for x in expected[rows]], dtype=object)
    return found(ds, rows, dy, [num_text(x) for x in actual[rows]], expected=exp_txt,
                 dtc_variable=dtc, dtc=vd[cd[rows]])
