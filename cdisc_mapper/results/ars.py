"""The reporting event as CDISC Analysis Results Standard (ARS 1.0) JSON, with its results.

From the plan and the ARD: the analysis sets (ADSL flags), the treatment groupings, one data
subset per parameter and visit (or per declared row), one method per declared analysis with an
operation per statistic, the analyses (reason, purpose, set, subset, groupings and every result
of the ARD with its raw and formatted value), and one output per display with its title and
footnotes.  The document follows ``ars_ldm.schema.json`` of ARS 1.0."""

from __future__ import annotations

import json
import re
from typing import Any

import pandas as pd

from .. import __version__
from .ard import COMPARISON, TOTAL
from .plan import Analysis, Plan, pretty
from .tables import Table, num, pvalue

_OPS = {"N": "Number of subjects in the group", "n": "Number of subjects",
        "denom": "Number of subjects with an analysis record", "pct": "Percentage",
        "imputed": "Number of imputed records", "events": "Number of events",
        "lcl": "Lower confidence limit", "ucl": "Upper confidence limit",
        "diff": "Difference between the two groups", "statistic": "Test statistic",
        "p": "P value", "mean": "Mean", "sd": "Standard deviation", "median": "Median",
        "min": "Minimum", "max": "Maximum", "lsmean": "Least-squares mean",
        "lsmean_se": "Standard error of the least-squares mean"}
_COMPARATORS = {"equals": "EQ", "not_equals": "NE", "in": "IN", "not_in": "NOTIN",
                "lt": "LT", "le": "LE", "gt": "GT", "ge": "GE"}


def _id(*parts: Any) -> str:
    return "_".join(re.sub(r"[^A-Za-z0-9]+", "-", str(p)).strip("-") for p in parts if p != "")


def _raw(v: float) -> str:
    if float(v).is_integer():
        return str(int(v))
    return format(v, ".15g")


def _op_label(op: str) -> str:
    if op.startswith(("n_", "pct_")):            # by severity: n_MILD, pct_MILD
        stat, level = op.split("_", 1)
        return f"{_OPS[stat]} with highest severity {level}"
    return _OPS.get(op, op)


def _formatted(op: str, v: float) -> str:
    if op in ("N",):
        return f"(N={int(v)})"
    if op.startswith(("n_", "pct_")):            # by severity: n_MILD, pct_MILD
        op = op.split("_", 1)[0]
    if op in ("n", "denom", "imputed", "events"):
        return str(int(v))
    if op == "p":
        return pvalue(v)
    if op == "statistic":
        return num(v, 3)
    if op == "lsmean_se":
        return num(v, 2)
    return num(v, 1)


def _where(dataset: str, cond: dict) -> dict[str, Any] | None:
    """An ARS where clause (condition or compound expression) of a spec condition; None when
    the condition uses a test ARS cannot say (missing, another variable)."""
    if "all" in cond or "any" in cond:
        subs = [_where(dataset, c) for c in cond.get("all") or cond.get("any")]
        if any(s is None for s in subs):
            return None
        return {"compoundExpression": {"logicalOperator": "AND" if "all" in cond else "OR",
                                       "whereClauses": subs}}
    if "not" in cond:
        sub = _where(dataset, cond["not"])
        return None if sub is None else {"compoundExpression": {"logicalOperator": "NOT",
                                                                "whereClauses": [sub]}}
    tests = [k for k in cond if k != "of"]
    if len(tests) != 1 or tests[0] not in _COMPARATORS or isinstance(cond[tests[0]], dict):
        return None
    v = cond[tests[0]]
    values = [str(x) for x in (v if isinstance(v, list) else [v])]
    return {"condition": {"dataset": dataset, "variable": cond["of"],
                          "comparator": _COMPARATORS[tests[0]], "value": values}}


def _leveled(clause: dict[str, Any], level: int = 1, order: int = 1) -> dict[str, Any]:
    """Add level/order to a where clause tree (ARS wants them on every node)."""
    out = {"level": level, "order": order}
    if "condition" in clause:
        out["condition"] = clause["condition"]
    else:
        ce = clause["compoundExpression"]
        out["compoundExpression"] = {
            "logicalOperator": ce["logicalOperator"],
            "whereClauses": [_leveled(c, level + 1, i) for i, c in enumerate(ce["whereClauses"],
                                                                               1)]}
    return out


