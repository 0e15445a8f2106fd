"""``cdisc-map validate``: a conformance validator for any SDTM or ADaM package.

    from cdisc_mapper.validate import validate
    result = validate("out/ADT2002-P2/tabulations/sdtm", formats=("json", "html"), out="reports")
    result.counts()          # {'error': 0, 'warning': 3, 'notice': 12}
    result.exit_code()       # 0, or 1 when something at or above fail_on was found

Pieces: :mod:`.load` reads XPT / Dataset-JSON packages, :mod:`.catalogue` the rules kept as
data (``rules/*.yaml`` and user rule files), :mod:`.checks` one small function per check,
:mod:`.define_checks` the safe define.xml reader and its checks, :mod:`.engine` runs the rules
with a status per rule, :mod:`.reports` writes JSON, HTML, XLSX and JUnit XML.
"""

from __future__ import annotations

import hashlib
import os
import resource
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from collections.abc import Iterable

import pandas as pd

from cdisc_mapper import __version__
from cdisc_mapper.progress import plural

from .catalogue import SEVERITIES, Catalogue, load_catalogue
from .engine import Context, RuleStatus, run_rules
from .load import LoadError, Package, load_package

__all__ = ["validate", "ValidationResult", "FORMATS", "SEVERITIES", "LoadError"]

FORMATS = ("json", "html", "xlsx", "junit")
TOOL = "cdisc-map validate"


def _sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


