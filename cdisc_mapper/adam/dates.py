"""Dates: ISO 8601 text (SDTM --DTC) to numeric SAS dates and datetimes, with imputation of
partial dates and the ADaM imputation flags (``*DTF`` D/M/Y, ``*TMF`` H/M/S).

Dates are held as SAS numbers from the start: days since 1960-01-01 (``DATE9.``) and seconds
since 1960-01-01T00:00 (``DATETIME20.``), exactly as they are written and read back, so ADSL
dates merged into another dataset compare with that dataset's dates without conversion.

Partial SDTM dates are never changed; imputation happens here only, as far as
``highest_imputation`` allows (``n`` none, ``D`` day, ``M`` month and day, ``Y`` the whole date
from ``min_dates``/``max_dates``), and always sets the flag.  ``derive_vars_dt_start_end``
imputes a start and an end date together so that an imputed start never falls after its end
and an imputed end never before its start (admiral issue 727).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError
from .registry import IO, NAME, VARS, assign_column, method

_ISO = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:\.\d+)?)?)?)?)?)?$")
_EPOCH = date(1960, 1, 1).toordinal()
LEVELS = ["n", "s", "m", "h", "D", "M", "Y"]
IMPUTATION = {"enum": LEVELS, "description": "the highest component that may be imputed: n "
              "(none), s/m/h (time parts), D (day), M (month and day), Y (whole date, from "
              "min_dates/max_dates)"}
DATE_IMPUTATION = {"enum": ["first", "mid", "last"],
                   "description": "missing day/month: first (01, January), mid (15, June 30), "
                                  "last (end of month, December)"}


def sas_date(y: int, m: int, d: int) -> float:
    return float(date(y, m, d).toordinal() - _EPOCH)


def date_text(sas_days: float) -> str:
    """SAS day number -> ISO date text (for messages and tests)."""
    return date.fromordinal(int(sas_days) + _EPOCH).isoformat()


def _parse_one(text: Any) -> tuple:
    """ISO 8601 text -> (year, month, day, hour, minute, second) with None for missing parts."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return (None,) * 6
    t = str(text).strip()
    if not t:
        return (None,) * 6
    m = _ISO.match(t)
    if not m:
        head = re.match(r"^(\d{4})", t)   # e.g. 2021---15: only the year is usable
        if head:
            return (int(head.group(1)),) + (None,) * 5
        raise DataError(f"{t!r} is not an ISO 8601 date")
    parts = tuple(int(g) if g is not None else None for g in m.groups())
    y, mo, d = parts[:3]
    try:
        if mo is not None and not 1 <= mo <= 12:
            raise ValueError
        if d is not None:
            date(y, mo, d)
    except ValueError:
        raise DataError(f"{t!r} is not a valid date") from None
    return parts


def parse_dtc(s: pd.Series) -> pd.DataFrame:
    """Components of each ISO 8601 value (parsed once per distinct value), as float columns
    Y, M, D, h, m, s (NaN where the component is missing)."""
    codes, uniques = pd.factorize(s.to_numpy(dtype=object), use_na_sentinel=True)
    table = np.full((len(uniques) + 1, 6), np.nan)
    for i, u in enumerate(uniques):
        table[i] = [np.nan if x is None else x for x in _parse_one(u)]
    rows = table[np.where(codes < 0, len(uniques), codes)]
    return pd.DataFrame(rows, columns=["Y", "M", "D", "h", "m", "s"], index=s.index)


_DAYS_1960_TO_1970 = 3653


def _months(y: np.ndarray, m: np.ndarray) -> np.ndarray:
    return ((y - 1970) * 12 + (m - 1)).astype(np.int64).astype("datetime64[M]")


