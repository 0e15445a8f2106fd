"""Answer "where did this value come from?" for one record of a written package."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from .errors import InputError, UsageError
from .io.datasetjson import read_dataset_json

SDTM = Path("tabulations") / "sdtm"


def _raw_row(project: Path, raw_file: str, row: int) -> dict[str, str] | None:
    path = project / raw_file
    if not path.is_file():
        return None
    with path.open(encoding="utf-8", newline="") as fh:
        for i, rec in enumerate(csv.DictReader(fh), 1):
            if i == row:
                return rec
    return None


def trace(package: Path, dataset: str, *, usubjid: str | None = None, seq: int | None = None,
          record: int | None = None, project: Path | None = None) -> str:
    folder = package / SDTM
    lin_path = folder / "lineage.json"
    if not lin_path.is_file():
        raise UsageError(f"no lineage.json in {folder}: is {package} a converted study folder?")
    try:
        lineage = json.loads(lin_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise InputError(f"not valid JSON ({e.msg}, line {e.lineno} column {e.colno}): the file "
                         "is damaged or truncated; convert the study again", file=str(lin_path)
                         ) from None
    except UnicodeDecodeError as e:
        raise InputError(f"not UTF-8 text ({e.reason} at byte {e.start})",
                         file=str(lin_path)) from None
    if not isinstance(lineage, dict) or not isinstance(lineage.get("datasets"), dict):
        raise InputError("not a lineage file (no 'datasets' object): convert the study again",
                         file=str(lin_path))
    if dataset not in lineage["datasets"]:
        raise UsageError(f"dataset {dataset} is not in {package} "
                         f"({', '.join(sorted(lineage['datasets']))})")
    data, _meta = read_dataset_json(folder / f"{dataset.lower()}.json")
    if record is None:
        if usubjid is None:
            raise UsageError("give --record N, or --usubjid (and --seq for datasets with --SEQ)")
        mask = data["USUBJID"] == usubjid
        seqvar = next((c for c in data.columns if c.endswith("SEQ") and len(c) == 5), None)
        if seq is not None and seqvar:
            mask &= data[seqvar].astype(float) == float(seq)
        hits = list(mask[mask].index)
        if not hits:
            raise UsageError(f"no {dataset} record for USUBJID {usubjid}"
                             + (f" and sequence {seq}" if seq is not None else ""))
        if len(hits) > 1:
            raise UsageError(f"{len(hits)} {dataset} records match; add --seq or use --record")
        index = hits[0]
    else:
        if not 1 <= record <= len(data):
            raise UsageError(f"{dataset} has {len(data)} records; --record {record} is outside")
        index = record - 1
    ds = lineage["datasets"][dataset]
    recs = ds["records"]
    raw_file = ds["raw_files"][recs["raw_file"][index]]
    raw_row = recs["raw_row"][index]
    raw_col = recs["raw_column"][index]
    lines = [f"{dataset} record {index + 1} of {len(data)}"
             f"{' (supplemental qualifier of ' + ds['parent'] + ')' if ds.get('parent') else ''}",
             f"  from {raw_file}, data row {raw_row} (line {raw_row + 1})"
             + (f", column {raw_col}" if raw_col else "")]
    raw = _raw_row(project or Path.cwd(), raw_file, raw_row) if raw_row else None
    if raw:
        lines.append("  raw values: " + ", ".join(f"{k}={v!r}" for k, v in raw.items() if v))
    elif raw_row and not raw_file.endswith(".yaml"):
        lines.append(f"  (raw values not shown: {raw_file} is not found from the project folder "
                     f"{project or Path.cwd()})")
    lines.append("")
    row = data.iloc[index]
    for var, info in ds["variables"].items():
        value = row.get(var)
        if value is None or value != value:
            shown = ""
        elif isinstance(value, float):
            shown = f"{value:g}"
        else:
            shown = repr(str(value))
        where = f" [{info['mapping']}]" if info.get("mapping") else ""
        lines.append(f"  {var:<8} = {shown:<24} {info['origin']}: {info['description']}{where}")
    return "\n".join(lines)