@dataclass
class ValidationResult:
    """Everything a report needs: what was validated, with what, and what was found."""

    package: Package
    findings: pd.DataFrame
    statuses: list[RuleStatus]
    catalogue: Catalogue
    standard: str
    ct_version: str
    ct_source: str
    define: Any
    inputs: list[dict[str, Any]]
    started: datetime
    seconds: float
    fail_on: str = "error"
    max_findings: int = 10_000
    timings: dict[str, float] = field(default_factory=dict)
    reproducible_time: bool = False
    ct_notes: tuple[str, ...] = ()                 # the define.xml's CT against the CT in use
    ct_declared: tuple[dict[str, str], ...] = ()   # CT packages the define.xml declares

    def counts(self) -> dict[str, int]:
        """Number of findings per severity (before any per-rule cap)."""
        out = {s: 0 for s in SEVERITIES}
        for st in self.statuses:
            if st.found:
                out[st.rule.severity] += st.found
        return out

    def issue_counts(self) -> dict[str, int]:
        """Number of issues per severity: distinct (rule, dataset, variable, value), so that a
        rule firing on thousands of records with a few values counts those few."""
        out = {s: 0 for s in SEVERITIES}
        for st in self.statuses:
            if st.found:
                out[st.rule.severity] += st.values or 1
        return out

    def status_counts(self) -> dict[str, int]:
        out = {"passed": 0, "issues": 0, "skipped": 0, "error": 0}
        for st in self.statuses:
            out[st.status] += 1
        return out

    def failed(self, fail_on: str | None = None) -> bool:
        level = SEVERITIES.index(fail_on or self.fail_on)
        counts = self.counts()
        return any(counts[s] for s in SEVERITIES[:level + 1])

    def reproducible(self, started: datetime) -> "ValidationResult":
        """The same result with the run's clock readings replaced (start time ``started``, no
        durations), so that a report written by ``cdisc-map convert`` is byte-identical when
        the inputs are."""
        self.started = started
        self.reproducible_time = True
        self.seconds = 0.0
        self.timings = {}
        for st in self.statuses:
            st.seconds = 0.0
        return self

    def exit_code(self, fail_on: str | None = None) -> int:
        return 1 if self.failed(fail_on) else 0

    def summary(self) -> str:
        """One line: counts, standard, CT and the verdict (for a console or a log)."""
        return (f"{count_text(self.issue_counts(), self.counts())} "
                f"({self.standard}, CT {self.ct_version}): "
                f"{'FAIL' if self.failed() else 'PASS'} (fails on {self.fail_on})")

    def header(self) -> dict[str, Any]:
        d = self.define
        return {
            "tool": {"name": TOOL, "version": __version__},
            "started": self.started.isoformat(timespec="seconds"),
            "started_is": self.timestamp_label(),
            "seconds": round(self.seconds, 3),
            "package": str(self.package.root),
            "standard": self.standard,
            "standard_detected": self.package.standard_detected,
            "controlled_terminology": {"version": self.ct_version, "source": self.ct_source,
                                       "declared_by_define": list(self.ct_declared),
                                       "notes": list(self.ct_notes)},
            "define": None if d is None else {"file": str(d.path), "define_xml_version": d.version,
                                              "study": d.study, "standards": d.standards},
            "records": self.package.records,
            "dataset_count": len(self.package.datasets),
            "fail_on": self.fail_on,
            "max_findings_per_rule": self.max_findings,
            "inputs": self.inputs,
            "skipped_files": [{"file": str(p), "reason": r} for p, r in self.package.skipped],
            "rule_files": self.catalogue.files,
        }

    def dataset_summary(self) -> list[dict[str, Any]]:
        """Per dataset: label, class, records, variables and findings per severity."""
        per: dict[str, dict[str, int]] = {}
        for st in self.statuses:
            for ds, n in st.per_dataset.items():
                per.setdefault(ds, {s: 0 for s in SEVERITIES})[st.rule.severity] += n
        out = []
        for name, ds in self.package.datasets.items():
            c = per.pop(name, {s: 0 for s in SEVERITIES})
            out.append({"dataset": name, "label": ds.label, "kind": ds.kind,
                        "file": ds.path.name, "records": ds.records,
                        "variables": len(ds.variables), **c})
        for name, c in sorted(per.items()):  # findings on datasets that are not in the package
            out.append({"dataset": name, "label": "", "kind": "", "file": "", "records": 0,
                        "variables": 0, **c})
        return out

    def issue_summary(self) -> list[dict[str, Any]]:
        """One row per issue: rule, dataset, variable and value, with the number of records
        (all of them, reported or not) and the message of its first reported record, as
        Pinnacle 21's issue summary groups them."""
        f = self.findings
        first: dict[tuple, str] = {}
        if len(f):
            keys = zip(f["rule"], f["dataset"].astype(str),
                       ["" if not isinstance(v, str) else v for v in f["variable"]],
                       f["value"].astype(str), f["message"])
            for rid, ds, var, val, msg in keys:
                first.setdefault((rid, ds, var, val), msg)
        out = []
        for st in self.statuses:
            for (ds, var, val), n in st.per_value.items():
                out.append({"rule": st.rule.id, "severity": st.rule.severity, "dataset": ds,
                            "variable": var, "value": val, "found": n,
                            "message": first.get((st.rule.id, ds, var, val), "")})
        return out

    def timestamp_label(self) -> str:
        """What :attr:`started` is: the run's start, or (reports written by ``convert``, which
        must be reproducible) the package's own timestamp, its data cut-off."""
        return "package timestamp (data cut-off)" if self.reproducible_time else "run started"

    def to_dict(self) -> dict[str, Any]:
        f = self.findings
        records = []
        for row in f.itertuples(index=False):
            records.append({
                "rule": row.rule, "severity": row.severity, "dataset": row.dataset,
                "variable": row.variable if isinstance(row.variable, str) else None,
                "record": None if pd.isna(row.record) else int(row.record),
                "usubjid": row.usubjid if isinstance(row.usubjid, str) and row.usubjid else None,
                "value": row.value, "message": row.message,
                **({"authority": row.authority or None, "also_by": row.also_by or None}
                   if hasattr(row, "authority") else {}),
            })
        return {**self.header(), "summary": {**self.counts(),
                                             "issues": self.issue_counts(),
                                             "rules": self.status_counts(),
                                             "failed": self.failed()},
                "datasets": self.dataset_summary(),
                "rules": [st.as_dict() for st in self.statuses],
                "findings": records}

    def write_reports(self, out: str | os.PathLike[str], formats: Iterable[str] = FORMATS,
                      *, name: str = "validation") -> list[Path]:
        from .reports import write_report

        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        return [write_report(self, fmt, folder, name) for fmt in formats]


