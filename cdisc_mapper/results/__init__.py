"""The analysis results of a study, from its written ADaM datasets and its declared analyses.

:func:`compute_results` reads the ADaM XPT files of one study, runs the analyses declared in the
ADaM specs (:mod:`.plan`) into one analysis results data table (:mod:`.ard`), and lays the
displays out from it (:mod:`.tables`).  :func:`write_results` writes, into
``analysis/adam/results/``, all or nothing:

* ``ard.csv`` — the analysis results data, every number once;
* ``ars.json`` — the reporting event as CDISC ARS 1.0 JSON, with the same results;
* ``t14_2_1.rtf`` / ``.html`` / ``.csv`` … — each display, drawn from the ARD;
* ``results.html`` — every display on one page.
"""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import DataError, UsageError
from ..io.atomic import replaced_folder, write_bytes_atomic

__all__ = ["compute_results", "write_results", "study_plan", "datasets_folder"]


def datasets_folder(adam_dir: Path) -> Path:
    """``<adam>/datasets`` when ``adam_dir`` is the analysis/adam folder, else ``adam_dir``."""
    adam_dir = Path(adam_dir)
    return adam_dir / "datasets" if (adam_dir / "datasets").is_dir() else adam_dir


def study_plan(study) -> "Plan":
    """The analyses declared in the ADaM specs of a study (after its overrides)."""
    from ..adam.loader import load_specs
    from .plan import load_plan
    return load_plan(load_specs(study))


def compute_results(adam_dir: Path, plan) -> dict[str, Any]:
    """``study`` (STUDYID), ``inputs`` (file, records, SHA-256 of each dataset read), ``ard``
    (the analysis results data) and ``tables`` (the displays) of the ADaM files under
    ``adam_dir`` and the analyses of ``plan``."""
    from .ard import compute_ard
    from .tables import build_tables, read_dataset

    folder = datasets_folder(adam_dir)
    if not (folder / "adsl.xpt").is_file():
        raise UsageError(f"no ADaM datasets in {folder} (adsl.xpt not found); run "
                         "cdisc-map convert first")
    datasets, inputs = {}, []
    for path in sorted(folder.glob("*.xpt")):
        name = path.stem.upper()
        datasets[name] = read_dataset(folder, name)
        with open(path, "rb") as fh:             # hashed in blocks, not read whole again
            digest = hashlib.file_digest(fh, "sha256").hexdigest()
        inputs.append({"file": path.name, "records": len(datasets[name]), "sha256": digest})
    adsl = datasets["ADSL"]
    studies = sorted(set(adsl["STUDYID"].dropna())) if "STUDYID" in adsl else []
    if len(studies) != 1:
        raise DataError(f"ADSL holds {len(studies)} study identifiers; expected one",
                        file=str(folder / "adsl.xpt"))
    ard = compute_ard(plan, datasets)
    return {"study": studies[0], "inputs": inputs, "ard": ard, "plan": plan,
            "tables": build_tables(plan, ard)}


def ard_csv(ard: pd.DataFrame) -> bytes:
    return ard.to_csv(index=False, lineterminator="\n", float_format="%.15g").encode("utf-8")


def table_csv(t) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([t.display, t.title, t.population])
    for hrow in t.header:
        cells = []
        for text, span in hrow:
            cells += [text.replace("\n", " ")] + [""] * (span - 1)
        w.writerow(cells)
    for row in t.rows:
        w.writerow(["  " * row.indent + row.cells[0]] + row.cells[1:])
    for note in t.footnotes:
        w.writerow([note])
    return buf.getvalue().encode("utf-8")


def write_results(adam_dir: Path, study_id: str, plan) -> list[Path]:
    """Compute the results of ``plan`` from the ADaM XPT files under ``adam_dir`` (the
    ``analysis/adam`` folder) and write ``adam_dir/results/``; returns the files.

    The folder is written into a staging folder and moved into place: a failure leaves the
    previous results as they were."""
    from .ars import ars_json, reporting_event
    from .html import page_html, render_html
    from .rtf import table_rtf

    adam_dir = Path(adam_dir)
    res = compute_results(adam_dir, plan)
    if res["study"] != study_id:
        raise DataError(f"the ADaM datasets are of study {res['study']}, not {study_id}",
                        file=str(datasets_folder(adam_dir) / "adsl.xpt"))
    root = adam_dir if (adam_dir / "datasets").is_dir() else adam_dir.parent
    target = root / "results"
    out: dict[str, bytes] = {"ard.csv": ard_csv(res["ard"]),
                             "ars.json": ars_json(reporting_event(study_id, plan, res["ard"],
                                                                  res["tables"]))}
    for t in res["tables"]:
        out[f"{t.file}.rtf"] = table_rtf(study_id, t)
        out[f"{t.file}.html"] = page_html(study_id, t).encode("utf-8")
        out[f"{t.file}.csv"] = table_csv(t)
    out["results.html"] = render_html(study_id, res["tables"], res["inputs"]).encode("utf-8")
    with replaced_folder(target) as staging:
        for name, data in out.items():
            write_bytes_atomic(staging / name, data)
    return [target / name for name in out]