def _days(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """SAS day numbers of complete (year, month, day) triples (NaN where any is NaN)."""
    ok = ~(np.isnan(y) | np.isnan(m) | np.isnan(d))
    out = np.full(len(y), np.nan)
    if ok.any():
        first = _months(y[ok], m[ok]).astype("datetime64[D]").astype(np.int64)
        out[ok] = first + (d[ok] - 1) + _DAYS_1960_TO_1970
    return out


def _month_end(y: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Number of days of each (year, month) (NaN where either is NaN)."""
    out = np.full(len(y), np.nan)
    ok = ~(np.isnan(y) | np.isnan(m))
    if ok.any():
        months = _months(y[ok], m[ok])
        out[ok] = ((months + 1).astype("datetime64[D]") - months.astype("datetime64[D]")
                   ).astype(np.int64)
    return out


def _allowed(highest: str, level: str) -> bool:
    return LEVELS.index(highest) >= LEVELS.index(level)


def impute_date(parts: pd.DataFrame, *, highest: str = "n", how: str = "first",
                min_dates: list[np.ndarray] = (), max_dates: list[np.ndarray] = (),
                upper: np.ndarray | None = None, lower: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Numeric dates from parsed components: (date, flag, range start, range end).

    ``flag`` is 'D', 'M', 'Y' or None.  The range is the interval of dates the partial value
    allows (for complete dates the date itself; NaN when nothing is known), narrowed by
    ``upper``/``lower`` where given (e.g. a start date cannot be after its end date); a
    ``min_dates``/``max_dates`` date is used only when it lies in that range."""
    y, m, d = (parts[c].to_numpy(np.float64) for c in ("Y", "M", "D"))
    n = len(y)
    flag = np.full(n, None, dtype=object)
    has_y, has_m, has_d = ~np.isnan(y), ~np.isnan(m), ~np.isnan(d)
    complete = has_y & has_m & has_d
    no_day = has_y & has_m & ~has_d
    no_month = has_y & ~has_m
    nothing = ~has_y
    lo = np.full(n, np.nan)
    hi = np.full(n, np.nan)
    exact = _days(y, m, d)
    lo[complete] = hi[complete] = exact[complete]
    one = np.ones(n)
    lo[no_day] = _days(y, m, one)[no_day]
    hi[no_day] = _days(y, m, _month_end(y, m))[no_day]
    lo[no_month] = _days(y, one, one)[no_month]
    hi[no_month] = _days(y, np.full(n, 12.0), np.full(n, 31.0))[no_month]
    if upper is not None:
        hi = np.where(np.isnan(upper), hi, np.fmin(hi, upper))
    if lower is not None:
        lo = np.where(np.isnan(lower), lo, np.fmax(lo, lower))
    out = exact.copy()
    if _allowed(highest, "D") and no_day.any():
        day = {"first": one, "mid": np.full(n, 15.0), "last": _month_end(y, m)}[how]
        out[no_day] = _days(y, m, day)[no_day]
        flag[no_day] = "D"
    if _allowed(highest, "M") and no_month.any():
        mm, dd = {"first": (1.0, 1.0), "mid": (6.0, 30.0), "last": (12.0, 31.0)}[how]
        out[no_month] = _days(y, np.full(n, mm), np.full(n, dd))[no_month]
        flag[no_month] = "M"
    imputed = pd.notna(flag)
    for bound in min_dates:
        b = np.asarray(bound, dtype=np.float64)
        use = imputed & ~np.isnan(b) & (b >= lo) & (b <= hi) & (out < b)
        out[use] = b[use]
    for bound in max_dates:
        b = np.asarray(bound, dtype=np.float64)
        use = imputed & ~np.isnan(b) & (b >= lo) & (b <= hi) & (out > b)
        out[use] = b[use]
    if _allowed(highest, "Y") and nothing.any():
        pool = min_dates if how == "first" else max_dates
        for bound in pool:
            b = np.asarray(bound, dtype=np.float64)
            use = nothing & np.isnan(out) & ~np.isnan(b)
            out[use] = b[use]
            flag[use] = "Y"
    return out, flag, lo, hi


def _bounds(dataset: pd.DataFrame, names: list[str] | None) -> list[np.ndarray]:
    return [pd.to_numeric(dataset[v], errors="coerce").to_numpy(np.float64) for v in names or ()]


def _flag_wanted(flag_imputation: str, highest: str) -> bool:
    if flag_imputation == "auto":
        return _allowed(highest, "D")
    return flag_imputation in ("date", "both")


FLAG_IMPUTATION = {"enum": ["auto", "date", "time", "both", "none"],
                   "description": "which imputation flags to create (auto: the date flag when "
                                  "dates may be imputed, the time flag when times may be)"}


def _io_dt(p: dict[str, Any]) -> IO:
    pre = p["new_vars_prefix"]
    writes = [f"{pre}DT"]
    if _flag_wanted(p.get("flag_imputation", "auto"), p.get("highest_imputation", "n")):
        writes.append(f"{pre}DTF")
    return IO(reads=[(("dtc",), p["dtc"])]
              + [(("min_dates", i), v) for i, v in enumerate(p.get("min_dates") or ())]
              + [(("max_dates", i), v) for i, v in enumerate(p.get("max_dates") or ())],
              writes=writes)


def _imputation_text(p: dict[str, Any], how_default: str = "first") -> str:
    highest = p.get("highest_imputation", "n")
    how = p.get("date_imputation", how_default)
    if not _allowed(highest, "D"):
        return "partial dates are left missing (no imputation)"
    parts = {"first": ("the first day of the month", "1 January"),
             "mid": ("the 15th", "30 June"),
             "last": ("the last day of the month", "31 December")}[how]
    text = f"a missing day is imputed as {parts[0]}"
    if _allowed(highest, "M"):
        text += f", a missing month and day as {parts[1]}"
    if p.get("min_dates"):
        text += f", but not before {', '.join(p['min_dates'])} when that date is possible"
    if p.get("max_dates"):
        text += f", but not after {', '.join(p['max_dates'])} when that date is possible"
    return text


def _describe_dt(p: dict[str, Any]) -> dict[str, str]:
    pre = p["new_vars_prefix"]
    out = {f"{pre}DT": f"Date part of {p['dtc']} as a numeric date; {_imputation_text(p)}."}
    out[f"{pre}DTF"] = (f"Imputation level of {pre}DT: 'D' day imputed, 'M' month and day "
                        "imputed, 'Y' whole date imputed; missing when not imputed.")
    return out


@method("derive_vars_dt", family="dates",
        summary="A numeric date (and its imputation flag) from an ISO 8601 --DTC variable.",
        params={"dtc": NAME, "new_vars_prefix": {"type": "string",
                                                 "pattern": "^[A-Z][A-Z0-9]{0,5}$"},
                "highest_imputation": IMPUTATION, "date_imputation": DATE_IMPUTATION,
                "flag_imputation": FLAG_IMPUTATION, "min_dates": VARS, "max_dates": VARS},
        required=("dtc", "new_vars_prefix"),
        io=_io_dt, describe=_describe_dt,
        example="""
analysis_date:
  method: derive_vars_dt
  dtc: QSDTC
  new_vars_prefix: A""")
def derive_vars_dt(dataset: pd.DataFrame, *, dtc: str, new_vars_prefix: str,
                   highest_imputation: str = "n", date_imputation: str = "first",
                   flag_imputation: str = "auto", min_dates: list[str] | None = None,
                   max_dates: list[str] | None = None) -> pd.DataFrame:
    """As admiral's ``derive_vars_dt()``: ``<prefix>DT`` is the date part of ``dtc`` as a SAS
    date; partial dates are imputed as far as ``highest_imputation`` allows
    (``date_imputation`` first/mid/last; never before a ``min_dates`` date or after a
    ``max_dates`` date that the partial date allows) and ``<prefix>DTF`` says what was imputed
    (D, M, Y).  Without imputation a partial date gives a missing date."""
    parts = parse_dtc(dataset[dtc])
    out, flag, _, _ = impute_date(parts, highest=highest_imputation, how=date_imputation,
                                  min_dates=_bounds(dataset, min_dates),
                                  max_dates=_bounds(dataset, max_dates))
    df = dataset.copy(deep=False)
    df[f"{new_vars_prefix}DT"] = out
    if _flag_wanted(flag_imputation, highest_imputation):
        assign_column(df, f"{new_vars_prefix}DTF", flag)
    return df


def _io_dtm(p: dict[str, Any]) -> IO:
    pre = p["new_vars_prefix"]
    highest = p.get("highest_imputation", "h")
    fi = p.get("flag_imputation", "auto")
    writes = [f"{pre}DTM"]
    if _flag_wanted(fi, highest):
        writes.append(f"{pre}DTF")
    if fi in ("time", "both") or (fi == "auto" and _allowed(highest, "s")):
        writes.append(f"{pre}TMF")
    return IO(reads=[(("dtc",), p["dtc"])], writes=writes)


def _describe_dtm(p: dict[str, Any]) -> dict[str, str]:
    pre = p["new_vars_prefix"]
    how = p.get("time_imputation", "first")
    t = "00:00:00" if how == "first" else "23:59:59"
    return {f"{pre}DTM": (f"{p['dtc']} as a numeric datetime; missing time parts are imputed "
                          f"from {t}; {_imputation_text(p)}."),
            f"{pre}DTF": f"Imputation level of the date part of {pre}DTM (D, M, Y).",
            f"{pre}TMF": (f"Imputation level of the time part of {pre}DTM: 'H' hours, 'M' "
                          "minutes, 'S' seconds imputed"
                          + ("; seconds alone are not flagged" if p.get("ignore_seconds_flag")
                             else "") + ".")}


@method("derive_vars_dtm", family="dates",
        summary="A numeric datetime (and imputation flags) from an ISO 8601 --DTC variable.",
        params={"dtc": NAME, "new_vars_prefix": {"type": "string",
                                                 "pattern": "^[A-Z][A-Z0-9]{0,4}$"},
                "highest_imputation": IMPUTATION, "date_imputation": DATE_IMPUTATION,
                "time_imputation": {"enum": ["first", "last"]},
                "flag_imputation": FLAG_IMPUTATION,
                "ignore_seconds_flag": {"type": "boolean", "description": "do not flag "
                                        "seconds that were never collected"}},
        required=("dtc", "new_vars_prefix"),
        io=_io_dtm, describe=_describe_dtm,
        example="""
first_dose_datetime:
  method: derive_vars_dtm
  dtc: TRTSDTC
  new_vars_prefix: TRTS
  ignore_seconds_flag: true
  flag_imputation: none""")
def derive_vars_dtm(dataset: pd.DataFrame, *, dtc: str, new_vars_prefix: str,
                    highest_imputation: str = "h", date_imputation: str = "first",
                    time_imputation: str = "first", flag_imputation: str = "auto",
                    ignore_seconds_flag: bool = False) -> pd.DataFrame:
    """As admiral's ``derive_vars_dtm()``: ``<prefix>DTM`` is ``dtc`` as a SAS datetime
    (seconds since 1960).  Missing hours/minutes/seconds are imputed (first: 00, last: 23/59)
    as far as ``highest_imputation`` allows (h, m, s; D/M/Y also impute the date as
    ``derive_vars_dt`` does), with ``<prefix>TMF`` = H/M/S and ``<prefix>DTF`` = D/M/Y."""
    parts = parse_dtc(dataset[dtc])
    day, dflag, _, _ = impute_date(parts, highest=highest_imputation, how=date_imputation)
    h, m, s = (parts[c].to_numpy(np.float64) for c in ("h", "m", "s"))
    n = len(parts)
    first = time_imputation == "first"
    tflag = np.full(n, None, dtype=object)
    secs = np.full(n, np.nan)
    ok = ~np.isnan(day)
    for comp, level, letter in ((h, "h", "H"), (m, "m", "M"), (s, "s", "S")):
        missing = ok & np.isnan(comp)
        if missing.any():
            if not _allowed(highest_imputation, level):
                ok &= ~missing
            else:
                if letter != "S" or not ignore_seconds_flag:
                    tflag[missing & pd.isna(tflag)] = letter
    hh = np.where(np.isnan(h), 0 if first else 23, h)
    mm = np.where(np.isnan(m), 0 if first else 59, m)
    ss = np.where(np.isnan(s), 0 if first else 59, s)
    secs[ok] = day[ok] * 86400.0 + hh[ok] * 3600.0 + mm[ok] * 60.0 + ss[ok]
    tflag[~ok] = None
    df = dataset.copy(deep=False)
    pre = new_vars_prefix
    df[f"{pre}DTM"] = secs
    if _flag_wanted(flag_imputation, highest_imputation):
        assign_column(df, f"{pre}DTF", dflag)
    if flag_imputation in ("time", "both") or (flag_imputation == "auto"
                                               and _allowed(highest_imputation, "s")):
        assign_column(df, f"{pre}TMF", tflag)
    return df


def _io_pair(p: dict[str, Any]) -> IO:
    s, e = p.get("start_prefix", "AST"), p.get("end_prefix", "AEN")
    return IO(reads=[(("start_dtc",), p["start_dtc"]), (("end_dtc",), p["end_dtc"])]
              + [(("start_min_dates", i), v) for i, v in enumerate(p.get("start_min_dates") or ())]
              + [(("end_max_dates", i), v) for i, v in enumerate(p.get("end_max_dates") or ())],
              writes=[f"{s}DT", f"{s}DTF", f"{e}DT", f"{e}DTF"])


def _describe_pair(p: dict[str, Any]) -> dict[str, str]:
    s, e = p.get("start_prefix", "AST"), p.get("end_prefix", "AEN")
    hi = p.get("highest_imputation", "M")
    start = _imputation_text({"highest_imputation": hi, "date_imputation": "first",
                              "min_dates": p.get("start_min_dates")})
    end = _imputation_text({"highest_imputation": hi, "date_imputation": "last",
                            "max_dates": p.get("end_max_dates")})
    return {
        f"{s}DT": (f"Date part of {p['start_dtc']} as a numeric date; {start}; an imputed start "
                   f"after {e}DT is set to {e}DT."),
        f"{s}DTF": f"Imputation level of {s}DT (D, M, Y); missing when not imputed.",
        f"{e}DT": (f"Date part of {p['end_dtc']} as a numeric date; {end}; an imputed end "
                   f"before {s}DT is set to {s}DT."),
        f"{e}DTF": f"Imputation level of {e}DT (D, M, Y); missing when not imputed.",
    }


@method("derive_vars_dt_start_end", family="dates",
        summary="Start and end dates imputed together, consistently (start <= end), with flags.",
        params={"start_dtc": NAME, "end_dtc": NAME,
                "start_prefix": {"type": "string", "pattern": "^[A-Z][A-Z0-9]{0,5}$"},
                "end_prefix": {"type": "string", "pattern": "^[A-Z][A-Z0-9]{0,5}$"},
                "highest_imputation": {"enum": ["n", "D", "M"]},
                "start_min_dates": VARS, "end_max_dates": VARS},
        required=("start_dtc", "end_dtc"),
        io=_io_pair, describe=_describe_pair,
        example="""
ae_dates:
  method: derive_vars_dt_start_end
  start_dtc: AESTDTC
  end_dtc: AEENDTC
  highest_imputation: M
  start_min_dates: [TRTSDT]
  end_max_dates: [EOSDT]""")
def derive_vars_dt_start_end(dataset: pd.DataFrame, *, start_dtc: str, end_dtc: str,
                             start_prefix: str = "AST", end_prefix: str = "AEN",
                             highest_imputation: str = "M",
                             start_min_dates: list[str] | None = None,
                             end_max_dates: list[str] | None = None) -> pd.DataFrame:
    """Impute a start date to the earliest and an end date to the latest date its partial
    value allows (``derive_vars_dt`` with ``date_imputation`` first and last), the start not
    before a ``start_min_dates`` date (e.g. TRTSDT, so an event of the month of the first dose
    is not pushed before it) and the end not after an ``end_max_dates`` date (e.g. EOSDT), when
    those dates are possible — and a start is never possible after the end's latest date, nor
    an end before the start's earliest.  Finally the pair is made consistent: an imputed start
    later than the end becomes the end date; an imputed end earlier than the start becomes the
    start date.  A complete date is never changed.  Flags ``<prefix>DTF`` say what was
    imputed."""
    s_parts, e_parts = parse_dtc(dataset[start_dtc]), parse_dtc(dataset[end_dtc])
    # the latest possible end and the earliest possible start bound each other's range
    _, _, s_lo, _ = impute_date(s_parts, highest=highest_imputation)
    _, _, _, e_hi = impute_date(e_parts, highest=highest_imputation)
    s_out, s_flag, _, _ = impute_date(s_parts, highest=highest_imputation, how="first",
                                      min_dates=_bounds(dataset, start_min_dates), upper=e_hi)
    e_out, e_flag, _, _ = impute_date(e_parts, highest=highest_imputation, how="last",
                                      max_dates=_bounds(dataset, end_max_dates), lower=s_lo)
    both = ~np.isnan(s_out) & ~np.isnan(e_out)
    s_imp, e_imp = pd.notna(s_flag), pd.notna(e_flag)
    late_start = both & (s_out > e_out) & s_imp
    s_out[late_start] = e_out[late_start]
    early_end = both & (e_out < s_out) & e_imp & ~s_imp
    e_out[early_end] = s_out[early_end]
    df = dataset.copy(deep=False)
    df[f"{start_prefix}DT"] = s_out
    assign_column(df, f"{start_prefix}DTF", s_flag)
    df[f"{end_prefix}DT"] = e_out
    assign_column(df, f"{end_prefix}DTF", e_flag)
    return df


def _dy_pairs(source_vars: list[Any]) -> list[tuple[str, str]]:
    out = []
    for item in source_vars:
        if isinstance(item, dict):
            (k, v), = item.items()
            out.append((k, v))
        else:
            stem = item[:-3] if item.endswith("DTM") else item[:-2] if item.endswith("DT") else item
            out.append((f"{stem}DY", item))
    return out


def _io_dy(p: dict[str, Any]) -> IO:
    pairs = _dy_pairs(p["source_vars"])
    return IO(reads=[(("reference_date",), p["reference_date"])]
              + [(("source_vars", i), v) for i, (_, v) in enumerate(pairs)],
              writes=[n for n, _ in pairs])


@method("derive_vars_dy", family="dates",
        summary="Relative days (ADY, ASTDY, …) from a reference date, with no day 0.",
        params={"reference_date": NAME,
                "source_vars": {"type": "array", "minItems": 1, "items": {"anyOf": [
                    NAME, {"type": "object", "minProperties": 1, "maxProperties": 1,
                           "propertyNames": NAME, "additionalProperties": NAME}]},
                    "description": "dates: ASTDT gives ASTDY; {NEWDY: DATE} names the result"}},
        required=("reference_date", "source_vars"),
        io=_io_dy,
        describe=lambda p: {n: (f"{v} − {p['reference_date']} + 1 when {v} is on or after "
                                f"{p['reference_date']}, else {v} − {p['reference_date']} "
                                "(there is no day 0).")
                            for n, v in _dy_pairs(p["source_vars"])},
        example="""
study_days:
  method: derive_vars_dy
  reference_date: TRTSDT
  source_vars: [ASTDT, AENDT]""")
def derive_vars_dy(dataset: pd.DataFrame, *, reference_date: str,
                   source_vars: list[Any]) -> pd.DataFrame:
    """As admiral's ``derive_vars_dy()``: for each date (``ASTDT`` -> ``ASTDY``, ``ADT`` ->
    ``ADY``; datetimes use their date), the day relative to ``reference_date``: date − reference
    + 1 on or after it, date − reference before it."""
    df = dataset.copy(deep=False)
    ref = pd.to_numeric(dataset[reference_date], errors="coerce").to_numpy(np.float64)
    if reference_date.endswith("DTM"):
        ref = np.floor(ref / 86400.0)
    for new, var in _dy_pairs(source_vars):
        d = pd.to_numeric(dataset[var], errors="coerce").to_numpy(np.float64)
        if var.endswith("DTM"):
            d = np.floor(d / 86400.0)
        diff = d - ref
        df[new] = np.where(diff >= 0, diff + 1, diff)
    return df


_UNITS = {"days": (1.0, "DAYS"), "weeks": (7.0, "WEEKS"), "months": (365.25 / 12, "MONTHS"),
          "years": (365.25, "YEARS")}


def _io_dur(p: dict[str, Any]) -> IO:
    return IO(reads=[(("start_date",), p["start_date"]), (("end_date",), p["end_date"])],
              writes=[p["new_var"]] + ([p["new_var_unit"]] if p.get("new_var_unit") else []))


def _describe_dur(p: dict[str, Any]) -> dict[str, str]:
    unit = p.get("out_unit", "days")
    one = " + 1" if p.get("add_one", True) else ""
    out = {p["new_var"]: f"({p['end_date']} − {p['start_date']}{one} days) in {unit}; missing "
                         "when either date is missing."}
    if p.get("new_var_unit"):
        out[p["new_var_unit"]] = f"{_UNITS[unit][1]!r} where {p['new_var']} is present."
    return out


@method("derive_vars_duration", family="dates",
        summary="A duration between two dates (ADURN/ADURU, TRTDURD).",
        params={"new_var": NAME, "new_var_unit": NAME, "start_date": NAME, "end_date": NAME,
                "out_unit": {"enum": list(_UNITS)},
                "add_one": {"type": "boolean", "description": "count both days (default true)"}},
        required=("new_var", "start_date", "end_date"),
        io=_io_dur, describe=_describe_dur,
        example="""
duration:
  method: derive_vars_duration
  new_var: ADURN
  new_var_unit: ADURU
  start_date: ASTDT
  end_date: AENDT""")
def derive_vars_duration(dataset: pd.DataFrame, *, new_var: str, start_date: str,
                         end_date: str, new_var_unit: str | None = None,
                         out_unit: str = "days", add_one: bool = True) -> pd.DataFrame:
    """As admiral's ``derive_vars_duration()`` for dates: (end − start, + 1 with ``add_one``)
    days converted to ``out_unit`` (weeks: /7, months: /30.4375, years: /365.25); the unit
    (DAYS, WEEKS, MONTHS, YEARS) goes to ``new_var_unit`` where the duration is present."""
    df = dataset.copy(deep=False)
    start = pd.to_numeric(dataset[start_date], errors="coerce").to_numpy(np.float64)
    end = pd.to_numeric(dataset[end_date], errors="coerce").to_numpy(np.float64)
    days = end - start + (1.0 if add_one else 0.0)
    factor, unit = _UNITS[out_unit]
    value = days / factor
    df[new_var] = value
    if new_var_unit:
        assign_column(df, new_var_unit, None)
        assign_column(df, new_var_unit, unit, ~np.isnan(value))
    return df
