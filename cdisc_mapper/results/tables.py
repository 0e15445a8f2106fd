"""The tables of the publication, computed from the ADaM datasets as written (XPT files).

Nothing here knows the study: parameters, visits and arms come from the data.

* **Responders** (BDS records whose AVALC is Y/N, e.g. EASI50, IGARESP): per parameter, analysis
  visit and planned treatment, responders / subjects with a record (FASFL = Y, ANL01FL = Y), and
  the tests of a 2 x k table: Pearson chi-square without and with Yates' continuity correction
  and, for two arms, Fisher's exact test (``scipy.stats``).
* **Change from baseline** (BDS records with CHG): n, mean, SD, median, min, max of CHG per
  parameter, post-baseline visit and treatment, with Welch's t-test and the Wilcoxon rank-sum
  (Mann-Whitney U) test between two arms (one-way ANOVA / Kruskal-Wallis for more).
* **Adverse events** (OCCDS with TRTEMFL): treatment-emergent AEs of the safety population by
  actual treatment — an overview, subjects and events by system organ class and preferred term,
  and by severity (subjects counted once at their highest severity).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import DataError
from ..adam.reader import read_columns

RELATED = ("RELATED", "POSSIBLY RELATED", "PROBABLY RELATED", "DEFINITELY RELATED")
SEVERITY_ORDER = ("MILD", "MODERATE", "SEVERE")


def read_dataset(folder: Path, name: str) -> pd.DataFrame | None:
    """An ADaM dataset as written (blank text as missing), or None when the file is absent."""
    path = Path(folder) / f"{name.lower()}.xpt"
    if not path.is_file():
        return None
    df = read_columns(path)
    for c in df.columns:
        if isinstance(df[c].dtype, pd.CategoricalDtype):
            df[c] = pd.Series(df[c].astype(object).to_numpy(), index=df.index, dtype=object)
    return df


def _need(df: pd.DataFrame, name: str, cols: list[str]) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise DataError(f"{name} has no variable {', '.join(missing)}; the results need it",
                        file=f"{name.lower()}.xpt")


def _arms(df: pd.DataFrame, var: str, num: str) -> list[tuple[Any, str]]:
    arms = df[[num, var]].dropna(subset=[var]).drop_duplicates()
    arms = arms.sort_values([num, var], na_position="last")
    return [(n, a) for n, a in zip(arms[num], arms[var])]


def _pct(n: int, d: int) -> float:
    return round(100.0 * n / d, 1) if d else float("nan")


def chi_square_tests(table: np.ndarray) -> dict[str, float]:
    """Pearson chi-square without and with continuity correction (Yates, 2 x 2 only) and, for
    2 x 2, Fisher's exact test, of a table of counts (rows: arms; columns: yes/no)."""
    out = {"chi2": np.nan, "pearson_p": np.nan, "chi2_yates": np.nan, "yates_p": np.nan,
           "fisher_p": np.nan}
    table = np.asarray(table, dtype=float)
    if table.shape[0] < 2 or (table.sum(axis=0) == 0).any() or (table.sum(axis=1) == 0).any():
        return out
    chi2, p, _, _ = stats.chi2_contingency(table, correction=False)
    out["chi2"], out["pearson_p"] = float(chi2), float(p)
    if table.shape == (2, 2):
        chi2y, py, _, _ = stats.chi2_contingency(table, correction=True)
        out["chi2_yates"], out["yates_p"] = float(chi2y), float(py)
        out["fisher_p"] = float(stats.fisher_exact(table.astype(int))[1])
    return out


