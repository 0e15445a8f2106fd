"""The ``cdisc-map`` command line."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from datetime import datetime
from pathlib import Path

from . import __version__
from .errors import CdiscMapperError, UsageError, os_error_message

MAIN_HELP = """\
Turn raw CRF data into a CDISC submission package, driven by declarative mapping files:
SDTM datasets (XPT v5 and Dataset-JSON), ADaM datasets, define.xml/define.html for both,
the publication's results tables, and a conformance validation report.

examples:
  cdisc-map convert                          convert every bundled study into ./out
                                             (SDTM, ADaM, define, results, validation)
  cdisc-map convert mappings/ADT2002-P2/study.yaml --out /tmp/pkg
  cdisc-map check                            check every mapping file, run nothing
  cdisc-map init MYSTUDY --raw exports/      study file and mapping skeletons from raw forms
  cdisc-map results out/ADT2002-P2           the declared analyses: ARD, ARS JSON, RTF/HTML/CSV tables
  cdisc-map validate out/ADT2002-P2 --format html,xlsx,json,junit --out reports
  cdisc-map trace out/ADT2002-P2 AE --usubjid ADT2002-P2-01-001 --seq 1
  cdisc-map synth --study ADT2002-P2 --subjects 10000 --out big
  cdisc-map docs                             write the mapping-language reference
"""


def _project_root() -> Path:
    """The folder holding mappings/: the current folder if it has one, else the source tree."""
    cwd = Path.cwd()
    if (cwd / "mappings").is_dir():
        return cwd
    return Path(__file__).resolve().parents[1]


def _default_studies() -> list[Path]:
    root = _project_root()
    found = sorted((root / "mappings").glob("*/study.yaml"))
    if not found:
        raise UsageError(f"no study files found under {root / 'mappings'}; name one, e.g. "
                         "cdisc-map convert mappings/MYSTUDY/study.yaml")
    return found


def _studies(args_files: list[str]) -> list[Path]:
    if not args_files:
        return _default_studies()
    out = []
    for f in args_files:
        p = Path(f)
        if p.is_dir():
            p = p / "study.yaml"
        if not p.is_file():
            raise UsageError(f"study file not found: {f}")
        out.append(p)
    return out


def _folder(value: str) -> str:
    """An --out value: a folder name, never empty (an empty one would mean the current folder)."""
    if not value.strip():
        raise argparse.ArgumentTypeError("must name a folder (an empty --out would write into "
                                         "the current folder)")
    return value


class Reporter:
    def __init__(self, verbosity: int):
        from .progress import Progress

        self.verbosity = verbosity
        self.info = Progress("auto" if verbosity >= 1 else "quiet")

    def detail(self, msg: str) -> None:
        if self.verbosity >= 2:
            print(msg, file=sys.stderr, flush=True)

    def out(self, msg: str) -> None:
        if self.verbosity >= 0:
            print(msg, flush=True)


def _validate_staged(folder: Path, created: datetime, ct):
    """Validate a package just written, in its staging folder before it replaces the previous
    one (a run stopped here leaves the previous package whole, reports included).  The folder
    has the package's final name, so its reports name the package relative to the output root;
    they carry the package's own timestamp, so reruns give identical files."""
    import os

    from .validate import validate

    here = Path.cwd()
    os.chdir(folder.parent)
    try:
        v = validate(Path(folder.name), ct=ct)
    finally:
        os.chdir(here)
    v.reproducible(created)
    v.write_reports(folder / "reports", ("json", "html"))
    return v


def _written(folder: Path) -> list[str]:
    """The files a reader opens first, as they are in a written study folder."""
    names = ["tabulations/sdtm/define.html", "analysis/adam/datasets/define.html",
             "analysis/adam/results/results.html", "reports/validation.html",
             "reports/data-problems.csv"]
    return [str(folder / n) for n in names if (folder / n).is_file()]


