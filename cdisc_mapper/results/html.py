"""HTML of the displays: one self-contained page per table and one page with them all (no
scripts, no external files)."""

from __future__ import annotations

from html import escape
from typing import Any

from .. import __version__
from .tables import Table

CSS = """
body{font-family:"Times New Roman",Times,serif;margin:2em auto;max-width:1000px;color:#000;
line-height:1.35;font-size:15px}
h1{font-size:1.4em;font-family:system-ui,Arial,sans-serif}
nav li{margin:.1em 0}
section.tlf{margin:2.5em 0;page-break-after:always}
p.number{font-weight:700;text-align:center;margin:0}
p.title{font-weight:700;text-align:center;margin:.1em 0}
p.pop{text-align:center;margin:.1em 0 .6em}
table{border-collapse:collapse;width:100%;font-size:.95em}
thead th{border-top:1.5px solid #000;border-bottom:1px solid #000;padding:.3em .5em;
font-weight:600;text-align:center;vertical-align:bottom;white-space:pre-line}
thead tr+tr th{border-top:none}
thead th.stub{text-align:left}
tbody td{padding:.15em .5em;text-align:center;vertical-align:top}
tbody td{white-space:nowrap}tbody td.stub{text-align:left;white-space:normal}
tbody tr.section td{font-weight:600;padding-top:.5em}
tbody tr:last-child td{border-bottom:1.5px solid #000}
td.i1{padding-left:1.6em!important}td.i2{padding-left:2.8em!important}
ol.notes{font-size:.85em;margin:.5em 0 0;padding-left:1.4em}
p.meta{font-size:.85em;color:#444;font-family:system-ui,Arial,sans-serif}
"""


def _header(t: Table) -> str:
    out = []
    for r, hrow in enumerate(t.header):
        cells = []
        for c, (text, span) in enumerate(hrow):
            cls = ' class="stub"' if c == 0 else ""
            sp = f' colspan="{span}"' if span > 1 else ""
            cells.append(f"<th{cls}{sp}>{escape(text)}</th>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    return "<thead>" + "".join(out) + "</thead>"


def table_html(t: Table) -> str:
    body = []
    for row in t.rows:
        cls = ' class="section"' if row.section else ""
        cells = []
        for c, text in enumerate(row.cells):
            if c == 0:
                ind = f" i{row.indent}" if row.indent else ""
                cells.append(f'<td class="stub{ind}">{escape(text)}</td>')
            else:
                cells.append(f"<td>{escape(text)}</td>")
        body.append(f"<tr{cls}>" + "".join(cells) + "</tr>")
    notes = "".join(f"<li>{escape(n)}</li>" for n in t.footnotes)
    return (f'<section class="tlf" id="{t.file}">\n<p class="number">{escape(t.display)}</p>\n'
            f'<p class="title">{escape(t.title)}</p>\n<p class="pop">{escape(t.population)}</p>\n'
            f"<table>{_header(t)}<tbody>\n" + "\n".join(body) + "\n</tbody></table>\n"
            f'<ol class="notes">{notes}</ol>\n</section>')


def _page(title: str, body: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
            f"<title>{escape(title)}</title>\n<style>{CSS}</style></head>\n<body>\n{body}\n"
            "</body></html>\n")


def page_html(study: str, t: Table) -> str:
    return _page(f"{study} {t.display}: {t.title}", table_html(t))


def render_html(study: str, tables: list[Table], inputs: list[dict[str, Any]]) -> str:
    toc = "".join(f'<li><a href="#{t.file}">{escape(t.display)}</a> {escape(t.title)} '
                  f'(<a href="{t.file}.rtf">RTF</a>, <a href="{t.file}.csv">CSV</a>)</li>'
                  for t in tables)
    files = "".join(f"<li><code>{escape(i['file'])}</code>: {i['records']} records, SHA-256 "
                    f"<code>{i['sha256']}</code></li>" for i in inputs)
    body = (f"<h1>{escape(study)}: tables of the analysis results</h1>\n"
            f'<p class="meta">Drawn by cdisc_mapper {escape(__version__)} from the analysis '
            "results data (ard.csv), which were computed from the ADaM datasets as written and "
            "the analyses declared in the ADaM specs; the reporting event is in ars.json (CDISC "
            f"ARS 1.0).</p>\n<nav><ol>{toc}</ol></nav>\n"
            + "\n".join(table_html(t) for t in tables)
            + f'\n<p class="meta">Inputs:</p><ul class="meta">{files}</ul>')
    return _page(f"{study}: analysis results", body)
