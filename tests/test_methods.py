"""Mapping methods, each on a tiny inline table with the expected values beside it."""

from __future__ import annotations

import pandas as pd
import pytest

from cdisc_mapper.methods.dates import parse_date, parse_time, study_day

import minimal
from cdisc_mapper.engine.run import build_study


@pytest.mark.parametrize("raw, iso", [
    ("12 MAR 2021", "2021-03-12"), ("1 mar 2021", "2021-03-01"), ("UN MAR 2021", "2021-03"),
    ("UN UNK 2021", "2021"), ("UNK UNK 2021", "2021"), ("2021-03-12", "2021-03-12"),
    ("2021-03", "2021-03"), ("29 FEB 2020", "2020-02-29"), (" 05 jan 2022 ", "2022-01-05"),
])
def test_parse_date_1_keeps_partial_dates_partial(raw, iso):
    assert parse_date(raw) == (iso, None)


@pytest.mark.parametrize("raw, why", [
    ("31 FEB 2021", "does not exist"), ("29 FEB 2021", "does not exist"),
    ("12 MRZ 2021", "unknown month"), ("2021-13-01", "does not exist"),
    ("yesterday", "not a date"), ("12/03/21", "not a date"),
])
def test_parse_date_2_impossible_dates_are_refused(raw, why):
    iso, err = parse_date(raw)
    assert iso is None and why in err


def test_parse_time_3():
    assert parse_time("9:05") == ("09:05", None)
    assert parse_time("UN:UN") == (None, None)
    assert parse_time("25:00")[0] is None


def test_study_day_4_has_no_day_zero_and_ignores_partial_dates():
    dtc = pd.Series(["2021-03-10", "2021-03-09", "2021-03-20T10:00", "2021-03", None])
    ref = pd.Series(["2021-03-10T09:00"] * 5)
    assert study_day(dtc, ref).tolist() == [1, -1, 11, pd.NA, pd.NA]


def _build(tmp_path, **kw):
    state, finals, _ = build_study(minimal.write(tmp_path, **kw))
    return state, finals


def test_assign_ct_5_matches_value_or_decode_ignoring_case(tmp_path):
    _, finals = _build(tmp_path)
    dm = finals["DM"].data
    assert dm["SEX"].tolist() == ["M", "F"]          # "Male" → M (decode), "female" → F
    assert finals["AE"].data["AESEV"].tolist() == ["MODERATE", "MILD", "SEVERE"]


def test_assign_ct_6_unknown_value_is_a_problem_with_its_record(tmp_path):
    forms = {"ae": "SUBJECT,AETERM,AESEV,AESTDAT\n01-001,Headache,Medium,12 MAR 2021\n"}
    state, finals = _build(tmp_path, forms=forms)
    [p] = state.problems
    assert (p.dataset, p.variable, p.record, p.value) == ("AE", "AESEV", 1, "Medium")
    assert "codelist AESEV" in p.message and p.file.endswith("raw/ae.csv")
    assert finals["AE"].data["AESEV"].isna().all()


def test_iso_date_7_partial_kept_and_bad_date_reported(tmp_path):
    forms = {"ae": "SUBJECT,AETERM,AESEV,AESTDAT\n01-001,Headache,Mild,UN MAR 2021\n"
                   "01-002,Nausea,Mild,31 FEB 2021\n"}
    state, finals = _build(tmp_path, forms=forms)
    ae = finals["AE"].data
    assert ae["AESTDTC"].tolist()[:1] == ["2021-03"]
    assert pd.isna(ae["AESTDY"].iloc[0])              # a partial date gives no study day
    [p] = state.problems
    assert p.variable == "AESTDTC" and p.record == 2 and p.value == "31 FEB 2021"
    assert "does not exist" in p.message


def test_seq_8_numbers_records_per_subject_in_sort_order(tmp_path):
    _, finals = _build(tmp_path)
    ae = finals["AE"].data
    assert list(zip(ae["USUBJID"], ae["AESEQ"], ae["AESTDTC"])) == [
        ("MINI-01-001", 1, "2021-03"), ("MINI-01-001", 2, "2021-03-12"),
        ("MINI-01-002", 1, "2021-03-05")]


def test_lookup_9_dictionary_codes_verbatim_typos(tmp_path):
    _, finals = _build(tmp_path)
    assert finals["AE"].data["AEDECOD"].tolist() == ["Headache", "Headache", "Nausea"]


def test_epoch_10_by_date_from_reference_dates(tmp_path):
    _, finals = _build(tmp_path)
    # 01-001: consent 1 MAR, dose 10 MAR; AE 12 MAR → TREATMENT; partial date → no epoch
    # 01-002: consent 3 MAR, dose 12 MAR; AE 5 MAR → SCREENING
    assert finals["AE"].data["EPOCH"].tolist() == [pd.NA, "TREATMENT", "SCREENING"]


