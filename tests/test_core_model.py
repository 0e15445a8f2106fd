"""The SDTM model behind SDTMIG 3.4 and the CORE Operations that read it; standard versions the
product does not ship."""

from __future__ import annotations

import csv
from collections import defaultdict

import pandas as pd
import pytest

from cdisc_mapper.core.engine import Study, run_rule
from cdisc_mapper.core.frame import Unsupported, Work
from cdisc_mapper.core.model import load_model, model_variables
from cdisc_mapper.core.operations import run_operation
from cdisc_mapper.core.rules import load_rule_file
from cdisc_mapper.standards import load_standard
from cdisc_mapper.validate.load import load_package

_GENERAL = ("Interventions", "Events", "Findings", "Findings About")


def _write_package(d, datasets: dict[str, dict[str, list]], env="PRODUCT=SDTMIG\nVERSION=3-4\n"):
    d.mkdir(parents=True)
    (d / ".env").write_text(env)
    (d / "_datasets.csv").write_text("Filename,Label\n" + "".join(
        f"{n.lower()},{n}\n" for n in datasets))
    rows = ["dataset,variable,label,type,length"]
    for n, cols in datasets.items():
        (d / f"{n.lower()}.csv").write_text(pd.DataFrame(cols).to_csv(index=False))
        rows += [f"{n.lower()},{c},{c},Char,20" for c in cols]
    (d / "_variables.csv").write_text("\n".join(rows) + "\n")
    return d


def _study(pkg):
    return Study(pkg, "SDTMIG", "3.4", load_standard("SDTMIG", "3.4"))


class _DS:
    def __init__(self, name, domain=None):
        self.name, self.domain = name, domain or name
        self.data = pd.DataFrame()


def test_model_allows_every_sdtmig_34_variable(reference):
    """Every variable SDTMIG 3.4 puts in a dataset is one the SDTM v2.0 model allows there, with
    the same role where the role is Identifier, Topic or Timing; every dataset of no general
    class is one the model defines."""
    std = load_standard("SDTMIG", "3.4")
    study = Study(None, "SDTMIG", "3.4", std)
    by = defaultdict(list)
    with open(reference / "standards" / "sdtm_ig_v3.4_Variables.csv", encoding="utf-8-sig") as f:
        for r in csv.DictReader(f):
            by[(r["Class"], r["Dataset Name"])].append(r)
    assert len(by) == 63
    model = load_model("2.0")
    for (cls, name), rows in by.items():
        if cls not in _GENERAL:
            assert name in model["datasets"] or name.startswith("SUPP"), name
        allowed = dict(model_variables(study, _DS(name)))
        for r in rows:
            v = r["Variable Name"]
            assert v in allowed, (name, v)
            if r["Role"] in ("Identifier", "Topic", "Timing"):
                assert allowed[v] == r["Role"], (name, v)


def test_model_variables_follow_the_class_structure():
    study = Study(None, "SDTMIG", "3.4", load_standard("SDTMIG", "3.4"))
    ae = [n for n, _ in model_variables(study, _DS("AE"))]
    # identifiers, then the Events class, then timing
    assert ae[:3] == ["STUDYID", "DOMAIN", "USUBJID"] and ae.index("AESEQ") < ae.index("AETERM")
    assert ae.index("AETERM") < ae.index("AESER") < ae.index("VISITNUM") < ae.index("AESTDTC")
    assert "AETESTCD" not in ae and ae[-1] == "AEPDUR"
    fa = [n for n, _ in model_variables(study, _DS("FA"))]
    assert fa.index("FATEST") + 1 == fa.index("FAOBJ")
    apeg = [n for n, _ in model_variables(study, _DS("APEG"))]
    assert {"APID", "RSUBJID", "SREL", "EGTESTCD", "EGBEATNO"} <= set(apeg)
    assert "USUBJID" in apeg and "APEGTESTCD" not in apeg
    dm = [n for n, _ in model_variables(study, _DS("DM"))]
    assert dm[:4] == ["STUDYID", "DOMAIN", "USUBJID", "SUBJID"] and "VISITNUM" not in dm
    supp = [n for n, _ in model_variables(study, _DS("SUPPAE", "AE"))]
    assert "QNAM" in supp and "AETERM" not in supp
    with pytest.raises(Unsupported, match="no SDTM model for SENDIG"):
        model_variables(Study(None, "SENDIG", "3.1"), _DS("LB"))


