"""Load a study's ADaM specs: the folders named by ``study.analysis`` in the study file, then the
study's ``analysis_overrides``.

``analysis_overrides`` holds, per ADaM dataset, what differs in this study::

    analysis_overrides:
      ADEFF:
        derivations:
          week12_nonresponse: null          # remove a step
          age_groups: {method: ..., ...}    # replace a step (it keeps its place)
          treatment_numbers:                # add a step (after the named one, else at the end)
            after: treatment_arms
            method: derive_vars_cat
            ...
        variables:
          DTYPE: null                       # do not write this variable
        analyses:
          easi50: {method: {test: chi-square}}   # merged key by key into the shared analysis
        description: ...                    # any other key replaces the shared one

Every file is checked against the schema before and after the overrides; an error names the
file (the spec or the study file) and the line of the key.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import MappingError
from ..mapping.study import Study
from ..mapping.validate import check
from ..mapping.yamlfile import Located, load_file
from .schema import schema

#: keys whose entries a study's overrides merge into (key by key) rather than replace: the
#: analyses declared in the spec and ADSL's analysis sets.
MERGED = ("analyses", "analysis_sets")


class SpecDoc(Located):
    """A spec after overrides: keys written in the study file keep the study file's name and
    lines in messages."""

    def __init__(self, data: Any, file: str, lines: dict, from_study: dict[tuple, int],
                 study_file: str):
        super().__init__(data, file, lines)
        self.from_study = from_study
        self.study_file = study_file

    def error(self, path, message: str, **kw: Any) -> MappingError:
        p = tuple(path)
        while p:
            if p in self.from_study:
                key = ".".join(str(k) for k in path) if path else None
                ln = self._study_line(tuple(path))
                return MappingError(message, file=self.study_file, line=ln, key=key, **kw)
            p = p[:-1]
        return super().error(path, message, **kw)

    def _study_line(self, path: tuple) -> int | None:
        p = path
        while p:
            if p in self.from_study:
                return self.from_study[p]
            p = p[:-1]
        return None


@dataclass
class AdamSpec:
    """One ADaM dataset spec as it will run (after the study's overrides)."""

    name: str
    doc: Located
    files: tuple[str, ...]

    @property
    def data(self) -> dict[str, Any]:
        return self.doc.data

    def where(self, path: tuple) -> str:
        """``file:line`` of a key, for the lineage file."""
        err = self.doc.error(path, "")
        return f"{err.file}:{err.line}"


def spec_files(study: Study) -> list[Path]:
    """The YAML files of the folders (or files) named by ``study.analysis``."""
    entries = (study.doc.data.get("study") or {}).get("analysis") or []
    here = study.file.parent
    files: list[Path] = []
    for i, entry in enumerate(entries):
        p = (here / entry).resolve()
        if p.is_dir():
            files.extend(sorted(p.glob("*.yaml")))
        elif p.is_file():
            files.append(p)
        else:
            raise study.doc.error(("study", "analysis", i), f"ADaM spec folder not found: "
                                  f"{entry}")
    return files


def load_specs(study: Study) -> dict[str, AdamSpec]:
    """Every ADaM spec of the study, checked, with the study's overrides applied."""
    specs: dict[str, AdamSpec] = {}
    for f in spec_files(study):
        doc = load_file(f, study.display(f))
        check(doc, schema())
        name = doc.data["dataset"]
        if name in specs:
            raise doc.error(("dataset",), f"ADaM dataset {name} is specified twice (also in "
                            f"{specs[name].files[0]})")
        specs[name] = AdamSpec(name, doc, (doc.file,))
    overrides = study.doc.data.get("analysis_overrides") or {}
    for name, over in overrides.items():
        if name not in specs:
            raise study.doc.error(("analysis_overrides", name),
                                  f"no ADaM spec for dataset {name} to override (specified: "
                                  f"{', '.join(sorted(specs)) or 'none'})")
        specs[name] = _apply(study, specs[name], over)
    return specs


def _apply(study: Study, spec: AdamSpec, over: dict[str, Any]) -> AdamSpec:
    base = spec.doc
    root = ("analysis_overrides", spec.name)
    data = copy.deepcopy(base.data)
    lines = dict(base.lines)
    from_study: dict[tuple, int] = {}

    def take(path: tuple) -> None:
        """The subtree at ``path`` comes from the study file: drop the spec's lines below it
        and record the study file's."""
        for p in [p for p in lines if p[:len(path)] == path]:
            del lines[p]
        sub = study.doc.sub(root + path)
        for p, ln in sub.lines.items():
            lines[path + p] = ln
            from_study[path + p] = ln

    for key, value in over.items():
        if key in MERGED and isinstance(value, dict):
            current = dict(data.get(key) or {})
            for name, entry in value.items():
                where = root + (key, name)
                if entry is None:
                    current.pop(name, None)
                    for p in [p for p in lines if p[:2] == (key, name)]:
                        del lines[p]
                    continue
                if not isinstance(entry, dict):
                    raise study.doc.error(where, f"expected a mapping or null for {name}")
                merged = dict(current.get(name) or {})
                for k, v in entry.items():
                    if v is None:
                        merged.pop(k, None)
                    elif isinstance(v, dict) and isinstance(merged.get(k), dict):
                        merged[k] = {**merged[k], **v}
                    else:
                        merged[k] = copy.deepcopy(v)
                    take((key, name, k))
                current[name] = merged
            data[key] = current
        elif key in ("variables", "derivations") and isinstance(value, dict):
            current = dict(data.get(key) or {})
            for name, entry in value.items():
                where = root + (key, name)
                if entry is None:
                    if name not in current:
                        raise study.doc.error(where, f"cannot remove {key[:-1]} '{name}': "
                                              f"{spec.name} has none (it has: "
                                              f"{', '.join(current)})")
                    del current[name]
                    for p in [p for p in lines if p[:2] == (key, name)]:
                        del lines[p]
                    continue
                if not isinstance(entry, dict):
                    raise study.doc.error(where, f"expected a mapping or null for {name}")
                entry = dict(entry)
                after = entry.pop("after", None) if key == "derivations" else None
                if name in current:
                    if after is not None:
                        raise study.doc.error(where + ("after",), "'after' places a new step; "
                                              f"'{name}' already exists and keeps its place")
                    current[name] = entry
                elif after is not None:
                    if after not in current:
                        raise study.doc.error(where + ("after",), f"no step '{after}' in "
                                              f"{spec.name} (steps: {', '.join(current)})")
                    items = list(current.items())
                    pos = [k for k, _ in items].index(after) + 1
                    items.insert(pos, (name, entry))
                    current = dict(items)
                else:
                    current[name] = entry
                take((key, name))
            data[key] = current
        else:
            data[key] = copy.deepcopy(value)
            take((key,))
    doc = SpecDoc(data, base.file, lines, from_study, study.doc.file)
    try:
        check(doc, schema())
    except MappingError as e:
        raise MappingError(f"{e.message}\n(after the analysis_overrides of "
                           f"{study.doc.file})") from None
    return AdamSpec(spec.name, doc, (base.file, study.doc.file))
