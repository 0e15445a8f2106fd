"""A package of every SDTMIG 3.4 dataset, a few records each, built from the guide's metadata.

``write_package(folder)`` writes one XPT per dataset of the guide (SUPPQUAL as SUPPDM) with
plausible values (codelist terms, ISO 8601 dates where the guide says so); ``planted=True``
changes one variable label, one variable type and one character length in each dataset and
returns which variables it changed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from cdisc_mapper.io.xpt import write_xpt, xpt_file_name
from cdisc_mapper.spec.model import DatasetSpec, VariableSpec
from cdisc_mapper.standards import load_standard, value_domain

STUDY = "PLANT1"
N = 3
CREATED = dt.datetime(2025, 1, 1)


def _sdtm():
    return load_standard("SDTMIG", "3.4")


def _file_name(ds: str) -> str:
    return "SUPPDM" if ds == "SUPPQUAL" else ds


def _values(ds: str, v, domain: str) -> list:
    """N plausible values of an IG variable (the defects planted are metadata, not data)."""
    std = _sdtm()
    name = v.name
    if v.type == "Num":
        return [float(i) for i in range(1, N + 1)]
    if name == "STUDYID":
        return [STUDY] * N
    if name == "DOMAIN":
        return [domain] * N
    if name in ("USUBJID", "RSUBJID"):
        return [f"{STUDY}-{i:03d}" for i in range(1, N + 1)]
    if name == "RDOMAIN":
        return ["DM"] * N
    vd = value_domain(ds, name) or ""
    if vd.startswith("ISO 8601 duration"):
        return ["P1D"] * N
    if vd.startswith("ISO 8601"):
        return [f"2024-01-0{i}" for i in range(1, N + 1)]
    cl = std.codelists.get(v.codelist) if v.codelist else None
    if cl is not None and cl.terms:
        return [cl.terms[0].value] * N
    return [f"{name[-4:]}{i}" for i in range(1, N + 1)]


def _spec(ds_name: str) -> tuple[DatasetSpec, pd.DataFrame]:
    igds = _sdtm().datasets[ds_name]
    name = _file_name(ds_name)
    cols, variables = {}, []
    for v in igds.variables:
        if any(ch.islower() for ch in v.name):
            continue   # placeholder names (none in SDTMIG 3.4; kept safe)
        cols[v.name] = _values(ds_name, v, name)
        variables.append(VariableSpec(name=v.name, label=v.label, type=v.type, role=v.role,
                                      core=v.core))
    label = "Supplemental Qualifiers for DM" if ds_name == "SUPPQUAL" else igds.label
    spec = DatasetSpec(name=name, label=label, cls=igds.cls, structure=igds.structure,
                       keys=igds.keys, variables=tuple(variables))
    return spec, pd.DataFrame(cols)


def _targets(spec: DatasetSpec) -> dict[str, str]:
    """The variable of each planted defect: three different variables of the dataset."""
    skip = {"STUDYID", "DOMAIN", "USUBJID"}
    chars = [v.name for v in spec.variables if v.type == "Char" and v.name not in skip]
    nums = [v.name for v in spec.variables if v.type == "Num"]
    label = chars[0]
    length = chars[1]
    rest = [n for n in nums if not n.endswith("SEQ")] or nums or chars[2:]
    return {"label": label, "length": length, "type": rest[-1]}


def write_package(folder: Path, planted: bool = False,
                  datasets: tuple[str, ...] | None = None) -> dict[str, dict[str, str]]:
    folder.mkdir(parents=True, exist_ok=True)
    plants = {}
    for ds_name in datasets or tuple(_sdtm().datasets):
        spec, df = _spec(ds_name)
        if planted:
            t = _targets(spec)
            plants[spec.name] = t
            out = []
            for v in spec.variables:
                if v.name == t["label"]:
                    v = VariableSpec(**{**v.__dict__, "label": "Planted wrong label"})
                elif v.name == t["length"]:
                    longest = max(len(x) for x in df[v.name])
                    v = VariableSpec(**{**v.__dict__, "length": longest + 12})
                elif v.name == t["type"]:
                    if v.type == "Num":
                        df[v.name] = [str(int(x)) for x in df[v.name]]
                        v = VariableSpec(**{**v.__dict__, "type": "Char"})
                    else:
                        df[v.name] = [float(i) for i in range(1, N + 1)]
                        v = VariableSpec(**{**v.__dict__, "type": "Num"})
                out.append(v)
            spec = DatasetSpec(**{**spec.__dict__, "variables": tuple(out)})
        write_xpt(df, folder / xpt_file_name(spec.name), spec, created=CREATED)
    return plants
