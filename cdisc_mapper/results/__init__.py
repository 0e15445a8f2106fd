"""The published results, computed from the written ADaM datasets alone.

:func:`compute_results` reads the ADaM XPT files of one study (``ADSL``, every BDS dataset with
responder or change-from-baseline parameters, every occurrence dataset with TRTEMFL) and returns
the tables as DataFrames; :func:`write_results` writes them as CSV files and one self-contained
``results.html`` into ``<adam>/results/``, all or nothing.  The statistics are SciPy's.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import DataError, UsageError
from ..io.atomic import replaced_folder, write_bytes_atomic
from .html import render_html
from .tables import ae_tables, change_tables, read_dataset, responder_tables

__all__ = ["compute_results", "write_results", "RESULT_TABLES"]

#: CSV file name of each table.
RESULT_TABLES = {
    "responders": "efficacy_responders.csv",
    "responder_tests": "efficacy_responder_tests.csv",
    "change": "efficacy_change.csv",
    "change_tests": "efficacy_change_tests.csv",
    "ae_overview": "ae_overview.csv",
    "ae_soc_pt": "ae_soc_pt.csv",
    "ae_severity": "ae_severity.csv",
}


def datasets_folder(adam_dir: Path) -> Path:
    """``<adam>/datasets`` when ``adam_dir`` is the analysis/adam folder, else ``adam_dir``."""
    adam_dir = Path(adam_dir)
    return adam_dir / "datasets" if (adam_dir / "datasets").is_dir() else adam_dir


def compute_results(adam_dir: Path) -> dict[str, Any]:
    """The result tables of a study from its written ADaM XPT files.

    Returns ``study`` (STUDYID), ``inputs`` (file, records, SHA-256 of each dataset read) and one
    DataFrame per entry of :data:`RESULT_TABLES` (with a ``dataset`` column naming the BDS or
    OCCDS dataset a row comes from)."""
    folder = datasets_folder(adam_dir)
    if not (folder / "adsl.xpt").is_file():
        raise UsageError(f"no ADaM datasets in {folder} (adsl.xpt not found); run "
                         "cdisc-map convert first")
    adsl = read_dataset(folder, "ADSL")
    inputs = []
    tables: dict[str, list[pd.DataFrame]] = {k: [] for k in RESULT_TABLES}
    for path in sorted(folder.glob("*.xpt")):
        name = path.stem.upper()
        df = adsl if name == "ADSL" else read_dataset(folder, name)
        inputs.append({"file": path.name, "records": len(df),
                       "sha256": hashlib.sha256(path.read_bytes()).hexdigest()})
        if name == "ADSL":
            continue
        cols = set(df.columns)
        parts: dict[str, pd.DataFrame] = {}
        if {"PARAMCD", "AVALC", "ANL01FL"} <= cols:
            parts["responders"], parts["responder_tests"] = responder_tables(adsl, df, name)
        if {"PARAMCD", "CHG", "ANL01FL"} <= cols:
            parts["change"], parts["change_tests"] = change_tables(df, name)
        if {"TRTEMFL", "AEDECOD"} <= cols:
            parts["ae_overview"], parts["ae_soc_pt"], parts["ae_severity"] = ae_tables(
                adsl, df, name)
        for key, table in parts.items():
            if not table.empty:
                tables[key].append(table.assign(dataset=name))
    studies = sorted(set(adsl["STUDYID"].dropna())) if "STUDYID" in adsl else []
    if len(studies) != 1:
        raise DataError(f"ADSL holds {len(studies)} study identifiers; expected one",
                        file=str(folder / "adsl.xpt"))
    out: dict[str, Any] = {"study": studies[0], "inputs": inputs}
    for key, parts in tables.items():
        if parts:
            df = pd.concat(parts, ignore_index=True)
            out[key] = df[["dataset"] + [c for c in df.columns if c != "dataset"]]
        else:
            out[key] = pd.DataFrame()
    return out


def _csv(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False, lineterminator="\n", float_format="%.6g").encode("utf-8")


def write_results(adam_dir: Path, study_id: str) -> list[Path]:
    """Compute the results from the ADaM XPT files under ``adam_dir`` (the ``analysis/adam``
    folder) and write ``adam_dir/results/*.csv`` and ``results.html``; returns the files.

    The folder is written into a staging folder and moved into place: a failure leaves the
    previous results as they were."""
    adam_dir = Path(adam_dir)
    res = compute_results(adam_dir)
    if res["study"] != study_id:
        raise DataError(f"the ADaM datasets are of study {res['study']}, not {study_id}",
                        file=str(datasets_folder(adam_dir) / "adsl.xpt"))
    root = adam_dir if (adam_dir / "datasets").is_dir() else adam_dir.parent
    target = root / "results"
    files: list[Path] = []
    with replaced_folder(target) as staging:
        for key, name in RESULT_TABLES.items():
            write_bytes_atomic(staging / name, _csv(res[key]))
            files.append(staging / name)
        write_bytes_atomic(staging / "results.html", render_html(res).encode("utf-8"))
        files.append(staging / "results.html")
    return [target / f.name for f in files]
