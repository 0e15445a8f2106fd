"""Answer "where did this value come from?" for one record of a written package.

An SDTM record leads, through ``tabulations/sdtm/lineage.json``, to its raw file, row and column;
an ADaM record leads, through ``analysis/adam/datasets/lineage.json``, to the SDTM records it
was derived from and on to their raw rows.  The raw files are looked up from the project folder
given, the current folder, the folders above the package, and the installed project, in that
order, so ``trace`` shows raw values wherever it is run from.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError, UsageError
from .io.datasetjson import read_dataset_json

SDTM = Path("tabulations") / "sdtm"
ADAM = Path("analysis") / "adam"


def show(value) -> str:
    """A value as a reviewer reads it: ``10003107`` (not ``1.00031e+07``), text quoted."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return repr(str(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    return repr(str(value))


def _roots(package: Path, project: Path | None) -> list[Path]:
    roots = [project] if project is not None else []
    roots.append(Path.cwd())
    roots += list(package.resolve().parents)
    roots.append(Path(__file__).resolve().parents[1])        # the project the code came from
    return list(dict.fromkeys(r for r in roots if r is not None))


def _raw_row(roots: list[Path], raw_file: str, row: int) -> tuple[dict[str, str] | None, Path | None]:
    for root in roots:
        path = root / raw_file
        if path.is_file():
            with path.open(encoding="utf-8-sig", newline="") as fh:
                for i, rec in enumerate(csv.DictReader(fh), 1):
                    if i == row:
                        return rec, root
            return None, root
    return None, None


def _read_lineage(path: Path) -> dict:
    """A lineage file, or one clear error when it is damaged, truncated or not ours."""
    try:
        lineage = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise InputError(f"not valid JSON ({e.msg}, line {e.lineno} column {e.colno}): the file "
                         "is damaged or truncated; convert the study again", file=str(path)
                         ) from None
    except UnicodeDecodeError as e:
        raise InputError(f"not UTF-8 text ({e.reason} at byte {e.start})", file=str(path)) from None
    if not isinstance(lineage, dict) or not isinstance(lineage.get("datasets"), dict):
        raise InputError("not a lineage file (no 'datasets' object): convert the study again",
                         file=str(path))
    return lineage


class _Package:
    def __init__(self, package: Path, project: Path | None):
        self.package = package
        self.roots = _roots(package, project)
        self.sdtm_dir = package / SDTM
        self._lineage: dict[Path, dict] = {}
        self._data: dict[Path, pd.DataFrame] = {}

    def lineage(self, folder: Path) -> dict | None:
        path = folder / "lineage.json"
        if path not in self._lineage:
            self._lineage[path] = _read_lineage(path) if path.is_file() else None
        return self._lineage[path]

    def data(self, folder: Path, dataset: str) -> pd.DataFrame:
        path = folder / f"{dataset.lower()}.json"
        if path not in self._data:
            if not path.is_file():
                raise UsageError(f"{path} not found: the lineage names {dataset}, but the "
                                 "package has no Dataset-JSON file of it")
            self._data[path] = read_dataset_json(path)[0]
        return self._data[path]

    def adam_dir(self) -> Path | None:
        for folder in (self.package / ADAM / "datasets", self.package / ADAM):
            if (folder / "lineage.json").is_file():
                return folder
        return None


def _find(data: pd.DataFrame, dataset: str, usubjid, seq, record) -> int:
    if record is not None:
        if not 1 <= record <= len(data):
            raise UsageError(f"{dataset} has {len(data)} records; --record {record} is outside")
        return record - 1
    if usubjid is None:
        raise UsageError("give --record N, or --usubjid (and --seq for datasets with --SEQ or "
                         "ASEQ)")
    mask = data["USUBJID"] == usubjid
    seqvar = next((c for c in data.columns if c == "ASEQ"), None) or next(
        (c for c in data.columns if c.endswith("SEQ") and len(c) == 5), None)
    if seq is not None and seqvar:
        mask &= data[seqvar].astype(float) == float(seq)
    hits = list(mask[mask].index)
    if not hits:
        raise UsageError(f"no {dataset} record for USUBJID {usubjid}"
                         + (f" and sequence {seq}" if seq is not None else ""))
    if len(hits) > 1:
        raise UsageError(f"{len(hits)} {dataset} records match; add --seq or use --record")
    return int(hits[0])


