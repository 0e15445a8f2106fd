"""``cdisc-map validate``: the clean sample passes, each planted defect is found exactly, foreign
packages validate without a crash, bad input exits 2 with a clear message, reports are complete.

The sample study (both phases) is converted once per session.  Each seeded-defect test copies the
phase-2 package, plants ONE defect (see ``validate_defects.py``), validates, and asserts that the
expected rule reports exactly the planted dataset, variable and record(s) (a rule may not report
anything on that dataset in the clean package, so the finding can only come from the defect).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from cdisc_mapper.engine.run import convert_study
from cdisc_mapper.validate import validate as _validate
from cdisc_mapper.validate.catalogue import load_catalogue
from cdisc_mapper.validate.checks import all_checks
from cdisc_mapper.validate.checks.dates import after, check_value
from cdisc_mapper.validate.cli import add_parser

sys.path.insert(0, str(Path(__file__).parent))
from validate_defects import (Defect, copy_package, make_adam, make_define,  # noqa: E402
                              plant, read, set_cell, write)

SDTM = Path("tabulations") / "sdtm"
P2 = "ADT2002-P2"



def validate(path, **kw):
    return _validate(path, **kw)


# ---------------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="session")
def sample(tmp_path_factory, root) -> Path:
    """Output root of the converted sample: ``<STUDY>/tabulations/sdtm`` for both phases."""
    out = tmp_path_factory.mktemp("validate-sample")
    for sf in sorted((root / "mappings").glob("*/study.yaml")):
        convert_study(sf, out)
    return out


@pytest.fixture(scope="session")
def clean_p2(sample) -> Path:
    return sample / P2 / SDTM


@pytest.fixture(scope="session")
def clean_result(clean_p2):
    return validate(clean_p2)


@pytest.fixture(scope="session")
def clean_xpt_result(clean_p2, tmp_path_factory):
    """The phase-2 XPT files alone (no define.xml), as the defect tests use them."""
    return validate(copy_package(clean_p2, tmp_path_factory.mktemp("xpt-only") / "sdtm"))


@pytest.fixture()
def pkg(clean_p2, tmp_path) -> Path:
    """A fresh copy of the phase-2 package (XPT files only)."""
    return copy_package(clean_p2, tmp_path / "sdtm")


def cli(*argv: str) -> int:
    """Run ``cdisc-map validate`` the way the main command line declares it."""
    p = argparse.ArgumentParser(prog="cdisc-map")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-q", "--quiet", action="store_true")
    common.add_argument("-v", "--verbose", action="count", default=0)
    sub = p.add_subparsers(dest="command")
    add_parser(sub, common)
    args = p.parse_args(["validate", *argv])
    return args.func(args, None)


def hits(result, rule: str) -> set[tuple]:
    f = result.findings[result.findings["rule"] == rule]
    return {(r.dataset, r.variable if isinstance(r.variable, str) else None,
             None if pd.isna(r.record) else int(r.record)) for r in f.itertuples()}


# ------------------------------------------------------------------------------ clean sample

@pytest.mark.parametrize("study", ["ADT2002-P1", P2])
def test_sample_has_no_finding(sample, study):
    """The defects CDISC CORE found in the sample (no dictionary codes, DOSU without a UNIT code,
    no PCLAS) are fixed in its mappings: every rule runs and none reports anything."""
    r = _validate(sample / study / SDTM)
    assert r.findings.empty, r.findings[["rule", "dataset", "variable", "value"]].head()
    ae = r.package.datasets["AE"].data
    assert ae["AEBDSYCD"].notna().all() and (ae["AEBDSYCD"].astype(str) != "").all()


@pytest.mark.parametrize("study", ["ADT2002-P1", P2])
def test_clean_sample_has_no_error(sample, study):
    r = validate(sample / study / SDTM)
    assert r.counts()["error"] == 0, r.findings[r.findings.severity == "error"].head(20)
    assert r.exit_code() == 0
    assert not [s for s in r.statuses if s.status == "error"], "a check failed to run"
    # with its define.xml (found beside the datasets), which declares the sponsor extensions of
    # extensible codelists, the sample package has no finding at all
    assert r.findings.empty, r.findings.head(20)


def test_clean_sample_statuses(clean_result):
    st = {s.rule.id: s for s in clean_result.statuses}
    assert st["CG0028"].status == "passed" and "QS" in st["CG0028"].datasets
    assert st["CG0006"].status == "passed"
    assert st["CM0103"].status == "skipped"          # ADaM rules on an SDTM package
    if clean_result.define is None:
        assert st["CM0201"].status == "skipped" and "define" in st["CM0201"].reason
    else:  # the converter's own define.xml, found beside the datasets, matches the data
        assert all(st[r].status == "passed" for r in ("CM0201", "CM0210", "CM0212", "CM0214",
                                                      "CM0215", "CM0216", "CM0217", "CG0019"))
    assert clean_result.standard == "SDTMIG 3.4"


def test_clean_sample_with_full_ct(clean_p2, reference):
    r = validate(clean_p2, ct=reference / "ct" / "SDTM_Terminology_2025-03-28.txt")
    assert r.counts()["error"] == 0
    assert r.ct_version == "2025-03-28"
    # the full package has every CDISC term, and the define.xml declares the sponsor terms of
    # extensible codelists (QSCAT EASI/BSA, EXDOSU cells/kg); the TS dose unit is a CDISC
    # UNIT term (10^5/kg) with its code, so nothing is left for review
    assert set(zip(r.findings.rule, r.findings.value)) == set()
    # without the define.xml, those sponsor terms are reported for review
    r = validate(clean_p2, ct=reference / "ct" / "SDTM_Terminology_2025-03-28.txt",
                 use_found_define=False)
    vals = set(r.findings.loc[r.findings.rule == "CM0021", "value"])
    assert {"EASI", "cells/kg"} <= vals


def test_clean_sample_with_crafted_define(pkg):
    make_define(pkg)
    r = validate(pkg)                                   # define.xml found beside the datasets
    assert r.define is not None
    assert r.counts()["error"] == 0, r.findings[r.findings.severity == "error"].head()
    st = {s.rule.id: s.status for s in r.statuses}
    assert st["CM0201"] == "passed" and st["CG0019"] == "passed" and st["CM0217"] == "passed"


# ----------------------------------------------------------------------------- seeded defects

def _row(df, **where) -> int:
    """1-based record of the first row where all columns have the given values."""
    mask = np.ones(len(df), dtype=bool)
    for k, v in where.items():
        mask &= (df[k] == v).to_numpy()
    return int(np.flatnonzero(mask)[0]) + 1


def _drop(col):
    return lambda df: df.drop(columns=[col])


def _ts_set(parm, var, value):
    def change(df):
        set_cell(df, _row(df, TSPARMCD=parm), var, value)
    return change


DEFECTS = [
    Defect("seq-duplicate", "ae", lambda d: set_cell(d, 4, "AESEQ", 1.0),
           "CG0028", "AE", "AESEQ", (4,)),
    Defect("subject-not-in-dm", "ae", lambda d: set_cell(d, 5, "USUBJID", "ADT2002-P2-99-999"),
           "CM0041", "AE", "USUBJID", (5,)),
    Defect("ae-start-after-end", "ae", lambda d: set_cell(d, 7, "AESTDTC", "2022-03-25"),
           "CM0032", "AE", "AESTDTC", (7,)),
    Defect("ex-start-after-end", "ex", lambda d: set_cell(d, 2, "EXSTDTC", "2021-04-01T14:00"),
           "CM0032", "EX", "EXSTDTC", (2,)),
    Defect("dm-reference-dates", "dm", lambda d: set_cell(d, 3, "RFENDTC", "2021-01-01"),
           "CM0033", "DM", "RFSTDTC", (3,)),
    Defect("study-day", "qs", lambda d: set_cell(d, 10, "QSDY", d.loc[9, "QSDY"] + 1),
           "CG0006", "QS", "QSDY", (10,)),
    Defect("start-study-day", "ae", lambda d: set_cell(d, 1, "AESTDY", 170.0),
           "CG0220", "AE", "AESTDY", (1,)),
    Defect("end-study-day-zero", "ae", lambda d: set_cell(d, 2, "AEENDY", 0.0),
           "CG0222", "AE", "AEENDY", (2,)),
    Defect("iso8601-syntax", "ae", lambda d: set_cell(d, 2, "AEENDTC", "2022/06/08"),
           "CM0030", "AE", "AEENDTC", (2,)),
    Defect("iso8601-calendar", "qs", lambda d: set_cell(d, 20, "QSDTC", "2021-02-30"),
           "CM0031", "QS", "QSDTC", (20,)),
    Defect("ct-not-extensible", "dm", lambda d: set_cell(d, 2, "SEX", "MALE"),
           "CM0020", "DM", "SEX", (2,)),
    Defect("ct-extensible", "ex", lambda d: set_cell(d, 3, "EXROUTE", "IV DRIP"),
           "CM0021", "EX", "EXROUTE", (3,)),
    Defect("epoch-not-in-ta", "ds", lambda d: set_cell(d, 2, "EPOCH", "BASELINE"),
           "CG0009", "DS", "EPOCH", (2,)),
    Defect("visit-name", "qs", lambda d: set_cell(d, 30, "VISIT", "WEEK 99"),
           "CM0051", "QS", "VISIT", (30,)),
    Defect("unplanned-visit-two-names", "sv",
           lambda d: [set_cell(d, k, v, x) for k, v, x in (
               (5, "VISITNUM", 99.0), (5, "VISIT", "UNSCHEDULED"), (6, "VISITNUM", 99.0),
               (6, "VISIT", "UNSCHEDULED 2"))] and None,
           "CM0051", "SV", "VISIT", (6,)),
    Defect("visit-not-planned", "sv", lambda d: set_cell(d, 5, "VISITNUM", 99.0),
           "CM0050", "SV", "VISITNUM", (5,)),
    Defect("armcd-not-in-ta", "dm", lambda d: set_cell(d, 4, "ARMCD", "XXX"),
           "CM0053", "DM", "ARMCD", (4,)),
    Defect("actarm-not-ta-name", "dm", lambda d: set_cell(d, 1, "ACTARM", "Placebo 2"),
           "CM0054", "DM", "ACTARM", (1,)),
    Defect("qstest-not-ct-name", "qs",
           lambda d: set_cell(d, 2, "QSTEST", "DLQI1-How Embarrassed, Self Conscious"),
           "CM0023", "QS", "QSTEST", (2,)),
    Defect("testcd-test-one-to-one", "qs", lambda d: set_cell(d, 1, "QSTEST", "BSA-Other"),
           "CM0022", "QS", "QSTEST", (1,)),
    Defect("supp-parent-missing", "suppae", lambda d: set_cell(d, 1, "IDVARVAL", "99"),
           "CG0371", "SUPPAE", "IDVARVAL", (1,)),
    Defect("supp-idvar-unknown", "suppex", lambda d: set_cell(d, 1, "IDVAR", "EXXSEQ"),
           "CG0370", "SUPPEX", "IDVAR", (1,)),
    Defect("supp-qnam-twice", "suppex", lambda d: set_cell(d, 3, "IDVARVAL", "1"),
           "CM0071", "SUPPEX", "QNAM", (3,)),
    Defect("supp-rdomain", "suppae", lambda d: set_cell(d, 2, "RDOMAIN", "EX"),
           "CM0070", "SUPPAE", "RDOMAIN", (2,)),
    Defect("supp-qval-null", "suppdm", lambda d: set_cell(d, 4, "QVAL", ""),
           "CM0073", "SUPPDM", "QVAL", (4,)),
    Defect("dm-usubjid-twice", "dm", lambda d: set_cell(d, 6, "USUBJID", d.loc[4, "USUBJID"]),
           "CG0151", "DM", "USUBJID", (6,)),
    Defect("value-over-200-bytes", "ae", lambda d: set_cell(d, 8, "AETERM", "x" * 250),
           "CM0005", "AE", "AETERM", (8,)),
    Defect("non-ascii", "ae", lambda d: set_cell(d, 10, "AETERM", "tired \u2013 severe"),
           "CM0015", "AE", "AETERM", (10,)),
    Defect("required-null", "dm", lambda d: set_cell(d, 9, "SUBJID", ""),
           "CM0007", "DM", "SUBJID", (9,)),
    Defect("required-missing", "dm", _drop("SITEID"), "CM0006", "DM", "SITEID", (None,)),
    Defect("expected-missing", "ae", _drop("AESER"), "CG0016", "AE", "AESER", (None,)),
    Defect("type-not-ig", "dm", lambda d: d.assign(AGE=d["AGE"].map(lambda x: f"{x:.0f}")),
           "CM0010", "DM", "AGE", (None,)),
    Defect("domain-value", "ae", lambda d: set_cell(d, 9, "DOMAIN", "XX"),
           "CM0012", "AE", "DOMAIN", (9,)),
    Defect("variable-name", "ae", lambda d: d.rename(columns={"AETERM": "aeterm"}),
           "CM0002", "AE", "aeterm", (None,)),
    Defect("variable-not-allowed", "ae", lambda d: d.assign(AEXTRA="x"),
           "CG0013", "AE", "AEXTRA", (None,)),
    # SDTMIG 3.4 section 2.7: a model timing variable the guide does not allow (SEND only)
    Defect("variable-send-only", "ae", lambda d: d.assign(AENOMDY=1.0),
           "CG0013", "AE", "AENOMDY", (None,)),
    Defect("natural-key-duplicate", "qs",
           lambda d: (set_cell(d, 3, "QSTESTCD", "DLQI101"),
                      set_cell(d, 3, "QSTEST", d.loc[1, "QSTEST"])) and None,
           "CM0040", "QS", "STUDYID, USUBJID, QSCAT, QSTESTCD, VISITNUM, QSDTC", (3,)),
    Defect("ta-element-not-in-te", "ta", lambda d: set_cell(d, 2, "ETCD", "ZZZ"),
           "CM0056", "TA", "ETCD", (2,)),
    Defect("ts-start-date", "ts", _ts_set("SSTDTC", "TSVAL", "2021-02"),
           "TRC1734", "TS", "TSVAL", ("SSTDTC",)),
    Defect("ts-value-not-extensible", "ts", _ts_set("RANDOM", "TSVAL", "YES"),
           "CM0061", "TS", "TSVAL", ("RANDOM",)),
    Defect("ts-value-extensible", "ts", _ts_set("TPHASE", "TSVAL", "PHASE 2"),
           "CM0064", "TS", "TSVAL", ("TPHASE",)),
    Defect("ts-value-code", "ts", _ts_set("ADDON", "TSVALCD", "C49488"),
           "CM0062", "TS", "TSVALCD", ("ADDON",)),
    Defect("ts-null-flavor", "ts", _ts_set("AGEMAX", "TSVALNF", ""),
           "CM0063", "TS", "TSVAL", ("AGEMAX",)),
]


@pytest.mark.parametrize("defect", DEFECTS, ids=[d.id for d in DEFECTS])
def test_seeded_defect_is_found(defect, pkg, clean_xpt_result):
    # without a define.xml, sponsor extensions (TS TSVCDREF, QSCAT, EXDOSU) are the only findings
    baseline = hits(clean_xpt_result, defect.rule)
    assert not {h for h in baseline if h[:2] == (defect.dataset, defect.variable)}
    df, meta = read(pkg, defect.dataset_file)
    out = defect.change(df)
    write(pkg, defect.dataset_file, df if out is None else out, meta)
    records = defect.records
    if records and isinstance(records[0], str):            # TS rows are found by TSPARMCD
        records = tuple(_row(df, TSPARMCD=p) for p in records)
    r = validate(pkg)
    assert hits(r, defect.rule) - baseline == {(defect.dataset, defect.variable, rec)
                                               for rec in records}
    if load_catalogue().rules[defect.rule].severity == "error":
        assert r.exit_code() == 1


def test_model_class_qualifier_is_allowed(pkg):
    """SDTMIG 3.4 section 2.5: a qualifier of the domain's class in the SDTM model (--LAT of
    Events, which no Events domain of the guide has) may be added to the domain."""
    df, meta = read(pkg, "ae")
    write(pkg, "ae", df.assign(AELAT="LEFT"), meta)
    assert ("AE", "AELAT", None) not in hits(validate(pkg), "CG0013")


def test_visit_missing_from_sv(pkg):
    df, meta = read(pkg, "sv")
    subj, visit = df.loc[0, "USUBJID"], df.loc[1, "VISITNUM"]
    drop = (df["USUBJID"] == subj) & (df["VISITNUM"] == visit)
    write(pkg, "sv", df[~drop].reset_index(drop=True), meta)
    qs, _ = read(pkg, "qs")
    expected = {("QS", "VISITNUM", int(i) + 1) for i in
                np.flatnonzero(((qs["USUBJID"] == subj) & (qs["VISITNUM"] == visit)).to_numpy())}
    r = validate(pkg)
    assert {h for h in hits(r, "CM0052") if h[0] == "QS"} == expected and expected


def test_file_name(pkg):
    df, meta = read(pkg, "ae")
    (pkg / "ae.xpt").unlink()
    write(pkg, "ae", df, meta, file_name="ae_v2.xpt")
    assert hits(validate(pkg), "CM0001") == {("AE", None, None)}


def test_epoch_against_se(pkg):
    """With an SE dataset, a record whose EPOCH is not the subject's element at its date."""
    import pyreadstat
    dm, _ = read(pkg, "dm")
    rows = []
    for r in dm.itertuples():
        arm = r.ARMCD
        rows += [(r.USUBJID, 1.0, "SCRN", "Screening", r.RFICDTC, r.RFSTDTC, "SCREENING"),
                 (r.USUBJID, 2.0, arm, "Treatment", r.RFSTDTC, r.RFXENDTC, "TREATMENT"),
                 (r.USUBJID, 3.0, "FU", "Follow-up", r.RFXENDTC, r.RFENDTC, "FOLLOW-UP")]
    se = pd.DataFrame(rows, columns=["USUBJID", "SESEQ", "ETCD", "ELEMENT", "SESTDTC",
                                     "SEENDTC", "EPOCH"])
    se.insert(0, "DOMAIN", "SE")
    se.insert(0, "STUDYID", P2)
    pyreadstat.write_xport(se, str(pkg / "se.xpt"), file_format_version=5, table_name="SE",
                           file_label="Subject Elements")
    clean = validate(pkg)
    assert not hits(clean, "CM0055")
    ae, meta = read(pkg, "ae")
    k = _row(ae, EPOCH="FOLLOW-UP")
    set_cell(ae, k, "EPOCH", "SCREENING")
    write(pkg, "ae", ae, meta)
    assert hits(validate(pkg), "CM0055") == {("AE", "EPOCH", k)}


