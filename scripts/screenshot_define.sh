#!/usr/bin/env bash
# Render a define.html in headless Chromium and save a screenshot (PNG).
#
#   scripts/screenshot_define.sh [DEFINE_HTML] [OUT_PNG] [WIDTHxHEIGHT]
#
# DEFINE_HTML defaults to out/ADT2002-P1/tabulations/sdtm/define.html (run `cdisc-map convert`
# first), OUT_PNG to define.png beside it.  The page is captured from the top, as tall as
# HEIGHT (default 1600x4000: study, standards, the datasets table and the first variable tables).  Uses the system Chromium (Debian: apt-get install
# chromium); installs nothing.  Exits non-zero when Chromium is missing or writes no image.
set -euo pipefail

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
