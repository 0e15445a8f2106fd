"""Which CodeList each ItemDef references, and the CodeList elements themselves.

Rules (Define-XML 2.1, section 4.4, and the CDISC examples):

* a CDISC codelist keeps its NCI code (``Alias Context="nci:ExtCodeID"``) on the list and on each
  term, and lists the terms the data use (all terms when the list has at most
  :data:`SMALL_LIST` terms); a sponsor term added to an extensible CDISC list (by the study's
  codelist file, or a value the data hold that the list lacks) is marked
  ``def:ExtendedValue="Yes"`` and has no code;
* a sponsor-defined codelist (EASI, IGA, BSA and pruritus NRS test codes: no CDISC terminology
  exists for them) has no Alias and lists all its terms;
* a list whose codes are decoded by another variable (test codes and test names, IGA responses and
  scores) is written as ``CodeListItem`` + ``Decode``; other lists as ``EnumeratedItem``;
* a variable whose values are the decodes of a list (``QSTEST``) references the paired CDISC list
  (``DLQI1TN``) or a list of those decodes;
* a variable that takes its values from several lists, block by block (``QSTESTCD`` in QS), gets one
  list that combines them, each term keeping its own NCI code, with a comment naming the parts;
* a variable coded with a dictionary (``AEDECOD``) references an ``ExternalCodeList`` naming the
  dictionary and version as the study file gives them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from ..spec.model import Codelist, Term, VariableSpec
from ..standards.ct import bundled_file
from . import oids
from .datatypes import NUMBER
from .variants import Variant

SMALL_LIST = 6


@cache
def _adam_codes() -> frozenset[str]:
    codes: set[str] = set()
    for f in resources.files("cdisc_mapper.standards").joinpath("ct").iterdir():
        if f.name.startswith("adam-ct-") and f.name.endswith(".tsv.gz"):
            codes.update(c.code for c in bundled_file(f.name)[0].values() if c.code)
    return frozenset(codes)


def publishing_set(cl: Codelist) -> str:
    """The CDISC CT package a CDISC codelist belongs to (ADaM or SDTM)."""
    return "ADaM" if cl.code in _adam_codes() else "SDTM"


@dataclass(frozen=True)
class Part:
    """One source of a define codelist: a study codelist, taken as is or as its decodes."""

    codelist: str
    decodes: bool = False


@dataclass
class DefList:
    oid: str
    name: str
    parts: tuple[Part, ...]
    label: str = ""                         # variable label, for combined lists
    dictionary: tuple[str, str] | None = None   # external: (name, version)
    used: set[str] = field(default_factory=set)
    comment: str = ""
    data_type: str = "text"                 # of an external dictionary's list
    only_used: bool = False                 # a subset: the terms the data use, however few
    values: tuple[str, ...] = ()            # a list of the values a grouping variable takes


@dataclass(frozen=True)
class DefTerm:
    value: str
    code: str | None
    decode: str | None
    extended: bool


class CodelistRegistry:
    """Collects the codelists the ItemDefs reference, and the values each is used with."""

    def __init__(self, codelists: dict[str, Codelist]):
        self.codelists = codelists
        self.lists: dict[str, DefList] = {}
        self.decoded: dict[str, str | None] = {}    # codelist id -> paired list (or None)

    # -------------------------------------------------------------------- resolution

    def _part(self, v: Variant | None, spec_codelist: str | None) -> Part | None:
        if v is not None and v.method == "decode":
            source = v.params["codelist"]
            paired = v.params.get("paired")
            self.decoded.setdefault(source, paired)
            if paired and paired in self.codelists:
                return Part(paired)
            if source not in self.codelists:
                return None
            decodes = [t.decode for t in self.codelists[source].terms if t.decode]
            if decodes and all(NUMBER.match(d) for d in decodes):
                return None                 # scores: the source list shows them as decodes
            return Part(source, decodes=True)
        cid = (v.codelist if v is not None else None) or spec_codelist
        return Part(cid) if cid and cid in self.codelists else None

    def _register(self, parts: list[Part], dataset: str, var: VariableSpec) -> str | None:
        uniq = tuple(dict.fromkeys(parts))
        if not uniq:
            return None
        if len(uniq) == 1:
            p = uniq[0]
            cl = self.codelists[p.codelist]
            oid = oids.codelist(p.codelist, "DECODE") if p.decodes else oids.codelist(p.codelist)
            name = f"{cl.name} (decodes)" if p.decodes else cl.name
        else:
            oid = oids.codelist(dataset, var.name)
            name = f"{var.label} ({dataset})"
        if oid not in self.lists:
            self.lists[oid] = DefList(oid, name, uniq, var.label)
        return oid

    def for_variable(self, dataset: str, var: VariableSpec, variants: tuple[Variant, ...],
                     has_value_level: bool, std_codelist: str | None = None) -> str | None:
        """The CodeList OID of a dataset-level ItemDef (None: no codelist).

        ``std_codelist``: the codelist the implementation guide gives the variable, for blocks
        whose method names none."""
        if not variants:
            return self._register([p for p in [self._part(None, var.codelist)] if p],
                                  dataset, var)
        parts = [self._part(v, std_codelist) for v in variants]
        if any(p is None for p in parts) and (has_value_level or len(variants) > 1):
            return None                      # described per value, or not one list
        return self._register([p for p in parts if p], dataset, var)

    def for_value_level(self, dataset: str, spec: VariableSpec, variant: Variant | None) -> str | None:
        if variant is not None:
            p = self._part(variant, spec.codelist)
        else:
            p = self._part(None, spec.codelist)
        return self._register([p] if p else [], dataset, spec)

    def external(self, key: str, name: str, version: str, data_type: str = "text") -> str:
        """The ExternalCodeList of a dictionary; its codes (``AEPTCD``) get a list of their own
        data type (``CL.DICT.ae.integer``)."""
        oid = oids.codelist("DICT", key) if data_type == "text" else oids.codelist(
            "DICT", key, data_type)
        if oid not in self.lists:
            self.lists[oid] = DefList(oid, name, (), dictionary=(name, version),
                                      data_type=data_type)
        return oid

    def subset(self, oid: str, values, partial_only: bool = False) -> str:
        """A subset of a CDISC list holding only ``values`` (a flag that is ``Y`` or null gets
        the ``Y`` subset of NY, a population flag ``N`` and ``Y``), as the CDISC ADaM example
        does; one list per distinct subset."""
        base = self.lists[oid]
        kept = [t.value for p in base.parts for t in self.codelists[p.codelist].terms
                if t.value in set(values)]
        if not kept or base.dictionary is not None or base.values:
            return oid
        every = [t.value for p in base.parts for t in self.codelists[p.codelist].terms]
        if partial_only and len(set(kept)) == len(set(every)):
            return oid                           # the whole list: no subset needed
        codes = {t.value: t.code for p in base.parts for t in self.codelists[p.codelist].terms}
        sub = oids.codelist(oid[3:], *[v if oids.part(v) != "_" else (codes.get(v) or "_")
                                       for v in kept])
        if sub not in self.lists:
            self.lists[sub] = DefList(sub, f"{base.name} ({', '.join(kept)} subset)", base.parts,
                                      base.label, only_used=True)
        return sub

    def grouping(self, dataset: str, var: VariableSpec, values: list[str]) -> str:
        """A sponsor-defined list of the values a grouping variable (``AGEGR1``) takes, in the
        order given."""
        oid = oids.codelist(dataset, var.name) if dataset else oids.codelist(var.name)
        self.lists[oid] = DefList(oid, var.label, (), var.label, values=tuple(values))
        return oid

    def use(self, oid: str | None, values) -> None:
        if oid is not None:
            self.lists[oid].used.update(str(v) for v in values)

    # -------------------------------------------------------------------- content

    def is_cdisc(self, part: Part) -> bool:
        return not part.decodes and self.codelists[part.codelist].code is not None

    def terms(self, dl: DefList) -> list[DefTerm]:
        """The terms written for a define codelist, in the order of its parts."""
        if dl.values:
            return [DefTerm(v, None, None, False) for v in dl.values]
        out: dict[str, DefTerm] = {}
        for part in dl.parts:
            cl = self.codelists[part.codelist]
            if part.decodes:
                for t in cl.terms:
                    if t.decode and t.decode in dl.used and t.decode not in out:
                        out[t.decode] = DefTerm(t.decode, None, None, False)
                continue
            cdisc = cl.code is not None
            keep_all = (not cdisc or len(cl.terms) <= SMALL_LIST) and not dl.only_used
            for t in cl.terms:
                if t.value in out or not (keep_all or t.value in dl.used):
                    continue
                out[t.value] = DefTerm(t.value, t.code if cdisc else None,
                                       self._decode(part.codelist, t), cdisc and t.code is None)
        if any(self.is_cdisc(p) and self.codelists[p.codelist].extensible for p in dl.parts):
            for value in sorted(dl.used - set(out)):   # sponsor terms the data add to the list
                out[value] = DefTerm(value, None, None, True)
        return list(out.values())

    def _decode(self, cid: str, t: Term) -> str | None:
        if cid not in self.decoded:
            return t.decode if self.codelists[cid].code is None else None
        paired = self.decoded[cid]
        if paired and paired in self.codelists and t.code:
            for p in self.codelists[paired].terms:
                if p.code == t.code:
                    return p.value
        return t.decode

    def decoded_list(self, dl: DefList, terms: list[DefTerm]) -> bool:
        """CodeListItem + Decode when every term has a decode (ODM requires one per item)."""
        return bool(terms) and all(t.decode for t in terms)

    def data_type(self, dl: DefList, terms: list[DefTerm]) -> str:
        if all(self.codelists[p.codelist].data_type == "Num" and not p.decodes
               for p in dl.parts) and dl.parts:
            vals = [t.value for t in terms]
            if all(NUMBER.match(v) for v in vals):
                return "float" if any("." in v for v in vals) else "integer"
        return "text"

    def nci_code(self, dl: DefList) -> str | None:
        if len(dl.parts) == 1 and self.is_cdisc(dl.parts[0]):
            return self.codelists[dl.parts[0].codelist].code
        return None

    def ct_set(self, dl: DefList) -> str | None:
        for p in dl.parts:
            if self.is_cdisc(p):
                return publishing_set(self.codelists[p.codelist])
        return None

    def composition(self, dl: DefList) -> str:
        """How a combined list is made, for its comment."""
        if len(dl.parts) < 2:
            return ""
        bits = []
        for p in dl.parts:
            cl = self.codelists[p.codelist]
            what = (f"the decodes of {p.codelist}" if p.decodes else p.codelist)
            kind = f"CDISC {cl.code}" if cl.code and not p.decodes else "sponsor-defined"
            bits.append(f"{what} ({cl.name}; {kind})")
        return ("The terms of " + ", ".join(bits[:-1]) + " and " + bits[-1] +
                ", combined: one codelist per form or instrument, each term keeping its own NCI code "
                "where it has one.")
