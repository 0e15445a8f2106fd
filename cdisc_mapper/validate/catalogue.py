"""The rule catalogue: rules kept as data, read from YAML and checked against a JSON Schema.

Each rule names the authority's rule where one exists (a CDISC SDTMIG conformance rule ``CGxxxx``,
an ADaM check ``ADxxxx``, an FDA business rule ``FBxxxx`` or technical rejection criterion), the
citation, a severity, its scope (standards, dataset classes, domains), its sensitivity (record or
dataset), the message template, and the registered check that implements it with the check's
parameters.  Rules of this tool that have no authority id carry the prefix ``CM``.

The built-in catalogue is ``rules/*.yaml`` beside this module.  Users add their own rule files
(same format; a rule may reuse any registered check with other parameters, e.g. ``value_in_list``
or ``required_value``), switch rules off (``disable: [CM0008]``) and change severities
(``severity: {CM0021: error}``).  Rule files are data: they are read with the project's
tag-free YAML reader and cannot run code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from collections.abc import Iterable

import jsonschema

from cdisc_mapper.errors import MappingError, UsageError
from cdisc_mapper.mapping.validate import check as check_schema
from cdisc_mapper.mapping.yamlfile import Located, load_file, load_text

from .checks import all_checks

__all__ = ["Rule", "Catalogue", "load_catalogue", "SEVERITIES", "RULE_FILE_SCHEMA"]

SEVERITIES = ("error", "warning", "notice")
FAMILIES = ("metadata", "terminology", "dates", "identity", "trial_design", "trial_summary",
            "consistency",
            "suppqual", "adam", "define", "custom")
_ID = r"^[A-Z][A-Z0-9_.-]{1,31}$"

_AUTHORITY = {
    "type": "object",
    "additionalProperties": False,
    "required": ["organization", "id"],
    "properties": {
        "organization": {"type": "string", "description": "CDISC, FDA, PMDA, ..."},
        "id": {"type": "string", "description": "the authority's rule id, e.g. CG0028"},
        "document": {"type": "string"},
        "version": {"type": "string"},
    },
}

_RULE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "check", "severity", "message", "description"],
    "properties": {
        "id": {"type": "string", "pattern": _ID,
               "description": "rule id: the authority id (CG0028) or the CM/user prefix"},
        "authority": _AUTHORITY,
        "related": {"type": "array", "items": _AUTHORITY,
                    "description": "other authority rules this rule also implements"},
        "citation": {"type": "string"},
        "description": {"type": "string"},
        "message": {"type": "string",
                    "description": "template: {dataset} {variable} {value} {record} {usubjid} "
                                   "and the check's own fields"},
        "severity": {"enum": list(SEVERITIES)},
        "family": {"enum": list(FAMILIES)},
        "standards": {"type": "array", "items": {"enum": ["SDTMIG", "ADaMIG"]}},
        "classes": {"type": "array", "items": {"type": "string"}},
        "domains": {"type": "array", "items": {"type": "string", "pattern": r"^[A-Z][A-Z0-9-]*$"}},
        "exclude": {"type": "array", "items": {"type": "string", "pattern": r"^[A-Z][A-Z0-9-]*$"}},
        "sensitivity": {"enum": ["record", "dataset"]},
        "needs": {"type": "array", "items": {"enum": ["define", "full_ct"]}},
        "check": {"type": "string", "pattern": r"^[a-z][a-z0-9_]*$"},
        "params": {"type": "object"},
        "enabled": {"type": "boolean"},
    },
}

RULE_FILE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "cdisc-map validate rule file",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "rules": {"type": "array", "items": _RULE},
        "disable": {"type": "array", "items": {"type": "string", "pattern": _ID}},
        "severity": {"type": "object", "propertyNames": {"pattern": _ID},
                     "additionalProperties": {"enum": list(SEVERITIES)}},
    },
}


@dataclass(frozen=True)
class Rule:
    id: str
    check: str
    severity: str
    message: str
    description: str
    family: str = "custom"
    authority: dict[str, str] | None = None
    related: tuple[dict[str, str], ...] = ()
    citation: str = ""
    standards: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    sensitivity: str = "record"
    needs: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)
    enabled: bool = True
    source: str = ""

    @property
    def authority_id(self) -> str:
        return self.authority["id"] if self.authority else ""

    @property
    def authority_ids(self) -> tuple[str, ...]:
        ids = [self.authority["id"]] if self.authority else []
        return tuple(ids + [r["id"] for r in self.related])


@dataclass
class Catalogue:
    rules: dict[str, Rule]
    files: list[str]

    def enabled(self) -> list[Rule]:
        return [r for r in self.rules.values() if r.enabled]

    def by_family(self) -> dict[str, list[Rule]]:
        out: dict[str, list[Rule]] = {}
        for r in self.rules.values():
            out.setdefault(r.family, []).append(r)
        return out


def _rules_from(doc: Located) -> tuple[list[Rule], list[str], dict[str, str]]:
    check_schema(doc, RULE_FILE_SCHEMA)
    checks = all_checks()
    rules = []
    for i, r in enumerate(doc.data.get("rules") or []):
        where = f"{doc.file}:{doc.line(('rules', i))}"
        chk = checks.get(r["check"])
        if chk is None:
            import difflib
            hint = difflib.get_close_matches(r["check"], list(checks), n=1)
            raise doc.error(("rules", i, "check"), f"unknown check {r['check']!r}"
                            + (f" (did you mean '{hint[0]}'?)" if hint else "")
                            + f"; known checks: {', '.join(sorted(checks))}")
        params = r.get("params") or {}
        if chk.params:
            schema = {"type": "object", "properties": chk.params, "additionalProperties": False}
            try:
                jsonschema.validate(params, schema)
            except jsonschema.ValidationError as e:
                raise doc.error(("rules", i, "params", *e.absolute_path),
                                f"parameter of check {chk.name}: {e.message}") from None
        elif params:
            raise doc.error(("rules", i, "params"), f"check {chk.name} takes no parameters")
        rules.append(Rule(
            id=r["id"], check=r["check"], severity=r["severity"], message=r["message"],
            description=r["description"], family=r.get("family", chk.family),
            authority=r.get("authority"), related=tuple(r.get("related") or ()),
            citation=r.get("citation", ""), standards=tuple(r.get("standards") or ()),
            classes=tuple(r.get("classes") or ()), domains=tuple(r.get("domains") or ()),
            exclude=tuple(r.get("exclude") or ()), sensitivity=r.get("sensitivity", "record"),
            needs=tuple(r.get("needs") or ()), params=params, enabled=r.get("enabled", True),
            source=where))
    return rules, list(doc.data.get("disable") or []), dict(doc.data.get("severity") or {})


def _builtin_docs() -> list[Located]:
    folder = resources.files("cdisc_mapper.validate").joinpath("rules")
    docs = []
    for f in sorted(folder.iterdir(), key=lambda f: f.name):
        if f.name.endswith(".yaml"):
            docs.append(load_text(f.read_text(encoding="utf-8"), f"rules/{f.name}"))
    return docs


@cache
def _builtin_rules() -> tuple[tuple[str, tuple[Rule, ...], tuple[str, ...], tuple[tuple[str, str], ...]], ...]:
    """The built-in rule files, parsed and checked once per process: (file, rules, disabled,
    severities) each."""
    out = []
    for doc in _builtin_docs():
        new, dis, sev = _rules_from(doc)
        out.append((doc.file, tuple(new), tuple(dis), tuple(sev.items())))
    return tuple(out)


def load_catalogue(user_files: Iterable[str | Path] = (), *, disable: Iterable[str] = (),
                   only: Iterable[str] = ()) -> Catalogue:
    """The built-in rules plus ``user_files``; ``disable`` switches rules off by id (or by family
    name), ``only`` keeps just the given ids/families."""
    rules: dict[str, Rule] = {}
    files = []
    disabled: list[str] = list(disable)
    severities: dict[str, str] = {}
    parsed = [(file, list(new), list(dis), dict(sev)) for file, new, dis, sev in _builtin_rules()]
    for f in user_files:
        p = Path(f)
        if not p.is_file():
            raise UsageError("rule file not found", file=str(p))
        doc = load_file(p)
        parsed.append((doc.file, *_rules_from(doc)))
    for file, new, dis, sev in parsed:
        files.append(file)
        for r in new:
            if r.id in rules and not file.startswith("rules/"):
                pass  # a user file may redefine a built-in rule
            elif r.id in rules:
                raise MappingError(f"rule {r.id} is defined twice (also at {rules[r.id].source})",
                                   file=r.source)
            rules[r.id] = r
        disabled.extend(dis)
        severities.update(sev)
    known_families = set(FAMILIES)
    for d in disabled:
        if d not in rules and d not in known_families:
            raise UsageError(f"cannot disable unknown rule {d!r}")
    for rid, sev in severities.items():
        if rid not in rules:
            raise UsageError(f"cannot set the severity of unknown rule {rid!r}")
        rules[rid] = replace(rules[rid], severity=sev)
    off = set(disabled)
    keep = set(only)
    for rid, r in list(rules.items()):
        if rid in off or r.family in off or (keep and rid not in keep and r.family not in keep):
            rules[rid] = replace(r, enabled=False)
    return Catalogue(rules=rules, files=files)


def rule_sort_key(rule_id: str) -> tuple:
    m = re.match(r"([A-Z]+)(\d+)(.*)", rule_id)
    return (m.group(1), int(m.group(2)), m.group(3)) if m else (rule_id, 0, "")
