"""The published results, from the files the pipeline writes (read back from disk).

Both sample studies are converted once (SDTM, ADaM, define.xml, results).  The numbers are
checked against the publication and against statistics computed here independently of the
product (SciPy, hand formulas) from the ADaM XPT files read with pyreadstat; the ARM of
define.xml, the ARS reporting event, the tables (CSV, HTML, RTF) and the README must state the
same method and the same value."""

from __future__ import annotations

import csv
import json
import math
import re
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from lxml import etree
from scipy import stats

from cdisc_mapper.errors import DataError, MappingError, UsageError
from cdisc_mapper.results import compute_results, study_plan, write_results
from cdisc_mapper.results.ard import COMPARISON, value
from cdisc_mapper.results.tables import result_statement

ROOT = Path(__file__).resolve().parents[1]
STUDIES = ("ADT2002-P1", "ADT2002-P2")
ARMS = {"ADT2002-P1": ("hcMSC 1x10^6 cells/kg", "hcMSC 5x10^5 cells/kg"),
        "ADT2002-P2": ("hcMSC 5x10^5 cells/kg", "Placebo")}
NS = {"arm": "http://www.cdisc.org/ns/arm/v1.0", "odm": "http://www.cdisc.org/ns/odm/v1.3",
      "def": "http://www.cdisc.org/ns/def/v2.1"}


@pytest.fixture(scope="module")
def packages(tmp_path_factory) -> Path:
    from cdisc_mapper.engine.run import convert_study
    out = tmp_path_factory.mktemp("results")
    for study in STUDIES:
        convert_study(ROOT / "mappings" / study / "study.yaml", out, analysis=True,
                      created=datetime(2023, 1, 1))
    return out


def results_dir(packages: Path, study: str) -> Path:
    return packages / study / "analysis" / "adam" / "results"


def ard(packages: Path, study: str) -> pd.DataFrame:
    frame = pd.read_csv(results_dir(packages, study) / "ard.csv", keep_default_na=False,
                        dtype=str)
    for col in ("section_order", "row_order", "indent", "group_order", "value"):
        frame[col] = pd.to_numeric(frame[col].replace("", np.nan))
    return frame


def xpt(packages: Path, study: str, name: str) -> pd.DataFrame:
    df, _ = pyreadstat.read_xport(str(packages / study / "analysis" / "adam" / "datasets"
                                      / f"{name.lower()}.xpt"))
    return df


def week12(packages, study, paramcd="EASI50") -> dict[str, tuple[int, int]]:
    """Responders / subjects at week 12 straight from adeff.xpt, by planned treatment."""
    eff = xpt(packages, study, "ADEFF")
    w = eff[(eff.PARAMCD == paramcd) & (eff.AVISIT == "Week 12") & (eff.ANL01FL == "Y")
            & (eff.FASFL == "Y")]
    return {arm: (int((g.AVALC == "Y").sum()), len(g)) for arm, g in w.groupby("TRTP")}


def _wilson(x: int, n: int, z: float) -> tuple[float, float]:
    p = x / n
    centre = (x + z * z / 2) / (n + z * z)
    half = z * math.sqrt(p * (1 - p) * n + z * z / 4) / (n + z * z)
    return centre - half, centre + half


def newcombe(x1, n1, x2, n2, level=0.95) -> tuple[float, float]:
    """Newcombe's hybrid score interval (1998, method 10), written out by hand."""
    z = stats.norm.ppf(1 - (1 - level) / 2)
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = _wilson(x1, n1, z)
    l2, u2 = _wilson(x2, n2, z)
    d = p1 - p2
    return (100 * (d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)),
            100 * (d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)))


def _primary(frame, study, op, group=COMPARISON):
    return value(frame, "easi50", op, section="Week 12", group=group, row="Responders")


# ------------------------------------------------------------------------- the published numbers

