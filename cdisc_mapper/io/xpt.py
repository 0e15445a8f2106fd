"""SAS transport (XPT) version 5 writer for submission datasets.

:func:`check_xpt` refuses, with one line naming the dataset, variable, record, value and what was
expected, everything XPT v5 (and the FDA/PMDA rules on top of it) cannot hold: names over 8
characters or not ``[A-Z][A-Z0-9_]*``, missing or long or non-ASCII labels, non-ASCII or
over-200-byte character values, text in numeric variables, columns that differ from the
specification.
:func:`write_xpt` runs the same checks, then writes the file atomically and returns the
specification with the length of every variable as written (Char: longest value in bytes, at least
1; Num: 8), so define.xml states exactly what is in the file.

Two engines produce byte-identical files:

* ``"native"`` (default): the records are assembled with numpy, column by column (IBM 370 floating
  point conversion included), which writes 3 million rows x 25 variables in seconds;
* ``"pyreadstat"``: ``pyreadstat.write_xport(file_format_version=5)``, more than ten times
  slower (it converts cell by cell); kept as a cross-check of the native engine.  It refuses
  magnitudes of 16**62 (about 4.5E74) or more, which ReadStat silently writes as 7.2E75.

Both put ``created`` into the four header timestamps (``ddMONyy:hh:mm:ss``), so reruns give the
same bytes.  Values are written as given except that trailing blanks of character values are not
counted in the length (XPT pads with blanks and every reader strips them).
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import struct
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Literal
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from cdisc_mapper.errors import OutputError
from cdisc_mapper.io.atomic import atomic_open, atomic_path
from cdisc_mapper.spec.model import DatasetSpec, VariableSpec

__all__ = [
    "check_xpt",
    "write_xpt",
    "xpt_file_name",
    "sas_datetime_text",
    "parse_sas_format",
    "sas_format_kind",
    "float_to_ibm",
    "sas_numeric_values",
    "MAX_CHAR_BYTES",
    "MAX_LABEL",
    "MAX_NAME",
]

MAX_NAME = 8
MAX_LABEL = 40
MAX_CHAR_BYTES = 200
_NAME_RE = re.compile(r"[A-Z][A-Z0-9_]*\Z")
_FORMAT_RE = re.compile(r"(\$?(?:[A-Z_][A-Z0-9_]*?)?)(\d*)\.(\d*)\Z")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_SAS_EPOCH = _dt.datetime(1960, 1, 1)
_SAS_EPOCH_NP = np.datetime64("1960-01-01T00:00:00", "ns")
_IBM_MAX = 16.0 ** 63  # IBM 370 doubles cannot hold a magnitude of 16**63 or more
_PYREADSTAT_MAX = 16.0 ** 62  # ReadStat saturates magnitudes from here on to the IBM maximum

# Header records, as pyreadstat (ReadStat) writes them: SAS version "6.06", OS "bsd4.2".
_SAS_VERSION = b"6.06    "
_SAS_OS = b"bsd4.2  "
_HEAD = b"HEADER RECORD*******"
_ZEROS = b"0" * 30 + b"  "
_LIBRARY = _HEAD + b"LIBRARY HEADER RECORD!!!!!!!" + _ZEROS
_MEMBER = _HEAD + b"MEMBER  HEADER RECORD!!!!!!!" + b"0" * 16 + b"01600000000140  "
_DSCRPTR = _HEAD + b"DSCRPTR HEADER RECORD!!!!!!!" + _ZEROS
_OBS = _HEAD + b"OBS     HEADER RECORD!!!!!!!" + _ZEROS
_NAMESTR = struct.Struct(">hhhh8s40s8shhh2s8shhl52s")
_CHUNK_BYTES = 32 * 1024 * 1024

# Timestamp fields in a single-member file: library created / modified, member created / modified.
TIMESTAMP_OFFSETS = (0x90, 0xA0, 0x1D0, 0x1E0)

_DATE_FORMATS = frozenset({
    "DATE", "E8601DA", "B8601DA", "IS8601DA", "YYMMDD", "YYMMDDN", "YYMMDDD", "YYMMDDS",
    "YYMMDDP", "YYMMDDB", "YYMMDDC", "MMDDYY", "MMDDYYN", "MMDDYYD", "MMDDYYS", "DDMMYY",
    "DDMMYYN", "DDMMYYD", "DDMMYYS", "MONYY", "YYMON", "WORDDATE", "WORDDATX", "WEEKDATE",
    "WEEKDATX", "DAY", "MONTH", "YEAR", "YYQ", "JULIAN", "NLDATE", "EURDFDE", "MINGUO", "DOWNAME",
    "MONNAME", "QTR", "WEEKDAY", "DTDATE_", "YYMMN"})
_DATETIME_FORMATS = frozenset({
    "DATETIME", "E8601DT", "B8601DT", "IS8601DT", "E8601DN", "B8601DN", "DTDATE", "DTMONYY",
    "DTYEAR", "DTWKDATX", "NLDATM", "MDYAMPM", "DATEAMPM", "E8601DX", "B8601DX", "E8601DZ",
    "B8601DZ"})
_TIME_FORMATS = frozenset({
    "TIME", "E8601TM", "B8601TM", "IS8601TM", "HHMM", "HOUR", "MMSS", "TOD", "TIMEAMPM", "NLTIME",
    "E8601TX", "B8601TX", "E8601TZ", "B8601TZ"})


# --------------------------------------------------------------------------------------- helpers

def xpt_file_name(dataset: str) -> str:
    """The submission file name of a dataset: lower-case name + ``.xpt``."""
    return f"{dataset.lower()}.xpt"


def sas_datetime_text(value: _dt.datetime) -> str:
    """``datetime(2025, 3, 4, 5, 6, 7)`` -> ``04MAR25:05:06:07`` (locale-independent)."""
    return (f"{value.day:02d}{_MONTHS[value.month - 1]}{value.year % 100:02d}:"
            f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}")


def parse_sas_format(fmt: str) -> tuple[str, int, int]:
    """``"DATE9."`` -> ``("DATE", 9, 0)``; ``"8.2"`` -> ``("", 8, 2)``; ValueError if malformed."""
    m = _FORMAT_RE.match(fmt.strip().upper())
    if not m or m.group(0) == ".":
        raise ValueError(f"not a SAS format: {fmt!r} (expected NAMEw.d, e.g. DATE9. or 8.2)")
    name, width, dec = m.group(1), m.group(2), m.group(3)
    return name, int(width) if width else 0, int(dec) if dec else 0


def sas_format_kind(fmt: str | None) -> Literal["date", "datetime", "time"] | None:
    """Whether a display format shows a SAS date, datetime or time value (None: plain number)."""
    if not fmt:
        return None
    try:
        name = parse_sas_format(fmt)[0]
    except ValueError:
        return None
    if name in _DATE_FORMATS:
        return "date"
    if name in _DATETIME_FORMATS:
        return "datetime"
    if name in _TIME_FORMATS:
        return "time"
    return None


def float_to_ibm(values: np.ndarray) -> np.ndarray:
    """IEEE doubles -> IBM 370 doubles as ``uint64`` words (NaN -> SAS missing ``.``).

    Exact: the 53-bit IEEE significand shifted left by at most 3 bits fits the 56-bit IBM
    fraction.  Zero, IEEE subnormals and magnitudes below 16**-65 become 0 (as SAS and ReadStat
    do).  The caller refuses infinities and magnitudes of 16**63 or more, which IBM doubles
    cannot hold (here they would come out as missing and as a wrong number).
    """
    x = np.ascontiguousarray(values, dtype=np.float64)
    bits = x.view(np.uint64)
    exp2 = ((bits >> np.uint64(52)) & np.uint64(0x7FF)).astype(np.int64)
    mant = (bits & np.uint64(0x000F_FFFF_FFFF_FFFF)) | np.uint64(1 << 52)
    e = exp2 - 1022                                   # |x| = (mant / 2**53) * 2**e
    big_e = (e + 3) >> 2                              # ceil(e / 4): |x| = f * 16**E, f in [1/16, 1)
    shift = (3 - (4 * big_e - e)).astype(np.uint64)   # 0..3
    expo = big_e + 64                                 # excess-64 exponent
    word = (expo.clip(0, 127).astype(np.uint64) << np.uint64(56)) | (mant << shift)
    word |= bits & np.uint64(1 << 63)
    word[(exp2 == 0) | (expo < 0)] = 0
    word[exp2 == 0x7FF] = np.uint64(0x2E) << np.uint64(56)
    return word


# --------------------------------------------------------------------------------------- checks

def _fail(ds: str, message: str, *, variable: str | None = None, record: int | None = None,
          value: object = None) -> OutputError:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, str) and len(value) > 60:
        value = value[:57] + "..."
    return OutputError(f"dataset {ds}: {message}", variable=variable, record=record, value=value)


def _check_label(ds: str, label: str | None, what: str, variable: str | None = None) -> None:
    if label is None or not label.strip():
        raise _fail(ds, f"{what} label is missing; XPT v5 needs a label of 1-{MAX_LABEL} "
                        "ASCII characters", variable=variable)
    if not label.isascii():
        bad = next(c for c in label if not c.isascii())
        raise _fail(ds, f"{what} label {label!r} has the non-ASCII character {bad!r}; "
                        "XPT v5 labels must be ASCII", variable=variable)
    if len(label) > MAX_LABEL:
        raise _fail(ds, f"{what} label {label!r} is {len(label)} characters; XPT v5 allows at "
                        f"most {MAX_LABEL}", variable=variable)


def _check_spec(spec: DatasetSpec) -> None:
    ds = spec.name
    if not (isinstance(ds, str) and len(ds) <= MAX_NAME and _NAME_RE.match(ds)):
        raise _fail(ds, f"dataset name {ds!r} is not valid for XPT v5: expected 1-{MAX_NAME} "
                        "characters, upper-case letters, digits or '_', starting with a letter")
    _check_label(ds, spec.label, "dataset")
    if not spec.variables:
        raise _fail(ds, "the specification has no variables")
    if len(spec.variables) > 9999:
        raise _fail(ds, f"{len(spec.variables)} variables; XPT v5 holds at most 9999")
    seen: set[str] = set()
    for v in spec.variables:
        if not (isinstance(v.name, str) and len(v.name) <= MAX_NAME and _NAME_RE.match(v.name)):
            raise _fail(ds, f"variable name {v.name!r} is not valid for XPT v5: expected "
                            f"1-{MAX_NAME} characters, upper-case letters, digits or '_', "
                            "starting with a letter", variable=v.name)
        if v.name in seen:
            raise _fail(ds, "variable appears twice in the specification", variable=v.name)
        seen.add(v.name)
        if v.type not in ("Char", "Num"):
            raise _fail(ds, f"type {v.type!r}, expected 'Char' or 'Num'", variable=v.name)
        _check_label(ds, v.label, "variable", v.name)
        if v.display_format:
            try:
                name, width, dec = parse_sas_format(v.display_format)
            except ValueError as exc:
                raise _fail(ds, str(exc), variable=v.name) from None
            if len(name) > 8 or width > 32767 or dec > 32767:
                raise _fail(ds, f"display format {v.display_format!r} does not fit XPT v5 "
                                "(name at most 8 characters)", variable=v.name)
            if name.startswith("$") != (v.type == "Char"):
                raise _fail(ds, f"display format {v.display_format!r} does not suit a {v.type} "
                                "variable", variable=v.name)
        if v.type == "Char" and v.length is not None and not 1 <= v.length <= MAX_CHAR_BYTES:
            raise _fail(ds, f"specified length {v.length}, expected 1-{MAX_CHAR_BYTES}",
                        variable=v.name)


def _check_columns(df: pd.DataFrame, spec: DatasetSpec) -> None:
    ds = spec.name
    cols = [str(c) for c in df.columns]
    names = list(spec.names)
    if cols == names:
        return
    dup = sorted({c for c in cols if cols.count(c) > 1})
    if dup:
        raise _fail(ds, f"duplicate column(s) in the data: {', '.join(dup)}")
    missing = [n for n in names if n not in cols]
    extra = [c for c in cols if c not in names]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing from the data: {', '.join(missing)}")
        if extra:
            parts.append(f"not in the specification: {', '.join(extra)}")
        raise _fail(ds, "the data columns differ from the specification; " + "; ".join(parts))
    pos = next(i for i, (a, b) in enumerate(zip(cols, names)) if a != b)
    raise _fail(ds, f"column {pos + 1} is {cols[pos]}, expected {names[pos]}: the columns must be "
                    f"in specification order ({', '.join(names)})", variable=cols[pos])


@dataclass
class _Column:
    var: VariableSpec
    length: int
    codes: np.ndarray | None = None      # Char: index into cells (-1 = missing -> blanks)
    cells: np.ndarray | None = None      # Char: S<length> array, blank-padded, blanks last
    ibm: np.ndarray | None = None        # Num: IBM words as uint64
    texts: list[str] | None = None       # Char: the distinct values (for the pyreadstat engine)
    numbers: np.ndarray | None = None    # Num: float64 values


def factorize_cells(series: pd.Series) -> tuple[np.ndarray, list]:
    """(codes, distinct values) of a column in order of first appearance, missing -> -1.

    An Arrow-backed text column is factorized by Arrow itself (no Python object per cell, ~8x
    faster); any other column on its object ndarray, twice as fast as on the Series."""
    if isinstance(series.dtype, pd.StringDtype) and series.dtype.storage.startswith("pyarrow"):
        codes, uniques = pd.factorize(series.array, use_na_sentinel=True)
        return np.asarray(codes), list(uniques)
    codes, uniques = pd.factorize(series.to_numpy(dtype=object), use_na_sentinel=True)
    return np.asarray(codes), list(uniques)


def _char_column(series: pd.Series, var: VariableSpec, ds: str) -> _Column:
    codes, uniques = factorize_cells(series)
    codes = np.asarray(codes, dtype=np.int32 if len(uniques) < 2**31 - 1 else np.int64)
    longest = 0
    texts: list[str] = []
    for i, u in enumerate(uniques):
        if not isinstance(u, str):
            record = int(np.flatnonzero(codes == i)[0]) + 1
            raise _fail(ds, f"expected text in this Char variable, found {type(u).__name__}",
                        variable=var.name, record=record, value=u)
        t = u.rstrip(" ")
        if not t.isascii():
            record = int(np.flatnonzero(codes == i)[0]) + 1
            bad = next(c for c in t if not c.isascii())
            raise _fail(ds, f"expected ASCII text (XPT v5), found {bad!r} "
                            f"(U+{ord(bad):04X}) at character {t.index(bad) + 1}",
                        variable=var.name, record=record, value=u)
        if len(t) > MAX_CHAR_BYTES:
            record = int(np.flatnonzero(codes == i)[0]) + 1
            raise _fail(ds, f"value is {len(t)} bytes; XPT v5 submission values are at most "
                            f"{MAX_CHAR_BYTES} bytes", variable=var.name, record=record, value=u)
        longest = max(longest, len(t))
        texts.append(t)
    length = max(longest, 1)
    if var.length is not None:
        if var.length < longest:
            record = next(int(np.flatnonzero(codes == i)[0]) + 1
                          for i, t in enumerate(texts) if len(t) == longest)
            raise _fail(ds, f"value is {longest} bytes, longer than the specified length "
                            f"{var.length}", variable=var.name, record=record,
                        value=next(t for t in texts if len(t) == longest))
        length = var.length
    cells = np.array([t.encode("ascii") for t in texts] + [b""], dtype=f"S{length}")
    # numpy pads S<n> with NUL bytes: repad with blanks via a byte view.
    raw = cells.view(np.uint8).reshape(len(cells), length)
    pad = np.arange(length)[None, :] >= np.array([len(t) for t in texts] + [0])[:, None]
    raw[pad] = ord(" ")
    return _Column(var=var, length=length, codes=codes, cells=cells, texts=texts)


def _to_sas_number(u: object, kind: str | None) -> float:
    """One Python value of a Num variable -> float (SAS number); TypeError/ValueError if not."""
    if u is None or u is pd.NA or u is pd.NaT:
        return np.nan
    if isinstance(u, (bool, np.bool_)):
        raise TypeError("a boolean")
    if isinstance(u, (int, float, np.integer, np.floating)):
        return float(u)
    if isinstance(u, np.datetime64):
        if np.isnat(u):
            return np.nan
        u = pd.Timestamp(u).to_pydatetime()
    if isinstance(u, _dt.datetime):
        if u.tzinfo is not None and u.utcoffset() is not None:
            raise ValueError("a time-zone-aware datetime (convert to local time first)")
        secs = (u.replace(tzinfo=None) - _SAS_EPOCH) / _dt.timedelta(seconds=1)
        if kind == "datetime":
            return secs
        if kind == "date" and secs % 86400 == 0:
            return secs / 86400
        raise ValueError("a datetime, which needs a datetime display format (e.g. DATETIME20.)")
    if isinstance(u, _dt.date):
        days = float((u - _SAS_EPOCH.date()).days)
        if kind == "date":
            return days
        if kind == "datetime":
            return days * 86400.0
        raise ValueError("a date, which needs a date display format (e.g. DATE9.)")
    if isinstance(u, _dt.time):
        if kind != "time":
            raise ValueError("a time, which needs a time display format (e.g. TIME8.)")
        return u.hour * 3600.0 + u.minute * 60.0 + u.second + u.microsecond / 1e6
    if isinstance(u, _dt.timedelta):
        return u / _dt.timedelta(seconds=1)
    if isinstance(u, str):
        raise TypeError("text")
    raise TypeError(type(u).__name__)


def sas_numeric_values(series: pd.Series, var: VariableSpec, ds: str) -> np.ndarray:
    """The values of a Num variable as float64 SAS numbers (NaN = missing).

    Accepts numeric dtypes (nullable ones included), naive ``datetime64`` / ``timedelta64``
    columns, and object columns of numbers, ``date`` / ``datetime`` / ``time`` objects and
    missing values.  Dates become days since 1960-01-01 and datetimes seconds since then, as the
    variable's display format says.  Raises :class:`OutputError` naming the first bad record.
    """
    kind = sas_format_kind(var.display_format)
    dtype = series.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        raise _fail(ds, "time-zone-aware datetimes cannot be written (they would silently become "
                        "UTC); convert to local naive datetimes first", variable=var.name)
    if pd.api.types.is_bool_dtype(dtype):
        raise _fail(ds, "expected numbers in this Num variable, found booleans",
                    variable=var.name)
    if pd.api.types.is_numeric_dtype(dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    elif pd.api.types.is_datetime64_dtype(dtype):
        if kind not in ("date", "datetime"):
            raise _fail(ds, "datetime values need a date or datetime display format in the "
                            "specification (e.g. DATE9. or DATETIME20.)", variable=var.name)
        ns = series.to_numpy(dtype="datetime64[ns]")
        nat = np.isnat(ns)
        secs = (ns - _SAS_EPOCH_NP).astype("timedelta64[ns]").astype(np.int64) / 1e9
        if kind == "date":
            whole = np.mod(secs[~nat], 86400) == 0
            if not whole.all():
                record = int(np.flatnonzero(~nat)[np.flatnonzero(~whole)[0]]) + 1
                raise _fail(ds, "datetime with a time of day in a variable with a date format",
                            variable=var.name, record=record, value=str(series.iloc[record - 1]))
            secs = secs / 86400
        values = np.where(nat, np.nan, secs)
    elif pd.api.types.is_timedelta64_dtype(dtype):
        td = series.to_numpy(dtype="timedelta64[ns]")
        values = np.where(np.isnat(td), np.nan, td.astype(np.int64) / 1e9)
    else:
        codes, uniques = pd.factorize(series.to_numpy(dtype=object), use_na_sentinel=True)
        converted = np.empty(len(uniques) + 1, dtype=np.float64)
        converted[-1] = np.nan
        for i, u in enumerate(uniques):
            try:
                converted[i] = _to_sas_number(u, kind)
            except (TypeError, ValueError) as exc:
                record = int(np.flatnonzero(np.asarray(codes) == i)[0]) + 1
                raise _fail(ds, f"expected a number in this Num variable, found {exc}",
                            variable=var.name, record=record, value=u) from None
        values = converted[np.asarray(codes, dtype=np.int64)]
    bad = np.isinf(values) | (np.abs(np.nan_to_num(values)) >= _IBM_MAX)
    if bad.any():
        record = int(np.flatnonzero(bad)[0]) + 1
        raise _fail(ds, "number out of the range of SAS transport (IBM) doubles (|x| < 7.2E75)",
                    variable=var.name, record=record, value=float(values[record - 1]))
    return values


def _workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def map_columns(fn: Callable[..., object], *iterables: Iterable) -> list:
    """``list(map(fn, ...))`` on a few threads, in order.

    pandas' factorize and numpy release the GIL for much of their work, so columns are
    prepared in parallel; the first failing item in order raises, as a serial loop would.
    """
    with ThreadPoolExecutor(max_workers=_workers()) as pool:
        return list(pool.map(fn, *iterables))


def _prepare_column(series: pd.Series, var: VariableSpec, ds: str) -> _Column:
    if var.type == "Char":
        if pd.api.types.is_bool_dtype(series.dtype) or (
                pd.api.types.is_numeric_dtype(series.dtype) and series.notna().any()):
            first = int(np.flatnonzero(series.notna().to_numpy())[0]) + 1
            raise _fail(ds, f"expected text in this Char variable, found {series.dtype} values",
                        variable=var.name, record=first, value=series.iloc[first - 1])
        return _char_column(series, var, ds)
    values = sas_numeric_values(series, var, ds)
    return _Column(var=var, length=8, ibm=float_to_ibm(values), numbers=values)


def _prepare(df: pd.DataFrame, spec: DatasetSpec, *, keep: bool = True) -> list[_Column]:
    """The encoded columns of ``df``; without ``keep`` each is dropped once made (a check: the
    list is then empty and the peak memory is a few columns, not the whole table)."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(df).__name__}")
    _check_spec(spec)
    _check_columns(df, spec)
    series = [df.iloc[:, j] for j in range(len(spec.variables))]
    fn = _prepare_column if keep else _check_column
    out = map_columns(fn, series, spec.variables, [spec.name] * len(series))
    return out if keep else []


