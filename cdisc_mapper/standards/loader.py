"""Loads the implementation guides that the package ships as data.

``load_standard("SDTMIG", "3.4")`` builds the :class:`~cdisc_mapper.spec.model.Standard` from
``sdtmig-3.4.yaml`` (datasets, variables in guide order, keys) with the codelists of the bundled CT;
pass ``ct=`` (a full NCI EVS package) to take the codelists from that file instead.  Results are
cached; the objects are frozen, the dicts must be treated as read-only.

A few facts of the guide do not fit the model's one-codelist-per-variable shape and are answered by
functions here: the several codelists of DSDECOD (:func:`variable_codelists`), the external value
domain of a variable such as ISO 8601 or MedDRA (:func:`value_domain`), and the codelist or
dictionary of TSVAL per TS parameter (:func:`ts_value_codelist`, :func:`ts_value_dictionary`).
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from pathlib import Path

from cdisc_mapper.errors import UsageError
from cdisc_mapper.spec.model import Codelist, DatasetDef, Standard, VariableDef
from cdisc_mapper.standards.ct import (
    _yaml,
    bundled_ct,
    bundled_ct_version,
    bundled_file,
    ct_version_from_path,
    load_ct,
    merge_ct,
)

__all__ = [
    "available_standards",
    "bundled_ct",
    "load_ct",
    "load_standard",
    "ts_value_codelist",
    "ts_value_dictionary",
    "value_domain",
    "variable_codelists",
    "variable_set",
]

_PACKAGE = "cdisc_mapper.standards"


def available_standards() -> list[tuple[str, str]]:
    """(name, version) of every implementation guide shipped with the package."""
    out = []
    for f in resources.files(_PACKAGE).iterdir():
        n = f.name
        if n.endswith(".yaml") and "-" in n:
            stem = n[:-5]
            name, version = stem.rsplit("-", 1)
            out.append((_canonical_name(name), version))
    return sorted(out)


def _canonical_name(name: str) -> str:
    return {"sdtmig": "SDTMIG", "adamig": "ADaMIG"}.get(name.lower(), name.upper())


def _raw(name: str, version: str) -> dict:
    """The parsed YAML of a shipped guide (cached)."""
    return _raw_file(_canonical_name(name), str(version))


@cache
def _raw_file(name: str, version: str) -> dict:
    f = resources.files(_PACKAGE).joinpath(f"{name.lower()}-{version}.yaml")
    if not (re.fullmatch(r"[A-Za-z]+", name) and re.fullmatch(r"[0-9.]+", version) and f.is_file()):
        have = ", ".join(f"{n} {v}" for n, v in available_standards())
        raise UsageError(f"unknown standard '{name} {version}' (available: {have})")
    return _yaml(f.read_text(encoding="utf-8"))


_DEFAULT_COLUMNS = ("name", "label", "type", "role", "core", "codelist", "value_domain")


def _columns(name: str, version: str) -> dict[str, int]:
    cols = _raw(name, version).get("columns") or _DEFAULT_COLUMNS
    return {c: i for i, c in enumerate(cols)}


def _cell(row: list, cols: dict[str, int], col: str):
    i = cols.get(col)
    return row[i] if i is not None and i < len(row) else None


@cache
def _datasets(name: str, version: str) -> dict[str, DatasetDef]:
    data = _raw(name, version)
    cols = _columns(name, version)
    out = {}
    for ds, d in data["datasets"].items():
        variables = []
        for order, row in enumerate(d["variables"], start=1):
            cl = _cell(row, cols, "codelist")
            variables.append(VariableDef(
                name=row[cols["name"]], label=row[cols["label"]], type=row[cols["type"]], order=order,
                role=_cell(row, cols, "role") or "", core=row[cols["core"]],
                codelist=cl[0] if isinstance(cl, list) else cl))
        out[ds] = DatasetDef(name=ds, label=d["label"], cls=d["class"], structure=d["structure"],
                             keys=tuple(d["keys"]), variables=tuple(variables))
    return out


def _bundled_for(name: str, version: str) -> dict[str, Codelist]:
    """The bundled codelists a guide uses: the SDTM CT subset plus its own ``ct_files``."""
    data = _raw(name, version)
    return merge_ct(bundled_ct(), *(bundled_file(f)[0] for f in data.get("ct_files") or ()))


@cache
def _load_standard(name: str, version: str, ct: str | None) -> Standard:
    datasets = _datasets(name, version)
    codelists = _bundled_for(name, version)
    ct_version = str(_raw(name, version).get("ct_version") or bundled_ct_version())
    if ct is not None:
        codelists = merge_ct(codelists, load_ct(Path(ct)))
        ct_version = ct_version_from_path(ct) or ct_version
    return Standard(name=_canonical_name(name), version=version, datasets=datasets,
                    codelists=codelists, ct_version=ct_version)


def load_standard(name: str = "SDTMIG", version: str = "3.4", ct: Path | str | None = None) -> Standard:
    """The implementation guide shipped as package data, with its codelists.

    ``ct``: a full terminology package (see :func:`load_ct`) whose codelists replace the bundled ones
    of the same short name; ``ct_version`` then comes from its file name.
    """
    key = str(Path(ct).resolve()) if ct is not None else None
    return _load_standard(_canonical_name(name), str(version), key)


def _dataset_row(dataset: str, variable: str, name: str, version: str) -> list | None:
    dss = _raw(name, version)["datasets"]
    d = dss.get(dataset)
    if d is None and dataset.startswith("SUPP") and "SUPPQUAL" in dss:
        d = dss["SUPPQUAL"]
    if d is None:
        return None
    for row in d["variables"]:
        if row[0] == variable:
            return row
    return None


def variable_codelists(dataset: str, variable: str, name: str = "SDTMIG",
                       version: str = "3.4") -> tuple[str, ...]:
    """Every codelist the guide names for a variable, in its order (DSDECOD has three; most have
    one or none).  ``VariableDef.codelist`` holds the first."""
    row = _dataset_row(dataset, variable, name, version)
    cl = None if row is None else _cell(row, _columns(name, version), "codelist")
    if cl is None:
        return ()
    return tuple(cl) if isinstance(cl, list) else (cl,)


def value_domain(dataset: str, variable: str, name: str = "SDTMIG", version: str = "3.4") -> str | None:
    """The external value domain the guide gives a variable ('ISO 8601 datetime or interval',
    'ISO 8601 duration', 'MedDRA', 'ISO 21090 NullFlavor', ...) or None."""
    row = _dataset_row(dataset, variable, name, version)
    return None if row is None else _cell(row, _columns(name, version), "value_domain")


def variable_set(dataset: str, variable: str, name: str = "ADaMIG", version: str = "1.3") -> str | None:
    """The ADaMIG variable set of a variable ('Identifier', 'Timing', 'Analysis Parameter', ...)."""
    row = _dataset_row(dataset, variable, name, version)
    return None if row is None else _cell(row, _columns(name, version), "variable_set")


def ts_value_codelist(tsparmcd: str, version: str = "3.4") -> str | None:
    """Short name of the codelist that TSVAL takes for a TS parameter (``TPHASE`` -> ``TPHASE``,
    ``RANDOM`` -> ``NY``, ``DOSU`` -> ``UNIT``), or None where the value is free text, a date or
    from an external dictionary."""
    return (_raw("SDTMIG", version).get("ts_value_codelists") or {}).get(tsparmcd)


def ts_value_dictionary(tsparmcd: str, version: str = "3.4") -> str | None:
    """The external dictionary (TSVCDREF) of TSVALCD for a TS parameter (``FCNTRY`` -> ``ISO 3166``,
    ``TRT`` -> ``UNII``, ``INDIC`` -> ``SNOMED``), or None."""
    return (_raw("SDTMIG", version).get("ts_value_dictionaries") or {}).get(tsparmcd)
