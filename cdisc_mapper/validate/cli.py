"""The ``cdisc-map validate`` subcommand: :func:`add_parser` declares it, :func:`run` runs it.

Exit codes: 0 when nothing at or above ``--fail-on`` (default error) was found, 1 when something
was, 2 for a usage error or unreadable input (an XPT that is not one, a define.xml that is not
XML or declares entities, a folder without datasets).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from cdisc_mapper import __version__
from cdisc_mapper.errors import CdiscMapperError
from cdisc_mapper.progress import plural

from .catalogue import SEVERITIES, load_catalogue, rule_sort_key
from .load import STANDARDS

DESCRIPTION = """\
Check an SDTM or ADaM package (any package: XPT v5 or Dataset-JSON, with or without a
define.xml) against the CDISC conformance rules, FDA business rules and technical rejection
criteria, and this tool's own rules.  The standard is detected from the datasets unless given.
A define.xml beside the datasets is used unless --define names another."""

EPILOG = """\
exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 usage error or
unreadable input

examples:
  cdisc-map validate out/ADT2002-P2/tabulations/sdtm
  cdisc-map validate pkg/ --define pkg/define.xml --format html,xlsx,json,junit --out reports
  cdisc-map validate pkg/ --ct SDTM_Terminology_2025-03-28.txt --fail-on warning
  cdisc-map validate pkg/ --rules my-rules.yaml --disable CM0008,CM0011
  cdisc-map validate pkg/ --core-rules cdisc-open-rules/Published
  cdisc-map validate --list-rules
