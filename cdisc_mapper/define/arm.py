"""Analysis Results Metadata (ARM 1.0) of an analysis define.xml.

Each result display of the study's define file (``analysis_results:``) becomes an
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
from .studyinfo import DocRef, ResultDisplay
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


__all__ = ["ArmBuilder", "MappingError"]
