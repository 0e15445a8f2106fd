"""Convert one study: load and check its mappings, build every dataset, then write the package.

Nothing is written until every dataset has been built and checked; the package is then written
into a staging folder beside the target and moved into place, so a failed run leaves no
half-written output and a previous good package stays as it was.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from collections.abc import Callable

import pandas as pd

from ..errors import DataError, Problem
from ..io.atomic import replaced_folder
from ..mapping.study import Study, load_study
from ..mapping.custom import study_standard
from ..mapping.terminology import check_version
from ..progress import plural, steps
from ..spec.model import Codelist, DatasetSpec, Term
from ..standards import (bundled_ct, bundled_ct_version, ct_version_from_path, load_ct,
                         load_standard)
from .build import build
from .context import RunState
from .finalize import Final, build_supp, finalize
from .relrec import build_relrec
from .trial_design import build_se, build_ta, build_te, build_ti, build_ts, build_tv

SDTM_DIR = Path("tabulations") / "sdtm"


class DataProblems(DataError):
    """Raw data problems stopped the run; ``problems`` lists them all."""

    def __init__(self, problems: list[Problem], shown: int = 10):
        self.problems = problems
        lines = [f"{p.file}, record {p.record}, variable {p.dataset}.{p.variable}, "
                 f"value {p.value!r}: {p.message}" for p in problems[:shown]]
        more = len(problems) - shown
        if more > 0:
            lines.append(f"... and {more} more data problems")
        lines.append(f"{plural(len(problems), 'data problem')} in study {problems[0].study}: nothing was "
                     "written (use --allow-problems to write the package with these values "
                     "left empty and listed in reports/data-problems.csv)")
        super().__init__("\n".join(lines))

    def render(self) -> str:
        return self.message


@dataclass
class StudyResult:
    study: Study
    out_dir: Path
    datasets: dict[str, Final]
    specs: dict[str, DatasetSpec]
    problems: list[Problem]
    notes: list[str]
    files: list[Path] = field(default_factory=list)
    seconds: float = 0.0
    record_counts: dict[str, int] = field(default_factory=dict)   # SDTM, and ADaM when run
    adam: object | None = None                                     # the AdamResult, when run
    created: datetime | None = None                                # timestamp in the files

    @property
    def records(self) -> int:
        if self.record_counts:
            return sum(self.record_counts.values())
        return sum(len(f.data) for f in self.datasets.values())


def codelists_for(study: Study, ct_file: Path | None) -> tuple[dict[str, Codelist], str]:
    """CDISC codelists (bundled or the user's full CT file), then the study's extensions and
    sponsor codelists."""
    ct_file = ct_file or study.terminology.file
    cdisc = load_ct(ct_file) if ct_file else bundled_ct()
    version = (ct_version_from_path(ct_file) if ct_file else None) or bundled_ct_version()
    check_version(study.doc, study.terminology, version,
                  study.display(ct_file) if ct_file else "bundled")
    merged = dict(cdisc)
    for cid, extra in study.extensions.items():
        if cid not in merged:
            raise study.doc.error(("study",), f"codelist {cid} extended in "
                                  f"{study.codelist_files[cid]} is not a CDISC codelist")
        base = merged[cid]
        if not base.extensible:
            raise DataError(f"codelist {cid} is not extensible; terms cannot be added",
                            file=study.codelist_files[cid])
        new = tuple(Term(t.value, None, t.decode) for t in extra if t.value not in base.values())
        merged[cid] = Codelist(base.id, base.name, base.terms + new, base.code, True,
                               base.data_type)
    for cid, cl in study.codelists.items():
        if cid in merged:
            raise DataError(f"codelist {cid} is already a CDISC codelist; use 'extends: {cid}' "
                            "to add terms", file=study.codelist_files[cid])
        merged[cid] = cl
    return merged, version


def _order(study: Study) -> list[str]:
    names = sorted(study.datasets)
    if "DM" not in names:
        raise study.doc.error(("study", "include"), "no DM mapping found: DM is built first and "
                              "gives every other dataset its reference dates")
    return ["DM"] + [n for n in names if n != "DM"]


def _sources(data: object) -> set[str]:
    """Every raw form a mapping names (the values of its ``source`` keys, at any depth)."""
    if isinstance(data, dict):
        out = {data["source"]} if isinstance(data.get("source"), str) else set()
        for v in data.values():
            out |= _sources(v)
        return out
    if isinstance(data, list):
        return set().union(*(_sources(v) for v in data)) if data else set()
    return set()


def build_study(study_file: Path, *, ct_file: Path | None = None,
                progress: Callable[[str], None] | None = None, raw_dir: Path | None = None,
                ) -> tuple[RunState, dict[str, Final], list[str]]:
    """Load, build and finalise every dataset of a study, in memory; ``raw_dir`` replaces the
    study file's raw-data folder."""
    say = progress or (lambda _m: None)
    study = load_study(study_file)
    if raw_dir is not None:
        if not Path(raw_dir).is_dir():
            raise DataError(f"raw-data folder not found: {raw_dir}", file=str(raw_dir))
        study.raw_dir = Path(raw_dir).resolve()
    standard = study_standard(load_standard("SDTMIG", "3.4"), study)
    codelists, ct_version = codelists_for(study, ct_file)
    from ..mapping.checks import check_study        # everything `check` finds, first
    from ..mapping.validate import MappingErrors

    errors = check_study(study, standard, codelists)
    if errors:
        raise MappingErrors(errors)
    state = RunState(study, standard, codelists, ct_version=ct_version)
    state.notes.extend(study.design_notes)
    finals: dict[str, Final] = {}
    notes: list[str] = []
    order = _order(study)
    later = [set() for _ in order]            # raw forms named by the datasets after each one
    for i in range(len(order) - 2, -1, -1):
        later[i] = later[i + 1] | _sources(study.datasets[order[i + 1]].data)
    for i, name in enumerate(steps(progress, order, f"{study.id} SDTM")):
        t0 = time.perf_counter()
        mapping = study.datasets[name]
        final = finalize(state, build(state, mapping))
        state.datasets[name] = final.data
        finals[name] = final
        notes.extend(final.notes)
        supp = build_supp(state, final, mapping)
        if supp is not None:
            finals[supp.spec.name] = supp
            state.datasets[supp.spec.name] = supp.data
        for form in [f for f in state.forms if f not in later[i]]:
            del state.forms[form]    # no later mapping reads it (it is read again if asked for)
        say(f"{study.id}: {name} {len(final.data):,} records "
            f"({time.perf_counter() - t0:.1f} s)")
    for builder in (build_ta, build_te, build_tv, build_ti, build_se):
        f = builder(state)
        if f is not None:
            finals[f.spec.name] = f
            state.datasets[f.spec.name] = f.data
    relrec = build_relrec(state, finals)
    if relrec is not None:
        finals["RELREC"] = relrec
        state.datasets["RELREC"] = relrec.data
    ts = build_ts(state, state.ct_version)
    if ts is not None:
        finals["TS"] = ts
    notes.extend(state.notes)
    design = [n for n in ("TA", "TE", "TV", "TI", "TS", "SE") if n in finals]
    say(f"{study.id}: trial design and subject elements: {', '.join(design) or 'none'}")
    return state, finals, notes


def precheck(final: Final) -> None:
    """The XPT rules, checked before anything is written; a value that breaks them is reported
    at the raw record it came from."""
    from ..errors import OutputError
    from ..io.xpt import check_xpt

    try:
        check_xpt(final.data, final.spec)
    except OutputError as e:
        if e.record is None or not 1 <= e.record <= len(final.lineage):
            raise
        lin = final.lineage.iloc[e.record - 1]
        raw_file = final.files[int(lin["__block__"])]
        column = lin["__column__"]
        where = f" (raw column {column})" if isinstance(column, str) else ""
        raise DataError(f"{final.spec.name} record {e.record}: {e.message}{where}",
                        file=raw_file, record=int(lin["__row__"]), variable=e.variable,
                        value=e.value) from None


def write_sdtm_define(state: RunState, finals: dict[str, Final], specs: dict[str, DatasetSpec],
                      root: Path, created: datetime) -> list[Path]:
    """define.xml + define.html of the SDTM package under ``root``."""
    from ..define import write_define

    xml, html = write_define(state.study, specs, {n: f.data for n, f in finals.items()},
                             root / SDTM_DIR, standard="SDTMIG 3.4", created=created,
                             codelists=state.codelists, ct_versions={"SDTM": state.ct_version})
    return [xml, html, xml.parent / "define2-1.xsl"]


def write_adam_define(state: RunState, finals: dict, specs: dict[str, DatasetSpec],
                      data: dict, root: Path, created: datetime) -> list[Path]:
    """define.xml + define.html of the ADaM package under ``root``, in the folder of the datasets
    it describes (``analysis/adam/datasets``): ADaM CT, the study's codelists and one PARAMCD
    codelist per BDS dataset."""
    from ..adam.run import parameter_codelists
    from ..define import write_define

    codelists = {**load_standard("ADaMIG", "1.3").codelists, **state.codelists,
                 **parameter_codelists(finals)}
    xml, html = write_define(state.study, specs, data, root / ADAM_DATASETS,
                             standard="ADaMIG 1.3",
                             created=created, codelists=codelists)
    for name in ("define.xml", "define.html", "define2-1.xsl"):   # the former place, whose
        (root / ADAM_DIR / name).unlink(missing_ok=True)           # dataset links were dead
    return [xml, html, xml.parent / "define2-1.xsl"]


def data_cutoff(finals: dict[str, Final]) -> datetime:
    """The reproducible creation timestamp: the last complete date in DM (the data cut-off)."""
    dm = finals["DM"].data
    dates = []
    for col in ("RFPENDTC", "RFENDTC", "RFXENDTC", "RFSTDTC", "RFICDTC"):
        if col in dm.columns:
            s = dm[col].dropna().astype(str)
            dates.extend(s[s.str.len() >= 10].str.slice(0, 10).tolist())
    if not dates:
        return datetime(2000, 1, 1)
    return datetime.fromisoformat(max(dates))


def empty_like(frame: pd.DataFrame) -> pd.DataFrame:
    """A table with ``frame``'s columns and types and no rows, sharing no memory with it (a
    zero-row slice of an Arrow-backed column keeps the whole column's buffers alive)."""
    return pd.DataFrame({c: pd.Series([], dtype=t) for c, t in frame.dtypes.items()},
                        columns=frame.columns)


def release_memory() -> None:
    """Give memory freed by dropped tables back to the system: Python's garbage, Arrow's memory
    pool (it keeps freed blocks for reuse) and the C heap (glibc keeps freed pages)."""
    gc.collect()
    try:
        import pyarrow as pa
        pa.default_memory_pool().release_unused()
    except (ImportError, AttributeError):
        pass
    try:
        import ctypes
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def convert_study(study_file: Path, out_root: Path, *, ct_file: Path | None = None,
                  allow_problems: bool = False, created: datetime | None = None,
                  progress: Callable[[str], None] | None = None,
                  xpt_engine: str = "native", analysis: bool = False,
                  raw_dir: Path | None = None,
                  before_swap: Callable[[Path, datetime], None] | None = None) -> StudyResult:
    """Build a study and write its SDTM package under ``out_root/<STUDYID>/``.

    With ``analysis``, the study's ADaM datasets are then derived from the SDTM files just
    written, with their define.xml and the results tables, into the same staging folder: the
    whole study folder is replaced at once or not at all.  The SDTM tables are released from
    memory before ADaM runs (ADaM reads the written files), so ``datasets[*].data`` is then
    empty and ``record_counts`` holds the counts.  ``before_swap(folder, created)`` runs on the
    complete staged folder before it replaces the previous one (the validation of the package:
    a run stopped there leaves the previous package whole)."""
    from .output import write_package

    t0 = time.perf_counter()
    state, finals, notes = build_study(study_file, ct_file=ct_file, progress=progress,
                                       raw_dir=raw_dir)
    errors = [p for p in state.problems if p.severity == "error"]
    if errors and not allow_problems:
        raise DataProblems(errors)
    for final in finals.values():
        precheck(final)
    stamp = created or data_cutoff(finals)
    target = Path(out_root) / state.study.id
    with replaced_folder(target) as staging:
        if progress is not None:
            progress(f"{state.study.id}: writing {plural(len(finals), 'SDTM dataset')} "
                     "(XPT, Dataset-JSON) and define.xml")
        specs, files = write_package(state, finals, staging, stamp, xpt_engine)
        files += write_sdtm_define(state, finals, specs, staging, stamp)
        counts = {n: len(f.data) for n, f in finals.items()}
        adam = None
        if analysis and state.study.doc.data["study"].get("analysis"):
            for f in finals.values():              # ADaM reads the written SDTM files
                f.data = empty_like(f.data)
                f.lineage = empty_like(f.lineage)
            state.datasets.clear()
            state.forms.clear()
            release_memory()
            adam, more = write_analysis(state, staging, stamp, progress)
            files += more
            counts.update({n: len(df) for n, df in adam.data.items()})
        if before_swap is not None:
            before_swap(staging, stamp)
    files = [target / f.relative_to(staging) for f in files]
    return StudyResult(state.study, target, finals, specs, state.problems, notes, files,
                       time.perf_counter() - t0, counts, adam, stamp)


ADAM_DIR = Path("analysis") / "adam"
ADAM_DATASETS = ADAM_DIR / "datasets"     # the ADaM datasets and the define.xml describing them


def write_analysis(state: RunState, root: Path, created: datetime,
                   progress: Callable[[str], None] | None) -> tuple[object, list[Path]]:
    """ADaM datasets from the SDTM files under ``root``, their define.xml, and the results."""
    from ..adam.run import convert_adam
    from ..results import study_plan, write_results

    adam = convert_adam(state.study, root / SDTM_DIR, root, created=created, progress=progress)
    files = list(adam.files)
    if not adam.data:
        return adam, files
    files += write_adam_define(state, adam.finals, adam.specs, adam.data, root, created)
    folder = root / ADAM_DIR
    files += write_results(folder, state.study.id, study_plan(state.study))
    return adam, files
