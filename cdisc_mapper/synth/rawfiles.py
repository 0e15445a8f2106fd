"""Writing generated raw forms as an EDC exports them in formats other than CSV.

* :func:`write_odm` — CDISC ODM 1.3.2 clinical data (a snapshot): the form's metadata (study
  event, form, item group, items) and one ``ItemGroupData`` per table row, one ``ItemData`` per
  entered cell; the table's columns are the item OIDs.
* :func:`write_sas7bdat` — a SAS dataset written by ReadStat (through pyreadstat), with the
  declared columns as SAS numbers or SAS dates (format ``DATE9.``).  ReadStat stamps the wall
  clock into the file header; :func:`_stamp_sas7bdat` replaces that stamp with a fixed one, so the
  same data give the same bytes.

Both are byte-identical for the same tables and stamp.
"""

from __future__ import annotations

import datetime as dt
import struct
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from ..errors import UsageError

ODM_NS = "http://www.cdisc.org/ns/odm/v1.3"
SAS_EPOCH = dt.datetime(1960, 1, 1)


def _attr(v: str) -> str:
    return (v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;")
            .replace("\t", "&#9;"))


def write_odm(path: Path, table: pd.DataFrame, *, study: str, subject: str, site: str | None,
              event: tuple[str, str], form: tuple[str, str], item_group: str,
              created: dt.datetime) -> Path:
    """One form as an ODM 1.3.2 snapshot: ``subject`` is the column written as SubjectKey,
    ``site`` the column written as the subject's SiteRef (a Location in AdminData); every other
    column is an item whose OID is the column name (its Name the part after the last dot)."""
    items = [c for c in table.columns if c not in (subject, site)]
    cells = table.astype(object).where(table.notna(), "").astype(str)
    mdv = f"MDV.{study}.1"
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<ODM xmlns="{ODM_NS}" ODMVersion="1.3.2" FileType="Snapshot" '
           f'FileOID="{_attr(study)}.{_attr(form[0])}" '
           f'CreationDateTime="{created.strftime("%Y-%m-%dT%H:%M:%S")}" SourceSystem="EDC">',
           f'  <Study OID="{_attr(study)}">',
           "    <GlobalVariables>",
           f"      <StudyName>{_attr(study)}</StudyName>",
           f"      <StudyDescription>{_attr(study)} clinical data: {_attr(form[1])}"
           "</StudyDescription>",
           f"      <ProtocolName>{_attr(study)}</ProtocolName>",
           "    </GlobalVariables>",
           f'    <MetaDataVersion OID="{mdv}" Name="{_attr(study)} EDC build 1">',
           "      <Protocol>",
           f'        <StudyEventRef StudyEventOID="{_attr(event[0])}" OrderNumber="1" '
           'Mandatory="No"/>',
           "      </Protocol>",
           f'      <StudyEventDef OID="{_attr(event[0])}" Name="{_attr(event[1])}" '
           'Repeating="No" Type="Common">',
           f'        <FormRef FormOID="{_attr(form[0])}" Mandatory="No"/>',
           "      </StudyEventDef>",
           f'      <FormDef OID="{_attr(form[0])}" Name="{_attr(form[1])}" Repeating="No">',
           f'        <ItemGroupRef ItemGroupOID="{_attr(item_group)}" Mandatory="Yes"/>',
           "      </FormDef>",
           f'      <ItemGroupDef OID="{_attr(item_group)}" Name="{_attr(form[1])}" '
           'Repeating="Yes">']
    for i, c in enumerate(items, 1):
        out.append(f'        <ItemRef ItemOID="{_attr(c)}" OrderNumber="{i}" Mandatory="No"/>')
    out.append("      </ItemGroupDef>")
    for c in items:
        length = max(1, int(cells[c].str.len().max() or 1))
        out.append(f'      <ItemDef OID="{_attr(c)}" Name="{_attr(c.rsplit(".", 1)[-1])}" '
                   f'DataType="text" Length="{length}"/>')
    out += ["    </MetaDataVersion>", "  </Study>"]
    sites = sorted(set(cells[site])) if site else []
    if sites:
        out.append("  <AdminData>")
        for s in sites:
            out += [f'    <Location OID="LOC.{_attr(s)}" Name="Site {_attr(s)}" '
                    'LocationType="Site">',
                    f'      <MetaDataVersionRef StudyOID="{_attr(study)}" '
                    f'MetaDataVersionOID="{mdv}" EffectiveDate="{created.date().isoformat()}"/>',
                    "    </Location>"]
        out.append("  </AdminData>")
    out.append(f'  <ClinicalData StudyOID="{_attr(study)}" MetaDataVersionOID="{mdv}">')
    subj = cells[subject].to_numpy()
    order = pd.unique(subj)
    groups = {k: np.flatnonzero(subj == k) for k in order}
    values = cells[items].to_numpy()
    site_of = cells[site].to_numpy() if site else None
    for key in order:
        rows = groups[key]
        out.append(f'    <SubjectData SubjectKey="{_attr(key)}">')
        if site_of is not None:
            out.append(f'      <SiteRef LocationOID="LOC.{_attr(site_of[rows[0]])}"/>')
        out += [f'      <StudyEventData StudyEventOID="{_attr(event[0])}">',
                f'        <FormData FormOID="{_attr(form[0])}">']
        for n, r in enumerate(rows, 1):
            out.append(f'          <ItemGroupData ItemGroupOID="{_attr(item_group)}" '
                       f'ItemGroupRepeatKey="{n}">')
            for c, v in zip(items, values[r]):
                if v != "":
                    out.append(f'            <ItemData ItemOID="{_attr(c)}" Value="{_attr(v)}"/>')
            out.append("          </ItemGroupData>")
        out += ["        </FormData>", "      </StudyEventData>", "    </SubjectData>"]
    out += ["  </ClinicalData>", "</ODM>", ""]
    Path(path).write_text("\n".join(out), encoding="utf-8", newline="\n")
    return Path(path)


