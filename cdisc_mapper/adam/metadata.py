"""Variable metadata of an ADaM dataset: from the ADaMIG, from the SDTMIG for copied SDTM
variables (Predecessor), or from the spec file for sponsor variables.

Derivations never add metadata.  A spec's ``variables:`` entry is usually empty (``{}``): the
label, type and core come from the ADaMIG 1.3 (placeholders resolved: ``TRT01P`` is the
guide's ``TRTxxP`` with "Period 01", ``AGEGR1`` its ``AGEGRy``, ``ANL01FL`` its ``ANLzzFL``),
or, for a variable the ADaMIG does not define, from the SDTMIG definition of the SDTM dataset it
is copied from (``ETHNIC`` from DM, ``AETERM`` from AE).  A variable neither defines must have
its label and type in the spec; giving a label to a variable a standard defines is an error (a
label is held in one place).

Lookup order by structure: ADSL — ADaMIG ADSL; BDS — ADaMIG BDS, then ADSL (ADSL variables
copied to BDS); OCCDS — ADaMIG ADSL, then BDS (the general timing and treatment variables, such
as ASTDT and TRTA); then the SDTM datasets the spec reads.  The ADaMIG 1.3 metadata shipped with
the product covers ADSL and BDS; OCCDS-only variables (TRTEMFL, AOCCFL, ADURN …) are written in
the spec with the labels of the ADaM OCCDS 1.1 document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from ..spec.model import DatasetDef, VariableDef
from ..standards import load_standard

_PLACEHOLDERS = (("xx", r"(?P<xx>\d\d)"), ("zz", r"(?P<zz>\d\d)"), ("y", r"(?P<y>[1-9]\d?)"),
                 ("w", r"(?P<w>[1-9])"))
LOOKUP = {"ADSL": ("ADSL",), "BDS": ("BDS", "ADSL"), "OCCDS": ("ADSL", "BDS")}
STRUCTURE_INFO = {
    "ADSL": ("SUBJECT LEVEL ANALYSIS DATASET", "One record per subject"),
    "BDS": ("BASIC DATA STRUCTURE",
            "One record per subject per parameter per analysis visit"),
    "OCCDS": ("OCCURRENCE DATA STRUCTURE", "One record per subject per occurrence"),
}


@dataclass(frozen=True)
class VarMeta:
    name: str
    label: str
    type: str
    core: str
    codelist: str | None
    defined_by: str               # "ADaMIG 1.3 ADSL", "SDTMIG 3.4 DM" or "spec"
    role: str = ""                # the ADaMIG variable set (or SDTM role)

    @property
    def standard(self) -> bool:
        return self.defined_by != "spec"


def _pattern(name: str) -> re.Pattern | None:
    if not any(c.islower() for c in name) or "*" in name:
        return None
    rx = re.escape(name)
    for token, group in _PLACEHOLDERS:
        rx = rx.replace(token, group, 1)
    return re.compile(f"^{rx}$")


def _label(label: str, values: dict[str, str]) -> str:
    for token, value in values.items():
        if value is not None:
            label = re.sub(rf"\b{token}\b", value, label)
    return label


@cache
def _patterns(structure: str) -> list[tuple[re.Pattern, VariableDef]]:
    ds = adamig().dataset(structure)
    out = []
    for v in ds.variables:
        p = _pattern(v.name)
        if p is not None:
            out.append((p, v))
    return out


def adamig():
    return load_standard("ADaMIG", "1.3")


def sdtmig():
    return load_standard("SDTMIG", "3.4")


def from_adamig(structure: str, name: str) -> VarMeta | None:
    """A variable of an ADaMIG structure (ADSL, BDS), placeholders resolved."""
    ds: DatasetDef | None = adamig().dataset(structure)
    if ds is None:
        return None
    v = ds.variable(name)
    where = f"ADaMIG 1.3 {structure}"
    if v is not None and not any(c.islower() for c in v.name):
        return VarMeta(name, v.label, v.type, v.core, v.codelist, where, v.role)
    for pattern, v in _patterns(structure):
        m = pattern.match(name)
        if m:
            return VarMeta(name, _label(v.label, m.groupdict()), v.type, v.core, v.codelist,
                           where, v.role)
    return None


def from_sdtmig(domain: str, name: str) -> VarMeta | None:
    ds = sdtmig().dataset(domain)
    if ds is None:
        return None
    v = ds.variable(name)
    if v is None:
        return None
    return VarMeta(name, v.label, v.type, "Perm", v.codelist, f"SDTMIG 3.4 {domain}", v.role)


def standard_variable(structure: str, name: str, domains: list[str]) -> VarMeta | None:
    for s in LOOKUP[structure]:
        meta = from_adamig(s, name)
        if meta is not None:
            return meta
    for d in domains:
        meta = from_sdtmig(d, name)
        if meta is not None:
            return meta
    return None


def required_variables(structure: str) -> list[tuple[str, str]]:
    """(name or placeholder name, label) of the variables the ADaMIG requires in a structure."""
    if structure == "OCCDS":
        return [("STUDYID", "Study Identifier"), ("USUBJID", "Unique Subject Identifier")]
    ds = adamig().dataset(structure)
    return [(v.name, v.label) for v in ds.variables if v.core == "Req"]


def satisfies(required: str, names: list[str]) -> bool:
    p = _pattern(required)
    if p is None:
        return required in names
    return any(p.match(n) for n in names)


def default_label(structure: str) -> str | None:
    if structure == "ADSL":
        return adamig().dataset("ADSL").label
    return None
