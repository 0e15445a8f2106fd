"""Screenshots of the results tables of a converted study, for a human to look at.

    python scripts/screenshot_results.py out/ADT2002-P2 --to /tmp/shots [--only t14_2_1]

Each display's HTML page is rendered by headless Chromium (``chromium``) to ``<file>.html.png``;
each RTF is converted by LibreOffice headless (``soffice``) to PDF and by ``pdftoppm`` (poppler)
to ``<file>.rtf-1.png`` (one PNG per page).  Tools that are missing are reported and skipped.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def _chromium() -> str | None:
    return next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")
                 if shutil.which(n)), None)


def html_shots(results: Path, to: Path, only: list[str]) -> list[Path]:
    exe = _chromium()
    if exe is None:
        print("chromium not found: HTML screenshots skipped", file=sys.stderr)
        return []
    shots = []
    for page in sorted(results.glob("t*.html")):
        if only and page.stem not in only:
            continue
        png = to / f"{page.stem}.html.png"
        subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        f"--screenshot={png}", "--window-size=1100,1000", page.resolve().as_uri()],
                       check=True, capture_output=True, timeout=120)
        shots.append(png)
    return shots


def rtf_shots(results: Path, to: Path, only: list[str]) -> list[Path]:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    pdftoppm = shutil.which("pdftoppm")
    if soffice is None or pdftoppm is None:
        print("soffice or pdftoppm not found: RTF screenshots skipped", file=sys.stderr)
        return []
    rtfs = [p for p in sorted(results.glob("t*.rtf")) if not only or p.stem in only]
    with tempfile.TemporaryDirectory() as tmp:
        profile = Path(tmp) / "profile"
        subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless",
                        "--convert-to", "pdf", "--outdir", tmp, *map(str, rtfs)],
                       check=True, capture_output=True, timeout=600)
        shots = []
        for rtf in rtfs:
            pdf = Path(tmp) / f"{rtf.stem}.pdf"
            subprocess.run([pdftoppm, "-png", "-r", "70", str(pdf), str(to / f"{rtf.stem}.rtf")],
                           check=True, capture_output=True, timeout=120)
            shots += sorted(to.glob(f"{rtf.stem}.rtf*.png"))
    return shots


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("package", type=Path, help="a converted study folder, e.g. out/ADT2002-P2")
    p.add_argument("--to", type=Path, required=True, help="folder for the PNG files")
    p.add_argument("--only", nargs="*", default=[], help="display files, e.g. t14_2_1")
    args = p.parse_args(argv)
    results = args.package / "analysis" / "adam" / "results"
    if not results.is_dir():
        print(f"no results in {results}", file=sys.stderr)
        return 2
    args.to.mkdir(parents=True, exist_ok=True)
    shots = html_shots(results, args.to, args.only) + rtf_shots(results, args.to, args.only)
    for s in shots:
        print(s)
    return 0


if __name__ == "__main__":
    sys.exit(main())
