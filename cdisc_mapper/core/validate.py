"""CORE rules alongside the product's own catalogue in ``cdisc-map validate --core-rules DIR``.

Each CORE rule becomes one entry of the rule status list (id ``CORE-NNNNNN``, its authority ids
CGxxxx/FBxxxx with their citations) and its findings join the one finding table, with two added
columns: ``authority`` (the CORE rule's authority ids) and ``also_by`` (the product's own rules
that found the same defect).  Where one of the product's rules implements the same authority
rule (its ``authority`` or ``related`` ids) and reports the same dataset record, the defect is
reported once, by the CORE rule, and the product's rule is named in ``also_by``.
"""

from __future__ import annotations

import time

import pandas as pd

from cdisc_mapper.validate.catalogue import Rule
from cdisc_mapper.validate.engine import REPORT_COLUMNS, RuleStatus, _per_value

from .engine import run_rule
from .rules import CoreRule, load_rules
from .testcases import study_for
from .versions import stand_in_note

__all__ = ["run_core_rules", "as_catalogue_rule"]


def as_catalogue_rule(r: CoreRule, product: str, version: str) -> Rule:
    ids = r.authority_ids(product, version)
    org = next((a.organization for a in r.authorities if a.id == (ids[0] if ids else "")), "")
    severity = "error" if r.executability.lower().startswith("fully") else "warning"
    return Rule(id=r.id, check="core", severity=severity, message=r.message,
                description=r.description or r.message, family="core",
                authority={"organization": org or "CDISC", "id": ids[0]} if ids else None,
                related=tuple({"organization": org or "CDISC", "id": i} for i in ids[1:]),
                citation=r.citation(product, version),
                sensitivity="dataset" if r.sensitivity != "Record" else "record",
                source=r.file)


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return "" if v != v else (f"{v:.0f}" if v.is_integer() else repr(v))
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(map(_text, v)) + "]"
    return str(v)


def _message(text: str, ds) -> str:
    """The rule's message for one dataset: ``SUPP--`` names the SUPP dataset itself, any other
    ``--`` the dataset's domain prefix."""
    if ds is None:
        return text
    if ds.name.startswith(("SUPP", "SQ")):
        text = text.replace("SUPP--", ds.name).replace("SQ--", ds.name)
    return text.replace("--", ds.domain)


def run_core_rules(package, paths, *, ct=None, findings: pd.DataFrame,
                   statuses: list[RuleStatus], max_findings: int = 10_000,
                   progress=None) -> tuple[pd.DataFrame, list[RuleStatus], dict]:
    """Run the CORE rules under ``paths`` on ``package``; returns the merged finding table, the
    statuses (ours then CORE's) and a summary for the report header."""
    rules = load_rules(paths)
    study = study_for(package, ct=ct)
    note = stand_in_note(study)     # a shipped version standing in for the declared one
    frames, core_statuses = [], []
    applicable = 0
    for r in rules:
        cat = as_catalogue_rule(r, study.product, study.version)
        if not r.applies_to(study.product, study.version):
            core_statuses.append(RuleStatus(cat, "skipped", f"published for "
                                            f"{_standards(r)}, not {study.product} "
                                            f"{study.version}"))
            continue
        applicable += 1
        t0 = time.perf_counter()
        try:
            run = run_rule(r, study)
        except Exception as exc:   # one rule failing is reported; the others still run
            core_statuses.append(RuleStatus(cat, "error", f"{type(exc).__name__}: {exc}",
                                            seconds=time.perf_counter() - t0))
            continue
        dt = time.perf_counter() - t0
        # datasets the Check could not be evaluated on: a rule execution problem, named in the
        # rule status, never a data finding
        unevaluated = "; ".join(f"could not be evaluated on {d}: {why}" for d, why in run.errors)
        if run.errors and not run.datasets and not run.findings:
            core_statuses.append(RuleStatus(cat, "skipped", unevaluated, seconds=dt))
            if progress:
                progress(cat, core_statuses[-1])
            continue
        note = "; ".join(x for x in (stand_in_note(study), unevaluated) if x)
        if run.status == "skipped":
            core_statuses.append(RuleStatus(cat, "skipped", run.reason, seconds=dt))
        elif not run.findings:
            core_statuses.append(RuleStatus(cat, "passed", note, seconds=dt,
                                            datasets=run.datasets))
        else:
            frame = _finding_frame(r, cat, run.findings, study)
            per = {str(k): int(v) for k, v in frame["dataset"].value_counts(sort=False).items()}
            values = _per_value(frame)
            total = len(frame)
            if max_findings and total > max_findings:
                frame = frame.iloc[:max_findings]
            frames.append(frame)
            core_statuses.append(RuleStatus(cat, "issues", note, found=total, kept=len(frame),
                                            seconds=dt, datasets=run.datasets,
                                            per_dataset=per, per_value=values))
        if progress:
            progress(cat, core_statuses[-1])
    core = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=list(REPORT_COLUMNS) + ["authority"])
    findings, statuses, core = _dedupe(findings, statuses, core, rules, study)
    merged = pd.concat([findings, core], ignore_index=True) if len(core) else findings
    for c in ("authority", "also_by"):
        if c not in merged.columns:
            merged[c] = ""
        merged[c] = merged[c].fillna("")
    merged["record"] = pd.array(pd.to_numeric(merged["record"], errors="coerce"), dtype="Int64")
    rank = {"error": 0, "warning": 1, "notice": 2}
    merged = merged.assign(_s=merged["severity"].map(rank)).sort_values(
        ["_s", "rule", "dataset", "record"], kind="stable").drop(columns="_s")
    summary = {"files": [str(p) for p in paths], "rules": len(rules), "applicable": applicable,
               "standard": f"{study.product} {study.version}"}
    return merged.reset_index(drop=True), statuses + core_statuses, summary


