"""Run the rules of a catalogue on a package: per-rule status, timing, and one finding table.

Every enabled rule ends in one status, as in CDISC CORE: ``passed`` (ran, found nothing),
``issues`` (ran, found something), ``skipped`` (does not apply: the reason is given, e.g. no TV
dataset, no define.xml) or ``error`` (the check itself failed: the exception is reported and the
other rules still run).
"""

from __future__ import annotations

import re
import string
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cdisc_mapper.spec.model import Codelist, DatasetDef, Standard, VariableDef
from cdisc_mapper.standards import load_standard
from cdisc_mapper.standards.classes import CUSTOM_CLASSES, custom_domain

from .catalogue import SEVERITIES, Catalogue, Rule, rule_sort_key
from .checks import Skip, all_checks
from .checks.util import FINDING_COLUMNS
from .load import STANDARDS, Dataset, Package

__all__ = ["Context", "RuleStatus", "run_rules", "REPORT_COLUMNS"]

REPORT_COLUMNS = ("rule", "severity", "dataset", "variable", "record", "usubjid", "value", "message")
_SEV_RANK = {s: i for i, s in enumerate(SEVERITIES)}


@dataclass
class RuleStatus:
    rule: Rule
    status: str                     # passed | issues | skipped | error
    reason: str = ""
    found: int = 0                  # findings before any cap
    kept: int = 0                   # findings kept in the report
    seconds: float = 0.0
    datasets: tuple[str, ...] = ()  # datasets the rule ran on
    per_dataset: dict[str, int] = field(default_factory=dict)   # findings (before the cap)
    #: findings per distinct (dataset, variable, value), before the cap: a rule that fires on
    #: 62,098 records with 35 values is 35 issues
    per_value: dict[tuple[str, str, str], int] = field(default_factory=dict)

    @property
    def values(self) -> int:
        return len(self.per_value)

    def as_dict(self) -> dict[str, Any]:
        r = self.rule
        return {"rule": r.id, "authority": r.authority_id, "related": [x["id"] for x in r.related],
                "family": r.family, "severity": r.severity, "status": self.status,
                "reason": self.reason, "found": self.found, "values": self.values,
                "reported": self.kept,
                "seconds": round(self.seconds, 4), "datasets": list(self.datasets),
                "description": r.description, "citation": r.citation}


_GENERAL_CLASSES = {"Interventions", "Events", "Findings"}


