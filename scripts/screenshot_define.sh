#!/usr/bin/env bash
# Render a define.html in headless Chromium and save a screenshot (PNG).
#
#   scripts/screenshot_define.sh [DEFINE_HTML] [OUT_PNG] [WIDTHxHEIGHT]
#   scripts/screenshot_define.sh --all [OUT_ROOT] [PNG_DIR]
#
# DEFINE_HTML defaults to out/ADT2002-P1/tabulations/sdtm/define.html (run `cdisc-map convert`
# first), OUT_PNG to define.png beside it.  Each define.html sits beside the datasets it describes:
# tabulations/sdtm/ for SDTM, analysis/adam/datasets/ for ADaM.  --all takes every define.html
# under OUT_ROOT (default out) and writes STUDY-sdtm.png / STUDY-adam.png into PNG_DIR (default
# OUT_ROOT/screenshots).  The page is captured from the top, as tall as
# HEIGHT (default 1600x4000: study, standards, the datasets table and the first variable tables).  Uses the system Chromium (Debian: apt-get install
# chromium); installs nothing.  Exits non-zero when Chromium is missing or writes no image.
set -euo pipefail

if [ "${1:-}" = "--all" ]; then
  root="${2:-out}"; dir="${3:-$root/screenshots}"; mkdir -p "$dir"; n=0
  for html in "$root"/*/tabulations/sdtm/define.html "$root"/*/analysis/adam/datasets/define.html; do
    [ -f "$html" ] || continue
    study="$(basename "$(dirname "$(dirname "$(dirname "$html")")")")"
    case "$html" in */analysis/adam/datasets/*) study="$(basename "$(dirname "$(dirname "$(dirname "$(dirname "$html")")")")")"; kind=adam;; *) kind=sdtm;; esac
    "$0" "$html" "$dir/$study-$kind.png" "${SIZE:-1600x4000}"; n=$((n + 1))
  done
  [ "$n" -gt 0 ] || { echo "no define.html under $root" >&2; exit 2; }
  exit 0
fi

html="${1:-out/ADT2002-P1/tabulations/sdtm/define.html}"
png="${2:-$(dirname "$html")/define.png}"
size="${3:-1600x4000}"
browser="${CHROMIUM:-/usr/bin/chromium}"

[ -f "$html" ] || { echo "no such file: $html" >&2; exit 2; }
command -v "$browser" >/dev/null 2>&1 || [ -x "$browser" ] || {
  echo "Chromium not found at $browser (Debian: apt-get install chromium; or set CHROMIUM)" >&2
  exit 2
}

profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
url="file://$(cd "$(dirname "$html")" && pwd)/$(basename "$html")"
rm -f "$png"
"$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --no-first-run --hide-scrollbars \
  --user-data-dir="$profile" --window-size="${size/x/,}" \
  --screenshot="$png" "$url" >/dev/null 2>&1 || true

if [ ! -s "$png" ]; then
  echo "Chromium wrote no screenshot for $html" >&2
  exit 1
fi
echo "$png"
