"""Compare our finding counts for CORE rules with CDISC CORE's report on the same package.

    python benchmarks/compare_core.py PACKAGE --core-rules RULES --core-report CORE.json [--all]

CORE.json is CORE's report summary (``issue_summary``: ``core_id``, ``dataset``, ``issues``).
Every (rule, dataset) pair either side reports is put in one of these classes:

  same        the same number of findings
  split       CORE merged a split domain (LBCH, LBHE, LBUR) into one dataset: its count for
              the merged datasets equals our sum over them
  not-run     a rule CORE ran that is not among the rules given (not in the folder)
  skipped     a rule we skipped (the reason is printed: what the engine lacks)
  known       a difference explained in docs/core-rules.md ("Comparison with CORE on the CDISC
              pilot"); the short reason is printed
  DIFF        anything else (a new difference to explain, or a fault)

Prints one line per pair (``--all``: also the ``same`` ones) and a count per class; exit 1 when a
DIFF is left.  The module's :func:`compare` is used by the tests.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from dataclasses import dataclass

# Differences on the CDISC pilot package, explained in docs/core-rules.md.
KNOWN = {
    "CORE-000206": "every SUPPLB link matches its LB record: CORE's findings are false "
                   "positives (it looks for the parent in a merged LB)",
    "CORE-000539": "one finding per split dataset; CORE merged each split domain into one",
    "CORE-000542": "LBSTRESN holds binary noise of the stored number (8.549999999999999 for "
                   "8.55): CORE's findings are false positives; ours compare at 15 digits",
    "CORE-000712": "every SUPPLB-- IDVAR (LBSEQ) is a variable of its split parent dataset: "
                   "CORE's findings are false positives (it finds no dataset LB)",
}


@dataclass
class Pair:
    rule: str
    datasets: tuple[str, ...]
    core: int
    ours: int
    cls: str
    note: str = ""


def _ours(result) -> tuple[dict, dict, set]:
    counts: dict = defaultdict(lambda: defaultdict(int))
    status, rules = {}, set()
    for st in result.statuses:
        if st.rule.id.startswith("CORE-"):
            rules.add(st.rule.id)
            status[st.rule.id] = (st.status, st.reason)
            for ds, n in st.per_dataset.items():
                counts[st.rule.id][ds] += n
    return counts, status, rules


def compare(result, report: dict, package=None) -> list[Pair]:
    """Classify every (rule, dataset) pair of our result and CORE's report."""
    ours, status, rules = _ours(result)
    theirs: dict = defaultdict(lambda: defaultdict(int))
    for x in report["issue_summary"]:
        theirs[x["core_id"]][tuple(d.strip() for d in x["dataset"].split(","))] += x["issues"]
    domain = {n: d.domain for n, d in result.package.datasets.items()}
    out: list[Pair] = []
    for rule in sorted(set(ours) | set(theirs)):
        mine = ours.get(rule, {})
        covered: set = set()
        for dsets, n in sorted(theirs.get(rule, {}).items()):
            covered |= set(dsets)
            o = sum(mine.get(d, 0) for d in dsets)
            out.append(_classify(rule, dsets, n, o, rules, status, len(dsets) > 1))
        for ds in sorted(set(mine) - covered):
            # CORE names a merged split domain by one of its datasets: compare the group
            group = tuple(sorted(d for d in mine if domain.get(d) == domain.get(ds)))
            out.append(_classify(rule, (ds,), 0, mine[ds], rules, status,
                                 len(group) > 1 and sum(mine[d] for d in group) == sum(
                                     n for k, n in theirs.get(rule, {}).items()
                                     if set(k) & set(group))))
    return out


def _classify(rule, dsets, core, ours, rules, status, split) -> Pair:
    if core == ours:
        return Pair(rule, dsets, core, ours, "split" if split and len(dsets) > 1 else "same")
    if split and len(dsets) == 1:
        return Pair(rule, dsets, core, ours, "split")
    if rule not in rules:
        return Pair(rule, dsets, core, ours, "not-run", "not in the rule folder")
    st, reason = status.get(rule, ("", ""))
    if st == "skipped":
        return Pair(rule, dsets, core, ours, "skipped", reason)
    if rule in KNOWN:
        return Pair(rule, dsets, core, ours, "known", KNOWN[rule])
    return Pair(rule, dsets, core, ours, "DIFF", f"{st} {reason}".strip())


def main() -> int:
    from cdisc_mapper.validate import peak_rss_mb, validate

    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("package")
    ap.add_argument("--core-rules", action="append", required=True)
    ap.add_argument("--core-report", required=True)
    ap.add_argument("--all", action="store_true", help="also list the pairs that agree")
    a = ap.parse_args()
    t0 = time.perf_counter()
    res = validate(a.package, core_rules=a.core_rules, max_findings=0)
    print(f"{res.package.records:,} records, {len(res.statuses)} rules in "
          f"{time.perf_counter() - t0:.1f} s, peak {peak_rss_mb():.0f} MB")
    with open(a.core_report, encoding="utf-8") as fh:
        report = json.load(fh)
    pairs = compare(res, report)
    tally: dict = defaultdict(int)
    for p in pairs:
        tally[p.cls] += 1
        if p.cls != "same" or a.all:
            print(f"{p.cls:<8} {p.rule} {', '.join(p.datasets):<26} CORE {p.core:>7} "
                  f"ours {p.ours:>7}  {p.note[:100]}")
    print("; ".join(f"{k} {v}" for k, v in sorted(tally.items())))
    return 1 if tally.get("DIFF") else 0


if __name__ == "__main__":
    sys.exit(main())
