"""The synthetic study the benchmarks run on: the sample's mappings and define files, pointed at
a freshly generated raw-data folder of any size (phase 2 design)."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def synthetic_study(work: Path, subjects: int) -> Path:
    """Write ``work/raw`` (``subjects`` subjects) and a copy of the mappings that reads it;
    return the study file."""
    from cdisc_mapper.synth import write_study

    shutil.copytree(ROOT / "mappings", work / "mappings")
    shutil.copytree(ROOT / "define", work / "define")
    study_file = work / "mappings" / "ADT2002-P2" / "study.yaml"
    text = study_file.read_text(encoding="utf-8").replace(
        "raw: ../../samples/ADT2002-P2", "raw: ../../raw")
    study_file.write_text(text, encoding="utf-8")
    write_study(work / "raw", "ADT2002-P2", n_subjects=subjects)
    return study_file
