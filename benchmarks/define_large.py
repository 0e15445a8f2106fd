"""Benchmark: read a large define.xml with the validator's reader; time and peak memory.

    python benchmarks/define_large.py                 # 20 MB and 150 MB
    python benchmarks/define_large.py --mb 20 --json  # one size, one JSON line (used by a test)

A well-formed Define-XML 2.1 document of the requested size is generated (datasets, variables
and codelists with many terms, as a large sponsor define with external dictionaries looks) and
read by :func:`cdisc_mapper.validate.define_checks.read_define` in a fresh process, so that the
peak resident memory printed is the reader's own.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" xmlns:def="http://www.cdisc.org/ns/def/v2.1"
     xmlns:xlink="http://www.w3.org/1999/xlink" ODMVersion="1.3.2" FileType="Snapshot"
     FileOID="BIG" CreationDateTime="2025-01-01T00:00:00" def:Context="Submission">
<Study OID="S.BIG"><GlobalVariables><StudyName>BIG</StudyName>
<StudyDescription>large</StudyDescription><ProtocolName>BIG</ProtocolName></GlobalVariables>
<MetaDataVersion OID="MDV.BIG" Name="big" def:DefineVersion="2.1.0">
"""


def write_define(path: Path, megabytes: float) -> int:
    """Write a define.xml of about ``megabytes`` MB; returns its size in bytes."""
    target = int(megabytes * 1024 * 1024)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(_HEAD)
        n = 0
        for g in range(50):
            refs = "".join(f'<ItemRef ItemOID="IT.D{g}.V{v}" OrderNumber="{v + 1}" '
                           f'Mandatory="No"/>' for v in range(40))
            fh.write(f'<ItemGroupDef OID="IG.D{g}" Name="D{g}" Domain="D{g}" Repeating="Yes" '
                     f'Purpose="Tabulation" def:Structure="One record per subject" '
                     f'def:ArchiveLocationID="LF.D{g}"><Description><TranslatedText '
                     f'xml:lang="en">Dataset {g}</TranslatedText></Description>{refs}'
                     f'<def:leaf ID="LF.D{g}" xlink:href="d{g}.xpt"><def:title>d{g}.xpt'
                     f'</def:title></def:leaf></ItemGroupDef>\n')
            for v in range(40):
                fh.write(f'<ItemDef OID="IT.D{g}.V{v}" Name="V{v}" DataType="text" '
                         f'Length="20"><Description><TranslatedText xml:lang="en">Variable '
                         f'{v}</TranslatedText></Description><CodeListRef CodeListOID='
                         f'"CL.{(g * 40 + v) % 200}"/><def:Origin Type="Collected"/></ItemDef>\n')
        size = fh.tell()
        c = 0
        while size < target - 4096:
            terms = "".join(f'<CodeListItem CodedValue="TERM {c}-{t}"><Decode><TranslatedText '
                            f'xml:lang="en">Decoded term number {t} of codelist {c}'
                            f'</TranslatedText></Decode></CodeListItem>' for t in range(500))
            fh.write(f'<CodeList OID="CL.{c}" Name="Codelist {c}" DataType="text">{terms}'
                     f'</CodeList>\n')
            c += 1
            n += 500
            size = fh.tell()
        fh.write("</MetaDataVersion></Study></ODM>\n")
        return fh.tell()


def _child(path: str) -> None:
    import time

    from cdisc_mapper.validate import peak_rss_mb
    from cdisc_mapper.validate.define_checks import read_define
    base = peak_rss_mb()
    t0 = time.perf_counter()
    d = read_define(path)
    seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": round(seconds, 2), "peak_mb": round(peak_rss_mb(), 1),
                      "base_mb": round(base, 1), "codelists": len(d.codelists),
                      "items": len(d.items), "groups": len(d.groups),
                      "leaves": len(d.leaves)}))


def measure(megabytes: float) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "define.xml"
        size = write_define(path, megabytes)
        out = subprocess.run([sys.executable, __file__, "--child", str(path)], check=True,
                             capture_output=True, text=True, cwd=ROOT,
                             env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
        figures = json.loads(out.stdout.strip().splitlines()[-1])
        figures["mb"] = round(size / 1024 / 1024, 1)
        return figures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=float, action="append", help="size(s) in MB (default 20, 150)")
    ap.add_argument("--json", action="store_true", help="print one JSON line per size")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(args.child)
        return
    for mb in args.mb or [20, 150]:
        f = measure(mb)
        if args.json:
            print(json.dumps(f))
        else:
            print(f"define.xml {f['mb']:>6} MB: {f['seconds']:6.1f} s, peak {f['peak_mb']:7.1f} "
                  f"MB resident (interpreter and imports {f['base_mb']} MB); "
                  f"{f['codelists']} codelists, {f['items']} items, {f['groups']} datasets")


if __name__ == "__main__":
    main()
