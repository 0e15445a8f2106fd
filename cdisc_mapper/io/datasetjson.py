"""CDISC Dataset-JSON 1.1 writer, row checker and reader.

The writer takes the same DataFrame and :class:`DatasetSpec` as the XPT writer and produces one
dataset per file with the top-level attributes in the order of the specification.  Column
``dataType`` comes from the data:

* Char -> ``"string"``;
* Num -> ``"integer"`` when every non-missing value is a whole number (and at most 2**53 in
  magnitude, beyond which JSON readers lose digits), otherwise ``"double"``;
* Num with a SAS date, datetime or time display format (``DATE9.``, ``DATETIME20.``, ``TIME8.``)
  -> ``"date"`` / ``"datetime"`` / ``"time"`` with ``targetDataType: "integer"``, the values as ISO
  8601 text, as the Dataset-JSON 1.1 specification asks for ADaM dates (and as the SAS-written
  examples do).  A column whose values are not whole days (dates) or not within a day (times)
  is written as numbers instead.

Missing values are ``null``; empty strings stay ``""``.  Output is deterministic (no clock, no
hash order) and atomic.  Rows are assembled with numpy: every cell is rendered once per distinct
value (or digit by digit for integer columns), laid out in fixed-width records padded with NUL
bytes, and the NULs (which never occur in JSON text) are squeezed out; this writes 3 million rows
x 25 variables in seconds with the standard library only.
"""

from __future__ import annotations

import datetime as _dt
import gc
import json
import math
import os
import re
import zlib
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd

from cdisc_mapper.errors import DataError, OutputError
from cdisc_mapper.io.atomic import atomic_open
from cdisc_mapper.io.xpt import (_check_columns, _fail, factorize_cells, map_columns,
                                 sas_format_kind, sas_numeric_values, with_file, write_chunks)
from cdisc_mapper.spec.model import DatasetSpec, VariableSpec

__all__ = ["write_dataset_json", "check_dataset_json", "read_dataset_json",
           "DATASET_JSON_VERSION"]

DATASET_JSON_VERSION = "1.1.0"
_SAS_EPOCH = _dt.datetime(1960, 1, 1)
_MAX_SAFE_INT = 2.0 ** 53
_CHUNK_BYTES = 32 * 1024 * 1024
_STRING_TYPES = frozenset({"string", "decimal", "datetime", "date", "time", "URI"})
_NUMBER_TYPES = frozenset({"float", "double"})
_DATA_TYPES = _STRING_TYPES | _NUMBER_TYPES | {"integer", "boolean"}
_REQUIRED = ("datasetJSONCreationDateTime", "datasetJSONVersion", "itemGroupOID", "records",
             "name", "label", "columns")
_MAX_PROBLEMS = 100


# ------------------------------------------------------------------------------ column rendering

class _Col:
    """One column ready to be laid out: metadata plus either codes+table or per-row tokens."""

    def __init__(self, meta: dict[str, Any], length: int | None, *, codes=None, table=None,
                 tokens=None):
        self.meta = meta
        self.length = length
        self.codes = codes      # int array: index into table, -1 = null (the table's last entry)
        self.table = table      # S<w> array of rendered distinct values, b"null" last
        self.tokens = tokens    # S<w> array, one rendered cell per row

    @property
    def width(self) -> int:
        return (self.table if self.tokens is None else self.tokens).dtype.itemsize


def _table(rendered: list[bytes]) -> np.ndarray:
    rendered = rendered + [b"null"]
    return np.array(rendered, dtype=f"S{max(len(r) for r in rendered)}")


