"""An independent reader of SAS transport (XPT) version 5 files, after SAS TS-140.

It shares no code with the writer in :mod:`cdisc_mapper.io.xpt`, so tests (and the validator) can
use it as a second oracle beside ``pyreadstat``: it reports exactly what the headers say (names,
labels, types, lengths, formats, positions, timestamps) and decodes the rows itself.

Layout (every header record is 80 bytes; all integers big-endian):

* library header: ``HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!000...``, then a record with
  ``SAS``, ``SAS``, ``SASLIB``, SAS version, OS name, 24 blanks and the creation datetime
  (``ddMONyy:hh:mm:ss``), then a record with the modification datetime;
* per member: ``MEMBER HEADER`` (bytes 74-77 hold the NAMESTR length, 140, or 136 on VAX/VMS),
  ``DSCRPTR HEADER``, a record with ``SAS``, dataset name, ``SASDATA``, version, OS, blanks and the
  creation datetime, a record with the modification datetime, 16 blanks, the dataset label (40) and
  type (8);
* ``NAMESTR HEADER`` (bytes 54-57: number of variables), one NAMESTR per variable, padded to a
  multiple of 80 bytes;
* ``OBS HEADER``, then the observations back to back, padded with blanks to a multiple of 80.

Numbers are IBM System/370 floating point (1 sign bit, 7-bit excess-64 base-16 exponent, 56-bit
fraction); a missing value is ``.`` (0x2E), ``._`` (0x5F) or ``.A``-``.Z`` followed by zeros.
The file has no record count: it is the data length divided by the record length, less trailing
all-blank records that fit entirely in the final padding.
"""

from __future__ import annotations

import mmap
import os
import struct
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from cdisc_mapper.errors import DataError

__all__ = [
    "XptVariable",
    "XptMember",
    "XptLibrary",
    "read_xpt_library",
    "read_xpt_header",
    "read_xpt_records",
    "ibm_to_float",
]

RECORD = 80
_PREFIX = b"HEADER RECORD*******"
_LIBRARY = _PREFIX + b"LIBRARY HEADER RECORD!!!!!!!"
_LIBRARY_V8 = _PREFIX + b"LIBV8   HEADER RECORD!!!!!!!"
_MEMBER = _PREFIX + b"MEMBER  HEADER RECORD!!!!!!!"
_MEMBER_V8 = _PREFIX + b"MEMBV8  HEADER RECORD!!!!!!!"
_DSCRPTR = _PREFIX + b"DSCRPTR HEADER RECORD!!!!!!!"
_NAMESTR = _PREFIX + b"NAMESTR HEADER RECORD!!!!!!!"
_OBS = _PREFIX + b"OBS     HEADER RECORD!!!!!!!"
_NAMESTR_STRUCT = struct.Struct(">hhhh8s40s8shhh2s8shhl")  # the first 88 bytes of a NAMESTR
_MONTHS = {m: i for i, m in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1)}


@dataclass(frozen=True)
class XptVariable:
    """One NAMESTR record."""

    number: int                # 1-based variable number (nvar0)
    name: str
    label: str
    type: str                  # "char" or "num"
    length: int                # bytes in each observation
    position: int              # byte offset in the observation (npos)
    format_name: str           # e.g. "DATE", "" for w.d formats
    format_width: int
    format_decimals: int
    format_justification: int  # nfj: 0 left, 1 right
    informat_name: str
    informat_width: int
    informat_decimals: int

    @property
    def format(self) -> str:
        """The display format as SAS writes it: ``DATE9.``, ``8.2``, ``$CHAR20.`` or ``""``."""
        if not self.format_name and not self.format_width and not self.format_decimals:
            return ""
        width = str(self.format_width) if self.format_width else ""
        dec = str(self.format_decimals) if self.format_decimals else ""
        return f"{self.format_name}{width}.{dec}"


