"""Each ADaM derivation on a tiny inline table, compared with the expected table (as admiral's
tests do: numbered, named after the behaviour)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from test_adam_support import assert_same, table, values
from cdisc_mapper.adam import conditions as cn
from cdisc_mapper.adam.assign import derive_vars_assign, derive_vars_cat
from cdisc_mapper.adam.baseline import derive_var_base, derive_var_chg, derive_var_pchg
from cdisc_mapper.adam.dates import (date_text, derive_vars_dt, derive_vars_dt_start_end,
                                     derive_vars_dtm, derive_vars_duration, derive_vars_dy,
                                     sas_date)
from cdisc_mapper.adam.flags import (derive_var_extreme_flag, derive_var_obs_number,
                                     derive_vars_crit_flag)
from cdisc_mapper.adam.merge import (derive_var_merged_exist_flag, derive_var_merged_summary,
                                     derive_vars_merged, derive_vars_merged_lookup)
from cdisc_mapper.adam.occds import derive_var_trtemfl
from cdisc_mapper.adam.params import derive_param_computed, derive_param_responder
from cdisc_mapper.adam.records import derive_expected_records, derive_locf_records
from cdisc_mapper.adam.registry import LINEAGE, all_methods
from cdisc_mapper.errors import DataError

D = sas_date


# ------------------------------------------------------------------------------- merge family

def test_derive_vars_merged_1_first_record_in_order_is_taken():
    adsl = table("""
        USUBJID
        1
        2
        3""")
    ex = table("""
        USUBJID | EXSEQ | EXSTDTC
        1       | 2     | 2021-01-08
        1       | 1     | 2021-01-01
        2       | 1     | 2021-02-01""")
    out = derive_vars_merged(adsl, dataset_add=ex, by_vars=["USUBJID"],
                             new_vars={"TRTSDTC": "EXSTDTC"}, order=["EXSTDTC", "EXSEQ"],
                             mode="first")
    assert_same(out, table("""
        USUBJID | TRTSDTC
        1       | 2021-01-01
        2       | 2021-02-01
        3       |"""), ["USUBJID"])


def test_derive_vars_merged_2_two_matches_without_order_are_an_error():
    adsl = table("USUBJID\n1")
    ds = table("USUBJID | DSDECOD\n1 | A\n1 | B")
    with pytest.raises(DataError, match="2 records for .USUBJID=1"):
        derive_vars_merged(adsl, dataset_add=ds, by_vars=["USUBJID"], new_vars=["DSDECOD"])


def test_derive_vars_merged_3_filter_exist_flag_missing_values_and_rename():
    adsl = table("USUBJID | ARM\n1 | A\n2 | B")
    ds = table("""
        SUBJ | DSCAT | DSSTDTC
        1    | RAND  | 2021-01-01
        2    | OTHER | 2021-01-02""")
    out = derive_vars_merged(adsl, dataset_add=ds, by_vars=[{"USUBJID": "SUBJ"}],
                             new_vars={"RANDDTC": "DSSTDTC"},
                             filter_add={"of": "DSCAT", "equals": "RAND"},
                             exist_flag="RANDFL", false_value="N",
                             missing_values={"RANDDTC": "none"})
    assert_same(out, table("""
        USUBJID | RANDDTC    | RANDFL
        1       | 2021-01-01 | Y
        2       | none       | N"""), ["USUBJID"])


def test_derive_vars_merged_4_never_overwrites():
    adsl = table("USUBJID | AGE\n1 | 30")
    with pytest.raises(DataError, match="already exists"):
        derive_vars_merged(adsl, dataset_add=adsl, by_vars=["USUBJID"], new_vars=["AGE"])


def test_derive_vars_merged_lookup_1_table_in_the_spec_adds_every_column():
    qs = table("QSTESTCD | QSSTRESN\nEASITOT | 20\nIGA | 3\n | 1")
    out = derive_vars_merged_lookup(qs, by_vars=["QSTESTCD"], lookup=[
        {"QSTESTCD": "EASITOT", "PARAMCD": "EASI", "PARAMN": 1},
        {"QSTESTCD": "IGA", "PARAMCD": "IGA", "PARAMN": 5}])
    assert_same(out, table("""
        QSTESTCD | PARAMCD | PARAMN
        EASITOT  | EASI    | 1
        IGA      | IGA     | 5
                 |         |"""), ["QSTESTCD"])
    assert out["PARAMN"].dtype == np.float64


def test_derive_vars_merged_lookup_2_a_key_the_table_lacks_is_named():
    qs = table("QSTESTCD\nEASITOT\nBSA")
    with pytest.raises(DataError, match="QSTESTCD=BSA"):
        derive_vars_merged_lookup(qs, by_vars=["QSTESTCD"],
                                  lookup=[{"QSTESTCD": "EASITOT", "PARAMCD": "EASI"}])
    out = derive_vars_merged_lookup(qs, by_vars=["QSTESTCD"], unmatched="missing",
                                    lookup=[{"QSTESTCD": "EASITOT", "PARAMCD": "EASI"}])
    assert out["PARAMCD"].isna().tolist() == [False, True]


def test_derive_var_merged_exist_flag_1_true_false_and_missing_values():
    adsl = table("USUBJID\n1\n2\n3")
    ex = table("USUBJID | EXSTDTC\n1 | 2021-01-01\n2 |")
    out = derive_var_merged_exist_flag(adsl, dataset_add=ex, by_vars=["USUBJID"],
                                       new_var="SAFFL",
                                       condition={"of": "EXSTDTC", "missing": False},
                                       false_value="N", missing_value="U")
    assert_same(out, table("USUBJID | SAFFL\n1 | Y\n2 | N\n3 | U"), ["USUBJID"])


def test_derive_var_merged_summary_1_count_with_a_value_for_no_records():
    adsl = table("USUBJID\n1\n2")
    ex = table("USUBJID | EXDOSE\n1 | 5\n1 | 7")
    out = derive_var_merged_summary(adsl, dataset_add=ex, by_vars=["USUBJID"],
                                    new_var="NINFUS", summary="count", missing_value=0)
    assert_same(out, table("USUBJID | NINFUS\n1 | 2\n2 | 0"), ["USUBJID"])
    out = derive_var_merged_summary(adsl, dataset_add=ex, by_vars=["USUBJID"],
                                    new_var="DOSMAX", summary="max", analysis_var="EXDOSE")
    assert_same(out, table("USUBJID | DOSMAX\n1 | 7\n2 |"), ["USUBJID"])


# ------------------------------------------------------------------------------ assign family

def test_derive_vars_assign_1_constants_and_copies():
    qs = table("QSSEQ | QSSTRESN\n1 | 4.5\n2 |")
    out = derive_vars_assign(qs, set_values_to={"AVAL": {"of": "QSSTRESN"}, "SRCDOM": "QS",
                                                "SRCSEQ": {"of": "QSSEQ"}})
    assert_same(out, table("""
        QSSEQ | AVAL | SRCDOM | SRCSEQ
        1     | 4.5  | QS     | 1
        2     |      | QS     | 2"""), ["QSSEQ"])


def test_derive_vars_assign_2_filter_keeps_other_records():
    df = table("ID | AVISIT | ABLFL\n1 | Week 0 | Y\n2 | Week 2 |")
    out = derive_vars_assign(df, set_values_to={"AVISIT": "Baseline", "AVISITN": 0},
                             filter={"of": "ABLFL", "equals": "Y"})
    assert_same(out, table("""
        ID | AVISIT   | AVISITN
        1  | Baseline | 0
        2  | Week 2   |"""), ["ID"])


def test_derive_vars_cat_1_first_matching_row_wins_else_applies():
    adsl = table("USUBJID | AGE\n1 | 25\n2 | 30\n3 | 45\n4 |")
    out = derive_vars_cat(adsl, definition=[
        {"when": {"of": "AGE", "lt": 30}, "set_values_to": {"AGEGR1": "<30", "AGEGR1N": 1}},
        {"when": {"of": "AGE", "ge": 30, "lt": 40}, "set_values_to": {"AGEGR1": "30-39",
                                                                      "AGEGR1N": 2}},
        {"when": {"of": "AGE", "ge": 0}, "set_values_to": {"AGEGR1": ">=40", "AGEGR1N": 3}}],
        **{"else": {"AGEGR1": "Missing"}})
    assert_same(out, table("""
        USUBJID | AGEGR1  | AGEGR1N
        1       | <30     | 1
        2       | 30-39   | 2
        3       | >=40    | 3
        4       | Missing |"""), ["USUBJID"])


# ------------------------------------------------------------------------------- flags family

def test_derive_var_extreme_flag_1_first_observation_per_group_is_flagged():
    ae = table("""
        USUBJID | AESEQ | ASTDT
        1       | 1     | 10
        1       | 2     | 5
        2       | 1     |""")
    out = derive_var_extreme_flag(ae, by_vars=["USUBJID"], order=["ASTDT", "AESEQ"],
                                  new_var="AOCCFL", mode="first")
    assert_same(out, table("""
        USUBJID | AESEQ | AOCCFL
        1       | 1     |
        1       | 2     | Y
        2       | 1     | Y"""), ["USUBJID", "AESEQ"])


def test_derive_var_extreme_flag_2_last_among_filtered_records():
    qs = table("""
        USUBJID | ADT | AVAL | TRTSDT
        1       | 1   | 10   | 3
        1       | 3   | 12   | 3
        1       | 3   |      | 3
        1       | 9   | 8    | 3""")
    qs["ID"] = range(4)
    out = derive_var_extreme_flag(qs, by_vars=["USUBJID"], order=["ADT"], new_var="ABLFL",
                                  mode="last", filter={"all": [
                                      {"of": "AVAL", "missing": False},
                                      {"of": "ADT", "le": {"of": "TRTSDT"}}]})
    assert out["ABLFL"].tolist()[1] == "Y" and out["ABLFL"].notna().sum() == 1


def test_derive_var_extreme_flag_3_descending_order():
    ae = table("USUBJID | AESEQ | ASEVN\n1 | 1 | 1\n1 | 2 | 3\n1 | 3 | 3")
    out = derive_var_extreme_flag(ae, by_vars=["USUBJID"], order=["desc(ASEVN)", "AESEQ"],
                                  new_var="AOCCIFL", mode="first", false_value="N")
    assert out["AOCCIFL"].tolist() == ["N", "Y", "N"]


def test_derive_vars_crit_flag_1_yes_no_and_missing_when_not_evaluable():
    df = table("ID | PARAMCD | PCHG\n1 | EASI | -60\n2 | EASI | -10\n3 | EASI |\n4 | IGA | -90")
    out = derive_vars_crit_flag(df, crit_nr=1, condition={"of": "PCHG", "le": -50},
                                description="EASI-50", create_numeric_flag=True,
                                filter={"of": "PARAMCD", "equals": "EASI"})
    assert_same(out, table("""
        ID | CRIT1   | CRIT1FL | CRIT1FN
        1  | EASI-50 | Y       | 1
        2  | EASI-50 | N       | 0
        3  | EASI-50 |         |
        4  |         |         |"""), ["ID"])


def test_derive_var_obs_number_1_numbers_within_group_in_order():
    df = table("USUBJID | PARAMN | AVISITN\n1 | 2 | 0\n1 | 1 | 4\n1 | 1 | 0\n2 | 1 | 0")
    out = derive_var_obs_number(df, by_vars=["USUBJID"], order=["PARAMN", "AVISITN"])
    assert out["ASEQ"].tolist() == [3, 2, 1, 1]


def test_derive_var_obs_number_2_ties_are_an_error():
    df = table("USUBJID | PARAMN\n1 | 1\n1 | 1")
    with pytest.raises(DataError, match="same"):
        derive_var_obs_number(df, by_vars=["USUBJID"], order=["PARAMN"])


# ---------------------------------------------------------------------------- baseline family

def test_derive_var_base_chg_pchg_1_from_the_baseline_record():
    df = table("""
        USUBJID | PARAMCD | AVISITN | AVAL | ABLFL
        1       | EASI    | 0       | 20   | Y
        1       | EASI    | 12      | 8    |
        1       | IGA     | 0       | 0    | Y
        1       | IGA     | 12      | 1    |
        2       | EASI    | 12      | 5    |""")
    out = derive_var_base(df, by_vars=["USUBJID", "PARAMCD"])
    out = derive_var_chg(out, filter={"of": "AVISITN", "gt": 0})
    out = derive_var_pchg(out, filter={"of": "AVISITN", "gt": 0})
    assert_same(out, table("""
        USUBJID | PARAMCD | AVISITN | BASE | CHG | PCHG
        1       | EASI    | 0       | 20   |     |
        1       | EASI    | 12      | 20   | -12 | -60
        1       | IGA     | 0       | 0    |     |
        1       | IGA     | 12      | 0    | 1   |
        2       | EASI    | 12      |      |     |"""), ["USUBJID", "PARAMCD", "AVISITN"])


def test_derive_var_base_2_two_baselines_are_an_error():
    df = table("USUBJID | PARAMCD | AVAL | ABLFL\n1 | EASI | 1 | Y\n1 | EASI | 2 | Y")
    with pytest.raises(DataError, match="more than one baseline"):
        derive_var_base(df, by_vars=["USUBJID", "PARAMCD"])


# ------------------------------------------------------------------------------ params family

def _items() -> pd.DataFrame:
    df = table("""
        USUBJID | AVISITN | PARAMCD | AVAL
        1       | 0       | D1      | 3
        1       | 0       | D2      | 2
        1       | 4       | D1      | 1
        1       | 4       | D2      |
        2       | 0       | D1      | 0
        2       | 0       | D2      | 1""")
    df[LINEAGE] = [f"QS:{i}" for i in range(1, 7)]
    return df


def test_derive_param_computed_1_sum_of_complete_groups_only():
    out = derive_param_computed(_items(), parameters=["D1", "D2"], by_vars=["USUBJID", "AVISITN"],
                                operation="sum", set_values_to={"PARAMCD": "DTOT"})
    new = out[out["PARAMCD"] == "DTOT"]
    assert_same(new, table("""
        USUBJID | AVISITN | PARAMCD | AVAL
        1       | 0       | DTOT    | 5
        2       | 0       | DTOT    | 1"""), ["USUBJID", "AVISITN"])
    assert sorted(new[LINEAGE]) == ["QS:1 QS:2", "QS:5 QS:6"]
    assert len(out) == 8


def test_derive_param_computed_2_source_records_can_be_dropped():
    out = derive_param_computed(_items(), parameters=["D1", "D2"], by_vars=["USUBJID", "AVISITN"],
                                operation="mean", set_values_to={"PARAMCD": "DMEAN"},
                                keep_source=False)
    assert out["PARAMCD"].tolist() == ["DMEAN", "DMEAN"]
    assert out["AVAL"].tolist() == [2.5, 0.5]


def test_derive_param_responder_1_one_record_per_evaluable_source_record():
    df = table("""
        USUBJID | PARAMCD | AVISITN | PCHG
        1       | EASI    | 0       |
        1       | EASI    | 12      | -55
        2       | EASI    | 12      | -20
        3       | EASI    | 12      |""")
    df[LINEAGE] = ["QS:1", "QS:2", "QS:3", "QS:4"]
    out = derive_param_responder(df, source_param="EASI", criterion={"of": "PCHG", "le": -50},
                                 filter={"of": "AVISITN", "gt": 0},
                                 by_vars=["USUBJID", "AVISITN"],
                                 set_values_to={"PARAMCD": "EASI50"})
    new = out[out["PARAMCD"] == "EASI50"]
    assert_same(new, table("""
        USUBJID | AVISITN | AVALC | AVAL
        1       | 12      | Y     | 1
        2       | 12      | N     | 0"""), ["USUBJID"])
    assert new[LINEAGE].tolist() == ["QS:2", "QS:3"]


# ----------------------------------------------------------------------------- records family

def test_derive_expected_records_1_missing_visits_are_added_with_dtype():
    adsl = table("STUDYID | USUBJID | FASFL\nS | 1 | Y\nS | 2 | Y\nS | 3 | N")
    bds = table("STUDYID | USUBJID | PARAMCD | AVISITN | AVALC\nS | 1 | EASI50 | 12 | Y")
    out = derive_expected_records(bds, dataset_ref=adsl,
                                  filter_ref={"of": "FASFL", "equals": "Y"},
                                  expected=[{"PARAMCD": "EASI50", "AVISIT": "Week 12",
                                             "AVISITN": 12}],
                                  by_vars=["STUDYID", "USUBJID", "PARAMCD", "AVISITN"],
                                  set_values_to={"AVALC": "N", "AVAL": 0, "DTYPE": "WC"})
    assert_same(out, table("""
        USUBJID | PARAMCD | AVISITN | AVALC | DTYPE
        1       | EASI50  | 12      | Y     |
        2       | EASI50  | 12      | N     | WC"""), ["USUBJID"])


def test_derive_locf_records_1_last_earlier_value_is_carried():
    adsl = table("USUBJID\n1\n2")
    bds = table("""
        USUBJID | PARAMCD | AVISITN | AVAL
        1       | DLQI    | 4       | 7
        1       | DLQI    | 8       |
        2       | DLQI    | 12      | 3""")
    out = derive_locf_records(bds, dataset_ref=adsl, ref_vars=["USUBJID"],
                              expected=[{"PARAMCD": "DLQI", "AVISITN": 12}],
                              by_vars=["USUBJID", "PARAMCD", "AVISITN"], order=["AVISITN"],
                              set_values_to={"DTYPE": "LOCF"})
    new = out[out["DTYPE"] == "LOCF"]
    assert_same(new, table("USUBJID | AVISITN | AVAL\n1 | 12 | 7"), ["USUBJID"])


# ------------------------------------------------------------------------------- dates family

def test_derive_vars_dt_1_complete_dates_and_no_imputation_by_default():
    df = table("ID | XDTC\n1 | 2021-03-04T10:00\n2 | 2021-03\n3 |")
    out = derive_vars_dt(df, dtc="XDTC", new_vars_prefix="A")
    assert out["ADT"].tolist()[0] == D(2021, 3, 4)
    assert np.isnan(out["ADT"].tolist()[1]) and "ADTF" not in out.columns


def test_derive_vars_dt_2_partial_dates_are_imputed_and_flagged():
    df = table("ID | XDTC\n1 | 2021-02\n2 | 2021\n3 | 2021-05-06")
    first = derive_vars_dt(df, dtc="XDTC", new_vars_prefix="AST", highest_imputation="M")
    last = derive_vars_dt(df, dtc="XDTC", new_vars_prefix="AEN", highest_imputation="M",
                          date_imputation="last")
    assert [date_text(x) for x in first["ASTDT"]] == ["2021-02-01", "2021-01-01", "2021-05-06"]
    assert [date_text(x) for x in last["AENDT"]] == ["2021-02-28", "2021-12-31", "2021-05-06"]
    assert first["ASTDTF"].tolist()[:2] == ["D", "M"] and pd.isna(first["ASTDTF"].iloc[2])


def test_derive_vars_dt_3_imputed_start_not_before_first_dose_in_the_same_month():
    df = table("ID | AESTDTC | TRTSDT\n1 | 2021-08 | 0\n2 | 2021-07 | 0")
    df["TRTSDT"] = D(2021, 8, 18)
    out = derive_vars_dt(df, dtc="AESTDTC", new_vars_prefix="AST", highest_imputation="M",
                         min_dates=["TRTSDT"])
    assert [date_text(x) for x in out["ASTDT"]] == ["2021-08-18", "2021-07-01"]


def test_derive_vars_dt_start_end_1_start_and_end_are_imputed_within_each_other():
    df = table("""
        ID | AESTDTC    | AEENDTC
        1  | 2021-08    | 2021-08-10
        2  | 2021-08-20 | 2021-08
        3  | 2021       | 2021-03
        4  | 2021-05-01 |""")
    df["TRTSDT"] = D(2021, 8, 15)
    out = derive_vars_dt_start_end(df, start_dtc="AESTDTC", end_dtc="AEENDTC",
                                   start_min_dates=["TRTSDT"])
    # 1: the AE ended before the first dose, so it cannot have started on it: first of month
    assert [date_text(x) for x in out["ASTDT"]] == [
        "2021-08-01", "2021-08-20", "2021-01-01", "2021-05-01"]
    ends = out["AENDT"].tolist()
    assert [date_text(x) for x in ends[:3]] == ["2021-08-10", "2021-08-31", "2021-03-31"]
    assert np.isnan(ends[3])
    assert values(out["ASTDTF"])[:3] == ["D", None, "M"]
    assert values(out["AENDTF"])[:3] == [None, "D", "D"]


def test_derive_vars_dt_start_end_2_an_imputed_start_never_follows_the_end():
    df = table("ID | AESTDTC | AEENDTC\n1 | 2021-09 | 2021-08-31\n2 | 2021-03-05 | 2021-03")
    df["EOSDT"] = D(2021, 3, 2)
    out = derive_vars_dt_start_end(df, start_dtc="AESTDTC", end_dtc="AEENDTC",
                                   end_max_dates=["EOSDT"])
    assert [date_text(x) for x in out["ASTDT"]] == ["2021-08-31", "2021-03-05"]
    assert [date_text(x) for x in out["AENDT"]] == ["2021-08-31", "2021-03-31"]


def test_derive_vars_dtm_1_missing_seconds_imputed_and_optionally_not_flagged():
    df = table("ID | XDTC\n1 | 2021-01-02T10:30\n2 | 2021-01-02")
    out = derive_vars_dtm(df, dtc="XDTC", new_vars_prefix="TRTS")
    assert out["TRTSDTM"].iloc[0] == D(2021, 1, 2) * 86400 + 10 * 3600 + 30 * 60
    assert out["TRTSTMF"].tolist() == ["S", "H"]
    out = derive_vars_dtm(df, dtc="XDTC", new_vars_prefix="TRTS", ignore_seconds_flag=True)
    assert values(out["TRTSTMF"]) == [None, "H"]


def test_derive_vars_dy_1_there_is_no_day_zero():
    df = table("ADT | TRTSDT\n9 | 10\n10 | 10\n12 | 10\n | 10")
    out = derive_vars_dy(df, reference_date="TRTSDT", source_vars=["ADT"])
    assert out["ADY"].tolist()[:3] == [-1, 1, 3] and np.isnan(out["ADY"].iloc[3])


def test_derive_vars_duration_1_days_with_unit():
    df = table("ASTDT | AENDT\n10 | 12\n10 |")
    out = derive_vars_duration(df, new_var="ADURN", new_var_unit="ADURU", start_date="ASTDT",
                               end_date="AENDT")
    assert out["ADURN"].iloc[0] == 3 and values(out["ADURU"]) == ["DAYS", None]


# ------------------------------------------------------------------------------- occds family

def test_derive_var_trtemfl_1_on_or_after_first_dose_or_unknown_start():
    df = table("""
        ID | ASTDT | AENDT | TRTSDT
        1  | 9     | 12    | 10
        2  | 10    |       | 10
        3  |       | 11    | 10
        4  |       | 8     | 10
        5  | 20    |       |""")
    out = derive_var_trtemfl(df)
    assert values(out["TRTEMFL"]) == [None, "Y", "Y", None, None]


# --------------------------------------------------------------------- conditions and registry

@pytest.mark.parametrize("cond, expected", [
    ({"of": "X", "equals": "a"}, [True, False, False]),
    ({"of": "X", "not_equals": "a"}, [False, True, True]),
    ({"of": "X", "missing": True}, [False, False, True]),
    ({"of": "N", "ge": 2, "lt": 3}, [False, True, False]),
    ({"of": "N", "le": {"of": "M"}}, [True, False, False]),
    ({"any": [{"of": "X", "in": ["b"]}, {"not": {"of": "N", "gt": 0}}]}, [False, True, True]),
])
def test_conditions_1_tests_combine_and_missing_is_false(cond, expected):
    df = table("X | N | M\na | 1 | 1\nb | 2 | 1\n | |")
    assert cn.evaluate(df, cond).tolist() == expected


def test_registry_1_every_method_is_documented_with_a_valid_example():
    from cdisc_mapper.adam.schema import schema
    from cdisc_mapper.mapping.validate import check
    from cdisc_mapper.mapping.yamlfile import load_text

    methods = all_methods()
    assert len(methods) >= 20
    for name, m in methods.items():
        assert m.doc and m.summary and m.example, name
        assert name.startswith(("derive_var_", "derive_vars_", "derive_param_")) or \
            name.endswith("_records"), name
        step = load_text(m.example, "example.yaml")
        (sid, params), = step.data.items()
        doc = load_text("dataset: X\nstructure: BDS\nsource: {dataset: QS}\nvariables: {A: {}}\n"
                        "derivations:\n" + "\n".join("  " + ln for ln in m.example.splitlines()),
                        "spec.yaml")
        check(doc, schema())
        assert params["method"] == name
        described = m.describe(params)
        assert set(m.io(params).writes) <= set(described) | set(params.get("set_values_to", {})), name


def test_registry_2_the_language_reference_covers_every_method():
    from cdisc_mapper.adam.docs import reference_markdown

    text = reference_markdown()
    for name in all_methods():
        assert f"### `{name}`" in text
