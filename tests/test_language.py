"""The shared language: EDC date formats, text, numbers, units, conditions, named values,
filters and the USUBJID rule — each on a tiny inline table, bad values included."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import minimal
from cdisc_mapper.engine.run import build_study
from cdisc_mapper.errors import MappingError
from cdisc_mapper.lang import conditions as kernel
from cdisc_mapper.lang.datetimes import parse_date, parse_time
from cdisc_mapper.lang.text import PatternError, safe_pattern
from cdisc_mapper.methods.numbers import round_half_away


@pytest.mark.parametrize("raw, fmt, pivot, iso", [
    ("03/12/2021", "MM/DD/YYYY", None, "2021-03-12"),
    ("3-1-2021", "MM-DD-YYYY", None, "2021-03-01"),
    ("12/03/2021", "DD/MM/YYYY", None, "2021-03-12"),
    ("12-Mar-2021", "DD-MON-YYYY", None, "2021-03-12"),
    ("12MAR2021", "DDMONYYYY", None, "2021-03-12"),
    ("2021-03-12", "YYYY-MM-DD", None, "2021-03-12"),
    ("03/12/39", "MM/DD/YY", 1940, "2039-03-12"),
    ("03/12/40", "MM/DD/YY", 1940, "1940-03-12"),
    ("UN/03/2023", "DD/MM/YYYY", None, "2023-03"),
    ("03/UN/2023", "MM/DD/YYYY", None, "2023-03"),
    ("99/99/2023", "MM/DD/YYYY", None, "2023"),
    ("UNK-UNK-2023", "DD-MON-YYYY", None, "2023"),
    ("--/--/2023", "MM/DD/YYYY", None, "2023"),
    ("22345", "SAS", None, "2021-03-06"),            # days since 1960-01-01
    ("44197", "EXCEL", None, "2021-01-01"),          # days since 1899-12-30
    ("44197.75", "EXCEL", None, "2021-01-01T18:00"),
    ("1930003200", "SAS_DATETIME", None, "2021-02-27T00:00"),
    ("03/12/2021 2:30 PM", "MM/DD/YYYY hh:mm AM", None, "2021-03-12T14:30"),
    ("03/12/2021 12:05 AM", "MM/DD/YYYY hh:mm AM", None, "2021-03-12T00:05"),
    ("UN/12/2021 14:30", "MM/DD/YYYY hh:mm", None, "2021"),   # no time on a partial date
])
def test_edc_date_formats_1(raw, fmt, pivot, iso):
    assert parse_date(raw, fmt, pivot) == (iso, None)


@pytest.mark.parametrize("raw, fmt, why", [
    ("02/30/2021", "MM/DD/YYYY", "day 30 does not exist in Feb 2021"),
    ("13/01/2021", "MM/DD/YYYY", "month 13 does not exist"),
    ("12 MAR 2021", "MM/DD/YYYY", "not a date (expected MM/DD/YYYY)"),
    ("12-MRZ-2021", "DD-MON-YYYY", "unknown month 'MRZ'"),
    ("03/04/2021", ["MM/DD/YYYY", "DD/MM/YYYY"], "ambiguous: reads as 2021-03-04 (MM/DD/YYYY) "
                                                 "or 2021-04-03 (DD/MM/YYYY)"),
    ("03/12/21", "MM/DD/YY", "declare `pivot`"),
    ("12.5", "SAS", "whole number of days"),
    ("40", "EXCEL", "ambiguous"),
    ("03/12/2021 13:30 PM", "MM/DD/YYYY hh:mm AM", "not a 12-hour clock hour"),
])
def test_bad_edc_dates_are_problems_never_guesses_2(raw, fmt, why):
    iso, err = parse_date(raw, fmt)
    assert iso is None and why in err


def test_two_formats_take_the_one_that_fits_3():
    assert parse_date("13/04/2021", ["MM/DD/YYYY", "DD/MM/YYYY"]) == ("2021-04-13", None)


def test_twelve_hour_times_4():
    assert parse_time("2:30 pm") == ("14:30", None)
    assert parse_time("12:00 AM") == ("00:00", None)
    assert parse_time("14:UN") == ("14", None)
    assert parse_time("13:00 PM")[0] is None


def _build(tmp_path, **kw):
    state, finals, _ = build_study(minimal.write(tmp_path, **kw))
    return state, finals


AE_US = """\
dataset: AE
source: ae
keys: [STUDYID, USUBJID, AETERM, AESTDTC]
variables:
  STUDYID: {method: study_id}
  DOMAIN: {method: domain}
  USUBJID: {method: usubjid}
  AESEQ: {method: seq}
  AETERM: {method: assign, from: IT.AETERM}
  AEDECOD: {method: assign, from: IT.AETERM}
  AESTDTC: {method: iso_date, date: Start Date, format: MM/DD/YYYY}
