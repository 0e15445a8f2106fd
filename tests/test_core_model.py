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
