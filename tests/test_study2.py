"""The second example study, HTN201: its generator, its conversion with no step outside the tool,
and its Findings values held against hand-computed conversions."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from cdisc_mapper.engine.findings import nearest_visit, range_indicator
from cdisc_mapper.engine.run import convert_study
from cdisc_mapper.synth import htn201

ROOT = Path(__file__).resolve().parents[1]
STUDY_FILE = ROOT / "mappings" / "HTN201" / "study.yaml"
SAMPLES = ROOT / "samples" / "HTN201"


def test_committed_samples_equal_a_fresh_generation(tmp_path):
    paths = htn201.write_study(tmp_path)
    assert sorted(p.name for p in SAMPLES.iterdir()) == sorted(p.name for p in paths)
    for p in paths:
        assert (SAMPLES / p.name).read_bytes() == p.read_bytes(), f"samples/HTN201/{p.name} drifted"


def test_the_generator_draws_the_designed_study():
    forms = htn201.generate_study()
    dm, ds, rand = forms["dm"], forms["ds"], forms["rand"]
    assert len(dm) == 56 and len(rand) == 48 and len(forms["ie"]) == 8
    assert (ds["IT.DSDECOD"] == "Screen Failure").sum() == 8
    assert set(dm["SiteNumber"]) == {"101", "102", "103"}
    assert dm["IT.ICDAT"].str.fullmatch(r"\d\d/\d\d/20\d\d").all()
    assert forms["ae"]["IT.AESTDAT"].str.fullmatch(r"\d\d/UN/20\d\d").any()
    assert forms["ae"]["IT.AEENDAT"].str.fullmatch(r"UN/UNK/20\d\d").any()
    assert set(forms["vs"]["VS.WEIGHTU"]) == {"lb", "kg", ""}
    assert list(forms["lb"].columns[:5]) == ["Subject", "SiteNumber", "Accession",
                                             "Collection Date", "Collection Time"]
    other = htn201.generate_study(seed=7)
    assert not other["vs"].equals(forms["vs"])


def _edit(raw: Path) -> None:
    """Put the hand-computed cases into a copy of the raw data."""
    vs = pd.read_csv(raw / "vs.csv", dtype=str, keep_default_na=False)
    first = vs.index[(vs["VS.WEIGHTU"] == "lb") & (vs["VS.VSTPT"] == "")][0]
    vs.loc[first, ["VS.WEIGHT", "VS.TEMP", "VS.TEMPU"]] = ["150", "98.6", "F"]
    vs.to_csv(raw / "vs.csv", index=False, lineterminator="\n")
    lb = pd.read_csv(raw / "lb.csv", dtype=str, keep_default_na=False)
    glu = lb.index[lb["Lab Test Code"] == "GLU"][0]
    lb.loc[glu, "Result"] = "100"
    lb.to_csv(raw / "lb.csv", index=False, lineterminator="\n")


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    raw = tmp_path_factory.mktemp("raw")
    for f in SAMPLES.iterdir():
        shutil.copy(f, raw / f.name)
    _edit(raw)
    out = tmp_path_factory.mktemp("out")
    res = convert_study(STUDY_FILE, out, raw_dir=raw)
    return res


def test_converts_and_validates_with_no_errors(package):
    from cdisc_mapper.validate import validate

    assert not [p for p in package.problems if p.severity == "error"]
    assert {"DM", "AE", "DS", "EX", "VS", "LB", "SV", "TS", "TV"} <= set(package.datasets)
    v = validate(package.out_dir)
    assert v.counts().get("error", 0) == 0 and v.counts().get("warning", 0) == 0


def test_odm_and_sas_forms_read_back_as_generated():
    """The AE log (ODM-XML) and the exposure form (SAS7BDAT) give back the generated cells;
    the SAS file reads the same with pyreadstat and pandas, its dates as SAS dates."""
    import datetime as dt

    import pyreadstat

    from cdisc_mapper.io.rawformats import read_table

    forms = htn201.generate_study()
    def cells(t):
        return t.astype(object).where(t != "", None)
    ae = read_table(SAMPLES / "ae.xml", "ae.xml", {"item_group": "IG.AE"}, "Subject")
    want = cells(forms["ae"].drop(columns=["SiteNumber"]))
    assert ae[list(want.columns)].equals(want) and set(ae.columns) == set(want.columns)
    ex = read_table(SAMPLES / "ex.sas7bdat", "ex.sas7bdat")
    assert ex.equals(cells(forms["ex"]))
    frame, meta = pyreadstat.read_sas7bdat(str(SAMPLES / "ex.sas7bdat"))
    assert meta.original_variable_types["EXSTDAT"] == "DATE9." and meta.table_name == "EX"
    assert meta.creation_time == htn201.export_time(forms)           # the stamp, not the clock
    pd_frame = pd.read_sas(SAMPLES / "ex.sas7bdat", encoding="utf-8")
    assert (pd_frame["EXDOSE"] == frame["EXDOSE"]).all()
    assert pd_frame["EXSTDAT"].dt.date.tolist() == frame["EXSTDAT"].tolist()
    assert frame["EXSTDAT"].iloc[0] == dt.date.fromisoformat(forms["ex"]["EXSTDAT"].iloc[0])


def test_odm_form_is_valid_odm_1_3_2(reference):
    from lxml import etree

    xsd = reference / "define-xml-2.1" / "schema" / "cdisc-odm-1.3.2" / "ODM1-3-2.xsd"
    schema = etree.XMLSchema(etree.parse(str(xsd)))
    assert schema.validate(etree.parse(str(SAMPLES / "ae.xml"))), schema.error_log.last_error


def test_adverse_events_coded_at_every_level(package):
    ae = package.datasets["AE"].data
    for term, code in (("AELLT", "AELLTCD"), ("AEDECOD", "AEPTCD"), ("AEHLT", "AEHLTCD"),
                       ("AEHLGT", "AEHLGTCD"), ("AEBODSYS", "AEBDSYCD"), ("AESOC", "AESOCCD")):
        assert ae[term].notna().all() and ae[code].notna().all(), term
        assert (ae.groupby(term)[code].nunique() == 1).all(), term     # one code per term
    assert (ae["AEBDSYCD"] == ae["AESOCCD"]).all()
    head = ae[ae["AEDECOD"] == "Headache"]
    assert (head["AEPTCD"] == 92000022).all() and (head["AESOC"] == "Nervous system disorders").all()


def test_day_one_pre_dose_records_are_in_screening(package):
    """EPOCH follows the element the record's date and time fall in: on Day 1, before the
    first dose time (RFXSTDTC) is SCREENING, after it TREATMENT."""
    dm = package.datasets["DM"].data.set_index("USUBJID")["RFXSTDTC"]
    for name, dtc in (("VS", "VSDTC"), ("LB", "LBDTC")):
        d = package.datasets[name].data
        d = d[d["VISIT"] == "DAY 1"].dropna(subset=[dtc])
        first = d["USUBJID"].map(dm)
        same_day = d[dtc].str[:10] == first.str[:10]
        before = same_day & (d[dtc] < first)             # both 'YYYY-MM-DDTHH:MM': text order
        after = same_day & (d[dtc] >= first)
        assert before.any(), name
        assert after.any() or name == "LB", name       # labs are drawn before the dose only
        assert (d.loc[before, "EPOCH"] == "SCREENING").all(), name
        assert (d.loc[after, "EPOCH"] == "TREATMENT").all(), name


def test_screen_failures_have_no_arm(package):
    dm = package.datasets["DM"].data
    sf = dm[dm["ARMNRS"] == "SCREEN FAILURE"]
    assert len(sf) == 8 and sf["ARMCD"].isna().all() and sf["ARM"].isna().all()
    assert (dm["ARMNRS"] == "ASSIGNED, NOT TREATED").sum() == 1
    assert dm["ARMCD"].notna().sum() == 48


def test_vital_signs_converted_by_hand(package):
    vs = package.datasets["VS"].data
    weight = vs[(vs["VSTESTCD"] == "WEIGHT") & (vs["VSORRES"] == "150")]
    assert (weight["VSORRESU"] == "LB").all() and (weight["VSSTRESU"] == "kg").all()
    assert weight["VSSTRESN"].iloc[0] == 68.04                  # 150 x 0.45359237 = 68.0389
    temp = vs[(vs["VSTESTCD"] == "TEMP") & (vs["VSORRES"] == "98.6")]
    assert temp["VSSTRESN"].iloc[0] == 37.0 and temp["VSSTRESU"].iloc[0] == "C"
    height = vs[vs["VSTESTCD"] == "HEIGHT"].dropna(subset=["VSSTRESN"])
    inches = height["VSORRES"].astype(float)
    assert ((height["VSSTRESN"] - inches * 2.54).abs() <= 0.005 + 1e-9).all()
    kg = vs[(vs["VSTESTCD"] == "WEIGHT") & (vs["VSORRESU"] == "kg")]
    assert len(kg) and (kg["VSSTRESN"] == kg["VSORRES"].astype(float)).all()


def test_not_done_records_and_baseline(package):
    vs = package.datasets["VS"].data
    nd = vs[vs["VSSTAT"] == "NOT DONE"]
    assert len(nd) == 5 and nd["VSORRES"].isna().all() and nd["VSORRESU"].isna().all()
    assert set(nd["VSREASND"]) == {"Equipment malfunction", "Scale not available"}
    base = vs[vs["VSBLFL"] == "Y"]
    # baseline is Day 1 pre-dose (or screening), never the 2-hour post-dose reading
    assert set(base["VISIT"]) <= {"DAY 1", "SCREENING"}
    assert (base["VSTPT"].fillna("") != "2 HR POST-DOSE").all()
    assert not base.duplicated(["USUBJID", "VSTESTCD"]).any()
    sv = package.datasets["SV"].data
    assert (sv.loc[sv["VISIT"] == "WEEK 12", "VISITDY"] == 85).all()


def test_laboratory_converted_by_hand(package):
    lb = package.datasets["LB"].data
    glu = lb[(lb["LBTESTCD"] == "GLUC") & (lb["LBORRES"] == "100")]
    assert glu["LBSTRESN"].iloc[0] == 5.55 and glu["LBSTRESU"].iloc[0] == "mmol/L"
    creat = lb[(lb["LBTESTCD"] == "CREAT")].dropna(subset=["LBSTRESN"])
    exact = creat["LBORRES"].astype(float) * 88.42                # rounded to 2 decimals
    assert ((creat["LBSTRESN"] - exact).abs() <= 0.005 + 1e-9).all()
    assert (creat["LBSTNRLO"] == 53.05).all() and (creat["LBSTNRHI"] == 106.1).all()
    high = lb["LBSTRESN"] > lb["LBSTNRHI"]
    assert (lb.loc[high, "LBNRIND"] == "HIGH").all() and high.any()
    nd = lb[lb["LBSTAT"] == "NOT DONE"]
    assert len(nd) == 2 and set(nd["LBTESTCD"]) == {"K"}
    assert set(nd["LBREASND"]) == {"SPECIMEN HEMOLYZED"} and nd["LBNRIND"].isna().all()
    treated = lb[lb["LBDY"].notna()]
    assert set(treated["VISIT"]) == {"SCREENING", "DAY 1", "WEEK 4", "WEEK 12"}


def test_range_indicator_limits_are_normal():
    r = pd.Series([3.4, 3.5, 5.1, 5.2, None])
    out = range_indicator(r, pd.Series([3.5] * 5), pd.Series([5.1] * 5))
    assert out.tolist()[:4] == ["LOW", "NORMAL", "NORMAL", "HIGH"] and pd.isna(out.iloc[4])


def test_nearest_visit_ties_go_earlier_and_far_days_get_none():
    pos = nearest_visit(pd.Series([8.0, 22.0, 40.0, None]), [1, 15, 29], within=7)
    assert pos.tolist()[:2] == [0.0, 1.0] and pos.isna().tolist()[2:] == [True, True]


def test_init_writes_a_skeleton_that_passes_check(tmp_path):
    from cdisc_mapper.engine.run import codelists_for
    from cdisc_mapper.init import init_study
    from cdisc_mapper.mapping.checks import check_study
    from cdisc_mapper.mapping.study import load_study
    from cdisc_mapper.standards import load_standard

    folder = tmp_path / "mappings" / "DEMO"
    paths = init_study("DEMO", SAMPLES, folder)
    assert {p.name for p in paths} == {"study.yaml", "dm.yaml", "ae.yaml", "ds.yaml", "ex.yaml",
                                       "ie.yaml", "lb.yaml", "sv.yaml", "vs.yaml"}
    ae = (folder / "ae.yaml").read_text()                 # read from the ODM-XML file
    assert "IT.AETERM" in ae and "AETERM: {method: assign, from: IT.AETERM}" in ae
    assert "AEDECOD: {method: hardcode, value: null}   # TODO: required" in ae
    assert "AEPTCD: {method: number, from: IT.AEPTCD}" in ae
    ex = (folder / "ex.yaml").read_text()                 # read from the SAS dataset
    assert "EXSTDTC: {method: iso_date, date: EXSTDAT, time: EXSTTIM}" in ex
    assert "EXDOSE: {method: number, from: EXDOSE}" in ex
    vs = (folder / "vs.yaml").read_text()                 # wide: a stack of the test columns
    assert "stack:" in vs and "VS.SYSBP: {TESTCD: SYSBP}" in vs and "VS.PULSE: {TESTCD: PULSE}" in vs
    assert "VS.TEMP: {TESTCD: TEMP, UNIT: {from: VS.TEMPU}}" in vs
    assert "VSORRES: {method: assign, from: VALUE}" in vs and "from: VS.SYSBP}" not in vs
    text = (folder / "study.yaml").read_text()
    assert "rand" in text                                  # listed as not recognised
    assert "ae: {file: ae.xml, item_group: IG.AE}" in text and "ex: {file: ex.sas7bdat}" in text
    study = load_study(folder / "study.yaml")
    assert study.subject_id == "Subject" and study.raw_dir == SAMPLES.resolve()
    assert set(study.datasets) == {"DM", "AE", "DS", "EX", "IE", "LB", "SV", "VS"}
    codelists, _ = codelists_for(study, None)
    assert check_study(study, load_standard("SDTMIG", "3.4"), codelists) == []
    from cdisc_mapper.errors import UsageError
    with pytest.raises(UsageError, match="--force"):
        init_study("DEMO", SAMPLES, folder)
