"""CORE rule-language semantics, each on a tiny inline package or frame: scope of Findings About
and Associated Persons datasets, SUPP-- and RELREC matches, grouped operators, presence checks,
and how ``rules test`` treats a case CORE itself could not read or published without results."""

from __future__ import annotations

import pandas as pd
import yaml

from cdisc_mapper.core.engine import Study, evaluate, run_rule
from cdisc_mapper.core.frame import Work
from cdisc_mapper.core.rules import load_rule_file
from cdisc_mapper.core.testcases import run_case
from cdisc_mapper.validate.load import load_package


def _package(root, tables: dict[str, str], types: dict[str, str] | None = None,
             labels: dict[str, str] | None = None):
    """A CORE CSV package: ``tables`` maps a dataset name to its CSV text; every variable is
    Char unless ``types`` says ``"AE.AESEQ": "Num"``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / ".env").write_text("PRODUCT=SDTMIG\nVERSION=3-4\n")
    (root / "_datasets.csv").write_text(
        "Filename,Label\n" + "".join(f"{n.lower()},{n}\n" for n in tables))
    rows = ["dataset,variable,label,type,length"]
    for n, text in tables.items():
        (root / f"{n.lower()}.csv").write_text(text)
        for v in text.splitlines()[0].split(","):
            label = (labels or {}).get(f"{n}.{v}", v)
            rows.append(f"{n.lower()},{v},\"{label}\",{(types or {}).get(f'{n}.{v}', 'Char')},200")
    (root / "_variables.csv").write_text("\n".join(rows) + "\n")
    return root


def _rule(tmp_path, check, *, scope=None, rule_type="Record Data", sensitivity="Record",
          match=None, operations=None, name="rule.yml"):
    doc = {"Core": {"Id": "CORE-999999", "Status": "Published"},
           "Authorities": [{"Organization": "CDISC", "Standards": [
               {"Name": "SDTMIG", "Version": "3.4",
                "References": [{"Rule Identifier": {"Id": "CG9999"}}]}]}],
           "Rule Type": rule_type, "Sensitivity": sensitivity,
           "Scope": scope or {"Classes": {"Include": ["ALL"]}, "Domains": {"Include": ["ALL"]}},
           "Check": check, "Outcome": {"Message": "m"}}
    if match:
        doc["Match Datasets"] = match
    if operations:
        doc["Operations"] = operations
    p = tmp_path / name
    p.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return load_rule_file(p)


def _found(rule, root):
    from cdisc_mapper.core.testcases import study_for
    run = run_rule(rule, study_for(load_package(root)))
    assert run.status == "ran", run.reason
    return sorted((f.dataset, f.record) for f in run.findings)


# ------------------------------------------------------------------------------ scope


def test_findings_class_includes_findings_about(tmp_path):
    root = _package(tmp_path / "d", {
        "FA": "STUDYID,DOMAIN,USUBJID,FASEQ,FATESTCD,FAOBJ,FAORRES\nS,FA,1,1,SEV,RASH,\n"
              "S,FA,1,2,SEV,RASH,MILD\n",
        "LB": "STUDYID,DOMAIN,USUBJID,LBSEQ,LBTESTCD,LBORRES\nS,LB,1,1,ALB,\n"})
    rule = _rule(tmp_path, {"all": [{"name": "--ORRES", "operator": "empty"}]},
                 scope={"Classes": {"Include": ["FINDINGS"]}})
    assert _found(rule, root) == [("FA", 1), ("LB", 1)]


def test_associated_persons_dataset_has_the_prefix_and_class_of_its_domain(tmp_path):
    root = _package(tmp_path / "d", {
        "APSU": "STUDYID,DOMAIN,RSUBJID,SREL,SUSEQ,SUTRT\nS,APSU,1,MOTHER,1,SMOKING\n"
                "S,APSU,1,MOTHER,2,\n"})
    rule = _rule(tmp_path, {"all": [{"name": "--TRT", "operator": "empty"}]},
                 scope={"Classes": {"Include": ["INTERVENTIONS"]}})
    assert _found(rule, root) == [("APSU", 2)]


def test_presence_check_operation_reads_the_dataset_its_scope_names(tmp_path):
    root = _package(tmp_path / "d", {
        "EX": "STUDYID,DOMAIN,USUBJID,EXSEQ,EXTRT,EXVAMT\nS,EX,1,1,DRUG,0.1\n",
        "EC": "STUDYID,DOMAIN,USUBJID,ECSEQ,ECTRT\nS,EC,1,1,BOTTLE\n"})
    rule = _rule(tmp_path, {"all": [{"name": "$vamt", "operator": "equal_to", "value": True},
                                    {"name": "EC", "operator": "exists"}]},
                 rule_type="Domain Presence Check", sensitivity="Dataset",
                 scope={"Classes": {"Include": ["ALL"]}, "Domains": {"Include": ["EX"]}},
                 operations=[{"id": "$vamt", "name": "EXVAMT", "operator": "variable_exists"}])
    assert _found(rule, root) == [("STUDY", None)]


# ------------------------------------------------------------------------------ matches


def test_supp_match_pivots_qnam_onto_the_parent_record(tmp_path):
    root = _package(tmp_path / "d", {
        "AE": "STUDYID,DOMAIN,USUBJID,AESEQ,AETERM,AESMIE\nS,AE,1,1,A,\nS,AE,1,2,B,\n"
              "S,AE,2,1,C,Y\n",
        "SUPPAE": "STUDYID,RDOMAIN,USUBJID,IDVAR,IDVARVAL,QNAM,QLABEL,QVAL\n"
                  "S,AE,1,AESEQ,2,AESOSP,Other,ABORTION\nS,AE,2,AESEQ,1,AESOSP,Other,X\n"},
        types={"AE.AESEQ": "Num"})
    rule = _rule(tmp_path, {"all": [{"name": "AESOSP", "operator": "non_empty"},
                                    {"name": "AESMIE", "operator": "not_equal_to",
                                     "value": "Y"}]},
                 scope={"Classes": {"Include": ["ALL"]}, "Domains": {"Include": ["AE"]}},
                 match=[{"Name": "SUPPAE", "Keys": ["USUBJID"]}])
    # AESEQ 2 (numeric 2.0) links to IDVARVAL "2"; subject 2 has AESMIE = Y
    assert _found(rule, root) == [("AE", 2)]


def test_idvar_must_name_a_variable_of_the_rdomain_dataset(tmp_path):
    root = _package(tmp_path / "d", {
        "LB": "STUDYID,DOMAIN,USUBJID,LBSEQ\nS,LB,1,1\n",
        "SUPPLB": "STUDYID,RDOMAIN,USUBJID,IDVAR,IDVARVAL,QNAM,QVAL\n"
                  "S,LB,1,LBSEQ,1,LBCLSIG,Y\nS,LB,1,LBGRPID,1,LBX,Y\n"})
    rule = _rule(tmp_path, {"all": [{"name": "IDVAR", "operator": "non_empty"},
                                    {"name": "IDVAR", "operator": "is_not_contained_by",
                                     "value": "$vars"}]},
                 scope={"Classes": {"Include": ["ALL"]}, "Domains": {"Include": ["SUPP--"]}},
                 operations=[{"id": "$vars", "operator": "distinct", "name": "IDVAR",
                              "domain": "SUPP--", "value_is_reference": True}])
    assert _found(rule, root) == [("SUPPLB", 2)]


def test_relrec_wildcard_and_dataset_level_links(tmp_path):
    root = _package(tmp_path / "d", {
        "CM": "STUDYID,DOMAIN,USUBJID,CMSEQ,CMGRPID,CMTRT\nS,CM,1,1,G1,ASPIRIN\n"
              "S,CM,1,2,G2,HYDROCORTISONE\nS,CM,1,3,G3,OTHER\n",
        "FA": "STUDYID,DOMAIN,USUBJID,FASEQ,FAGRPID,FATESTCD,FAOBJ\nS,FA,1,1,G2,OCCUR,RASH\n"
              "S,FA,1,2,G1,OCCUR,ASPIRIN\n",
        "RELREC": "STUDYID,RDOMAIN,USUBJID,IDVAR,IDVARVAL,RELTYPE,RELID\n"
                  "S,CM,,CMGRPID,,ONE,R1\nS,FA,,FAGRPID,,MANY,R1\n"})
    rule = _rule(tmp_path, {"all": [{"name": "RELREC.FAOBJ", "operator": "non_empty"},
                                    {"name": "--TRT", "operator": "not_equal_to",
                                     "value": "RELREC.FAOBJ"}]},
                 scope={"Classes": {"Include": ["ALL"]}, "Domains": {"Include": ["CM"]}},
                 match=[{"Name": "RELREC", "Wildcard": "FA"}])
    # CMGRPID = FAGRPID links records of one subject; G3 has no FA record
    assert _found(rule, root) == [("CM", 2)]


# ------------------------------------------------------------------------------ operators


def test_empty_within_except_last_row_flags_rows_not_groups():
    w = Work(pd.DataFrame({"USUBJID": ["1", "1", "1", "2", "2"],
                           "SESTDTC": ["2020-01", "2020-03", "2020-02", "2020-01", "2020-02"],
                           "SEENDTC": ["2020-02", "", "", "", ""]}), "SE")
    c = {"name": "SEENDTC", "value": "USUBJID", "ordering": "SESTDTC"}
    assert evaluate({**c, "operator": "empty_within_except_last_row"}, w).tolist() == \
        [False, False, True, True, False]
    assert evaluate({**c, "operator": "non_empty_within_except_last_row"}, w).tolist() == \
        [True, False, False, False, False]


def test_target_is_not_sorted_by_reports_overlapping_dates():
    w = Work(pd.DataFrame({"USUBJID": ["1"] * 4 + ["2", "2"],
                           "SMSEQ": [1.0, 2.0, 3.0, 4.0, 1.0, float("nan")],
                           "SMSTDTC": ["2005-10", "2005-10-08", "2005-10-06", "2005-11",
                                       "2006-01", "2006-02"]}), "SM")
    c = {"name": "--SEQ", "operator": "target_is_not_sorted_by", "within": "USUBJID",
         "value": [{"name": "--STDTC", "sort_order": "asc"}]}
    # 3 before 2 by date; 2005-10 contains 2005-10-06, so its order is undetermined; an empty
    # --SEQ is left out
    assert evaluate(c, w).tolist() == [True, True, True, False, False, False]


def test_is_inconsistent_across_dataset_reports_the_whole_group():
    w = Work(pd.DataFrame({"PCTESTCD": ["A", "A", "A", "B", "B"],
                           "PCSTRESU": ["ug/mL", "ug/mL", "mg", "g/L", "g/L"]}), "PC")
    c = {"name": "--STRESU", "operator": "is_inconsistent_across_dataset", "value": "--TESTCD"}
    assert evaluate(c, w).tolist() == [True, True, True, False, False]


# ------------------------------------------------------------------------------ packages


def test_labels_are_kept_as_written(tmp_path):
    root = _package(tmp_path / "d", {"AE": "STUDYID,USUBJID\nS,1\n"},
                    labels={"AE.USUBJID": "Unique Subject Identifier Unique Subject "})
    rule = _rule(tmp_path, {"all": [{"name": "variable_label", "operator": "longer_than",
                                     "value": 40}]},
                 rule_type="Variable Metadata Check", sensitivity="Dataset")
    assert _found(rule, root) == [("AE", None)]


def test_rules_test_leaves_out_an_unreadable_dataset(tmp_path):
    case = tmp_path / "rule" / "positive" / "01"
    _package(case / "data", {
        "LB": "STUDYID,DOMAIN,USUBJID,LBSEQ,LBSTRESN\nS,LB,1,1,5\n",
        "VS": "STUDYID,DOMAIN,USUBJID,VSSEQ,VSSTRESN\nS,VS,1,1,<5\n"},
        types={"LB.LBSTRESN": "Num", "VS.VSSTRESN": "Num"})
    (case / "results").mkdir()
    (case / "results" / "results.csv").write_text("Dataset,Record,Variable,Value\n")
    rule = _rule(tmp_path, {"all": [{"name": "--STRESN", "operator": "greater_than",
                                     "value": 10}]})
    res = run_case(rule, case, "positive/01")
    assert res.status == "ran" and res.passed
    assert "vs.csv" in res.reason and "VSSTRESN" in res.reason and "not a number" in res.reason


def test_negative_case_without_results_needs_a_finding(tmp_path):
    case = tmp_path / "rule" / "negative" / "01"
    _package(case / "data", {"AE": "STUDYID,DOMAIN,USUBJID,AESEQ,AESER\nS,AE,1,1,Y\n"})
    fires = _rule(tmp_path, {"all": [{"name": "AESER", "operator": "equal_to", "value": "Y"}]})
    silent = _rule(tmp_path, {"all": [{"name": "AESER", "operator": "equal_to", "value": "N"}]},
                   name="r2.yml")
    assert run_case(fires, case, "negative/01").passed
    res = run_case(silent, case, "negative/01")
    assert not res.passed and "no results/results.csv" in res.reason


# ------------------------------------------------------------------ absent Check targets

def test_absent_target_leaves_the_dataset_unevaluated_and_drops_an_any_branch(tmp_path):
    # as CORE's rule evaluation: every condition of ``all`` is evaluated, so one reading a
    # variable the dataset lacks makes the dataset unevaluated (no finding, named in the run);
    # a branch of ``any`` that cannot be evaluated counts as false
    root = _package(tmp_path / "p", {
        "EC": "STUDYID,DOMAIN,USUBJID,ECSEQ,ECPRESP,ECOCCUR\nS,EC,1,1,Y,\nS,EC,1,2,Y,Y\n",
        "AG": "STUDYID,DOMAIN,USUBJID,AGSEQ,AGPRESP,AGOCCUR,AGSTAT\nS,AG,1,1,Y,,\n"})
    every = _rule(tmp_path, {"all": [{"name": "--PRESP", "operator": "equal_to", "value": "Y"},
                                     {"name": "--STAT", "operator": "empty"},
                                     {"name": "--OCCUR", "operator": "empty"}]})
    from cdisc_mapper.core.testcases import study_for
    run = run_rule(every, study_for(load_package(root)))
    assert sorted((f.dataset, f.record) for f in run.findings) == [("AG", 1)]
    assert run.errors == (("EC", "variable ECSTAT is not in the dataset"),)
    either = _rule(tmp_path, {"any": [{"name": "--STAT", "operator": "non_empty"},
                                      {"all": [{"name": "--STAT", "operator": "not_exists"},
                                               {"name": "--OCCUR", "operator": "empty"}]}]},
                   name="any.yml")
    assert _found(either, root) == [("EC", 1)]


def test_rule_status_names_the_dataset_a_rule_could_not_be_evaluated_on(tmp_path):
    from cdisc_mapper.core.validate import run_core_rules
    from cdisc_mapper.validate.engine import REPORT_COLUMNS
    root = _package(tmp_path / "p", {
        "EC": "STUDYID,DOMAIN,USUBJID,ECSEQ\nS,EC,1,1\n"})
    rules = tmp_path / "rules"
    rules.mkdir()
    _rule(rules, {"all": [{"name": "--STAT", "operator": "non_empty"}]})
    found, statuses, _ = run_core_rules(load_package(root), [rules],
                                        findings=pd.DataFrame(columns=list(REPORT_COLUMNS)),
                                        statuses=[])
    assert len(found) == 0
    st = next(s for s in statuses if s.rule.id == "CORE-999999")
    assert st.status == "skipped"
    assert st.reason == "could not be evaluated on EC: variable ECSTAT is not in the dataset"


# ------------------------------------------------------------- column order from library

def test_library_column_order_holds_the_model_class_variables(tmp_path):
    # CORE orders a general-observation dataset by the SDTM model (identifiers, class
    # variables, timing) with the guide's variables in place: MIDS (a model timing variable
    # that the SDTMIG VS table does not list) belongs after VSDTC
    rule = _rule(tmp_path, {"all": [{"name": "$ds", "operator": "is_not_ordered_subset_of",
                                     "value": "$lib"}]}, sensitivity="Dataset",
                 operations=[{"id": "$lib", "operator": "get_column_order_from_library"},
                             {"id": "$ds", "operator": "get_column_order_from_dataset"}])
    good = _package(tmp_path / "good", {
        "VS": "STUDYID,DOMAIN,USUBJID,VSSEQ,VSTESTCD,VSTEST,VSORRES,VISITNUM,VSDTC,MIDS\n"
              "S,VS,1,1,T,T,1,1,2020-01-01,M1\n"})
    bad = _package(tmp_path / "bad", {
        "VS": "STUDYID,DOMAIN,USUBJID,VSSEQ,VSTESTCD,VSTEST,VSORRES,VISITNUM,MIDS,VSDTC\n"
              "S,VS,1,1,T,T,1,1,M1,2020-01-01\n"})
    assert _found(rule, good) == []
    assert _found(rule, bad) == [("VS", None)]
