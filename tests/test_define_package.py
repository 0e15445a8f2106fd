"""The define.xml files of the written sample packages, and the CORE findings fixed in the data.

Both sample studies are converted with ADaM, as ``cdisc-map convert`` does.  The tests follow every
link of each define.xml and define.html from the define's own folder, validate both defines against
the Define-XML 2.1 schemas (the ARM 1.0 entry point for ADaM) with lxml and xmlschema, hold the
Role of every ItemRef against the SDTMIG, and check on the written SDTM files what CDISC CORE
reported: CORE-000024 (AEBDSYCD), CORE-000741 (TS PCLAS), CORE-001080 (TS DOSU in UNIT with its
code), CORE-001081 (Role) and CORE-000701 (EPOCH on partial dates).
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlparse

import lxml.html
import pandas as pd
import pytest
from lxml import etree

from cdisc_mapper.engine.run import convert_study
from cdisc_mapper.standards import load_standard

ROOT = Path(__file__).resolve().parents[1]
STUDIES = ("ADT2002-P1", "ADT2002-P2")
CREATED = datetime(2024, 1, 1)
NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3", "def": "http://www.cdisc.org/ns/def/v2.1",
      "xlink": "http://www.w3.org/1999/xlink", "arm": "http://www.cdisc.org/ns/arm/v1.0"}
XLINK = "{http://www.w3.org/1999/xlink}href"


@pytest.fixture(scope="module")
def packages(tmp_path_factory):
    out = tmp_path_factory.mktemp("define-package")
    return {sid: convert_study(ROOT / "mappings" / sid / "study.yaml", out, created=CREATED,
                               analysis=True).out_dir for sid in STUDIES}


def _defines(packages):
    for sid, folder in packages.items():
        yield sid, "SDTM", folder / "tabulations" / "sdtm" / "define.xml"
        yield sid, "ADaM", folder / "analysis" / "adam" / "datasets" / "define.xml"


def _xpt(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_sas(folder / "tabulations" / "sdtm" / f"{name}.xpt", format="xport",
                       encoding="utf-8")


# ------------------------------------------------------------------------------------ layout

def test_each_define_sits_beside_the_datasets_it_describes(packages):
    for sid, kind, xml in _defines(packages):
        assert xml.is_file() and (xml.parent / "define.html").is_file(), (sid, kind)
        assert (xml.parent / "define2-1.xsl").is_file()
        tree = etree.parse(str(xml))
        names = tree.xpath("//odm:ItemGroupDef/@Name", namespaces=NS)
        assert names and all((xml.parent / f"{n.lower()}.xpt").is_file() for n in names), \
            (sid, kind)
    for folder in packages.values():
        assert not (folder / "analysis" / "adam" / "define.xml").exists()


def test_every_leaf_and_document_link_resolves_from_the_define_folder(packages):
    for sid, kind, xml in _defines(packages):
        tree = etree.parse(str(xml))
        hrefs = tree.xpath("//def:leaf/@xlink:href", namespaces=NS)
        assert hrefs, (sid, kind)
        missing = [h for h in hrefs if not (xml.parent / unquote(h)).is_file()]
        assert missing == [], (sid, kind, missing)
        # every leaf an ItemGroupDef or a DocumentRef names exists
        leaves = set(tree.xpath("//def:leaf/@ID", namespaces=NS))
        used = set(tree.xpath("//@def:ArchiveLocationID | //def:DocumentRef/@leafID",
                              namespaces=NS))
        assert used <= leaves, (sid, kind, used - leaves)
        pi = tree.getroot().getprevious()
        assert (xml.parent / re.search(r'href="([^"]+)"', pi.text).group(1)).is_file()


def test_every_link_of_define_html_resolves(packages):
    for sid, kind, xml in _defines(packages):
        html = xml.parent / "define.html"
        doc = lxml.html.parse(str(html)).getroot()
        ids = set(doc.xpath("//@id")) | set(doc.xpath("//a/@name"))
        links = doc.xpath("//a/@href")
        assert len(links) > 20, (sid, kind)
        for href in links:
            u = urlparse(href)
            if u.scheme in ("http", "https", "mailto", "javascript"):
                continue
            if u.path:
                assert (html.parent / unquote(u.path)).is_file(), (sid, kind, href)
            elif u.fragment:
                assert u.fragment in ids, (sid, kind, href)


# ------------------------------------------------------------------------------------ schema

def test_both_defines_are_valid_against_the_define_2_1_schemas(packages, reference):
    import xmlschema

    base = reference / "define-xml-2.1" / "schema"
    if not base.is_dir():
        base = next(reference.glob("**/cdisc-define-2.1")).parent
    define = base / "cdisc-define-2.1" / "define2-1-0.xsd"
    arm = base / "cdisc-arm-1.0" / "arm1-0-0.xsd"
    for sid, kind, xml in _defines(packages):
        xsd = arm if kind == "ADaM" else define
        schema = etree.XMLSchema(etree.parse(str(xsd)))
        assert schema.validate(etree.parse(str(xml))), (sid, kind, schema.error_log)
        errors = list(xmlschema.XMLSchema(str(xsd)).iter_errors(str(xml)))
        assert errors == [], (sid, kind, [str(e)[:300] for e in errors[:3]])


# ------------------------------------------------------------------------------------ content

def test_role_on_every_sdtm_itemref_from_the_standard_and_none_in_adam(packages):
    std = load_standard("SDTMIG", "3.4")
    for sid, kind, xml in _defines(packages):
        tree = etree.parse(str(xml))
        if kind == "ADaM":       # as CDISC's ADaM example: the ADaMIG gives no roles
            assert tree.xpath("//odm:ItemRef/@Role", namespaces=NS) == []
            continue
        names = {i.get("OID"): i.get("Name") for i in tree.xpath("//odm:ItemDef", namespaces=NS)}
        refs = tree.xpath("//odm:ItemGroupDef/odm:ItemRef", namespaces=NS)
        assert len(refs) > 150
        for ref in refs:
            ds = ref.getparent().get("Name")
            var = std.dataset(ds).variable(names[ref.get("ItemOID")])
            assert ref.get("Role") == var.role, (sid, ds, var.name)
        vlm = tree.xpath("//def:ValueListDef/odm:ItemRef", namespaces=NS)
        assert vlm and all(r.get("Role") for r in vlm)
        assert {r.get("Role") for r in refs} >= {"Identifier", "Topic", "Timing",
                                                 "Record Qualifier", "Result Qualifier"}


def test_define_texts_never_cite_a_file_of_the_project(packages):
    for sid, kind, xml in _defines(packages):
        text = " ".join(etree.parse(str(xml)).xpath("//odm:TranslatedText/text()",
                                                      namespaces=NS))
        assert not re.search(r"mappings/|\.ya?ml\b|study file \(", text), (sid, kind)


def test_value_level_rows_name_only_their_own_raw_column(packages):
    xml = packages["ADT2002-P2"] / "tabulations" / "sdtm" / "define.xml"
    tree = etree.parse(str(xml))
    com = tree.xpath("//odm:ItemDef[@OID='IT.QS.QSORRES.EASIHNER']/@def:CommentOID",
                     namespaces=NS)[0]
    text = tree.xpath(f"//def:CommentDef[@OID='{com}']//odm:TranslatedText/text()",
                      namespaces=NS)[0]
    assert "HN_ERY" in text and "HN_EDE" not in text and "UL_ERY" not in text


def test_adam_flags_and_groups_have_their_own_codelists(packages):
    for sid in STUDIES:
        folder = packages[sid] / "analysis" / "adam" / "datasets"
        tree = etree.parse(str(folder / "define.xml"))

        def terms(ds, var):
            oid = tree.xpath(f"//odm:ItemDef[@OID='IT.{ds}.{var}']/odm:CodeListRef/@CodeListOID",
                             namespaces=NS)
            assert oid, (sid, ds, var)
            return tree.xpath(f"//odm:CodeList[@OID='{oid[0]}']/*/@CodedValue", namespaces=NS)

        adsl = pd.read_sas(folder / "adsl.xpt", format="xport", encoding="utf-8")
        adae = pd.read_sas(folder / "adae.xpt", format="xport", encoding="utf-8")
        for flag in ("SAFFL", "FASFL", "RANDFL"):          # population flags: Y or N
            assert terms("ADSL", flag) == ["N", "Y"]
        assert terms("ADAE", "TRTEMFL") == ["Y"]            # record flags: Y or null
        assert set(adae["TRTEMFL"]) <= {"Y", ""}
        groups = terms("ADSL", "AGEGR1")
        assert set(groups) == set(adsl["AGEGR1"]) - {""}
        by_n = adsl.drop_duplicates("AGEGR1N").sort_values("AGEGR1N")["AGEGR1"].tolist()
        assert groups == by_n                             # in the order of AGEGR1N
        method = tree.xpath("//odm:MethodDef[@OID='MT.ADSL.SAFFL']//odm:TranslatedText/text()",
                            namespaces=NS)[0]
        assert "EX record with a start date" in method and "is present with" not in method


# ------------------------------------------------------------------------------------ CORE

def test_core_000024_every_dictionary_level_has_its_code(packages):
    dictionary = pd.read_csv(ROOT / "mappings" / "dictionaries" / "ae_dictionary.csv", dtype=str)
    for sid, folder in packages.items():
        ae = _xpt(folder, "ae")
        for term, code in (("AELLT", "AELLTCD"), ("AEDECOD", "AEPTCD"), ("AEHLT", "AEHLTCD"),
                           ("AEHLGT", "AEHLGTCD"), ("AEBODSYS", "AEBDSYCD"), ("AESOC", "AESOCCD")):
            assert (ae[term] != "").all() and ae[code].notna().all(), (sid, code)
            # one code per term (CORE-000706 and its kin) and the dictionary's code
            assert (ae.groupby(term)[code].nunique() == 1).all(), (sid, code)
        merged = ae.merge(dictionary, left_on="AELLT", right_on="LLT")
        assert len(merged) == len(ae)
        assert (merged["AEBDSYCD"].astype(int).astype(str) == merged["SOCCD"]).all()
        assert (merged["AEPTCD"].astype(int).astype(str) == merged["PTCD"]).all()
        assert (ae["AEBDSYCD"] == ae["AESOCCD"]).all()


def test_core_000741_and_001080_trial_summary(packages, reference):
    ct = pd.read_csv(reference / "ct" / "SDTM_Terminology_2025-03-28.txt", sep="\t", dtype=str)
    unit = ct[ct["Codelist Code"] == "C71620"]
    for sid, folder in packages.items():
        ts = _xpt(folder, "ts")
        assert ts.loc[ts.TSPARMCD == "STYPE", "TSVAL"].tolist() == ["INTERVENTIONAL"]
        for parm in ("INTMODEL", "INTTYPE", "PCLAS"):        # FDA: all three, TSVAL populated
            assert (ts.loc[ts.TSPARMCD == parm, "TSVAL"] != "").any(), (sid, parm)
        dosu = ts[ts.TSPARMCD == "DOSU"].iloc[0]
        hit = unit[unit["CDISC Submission Value"] == dosu.TSVAL]
        assert len(hit) == 1 and dosu.TSVCDREF == "CDISC CT" and dosu.TSVALCD == hit["Code"].item()
        # CDISC CT declared means a code on every such record
        cdisc = ts[ts.TSVCDREF == "CDISC CT"]
        assert (cdisc.TSVALCD != "").all(), sid
        doses = sorted(float(v) for v in ts.loc[ts.TSPARMCD == "DOSE", "TSVAL"])
        assert doses == ([5.0, 10.0] if sid == "ADT2002-P1" else [5.0])   # x 10^5 cells/kg


def test_core_000701_epoch_on_partial_dates_where_one_epoch_holds_the_whole_range(packages):
    """Oracle: the subject's SE elements; a day belongs to the element that started last on or
    before it.  A partial date gets an EPOCH exactly when every possible day has the same one."""
    for sid, folder in packages.items():
        ae, se = _xpt(folder, "ae"), _xpt(folder, "se")
        partial = ae[ae.AESTDTC.str.len().between(4, 7)]
        assert len(partial), sid
        for _, r in partial.iterrows():
            first = pd.Timestamp(r.AESTDTC + ("-01" if len(r.AESTDTC) == 7 else "-01-01"))
            last = first + (pd.offsets.MonthEnd(0) if len(r.AESTDTC) == 7 else pd.offsets.YearEnd(0))
            el = se[se.USUBJID == r.USUBJID]
            starts = pd.to_datetime(el.SESTDTC.str.slice(0, 10)).to_numpy()
            epochs = []
            for day in pd.date_range(first, last):
                before = el[starts <= day.to_datetime64()]
                epochs.append(before.iloc[-1].EPOCH if len(before) else "")
            expected = epochs[0] if len(set(epochs)) == 1 else ""
            assert r.EPOCH == expected, (sid, r.USUBJID, r.AESTDTC, r.EPOCH, expected)
        assert (partial.EPOCH != "").any(), sid


def test_value_level_codelists_hold_only_the_terms_of_their_where_clause(packages):
    folder = packages["ADT2002-P2"]
    tree = etree.parse(str(folder / "tabulations" / "sdtm" / "define.xml"))
    qs = _xpt(folder, "qs")
    checked = 0
    for ref in tree.xpath("//def:ValueListDef[@OID='VL.QS.QSORRES']/odm:ItemRef", namespaces=NS):
        item = tree.xpath(f"//odm:ItemDef[@OID='{ref.get('ItemOID')}']", namespaces=NS)[0]
        cl = item.xpath("odm:CodeListRef/@CodeListOID", namespaces=NS)
        if not cl:
            continue
        wc = ref.xpath("def:WhereClauseRef/@WhereClauseOID", namespaces=NS)[0]
        code = tree.xpath(f"//def:WhereClauseDef[@OID='{wc}']//odm:CheckValue/text()",
                          namespaces=NS)
        terms = set(tree.xpath(f"//odm:CodeList[@OID='{cl[0]}']/*/@CodedValue", namespaces=NS))
        taken = set(qs.loc[qs.QSTESTCD.isin(code), "QSORRES"]) - {""}
        assert terms == taken, (code, terms, taken)
        checked += 1
    assert checked >= 10
