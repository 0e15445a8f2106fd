"""Read CDISC CORE rules (``rule.yml`` / ``.yaml`` / ``.json``) into :class:`CoreRule` objects.

Rule files are data written by users: they are read with the project's tag-free YAML reader
(JSON is read by the same reader, as YAML 1.2 includes it), and every structural mistake is one
line naming the file, the line and the key.  Whether the engine can *run* a rule (every operator
and operation known) is decided later, per rule, and reported as a skip with the missing name.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cdisc_mapper.errors import MappingError
from cdisc_mapper.mapping.yamlfile import Located, load_file

__all__ = ["CoreRule", "Authority", "load_rules", "load_rule_file", "RULE_SUFFIXES"]

RULE_SUFFIXES = (".yml", ".yaml", ".json")
SENSITIVITIES = ("Record", "Dataset", "Study")
_CONDITION_KEYS = {"name", "operator", "value", "value_is_literal", "value_is_reference",
                   "prefix", "suffix", "within", "ordering", "type_insensitive", "regex",
                   "round_values", "date_component", "negative", "order", "separator",
                   "case_insensitive", "comparator"}


@dataclass(frozen=True)
class Authority:
    organization: str          # CDISC, FDA, ...
    id: str                    # CG0101, FB..., TIG0366
    standard: str              # SDTMIG
    version: str               # 3.4
    citation: str              # "IG v3.4 6.1.3.2 Assumption 4a: ..."


@dataclass(frozen=True)
class CoreRule:
    id: str                                    # CORE-000004
    file: str
    description: str
    message: str
    output_variables: tuple[str, ...]
    rule_type: str
    sensitivity: str
    check: Any
    operations: tuple[dict, ...] = ()
    match: tuple[dict, ...] = ()
    classes_include: tuple[str, ...] = ()
    classes_exclude: tuple[str, ...] = ()
    domains_include: tuple[str, ...] = ()
    domains_exclude: tuple[str, ...] = ()
    standards: tuple[tuple[str, str], ...] = ()   # (SDTMIG, 3.4), ...
    authorities: tuple[Authority, ...] = ()
    executability: str = ""
    status: str = ""
    version: str = ""
    lines: dict = field(default_factory=dict, compare=False, repr=False)

    def applies_to(self, product: str, version: str) -> bool:
        """Whether the rule is published for this standard and version (``3-4`` = ``3.4``)."""
        p, v = product.upper(), _version(version)
        return any(n.upper() == p and _version(ver) == v for n, ver in self.standards)

    def authority_ids(self, product: str = "", version: str = "") -> tuple[str, ...]:
        out: dict[str, None] = {}
        for a in self.authorities:
            if not product or (a.standard.upper() == product.upper()
                               and _version(a.version) == _version(version)):
                out[a.id] = None
        if not out:
            out = {a.id: None for a in self.authorities}
        return tuple(out)

    def citation(self, product: str = "", version: str = "") -> str:
        cites = [a.citation for a in self.authorities if a.citation and (
            not product or (a.standard.upper() == product.upper()
                            and _version(a.version) == _version(version)))]
        return " | ".join(dict.fromkeys(cites)) or " | ".join(
            dict.fromkeys(a.citation for a in self.authorities if a.citation))


def _version(v: Any) -> str:
    return str(v).strip().replace("-", ".").lower().lstrip("v")


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, (list, tuple)):
        return ", ".join(_text(x) for x in v)
    return " ".join(str(v).split())


def _strings(loc: Located, path: tuple, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(x.strip() for x in value.split(",") if x.strip())
    if not isinstance(value, list) or not all(isinstance(x, (str, int, float)) for x in value):
        raise loc.error(path, "expected a list of names")
    return tuple(str(x).strip() for x in value)


def _mapping(loc: Located, path: tuple, value: Any, what: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise loc.error(path, f"{what} must be a mapping, not {type(value).__name__}")
    return value


def _check_node(loc: Located, path: tuple, node: Any) -> None:
    if not isinstance(node, dict):
        raise loc.error(path, "a Check node must be a mapping with all, any, not or operator")
    groups = [k for k in ("all", "any", "not") if k in node]
    if groups:
        if len(node) != 1:
            extra = sorted(set(node) - {groups[0]})
            raise loc.error(path + (extra[0] if extra else groups[0],),
                            f"a Check node holds one of all/any/not, not also {extra or groups}")
        k = groups[0]
        sub = node[k]
        if k == "not":
            if isinstance(sub, list):
                for i, s in enumerate(sub):
                    _check_node(loc, path + (k, i), s)
            else:
                _check_node(loc, path + (k,), sub)
            return
        if not isinstance(sub, list) or not sub:
            raise loc.error(path + (k,), f"'{k}' must be a non-empty list of conditions")
        for i, s in enumerate(sub):
            _check_node(loc, path + (k, i), s)
        return
    if "operator" not in node:
        raise loc.error(path, "a condition needs 'operator' (or all/any/not)")
    if not isinstance(node["operator"], str) or not node["operator"]:
        raise loc.error(path + ("operator",), "'operator' must be an operator name")
    if "name" not in node:
        raise loc.error(path, f"condition with operator {node['operator']!r} has no 'name'")
    if not isinstance(node["name"], (str, int)):
        raise loc.error(path + ("name",), "'name' must be a variable name")
    unknown = sorted(set(node) - _CONDITION_KEYS)
    if unknown:
        raise loc.error(path + (unknown[0],), f"unknown key {unknown[0]!r} in a condition "
                                               f"(known: {', '.join(sorted(_CONDITION_KEYS))})")


def _authorities(loc: Located, value: Any) -> tuple[list[Authority], list[tuple[str, str]]]:
    auths: list[Authority] = []
    stds: list[tuple[str, str]] = []
    if value is None:
        return auths, stds
    if not isinstance(value, list):
        raise loc.error(("Authorities",), "Authorities must be a list")
    for i, a in enumerate(value):
        a = _mapping(loc, ("Authorities", i), a, "an authority")
        org = _text(a.get("Organization"))
        for j, s in enumerate(a.get("Standards") or []):
            s = _mapping(loc, ("Authorities", i, "Standards", j), s, "a standard")
            name, ver = _text(s.get("Name")), _text(s.get("Version"))
            if name:
                stds.append((name, ver))
            for k, ref in enumerate(s.get("References") or []):
                ref = _mapping(loc, ("Authorities", i, "Standards", j, "References", k), ref,
                               "a reference")
                rid = ref.get("Rule Identifier") or {}
                rid = rid.get("Id") if isinstance(rid, dict) else rid
                cites = []
                for c in ref.get("Citations") or []:
                    if isinstance(c, dict):
                        where = " ".join(_text(c.get(x)) for x in ("Document", "Section", "Item")
                                         if c.get(x))
                        guidance = _text(c.get("Cited Guidance"))
                        cites.append(f"{where}: {guidance}" if where else guidance)
                if rid:
                    auths.append(Authority(org, _text(rid), name, ver, " ".join(cites)))
    return auths, stds


def _rule_from(loc: Located) -> CoreRule:
    d = loc.data
    if not isinstance(d, dict):
        raise loc.error((), "a CORE rule file holds one rule: a mapping with Core, Check, ...")
    if "json" in d and isinstance(d["json"], dict) and "Check" not in d:  # CORE's JSON export
        loc = loc.sub(("json",))
        d = loc.data
    core = _mapping(loc, ("Core",), d.get("Core"), "Core")
    rid = core.get("Id")
    if not rid or not isinstance(rid, str):
        raise loc.error(("Core", "Id"), "the rule has no Core Id (e.g. CORE-000001)")
    if "Check" not in d or d["Check"] is None:
        raise loc.error(("Check",), f"rule {rid} has no Check")
    _check_node(loc, ("Check",), d["Check"])
    outcome = _mapping(loc, ("Outcome",), d.get("Outcome"), "Outcome")
    message = outcome.get("Message")
    if message is not None and not isinstance(message, str):
        raise loc.error(("Outcome", "Message"), "Message must be text")
    outvars = _strings(loc, ("Outcome", "Output Variables"), outcome.get("Output Variables"))
    sens = d.get("Sensitivity") or "Record"
    if sens not in SENSITIVITIES:
        raise loc.error(("Sensitivity",), f"Sensitivity must be one of {', '.join(SENSITIVITIES)}"
                                          f", not {sens!r}")
    rtype = d.get("Rule Type") or "Record Data"
    if not isinstance(rtype, str):
        raise loc.error(("Rule Type",), "Rule Type must be text")
    ops = d.get("Operations") or []
    if not isinstance(ops, list):
        raise loc.error(("Operations",), "Operations must be a list")
    for i, o in enumerate(ops):
        o = _mapping(loc, ("Operations", i), o, "an operation")
        for key in ("id", "operator"):
            if not isinstance(o.get(key), str) or not o.get(key):
                raise loc.error(("Operations", i, key), f"an operation needs '{key}'")
        if not o["id"].startswith("$"):
            raise loc.error(("Operations", i, "id"), f"operation id {o['id']!r} must start "
                                                     "with '$'")
    match = d.get("Match Datasets") or []
    if not isinstance(match, list):
        raise loc.error(("Match Datasets",), "Match Datasets must be a list")
    for i, m in enumerate(match):
        m = _mapping(loc, ("Match Datasets", i), m, "a Match Datasets entry")
        if not isinstance(m.get("Name"), str):
            raise loc.error(("Match Datasets", i, "Name"), "a Match Datasets entry needs 'Name'")
        if "Keys" in m and not isinstance(m["Keys"], list):
            raise loc.error(("Match Datasets", i, "Keys"), "Keys must be a list")
    scope = _mapping(loc, ("Scope",), d.get("Scope"), "Scope")
    classes = _mapping(loc, ("Scope", "Classes"), scope.get("Classes"), "Scope Classes")
    domains = _mapping(loc, ("Scope", "Domains"), scope.get("Domains"), "Scope Domains")
    auths, stds = _authorities(loc, d.get("Authorities"))
    return CoreRule(
        id=rid.strip(), file=loc.file, description=_text(d.get("Description")),
        message=_text(message) or _text(d.get("Description")),
        output_variables=outvars, rule_type=rtype.strip(), sensitivity=sens,
        check=d["Check"], operations=tuple(ops), match=tuple(match),
        classes_include=_strings(loc, ("Scope", "Classes", "Include"), classes.get("Include")),
        classes_exclude=_strings(loc, ("Scope", "Classes", "Exclude"), classes.get("Exclude")),
        domains_include=_strings(loc, ("Scope", "Domains", "Include"), domains.get("Include")),
        domains_exclude=_strings(loc, ("Scope", "Domains", "Exclude"), domains.get("Exclude")),
        standards=tuple(stds), authorities=tuple(auths),
        executability=_text(d.get("Executability")), status=_text(core.get("Status")),
        version=_text(core.get("Version")), lines=loc.lines)


def load_rule_file(path: str | os.PathLike[str]) -> CoreRule:
    """Read one rule file.  Raises :class:`MappingError` (exit 2) naming file, line and key."""
    p = Path(path)
    if p.suffix.lower() not in RULE_SUFFIXES:
        raise MappingError("not a CORE rule file: expected .yml, .yaml or .json", file=str(p))
    return _rule_from(load_file(p))


def rule_files(path: str | os.PathLike[str]) -> list[Path]:
    """The rule files of a file or a folder tree (test-case folders are not searched)."""
    p = Path(path)
    if p.is_file():
        return [p]
    if not p.is_dir():
        raise MappingError("no such rule file or folder", file=str(p))
    out = []
    for root, dirs, files in os.walk(p):
        dirs[:] = sorted(d for d in dirs if d not in ("positive", "negative", "results", "data")
                         and not d.startswith("."))
        out.extend(Path(root) / f for f in sorted(files)
                   if Path(f).suffix.lower() in RULE_SUFFIXES and not f.startswith("."))
    return out


def load_rules(paths) -> list[CoreRule]:
    """Every rule under the given files/folders, in id order; a rule id given twice is an error."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    rules: dict[str, CoreRule] = {}
    for path in paths:
        files = rule_files(path)
        if not files:
            raise MappingError("no CORE rule files (.yml, .yaml, .json) here", file=str(path))
        for f in files:
            r = load_rule_file(f)
            if r.id in rules:
                raise MappingError(f"rule {r.id} is also defined in {rules[r.id].file}",
                                   file=str(f), line=r.lines.get(("Core", "Id")), key="Core.Id")
            rules[r.id] = r
    return [rules[k] for k in sorted(rules)]
