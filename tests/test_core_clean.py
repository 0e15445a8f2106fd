"""The sample SDTM packages are CORE-clean: every published CORE rule, run by this tool's engine
on both sample studies as ``cdisc-map convert`` writes them, reports nothing but the records that
``docs/core-findings.md`` explains (its table "Findings that are not defects").

The table is read from the doc, so the doc and this test cannot drift: a finding not in it
fails, and so does a row attributed to CORE that is no longer reported.  Rows attributed to the
engine may disappear (when the engine is corrected) without failing.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from cdisc_mapper.core.validate import run_core_rules
from cdisc_mapper.engine.run import convert_study
from cdisc_mapper.validate.engine import REPORT_COLUMNS
from cdisc_mapper.validate.load import load_package

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "core-findings.md"
STUDIES = ("ADT2002-P1", "ADT2002-P2")
HEADING = "## Findings that are not defects"


def explained() -> list[dict[str, str]]:
    """The rows of the doc's table of findings that are not defects."""
    text = DOC.read_text(encoding="utf-8")
    assert HEADING in text, f"{DOC.name} has no section {HEADING!r}"
    section = text.split(HEADING, 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| CORE-")]
    cols = ("rule", "study", "dataset", "usubjid", "value", "whose")
    out = [dict(zip(cols, (c.strip() for c in r.strip().strip("|").split("|")))) for r in rows]
    assert out and all(r["whose"] in ("CORE", "engine") for r in out), out
    return out


@pytest.fixture(scope="module")
def rules_dir(reference) -> Path:
    d = reference / "core-rules" / "rules"
    if not d.is_dir():
        pytest.skip("the published CORE rules are not in the reference folder")
    return d


def _findings(study: str, out: Path, rules_dir: Path) -> pd.DataFrame:
    folder = convert_study(ROOT / "mappings" / study / "study.yaml", out,
                           created=datetime(2024, 1, 1)).out_dir
    package = load_package(folder / "tabulations" / "sdtm")
    findings, statuses, _ = run_core_rules(package, [rules_dir],
                                           findings=pd.DataFrame(columns=REPORT_COLUMNS),
                                           statuses=[], max_findings=0)
    ran = [s for s in statuses if s.status in ("passed", "issues")]
    # 189 of the 264 rules evaluate on some dataset of a sample package (the others have no
    # dataset in scope or read variables the package does not have); a collapse means the
    # engine stopped evaluating, not that the package is clean
    assert len(ran) > 170, f"only {len(ran)} CORE rules ran on {study}"
    return findings


def _is_explained(f, rows) -> dict | None:
    for r in rows:
        if (r["rule"], r["dataset"], r["value"]) != (f["rule"], f["dataset"], f["value"]):
            continue
        if r["usubjid"] in ("*", str(f["usubjid"] or "")):
            return r
    return None


@pytest.mark.parametrize("study", STUDIES)
def test_core_rules_report_only_what_the_doc_explains(study, rules_dir, tmp_path):
    rows = [r for r in explained() if r["study"] == study]
    findings = _findings(study, tmp_path, rules_dir)
    unexplained, seen = [], set()
    for f in findings.to_dict("records"):
        r = _is_explained(f, rows)
        if r is None:
            unexplained.append(f"{f['rule']} {f['dataset']} record {f['record']} "
                               f"{f['usubjid'] or ''}: {f['value']}")
        else:
            seen.add(id(r))
    assert not unexplained, f"{len(unexplained)} CORE findings on {study} not explained in " \
        f"{DOC.name}:\n" + "\n".join(unexplained[:20])
    stale = [r for r in rows if r["whose"] == "CORE" and id(r) not in seen]
    assert not stale, f"{DOC.name} explains findings no longer reported on {study}: {stale}"


def test_the_doc_table_names_real_records():
    rows = explained()
    assert {r["study"] for r in rows} <= set(STUDIES)
    for r in rows:
        assert r["rule"].startswith("CORE-") and r["value"] and "=" in r["value"], r
