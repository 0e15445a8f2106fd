"""Everything about a study's mappings that can be known before any data is converted.

``check_study`` walks every dataset mapping of a loaded study and returns *every* mistake it
finds, each a :class:`~cdisc_mapper.errors.MappingError` at ``file:line``: a dataset or variable
the standard does not define, a required variable left unmapped, an unknown codelist or a
constant that is not one of its terms, a raw column that the form's header does not have (when
the raw data are there), a variable used but never derived, a date format or text pattern that
cannot be used, a dictionary, visit schedule, epoch, arm or unit table that a method needs and
the study file does not give.  ``cdisc-map check`` prints them all; ``cdisc-map convert`` runs
the same checks first and stops with the same lines, so a mapping never fails half-way.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import MappingError
from ..io.rawformats import read_header
from ..lang import conditions as kernel
from ..lang.text import step_problem
from .study import DatasetMapping, Study, raw_form_path

#: parameters (at the top of a variable's mapping) whose values name variables
VARIABLE_KEYS = ("of", "birth", "ref", "dtc", "visitnum", "result", "by", "unit", "test",
                 "low", "high")
#: parameters whose values name raw columns of the variable's form
COLUMN_KEYS = ("from", "date", "time")
#: methods whose values are already checked against their codelist
_DEFAULT_REFS = {"study_day": "DM.RFSTDTC", "baseline_flag": "DM.RFXSTDTC"}


def raw_header(study: Study, form: str) -> list[str] | None:
    """The column names of a raw form as exported (blanks trimmed), in any raw format the
    readers support (as the study file's ``forms:`` declares it, else by its extension), or None
    when the form's file is not there or cannot be read."""
    path = raw_form_path(study, form)
    if not path.is_file():
        return None
    return read_header(path, study.forms.get(form), study.subject_id)


def _hint(name: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


class _Checker:
    def __init__(self, study: Study, standard, codelists: dict):
        self.study = study
        self.standard = standard
        self.codelists = codelists
        self.errors: list[MappingError] = []
        self._headers: dict[str, list[str] | None] = {}
        self.raw_present = Path(study.raw_dir).is_dir()
        dm = study.datasets.get("DM")
        self.dm_vars = set(_all_variables(dm.data)) if dm else set()

    # ------------------------------------------------------------------ helpers
    def err(self, doc, path: tuple, message: str, **kw) -> None:
        self.errors.append(doc.error(path, message, **kw))

    def header(self, form: str) -> list[str] | None:
        if form not in self._headers:
            self._headers[form] = raw_header(self.study, form) if self.raw_present else None
        return self._headers[form]

    def form_exists(self, doc, path: tuple, form: str) -> bool:
        if not self.raw_present:
            return False
        p = raw_form_path(self.study, form)
        if not p.exists():
            self.err(doc, path, f"raw form '{form}' not found (expected "
                                f"{self.study.display(p)})")
            return False
        return True

    def column(self, doc, path: tuple, form: str, name: str, extra: set[str]) -> None:
        if name in extra:
            return
        cols = self.header(form)
        if cols is None or name in cols:
            return
        shown = ", ".join(cols)
        self.err(doc, path, f"raw column '{name}' is not in form '{form}'{_hint(name, cols)} "
                            f"(columns: {shown})")

    def codelist(self, doc, path: tuple, cid: str) -> bool:
        if cid in self.codelists:
            return True
        self.err(doc, path, f"unknown codelist '{cid}' (not in the bundled CT nor the study's "
                            f"codelists){_hint(cid, sorted(self.codelists))}")
        return False

    # ------------------------------------------------------------------ one dataset
    def dataset(self, m: DatasetMapping) -> None:
        doc, data = m.doc, m.data
        std = self.standard.dataset(m.name)
        if std is None:
            self.err(doc, ("dataset",), f"{m.name} is not a dataset of {self.standard.name} "
                                        f"{self.standard.version}")
            return
        mapped = _all_variables(data)
        for name, path in _variable_entries(data):
            if std.variable(name) is None:
                self.err(doc, path, f"{name} is not a variable of {m.name} in "
                                    f"{self.standard.name} {self.standard.version}; a "
                                    "non-standard variable goes under 'supp:'", variable=name)
        for v in std.variables:
            if v.core == "Req" and v.name not in mapped:
                self.err(doc, ("variables",), f"required variable {v.name} ({v.label}) is not "
                                              "mapped", variable=v.name)
        blocks = data.get("blocks") or [data]
        for bi, block in enumerate(blocks):
            bpath = ("blocks", bi) if "blocks" in data else ()
            form = block["source"]
            self.form_exists(doc, bpath + ("source",), form)
            cols = self.header(form)
            if cols is not None and self.study.subject_id not in cols:
                self.err(doc, bpath + ("source",), f"the subject column "
                                                   f"'{self.study.subject_id}' is not in form "
                                                   f"'{form}'")
            extra: set[str] = set()
            stack = block.get("stack")
            if stack:
                extra = {"ITEM", "VALUE"}
                for col, attrs in stack["columns"].items():
                    self.column(doc, bpath + ("stack", "columns", col), form, col, set())
                    for k, v in attrs.items():
                        extra.add(k)
                        if isinstance(v, dict):
                            self.column(doc, bpath + ("stack", "columns", col, k), form,
                                        v["from"], set())
            defined = set(data.get("variables") or {}) | set(data.get("values") or {}) \
                | set(block.get("variables") or {}) | set(block.get("values") or {})
            if block.get("where"):
                self.condition(doc, bpath + ("where",), block["where"], form, extra, defined,
                               m.name)
            entries = [(("variables", n), p) for n, p in (data.get("variables") or {}).items()]
            entries += [(("values", n), p) for n, p in (data.get("values") or {}).items()]
            entries += [(("supp", n), p) for n, p in (data.get("supp") or {}).items()]
            if "blocks" in data:
                entries += [(bpath + ("variables", n), p)
                            for n, p in (block.get("variables") or {}).items()]
                entries += [(bpath + ("values", n), p)
                            for n, p in (block.get("values") or {}).items()]
            for path, params in entries:
                self.variable(doc, path, params, form, extra, defined, m.name)

    def condition(self, doc, path, cond, form, extra, defined, dataset) -> None:
        for p, ref in kernel.references(cond, path):
            if "from" in ref:
                self.column(doc, p, ref.get("source") or form, ref["from"],
                            extra if not ref.get("source") else set())
            else:
                self.reference(doc, p, ref["of"], defined, dataset)

    def reference(self, doc, path, ref: str, defined: set[str], dataset: str) -> None:
        if "." in ref:
            ds, var = ref.split(".", 1)
            if ds == dataset:
                ref = var
            elif ds != "DM":
                self.err(doc, path, f"{ref}: only DM variables can be used from another dataset "
                                    f"(DM is built first)")
                return
            else:
                if self.dm_vars and var not in self.dm_vars:
                    self.err(doc, path, f"{ref}: DM has no mapping for {var}"
                                        f"{_hint(var, sorted(self.dm_vars))}")
                return
        if ref not in defined:
            self.err(doc, path, f"variable {ref} is used but not derived in {dataset}"
                                f"{_hint(ref, sorted(defined))}")

    def variable(self, doc, path, p: dict, form: str, extra: set[str], defined: set[str],
                 dataset: str) -> None:
        method = p.get("method")
        src = p.get("source")
        here = src or form
        if "values" in path and self.stage(method) == "dataset":
            self.err(doc, path + ("method",), f"method {method} runs after the records are "
                                              "combined and cannot give a named value; use it "
                                              "for a variable")
        cols_extra = extra if not src else set()
        if src:
            self.form_exists(doc, path + ("source",), src)
        for key in COLUMN_KEYS:
            if isinstance(p.get(key), str):
                self.column(doc, path + (key,), here, p[key], cols_extra)
        for key in VARIABLE_KEYS:
            v = p.get(key)
            for i, name in enumerate(v if isinstance(v, list) else [v]):
                if isinstance(name, str):
                    sub = path + ((key, i) if isinstance(v, list) else (key,))
                    self.reference(doc, sub, name, defined, dataset)
        if method in _DEFAULT_REFS and "ref" not in p:
            self.reference(doc, path + ("method",), _DEFAULT_REFS[method], defined, dataset)
        for sub, op in _operands(p):
            if "from" in op:
                self.column(doc, path + sub + ("from",), here, op["from"], cols_extra)
            elif "of" in op:
                self.reference(doc, path + sub + ("of",), op["of"], defined, dataset)
        for key in ("when",):
            if p.get(key):
                self.condition(doc, path + (key,), p[key], here, cols_extra, defined, dataset)
        for i, case in enumerate(p.get("cases") or []):
            self.condition(doc, path + ("cases", i, "when"), case["when"], here, cols_extra,
                           defined, dataset)
        for key in ("codelist", "paired"):
            if isinstance(p.get(key), str) and self.codelist(doc, path + (key,), p[key]):
                terms = self.codelists[p[key]].values()
                if key == "codelist" and method == "hardcode_ct" and p.get("value") is not None \
                        and str(p["value"]) not in terms:
                    self.err(doc, path + ("value",), f"{p['value']!r} is not a term of codelist "
                                                     f"{p[key]}")
                if key == "codelist" and method == "assign_ct":
                    for k, v in (p.get("map") or {}).items():
                        if v is not None and str(v) not in terms:
                            self.err(doc, path + ("map", k), f"map value {v!r} is not a term of "
                                                             f"codelist {p[key]}")
        self.dates(doc, path, p)
        for i, s in enumerate(p.get("sources") or []):
            spath = path + ("sources", i)
            if self.form_exists(doc, spath + ("source",), s["source"]):
                for key in ("date", "time"):
                    if key in s:
                        self.column(doc, spath + (key,), s["source"], s[key], set())
            self.dates(doc, spath, s)
            if s.get("where"):
                self.condition(doc, spath + ("where",), s["where"], s["source"], set(), set(),
                               dataset)
        for i, step in enumerate(p.get("steps") or []):
            problem = step_problem(step)
            if problem:
                self.err(doc, path + ("steps", i), problem)
        self.design(doc, path, p)

    def trial_summary(self) -> None:
        """The checks TS makes when it is built, made before the run."""
        doc = self.study.doc
        parmcd = self.codelists.get("TSPARMCD")
        for i, p in enumerate(self.study.trial_summary):
            if parmcd is not None and p["parmcd"] not in parmcd.values():
                self.err(doc, ("trial_summary", i, "parmcd"), f"'{p['parmcd']}' is not a term "
                         f"of codelist TSPARMCD{_hint(p['parmcd'], sorted(parmcd.values()))}")
            cid = p.get("codelist")
            if cid and self.codelist(doc, ("trial_summary", i, "codelist"), cid) \
                    and "value" in p and self.codelists[cid].term(str(p["value"])) is None:
                self.err(doc, ("trial_summary", i, "value"), f"{str(p['value'])!r} is not a term "
                                                             f"of codelist {cid}")
            d = p.get("derive")
            if d and d["dataset"] not in self.study.datasets:
                self.err(doc, ("trial_summary", i, "derive", "dataset"), f"trial summary "
                         f"derive: dataset {d['dataset']} is not mapped")
            elif d and d.get("variable") and d["dataset"] == "DM" and self.dm_vars \
                    and d["variable"] not in self.dm_vars:
                self.err(doc, ("trial_summary", i, "derive", "variable"), f"DM has no mapping "
                         f"for {d['variable']}")

    @staticmethod
    def stage(method: str | None) -> str:
        from ..methods.registry import all_methods

        m = all_methods().get(method or "")
        return m.stage if m else "record"

    def dates(self, doc, path, p) -> None:
        from ..methods.dates import format_problem

        if p.get("method") not in (None, "iso_date", "first_date", "last_date"):
            return
        default = self.study.dates or {}
        fmt = p.get("format", default.get("format"))
        pivot = p.get("pivot", default.get("pivot"))
        problem = format_problem(fmt, pivot)
        if problem:
            self.err(doc, path + (("format",) if "format" in p else ()), problem)

    def design(self, doc, path, p) -> None:
        s = self.study
        method = p.get("method")
        need = {"visitnum": ("visits", s.visits), "visit": ("visits", s.visits),
                "study_arm": ("arms", s.arms), "convert_unit": ("units", s.units)}
        if method == "epoch":
            need["epoch"] = ("visits", s.visits) if "visitnum" in p else ("epochs", s.epochs)
        if method in need and not need[method][1]:
            key = need[method][0]
            self.err(doc, path + ("method",), f"method {method} needs the study file's '{key}', "
                                              f"which {s.doc.file} does not give")
        if method == "lookup" and p.get("dictionary") not in s.dictionaries:
            self.err(doc, path + ("dictionary",), f"dictionary '{p.get('dictionary')}' is not "
                                                  "named in the study file's 'dictionaries' "
                                                  f"({', '.join(s.dictionaries) or 'none'})")
        if method == "epoch" and "dtc" in p:
            for i, ep in enumerate(s.epochs):
                if self.dm_vars and ep.start not in self.dm_vars:
                    self.err(s.doc, ("epochs", i, "start"), f"epoch {ep.epoch} starts at DM "
                                                            f"{ep.start}, which DM does not map")

    def run(self) -> list[MappingError]:
        self.errors.extend(self.study.design_problems)
        allowed = self.codelists.get("ARMNULRS")
        for code, reason in self.study.not_assigned.items():
            if allowed is not None and reason not in allowed.values():
                self.err(self.study.doc, ("not_assigned", code), f"{reason!r} is not a term of "
                         f"codelist ARMNULRS ({', '.join(sorted(allowed.values()))})")
            if code in {a.code for a in self.study.arms}:
                self.err(self.study.doc, ("not_assigned", code), f"raw code {code!r} is also "
                         "the code of an arm")
        self.trial_summary()
        for name in sorted(self.study.datasets):
            self.dataset(self.study.datasets[name])
        unique: dict[str, MappingError] = {}
        for e in self.errors:
            unique.setdefault(e.render(), e)
        return sorted(unique.values(), key=lambda e: (str(e.file), e.line or 0, e.key or ""))


def _all_variables(data: dict[str, Any]) -> list[str]:
    names = list(data.get("variables") or {})
    for b in data.get("blocks") or []:
        names += [n for n in (b.get("variables") or {}) if n not in names]
    return names


def _variable_entries(data: dict[str, Any]) -> Iterator[tuple[str, tuple]]:
    for n in data.get("variables") or {}:
        yield n, ("variables", n)
    for i, b in enumerate(data.get("blocks") or []):
        for n in b.get("variables") or {}:
            yield n, ("blocks", i, "variables", n)


def _operands(p: dict[str, Any]) -> Iterator[tuple[tuple, dict]]:
    """Every operand ({value}/{from}/{of}) among a variable's parameters."""
    for key in ("left", "right", "otherwise", "else"):
        if isinstance(p.get(key), dict):
            yield (key,), p[key]
    for i, op in enumerate(p.get("parts") or []):
        if isinstance(op, dict):
            yield ("parts", i), op
    for i, case in enumerate(p.get("cases") or []):
        if isinstance(case.get("then"), dict):
            yield ("cases", i, "then"), case["then"]


def check_study(study: Study, standard, codelists: dict) -> list[MappingError]:
    """Every mistake of the study's mappings that can be found without converting data."""
    return _Checker(study, standard, codelists).run()