@dataclass(frozen=True)
class XptMember:
    """One dataset (member) of a transport file."""

    name: str
    label: str
    type: str                  # the 8-byte dataset type, usually blank
    created: datetime | None
    modified: datetime | None
    created_text: str          # the raw 16-byte ``ddMONyy:hh:mm:ss`` fields
    modified_text: str
    sas_version: str
    os_name: str
    variables: tuple[XptVariable, ...]
    observations: int
    record_length: int
    data_offset: int           # byte offset of the first observation in the file
    data_length: int           # bytes from data_offset to the end of the member (padding included)

    def variable(self, name: str) -> XptVariable | None:
        for v in self.variables:
            if v.name == name:
                return v
        return None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.variables)


@dataclass(frozen=True)
class XptLibrary:
    """The library header of a transport file and its members."""

    created: datetime | None
    modified: datetime | None
    created_text: str
    modified_text: str
    sas_version: str
    os_name: str
    members: tuple[XptMember, ...]


def _text(raw: bytes, encoding: str) -> str:
    return raw.decode(encoding, errors="replace").rstrip(" \x00")


def _parse_datetime(raw: bytes) -> datetime | None:
    """``ddMONyy:hh:mm:ss`` -> datetime; two-digit years 00-59 are 20xx, 60-99 are 19xx."""
    try:
        s = raw.decode("ascii")
        day, mon, yy = int(s[0:2]), _MONTHS[s[2:5].upper()], int(s[5:7])
        hh, mi, ss = int(s[8:10]), int(s[11:13]), int(s[14:16])
        if s[7] != ":" or s[10] != ":" or s[13] != ":":
            return None
        return datetime(2000 + yy if yy < 60 else 1900 + yy, mon, day, hh, mi, ss)
    except (UnicodeDecodeError, KeyError, ValueError, IndexError):
        return None


def _not_xpt(path: Path, what: str) -> DataError:
    return DataError(f"not a SAS transport (XPT) version 5 file: {what}", file=str(path))


def _check_record(buf, offset: int, expected: bytes, path: Path, what: str) -> None:
    got = bytes(buf[offset:offset + len(expected)])
    if got != expected:
        raise _not_xpt(path, f"expected the {what} header record at byte {offset}, "
                             f"found {got[:48]!r}")


def _open(path: str | os.PathLike[str]) -> tuple[Path, bytes | mmap.mmap]:
    p = Path(path)
    try:
        size = p.stat().st_size
        if size == 0:
            raise _not_xpt(p, "the file is empty")
        with open(p, "rb") as fh:
            if size < 1 << 20:
                return p, fh.read()
            return p, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    except OSError as exc:
        raise DataError(f"cannot read the file: {exc.strerror or exc}", file=str(p)) from exc


