"""Planted defects in every SDTMIG 3.4 dataset: a wrong label, a wrong type and a wrong length.

A package holding every dataset of the guide (a few records each, built from the guide's own
metadata: names, labels, types, codelists, value domains) is written as XPT; then one variable
label, one variable type and one character length are changed in each dataset, and ``validate``
must report each of the 3 x 63 defects on its dataset and variable, and nothing of the kind on
the clean package.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from cdisc_mapper.io.xpt import write_xpt, xpt_file_name
from cdisc_mapper.spec.model import DatasetSpec, VariableSpec
from cdisc_mapper.standards import load_standard, value_domain
from cdisc_mapper.validate import validate

STUDY = "PLANT1"
N = 3
CREATED = dt.datetime(2025, 1, 1)
RULES = {"label": "CM0009", "type": "CM0010", "length": "CM0011"}


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


def _write(folder: Path, planted: bool) -> dict[str, dict[str, str]]:
    folder.mkdir(parents=True, exist_ok=True)
    plants = {}
    for ds_name in _sdtm().datasets:
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


def _found(result, rule: str) -> set[tuple[str, str]]:
    f = result.findings
    f = f[f["rule"] == rule]
    return set(zip(f["dataset"], f["variable"]))


@pytest.fixture(scope="module")
def packages(tmp_path_factory):
    root = tmp_path_factory.mktemp("all63")
    _write(root / "clean", planted=False)
    plants = _write(root / "planted", planted=True)
    only = list(RULES.values())
    return (validate(root / "clean", only=only, max_findings=0),
            validate(root / "planted", only=only, max_findings=0), plants)


def test_package_holds_every_dataset_of_the_guide(packages):
    clean, planted, plants = packages
    assert len(plants) == len(_sdtm().datasets) == 63
    assert set(clean.package.datasets) == set(plants)
    status = {st.rule.id: st.status for st in clean.statuses if st.rule.id in RULES.values()}
    assert status == {r: "passed" for r in RULES.values()}


@pytest.mark.parametrize("defect", sorted(RULES))
def test_every_planted_defect_is_found(packages, defect):
    _, planted, plants = packages
    found = _found(planted, RULES[defect])
    expected = {(ds, t[defect]) for ds, t in plants.items()}
    missing = sorted(expected - found)
    assert not missing, f"{len(missing)} planted wrong {defect}s not found: {missing[:10]}"
    assert found == expected   # and nothing else (each dataset's other variables are right)


def test_whole_catalogue_runs_on_every_dataset(packages, tmp_path):
    """Every rule of the catalogue runs on the 63 datasets without failing (status 'error')."""
    _, planted, _ = packages
    full = validate(planted.package.root, max_findings=1)
    errors = [(st.rule.id, st.reason) for st in full.statuses if st.status == "error"]
    assert not errors
    status = {st.rule.id: st for st in full.statuses}
    for rule in RULES.values():
        assert status[rule].found == 63 and len(status[rule].per_dataset) == 63
