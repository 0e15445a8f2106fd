"""Helpers for the seeded-defect tests of ``cdisc-map validate``.

A defect is planted by reading one XPT of a copied package with ``pyreadstat``, changing it, and
writing it back as XPT version 5 with the same labels.  ``make_define`` crafts a small
Define-XML 2.1 document from the files' own headers (so that a clean package matches it), and
``make_adam`` writes a small clean ADaM package (ADSL and one BDS dataset).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Callable
from xml.sax.saxutils import quoteattr

import pandas as pd
import pyreadstat

from cdisc_mapper.io.xpt_header import read_xpt_header
from cdisc_mapper.standards import load_standard


def copy_package(src: Path, dst: Path) -> Path:
    dst.mkdir(parents=True, exist_ok=True)
    for f in src.glob("*.xpt"):
        shutil.copy2(f, dst / f.name)
    return dst


def read(pkg: Path, name: str) -> tuple[pd.DataFrame, object]:
    return pyreadstat.read_xport(str(pkg / f"{name}.xpt"))


def write(pkg: Path, name: str, df: pd.DataFrame, meta, *, file_name: str | None = None,
          labels: dict[str, str] | None = None) -> Path:
    lab = dict(meta.column_names_to_labels)
    lab.update(labels or {})
    path = pkg / (file_name or f"{name}.xpt")
    pyreadstat.write_xport(df, str(path), file_format_version=5,
                           table_name=(meta.table_name or name.upper()),
                           file_label=meta.file_label or "",
                           column_labels=[lab.get(c) or c for c in df.columns])
    return path


def plant(pkg: Path, name: str, change: Callable[[pd.DataFrame], pd.DataFrame | None], **kw) -> Path:
    df, meta = read(pkg, name)
    out = change(df)
    return write(pkg, name, df if out is None else out, meta, **kw)


@dataclass
class Defect:
    """One planted defect and the finding it must give."""

    id: str
    dataset_file: str
    change: Callable[[pd.DataFrame], pd.DataFrame | None]
    rule: str
    dataset: str
    variable: str | None
    records: tuple[int | str | None, ...]   # a str: the TS record of that TSPARMCD


def set_cell(df: pd.DataFrame, record: int, variable: str, value) -> None:
    """Set the value of a 1-based record."""
    df.loc[record - 1, variable] = value


# ------------------------------------------------------------------------------- define.xml

def make_define(pkg: Path, *, out: Path | None = None, datasets: tuple[str, ...] | None = None,
                mutate: Callable[[str], str] | None = None) -> Path:
    """A Define-XML 2.1 document describing the package's XPT files as they are (names, labels,
    lengths, types, SDTMIG keys, and a SEX codelist)."""
    std = load_standard("SDTMIG", "3.4")
    files = sorted(pkg.glob("*.xpt"))
    groups, items, refs_done = [], [], set()
    for f in files:
        h = read_xpt_header(f)
        name = h.name.upper()
        if datasets and name not in datasets:
            continue
        igds = std.dataset(name)
        keys = list(igds.keys) if igds is not None else []
        refs = []
        for i, v in enumerate(h.variables, 1):
            oid = f"IT.{name}.{v.name}"
            ks = f' KeySequence="{keys.index(v.name) + 1}"' if v.name in keys else ""
            mand = "Yes" if v.name in ("STUDYID", "USUBJID") else "No"
            refs.append(f'<ItemRef ItemOID="{oid}" OrderNumber="{i}" Mandatory="{mand}"{ks}/>')
            if oid in refs_done:
                continue
            refs_done.add(oid)
            dt = "text" if v.type == "char" else "integer" if v.name.endswith(("SEQ", "DY", "NUM")) \
                or v.name == "AGE" else "float"
            cl = '<CodeListRef CodeListOID="CL.SEX"/>' if v.name == "SEX" else ""
            items.append(
                f'<ItemDef OID="{oid}" Name="{v.name}" DataType="{dt}" Length="{v.length}" '
                f'SASFieldName="{v.name}"><Description><TranslatedText xml:lang="en">'
                f'{_esc(v.label)}</TranslatedText></Description>{cl}'
                f'<def:Origin Type="Derived" Source="Sponsor"/></ItemDef>')
        groups.append(
            f'<ItemGroupDef OID="IG.{name}" Domain="{name[:2] if not name.startswith("SUPP") else name}" '
            f'Name="{name}" Repeating="Yes" IsReferenceData="No" SASDatasetName="{name}" '
            f'def:Structure="One record" Purpose="Tabulation" def:StandardOID="STD.1" '
            f'def:ArchiveLocationID="LF.{name}"><Description><TranslatedText xml:lang="en">'
            f'{_esc(h.label)}</TranslatedText></Description>{"".join(refs)}'
            f'<def:Class Name="EVENTS"/><def:leaf ID="LF.{name}" xlink:href="{f.name}">'
            f'<def:title>{f.name}</def:title></def:leaf></ItemGroupDef>')
    doc = f"""<?xml version="1.0" encoding="UTF-8"?>
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" xmlns:xlink="http://www.w3.org/1999/xlink"
  xmlns:def="http://www.cdisc.org/ns/def/v2.1" ODMVersion="1.3.2" FileType="Snapshot"
  FileOID="DEF.TEST" CreationDateTime="2025-01-01T00:00:00" def:Context="Submission">
