"""``cdisc-map rules test``: run each rule on its own positive/negative test cases.

A rule folder holds ``rule.yml`` and ``positive/NN/data`` / ``negative/NN/data`` packages in
CORE's CSV layout, each with ``results/results.csv`` (Dataset, Record, Variable, Value: what the
rule must report; nothing for a positive case).  A case *passes* when the rule reports exactly
the (dataset, record) pairs of ``results.csv``.  Each case runs under the PRODUCT and VERSION
of its ``.env``.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cdisc_mapper.errors import CdiscMapperError

from .engine import Study, run_rule
from .versions import nearest_shipped, stand_in_note
from .rules import CoreRule, load_rule_file

__all__ = ["CaseResult", "find_rule_folders", "run_cases", "study_for"]


@dataclass
class CaseResult:
    rule: str
    case: str
    status: str                      # ran | skipped | error
    reason: str = ""
    findings: list[dict[str, Any]] = field(default_factory=list)
    expected: set | None = None
    passed: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "case": self.case, "status": self.status,
                "reason": self.reason, "findings": self.findings, "passed": self.passed}


def find_rule_folders(paths) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        if not p.exists():
            raise CdiscMapperError("no such rule folder", file=str(p))
        if (p / "rule.yml").is_file() or (p / "rule.yaml").is_file() or (p / "rule.json").is_file():
            out.append(p)
            continue
        found = sorted({f.parent for pat in ("*/rule.yml", "*/rule.yaml", "*/rule.json",
                                             "**/rule.yml") for f in p.glob(pat)})
        if not found:
            raise CdiscMapperError("no rule.yml here or in its sub-folders", file=str(p))
        out.extend(found)
    return list(dict.fromkeys(out))


def _rule_file(folder: Path) -> Path:
    for n in ("rule.yml", "rule.yaml", "rule.json"):
        if (folder / n).is_file():
            return folder / n
    raise CdiscMapperError("no rule.yml", file=str(folder))


def _expected(path: Path) -> set:
    out = set()
    if not path.is_file():
        return out
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            rec = (row.get("Record") or "").strip()
            out.add(((row.get("Dataset") or "").strip().upper(),
                     int(float(rec)) if rec else None))
    return out


def study_for(package, *, ct: str | None = None) -> Study:
    """A :class:`Study` under the standard the package declares (``.env``) or was loaded as."""
    from cdisc_mapper.standards import load_standard
    from cdisc_mapper.validate.load import STANDARDS

    env = getattr(package, "env", {}) or {}
    if env.get("PRODUCT"):
        product, version = env["PRODUCT"].upper(), env.get("VERSION", "").replace("-", ".")
    else:
        product, version = STANDARDS.get(package.standard, ("SDTMIG", "3.4"))
    try:
        std = load_standard(product, version, ct=ct)
    except CdiscMapperError:
        std = None
    facts_from = None
    near = nearest_shipped(product, version) if std is None else None
    if near is not None:
        std = load_standard(product, near, ct=ct)
        facts_from = f"{product} {near}"
    codelists = None
    if std is None:
        try:
            codelists = load_standard("SDTMIG", "3.4", ct=ct).codelists
        except CdiscMapperError:
            codelists = {}
    study = Study(package, product, version, std, codelists)
    study.facts_from = facts_from
    return study


def run_case(rule: CoreRule, case_dir: Path, name: str) -> CaseResult:
    from cdisc_mapper.validate.load import load_package

    data = case_dir / "data"
    try:
        # as CORE: a dataset that cannot be read as _variables.csv types it is left out, the
        # rest of the case still runs
        pkg = load_package(data, lenient=True)
        study = study_for(pkg)
        run = run_rule(rule, study)
    except CdiscMapperError as e:
        return CaseResult(rule.id, name, "error", str(e))
    except Exception as e:  # an engine failure on one case is reported, the others still run
        return CaseResult(rule.id, name, "error", f"{type(e).__name__}: {e}")
    findings = [{"dataset": f.dataset, "record": f.record, "variables": list(f.variables)}
                for f in run.findings]
    status = "skipped" if run.status == "skipped" else "ran"
    reason = run.reason
    if status == "ran" and run.skipped_datasets and not findings:
        reason = "; ".join(run.skipped_datasets[:3])
    if run.errors:
        reason = "; ".join(([reason] if reason else []) + [
            f"not evaluated on {d}: {why}" for d, why in run.errors[:3]])
    if status == "ran" and stand_in_note(study):
        reason = "; ".join(x for x in (stand_in_note(study), reason) if x)
    unread = [f"{f.name} not read: {why}" for f, why in pkg.skipped
              if why != "not listed in _datasets.csv"]
    if unread:
        reason = "; ".join([reason] + unread if reason else unread)
    res = CaseResult(rule.id, name, status, reason, findings)
    oracle = case_dir / "results" / "results.csv"
    res.expected = _expected(oracle)
    got = {(f["dataset"].upper(), f["record"]) for f in findings}
    # a rule that does not apply (no dataset in scope, or the data lacks a variable or a Match
    # Datasets dataset it needs) reports nothing, as CORE does; a rule that cannot run (an
    # operator, operation or metadata missing from this engine) fails its case
    res.passed = got == res.expected and (status == "ran" or run.not_applicable)
    if name.startswith("negative") and not oracle.is_file():
        # a negative case published without its results: all that is known is that the data
        # breaks the rule, so the rule must report something
        res.expected = None
        res.passed = status == "ran" and bool(findings)
        res.reason = "; ".join(x for x in (res.reason, "no results/results.csv: passes when "
                                           "the rule reports a finding") if x)
    return res


def run_cases(paths) -> list[CaseResult]:
    out: list[CaseResult] = []
    for folder in find_rule_folders(paths):
        try:
            rule = load_rule_file(_rule_file(folder))
        except CdiscMapperError as e:
            out.append(CaseResult(folder.name, "", "error", str(e)))
            continue
        cases = sorted(p for kind in ("positive", "negative")
                       for p in (folder / kind).glob("*") if (p / "data").is_dir())
        for c in cases:
            out.append(run_case(rule, c, f"{c.parent.name}/{c.name}"))
    return out


def write_json(results: list[CaseResult], path: Path) -> None:
    from cdisc_mapper.io.atomic import write_text_atomic
    doc = {"cases": [r.as_dict() for r in results]}
    write_text_atomic(path, json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