def _sdtm_source(pkg: _Package, ds: dict, index: int, indent: str) -> list[str]:
    recs = ds["records"]
    raw_file = ds["raw_files"][recs["raw_file"][index]]
    raw_row = recs["raw_row"][index]
    raw_col = recs["raw_column"][index]
    lines = [f"{indent}from {raw_file}, data row {raw_row} (line {raw_row + 1})"
             + (f", column {raw_col}" if raw_col else "")]
    if not raw_row or raw_file.endswith(".yaml"):
        return lines
    raw, root = _raw_row(pkg.roots, raw_file, raw_row)
    if raw:
        lines.append(f"{indent}raw values: " + ", ".join(f"{k}={v!r}" for k, v in raw.items()
                                                         if v))
    elif root is None:
        lines.append(f"{indent}(raw values not shown: {raw_file} is not found under "
                     f"{', '.join(str(r) for r in pkg.roots[:2])}; give --project)")
    return lines


def _variables(row: pd.Series, variables: dict, indent: str) -> list[str]:
    lines = []
    for var, info in variables.items():
        shown = show(row.get(var))
        where = info.get("mapping") or info.get("derivation")
        where = f" [{where}]" if where else ""
        lines.append(f"{indent}{var:<8} = {shown:<24} {info['origin']}: "
                     f"{info['description']}{where}")
    return lines


def _trace_sdtm(pkg: _Package, dataset: str, usubjid, seq, record) -> str:
    lineage = pkg.lineage(pkg.sdtm_dir)
    if lineage is None:
        raise UsageError(f"no lineage.json in {pkg.sdtm_dir}: is {pkg.package} a converted "
                         "study folder?")
    if dataset not in lineage["datasets"]:
        adam = pkg.adam_dir()
        known = sorted(lineage["datasets"]) + sorted(
            (pkg.lineage(adam) or {}).get("datasets", {}) if adam else [])
        raise UsageError(f"dataset {dataset} is not in {pkg.package} ({', '.join(known)})")
    data = pkg.data(pkg.sdtm_dir, dataset)
    index = _find(data, dataset, usubjid, seq, record)
    ds = lineage["datasets"][dataset]
    lines = [f"{dataset} record {index + 1} of {len(data)}"
             f"{' (supplemental qualifier of ' + ds['parent'] + ')' if ds.get('parent') else ''}"]
    lines += _sdtm_source(pkg, ds, index, "  ")
    lines.append("")
    lines += _variables(data.iloc[index], ds["variables"], "  ")
    return "\n".join(lines)


def _key_values(row: pd.Series) -> str:
    keys = [c for c in row.index if c in ("USUBJID",) or c.endswith("SEQ")
            or c.endswith("TESTCD") or c.endswith("TERM") or c == "VISIT"
            or c.endswith("ORRES") or c.endswith("STRESN") or c.endswith("DTC")]
    return ", ".join(f"{c}={show(row[c])}" for c in keys[:8] if show(row[c]))


def _trace_adam(pkg: _Package, folder: Path, dataset: str, usubjid, seq, record) -> str:
    lineage = pkg.lineage(folder)
    data = pkg.data(folder, dataset)
    index = _find(data, dataset, usubjid, seq, record)
    ds = lineage["datasets"][dataset]
    sources = str(ds["records"][index]).split()
    lines = [f"{dataset} record {index + 1} of {len(data)} (ADaM, specified in "
             f"{', '.join(ds.get('spec', []))})"]
    sdtm_dir = (folder / lineage.get("sdtm", "")).resolve() if lineage.get("sdtm") \
        else pkg.sdtm_dir
    sdtm = pkg.lineage(sdtm_dir)
    if not sources:
        lines.append("  added by imputation: no SDTM record (see DTYPE)")
    else:
        lines.append(f"  from {len(sources)} SDTM record{'s' if len(sources) > 1 else ''}:")
    for src in sources:
        name, _, n = src.partition(":")
        n = int(n)
        lines.append(f"    {name} record {n}")
        if sdtm is None or name not in sdtm["datasets"]:
            lines.append(f"      (no lineage of {name} in {sdtm_dir})")
            continue
        sd = pkg.data(sdtm_dir, name)
        lines.append(f"      {_key_values(sd.iloc[n - 1])}")
        lines += _sdtm_source(pkg, sdtm["datasets"][name], n - 1, "      ")
    lines.append("")
    lines += _variables(data.iloc[index], ds["variables"], "  ")
    return "\n".join(lines)


def trace(package: Path, dataset: str, *, usubjid: str | None = None, seq: int | None = None,
          record: int | None = None, project: Path | None = None) -> str:
    """The lineage of one record of ``dataset`` (SDTM or ADaM) of a converted study folder."""
    pkg = _Package(Path(package), project)
    adam = pkg.adam_dir()
    if adam is not None and dataset in (pkg.lineage(adam) or {}).get("datasets", {}):
        return _trace_adam(pkg, adam, dataset, usubjid, seq, record)
    return _trace_sdtm(pkg, dataset, usubjid, seq, record)