"""


def test_dotted_columns_and_us_dates_with_a_bad_value_5(tmp_path):
    forms = {"ae": "SUBJECT,IT.AETERM,Start Date\n01-001,Headache,03/12/2021\n"
                   "01-002,Nausea,02/30/2021\n01-002,Rash,03/UN/2021\n"}
    state, finals = _build(tmp_path, mappings={"ae": AE_US}, forms=forms)
    ae = finals["AE"].data
    assert ae["AESTDTC"].tolist() == ["2021-03-12", pd.NA, "2021-03"]
    [p] = state.problems
    assert (p.file.endswith("raw/ae.csv"), p.record, p.dataset, p.variable, p.value) == \
        (True, 2, "AE", "AESTDTC", "02/30/2021")
    assert p.message == "unparseable date: day 30 does not exist in Feb 2021"
    assert p.usubjid == "MINI-01-002"


def test_two_digit_year_without_pivot_is_a_mapping_error_6(tmp_path):
    ae = AE_US.replace("format: MM/DD/YYYY", "format: MM/DD/YY")
    forms = {"ae": "SUBJECT,IT.AETERM,Start Date\n01-001,Headache,03/12/21\n"}
    with pytest.raises(MappingError) as e:
        _build(tmp_path, mappings={"ae": ae}, forms=forms)
    assert "ae.yaml:" in str(e.value) and "declare `pivot`" in str(e.value)


def test_study_wide_date_format_7(tmp_path):
    study = minimal.STUDY + "dates: {format: MM/DD/YYYY}\n"
    ae = AE_US.replace(", format: MM/DD/YYYY", "")
    forms = {"ae": "SUBJECT,IT.AETERM,Start Date\n01-001,Headache,03/12/2021\n"}
    _, finals = _build(tmp_path, study=study, mappings={"ae": ae}, forms=forms)
    assert finals["AE"].data["AESTDTC"].tolist() == ["2021-03-12"]


DM_TEXT = minimal.DM.replace(
    "  SUBJID: {method: assign, from: SUBJECT}\n",
    "  SUBJID:\n    method: text\n    from: SUBJECT\n"
    "    steps: [{extract: {pattern: '^\\d+-(\\d+)$'}}, {pad: {width: 4}}]\n").replace(
    "  SITEID: {method: assign, from: SITE}\n",
    "  SITEID: {method: text, from: SUBJECT, steps: [{split: {sep: '-', part: 1}}]}\n")


def test_text_extract_split_pad_with_bad_values_8(tmp_path):
    forms = {"dm": "SUBJECT,SITE,SEX,ICDAT,GRP\n01-001,01,Male,01 MAR 2021,A\n"
                   "01002,01,female,03 MAR 2021,A\n",
             "ex": "SUBJECT,EXDAT\n01-001,10 MAR 2021\n01002,12 MAR 2021\n",
             "ae": "SUBJECT,AETERM,AESEV,AESTDAT\n01-001,Headache,mild,12 MAR 2021\n"}
    state, finals = _build(tmp_path, mappings={"dm": DM_TEXT}, forms=forms)
    dm = finals["DM"].data
    assert dm["SUBJID"].tolist() == ["0001", pd.NA]
    assert dm["SITEID"].tolist() == ["01", "01002"]          # one part: the whole value
    [p] = state.problems
    assert (p.variable, p.record, p.value) == ("SUBJID", 2, "01002")
    assert p.message == r"text extract: does not match the pattern '^\d+-(\d+)$'"


@pytest.mark.parametrize("pattern", [r"(a+)+$", r"(\w*)*x", r"(a|b+)*", r"(\d)\1", "(?P<x>a)(?P=x)"])
def test_dangerous_patterns_are_refused_9(pattern):
    with pytest.raises(PatternError):
        safe_pattern(pattern)


def test_safe_patterns_are_accepted_10():
    assert safe_pattern(r"^(\d+)-(\d+)-(\d+)$").match("01-701-1015").group(3) == "1015"


def test_text_split_part_that_does_not_exist_11(tmp_path):
    dm = minimal.DM.replace("  SITEID: {method: assign, from: SITE}\n",
                            "  SITEID: {method: text, from: SUBJECT, steps: [{split: "
                            "{sep: '-', part: 3}}]}\n")
    state, _ = _build(tmp_path, mappings={"dm": dm})
    assert {(p.variable, p.value) for p in state.problems} == {("SITEID", "01-001"),
                                                              ("SITEID", "01-002")}
    assert state.problems[0].message == ("text split: has 2 part(s) separated by '-'; part 3 "
                                         "does not exist")


def test_round_half_away_from_zero_12():
    s = pd.Series([2.5, -2.5, 2.675, 0.125, None], dtype="Float64")
    assert round_half_away(s, 0).tolist()[:2] == [3.0, -3.0]
    assert round_half_away(s, 2).tolist()[2] == 2.68
    assert round_half_away(s, 2).tolist()[3] == 0.13
    assert round_half_away(s, 2).isna().tolist()[-1]


VS = minimal.VS
UNITS = """\
units:
  WEIGHT: {standard: kg, from: {LB: 0.45359237}}
  HEIGHT: {standard: cm, from: {in: 2.54}}
  TEMP: {standard: C, from: {F: {subtract: 32, divisor: 1.8}}}
  GLUC: {standard: mmol/L, from: {mg/dL: 0.0555}}
