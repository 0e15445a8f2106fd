"""The HTML report: one self-contained file (no network, no external script or style).

Summary by dataset, issue summary by rule, dataset and variable (as Pinnacle 21 groups it), the
status of every rule, then every reported finding with its offending record (click a row to see
all values of the record; a wide record scrolls inside its row).  Every table sorts by a click on its header; findings
filter by severity, dataset, rule and free text.  The data travel as JSON inside the page and are
rendered by a small script, so a report of many thousand findings stays fast.
"""

from __future__ import annotations

import html
import json

import numpy as np
import pandas as pd

from ..checks.util import num_text

MAX_RECORDS = 5_000     # offending records embedded with their values
MAX_FINDINGS = 50_000   # findings listed in the page (the JSON and XLSX reports have them all)


def _records(result) -> dict[str, list[list[str]]]:
    f = result.findings
    out: dict[str, list[list[str]]] = {}
    if not len(f):
        return out
    have = f[f["record"].notna()][["dataset", "record"]].drop_duplicates().head(MAX_RECORDS)
    for name, grp in have.groupby("dataset", sort=False):
        ds = result.package.datasets.get(name)
        if ds is None:
            continue
        rows = grp["record"].astype(int).to_numpy() - 1
        rows = rows[(rows >= 0) & (rows < len(ds.data))]
        sub = ds.data.iloc[rows]
        cols = {}
        for c in sub.columns:
            col = sub[c]
            if isinstance(col.dtype, pd.CategoricalDtype):
                cols[c] = col.astype(object).to_numpy()
            else:
                cols[c] = np.array([num_text(x) for x in col.to_numpy()], dtype=object)
        for i, r in enumerate(rows):
            out[f"{name}#{r + 1}"] = [[c, str(cols[c][i])] for c in sub.columns]
    return out


def _payload(result) -> dict:
    f = result.findings.head(MAX_FINDINGS)
    findings = [[r.severity, r.rule, r.dataset, None if pd.isna(r.record) else int(r.record),
                 r.usubjid if isinstance(r.usubjid, str) else "",
                 r.variable if isinstance(r.variable, str) else "", r.value, r.message]
                for r in f.itertuples(index=False)]
    rules = []
    for st in result.statuses:
        d = st.as_dict()
        # the order of the table's columns (sorting uses the same index)
        rules.append([d["rule"], ", ".join(st.rule.authority_ids), d["family"], d["severity"],
                      d["status"], d["values"], d["found"], d["seconds"], d["description"],
                      d["reason"], d["citation"]])
    # issues grouped by rule, dataset and variable, as Pinnacle 21's issue summary
    groups: dict[tuple, list] = {}
    for i in result.issue_summary():
        k = (i["rule"], i["dataset"], i["variable"])
        g = groups.setdefault(k, [i["rule"], i["severity"], i["dataset"], i["variable"], 0, 0,
                                  i["message"]])
        g[4] += 1
        g[5] += i["found"]
        if not g[6]:
            g[6] = i["message"]
    return {"header": result.header(), "counts": result.counts(),
            "issues": result.issue_counts(), "summary": list(groups.values()),
            "omitted": max(0, len(result.findings) - MAX_FINDINGS),
            "failed": result.failed(), "datasets": result.dataset_summary(),
            "rules": rules, "findings": findings, "records": _records(result)}


