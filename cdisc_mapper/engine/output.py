"""Write a built study as an SDTM package: XPT v5 + Dataset-JSON per dataset, lineage, problems.

Layout (eCTD module 5)::

    <STUDYID>/tabulations/sdtm/<dataset>.xpt      SAS transport v5, lower-case names
    <STUDYID>/tabulations/sdtm/<dataset>.json     Dataset-JSON 1.1
    <STUDYID>/tabulations/sdtm/lineage.json       where every record and variable came from
    <STUDYID>/reports/data-problems.csv           data problems (empty when there are none)
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

from .. import __version__
from ..io.atomic import write_bytes_atomic
from ..io.datasetjson import write_dataset_json
from ..io.safecell import safe_cell
from ..io.xpt import write_xpt
from ..spec.model import DatasetSpec
from .context import RunState
from .finalize import Final
from .lineage import lineage_document

SDTM = Path("tabulations") / "sdtm"


def write_package(state: RunState, finals: dict[str, Final], root: Path, created: datetime,
                  xpt_engine: str = "native") -> tuple[dict[str, DatasetSpec], list[Path]]:
    folder = root / SDTM
    folder.mkdir(parents=True, exist_ok=True)
    specs: dict[str, DatasetSpec] = {}
    files: list[Path] = []
    for name in sorted(finals):
        final = finals[name]
        xpt = folder / f"{name.lower()}.xpt"
        spec = write_xpt(final.data, xpt, final.spec, created=created, engine=xpt_engine)
        final.spec = spec
        specs[name] = spec
        js = folder / f"{name.lower()}.json"
        write_dataset_json(final.data, js, spec, created=created,
                           study_oid=f"STDY.{state.study.id}",
                           metadata_version_oid=f"MDV.{state.study.id}.SDTMIG.3.4",
                           source_system_version=__version__)
        files += [xpt, js]
    lin = folder / "lineage.json"
    write_bytes_atomic(lin, lineage_document(state, finals))
    files.append(lin)
    reports = root / "reports"
    reports.mkdir(exist_ok=True)
    prob = reports / "data-problems.csv"
    write_bytes_atomic(prob, problems_csv(state))
    files.append(prob)
    return specs, files


def problems_csv(state: RunState) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["severity", "dataset", "variable", "file", "record", "usubjid", "value", "message"])
    for p in state.problems:
        w.writerow([safe_cell(c) for c in (p.severity, p.dataset, p.variable, p.file,
                    p.record or "", p.usubjid or "", p.value, p.message)])
    return buf.getvalue().encode("utf-8")