# ------------------------------------------------------------------------------- define.xml

DEFINE_DEFECTS = [
    ("dangling-codelist", lambda x: x.replace('CodeListOID="CL.SEX"', 'CodeListOID="CL.SEXX"'),
     None, "CM0201", "define.xml", "CodeListOID"),
    ("duplicate-oid", lambda x: x.replace("</MetaDataVersion>", '<CodeList OID="CL.SEX" '
                                          'Name="Sex" DataType="text"><EnumeratedItem '
                                          'CodedValue="F"/></CodeList></MetaDataVersion>'),
     None, "CM0202", "define.xml", "OID"),
    ("label-mismatch", lambda x: x.replace(">Reported Term for the Adverse Event<",
                                           ">Reported Term<"),
     None, "CM0214", "AE", "AETERM"),
    ("length-mismatch", lambda x: x.replace('Name="AESEV" DataType="text" Length="8"',
                                            'Name="AESEV" DataType="text" Length="10"'),
     None, "CM0216", "AE", "AESEV"),
    ("dataset-missing", lambda x: x, "all but AE", "CM0210", "AE", None),
]


@pytest.mark.parametrize("case", DEFINE_DEFECTS, ids=[c[0] for c in DEFINE_DEFECTS])
def test_define_defect_is_found(case, pkg):
    _id, mutate, datasets, rule, dataset, variable = case
    if datasets == "all but AE":
        datasets = tuple(p.stem.upper() for p in pkg.glob("*.xpt") if p.stem != "ae")
    make_define(pkg, mutate=mutate, datasets=datasets)
    r = validate(pkg)
    found = hits(r, rule)
    assert found and {(d, v) for d, v, _rec in found} == {(dataset, variable)}, found


