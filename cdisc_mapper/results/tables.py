"""The displays: each declared output laid out as a table, drawn from the ARD alone.

:func:`build_tables` turns the ARD and the plan into :class:`Table` objects (numbered title,
header rows with ``(N=xx)``, body rows, footnotes with the method and the population); the
writers (:mod:`.html`, :mod:`.rtf`, CSV in :mod:`cdisc_mapper.results`) only lay them out.
One statistic per row; percentages to one decimal; P values to three decimals (``<0.001``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..adam.reader import read_columns
from .ard import COMPARISON, TOTAL
from .plan import Analysis, Plan, pretty


@dataclass
class Row:
    cells: list[str]
    indent: int = 0
    section: bool = False          # a heading row (visit, variable, system organ class)


@dataclass
class Table:
    display: str                    # Table 14.2.1
    file: str                       # t14_2_1
    title: str
    population: str                 # the analysis set, as a subtitle
    header: list[list[tuple[str, int]]]   # header rows of (text, columns spanned)
    rows: list[Row]
    footnotes: list[str] = field(default_factory=list)
    analyses: tuple[str, ...] = ()

    @property
    def columns(self) -> int:
        return sum(span for _, span in self.header[-1])


def read_dataset(folder: Path, name: str) -> pd.DataFrame | None:
    """An ADaM dataset as written (blank text as missing), or None when the file is absent."""
    path = Path(folder) / f"{name.lower()}.xpt"
    if not path.is_file():
        return None
    df = read_columns(path)
    for c in df.columns:
        if isinstance(df[c].dtype, pd.CategoricalDtype):
            df[c] = pd.Series(df[c].astype(object).to_numpy(), index=df.index, dtype=object)
    return df


# ------------------------------------------------------------------------------ formatting

MINUS = "\u2212"


def num(v: float, digits: int = 1) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    text = f"{v:.{digits}f}"
    if text.startswith("-"):
        text = MINUS + text[1:] if float(text) != 0 else text[1:]
    return text


def pvalue(p: float) -> str:
    if p is None or math.isnan(p):
        return "–"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def n_pct(n: float, pct: float) -> str:
    if n == 0:
        return "0"
    return f"{int(n)} ({num(pct)})"


def ci(lo: float, hi: float, digits: int = 1) -> str:
    if math.isnan(lo) or math.isnan(hi):
        return "–"
    return f"({num(lo, digits)}, {num(hi, digits)})"


class _View:
    """The ARD values of one analysis, by (section, row, group, operation)."""

    def __init__(self, ard: pd.DataFrame, a: Analysis):
        part = ard[ard["analysis"] == a.id]
        self.part = part
        self.values = {(r.section, r.row, r.group, r.operation): r.value
                       for r in part.itertuples(index=False)}
        head = part[part["section"] == ""].sort_values("group_order")
        self.groups = [(g, int(o)) for g, o in zip(head["group"], head["group_order"])]
        self.big_n = {g: int(v) for g, v in zip(head["group"], head["value"])}
        body = part[part["section"] != ""]
        keys = body[["section", "section_order", "row", "row_order", "indent"]].drop_duplicates(
            ["section", "row"]).sort_values(["section_order", "row_order"], kind="stable")
        self.keys = list(keys.itertuples(index=False))

    def get(self, section: str, row: str, group: str, op: str) -> float:
        return self.values.get((section, row, group, op), float("nan"))

    def sections(self) -> list[str]:
        return list(dict.fromkeys(k.section for k in self.keys))


def _group_header(v: _View, span: int = 1) -> list[tuple[str, int]]:
    return [(f"{pretty(g)}\n(N={v.big_n[g]})", span) for g, _ in v.groups]


def _population_note(plan: Plan, a: Analysis) -> str:
    s = plan.population(a.population)
    return f"{s.name}: {s.definition} ({a.population} = 'Y'). N: subjects of the {s.name.lower()}."


def _software_note() -> str:
    import scipy
    import statsmodels
    return f"Statistics computed with statsmodels {statsmodels.__version__} and SciPy " \
           f"{scipy.__version__}."


# ----------------------------------------------------------------------------------- kinds

def _responders(plan: Plan, a: Analysis, v: _View) -> tuple[list, list[Row], list[str]]:
    gi, di, test = a.method("group_interval"), a.method("interval"), a.method("test")
    arms = [g for g, _ in v.groups]
    pct_ci = f"{a.level:.0%} CI"
    header = [[("Visit\n  Statistic", 1)] + _group_header(v)]
    two = len(arms) == 2
    if two:
        header[0].append((f"Difference, % points\n({pct_ci})", 1))
    if test:
        header[0].append(("P value", 1))
    rows, imputed = [], 0
    for section in v.sections():
        rows.append(Row([section] + [""] * (len(header[0]) - 1), section=True))
        cells = [f"Responders, n/N (%)"]
        for arm in arms:
            n, d, p = (v.get(section, "Responders", arm, op) for op in ("n", "denom", "pct"))
            imputed += int(v.get(section, "Responders", arm, "imputed") or 0)
            cells.append(f"{int(n)}/{int(d)} ({num(p)})")
        if two:
            diff = v.get(section, "Responders", COMPARISON, "diff")
            lo, hi = (v.get(section, "Responders", COMPARISON, op) for op in ("lcl", "ucl"))
            cells.append(f"{num(diff)} {ci(lo, hi)}" if di else num(diff))
        if test:
            cells.append(pvalue(v.get(section, "Responders", COMPARISON, "p"))
                         if section == a.test_visit else "")
        rows.append(Row(cells, indent=1))
        if gi:
            cells = [pct_ci]
            for arm in arms:
                cells.append(ci(v.get(section, "ci", arm, "lcl"), v.get(section, "ci", arm, "ucl")))
            rows.append(Row(cells + [""] * (len(header[0]) - len(cells)), indent=1))
    notes = [_population_note(plan, a),
             "n/N (%): responders / subjects with an analysis record at the visit (ANL01FL = 'Y')."]
    if imputed:
        notes.append("Subjects of the analysis set without an observed response at a visit with "
                     "imputation are counted as non-responders (records with DTYPE).")
    if gi:
        notes.append(f"{pct_ci} of each proportion: {gi.text}.")
    if two and di:
        notes.append(f"Difference: {pretty(arms[0])} minus {pretty(arms[1])}, with the {di.text}.")
    if test:
        notes.append(f"P value at {a.test_visit}: {test.text}; the pre-specified test of this "
                     "display.")
    return header, rows, notes


_DESC = (("n", "n"), ("Mean (SD)", "mean"), ("Median", "median"), ("Min, max", "min"))


def _describe_rows(v: _View, section: str, row: str, groups: list[str], digits: int
                   ) -> list[list[str]]:
    out = []
    for label, op in _DESC:
        cells = [label]
        for g in groups:
            get = lambda o: v.get(section, row, g, o)          # noqa: E731
            if op == "n":
                cells.append(str(int(get("n"))))
            elif op == "mean":
                cells.append(f"{num(get('mean'), digits)} ({num(get('sd'), digits + 1)})")
            elif op == "median":
                cells.append(num(get("median"), digits))
            else:
                lo, hi = get("min"), get("max")
                whole = all(math.isnan(x) or float(x).is_integer() for x in (lo, hi))
                d = 0 if whole else digits
                cells.append(f"{num(lo, d)}, {num(hi, d)}")
        out.append(cells)
    return out


def _change(plan: Plan, a: Analysis, v: _View) -> tuple[list, list[Row], list[str]]:
    di, model = a.method("interval"), a.method("model")
    test = a.test_method if a.test_visit else None
    arms = [g for g, _ in v.groups]
    two = len(arms) == 2
    header = [[("Visit\n  Statistic", 1)] + _group_header(v)]
    if two:
        what = "Difference in LS means" if model else "Difference in means"
        header[0].append((f"{what}\n({a.level:.0%} CI)", 1))
    if test:
        header[0].append(("P value", 1))
    width = len(header[0])
    rows = []
    for section in v.sections():
        var = "AVAL" if section == "Baseline" else "CHG"
        title = "Baseline value" if var == "AVAL" else f"{section}: change from baseline"
        rows.append(Row([title] + [""] * (width - 1), section=True))
        blocks = _describe_rows(v, section, var, arms, 1)
        if model and var == "CHG":
            blocks.append(["LS mean (SE)"] + [
                f"{num(v.get(section, var, g, 'lsmean'))} "
                f"({num(v.get(section, var, g, 'lsmean_se'), 2)})" for g in arms])
        estimate_row = "LS mean (SE)" if model else "Mean (SD)"
        for cells in blocks:
            extra = [""] * (width - len(cells))
            if cells[0] == estimate_row and var == "CHG":
                diff = v.get(section, var, COMPARISON, "diff")
                lo, hi = v.get(section, var, COMPARISON, "lcl"), v.get(section, var, COMPARISON,
                                                                         "ucl")
                if two:
                    extra[0] = f"{num(diff)} {ci(lo, hi)}" if (di or model) else num(diff)
                if test and section == a.test_visit:
                    extra[-1] = pvalue(v.get(section, var, COMPARISON, "p"))
            rows.append(Row(cells + extra, indent=1))
    notes = [_population_note(plan, a),
             "Observed analysis records (ANL01FL = 'Y'); change from baseline = AVAL − BASE."]
    if two and model:
        notes.append(f"LS mean: least-squares mean of the change at the mean baseline value; "
                     f"difference: {pretty(arms[0])} minus {pretty(arms[1])}, from the "
                     f"{model.text}.")
    elif two:
        notes.append(f"Difference: {pretty(arms[0])} minus {pretty(arms[1])}"
                     + (f", with the {di.text}." if di else "."))
    if test and model:
        notes.append(f"P value at {a.test_visit}: the treatment term of the ANCOVA; the "
                     "pre-specified test of this display.")
    elif test:
        notes.append(f"P value at {a.test_visit}: {test.text}; the pre-specified test of this "
                     "display.")
    return header, rows, notes


def _summary(plan: Plan, a: Analysis, v: _View) -> tuple[list, list[Row], list[str]]:
    groups = [g for g, _ in v.groups]
    header = [[("Characteristic", 1)] + _group_header(v)]
    rows = []
    specs = {s.get("label", s["variable"]): s for s in a.variables}
    for section in v.sections():
        spec = specs[section]
        rows.append(Row([section] + [""] * len(groups), section=True))
        keys = [k for k in v.keys if k.section == section]
        if len(keys) == 1 and keys[0].row == spec["variable"]:
            for cells in _describe_rows(v, section, spec["variable"], groups,
                                        int(spec.get("decimals", 1))):
                rows.append(Row(cells, indent=1))
            continue
        values = spec.get("values") or {}
        for k in keys:
            label = pretty(values.get(k.row, k.row))
            rows.append(Row([f"{label}, n (%)"] + [
                n_pct(v.get(section, k.row, g, "n"), v.get(section, k.row, g, "pct"))
                for g in groups], indent=1))
    notes = [_population_note(plan, a), "Percentages of N; SD: standard deviation."]
    return header, rows, notes


def _counts(plan: Plan, a: Analysis, v: _View, events: bool
            ) -> tuple[list, list[Row], list[str]]:
    groups = [g for g, _ in v.groups]
    if events:
        header = [[("", 1)] + _group_header(v, 2),
                  [("", 1)] + [(t, 1) for _ in groups for t in ("n (%)", "E")]]
    else:
        stub = (_TERM_STUB if len(a.levels) == 2 else "System organ class") \
            if a.kind == "ae_by_term" else ""
        header = [[(stub, 1)] + _group_header(v)]
    rows = []
    for k in v.keys:
        cells = [pretty(k.row)]
        for g in groups:
            cells.append(n_pct(v.get(k.section, k.row, g, "n"), v.get(k.section, k.row, g, "pct")))
            if events:
                cells.append(str(int(v.get(k.section, k.row, g, "events"))))
        section = a.kind == "ae_by_term" and k.indent == 0
        rows.append(Row(cells, indent=int(k.indent), section=section))
    notes = [_population_note(plan, a)]
    if a.records:
        from ..adam.conditions import describe
        notes.append(f"Records: {describe(a.records)}.")
    if a.kind == "ae_overview":
        notes.append("n (%): subjects with at least one such event (percentage of N); "
                     "E: number of events.")
    elif a.kind == "ae_by_term":
        notes.append("n (%): subjects with at least one event (percentage of N); a subject is "
                     "counted once per system organ class and once per preferred term. Sorted by "
                     "decreasing frequency in the Total column. Terms as coded in "
                     f"{' and '.join(a.levels)}.")
    else:
        notes.append("Percentages of N.")
    return header, rows, notes


_TERM_STUB = "System organ class\n  Preferred term"


def _term_severity(plan: Plan, a: Analysis, v: _View) -> tuple[list, list[Row], list[str]]:
    """SOC and PT rows; per group, the subjects at each highest severity of that row."""
    groups = [g for g, _ in v.groups]
    levels = list(a.severity_order)
    header = [[("", 1)] + _group_header(v, len(levels)),
              [(_TERM_STUB if len(a.levels) == 2 else "System organ class", 1)]
              + [(level.capitalize(), 1) for _ in groups for level in levels]]
    rows = []
    for k in v.keys:
        cells = [pretty(k.row)]
        for g in groups:
            for level in levels:
                cells.append(n_pct(v.get(k.section, k.row, g, f"n_{level}"),
                                   v.get(k.section, k.row, g, f"pct_{level}")))
        rows.append(Row(cells, indent=int(k.indent), section=k.indent == 0))
    notes = [_population_note(plan, a)]
    if a.records:
        from ..adam.conditions import describe
        notes.append(f"Records: {describe(a.records)}.")
    notes.append(f"n (%): subjects by the highest severity ({a.severity}) of their events in "
                 "the row (percentage of N); a subject is counted once per system organ class "
                 "and once per preferred term. Rows as in the table by system organ class and "
                 f"preferred term, by decreasing frequency in the Total column. Terms as coded in "
                 f"{' and '.join(a.levels)}.")
    return header, rows, notes


def _severity(plan: Plan, a: Analysis, v: _View) -> tuple[list, list[Row], list[str]]:
    groups = [g for g, _ in v.groups]
    header = [[(f"Severity ({a.severity})", 1)] + _group_header(v)]
    rows = []
    for section in v.sections():
        rows.append(Row([section] + [""] * len(groups), section=True))
        for k in [k for k in v.keys if k.section == section]:
            op = "events" if section.startswith("Events") else "n"
            what = "E (%)" if op == "events" else "n (%)"
            cells = [f"{str(k.row).capitalize()}, {what}"] + [n_pct(v.get(section, k.row, g, op),
                                                 v.get(section, k.row, g, "pct")) for g in groups]
            rows.append(Row(cells, indent=1))
    notes = [_population_note(plan, a)]
    if a.records:
        from ..adam.conditions import describe
        notes.append(f"Records: {describe(a.records)}.")
    notes.append("n (%): subjects, counted once at the highest severity of their events "
                 "(percentage of N); E (%): events, as a percentage of all events of the group.")
    return header, rows, notes


_KIND = {"responders": _responders, "change": _change, "summary": _summary,
         "ae_by_severity": _severity}


def build_tables(plan: Plan, ard: pd.DataFrame) -> list[Table]:
    tables = []
    for display, analyses in plan.by_display().items():
        a = analyses[0]
        v = _View(ard, a)
        if a.kind == "ae_by_term" and a.severity:
            header, rows, notes = _term_severity(plan, a, v)
        elif a.kind in _KIND:
            header, rows, notes = _KIND[a.kind](plan, a, v)
        else:
            header, rows, notes = _counts(plan, a, v, events=a.kind == "ae_overview")
        software = f" {_software_note()}" if any(x.methods for x in analyses) else ""
        notes = notes + list(a.footnotes) + [f"Source: {a.dataset}; analysis {a.id}.{software}"]
        s = plan.population(a.population)
        tables.append(Table(display, a.display_id, a.title, s.name, header, rows, notes,
                            tuple(x.id for x in analyses)))
    return tables


def result_statement(plan: Plan, ard: pd.DataFrame, a: Analysis) -> str:
    """The pre-specified result of an analysis in one sentence, from the ARD (the ARM of
    define.xml, the ARS analysis and the README say it in these words)."""
    v = _View(ard, a)
    arms = [g for g, _ in v.groups]
    visit, test = a.test_visit, a.test_method
    if test is None or visit is None or len(arms) != 2:
        return ""
    level = f"{a.level:.0%} CI"
    if a.kind == "responders":
        parts = []
        for arm in arms:
            n, d, p = (v.get(visit, "Responders", arm, op) for op in ("n", "denom", "pct"))
            parts.append(f"{pretty(arm)} {int(n)}/{int(d)} ({num(p)}%)")
        diff, lo, hi = (v.get(visit, "Responders", COMPARISON, op) for op in ("diff", "lcl", "ucl"))
        p = v.get(visit, "Responders", COMPARISON, "p")
        est = f"difference {num(diff)} percentage points"
    else:
        parts = []
        for arm in arms:
            m = v.get(visit, "CHG", arm, "lsmean" if a.model else "mean")
            n = v.get(visit, "CHG", arm, "n")
            what = "LS mean change" if a.model else "mean change"
            parts.append(f"{pretty(arm)} {what} {num(m)} (n={int(n)})")
        diff, lo, hi = (v.get(visit, "CHG", COMPARISON, op) for op in ("diff", "lcl", "ucl"))
        p = v.get(visit, "CHG", COMPARISON, "p")
        est = f"difference in LS means {num(diff)}" if a.model else \
            f"difference in means {num(diff)}"
    ci_text = f" ({level} {num(lo)} to {num(hi)})" if a.interval_method else ""
    return (f"{a.parameter} at {visit}: {' vs '.join(parts)}; {est}{ci_text}; "
            f"{test.name} P = {pvalue(p)}.")