def _parse(path: Path, buf, encoding: str) -> XptLibrary:
    size = len(buf)
    if size < 3 * RECORD:
        raise _not_xpt(path, f"only {size} bytes, shorter than the library header")
    head = bytes(buf[:48])
    if head == _LIBRARY_V8:
        raise DataError("SAS transport version 8 file; only version 5 is supported",
                        file=str(path))
    if head != _LIBRARY:
        if head.startswith(b"**COMPRESSED**"):
            raise _not_xpt(path, "it is a SAS CPORT file (PROC CPORT), not PROC COPY/XPORT")
        raise _not_xpt(path, f"the first record is {head!r}")
    rec2 = bytes(buf[RECORD:2 * RECORD])
    rec3 = bytes(buf[2 * RECORD:3 * RECORD])
    lib_created_text = rec2[64:80].decode("ascii", "replace")
    lib_modified_text = rec3[0:16].decode("ascii", "replace")
    members: list[XptMember] = []
    offset = 3 * RECORD
    while offset + RECORD <= size:
        if bytes(buf[offset:offset + 48]) == _MEMBER_V8:
            raise DataError("SAS transport version 8 member; only version 5 is supported",
                            file=str(path))
        _check_record(buf, offset, _MEMBER, path, "MEMBER")
        try:
            namestr_len = int(bytes(buf[offset + 74:offset + 78]))
        except ValueError:
            raise _not_xpt(path, f"unreadable NAMESTR length in the member header at "
                                 f"byte {offset}") from None
        if namestr_len not in (136, 140):
            raise _not_xpt(path, f"NAMESTR length {namestr_len}, expected 140 (or 136)")
        _check_record(buf, offset + RECORD, _DSCRPTR, path, "DSCRPTR")
        m1 = bytes(buf[offset + 2 * RECORD:offset + 3 * RECORD])
        m2 = bytes(buf[offset + 3 * RECORD:offset + 4 * RECORD])
        _check_record(buf, offset + 4 * RECORD, _NAMESTR, path, "NAMESTR")
        try:
            nvars = int(bytes(buf[offset + 4 * RECORD + 54:offset + 4 * RECORD + 58]))
        except ValueError:
            raise _not_xpt(path, f"unreadable variable count in the NAMESTR header at byte "
                                 f"{offset + 4 * RECORD}") from None
        ns_start = offset + 5 * RECORD
        ns_end = ns_start + nvars * namestr_len
        if ns_end > size:
            raise _not_xpt(path, f"the file ends inside the NAMESTR records ({nvars} variables)")
        variables = []
        for i in range(nvars):
            o = ns_start + i * namestr_len
            (ntype, _nhfun, nlng, nvar0, nname, nlabel, nform, nfl, nfd, nfj, _nfill, niform,
             nifl, nifd, npos) = _NAMESTR_STRUCT.unpack(bytes(buf[o:o + _NAMESTR_STRUCT.size]))
            if ntype not in (1, 2):
                raise _not_xpt(path, f"variable {i + 1}: type {ntype}, expected 1 (num) or "
                                     "2 (char)")
            variables.append(XptVariable(
                number=nvar0, name=_text(nname, encoding), label=_text(nlabel, encoding),
                type="num" if ntype == 1 else "char", length=nlng, position=npos,
                format_name=_text(nform, encoding), format_width=nfl, format_decimals=nfd,
                format_justification=nfj, informat_name=_text(niform, encoding),
                informat_width=nifl, informat_decimals=nifd))
        obs_header = -(-ns_end // RECORD) * RECORD
        _check_record(buf, obs_header, _OBS, path, "OBS")
        data_offset = obs_header + RECORD
        # The member ends where the next MEMBER header starts (on an 80-byte boundary) or at EOF.
        data_end = size
        search = data_offset
        while True:
            hit = buf.find(_MEMBER, search)
            if hit < 0:
                break
            if (hit - data_offset) % RECORD == 0:
                data_end = hit
                break
            search = hit + 1
        record_length = sum(v.length for v in variables)
        data_length = data_end - data_offset
        observations = _count_observations(buf, data_offset, data_length, record_length)
        members.append(XptMember(
            name=_text(m1[8:16], encoding), label=_text(m2[32:72], encoding),
            type=_text(m2[72:80], encoding), created=_parse_datetime(m1[64:80]),
            modified=_parse_datetime(m2[0:16]), created_text=m1[64:80].decode("ascii", "replace"),
            modified_text=m2[0:16].decode("ascii", "replace"),
            sas_version=_text(m1[24:32], "ascii"), os_name=_text(m1[32:40], "ascii"),
            variables=tuple(variables), observations=observations, record_length=record_length,
            data_offset=data_offset, data_length=data_length))
        offset = data_end
    if not members:
        raise _not_xpt(path, "no member (dataset) in the file")
    return XptLibrary(
        created=_parse_datetime(rec2[64:80]), modified=_parse_datetime(rec3[0:16]),
        created_text=lib_created_text, modified_text=lib_modified_text,
        sas_version=_text(rec2[24:32], "ascii"), os_name=_text(rec2[32:40], "ascii"),
        members=tuple(members))


def _count_observations(buf, data_offset: int, data_length: int, record_length: int) -> int:
    if record_length <= 0:
        return 0
    n = data_length // record_length
    # Trailing records made only of blanks that lie inside the final (< 80 byte) padding are
    # padding, not observations.  A numeric value is never all blanks, so this only affects
    # datasets whose last rows are entirely blank character values (ambiguous in XPT v5).
    blank = b" " * record_length
    while n > 0 and data_length - (n - 1) * record_length < RECORD:
        start = data_offset + (n - 1) * record_length
        if bytes(buf[start:start + record_length]) != blank:
            break
        n -= 1
    return n


def read_xpt_library(path: str | os.PathLike[str], *, encoding: str = "utf-8") -> XptLibrary:
    """Parse the headers of every member of a transport file (data are not decoded)."""
    p, buf = _open(path)
    try:
        return _parse(p, buf, encoding)
    finally:
        if isinstance(buf, mmap.mmap):
            buf.close()


def read_xpt_header(path: str | os.PathLike[str], member: int | str = 0, *,
                    encoding: str = "utf-8") -> XptMember:
    """The header of one member (the first by default, or by position or name)."""
    return _select(read_xpt_library(path, encoding=encoding), member, Path(path))


def _select(lib: XptLibrary, member: int | str, path: Path) -> XptMember:
    if isinstance(member, int):
        if not -len(lib.members) <= member < len(lib.members):
            raise DataError(f"member {member} requested, the file holds {len(lib.members)}",
                            file=str(path))
        return lib.members[member]
    for m in lib.members:
        if m.name.upper() == member.upper():
            return m
    raise DataError(f"no member named {member!r}; the file holds "
                    f"{', '.join(m.name for m in lib.members)}", file=str(path))


def ibm_to_float(raw: np.ndarray) -> np.ndarray:
    """Decode IBM 370 doubles given as big-endian ``uint64`` words; missing values -> NaN."""
    u = raw.astype(np.uint64, copy=False)
    first = (u >> np.uint64(56)).astype(np.uint8)
    mantissa = u & np.uint64(0x00FF_FFFF_FFFF_FFFF)
    exponent = (first & 0x7F).astype(np.int64)
    sign = np.where(first & 0x80, -1.0, 1.0)
    # value = 0.fraction (56 bits, base 16) * 16 ** (exponent - 64)
    value = sign * np.ldexp(mantissa.astype(np.float64), 4 * (exponent - 64) - 56)
    special = (first == 0x2E) | (first == 0x5F) | ((first >= 0x41) & (first <= 0x5A))
    missing = (mantissa == 0) & special
    value[missing] = np.nan
    return value


def read_xpt_records(path: str | os.PathLike[str], member: int | str = 0, *,
                     encoding: str = "utf-8") -> pd.DataFrame:
    """Decode the observations of one member into a DataFrame.

    Numeric variables become ``float64`` (missing values of any kind -> NaN; lengths 2-7 are
    zero-extended as SAS does); character variables become strings with trailing blanks removed
    (an all-blank value reads as ``""``: XPT cannot tell missing from empty).
    """
    p = Path(path)
    m = _select(read_xpt_library(p, encoding=encoding), member, p)
    n, width = m.observations, m.record_length
    with open(p, "rb") as fh:
        fh.seek(m.data_offset)
        data = fh.read(n * width)
    raw = np.frombuffer(data, dtype=np.uint8)
    rows = raw.reshape(n, width) if width else np.zeros((0, 0), np.uint8)
    out: dict[str, object] = {}
    for v in m.variables:
        if v.position < 0 or v.position + v.length > width:
            raise DataError(f"variable {v.name}: position {v.position} and length "
                            f"{v.length} fall outside the {width}-byte record", file=str(p))
        cells = rows[:, v.position:v.position + v.length]
        if v.type == "num":
            if not 2 <= v.length <= 8:
                raise DataError(f"variable {v.name}: numeric length {v.length}, expected 2-8",
                                file=str(p))
            full = np.zeros((n, 8), dtype=np.uint8)
            full[:, :v.length] = cells
            out[v.name] = ibm_to_float(full.view(">u8").reshape(n))
        else:
            fixed = np.ascontiguousarray(cells).view(f"S{v.length}").reshape(n)
            codes, uniques = pd.factorize(fixed)
            decoded = []
            for i, b in enumerate(uniques):
                try:
                    decoded.append(bytes(b).rstrip(b" \x00").decode(encoding))
                except UnicodeDecodeError as exc:
                    record = int(np.flatnonzero(codes == i)[0]) + 1
                    raise DataError(f"cannot decode text as {encoding}: {exc.reason}",
                                    file=str(p), record=record, variable=v.name,
                                    value=bytes(b).rstrip()) from None
            # code -1 (never produced here: bytes are never missing) would pick the final "".
            values = np.array(decoded + [""], dtype=object)[codes]
            out[v.name] = pd.Series(values, dtype="str")
    return pd.DataFrame(out, index=pd.RangeIndex(n))