def cmd_convert(args, rep: Reporter) -> int:
    from .engine.run import convert_study

    created = None
    if args.timestamp:
        try:
            created = datetime.fromisoformat(args.timestamp)
        except ValueError:
            raise UsageError(f"--timestamp {args.timestamp!r} is not an ISO 8601 date-time") from None
    ct = Path(args.ct) if args.ct else None
    if ct is not None and not ct.is_file():
        raise UsageError(f"--ct file not found: {args.ct}")
    studies = _studies(args.studies)
    if args.raw and len(studies) != 1:
        raise UsageError("--raw needs exactly one study file (e.g. cdisc-map convert "
                         "mappings/MYSTUDY/study.yaml --raw exports/)")
    out = Path(args.out)
    t0 = time.perf_counter()
    results = []
    for i, sf in enumerate(studies, 1):
        rep.info(f"[{i}/{len(studies)}] {sf}")
        checked = []

        def before_swap(folder: Path, stamp: datetime) -> None:
            if not args.no_validate:
                rep.info(f"{folder.name}: validating the package")
                checked.append(_validate_staged(folder, stamp, ct))
                rep.info(f"{folder.name}: {checked[-1].summary()}")

        res = convert_study(sf, out, ct_file=ct, allow_problems=args.allow_problems,
                            raw_dir=Path(args.raw) if args.raw else None,
                            created=created, progress=rep.info, xpt_engine=args.xpt_writer,
                            analysis=not args.sdtm_only, before_swap=before_swap)
        results.append(res)
        for note in res.notes:
            rep.detail(f"  note: {note}")
        if checked:
            res.validation = checked[0]
    rep.out("")
    rep.out(f"{'study':<12} {'datasets':>8} {'records':>10} {'problems':>8} {'findings':>17}"
            "  folder")
    failed = False
    for r in results:
        v = getattr(r, "validation", None)
        if v is not None:
            c = v.counts()
            found = f"{c.get('error', 0)}E {c.get('warning', 0)}W {c.get('notice', 0)}N"
            failed |= args.fail_on is not None and v.exit_code(args.fail_on) != 0
        else:
            found = "not validated"
        n_ds = len(r.datasets) + (len(r.adam.data) if r.adam is not None else 0)
        rep.out(f"{r.study.id:<12} {n_ds:>8} {r.records:>10,} {len(r.problems):>8} "
                f"{found:>17}  {r.out_dir}")
    rep.out(f"done in {time.perf_counter() - t0:.1f} s; SDTM in tabulations/sdtm, ADaM and "
            "results in analysis/adam, data problems and validation reports in reports/")
    for r in results:
        for path in _written(r.out_dir):
            rep.out(f"  {path}")
    if failed:
        print(f"error: the written package has conformance findings at or above "
              f"{args.fail_on}; see reports/validation.html", file=sys.stderr)
        return 1
    return 0


def cmd_define(args, rep: Reporter) -> int:
    from .engine.run import ADAM_DIR, SDTM_DIR, build_study, data_cutoff, write_sdtm_define

    ct = Path(args.ct) if args.ct else None
    for sf in _studies(args.studies):
        state, finals, _ = build_study(sf, ct_file=ct, progress=rep.detail)
        folder = Path(args.out) / state.study.id
        if not (folder / SDTM_DIR).is_dir():
            raise UsageError(f"no SDTM package in {folder / SDTM_DIR}: run cdisc-map convert "
                             "first (define describes the files it wrote)")
        _same_datasets(folder / SDTM_DIR, finals)
        adam = None
        if (folder / ADAM_DIR).is_dir() and state.study.doc.data["study"].get("analysis"):
            adam = _adam_finals(state, folder)      # checked before anything is rewritten
        created = datetime.fromisoformat(args.timestamp) if args.timestamp else data_cutoff(finals)
        specs = {n: f.spec for n, f in finals.items()}
        paths = write_sdtm_define(state, finals, specs, folder, created)
        rep.out(f"{state.study.id}: wrote {paths[0]} and {paths[1].name}")
        if adam is not None:
            paths = _adam_define(state, adam, folder, created)
            rep.out(f"{state.study.id}: wrote {paths[0]} and {paths[1].name}")
    return 0


def _same_datasets(folder: Path, finals: dict) -> None:
    """define.xml describes exactly the XPT files in the folder: stop when the mappings and the
    written files no longer match (a mapping deleted or added since the last convert)."""
    on_disk = {p.stem.upper() for p in folder.glob("*.xpt")}
    mapped = set(finals)
    extra, missing = sorted(on_disk - mapped), sorted(mapped - on_disk)
    if extra or missing:
        what = []
        if extra:
            what.append(f"no mapping or spec builds {', '.join(extra)} any more, but "
                        f"{', '.join(n.lower() + '.xpt' for n in extra)} is still there")
        if missing:
            what.append(f"{', '.join(n.lower() + '.xpt' for n in missing)} missing although "
                        "the mappings or specs build it")
        raise UsageError(f"{'; '.join(what)}: define.xml must describe exactly the datasets of "
                         "the folder; run cdisc-map convert to rewrite the package", file=str(folder))


