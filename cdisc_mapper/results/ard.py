"""The analysis results data (ARD): every number of every declared analysis, one per row.

:func:`compute_ard` runs the plan on the ADaM datasets and returns one long table::

    analysis  display       section  row                 group                  operation  value
    easi50    Table 14.2.1  Week 12  Responders          hcMSC 5x10^5 cells/kg  n          15
    easi50    Table 14.2.1  Week 12  Responders          hcMSC 5x10^5 cells/kg  denom      36
    easi50    Table 14.2.1  Week 12  Responders          (comparison)           p          0.038…

``section`` is a visit, a variable or a row of the display; ``row`` a statistic or category
within it; ``group`` an arm, ``Total``, or ``(comparison)`` for results between two arms (first
arm minus second, in the order of the treatment's numeric variable); ``(all)`` holds the header
counts.  The tables (:mod:`.tables`) and the ARS reporting event (:mod:`.ars`) are drawn from
this table and nothing else.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..adam.conditions import evaluate, variables
from ..errors import DataError
from . import stats
from .plan import Analysis, Plan

TOTAL = "Total"
COMPARISON = "(comparison)"
COLUMNS = ["analysis", "display", "dataset", "section", "section_order", "row", "row_order",
           "indent", "group", "group_order", "operation", "value"]
#: the ADSL variable of a BDS/OCCDS treatment variable (one treatment period)
_ADSL_TREATMENT = {"TRTP": "TRT01P", "TRTA": "TRT01A"}


class _Out:
    def __init__(self, a: Analysis):
        self.a = a
        self.rows: list[tuple] = []

    def add(self, section: str, s_order: int, row: str, r_order: int, indent: int, group: str,
            g_order: int, **values: float) -> None:
        for op, v in values.items():
            self.rows.append((self.a.id, self.a.display, self.a.dataset, section, s_order, row,
                              r_order, indent, group, g_order, op,
                              float(v) if v is not None else np.nan))


def _bad(a: Analysis, key: str, message: str) -> Exception:
    """A declaration the data cannot answer: reported at the analysis' key in its spec (or the
    study file that overrides it)."""
    if a.doc is None:
        return DataError(message, file=f"{a.dataset.lower()}.xpt")
    return a.error(("analyses", a.id, key), message)


def _need(a: Analysis, df: pd.DataFrame, cols: list[str], key: str = "kind") -> None:
    missing = [c for c in dict.fromkeys(cols) if c not in df.columns]
    if missing:
        raise _bad(a, key, f"analysis '{a.id}' ({a.display}) needs variable "
                   f"{', '.join(missing)} of {a.dataset}, which the written "
                   f"{a.dataset.lower()}.xpt does not have")


def _arms(adsl: pd.DataFrame, var: str) -> list[str]:
    num = var + "N"
    cols = ([num] if num in adsl.columns else []) + [var]
    arms = adsl[cols].dropna(subset=[var]).drop_duplicates(var)
    arms = arms.sort_values(cols, na_position="last")
    return [str(x) for x in arms[var]]


def _population(a: Analysis, adsl: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    tvar = a.treatment if a.treatment in adsl.columns else _ADSL_TREATMENT.get(a.treatment)
    if tvar is None or tvar not in adsl.columns:
        raise _bad(a, "treatment", f"analysis '{a.id}': ADSL has no treatment variable for "
                   f"{a.treatment}")
    _need(a, adsl, [a.population, "USUBJID"], "population")
    pop = adsl[adsl[a.population] == "Y"]
    return pop, tvar


def _records(a: Analysis, df: pd.DataFrame, pop: pd.DataFrame) -> pd.DataFrame:
    df = df[df["USUBJID"].isin(pop["USUBJID"])]
    if a.records:
        _need(a, df, [v for _, v in variables(a.records)], "records")
        df = df[evaluate(df, a.records)]
    return df


def _header(out: _Out, pop: pd.DataFrame, tvar: str, arms: list[str], total: bool) -> None:
    for k, arm in enumerate(arms, 1):
        out.add("", 0, "", 0, 0, arm, k, N=pop.loc[pop[tvar] == arm, "USUBJID"].nunique())
    if total:
        out.add("", 0, "", 0, 0, TOTAL, len(arms) + 1, N=pop["USUBJID"].nunique())


def _groups(arms: list[str], total: bool) -> list[tuple[str, int, list[str]]]:
    g = [(arm, k, [arm]) for k, arm in enumerate(arms, 1)]
    return g + ([(TOTAL, len(arms) + 1, arms)] if total else [])


def _visits(a: Analysis, df: pd.DataFrame) -> list[str]:
    order = df[["AVISIT", "AVISITN"]].dropna().drop_duplicates("AVISIT").sort_values("AVISITN")
    present = [str(v) for v in order["AVISIT"]]
    if a.visits:
        missing = [v for v in a.visits if v not in present]
        if missing:
            raise _bad(a, "visits", f"analysis '{a.id}' ({a.display}): no {a.parameter} record "
                       f"at visit {', '.join(missing)}")
        return list(a.visits)
    if a.test_visit and a.test_visit not in present:
        raise _bad(a, "method", f"analysis '{a.id}' ({a.display}): no {a.parameter} record at "
                   f"the test visit {a.test_visit}")
    return present


# ------------------------------------------------------------------------------------ kinds

def _responders(a: Analysis, out: _Out, df: pd.DataFrame, pop, tvar, arms) -> None:
    _need(a, df, ["PARAMCD", "AVALC", "AVISIT", "AVISITN", a.treatment])
    d = df[(df["PARAMCD"] == a.parameter) & df["AVALC"].notna() & (df["AVISITN"] > 0)]
    if "ANL01FL" in d.columns:
        d = d[d["ANL01FL"] == "Y"]
    if d.empty:
        raise _bad(a, "parameter", f"analysis '{a.id}' ({a.display}): no analysis record of "
                   f"parameter {a.parameter} in {a.dataset}")
    gi, di, test = a.method("group_interval"), a.method("interval"), a.method("test")
    for s, visit in enumerate(_visits(a, d), 1):
        v = d[d["AVISIT"] == visit]
        counts = []
        for k, arm in enumerate(arms, 1):
            r = v[v[a.treatment] == arm]
            x, n = int((r["AVALC"] == "Y").sum()), int(r["USUBJID"].nunique())
            imputed = int(r["DTYPE"].notna().sum()) if "DTYPE" in r.columns else 0
            counts.append((x, n))
            out.add(visit, s, "Responders", 1, 0, arm, k, n=x, denom=n,
                    pct=100 * x / n if n else np.nan, imputed=imputed)
            if gi:
                lo, hi = stats.group_interval(gi.id, x, n, a.level)
                out.add(visit, s, "ci", 2, 0, arm, k, lcl=lo, ucl=hi)
        vals: dict[str, float] = {}
        if len(arms) == 2:                 # the difference: first arm minus second
            (x1, n1), (x2, n2) = counts
            vals["diff"] = 100 * (x1 / n1 - x2 / n2) if n1 and n2 else np.nan
            if di:
                vals["lcl"], vals["ucl"] = stats.difference_interval(di.id, x1, n1, x2, n2,
                                                                     a.level)
        if test and visit == a.test_visit:  # two or more arms: the k x 2 table
            vals["statistic"], vals["p"] = stats.proportion_test(
                test.id, np.array([[x, n - x] for x, n in counts]))
        if vals:
            out.add(visit, s, "Responders", 1, 0, COMPARISON, 0, **vals)


def _change(a: Analysis, out: _Out, df: pd.DataFrame, pop, tvar, arms) -> None:
    _need(a, df, ["PARAMCD", "CHG", "AVAL", "AVISIT", "AVISITN", a.treatment]
          + (["BASE"] if a.model else []), "method" if a.model else "kind")
    d = df[df["PARAMCD"] == a.parameter]
    if "ANL01FL" in d.columns:
        d = d[d["ANL01FL"] == "Y"]
    base = d[d["ABLFL"] == "Y"] if "ABLFL" in d.columns else d.iloc[0:0]
    post = d[d["CHG"].notna() & (d["AVISITN"] > 0)]
    if post.empty:
        raise _bad(a, "parameter", f"analysis '{a.id}' ({a.display}): no change from baseline "
                   f"of parameter {a.parameter} in {a.dataset}")
    di, test, model = a.method("interval"), a.method("test"), a.method("model")
    sections = [("Baseline", base, "AVAL")] + [(v, post[post["AVISIT"] == v], "CHG")
                                               for v in _visits(a, post)]
    for s, (visit, v, var) in enumerate(sections):
        if v.empty:
            continue
        groups = []
        for k, arm in enumerate(arms, 1):
            x = v.loc[v[a.treatment] == arm, var].astype(float).to_numpy()
            groups.append(x)
            out.add(visit, s, var, 1, 0, arm, k, **stats.describe(x))
        if var == "CHG" and len(arms) == 2 and model:    # ANCOVA: change ~ arm + baseline
            (ca, ba), (cb, bb) = (
                (v.loc[v[a.treatment] == arm, "CHG"].astype(float).to_numpy(),
                 v.loc[v[a.treatment] == arm, "BASE"].astype(float).to_numpy()) for arm in arms)
            m = stats.ancova(ca, ba, cb, bb, a.level)
            for k, (arm, key) in enumerate(zip(arms, ("a", "b")), 1):
                out.add(visit, s, var, 1, 0, arm, k, lsmean=m[f"lsmean_{key}"],
                        lsmean_se=m[f"se_{key}"])
            vals = {"diff": m["diff"], "lcl": m["lcl"], "ucl": m["ucl"]}
            if visit == a.test_visit:
                vals["statistic"], vals["p"] = m["statistic"], m["p"]
            out.add(visit, s, var, 1, 0, COMPARISON, 0, **vals)
        elif var == "CHG" and len(arms) == 2:
            vals: dict[str, float] = {}
            if di:
                vals["diff"], vals["lcl"], vals["ucl"] = stats.mean_difference(
                    di.id, groups[0], groups[1], a.level)
            else:
                vals["diff"] = float(np.mean(groups[0]) - np.mean(groups[1])) \
                    if len(groups[0]) and len(groups[1]) else np.nan
            if test and visit == a.test_visit:
                vals["statistic"], vals["p"] = stats.mean_test(test.id, groups[0], groups[1])
            out.add(visit, s, var, 1, 0, COMPARISON, 0, **vals)


def _values_order(a: Analysis, df: pd.DataFrame, var: str, spec: dict) -> list[Any]:
    num = var + "N"
    present = df[var].dropna()
    if num in df.columns and num != var:
        pairs = df[[var, num]].dropna().drop_duplicates(var).sort_values(num)
        order = list(pairs[var])
    else:
        order = sorted(pd.unique(present.to_numpy(dtype=object)), key=lambda x: (str(type(x)), x))
    declared = [k for k in (spec.get("values") or {})]
    keyed = {_key(v): v for v in order}
    first = [keyed[k] for k in declared if k in keyed]
    return first + [v for v in order if _key(v) not in declared]


def _key(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _summary(a: Analysis, out: _Out, df: pd.DataFrame, pop, tvar, arms) -> None:
    _need(a, df, [v["variable"] for v in a.variables], "variables")
    groups = _groups(arms, a.total)
    for s, spec in enumerate(a.variables, 1):
        var = spec["variable"]
        label = spec.get("label", var)
        categorical = spec.get("type") == "categorical" or (
            spec.get("type") is None and df[var].dtype.kind not in "fiu")
        if not categorical:
            for name, k, members in groups:
                x = df.loc[df[tvar].isin(members), var].astype(float).to_numpy()
                out.add(label, s, var, 1, 0, name, k, **stats.describe(x))
            continue
        values = _values_order(a, df, var, spec)
        for r, value in enumerate(values, 1):
            for name, k, members in groups:
                g = df[df[tvar].isin(members)]
                n = int((g[var] == value).sum())
                big = g["USUBJID"].nunique()
                out.add(label, s, _key(value), r, 1, name, k, n=n,
                        pct=100 * n / big if big else np.nan)
        miss = df[var].isna()
        if miss.any():
            for name, k, members in groups:
                g = df[df[tvar].isin(members)]
                n = int(g[var].isna().sum())
                out.add(label, s, "Missing", len(values) + 1, 1, name, k, n=n,
                        pct=100 * n / len(g) if len(g) else np.nan)


def _subject_rows(a: Analysis, out: _Out, df: pd.DataFrame, pop, tvar, arms, events: bool
                  ) -> None:
    """Disposition (ADSL) and the AE overview (OCCDS): subjects (and events) per declared row."""
    groups = _groups(arms, a.total)
    denom = {name: pop.loc[pop[tvar].isin(m), "USUBJID"].nunique() for name, _, m in groups}
    grp_var = tvar if tvar in df.columns else a.treatment
    order = 0
    for s, row in enumerate(a.rows, 1):
        _need(a, df, [v for _, v in variables(row["where"])] + ([row["by"]] if "by" in row
                                                                 else []), "rows")
        hit = df[evaluate(df, row["where"])]
        parts = [(row["label"], 0, hit)]
        if "by" in row:
            sub = hit[row["by"]].dropna()
            freq = sub.value_counts()
            for value in sorted(freq.index, key=lambda x: (-freq[x], str(x))):
                parts.append((str(value), 1, hit[hit[row["by"]] == value]))
        for label, indent, rows in parts:
            order += 1
            for name, k, members in groups:
                g = rows[rows[grp_var].isin(members)]
                n = int(g["USUBJID"].nunique())
                vals = {"n": n, "pct": 100 * n / denom[name] if denom[name] else np.nan}
                if events:
                    vals["events"] = len(g)
                out.add(row["label"], s, label, order, indent, name, k, **vals)


def _severity_rank(a: Analysis, df: pd.DataFrame) -> pd.Series:
    """Each record's severity as its rank in ``severity_order`` (an error for another value)."""
    levels = list(a.severity_order)
    unknown = sorted(set(df[a.severity].dropna()) - set(levels))
    if unknown:
        raise _bad(a, "severity_order", f"analysis '{a.id}' ({a.display}): {a.severity} value "
                   f"{', '.join(map(repr, unknown))} is not in severity_order "
                   f"({', '.join(levels)})")
    return df[a.severity].map({s: i for i, s in enumerate(levels)})


