"""Planted defects in every SDTMIG 3.4 dataset: a wrong label, a wrong type and a wrong length.

A package holding every dataset of the guide (a few records each, built from the guide's own
metadata: names, labels, types, codelists, value domains) is written as XPT; then one variable
label, one variable type and one character length are changed in each dataset, and ``validate``
must report each of the 3 x 63 defects on its dataset and variable, and nothing of the kind on
the clean package.
"""

from __future__ import annotations

import pytest

from all_datasets import write_package
from cdisc_mapper.standards import load_standard
from cdisc_mapper.validate import validate

RULES = {"label": "CM0009", "type": "CM0010", "length": "CM0011"}


def _found(result, rule: str) -> set[tuple[str, str]]:
    f = result.findings
    f = f[f["rule"] == rule]
    return set(zip(f["dataset"], f["variable"]))


@pytest.fixture(scope="module")
def packages(tmp_path_factory):
    root = tmp_path_factory.mktemp("all63")
    write_package(root / "clean")
    plants = write_package(root / "planted", planted=True)
    only = list(RULES.values())
    return (validate(root / "clean", only=only, max_findings=0),
            validate(root / "planted", only=only, max_findings=0), plants)


def test_package_holds_every_dataset_of_the_guide(packages):
    clean, planted, plants = packages
    assert len(plants) == len(load_standard().datasets) == 63
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