def _char_col(series: pd.Series, var: VariableSpec, ds: str) -> tuple[np.ndarray, np.ndarray, int]:
    if pd.api.types.is_bool_dtype(series.dtype) or (
            pd.api.types.is_numeric_dtype(series.dtype) and series.notna().any()):
        first = int(np.flatnonzero(series.notna().to_numpy())[0]) + 1
        raise _fail(ds, f"expected text in this Char variable, found {series.dtype} values",
                    variable=var.name, record=first, value=series.iloc[first - 1])
    codes, uniques = factorize_cells(series)
    rendered, longest = [], 0
    for i, u in enumerate(uniques):
        if not isinstance(u, str):
            record = int(np.flatnonzero(codes == i)[0]) + 1
            raise _fail(ds, f"expected text in this Char variable, found {type(u).__name__}",
                        variable=var.name, record=record, value=u)
        longest = max(longest, len(u.rstrip(" ")))
        try:
            rendered.append(json.dumps(u, ensure_ascii=False).encode("utf-8"))
        except UnicodeEncodeError as exc:
            record = int(np.flatnonzero(codes == i)[0]) + 1
            raise _fail(ds, f"value is not valid Unicode text ({exc.reason})", variable=var.name,
                        record=record, value=u) from None
    length = max(longest, 1)
    if var.length is not None:
        if var.length < longest:
            raise _fail(ds, f"longest value is {longest} characters, more than the specified "
                            f"length {var.length}", variable=var.name)
        length = var.length
    return codes, _table(rendered), length


def _int_tokens(values: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """Whole numbers (float64, |x| <= 2**53) -> right-aligned digits, NUL-padded; NaN -> null."""
    n = len(values)
    v = np.where(missing, 0, values).astype(np.int64)
    neg = v < 0
    a = np.abs(v)
    ndig = np.ones(n, dtype=np.int64)
    for k in range(1, 17):
        ndig += a >= 10 ** k
    width = max(int((ndig + neg).max()) if n else 1, 4)
    buf = np.zeros((n, width), dtype=np.uint8)
    rem = a.copy()
    for d in range(width):
        digit = (rem % 10).astype(np.uint8) + ord("0")
        buf[:, width - 1 - d] = np.where(d < ndig, digit, 0)
        rem //= 10
    rows = np.flatnonzero(neg)
    buf[rows, width - 1 - ndig[rows]] = ord("-")
    buf[missing] = np.frombuffer(b"null".rjust(width, b"\0"), dtype=np.uint8)
    return buf.view(f"S{width}").reshape(n)


def _iso(value: float, kind: str) -> str | None:
    """A SAS date/datetime/time number -> ISO 8601 text, or None if it has no ISO form."""
    try:
        if kind == "date":
            if value != math.floor(value):
                return None
            return (_SAS_EPOCH + _dt.timedelta(days=value)).date().isoformat()
        if kind == "datetime":
            stamp = _SAS_EPOCH + _dt.timedelta(seconds=value)
            return stamp.isoformat(timespec="seconds" if stamp.microsecond == 0 else "auto")
        if not 0 <= value < 86400:
            return None
        t = (_dt.datetime.min + _dt.timedelta(seconds=value)).time()
        return t.isoformat(timespec="seconds" if t.microsecond == 0 else "auto")
    except (OverflowError, ValueError):
        return None


def _column(series: pd.Series, var: VariableSpec, ds: str, keys: tuple[str, ...]) -> _Col:
    meta: dict[str, Any] = {"itemOID": f"IT.{ds}.{var.name}", "name": var.name,
                            "label": var.label or "", "dataType": ""}
    length = None
    col: _Col
    if var.type == "Char":
        codes, table, length = _char_col(series, var, ds)
        meta["dataType"] = "string"
        col = _Col(meta, length, codes=codes, table=table)
    else:
        values = sas_numeric_values(series, var, ds)
        missing = np.isnan(values)
        kind = sas_format_kind(var.display_format)
        col = None  # type: ignore[assignment]
        if kind is not None:
            codes, uniques = pd.factorize(values, use_na_sentinel=True)
            texts = [_iso(float(u), kind) for u in uniques]
            if all(t is not None for t in texts):
                meta["dataType"] = kind
                meta["targetDataType"] = "integer"
                col = _Col(meta, None, codes=np.asarray(codes),
                           table=_table([json.dumps(t).encode("ascii") for t in texts]))
        if col is None:
            present = values[~missing]
            if np.all(np.mod(present, 1) == 0) and np.all(np.abs(present) <= _MAX_SAFE_INT):
                meta["dataType"] = "integer"
                codes, uniques = pd.factorize(values, use_na_sentinel=True)
                if len(uniques) * 8 < len(values):    # few distinct values: render each once
                    col = _Col(meta, None, codes=np.asarray(codes), table=_table(
                        [str(int(u)).encode("ascii") for u in uniques]))
                else:                                 # e.g. --SEQ: render digit by digit
                    col = _Col(meta, None, tokens=_int_tokens(values, missing))
            else:
                meta["dataType"] = "double"
                codes, uniques = pd.factorize(values, use_na_sentinel=True)
                col = _Col(meta, None, codes=np.asarray(codes),
                           table=_table([repr(float(u)).encode("ascii") for u in uniques]))
    if length is not None:
        meta["length"] = length
    if var.display_format:
        meta["displayFormat"] = var.display_format
    if var.name in keys:
        meta["keySequence"] = keys.index(var.name) + 1
    return col


def _prepare(df: pd.DataFrame, spec: DatasetSpec) -> list[_Col]:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(df).__name__}")
    if not spec.variables:
        raise _fail(spec.name, "the specification has no variables")
    if not spec.name:
        raise _fail(spec.name, "the dataset has no name")
    _check_columns(df, spec)
    n = len(spec.variables)
    return map_columns(_column, [df.iloc[:, j] for j in range(n)], spec.variables,
                       [spec.name] * n, [tuple(spec.keys)] * n)


# ------------------------------------------------------------------------------------ the writer

def _timestamp(value: _dt.datetime) -> str:
    return value.isoformat(timespec="seconds")


def _header(spec: DatasetSpec, cols: list[_Col], nrows: int, *, created: _dt.datetime,
            db_last_modified: _dt.datetime, study_oid: str, metadata_version_oid: str,
            originator: str, source_system: str, source_system_version: str,
            file_oid: str | None, metadata_ref: str | None) -> bytes:
    top: dict[str, Any] = {
        "datasetJSONCreationDateTime": _timestamp(created),
        "datasetJSONVersion": DATASET_JSON_VERSION,
        "fileOID": file_oid or f"{study_oid}/{metadata_version_oid}/{spec.name}",
        "dbLastModifiedDateTime": _timestamp(db_last_modified),
        "originator": originator,
        "sourceSystem": {"name": source_system, "version": source_system_version},
        "studyOID": study_oid,
        "metaDataVersionOID": metadata_version_oid,
    }
    if metadata_ref:
        top["metaDataRef"] = metadata_ref
    top.update({"itemGroupOID": f"IG.{spec.name}", "records": nrows, "name": spec.name,
                "label": spec.label or ""})

    def dumps(obj: Any) -> str:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))

    text = (dumps(top)[:-1] + ',"columns":[\n' + ",\n".join(dumps(c.meta) for c in cols)
            + '\n],"rows":[')
    return text.encode("utf-8")