"""


def add_parser(subparsers, common_parent: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Declare ``validate`` on the ``cdisc-map`` subparsers."""
    v = subparsers.add_parser("validate", parents=[common_parent],
                              help="check an SDTM/ADaM package for conformance",
                              description=DESCRIPTION, epilog=EPILOG,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    v.add_argument("path", nargs="?", metavar="PATH",
                   help="a folder of datasets (searched recursively) or one dataset file")
    v.add_argument("--define", metavar="FILE", help="define.xml to check the data against")
    v.add_argument("--no-define", action="store_true",
                   help="ignore a define.xml found beside the datasets")
    v.add_argument("--ct", metavar="FILE",
                   help="a published NCI EVS terminology file (.txt) or CDISC Library export "
                        "(.csv) instead of the bundled full SDTM/ADaM CT; the version used is "
                        "reported, with a note when a define.xml declares another")
    v.add_argument("--standard", choices=sorted(STANDARDS),
                   help="standard of the package (default: detected)")
    v.add_argument("--out", metavar="DIR", help="folder for the reports (default: current "
                                                "folder when --format is given)")
    v.add_argument("--format", metavar="LIST", default=None,
                   help="reports to write: html,xlsx,json,junit (comma-separated; default: "
                        "html,json when --out is given)")
    v.add_argument("--fail-on", choices=SEVERITIES, default="error",
                   help="exit 1 when a finding of this severity or worse is found (default "
                        "error)")
    v.add_argument("--rules", metavar="FILE", action="append", default=[],
                   help="a rule file of your own (repeatable)")
    v.add_argument("--core-rules", metavar="DIR", action="append", default=[],
                   help="a folder (or file) of CDISC CORE rules (rule.yml/.yaml/.json) to run "
                        "as well, those published for the package's standard (repeatable)")
    v.add_argument("--disable", metavar="IDS", action="append", default=[],
                   help="rule ids or families to switch off, comma-separated")
    v.add_argument("--max-findings", type=int, default=10_000, metavar="N",
                   help="findings kept per rule in the reports (0: all; default 10000)")
    v.add_argument("--list-rules", action="store_true", help="list the rule catalogue and exit")
    v.set_defaults(func=lambda args, rep=None: run(args))
    return v


def _split(values: list[str]) -> list[str]:
    return [x.strip() for v in values for x in v.split(",") if x.strip()]


def _say(args, msg: str = "", *, err: bool = False) -> None:
    if getattr(args, "quiet", False) and not err:
        return
    print(msg, file=sys.stderr if err else sys.stdout, flush=True)


def _list_rules(args) -> int:
    cat = load_catalogue(args.rules, disable=_split(args.disable))
    print(f"{'rule':<9} {'authority':<10} {'family':<14} {'severity':<8} {'on':<3} description")
    for r in sorted(cat.rules.values(), key=lambda r: rule_sort_key(r.id)):
        auth = ",".join(r.authority_ids)
        print(f"{r.id:<9} {auth:<10} {r.family:<14} {r.severity:<8} "
              f"{'yes' if r.enabled else 'no':<3} {r.description}")
    print(f"{len(cat.rules)} rules in {len(cat.files)} files")
    return 0


def run(args: argparse.Namespace) -> int:
    """Run ``cdisc-map validate`` with parsed arguments; returns the exit code."""
    from . import validate

    verbose = getattr(args, "verbose", 0)
    try:
        if args.list_rules:
            return _list_rules(args)
        if not args.path:
            _say(args, "error: name the package to validate (a folder or a dataset file)",
                 err=True)
            return 2
        if args.define and args.no_define:
            _say(args, f"error: --define {args.define} and --no-define contradict each other; "
                       "give one of them", err=True)
            return 2
        if args.out is not None and not args.out.strip():
            _say(args, "error: --out must name a folder (an empty --out would write into the "
                       "current folder)", err=True)
            return 2
        formats = _split([args.format]) if args.format else (["html", "json"] if args.out else [])
        from . import FORMATS
        unknown = [f for f in formats if f not in FORMATS]
        if unknown:
            _say(args, f"error: unknown report format {unknown[0]!r}; choose from "
                       f"{', '.join(FORMATS)}", err=True)
            return 2
        out = args.out or ("." if formats else None)
        if args.max_findings < 0:
            _say(args, "error: --max-findings must be 0 (all) or more", err=True)
            return 2

        def progress(rule, status):
            if verbose >= 2:
                print(f"  {rule.id:<8} {status.status:<8} {status.found:>8} "
                      f"{status.seconds:6.2f} s", file=sys.stderr, flush=True)

        t0 = time.perf_counter()
        result = validate(args.path, define=args.define, ct=args.ct, standard=args.standard,
                          rules=args.rules, disable=_split(args.disable),
                          fail_on=args.fail_on, max_findings=args.max_findings,
                          use_found_define=not args.no_define, progress=progress,
                          core_rules=args.core_rules)
        written = result.write_reports(out, formats) if formats else []
        _print_summary(args, result, written, time.perf_counter() - t0)
        return result.exit_code()
    except CdiscMapperError as e:
        for line in str(e).splitlines():
            _say(args, f"error: {line}", err=True)
        return e.exit_code
    except MemoryError:
        _say(args, "error: out of memory reading the input", err=True)
        return 2
    except OSError as e:
        where = f"{e.filename}: " if getattr(e, "filename", None) else ""
        _say(args, f"error: {where}{e.strerror or e}", err=True)
        return 2
    except KeyboardInterrupt:
        _say(args, "interrupted", err=True)
        return 130


def _print_summary(args, result, written: list[Path], seconds: float) -> None:
    h = result.header()
    ct = h["controlled_terminology"]
    define = h["define"]["file"] if h["define"] else "none"
    _say(args, f"{h['tool']['name']} {__version__}: {h['package']}")
    _say(args, f"  {h['standard']}{' (detected)' if h['standard_detected'] else ''}, "
               f"CT {ct['version']} ({ct['source']}), {h['dataset_count']} datasets, "
               f"{h['records']:,} records, define.xml: {define}")
    for note in ct["notes"]:
        _say(args, f"  note: {note}")
    for skipped in h["skipped_files"]:
        _say(args, f"  not read: {skipped['file']}: {skipped['reason']}")
    sc = result.status_counts()
    _say(args, f"  rules: {sc['passed']} passed, {sc['issues']} with findings, "
               f"{sc['skipped']} skipped, {sc['error']} execution errors")
    issues = [st for st in result.statuses if st.status in ("issues", "error")]
    if issues:
        _say(args, "")
        _say(args, f"  {'rule':<9} {'severity':<8} {'values':>7} {'records':>8}  "
                   f"{'datasets':<22} first finding")
        f = result.findings
        for st in issues:
            if st.status == "error":
                _say(args, f"  {st.rule.id:<9} {'ERROR':<8} {'':>7} {'':>8}  {'':<22} "
                           f"{st.reason}")
                continue
            rows = f[f["rule"] == st.rule.id]
            dss = ",".join(dict.fromkeys(rows["dataset"].astype(str)))
            first = rows.iloc[0] if len(rows) else None
            where = ""
            if first is not None:
                where = f"{first['dataset']}"
                if not (first["record"] is None or str(first["record"]) == "<NA>"):
                    where += f" record {first['record']}"
                where += f": {first['message']}"
            _say(args, f"  {st.rule.id:<9} {st.rule.severity:<8} {st.values:>7} {st.found:>8}  "
                       f"{dss[:22]:<22} {where[:150]}")
            if getattr(args, "verbose", 0) >= 1:
                for r in rows.head(20).itertuples(index=False):
                    rec = "" if str(r.record) == "<NA>" else f" record {r.record}"
                    _say(args, f"      {r.dataset}{rec}: {r.message}")
    from . import count_text
    verdict = "FAIL" if result.failed() else "PASS"
    msg = (f"{count_text(result.issue_counts(), result.counts())} in "
           f"{seconds:.1f} s: {verdict} (fails on {result.fail_on})")
    _say(args, "")
    if verdict == "FAIL" and getattr(args, "quiet", False):
        print(msg, file=sys.stderr)
    else:
        _say(args, msg)
    for p in written:
        _say(args, f"  wrote {p}")
