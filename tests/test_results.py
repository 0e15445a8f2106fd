"""The published results, from the ADaM XPT files alone (read back from disk)."""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest
from scipy import stats

from test_adam_support import adam_dir, read_adam
from cdisc_mapper.errors import DataError, UsageError
from cdisc_mapper.results import RESULT_TABLES, compute_results, write_results


def _week12(study: str, paramcd: str = "EASI50") -> tuple[pd.DataFrame, pd.Series]:
    res = compute_results(adam_dir(study))
    rows = res["responders"]
    rows = rows[(rows["PARAMCD"] == paramcd) & (rows["AVISIT"] == "Week 12")]
    tests = res["responder_tests"]
    test = tests[(tests["PARAMCD"] == paramcd) & (tests["AVISIT"] == "Week 12")].iloc[0]
    return rows.set_index("TRTP"), test


def _counts_from_xpt(study: str) -> dict[str, tuple[int, int]]:
    """EASI-50 at week 12 straight from adeff.xpt (pyreadstat), for an independent check."""
    eff = read_adam(study, "ADEFF")
    w = eff[(eff["PARAMCD"] == "EASI50") & (eff["AVISIT"] == "Week 12") &
            (eff["ANL01FL"] == "Y") & (eff["FASFL"] == "Y")]
    return {arm: (int((g["AVALC"] == "Y").sum()), len(g)) for arm, g in w.groupby("TRTP")}


def test_results_1_phase1_easi50_week12_by_dose_pearson_p_09():
    rows, test = _week12("ADT2002-P1")
    assert (rows.loc["hcMSC 1x10^6 cells/kg", "responders"],
            rows.loc["hcMSC 1x10^6 cells/kg", "n"]) == (7, 10)
    assert (rows.loc["hcMSC 5x10^5 cells/kg", "responders"],
            rows.loc["hcMSC 5x10^5 cells/kg", "n"]) == (6, 9)
    assert _counts_from_xpt("ADT2002-P1") == {"hcMSC 1x10^6 cells/kg": (7, 10),
                                               "hcMSC 5x10^5 cells/kg": (6, 9)}
    assert round(test["pearson_p"], 1) == 0.9
    assert test["pearson_p"] == pytest.approx(0.876, abs=5e-4)
    expected = stats.chi2_contingency([[7, 3], [6, 3]], correction=False)[1]
    assert test["pearson_p"] == pytest.approx(expected, rel=1e-12)
    assert test["fisher_p"] == pytest.approx(1.0)      # the publication's .9 is not Fisher's
    assert rows["imputed"].sum() == 0


def test_results_2_phase2_easi50_week12_continuity_corrected_p_0038():
    rows, test = _week12("ADT2002-P2")
    assert (rows.loc["hcMSC 5x10^5 cells/kg", "responders"],
            rows.loc["hcMSC 5x10^5 cells/kg", "n"]) == (15, 36)
    assert (rows.loc["Placebo", "responders"], rows.loc["Placebo", "n"]) == (6, 36)
    assert _counts_from_xpt("ADT2002-P2") == {"hcMSC 5x10^5 cells/kg": (15, 36),
                                               "Placebo": (6, 36)}
    assert round(test["yates_p"], 3) == 0.038
    expected = stats.chi2_contingency([[15, 21], [6, 30]], correction=True)[1]
    assert test["yates_p"] == pytest.approx(expected, rel=1e-12)
    assert rows.loc["hcMSC 5x10^5 cells/kg", "percent"] == 41.7
    assert rows.loc["Placebo", "percent"] == 16.7
    assert rows["imputed"].sum() > 0                     # missing week 12 = non-response


@pytest.mark.parametrize("study", ["ADT2002-P1", "ADT2002-P2"])
def test_results_3_other_responders_by_visit(study):
    res = compute_results(adam_dir(study))
    rows = res["responders"]
    for code in ("EASI75", "EASI90", "IGARESP"):
        visits = set(rows.loc[rows["PARAMCD"] == code, "AVISIT"])
        assert {"Week 12", "Week 16", "Week 24"} <= visits, code
    assert (rows["responders"] <= rows["n"]).all()