def test_define_value_and_key_checks(pkg):
    make_define(pkg)
    plant(pkg, "dm", lambda d: set_cell(d, 2, "SEX", "U"))        # in CT, not in the define
    plant(pkg, "ae", lambda d: (set_cell(d, 4, "AEDECOD", d.loc[2, "AEDECOD"]),
                                set_cell(d, 4, "AESTDTC", d.loc[2, "AESTDTC"])) and None)
    plant(pkg, "ex", lambda d: d.assign(EXNEW="x"))
    r = validate(pkg)
    assert hits(r, "CM0217") == {("DM", "SEX", 2)}
    assert hits(r, "CG0019") == {("AE", "STUDYID, USUBJID, AEDECOD, AESTDTC", 4)}
    assert ("EX", "EXNEW", None) in hits(r, "CM0212")


def test_cdisc_define_example_checks(reference, pkg):
    """The CDISC Define-XML 2.1 examples are intact (no dangling reference, no duplicate OID),
    and checking our data against the SDTM example reports the real differences."""
    for f in ("defineV21-SDTM.xml", "defineV21-ADaM.xml"):
        r = validate(pkg, define=reference / "define-xml-2.1" / "examples" / f)
        st = {s.rule.id: s.status for s in r.statuses}
        assert st["CM0201"] == "passed" and st["CM0202"] == "passed" and st["CM0203"] == "passed"
    r = validate(pkg, define=reference / "define-xml-2.1" / "examples" / "defineV21-SDTM.xml")
    assert ("AE", None, None) in hits(r, "CM0210")        # the example has no AE dataset
    assert any(v == "ARMCD" for _d, v, _r in hits(r, "CM0217"))