def _adam_finals(state, folder: Path) -> dict:
    """The ADaM datasets of a written package, from the ADaM specs and the SDTM files; they
    must be the ADaM files of the folder."""
    from .adam.run import DATASETS_DIR, build_adam
    from .engine.run import SDTM_DIR

    finals = build_adam(state.study, folder / SDTM_DIR)
    _same_datasets(folder / DATASETS_DIR, finals)
    return finals


def _adam_define(state, finals: dict, folder: Path, created: datetime) -> list[Path]:
    """The ADaM define.xml of a written package."""
    from .engine.run import write_adam_define

    return write_adam_define(state, finals, {n: f.spec for n, f in finals.items()},
                             {n: f.data for n, f in finals.items()}, folder, created)


def cmd_results(args, rep: Reporter) -> int:
    from .mapping.study import load_study
    from .results import study_plan, write_results

    folder = Path(args.package)
    adam = folder / "analysis" / "adam"
    if not adam.is_dir():
        raise UsageError(f"no ADaM package in {adam}: run cdisc-map convert first")
    study_id = args.study or folder.name
    if args.mappings:
        study = load_study(_studies([args.mappings])[0])
    else:
        study = next((s for s in map(load_study, _default_studies()) if s.id == study_id), None)
        if study is None:
            raise UsageError(f"no study file of study {study_id} under mappings/; name it with "
                             "--mappings mappings/STUDY/study.yaml")
    paths = write_results(adam, study_id, study_plan(study))
    html = next((p for p in paths if p.name == "results.html"), paths[0])
    rep.out(f"wrote {len(paths)} files; open {html}")
    return 0


def cmd_check(args, rep: Reporter) -> int:
    from .mapping.study import load_study

    from .adam.loader import load_specs
    from .define.studyinfo import default_define_dir, load_define_info

    from .engine.run import codelists_for
    from .mapping.checks import check_study
    from .mapping.custom import study_standard
    from .mapping.validate import MappingErrors
    from .standards import load_standard

    found = []
    for sf in _studies(args.studies):
        try:
            study = load_study(sf)
            codelists, _ = codelists_for(study, Path(args.ct) if args.ct else None)
            errors = check_study(study, study_standard(load_standard("SDTMIG", "3.4"), study),
                                 codelists)
            if errors:
                raise MappingErrors(errors)
            adam = load_specs(study) if study.doc.data["study"].get("analysis") else {}
            if adam:
                from .results.plan import load_plan
                load_plan(adam)              # the declared analyses: methods, visits, sets
            load_define_info(study.id, default_define_dir(study.file))
            for note in study.design_notes:
                rep.out(f"note: {note}")
        except CdiscMapperError as e:
            found.extend(getattr(e, "errors", None) or [e])
            continue
        rep.out(f"{sf}: ok ({len(study.datasets)} SDTM mappings: "
                f"{', '.join(sorted(study.datasets))}; {len(adam)} ADaM specs: "
                f"{', '.join(sorted(adam)) or 'none'}; {len(study.codelists)} sponsor codelists)")
    if found:
        raise MappingErrors(found)
    return 0


SYNTH_OUT = "synth-out"
"""Where ``synth`` writes without --out: a new folder of the current one, never the bundled
samples (``--out samples`` rewrites those on purpose)."""


def cmd_synth(args, rep: Reporter) -> int:
    from . import synth
    from .synth import DEFAULT_SEED, STUDIES, htn201

    seed = DEFAULT_SEED if args.seed is None else args.seed
    studies = STUDIES + (htn201.STUDY,) if args.study == "all" else (args.study,)
    root = Path(args.out or SYNTH_OUT)
    for s in studies:
        t0 = time.perf_counter()
        folder = root / s if (len(studies) > 1 or args.nest) else root
        if s == htn201.STUDY:
            paths = htn201.write_study(folder, n_subjects=args.subjects,
                                       seed=htn201.DEFAULT_SEED if args.seed is None else args.seed)
        else:
            paths = synth.write_study(folder, s, seed=seed, n_subjects=args.subjects)
        rep.out(f"{s}: {len(paths)} raw forms in {folder} ({time.perf_counter() - t0:.1f} s)")
    return 0


