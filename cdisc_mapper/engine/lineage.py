"""The lineage file: for every record, the raw file and row it came from; for every variable, the
mapping method, its parameters' raw columns, its origin and the mapping file line.

Records are listed column-wise in the order of the dataset's rows (record *n* of ``ae.xpt`` is
entry *n*), which keeps the file compact for millions of records.  ``cdisc-map trace`` reads it to
answer "where did this value come from?".
"""

from __future__ import annotations

import json

from .. import __version__
from .context import RunState
from .finalize import Final


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
                "raw_file": [int(x) for x in lin["__block__"]],
                "raw_row": [int(x) for x in lin["__row__"]],
                "raw_column": [None if c is None or c != c else str(c) for c in col],
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