def test_crafted_define_is_schema_valid(reference, pkg):
    from lxml import etree
    xsd = etree.XMLSchema(etree.parse(str(reference / "define-xml-2.1" / "schema" /
                                          "cdisc-define-2.1" / "define2-1-0.xsd")))
    assert xsd.validate(etree.parse(str(make_define(pkg)))), xsd.error_log


# -------------------------------------------------------------------------------------- ADaM

ADAM_DEFECTS = [
    ("adsl-two-records", "adsl", lambda d: set_cell(d, 2, "USUBJID", d.loc[0, "USUBJID"]),
     "CM0101", "ADSL", "USUBJID", 2),
    ("param-one-to-one", "adeasi", lambda d: set_cell(d, 5, "PARAM", "EASI Score"),
     "CM0102", "ADEASI", "PARAM", 5),
    ("two-baselines", "adeasi", lambda d: set_cell(d, 2, "ABLFL", "Y"),
     "CM0103", "ADEASI", "ABLFL", 2),
    ("chg", "adeasi", lambda d: set_cell(d, 3, "CHG", d.loc[2, "CHG"] + 1),
     "CM0104", "ADEASI", "CHG", 3),
    ("record-flag-n", "adeasi", lambda d: set_cell(d, 4, "ABLFL", "N"),
     "CM0105", "ADEASI", "ABLFL", 4),
    ("flag-value", "adsl", lambda d: set_cell(d, 3, "SAFFL", "X"),
     "AD0005", "ADSL", "SAFFL", 3),
    ("subject-not-in-adsl", "adeasi", lambda d: set_cell(d, 6, "USUBJID", "S-99-999"),
     "CM0106", "ADEASI", "USUBJID", 6),
    ("paramcd-name", "adeasi", lambda d: set_cell(d, 1, "PARAMCD", "1EASI"),
     "CM0107", "ADEASI", "PARAMCD", 1),
    ("base-not-baseline", "adeasi",
     lambda d: (set_cell(d, 5, "BASE", 30.0), set_cell(d, 5, "CHG", d.loc[4, "AVAL"] - 30.0))
     and None, "CM0108", "ADEASI", "BASE", 5),
]