_CSS = """
body{font:14px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1b1f24;
background:#f6f8fa}
header{background:#24292f;color:#fff;padding:16px 24px}header h1{margin:0 0 4px;font-size:20px}
header .meta{opacity:.85;font-size:13px}main{padding:16px 24px}
section{background:#fff;border:1px solid #d0d7de;border-radius:6px;margin:0 0 16px;padding:12px 16px}
h2{font-size:16px;margin:4px 0 10px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid #eaeef2;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa;cursor:pointer;user-select:none;position:sticky;top:0}
th.asc:after{content:" \\25B2"}th.desc:after{content:" \\25BC"}
tr.f:hover{background:#f3f8ff;cursor:pointer}
.badge{display:inline-block;border-radius:10px;padding:1px 8px;font-size:12px;font-weight:600}
.error{background:#ffebe9;color:#a40e26}.warning{background:#fff8c5;color:#7d4e00}
.notice{background:#ddf4ff;color:#0a3069}.passed{background:#dafbe1;color:#116329}
.issues{background:#ffebe9;color:#a40e26}.skipped{background:#eaeef2;color:#57606a}
.pass{background:#1a7f37;color:#fff}.fail{background:#cf222e;color:#fff}
.cards{display:flex;gap:12px;flex-wrap:wrap}.card{padding:8px 14px;border-radius:6px;min-width:90px}
.card b{display:block;font-size:22px}
.filters{display:flex;gap:8px;flex-wrap:wrap;margin:0 0 8px}
.filters select,.filters input{padding:4px 6px;border:1px solid #d0d7de;border-radius:4px}
.rec td{background:#fbfcfd}.rec table{width:auto}.rec th{position:static;cursor:default}
.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px}
.pager{margin-top:8px}.pager button{margin-right:6px}
tr.rec>td{max-width:0}.recwrap{overflow:auto;max-height:60vh}
.recwrap table{table-layout:auto;width:auto}.recwrap td,.recwrap th{white-space:nowrap}
#ftable{table-layout:fixed}#ftable>tbody>tr>td{overflow-wrap:anywhere}
#ftable th:nth-child(1){width:80px}#ftable th:nth-child(2){width:70px}
#ftable th:nth-child(3){width:70px}#ftable th:nth-child(4){width:64px}
#ftable th:nth-child(5){width:150px}#ftable th:nth-child(6){width:90px}
#ftable th:nth-child(7){width:18%}
.card small{display:block;opacity:.8}
"""