_VARMETA = """Core: {Id: CORE-990001, Status: Published}
Authorities: [{Organization: CDISC, Standards: [{Name: SDTMIG, Version: "3.4"}]}]
Rule Type: Variable Metadata Check
Sensitivity: Record
Scope: {Classes: {Include: [ALL]}, Domains: {Include: [ALL]}}
Operations: [{id: $allowed, operator: get_model_column_order}]
Check: {all: [{name: variable_name, operator: is_not_contained_by, value: $allowed}]}
Outcome: {Message: not a model variable, Output Variables: [variable_name]}
"""

_SUPP = """Core: {Id: CORE-990002, Status: Published}
Authorities: [{Organization: CDISC, Standards: [{Name: SDTMIG, Version: "3.4"}]}]
Rule Type: Record Data
Sensitivity: Record
Scope: {Classes: {Include: [RELATIONSHIP]}, Domains: {Include: [SUPP--]}}
Operations: [{id: $model_variables, operator: get_parent_model_column_order}]
Check: {all: [{name: QNAM, operator: is_contained_by, value: $model_variables}]}
Outcome: {Message: QNAM is a model variable, Output Variables: [QNAM]}
"""


def test_model_operations_in_rules(tmp_path):
    d = _write_package(tmp_path / "data", {
        "AE": {"STUDYID": ["S"], "DOMAIN": ["AE"], "USUBJID": ["1"], "AESEQ": ["1"],
               "AETERM": ["HEADACHE"], "AESTDYXX": ["3"], "AESTDTC": ["2020-01-02"]},
        "APEG": {"STUDYID": ["S"], "DOMAIN": ["APEG"], "APID": ["A1"], "EGSEQ": ["1"],
                 "RSUBJID": ["1"], "EGTESTCD": ["QT"], "XEGBEATNO": ["1"]},
        "SUPPAE": {"STUDYID": ["S", "S", "S"], "RDOMAIN": ["AE", "AE", "CM"],
                   "USUBJID": ["1", "1", "1"], "IDVAR": ["AESEQ"] * 3, "IDVARVAL": ["1"] * 3,
                   "QNAM": ["AESEV", "AEXTRA", "CMDOSE"], "QLABEL": ["x"] * 3,
                   "QVAL": ["MILD", "Y", "1"]}})
    study = _study(load_package(d))
    (tmp_path / "r1.yml").write_text(_VARMETA)
    run = run_rule(load_rule_file(tmp_path / "r1.yml"), study)
    got = {(f.dataset, f.values[0]) for f in run.findings}
    assert got == {("AE", "AESTDYXX"), ("APEG", "XEGBEATNO")}
    (tmp_path / "r2.yml").write_text(_SUPP)
    run = run_rule(load_rule_file(tmp_path / "r2.yml"), study)
    # AESEV is an Events variable of AE; CMDOSE's parent (CM) is not in the package
    assert [(f.dataset, f.record) for f in run.findings] == [("SUPPAE", 1)]


def test_model_filtered_variables_and_grouping_by_a_variable_list(tmp_path):
    d = _write_package(tmp_path / "data", {
        "VS": {"STUDYID": ["S"] * 4, "DOMAIN": ["VS"] * 4, "USUBJID": ["1", "1", "1", "2"],
               "VSTESTCD": ["SYSBP"] * 4, "VISITNUM": ["1", "1", "1", "1"],
               "VSDTC": ["2020-01-02T08:00", "2020-01-02T09:00", "2020-01-03", "2020-01-02"],
               "VSREPNUM": ["1", "2", "", ""]}})
    pkg = load_package(d)
    study = _study(pkg)
    ds = pkg.datasets["VS"]
    w = Work(study.frame("VS"), "VS")
    timing = run_operation({"id": "$t", "operator": "get_model_filtered_variables",
                            "key_name": "role", "key_value": "Timing"}, study, ds, w)
    assert timing.values[:5] == ["VISITNUM", "VISIT", "VISITDY", "TAETORD", "EPOCH"]
    assert "VSDTC" in timing.values and "VSTESTCD" not in timing.values
    w.ops["$t"] = run_operation({"id": "$t", "operator": "get_dataset_filtered_variables",
                                 "key_name": "role", "key_value": "Timing"}, study, ds, w)
    assert w.ops["$t"].values == ["VISITNUM", "VSDTC"]
    n = run_operation({"id": "$n", "operator": "record_count", "regex": r"^\d{4}-\d{2}-\d{2}",
                       "group": ["USUBJID", "--TESTCD", "$t"]}, study, ds, w)
    # grouped on the date part of VSDTC: the first two records share 2020-01-02
    assert n.tolist() == [2, 2, 1, 1]