def _check_column(series: pd.Series, var: VariableSpec, ds: str) -> None:
    _prepare_column(series, var, ds)


def with_file(exc: OutputError, file: str) -> OutputError:
    """The same error, naming the output file."""
    return OutputError(exc.message, file=file, line=exc.line, key=exc.key, record=exc.record,
                       variable=exc.variable, value=exc.value)


def check_xpt(df: pd.DataFrame, spec: DatasetSpec) -> None:
    """Raise :class:`OutputError` if ``df`` cannot be written as an XPT v5 submission file.

    The error names the file (``<name>.xpt``), record (1-based row), variable and value, and says
    what was expected, in one line.
    """
    try:
        _prepare(df, spec, keep=False)
    except OutputError as exc:
        raise with_file(exc, xpt_file_name(str(spec.name))) from None


# --------------------------------------------------------------------------------------- writer

def _header(spec: DatasetSpec, columns: list[_Column], stamp: bytes) -> bytes:
    def field(text: str, width: int) -> bytes:
        return text.encode("ascii").ljust(width)

    parts = [
        _LIBRARY,
        b"SAS     SAS     SASLIB  " + _SAS_VERSION + _SAS_OS + b" " * 24 + stamp,
        stamp + b" " * 64,
        _MEMBER,
        _DSCRPTR,
        b"SAS     " + field(spec.name, 8) + b"SASDATA " + _SAS_VERSION + _SAS_OS + b" " * 24
        + stamp,
        stamp + b" " * 16 + field(spec.label, 40) + b" " * 8,
        _HEAD + b"NAMESTR HEADER RECORD!!!!!!!" + b"000000" + f"{len(columns):04d}".encode()
        + b"0" * 20 + b"  ",
    ]
    namestrs = []
    position = 0
    for number, col in enumerate(columns, 1):
        var = col.var
        fname, fwidth, fdec = parse_sas_format(var.display_format) if var.display_format \
            else ("", 0, 0)
        is_num = var.type == "Num"
        namestrs.append(_NAMESTR.pack(
            1 if is_num else 2, 0, col.length, number, field(var.name, 8), field(var.label, 40),
            field(fname, 8), fwidth, fdec, 1 if is_num else 0, b"\0\0", b" " * 8, 0, 0,
            position, b"\0" * 52))
        position += col.length
    block = b"".join(namestrs)
    block += b" " * (-len(block) % 80)
    return b"".join(parts) + block + _OBS


