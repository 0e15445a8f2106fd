"""Benchmark: convert a synthetic study of N subjects — SDTM, then ADaM, define.xml files and the
results tables, as `cdisc-map convert` does — and print time, memory and rows per second.

    python benchmarks/convert_large.py                 # 10,000 subjects (phase 2 design)
    python benchmarks/convert_large.py --subjects 2000

Peak memory is the resident set size high-water mark of this process (generation included, so
it bounds the conversion's own peak from above).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from synthetic import synthetic_study


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--subjects", type=int, default=10_000)
    ap.add_argument("--keep", action="store_true", help="keep the output folder")
    ap.add_argument("--sdtm-only", action="store_true", help="stop after SDTM")
    args = ap.parse_args()

    from cdisc_mapper.engine.run import convert_study

    work = Path(tempfile.mkdtemp(prefix="cdisc-bench-"))
    try:
        t0 = time.perf_counter()
        study_file = synthetic_study(work, args.subjects)
        t_gen = time.perf_counter() - t0
        t0 = time.perf_counter()
        res = convert_study(study_file, work / "out", analysis=not args.sdtm_only,
                            progress=lambda m: print(f"  {m}", file=sys.stderr))
        t_conv = time.perf_counter() - t0
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rows = res.records
        qs = res.record_counts["QS"]
        adam = sum(len(df) for df in res.adam.data.values()) if res.adam else 0
        size = sum(f.stat().st_size for f in res.files) / 1e6
        print(f"subjects            {args.subjects:,}")
        print(f"raw generation      {t_gen:.1f} s")
        what = "SDTM" if args.sdtm_only else "SDTM + ADaM"
        print(f"{what:<20}{t_conv:.1f} s  (XPT + Dataset-JSON + lineage + define.xml"
              f"{'' if args.sdtm_only else ', results tables'})")
        print(f"records written     {rows:,}  (QS {qs:,}; ADaM {adam:,})")
        print(f"rows per second     {rows / t_conv:,.0f}")
        print(f"peak memory (RSS)   {peak_mb:,.0f} MB")
        print(f"output size         {size:,.0f} MB")
        if args.keep:
            print(f"output kept in      {work}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
