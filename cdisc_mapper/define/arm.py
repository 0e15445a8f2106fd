"""Analysis Results Metadata (ARM 1.0) of an analysis define.xml.

The result displays are the analyses declared in the study's ADaM specs that carry a
pre-specified test (:func:`declared_displays`): their display id and title, reason and purpose,
parameter, visit and population, the method in the words of the method vocabulary and the result
as computed from the data of the package, i.e. what the results tables and the ARS reporting
event state.  A study define file may instead list ``analysis_results:`` by hand; then those are
used as written.

Each result display becomes an
``arm:ResultDisplay`` with its ``arm:AnalysisResult`` elements: the analysis reason and purpose, the
parameter, the datasets with the records selected (a ``def:WhereClauseDef`` such as
``PARAMCD = 'EASI50' and AVISIT = 'Week 12'``) and the analysis variables, the documentation and
the programming code.  Every dataset, variable and value named there is checked against the specs
and the data of the package: a result that names something the package does not have is an error
at its line in the define file, never a dangling reference.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import MappingError
from . import oids
from .studyinfo import AnalysisResult, DocRef, ResultDataset, ResultDisplay
from .xml import description, el

if TYPE_CHECKING:                                   # pragma: no cover
    from .build import DefineBuilder, Model


class ArmBuilder:
    def __init__(self, builder: "DefineBuilder", model: "Model"):
        self.b = builder
        self.model = model
        self.displays: list[ResultDisplay] = []
        self.documents_used: set[str] = set()
        self.where: dict[tuple[str, str, str], str] = {}
        self.comments: dict[tuple[str, str], str | None] = {}

    # ------------------------------------------------------------------ checks

    def _item(self, doc, path, ds: str, var: str) -> str:
        spec = self.b.specs[ds]
        if spec.variable(var) is None:
            raise doc.error(path, f"dataset {ds} has no variable {var} (variables: "
                                  f"{', '.join(spec.names)})")
        return oids.item(ds, var)

    def _dataset(self, doc, path, ds: str) -> None:
        if ds not in self.b.specs:
            raise doc.error(path, f"the analysis package has no dataset {ds} (datasets: "
                                  f"{', '.join(sorted(self.b.specs)) or 'none'})")

    def build(self, displays: tuple[ResultDisplay, ...]) -> None:
        for disp in displays:
            for r in disp.results:
                doc = r.doc
                if r.parameter:
                    pds, pvar = r.parameter.split(".")
                    self._dataset(doc, ("parameter",), pds)
                    self._item(doc, ("parameter",), pds, pvar)
                for k, rd in enumerate(r.datasets):
                    self._dataset(doc, ("datasets", k, "dataset"), rd.dataset)
                    df = self.b.data[rd.dataset]
                    mask = None
                    for var, values in rd.where:
                        self._item(doc, ("datasets", k, "where", var), rd.dataset, var)
                        hit = df[var].astype("string").isin(values).fillna(False)
                        mask = hit if mask is None else mask & hit
                    if mask is not None and not mask.any():
                        cond = " and ".join(f"{v} in ({', '.join(vals)})" for v, vals in rd.where)
                        raise doc.error(("datasets", k, "where"), f"no record of {rd.dataset} "
                                        f"has {cond}")
                    for n, var in enumerate(rd.variables):
                        self._item(doc, ("datasets", k, "variables", n), rd.dataset, var)
                    if rd.where:
                        wc = oids.join("WC", disp.name, r.id, rd.dataset)
                        from .build import WhereClause
                        self.model.where_clauses[wc] = WhereClause(wc, tuple(
                            (oids.item(rd.dataset, var), "EQ" if len(vals) == 1 else "IN", vals)
                            for var, vals in rd.where))
                        self.where[(disp.name, r.id, rd.dataset)] = wc
                if r.join:
                    self.comments[(disp.name, r.id)] = self.b.defs.comment(
                        "arm", r.join, "ARM", disp.name, r.id)
        self.displays = list(displays)

    # ------------------------------------------------------------------ XML

    def _refs(self, parent, refs: tuple[DocRef, ...]) -> None:
        for ref in refs:
            d = self.b.documents.get(ref.document)
            if d is None:                  # declared, but not in this package's folder
                continue
            self.documents_used.add(d.key)
            e = el(parent, "def:DocumentRef", {"leafID": oids.leaf(d.key)})
            if ref.pages is not None or ref.title:
                pages = str(ref.pages) if ref.pages is not None else None
                kind = ("PhysicalRef" if pages is None or all(p.isdigit() for p in pages.split())
                        else "NamedDestination")
                el(e, "def:PDFPageRef", {"PageRefs": pages, "Type": kind, "Title": ref.title})

    def element(self):
        root = el(None, "arm:AnalysisResultDisplays")
        for disp in self.displays:
            rd = el(root, "arm:ResultDisplay", {"OID": oids.result_display(disp.name),
                                                "Name": disp.name})
            description(rd, disp.title)
            self._refs(rd, disp.refs)
            for r in disp.results:
                param = None
                if r.parameter:
                    pds, pvar = r.parameter.split(".")
                    param = oids.item(pds, pvar)
                ar = el(rd, "arm:AnalysisResult", {
                    "OID": oids.analysis_result(disp.name, r.id), "ParameterOID": param,
                    "AnalysisReason": r.reason, "AnalysisPurpose": r.purpose})
                description(ar, r.description)
                ads = el(ar, "arm:AnalysisDatasets",
                         {"def:CommentOID": self.comments.get((disp.name, r.id))})
                for d in r.datasets:
                    a = el(ads, "arm:AnalysisDataset", {"ItemGroupOID": oids.item_group(d.dataset)})
                    wc = self.where.get((disp.name, r.id, d.dataset))
                    if wc:
                        el(a, "def:WhereClauseRef", {"WhereClauseOID": wc})
                    for var in d.variables:
                        el(a, "arm:AnalysisVariable", {"ItemOID": oids.item(d.dataset, var)})
                if r.documentation:
                    doc = el(ar, "arm:Documentation")
                    description(doc, r.documentation)
                    self._refs(doc, r.documentation_refs)
                if r.code or r.code_refs:
                    pc = el(ar, "arm:ProgrammingCode", {"Context": r.code_context or None})
                    if r.code:
                        el(pc, "arm:Code", text=r.code)
                    self._refs(pc, r.code_refs)
        return root


def declared_displays(study, data: dict) -> tuple[ResultDisplay, ...]:
    """One ResultDisplay per declared analysis with a pre-specified test, its result computed
    from ``data`` (the datasets of the package) by the same code as the results tables."""
    if study is None or not (study.doc.data.get("study") or {}).get("analysis"):
        return ()
    from .. import __version__
    from ..results import study_plan
    from ..results.ard import compute_ard
    from ..results.plan import Plan, pretty
    from ..results.tables import result_statement

    plan = study_plan(study)
    tested = [a for a in plan.analyses if a.test_method and a.test_visit
              and a.kind in ("responders", "change")]
    if not tested or any(a.dataset not in data for a in tested) or "ADSL" not in data:
        return ()
    sub = Plan(tested, plan.sets)
    ard = compute_ard(sub, data)
    out = []
    for a in tested:
        s = plan.population(a.population)
        var = ("AVALC",) if a.kind == "responders" else ("CHG", "BASE") if a.model else ("CHG",)
        methods = list(a.methods)
        doc = (f"{a.title}, {a.parameter} at {a.test_visit}, {s.name} ({s.definition}; ADSL."
               f"{a.population} = 'Y'), by {a.treatment}. Methods: "
               + "; ".join(m.text for m in methods) + ". Result: "
               + result_statement(sub, ard, a))
        code = "\n".join(m.code for m in methods)
        where = ((("PARAMCD", (a.parameter,)), ("AVISIT", (a.test_visit,)))
                 + ((("ANL01FL", ("Y",)),) if "ANL01FL" in data[a.dataset].columns else ()))
        result = AnalysisResult(
            id=a.id, description=f"{a.title}: {a.parameter} at {a.test_visit}, "
                                 f"{' vs '.join(pretty(x) for x in _arms(ard, a.id))}",
            reason=a.reason, purpose=a.purpose,
            datasets=(ResultDataset(a.dataset, where, (*var, a.treatment)),
                      ResultDataset("ADSL", ((a.population, ("Y",)),), (a.population,))),
            parameter=f"{a.dataset}.PARAMCD", documentation=doc,
            code_context=f"cdisc_mapper {__version__} (Python; statsmodels and SciPy)",
            code=code, doc=a.doc.sub(("analyses", a.id)) if a.doc is not None else None)
        out.append(ResultDisplay(a.display, a.title, (result,), doc=result.doc))
    return tuple(out)


def _arms(ard, analysis: str) -> list[str]:
    head = ard[(ard["analysis"] == analysis) & (ard["section"] == "")]
    return list(head.sort_values("group_order")["group"])


__all__ = ["ArmBuilder", "MappingError", "declared_displays"]