@pytest.mark.parametrize("study", ["ADT2002-P1", "ADT2002-P2"])
@pytest.mark.parametrize("paramcd", ["DLQI", "PNRS"])
def test_results_4_dlqi_and_pruritus_change_not_significant(study, paramcd):
    res = compute_results(adam_dir(study))
    tests = res["change_tests"]
    t = tests[(tests["PARAMCD"] == paramcd) & (tests["AVISIT"] == "Week 12")].iloc[0]
    assert t["t_p"] > 0.05 and t["u_p"] > 0.05
    eff = read_adam(study, "ADEFF")
    w = eff[(eff["PARAMCD"] == paramcd) & (eff["AVISIT"] == "Week 12") & (eff["FASFL"] == "Y")]
    groups = [g["CHG"].to_numpy() for _, g in w.sort_values("TRTPN").groupby("TRTPN")]
    assert t["t_p"] == pytest.approx(stats.ttest_ind(*groups, equal_var=False).pvalue)
    change = res["change"]
    c = change[(change["PARAMCD"] == paramcd) & (change["AVISIT"] == "Week 12")]
    assert c["n"].sum() == len(w)


@pytest.mark.parametrize("study", ["ADT2002-P1", "ADT2002-P2"])
def test_results_5_adverse_events_mostly_mild_or_moderate(study):
    res = compute_results(adam_dir(study))
    sev = res["ae_severity"]
    events = sev.groupby("severity")["events"].sum()
    assert (events.get("MILD", 0) + events.get("MODERATE", 0)) > 0.8 * events.sum()
    over = res["ae_overview"]
    anyae = over[over["category"] == "Any treatment-emergent AE"]
    adae = read_adam(study, "ADAE")
    assert anyae["events"].sum() == (adae["TRTEMFL"] == "Y").sum()
    related_serious = over[over["category"] == "Serious and related to treatment"]
    assert related_serious["subjects"].sum() == 0
    socpt = res["ae_soc_pt"]
    soc = socpt[socpt["AEDECOD"].isna()]
    assert soc.groupby("TRTA")["events"].sum().sum() == anyae["events"].sum()
    per_subject = sev.groupby("TRTA")["subjects"].sum()
    assert (per_subject.sort_index().to_numpy() ==
            anyae.set_index("TRTA")["subjects"].sort_index().to_numpy()).all()


@pytest.mark.parametrize("study", ["ADT2002-P1", "ADT2002-P2"])
def test_results_6_csv_and_one_html_page_are_written(study):
    folder = adam_dir(study) / "results"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        list(RESULT_TABLES.values()) + ["results.html"])
    html = (folder / "results.html").read_text(encoding="utf-8")
    assert "<script" not in html and "http" not in html.replace("https://", "")
    if study == "ADT2002-P2":
        assert "15/36 (41.7)" in html and "6/36 (16.7)" in html and "0.038" in html
    else:
        assert "7/10 (70.0)" in html and "6/9 (66.7)" in html and "0.876" in html
    tests = pd.read_csv(folder / "efficacy_responder_tests.csv")
    row = tests[(tests["PARAMCD"] == "EASI50") & (tests["AVISIT"] == "Week 12")].iloc[0]
    assert np.isfinite(row["pearson_p"])


def test_results_7_a_wrong_study_or_folder_is_an_error_and_keeps_the_results(tmp_path):
    folder = adam_dir("ADT2002-P1") / "results"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    with pytest.raises(DataError, match="not ADT2002-P2"):
        write_results(adam_dir("ADT2002-P1"), "ADT2002-P2")
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    with pytest.raises(UsageError, match="no ADaM datasets"):
        compute_results(tmp_path)
    assert write_results(adam_dir("ADT2002-P1"), "ADT2002-P1")
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