def responder_tables(adsl: pd.DataFrame, bds: pd.DataFrame, dataset: str
                     ) -> tuple[pd.DataFrame, pd.DataFrame]:
    _need(bds, dataset, ["PARAMCD", "PARAM", "AVALC", "AVISIT", "AVISITN", "TRTP", "TRTPN",
                         "FASFL", "ANL01FL", "USUBJID"])
    data = bds[(bds["FASFL"] == "Y") & (bds["ANL01FL"] == "Y") & bds["AVALC"].notna()]
    yn = data.groupby("PARAMCD")["AVALC"].agg(lambda s: set(s) <= {"Y", "N"})
    params = [p for p, ok in yn.items() if ok]
    data = data[data["PARAMCD"].isin(params)]
    arms = _arms(bds[bds["FASFL"] == "Y"], "TRTP", "TRTPN")
    full = adsl[adsl["FASFL"] == "Y"].groupby("TRT01P").size() if adsl is not None and \
        "FASFL" in adsl.columns and "TRT01P" in adsl.columns else pd.Series(dtype=int)
    order = (data[["PARAMCD", "PARAM", "AVISIT", "AVISITN"] + (["PARAMN"] if "PARAMN" in data
                                                                 else [])]
             .drop_duplicates(["PARAMCD", "AVISITN"]))
    order = order.sort_values((["PARAMN"] if "PARAMN" in order else []) + ["PARAMCD", "AVISITN"])
    rows, tests = [], []
    for _, key in order.iterrows():
        sub = data[(data["PARAMCD"] == key["PARAMCD"]) & (data["AVISITN"] == key["AVISITN"])]
        counts = []
        for num, arm in arms:
            a = sub[sub["TRTP"] == arm]
            n_yes = int((a["AVALC"] == "Y").sum())
            n = int(a["USUBJID"].nunique())
            imputed = int(a["DTYPE"].notna().sum()) if "DTYPE" in a.columns else 0
            rows.append({"PARAMCD": key["PARAMCD"], "PARAM": key["PARAM"],
                         "AVISIT": key["AVISIT"], "AVISITN": key["AVISITN"],
                         "TRTPN": num, "TRTP": arm, "responders": n_yes, "n": n,
                         "percent": _pct(n_yes, n), "imputed": imputed,
                         "fas": int(full.get(arm, 0))})
            counts.append([n_yes, n - n_yes])
        t = chi_square_tests(np.array(counts))
        yes = [c[0] / sum(c) * 100 if sum(c) else np.nan for c in counts]
        tests.append({"PARAMCD": key["PARAMCD"], "PARAM": key["PARAM"], "AVISIT": key["AVISIT"],
                      "AVISITN": key["AVISITN"], "arms": " vs ".join(a for _, a in arms),
                      "difference_pct": round(yes[0] - yes[1], 1) if len(yes) == 2 else np.nan,
                      **t})
    return pd.DataFrame(rows), pd.DataFrame(tests)


