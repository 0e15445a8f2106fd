"""Load a study: its study file, the dataset mappings it includes, its codelists and overrides.

``mappings/<STUDY>/study.yaml`` names the raw-data folder and the folders of shared mappings
(``include``).  Each YAML file found there is a dataset mapping (top key ``dataset``) or a codelist
file (top key ``codelists``).  The study's own folder may hold further mapping files; a file there
for a dataset that a shared folder also maps replaces it.  ``overrides`` in the study file replace
single variables of a shared mapping (what differs between studies), so shared logic is written
once.  Every file is checked against its JSON Schema before anything runs.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import MappingError
from ..spec.model import Codelist, Term
from .validate import check
from .terminology import Terminology, parse_terminology
from .yamlfile import Located, load_file


@dataclass(frozen=True)
class Arm:
    armcd: str
    arm: str
    code: str
    elements: tuple[str, ...]
    treatment: str | None = None
    branch: str | None = None


@dataclass(frozen=True)
class Element:
    etcd: str
    element: str
    start: str
    epoch: str
    end: str | None = None
    duration: str | None = None


@dataclass(frozen=True)
class EpochStart:
    epoch: str
    start: str            # a DM variable
    days_after: int = 0


@dataclass(frozen=True)
class Visit:
    visitnum: float
    visit: str
    raw: tuple[str, ...]
    epoch: str
    day: int | None = None
    start: str | None = None
    end: str | None = None
    arms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Conversion:
    """``standard = (original − subtract) × factor ÷ divisor``."""

    factor: float = 1.0
    divisor: float = 1.0
    subtract: float = 0.0

    def apply(self, x):
        return (x - self.subtract) * self.factor / self.divisor


@dataclass(frozen=True)
class TestUnits:
    """One test of the study's unit table: its standard unit and how each collected unit
    converts to it."""

    test: str
    standard: str
    conversions: dict[str, Conversion]


def _units(table: dict[str, Any] | None) -> dict[str, TestUnits]:
    out = {}
    for test, entry in (table or {}).items():
        conv = {}
        for unit, how in (entry.get("from") or {}).items():
            if isinstance(how, dict):
                conv[unit] = Conversion(float(how.get("factor", 1.0)),
                                        float(how.get("divisor", 1.0)),
                                        float(how.get("subtract", 0.0)))
            else:
                conv[unit] = Conversion(float(how))
        conv.setdefault(entry["standard"], Conversion())
        out[test] = TestUnits(test, entry["standard"], conv)
    return out


@dataclass
class DatasetMapping:
    """One dataset mapping file after overrides, with where every key was written."""

    name: str
    doc: Located                 # the mapping as validated
    files: tuple[str, ...]       # the file, plus the study file when overridden

    @property
    def data(self) -> dict[str, Any]:
        return self.doc.data


@dataclass
class Dictionary:
    name: str
    file: Path
    label: str
    version: str


@dataclass
class Study:
    id: str
    title: str
    protocol: str
    file: Path
    doc: Located
    raw_dir: Path
    subject_id: str
    site_col: str | None
    separator: str
    arms: tuple[Arm, ...]
    elements: tuple[Element, ...]
    epochs: tuple[EpochStart, ...]
    visits: tuple[Visit, ...]
    trial_summary: tuple[dict[str, Any], ...]
    inclusion: tuple[dict[str, Any], ...]
    dictionaries: dict[str, Dictionary]
    usubjid_rule: dict[str, Any] = field(default_factory=dict)     # {parts, separator} | {from}
    dates: dict[str, Any] = field(default_factory=dict)            # default date format, pivot
    units: dict[str, TestUnits] = field(default_factory=dict)   # test code → units
    not_assigned: dict[str, str] = field(default_factory=dict)  # raw group code → ARMNRS
    datasets: dict[str, DatasetMapping] = field(default_factory=dict)
    design_problems: list = field(default_factory=list)   # found by load, told by check
    design_notes: list = field(default_factory=list)      # not errors: said by check/convert
    codelists: dict[str, Codelist] = field(default_factory=dict)     # sponsor lists
    extensions: dict[str, tuple[Term, ...]] = field(default_factory=dict)  # CDISC list → extra terms
    codelist_files: dict[str, str] = field(default_factory=dict)
    forms: dict[str, dict[str, Any]] = field(default_factory=dict)  # declared raw form files
    terminology: Terminology = field(default_factory=Terminology)  # CT version, synonyms

    def display(self, path: Path) -> str:
        """A path for messages: relative to the folder the study file's project lives in."""
        try:
            return str(Path(path).resolve().relative_to(self.file.resolve().parents[2]))
        except ValueError:
            return str(path)


def _display(path: Path, base: Path) -> str:
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path)


