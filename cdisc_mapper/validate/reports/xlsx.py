"""XLSX report with the sheets Pinnacle 21 users know: Dataset Summary, Issue Summary (one row
per rule, dataset, variable and value, with its record count), Details (every reported record)
and Rules, after a Report Info sheet (tool, standard, CT, input hashes).  Rows carry the columns
P21 users look for: category, explanation and the FDA rule id next to ours.  Every text cell
goes through :func:`~cdisc_mapper.io.safecell.safe_cell`."""

from __future__ import annotations

import io

import pandas as pd

from cdisc_mapper.io.safecell import safe_cell

_ILLEGAL = {i: None for i in range(32) if i not in (9, 10, 13)}
MAX_ROWS = 1_000_000   # an Excel sheet holds 1,048,576 rows


def _cell(v):
    if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NA:
        return None
    if isinstance(v, str):
        # values come from packages we do not control: a leading = + - @ tab or CR would make
        # the cell a live formula in Excel/LibreOffice (formula injection)
        return safe_cell(v.translate(_ILLEGAL)[:32000])
    if hasattr(v, "item"):
        return v.item()
    return v


def _sheet(wb, title, header, rows, widths):
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill

    ws = wb.create_sheet(title)
    for i, w in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + i)].width = w
    ws.freeze_panes = "A2"
    bold, fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="305496")
    cells = []
    for h in header:
        c = WriteOnlyCell(ws, value=h)
        c.font, c.fill = bold, fill
        cells.append(c)
    ws.append(cells)
    n = 0
    for row in rows:
        ws.append([_cell(v) for v in row])
        n += 1
    ws.auto_filter.ref = f"A1:{chr(ord('A') + len(header) - 1)}{n + 1}"
    return ws


def render(result) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    h = result.header()
    counts = result.counts()
    issues = result.issue_counts()
    info = [("Tool", f"{h['tool']['name']} {h['tool']['version']}"),
            (h["started_is"][0].upper() + h["started_is"][1:] + " (UTC)", h["started"]),
            ("Seconds", h["seconds"]),
            ("Package", h["package"]), ("Standard", h["standard"]),
            ("Controlled terminology", f"{h['controlled_terminology']['version']} "
                                       f"({h['controlled_terminology']['source']})"),
            *(("CT note", n) for n in h["controlled_terminology"]["notes"]),
            ("define.xml", h["define"]["file"] if h["define"] else "(none)"),
            ("Records", h["records"]), ("Fail on", h["fail_on"]),
            ("Result", "FAIL" if result.failed() else "PASS"),
            ("Errors", issues["error"]), ("Warnings", issues["warning"]),
            ("Notices", issues["notice"]),
            ("Records with errors", counts["error"]),
            ("Records with warnings", counts["warning"]),
            ("Records with notices", counts["notice"]), ("", "")]
    info += [("Input file", f"{i['file']}  sha256 {i['sha256']}") for i in h["inputs"]]
    _sheet(wb, "Report Info", ["Item", "Value"], info, [24, 120])
    ds = result.dataset_summary()
    _sheet(wb, "Dataset Summary",
           ["Dataset", "Label", "Kind", "File", "Records", "Variables", "Errors", "Warnings",
            "Notices"],
           ([d["dataset"], d["label"], d["kind"], d["file"], d["records"], d["variables"],
             d["error"], d["warning"], d["notice"]] for d in ds),
           [12, 40, 8, 18, 10, 10, 10, 10, 10])
    rules = {st.rule.id: st.rule for st in result.statuses}

    def other_ids(rule):
        """The FDA / Pinnacle 21 style ids of a rule (FDA business rules, rejection criteria),
        next to the CDISC ones."""
        ids = [a for a in ([rule.authority] if rule.authority else []) + list(rule.related)
               if a.get("organization") == "FDA"]
        return ", ".join(a["id"] for a in ids)

    def cdisc_ids(rule):
        ids = [a for a in ([rule.authority] if rule.authority else []) + list(rule.related)
               if a.get("organization", "").startswith("CDISC")]
        return ", ".join(a["id"] for a in ids)

    _sheet(wb, "Issue Summary",
           ["Rule", "CDISC ID", "FDA ID", "Category", "Severity", "Dataset", "Variable",
            "Value", "Records", "Message", "Explanation"],
           ([i["rule"], cdisc_ids(rules[i["rule"]]), other_ids(rules[i["rule"]]),
             rules[i["rule"]].family, i["severity"], i["dataset"], i["variable"], i["value"],
             i["found"], i["message"], rules[i["rule"]].description]
            for i in result.issue_summary()),
           [10, 22, 12, 14, 10, 10, 14, 24, 10, 80, 80])
    f = result.findings.head(MAX_ROWS)
    _sheet(wb, "Details",
           ["Dataset", "Record", "USUBJID", "Variable", "Value", "Rule", "CDISC ID", "FDA ID",
            "Category", "Severity", "Message"],
           ((ds, rec, u, var, val, rid, cdisc_ids(rules[rid]), other_ids(rules[rid]),
             rules[rid].family, sev, msg)
            for ds, rec, u, var, val, rid, sev, msg in
            f[["dataset", "record", "usubjid", "variable", "value", "rule", "severity",
               "message"]].itertuples(index=False, name=None)),
           [12, 9, 22, 14, 30, 10, 16, 10, 14, 10, 100])
    _sheet(wb, "Rules",
           ["Rule", "Authority", "Authority ID", "FDA ID", "Category", "Severity", "Status",
            "Reason", "Issues", "Records", "Seconds", "Explanation", "Citation"],
           ([st.rule.id, st.rule.authority.get("organization", "") if st.rule.authority else "",
             ", ".join(st.rule.authority_ids), other_ids(st.rule), st.rule.family,
             st.rule.severity, st.status, st.reason, st.values, st.found, round(st.seconds, 4),
             st.rule.description, st.rule.citation]
            for st in result.statuses),
           [10, 10, 22, 12, 14, 10, 10, 40, 10, 10, 10, 80, 60])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
