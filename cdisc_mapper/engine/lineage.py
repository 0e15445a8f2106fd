"""The lineage file: for every record, the raw file and row it came from; for every variable, the
mapping method, its parameters' raw columns, its origin and the mapping file line.

Records are listed column-wise in the order of the dataset's rows (record *n* of ``ae.xpt`` is
entry *n*), which keeps the file compact for millions of records.  ``cdisc-map trace`` reads it to
answer "where did this value come from?".
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from .. import __version__
from ..io.xpt import factorize_cells
from .context import RunState
from .finalize import Final


def _texts(col: pd.Series) -> list[str | None]:
    """Each cell as text (None when missing), converting each distinct value once."""
    codes, uniques = factorize_cells(col)
    table = np.array([None if u is None or u != u else str(u) for u in uniques] + [None],
                     dtype=object)
    return table[codes].tolist()


def lineage_document(state: RunState, finals: dict[str, Final]) -> bytes:
    datasets = {}
    for name in sorted(finals):
        f = finals[name]
        variables = {}
        for v in f.spec.variables:
            entry = {"origin": v.origin, "method": v.method, "description": v.method_text}
            if v.sources:
                entry["raw_columns"] = list(v.sources)
            if v.source:
                entry["raw_forms"] = v.source
            if v.name in f.where:
                entry["mapping"] = f.where[v.name]
            variables[v.name] = entry
        lin = f.lineage
        col = lin["__column__"]
        ds = {
            "raw_files": f.files,
            "variables": variables,
            "records": {
                "raw_file": lin["__block__"].to_numpy(dtype=np.int64).tolist(),
                "raw_row": lin["__row__"].to_numpy(dtype=np.int64).tolist(),
                "raw_column": _texts(col),
            },
        }
        if f.parent:
            ds["parent"] = f.parent
            ds["qnam"] = {q: f.where.get(q, "") for q in getattr(f, "qvals", {})}
        datasets[name] = ds
    doc = {
        "study": state.study.id,
        "generator": f"cdisc_mapper {__version__}",
        "standard": f"{state.standard.name} {state.standard.version}",
        "about": "records[i] of a dataset is row i of its XPT/Dataset-JSON file; raw_row 1 is the "
                 "first data row of the raw form (a CSV's line 2, an ODM export's first item group "
                 "of the form); for trial design datasets raw_row is "
                 "the line of the study file",
        "datasets": datasets,
    }
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=True).encode("ascii")