@dataclass
class Context:
    """What a check can see: the package, the standards with their terminology, the define."""

    package: Package
    sdtm: Standard
    adam: Standard
    ct_version: str
    ct_source: str
    full_ct: bool
    define: Any = None              # define_checks.Define or None
    define_scope: frozenset[str] | None = None   # datasets the define.xml describes (None: all)
    cache: dict[str, Any] = field(default_factory=dict)
    #: what was said about the CT in use: the define.xml's declared version, where it differs
    ct_notes: tuple[str, ...] = ()
    #: the CT packages the define.xml declares (def:Standard Type="CT"): publishing set, version
    ct_declared: tuple[dict[str, str], ...] = ()

    @classmethod
    def build(cls, package: Package, *, ct: str | None = None, define: Any = None,
              define_found: bool = False) -> "Context":
        sdtm = load_standard("SDTMIG", "3.4", ct=ct)
        adam = load_standard("ADaMIG", "1.3", ct=ct)
        main = adam if package.standard == "adamig-1.3" else sdtm
        scope = None
        if define is not None and define_found:
            # a define.xml found in a folder describes the datasets of that folder and below
            folder = define.path.resolve().parent
            scope = frozenset(n for n, d in package.datasets.items()
                              if d.path.resolve().is_relative_to(folder))
        in_use = {"SDTM": sdtm.ct_version}
        if package.standard == "adamig-1.3" or any(d.kind == "ADaM"
                                                    for d in package.datasets.values()):
            in_use["ADaM"] = adam.ct_version
        declared, notes, honoured = declared_ct(define, in_use, ct)
        source = str(ct) if ct else "bundled"
        main_set = "ADaM" if package.standard == "adamig-1.3" else "SDTM"
        if main_set in honoured:
            source += ", the version the define.xml declares"
        return cls(package=package, sdtm=sdtm, adam=adam, ct_version=main.ct_version,
                   ct_source=source, full_ct=ct is not None, define=define,
                   define_scope=scope, ct_notes=tuple(notes), ct_declared=tuple(declared))

    def define_covers(self, ds: Dataset) -> bool:
        return self.define is not None and (self.define_scope is None or
                                            ds.name in self.define_scope)

    # -- datasets
    @property
    def datasets(self) -> dict[str, Dataset]:
        return self.package.datasets

    def dataset(self, name: str) -> Dataset | None:
        return self.package.datasets.get(name)

    def standard_for(self, ds: Dataset) -> Standard:
        return self.adam if ds.kind == "ADaM" else self.sdtm

    @property
    def standard_label(self) -> str:
        kinds = {d.kind for d in self.datasets.values()}
        name, version = STANDARDS[self.package.standard]
        main = f"{name} {version}"
        if len(kinds) > 1:
            other = "ADaMIG 1.3" if name == "SDTMIG" else "SDTMIG 3.4"
            return f"{main} (+ {other} datasets)"
        return main

    def ig_dataset(self, ds: Dataset) -> DatasetDef | None:
        """The implementation guide's definition of a dataset (SDTM domain, split dataset, SUPP--;
        ADSL or the BDS structure)."""
        key = ("igds", ds.name)
        if key in self.cache:
            return self.cache[key]
        out: DatasetDef | None
        if ds.kind == "ADaM":
            if ds.name == "ADSL":
                out = self.adam.datasets.get("ADSL")
            elif "PARAMCD" in ds.data.columns:
                out = self.adam.datasets.get("BDS")
            else:
                out = None
        else:
            out = self.sdtm.dataset(ds.name)
            if out is None and ds.domain != ds.name:
                out = self.sdtm.dataset(ds.domain)
            if out is None:
                out = self._custom_domain(ds)
        self.cache[key] = out
        return out

    def _custom_domain(self, ds: Dataset) -> DatasetDef | None:
        """A sponsor-defined domain (XA, XE ...): the variables of its general observation class,
        the class taken from the define.xml (def:Class) or else from its topic variable."""
        if not re.fullmatch(r"[A-Z]{2}", ds.name):
            return None
        cls = None
        group = self.define.groups.get(ds.name) if self.define_covers(ds) else None
        if group is not None and group.cls:
            cls = {c.upper(): c for c in CUSTOM_CLASSES}.get(group.cls.strip().upper())
        if cls is None:
            cols = set(ds.data.columns)
            p = ds.name
            cls = ("Findings About" if f"{p}OBJ" in cols and f"{p}TESTCD" in cols else
                   "Findings" if f"{p}TESTCD" in cols else
                   "Events" if f"{p}TERM" in cols else
                   "Interventions" if f"{p}TRT" in cols else None)
        if cls is None:
            return None
        self.cache[("custom", ds.name)] = cls
        return custom_domain(self.sdtm, ds.name, cls, ds.label or ds.name)

    def is_custom(self, ds: Dataset) -> bool:
        """True for a sponsor-defined domain checked against its class's variables."""
        self.ig_dataset(ds)
        return ("custom", ds.name) in self.cache

    def ig_variable(self, ds: Dataset, name: str) -> VariableDef | None:
        return self.ig_variables(ds).get(name)

    def ig_variables(self, ds: Dataset) -> dict[str, VariableDef]:
        """IG variables matched to the dataset's variable names (ADaM placeholders such as
        ``TRTxxP`` or ``ANLzzFL`` resolved against the names present)."""
        key = ("igvars", ds.name)
        if key in self.cache:
            return self.cache[key]
        igds = self.ig_dataset(ds)
        out: dict[str, VariableDef] = {}
        if igds is not None:
            exact = {v.name: v for v in igds.variables}
            patterns = [(placeholder_regex(v.name), v) for v in igds.variables
                        if placeholder_regex(v.name) is not None]
            for n in ds.names:
                if n in exact:
                    out[n] = exact[n]
                    continue
                for rx, v in patterns:
                    if rx.match(n):
                        out[n] = v
                        break
        self.cache[key] = out
        return out

    def ds_class(self, ds: Dataset) -> str:
        """The observation class (SDTM) or structure (ADaM) of a dataset."""
        key = ("class", ds.name)
        if key in self.cache:
            return self.cache[key]
        cols = set(ds.data.columns)
        igds = self.ig_dataset(ds)
        if ds.kind == "ADaM":
            cls = "ADSL" if ds.name == "ADSL" else ("BDS" if "PARAMCD" in cols else "OTHER")
        elif igds is not None:
            cls = igds.cls
        elif ds.name.startswith("SUPP") or ds.name in ("RELREC", "RELSUB"):
            cls = "Relationship"
        else:
            p = ds.domain
            if f"{p}TESTCD" in cols or f"{p}ORRES" in cols:
                cls = "Findings"
            elif f"{p}TERM" in cols:
                cls = "Events"
            elif f"{p}TRT" in cols:
                cls = "Interventions"
            else:
                cls = "Unknown"
        self.cache[key] = cls
        return cls

    def is_general(self, ds: Dataset) -> bool:
        return self.ds_class(ds) in _GENERAL_CLASSES

    def codelist(self, ds: Dataset, cid: str) -> Codelist | None:
        return self.standard_for(ds).codelists.get(cid)

    def in_scope(self, rule: Rule, ds: Dataset) -> bool:
        if rule.standards and {"SDTM": "SDTMIG", "ADaM": "ADaMIG"}[ds.kind] not in rule.standards:
            return False
        if rule.classes and self.ds_class(ds) not in rule.classes and not (
                "GENERAL" in rule.classes and self.is_general(ds)):
            return False
        if rule.domains and not any(_domain_match(d, ds) for d in rule.domains):
            return False
        if rule.exclude and any(_domain_match(d, ds) for d in rule.exclude):
            return False
        return True


