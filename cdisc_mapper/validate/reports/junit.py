"""JUnit XML: one test case per rule, so that any CI shows the findings as test results.

A rule whose findings are at or above ``--fail-on`` fails (the first findings are in the failure
text); a rule with findings below it passes and lists them as output; a skipped rule is skipped
with its reason; a rule whose check failed is an error.
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

from ..catalogue import SEVERITIES

_SHOWN = 50


def _findings_text(findings) -> str:
    lines = []
    for row in findings.head(_SHOWN).itertuples(index=False):
        where = f"{row.dataset}"
        if row.record is not None and str(row.record) != "<NA>":
            where += f" record {row.record}"
        if isinstance(row.usubjid, str) and row.usubjid:
            where += f" ({row.usubjid})"
        lines.append(f"{where}: {row.message}")
    return "\n".join(lines)


def render(result) -> bytes:
    level = SEVERITIES.index(result.fail_on)
    header = result.header()
    suites = ET.Element("testsuites", name="cdisc-map validate")
    suite = ET.SubElement(suites, "testsuite", name="cdisc-map validate",
                          timestamp=header["started"])
    props = ET.SubElement(suite, "properties")
    ct = header["controlled_terminology"]
    for k, v in (("tool", f"{header['tool']['name']} {header['tool']['version']}"),
                 ("standard", header["standard"]),
                 ("controlled_terminology", f"{ct['version']} ({ct['source']})"),
                 ("package", header["package"]), ("fail_on", result.fail_on),
                 *(("controlled_terminology_note", n) for n in ct["notes"])):
        ET.SubElement(props, "property", name=k, value=str(v))
    for inp in header["inputs"]:
        ET.SubElement(props, "property", name=f"sha256:{inp['file']}", value=inp["sha256"])
    grouped = {rid: df for rid, df in result.findings.groupby("rule", sort=False)} \
        if len(result.findings) else {}
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for st in result.statuses:
        r = st.rule
        case = ET.SubElement(suite, "testcase", classname=f"cdisc_map.validate.{r.family}",
                             name=f"{r.id} {r.description}", time=f"{st.seconds:.4f}")
        counts["tests"] += 1
        if st.status == "skipped":
            ET.SubElement(case, "skipped", message=st.reason)
            counts["skipped"] += 1
        elif st.status == "error":
            el = ET.SubElement(case, "error", message=st.reason, type="ExecutionError")
            el.text = st.reason
            counts["errors"] += 1
        elif st.status == "issues":
            text = _findings_text(grouped.get(r.id, result.findings.iloc[0:0]))
            if st.found > _SHOWN:
                text += f"\n... {st.found} findings in all"
            msg = f"{st.found} {r.severity}{'s' if st.found != 1 else ''}: {r.description}"
            if SEVERITIES.index(r.severity) <= level:
                el = ET.SubElement(case, "failure", message=msg, type=r.severity)
                el.text = text
                counts["failures"] += 1
            else:
                ET.SubElement(case, "system-out").text = msg + "\n" + text
    for el in (suite, suites):
        for k, v in counts.items():
            el.set(k, str(v))
        el.set("time", f"{result.seconds:.3f}")
    ET.indent(suites)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="utf-8") \
        + b"\n"
