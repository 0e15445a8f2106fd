"""``cdisc-map rules test PATH... [--out FILE.json]``: run CORE rules on their own test cases.

Exit codes: 0 when every case ran and gave exactly the records of its ``results/results.csv``,
1 when any case failed (other records, skipped, or an error on its data), 2 for bad input (a
folder without rules, a rule file that is not valid).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cdisc_mapper.errors import CdiscMapperError

DESCRIPTION = """\
For rule authors: run CDISC CORE rules (rule.yml with positive/NN/data and negative/NN/data test
cases in CORE's CSV layout) on their test cases, each with that rule alone and under the PRODUCT
and VERSION of the case's .env, and compare the records reported with results/results.csv."""

EPILOG = """\
exit codes: 0 all cases passed, 1 a case failed, 2 bad input

examples:
  cdisc-map rules test cdisc-open-rules/Published/CORE-000004
  cdisc-map rules test cdisc-open-rules/Published --out results.json
"""


def add_parser(subparsers, common_parent: argparse.ArgumentParser) -> argparse.ArgumentParser:
    r = subparsers.add_parser("rules", parents=[common_parent], help="test CDISC CORE rules",
                              description="Work with CDISC CORE rules.")
    sub = r.add_subparsers(dest="rules_command", metavar="COMMAND",
                         help="what to do with the rules (test: run them on their test cases)")
    t = sub.add_parser("test", parents=[common_parent], help="run rules on their test cases",
                       description=DESCRIPTION, epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    t.add_argument("paths", nargs="+", metavar="PATH",
                   help="a rule folder (rule.yml + positive/ + negative/) or a folder of them")
    t.add_argument("--out", metavar="FILE.json", help="write every case's result as JSON")
    t.set_defaults(func=lambda args, rep=None: run_test(args))
    r.set_defaults(func=lambda args, rep=None: (r.print_help(), 2)[1])
    return r


def run_test(args) -> int:
    from .testcases import run_cases, write_json
    quiet = getattr(args, "quiet", False)
    try:
        results = run_cases(args.paths)
    except CdiscMapperError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    bad_rules = [r for r in results if r.status == "error" and not r.case]
    if bad_rules:
        for r in bad_rules:
            print(f"error: {r.reason}", file=sys.stderr)
        return 2
    if args.out:
        write_json(results, Path(args.out))
    failed = [r for r in results if not r.passed]
    if not quiet:
        for r in failed:
            got = {(f["dataset"], f["record"]) for f in r.findings}
            exp = r.expected or set()
            why = r.reason or (f"missing {_pairs(exp - got)}; extra {_pairs(got - exp)}")
            print(f"FAIL {r.rule} {r.case} [{r.status}] {why}")
    n, ok = len(results), len(results) - len(failed)
    rules = len({r.rule for r in results})
    pct = 100.0 * ok / n if n else 100.0
    print(f"{ok} of {n} cases passed ({pct:.1f} %) for {rules} rules; "
          f"{sum(r.status == 'skipped' for r in results)} skipped, "
          f"{sum(r.status == 'error' for r in results)} errors")
    return 0 if not failed else 1


def _pairs(pairs) -> str:
    items = sorted(pairs, key=lambda p: (p[0], p[1] or 0))
    txt = ", ".join(f"{d}" + (f":{r}" if r is not None else "") for d, r in items[:6])
    return (txt + (f" (+{len(items) - 6})" if len(items) > 6 else "")) or "none"
