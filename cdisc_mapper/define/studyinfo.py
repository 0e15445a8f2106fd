"""Load and check a study's define file: ``define/<STUDYID>.yaml`` (and what it includes).

The file is read like a mapping (plain YAML data with the line of every key) and checked against
the ``define`` JSON Schema; every mistake is reported as ``file:line: key: message``.  A study
without a define file still gets a define.xml: standards and terminology versions then default to
those the product ships, and there are no documents, comments or analysis results.

``include`` names files whose content this one extends (``common.yaml`` for what both studies
share).  Maps (documents, comments, standards) are merged key by key, the including file winning;
lists (analysis results, forms completed by the subject) are taken whole from the file that gives
them, the including file first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import MappingError
from ..mapping.validate import check
from ..mapping.yamlfile import Located, load_file

PACKAGE_OF_STANDARD = {"SDTMIG": "tabulation", "SENDIG": "tabulation", "ADaMIG": "analysis"}


@dataclass(frozen=True)
class CTPackage:
    publishing_set: str          # SDTM, ADaM ...
    version: str                 # 2025-03-28
    comment: str = ""


@dataclass(frozen=True)
class StandardInfo:
    name: str                    # SDTMIG
    version: str                 # 3.4
    ct: tuple[CTPackage, ...] = ()
    comment: str = ""
    where: str = ""              # file:line the versions were given at ("" = defaults)


@dataclass(frozen=True)
class Document:
    key: str
    file: str
    title: str
    kind: str                    # annotated_crf | supplemental | other
    packages: tuple[str, ...]
    pages: dict[str, int | str] = field(default_factory=dict)


@dataclass(frozen=True)
class DocRef:
    document: str
    pages: int | str | None = None
    title: str | None = None


@dataclass(frozen=True)
class ResultDataset:
    dataset: str
    where: tuple[tuple[str, tuple[str, ...]], ...] = ()
    variables: tuple[str, ...] = ()


@dataclass(frozen=True)
class AnalysisResult:
    id: str
    description: str
    reason: str
    purpose: str
    datasets: tuple[ResultDataset, ...]
    parameter: str | None = None          # DATASET.VARIABLE
    join: str = ""
    documentation: str = ""
    documentation_refs: tuple[DocRef, ...] = ()
    code_context: str = ""
    code: str = ""
    code_refs: tuple[DocRef, ...] = ()
    doc: Located | None = field(default=None, compare=False, repr=False)   # for messages


@dataclass(frozen=True)
class ResultDisplay:
    name: str
    title: str
    results: tuple[AnalysisResult, ...]
    refs: tuple[DocRef, ...] = ()
    doc: Located | None = field(default=None, compare=False, repr=False)


@dataclass
class DefineInfo:
    """Everything study-level that define.xml needs beyond the specs, with where it was written."""

    study: str
    files: tuple[str, ...] = ()
    originator: str = ""
    context: str = "Submission"
    description: str = ""
    standards: dict[str, StandardInfo] = field(default_factory=dict)   # package -> standard
    subject_forms: frozenset[str] = frozenset()
    documents: dict[str, Document] = field(default_factory=dict)
    study_comment: str = ""
    dataset_comments: dict[str, str] = field(default_factory=dict)
    variable_comments: dict[str, str] = field(default_factory=dict)    # "AE.AEDECOD" -> text
    codelist_comments: dict[str, str] = field(default_factory=dict)
    dictionary_comments: dict[str, str] = field(default_factory=dict)
    analysis_results: tuple[ResultDisplay, ...] = ()

    def standard(self, package: str) -> StandardInfo | None:
        return self.standards.get(package)


def default_define_dir(study_file: Path) -> Path | None:
    """``define/`` of the project a study file belongs to (``mappings/<STUDY>/study.yaml``)."""
    parents = Path(study_file).resolve().parents
    return parents[2] / "define" if len(parents) > 2 else None


def _display(path: Path, base: Path) -> str:
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path)


def _load_chain(path: Path, base: Path, seen: tuple[Path, ...]) -> list[Located]:
    """The file and the files it includes, deepest include first."""
    doc = load_file(path, _display(path, base))
    check(doc, "define")
    out: list[Located] = []
    for i, inc in enumerate(doc.data["define"].get("include") or []):
        p = (path.parent / inc).resolve()
        if p in seen or p == path.resolve():
            raise doc.error(("define", "include", i), f"'{inc}' is included in a cycle")
        if not p.is_file():
            raise doc.error(("define", "include", i), f"included define file not found: {inc}")
        out.extend(_load_chain(p, base, seen + (path.resolve(),)))
    out.append(doc)
    return out


def _refs(doc: Located, path: tuple, items: list[dict[str, Any]] | None) -> tuple[DocRef, ...]:
    return tuple(DocRef(str(r["document"]), r.get("pages"), r.get("title")) for r in items or ())


def _where(spec: dict[str, Any] | None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    out = []
    for var, value in (spec or {}).items():
        values = value if isinstance(value, list) else [value]
        out.append((var, tuple(_text(v) for v in values)))
    return tuple(out)


def _text(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def load_define_info(study_id: str, define_dir: Path | None, *, base: Path | None = None) -> DefineInfo:
    """The define content of ``study_id`` from ``define_dir/<study_id>.yaml`` (defaults where the
    folder or the file does not exist)."""
    info = DefineInfo(study=study_id)
    if define_dir is None:
        return info
    path = Path(define_dir) / f"{study_id}.yaml"
    if not path.is_file():
        return info
    base = base or Path(define_dir).resolve().parent
    chain = _load_chain(path, base, ())
    own = chain[-1]
    declared = own.data["define"].get("study")
    if declared is None:
        raise own.error(("define",), f"missing required key 'study' (the study id, "
                        f"'{study_id}')")
    if declared != study_id:
        raise own.error(("define", "study"), f"this file is for study '{declared}', but its name "
                        f"says '{study_id}' (name the file after the study id)")
    info.files = tuple(d.file for d in chain)
    ar_doc: Located | None = None
    for doc in chain:                      # includes first: the including file wins
        d = doc.data
        top = d["define"]
        info.originator = top.get("originator", info.originator)
        info.context = top.get("context", info.context)
        info.description = top.get("description", info.description)
        for package, s in (d.get("standards") or {}).items():
            old = info.standards.get(package)
            ct = tuple(CTPackage(c["publishing_set"], c["version"], c.get("comment", ""))
                       for c in s.get("ct") or ()) or (old.ct if old else ())
            info.standards[package] = StandardInfo(
                name=s.get("name") or (old.name if old else ""),
                version=str(s.get("version") or (old.version if old else "")),
                ct=ct, comment=s.get("comment") or (old.comment if old else ""),
                where=f"{doc.file}:{doc.line(('standards', package))}")
        if "collected_by_subject" in d:
            info.subject_forms = frozenset(d["collected_by_subject"])
        for key, e in (d.get("documents") or {}).items():
            info.documents[key] = Document(key, e["file"], e["title"], e["kind"],
                                           tuple(e["packages"]), dict(e.get("pages") or {}))
        c = d.get("comments") or {}
        info.study_comment = c.get("study", info.study_comment)
        info.dataset_comments.update(c.get("datasets") or {})
        info.variable_comments.update(c.get("variables") or {})
        info.codelist_comments.update(c.get("codelists") or {})
        info.dictionary_comments.update(c.get("dictionaries") or {})
        if "analysis_results" in d:
            ar_doc = doc
    if ar_doc is not None:
        info.analysis_results = _displays(ar_doc)
    _check_document_refs(info, chain)
    return info


def _displays(doc: Located) -> tuple[ResultDisplay, ...]:
    out = []
    seen: set[str] = set()
    for i, disp in enumerate(doc.data["analysis_results"]):
        results = []
        for j, r in enumerate(disp["results"]):
            rid = str(r.get("id") or f"R{j + 1}")
            key = f"{disp['display']}/{rid}"
            if key in seen:
                raise doc.error(("analysis_results", i, "results", j, "id"),
                                f"analysis result id '{rid}' is used twice in display "
                                f"'{disp['display']}'")
            seen.add(key)
            documentation = r.get("documentation") or {}
            code = r.get("code") or {}
            results.append(AnalysisResult(
                id=rid, description=r["description"], reason=r["reason"], purpose=r["purpose"],
                datasets=tuple(ResultDataset(ds["dataset"], _where(ds.get("where")),
                                             tuple(ds.get("variables") or ()))
                               for ds in r["datasets"]),
                parameter=r.get("parameter"), join=r.get("join", ""),
                documentation=documentation.get("text", ""),
                documentation_refs=_refs(doc, (), documentation.get("refs")),
                code_context=code.get("context", ""), code=code.get("text", ""),
                code_refs=_refs(doc, (), code.get("refs")),
                doc=doc.sub(("analysis_results", i, "results", j))))
        out.append(ResultDisplay(disp["display"], disp["title"], tuple(results),
                                 _refs(doc, (), disp.get("refs")),
                                 doc=doc.sub(("analysis_results", i))))
    return tuple(out)


def _check_document_refs(info: DefineInfo, chain: list[Located]) -> None:
    """Every document named by a reference is declared under 'documents'."""
    for doc in chain:
        for i, disp in enumerate(doc.data.get("analysis_results") or []):
            paths = [(("analysis_results", i, "refs", k), r)
                     for k, r in enumerate(disp.get("refs") or [])]
            for j, r in enumerate(disp["results"]):
                for part in ("documentation", "code"):
                    for k, ref in enumerate((r.get(part) or {}).get("refs") or []):
                        paths.append((("analysis_results", i, "results", j, part, "refs", k),
                                      ref))
            for path, ref in paths:
                if ref["document"] not in info.documents:
                    known = ", ".join(sorted(info.documents)) or "none"
                    raise doc.error(path + ("document",), f"document '{ref['document']}' is not "
                                    f"declared under 'documents' (declared: {known})")


__all__ = ["DefineInfo", "StandardInfo", "CTPackage", "Document", "DocRef", "ResultDataset",
           "AnalysisResult", "ResultDisplay", "load_define_info", "default_define_dir",
           "MappingError", "PACKAGE_OF_STANDARD"]
