"""Shared test fixtures.

Reference oracles (CDISC schemas, SAS-written XPT files, the full SDTM CT, SDTMIG metadata) live in
a ``shared/reference`` folder beside the repository in CI, never inside the project.  Tests that
need them use the ``reference`` fixture, which skips with a clear reason where the folder is absent
(a user's fresh clone); everything else runs everywhere.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _reference_dir() -> Path | None:
    env = os.environ.get("CDISC_MAPPER_REFERENCE")
    candidates = [Path(env)] if env else []
    candidates.append(ROOT.parent / "shared" / "reference")
    for c in candidates:
        if c.is_dir():
            return c
    return None


REFERENCE = _reference_dir()


@pytest.fixture(scope="session")
def reference() -> Path:
    """The folder of third-party reference files; skips the test where it is absent."""
    if REFERENCE is None:
        pytest.skip("reference oracles not found: set CDISC_MAPPER_REFERENCE or place "
                    "shared/reference beside the repository (CI always has it)")
    return REFERENCE


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT
