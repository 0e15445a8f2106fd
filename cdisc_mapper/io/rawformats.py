"""Raw form files in the formats an EDC exports, each read into a table of text.

Every reader returns a DataFrame whose cells are ``str`` or missing, exactly as the CSV reader
gives them; the engine then trims blanks and numbers the rows the same way for every format.

Typed values become text by one rule (see docs/raw-data.md):

* numbers: integral values without a decimal part (``3.0`` → ``3``), others with the shortest
  digits that read back to the same number (``0.1`` → ``0.1``); NaN is missing;
* dates (a SAS date format, a Parquet date, an Excel date cell whose time is midnight) → ISO
  ``YYYY-MM-DD``; date-times → ``YYYY-MM-DDTHH:MM:SS``; times → ``HH:MM:SS``;
* booleans → ``true`` / ``false``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from ..errors import DataError, InputError

FORMATS = ("csv", "xlsx", "sas7bdat", "xpt", "parquet", "odm")
EXTENSIONS = {".csv": "csv", ".xlsx": "xlsx", ".sas7bdat": "sas7bdat", ".xpt": "xpt",
              ".parquet": "parquet", ".xml": "odm"}
ODM_NS = "http://www.cdisc.org/ns/odm/v1.3"


class RawFileError(InputError):
    """A raw form file that cannot be read at all (not the format it claims, truncated, wrong
    encoding, no such sheet or item group): bad input, exit status 2 like a broken mapping file."""


def format_of(path: Path, options: Mapping[str, Any] | None = None) -> str:
    """The declared format, else the one the file name's extension says (default CSV)."""
    declared = (options or {}).get("format")
    if declared:
        return str(declared)
    return EXTENSIONS.get(Path(path).suffix.lower(), "csv")


def read_table(path: Path, display: str, options: Mapping[str, Any] | None = None,
               subject_col: str | None = None) -> pd.DataFrame:
    """Read one raw form file into text cells; any unreadable file is one :class:`DataError`."""
    opts = dict(options or {})
    fmt = format_of(path, opts)
    reader = _READERS.get(fmt)
    if reader is None:
        raise RawFileError(f"unknown raw form format '{fmt}' (one of: {', '.join(FORMATS)})",
                        file=display)
    try:
        table = reader(Path(path), opts, subject_col)
    except DataError as e:
        raise RawFileError(e.message, file=display) from None
    except UnicodeDecodeError as e:
        raise RawFileError(f"{_bad_text(Path(path), opts.get('encoding') or 'utf-8', e)}; declare "
                           f"the form's encoding in the study file", file=display) from None
    except LookupError as e:
        raise RawFileError(f"unknown encoding: {e}", file=display) from None
    except OSError:
        raise                 # permission denied, a folder, ...: said at the command boundary
    except Exception as e:  # noqa: BLE001 - a third-party reader's failure on a bad file
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        first = first.replace(f" '{path}'", "").replace(str(path), "the file").replace("  ", " ")
        raise RawFileError(f"not a readable {_NAMES[fmt]} file: {first}",
                           file=display) from None
    table.columns = [str(c) for c in table.columns]
    return table.reset_index(drop=True)


def _bad_text(path: Path, encoding: str, e: UnicodeDecodeError) -> str:
    """Where a file stops being ``encoding`` text: line and byte of the file (a reader's error
    counts from the start of its buffer, not of the file)."""
    name = "UTF-8" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        path.read_bytes().decode(encoding)
    except UnicodeDecodeError as whole:
        data = whole.object
        line = data.count(b"\n", 0, whole.start) + 1
        return (f"not {name} text: line {line}, byte {whole.start + 1} of the file "
                f"({whole.reason})")
    except (OSError, LookupError):
        pass
    return f"not {name} text ({e.reason} at byte {e.start})"


# --- typed values to text ------------------------------------------------------------------

def _number_text(x: float) -> str:
    f = float(x)
    if f.is_integer() and abs(f) < 2 ** 53:
        return str(int(f))
    return repr(f)


def _value_text(v: Any) -> Any:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return None if np.isnan(v) else _number_text(v)
    if isinstance(v, (dt.datetime, pd.Timestamp)):
        ts = pd.Timestamp(v)
        return ts.strftime("%Y-%m-%d" if ts == ts.normalize() else "%Y-%m-%dT%H:%M:%S")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, dt.time):
        return v.strftime("%H:%M:%S")
    if isinstance(v, bytes):
        return v.decode("utf-8")
    return str(v)


def _column_text(s: pd.Series, datetime_as_date: bool = False) -> pd.Series:
    """One column to text, converting each distinct value once (vectorised over the column)."""
    if s.dtype == object and s.map(type).eq(str).all():
        return s
    if pd.api.types.is_datetime64_any_dtype(s):
        fmt = "%Y-%m-%d" if datetime_as_date else "%Y-%m-%dT%H:%M:%S"
        return s.dt.strftime(fmt).astype(object).where(s.notna(), None)
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    texts = np.array([_value_text(u) for u in uniques] + [None], dtype=object)
    return pd.Series(texts[codes], index=s.index, dtype=object)


def _all_text(table: pd.DataFrame, date_cols: set[str] = frozenset()) -> pd.DataFrame:
    return pd.DataFrame({c: _column_text(table[c], c in date_cols) for c in table.columns},
                        index=table.index)


# --- the readers ---------------------------------------------------------------------------

def _csv(path: Path, opts: dict, _subject: str | None) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""],
                       encoding=opts.get("encoding", "utf-8"), sep=opts.get("delimiter", ","),
                       skipinitialspace=False)


def _xlsx(path: Path, opts: dict, _subject: str | None) -> pd.DataFrame:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = opts.get("sheet")
        if sheet is None:
            ws = wb.worksheets[0]
        elif sheet not in wb.sheetnames:
            raise DataError(f"no sheet '{sheet}' in the workbook (sheets: "
                            f"{', '.join(wb.sheetnames)})")
        else:
            ws = wb[sheet]
        rows = list(ws.iter_rows(values_only=True))
    finally:
        wb.close()
    if not rows:
        raise DataError("the sheet is empty (a header row is expected)")
    header = [("" if h is None else str(h)).strip() for h in rows[0]]
    while header and header[-1] == "":
        header.pop()
    if not header or "" in header:
        raise DataError("the first row of the sheet must name every column")
    body = [r[:len(header)] + (None,) * (len(header) - len(r)) for r in rows[1:]]
    while body and all(v is None for v in body[-1]):
        body.pop()
    table = pd.DataFrame(body, columns=header, dtype=object)
    # an Excel date cell is a date-time; one at midnight is a date (Excel has no date type)
    return _all_text(table)


def _sas(read):
    def reader(path: Path, opts: dict, _subject: str | None) -> pd.DataFrame:
        kw = {"encoding": opts["encoding"]} if opts.get("encoding") else {}
        table, meta = read(str(path), **kw)
        fmts = meta.original_variable_types or {}
        dates = {c for c, f in fmts.items()
                 if str(f).upper().rstrip("0123456789.").startswith(
                     ("DATE", "YYMMDD", "MMDDYY", "DDMMYY", "E8601DA", "B8601DA", "IS8601DA"))
                 and not str(f).upper().startswith(("DATETIME", "DATEAMPM"))}
        return _all_text(table, dates)
    return reader


def _sas7bdat(path: Path, opts: dict, subject: str | None) -> pd.DataFrame:
    import pyreadstat
    return _sas(pyreadstat.read_sas7bdat)(path, opts, subject)


def _xpt(path: Path, opts: dict, subject: str | None) -> pd.DataFrame:
    import pyreadstat
    return _sas(pyreadstat.read_xport)(path, opts, subject)


