"""define.xml: valid against the CDISC schemas, every reference resolved, and true to the data.

The sample studies are converted once; each package folder then gets its define.xml, which is

* validated against the Define-XML 2.1 schemas with lxml and with xmlschema (which also checks
  IDREFs): the 2.1.10 schemas of the reference folder and the schemas the product ships with;
* checked here, independently of the generator, for references that point nowhere (ItemOID,
  CodeListOID, MethodOID, CommentOID, ValueListOID, WhereClauseOID, leafID, ArchiveLocationID,
  StandardOID) and for definitions nothing references;
* held against the XPT files read back with pyreadstat: every file described and every described
  file present, variables in the same order, labels, types and lengths equal, every value of a
  variable with a codelist a term of that codelist (value-level items: on their records);
* rendered to HTML with the CDISC stylesheet.

A small hand-built ADaM package (ADSL, a BDS dataset with value-level metadata by PARAMCD and
numeric DATE9. dates, an OCCDS dataset coded with the study dictionary) carries Analysis Results
Metadata and is validated against the ARM 1.0 schema.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from lxml import etree

from cdisc_mapper.define import resources
from cdisc_mapper.define.build import build_define
from cdisc_mapper.define.render import render_html
from cdisc_mapper.define.studyinfo import load_define_info
from cdisc_mapper.define.write import write_define
from cdisc_mapper.engine.run import codelists_for, convert_study
from cdisc_mapper.errors import MappingError
from cdisc_mapper.io.xpt import write_xpt
from cdisc_mapper.spec.model import Codelist, DatasetSpec, Term, ValueLevel, VariableSpec

ROOT = Path(__file__).resolve().parents[1]
STUDIES = ("ADT2002-P1", "ADT2002-P2")
CREATED = dt.datetime(2024, 6, 30, 12, 0, 0)
NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3", "def": "http://www.cdisc.org/ns/def/v2.1",
      "xlink": "http://www.w3.org/1999/xlink", "arm": "http://www.cdisc.org/ns/arm/v1.0"}
DEF = f"{{{NS['def']}}}"
XLINK = f"{{{NS['xlink']}}}"
TEXT_TYPES = {"text", "date", "datetime", "time", "partialDate", "partialTime", "partialDatetime",
              "incompleteDatetime", "durationDatetime", "intervalDatetime"}


# ----------------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="session")
def sdtm(tmp_path_factory):
    """Both sample studies converted, with define.xml written into each SDTM folder."""
    out = tmp_path_factory.mktemp("define-sdtm")
    packages = {}
    for sid in STUDIES:
        study_file = ROOT / "mappings" / sid / "study.yaml"
        r = convert_study(study_file, out, created=CREATED)
        cls, _ = codelists_for(r.study, None)
        folder = r.out_dir / "tabulations" / "sdtm"
        data = {k: f.data for k, f in r.datasets.items()}
        xml, html = write_define(r.study, r.specs, data, folder, created=CREATED, codelists=cls,
                                 ct_versions={"SDTM": "2025-03-28"})
        packages[sid] = {"result": r, "folder": folder, "xml": xml, "html": html,
                         "codelists": cls, "data": data}
    return packages


def _adam_specs() -> dict[str, DatasetSpec]:
    std = "ADaMIG 1.3"

    def v(name, label, type_="Char", **kw):
        return VariableSpec(name=name, label=label, type=type_, **kw)

    adsl = DatasetSpec(
        name="ADSL", label="Subject-Level Analysis Dataset", cls="SUBJECT LEVEL ANALYSIS DATASET",
        structure="One record per subject", keys=("STUDYID", "USUBJID"), standard=std,
        variables=(
            v("STUDYID", "Study Identifier", core="Req", origin="Predecessor", source="DM.STUDYID"),
            v("USUBJID", "Unique Subject Identifier", core="Req", origin="Predecessor",
              source="DM.USUBJID"),
            v("AGE", "Age", "Num", core="Req", origin="Predecessor", source="DM.AGE"),
            v("SEX", "Sex", core="Req", codelist="SEX", origin="Predecessor", source="DM.SEX"),
            v("TRT01P", "Planned Treatment for Period 01", core="Req", origin="Predecessor",
              source="DM.ARM"),
            v("TRTSDT", "Date of First Exposure to Treatment", "Num", display_format="DATE9.",
              origin="Derived", method_text="Date part of DM.RFXSTDTC."),
            v("ITTFL", "Intent-To-Treat Population Flag", codelist="NY", origin="Derived",
              method_text="'Y' for every randomised subject (DM.ARMCD not missing)."),
        ))
    aval = v("AVAL", "Analysis Value", "Num", origin="Derived",
             method_text="Depends on PARAMCD.")
    adeff = DatasetSpec(
        name="ADEFF", label="Efficacy Analysis Dataset", cls="BASIC DATA STRUCTURE",
        structure="One record per subject per parameter per analysis visit",
        keys=("STUDYID", "USUBJID", "PARAMCD", "AVISITN"), standard=std,
        variables=(
            v("STUDYID", "Study Identifier", core="Req", origin="Predecessor", source="ADSL.STUDYID"),
            v("USUBJID", "Unique Subject Identifier", core="Req", origin="Predecessor",
              source="ADSL.USUBJID"),
            v("TRTP", "Planned Treatment", core="Req", origin="Predecessor", source="ADSL.TRT01P"),
            v("PARAMCD", "Parameter Code", core="Req", codelist="EASIPARM", origin="Assigned",
              method_text="EASI for the total score, EASI50 for the response."),
            v("PARAM", "Parameter", core="Req", origin="Assigned",
              method_text="The decode of PARAMCD."),
            v("AVISIT", "Analysis Visit", origin="Derived", method_text="VISIT in title case."),
            v("AVISITN", "Analysis Visit (N)", "Num", origin="Derived",
              method_text="Week number of AVISIT."),
            v("ADT", "Analysis Date", "Num", display_format="DATE9.", origin="Derived",
              method_text="Date part of QS.QSDTC."),
            aval,
            v("AVALC", "Analysis Value (C)", origin="Derived", method_text="Depends on PARAMCD."),
        ),
        value_level=(
            ValueLevel("AVAL", (("PARAMCD", ("EASI",)),), VariableSpec(
                "AVAL", "Analysis Value", "Num", origin="Predecessor",
                source="QS.QSSTRESN where QSTESTCD = EASITOT")),
            ValueLevel("AVAL", (("PARAMCD", ("EASI50",)),), VariableSpec(
                "AVAL", "Analysis Value", "Num", origin="Derived",
                method_text="1 if AVALC = 'Y', 0 if AVALC = 'N'.")),
            ValueLevel("AVALC", (("PARAMCD", ("EASI50",)),), VariableSpec(
                "AVALC", "Analysis Value (C)", "Char", codelist="NY", origin="Derived",
                method_text="'Y' when EASI is at most half of the baseline EASI, else 'N'.")),
        ))
    adae = DatasetSpec(
        name="ADAE", label="Adverse Events Analysis Dataset", cls="OCCURRENCE DATA STRUCTURE",
        structure="One record per adverse event per subject",
        keys=("STUDYID", "USUBJID", "AESEQ"), standard=std,
        variables=(
            v("STUDYID", "Study Identifier", core="Req", origin="Predecessor", source="AE.STUDYID"),
            v("USUBJID", "Unique Subject Identifier", core="Req", origin="Predecessor",
              source="AE.USUBJID"),
            v("AESEQ", "Sequence Number", "Num", core="Req", origin="Predecessor",
              source="AE.AESEQ"),
            v("AEDECOD", "Dictionary-Derived Term", core="Req", origin="Predecessor",
              source="AE.AEDECOD"),
            v("ASTDT", "Analysis Start Date", "Num", display_format="DATE9.", origin="Derived",
              method_text="Date part of AE.AESTDTC; partial dates are not imputed."),
        ))
    return {"ADSL": adsl, "ADEFF": adeff, "ADAE": adae}


def _adam_data() -> dict[str, pd.DataFrame]:
    ids = [f"ADT2002-P2-01-{i:03d}" for i in (1, 2, 3)]
    adsl = pd.DataFrame({
        "STUDYID": "ADT2002-P2", "USUBJID": ids, "AGE": [34.0, 51.0, 27.0],
        "SEX": ["F", "M", "F"], "TRT01P": ["hcMSC 5x10^5 cells/kg", "Placebo", "Placebo"],
        "TRTSDT": [dt.date(2021, 3, 2), dt.date(2021, 3, 9), None], "ITTFL": ["Y", "Y", "Y"]})
    rows = []
    for i, (uid, trt) in enumerate(zip(ids, adsl["TRT01P"])):
        for visit, n, d in (("Baseline", 0.0, dt.date(2021, 3, 2)),
                            ("Week 12", 12.0, dt.date(2021, 5, 25))):
            total = [24.5, 31.0, 18.2][i] * (1 if n == 0 else [0.4, 0.9, 0.45][i])
            rows.append([uid, trt, "EASI", "EASI Total Score", visit, n, d, round(total, 1), None])
        resp = ["Y", "N", "Y"][i]
        rows.append([uid, trt, "EASI50", "EASI-50 Response", "Week 12", 12.0,
                     dt.date(2021, 5, 25), 1.0 if resp == "Y" else 0.0, resp])
    adeff = pd.DataFrame(rows, columns=["USUBJID", "TRTP", "PARAMCD", "PARAM", "AVISIT",
                                         "AVISITN", "ADT", "AVAL", "AVALC"])
    adeff.insert(0, "STUDYID", "ADT2002-P2")
    adae = pd.DataFrame({"STUDYID": "ADT2002-P2", "USUBJID": [ids[0], ids[2]],
                         "AESEQ": [1.0, 1.0], "AEDECOD": ["Headache", "Pyrexia"],
                         "ASTDT": [dt.date(2021, 3, 4), pd.NaT]})
    for df in (adsl, adeff, adae):
        for c in df.columns:
            if df[c].dtype == object and df[c].map(lambda x: isinstance(x, str) or x is None).all():
                df[c] = df[c].astype("string")
    return {"ADSL": adsl, "ADEFF": adeff, "ADAE": adae}


ADAM_DEFINE = """\
define:
  study: ADT2002-P2
  include: [common.yaml]