def test_clean_adam_package(tmp_path):
    r = validate(make_adam(tmp_path / "adam"))
    assert r.standard == "ADaMIG 1.3"
    assert r.counts()["error"] == 0, r.findings.head()
    st = {s.rule.id: s.status for s in r.statuses}
    assert all(st[x] == "passed" for x in ("CM0101", "CM0102", "CM0103", "CM0104", "CM0108"))


@pytest.mark.parametrize("case", ADAM_DEFECTS, ids=[c[0] for c in ADAM_DEFECTS])
def test_adam_defect_is_found(case, tmp_path):
    _id, name, change, rule, dataset, variable, record = case
    pkg = make_adam(tmp_path / "adam")
    plant(pkg, name, change)
    assert hits(validate(pkg), rule) == {(dataset, variable, record)}


def test_adam_without_adsl(tmp_path):
    pkg = make_adam(tmp_path / "adam")
    (pkg / "adsl.xpt").unlink()
    assert hits(validate(pkg), "TRC1736") == {("ADSL", None, None)}


# --------------------------------------------------------------------- packages nobody here wrote

@pytest.mark.parametrize("folder", ["sas-xpt", "dataset-json-1.1/examples/sdtm",
                                    "dataset-json-1.1/examples/adam"])
def test_foreign_xpt_packages(reference, folder):
    r = validate(reference / folder)
    assert r.package.records > 0
    assert not [s.rule.id for s in r.statuses if s.status == "error"]


@pytest.mark.parametrize("folder", ["sdtm", "adam"])
def test_foreign_dataset_json_packages(reference, folder, tmp_path):
    src = reference / "dataset-json-1.1" / "examples" / folder
    for f in src.glob("*.json"):
        shutil.copy(f, tmp_path / f.name)
    r = validate(tmp_path)
    assert {d.file_format for d in r.package.datasets.values()} == {"json"}
    assert not [s.rule.id for s in r.statuses if s.status == "error"]
    # the JSON and the SAS-written XPT of the same data give the same findings on records
    # (their metadata differ: the XPT files lack some labels the JSON files have)
    x = validate(src, use_found_define=False)
    key = ["rule", "dataset", "variable", "record"]
    fj = r.findings[r.findings.record.notna()][key].astype(str)
    fx = x.findings[x.findings.record.notna()][key].astype(str)
    assert set(map(tuple, fj.to_numpy())) == set(map(tuple, fx.to_numpy()))