def cmd_init(args, rep: Reporter) -> int:
    from .init import init_study

    folder = Path(args.out) if args.out else Path("mappings") / args.study
    paths = init_study(args.study, Path(args.raw), folder, subject=args.subject, force=args.force)
    for p in paths:
        rep.out(f"wrote {p}")
    rep.out(f"next: cdisc-map check {folder / 'study.yaml'}   (then fill in the TODOs)")
    return 0


def cmd_docs(args, rep: Reporter) -> int:
    from .adam.docs import reference_markdown as adam_reference
    from .mapping.docs import reference_markdown

    folder = Path(args.out) if args.out else _project_root() / "docs"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (("mapping-language.md", reference_markdown()),
                       ("adam-language.md", adam_reference())):
        (folder / name).write_text(text, encoding="utf-8")
        rep.out(f"wrote {folder / name}")
    return 0


def cmd_schema(args, rep: Reporter) -> int:
    from .mapping.schema import schemas

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, schema in schemas().items():
        p = out / f"{name}.schema.json"
        p.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        rep.out(f"wrote {p}")
    return 0


def cmd_trace(args, rep: Reporter) -> int:
    from .trace import trace

    rep.out(trace(Path(args.package), args.dataset.upper(), usubjid=args.usubjid, seq=args.seq,
                  record=args.record,
                  project=Path(args.project) if args.project else None))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cdisc-map", description=MAIN_HELP,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"cdisc-map {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    common.add_argument("-v", "--verbose", action="count", default=0,
                        help="say more (notes such as expected variables added empty)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    c = sub.add_parser("convert", parents=[common],
                       help="convert studies to SDTM, ADaM, define, results and validation",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Convert one or more studies (their study.yaml files) into "
                       "submission packages,\none folder OUT/<STUDYID> each:\n"
                       "  tabulations/sdtm/  SDTM datasets (<dataset>.xpt and .json), define.xml,\n"
                       "                     define.html, lineage.json\n"
                       "  analysis/adam/     datasets/: ADaM datasets with their define.xml and\n"
                       "                     define.html; results/: the declared analyses as\n"
                       "                     RTF/HTML/CSV tables, ard.csv and ars.json (CDISC ARS)\n"
                       "  reports/           validation.html and .json (conformance),\n"
                       "                     data-problems.csv\n"
                       "Nothing is written when a mapping or the data has an error; the previous "
                       "folder\nis replaced whole, once everything is written and validated.",
                       epilog="examples:\n  cdisc-map convert\n"
                              "  cdisc-map convert mappings/ADT2002-P2 --out pkg -v\n"
                              "  cdisc-map convert --ct SDTM_Terminology_2025-03-28.txt\n")
    c.add_argument("studies", nargs="*", metavar="STUDY",
                   help="study.yaml files or their folders (default: every mappings/*/study.yaml)")
    c.add_argument("--out", default="out", type=_folder, help="output root folder (default ./out)")
    c.add_argument("--raw", metavar="DIR", help="read the raw forms from DIR instead of the "
                                                "study file's raw folder (one study only)")
    c.add_argument("--ct", help="a full NCI EVS SDTM CT file (tab-separated) to use instead of "
                                "the bundled package (or of the study's terminology.file)")
    c.add_argument("--allow-problems", action="store_true",
                   help="write the package even with data problems (values left empty, listed "
                        "in reports/data-problems.csv)")
    c.add_argument("--timestamp", help="creation date-time written in the files (ISO 8601; "
                                       "default: the data cut-off, so reruns are identical)")
    c.add_argument("--sdtm-only", action="store_true",
                   help="stop after SDTM (no ADaM datasets, results or ADaM define.xml)")
    c.add_argument("--no-validate", action="store_true",
                   help="do not validate the written package (by default its conformance report "
                        "goes to reports/validation.html and .json)")
    c.add_argument("--fail-on", choices=["error", "warning", "notice"], default=None,
                   help="exit 1 when the validation of the written package finds something at "
                        "or above this severity (default: report only)")
    c.add_argument("--xpt-writer", choices=["native", "pyreadstat"], default="native",
                   help="XPT v5 writer: the built-in one (default, ~10x faster) or pyreadstat; "
                        "both give byte-identical files")
    c.set_defaults(func=cmd_convert)

    df = sub.add_parser("define", parents=[common],
                        help="regenerate define.xml and define.html (SDTM and ADaM)",
                        description="Regenerate define.xml (Define-XML 2.1) and define.html of the "
                        "SDTM and ADaM packages from the mappings and specs, without rewriting "
                        "the datasets.",
                        epilog="examples:\n  cdisc-map define\n  cdisc-map define "
                               "mappings/ADT2002-P2 --out pkg",
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    df.add_argument("studies", nargs="*", metavar="STUDY",
                    help="study.yaml files or their folders (default: every mappings/*/study.yaml)")
    df.add_argument("--out", default="out", type=_folder,
                    help="output root folder of the packages (default ./out)")
    df.add_argument("--ct", help="the full NCI EVS SDTM CT file the packages were converted with")
    df.add_argument("--timestamp", help="creation date-time (default: the data cut-off)")
    df.set_defaults(func=cmd_define)

    rs = sub.add_parser("results", parents=[common],
                        help="recompute the results tables from written ADaM datasets",
                        description="Run the analyses declared in the study's ADaM specs "
                        "(disposition, demographics, responders with the difference, its CI and "
                        "the pre-specified test, change from baseline, adverse events) on the "
                        "written ADaM XPT files, and write under analysis/adam/results the "
                        "analysis results data (ard.csv), the CDISC ARS 1.0 reporting event "
                        "(ars.json) and each numbered table as RTF, HTML and CSV.",
                        epilog="example:\n  cdisc-map results out/ADT2002-P2",
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    rs.add_argument("package", help="a study's output folder, e.g. out/ADT2002-P2")
    rs.add_argument("--study", help="study id (default: the folder name)")
    rs.add_argument("--mappings", metavar="STUDY_FILE",
                    help="the study file declaring the analyses (default: the one of the study "
                    "under mappings/)")
    rs.set_defaults(func=cmd_results)

    k = sub.add_parser("check", parents=[common],
                       help="check the mapping files (SDTM and ADaM) without running",
                       description="Load every study file and the mappings it includes, check "
                       "each against its JSON Schema, the study design, the standard (datasets, "
                       "variables, required variables), the codelists, and the raw forms' "
                       "headers when the raw data are there; report every mistake by file, line "
                       "and key, all in one pass — the same lines convert would stop with.",
                       epilog="example:\n  cdisc-map check mappings/ADT2002-P1/study.yaml",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    k.add_argument("studies", nargs="*", metavar="STUDY",
                   help="study.yaml files or their folders (default: every mappings/*/study.yaml)")
    k.add_argument("--ct", help="the full NCI EVS SDTM CT file convert will use")
    k.set_defaults(func=cmd_check)

    s = sub.add_parser("synth", parents=[common], help="write synthetic raw CRF data",
                       description="Write the seeded synthetic raw data of the sample study. "
                       "With the default seed and size it reproduces the published results; any "
                       "size can be written for benchmarks.",
                       epilog="examples:\n  cdisc-map synth                 write ./synth-out/<STUDY>/\n"
                              "  cdisc-map synth --study ADT2002-P2 --subjects 10000 --out big",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("--study", default="all", help="ADT2002-P1, ADT2002-P2, HTN201 or all "
                                                  "(default)")
    s.add_argument("--subjects", type=int, default=None, help="number of subjects "
                   "(default: the published size)")
    s.add_argument("--seed", type=int, default=None, help="random seed (default: the sample's)")
    s.add_argument("--out", type=_folder, help=f"folder for the raw forms (CSV; HTN201 also ODM-XML and SAS7BDAT) (default: "
                   f"./{SYNTH_OUT}, with one subfolder per study when there are several; "
                   "--out samples rewrites the bundled samples)")
    s.add_argument("--nest", action="store_true",
                   help="write into OUT/<STUDY> even for one study")
    s.set_defaults(func=cmd_synth)

    ini = sub.add_parser("init", parents=[common], help="start a study from a folder of raw forms",
                         description="Write a starting study file and one mapping file per raw "
                         "form it recognises (columns listed, the dataset's required variables "
                         "present, TODOs where a choice is yours).  The skeleton passes "
                         "`cdisc-map check`.",
                         epilog="example:\n  cdisc-map init MYSTUDY --raw exports/\n"
                                "  cdisc-map check mappings/MYSTUDY/study.yaml",
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    ini.add_argument("study", help="the study identifier (STUDYID)")
    ini.add_argument("--raw", required=True, metavar="DIR", help="folder of raw forms (CSV, XLSX, SAS7BDAT, XPT, Parquet, ODM-XML)")
    ini.add_argument("--out", help="folder for the files (default mappings/STUDY)")
    ini.add_argument("--subject", help="the subject column (default: guessed from the headers)")
    ini.add_argument("--force", action="store_true", help="overwrite existing files")
    ini.set_defaults(func=cmd_init)

    from .validate.cli import add_parser as add_validate_parser

    add_validate_parser(sub, common)

    from .core.cli import add_parser as add_rules_parser

    add_rules_parser(sub, common)

    d = sub.add_parser("docs", parents=[common], help="write the mapping-language reference",
                       description="Generate the reference of the mapping language (every method "
                       "with its parameters and an example) from the schema and the methods.",
                       epilog="examples:\n  cdisc-map docs\n  cdisc-map docs --out /tmp/ref",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    d.add_argument("--out", type=_folder,
                   help="folder (default docs/): mapping-language.md (SDTM) and "
                                 "adam-language.md (ADaM)")
    d.set_defaults(func=cmd_docs)

    sc = sub.add_parser("schema", parents=[common], help="write the JSON Schemas of the mapping files",
                        description="Write the JSON Schemas of the study, dataset mapping and "
                        "codelist files, for editors that validate YAML as you type.",
                        epilog="example:\n  cdisc-map schema --out schemas",
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    sc.add_argument("--out", default="schemas", type=_folder, help="folder (default ./schemas)")
    sc.set_defaults(func=cmd_schema)

    t = sub.add_parser("trace", parents=[common], help="show where a record's values came from",
                       description="Read a package's lineage files and show, for one record, the "
                       "raw file and row it came from and how each variable was derived; for an "
                       "ADaM record (ADSL, ADEFF, ADAE, with --seq the ASEQ), the SDTM records it "
                       "was derived from and their raw rows.",
                       epilog="example:\n  cdisc-map trace out/ADT2002-P2 QS --usubjid "
                              "ADT2002-P2-01-001 --seq 5",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    t.add_argument("package", help="a study's output folder, e.g. out/ADT2002-P2")
    t.add_argument("dataset", help="dataset name, e.g. AE")
    t.add_argument("--usubjid", help="the record's USUBJID")
    t.add_argument("--seq", type=int, help="the record's --SEQ (with --usubjid)")
    t.add_argument("--record", type=int, help="1-based record number instead of usubjid/seq")
    t.add_argument("--project", metavar="DIR",
                   help="the folder the raw file paths of the lineage are relative to (default: "
                   "the current folder, the folders above the package, then the installed "
                   "project)")
    t.set_defaults(func=cmd_trace)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    rep = Reporter(-1 if args.quiet else 1 + args.verbose)
    previous = _stop_on_sigterm()
    try:
        return args.func(args, rep)
    except CdiscMapperError as e:
        for line in str(e).splitlines():
            print(f"error: {line}", file=sys.stderr)
        return e.exit_code
    except OSError as e:               # the operating system refused a file: name it, exit 2
        print(f"error: {os_error_message(e)}", file=sys.stderr)
        return 2
    except Terminated:
        print("terminated; nothing half-written was left", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        print("interrupted; nothing half-written was left", file=sys.stderr)
        return 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


class Terminated(KeyboardInterrupt):
    """SIGTERM (sent by timeout, a CI cancel, docker stop): unwinds like Ctrl-C, so every
    staging folder and temporary file is removed on the way out."""


def _raise_terminated(signum, frame):
    raise Terminated()


def _stop_on_sigterm():
    """Turn SIGTERM into :class:`Terminated` while a command runs (main thread only)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _raise_terminated)


if __name__ == "__main__":
    sys.exit(main())