def test_condition_11_first_matching_case_wins(tmp_path):
    ae = minimal.AE + ("  AEACN:\n    method: condition\n    cases:\n"
                       "      - when: {from: AESEV, in: [severe]}\n"
                       "        then: {value: DRUG WITHDRAWN}\n"
                       "      - when: {of: AESTDTC, missing: false}\n"
                       "        then: {value: DOSE NOT CHANGED}\n"
                       "    else: {value: UNKNOWN}\n")
    _, finals = _build(tmp_path, mappings={"ae": ae})
    assert finals["AE"].data["AEACN"].tolist() == ["DOSE NOT CHANGED", "DOSE NOT CHANGED",
                                                   "DRUG WITHDRAWN"]


def test_stack_and_baseline_12_last_value_on_or_before_first_dose(tmp_path):
    qs = """\
dataset: QS
source: sc
stack:
  columns:
    S1: {TESTCD: DLQI101}
    S2: {TESTCD: DLQI102}
variables:
  STUDYID: {method: study_id}
  DOMAIN: {method: domain}
  USUBJID: {method: usubjid}
  QSSEQ: {method: seq}
  QSTESTCD: {method: assign_ct, from: TESTCD, codelist: DLQI1TC}
  QSTEST: {method: decode, of: QSTESTCD, codelist: DLQI1TC, paired: DLQI1TN}
  QSCAT: {method: hardcode_ct, value: DLQI, codelist: QSCAT}
  QSORRES: {method: assign, from: VALUE}
  VISITNUM: {method: visitnum, from: VISIT}
  QSDTC: {method: iso_date, date: DAT}
  QSLOBXFL: {method: baseline_flag, by: [QSTESTCD], dtc: QSDTC, result: QSORRES}
"""
    sc = ("SUBJECT,VISIT,DAT,S1,S2\n01-001,Screening,01 MAR 2021,2,1\n"
          "01-001,Week 0,10 MAR 2021,3,\n01-001,Week 2,24 MAR 2021,1,0\n")
    _, finals = _build(tmp_path, mappings={"qs": qs}, forms={"sc": sc})
    q = finals["QS"].data
    got = list(zip(q["VISITNUM"], q["QSTESTCD"], q["QSORRES"], q["QSLOBXFL"].fillna("")))
    # sorted by the QS keys (QSCAT, QSTESTCD, VISITNUM); item 2 is missing at week 0, so its
    # baseline is the screening value
    assert got == [(1, "DLQI101", "2", ""), (2, "DLQI101", "3", "Y"), (3, "DLQI101", "1", ""),
                   (1, "DLQI102", "1", "Y"), (3, "DLQI102", "0", "")]
    assert q["QSTEST"].iloc[0] == "DLQI1-How Itchy, Sore, Painful, Stinging"
    # lineage: each stacked record knows its raw row and column
    lin = finals["QS"].lineage
    assert list(zip(lin["__row__"], lin["__column__"])) == [
        (1, "S1"), (2, "S1"), (3, "S1"), (1, "S2"), (3, "S2")]


def test_supp_13_non_standard_variables_with_character_idvarval(tmp_path):
    ae = minimal.AE + "supp:\n  AEIRR: {label: Infusion-Related Reaction, method: hardcode, value: 'Y'}\n"
    _, finals = _build(tmp_path, mappings={"ae": ae})
    s = finals["SUPPAE"].data
    assert s["IDVAR"].unique().tolist() == ["AESEQ"]
    assert s["IDVARVAL"].tolist() == ["1", "2", "1"]
    assert s["QNAM"].unique().tolist() == ["AEIRR"] and s["QORIG"].iloc[0] == "Assigned"
    assert str(s["IDVARVAL"].dtype) == "string"


def test_overrides_14_a_study_replaces_single_variables_of_a_shared_mapping(tmp_path):
    study = minimal.STUDY + ("overrides:\n  AE:\n    variables:\n"
                             "      AETERM: {method: assign, from: AETERM, case: upper}\n")
    _, finals = _build(tmp_path, study=study)
    assert finals["AE"].data["AETERM"].tolist() == ["HAEDACHE", "HEADACHE", "NAUSEA"]
    # other variables still come from the shared mapping
    assert finals["AE"].data["AESEV"].tolist() == ["MODERATE", "MILD", "SEVERE"]


def test_overrides_15_of_an_unmapped_dataset_is_an_error(tmp_path):
    from cdisc_mapper.errors import MappingError
    study = minimal.STUDY + "overrides:\n  CM:\n    variables: {}\n"
    with pytest.raises(MappingError, match="no mapping for dataset CM"):
        _build(tmp_path, study=study)


def test_full_ct_16_user_terminology_file_gives_the_same_package(tmp_path, reference):
    """The bundled CT subset and the full NCI EVS file agree on every value the sample uses."""
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    ct = reference / "ct" / "SDTM_Terminology_2025-03-28.txt"
    study = root / "mappings" / "ADT2002-P2" / "study.yaml"
    state_b, bundled, _ = build_study(study)
    state_f, full, _ = build_study(study, ct_file=ct)
    assert not state_b.problems and not state_f.problems
    for name in bundled:
        pd.testing.assert_frame_equal(bundled[name].data, full[name].data)