def test_reader_matches_pyreadstat(reference):
    """The validator's own XPT decoding gives exactly what pyreadstat reads, on SAS files."""
    import pyreadstat
    from cdisc_mapper.validate.load import load_package
    files = sorted((reference / "sas-xpt").glob("*.xpt")) + sorted(
        (reference / "dataset-json-1.1" / "examples").glob("*/*.xpt"))
    for f in files:
        ds = next(iter(load_package(f).datasets.values()))
        kw = {"encoding": "cp1252"} if ds.encoding == "cp1252" else {}
        want, _ = pyreadstat.read_xport(str(f), disable_datetime_conversion=True, **kw)
        assert list(ds.data.columns) == list(want.columns), f
        for c in want.columns:
            got = ds.data[c]
            if isinstance(got.dtype, pd.CategoricalDtype):
                assert list(got.astype(object)) == [x.rstrip() for x in want[c].fillna("")], (f, c)
            else:
                a, b = got.to_numpy(dtype=float), want[c].to_numpy(dtype=float)
                assert np.array_equal(a, b, equal_nan=True), (f, c)


def test_pilot_findings_are_real(reference):
    r = validate(reference / "sas-xpt")
    assert r.package.datasets["TS"].encoding == "cp1252"
    assert ("TS", "TSVAL", 9) in hits(r, "CM0015")          # a curly apostrophe in TSVAL
    assert ("TS", "TSPARMCD", None) in hits(r, "TRC1734")   # the pilot TS has no SSTDTC
    assert {h[0] for h in hits(r, "CM0001")} == {"ADSL", "DM", "SUPPDS", "TA", "TE", "TS"}


# ------------------------------------------------------------------------ command line, input

def test_cli_reports(clean_p2, pkg, tmp_path, capsys):
    out = tmp_path / "rep"
    # the XPT files alone (no define.xml): sponsor terms are reported as warnings
    assert cli(str(pkg), "--out", str(out), "--format", "html,xlsx,json,junit") == 0
    text = capsys.readouterr().out
    assert "0 errors" in text and "PASS" in text
    doc = json.loads((out / "validation.json").read_text())
    assert doc["tool"]["name"] == "cdisc-map validate" and doc["standard"] == "SDTMIG 3.4"
    assert doc["controlled_terminology"]["version"] == "2025-03-28"
    assert all(len(i["sha256"]) == 64 for i in doc["inputs"])
    assert {"rule", "severity", "dataset", "variable", "usubjid", "record", "value",
            "message"} <= set(doc["findings"][0])
    assert {r["status"] for r in doc["rules"]} <= {"passed", "issues", "skipped", "error"}
    suite = ET.parse(out / "validation-junit.xml").getroot()
    assert int(suite.get("tests")) == len(doc["rules"]) and suite.get("failures") == "0"
    with zipfile.ZipFile(out / "validation.xlsx") as z:
        wb = z.read("xl/workbook.xml").decode()
    for sheet in ("Report Info", "Dataset Summary", "Issue Summary", "Details", "Rules"):
        assert f'name="{sheet}"' in wb
    page = (out / "validation.html").read_text()
    assert "<script src" not in page and "<link" not in page and "http" not in page.split(
        "<script type")[0].split("</header>")[1]


def test_cli_exit_codes(clean_p2, pkg):
    assert cli(str(clean_p2), "-q") == 0
    assert cli(str(clean_p2), "-q", "--fail-on", "warning") == 0
    assert cli(str(pkg), "-q", "--fail-on", "warning") == 1  # sponsor terms, no define.xml
    plant(pkg, "dm", lambda d: set_cell(d, 2, "SEX", "MALE"))
    assert cli(str(pkg), "-q") == 1
    assert cli(str(pkg), "-q", "--disable", "CM0020") == 0


def test_junit_failure_lists_findings(pkg, tmp_path):
    plant(pkg, "dm", lambda d: set_cell(d, 2, "SEX", "MALE"))
    cli(str(pkg), "-q", "--out", str(tmp_path), "--format", "junit")
    root = ET.parse(tmp_path / "validation-junit.xml").getroot()
    fails = [c for c in root.iter("testcase") if c.find("failure") is not None]
    assert [c.get("name").split()[0] for c in fails] == ["CM0020"]
    assert "DM record 2" in fails[0].find("failure").text