def _by_term(a: Analysis, out: _Out, df: pd.DataFrame, pop, tvar, arms) -> None:
    """Subjects (and events) by SOC and PT; with ``severity``, subjects by their highest
    severity within each row (operations ``n_<LEVEL>``, ``pct_<LEVEL>``)."""
    _need(a, df, list(a.levels) + [a.treatment] + ([a.severity] if a.severity else []))
    groups = _groups(arms, a.total)
    denom = {name: pop.loc[pop[tvar].isin(m), "USUBJID"].nunique() for name, _, m in groups}
    if a.severity:
        df = df.assign(_rank=_severity_rank(a, df))

    def put(section, s, label, r, indent, rows):
        for name, k, members in groups:
            g = rows[rows[a.treatment].isin(members)]
            n = int(g["USUBJID"].nunique())
            vals = {"n": n, "pct": 100 * n / denom[name] if denom[name] else np.nan,
                    "events": len(g)}
            if a.severity:
                worst = g.groupby("USUBJID")["_rank"].max()
                for i, level in enumerate(a.severity_order):
                    m = int((worst == i).sum())
                    vals[f"n_{level}"] = m
                    vals[f"pct_{level}"] = 100 * m / denom[name] if denom[name] else np.nan
            out.add(section, s, label, r, indent, name, k, **vals)

    put("Any TEAE", 0, "Any TEAE", 0, 0, df)
    top = a.levels[0]
    freq = df.groupby(top)["USUBJID"].nunique()
    for s, soc in enumerate(sorted(freq.index, key=lambda x: (-freq[x], str(x))), 1):
        rows = df[df[top] == soc]
        put(str(soc), s, str(soc), 0, 0, rows)
        if len(a.levels) > 1:
            low = a.levels[1]
            pf = rows.groupby(low)["USUBJID"].nunique()
            for r, pt in enumerate(sorted(pf.index, key=lambda x: (-pf[x], str(x))), 1):
                put(str(soc), s, str(pt), r, 1, rows[rows[low] == pt])