def _deep_override(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Variables (and supp entries) named in ``over`` replace those of ``base`` whole."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        if key in ("variables", "supp") and isinstance(value, dict):
            merged = dict(out.get(key) or {})
            merged.update(value)
            out[key] = merged
        else:
            out[key] = value
    return out


def load_study(study_file: Path, base: Path | None = None) -> Study:
    """Read and validate a study file and everything it includes.

    ``base`` is the folder that messages name files relative to (default: two levels above the
    study file, i.e. the project folder that holds ``mappings/``).
    """
    study_file = Path(study_file)
    base = base or study_file.resolve().parent.parent.parent
    doc = load_file(study_file, _display(study_file, base))
    check(doc, "study")
    d = doc.data
    here = study_file.parent
    raw_dir = (here / d["study"]["raw"]).resolve()
    dictionaries = {}
    for name, entry in (d.get("dictionaries") or {}).items():
        f = (here / entry["file"]).resolve()
        if not f.is_file():
            raise doc.error(("dictionaries", name, "file"), f"dictionary file not found: "
                            f"{_display(f, base)}")
        dictionaries[name] = Dictionary(name, f, entry.get("name", name), entry.get("version", ""))
    study = Study(
        id=d["study"]["id"], title=d["study"]["title"], protocol=d["study"].get("protocol", ""),
        file=study_file, doc=doc, raw_dir=raw_dir,
        subject_id=d["subject"]["id"], site_col=d["subject"].get("site"),
        separator=_separator(d["subject"]),
        arms=tuple(Arm(a["armcd"], a["arm"], str(a["code"]), tuple(a["elements"]),
                       a.get("treatment"), a.get("branch")) for a in d.get("arms") or ()),
        elements=tuple(Element(e["etcd"], e["element"], e["start"], e["epoch"], e.get("end"),
                               e.get("duration")) for e in d.get("elements") or ()),
        epochs=tuple(EpochStart(e["epoch"], e["start"], e.get("days_after", 0))
                     for e in d.get("epochs") or ()),
        visits=tuple(Visit(float(v["visitnum"]), v["visit"], tuple(v["raw"]), v["epoch"],
                           v.get("day"), v.get("start"), v.get("end"), tuple(v.get("arms", ())))
                     for v in d.get("visits") or ()),
        trial_summary=tuple(d.get("trial_summary") or ()),
        inclusion=tuple(d.get("inclusion") or ()),
        dictionaries=dictionaries,
        usubjid_rule=_usubjid_rule(d["subject"]),
        dates=dict(d.get("dates") or {}),
        units=_units(d.get("units")),
        not_assigned={str(k): v for k, v in (d.get("not_assigned") or {}).items()},
        forms={k: dict(v) for k, v in (d.get("forms") or {}).items()},
        terminology=parse_terminology(doc, here),
    )
    study.design_problems = design_errors(study)
    study.design_notes = [
        doc.error(("visits", i), f"visit {v.visit} has no 'start': TVSTRL (the visit start "
                  "rule) is required in TV, so the package will not pass validation").render()
        for i, v in enumerate(study.visits) if not v.start]
    errors: list[MappingError] = []
    files: list[Path] = []
    for inc in d["study"].get("include") or []:
        p = (here / inc).resolve()
        if p.is_dir():
            files.extend(sorted(p.glob("*.yaml")))
        elif p.is_file():
            files.append(p)
        else:
            raise doc.error(("study", "include"), f"included path not found: {inc}")
    own = sorted(f for f in here.glob("*.yaml") if f.resolve() != study_file.resolve())
    for f in files + own:                    # every file is checked, then all mistakes told
        try:
            _load_mapping_file(study, f, base)
        except MappingError as e:
            errors.extend(getattr(e, "errors", None) or [e])
    if not errors:
        try:
            _apply_overrides(study)
        except MappingError as e:
            errors.extend(getattr(e, "errors", None) or [e])
    if errors:
        from .validate import MappingErrors
        raise MappingErrors(study.design_problems + errors)
    return study


def _separator(subject: dict[str, Any]) -> str:
    rule = subject.get("usubjid") or {}
    return rule.get("separator", subject.get("separator", "-"))


def _usubjid_rule(subject: dict[str, Any]) -> dict[str, Any]:
    """The USUBJID rule: ``{from: COLUMN}`` (a raw column as it is) or ``{parts: [...],
    separator: S}`` where ``STUDYID`` is the study identifier and other parts are raw columns;
    by default the study identifier and the subject column."""
    rule = subject.get("usubjid")
    if rule and "from" in rule:
        return {"from": rule["from"]}
    parts = (rule or {}).get("parts") or ["STUDYID", subject["id"]]
    return {"parts": list(parts), "separator": _separator(subject)}


def design_errors(study: Study) -> list[MappingError]:
    """Every inconsistency of the study design, each at its line of the study file."""
    doc = study.doc
    errors: list[MappingError] = []
    etcds = [e.etcd for e in study.elements]
    epochs = {e.epoch for e in study.elements}
    for i, arm in enumerate(study.arms):
        for j, etcd in enumerate(arm.elements):
            if etcd not in etcds:
                errors.append(doc.error(("arms", i, "elements", j), f"element '{etcd}' is not "
                                        f"defined under 'elements' (defined: "
                                        f"{', '.join(etcds) or 'none'})"))
    for i, v in enumerate(study.visits):
        if epochs and v.epoch not in epochs:
            errors.append(doc.error(("visits", i, "epoch"), f"epoch '{v.epoch}' is not the epoch "
                                    f"of any element (epochs: {', '.join(sorted(epochs))})"))
    nums: dict[float, int] = {}
    for i, v in enumerate(study.visits):
        if v.visitnum in nums:
            errors.append(doc.error(("visits", i, "visitnum"), f"VISITNUM {v.visitnum:g} is given "
                                    f"to two visits ({study.visits[nums[v.visitnum]].visit} and "
                                    f"{v.visit})"))
        nums.setdefault(v.visitnum, i)
    seen: dict[str, int] = {}
    for i, v in enumerate(study.visits):
        for name in v.raw:
            k = name.strip().upper()
            if k in seen:
                errors.append(doc.error(("visits", i, "raw"), f"raw visit name '{name}' is given "
                                        "to two visits"))
            seen[k] = i
    codes = [a.code for a in study.arms]
    if len(set(codes)) != len(codes):
        errors.append(doc.error(("arms",), "two arms have the same raw code"))
    ep_names = [e.epoch for e in study.epochs]
    for i, e in enumerate(study.epochs):
        if epochs and e.epoch not in epochs:
            errors.append(doc.error(("epochs", i, "epoch"), f"epoch '{e.epoch}' is not the epoch "
                                    f"of any element (epochs: {', '.join(sorted(epochs))})"))
    if len(set(ep_names)) != len(ep_names):
        errors.append(doc.error(("epochs",), "an epoch is given two starts"))
    return errors


def _load_mapping_file(study: Study, f: Path, base: Path) -> None:
    doc = load_file(f, _display(f, base))
    if isinstance(doc.data, dict) and "codelists" in doc.data and "dataset" not in doc.data:
        check(doc, "codelists")
        for cid, entry in doc.data["codelists"].items():
            terms = tuple(Term(str(t["value"]), t.get("code"), t.get("decode"))
                          for t in entry["terms"])
            if cid in study.codelists or cid in study.extensions:
                raise doc.error(("codelists", cid), f"codelist '{cid}' is defined twice "
                                f"(also in {study.codelist_files[cid]})")
            study.codelist_files[cid] = doc.file
            if "extends" in entry:
                study.extensions[entry["extends"]] = terms
                study.codelist_files[entry["extends"]] = doc.file
                continue
            dtype = {"integer": "Num", "float": "Num"}.get(entry.get("data_type", "text"), "Char")
            study.codelists[cid] = Codelist(cid, entry.get("name", cid), terms, None, False, dtype)
        return
    check(doc, "dataset")
    name = doc.data["dataset"]
    study.datasets[name] = DatasetMapping(name, doc, (doc.file,))


def _apply_overrides(study: Study) -> None:
    overrides = study.doc.data.get("overrides") or {}
    for name, over in overrides.items():
        if name not in study.datasets:
            raise study.doc.error(("overrides", name), f"no mapping for dataset {name} to "
                                  f"override (mapped: {', '.join(sorted(study.datasets))})")
        m = study.datasets[name]
        merged = _deep_override(m.data, over)
        lines = dict(m.doc.lines)
        # keys that come from the study file keep the study file's lines
        over_doc = study.doc.sub(("overrides", name))
        for p, ln in over_doc.lines.items():
            lines[p] = ln
        new_doc = Located(merged, m.doc.file, lines)
        try:
            check(new_doc, "dataset")
        except MappingError as e:
            raise MappingError(f"{e.message} (after the overrides of {study.doc.file})") from None
        study.datasets[name] = DatasetMapping(name, new_doc, (m.doc.file, study.doc.file))


RAW_EXTENSIONS = (".csv", ".xlsx", ".sas7bdat", ".xpt", ".parquet")


def raw_form_path(study: Study, form: str) -> Path:
    """The form's file: as declared under ``forms:``, else ``<form>.csv`` in the raw folder,
    else the first of ``<form>.xlsx|.sas7bdat|.xpt|.parquet`` found there."""
    declared = study.forms.get(form)
    if declared and declared.get("file"):
        return study.raw_dir / declared["file"]
    for ext in RAW_EXTENSIONS:
        if (study.raw_dir / f"{form}{ext}").is_file():
            return study.raw_dir / f"{form}{ext}"
    return study.raw_dir / f"{form}.csv"


__all__ = ["Study", "Arm", "Element", "Visit", "EpochStart", "DatasetMapping", "load_study",
           "raw_form_path", "MappingError"]
