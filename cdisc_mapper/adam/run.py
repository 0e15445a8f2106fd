"""Convert one study from its written SDTM package to ADaM.

Layout (eCTD module 5)::

    <STUDYID>/analysis/adam/datasets/<dataset>.xpt    SAS transport v5 (same writer as SDTM)
    <STUDYID>/analysis/adam/datasets/<dataset>.json   Dataset-JSON 1.1
    <STUDYID>/analysis/adam/datasets/lineage.json     each record's SDTM records; each
                                                      variable's origin, derivation and spec line

The SDTM datasets are read back from the written XPT files, so ADaM depends only on what was
submitted.  Every spec is checked against those files before anything is derived; every dataset
is derived and checked (XPT v5 rules included) before anything is written; the datasets are
then written into a staging folder beside the target and moved into place, so a failed run
leaves no half-written output and a previous good package stays as it was.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from collections.abc import Callable

import pandas as pd

from .. import __version__
from ..io.atomic import replaced_folder, write_bytes_atomic
from ..io.datasetjson import write_dataset_json
from ..io.xpt import write_xpt, xpt_file_name
from ..errors import UsageError
from ..mapping.study import Study
from ..spec.model import Codelist, DatasetSpec, Term
from .engine import AdamFinal, Plan, Sources, build, build_order, plan
from .loader import AdamSpec, load_specs

ADAM_DIR = Path("analysis") / "adam"
DATASETS_DIR = ADAM_DIR / "datasets"


@dataclass
class AdamResult:
    study: Study
    out_dir: Path                              # OUT/<STUDYID>
    specs: dict[str, DatasetSpec]              # as written (lengths set)
    data: dict[str, pd.DataFrame]              # the records as written
    files: list[Path]
    finals: dict[str, AdamFinal] = field(default_factory=dict)
    codelists: dict[str, Codelist] = field(default_factory=dict)   # sponsor: PARAMCD per BDS
    spec_files: dict[str, tuple[str, ...]] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def datasets_dir(self) -> Path:
        return self.out_dir / DATASETS_DIR

    @property
    def records(self) -> int:
        return sum(len(df) for df in self.data.values())


def plan_study(study: Study, sdtm_dir: Path) -> tuple[dict[str, AdamSpec], dict[str, Plan],
                                                      list[str], Sources]:
    """Load and check every ADaM spec of a study against the SDTM files; nothing derived."""
    specs = load_specs(study)
    sources = Sources(Path(sdtm_dir))
    # ADSL first: the other datasets' checks read its variables
    plans = {name: plan(specs[name], sources, specs)
             for name in sorted(specs, key=lambda n: (n != "ADSL", n))}
    for pl in plans.values():
        for ds, cols in pl.needed.items():
            sources.want(ds, cols)
    return specs, plans, build_order(plans), sources


def build_adam(study: Study, sdtm_dir: Path, *, progress: Callable[[str], None] | None = None
               ) -> dict[str, AdamFinal]:
    """Derive and finalise every ADaM dataset of a study, in memory."""
    return _build(study, sdtm_dir, progress)[1]


def _build(study: Study, sdtm_dir: Path, progress: Callable[[str], None] | None
           ) -> tuple[dict[str, AdamSpec], dict[str, AdamFinal]]:
    say = progress or (lambda _m: None)
    specs, plans, order, sources = plan_study(study, sdtm_dir)
    finals: dict[str, AdamFinal] = {}
    for name in order:
        t0 = time.perf_counter()
        final = build(plans[name], sources)
        sources.adam[name] = final
        finals[name] = final
        say(f"{study.id}: {name} {len(final.data):,} records "
            f"({time.perf_counter() - t0:.1f} s)")
    return specs, finals


def parameter_codelists(finals: dict[str, AdamFinal]) -> dict[str, Codelist]:
    """A sponsor codelist of PARAMCD (decode PARAM) for every BDS dataset."""
    out = {}
    for name, f in finals.items():
        if f.parameters:
            cid = f"PARAMCD_{name}"
            out[cid] = Codelist(cid, f"Parameter Code ({name})", tuple(
                Term(str(code), None, str(f.parameters[code])) for code in sorted(f.parameters)))
    return out


def lineage_document(study: Study, finals: dict[str, AdamFinal], specs_files: dict[str, tuple],
                     sdtm_rel: str) -> bytes:
    datasets = {}
    for name in sorted(finals):
        f = finals[name]
        variables = {}
        for v in f.spec.variables:
            entry = {"origin": v.origin, "method": v.method, "description": v.method_text,
                     "derivation": f.where.get(v.name, "")}
            if v.source:
                entry["predecessor"] = v.source
            if v.sources:
                entry["reads"] = list(v.sources)
            variables[v.name] = entry
        datasets[name] = {
            "spec": list(specs_files.get(name, ())),
            "variables": variables,
            "records": f.lineage,
        }
    doc = {
        "study": study.id,
        "generator": f"cdisc_mapper {__version__}",
        "standard": "ADaMIG 1.3",
        "sdtm": sdtm_rel,
        "about": ("records[i] of a dataset names the SDTM records that row i of its XPT/Dataset-"
                  "JSON file comes from, separated by blanks, each as 'DATASET:n' = record n "
                  "(1 = first) of that dataset in the SDTM folder named by 'sdtm' (whose own "
                  "lineage.json leads on to the raw CRF rows); an empty text is a record added "
                  "by imputation (see DTYPE)"),
        "datasets": datasets,
    }
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def convert_adam(study: Study, sdtm_dir: Path, out_dir: Path, *, created: datetime,
                 progress: Callable[[str], None] | None = None) -> AdamResult:
    """Build every ADaM dataset of ``study`` from the SDTM XPT files in ``sdtm_dir`` and write
    them (XPT v5, Dataset-JSON, lineage.json) under ``out_dir/analysis/adam/datasets/``.

    Nothing is written unless every dataset was derived and passes the XPT v5 checks; the
    folder is replaced as a whole.  ``created`` goes into the file headers (reruns give the
    same bytes).  A study whose file names no ADaM specs (``study.analysis``) gets an empty
    result and nothing is written."""
    t0 = time.perf_counter()
    if not Path(sdtm_dir).is_dir():
        raise UsageError(f"SDTM folder not found: {sdtm_dir} (convert the study to SDTM first)")
    specs, finals = _build(study, sdtm_dir, progress)
    if not specs:       # the study names no ADaM specs (no study.analysis): nothing to write
        return AdamResult(study, Path(out_dir), {}, {}, [], seconds=time.perf_counter() - t0)
    target = Path(out_dir) / DATASETS_DIR
    written: dict[str, DatasetSpec] = {}
    files: list[Path] = []
    with replaced_folder(target) as staging:
        for name in sorted(finals):
            f = finals[name]
            xpt = staging / xpt_file_name(name)
            spec = write_xpt(f.data, xpt, f.spec, created=created)
            f.spec = spec
            written[name] = spec
            js = staging / f"{name.lower()}.json"
            write_dataset_json(f.data, js, spec, created=created,
                               study_oid=f"STDY.{study.id}",
                               metadata_version_oid=f"MDV.{study.id}.ADaMIG.1.3",
                               source_system_version=__version__)
            files += [xpt, js]
        rel = os.path.relpath(Path(sdtm_dir).resolve(), target.resolve())
        lin = staging / "lineage.json"
        spec_files = {n: s.files for n, s in specs.items()}
        write_bytes_atomic(lin, lineage_document(study, finals, spec_files,
                                                 Path(rel).as_posix()))
        files.append(lin)
    files = [target / f.relative_to(staging) for f in files]
    return AdamResult(study, Path(out_dir), written, {n: f.data for n, f in finals.items()},
                      files, finals, parameter_codelists(finals),
                      {n: s.files for n, s in specs.items()}, time.perf_counter() - t0)