def _by_severity(a: Analysis, out: _Out, df: pd.DataFrame, pop, tvar, arms) -> None:
    _need(a, df, [a.severity, a.treatment])
    groups = _groups(arms, a.total)
    denom = {name: pop.loc[pop[tvar].isin(m), "USUBJID"].nunique() for name, _, m in groups}
    levels = list(a.severity_order)
    rank = _severity_rank(a, df)
    worst = df.assign(_r=rank).groupby("USUBJID")["_r"].max()
    subj_arm = df.drop_duplicates("USUBJID").set_index("USUBJID")[a.treatment]
    for r, level in enumerate(levels, 1):
        for name, k, members in groups:
            ids = worst.index[(worst == r - 1) & subj_arm.reindex(worst.index).isin(members)]
            n = len(ids)
            out.add("Subjects by highest severity", 1, level, r, 1, name, k, n=n,
                    pct=100 * n / denom[name] if denom[name] else np.nan)
    for r, level in enumerate(levels, 1):
        for name, k, members in groups:
            g = df[df[a.treatment].isin(members)]
            n = int((g[a.severity] == level).sum())
            out.add("Events by severity", 2, level, r, 1, name, k, events=n,
                    pct=100 * n / len(g) if len(g) else np.nan)


def compute_ard(plan: Plan, datasets: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The ARD of every analysis of ``plan`` on ``datasets`` (ADaM name -> DataFrame)."""
    if "ADSL" not in datasets:
        raise DataError("the results need ADSL", file="adsl.xpt")
    adsl = datasets["ADSL"]
    out_rows: list[tuple] = []
    for a in plan.analyses:
        if a.dataset not in datasets:
            raise _bad(a, "kind", f"analysis '{a.id}' ({a.display}) reads {a.dataset}, which is "
                       "not in the package")
        pop, tvar = _population(a, adsl)
        arms = _arms(pop, tvar)
        out = _Out(a)
        _header(out, pop, tvar, arms, a.total)
        df = pop if a.dataset == "ADSL" else _records(a, datasets[a.dataset], pop)
        if a.kind == "responders":
            _responders(a, out, df, pop, tvar, arms)
        elif a.kind == "change":
            _change(a, out, df, pop, tvar, arms)
        elif a.kind == "summary":
            _summary(a, out, df, pop, tvar, arms)
        elif a.kind in ("disposition", "ae_overview"):
            _subject_rows(a, out, df, pop, tvar, arms, events=a.kind == "ae_overview")
        elif a.kind == "ae_by_term":
            _by_term(a, out, df, pop, tvar, arms)
        elif a.kind == "ae_by_severity":
            _by_severity(a, out, df, pop, tvar, arms)
        out_rows.extend(out.rows)
    return pd.DataFrame(out_rows, columns=COLUMNS)


def value(ard: pd.DataFrame, analysis: str, operation: str, *, section: str | None = None,
          group: str | None = None, row: str | None = None) -> float:
    """One number of the ARD (an error when it is not exactly one)."""
    m = (ard["analysis"] == analysis) & (ard["operation"] == operation)
    for col, v in (("section", section), ("group", group), ("row", row)):
        if v is not None:
            m &= ard[col] == v
    hits = ard.loc[m, "value"]
    if len(hits) != 1:
        raise KeyError(f"{len(hits)} ARD values for {analysis}/{operation} {section} {group} "
                       f"{row}")
    return float(hits.iloc[0])