def test_unshipped_sdtmig_version_uses_only_version_independent_facts(tmp_path):
    from cdisc_mapper.core.testcases import study_for
    from cdisc_mapper.core.versions import nearest_shipped

    assert nearest_shipped("SDTMIG", "3.3") == "3.4" and nearest_shipped("SDTMIG", "3.2") == "3.4"
    assert nearest_shipped("SENDIG", "3.1") is None and nearest_shipped("TIG", "1.0") is None
    cols = {"STUDYID": ["S"], "DOMAIN": ["CM"], "USUBJID": ["1"], "CMSEQ": ["1"],
            "CMTRT": ["ASPIRIN"], "CMCAT": ["Concomitant/Prior Medications"]}
    pkg = load_package(_write_package(tmp_path / "a", {"CM": cols},
                                      "PRODUCT=SDTMIG\nVERSION=3-3\n"))
    study = study_for(pkg)
    assert study.version == "3.3" and study.facts_from == "SDTMIG 3.4"
    ds = pkg.datasets["CM"]
    w = Work(study.frame("CM"), "CM")
    assert run_operation({"operator": "domain_label"}, study, ds, w) == \
        "Concomitant/Prior Medications"
    assert study.ds_class(ds) == "INTERVENTIONS"
    for op, what in (("required_variables", "Core designations"),
                     ("get_column_order_from_library", "variable orders"),
                     ("domain_is_custom", "datasets")):
        with pytest.raises(Unsupported, match=f"SDTMIG 3.3 metadata is not in this product.*{what}"):
            run_operation({"operator": op}, study, ds, w)
    # another guide gets no stand-in
    pkg = load_package(_write_package(tmp_path / "b", {"CM": cols},
                                      "PRODUCT=SENDIG\nVERSION=3-1\n"))
    study = study_for(pkg)
    assert study.standard is None and study.facts_from is None
    with pytest.raises(Unsupported, match="no SENDIG 3.1 metadata"):
        run_operation({"operator": "domain_label"}, study, pkg.datasets["CM"], w)


_DEFINE = """<?xml version="1.0" encoding="UTF-8"?>
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" xmlns:def="http://www.cdisc.org/ns/def/v2.1"
     ODMVersion="1.3.2" FileType="Snapshot" FileOID="F" CreationDateTime="2024-01-01T00:00:00">
 <Study OID="S"><GlobalVariables><StudyName>S</StudyName><StudyDescription>S</StudyDescription>
  <ProtocolName>S</ProtocolName></GlobalVariables>
  <MetaDataVersion OID="MDV" Name="M" def:DefineVersion="2.1.0">
   <ItemGroupDef OID="IG.%(ds)s" Name="%(ds)s" Domain="%(ds)s" Repeating="Yes" Purpose="Tabulation">
    <ItemRef ItemOID="IT.STUDYID" OrderNumber="1" Mandatory="Yes" Role="Identifier"/>
    <ItemRef ItemOID="IT.DOMAIN" OrderNumber="2" Mandatory="Yes" Role="Identifier"/>
   </ItemGroupDef>
   <ItemDef OID="IT.STUDYID" Name="STUDYID" DataType="text" Length="8">
    <Description><TranslatedText>Study Identifier</TranslatedText></Description></ItemDef>
   <ItemDef OID="IT.DOMAIN" Name="DOMAIN" DataType="text" Length="2">
    <Description><TranslatedText>Domain Abbreviation</TranslatedText></Description>
    <CodeListRef CodeListOID="CL.DOMAIN"/></ItemDef>
   <CodeList OID="CL.DOMAIN" Name="Domain" DataType="text">
    <CodeListItem CodedValue="%(ds)s"><Decode><TranslatedText>x</TranslatedText></Decode>
     <Alias Context="nci:ExtCodeID" Name="%(code)s"/></CodeListItem>
    <Alias Context="nci:ExtCodeID" Name="C66734"/></CodeList>
  </MetaDataVersion></Study></ODM>
"""