"""


def test_convert_unit_against_hand_computed_values_13(tmp_path):
    vs = ("SUBJECT,TEST,RES,UNIT,DAT\n"
          "01-001,WEIGHT,150,lb,01 MAR 2021\n"      # 150 × 0.45359237 = 68.0388555
          "01-001,HEIGHT,70,in,01 MAR 2021\n"       # 70 × 2.54 = 177.8
          "01-001,TEMP,98.6,F,01 MAR 2021\n"        # (98.6 − 32) ÷ 1.8 = 37
          "01-001,GLUC,90,mg/dL,01 MAR 2021\n"      # 90 × 0.0555 = 4.995
          "01-002,WEIGHT,70,kg,01 MAR 2021\n"       # already standard
          "01-002,PULSE,60,beats/min,01 MAR 2021\n"  # not in the table: as collected
          "01-002,HEIGHT,170,ft,01 MAR 2021\n"      # not a unit of HEIGHT: a problem
          "01-002,TEMP,37,,01 MAR 2021\n")          # no unit: a problem
    state, finals = _build(tmp_path, study=minimal.STUDY + UNITS, mappings={"vs": VS},
                           forms={"vs": vs})
    d = finals["VS"].data.set_index(["USUBJID", "VSTESTCD"])
    got = {k: (None if pd.isna(n) else n, None if pd.isna(u) else u)
           for k, n, u in zip(d.index, d["VSSTRESN"], d["VSSTRESU"])}
    assert got[("MINI-01-001", "WEIGHT")] == (68.04, "kg")
    assert got[("MINI-01-001", "HEIGHT")] == (177.8, "cm")
    assert got[("MINI-01-001", "TEMP")] == (37.0, "C")
    assert got[("MINI-01-001", "GLUC")] == (5.0, "mmol/L")  # 4.995 half away from zero
    assert got[("MINI-01-002", "WEIGHT")] == (70.0, "kg")
    assert got[("MINI-01-002", "PULSE")] == (60.0, "beats/min")
    assert got[("MINI-01-002", "HEIGHT")] == (None, None)
    assert d.loc[("MINI-01-001", "WEIGHT"), "VSORRESU"] == "lb"     # original kept
    probs = sorted((p.variable, p.record, p.value, p.message) for p in state.problems)
    assert ("VSSTRESN", 7, "170", "unit 'ft' of test HEIGHT is not in the study file's units "
            "(known for HEIGHT: in, cm)") in probs
    assert ("VSSTRESN", 8, "37", "test TEMP has no unit to convert from (the standard unit is "
            "C)") in probs


def test_arithmetic_with_bad_values_14(tmp_path):
    vs = ("SUBJECT,TEST,RES,UNIT,DAT\n01-001,BMI,22,kg/m2,01 MAR 2021\n"
          "01-001,X,abc,kg/m2,02 MAR 2021\n01-002,Y,5,,01 MAR 2021\n")
    mapping = VS.replace(
        "  VSSTRESN: {method: convert_unit, of: VSORRES, unit: VSORRESU, test: VSTESTCD, "
        "round: 2}\n",
        "  VSSTRESN: {method: arithmetic, left: {from: RES}, op: divide, right: {from: DIV}, "
        "round: 1}\n").replace("  VSSTRESU: {method: convert_unit, of: VSORRES, unit: VSORRESU, "
                               "test: VSTESTCD, take: unit}\n", "")
    vs = vs.replace("DAT\n", "DAT,DIV\n").replace("2021\n", "2021,3\n", 1)
    vs = vs.replace("02 MAR 2021\n", "02 MAR 2021,3\n").replace("01-002,Y,5,,01 MAR 2021\n",
                                                                 "01-002,Y,5,,01 MAR 2021,0\n")
    state, finals = _build(tmp_path, mappings={"vs": mapping}, forms={"vs": vs})
    v = finals["VS"].data
    assert v["VSSTRESN"].tolist()[0] == 7.3                 # 22 / 3 = 7.333…
    assert v["VSSTRESN"].isna().tolist()[1:] == [True, True]
    assert sorted((p.record, p.value, p.message) for p in state.problems
                  if p.variable == "VSSTRESN") == [
        (2, "abc", "not a number"), (3, "0", "division by zero")]


def test_when_otherwise_values_and_filtered_first_date_15(tmp_path):
    dm = minimal.DM.replace(
        "  RFSTDTC: {method: first_date, sources: [{source: ex, date: EXDAT}]}\n",
        "  RFSTDTC:\n    method: first_date\n    sources:\n"
        "      - {source: ex, date: EXDAT, where: {from: DONE, equals: 'yes'}}\n") + (
        "values:\n  GRPN: {method: number, from: GRPNUM}\n"
        "  DOSE: {method: arithmetic, left: {of: GRPN}, op: multiply, right: {value: 10}}\n"
        "supp:\n  DOSEGRP: {label: Dose group, method: hardcode, value: HIGH,\n"
        "            when: {of: DOSE, ge: 20}, otherwise: {value: LOW}}\n")
    forms = {"dm": "SUBJECT,SITE,SEX,ICDAT,GRP,GRPNUM\n01-001,01,Male,01 MAR 2021,A,1\n"
                   "01-002,01,female,03 MAR 2021,A,2\n",
             "ex": "SUBJECT,EXDAT,DONE\n01-001,09 MAR 2021,no\n01-001,10 MAR 2021,Yes\n"
                   "01-002,12 MAR 2021,yes\n"}
    state, finals = _build(tmp_path, mappings={"dm": dm}, forms=forms)
    d = finals["DM"].data
    assert d["RFSTDTC"].tolist() == ["2021-03-10", "2021-03-12"]   # 9 MAR was not done
    assert "GRPN" not in d.columns and "DOSE" not in d.columns      # values are never written
    assert finals["SUPPDM"].data["QVAL"].tolist() == ["LOW", "HIGH"]


def test_usubjid_rule_from_parts_16(tmp_path):
    study = minimal.STUDY.replace("subject: {id: SUBJECT, site: SITE}",
                                  "subject:\n  id: SUBJECT\n  usubjid: {parts: [STUDYID, SITE, "
                                  "SUBJECT], separator: /}")
    _, finals = _build(tmp_path, study=study,
                       forms={"ae": "SUBJECT,AETERM,AESEV,AESTDAT,SITE\n"
                                    "01-001,Headache,mild,12 MAR 2021,01\n"})
    assert finals["DM"].data["USUBJID"].tolist() == ["MINI/01/01-001", "MINI/01/01-002"]
    assert finals["AE"].data["USUBJID"].tolist() == ["MINI/01/01-001"]


def test_duplicate_keys_are_data_problems_naming_the_records_17(tmp_path):
    forms = {"ae": minimal.FORMS["ae"] + "01-002,Nausea,mild,05 MAR 2021\n"}
    state, finals = _build(tmp_path, forms=forms)
    [p] = state.problems
    assert p.record == 3 and p.usubjid == "MINI-01-002"
    assert p.message.startswith("duplicate key: 2 records have the natural key (STUDYID, "
                                "USUBJID, AEDECOD, AESTDTC): ")
    assert "raw/ae.csv row 3; " in p.message and "raw/ae.csv row 4" in p.message
    assert len(finals["AE"].data) == 4


# ---------------------------------------------------------------- one grammar, two hosts

def _host(df, fold):
    return kernel.Host(lambda ref: df[ref.get("of") or ref.get("from")], fold=fold)


def test_conditions_compare_numbers_and_dates_18():
    df = pd.DataFrame({"X": pd.Series(["5", "12", None, "abc"], dtype="string"),
                       "D": pd.Series(["2021-03-01", "2021-03-10T08:00", "2021-03", None],
                                      dtype="string"),
                       "R": pd.Series(["2021-03-05"] * 4, dtype="string"),
                       "N": [22340.0, 22349.0, np.nan, 22345.0]})
    ev = lambda c, fold=True: kernel.evaluate(c, _host(df, fold), len(df)).tolist()  # noqa: E731
    assert ev({"of": "X", "between": [5, 10]}) == [True, False, False, False]
    assert ev({"of": "X", "gt": 6}) == [False, True, False, False]
    assert ev({"of": "X", "equals": 12}) == [False, True, False, False]
    assert ev({"of": "D", "before": {"of": "R"}}) == [True, False, False, False]
    assert ev({"of": "D", "on_or_after": "2021-03-10"}) == [False, True, False, False]
    # SAS dates: 22345 is 2021-03-06
    assert ev({"of": "N", "after": "2021-03-05"}) == [False, True, False, True]
    assert ev({"not": {"of": "X", "missing": True}}) == [True, True, False, True]


def test_text_folding_is_the_hosts_choice_19():
    df = pd.DataFrame({"S": pd.Series([" Completed", "COMPLETED", None], dtype="string")})
    sdtm = kernel.evaluate({"from": "S", "equals": "completed"}, _host(df, True), 3)
    adam = kernel.evaluate({"of": "S", "equals": "COMPLETED"}, _host(df, False), 3)
    assert sdtm.tolist() == [True, True, False] and adam.tolist() == [False, True, False]


def test_adam_conditions_use_the_same_grammar_20():
    from cdisc_mapper.adam import conditions as cn
    df = pd.DataFrame({"ADT": [22340.0, 22350.0], "TRTSDT": [22345.0, 22345.0],
                       "AVAL": [1.0, 30.0]})
    assert cn.evaluate(df, {"of": "ADT", "on_or_before": {"of": "TRTSDT"}}).tolist() == [True, False]
    assert cn.evaluate(df, {"of": "AVAL", "between": [10, 40]}).tolist() == [False, True]
    assert list(cn.variables({"of": "ADT", "before": {"of": "TRTSDT"}})) == [
        (("of",), "ADT"), (("before", "of"), "TRTSDT")]
    assert cn.describe({"of": "AVAL", "between": [10, 40]}) == "AVAL between 10 and 40"


def test_sdtm_and_adam_operands_are_one_grammar_20b(tmp_path):
    """A constant, {value: X} and {of: VAR} mean the same in an SDTM `condition` and an ADaM
    `set_values_to`; both validate against schemas built by the same kernel function."""
    import jsonschema

    from cdisc_mapper.adam.assign import derive_vars_assign
    from cdisc_mapper.adam.registry import OPERAND as ADAM_OPERAND
    from cdisc_mapper.methods.registry import OPERAND as SDTM_OPERAND

    for op in ("HIGH", 3, None, {"value": "HIGH"}, {"of": "AGE"}):
        jsonschema.validate(op, SDTM_OPERAND)
        jsonschema.validate(op, ADAM_OPERAND)
    jsonschema.validate({"from": "GRP"}, SDTM_OPERAND)                  # raw columns: SDTM only
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"from": "GRP"}, ADAM_OPERAND)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"of": "AGE", "value": 1}, SDTM_OPERAND)     # one key, not two
    df = pd.DataFrame({"AGE": [25.0, 70.0]})
    out = derive_vars_assign(df, set_values_to={"A": "HIGH", "B": {"value": "HIGH"},
                                                "C": {"of": "AGE"}})
    assert out["A"].tolist() == out["B"].tolist() == ["HIGH", "HIGH"]
    assert out["C"].tolist() == [25.0, 70.0]
    dm = minimal.DM + (
        "supp:\n  GRPX:\n    label: Group\n    method: condition\n    cases:\n"
        "      - {when: {from: GRP, equals: A}, then: HIGH}\n"
        "      - {when: {from: GRP, equals: B}, then: {value: HIGH}}\n"
        "      - {when: {from: GRP, equals: C}, then: {from: GRP}}\n")
    forms = {"dm": "SUBJECT,SITE,SEX,ICDAT,GRP\n01-001,01,Male,01 MAR 2021,A\n"
                   "01-002,01,Female,03 MAR 2021,B\n01-003,01,Female,04 MAR 2021,C\n"}
    _, finals = _build(tmp_path, mappings={"dm": dm}, forms=forms)
    assert finals["SUPPDM"].data["QVAL"].tolist() == ["HIGH", "HIGH", "C"]


# ------------------------------------------------------------------ check finds everything

def test_check_reports_every_mistake_in_one_pass_and_convert_says_the_same_21(tmp_path, capsys):
    from cdisc_mapper.cli import main

    ae = (minimal.AE.replace("from: AETERM}", "from: AETREM}", 1)
          .replace("codelist: AESEV}", "codelist: AESEVX}")
          .replace("of: AESTDTC}", "of: AESTDC}")
          .replace("  USUBJID: {method: usubjid}\n", "")
          + "  AEFOO: {method: hardcode, value: x}\n"
            "  AEOUT: {method: hardcode_ct, value: GONE, codelist: OUT}\n"
            "  AEENDTC: {method: iso_date, date: AEENDAT, format: DD/MM/YY}\n")
    study = minimal.STUDY.replace("  - {visitnum: 3, visit: WEEK 2", "  - {visitnum: 2, visit: WEEK 2")
    f = minimal.write(tmp_path, mappings={"ae": ae}, study=study)
    assert main(["check", str(f)]) == 2
    checked = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    expected = [
        "ae.yaml:5, key 'variables', variable USUBJID: required variable USUBJID",
        "ae.yaml:9, key 'variables.AETERM.from': raw column 'AETREM' is not in form 'ae' "
        "(did you mean 'AETERM'?)",
        "ae.yaml:11, key 'variables.AESEV.codelist': unknown codelist 'AESEVX'",
        "ae.yaml:13, key 'variables.AESTDY.of': variable AESTDC is used but not derived in AE",
        "ae.yaml:15, key 'variables.AEFOO', variable AEFOO: AEFOO is not a variable of AE",
        "ae.yaml:16, key 'variables.AEOUT.value': 'GONE' is not a term of codelist OUT",
        "ae.yaml:17, key 'variables.AEENDTC.format': the format DD/MM/YY has a 2-digit year",
        "ae.yaml:17, key 'variables.AEENDTC.date': raw column 'AEENDAT' is not in form 'ae'",
        "study.yaml:20, key 'visits.2.visitnum': VISITNUM 2 is given to two visits",
    ]
    for words in expected:
        assert sum(words in line for line in checked) == 1, (words, checked)
    assert len(checked) == len(expected)
    assert main(["convert", str(f), "--out", str(tmp_path / "out")]) == 2
    converted = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert converted == checked
    assert not (tmp_path / "out").exists()


def test_a_study_file_only_as_big_as_the_study_22(tmp_path):
    study = ("study: {id: MINI, title: A minimal study, raw: raw, include: [shared]}\n"
             "subject: {id: SUBJECT}\ndictionaries:\n  ae: {file: ae_dictionary.csv}\n")
    dm = "\n".join(line for line in minimal.DM.splitlines()
                   if "study_arm" not in line) + "\n"
    ae = minimal.AE.replace("  EPOCH: {method: epoch, dtc: AESTDTC}\n", "")
    state, finals, notes = build_study(minimal.write(tmp_path, study=study,
                                                     mappings={"dm": dm, "ae": ae}))
    assert set(finals) == {"DM", "AE"}
    for name, key in (("TA", "arms"), ("TE", "elements"), ("TV", "visits"), ("TS", "trial_summary")):
        assert any(n.startswith(f"{name} not written: the study file has no '{key}'") for n in notes)


def test_subject_elements_never_end_before_they_start_23(tmp_path):
    # 01-002's participation ends (RFPENDTC) on the day of its only dose: the follow-up that
    # would start the next day never began
    study = minimal.STUDY.replace(
        "  - {etcd: TRT, element: Drug, start: First dose, epoch: TREATMENT}\n",
        "  - {etcd: TRT, element: Drug, start: First dose, epoch: TREATMENT}\n"
        "  - {etcd: FU, element: Follow-up, start: Day after last dose, epoch: FOLLOW-UP}\n"
    ).replace("elements: [SCRN, TRT]", "elements: [SCRN, TRT, FU]").replace(
        "  - {epoch: TREATMENT, start: RFXSTDTC}\n",
        "  - {epoch: TREATMENT, start: RFXSTDTC}\n  - {epoch: FOLLOW-UP, start: RFXENDTC, "
        "days_after: 1}\n")
    dm = minimal.DM + ("  RFXENDTC: {method: last_date, sources: [{source: ex, date: EXDAT}]}\n"
                       "  RFPENDTC: {method: last_date, sources: [{source: ex, date: EXDAT}, "
                       "{source: fu, date: FUDAT}]}\n")
    forms = {"fu": "SUBJECT,FUDAT\n01-001,20 MAR 2021\n"}
    _, finals, _ = build_study(minimal.write(tmp_path, study=study, mappings={"dm": dm},
                                             forms=forms))
    se = finals["SE"].data
    got = list(zip(se["USUBJID"], se["ETCD"], se["SESTDTC"], se["SEENDTC"]))
    assert got == [("MINI-01-001", "SCRN", "2021-03-01", "2021-03-10"),
                   ("MINI-01-001", "TRT", "2021-03-10", "2021-03-11"),
                   ("MINI-01-001", "FU", "2021-03-11", "2021-03-20"),
                   ("MINI-01-002", "SCRN", "2021-03-03", "2021-03-12"),
                   ("MINI-01-002", "TRT", "2021-03-12", "2021-03-12")]
    assert all(s[:10] <= e[:10] for s, e in zip(se["SESTDTC"], se["SEENDTC"]))


def test_reference_examples_use_bundled_codelists_24():
    from cdisc_mapper.mapping.yamlfile import load_text
    from cdisc_mapper.methods.registry import all_methods
    from cdisc_mapper.standards import bundled_ct

    ct = bundled_ct()
    for m in all_methods().values():
        if m.name not in ("hardcode_ct", "assign_ct"):
            continue
        doc = load_text(m.example, "example.yaml")
        for name, params in doc.data.items():
            assert params["codelist"] in ct, (m.name, params["codelist"])
            if m.name == "hardcode_ct":
                assert params["value"] in ct[params["codelist"]].values()


def test_screen_failures_have_no_arm_and_a_reason_25(tmp_path):
    study = minimal.STUDY + "not_assigned: {SF: SCREEN FAILURE}\n"
    dm = minimal.DM + ("  ARMNRS: {method: arm_null_reason, from: GRP, exposed: RFXSTDTC}\n")
    forms = {"dm": "SUBJECT,SITE,SEX,ICDAT,GRP\n01-001,01,Male,01 MAR 2021,A\n"
                   "01-002,01,female,03 MAR 2021,A\n01-003,01,Male,04 MAR 2021,SF\n"
                   "01-004,01,Male,05 MAR 2021,\n01-005,01,Male,05 MAR 2021,Z\n"}
    state, finals = _build(tmp_path, study=study, mappings={"dm": dm}, forms=forms)
    d = finals["DM"].data
    assert d["ARMCD"].tolist() == ["DRUG", "DRUG", pd.NA, pd.NA, pd.NA]
    assert d["ARMNRS"].tolist() == [pd.NA, pd.NA, "SCREEN FAILURE", "NOT ASSIGNED", pd.NA]
    # 01-005's code is neither an arm nor listed: a problem (twice: ARMCD and ARM), not a guess
    assert {(p.variable, p.value) for p in state.problems} == {("ARMCD", "Z"), ("ARM", "Z")}


def test_not_assigned_reason_must_be_a_term_26(tmp_path, capsys):
    from cdisc_mapper.cli import main

    f = minimal.write(tmp_path, study=minimal.STUDY + "not_assigned: {SF: SCREENED OUT}\n")
    assert main(["check", str(f)]) == 2
    assert "study.yaml:24, key 'not_assigned.SF': 'SCREENED OUT' is not a term of codelist " \
           "ARMNULRS" in capsys.readouterr().err


def test_check_sees_sources_patterns_and_values_27(tmp_path, capsys):
    from cdisc_mapper.cli import main

    dm = minimal.DM.replace(
        "  RFSTDTC: {method: first_date, sources: [{source: ex, date: EXDAT}]}\n",
        "  RFSTDTC: {method: first_date, sources: [{source: ex, date: EX.DAT}]}\n").replace(
        "  SITEID: {method: assign, from: SITE}\n",
        "  SITEID: {method: text, from: SUBJECT, steps: [{extract: {pattern: '(\\d+)+-'}}]}\n"
    ) + "values:\n  N: {method: seq}\n"
    f = minimal.write(tmp_path, mappings={"dm": dm})
    assert main(["check", str(f)]) == 2
    err = capsys.readouterr().err
    assert "dm.yaml:8, key 'variables.RFSTDTC.sources.0.date': raw column 'EX.DAT' is not in " \
           "form 'ex'" in err
    assert "key 'variables.SITEID.steps.0': a repetition inside a repetition" in err
    assert "key 'values.N.method': method seq runs after the records are combined" in err


def test_values_outside_the_standard_codelist_are_problems_28(tmp_path):
    ae = minimal.AE + "  AESER: {method: assign, from: AESEV, map: {mild: N, moderate: 'Y', severe: X}}\n"
    state, _ = _build(tmp_path, mappings={"ae": ae})
    [p] = state.problems
    assert (p.variable, p.value, p.record) == ("AESER", "X", 3)
    assert p.message == "value is not a term of codelist NY"


def test_visits_without_a_start_are_said_before_the_run_29(tmp_path, capsys):
    from cdisc_mapper.cli import main

    f = minimal.write(tmp_path)                 # the minimal study's visits have no start
    assert main(["check", str(f)]) == 0
    out = capsys.readouterr().out
    assert "note: mappings/MINI/study.yaml:18, key 'visits.0': visit SCREENING has no 'start': " \
           "TVSTRL (the visit start rule) is required in TV" in out
    _, _, notes = build_study(f)
    assert any("visit WEEK 2 has no 'start'" in n for n in notes)


def test_check_sees_the_trial_summary_30(tmp_path, capsys):
    from cdisc_mapper.cli import main

    study = minimal.STUDY.replace(
        "  - {parmcd: TITLE, value: A minimal study}\n",
        "  - {parmcd: TITLE, value: A minimal study}\n  - {parmcd: TPHASE, value: PHASE 9, "
        "codelist: TPHASE}\n  - {parmcd: TTILE, value: x}\n").replace(
        "variable: RFICDTC, stat: min", "variable: RFENDTC, stat: min")
    f = minimal.write(tmp_path, study=study)
    assert main(["check", str(f)]) == 2
    err = capsys.readouterr().err
    assert "key 'trial_summary.1.value': 'PHASE 9' is not a term of codelist TPHASE" in err
    assert "key 'trial_summary.2.parmcd': 'TTILE' is not a term of codelist TSPARMCD " \
           "(did you mean 'TITLE'?)" in err
    assert "key 'trial_summary.3.derive.variable': DM has no mapping for RFENDTC" in err