_JS = r"""
const D = JSON.parse(document.getElementById('data').textContent);
const $ = (s) => document.querySelector(s);
const ENT = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'};
const esc = (s) => String(s ?? '').replace(/[&<>"]/g, c => ENT[c]);
const sev = (s) => `<span class="badge ${s}">${s}</span>`;
const td = (html, cls) => `<td${cls ? ` class="${cls}"` : ''}>${html}</td>`;
const tr = (attrs, cells) => `<tr class="f" ${attrs}>${cells.join('')}</tr>`;
const count = (n, s) => n ? sev(s) + ' ' + n : '0';
function goto(sel, value) {
  $(sel).value = value; page = 0; renderF(); $('#findings').scrollIntoView();
}
function sortable(table, rowsOf, render) {
  let col = -1, dir = 1;
  table.querySelectorAll('th').forEach((th, i) => th.onclick = () => {
    dir = (col === i) ? -dir : 1; col = i;
    table.querySelectorAll('th').forEach(t => t.className = '');
    th.className = dir > 0 ? 'asc' : 'desc';
    rowsOf().sort((a, b) => {
      const x = a[i], y = b[i];
      if (typeof x === 'number' && typeof y === 'number') return (x - y) * dir;
      return String(x ?? '').localeCompare(String(y ?? ''), undefined, {numeric: true}) * dir;
    });
    render();
  });
}
// summary by dataset
const dsRows = D.datasets.map(d => [d.dataset, d.label, d.kind, d.records, d.variables,
                                    d.error, d.warning, d.notice]);
function renderDs() {
  $('#ds tbody').innerHTML = dsRows.map(r => tr(`data-ds="${esc(r[0])}"`, [
    td(esc(r[0])), td(esc(r[1])), td(esc(r[2])), td(r[3]), td(r[4]),
    td(count(r[5], 'error')), td(count(r[6], 'warning')), td(count(r[7], 'notice'))])).join('');
  document.querySelectorAll('#ds tr.f').forEach(
    row => row.onclick = () => goto('#fds', row.dataset.ds));
}
sortable($('#ds'), () => dsRows, renderDs); renderDs();
// summary by rule
const ruleRows = D.rules;
function renderRules() {
  const show = $('#rshow').value;
  $('#rules tbody').innerHTML = ruleRows.filter(r => show === 'all' || r[4] === show).map(
    r => tr(`data-rule="${esc(r[0])}"`, [
      td(esc(r[0])), td(esc(r[1])), td(esc(r[2])), td(sev(r[3])),
      td(`<span class="badge ${r[4]}">${r[4]}</span>`), td(r[5]), td(r[6]), td(r[7]),
      td(esc(r[8]) + (r[9] ? '<br><small>' + esc(r[9]) + '</small>' : ''))])).join('');
  document.querySelectorAll('#rules tr.f').forEach(
    row => row.onclick = () => goto('#frule', row.dataset.rule));
}
$('#rshow').onchange = renderRules;
sortable($('#rules'), () => ruleRows, renderRules); renderRules();
// issue summary by rule, dataset and variable
const isRows = D.summary;
function renderIs() {
  $('#is tbody').innerHTML = isRows.map(r => tr(
    `data-rule="${esc(r[0])}" data-ds="${esc(r[2])}"`, [
      td(esc(r[0])), td(sev(r[1])), td(esc(r[2])), td(esc(r[3])), td(r[4]), td(r[5]),
      td(esc(r[6]))])).join('');
  document.querySelectorAll('#is tr.f').forEach(row => row.onclick = () => {
    $('#fds').value = row.dataset.ds; goto('#frule', row.dataset.rule);
  });
}
sortable($('#is'), () => isRows, renderIs); renderIs();
// findings
const F = D.findings; let page = 0; const PER = 200;
const opts = (sel, vals) => {
  sel.innerHTML += [...new Set(vals)].sort().map(v => `<option>${esc(v)}</option>`).join('');
};
opts($('#fds'), F.map(f => f[2])); opts($('#frule'), F.map(f => f[1]));
function filtered() {
  const s = $('#fsev').value, d = $('#fds').value, r = $('#frule').value;
  const q = $('#fq').value.toLowerCase();
  return F.filter(f => (!s || f[0] === s) && (!d || f[2] === d) && (!r || f[1] === r) &&
    (!q || f.join(' ').toLowerCase().includes(q)));
}
function recordHtml(f) {
  const rec = D.records[f[2] + '#' + f[3]];
  if (!rec) return '<em>record values not embedded</em>';
  const mark = (k) => k === f[5] ? 'error' : '';
  const head = rec.map(([k]) => `<th class="${mark(k)}">${esc(k)}</th>`).join('');
  const vals = rec.map(([k, v]) => `<td class="mono ${mark(k)}">${esc(v)}</td>`).join('');
  return `<div class="recwrap"><table><tr>${head}</tr><tr>${vals}</tr></table></div>`;
}
function renderF() {
  const rows = filtered();
  const pages = Math.max(1, Math.ceil(rows.length / PER));
  page = Math.min(page, pages - 1);
  const slice = rows.slice(page * PER, page * PER + PER);
  $('#ftable tbody').innerHTML = slice.map((f, i) => tr(`data-i="${i}"`, [
    td(sev(f[0])), td(esc(f[1])), td(esc(f[2])), td(f[3] ?? ''), td(esc(f[4])), td(esc(f[5])),
    td(esc(f[6]), 'mono'), td(esc(f[7]))])).join('');
  $('#fcount').textContent =
    `${rows.length} of ${F.length} reported ${F.length === 1 ? 'finding' : 'findings'}; ` +
    `page ${page + 1} of ${pages}` +
    (D.omitted ? ` (${D.omitted} more in the JSON and XLSX reports)` : '');
  document.querySelectorAll('#ftable tr.f').forEach(row => row.onclick = () => {
    const next = row.nextElementSibling;
    if (next && next.classList.contains('rec')) { next.remove(); return; }
    const f = slice[+row.dataset.i];
    const body = f[3] ? recordHtml(f) : '<em>dataset-level finding</em>';
    row.insertAdjacentHTML('afterend', `<tr class="rec"><td colspan="8">${body}</td></tr>`);
    const wrap = row.nextElementSibling.querySelector('.recwrap');
    const hit = wrap && wrap.querySelector('th.error');
    if (hit) wrap.scrollLeft = Math.max(0, hit.offsetLeft - wrap.clientWidth / 3);
  });
}
['#fsev', '#fds', '#frule'].forEach(s => $(s).onchange = () => { page = 0; renderF(); });
$('#fq').oninput = () => { page = 0; renderF(); };
$('#prev').onclick = () => { page = Math.max(0, page - 1); renderF(); };
$('#next').onclick = () => { page += 1; renderF(); };
sortable($('#ftable'), () => F, renderF); renderF();
"""


