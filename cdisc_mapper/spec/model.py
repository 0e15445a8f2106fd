"""The one specification model.

Everything that writes or checks a dataset reads these objects: the mapping engine (which variables
exist and in which order), the finalisation pass (types, lengths, labels, sort keys), the XPT and
Dataset-JSON writers, the lineage file, the define.xml generator and the validator.  A label, a
length or a codelist is held here once and nowhere else.

Two layers:

* :class:`Standard` — what an implementation guide says (SDTMIG 3.4): datasets, their variables with
  label, type, role, core and codelist.  Loaded from package data (``cdisc_mapper/standards``).
* :class:`DatasetSpec` / :class:`VariableSpec` — what *this study* writes: the standard's variables
  that the mapping produces, plus the study's own facts (origin, method text, source columns,
  sponsor codelists, final length once the data are known).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

DataType = Literal["Char", "Num"]
Core = Literal["Req", "Exp", "Perm"]


@dataclass(frozen=True)
class Term:
    """One permissible value of a codelist."""

    value: str                 # CDISC Submission Value (or the sponsor's value)
    code: str | None = None    # NCI C-code of the term; None for sponsor-defined terms
    decode: str | None = None  # NCI preferred term or the sponsor's decode


@dataclass(frozen=True)
class Codelist:
    """A codelist: CDISC (with NCI codes) or sponsor-defined."""

    id: str                    # short name used in mappings and define OIDs, e.g. "SEX", "NY"
    name: str                  # e.g. "Sex"
    terms: tuple[Term, ...]
    code: str | None = None    # NCI code of the codelist, e.g. "C66731"; None for sponsor lists
    extensible: bool = False
    data_type: DataType = "Char"

    @property
    def sponsor_defined(self) -> bool:
        return self.code is None

    def values(self) -> frozenset[str]:
        return frozenset(t.value for t in self.terms)

    def term(self, value: str) -> Term | None:
        for t in self.terms:
            if t.value == value:
                return t
        return None


@dataclass(frozen=True)
class VariableDef:
    """A variable as the implementation guide defines it."""

    name: str
    label: str
    type: DataType
    order: int
    role: str = ""
    core: Core = "Perm"
    codelist: str | None = None   # Codelist.id


@dataclass(frozen=True)
class DatasetDef:
    """A dataset (domain) as the implementation guide defines it."""

    name: str
    label: str
    cls: str                       # SDTM observation class, e.g. "Events", "Trial Design"
    structure: str
    keys: tuple[str, ...]
    variables: tuple[VariableDef, ...]

    def variable(self, name: str) -> VariableDef | None:
        for v in self.variables:
            if v.name == name:
                return v
        return None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.variables)


@dataclass(frozen=True)
class Standard:
    """An implementation guide: its name, version and datasets, plus the CT package it uses."""

    name: str                      # "SDTMIG"
    version: str                   # "3.4"
    datasets: dict[str, DatasetDef]
    codelists: dict[str, Codelist] = field(default_factory=dict)
    ct_version: str = ""           # e.g. "2025-03-28"

    def dataset(self, name: str) -> DatasetDef | None:
        """The dataset definition; SUPPxx datasets take the SUPPQUAL definition."""
        if name in self.datasets:
            return self.datasets[name]
        if name.startswith("SUPP") and "SUPPQUAL" in self.datasets:
            base = self.datasets["SUPPQUAL"]
            return replace(base, name=name, label=f"Supplemental Qualifiers for {name[4:]}")
        return None


Origin = Literal["Collected", "Derived", "Assigned", "Protocol", "Predecessor", "Not Available"]


@dataclass(frozen=True)
class VariableSpec:
    """A variable as this study writes it: the standard's definition plus the study's facts."""

    name: str
    label: str
    type: DataType
    role: str = ""
    core: Core = "Perm"
    codelist: str | None = None
    origin: Origin = "Derived"
    source: str = ""               # for Collected: the raw form (CRF) it comes from
    method: str = ""               # mapping method name, e.g. "assign_ct"
    method_text: str = ""          # human-readable description of the derivation
    sources: tuple[str, ...] = ()  # raw columns / variables read
    length: int | None = None      # set by finalisation: longest value in bytes (Char) or 8 (Num)
    display_format: str | None = None
    significant_digits: int | None = None
    sponsor_defined: bool = False  # not in the implementation guide (goes to SUPP-- in SDTM)


@dataclass(frozen=True)
class ValueLevel:
    """Value-level metadata: how ``variable`` is defined on the records where ``where`` holds,
    e.g. QSORRES where QSTESTCD is one of the EASI item codes (from the EASI form, Collected),
    QVAL where QNAM = AEIRR, or AVAL where PARAMCD = EASI50."""

    variable: str
    where: tuple[tuple[str, tuple[str, ...]], ...]   # ((variable, (values...)), ...) all must hold
    spec: VariableSpec


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset as this study writes it, in standard variable order."""

    name: str
    label: str
    cls: str
    structure: str
    keys: tuple[str, ...]
    variables: tuple[VariableSpec, ...]
    standard: str = "SDTMIG 3.4"
    value_level: tuple[ValueLevel, ...] = ()
    description: str = ""

    def variable(self, name: str) -> VariableSpec | None:
        for v in self.variables:
            if v.name == name:
                return v
        return None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.variables)

    def with_lengths(self, lengths: dict[str, int]) -> "DatasetSpec":
        return replace(self, variables=tuple(
            replace(v, length=lengths.get(v.name, v.length)) for v in self.variables))