def _write_rows(fh, cols: list[_Col], nrows: int) -> None:
    # Each row is "\n[" cell "," cell ... "]," laid out at fixed width; cells are NUL-padded.
    names, formats = ["open"], ["S2"]
    for j, c in enumerate(cols):
        names += [f"c{j}", f"s{j}"]
        formats += [f"S{c.width}", "S1" if j < len(cols) - 1 else "S2"]
    dtype = np.dtype({"names": names, "formats": formats})
    chunk = max(1, _CHUNK_BYTES // dtype.itemsize)

    def build(start: int, stop: int) -> np.ndarray:
        rec = np.empty(stop - start, dtype=dtype)
        rec["open"] = b"\n["
        for j, c in enumerate(cols):
            rec[f"c{j}"] = c.tokens[start:stop] if c.tokens is not None \
                else c.table[c.codes[start:stop]]
            rec[f"s{j}"] = b"," if j < len(cols) - 1 else b"],"
        raw = rec.view(np.uint8)
        text = raw[raw != 0]               # squeeze out the NUL padding
        return text[:-1] if stop == nrows else text   # no comma after the last row

    write_chunks(fh, (partial(build, a, min(nrows, a + chunk)) for a in range(0, nrows, chunk)))


def write_dataset_json(df: pd.DataFrame, path: str | os.PathLike[str], spec: DatasetSpec, *,
                       created: _dt.datetime, study_oid: str, metadata_version_oid: str,
                       originator: str = "cdisc_mapper", source_system: str = "cdisc_mapper",
                       source_system_version: str, db_last_modified: _dt.datetime | None = None,
                       file_oid: str | None = None,
                       metadata_ref: str | None = None) -> DatasetSpec:
    """Write ``df`` as a Dataset-JSON 1.1 file (one row per line) at ``path``.

    ``created`` is the ``datasetJSONCreationDateTime`` (and ``dbLastModifiedDateTime`` unless
    ``db_last_modified`` is given); ``fileOID`` defaults to
    ``<study_oid>/<metadata_version_oid>/<NAME>``; ``metaDataRef`` is written only when given.
    Returns ``spec`` with ``length`` set for Char variables (longest value in characters, trailing
    blanks not counted, at least 1; or the specified length when the data fit) and 8 for Num, as
    the XPT writer does.
    """
    if not isinstance(created, _dt.datetime):
        raise TypeError("created must be a datetime")
    db_last_modified = db_last_modified or created
    for what, value in (("study_oid", study_oid), ("metadata_version_oid", metadata_version_oid),
                        ("source_system_version", source_system_version)):
        if not isinstance(value, str) or not value:
            raise _fail(spec.name, f"{what} must be a non-empty string for Dataset-JSON")
    try:
        cols = _prepare(df, spec)
    except OutputError as exc:
        raise with_file(exc, str(path)) from None
    nrows = len(df)
    head = _header(spec, cols, nrows, created=created, db_last_modified=db_last_modified,
                   study_oid=study_oid, metadata_version_oid=metadata_version_oid,
                   originator=originator, source_system=source_system,
                   source_system_version=source_system_version, file_oid=file_oid,
                   metadata_ref=metadata_ref)
    with atomic_open(path) as fh:
        fh.write(head)
        _write_rows(fh, cols, nrows)
        fh.write(b"\n]}\n")
    lengths = {v.name: (c.length if v.type == "Char" else 8) for v, c in zip(spec.variables, cols)}
    return spec.with_lengths(lengths)


# ------------------------------------------------------------------------- reading and checking

_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Millions of small containers trigger the cyclic GC over and over; none of them are cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _read_text(path: str | os.PathLike[str]) -> tuple[str, bool]:
    """The file's text and whether it is NDJSON (``.ndjson``, or ``.dsjc``: compressed NDJSON)."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read the file: {exc.strerror or exc}", file=str(p)) from exc
    ndjson = p.suffix.lower() in (".ndjson", ".dsjc")
    try:
        if raw[:2] == b"\x1f\x8b" or p.suffix.lower() == ".dsjc":
            raw = zlib.decompress(raw, 47)
        return raw.decode("utf-8"), ndjson
    except (zlib.error, UnicodeDecodeError) as exc:
        raise DataError(f"not a Dataset-JSON file: {exc}", file=str(p)) from None


def _parse(text: str, ndjson: bool, sink: Callable[[Any], None], path: str) -> dict[str, Any]:
    """Parse a Dataset-JSON document, passing each row to ``sink``; return the other attributes.

    Rows are decoded one at a time (the standard library's C decoder on each row), so a file of
    millions of rows never exists as one huge Python object.
    """
    try:
        if ndjson:
            meta: Any = None
            for line in text.splitlines():
                if not line.strip():
                    continue
                if meta is None:
                    meta = json.loads(line)
                    if not isinstance(meta, dict):
                        break
                else:
                    sink(json.loads(line))
            if not isinstance(meta, dict):
                raise DataError("not a Dataset-JSON file: the first line is not a JSON object",
                                file=path)
            return meta
        rd, ws = _DECODER.raw_decode, _WS.match
        i = ws(text, 0).end()
        if text[i:i + 1] != "{":
            raise DataError("not a Dataset-JSON file: the top level is not a JSON object",
                            file=path)
        meta = {}
        i = ws(text, i + 1).end()
        if text[i:i + 1] == "}":
            return meta
        while True:
            key, i = rd(text, i)
            i = ws(text, i).end()
            if text[i:i + 1] != ":":
                raise json.JSONDecodeError("expected ':'", text, i)
            i = ws(text, i + 1).end()
            if key == "rows" and text[i:i + 1] == "[":
                i = ws(text, i + 1).end()
                if text[i:i + 1] == "]":
                    i += 1
                else:
                    while True:
                        row, i = rd(text, i)
                        sink(row)
                        i = ws(text, i).end()
                        c = text[i:i + 1]
                        if c == ",":
                            i = ws(text, i + 1).end()
                        elif c == "]":
                            i += 1
                            break
                        else:
                            raise json.JSONDecodeError("expected ',' or ']'", text, i)
                meta.setdefault("rows", None)     # marks that the file has rows
            else:
                meta[key], i = rd(text, i)
            i = ws(text, i).end()
            c = text[i:i + 1]
            if c == ",":
                i = ws(text, i + 1).end()
            elif c == "}":
                break
            else:
                raise json.JSONDecodeError("expected ',' or '}'", text, i)
        if ws(text, i + 1).end() != len(text):
            raise json.JSONDecodeError("extra data after the JSON object", text, i + 1)
        return meta
    except ValueError as exc:                      # JSONDecodeError, bad key types
        raise DataError(f"not a Dataset-JSON file: {exc}", file=path) from None


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _allowed(data_type: str) -> frozenset[type]:
    if data_type in _STRING_TYPES:
        return frozenset({str, type(None)})
    if data_type == "integer":
        return frozenset({int, type(None)})
    if data_type in _NUMBER_TYPES:
        return frozenset({int, float, type(None)})
    if data_type == "boolean":
        return frozenset({bool, type(None)})
    return frozenset()


def _needs(data_type: str) -> str:
    if data_type in _NUMBER_TYPES:
        return "a number"
    if data_type in _STRING_TYPES:
        return "a string"
    return "an integer" if data_type == "integer" else "a boolean"


class _RowChecker:
    """Checks rows one by one; each distinct tuple of cell types is judged once."""

    def __init__(self, columns: list, add: Callable[[str], None]):
        self.add = add
        self.count = 0
        self.types = [c.get("dataType", "") if isinstance(c, dict) else "" for c in columns]
        self.names = [str(c.get("name", f"#{j}")) if isinstance(c, dict) else f"#{j}"
                      for j, c in enumerate(columns, 1)]
        self.allowed = [_allowed(t) for t in self.types]
        self.judged: dict[tuple, list[int]] = {}

    def __call__(self, row: Any) -> None:
        self.count += 1
        r = self.count
        if type(row) is not list:
            self.add(f"row {r}: expected an array of cells, found {_json_type(row)}")
            return
        if len(row) != len(self.types):
            self.add(f"row {r}: {len(row)} cells, expected {len(self.types)} (one per column)")
            return
        key = tuple(map(type, row))
        bad = self.judged.get(key)
        if bad is None:
            bad = [j for j, (t, ok) in enumerate(zip(key, self.allowed)) if ok and t not in ok]
            self.judged[key] = bad
        for j in bad:
            value = row[j]
            self.add(f"row {r}, column {self.names[j]}: dataType {self.types[j]} needs "
                     f"{_needs(self.types[j])} or null, found {_json_type(value)} "
                     f"{json.dumps(value, ensure_ascii=False)[:60]}")


def check_dataset_json(path: str | os.PathLike[str]) -> list[str]:
    """Problems the Dataset-JSON schema does not see: row shape, cell types, record count.

    Returns one line per problem (at most 100, then a count of the rest); an empty list means
    the file passed.  Checks: required top-level attributes, version 1.1, column metadata
    (required attributes, known ``dataType``, unique names), every row is an array with one cell
    per column, every cell has the JSON type its ``dataType`` allows (``null`` always allowed),
    and ``records`` equals the number of rows.  Reads ``.json``, ``.ndjson`` and ``.dsjc``; rows
    are checked as they are decoded, so memory stays near the size of the file.
    """
    problems: list[str] = []
    extra = 0

    def add(msg: str) -> None:
        nonlocal extra
        if len(problems) < _MAX_PROBLEMS:
            problems.append(msg)
        else:
            extra += 1

    state: dict[str, Any] = {"checker": None, "buffer": []}
    meta_so_far: dict[str, Any] = {}

    def sink(row: Any) -> None:
        checker = state["checker"]
        if checker is None:
            columns = meta_so_far.get("columns")
            if not isinstance(columns, list):      # rows before columns: check them afterwards
                state["buffer"].append(row)
                return
            checker = state["checker"] = _RowChecker(columns, add)
        checker(row)

    try:
        text, ndjson = _read_text(path)
        with _gc_paused():
            doc = _parse_tracking(text, ndjson, sink, str(path), meta_so_far)
    except DataError as exc:
        return [str(exc)]
    for key in _REQUIRED:
        if key not in doc:
            add(f"missing required attribute {key!r}")
    version = doc.get("datasetJSONVersion")
    if isinstance(version, str) and not (version == "1.1" or version.startswith("1.1.")):
        add(f"datasetJSONVersion is {version!r}, expected 1.1.x")
    columns = doc.get("columns")
    if not isinstance(columns, list):
        add("'columns' is not an array")
        columns = []
    names: list[str] = []
    for i, c in enumerate(columns, 1):
        if not isinstance(c, dict):
            add(f"column {i}: not an object")
            names.append(f"#{i}")
            continue
        for key in ("itemOID", "name", "label", "dataType"):
            if key not in c:
                add(f"column {i}: missing required attribute {key!r}")
        dt = c.get("dataType", "")
        if dt not in _DATA_TYPES:
            add(f"column {i} ({c.get('name')}): unknown dataType {dt!r}")
        names.append(str(c.get("name", f"#{i}")))
    for dup in sorted({n for n in names if names.count(n) > 1}):
        add(f"column name {dup} appears more than once")
    if state["checker"] is None and state["buffer"]:
        checker = state["checker"] = _RowChecker(columns, add)
        for row in state["buffer"]:
            checker(row)
    if doc.get("rows") is not None:
        add("'rows' is not an array")
    rows_seen = state["checker"].count if state["checker"] is not None else 0
    has_rows = "rows" in doc or ndjson
    records = doc.get("records")
    if not isinstance(records, int) or isinstance(records, bool):
        if "records" in doc:
            add(f"records is {records!r}, expected an integer")
    elif not has_rows:
        if records > 0:
            add(f"records is {records} but the file has no rows")
    elif records != rows_seen:
        add(f"records is {records} but the file has {rows_seen} rows")
    if extra:
        problems.append(f"... and {extra} more problems")
    return problems


def _parse_tracking(text: str, ndjson: bool, sink: Callable[[Any], None], path: str,
                    meta_so_far: dict[str, Any]) -> dict[str, Any]:
    """:func:`_parse`, keeping ``meta_so_far`` up to date so that ``sink`` can see the columns."""
    if ndjson:
        first = next((ln for ln in text.splitlines() if ln.strip()), "")
        try:
            head = json.loads(first) if first else None
        except ValueError:
            head = None
        if isinstance(head, dict):
            meta_so_far.update(head)
        return _parse(text, ndjson, sink, path)
    # For JSON, the columns usually precede the rows; find them first without decoding rows.
    m = re.search(r'"columns"[ \t\n\r]*:[ \t\n\r]*(?=\[)', text)
    if m:
        try:
            columns, _ = _DECODER.raw_decode(text, m.end())
            if isinstance(columns, list):
                meta_so_far["columns"] = columns
        except ValueError:
            pass
    return _parse(text, ndjson, sink, path)


def read_dataset_json(path: str | os.PathLike[str], *,
                      sas_dates: bool = True) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read a Dataset-JSON file into a DataFrame plus its metadata (everything but ``rows``).

    Text columns become ``str`` (``null`` -> missing, ``""`` stays ``""``); integer, float and
    double columns become ``float64`` (``null`` -> NaN), as SAS numbers; date, datetime and time
    columns with ``targetDataType: "integer"`` become SAS numbers (days since 1960-01-01, seconds
    since 1960-01-01 00:00, seconds since midnight) unless ``sas_dates`` is false.  Reads
    ``.json``, ``.ndjson`` and ``.dsjc``.
    """
    p = str(path)
    text, ndjson = _read_text(path)
    rows: list[Any] = []
    with _gc_paused():
        meta = _parse(text, ndjson, rows.append, p)
        meta.pop("rows", None)
        columns = meta.get("columns") or []
        for r, row in enumerate(rows, 1):
            if not isinstance(row, list) or len(row) != len(columns):
                raise DataError(f"row has {len(row) if isinstance(row, list) else 'no'} cells, "
                                f"expected {len(columns)}", file=p, record=r)
        cells = list(zip(*rows)) if rows else [()] * len(columns)
        del rows
        data: dict[str, Any] = {}
        for c, values in zip(columns, cells):
            name, dt = c["name"], c.get("dataType")
            target = c.get("targetDataType")
            if dt in ("integer", "float", "double"):
                data[name] = _numbers(values, dt, p, name)
            elif dt in ("date", "datetime", "time") and target == "integer" and sas_dates:
                data[name] = np.array([_sas_number(v, dt, p, name) for v in values],
                                      dtype=np.float64)
            elif dt == "boolean":
                data[name] = pd.Series(values, dtype="boolean")
            else:
                data[name] = pd.Series(values, dtype="str")
    frame = pd.DataFrame(data, index=pd.RangeIndex(len(cells[0]) if cells else 0), copy=False)
    return frame, meta


def _numbers(values: tuple, data_type: str, path: str, name: str) -> np.ndarray:
    arr = np.array(values, dtype=object)
    missing = np.equal(arr, None)
    arr[missing] = np.nan
    try:
        return arr.astype(np.float64)
    except (TypeError, ValueError):
        for r, v in enumerate(values, 1):
            if v is not None and (isinstance(v, (bool, str)) or not isinstance(v, (int, float))):
                raise DataError(f"dataType {data_type} needs a number or null", file=path,
                                record=r, variable=name, value=v) from None
        raise


def _sas_number(value: Any, kind: str, path: str, name: str) -> float:
    if value is None:
        return np.nan
    try:
        if kind == "date":
            return float((_dt.date.fromisoformat(value) - _SAS_EPOCH.date()).days)
        if kind == "datetime":
            return (_dt.datetime.fromisoformat(value).replace(tzinfo=None)
                    - _SAS_EPOCH) / _dt.timedelta(seconds=1)
        t = _dt.time.fromisoformat(value)
        return t.hour * 3600.0 + t.minute * 60 + t.second + t.microsecond / 1e6
    except (TypeError, ValueError):
        raise DataError(f"not an ISO 8601 {kind}", file=path, variable=name,
                        value=value) from None
