"""Benchmark: validate large SDTM packages with ``cdisc-map validate``; time and peak memory.

    python benchmarks/validate_large.py                     # 10,000 subjects + CORE comparison
    python benchmarks/validate_large.py --subjects 2000 --core-subjects 0
    python benchmarks/validate_large.py --core-subjects 0 --core-rules RULES  # with CORE rules

For each size the synthetic study (phase 2 design) is generated and converted to SDTM, then
validated in a fresh process, so that the peak resident memory printed is the validator's own
(generation and conversion are not counted).  The second package (1,060 subjects, about 354,000
records) is the size of CDISC's 31-dataset sample replicated 20 times, on which CDISC CORE 0.17
takes 386-459 s and 8.3-8.9 GB on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from synthetic import synthetic_study

ROOT = Path(__file__).resolve().parents[1]
CORE = {"17,714 records": ("54-98 s", "0.7 GB"), "354,280 records": ("386-459 s", "8.3-8.9 GB")}


def _convert(work: Path, subjects: int) -> tuple[Path, int, float]:
    from cdisc_mapper.engine.run import convert_study
    t0 = time.perf_counter()
    study_file = synthetic_study(work, subjects)
    res = convert_study(study_file, work / "out")
    return res.out_dir / "tabulations" / "sdtm", res.records, time.perf_counter() - t0


def _validate_child(folder: str, reports: str | None, core_rules: list[str]) -> None:
    """Run in a fresh process: validate and print one JSON line of figures."""
    from cdisc_mapper.validate import peak_rss_mb, validate

    t0 = time.perf_counter()
    r = validate(folder, core_rules=core_rules)
    seconds = time.perf_counter() - t0
    t1 = time.perf_counter()
    if reports:
        r.write_reports(reports, ("json", "junit", "html", "xlsx"))
    print(json.dumps({"seconds": seconds, "reports_seconds": time.perf_counter() - t1,
                      "records": r.package.records, "datasets": len(r.package.datasets),
                      "load": r.timings.get("load"), "rules": r.timings.get("rules"),
                      "rules_run": sum(s.status in ("passed", "issues") for s in r.statuses),
                      "core_rules": sum(s.rule.id.startswith("CORE-") and
                                        s.status in ("passed", "issues") for s in r.statuses),
                      "counts": r.counts(), "peak_mb": peak_rss_mb()}))


def _measure(folder: Path, reports: Path | None, core_rules: list[str]) -> dict:
    cmd = [sys.executable, __file__, "--child", str(folder)]
    for c in core_rules:
        cmd += ["--core-rules", c]
    if reports is not None:
        cmd += ["--child-reports", str(reports)]
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--subjects", type=int, default=10_000)
    ap.add_argument("--core-subjects", type=int, default=1_060,
                    help="subjects of the CORE comparison package (about 354,000 records); "
                         "0 to skip")
    ap.add_argument("--repeat", type=int, default=2, help="validation runs per package (best "
                                                          "and worst are printed)")
    ap.add_argument("--reports", action="store_true", help="also time writing all reports")
    ap.add_argument("--keep", action="store_true", help="keep the generated packages")
    ap.add_argument("--core-rules", action="append", default=[], metavar="DIR",
                    help="also run the CORE rules in DIR (repeatable), as validate --core-rules")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--child-reports", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _validate_child(args.child, args.child_reports, args.core_rules)
        return 0

    sizes = [n for n in (args.subjects, args.core_subjects) if n]
    work = Path(tempfile.mkdtemp(prefix="cdisc-bench-validate-"))
    print(f"cpus {os.cpu_count()}; python {sys.version.split()[0]}")
    try:
        for n in sizes:
            folder, records, t_conv = _convert(work / f"n{n}", n)
            size = sum(f.stat().st_size for f in folder.glob("*.xpt")) / 1e6
            runs = [_measure(folder, (work / f"rep{n}") if args.reports else None,
                             args.core_rules)
                    for _ in range(max(1, args.repeat))]
            best = min(runs, key=lambda r: r["seconds"])
            worst = max(runs, key=lambda r: r["seconds"])
            print(f"\nsubjects            {n:,}  (generated and converted in {t_conv:.1f} s)")
            print(f"package             {best['datasets']} datasets, {best['records']:,} records, "
                  f"{size:,.0f} MB of XPT")
            print(f"validation          {best['seconds']:.1f} s best, {worst['seconds']:.1f} s worst"
                  f" of {len(runs)} (load {best['load']:.1f} s, {best['rules_run']} rules "
                  f"{best['rules']:.1f} s; {best['core_rules']} of them CORE rules)")
            print(f"records per second  {best['records'] / best['seconds']:,.0f}")
            print(f"peak memory (RSS)   {max(r['peak_mb'] for r in runs):,.0f} MB")
            print(f"findings            {best['counts']}")
            if args.reports:
                print(f"reports (4 formats) {best['reports_seconds']:.1f} s")
        print("\nCDISC CORE 0.17 on 2 cores, for comparison: "
              + "; ".join(f"{k}: {t}, {m}" for k, (t, m) in CORE.items()))
        if args.keep:
            print(f"packages kept in    {work}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