def _parquet(path: Path, opts: dict, _subject: str | None) -> pd.DataFrame:
    import pyarrow.parquet as pq
    import pyarrow.types as pat

    arrow = pq.read_table(path)
    dates = {f.name for f in arrow.schema if pat.is_date(f.type)}
    table = arrow.to_pandas(date_as_object=True)
    return _all_text(table, dates)


def _odm(path: Path, opts: dict, subject: str | None) -> pd.DataFrame:
    from lxml import etree

    group = opts.get("item_group")
    if not group:
        raise DataError("an ODM form needs its item_group (the ItemGroupOID) in the study file")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             dtd_validation=False, huge_tree=False, remove_comments=True)
    try:
        root = etree.fromstring(path.read_bytes(), parser)
    except etree.XMLSyntaxError as e:
        raise DataError(f"not well-formed XML (line {e.lineno}): {e.msg}") from None
    if etree.QName(root).localname != "ODM":
        raise DataError(f"not a CDISC ODM file (root element {etree.QName(root).localname})")
    names = {}
    if opts.get("columns", "oid") == "name":
        names = {d.get("OID"): d.get("Name") for d in root.iter("{*}ItemDef")}
    subject_col = opts.get("subject_key", subject) or "SubjectKey"
    records: list[dict[str, str | None]] = []
    found = False
    for subj in root.iter("{*}SubjectData"):
        key = subj.get("SubjectKey")
        for ig in subj.iter("{*}ItemGroupData"):
            if ig.get("ItemGroupOID") != group:
                continue
            found = True
            rec: dict[str, str | None] = {subject_col: key}
            for item in ig.iter("{*}ItemData"):
                oid = item.get("ItemOID")
                rec[names.get(oid) or oid] = item.get("Value")
            records.append(rec)
    if not found:
        groups = sorted({ig.get("ItemGroupOID") for ig in root.iter("{*}ItemGroupData")})
        raise DataError(f"no ItemGroupData with ItemGroupOID '{group}' (item groups: "
                        f"{', '.join(g for g in groups if g) or 'none'})")
    table = pd.DataFrame.from_records(records)
    return table.astype(object).where(table.notna(), None)


def read_header(path: Path, options: Mapping[str, Any] | None = None,
                subject_col: str | None = None) -> list[str] | None:
    """The column names a raw form file has, as :func:`read_table` would give them, without
    reading the data where the format allows (CSV: the first line; SAS files: the metadata;
    Parquet: the schema); None when the file cannot be read (``convert`` then says why)."""
    opts = dict(options or {})
    fmt = format_of(path, opts)
    try:
        if fmt == "csv":
            import csv
            with open(path, encoding=opts.get("encoding", "utf-8"), newline="") as fh:
                row = next(csv.reader(fh, delimiter=opts.get("delimiter", ",")), [])
            return [c.strip().lstrip("\ufeff") for c in row]
        if fmt in ("sas7bdat", "xpt"):
            import pyreadstat
            read = pyreadstat.read_sas7bdat if fmt == "sas7bdat" else pyreadstat.read_xport
            kw = {"encoding": opts["encoding"]} if opts.get("encoding") else {}
            _, meta = read(str(path), metadataonly=True, **kw)
            return [str(c) for c in meta.column_names]
        if fmt == "parquet":
            import pyarrow.parquet as pq
            return [str(c) for c in pq.read_schema(path).names]
        if fmt in _READERS:
            return [str(c).strip() for c in read_table(path, str(path), opts, subject_col).columns]
    except Exception:  # noqa: BLE001 - an unreadable file is convert's to report, in its words
        return None
    return None


_READERS = {"csv": _csv, "xlsx": _xlsx, "sas7bdat": _sas7bdat, "xpt": _xpt,
            "parquet": _parquet, "odm": _odm}
_NAMES = {"csv": "CSV", "xlsx": "XLSX", "sas7bdat": "SAS7BDAT", "xpt": "SAS XPT",
          "parquet": "Parquet", "odm": "ODM-XML"}

__all__ = ["RawFileError", "FORMATS", "EXTENSIONS", "format_of", "read_table", "read_header"]
