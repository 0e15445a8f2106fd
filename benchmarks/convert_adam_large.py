"""Benchmark: SDTM + ADaM (+ results) for a synthetic study of N subjects; time and memory.

    python benchmarks/convert_adam_large.py                 # 10,000 subjects (phase 2 design)
    python benchmarks/convert_adam_large.py --subjects 2000

Peak memory is the resident set size high-water mark of this process (raw-data generation
included, so it bounds the conversion's own peak from above).
"""

from __future__ import annotations

import argparse
import gc
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
    args = ap.parse_args()

    from cdisc_mapper.adam.run import convert_adam
    from cdisc_mapper.engine.run import convert_study, data_cutoff
    from cdisc_mapper.results import study_plan, write_results

    work = Path(tempfile.mkdtemp(prefix="cdisc-bench-adam-"))
    try:
        t0 = time.perf_counter()
        study_file = synthetic_study(work, args.subjects)
        t_gen = time.perf_counter() - t0

        def say(m: str) -> None:
            print(f"  {m}", file=sys.stderr)

        t0 = time.perf_counter()
        sdtm = convert_study(study_file, work / "out", progress=say)
        t_sdtm = time.perf_counter() - t0
        created = data_cutoff(sdtm.datasets)
        records = sdtm.records
        sdtm.datasets.clear()       # ADaM reads the written files: the SDTM frames can go
        gc.collect()
        t0 = time.perf_counter()
        adam = convert_adam(sdtm.study, sdtm.out_dir / "tabulations" / "sdtm", sdtm.out_dir,
                            created=created, progress=say)
        t_adam = time.perf_counter() - t0
        t0 = time.perf_counter()
        results = write_results(sdtm.out_dir / "analysis" / "adam", sdtm.study.id,
                                study_plan(sdtm.study))
        t_res = time.perf_counter() - t0
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        size = sum(f.stat().st_size for f in adam.files) / 1e6
        print(f"subjects            {args.subjects:,}")
        print(f"raw generation      {t_gen:.1f} s")
        print(f"SDTM conversion     {t_sdtm:.1f} s  ({records:,} records)")
        print(f"ADaM conversion     {t_adam:.1f} s  ({adam.records:,} records: " + ", ".join(
            f"{n} {len(d):,}" for n, d in adam.data.items()) + ")")
        print(f"results             {t_res:.1f} s  ({len(results)} files)")
        print(f"SDTM + ADaM         {t_sdtm + t_adam:.1f} s")
        print(f"peak memory (RSS)   {peak_mb:,.0f} MB")
        print(f"ADaM output size    {size:,.0f} MB")
        if args.keep:
            print(f"output kept in      {work}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
