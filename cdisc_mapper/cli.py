"""The ``cdisc-map`` command line."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime
from pathlib import Path

from . import __version__
from .errors import CdiscMapperError, UsageError

MAIN_HELP = """\
Turn raw CRF data into CDISC SDTM packages, driven by declarative mapping files.

examples:
  cdisc-map convert                          convert every bundled study into ./out
  cdisc-map convert mappings/ADT2002-P2/study.yaml --out /tmp/pkg
  cdisc-map check                            check every mapping file, run nothing
  cdisc-map init MYSTUDY --raw exports/      study file and mapping skeletons from raw forms
  cdisc-map results out/ADT2002-P2           the declared analyses: ARD, ARS JSON, RTF/HTML/CSV tables
  cdisc-map validate out/ADT2002-P2 --format html,xlsx,json,junit --out reports
  cdisc-map trace out/ADT2002-P2 AE --usubjid ADT2002-P2-01-001 --seq 1
  cdisc-map synth --study ADT2002-P2 --subjects 10000 --out /tmp/big
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


class Reporter:
    def __init__(self, verbosity: int):
        self.verbosity = verbosity

    def info(self, msg: str) -> None:
        if self.verbosity >= 1:
            print(msg, file=sys.stderr, flush=True)

    def detail(self, msg: str) -> None:
        if self.verbosity >= 2:
            print(msg, file=sys.stderr, flush=True)

    def out(self, msg: str) -> None:
        if self.verbosity >= 0:
            print(msg, flush=True)


def _validate_written(res, ct):
    """Validate a package just written; its reports name the package relative to the output
    root and carry the package's own timestamp, so reruns give identical files."""
    import os

    from .validate import validate

    here = Path.cwd()
    os.chdir(res.out_dir.parent)
    try:
        v = validate(Path(res.out_dir.name), ct=ct)
    finally:
        os.chdir(here)
    v.reproducible(res.created)
    v.write_reports(res.out_dir / "reports", ("json", "html"))
    return v


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
        res = convert_study(sf, out, ct_file=ct, allow_problems=args.allow_problems,
                            raw_dir=Path(args.raw) if args.raw else None,
                            created=created, progress=rep.info, xpt_engine=args.xpt_writer,
                            analysis=not args.sdtm_only)
        results.append(res)
        for note in res.notes:
            rep.detail(f"  note: {note}")
        if not args.no_validate:
            v = _validate_written(res, ct)
            res.validation = v
            rep.info(f"{res.study.id}: {v.summary()}")
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
        created = datetime.fromisoformat(args.timestamp) if args.timestamp else data_cutoff(finals)
        specs = {n: f.spec for n, f in finals.items()}
        paths = write_sdtm_define(state, finals, specs, folder, created)
        rep.out(f"{state.study.id}: wrote {paths[0]} and {paths[1].name}")
        if (folder / ADAM_DIR).is_dir() and state.study.doc.data["study"].get("analysis"):
            paths = _adam_define(state, folder, created)
            rep.out(f"{state.study.id}: wrote {paths[0]} and {paths[1].name}")
    return 0


def _adam_define(state, folder: Path, created: datetime) -> list[Path]:
    """The ADaM define.xml of a written package, from the ADaM specs and the SDTM files."""
    from .adam.run import build_adam
    from .engine.run import SDTM_DIR, write_adam_define

    finals = build_adam(state.study, folder / SDTM_DIR)
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
    from .mapping.validate import MappingErrors
    from .standards import load_standard

    found = []
    for sf in _studies(args.studies):
        try:
            study = load_study(sf)
            codelists, _ = codelists_for(study, Path(args.ct) if args.ct else None)
            errors = check_study(study, load_standard("SDTMIG", "3.4"), codelists)
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