def sas_typed(table: pd.DataFrame, types: Mapping[str, str]) -> pd.DataFrame:
    """The table with the declared columns as numbers (``number``) or dates (``date``, from
    ``YYYY-MM-DD`` text); other columns stay text, an empty cell a SAS missing value."""
    out = {}
    for c in table.columns:
        kind = types.get(c)
        text = table[c].astype(object).where(table[c].notna() & (table[c] != ""), None)
        if kind == "number":
            out[c] = pd.to_numeric(text, errors="raise").astype(float)
        elif kind == "date":
            out[c] = [None if v is None else dt.date.fromisoformat(v) for v in text]
        elif kind is None:
            out[c] = table[c].astype(object).where(table[c].notna(), "")
        else:
            raise UsageError(f"unknown SAS column type '{kind}' (number or date)", key=c)
    return pd.DataFrame(out, columns=list(table.columns))


def write_sas7bdat(path: Path, table: pd.DataFrame, *, types: Mapping[str, str],
                   labels: Mapping[str, str], name: str, stamp: dt.datetime) -> Path:
    """One form as a SAS dataset (64-bit, uncompressed), its header stamped ``stamp``."""
    import pyreadstat

    typed = sas_typed(table, types)
    fmts = {c: "DATE9." for c, k in types.items() if k == "date"}
    pyreadstat.write_sas7bdat(typed, str(path), table_name=name.upper(),
                              column_labels={c: labels.get(c) for c in table.columns},
                              variable_format=fmts)
    _stamp_sas7bdat(Path(path), stamp)
    return Path(path)


def _stamp_sas7bdat(path: Path, stamp: dt.datetime) -> None:
    """Replace ReadStat's wall-clock stamp in a 64-bit SAS7BDAT header with ``stamp``: the
    creation and modification date-times (seconds since 1960), the UTC offsets beside them
    (0), the creation time repeated later in the header, and the four 4-byte fields derived from
    it (its low 32 bits, then those XORed with ``LNoe``, as SAS does for a dataset without
    passwords).  A header not laid out as expected is refused rather than left unstamped."""
    data = bytearray(path.read_bytes())
    if (len(data) < 8192 or data[32] != 0x33 or data[35] != 0x33
            or bytes(data[224:232]) != b"9.0401M5"):
        raise UsageError("unexpected SAS7BDAT header layout from the writer: cannot stamp it",
                         key="sas7bdat", value=str(path.name))
    secs = struct.pack("<d", (stamp - SAS_EPOCH).total_seconds())
    zero = struct.pack("<d", 0.0)
    data[168:176] = secs            # creation
    data[176:184] = secs            # modification
    data[184:192] = zero            # UTC offsets
    data[192:200] = zero
    salt = secs[:4]
    data[296:300] = salt
    mixed = bytes(b ^ k for b, k in zip(salt, b"LNoe"))
    data[300:312] = mixed * 3
    data[336:344] = secs            # creation, again
    path.write_bytes(bytes(data))


__all__ = ["write_odm", "write_sas7bdat", "sas_typed"]