def _domain_match(pattern: str, ds: Dataset) -> bool:
    if pattern == "ALL":
        return True
    if pattern.endswith("--"):
        return ds.name.startswith(pattern[:-2]) and len(ds.name) > len(pattern) - 2
    return ds.name == pattern or ds.domain == pattern


_PLACEHOLDERS = (("xx", r"\d\d"), ("zz", r"\d\d"), ("y", r"[1-9]\d?"), ("*", r"[A-Z0-9]{1,8}"))


def placeholder_regex(name: str) -> re.Pattern | None:
    """``TRTxxP`` -> ``^TRT\\d\\dP$``; None for a name without placeholders."""
    if not any(ch.islower() or ch == "*" for ch in name):
        return None
    out = ""
    i = 0
    while i < len(name):
        for ph, rx in _PLACEHOLDERS:
            if name.startswith(ph, i):
                out += rx
                i += len(ph)
                break
        else:
            out += re.escape(name[i])
            i += 1
    return re.compile(f"^{out}$")


class _SafeDict(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


_FORMATTER = string.Formatter()


def format_message(template: str, row: dict[str, Any]) -> str:
    clean = {k: ("" if v is None or (isinstance(v, float) and np.isnan(v)) else v)
             for k, v in row.items()}
    try:
        return _FORMATTER.vformat(template, (), _SafeDict(clean))
    except (ValueError, IndexError, AttributeError):
        return template


def _finalise(rule: Rule, frame: pd.DataFrame, cap: int) -> tuple[pd.DataFrame, int]:
    total = len(frame)
    if "record" in frame.columns:
        order = pd.to_numeric(frame["record"], errors="coerce").fillna(-1)
        frame = frame.assign(_o=order).sort_values(["dataset", "_o"], kind="stable").drop(columns="_o")
    if cap and total > cap:
        frame = frame.iloc[:cap]
    records = frame.to_dict("records")
    messages = []
    for row in records:
        msg = row.get("message")
        if msg is None or (isinstance(msg, float) and np.isnan(msg)) or msg == "":
            msg = format_message(rule.message, row)
        messages.append(msg)
    out = pd.DataFrame({
        "rule": rule.id,
        "severity": rule.severity,
        "dataset": frame["dataset"].to_numpy(dtype=object),
        "variable": frame["variable"].to_numpy(dtype=object),
        "record": pd.array(pd.to_numeric(frame["record"], errors="coerce"), dtype="Int64"),
        "usubjid": frame["usubjid"].to_numpy(dtype=object),
        "value": [_text(v) for v in frame["value"].to_numpy(dtype=object)],
        "message": messages,
    })
    return out, total


def _per_value(frame: pd.DataFrame) -> dict[tuple[str, str, str], int]:
    """Findings per distinct (dataset, variable, value) of a rule, all of them (before the cap),
    in order of first appearance; values are text as the reports show them."""
    keys = []
    for c in ("dataset", "variable", "value"):
        codes, uniq = pd.factorize(frame[c].to_numpy(dtype=object), use_na_sentinel=False)
        keys.append((codes, [_text(u) if c == "value" else ("" if u is None or (
            isinstance(u, float) and np.isnan(u)) else str(u)) for u in uniq]))
    from .checks.util import pair_codes
    gid, first = pair_codes(*(k[0] for k in keys))
    counts = np.bincount(gid, minlength=len(first))
    return {tuple(k[1][k[0][r]] for k in keys): int(n) for r, n in zip(first, counts)}


def _text(v: Any) -> str:
    from .checks.util import num_text
    if v is None:
        return ""
    if isinstance(v, (float, np.floating, int, np.integer)) and not isinstance(v, bool):
        return num_text(v)
    return str(v)


def declared_ct(define: Any, in_use: dict[str, str], ct: str | None
                ) -> tuple[list[dict[str, str]], list[str], set[str]]:
    """The CT packages a define.xml declares (``def:Standard Type="CT"``, which its CodeLists
    reference by ``def:StandardOID``), compared with the packages in use (publishing set ->
    version).  Returns (declared, notes, publishing sets whose declared version is in use).

    A declared version is honoured when it is the one in use (the bundled package, or ``--ct``);
    otherwise a note says which version the terms were checked against instead."""
    if define is None:
        return [], [], set()
    declared = [{"publishing_set": s.get("PublishingSet", ""), "version": s.get("Version", ""),
                 "oid": s.get("OID", "")}
                for s in define.standards if s.get("Type") == "CT"]
    notes: list[str] = []
    honoured: set[str] = set()
    for d in declared:
        pset, version = d["publishing_set"], d["version"]
        have = in_use.get(pset)
        if have is None:
            if pset not in ("SDTM", "ADaM"):
                notes.append(f"the define.xml declares {pset or 'a'} CT {version}; this "
                             f"product has no {pset} terminology: its codelists are checked "
                             "against the define.xml's own terms only")
        elif version == have:
            honoured.add(pset)
        elif ct:
            notes.append(f"the define.xml declares {pset} CT {version}, but --ct gives {have}: "
                         f"terms were checked against {have}")
        else:
            notes.append(f"the define.xml declares {pset} CT {version}; this product bundles "
                         f"{pset} CT {have} only: terms were checked against {have} (pass the "
                         f"{version} package with --ct to check against it)")
    if define.version == "2.1" and not declared:
        notes.append("the define.xml declares no CT package (def:Standard Type=\"CT\"): terms "
                     "were checked against the CT in use")
    return declared, notes, honoured


def run_rules(ctx: Context, catalogue: Catalogue, *, max_findings: int = 10_000,
              progress=None) -> tuple[pd.DataFrame, list[RuleStatus]]:
    """Run every enabled rule.  Returns the finding table (capped at ``max_findings`` per rule,
    0 = no cap) and the status of every rule, enabled or not."""
    checks = all_checks()
    frames: list[pd.DataFrame] = []
    statuses: list[RuleStatus] = []
    for rule in sorted(catalogue.rules.values(), key=lambda r: rule_sort_key(r.id)):
        if not rule.enabled:
            statuses.append(RuleStatus(rule, "skipped", "switched off"))
            continue
        t0 = time.perf_counter()
        chk = checks[rule.check]
        if "define" in rule.needs and ctx.define is None:
            statuses.append(RuleStatus(rule, "skipped", "no define.xml given (--define)"))
            continue
        if "full_ct" in rule.needs and not ctx.full_ct:
            statuses.append(RuleStatus(rule, "skipped", "needs a full CT package (--ct)"))
            continue
        results: list[pd.DataFrame] = []
        skips: list[str] = []
        ran: list[str] = []
        error = ""
        if chk.kind == "package":
            targets: list[Dataset | None] = [None]
        else:
            targets = [ds for ds in ctx.datasets.values() if ctx.in_scope(rule, ds)]
        for ds in targets:
            try:
                out = chk.func(ctx, **rule.params) if ds is None else chk.func(ctx, ds, **rule.params)
            except Skip as s:
                skips.append(f"{ds.name}: {s}" if ds is not None else str(s))
                continue
            except Exception as exc:  # a check failing is reported, never fatal
                error = f"{type(exc).__name__}: {exc}" + (f" (dataset {ds.name})" if ds else "")
                break
            ran.append(ds.name if ds is not None else "*")
            if out is not None and len(out):
                results.append(out)
        dt = time.perf_counter() - t0
        if error:
            statuses.append(RuleStatus(rule, "error", error, seconds=dt))
            continue
        if not ran:
            reason = "; ".join(skips[:3]) + (f"; ... ({len(skips)} datasets)" if len(skips) > 3
                                             else "") if skips else "no dataset in scope"
            statuses.append(RuleStatus(rule, "skipped", reason, seconds=dt))
            continue
        if results:
            frame = pd.concat(results, ignore_index=True) if len(results) > 1 else results[0]
            for c in FINDING_COLUMNS:
                if c not in frame.columns:
                    frame[c] = None
            per = {str(k): int(v) for k, v in frame["dataset"].value_counts(sort=False).items()}
            kept, total = _finalise(rule, frame, max_findings)
            frames.append(kept)
            statuses.append(RuleStatus(rule, "issues", "", found=total,
                                       kept=len(kept), seconds=time.perf_counter() - t0,
                                       datasets=tuple(ran), per_dataset=per,
                                       per_value=_per_value(frame)))
        else:
            statuses.append(RuleStatus(rule, "passed", "", seconds=dt,
                                       datasets=tuple(ran)))
        if progress:
            progress(rule, statuses[-1])
    if frames:
        findings = pd.concat(frames, ignore_index=True)
    else:
        findings = pd.DataFrame({c: pd.Series(dtype=object) for c in REPORT_COLUMNS})
        findings["record"] = findings["record"].astype("Int64")
    findings["_s"] = findings["severity"].map(_SEV_RANK)
    findings = findings.sort_values(["_s", "rule", "dataset", "record"], kind="stable",
                                    key=lambda c: c.map(rule_sort_key) if c.name == "rule" else c)
    findings = findings.drop(columns="_s").reset_index(drop=True)
    return findings, statuses
