"""One self-contained HTML page of the result tables (no scripts, no external files)."""

from __future__ import annotations

import math
from html import escape
from typing import Any

import pandas as pd

from .. import __version__

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:2em auto;
max-width:1100px;color:#1b1b1b;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:2em;border-bottom:2px solid #345;
padding-bottom:.2em}h3{margin:1.4em 0 .4em}
table{border-collapse:collapse;margin:.4em 0 1em;font-size:.92em}
th,td{border:1px solid #c8ccd0;padding:.25em .6em;text-align:right;vertical-align:top}
th{background:#eef1f4}td.l,th.l{text-align:left}tr.soc td{font-weight:600;background:#f7f8fa}
td.pt{padding-left:1.8em}p.note{font-size:.88em;color:#444;max-width:60em}
code{font-size:.9em}.sig{font-weight:700}
"""


def _p(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if value < 0.001:
        return "&lt;0.001"
    return f"{value:.3f}"


def _num(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}f}"


def _cell(text: str, cls: str = "") -> str:
    return f'<td class="{cls}">{text}</td>' if cls else f"<td>{text}</td>"


def _arms(df: pd.DataFrame, num: str, name: str) -> list[str]:
    arms = df[[num, name]].drop_duplicates().sort_values([num, name])
    return list(arms[name])


def _responders(res: dict[str, Any]) -> str:
    rows, tests = res["responders"], res["responder_tests"]
    if rows.empty:
        return "<p>No responder parameters (records with AVALC Y/N) were found.</p>"
    out = []
    for (ds, code), part in rows.groupby(["dataset", "PARAMCD"], sort=False):
        arms = _arms(part, "TRTPN", "TRTP")
        t = tests[(tests["dataset"] == ds) & (tests["PARAMCD"] == code)]
        out.append(f"<h3>{escape(str(part['PARAM'].iloc[0]))} <small>({escape(ds)}."
                   f"{escape(code)})</small></h3>")
        head = "".join(f"<th>{escape(a)}<br>n/N (%)</th>" for a in arms)
        out.append(f'<table><tr><th class="l">Visit</th>{head}<th>Difference<br>(% points)'
                   "</th><th>Pearson &chi;&sup2;<br>P</th><th>Continuity-corrected "
                   "&chi;&sup2;<br>P</th><th>Fisher exact<br>P</th></tr>")
        for visitn, vis in part.groupby("AVISITN", sort=True):
            cells = []
            for a in arms:
                r = vis[vis["TRTP"] == a]
                if r.empty:
                    cells.append(_cell("–"))
                    continue
                r = r.iloc[0]
                imp = f" <small>({int(r['imputed'])} imputed)</small>" if r["imputed"] else ""
                cells.append(_cell(f"{int(r['responders'])}/{int(r['n'])} "
                                   f"({_num(r['percent'])}){imp}"))
            tv = t[t["AVISITN"] == visitn]
            tr = tv.iloc[0] if not tv.empty else {}
            tests_html = "".join(_cell(_p(tr.get(k)) if len(tv) else "–")
                                 for k in ("pearson_p", "yates_p", "fisher_p"))
            diff = _num(tr.get("difference_pct")) if len(tv) else "–"
            out.append(f'<tr>{_cell(escape(str(vis["AVISIT"].iloc[0])), "l")}{"".join(cells)}'
                       f"{_cell(diff)}{tests_html}</tr>")
        out.append("</table>")
    return "\n".join(out)


def _change(res: dict[str, Any]) -> str:
    rows, tests = res["change"], res["change_tests"]
    if rows.empty:
        return "<p>No change-from-baseline parameters were found.</p>"
    out = []
    for (ds, code), part in rows.groupby(["dataset", "PARAMCD"], sort=False):
        arms = _arms(part, "TRTPN", "TRTP")
        t = tests[(tests["dataset"] == ds) & (tests["PARAMCD"] == code)]
        out.append(f"<h3>{escape(str(part['PARAM'].iloc[0]))}: change from baseline "
                   f"<small>({escape(ds)}.{escape(code)})</small></h3>")
        head = "".join(f"<th>{escape(a)}<br>n; mean (SD); median</th>" for a in arms)
        test_name = escape(str(t["test"].iloc[0])) if len(t) and t["test"].iloc[0] else "t-test"
        rank_name = (escape(str(t["rank_test"].iloc[0])) if len(t) and t["rank_test"].iloc[0]
                     else "rank test")
        out.append(f'<table><tr><th class="l">Visit</th>{head}<th>Difference in means</th>'
                   f"<th>{test_name}<br>P</th><th>{rank_name}<br>P</th></tr>")
        for visitn, vis in part.groupby("AVISITN", sort=True):
            cells = []
            for a in arms:
                r = vis[vis["TRTP"] == a]
                if r.empty:
                    cells.append(_cell("–"))
                    continue
                r = r.iloc[0]
                cells.append(_cell(f"{int(r['n'])}; {_num(r['mean'])} ({_num(r['sd'])}); "
                                   f"{_num(r['median'])}"))
            tv = t[t["AVISITN"] == visitn]
            tr = tv.iloc[0] if not tv.empty else {}
            out.append(f'<tr>{_cell(escape(str(vis["AVISIT"].iloc[0])), "l")}{"".join(cells)}'
                       f'{_cell(_num(tr.get("difference")) if len(tv) else "–")}'
                       f'{_cell(_p(tr.get("t_p")) if len(tv) else "–")}'
                       f'{_cell(_p(tr.get("u_p")) if len(tv) else "–")}</tr>')
        out.append("</table>")
    return "\n".join(out)


def _ae(res: dict[str, Any]) -> str:
    over, socpt, sev = res["ae_overview"], res["ae_soc_pt"], res["ae_severity"]
    if over.empty:
        return "<p>No occurrence dataset with treatment-emergent flags was found.</p>"
    out = []
    for ds, part in over.groupby("dataset", sort=False):
        arms = _arms(part, "TRTAN", "TRTA")
        denom = {a: int(part.loc[part["TRTA"] == a, "N"].iloc[0]) for a in arms}
        head = "".join(f"<th>{escape(a)} (N={denom[a]})<br>subjects n (%) [events]</th>"
                       for a in arms)
        out.append(f"<h3>Overview <small>({escape(ds)})</small></h3>")
        out.append(f'<table><tr><th class="l">Treatment-emergent adverse events</th>{head}</tr>')
        for cat, rows in part.groupby("category", sort=False):
            cells = "".join(_cell(_count(rows[rows["TRTA"] == a].iloc[0])) for a in arms)
            out.append(f'<tr>{_cell(escape(cat), "l")}{cells}</tr>')
        out.append("</table>")
        s = sev[sev["dataset"] == ds] if not sev.empty else sev
        if not s.empty:
            out.append(f"<h3>By severity <small>({escape(ds)})</small></h3>")
            head2 = "".join(f"<th>{escape(a)}<br>subjects n (%) at highest severity</th>"
                            f"<th>{escape(a)}<br>events n (%)</th>" for a in arms)
            out.append(f'<table><tr><th class="l">Severity</th>{head2}</tr>')
            for level, rows in s.groupby("severity", sort=False):
                cells = ""
                for a in arms:
                    r = rows[rows["TRTA"] == a].iloc[0]
                    cells += _cell(f"{int(r['subjects'])} ({_num(r['percent'])})")
                    cells += _cell(f"{int(r['events'])} ({_num(r['events_percent'])})")
                out.append(f'<tr>{_cell(escape(level.title()), "l")}{cells}</tr>')
            out.append("</table>")
        sp = socpt[socpt["dataset"] == ds] if not socpt.empty else socpt
        if not sp.empty:
            out.append(f"<h3>By system organ class and preferred term <small>({escape(ds)})"
                       "</small></h3>")
            out.append(f'<table><tr><th class="l">System organ class<br>&nbsp;&nbsp;Preferred '
                       f"term</th>{head}</tr>")
            keys = sp[["AEBODSYS", "AEDECOD"]].drop_duplicates()
            for _, k in keys.iterrows():
                is_soc = pd.isna(k["AEDECOD"])
                rows = sp[(sp["AEBODSYS"] == k["AEBODSYS"]) & (
                    sp["AEDECOD"].isna() if is_soc else sp["AEDECOD"] == k["AEDECOD"])]
                label = k["AEBODSYS"] if is_soc else k["AEDECOD"]
                cells = "".join(_cell(_count(rows[rows["TRTA"] == a].iloc[0])) for a in arms)
                cls = ' class="soc"' if is_soc else ""
                out.append(f'<tr{cls}>{_cell(escape(str(label)), "l" if is_soc else "l pt")}'
                           f"{cells}</tr>")
            out.append("</table>")
    return "\n".join(out)


def _count(r: pd.Series) -> str:
    return f"{int(r['subjects'])} ({_num(r['percent'])}) [{int(r['events'])}]"


def render_html(res: dict[str, Any]) -> str:
    study = escape(str(res["study"]))
    inputs = "".join(f"<tr>{_cell(escape(i['file']), 'l')}{_cell(str(i['records']))}"
                     f"{_cell('<code>' + i['sha256'] + '</code>', 'l')}</tr>"
                     for i in res["inputs"])
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{study}: results from the ADaM datasets</title>
<style>{CSS}</style></head>
<body>
<h1>{study}: results from the ADaM datasets</h1>
<p class="note">Computed by cdisc_mapper {escape(__version__)} from the ADaM datasets as written
(XPT v5) and nothing else; the same numbers are in the CSV files beside this page.
Statistics: SciPy (<code>scipy.stats</code>).</p>

<h2>Efficacy: responders</h2>
<p class="note">Full analysis set (FASFL = Y), analysis records (ANL01FL = Y) of each parameter
whose AVALC is Y/N, by planned treatment (TRTP). n/N: responders / subjects with a record at the
visit (records added by imputation, DTYPE, are counted and shown). Tests of the treatment by
response table: Pearson chi-square without continuity correction, with Yates' continuity
correction, and Fisher's exact test (two arms).</p>
{_responders(res)}

<h2>Efficacy: change from baseline</h2>
<p class="note">Full analysis set, observed post-baseline analysis records (no imputed records),
CHG = AVAL &minus; BASE. Between two arms: Welch's t-test and the Wilcoxon rank-sum
(Mann&ndash;Whitney U) test, two-sided.</p>
{_change(res)}

<h2>Safety: adverse events</h2>
<p class="note">Safety population (ADSL SAFFL = Y) by actual treatment; treatment-emergent
events (TRTEMFL = Y). Subjects are counted once per row; events are records. By severity,
each subject is counted at the highest severity of their events.</p>
{_ae(res)}

<h2>Inputs</h2>
<table><tr><th class="l">File</th><th>Records</th><th class="l">SHA-256</th></tr>
{inputs}</table>
</body></html>
"""
