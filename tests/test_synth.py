"""The seeded synthetic raw-data generator and the committed sample study."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cdisc_mapper.errors import UsageError
from cdisc_mapper.synth import DEFAULT_SEED, STUDIES, generate_study, write_study
from cdisc_mapper.synth.ae_terms import TERMS

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
DICTIONARY = ROOT / "mappings" / "dictionaries" / "ae_dictionary.csv"
FORMS = ("dm", "ic", "rand", "ex", "ae", "easi", "iga", "bsa", "dlqi", "nrs", "sv", "ds")
ASSESSMENTS = {"easi": "EASIDAT", "iga": "IGADAT", "bsa": "BSADAT", "dlqi": "DLQIDAT",
               "nrs": "NRSDAT"}
FULL_DATE = re.compile(r"^(0[1-9]|[12]\d|3[01]) (JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC) "
                       r"(19|20)\d\d$")
PARTIAL_DATE = re.compile(r"^UN (JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC|UNK) (19|20)\d\d$")
WEIGHTS = {"HN": 0.1, "UL": 0.2, "TR": 0.3, "LL": 0.4}
DLQI_SCORE = {"very much": 3, "a lot": 2, "a little": 1, "not at all": 0, "not relevant": 0}


def read_forms(folder: Path) -> dict[str, pd.DataFrame]:
    return {f: pd.read_csv(folder / f"{f}.csv", dtype=str, keep_default_na=False) for f in FORMS}


def parse_date(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%d %b %Y").date()


def visit(df: pd.DataFrame) -> pd.Series:
    return df["VISIT"].str.strip().str.title()


def by_visit(df: pd.DataFrame, column: str) -> pd.DataFrame:
    """subject x visit table of a numeric column."""
    return (df.assign(V=visit(df), X=pd.to_numeric(df[column]))
              .pivot(index="SUBJECT", columns="V", values="X"))


def arm_of(forms) -> pd.Series:
    return forms["rand"].set_index("SUBJECT")["TRTGRP"]


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("synth")
    return {s: _write(base / s, s) for s in STUDIES}


def _write(folder: Path, study: str, **kwargs) -> Path:
    paths = write_study(folder, study, **kwargs)
    assert [p.name for p in paths] == [f"{f}.csv" for f in FORMS]
    return folder


@pytest.fixture(scope="module")
def data(written) -> dict[str, dict[str, pd.DataFrame]]:
    return {s: read_forms(folder) for s, folder in written.items()}


# --- API ----------------------------------------------------------------------------------------

def test_api_constants():
    assert STUDIES == ("ADT2002-P1", "ADT2002-P2")
    assert isinstance(DEFAULT_SEED, int)


@pytest.mark.parametrize("kwargs", [dict(study="ADT2002-P3"), dict(study="adt2002-p1"),
                                    dict(study="ADT2002-P1", n_subjects=1),
                                    dict(study="ADT2002-P2", n_subjects=0),
                                    dict(study="ADT2002-P2", n_subjects=-5),
                                    dict(study="ADT2002-P2", n_subjects=2.5)])
def test_bad_arguments_raise_usage_error(kwargs):
    with pytest.raises(UsageError):
        generate_study(**kwargs)


def test_unknown_study_message_names_the_studies(tmp_path):
    with pytest.raises(UsageError, match="ADT2002-P1, ADT2002-P2"):
        write_study(tmp_path, "XYZ")


def test_returned_tables_equal_the_written_files(data):
    for study in STUDIES:
        fresh = generate_study(study)
        assert list(fresh) == list(FORMS)
        for form in FORMS:
            pd.testing.assert_frame_equal(fresh[form].astype(object),
                                          data[study][form].astype(object), check_dtype=False)


# --- determinism and the committed samples -----------------------------------------------------

def test_same_seed_gives_byte_identical_files(written, tmp_path):
    for study in STUDIES:
        again = _write(tmp_path / study, study)
        for form in FORMS:
            first = (written[study] / f"{form}.csv").read_bytes()
            assert first == (again / f"{form}.csv").read_bytes(), (study, form)
            assert b"\r" not in first
            first.decode("utf-8")


def test_other_seed_gives_other_data_with_the_same_results(tmp_path):
    forms = read_forms(_write(tmp_path, "ADT2002-P2", seed=DEFAULT_SEED + 1))
    assert _easi50(forms) == {"A": (15, 36), "B": (6, 36)}
    assert not forms["easi"].equals(generate_study("ADT2002-P2")["easi"])


def test_committed_samples_equal_a_fresh_generation(written):
    for study in STUDIES:
        folder = SAMPLES / study
        assert sorted(p.name for p in folder.glob("*.csv")) == sorted(f"{f}.csv" for f in FORMS)
        for form in FORMS:
            assert (folder / f"{form}.csv").read_bytes() == \
                (written[study] / f"{form}.csv").read_bytes(), f"samples/{study}/{form}.csv drifted"


# --- published results -------------------------------------------------------------------------

def _easi50(forms) -> dict[str, tuple[int, int]]:
    """Responders at week 12 (missing counts as non-response) and subjects, per arm."""
    tot = by_visit(forms["easi"], "EASITOT")
    arm = arm_of(forms)
    responder = (tot["Week 12"] <= 0.5 * tot["Week 0"]).reindex(arm.index, fill_value=False)
    return {a: (int(responder[arm == a].sum()), int((arm == a).sum())) for a in ("A", "B")}


def test_phase1_easi50_is_7_of_10_and_6_of_9(data):
    forms = data["ADT2002-P1"]
    assert _easi50(forms) == {"A": (7, 10), "B": (6, 10)}
    w12 = by_visit(forms["easi"], "EASITOT")["Week 12"].dropna()
    arm = arm_of(forms)
    assert (arm[w12.index] == "A").sum() == 10 and (arm[w12.index] == "B").sum() == 9
    p = stats.chi2_contingency([[7, 3], [6, 3]], correction=False)[1]
    assert round(p, 1) == 0.9


def test_phase2_easi50_is_15_of_36_and_6_of_36(data):
    forms = data["ADT2002-P2"]
    assert _easi50(forms) == {"A": (15, 36), "B": (6, 36)}
    p = stats.chi2_contingency([[15, 21], [6, 30]], correction=True)[1]
    assert round(p, 3) == 0.038
    # a few subjects per arm have no week-12 value
    w12 = by_visit(forms["easi"], "EASITOT")["Week 12"].dropna()
    arm = arm_of(forms)
    missing = arm[~arm.index.isin(w12.index)]
    assert (missing == "A").sum() >= 1 and (missing == "B").sum() >= 1


@pytest.mark.parametrize("study", STUDIES)
@pytest.mark.parametrize("form,column", [("dlqi", "DLQITOT"), ("nrs", "NRS")])
def test_dlqi_and_nrs_change_not_significant(data, study, form, column):
    forms = data[study]
    table = by_visit(forms[form], column)
    change = (table["Week 12"] - table["Week 0"]).dropna()
    arm = arm_of(forms)[change.index]
    a, b = change[arm == "A"], change[arm == "B"]
    assert stats.ttest_ind(a, b, equal_var=False).pvalue > 0.05
    assert stats.mannwhitneyu(a, b, alternative="two-sided").pvalue > 0.05


# --- internal consistency and inclusion ---------------------------------------------------------

@pytest.mark.parametrize("study", STUDIES)
def test_easi_total_is_the_weighted_sum_of_items(data, study):
    easi = data[study]["easi"]
    total = np.zeros(len(easi))
    for region, weight in WEIGHTS.items():
        signs = sum(easi[f"{region}_{s}"].astype(float) for s in ("ERY", "EDE", "EXC", "LIC"))
        area = easi[f"{region}_AREA"].astype(int)
        assert set(area) <= set(range(7))
        for s in ("ERY", "EDE", "EXC", "LIC"):
            values = easi[f"{region}_{s}"].astype(float)
            assert ((values * 2) % 1 == 0).all() and values.between(0, 3).all()
        total += weight * signs * area
    assert np.allclose(easi["EASITOT"].astype(float), np.round(total, 1), atol=1e-9)
    assert easi["EASITOT"].str.fullmatch(r"\d{1,2}\.\d").all()


@pytest.mark.parametrize("study", STUDIES)
def test_dlqi_total_is_the_sum_of_items(data, study):
    dlqi = data[study]["dlqi"]
    items = dlqi[[f"DLQI{i:02d}" for i in range(1, 11)]].apply(
        lambda c: c.str.lower().map(DLQI_SCORE))
    assert items.notna().all().all()
    assert (items.sum(axis=1) == dlqi["DLQITOT"].astype(int)).all()


@pytest.mark.parametrize("study", STUDIES)
def test_inclusion_criteria(data, study):
    forms = data[study]
    for visit_name in ("Screening", "Week 0"):
        assert (by_visit(forms["easi"], "EASITOT")[visit_name] >= 16).all()
        assert (by_visit(forms["bsa"], "BSA")[visit_name] >= 10).all()
        iga = forms["iga"][visit(forms["iga"]) == visit_name]["IGA"].str.lower()
        assert iga.isin(["moderate", "severe"]).all()
    dm = forms["dm"].set_index("SUBJECT")
    ic = forms["ic"].set_index("SUBJECT")
    for subject in dm.index:
        born, consent = parse_date(dm.at[subject, "BRTHDAT"]), parse_date(ic.at[subject, "ICDAT"])
        age = consent.year - born.year - ((consent.month, consent.day) < (born.month, born.day))
        assert age >= 19, subject
    assert (dm["ADDUR"].astype(int) >= 1).all()


@pytest.mark.parametrize("study", STUDIES)
def test_visit_dates_follow_the_schedule(data, study):
    forms = data[study]
    sv = forms["sv"][forms["sv"]["VISOCCUR"] == "Yes"]
    dates = sv.assign(V=visit(sv), D=sv["VISDAT"].map(parse_date)).pivot(
        index="SUBJECT", columns="V", values="D")
    day1 = dates["Week 0"]
    screening = (day1 - dates["Screening"]).map(lambda d: d.days)
    assert screening.between(1, 28).all()
    ic = forms["ic"].set_index("SUBJECT")["ICDAT"].map(parse_date)
    assert (ic < dates["Screening"]).all()
    rand = forms["rand"].set_index("SUBJECT")["RANDDAT"].map(parse_date)
    assert (day1 - rand).map(lambda d: d.days).isin([0, 1]).all()
    for name in dates.columns:
        if name.startswith("Week") and name != "Week 0":
            week = int(name.split()[1])
            offset = (dates[name].dropna() - day1[dates[name].dropna().index]).map(lambda d: d.days)
            assert (offset - 7 * week).abs().max() <= 7, name
    # every visit that took place has all five instruments, on the visit date
    took_place = set(zip(sv["SUBJECT"], visit(sv), sv["VISDAT"]))
    for form, date_column in ASSESSMENTS.items():
        df = forms[form]
        assert set(zip(df["SUBJECT"], visit(df), df[date_column])) == took_place, form


def test_phase_dates_match_the_trial(data):
    p2 = data["ADT2002-P2"]
    first_dose = min(p2["ex"]["EXSTDAT"].map(parse_date))
    assert first_dose == dt.date(2021, 2, 16)
    visits = p2["sv"]["VISDAT"][p2["sv"]["VISDAT"] != ""].map(parse_date)
    assert max(visits) == dt.date(2022, 10, 26)
    assert max(p2["ex"]["EXSTDAT"].map(parse_date)) <= dt.date(2022, 5, 31)
    p1 = data["ADT2002-P1"]
    assert min(p1["ex"]["EXSTDAT"].map(parse_date)) == dt.date(2020, 1, 14)
    assert max(p1["rand"]["RANDDAT"].map(parse_date)) <= dt.date(2020, 7, 31)


def test_design_visits_sites_and_doses(data):
    p1, p2 = data["ADT2002-P1"], data["ADT2002-P2"]
    assert p1["dm"]["SITE"].nunique() == 6 and p2["dm"]["SITE"].nunique() == 15
    assert set(visit(p1["sv"])) == {"Screening", "Week 0", "Week 2", "Week 4", "Week 8", "Week 12",
                                    "Week 16", "Week 24"}
    assert set(visit(p2["sv"])) == {"Screening", "Week 0", "Week 1", "Week 2", "Week 4", "Week 8",
                                    "Week 12", "Week 16", "Week 24"}
    assert set(visit(p1["ex"])) == {"Week 0", "Week 2", "Week 4"}
    assert set(visit(p2["ex"])) == {"Week 0", "Week 1", "Week 2"}
    for forms, doses in ((p1, {"A": "1000000", "B": "500000"}), (p2, {"A": "500000", "B": "0"})):
        arm = arm_of(forms)
        assert (forms["ex"]["EXDOSE"] == forms["ex"]["SUBJECT"].map(arm).map(doses)).all()
        assert forms["dm"]["SUBJECT"].str.fullmatch(r"\d\d-\d{3}").all()
        assert (forms["dm"]["SUBJECT"].str[:2] == forms["dm"]["SITE"]).all()
    # phase 1: weeks 16 and 24 for EASI-50 responders only
    tot = by_visit(p1["easi"], "EASITOT")
    responders = set(tot.index[tot["Week 12"] <= 0.5 * tot["Week 0"]])
    late = set(p1["sv"]["SUBJECT"][visit(p1["sv"]).isin(["Week 16", "Week 24"])])
    assert late == responders


# --- messiness ----------------------------------------------------------------------------------

@pytest.mark.parametrize("study", STUDIES)
def test_every_date_parses(data, study):
    for form, df in data[study].items():
        for column in [c for c in df.columns if c.endswith("DAT")]:
            values = df[column][df[column] != ""]
            full = values.str.fullmatch(FULL_DATE.pattern)
            if form == "ae":
                assert (full | values.str.fullmatch(PARTIAL_DATE.pattern)).all(), (form, column)
            else:
                assert full.all(), (form, column)
            values[full].map(parse_date)


@pytest.mark.parametrize("study", STUDIES)
def test_partial_dates_and_ongoing_events(data, study):
    ae = data[study]["ae"]
    dates = pd.concat([ae["AESTDAT"], ae["AEENDAT"]])
    assert dates.str.fullmatch(r"UN [A-Z]{3} \d{4}").any()
    assert dates.str.fullmatch(r"UN UNK \d{4}").any()
    ongoing = ae["AEONGO"] == "Yes"
    assert ongoing.any()
    assert (ae.loc[ongoing, "AEENDAT"] == "").all() and (ae.loc[~ongoing, "AEENDAT"] != "").all()


@pytest.mark.parametrize("study", STUDIES)
def test_adverse_events_are_plausible(data, study):
    forms = data[study]
    ae = forms["ae"]
    severity = ae["AESEV"].str.lower()
    assert severity.isin(["mild", "moderate", "severe"]).all()
    assert (severity == "severe").sum() >= 1
    assert (severity != "severe").mean() > 0.8
    serious = ae[ae["AESER"] == "Yes"]
    assert 1 <= len(serious) <= 2 and (serious["AEREL"] == "Not related").all()
    assert (ae["AETERM"] != ae["AELLT"]).any()   # verbatim terms as typed
    assert ae["AETERM"].isin(["Haedache", "nasopharingitis"]).any()
    ds = forms["ds"].set_index("SUBJECT")["DSSTDAT"].map(parse_date)
    day1 = forms["ex"][forms["ex"]["INFNUM"] == "1"].set_index("SUBJECT")["EXSTDAT"].map(parse_date)
    full = ae[ae["AESTDAT"].str.fullmatch(FULL_DATE.pattern)]
    start = full["AESTDAT"].map(parse_date)
    assert (start >= full["SUBJECT"].map(day1)).all() and (start <= full["SUBJECT"].map(ds)).all()
    both = full[full["AEENDAT"].str.fullmatch(FULL_DATE.pattern)]
    assert (both["AEENDAT"].map(parse_date) >= both["AESTDAT"].map(parse_date)).all()


def test_every_coded_term_is_in_the_dictionary(data):
    dictionary = pd.read_csv(DICTIONARY, dtype=str, keep_default_na=False)
    assert list(dictionary.columns) == ["LLT", "LLTCD", "PT", "PTCD", "HLT", "HLTCD", "HLGT",
                                        "HLGTCD", "SOC", "SOCCD"]
    assert dictionary["LLT"].is_unique and (dictionary != "").all().all()
    assert "Skin and subcutaneous tissue disorders" in set(dictionary["SOC"])
    assert dictionary.loc[dictionary["LLT"] == "Atopic dermatitis flare", "PT"].item() == \
        "Dermatitis atopic"
    known = set(dictionary["LLT"])
    assert {t.llt for t in TERMS} <= known
    for study in STUDIES:
        assert set(data[study]["ae"]["AELLT"]) <= known
    big = generate_study("ADT2002-P2", n_subjects=500)["ae"]
    assert set(big["AELLT"]) <= known


@pytest.mark.parametrize("study", STUDIES)
def test_mixed_case_coded_values(data, study):
    forms = data[study]
    values = pd.concat([forms["dm"]["SEX"], forms["iga"]["IGA"], forms["sv"]["VISIT"],
                        forms["ae"]["AESEV"]])
    assert (values.str.islower() | values.str.isupper()).any()
    assert forms["dm"]["SEX"].str.lower().isin(["male", "female"]).all()


def test_missed_visit_has_no_assessments(data):
    for study, expected in (("ADT2002-P1", {"Week 8"}), ("ADT2002-P2", {"Week 12"})):
        forms = data[study]
        sv = forms["sv"]
        missed = sv[(sv["VISOCCUR"] == "No") & (sv["VISREAS"] != "")]
        assert (missed["VISDAT"] == "").all()
        assert set(visit(missed)) >= expected
        for form in ASSESSMENTS:
            df = forms[form]
            done = set(zip(df["SUBJECT"], visit(df)))
            assert not done & set(zip(missed["SUBJECT"], visit(missed))), form
        if study == "ADT2002-P2":
            w12 = missed[visit(missed) == "Week 12"]
            assert set(arm_of(forms)[w12["SUBJECT"]]) == {"A", "B"}


def test_interrupted_infusion_in_each_phase(data):
    for study in STUDIES:
        ex = data[study]["ex"]
        minutes = (pd.to_datetime(ex["EXENTIM"], format="%H:%M")
                   - pd.to_datetime(ex["EXSTTIM"], format="%H:%M")).dt.total_seconds() / 60
        interrupted = ex["INTRPT"] == "Yes"
        assert interrupted.sum() == 1
        assert ex.loc[interrupted, "INTRSN"].str.contains("Chills").all()
        assert (ex.loc[~interrupted, "INTRSN"] == "").all()
        assert minutes[interrupted].min() > minutes[~interrupted].max()
        row = ex[interrupted].iloc[0]
        ae = data[study]["ae"]
        match = ae[(ae["SUBJECT"] == row["SUBJECT"]) & (ae["AESTDAT"] == row["EXSTDAT"])]
        assert (match["AEACN"] == "Drug interrupted").any()


def test_discontinued_subjects(data):
    p1 = data["ADT2002-P1"]
    ds = p1["ds"][p1["ds"]["DSDECOD"].str.lower() != "completed"]
    assert len(ds) == 1
    subject = ds["SUBJECT"].item()
    assert arm_of(p1)[subject] == "B"
    assert ds["DSDECOD"].str.lower().item() == "withdrawal by subject"
    assert (p1["ex"]["SUBJECT"] == subject).sum() == 1
    assert ds["LASTDOSE"].item() == p1["ex"].loc[p1["ex"]["SUBJECT"] == subject, "EXSTDAT"].item()
    others = p1["ex"][p1["ex"]["SUBJECT"] != subject]
    assert (others.groupby("SUBJECT").size() == 3).all()

    p2 = data["ADT2002-P2"]
    ds2 = p2["ds"][p2["ds"]["DSDECOD"].str.lower() != "completed"]
    withdrawn = ds2[ds2["DSDECOD"].str.lower() == "withdrawal by subject"]
    assert set(arm_of(p2)[withdrawn["SUBJECT"]]) == {"A", "B"}
    last_dose = p2["ex"].assign(D=p2["ex"]["EXSTDAT"].map(parse_date)).groupby("SUBJECT")["D"].max()
    assert (p2["ds"].set_index("SUBJECT")["LASTDOSE"].map(parse_date) == last_dose).all()


def test_subject_with_no_post_baseline_easi(data):
    forms = data["ADT2002-P2"]
    easi = forms["easi"]
    post = set(easi["SUBJECT"][~visit(easi).isin(["Screening", "Week 0"])])
    none = sorted(set(forms["dm"]["SUBJECT"]) - post)
    assert len(none) == 1
    ds = forms["ds"].set_index("SUBJECT")
    assert ds.at[none[0], "DSDECOD"].lower() == "lost to follow-up"


# --- larger sizes -------------------------------------------------------------------------------

def test_larger_study_keeps_the_structure(data):
    big = generate_study("ADT2002-P2", n_subjects=500)
    small = data["ADT2002-P2"]
    for form in FORMS:
        assert list(big[form].columns) == list(small[form].columns), form
    assert len(big["dm"]) == 500 and big["dm"]["SUBJECT"].is_unique
    assert big["dm"]["SUBJECT"].is_monotonic_increasing
    arm = big["rand"].set_index("SUBJECT")["TRTGRP"]
    assert abs((arm == "A").sum() - 250) <= 2
    rates = {a: r / n for a, (r, n) in _easi50(big).items()}
    assert abs(rates["A"] - 15 / 36) < 0.03 and abs(rates["B"] - 6 / 36) < 0.03
    assert (big["sv"]["VISOCCUR"] == "No").sum() >= 4
    assert (big["ex"]["INTRPT"] == "Yes").sum() >= 2
    assert (big["ds"]["DSDECOD"].str.lower() != "completed").sum() >= 4
    easi = big["easi"]
    for visit_name in ("Screening", "Week 0"):
        assert (by_visit(easi, "EASITOT")[visit_name] >= 16).all()


def test_phase1_larger_study_and_smallest_study():
    big = generate_study("ADT2002-P1", n_subjects=300)
    assert len(big["dm"]) == 300
    tot = by_visit(big["easi"], "EASITOT")
    responders = set(tot.index[tot["Week 12"] <= 0.5 * tot["Week 0"]])
    assert set(big["sv"]["SUBJECT"][visit(big["sv"]) == "Week 24"]) == responders
    tiny = generate_study("ADT2002-P2", n_subjects=2)
    assert len(tiny["dm"]) == 2 and set(tiny["rand"]["TRTGRP"]) == {"A", "B"}