def test_results_1_phase1_easi50_week12_7_of_10_vs_6_of_9_pearson_p_0876(packages):
    study = "ADT2002-P1"
    a = ard(packages, study)
    high, low = ARMS[study]
    assert week12(packages, study) == {high: (7, 10), low: (6, 9)}
    assert (_primary(a, study, "n", high), _primary(a, study, "denom", high)) == (7, 10)
    assert (_primary(a, study, "n", low), _primary(a, study, "denom", low)) == (6, 9)
    p = _primary(a, study, "p")
    assert p == pytest.approx(stats.chi2_contingency([[7, 3], [6, 3]], correction=False)[1],
                              rel=1e-12)
    assert round(p, 3) == 0.876 and round(p, 1) == 0.9          # the publication's P = .9
    lo, hi = newcombe(7, 10, 6, 9)
    assert (_primary(a, study, "lcl"), _primary(a, study, "ucl")) == (
        pytest.approx(lo, abs=1e-9), pytest.approx(hi, abs=1e-9))


def test_results_2_phase2_easi50_week12_15_of_36_vs_6_of_36_corrected_p_0038(packages):
    study = "ADT2002-P2"
    a = ard(packages, study)
    hc, pbo = ARMS[study]
    assert week12(packages, study) == {hc: (15, 36), pbo: (6, 36)}
    assert [_primary(a, study, op, hc) for op in ("n", "denom")] == [15, 36]
    assert [_primary(a, study, op, pbo) for op in ("n", "denom")] == [6, 36]
    p = _primary(a, study, "p")
    assert p == pytest.approx(stats.chi2_contingency([[15, 21], [6, 30]], correction=True)[1],
                              rel=1e-12)
    assert round(p, 3) == 0.038
    assert _primary(a, study, "diff") == pytest.approx(100 * (15 / 36 - 6 / 36))
    lo, hi = newcombe(15, 36, 6, 36)
    assert _primary(a, study, "lcl") == pytest.approx(lo, abs=1e-9)
    assert _primary(a, study, "ucl") == pytest.approx(hi, abs=1e-9)
    # Clopper-Pearson of each arm, against SciPy's exact binomial interval
    for arm, (x, n) in ((hc, (15, 36)), (pbo, (6, 36))):
        ci = stats.binomtest(x, n).proportion_ci(confidence_level=0.95, method="exact")
        got = value(a, "easi50", "lcl", section="Week 12", group=arm, row="ci"), \
            value(a, "easi50", "ucl", section="Week 12", group=arm, row="ci")
        assert got == (pytest.approx(100 * ci.low), pytest.approx(100 * ci.high))
    # one pre-specified P value per display: only at week 12
    ps = a[(a.analysis == "easi50") & (a.operation == "p")]
    assert list(ps.section) == ["Week 12"]
    imputed = a[(a.analysis == "easi50") & (a.section == "Week 12") & (a.operation == "imputed")]
    assert imputed.value.sum() > 0                  # missing week 12 counted as non-response