def cmd_synth(args, rep: Reporter) -> int:
    from .synth import STUDIES

    from .synth import DEFAULT_SEED

    from . import synth
    from .synth import htn201

    seed = DEFAULT_SEED if args.seed is None else args.seed
    studies = STUDIES + (htn201.STUDY,) if args.study == "all" else (args.study,)
    root = Path(args.out) if args.out else _project_root() / "samples"
    for s in studies:
        t0 = time.perf_counter()
        folder = root / s if (args.out is None or len(studies) > 1 or args.nest) else root
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

    c = sub.add_parser("convert", parents=[common], help="convert studies to SDTM packages",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Convert one or more studies (their study.yaml files) into "
                       "SDTM packages: OUT/<STUDYID>/tabulations/sdtm/<dataset>.xpt and .json, "
                       "lineage.json, and reports/data-problems.csv.  Nothing is written when "
                       "a mapping or the data has an error.",
                       epilog="examples:\n  cdisc-map convert\n"
                              "  cdisc-map convert mappings/ADT2002-P2 --out pkg -v\n"
                              "  cdisc-map convert --ct SDTM_Terminology_2025-03-28.txt\n")
    c.add_argument("studies", nargs="*", metavar="STUDY",
                   help="study.yaml files or their folders (default: every mappings/*/study.yaml)")
    c.add_argument("--out", default="out", help="output root folder (default ./out)")
    c.add_argument("--raw", metavar="DIR", help="read the raw forms from DIR instead of the "
                                                "study file's raw folder (one study only)")
    c.add_argument("--ct", help="a full NCI EVS SDTM CT file (tab-separated) to use instead of "
                                "the bundled terms")
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

    df = sub.add_parser("define", parents=[common], help="regenerate define.xml and define.html",
                        description="Regenerate define.xml (Define-XML 2.1) and define.html of the "
                        "SDTM and ADaM packages from the mappings and specs, without rewriting "
                        "the datasets.",
                        epilog="examples:\n  cdisc-map define\n  cdisc-map define "
                               "mappings/ADT2002-P2 --out pkg",
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    df.add_argument("studies", nargs="*", metavar="STUDY")
    df.add_argument("--out", default="out", help="output root folder of the packages (default ./out)")
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

    k = sub.add_parser("check", parents=[common], help="validate mapping files without running",
                       description="Load every study file and the mappings it includes, check "
                       "each against its JSON Schema, the study design, the standard (datasets, "
                       "variables, required variables), the codelists, and the raw forms' "
                       "headers when the raw data are there; report every mistake by file, line "
                       "and key, all in one pass — the same lines convert would stop with.",
                       epilog="example:\n  cdisc-map check mappings/ADT2002-P1/study.yaml",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    k.add_argument("studies", nargs="*", metavar="STUDY")
    k.add_argument("--ct", help="the full NCI EVS SDTM CT file convert will use")
    k.set_defaults(func=cmd_check)

    s = sub.add_parser("synth", parents=[common], help="write synthetic raw CRF data",
                       description="Write the seeded synthetic raw data of the sample study. "
                       "With the default seed and size it reproduces the published results; any "
                       "size can be written for benchmarks.",
                       epilog="examples:\n  cdisc-map synth                 (re)write samples/\n"
                              "  cdisc-map synth --study ADT2002-P2 --subjects 10000 --out big",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("--study", default="all", help="ADT2002-P1, ADT2002-P2, HTN201 or all "
                                                  "(default)")
    s.add_argument("--subjects", type=int, default=None, help="number of subjects "
                   "(default: the published size)")
    s.add_argument("--seed", type=int, default=None, help="random seed (default: the sample's)")
    s.add_argument("--out", help="folder (default: samples/<STUDY>)")
    s.add_argument("--nest", action="store_true", help="write into OUT/<STUDY>")
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
    ini.add_argument("--raw", required=True, metavar="DIR", help="folder of raw CSV forms")
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
    d.add_argument("--out", help="folder (default docs/): mapping-language.md (SDTM) and "
                                 "adam-language.md (ADaM)")
    d.set_defaults(func=cmd_docs)

    sc = sub.add_parser("schema", parents=[common], help="write the JSON Schemas of the mapping files",
                        description="Write the JSON Schemas of the study, dataset mapping and "
                        "codelist files, for editors that validate YAML as you type.",
                        epilog="example:\n  cdisc-map schema --out schemas",
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    sc.add_argument("--out", default="schemas", help="folder (default ./schemas)")
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
    t.add_argument("--usubjid")
    t.add_argument("--seq", type=int)
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
    try:
        return args.func(args, rep)
    except CdiscMapperError as e:
        for line in str(e).splitlines():
            print(f"error: {line}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("interrupted; nothing half-written was left", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