def _finding_frame(r: CoreRule, cat: Rule, found, study) -> pd.DataFrame:
    """The report rows of one rule's findings; what is the same for every finding of a dataset
    (its message with the domain prefix, the authority ids) is worked out once."""
    messages = {name: _message(r.message, ds) for name, ds in study.datasets.items()}
    authority = ", ".join(r.authority_ids(study.product, study.version))
    rows = [{
        "rule": r.id, "severity": cat.severity, "dataset": f.dataset,
        "variable": ", ".join(f.variables), "record": f.record, "usubjid": f.usubjid,
        "value": "; ".join(f"{n}={_text(v)}" for n, v in zip(f.variables, f.values)),
        "message": messages.get(f.dataset, r.message),
        "authority": authority,
    } for f in found]
    return pd.DataFrame(rows)


def _standards(r: CoreRule) -> str:
    return ", ".join(dict.fromkeys(f"{n} {v}" for n, v in r.standards)) or "no standard"


def _dedupe(findings: pd.DataFrame, statuses: list[RuleStatus], core: pd.DataFrame,
            rules: list[CoreRule], study
            ) -> tuple[pd.DataFrame, list[RuleStatus], pd.DataFrame]:
    """Drop the product's findings that a CORE rule of the same authority id reports on the
    same dataset and record; name the product's rule in the CORE finding's ``also_by``.
    Returns the product's findings, the statuses and the CORE findings."""
    if not len(core) or not len(findings):
        return findings, statuses, core
    ours = {}
    for st in statuses:
        ids = {st.rule.authority_id, *(x["id"] for x in st.rule.related)} - {""}
        if ids:
            ours[st.rule.id] = ids
    if not ours:
        return findings, statuses, core
    by_id = {r.id: set(r.authority_ids()) for r in rules}
    core = core.copy()
    core["also_by"] = ""
    drop = pd.Series(False, index=findings.index)
    for our_id, ids in ours.items():
        same = [cid for cid, aids in by_id.items() if aids & ids]
        if not same:
            continue
        mine = findings["rule"] == our_id
        if not mine.any():
            continue
        is_theirs = core["rule"].isin(same)
        theirs = core[is_theirs]
        keys = set(zip(theirs["dataset"], theirs["record"].map(_rec)))
        ds_level = {d for d, r in keys if r is None}
        hit = pd.Series(False, index=findings.index)
        mf = findings[mine]
        hit[mine] = [(d, _rec(r)) in keys or d in ds_level
                     for d, r in zip(mf["dataset"], mf["record"])]
        if not hit.any():
            continue
        drop |= hit
        hk = set(zip(findings.loc[hit, "dataset"], findings.loc[hit, "record"].map(_rec)))
        hk_ds = {x for x, _ in hk}
        mark = pd.Series(False, index=core.index)
        mark[is_theirs] = [(d, _rec(r)) in hk or _rec(r) is None and d in hk_ds
                           for d, r in zip(theirs["dataset"], theirs["record"])]
        core.loc[mark, "also_by"] = core.loc[mark, "also_by"].map(
            lambda s, o=our_id: ", ".join(x for x in (s, o) if x))
        for st in statuses:
            if st.rule.id == our_id:
                n = int(hit.sum())
                st.found = max(0, st.found - n)
                st.kept = max(0, st.kept - n)
                st.reason = (f"{n} finding(s) reported once, by "
                             f"{', '.join(sorted(set(core.loc[mark, 'rule'])))}")
                left = findings[(findings["rule"] == our_id) & ~drop]
                st.per_value = _per_value(left) if len(left) else {}
                if st.found == 0:
                    st.status = "passed"
                    st.per_dataset = {}
    return findings[~drop], statuses, core


def _rec(r):
    return None if r is None or pd.isna(r) else int(r)