def validate(path: str | os.PathLike[str], *, define: str | os.PathLike[str] | None = None,
             ct: str | os.PathLike[str] | None = None, standard: str | None = None,
             rules: Iterable[str | os.PathLike[str]] = (), disable: Iterable[str] = (),
             only: Iterable[str] = (), fail_on: str = "error", max_findings: int = 10_000,
             out: str | os.PathLike[str] | None = None, formats: Iterable[str] = (),
             use_found_define: bool = True, progress=None,
             core_rules: Iterable[str | os.PathLike[str]] = ()) -> ValidationResult:
    """Validate the package at ``path`` (a folder of XPT/Dataset-JSON files or one file).

    ``define``: a define.xml to check the data against (default: a ``define.xml`` found beside
    the datasets, unless ``use_found_define`` is false); ``ct``: a full NCI EVS terminology file
    instead of the bundled terms; ``standard``: ``sdtmig-3.4`` or ``adamig-1.3`` (default:
    detected); ``rules``: user rule files; ``disable``: rule ids or families to switch off;
    ``fail_on``: the severity from which :meth:`ValidationResult.exit_code` is 1;
    ``max_findings``: findings kept per rule in the reports (0: all); ``out``/``formats``: write
    reports; ``core_rules``: files or folders of CDISC CORE rules to run as well (those
    published for the package's standard and version).  Raises :class:`LoadError` (exit code 2)
    for unreadable input.
    """
    from .define_checks import read_define

    if fail_on not in SEVERITIES:
        raise LoadError(f"--fail-on must be one of {', '.join(SEVERITIES)}, not {fail_on!r}")
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise LoadError(f"unknown report format {bad[0]!r}; choose from {', '.join(FORMATS)}")
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    catalogue = load_catalogue(rules, disable=disable, only=only)
    if ct is not None and not Path(ct).is_file():
        raise LoadError("controlled terminology file not found", file=str(ct))
    define_path = Path(define) if define is not None else None
    if define_path is not None and not define_path.is_file():
        raise LoadError("define.xml not found", file=str(define_path))
    package = load_package(path, standard=standard)
    timings["load"] = time.perf_counter() - t0
    define_found = False
    if define_path is None and use_found_define and package.define_path is not None:
        define_path, define_found = package.define_path, True
    define_doc = read_define(define_path) if define_path is not None else None
    t1 = time.perf_counter()
    try:
        ctx = Context.build(package, ct=str(ct) if ct else None, define=define_doc,
                            define_found=define_found)
    except Exception as exc:
        from cdisc_mapper.errors import CdiscMapperError
        if isinstance(exc, CdiscMapperError):
            raise LoadError(exc.message, file=exc.file, line=exc.line) from None
        raise
    findings, statuses = run_rules(ctx, catalogue, max_findings=max_findings, progress=progress)
    core_rules = list(core_rules)
    if core_rules:
        from cdisc_mapper.core.validate import run_core_rules
        findings, statuses, _ = run_core_rules(package, core_rules, ct=str(ct) if ct else None,
                                               findings=findings, statuses=statuses,
                                               max_findings=max_findings, progress=progress)
    timings["rules"] = time.perf_counter() - t1
    inputs = [{"file": str(ds.path), "dataset": ds.name, "format": ds.file_format,
               "records": ds.records, "variables": len(ds.variables), "sha256": ds.sha256,
               "encoding": ds.encoding} for ds in package.datasets.values()]
    if define_path is not None:
        inputs.append({"file": str(define_path), "dataset": None, "format": "define.xml",
                       "sha256": _sha256(define_path)})
    if ct is not None:
        inputs.append({"file": str(ct), "dataset": None, "format": "controlled terminology",
                       "sha256": _sha256(Path(ct))})
    for f in rules:
        inputs.append({"file": str(f), "dataset": None, "format": "rule file",
                       "sha256": _sha256(Path(f))})
    result = ValidationResult(
        package=package, findings=findings, statuses=statuses, catalogue=catalogue,
        standard=ctx.standard_label, ct_version=ctx.ct_version, ct_source=ctx.ct_source,
        define=define_doc, inputs=inputs, started=started, seconds=time.perf_counter() - t0,
        fail_on=fail_on, max_findings=max_findings, timings=timings,
        ct_notes=ctx.ct_notes, ct_declared=ctx.ct_declared)
    if out is not None and formats:
        result.write_reports(out, formats)
    return result


def count_text(issues: dict[str, int], records: dict[str, int]) -> str:
    """``3 errors (62,098 records), 1 warning, 0 notices``: issues per severity, with the
    records where they are more."""
    parts = []
    for sev in SEVERITIES:
        t = plural(issues[sev], sev)
        if records[sev] != issues[sev]:
            t += f" ({plural(records[sev], 'record')})"
        parts.append(t)
    return ", ".join(parts)


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MB.  On Linux from /proc (``VmHWM``), which
    starts afresh at exec; ``ru_maxrss`` would carry the high-water mark of a parent process."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / (1024 * 1024) if os.uname().sysname == "Darwin" else r / 1024