<Study OID="STDY.TEST"><GlobalVariables><StudyName>TEST</StudyName>
<StudyDescription>test</StudyDescription><ProtocolName>TEST</ProtocolName></GlobalVariables>
<MetaDataVersion OID="MDV.TEST" Name="test" def:DefineVersion="2.1.0">
<def:Standards><def:Standard OID="STD.1" Name="SDTMIG" Type="IG" Version="3.4" Status="Final"/>
<def:Standard OID="STD.2" Name="CDISC/NCI" Type="CT" PublishingSet="SDTM" Version="2025-03-28"
 Status="Final"/>
</def:Standards>
{"".join(groups)}
{"".join(items)}
<CodeList OID="CL.SEX" Name="Sex" DataType="text" def:StandardOID="STD.2">
<CodeListItem CodedValue="F"><Decode><TranslatedText xml:lang="en">Female</TranslatedText></Decode>
</CodeListItem>
<CodeListItem CodedValue="M"><Decode><TranslatedText xml:lang="en">Male</TranslatedText></Decode>
</CodeListItem>
<Alias Context="nci:ExtCodeID" Name="C66731"/></CodeList>
</MetaDataVersion></Study></ODM>
"""
    if mutate is not None:
        doc = mutate(doc)
    path = out or (pkg / "define.xml")
    path.write_text(doc, encoding="utf-8")
    return path


def _esc(s: str) -> str:
    return quoteattr(s)[1:-1]


# ---------------------------------------------------------------------------------- ADaM

def make_adam(dst: Path) -> Path:
    """A small clean ADaM package: ADSL (4 subjects) and ADEASI (BDS, 3 visits each)."""
    dst.mkdir(parents=True, exist_ok=True)
    subjects = [f"S-01-00{i}" for i in range(1, 5)]
    adsl = pd.DataFrame({
        "STUDYID": "S", "USUBJID": subjects, "SUBJID": [s[-3:] for s in subjects],
        "SITEID": "01", "AGE": [30.0, 41.0, 52.0, 63.0], "AGEU": "YEARS",
        "SEX": ["M", "F", "F", "M"], "RACE": "ASIAN", "ARM": ["Placebo", "Drug", "Drug", "Placebo"],
        "TRT01P": ["Placebo", "Drug", "Drug", "Placebo"], "SAFFL": "Y",
        "ITTFL": ["Y", "Y", "N", "Y"]})
    labels = {"STUDYID": "Study Identifier", "USUBJID": "Unique Subject Identifier",
              "SUBJID": "Subject Identifier for the Study", "SITEID": "Study Site Identifier",
              "AGE": "Age", "AGEU": "Age Units", "SEX": "Sex", "RACE": "Race",
              "ARM": "Description of Planned Arm", "TRT01P": "Planned Treatment for Period 01",
              "SAFFL": "Safety Population Flag", "ITTFL": "Intent-To-Treat Population Flag"}
    pyreadstat.write_xport(adsl, str(dst / "adsl.xpt"), file_format_version=5, table_name="ADSL",
                           file_label="Subject-Level Analysis Dataset",
                           column_labels=[labels[c] for c in adsl.columns])
    rows = []
    for s in subjects:
        base = 20.0 + subjects.index(s)
        for visit, n, aval in (("BASELINE", 0.0, base), ("WEEK 4", 4.0, base - 3),
                               ("WEEK 12", 12.0, base - 8)):
            rows.append({"STUDYID": "S", "USUBJID": s, "PARAMCD": "EASI",
                         "PARAM": "EASI Total Score", "AVISIT": visit, "AVISITN": n,
                         "AVAL": aval, "BASE": base, "CHG": aval - base,
                         "ABLFL": "Y" if n == 0 else "", "ANL01FL": "Y"})
    bds = pd.DataFrame(rows)
    blabels = {"STUDYID": "Study Identifier", "USUBJID": "Unique Subject Identifier",
               "PARAMCD": "Parameter Code", "PARAM": "Parameter", "AVISIT": "Analysis Visit",
               "AVISITN": "Analysis Visit (N)", "AVAL": "Analysis Value",
               "BASE": "Baseline Value", "CHG": "Change from Baseline",
               "ABLFL": "Baseline Record Flag", "ANL01FL": "Analysis Flag 01"}
    pyreadstat.write_xport(bds, str(dst / "adeasi.xpt"), file_format_version=5,
                           table_name="ADEASI", file_label="EASI Analysis Dataset",
                           column_labels=[blabels[c] for c in bds.columns])
    return dst
