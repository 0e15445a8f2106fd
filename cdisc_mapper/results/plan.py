"""The analyses of a study, declared once in its ADaM specs.

Each ADaM spec may carry an ``analyses:`` mapping (analysis id -> declaration) and ADSL an
``analysis_sets:`` mapping (population flag -> name and definition)::

    analysis_sets:                                  # in adsl.yaml
      FASFL: {name: Full analysis set, definition: randomised subjects with a baseline EASI}
    analyses:                                       # in adeff.yaml
      easi50:
        kind: responders
        display: Table 14.2.1
        title: EASI-50 response by visit
        population: FASFL
        treatment: TRTP
        parameter: EASI50
        visits: [Week 4, Week 8, Week 12, Week 16, Week 24]
        reason: SPECIFIED IN PROTOCOL
        purpose: PRIMARY OUTCOME MEASURE
        method: {interval: newcombe, group_interval: clopper-pearson,
                 test: chi-square-corrected, test_visit: Week 12}
      dlqi_change:
        kind: change
        ...
        method: {model: ancova, test_visit: Week 12}   # estimate, interval and P of one model

The results tables, the ARS reporting event, the Analysis Results Metadata of define.xml and the
README's numbers all read this plan: the method is named here and nowhere else.  A study's
``analysis_overrides`` changes single keys of an analysis (``analyses: {easi50: {method:
{test: chi-square}}}`` merges into the shared declaration; ``null`` removes an analysis).

The vocabulary of methods is closed (:data:`METHODS`): each entry says what it computes in words
(the footnote, the ARM documentation and the ARS method description are that text) and which
library call computes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..adam.conditions import CONDITION
from ..errors import MappingError
from ..mapping.yamlfile import Located

KINDS = ("disposition", "summary", "responders", "change", "ae_overview", "ae_by_term",
         "ae_by_severity")
REASONS = ("SPECIFIED IN PROTOCOL", "SPECIFIED IN SAP", "DATA DRIVEN",
           "REQUESTED BY REGULATORY AGENCY")
PURPOSES = ("PRIMARY OUTCOME MEASURE", "SECONDARY OUTCOME MEASURE", "EXPLORATORY OUTCOME MEASURE")


@dataclass(frozen=True)
class Method:
    id: str
    role: str              # test | interval (of a difference) | group_interval (of one group)
    #                        | model (one model gives the estimate, its interval and the test)
    applies: tuple[str, ...]
    name: str              # short name, for table headers
    text: str              # what it is, for footnotes, ARM and ARS
    code: str              # the library call


METHODS: dict[str, Method] = {m.id: m for m in (
    Method("chi-square", "test", ("responders",), "Pearson chi-square",
           "two-sided Pearson chi-square test without continuity correction",
           "scipy.stats.chi2_contingency(table, correction=False)"),
    Method("chi-square-corrected", "test", ("responders",),
           "Chi-square with continuity correction",
           "two-sided chi-square test with Yates' continuity correction",
           "scipy.stats.chi2_contingency(table, correction=True)"),
    Method("fisher-exact", "test", ("responders",), "Fisher's exact test",
           "two-sided Fisher's exact test", "scipy.stats.fisher_exact(table)"),
    Method("welch-t", "test", ("change",), "Welch t-test",
           "two-sided Welch two-sample t-test (unequal variances)",
           "scipy.stats.ttest_ind(a, b, equal_var=False)"),
    Method("student-t", "test", ("change",), "Two-sample t-test",
           "two-sided two-sample t-test with pooled variance",
           "scipy.stats.ttest_ind(a, b, equal_var=True)"),
    Method("wilcoxon-rank-sum", "test", ("change",), "Wilcoxon rank-sum test",
           "two-sided Wilcoxon rank-sum (Mann-Whitney U) test",
           "scipy.stats.mannwhitneyu(a, b, alternative='two-sided')"),
    Method("newcombe", "interval", ("responders",), "Newcombe",
           "Newcombe hybrid score confidence interval of the difference in proportions",
           "statsmodels.stats.proportion.confint_proportions_2indep(x1, n1, x2, n2, "
           "method='newcomb', compare='diff')"),
    Method("wald", "interval", ("responders",), "Wald",
           "Wald confidence interval of the difference in proportions",
           "statsmodels.stats.proportion.confint_proportions_2indep(x1, n1, x2, n2, "
           "method='wald', compare='diff')"),
    Method("agresti-caffo", "interval", ("responders",), "Agresti-Caffo",
           "Agresti-Caffo confidence interval of the difference in proportions",
           "statsmodels.stats.proportion.confint_proportions_2indep(x1, n1, x2, n2, "
           "method='agresti-caffo', compare='diff')"),
    Method("welch", "interval", ("change",), "Welch",
           "confidence interval of the difference in means with Welch's unequal-variance "
           "t distribution",
           "statsmodels.stats.weightstats.CompareMeans.from_data(a, b)"
           ".tconfint_diff(usevar='unequal')"),
    Method("pooled", "interval", ("change",), "pooled t",
           "confidence interval of the difference in means with the pooled-variance t "
           "distribution",
           "statsmodels.stats.weightstats.CompareMeans.from_data(a, b)"
           ".tconfint_diff(usevar='pooled')"),
    Method("ancova", "model", ("change",), "ANCOVA",
           "analysis of covariance of the change from baseline with treatment as factor and "
           "the baseline value as covariate (ordinary least squares); the between-arm "
           "estimate is the difference in least-squares means with its t-based confidence "
           "interval, the two-sided P value that of the treatment term",
           "statsmodels.regression.linear_model.OLS(CHG, [1, arm, BASE]).fit()"),
    Method("clopper-pearson", "group_interval", ("responders",), "Clopper-Pearson",
           "Clopper-Pearson exact confidence interval of each proportion",
           "statsmodels.stats.proportion.proportion_confint(x, n, method='beta')"),
    Method("wilson", "group_interval", ("responders",), "Wilson",
           "Wilson score confidence interval of each proportion",
           "statsmodels.stats.proportion.proportion_confint(x, n, method='wilson')"),
)}


def _methods(role: str) -> list[str]:
    return [m.id for m in METHODS.values() if m.role == role]


_NAME = {"type": "string", "pattern": "^[A-Z][A-Z0-9_]{0,7}$"}
_TEXT = {"type": "string", "minLength": 1}
_ROW = {"type": "object", "additionalProperties": False, "required": ["label", "where"],
        "properties": {"label": _TEXT, "where": {"$ref": "#/$defs/condition"},
                       "by": {**_NAME, "description": "one sub-row per value of this variable"}}}
_VARIABLE = {"type": "object", "additionalProperties": False, "required": ["variable"],
             "properties": {
                 "variable": _NAME, "label": _TEXT,
                 "type": {"enum": ["continuous", "categorical"]},
                 "decimals": {"type": "integer", "minimum": 0, "maximum": 4},
                 "values": {"type": "object", "additionalProperties": _TEXT,
                            "description": "display text of coded values"}}}

ANALYSIS_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "required": ["kind", "display", "title", "population", "treatment"],
    "properties": {
        "kind": {"enum": list(KINDS)},
        "display": {"type": "string", "pattern": "^(Table|Figure|Listing) [0-9]+(\\.[0-9]+)*$",
                    "description": "the output's number, e.g. Table 14.2.1"},
        "title": _TEXT,
        "population": {**_NAME, "description": "the ADSL flag (= Y) of the analysis set"},
        "treatment": {**_NAME, "description": "the treatment variable; <name>N orders the arms"},
        "total": {"type": "boolean", "description": "add a Total column"},
        "reason": {"enum": list(REASONS)},
        "purpose": {"enum": list(PURPOSES)},
        "records": {"$ref": "#/$defs/condition"},
        "parameter": {"type": "string", "minLength": 1},
        "visits": {"type": "array", "items": _TEXT, "minItems": 1},
        "variables": {"type": "array", "items": _VARIABLE, "minItems": 1},
        "rows": {"type": "array", "items": _ROW, "minItems": 1},
        "levels": {"type": "array", "items": _NAME, "minItems": 1, "maxItems": 2},
        "severity": _NAME,
        "severity_order": {"type": "array", "items": _TEXT, "minItems": 1},
        "method": {"type": "object", "additionalProperties": False, "properties": {
            "test": {"enum": _methods("test")},
            "test_visit": _TEXT,
            "interval": {"enum": _methods("interval")},
            "group_interval": {"enum": _methods("group_interval")},
            "model": {"enum": _methods("model")},
            "level": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}}},
        "footnotes": {"type": "array", "items": _TEXT},
    },
}
ANALYSIS_SET_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False, "required": ["name", "definition"],
    "properties": {"name": _TEXT, "definition": _TEXT}}

#: The keys an ADaM spec may carry for the analyses (see adam/schema.py).
SPEC_KEYS = {
    "analyses": {"type": "object", "propertyNames": {"pattern": "^[a-z][a-z0-9_]*$"},
                 "additionalProperties": {"$ref": "#/$defs/analysis"}},
    "analysis_sets": {"type": "object", "propertyNames": _NAME,
                      "additionalProperties": {"$ref": "#/$defs/analysis_set"}},
}
SPEC_DEFS = {"analysis": ANALYSIS_SCHEMA, "analysis_set": ANALYSIS_SET_SCHEMA,
             "condition": CONDITION}

# what each kind needs, and the defaults it has
_NEEDS = {"responders": ("parameter",), "change": ("parameter",),
          "summary": ("variables",), "disposition": ("rows",), "ae_overview": ("rows",),
          "ae_by_term": ("levels",), "ae_by_severity": ("severity",)}
_TOTAL = {"disposition": True, "summary": True, "ae_overview": True, "ae_by_term": True,
          "ae_by_severity": True}


@dataclass(frozen=True)
class AnalysisSet:
    flag: str
    name: str
    definition: str


@dataclass(frozen=True)
class Analysis:
    id: str
    dataset: str
    kind: str
    display: str
    title: str
    population: str
    treatment: str
    total: bool
    reason: str
    purpose: str
    records: dict | None = None
    parameter: str | None = None
    visits: tuple[str, ...] = ()
    variables: tuple[dict, ...] = ()
    rows: tuple[dict, ...] = ()
    levels: tuple[str, ...] = ()
    severity: str | None = None
    severity_order: tuple[str, ...] = ("MILD", "MODERATE", "SEVERE")
    test: str | None = None
    test_visit: str | None = None
    interval: str | None = None
    group_interval: str | None = None
    model: str | None = None
    level: float = 0.95
    footnotes: tuple[str, ...] = ()
    doc: Located | None = field(default=None, compare=False, repr=False)

    @property
    def display_id(self) -> str:
        """``Table 14.2.1`` -> ``t14_2_1``: the file names of the output."""
        kind, number = self.display.split(" ", 1)
        return kind[0].lower() + number.replace(".", "_")

    @property
    def sort_key(self) -> tuple:
        kind, number = self.display.split(" ", 1)
        return (kind, tuple(int(x) for x in number.split(".")))

    def method(self, role: str) -> Method | None:
        key = {"test": self.test, "interval": self.interval,
               "group_interval": self.group_interval, "model": self.model}[role]
        return METHODS[key] if key else None

    @property
    def methods(self) -> tuple[Method, ...]:
        """The declared methods, in the order footnotes and metadata name them."""
        return tuple(m for m in (self.method(r) for r in ("group_interval", "interval", "test",
                                                           "model")) if m)

    @property
    def test_method(self) -> Method | None:
        """What gives the pre-specified P value: the test, or the model."""
        return self.method("test") or self.method("model")

    @property
    def interval_method(self) -> Method | None:
        """What gives the interval of the between-arm estimate: the interval, or the model."""
        return self.method("interval") or self.method("model")

    def error(self, path: tuple, message: str) -> MappingError:
        if self.doc is None:
            return MappingError(message)
        return self.doc.error(path, message)


@dataclass
class Plan:
    """Every declared analysis of a study, in display order, and the analysis sets."""

    analyses: list[Analysis]
    sets: dict[str, AnalysisSet]

    def by_display(self) -> dict[str, list[Analysis]]:
        out: dict[str, list[Analysis]] = {}
        for a in self.analyses:
            out.setdefault(a.display, []).append(a)
        return out

    def population(self, flag: str) -> AnalysisSet:
        return self.sets.get(flag) or AnalysisSet(flag, f"{flag} = Y", f"subjects with {flag} = Y")


def load_plan(specs: dict) -> Plan:
    """The analyses declared in the ADaM specs (``loader.AdamSpec`` by dataset name)."""
    sets: dict[str, AnalysisSet] = {}
    analyses: list[Analysis] = []
    for name in sorted(specs):
        spec = specs[name]
        data = spec.doc.data
        for flag, s in (data.get("analysis_sets") or {}).items():
            sets[flag] = AnalysisSet(flag, s["name"], s["definition"])
        for aid, a in (data.get("analyses") or {}).items():
            if a is None:
                continue
            analyses.append(_analysis(spec, aid, a))
    seen: dict[str, Analysis] = {}
    for a in analyses:
        if a.display in seen and seen[a.display].kind != a.kind:
            raise a.error(("analyses", a.id, "display"), f"{a.display} is also the display of "
                          f"analysis '{seen[a.display].id}' of another kind")
        seen.setdefault(a.display, a)
    for a in analyses:
        if a.population not in sets:
            raise a.error(("analyses", a.id, "population"), f"population {a.population} is not "
                          f"an analysis set of ADSL (declared: {', '.join(sets) or 'none'})")
    analyses.sort(key=lambda a: (a.sort_key, a.id))
    return Plan(analyses, sets)


def _analysis(spec, aid: str, a: dict[str, Any]) -> Analysis:
    doc = spec.doc
    kind = a["kind"]
    path = ("analyses", aid)
    for key in _NEEDS.get(kind, ()):
        if key not in a:
            raise doc.error(path + ("kind",), f"analysis '{aid}' of kind {kind} needs '{key}'")
    m = a.get("method") or {}
    for role in ("test", "interval", "group_interval", "model"):
        if role in m and kind not in METHODS[m[role]].applies:
            raise doc.error(path + ("method", role), f"method {m[role]} is for "
                            f"{' and '.join(METHODS[m[role]].applies)} analyses, not {kind}")
    if "model" in m:
        both = [r for r in ("test", "interval") if r in m]
        if both:
            raise doc.error(path + ("method", both[0]), f"analysis '{aid}': the model "
                            f"{m['model']} gives the estimate, its interval and the P value; "
                            f"drop '{both[0]}'")
    if "test" in m and "test_visit" not in m:
        raise doc.error(path + ("method", "test"), f"analysis '{aid}': say at which visit the "
                        "pre-specified test is done (test_visit)")
    if "test_visit" in m and "visits" in a and m["test_visit"] not in a["visits"]:
        raise doc.error(path + ("method", "test_visit"), f"test_visit {m['test_visit']!r} is not "
                        f"one of the visits of analysis '{aid}'")
    return Analysis(
        id=aid, dataset=spec.name, kind=kind, display=a["display"], title=a["title"],
        population=a["population"], treatment=a["treatment"],
        total=a.get("total", _TOTAL.get(kind, False)),
        reason=a.get("reason", "SPECIFIED IN SAP"),
        purpose=a.get("purpose", "SECONDARY OUTCOME MEASURE"),
        records=a.get("records"), parameter=a.get("parameter"),
        visits=tuple(a.get("visits") or ()), variables=tuple(a.get("variables") or ()),
        rows=tuple(a.get("rows") or ()), levels=tuple(a.get("levels") or ()),
        severity=a.get("severity"),
        severity_order=tuple(a.get("severity_order") or ("MILD", "MODERATE", "SEVERE")),
        test=m.get("test"), test_visit=m.get("test_visit"), interval=m.get("interval"),
        group_interval=m.get("group_interval"), model=m.get("model"),
        level=float(m.get("level", 0.95)),
        footnotes=tuple(a.get("footnotes") or ()), doc=doc)


_SUPER = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def pretty(text: str) -> str:
    """Display text of a data value: ``5x10^5`` -> ``5×10⁵`` (the data keep ASCII)."""
    text = re.sub(r"(\d)\s*[xX]\s*10\^(-?\d+)",
                  lambda m: f"{m.group(1)}×10{m.group(2).translate(_SUPER)}", str(text))
    return text.replace(">=", "≥").replace("<=", "≤")