_DEFINE_RULE = """Core: {Id: CORE-990003, Status: Published}
Authorities: [{Organization: CDISC, Standards: [{Name: SDTMIG, Version: "3.4"}]}]
Rule Type: Define Item Metadata Check against Library Metadata
Sensitivity: Record
Scope: {Classes: {Include: [ALL]}, Domains: {Include: [ALL]}}
Operations:
- {id: $domain_codes, operator: codelist_terms, codelists: [DOMAIN], level: term, returntype: code}
Check:
  all:
  - {name: define_variable_ccode, operator: equal_to, value: C66734}
  - {name: library_variable_label, operator: equal_to, value: Domain Abbreviation}
  - {name: define_variable_codelist_coded_codes, operator: is_not_contained_by,
     value: $domain_codes}
Outcome: {Message: not a CDISC domain code, Output Variables: [define_variable_codelist_coded_codes]}
"""


@pytest.mark.parametrize("code, found", [("C49562", []), ("C00001", [("AE", 2)])])
def test_define_item_metadata_rule_type(tmp_path, code, found):
    """The define's variables of a dataset, one row each in define order, with their codelist's
    term codes (a list: contained where any code is in the comparator) and the guide's metadata;
    C49562 is the NCI code of the AE domain abbreviation."""
    d = _write_package(tmp_path / "data", {"AE": {"STUDYID": ["S"], "DOMAIN": ["AE"]}},
                       "PRODUCT=SDTMIG\nVERSION=3-4\nDEFINE_XML=define.xml\n")
    (d / "define.xml").write_text(_DEFINE % {"ds": "AE", "code": code})
    (tmp_path / "r.yml").write_text(_DEFINE_RULE)
    run = run_rule(load_rule_file(tmp_path / "r.yml"), _study(load_package(d)))
    assert run.status == "ran" and [(f.dataset, f.record) for f in run.findings] == found
    if found:
        assert run.findings[0].values == ([code],)


def test_define_item_metadata_needs_a_define(tmp_path):
    d = _write_package(tmp_path / "data", {"AE": {"STUDYID": ["S"], "DOMAIN": ["AE"]}})
    (tmp_path / "r.yml").write_text(_DEFINE_RULE)
    run = run_rule(load_rule_file(tmp_path / "r.yml"), _study(load_package(d)))
    assert run.status == "skipped" and "needs a define.xml" in run.reason


_DISTINCT = """Core: {Id: CORE-990004, Status: Published}
Authorities: [{Organization: CDISC, Standards: [{Name: SDTMIG, Version: "3.4"}]}]
Rule Type: Record Data
Sensitivity: Record
Scope: {Classes: {Include: [ALL]}, Domains: {Include: [AE]}}
Operations: [{id: $vals, operator: %s, name: AEXYZ}]
Check: {all: [{name: AETERM, operator: is_not_contained_by, value: $vals}]}
Outcome: {Message: m}
"""


def test_what_the_data_lacks_makes_a_rule_not_apply_what_the_engine_lacks_does_not(tmp_path):
    """A variable an operation needs that the dataset lacks (or an absent Match Datasets
    dataset) makes the rule not apply to the dataset, as CORE reports no finding there; an
    operation the engine lacks is a skip that fails the case."""
    d = _write_package(tmp_path / "data", {"AE": {"STUDYID": ["S"], "AETERM": ["X"]}})
    study = _study(load_package(d))
    (tmp_path / "a.yml").write_text(_DISTINCT % "distinct")
    run = run_rule(load_rule_file(tmp_path / "a.yml"), study)
    assert run.status == "skipped" and run.not_applicable
    assert run.reason == "AE: variable AEXYZ not in the dataset"
    (tmp_path / "b.yml").write_text(_DISTINCT % "get_purple_values")
    run = run_rule(load_rule_file(tmp_path / "b.yml"), study)
    assert run.status == "skipped" and not run.not_applicable
    (tmp_path / "c.yml").write_text((_DISTINCT % "distinct").replace(
        "Operations", "Match Datasets: [{Name: DS, Keys: [USUBJID]}]\nOperations"))
    run = run_rule(load_rule_file(tmp_path / "c.yml"), study)
    assert run.not_applicable and "Match Datasets names DS, which is not in the package" in run.reason


def test_define_item_metadata_with_an_unreadable_define(tmp_path):
    d = _write_package(tmp_path / "data", {"AE": {"STUDYID": ["S"], "DOMAIN": ["AE"]}},
                       "PRODUCT=SDTMIG\nVERSION=3-4\nDEFINE_XML=define.xml\n")
    (d / "define.xml").write_text("<ODM><not closed")
    (tmp_path / "r.yml").write_text(_DEFINE_RULE)
    run = run_rule(load_rule_file(tmp_path / "r.yml"), _study(load_package(d)))
    assert run.status == "skipped" and "a readable define.xml" in run.reason
    assert not run.not_applicable
