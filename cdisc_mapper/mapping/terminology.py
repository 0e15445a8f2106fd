"""The study's terminology declaration: which CDISC CT package it uses, and its sponsor synonyms.

Declared once in the study file::

    terminology:
      version: 2025-03-28                 # the SDTM CT package the study is mapped to
      file: ../ct/SDTM_Terminology_2025-03-28.txt   # optional: a published package to load
      synonyms:                           # legacy/sponsor spelling -> CDISC submission value
        UNIT: {"cells/kg": "10^6/kg", "lbs": "LB"}
        ROUTE: {"PO": "ORAL"}

``version`` must be the version of the package in use (the bundled one, or the ``file`` /
``--ct`` given), so that a study mapped to one package cannot silently run on another.  A
synonym is a raw spelling accepted for a term: wherever a variable takes its values from a
codelist (the mapping's ``codelist``, else the implementation guide's), the CDISC term is written
in its place, before later variables read it (so ``convert_unit`` sees ``LB``, not ``lbs``).
Synonyms match as ``assign_ct`` matches terms, ignoring case and surrounding blanks; a synonym of
UNIT also serves the subsets of UNIT (VSRESU, ...) that hold its term.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import MappingError

__all__ = ["Terminology", "apply_synonyms", "check_version", "parse_terminology",
           "synonym_errors", "synonym_table", "TERMINOLOGY_SCHEMA"]

TERMINOLOGY_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False, "minProperties": 1,
    "description": "the CDISC CT package the study uses and its sponsor synonyms: {version: "
                   "2025-03-28, file: ct/SDTM_Terminology_2025-03-28.txt, synonyms: {UNIT: "
                   "{cells/kg: 10^6/kg}}}; version must be that of the package in use (the "
                   "bundled one, `file` or --ct); a synonym maps a raw spelling to the CDISC "
                   "submission value written in its place",
    "properties": {
        "version": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$",
                    "description": "date of the SDTM CT package (YYYY-MM-DD)"},
        "file": {"type": "string", "minLength": 1,
                 "description": "an NCI EVS terminology file (.txt) or CDISC Library export "
                                "(.csv), relative to the study file; --ct takes precedence"},
        "synonyms": {
            "type": "object", "minProperties": 1,
            "propertyNames": {"type": "string", "minLength": 1},
            "description": "per codelist short name: {raw spelling: CDISC submission value}",
            "additionalProperties": {
                "type": "object", "minProperties": 1,
                "propertyNames": {"type": "string", "minLength": 1},
                "additionalProperties": {"type": "string", "minLength": 1}}},
    },
}


def _key(v: Any) -> str:
    return str(v).strip().upper()


@dataclass(frozen=True)
class Terminology:
    version: str | None = None
    file: Path | None = None
    synonyms: dict[str, dict[str, str]] = field(default_factory=dict)   # codelist -> raw -> term


def parse_terminology(doc, here: Path) -> Terminology:
    """The ``terminology`` key of a schema-checked study file (``here``: the study's folder)."""
    t = doc.data.get("terminology") or {}
    f = None
    if t.get("file"):
        f = (here / t["file"]).resolve()
        if not f.is_file():
            raise doc.error(("terminology", "file"), f"controlled terminology file not found: "
                            f"{t['file']}")
    syn = {cid: {str(k): str(v) for k, v in m.items()} for cid, m in (t.get("synonyms") or {}).items()}
    return Terminology(version=t.get("version"), file=f, synonyms=syn)


def check_version(doc, term: Terminology, in_use: str, source: str) -> None:
    """``version`` is the version of the package in use, else a located error."""
    if term.version and in_use and term.version != in_use:
        hint = ("" if source != "bundled" else
                "; pass the published package of that version with --ct or terminology.file")
        raise doc.error(("terminology", "version"),
                        f"the study declares CT {term.version} but the package in use is "
                        f"{in_use} ({source}){hint}")


def synonym_errors(doc, term: Terminology, codelists: dict) -> list[MappingError]:
    """Every synonym names a known codelist, maps to one of its terms, and is not itself a
    different term of that codelist."""
    out = []
    for cid, table in term.synonyms.items():
        cl = codelists.get(cid)
        if cl is None:
            out.append(doc.error(("terminology", "synonyms", cid),
                                 f"unknown codelist '{cid}' (not in the CT in use nor the "
                                 "study's codelists)"))
            continue
        values = set(cl.values())
        by_key = {_key(v): v for v in values}
        for raw, target in table.items():
            where = ("terminology", "synonyms", cid, raw)
            if target not in values:
                near = by_key.get(_key(target))
                out.append(doc.error(where, f"{target!r} is not a term of codelist {cid}"
                                     + (f" (did you mean {near!r}?)" if near else "")))
            elif _key(raw) in by_key and by_key[_key(raw)] != target:
                out.append(doc.error(where, f"{raw!r} is already the term "
                                     f"{by_key[_key(raw)]!r} of codelist {cid}; a synonym "
                                     "cannot change a CDISC term"))
    return out


def synonym_table(term: Terminology | None, codelists: dict, cid: str) -> dict[str, str]:
    """{normalised raw spelling: term} for codelist ``cid``: the synonyms declared for it, and
    those declared for a codelist it shares terms with by NCI code (a synonym of UNIT serves
    VSRESU, the vital-signs subset of UNIT, where VSRESU has the term)."""
    if term is None or not term.synonyms or cid not in codelists:
        return {}
    by_code = {t.code: t.value for t in codelists[cid].terms if t.code}
    out: dict[str, str] = {}
    for sid, table in term.synonyms.items():
        src = codelists.get(sid)
        if src is None or sid == cid:
            continue
        code_of = {t.value: t.code for t in src.terms if t.code}
        for raw, target in table.items():
            value = by_code.get(code_of.get(target))
            if value is not None:
                out.setdefault(_key(raw), value)
    out.update({_key(k): v for k, v in (term.synonyms.get(cid) or {}).items()})
    return out


def apply_synonyms(s: pd.Series, term: Terminology | None, codelists: dict,
                   codelist) -> pd.Series:
    """``s`` with every value that is a declared synonym of a term of ``codelist`` (and not
    itself a term) replaced by that term; ``s`` itself when nothing changes."""
    table = synonym_table(term, codelists, codelist.id)
    if not table:
        return s
    allowed = set(codelist.values())
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    new = [u if str(u) in allowed else table.get(_key(u), u) for u in uniques]
    if all(a is b for a, b in zip(new, uniques)):
        return s
    out = np.array([*new, None], dtype=object)[codes]
    return pd.Series(out, index=s.index, dtype=s.dtype)