class _Event:
    def __init__(self, study: str, plan: Plan, ard: pd.DataFrame, tables: list[Table]):
        self.study, self.plan, self.ard, self.tables = study, plan, ard, tables
        self.groupings: dict[str, dict] = {}
        self.subsets: list[dict] = []
        self.methods: list[dict] = []
        self.analyses: list[dict] = []
        self.lists: list[dict] = []

    # groupings ------------------------------------------------------------------------------
    def treatment(self, a: Analysis, part: pd.DataFrame) -> tuple[str, dict[str, str]]:
        gid = _id("AnlsGrouping", a.dataset, a.treatment)
        head = part[part["section"] == ""].sort_values("group_order")
        arms = [g for g in head["group"] if g != TOTAL]
        g = self.groupings.setdefault(gid, {
            "id": gid, "name": f"Treatment ({a.treatment})", "groupingDataset": a.dataset,
            "groupingVariable": a.treatment, "dataDriven": False, "groups": []})
        have = {x["name"] for x in g["groups"]}
        for arm in arms + ([TOTAL] if TOTAL in set(head["group"]) else []):
            if arm in have:
                continue
            cond = ({"dataset": a.dataset, "variable": a.treatment, "comparator": "EQ",
                     "value": [arm]} if arm != TOTAL else
                    {"dataset": a.dataset, "variable": a.treatment, "comparator": "IN",
                     "value": arms})
            g["groups"].append({"id": _id(gid, len(g["groups"]) + 1), "name": arm,
                                "label": pretty(arm), "level": 1,
                                "order": len(g["groups"]) + 1, "condition": cond})
        return gid, {x["name"]: x["id"] for x in g["groups"]}

    def data_driven(self, dataset: str, var: str) -> str:
        gid = _id("AnlsGrouping", dataset, var, "data")
        self.groupings.setdefault(gid, {"id": gid, "name": var, "groupingDataset": dataset,
                                        "groupingVariable": var, "dataDriven": True})
        return gid

    # analyses -------------------------------------------------------------------------------
    def method(self, a: Analysis, ops: list[str]) -> str:
        mid = _id("Mth", a.id)
        parts = [m.text for m in a.methods]
        desc = {"responders": "Responders n/N (%) by group",
                "change": "n, mean, SD, median, minimum and maximum by group"
                + ("; least-squares mean (SE) by group" if a.model else ""),
                "summary": "Descriptive statistics (continuous) or n (%) (categorical) by group",
                "disposition": "Subjects n (%) by group", "ae_overview":
                "Subjects n (%) and events by group", "ae_by_term":
                "Subjects n (%) by term and group" + (
                    f", and by highest severity ({a.severity})" if a.severity else ""),
                "ae_by_severity":
                "Subjects n (%) at highest severity and events by group"}[a.kind]
        self.methods.append({
            "id": mid, "name": f"{a.title} ({a.kind})",
            "description": "; ".join([desc] + parts),
            "operations": [{"id": _id(mid, op), "name": op, "order": i,
                            "label": _op_label(op.rsplit(".", 1)[-1])}
                           for i, op in enumerate(ops, 1)]})
        return mid

    def subset(self, a: Analysis, key: str, name: str, clause: dict | None) -> str | None:
        if clause is None:
            return None
        sid = _id("Dss", a.id, key)
        self.subsets.append({"id": sid, "name": name, "label": pretty(name),
                             **_leveled(clause, 1, len(self.subsets) + 1)})
        return sid

    def build(self) -> dict[str, Any]:
        sets = []
        used = {a.population for a in self.plan.analyses}
        for i, flag in enumerate(sorted(used), 1):
            s = self.plan.population(flag)
            sets.append({"id": _id("AnalysisSet", flag), "name": s.name, "description":
                         s.definition, "level": 1, "order": i,
                         "condition": {"dataset": "ADSL", "variable": flag, "comparator": "EQ",
                                       "value": ["Y"]}})
        by_display = {t.display: t for t in self.tables}
        outputs, items = [], []
        for order, (display, analyses) in enumerate(self.plan.by_display().items(), 1):
            t = by_display[display]
            sub = []
            for a in analyses:
                sub += self.analysis(a)
            outputs.append(self.output(t, order))
            items.append({"name": f"{display} {t.title}", "level": 1, "order": order,
                          "outputId": _id("Output", t.file),
                          "sublist": {"listItems": [
                              {"name": name, "level": 2, "order": i, "analysisId": aid}
                              for i, (aid, name) in enumerate(sub, 1)]}})
        return {
            "id": _id("RE", self.study), "name": f"{self.study} analysis results",
            "description": f"Reporting event of study {self.study}: the analyses declared in its "
                           f"ADaM specs, with their results, written by cdisc_mapper "
                           f"{__version__}.",
            "version": 1,
            "mainListOfContents": {"name": "List of planned analyses and outputs",
                                   "contentsList": {"listItems": items}},
            "terminologyExtensions": [{"id": "TermExt_OutputFileType",
                                       "enumeration": "OutputFileTypeEnum", "sponsorTerms": [
                                           {"id": "SponsorTerm_html", "submissionValue": "html"},
                                           {"id": "SponsorTerm_csv", "submissionValue": "csv"}]}],
            "analysisSets": sets,
            "dataSubsets": self.subsets,
            "analysisGroupings": list(self.groupings.values()),
            "methods": self.methods,
            "analyses": self.analyses,
            "outputs": outputs,
        }

    def analysis(self, a: Analysis) -> list[tuple[str, str]]:
        part = self.ard[self.ard["analysis"] == a.id]
        trt, group_ids = self.treatment(a, part)

        def op_name(r) -> str:
            if a.kind in ("responders", "change"):
                row = "" if r.group == COMPARISON and a.kind == "responders" else r.row
                return f"{row}.{r.operation}" if row else r.operation
            if a.kind == "ae_by_severity":
                return f"{'events' if r.section.startswith('Events') else 'subjects'}." \
                       f"{r.operation}"
            return r.operation

        ops = list(dict.fromkeys(op_name(r) for r in part.itertuples(index=False)))
        mid = self.method(a, ops)
        out = []
        sections = [""] if a.kind == "ae_by_term" else \
            list(dict.fromkeys(s for s in part["section"] if s != ""))
        header = part[part["section"] == ""]
        for k, section in enumerate(sections, 1):
            rows = part[part["section"] != ""] if a.kind == "ae_by_term" else \
                part[part["section"] == section]
            rows = pd.concat([header, rows]) if k == 1 else rows
            aid = _id("An", a.id, section) if section else _id("An", a.id)
            clause, variable, cat = self.describe(a, section)
            groupings = [{"order": 1, "groupingId": trt, "resultsByGroup": True}]
            extra = []
            if cat:
                for i, var in enumerate(cat, 2):
                    gid = self.data_driven(a.dataset, var)
                    groupings.append({"order": i, "groupingId": gid, "resultsByGroup": True})
                    extra.append(gid)
            results = []
            for r in rows.itertuples(index=False):
                if r.value != r.value:             # NaN: the statistic does not exist
                    continue
                groups = []
                if r.group != COMPARISON:
                    groups.append({"groupingId": trt, "groupId": group_ids[r.group]})
                if extra and r.section != "":
                    values = self.category(a, r)
                    for gid, value in zip(extra, values):
                        if value is not None:
                            groups.append({"groupingId": gid, "groupValue": value})
                res = {"operationId": _id(mid, op_name(r)), "rawValue": _raw(r.value),
                       "formattedValue": _formatted(r.operation, r.value)}
                if groups:
                    res["resultGroups"] = groups
                results.append(res)
            entry = {"id": aid, "name": f"{a.title}" + (f": {section}" if section else ""),
                     "version": 1, "reason": {"controlledTerm": a.reason},
                     "purpose": {"controlledTerm": a.purpose}, "methodId": mid,
                     "dataset": a.dataset, "analysisSetId": _id("AnalysisSet", a.population),
                     "orderedGroupings": groupings, "results": results}
            if variable:
                entry["variable"] = variable
            dss = self.subset(a, section or "all", f"{a.title}: {section}" if section else a.title,
                              clause)
            if dss:
                entry["dataSubsetId"] = dss
            if a.test_method and section == a.test_visit:
                entry["description"] = f"Pre-specified test: {a.test_method.text}."
            self.analyses.append(entry)
            out.append((aid, section or a.title))
        return out

    def describe(self, a: Analysis, section: str) -> tuple[dict | None, str | None, list[str]]:
        """(data subset clause, analysis variable, data-driven grouping variables)."""
        if a.kind in ("responders", "change"):
            conds = [{"of": "PARAMCD", "equals": a.parameter}]
            if section != "Baseline":
                conds.append({"of": "AVISIT", "equals": section})
            else:
                conds.append({"of": "ABLFL", "equals": "Y"})
            var = "AVALC" if a.kind == "responders" else ("AVAL" if section == "Baseline"
                                                           else "CHG")
            return _where(a.dataset, {"all": conds}), var, []
        if a.kind == "summary":
            spec = next(s for s in a.variables if s.get("label", s["variable"]) == section)
            part = self.ard[(self.ard["analysis"] == a.id) & (self.ard["section"] == section)]
            categorical = set(part["row"]) != {spec["variable"]}
            return None, spec["variable"], [spec["variable"]] if categorical else []
        if a.kind in ("disposition", "ae_overview"):
            row = next(r for r in a.rows if r["label"] == section)
            return _where(a.dataset, row["where"]), "USUBJID", [row["by"]] if "by" in row else []
        if a.kind == "ae_by_term":
            return None, "USUBJID", list(a.levels)
        return None, a.severity, [a.severity]

    def category(self, a: Analysis, r) -> list[str | None]:
        if a.kind == "ae_by_term":
            if r.section == "Any TEAE":
                return [None, None]
            return [r.section, None if r.indent == 0 else r.row]
        if a.kind in ("disposition", "ae_overview"):
            return [None if r.indent == 0 else r.row]
        if a.kind == "summary":
            return [r.row]
        return [r.row]

    def output(self, t: Table, order: int) -> dict[str, Any]:
        did = _id("Disp", t.file)
        sections = [
            {"sectionType": "Title", "orderedSubSections": [
                {"order": i, "subSection": {"id": _id(did, "Title", i), "text": text}}
                for i, text in enumerate((t.display, t.title, t.population), 1)]},
            {"sectionType": "Rowlabel Header", "orderedSubSections": [
                {"order": 1, "subSection": {"id": _id(did, "RLbHd", 1),
                                            "text": t.header[0][0][0] or "Category"}}]},
            {"sectionType": "Footnote", "orderedSubSections": [
                {"order": i, "subSection": {"id": _id(did, "Footnote", i), "text": note}}
                for i, note in enumerate(t.footnotes, 1)]}]
        return {"id": _id("Output", t.file), "name": f"{t.display} {t.title}", "version": 1,
                "displays": [{"order": 1, "display": {
                    "id": did, "name": t.display, "version": 1, "displayTitle": t.title,
                    "displaySections": sections}}],
                "fileSpecifications": [
                    {"name": f"{t.file}.rtf", "fileType": {"controlledTerm": "rtf"},
                     "location": f"./{t.file}.rtf"},
                    {"name": f"{t.file}.html", "fileType": {"sponsorTermId": "SponsorTerm_html"},
                     "location": f"./{t.file}.html"},
                    {"name": f"{t.file}.csv", "fileType": {"sponsorTermId": "SponsorTerm_csv"},
                     "location": f"./{t.file}.csv"}]}


def reporting_event(study: str, plan: Plan, ard: pd.DataFrame, tables: list[Table]
                    ) -> dict[str, Any]:
    return _Event(study, plan, ard, tables).build()


def ars_json(event: dict[str, Any]) -> bytes:
    return (json.dumps(event, indent=1, ensure_ascii=False) + "\n").encode("utf-8")