standards:
  analysis: {name: ADaMIG, version: "1.3"}
analysis_results:
  - display: Table 14.2.1
    title: EASI-50 response at week 12, hcMSC versus placebo
    refs: [{document: sap, pages: 12}]
    results:
      - id: EASI50.W12
        description: Proportion of EASI-50 responders at week 12.
        reason: SPECIFIED IN PROTOCOL
        purpose: PRIMARY OUTCOME MEASURE
        parameter: ADEFF.PARAMCD
        datasets:
          - dataset: ADEFF
            where: {PARAMCD: EASI50, AVISIT: Week 12}
            variables: [AVALC]
          - dataset: ADSL
            where: {ITTFL: "Y"}
        join: ADEFF and ADSL are joined by USUBJID.
        documentation:
          text: Fisher's exact test of the two proportions.
          refs: [{document: sap, pages: Section_9.1}]
        code:
          context: Python 3.11, scipy
          text: scipy.stats.fisher_exact(table)
"""


@pytest.fixture(scope="session")
def adam(sdtm, tmp_path_factory):
    """A hand-built ADaM package with ARM, written as XPT with its define.xml."""
    root = tmp_path_factory.mktemp("define-adam")
    ddir = root / "define"
    ddir.mkdir()
    shutil.copy(ROOT / "define" / "common.yaml", ddir / "common.yaml")
    (ddir / "ADT2002-P2.yaml").write_text(ADAM_DEFINE, encoding="utf-8")
    folder = root / "ADT2002-P2" / "analysis" / "adam"
    folder.mkdir(parents=True)
    (folder / "sap.pdf").write_bytes(b"%PDF-1.4\n")
    (folder / "adrg.pdf").write_bytes(b"%PDF-1.4\n")
    specs, data = _adam_specs(), _adam_data()
    written = {}
    for name, spec in specs.items():
        written[name] = write_xpt(data[name], folder / f"{name.lower()}.xpt", spec,
                                  created=CREATED)
    p2 = sdtm["ADT2002-P2"]
    cls = dict(p2["codelists"])
    cls["EASIPARM"] = Codelist("EASIPARM", "EASI Parameter Code", (
        Term("EASI", None, "EASI Total Score"), Term("EASI50", None, "EASI-50 Response")))
    xml, html = write_define(p2["result"].study, written, data, folder, standard="ADaMIG 1.3",
                             created=CREATED, codelists=cls, define_dir=ddir)
    return {"folder": folder, "xml": xml, "html": html, "specs": written, "data": data,
            "codelists": cls, "study": p2["result"].study, "define_dir": ddir}


def _all_defines(sdtm, adam):
    return [(sid, p["xml"], p["folder"]) for sid, p in sdtm.items()] + \
           [("ADaM", adam["xml"], adam["folder"])]


# ----------------------------------------------------------------------------------- schema

def _lxml_errors(xsd: Path, xml: Path) -> list[str]:
    schema = etree.XMLSchema(etree.parse(str(xsd)))
    ok = schema.validate(etree.parse(str(xml)))
    return [] if ok else [f"{e.line}: {e.message}" for e in schema.error_log][:10]


def test_define_1_valid_against_cdisc_2_1_10_schema_lxml(sdtm, adam, reference):
    base = reference / "define-xml-2.1" / "schema"
    for sid, xml, _ in _all_defines(sdtm, adam):
        xsd = base / ("cdisc-arm-1.0/arm1-0-0.xsd" if sid == "ADaM" else
                      "cdisc-define-2.1/define2-1-0.xsd")
        assert _lxml_errors(xsd, xml) == [], sid


def test_define_2_valid_against_cdisc_schema_xmlschema_with_idrefs(sdtm, adam, reference):
    import xmlschema

    base = reference / "define-xml-2.1" / "schema"
    define = xmlschema.XMLSchema(str(base / "cdisc-define-2.1" / "define2-1-0.xsd"))
    arm = xmlschema.XMLSchema(str(base / "cdisc-arm-1.0" / "arm1-0-0.xsd"))
    for sid, xml, _ in _all_defines(sdtm, adam):
        schema = arm if sid == "ADaM" else define
        errors = [str(e).splitlines()[0] for e in schema.iter_errors(str(xml))]
        assert errors == [], (sid, errors[:5])


def test_define_3_valid_against_the_schemas_the_product_ships_with(sdtm, adam):
    """Runs everywhere (no reference folder): the defineutils copy of the schemas."""
    for sid, xml, _ in _all_defines(sdtm, adam):
        xsd = resources.arm_schema() if sid == "ADaM" else resources.define_schema()
        assert _lxml_errors(xsd, xml) == [], sid


# ----------------------------------------------------------------------------------- references

def reference_problems(tree: etree._ElementTree) -> list[str]:
    """Every reference that points nowhere, every duplicate OID, every unreferenced definition."""
    def oids(xpath, attr="OID"):
        found = [e.get(attr) for e in tree.xpath(xpath, namespaces=NS)]
        dups = {o for o in found if found.count(o) > 1}
        problems.extend(f"duplicate {xpath} {o}" for o in sorted(dups))
        return set(found)

    def refs(xpath):
        return [str(v) for v in tree.xpath(xpath, namespaces=NS)]

    problems: list[str] = []
    items = oids("//odm:ItemDef")
    groups = oids("//odm:ItemGroupDef")
    codelists = oids("//odm:CodeList")
    methods = oids("//odm:MethodDef")
    comments = oids("//def:CommentDef")
    value_lists = oids("//def:ValueListDef")
    where = oids("//def:WhereClauseDef")
    leaves = oids("//def:leaf", "ID")
    standards = oids("//def:Standard")
    checks = [
        ("ItemOID", refs("//odm:ItemRef/@ItemOID") + refs("//odm:RangeCheck/@def:ItemOID")
         + refs("//arm:AnalysisVariable/@ItemOID") + refs("//arm:AnalysisResult/@ParameterOID"),
         items),
        ("ItemGroupOID", refs("//arm:AnalysisDataset/@ItemGroupOID"), groups),
        ("CodeListOID", refs("//odm:CodeListRef/@CodeListOID"), codelists),
        ("MethodOID", refs("//@MethodOID"), methods),
        ("CommentOID", refs("//@def:CommentOID"), comments),
        ("ValueListOID", refs("//def:ValueListRef/@ValueListOID"), value_lists),
        ("WhereClauseOID", refs("//def:WhereClauseRef/@WhereClauseOID"), where),
        ("leafID", refs("//def:DocumentRef/@leafID"), leaves),
        ("ArchiveLocationID", refs("//@def:ArchiveLocationID"), leaves),
        ("StandardOID", refs("//@def:StandardOID"), standards),
    ]
    referenced: set[str] = set()
    for what, used, defined in checks:
        for r in used:
            if r not in defined:
                problems.append(f"{what} {r} points nowhere")
        referenced.update(used)
    for ig in tree.xpath("//odm:ItemGroupDef", namespaces=NS):
        own = ig.xpath("def:leaf/@ID", namespaces=NS)
        loc = ig.get(f"{DEF}ArchiveLocationID")
        if loc is not None and [loc] != own:
            problems.append(f"{ig.get('OID')}: ArchiveLocationID {loc} is not its own leaf {own}")
        referenced.update(own)
    for kind, defined in (("ItemDef", items), ("CodeList", codelists), ("MethodDef", methods),
                          ("CommentDef", comments), ("ValueListDef", value_lists),
                          ("WhereClauseDef", where), ("leaf", leaves)):
        for o in sorted(defined - referenced):
            problems.append(f"{kind} {o} is never referenced")
    return problems


def test_define_4_every_reference_resolves(sdtm, adam):
    for sid, xml, _ in _all_defines(sdtm, adam):
        assert reference_problems(etree.parse(str(xml))) == [], sid


def test_define_5_reference_check_catches_dangling_oids(sdtm):
    tree = etree.parse(str(sdtm["ADT2002-P1"]["xml"]))
    ref = tree.xpath("//odm:CodeListRef", namespaces=NS)[0]
    ref.set("CodeListOID", "CL.NOWHERE")
    tree.xpath("//odm:ItemRef[@MethodOID]", namespaces=NS)[0].set("MethodOID", "MT.NOWHERE")
    problems = reference_problems(tree)
    assert "CodeListOID CL.NOWHERE points nowhere" in problems
    assert "MethodOID MT.NOWHERE points nowhere" in problems


# ----------------------------------------------------------------------------------- data

def _text(e, path="odm:Description/odm:TranslatedText") -> str:
    return e.xpath(path, namespaces=NS)[0].text


def _codelist_values(tree) -> dict[str, set[str] | None]:
    out = {}
    for cl in tree.xpath("//odm:CodeList", namespaces=NS):
        if cl.xpath("odm:ExternalCodeList", namespaces=NS):
            out[cl.get("OID")] = None
        else:
            out[cl.get("OID")] = {i.get("CodedValue") for i in
                                  cl.xpath("odm:EnumeratedItem|odm:CodeListItem", namespaces=NS)}
    return out


def _num_text(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def _check_item(item, values: pd.Series, sas_type: str, width: int | None, where: str,
                codelists) -> list[str]:
    problems = []
    dtype, length = item.get("DataType"), item.get("Length")
    present = values.dropna()
    if sas_type == "string":
        present = present[present.astype(str) != ""]
        if dtype not in TEXT_TYPES | {"integer", "float"}:
            problems.append(f"{where}: Char variable with DataType {dtype}")
        if dtype == "text" and width is not None and int(length) != width:
            problems.append(f"{where}: Length {length}, XPT width {width}")
        if dtype in ("integer", "float"):       # value level: numbers kept as text
            texts = present.astype(str)
            if not texts.str.fullmatch(r"-?\d+(\.\d+)?").all():
                problems.append(f"{where}: {dtype} but not every value is a number")
            if int(length) != int(texts.str.len().max()):
                problems.append(f"{where}: Length {length}, longest value {texts.str.len().max()}")
    else:
        if dtype not in ("integer", "float"):
            problems.append(f"{where}: Num variable with DataType {dtype}")
        nums = present.astype(float)
        if dtype == "integer" and not (nums % 1 == 0).all():
            problems.append(f"{where}: integer but some values have decimals")
        if dtype == "integer" and len(nums):
            longest = max(len(str(int(v))) for v in nums)
            if int(length) != longest:
                problems.append(f"{where}: Length {length}, longest integer {longest}")
        if dtype == "float":
            decimals = max(len(_num_text(v).split(".")[1]) if "." in _num_text(v) else 0
                           for v in nums)
            if int(item.get("SignificantDigits")) != decimals:
                problems.append(f"{where}: SignificantDigits {item.get('SignificantDigits')}, "
                                f"values have {decimals}")
    ref = item.xpath("odm:CodeListRef/@CodeListOID", namespaces=NS)
    if ref and item.getroottree().xpath(f"//odm:CodeList[@OID='{ref[0]}']/@DataType",
                                        namespaces=NS) != [dtype]:
        problems.append(f"{where}: DataType {dtype} differs from that of {ref[0]}")
    if ref and codelists[ref[0]] is not None:
        texts = {(_num_text(v) if sas_type != "string" else str(v)) for v in present}
        missing = sorted(texts - codelists[ref[0]])
        if missing:
            problems.append(f"{where}: values not in {ref[0]}: {missing[:5]}")
    return problems


def data_problems(xml: Path, folder: Path) -> list[str]:
    """The define against the XPT files beside it, read back with pyreadstat."""
    tree = etree.parse(str(xml))
    problems: list[str] = []
    items = {e.get("OID"): e for e in tree.xpath("//odm:ItemDef", namespaces=NS)}
    wcs = {e.get("OID"): e for e in tree.xpath("//def:WhereClauseDef", namespaces=NS)}
    vls = {e.get("OID"): e for e in tree.xpath("//def:ValueListDef", namespaces=NS)}
    codelists = _codelist_values(tree)
    described = set()
    for ig in tree.xpath("//odm:ItemGroupDef", namespaces=NS):
        name = ig.get("Name")
        href = ig.xpath("def:leaf/@xlink:href", namespaces=NS)[0]
        described.add(href)
        path = folder / href
        if not path.is_file():
            problems.append(f"{name}: {href} is described but not present")
            continue
        df, meta = pyreadstat.read_xport(str(path), disable_datetime_conversion=True)
        if _text(ig) != meta.file_label:
            problems.append(f"{name}: label {_text(ig)!r}, file {meta.file_label!r}")
        refs = sorted(ig.xpath("odm:ItemRef", namespaces=NS), key=lambda r: int(r.get("OrderNumber")))
        names = [items[r.get("ItemOID")].get("Name") for r in refs]
        if names != list(meta.column_names):
            problems.append(f"{name}: variables {names} != file {list(meta.column_names)}")
            continue
        keys = sorted((int(r.get("KeySequence")), items[r.get("ItemOID")].get("Name"))
                      for r in refs if r.get("KeySequence"))
        if not keys:
            problems.append(f"{name}: no key variables")
        for r in refs:
            item = items[r.get("ItemOID")]
            var = item.get("Name")
            where = f"{name}.{var}"
            if _text(item) != meta.column_names_to_labels[var]:
                problems.append(f"{where}: label {_text(item)!r}, file "
                                f"{meta.column_names_to_labels[var]!r}")
            sas_type = meta.readstat_variable_types[var]
            width = meta.variable_storage_width[var]
            problems += _check_item(item, df[var], sas_type, width, where, codelists)
            if r.get(f"{DEF}HasNoData") == "Yes" and df[var].replace("", np.nan).notna().any():
                problems.append(f"{where}: HasNoData but the column has values")
            fmt = item.get(f"{DEF}DisplayFormat")
            if fmt and meta.original_variable_types[var].rstrip(".") != fmt.rstrip("."):
                problems.append(f"{where}: DisplayFormat {fmt}, file "
                                f"{meta.original_variable_types[var]}")
            vl = item.xpath("def:ValueListRef/@ValueListOID", namespaces=NS)
            if not vl:
                continue
            for vref in vls[vl[0]].xpath("odm:ItemRef", namespaces=NS):
                mask = pd.Series(True, index=df.index)
                wc = vref.xpath("def:WhereClauseRef/@WhereClauseOID", namespaces=NS)[0]
                for rc in wcs[wc].xpath("odm:RangeCheck", namespaces=NS):
                    wvar = items[rc.get(f"{DEF}ItemOID")].get("Name")
                    vals = [c.text for c in rc.xpath("odm:CheckValue", namespaces=NS)]
                    hit = df[wvar].astype(str).isin(vals)
                    mask &= ~hit if rc.get("Comparator") in ("NE", "NOTIN") else hit
                if not mask.any():
                    problems.append(f"{where}: value-level item {vref.get('ItemOID')} selects "
                                    "no record")
                vitem = items[vref.get("ItemOID")]
                problems += _check_item(vitem, df.loc[mask, var], sas_type, None,
                                        vref.get("ItemOID"), codelists)
    files = {p.name for p in folder.glob("*.xpt")}
    for f in sorted(files - described):
        problems.append(f"{f} is in the package but not described")
    for href in tree.xpath("//def:leaf/@xlink:href", namespaces=NS):
        if not (folder / href).is_file():
            problems.append(f"leaf {href} is not present")
    pi = tree.getroot().getprevious()
    if pi is not None and "href=" in pi.text and not (folder / pi.get("href")).is_file():
        problems.append(f"stylesheet {pi.get('href')} is not present")
    return problems


def test_define_6_matches_the_data_written(sdtm, adam):
    for sid, xml, folder in _all_defines(sdtm, adam):
        assert data_problems(xml, folder) == [], sid


def test_define_7_data_check_catches_a_wrong_length_and_a_foreign_term(sdtm, tmp_path):
    p = sdtm["ADT2002-P1"]
    tree = etree.parse(str(p["xml"]))
    tree.xpath("//odm:ItemDef[@OID='IT.DM.SUBJID']", namespaces=NS)[0].set("Length", "99")
    sex = tree.xpath("//odm:CodeList[@OID='CL.SEX']", namespaces=NS)[0]
    for item in sex.xpath("odm:EnumeratedItem[@CodedValue='F']", namespaces=NS):
        sex.remove(item)
    bad = p["folder"] / "define-broken.xml"
    tree.write(str(bad))
    try:
        problems = data_problems(bad, p["folder"])
    finally:
        bad.unlink()
    assert any("DM.SUBJID: Length 99" in x for x in problems)
    assert any("DM.SEX: values not in CL.SEX: ['F']" in x for x in problems)


# ----------------------------------------------------------------------------------- content

def test_define_8_content_follows_the_spec(sdtm):
    p = sdtm["ADT2002-P1"]
    tree = etree.parse(str(p["xml"]))
    x = lambda path: tree.xpath(path, namespaces=NS)          # noqa: E731
    stds = {(s.get("Name"), s.get("Version"), s.get("PublishingSet")) for s in x("//def:Standard")}
    assert stds == {("SDTMIG", "3.4", None), ("CDISC/NCI", "2025-03-28", "SDTM")}
    dm = x("//odm:ItemGroupDef[@OID='IG.DM']")[0]
    assert dm.get("Purpose") == "Tabulation" and dm.get(f"{DEF}Structure") == "One record per subject"
    assert x("//odm:ItemGroupDef[@OID='IG.DM']/def:Class/@Name") == ["SPECIAL PURPOSE"]
    assert x("//odm:ItemGroupDef[@OID='IG.SUPPAE']/odm:Alias/@Name") == ["Adverse Events"]
    # keys
    keyed = x("//odm:ItemGroupDef[@OID='IG.AE']/odm:ItemRef[@KeySequence]")
    assert [k.get("ItemOID") for k in sorted(keyed, key=lambda k: int(k.get("KeySequence")))] == \
        [f"IT.AE.{v}" for v in p["result"].specs["AE"].keys]
    # origins and methods from the mapping methods
    age = x("//odm:ItemDef[@OID='IT.DM.AGE']")[0]
    assert age.xpath("def:Origin/@Type", namespaces=NS) == ["Derived"]
    assert x("//odm:ItemRef[@ItemOID='IT.DM.AGE']/@MethodOID") == ["MT.DM.AGE"]
    assert _text(x("//odm:MethodDef[@OID='MT.DM.AGE']")[0]) == \
        p["result"].specs["DM"].variable("AGE").method_text
    sex = x("//odm:ItemDef[@OID='IT.DM.SEX']/def:Origin")[0]
    assert (sex.get("Type"), sex.get("Source")) == ("Collected", "Investigator")
    assert "form dm" in _text(sex)
    # questionnaires the subject completes
    dlqi = x("//odm:ItemDef[@OID='IT.QS.QSORRES.DLQI101']/def:Origin")[0]
    assert (dlqi.get("Type"), dlqi.get("Source")) == ("Collected", "Subject")
    easi = x("//odm:ItemDef[@OID='IT.QS.QSORRES.EASIHNER']/def:Origin")[0]
    assert easi.get("Source") == "Investigator" and "field HN_ERY" in _text(easi)
    # CDISC codelist with NCI codes; sponsor list without; extended term marked
    assert x("//odm:CodeList[@OID='CL.SEX']/odm:Alias/@Name") == ["C66731"]
    assert x("//odm:CodeList[@OID='CL.SEX']/*/odm:Alias[@Context='nci:ExtCodeID']")
    assert x("//odm:CodeList[@OID='CL.AEREL']/odm:Alias") == []
    ext = x("//odm:CodeList[@OID='CL.QSCAT']/odm:EnumeratedItem[@CodedValue='EASI']")[0]
    assert ext.get(f"{DEF}ExtendedValue") == "Yes" and not ext.xpath("odm:Alias", namespaces=NS)
    dlqi_cl = x("//odm:CodeList[@OID='CL.QSCAT']/odm:EnumeratedItem[@CodedValue='DLQI']")[0]
    assert dlqi_cl.xpath("odm:Alias/@Name", namespaces=NS)
    # test codes decoded with test names; EASI codes sponsor-defined, DLQI codes CDISC
    tc = x("//odm:CodeList[@OID='CL.QS.QSTESTCD']")[0]
    easi_item = tc.xpath("odm:CodeListItem[@CodedValue='EASIHNER']", namespaces=NS)[0]
    assert _text(easi_item, "odm:Decode/odm:TranslatedText") == "EASI-Head/Neck Erythema"
    assert not easi_item.xpath("odm:Alias", namespaces=NS)
    assert tc.xpath("odm:CodeListItem[@CodedValue='DLQI101']/odm:Alias/@Name", namespaces=NS)
    # value-level metadata: QS by QSTESTCD, SUPP-- by QNAM
    assert x("//def:WhereClauseDef[@OID='WC.QS.QSTESTCD.EASIHNER']/odm:RangeCheck/odm:CheckValue"
             )[0].text == "EASIHNER"
    assert x("//def:ValueListDef[@OID='VL.SUPPAE.QVAL']/odm:ItemRef/@ItemOID") == \
        ["IT.SUPPAE.QVAL.AEIRR"]
    assert _text(x("//odm:ItemDef[@OID='IT.SUPPAE.QVAL.AEIRR']")[0]) == "Infusion-Related Reaction"
    # the sponsor's dictionary as an external code list, named as in the study file
    ext = x("//odm:ItemDef[@OID='IT.AE.AEDECOD']/odm:CodeListRef/@CodeListOID")[0]
    ecl = x(f"//odm:CodeList[@OID='{ext}']/odm:ExternalCodeList")[0]
    assert (ecl.get("Dictionary"), ecl.get("Version")) == ("Sponsor AE dictionary", "1.0")
    com = x(f"//odm:CodeList[@OID='{ext}']/@def:CommentOID")[0]
    assert "these are not MedDRA codes" in _text(x(f"//def:CommentDef[@OID='{com}']")[0])
    # ISO 8601 dates as date types with no Length; numbers with their digits
    assert x("//odm:ItemDef[@OID='IT.AE.AESTDTC']/@DataType")[0] in ("date", "partialDate")
    assert x("//odm:ItemDef[@OID='IT.AE.AESTDTC']/@Length") == []
    assert x("//odm:ItemDef[@OID='IT.TE.TEDUR']/@DataType") == ["durationDatetime"]


def test_define_9_deterministic(sdtm, adam):
    p = sdtm["ADT2002-P1"]
    r = p["result"]
    info = load_define_info(r.study.id, ROOT / "define")
    again = [build_define(r.study, r.specs, p["data"], standard="SDTMIG 3.4", created=CREATED,
                          codelists=p["codelists"], info=info, folder=p["folder"])
             for _ in range(2)]
    assert again[0] == again[1] == p["xml"].read_bytes()
    assert render_html(again[0]) == p["html"].read_bytes()


def test_define_10_documents_only_where_present(sdtm, tmp_path):
    p = sdtm["ADT2002-P1"]
    r = p["result"]
    folder = tmp_path / "sdtm"
    shutil.copytree(p["folder"], folder)
    ddir = tmp_path / "define"
    ddir.mkdir()
    (ddir / "ADT2002-P1.yaml").write_text(
        "define: {study: ADT2002-P1}\n"
        "collected_by_subject: [dlqi, nrs]\n"
        "documents:\n"
        "  acrf: {file: acrf.pdf, title: Annotated CRF, kind: annotated_crf,\n"
        "         packages: [tabulation], pages: {dm: 3, ae: 7}}\n"
        "  csdrg: {file: csdrg.pdf, title: Reviewer's Guide, kind: supplemental,\n"
        "          packages: [tabulation]}\n", encoding="utf-8")
    (folder / "acrf.pdf").write_bytes(b"%PDF-1.4\n")
    xml, _ = write_define(r.study, r.specs, p["data"], folder, created=CREATED,
                          codelists=p["codelists"], define_dir=ddir)
    tree = etree.parse(str(xml))
    x = lambda path: tree.xpath(path, namespaces=NS)          # noqa: E731
    assert x("//def:AnnotatedCRF/def:DocumentRef/@leafID") == ["LF.acrf"]
    assert x("//def:SupplementalDoc") == []                     # csdrg.pdf is not there
    assert x("//odm:ItemDef[@OID='IT.DM.SEX']/def:Origin/def:DocumentRef/def:PDFPageRef/@PageRefs"
             ) == ["3"]
    assert reference_problems(tree) == []
    assert data_problems(xml, folder) == []


# ----------------------------------------------------------------------------------- ADaM + ARM

def test_define_11_adam_package_with_analysis_results(adam):
    tree = etree.parse(str(adam["xml"]))
    x = lambda path: tree.xpath(path, namespaces=NS)          # noqa: E731
    assert x("//odm:ItemGroupDef/@Name") == ["ADSL", "ADEFF", "ADAE"]
    assert set(x("//odm:ItemGroupDef/@Purpose")) == {"Analysis"}
    assert x("//odm:ItemGroupDef/@Domain") == []
    stds = {(s.get("Name"), s.get("PublishingSet")) for s in x("//def:Standard")}
    assert stds == {("ADaMIG", None), ("CDISC/NCI", "SDTM")}
    trtsdt = x("//odm:ItemDef[@OID='IT.ADSL.TRTSDT']")[0]
    assert (trtsdt.get("DataType"), trtsdt.get(f"{DEF}DisplayFormat")) == ("integer", "DATE9.")
    age = x("//odm:ItemDef[@OID='IT.ADSL.AGE']/def:Origin")[0]
    assert age.get("Type") == "Predecessor" and _text(age) == "DM.AGE"
    # value level by PARAMCD
    assert x("//def:ValueListDef[@OID='VL.ADEFF.AVAL']/odm:ItemRef/@ItemOID") == \
        ["IT.ADEFF.AVAL.EASI", "IT.ADEFF.AVAL.EASI50"]
    assert x("//odm:ItemDef[@OID='IT.ADEFF.AVAL.EASI']/@DataType") == ["float"]
    assert x("//odm:ItemDef[@OID='IT.ADEFF.AVAL.EASI50']/@DataType") == ["integer"]
    # a value-level row lists only the terms its records take: N and Y of NY, not NA or U
    assert x("//odm:ItemDef[@OID='IT.ADEFF.AVALC.EASI50']/odm:CodeListRef/@CodeListOID") == \
        ["CL.NY.N.Y"]
    assert x("//odm:CodeList[@OID='CL.NY.N.Y']/*/@CodedValue") == ["N", "Y"]
    # the predecessor's dictionary follows AEDECOD into ADAE
    assert x("//odm:ItemDef[@OID='IT.ADAE.AEDECOD']/odm:CodeListRef/@CodeListOID") == ["CL.DICT.ae"]
    # ARM: the primary analysis, EASI-50 at week 12
    ar = x("//arm:ResultDisplay[@Name='Table 14.2.1']/arm:AnalysisResult")[0]
    assert (ar.get("AnalysisReason"), ar.get("AnalysisPurpose"), ar.get("ParameterOID")) == \
        ("SPECIFIED IN PROTOCOL", "PRIMARY OUTCOME MEASURE", "IT.ADEFF.PARAMCD")
    ds = ar.xpath("arm:AnalysisDatasets/arm:AnalysisDataset", namespaces=NS)
    assert [d.get("ItemGroupOID") for d in ds] == ["IG.ADEFF", "IG.ADSL"]
    assert ds[0].xpath("arm:AnalysisVariable/@ItemOID", namespaces=NS) == ["IT.ADEFF.AVALC"]
    wc = ds[0].xpath("def:WhereClauseRef/@WhereClauseOID", namespaces=NS)[0]
    checks = {(rc.get(f"{DEF}ItemOID"), rc.get("Comparator"),
               tuple(c.text for c in rc.xpath("odm:CheckValue", namespaces=NS)))
              for rc in x(f"//def:WhereClauseDef[@OID='{wc}']/odm:RangeCheck")}
    assert checks == {("IT.ADEFF.PARAMCD", "EQ", ("EASI50",)),
                      ("IT.ADEFF.AVISIT", "EQ", ("Week 12",))}
    assert ar.xpath("arm:ProgrammingCode/arm:Code", namespaces=NS)[0].text == \
        "scipy.stats.fisher_exact(table)"
    assert ar.xpath("arm:Documentation/def:DocumentRef/@leafID", namespaces=NS) == ["LF.sap"]
    assert x("//def:SupplementalDoc/def:DocumentRef/@leafID") == ["LF.adrg"]
    html = adam["html"].read_text(encoding="utf-8")
    assert "Analysis Results Metadata" in html and "Table 14.2.1" in html


def test_define_12_analysis_result_naming_a_missing_dataset_is_an_error_at_its_line(adam, tmp_path):
    ddir = tmp_path / "define"
    ddir.mkdir()
    shutil.copy(adam["define_dir"] / "common.yaml", ddir / "common.yaml")
    text = ADAM_DEFINE.replace("- dataset: ADEFF", "- dataset: ADXYZ")
    (ddir / "ADT2002-P2.yaml").write_text(text, encoding="utf-8")
    line = text.splitlines().index("          - dataset: ADXYZ") + 1
    with pytest.raises(MappingError) as e:
        write_define(adam["study"], adam["specs"], adam["data"], tmp_path / "adam",
                     standard="ADaMIG 1.3", created=CREATED, codelists=adam["codelists"],
                     define_dir=ddir)
    assert f"ADT2002-P2.yaml:{line}" in str(e.value) and "no dataset ADXYZ" in str(e.value)


# ----------------------------------------------------------------------------------- define files

def test_define_13_study_define_files_are_valid():
    for sid in STUDIES:
        info = load_define_info(sid, ROOT / "define")
        assert info.files == ("define/common.yaml", f"define/{sid}.yaml")
        assert info.standard("tabulation").version == "3.4"
        assert {"dlqi", "nrs"} == set(info.subject_forms)
        # the sample's ARM comes from the analyses declared in its ADaM specs (test_results.py)
        assert info.analysis_results == ()


def test_define_14_define_file_mistakes_are_reported_by_file_line_key(tmp_path):
    (tmp_path / "S1.yaml").write_text(
        "define:\n  study: S1\ncomments:\n  datasets: {QS: fine}\n  varables: {}\n",
        encoding="utf-8")
    with pytest.raises(MappingError) as e:
        load_define_info("S1", tmp_path)
    assert "S1.yaml:5" in str(e.value) and "unknown key 'varables'" in str(e.value) \
        and "did you mean 'variables'" in str(e.value)
    (tmp_path / "S2.yaml").write_text("define:\n  study: S9\n", encoding="utf-8")
    with pytest.raises(MappingError, match=r"S2.yaml:2.*for study 'S9'"):
        load_define_info("S2", tmp_path)


def test_define_15_ct_version_other_than_the_run_used_is_an_error(sdtm):
    p = sdtm["ADT2002-P1"]
    r = p["result"]
    with pytest.raises(MappingError, match=r"common.yaml:\d+.*SDTM CT 2025-03-28.*2024-12-20"):
        build_define(r.study, r.specs, p["data"], standard="SDTMIG 3.4", created=CREATED,
                     codelists=p["codelists"], info=load_define_info(r.study.id, ROOT / "define"),
                     folder=p["folder"], ct_versions={"SDTM": "2024-12-20"})


# ----------------------------------------------------------------------------------- HTML

def _html_text(html: bytes) -> str:
    return " ".join(etree.HTML(html).itertext())


def test_define_16_html_shows_datasets_and_variables(sdtm, reference):
    for sid, p in sdtm.items():
        xml = p["xml"].read_bytes()
        shipped = _html_text(p["html"].read_bytes())
        cdisc = _html_text(render_html(
            xml, reference / "define-xml-2.1" / "stylesheet" / "define2-1.xsl"))
        for text in (shipped, cdisc):
            for name, spec in p["result"].specs.items():
                assert spec.label in text, (sid, name)
            assert "USUBJID" in text and "QSORRES" in text and "EASIHNER" in text
            assert re.search(r"Sponsor AE dictionary", text)