def _bad(capsys, *argv) -> str:
    assert cli(*argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.startswith("error: ")
    return err


def test_bad_input_exit_2(tmp_path, capsys, clean_p2):
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "ae.xpt").write_bytes(b"this is not a transport file" * 10)
    assert "not a SAS transport" in _bad(capsys, str(junk))
    short = tmp_path / "short"
    short.mkdir()
    data = (clean_p2 / "qs.xpt").read_bytes()
    (short / "qs.xpt").write_bytes(data[:len(data) // 2 + 37])
    _bad(capsys, str(short))
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("nothing here")
    assert "no datasets" in _bad(capsys, str(empty))
    assert "no such file" in _bad(capsys, str(tmp_path / "missing"))
    assert "unknown report format" in _bad(capsys, str(clean_p2), "--format", "pdf")
    badjson = tmp_path / "badjson"
    badjson.mkdir()
    (badjson / "dm.json").write_text('{"datasetJSONVersion": "1.1.0", "columns": [')
    assert "Dataset-JSON" in _bad(capsys, str(badjson))


def test_bad_define_exit_2(tmp_path, capsys, clean_p2):
    notxml = tmp_path / "define.xml"
    notxml.write_text("this is <not xml")
    assert "not well-formed" in _bad(capsys, str(clean_p2), "--define", str(notxml))
    other = tmp_path / "other.xml"
    other.write_text("<root/>")
    assert "not a define.xml" in _bad(capsys, str(clean_p2), "--define", str(other))
    bomb = tmp_path / "bomb.xml"
    lol = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    bomb.write_text(f'<?xml version="1.0"?><!DOCTYPE ODM [<!ENTITY lol0 "lol">{lol}]>'
                    f'<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3">&lol9;</ODM>')
    assert "refused" in _bad(capsys, str(clean_p2), "--define", str(bomb))
    assert "not found" in _bad(capsys, str(clean_p2), "--define", str(tmp_path / "nope.xml"))


def test_user_rule_file(clean_p2, tmp_path):
    f = tmp_path / "my-rules.yaml"
    f.write_text("""\
rules:
- id: XX0001
  description: Subjects are enrolled in Korea or the USA.
  severity: error
  domains: [DM]
  check: value_in_list
  params: {variables: [COUNTRY], values: [USA]}
  message: "COUNTRY {value} is not an enrolling country"
disable: [CM0060]
severity: {CM0021: notice}
""")
    r = validate(clean_p2, rules=[f], use_found_define=False)
    assert len(hits(r, "XX0001")) == 72
    st = {s.rule.id: s for s in r.statuses}
    assert st["CM0060"].status == "skipped" and st["CM0060"].reason == "switched off"
    assert r.counts()["warning"] == 0 and r.counts()["notice"] >= 4     # CM0021 made a notice
    assert set(r.findings.loc[r.findings.severity == "notice", "rule"]) == {"CM0021"}


def test_failing_check_is_an_execution_error(clean_p2, tmp_path):
    """A check that fails (here: a user rule with a broken regular expression) gets the status
    "error" with the reason; every other rule still runs."""
    f = tmp_path / "broken.yaml"
    f.write_text("rules:\n- id: XX0002\n  description: d\n  severity: error\n"
                 "  check: value_matches\n  params: {variables: [COUNTRY], pattern: '([A-Z'}\n"
                 "  message: m\n")
    r = validate(clean_p2, rules=[f])
    st = {s.rule.id: s for s in r.statuses}
    assert st["XX0002"].status == "error" and "error" in st["XX0002"].reason.lower()
    assert st["CG0028"].status == "passed" and r.counts()["error"] == 0


def test_bad_user_rule_file(tmp_path, clean_p2, capsys):
    f = tmp_path / "bad.yaml"
    f.write_text("rules:\n- id: XX0001\n  description: d\n  severity: error\n"
                 "  check: value_in_lst\n  message: m\n")
    err = _bad(capsys, str(clean_p2), "--rules", str(f))
    assert "bad.yaml:" in err and "value_in_list" in err


# ---------------------------------------------------------------------------- the catalogue

def test_catalogue_is_consistent():
    cat = load_catalogue()
    checks = all_checks()
    assert len(cat.rules) >= 60
    for r in cat.rules.values():
        assert r.check in checks
        assert r.description and r.message and r.citation, r.id
        if r.id.startswith(("CG", "AD0", "TRC", "FB")):
            assert r.authority is not None, r.id       # authority ids are never invented
        else:
            assert r.id.startswith("CM"), r.id
    fams = {r.family for r in cat.rules.values()}
    assert {"metadata", "terminology", "dates", "identity", "trial_design", "trial_summary",
            "suppqual", "adam", "define"} <= fams


@pytest.mark.parametrize("value,ok", [
    ("2021-03-12", True), ("2021-03-12T10:15", True), ("2021-03-12T10:15:30.5", True),
    ("2021-03", True), ("2021", True), ("2021---12", True), ("--03-12", True),
    ("2021-03-12T10:15+01:00", True), ("2021-03-12/2021-03-14", True),
    ("2021-03-12T10", True), ("2021-3-12", False), ("2021/03/12", False), ("12MAR2021", False),
    ("2021-03-", False), ("2021-03-12T", False), ("2021-02-30", False), ("2021-13-01", False),
    ("2021-03-12T25:00", False), ("2020-02-29", True), ("2021-02-29", False), ("-", False),
])
def test_iso8601_datetime(value, ok):
    syntax, calendar = check_value(value, "datetime")
    assert (syntax is None and calendar is None) == ok


@pytest.mark.parametrize("value,ok", [("P2D", True), ("PT30M", True), ("-PT15M", True),
                                      ("P1W", True), ("P1Y2M", True), ("P", False),
                                      ("PT", False), ("2D", False), ("P2.5D", True)])
def test_iso8601_duration(value, ok):
    assert (check_value(value, "duration") == (None, None)) == ok


def test_start_after_end_at_common_precision():
    assert after("2021-03", "2021-02-15") and not after("2021-03", "2021-03-15")
    assert after("2021-03-15T10:00", "2021-03-15T09:59")
    assert not after("2021-03-15", "2021-03-15T09:00") and not after("", "2021")


# ------------------------------------------------------------------ reports of untrusted data

def test_xlsx_report_neutralises_formulas(pkg, tmp_path):
    """A dataset value that a spreadsheet would run (=HYPERLINK, +, -, @, tab, CR) is written
    as text into validation.xlsx, never as a live formula."""
    import openpyxl

    evil = '=HYPERLINK("http://example.invalid/x","open me")'
    plant(pkg, "dm", lambda d: (set_cell(d, 2, "SEX", evil), set_cell(d, 3, "SEX", "@SUM(A1)"))
          and None)
    r = validate(pkg)
    assert evil in set(r.findings.value)
    r.write_reports(tmp_path, ["xlsx"])
    wb = openpyxl.load_workbook(tmp_path / "validation.xlsx")
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = {c.value for c in cells if isinstance(c.value, str)}
    assert "'" + evil in texts and "'@SUM(A1)" in texts and evil not in texts


def test_issue_summary_and_html_columns(pkg, tmp_path):
    """Issues are counted per distinct value, with every record still listed; the HTML rule
    table sorts each column by the field it shows; the timestamp says what it is."""
    plant(pkg, "dm", lambda d: d.assign(SEX=np.where(d.index < 30, "MALE", d["SEX"])))
    r = validate(pkg)
    st = next(s for s in r.statuses if s.rule.id == "CM0020")
    assert st.found == 30 and st.values == 1
    rows = [i for i in r.issue_summary() if i["rule"] == "CM0020"]
    assert rows == [{"rule": "CM0020", "severity": "error", "dataset": "DM", "variable": "SEX",
                     "value": "MALE", "found": 30, "message": rows[0]["message"]}]
    assert (r.findings.rule == "CM0020").sum() == 30
    assert r.issue_counts()["error"] == 1 and r.counts()["error"] == 30
    assert "1 error (30 records)" in r.summary()
    page = r.write_reports(tmp_path, ["html"])[0].read_text()
    head = page.split('<table id="rules"><thead><tr>')[1].split("</tr>")[0]
    names = [h.split(">", 1)[1] for h in head.split("</th>") if ">" in h]
    assert names == ["Rule", "Authority", "Family", "Severity", "Status", "Issues", "Records",
                     "Seconds", "Description"]
    data = json.loads(page.split('<script type="application/json" id="data">')[1]
                      .split("</script>")[0])
    row = next(x for x in data["rules"] if x[0] == "CM0020")
    assert row[5:8] == [1, 30, st.as_dict()["seconds"]]        # Issues, Records, Seconds
    assert "<b>1</b>error<small>30 records</small>" in page      # not "1 errors"
    assert "run started" in page
    r.reproducible(r.started)
    assert r.header()["started_is"] == "package timestamp (data cut-off)"
    assert "package timestamp (data cut-off)" in r.write_reports(tmp_path, ["html"])[0].read_text()


def test_define_found_above_the_datasets_and_leaf_hrefs(sample, tmp_path):
    """An ADaM package keeps its datasets in datasets/ and may keep define.xml beside them or
    one folder up; every def:leaf href must name a file (CM0220)."""
    adam = tmp_path / "adam"
    copy_package(sample / P2 / SDTM, adam / "datasets")    # any datasets will do
    names = sorted(p.name for p in (adam / "datasets").glob("*.xpt"))
    assert "dm.xpt" in names
    leaves = "".join(
        f'<ItemGroupDef OID="IG.{n}" Name="{n[:-4].upper()}" Repeating="No" Purpose="Analysis" '
        f'def:ArchiveLocationID="LF.{n}"><def:leaf ID="LF.{n}" xlink:href="{n}"><def:title>{n}'
        f'</def:title></def:leaf></ItemGroupDef>' for n in names)
    doc = ('<?xml version="1.0" encoding="UTF-8"?><ODM xmlns="http://www.cdisc.org/ns/odm/v1.3"'
           ' xmlns:def="http://www.cdisc.org/ns/def/v2.1" xmlns:xlink="http://www.w3.org/1999/'
           'xlink" ODMVersion="1.3.2"><Study OID="S"><GlobalVariables><StudyName>S</StudyName>'
           '</GlobalVariables><MetaDataVersion OID="M" Name="m">'
           f'{leaves}<def:leaf ID="LF.SAP" xlink:href="sap.pdf#page=3"><def:title>SAP'
           '</def:title></def:leaf></MetaDataVersion></Study></ODM>')
    (adam / "datasets" / "define.xml").write_text(doc)
    (adam / "datasets" / "sap.pdf").write_bytes(b"%PDF-1.4")
    r = validate(adam)
    assert r.define is not None and r.define.path == adam / "datasets" / "define.xml"
    st = {s.rule.id: s for s in r.statuses}
    assert st["CM0220"].status == "passed", st["CM0220"].reason
    (adam / "datasets" / "define.xml").rename(adam / "define.xml")      # one folder up
    r = validate(adam)
    assert r.define is not None and r.define.path == adam / "define.xml"
    f = r.findings[r.findings.rule == "CM0220"]
    assert set(f.value) == {*names, "sap.pdf#page=3"} and set(f.dataset) == {"define.xml"}
    assert all(isinstance(x, (int, np.integer)) and x > 0 for x in f.record)  # line numbers


def test_large_define_parses_in_bounded_memory():
    """A 20 MB define.xml is read in a few seconds with a bounded memory peak (the 150 MB
    figure is in benchmarks/define_large.py)."""
    import subprocess
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, str(root / "benchmarks" / "define_large.py"), "--mb",
                          "20", "--json"], capture_output=True, text=True, check=True, cwd=root)
    f = json.loads(out.stdout.strip().splitlines()[-1])
    assert f["mb"] >= 19 and f["codelists"] > 200 and f["items"] == 2000
    assert f["peak_mb"] - f["base_mb"] < 200, f       # a whole tree would take over 1 GB
    assert f["seconds"] < 30, f