def _ols(y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Least squares by the normal equations: coefficients, their covariance, residual df."""
    xtx_inv = np.linalg.inv(x.T @ x)
    beta = xtx_inv @ x.T @ y
    df = len(y) - x.shape[1]
    sigma2 = float(((y - x @ beta) ** 2).sum()) / df
    return beta, sigma2 * xtx_inv, df


def _ancova_by_hand(first_chg, first_base, second_chg, second_base, level=0.95):
    y = np.r_[first_chg, second_chg]
    base = np.r_[first_base, second_base]
    x = np.column_stack([np.ones(len(y)), np.r_[np.ones(len(first_chg)),
                                                np.zeros(len(second_chg))], base])
    beta, cov, df = _ols(y, x)
    se = math.sqrt(cov[1, 1])
    half = stats.t.ppf(0.5 + level / 2, df) * se
    p = 2 * stats.t.sf(abs(beta[1] / se), df)
    ls = [np.array([1.0, arm, base.mean()]) for arm in (1.0, 0.0)]
    return {"diff": beta[1], "lcl": beta[1] - half, "ucl": beta[1] + half, "p": p,
            "statistic": beta[1] / se, "lsmean_a": ls[0] @ beta, "lsmean_b": ls[1] @ beta,
            "se_a": math.sqrt(ls[0] @ cov @ ls[0]), "se_b": math.sqrt(ls[1] @ cov @ ls[1])}


def test_ancova_matches_least_squares_by_hand_on_a_tiny_table():
    from cdisc_mapper.results.stats import ancova
    # six subjects: change and baseline per arm, numbers small enough to check on paper
    a_chg, a_base = np.array([-3.0, -5.0, -3.0]), np.array([10.0, 14.0, 12.0])
    b_chg, b_base = np.array([-1.0, -2.0, 0.0]), np.array([11.0, 13.0, 9.0])
    got = ancova(a_chg, a_base, b_chg, b_base, 0.95)
    want = _ancova_by_hand(a_chg, a_base, b_chg, b_base)
    assert got.keys() == want.keys()
    for k in want:
        assert got[k] == pytest.approx(want[k], rel=1e-10, abs=1e-12), k
    # on paper: the pooled within-arm slope, and the difference in means adjusted by it
    sxy = sum(((c - c.mean()) * (b - b.mean())).sum() for c, b in ((a_chg, a_base),
                                                                  (b_chg, b_base)))
    sxx = sum(((b - b.mean()) ** 2).sum() for b in (a_base, b_base))
    slope = sxy / sxx                                  # -8/16
    assert slope == pytest.approx(-0.5)
    adjusted = (a_chg.mean() - b_chg.mean()) - slope * (a_base.mean() - b_base.mean())
    assert got["diff"] == pytest.approx(adjusted)
    # a subject without a baseline is left out of the model
    more = ancova(np.r_[a_chg, -9.0], np.r_[a_base, np.nan], b_chg, b_base, 0.95)
    assert more["diff"] == pytest.approx(got["diff"])
    # too few subjects: no estimate rather than a number
    assert math.isnan(ancova(a_chg[:1], a_base[:1], b_chg, b_base, 0.95)["p"])


@pytest.mark.parametrize("study", STUDIES)
@pytest.mark.parametrize("analysis,paramcd", [("dlqi_change", "DLQI"), ("pnrs_change", "PNRS")])
def test_results_3_dlqi_and_pruritus_change_not_significant(packages, study, analysis, paramcd):
    a = ard(packages, study)
    p = value(a, analysis, "p", section="Week 12", group=COMPARISON)
    assert p > 0.05
    eff = xpt(packages, study, "ADEFF")
    w = eff[(eff.PARAMCD == paramcd) & (eff.AVISIT == "Week 12") & (eff.FASFL == "Y")
            & (eff.ANL01FL == "Y") & eff.CHG.notna()]
    (c1, b1), (c2, b2) = ((w.loc[w.TRTP == arm, "CHG"].to_numpy(),
                           w.loc[w.TRTP == arm, "BASE"].to_numpy()) for arm in ARMS[study])
    # the declared model: ANCOVA of the change with treatment and baseline, by hand
    want = _ancova_by_hand(c1, b1, c2, b2)
    for op in ("diff", "lcl", "ucl", "p", "statistic"):
        assert value(a, analysis, op, section="Week 12", group=COMPARISON) == \
            pytest.approx(want[op], rel=1e-9), op
    for arm, key in zip(ARMS[study], ("a", "b")):
        assert value(a, analysis, "lsmean", section="Week 12", group=arm, row="CHG") == \
            pytest.approx(want[f"lsmean_{key}"], rel=1e-9)
    # one pre-specified P value, at week 12; the estimate and its interval at every visit
    ps = a[(a.analysis == analysis) & (a.operation == "p")]
    assert list(ps.section) == ["Week 12"]
    assert (a[(a.analysis == analysis) & (a.operation == "lcl")].section.nunique()
            == a[(a.analysis == analysis) & (a.row == "CHG")].section.nunique())
    n = value(a, analysis, "n", section="Week 12", group=ARMS[study][0], row="CHG")
    assert n == len(c1)


@pytest.mark.parametrize("study", STUDIES)
def test_results_4_adverse_events_mostly_mild_or_moderate(packages, study):
    a = ard(packages, study)
    adae = xpt(packages, study, "ADAE")
    te = adae[adae.TRTEMFL == "Y"]
    sev = a[(a.analysis == "ae_by_severity") & (a.section == "Events by severity")
            & (a.group == "Total") & (a.operation == "events")].set_index("row")["value"]
    assert sev["MILD"] + sev["MODERATE"] > 0.8 * sev.sum()
    assert sev.sum() == len(te)
    anyae = a[(a.analysis == "ae_overview") & (a.row == "Any TEAE") & (a.group == "Total")]
    assert anyae.set_index("operation")["value"]["events"] == len(te)
    assert anyae.set_index("operation")["value"]["n"] == te.USUBJID.nunique()
    related_serious = a[(a.analysis == "ae_overview") & (a.row.str.startswith("Serious TEAE rel"))
                        & (a.operation == "n")]
    assert related_serious.value.sum() == 0        # no treatment-related serious AE
    # every term the overview tests is a term of the variable's codelist
    from cdisc_mapper.mapping.yamlfile import load_file
    spec = load_file(ROOT / "mappings/common/adam/adae.yaml", "adae.yaml").data
    causality = load_file(ROOT / "mappings/common/codelists.yaml", "c.yaml").data["codelists"]
    terms = {t["value"] for t in causality["AEREL"]["terms"]}
    tested = set(re.findall(r"of: AEREL, in: \[([^\]]+)\]",
                            (ROOT / "mappings/common/adam/adae.yaml").read_text()))
    assert tested and all(set(x.strip() for x in t.split(",")) <= terms for t in tested)
    assert "PROBABLY" not in json.dumps(spec["analyses"])


@pytest.mark.parametrize("study", STUDIES)
def test_results_4b_adverse_events_by_soc_pt_and_highest_severity(packages, study):
    a = ard(packages, study)
    adae = xpt(packages, study, "ADAE")
    adsl = xpt(packages, study, "ADSL")
    te = adae[(adae.TRTEMFL == "Y") & adae.USUBJID.isin(adsl.loc[adsl.SAFFL == "Y", "USUBJID"])]
    rank = {"MILD": 0, "MODERATE": 1, "SEVERE": 2}
    sev = a[a.analysis == "ae_by_term_severity"]
    by_term = a[(a.analysis == "ae_by_term") & (a.operation == "n")].set_index(
        ["section", "row", "group"])["value"]
    levels = ("MILD", "MODERATE", "SEVERE")
    checked = 0
    for (section, row, group), part in sev[sev.section != ""].groupby(["section", "row", "group"]):
        got = {lv: part.loc[part.operation == f"n_{lv}", "value"].item() for lv in levels}
        # every subject of the row once, at one severity: the levels add up to Table 14.3.2's n
        assert sum(got.values()) == by_term[(section, row, group)], (section, row, group)
        # recomputed from ADAE: each subject's highest ASEV among the row's events
        rows = te if section == "Any TEAE" else te[te.AEBODSYS == section]
        if section != row:
            rows = rows[rows.AEDECOD == row]
        if group != "Total":
            rows = rows[rows.TRTA == group]
        worst = rows.assign(r=rows.ASEV.map(rank)).groupby("USUBJID")["r"].max()
        assert got == {lv: int((worst == i).sum()) for i, lv in enumerate(levels)}
        checked += 1
    assert checked > 20
    rows = list(csv.reader((results_dir(packages, study) / "t14_3_4.csv").open(encoding="utf-8")))
    assert rows[2][0].startswith("System organ class") and rows[2][1:4] == \
        ["Mild", "Moderate", "Severe"]
    assert rows[1][-3].startswith("Total (N=")


# --------------------------------------------------------------- one method, one value, everywhere

@pytest.mark.parametrize("study,method_text,p_text", [
    ("ADT2002-P1", "two-sided Pearson chi-square test without continuity correction", "0.876"),
    ("ADT2002-P2", "two-sided chi-square test with Yates' continuity correction", "0.038")])
def test_results_5_arm_ars_and_tables_state_the_same_method_and_value(packages, study,
                                                                      method_text, p_text):
    folder = results_dir(packages, study)
    # define.xml: the ARM of Table 14.2.1
    tree = etree.parse(str(packages / study / "analysis" / "adam" / "datasets" / "define.xml"))
    rd = tree.xpath("//arm:ResultDisplay[@Name='Table 14.2.1']", namespaces=NS)
    assert len(rd) == 1
    doc = " ".join("".join(rd[0].xpath(".//arm:Documentation", namespaces=NS)[0].itertext())
                   .split())
    assert method_text in doc and f"P = {p_text}" in doc
    assert "Fisher" not in doc and "Newcombe" in doc
    wc = rd[0].xpath(".//arm:AnalysisDataset[@ItemGroupOID='IG.ADEFF']/def:WhereClauseRef/"
                     "@WhereClauseOID", namespaces=NS)[0]
    checks = {(rc.get(f"{{{NS['def']}}}ItemOID"), tuple(c.text for c in rc))
              for rc in tree.xpath(f"//def:WhereClauseDef[@OID='{wc}']/odm:RangeCheck",
                                   namespaces=NS)}
    assert checks == {("IT.ADEFF.PARAMCD", ("EASI50",)), ("IT.ADEFF.AVISIT", ("Week 12",)),
                      ("IT.ADEFF.ANL01FL", ("Y",))}
    # ARS: the method and the P value of the week-12 analysis
    event = json.loads((folder / "ars.json").read_text(encoding="utf-8"))
    an = next(x for x in event["analyses"] if x["id"] == "An_easi50_Week-12")
    method = next(m for m in event["methods"] if m["id"] == an["methodId"])
    assert method_text in method["description"]
    p = [r for r in an["results"] if r["operationId"].endswith("_p")]
    assert [r["formattedValue"] for r in p] == [p_text]
    purpose = "SECONDARY" if study == "ADT2002-P1" else "PRIMARY"
    assert an["purpose"]["controlledTerm"] == f"{purpose} OUTCOME MEASURE"
    # the tables: CSV, HTML and RTF of Table 14.2.1
    rows = list(csv.reader((folder / "t14_2_1.csv").open(encoding="utf-8")))
    assert rows[0][:2] == ["Table 14.2.1", "EASI-50 response by visit"]
    week = [i for i, r in enumerate(rows) if r[0] == "Week 12"][0]
    assert rows[week + 1][-1] == p_text
    assert [r[-1] for r in rows[2:] if r and r[-1] and re.fullmatch(r"[<0-9.]+", r[-1])] \
        == [p_text]                                         # the one pre-specified P value
    assert any(method_text in r[0] for r in rows)
    html = (folder / "t14_2_1.html").read_text(encoding="utf-8")
    assert p_text in html and method_text.replace("'", "&#x27;") in html
    rtf = (folder / "t14_2_1.rtf").read_text(encoding="ascii")
    assert p_text in rtf and "Table 14.2.1" in rtf
    # the same display ids in the ARM, the ARS outputs and the table files
    arm_ids = set(tree.xpath("//arm:ResultDisplay/@Name", namespaces=NS))
    ars_ids = {o["displays"][0]["display"]["name"] for o in event["outputs"]}
    files = {f"Table {p.stem[1:].replace('_', '.')}" for p in folder.glob("t*.rtf")}
    assert arm_ids <= ars_ids == files


@pytest.mark.parametrize("study", STUDIES)
@pytest.mark.parametrize("analysis,display", [("dlqi_change", "Table 14.2.6"),
                                              ("pnrs_change", "Table 14.2.7")])
def test_results_5b_the_ancova_is_stated_alike_in_arm_ars_and_tables(packages, study, analysis,
                                                                      display):
    from cdisc_mapper.results.plan import METHODS
    folder = results_dir(packages, study)
    a = ard(packages, study)
    p_text = f"{value(a, analysis, 'p', section='Week 12', group=COMPARISON):.3f}"
    diff = value(a, analysis, "diff", section="Week 12", group=COMPARISON)
    text = METHODS["ancova"].text
    # define.xml: the ARM names the model, the variables it uses, and the P value
    tree = etree.parse(str(packages / study / "analysis" / "adam" / "datasets" / "define.xml"))
    rd = tree.xpath(f"//arm:ResultDisplay[@Name='{display}']", namespaces=NS)
    assert len(rd) == 1
    doc = " ".join("".join(rd[0].xpath(".//arm:Documentation", namespaces=NS)[0].itertext())
                   .split())
    assert text in doc and f"ANCOVA P = {p_text}" in doc and "Welch" not in doc
    used = set(rd[0].xpath(".//arm:AnalysisDataset[@ItemGroupOID='IG.ADEFF']/"
                           "arm:AnalysisVariable/@ItemOID", namespaces=NS))
    assert {"IT.ADEFF.CHG", "IT.ADEFF.BASE"} <= used
    # ARS: the method of the week-12 analysis and its P value
    event = json.loads((folder / "ars.json").read_text(encoding="utf-8"))
    an = next(x for x in event["analyses"]
              if x["id"] == f"An_{analysis.replace('_', '-')}_Week-12")
    method = next(m for m in event["methods"] if m["id"] == an["methodId"])
    assert text in method["description"] and "Welch" not in method["description"]
    assert [r["formattedValue"] for r in an["results"] if r["operationId"].endswith("CHG-p")] \
        == [p_text]
    assert "ANCOVA" in an["description"] or text in an["description"]
    # the table: the LS-mean difference and the one P value on the week-12 row, the model
    # in the footnotes
    stem = "t" + display.split()[1].replace(".", "_")
    rows = list(csv.reader((folder / f"{stem}.csv").open(encoding="utf-8")))
    week = [i for i, r in enumerate(rows) if r[0] == "Week 12: change from baseline"][0]
    ls = [r for r in rows[week + 1:week + 7] if r[0].strip() == "LS mean (SE)"][0]
    assert ls[-1] == p_text and ls[-2].startswith(f"{diff:.1f}".replace("-", "\u2212"))
    assert [r[-1] for r in rows[2:] if r and r[-1] and re.fullmatch(r"[<0-9.]+", r[-1])] \
        == [p_text]
    assert any(text in r[0] for r in rows)
    html = (folder / f"{stem}.html").read_text(encoding="utf-8")
    assert p_text in html and "Difference in LS means" in html
    rtf = (folder / f"{stem}.rtf").read_text(encoding="ascii")
    assert p_text in rtf and display in rtf


@pytest.mark.parametrize("study", STUDIES)
def test_results_6_the_readme_states_what_the_tables_state(packages, study):
    frame = ard(packages, study)
    plan = study_plan(_study(study))
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    for a in plan.analyses:
        if a.test_method and a.test_visit:
            statement = result_statement(plan, frame, a)
            assert statement and statement in readme, statement


def _study(study):
    from cdisc_mapper.mapping.study import load_study
    return load_study(ROOT / "mappings" / study / "study.yaml")


# ------------------------------------------------------------------------------ the displays

@pytest.mark.parametrize("study", STUDIES)
def test_results_7_displays_are_publication_grade(packages, study):
    folder = results_dir(packages, study)
    names = sorted(p.name for p in folder.iterdir())
    stems = sorted({p.stem for p in folder.glob("t*.rtf")})
    assert stems == ["t14_1_1", "t14_1_2"] + [f"t14_2_{i}" for i in range(1, 9)] + \
        ["t14_3_1", "t14_3_2", "t14_3_3", "t14_3_4"]
    assert names == sorted(["ard.csv", "ars.json", "results.html"]
                           + [f"{s}.{x}" for s in stems for x in ("csv", "html", "rtf")])
    adsl = xpt(packages, study, "ADSL")
    n_first = int((adsl.TRT01P == ARMS[study][0]).sum())
    for stem in stems:
        rows = list(csv.reader((folder / f"{stem}.csv").open(encoding="utf-8")))
        text = (folder / f"{stem}.csv").read_text(encoding="utf-8")
        assert "x10^" not in text and "×10⁵" in text, stem      # symbols, not ASCII
        assert "(N=" in rows[1][1] or "(N=" in rows[2][1], stem
        assert any("set: " in r[0] for r in rows), stem         # the population footnote
        html = (folder / f"{stem}.html").read_text(encoding="utf-8")
        assert "<script" not in html and "http" not in html
    demo = list(csv.reader((folder / "t14_1_2.csv").open(encoding="utf-8")))
    assert demo[1][-1] == f"Total (N={len(adsl)})"
    assert demo[1][1] == f"{ARMS[study][0].replace('x10^6', '×10⁶').replace('x10^5', '×10⁵')} " \
                         f"(N={n_first})"
    stub = [r[0].strip() for r in demo]
    assert {"n", "Mean (SD)", "Median", "Min, max"} <= set(stub)      # one statistic per row
    assert "≥40, n (%)" in stub
    ae = list(csv.reader((folder / "t14_3_1.csv").open(encoding="utf-8")))
    assert ae[2][1:3] == ["n (%)", "E"] and ae[1][-2].startswith("Total")
    dispo = [r[0].strip() for r in csv.reader((folder / "t14_1_1.csv").open(encoding="utf-8"))]
    assert "Discontinued the study" in dispo and "WITHDRAWAL BY SUBJECT" in dispo


@pytest.mark.parametrize("study", STUDIES)
def test_results_8_ars_json_is_valid_against_the_ars_1_0_schema(packages, study, reference):
    import jsonschema
    schema = json.loads((reference / "ars-1.0" / "ars_ldm.schema.json").read_text())
    event = json.loads((results_dir(packages, study) / "ars.json").read_text(encoding="utf-8"))
    errors = list(jsonschema.Draft7Validator(schema).iter_errors(event))
    assert not errors, [e.message for e in errors[:3]]
    # every number of the ARD is a result of the reporting event
    frame = ard(packages, study)
    results = sum(len(a["results"]) for a in event["analyses"])
    assert results == frame["value"].notna().sum()
    ids = {a["id"] for a in event["analyses"]}
    listed = {i["analysisId"] for o in event["mainListOfContents"]["contentsList"]["listItems"]
              for i in o["sublist"]["listItems"]}
    assert listed == ids


def _rtf_balanced(text: str) -> None:
    depth = 0
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        depth += c == "{"
        depth -= c == "}"
        assert depth >= 0
        i += 1
    assert depth == 0


def test_results_9_rtf_is_well_formed_and_opens_in_libreoffice(packages, tmp_path):
    folder = results_dir(packages, "ADT2002-P2")
    for rtf in folder.glob("*.rtf"):
        text = rtf.read_bytes().decode("ascii")              # pure ASCII, unicode escaped
        assert text.startswith("{\\rtf1\\ansi") and text.rstrip().endswith("}")
        _rtf_balanced(text)
        assert text.count("\\trowd") == text.count("\\row\n") + text.count("\\row}")
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    pdftotext = shutil.which("pdftotext")
    if soffice is None or pdftotext is None:
        pytest.skip("LibreOffice (soffice) or pdftotext not installed: RTF not converted")
    subprocess.run([soffice, f"-env:UserInstallation={(tmp_path / 'p').as_uri()}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(folder / "t14_2_1.rtf")],
                   check=True, capture_output=True, timeout=180)
    text = subprocess.run([pdftotext, "-layout", str(tmp_path / "t14_2_1.pdf"), "-"],
                          check=True, capture_output=True, text=True).stdout
    assert "Table 14.2.1" in text and "15/36 (41.7)" in text and "6/36 (16.7)" in text
    assert "0.038" in text and "5×10" in text and "(N=36)" in text


# ------------------------------------------------------------------------------- mistakes

def test_results_10_a_wrong_study_or_folder_is_an_error_and_keeps_the_results(packages, tmp_path):
    adam = packages / "ADT2002-P1" / "analysis" / "adam"
    folder = adam / "results"
    plan = study_plan(_study("ADT2002-P1"))
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    with pytest.raises(DataError, match="not ADT2002-P2"):
        write_results(adam, "ADT2002-P2", plan)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    with pytest.raises(UsageError, match="no ADaM datasets"):
        compute_results(tmp_path, plan)
    write_results(adam, "ADT2002-P1", plan)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before     # deterministic


def test_results_11_a_wrong_analysis_declaration_is_reported_at_its_line(tmp_path):
    from cdisc_mapper.adam.loader import load_specs
    from cdisc_mapper.mapping.study import load_study
    shutil.copytree(ROOT / "mappings", tmp_path / "mappings")
    spec = tmp_path / "mappings/common/adam/adeff.yaml"
    text = spec.read_text().replace("test: chi-square-corrected", "test: chi-squared")
    spec.write_text(text)
    line = next(i for i, ln in enumerate(text.splitlines(), 1) if "chi-squared" in ln)
    with pytest.raises(MappingError) as e:
        load_specs(load_study(tmp_path / "mappings/ADT2002-P2/study.yaml"))
    assert f"adeff.yaml:{line}" in str(e.value) and "chi-squared" in str(e.value)
    spec.write_text(text.replace("test: chi-squared", "test: welch-t"))
    with pytest.raises(MappingError, match="welch-t is for change analyses, not responders"):
        study_plan(load_study(tmp_path / "mappings/ADT2002-P2/study.yaml"))
    # the study's override merges into the shared analysis: phase 1 keeps the interval methods
    plan = study_plan(_study("ADT2002-P1"))
    easi50 = next(a for a in plan.analyses if a.id == "easi50")
    assert (easi50.test, easi50.interval, easi50.group_interval, easi50.test_visit) == (
        "chi-square", "newcombe", "clopper-pearson", "Week 12")
    assert np.isclose(easi50.level, 0.95)


def test_results_12_the_docs_name_every_method_and_kind():
    from cdisc_mapper.results.plan import KINDS, METHODS
    text = (ROOT / "docs" / "results.md").read_text(encoding="utf-8")
    for name in list(METHODS) + list(KINDS):
        assert f"| `{name}` |" in text, name


def test_results_13_an_analysis_the_data_cannot_answer_is_one_clear_line(packages, tmp_path):
    import subprocess
    import sys
    shutil.copytree(ROOT / "mappings", tmp_path / "mappings")
    spec = tmp_path / "mappings/common/adam/adeff.yaml"
    spec.write_text(spec.read_text().replace("parameter: EASI75", "parameter: EASI55"))
    folder = results_dir(packages, "ADT2002-P2")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    r = subprocess.run([sys.executable, "-m", "cdisc_mapper.cli", "results",
                        str(packages / "ADT2002-P2"), "--mappings",
                        str(tmp_path / "mappings/ADT2002-P2/study.yaml")],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "easi75" in lines[0] and "EASI55" in lines[0], r.stderr
    line = next(i for i, ln in enumerate(spec.read_text().splitlines(), 1) if "EASI55" in ln)
    assert f"adeff.yaml:{line}" in lines[0]
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_results_14_three_arms_tiny_inline_tables():
    """The mechanism on a tiny study with three arms: the k x 2 test, no pairwise difference,
    Total columns, categories in the order of <variable>N."""
    from cdisc_mapper.results.ard import compute_ard
    from cdisc_mapper.results.plan import Analysis, AnalysisSet, Plan
    from cdisc_mapper.results.tables import build_tables
    arms = ["A"] * 4 + ["B"] * 4 + ["C"] * 4
    adsl = pd.DataFrame({"STUDYID": "S", "USUBJID": [f"S-{i}" for i in range(12)],
                         "TRT01P": arms, "TRT01PN": [{"A": 1, "B": 2, "C": 3}[a] for a in arms],
                         "FASFL": ["Y"] * 11 + ["N"], "AGE": np.arange(20, 32, dtype=float),
                         "AGEGR1": ["<25"] * 5 + [">=25"] * 7,
                         "AGEGR1N": [1.0] * 5 + [2.0] * 7})
    yes = ["Y", "Y", "N", "N", "Y", "N", "N", "N", "Y", "Y", "Y", "Y"]
    bds = pd.DataFrame({"USUBJID": adsl.USUBJID, "TRTP": arms, "PARAMCD": "R",
                        "AVISIT": "Week 1", "AVISITN": 1.0, "AVALC": yes, "ANL01FL": "Y"})
    common = dict(population="FASFL", reason="SPECIFIED IN SAP",
                  purpose="SECONDARY OUTCOME MEASURE")
    plan = Plan([Analysis(id="r", dataset="BDS", kind="responders", display="Table 1.2",
                          title="R", treatment="TRTP", total=False, parameter="R",
                          test="chi-square", test_visit="Week 1", group_interval="wilson",
                          **common),
                 Analysis(id="d", dataset="ADSL", kind="summary", display="Table 1.1",
                          title="D", treatment="TRT01P", total=True,
                          variables=({"variable": "AGE"}, {"variable": "AGEGR1"}), **common)],
                {"FASFL": AnalysisSet("FASFL", "Full", "all")})
    plan.analyses.sort(key=lambda a: a.sort_key)
    ard_ = compute_ard(plan, {"ADSL": adsl, "BDS": bds})
    p = value(ard_, "r", "p", section="Week 1", group=COMPARISON)
    counts = [[2, 2], [1, 3], [3, 0]]                  # subject S-11 (arm C) is not in FAS
    assert p == pytest.approx(stats.chi2_contingency(counts, correction=False)[1])
    assert ard_[(ard_.analysis == "r") & (ard_.operation == "diff")].empty
    assert value(ard_, "d", "N", section="", group="Total") == 11
    assert value(ard_, "d", "n", section="AGEGR1", group="C", row=">=25") == 3
    assert value(ard_, "d", "mean", section="AGE", group="Total") == pytest.approx(25.0)
    tables = build_tables(plan, ard_)
    assert [t.display for t in tables] == ["Table 1.1", "Table 1.2"]
    demo = tables[0]
    assert [c[0] for c in demo.header[0]][-1] == "Total\n(N=11)"
    stub = [r.cells[0] for r in demo.rows]
    assert stub.index("<25, n (%)") < stub.index("≥25, n (%)")
