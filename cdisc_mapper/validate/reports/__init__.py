"""Report writers: JSON (machine-readable), HTML (one self-contained file a person reads), XLSX
(the sheets Pinnacle 21 users know) and JUnit XML (findings as test results in any CI).

Every report records the tool version, the standard, the controlled terminology version and a
SHA-256 hash of each input file.
"""

from __future__ import annotations

from pathlib import Path

from cdisc_mapper.io.atomic import write_bytes_atomic

__all__ = ["write_report", "FILE_NAMES"]

FILE_NAMES = {"json": "{name}.json", "html": "{name}.html", "xlsx": "{name}.xlsx",
              "junit": "{name}-junit.xml"}


def write_report(result, fmt: str, folder: Path, name: str = "validation") -> Path:
    """Write one report of ``result`` into ``folder``; returns its path."""
    if fmt == "json":
        from .json_report import render
    elif fmt == "html":
        from .html import render
    elif fmt == "xlsx":
        from .xlsx import render
    elif fmt == "junit":
        from .junit import render
    else:
        raise ValueError(f"unknown report format {fmt!r}")
    path = folder / FILE_NAMES[fmt].format(name=name)
    write_bytes_atomic(path, render(result))
    return path
