"""Raw dates and times in the formats EDC systems export → ISO 8601 text.

A *format* is a template of tokens and literal separators:

=========  ===============================================================
``DD``     day, 1 or 2 digits
``MM``     month number, 1 or 2 digits
``MON``    month abbreviation (JAN … DEC, any case)
``YYYY``   four-digit year
``YY``     two-digit year, placed in the hundred years from the declared ``pivot``
           (``pivot: 1940`` → ``39`` is 2039, ``40`` is 1940)
``hh``     hour (0–23, or 1–12 with ``AM``)
``mm``     minute; ``ss`` second; ``AM`` the AM/PM marker (``AM``, ``PM``, ``A.M.``)
=========  ===============================================================

e.g. ``MM/DD/YYYY``, ``DD-MON-YYYY``, ``DDMONYYYY`` (SAS ``DATE9.``), ``YYYY-MM-DD``,
``MM/DD/YY``, ``DD/MM/YYYY hh:mm``.  A blank in a template matches one or more blanks.  Three
formats are numbers rather than text: ``SAS`` (days since 1960-01-01), ``SAS_DATETIME``
(seconds since 1960-01-01T00:00) and ``EXCEL`` (days since 1899-12-30, the fraction is the time
of day).

Unknown parts written as ``UN``, ``UNK``, ``--``, ``XX``, ``NK`` or ``99`` (day or month) are left
out: ``UN/03/2021`` → ``2021-03``, ``UNK-UNK-2021`` → ``2021`` — ISO 8601 partial dates, never
imputed.  An impossible value (``02/30/2021``), text that does not fit the format, or a value that
fits two declared formats with different meanings (``03/04/2021`` under both ``MM/DD/YYYY`` and
``DD/MM/YYYY``) is an error, never a guess.  Without a format the historical default applies:
``DD MON YYYY`` (blank, ``-`` or ``/`` between the parts, unknown parts allowed) or ISO 8601.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

MONTHS = {m.upper(): i for i, m in enumerate(calendar.month_abbr) if m}
UNKNOWN = {"UN", "UNK", "--", "XX", "NK", "UK"}
NUMERIC_FORMATS = ("SAS", "SAS_DATETIME", "EXCEL")

_DMY = re.compile(r"^(\d{1,2}|UN|UNK|--|XX|NK)[ \-/]([A-Z]{3}|UN|UNK|--|XX|NK)[ \-/](\d{4})$")
_ISO = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(A\.?M\.?|P\.?M\.?)?$")

_UNK = r"UNK|UN|UK|--|XX|NK"
_TOKENS = [                       # longest first
    ("YYYY", r"(?P<year>\d{4})"),
    ("MON", rf"(?P<mon>[A-Z]{{3}}|{_UNK})"),
    ("YY", r"(?P<yy>\d{2})"),
    ("DD", rf"(?P<day>\d{{1,2}}|{_UNK})"),
    ("MM", rf"(?P<month>\d{{1,2}}|{_UNK})"),
    ("hh", rf"(?P<hour>\d{{1,2}}|{_UNK})"),
    ("mm", rf"(?P<minute>\d{{2}}|{_UNK})"),
    ("ss", rf"(?P<second>\d{{2}}|{_UNK})"),
    ("AM", r"(?P<ampm>A\.?M\.?|P\.?M\.?)"),
]
FORMAT_PATTERN = "^(YYYY|MON|YY|DD|MM|hh|mm|ss|AM|[ /.:,T\\-])+$"


@dataclass(frozen=True)
class Format:
    text: str
    regex: re.Pattern
    two_digit_year: bool


class FormatError(ValueError):
    """A format template that cannot be used."""


@lru_cache(maxsize=64)
def compile_format(fmt: str) -> Format:
    """A date format template → its matcher (cached).  Raises :class:`FormatError`."""
    if fmt in NUMERIC_FORMATS:
        return Format(fmt, re.compile(r"^-?\d+(\.\d+)?$"), False)
    out, i, seen = [], 0, set()
    while i < len(fmt):
        for tok, rx in _TOKENS:
            if fmt.startswith(tok, i):
                if tok in seen:
                    raise FormatError(f"format {fmt!r} has {tok} twice")
                seen.add(tok)
                out.append(rx)
                i += len(tok)
                break
        else:
            ch = fmt[i]
            if ch not in " /.:,T-":
                raise FormatError(f"format {fmt!r}: {ch!r} is not a date token (DD, MM, MON, "
                                  "YYYY, YY, hh, mm, ss, AM) nor a separator")
            out.append(r"\s+" if ch == " " else re.escape(ch))
            i += 1
    if not ({"YYYY", "YY"} & seen):
        raise FormatError(f"format {fmt!r} has no year (YYYY or YY)")
    if "MM" in seen and "MON" in seen:
        raise FormatError(f"format {fmt!r} has both MM and MON")
    if "AM" in seen and "hh" not in seen:
        raise FormatError(f"format {fmt!r} has AM without hh")
    return Format(fmt, re.compile("^" + "".join(out) + "$"), "YY" in seen)


def _unknown(part: str | None) -> bool:
    return part is None or part in UNKNOWN or part == "99"


def _assemble(year: int, month: int | None, day: int | None) -> tuple[str | None, str | None]:
    if month is None:
        return f"{year:04d}", None
    if not 1 <= month <= 12:
        return None, f"month {month} does not exist"
    if day is None:
        return f"{year:04d}-{month:02d}", None
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        return None, f"day {day} does not exist in {calendar.month_abbr[month]} {year}"
    return f"{year:04d}-{month:02d}-{day:02d}", None


def _legacy(t: str) -> tuple[str | None, str | None]:
    m = _DMY.match(t)
    if m:
        day, mon, year = m.groups()
        if mon in UNKNOWN:
            return year, None
        if mon not in MONTHS:
            return None, f"unknown month '{mon}'"
        return _assemble(int(year), MONTHS[mon], None if day in UNKNOWN else int(day))
    m = _ISO.match(t)
    if not m:
        return None, "not a date (expected DD MON YYYY, UN MON YYYY, UN UNK YYYY or YYYY-MM-DD)"
    year, mm, dd = m.groups()
    return _assemble(int(year), None if mm is None else int(mm), None if dd is None else int(dd))


def _numeric(t: str, fmt: str) -> tuple[str | None, str | None]:
    try:
        x = float(t)
    except ValueError:
        return None, f"not a number (expected a {fmt} date value)"
    try:
        if fmt == "SAS":
            if not x.is_integer():
                return None, "a SAS date is a whole number of days"
            return (date(1960, 1, 1) + timedelta(days=int(x))).isoformat(), None
        if fmt == "SAS_DATETIME":
            dt = datetime(1960, 1, 1) + timedelta(seconds=round(x))
        else:
            if x < 61:
                return None, "Excel serial dates before 1900-03-01 are ambiguous (the 1900 " \
                             "leap-year bug)"
            dt = datetime(1899, 12, 30) + timedelta(seconds=round(x * 86400))
    except OverflowError:
        return None, "date out of range"
    if dt.hour == dt.minute == dt.second == 0 and (fmt == "EXCEL" and x.is_integer()):
        return dt.date().isoformat(), None
    text = dt.strftime("%Y-%m-%dT%H:%M")
    return text + (f":{dt.second:02d}" if dt.second else ""), None


def _time(hour: str | None, minute: str | None, second: str | None,
          ampm: str | None) -> tuple[str | None, str | None]:
    if _unknown(hour) or hour == "99":
        return None, None
    h = int(hour)
    if ampm:
        if not 1 <= h <= 12:
            return None, f"hour {h} is not a 12-hour clock hour (1-12 with AM/PM)"
        h = h % 12 + (12 if ampm.startswith("P") else 0)
    elif h > 23:
        return None, f"hour {h} does not exist"
    text = f"{h:02d}"
    if minute is None or minute in UNKNOWN:
        return text, None
    if int(minute) > 59:
        return None, f"minute {minute} does not exist"
    text += f":{minute}"
    if second is None or second in UNKNOWN:
        return text, None
    if int(second) > 59:
        return None, f"second {second} does not exist"
    return text + f":{second}", None


def _with_format(t: str, f: Format, pivot: int | None) -> tuple[str | None, str | None]:
    if f.text in NUMERIC_FORMATS:
        return _numeric(t, f.text)
    m = f.regex.match(t)
    if not m:
        return None, f"not a date in the format {f.text}"
    g = m.groupdict()
    if g.get("year") is not None:
        year = int(g["year"])
    else:
        if pivot is None:
            return None, f"the format {f.text} has a 2-digit year: declare `pivot`"
        yy = int(g["yy"])
        year = pivot - pivot % 100 + yy
        if year < pivot:
            year += 100
    if "mon" in g and g["mon"] is not None:
        mon = g["mon"]
        if mon in UNKNOWN:
            month = None
        elif mon not in MONTHS:
            return None, f"unknown month '{mon}'"
        else:
            month = MONTHS[mon]
    else:
        month = None if _unknown(g.get("month")) else int(g["month"])
    day = None if month is None or _unknown(g.get("day")) else int(g["day"])
    iso, err = _assemble(year, month, day)
    if err or "hour" not in g:
        return iso, err
    tm, err = _time(g.get("hour"), g.get("minute"), g.get("second"), g.get("ampm"))
    if err:
        return None, err
    return (f"{iso}T{tm}" if tm and len(iso) == 10 else iso), None


def parse_date(text: str, formats: str | list[str] | tuple[str, ...] | None = None,
               pivot: int | None = None) -> tuple[str | None, str | None]:
    """One raw date (or date-time) → (ISO 8601 text, None) or (None, what is wrong)."""
    t = str(text).strip().upper()
    if not formats:
        return _legacy(t)
    if isinstance(formats, str):
        formats = (formats,)
    found: dict[str, str] = {}
    errors: list[str] = []
    for fmt in formats:
        iso, err = _with_format(t, compile_format(fmt), pivot)
        if iso is not None:
            found.setdefault(iso, fmt)
        elif err:
            errors.append(err)
    if len(found) > 1:
        readings = " or ".join(f"{iso} ({fmt})" for iso, fmt in found.items())
        return None, f"ambiguous: reads as {readings}"
    if found:
        return next(iter(found)), None
    fits = [e for e in errors if not e.startswith("not a date in the format")]
    if fits:
        return None, fits[0]
    return None, f"not a date (expected {' or '.join(formats)})"


def parse_time(text: str) -> tuple[str | None, str | None]:
    """One raw time → (ISO text, None) or (None, what is wrong): ``HH:MM[:SS]`` on the 24-hour
    clock, or with ``AM``/``PM`` on the 12-hour clock; ``UN:UN`` and similar are unknown."""
    t = str(text).strip().upper()
    if t in {"UN:UN", "UNK", "UN", "--:--", "UK:UK", "XX:XX", "NK"}:
        return None, None
    parts = re.match(rf"^(\d{{1,2}}|{_UNK}):(\d{{2}}|{_UNK})(?::(\d{{2}}))?\s*"
                     r"(A\.?M\.?|P\.?M\.?)?$", t)
    if not parts:
        return None, "not a time (expected HH:MM, HH:MM:SS or hh:mm AM/PM)"
    h, mi, s, ampm = parts.groups()
    if ampm is None and h not in UNKNOWN and mi not in UNKNOWN and \
            (int(h) > 23 or int(mi) > 59 or (s is not None and int(s) > 59)):
        return None, "impossible time"
    iso, err = _time(h, mi, s, ampm)
    return iso, err