def render(result) -> bytes:
    data = _payload(result)
    h = data["header"]
    c = data["counts"]
    js_data = json.dumps(data, ensure_ascii=False, default=str).replace("</", "<\\/")
    e = html.escape
    ct = h["controlled_terminology"]
    inputs = "".join(
        f"<tr><td>{e(str(i['file']))}</td><td>{e(str(i.get('dataset') or ''))}</td>"
        f"<td>{e(str(i['format']))}</td><td>{i.get('records', '')}</td>"
        f"<td class='mono'>{e(i['sha256'])}</td></tr>" for i in h["inputs"])
    define = e(h["define"]["file"]) if h["define"] else "none"
    verdict = "FAIL" if data["failed"] else "PASS"
    iss = data["issues"]
    cards = "".join(
        f'<div class="card {sev}"><b>{iss[sev]:,}</b>{sev}{"" if iss[sev] == 1 else "s"}'
        + (f'<small>{c[sev]:,} record{"" if c[sev] == 1 else "s"}</small>'
           if c[sev] != iss[sev] else "") + "</div>"
        for sev in ("error", "warning", "notice"))
    seconds = f" &middot; {h['seconds']} s" if h["seconds"] else ""
    ct_notes = "".join(f'<div class="meta">Note: {e(n)}</div>' for n in ct["notes"])
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Validation report: {e(h['package'])}</title><style>{_CSS}</style></head>
<body><header><h1>Validation report <span class="badge {verdict.lower()}">{verdict}</span></h1>
<div class="meta">{e(h['package'])} &middot; {e(h['standard'])} &middot; CT {e(ct['version'])}
({e(ct['source'])}) &middot; define.xml: {define} &middot; {h['dataset_count']} datasets,
{h['records']:,} records &middot; {e(h['tool']['name'])} {e(h['tool']['version'])} &middot;
{e(h['started_is'])}: {e(h['started'])}{seconds} &middot; fails on {e(h['fail_on'])}</div>{ct_notes}</header>
<main>
<section><div class="cards">{cards}</div></section>
<section><h2>Summary by dataset</h2>
<table id="ds"><thead><tr><th>Dataset</th><th>Label</th><th>Kind</th><th>Records</th>
<th>Variables</th><th>Errors</th><th>Warnings</th><th>Notices</th></tr></thead><tbody></tbody>
</table></section>
<section><h2>Issue summary</h2><p>One line per rule, dataset and variable; an issue is a
distinct value the rule reports (click a line for its records).</p>
<table id="is"><thead><tr><th>Rule</th><th>Severity</th><th>Dataset</th><th>Variable</th>
<th>Values</th><th>Records</th><th>Message (first)</th></tr></thead><tbody></tbody></table>
</section>
<section><h2>Summary by rule</h2><div class="filters">Show <select id="rshow">
<option value="issues">rules with findings</option><option value="all">all rules</option>
<option value="passed">passed</option><option value="skipped">skipped</option>
<option value="error">execution errors</option></select></div>
<table id="rules"><thead><tr><th>Rule</th><th>Authority</th><th>Family</th><th>Severity</th>
<th>Status</th><th>Issues</th><th>Records</th><th>Seconds</th><th>Description</th></tr></thead>
<tbody></tbody>
</table></section>
<section id="findings"><h2>Findings</h2><div class="filters">
<select id="fsev"><option value="">all severities</option><option>error</option>
<option>warning</option><option>notice</option></select>
<select id="fds"><option value="">all datasets</option></select>
<select id="frule"><option value="">all rules</option></select>
<input id="fq" type="search" placeholder="search (USUBJID, value, message...)" size="40">
<span id="fcount"></span></div>
<table id="ftable"><thead><tr><th>Severity</th><th>Rule</th><th>Dataset</th><th>Record</th>
<th>USUBJID</th><th>Variable</th><th>Value</th><th>Message</th></tr></thead><tbody></tbody>
</table><div class="pager"><button id="prev">&larr; previous</button>
<button id="next">next &rarr;</button> click a finding to see its record</div></section>
<section><h2>Inputs</h2><table><thead><tr><th>File</th><th>Dataset</th><th>Format</th>
<th>Records</th><th>SHA-256</th></tr></thead><tbody>{inputs}</tbody></table></section>
</main>
<script type="application/json" id="data">{js_data}</script>
<script>{_JS}</script></body></html>
"""
    return page.encode("utf-8")
