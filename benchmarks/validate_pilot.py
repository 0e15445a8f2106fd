"""Time `cdisc-map validate` on a package with CORE rules plus the product's own catalogue.

    python benchmarks/validate_pilot.py PACKAGE --core-rules RULES [--compare CORE_RESULT.json]

Prints wall time, peak memory and, with --compare (CORE's JSON report summary: issue_summary with
core_id, dataset, issues), the per-rule comparison of finding counts (compare_core.py classifies
each difference: split datasets, rules not given, skipped, explained).  Measure with
``/usr/bin/time -v`` for the peak resident memory of the whole process.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict

from cdisc_mapper.validate import peak_rss_mb, validate


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("package")
    ap.add_argument("--core-rules", action="append", required=True)
    ap.add_argument("--compare")
    a = ap.parse_args()
    t0 = time.perf_counter()
    res = validate(a.package, core_rules=a.core_rules, max_findings=0)
    dt = time.perf_counter() - t0
    sc = res.status_counts()
    print(f"{res.package.records:,} records, {len(res.statuses)} rules "
          f"({sc}) in {dt:.1f} s, peak {peak_rss_mb():.0f} MB")
    if a.compare:
        ref = json.load(open(a.compare))
        theirs = defaultdict(int)
        for x in ref["issue_summary"]:
            theirs[(x["core_id"], x["dataset"])] += x["issues"]
        ours = defaultdict(int)
        status = {}
        for st in res.statuses:
            if st.rule.id.startswith("CORE-"):
                status[st.rule.id] = f"{st.status} {st.reason}"[:90]
                for ds, n in st.per_dataset.items():
                    ours[(st.rule.id, ds)] += n
        for key in sorted(set(theirs) | set(ours)):
            t, o = theirs.get(key, 0), ours.get(key, 0)
            mark = "same" if t == o else "DIFF"
            print(f"{mark} {key[0]} {key[1]:<9} CORE {t:>7} ours {o:>7}  "
                  f"{'' if o else status.get(key[0], '')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