def _record_dtype(columns: list[_Column]) -> np.dtype:
    names, formats, offsets, pos = [], [], [], 0
    for j, col in enumerate(columns):
        names.append(f"f{j}")
        formats.append(">u8" if col.ibm is not None else f"S{col.length}")
        offsets.append(pos)
        pos += col.length
    return np.dtype({"names": names, "formats": formats, "offsets": offsets, "itemsize": pos})


def write_chunks(fh, tasks: Iterable[Callable[[], object]]) -> int:
    """Run chunk-building ``tasks`` on a few threads and write their buffers to ``fh`` in order.

    numpy releases the GIL while it copies, so chunks are assembled in parallel while the main
    thread writes; at most ``workers + 1`` chunks are held in memory.  Returns the bytes written.
    """
    workers = _workers()
    written = 0
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: deque = deque()
        for task in tasks:
            pending.append(pool.submit(task))
            if len(pending) > workers:
                buf = memoryview(pending.popleft().result()).cast("B")
                fh.write(buf)
                written += buf.nbytes
        while pending:
            buf = memoryview(pending.popleft().result()).cast("B")
            fh.write(buf)
            written += buf.nbytes
    return written


def _write_native(fh, spec: DatasetSpec, columns: list[_Column], nrows: int, stamp: bytes) -> None:
    fh.write(_header(spec, columns, stamp))
    dtype = _record_dtype(columns)
    chunk = max(1, _CHUNK_BYTES // max(dtype.itemsize, 1))

    def build(start: int, stop: int) -> np.ndarray:
        rec = np.empty(stop - start, dtype=dtype)
        for j, col in enumerate(columns):
            if col.ibm is not None:
                rec[f"f{j}"] = col.ibm[start:stop]
            else:
                rec[f"f{j}"] = col.cells[col.codes[start:stop]]
        return rec

    written = write_chunks(fh, (partial(build, a, min(nrows, a + chunk))
                                for a in range(0, nrows, chunk)))
    fh.write(b" " * (-written % 80))


def _patch_timestamps(path: Path, stamp: bytes) -> None:
    """Put ``stamp`` into the four header timestamps of a file written by pyreadstat."""
    with open(path, "r+b") as fh:
        head = fh.read(0x200)
        if not (head.startswith(_LIBRARY[:48]) and head[0x140:0x140 + 48] == _DSCRPTR[:48]):
            raise OutputError(f"unexpected header layout in the pyreadstat output {path.name}")
        for off in TIMESTAMP_OFFSETS:
            fh.seek(off)
            fh.write(stamp)


def _write_pyreadstat(tmp: Path, spec: DatasetSpec, columns: list[_Column], nrows: int,
                      stamp: bytes) -> None:
    import pyreadstat

    data = {}
    for col in columns:
        if col.numbers is not None:
            big = np.abs(np.nan_to_num(col.numbers)) >= _PYREADSTAT_MAX
            if big.any():
                record = int(np.flatnonzero(big)[0]) + 1
                raise _fail(spec.name, "pyreadstat writes magnitudes of 16**62 (4.5E74) or more "
                                       "as 7.2E75; use the native engine", variable=col.var.name,
                            record=record, value=float(col.numbers[record - 1]))
            data[col.var.name] = col.numbers
        else:
            values = np.array(col.texts + [None], dtype=object)[col.codes]
            longest = max((len(t) for t in col.texts), default=0)
            if nrows and col.length > longest:
                # pyreadstat sizes a column by its longest value: pad one value with blanks.
                first = values[0] or ""
                values[0] = first.ljust(col.length)
            data[col.var.name] = values
    frame = pd.DataFrame(data, index=pd.RangeIndex(nrows))
    formats = {c.var.name: c.var.display_format for c in columns if c.var.display_format}
    pyreadstat.write_xport(frame, str(tmp), file_format_version=5, table_name=spec.name,
                           file_label=spec.label, column_labels=[c.var.label for c in columns],
                           variable_format=formats)
    _patch_timestamps(tmp, stamp)


def write_xpt(df: pd.DataFrame, path: str | os.PathLike[str], spec: DatasetSpec, *,
              created: _dt.datetime,
              engine: Literal["native", "pyreadstat"] = "native") -> DatasetSpec:
    """Check ``df`` against ``spec`` and write it as an XPT v5 file at ``path``.

    ``path`` must be named ``<dataset lower-case>.xpt``.  ``created`` goes into the header
    timestamps (seconds precision), so the same inputs always give the same bytes.  The file
    appears at ``path`` only when complete; on any error nothing is left behind.

    Returns ``spec`` with ``length`` set for every variable as written: Char = the longest value in
    bytes (trailing blanks not counted; at least 1), or the specified length if one is set and
    the data fit in it; Num = 8.
    """
    if not isinstance(created, _dt.datetime):
        raise TypeError("created must be a datetime")
    target = Path(path)
    try:
        columns = _prepare(df, spec)
    except OutputError as exc:
        raise with_file(exc, str(target)) from None
    expected = xpt_file_name(spec.name)
    if target.name != expected:
        raise OutputError(f"dataset {spec.name}: the XPT file must be named {expected} "
                          "(lower-case dataset name)", file=str(target))
    stamp = sas_datetime_text(created).encode("ascii")
    nrows = len(df)
    if engine == "native":
        with atomic_open(target) as fh:
            _write_native(fh, spec, columns, nrows, stamp)
    elif engine == "pyreadstat":
        with atomic_path(target) as tmp:
            _write_pyreadstat(tmp, spec, columns, nrows, stamp)
    else:
        raise ValueError(f"unknown engine {engine!r}")
    return replace(spec, variables=tuple(
        replace(c.var, length=c.length) for c in columns))