def change_tables(bds: pd.DataFrame, dataset: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    _need(bds, dataset, ["PARAMCD", "PARAM", "CHG", "AVISIT", "AVISITN", "TRTP", "TRTPN",
                         "FASFL", "ANL01FL"])
    data = bds[(bds["FASFL"] == "Y") & (bds["ANL01FL"] == "Y") & bds["CHG"].notna()
               & (bds["AVISITN"] > 0)]
    if "DTYPE" in data.columns:
        data = data[data["DTYPE"].isna()]
    arms = _arms(bds[bds["FASFL"] == "Y"], "TRTP", "TRTPN")
    order = (data[["PARAMCD", "PARAM", "AVISIT", "AVISITN"] + (["PARAMN"] if "PARAMN" in data
                                                                 else [])]
             .drop_duplicates(["PARAMCD", "AVISITN"]))
    order = order.sort_values((["PARAMN"] if "PARAMN" in order else []) + ["PARAMCD", "AVISITN"])
    rows, tests = [], []
    for _, key in order.iterrows():
        sub = data[(data["PARAMCD"] == key["PARAMCD"]) & (data["AVISITN"] == key["AVISITN"])]
        groups = []
        for num, arm in arms:
            v = sub.loc[sub["TRTP"] == arm, "CHG"].astype(float).to_numpy()
            groups.append(v)
            base = sub.loc[sub["TRTP"] == arm, "BASE"].astype(float) if "BASE" in sub else None
            rows.append({"PARAMCD": key["PARAMCD"], "PARAM": key["PARAM"],
                         "AVISIT": key["AVISIT"], "AVISITN": key["AVISITN"], "TRTPN": num,
                         "TRTP": arm, "n": len(v),
                         "base_mean": float(base.mean()) if base is not None and len(v)
                         else np.nan,
                         "mean": float(np.mean(v)) if len(v) else np.nan,
                         "sd": float(np.std(v, ddof=1)) if len(v) > 1 else np.nan,
                         "median": float(np.median(v)) if len(v) else np.nan,
                         "min": float(np.min(v)) if len(v) else np.nan,
                         "max": float(np.max(v)) if len(v) else np.nan})
        tests.append({"PARAMCD": key["PARAMCD"], "PARAM": key["PARAM"], "AVISIT": key["AVISIT"],
                      "AVISITN": key["AVISITN"], "arms": " vs ".join(a for _, a in arms),
                      **_compare(groups)})
    return pd.DataFrame(rows), pd.DataFrame(tests)


def _compare(groups: list[np.ndarray]) -> dict[str, float]:
    out = {"difference": np.nan, "t": np.nan, "t_p": np.nan, "u_p": np.nan,
           "test": "", "rank_test": ""}
    usable = [g for g in groups if len(g) >= 2]
    if len(usable) != len(groups) or len(groups) < 2:
        return out
    if len(groups) == 2:
        t = stats.ttest_ind(groups[0], groups[1], equal_var=False)
        u = stats.mannwhitneyu(groups[0], groups[1], alternative="two-sided")
        out.update(difference=float(np.mean(groups[0]) - np.mean(groups[1])), t=float(t.statistic),
                   t_p=float(t.pvalue), u_p=float(u.pvalue), test="Welch t-test",
                   rank_test="Wilcoxon rank-sum")
    else:
        f = stats.f_oneway(*groups)
        k = stats.kruskal(*groups)
        out.update(t=float(f.statistic), t_p=float(f.pvalue), u_p=float(k.pvalue),
                   test="one-way ANOVA", rank_test="Kruskal-Wallis")
    return out


def ae_tables(adsl: pd.DataFrame, occds: pd.DataFrame, dataset: str
              ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    _need(occds, dataset, ["USUBJID", "TRTEMFL", "TRTA", "AEBODSYS", "AEDECOD"])
    _need(adsl, "ADSL", ["USUBJID", "SAFFL", "TRT01A"])
    safety = adsl[adsl["SAFFL"] == "Y"]
    arms = _arms(safety, "TRT01A", "TRT01AN" if "TRT01AN" in safety else "TRT01A")
    denom = safety.groupby("TRT01A")["USUBJID"].nunique()
    ae = occds[(occds["TRTEMFL"] == "Y") & occds["USUBJID"].isin(safety["USUBJID"])]
    sev = "ASEV" if "ASEV" in ae.columns else "AESEV"

    def count(rows: pd.DataFrame, arm: str) -> dict[str, Any]:
        r = rows[rows["TRTA"] == arm]
        n = int(r["USUBJID"].nunique())
        return {"subjects": n, "percent": _pct(n, int(denom.get(arm, 0))), "events": len(r)}

    overview = []
    cats = [("Any treatment-emergent AE", ae)]
    if "AESER" in ae:
        cats.append(("Serious", ae[ae["AESER"] == "Y"]))
    if "AEREL" in ae:
        rel = ae[ae["AEREL"].isin(RELATED)]
        cats.append(("Related to treatment (related, possibly or probably related)", rel))
        if "AESER" in ae:
            cats.append(("Serious and related to treatment", rel[rel["AESER"] == "Y"]))
    if sev in ae:
        cats.append(("Severe", ae[ae[sev] == "SEVERE"]))
        cats.append(("Mild or moderate", ae[ae[sev].isin(("MILD", "MODERATE"))]))
    if "AEOUT" in ae:
        cats.append(("Recovered/resolved (with or without sequelae)",
                     ae[ae["AEOUT"].isin(("RECOVERED/RESOLVED",
                                          "RECOVERED/RESOLVED WITH SEQUELAE"))]))
    if "AEACN" in ae:
        cats.append(("Leading to withdrawal of treatment", ae[ae["AEACN"] == "DRUG WITHDRAWN"]))
    for label, rows in cats:
        for num, arm in arms:
            overview.append({"category": label, "TRTAN": num, "TRTA": arm,
                             "N": int(denom.get(arm, 0)), **count(rows, arm)})
    soc_pt = []
    total = ae.groupby("AEBODSYS")["USUBJID"].nunique().sort_values(ascending=False)
    socs = sorted(total.index, key=lambda s: (-total[s], s))
    for soc in socs:
        srows = ae[ae["AEBODSYS"] == soc]
        for num, arm in arms:
            soc_pt.append({"AEBODSYS": soc, "AEDECOD": None, "TRTAN": num, "TRTA": arm,
                           "N": int(denom.get(arm, 0)), **count(srows, arm)})
        pts = srows.groupby("AEDECOD")["USUBJID"].nunique()
        for pt in sorted(pts.index, key=lambda p: (-pts[p], p)):
            prow = srows[srows["AEDECOD"] == pt]
            for num, arm in arms:
                soc_pt.append({"AEBODSYS": soc, "AEDECOD": pt, "TRTAN": num, "TRTA": arm,
                               "N": int(denom.get(arm, 0)), **count(prow, arm)})
    severity = []
    if sev in ae.columns:
        rank = {s: i for i, s in enumerate(SEVERITY_ORDER)}
        worst = ae.assign(__r__=ae[sev].map(rank)).sort_values("__r__").groupby(
            ["TRTA", "USUBJID"])["__r__"].max().reset_index()
        for s in SEVERITY_ORDER:
            for num, arm in arms:
                n_sub = int(((worst["TRTA"] == arm) & (worst["__r__"] == rank[s])).sum())
                n_ev = int(((ae["TRTA"] == arm) & (ae[sev] == s)).sum())
                all_ev = int((ae["TRTA"] == arm).sum())
                severity.append({"severity": s, "TRTAN": num, "TRTA": arm,
                                 "N": int(denom.get(arm, 0)), "subjects": n_sub,
                                 "percent": _pct(n_sub, int(denom.get(arm, 0))),
                                 "events": n_ev, "events_percent": _pct(n_ev, all_ev)})
    return pd.DataFrame(overview), pd.DataFrame(soc_pt), pd.DataFrame(severity)
