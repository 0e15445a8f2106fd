"""Write the SDTM v2.0 model's type and label of every variable into the shipped model file.

Development tool, never run by the product:

    python scripts/sdtm_model_attributes.py SDTM_v2.0.csv

The CSV is the CDISC Library export of the SDTM v2.0 model (columns ``Class``, ``Dataset Name``,
``Variable Name``, ``Variable Label``, ``Type`` and, when present, ``Role``).  Every variable row
of ``cdisc_mapper/standards/model/sdtm-2.0.yaml`` -- ``[name, role]`` or already ``[name, role,
type, label]`` -- becomes ``[name, role, type, label]``; the rest of the file (comments, guides,
order) is kept as it is.  The model file and the CSV must list the same variables in the same
order per class and dataset (and the same role where the CSV has one): a difference stops the
script before anything is written.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "cdisc_mapper" / "standards" / "model" / "sdtm-2.0.yaml"

_ROW = re.compile(r"^(?P<indent>\s*)- \[(?P<body>.*)\]\s*$")
_SECTION = re.compile(r"^  (?P<name>[A-Za-z][A-Za-z -]*):\s*$")
_PLAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 /().-]*[A-Za-z0-9)]$")


def _scalar(text: str) -> str:
    """``text`` as a YAML flow scalar: plain where that reads back as the same string."""
    if _PLAIN.match(text) and yaml.safe_load(f"[{text}]") == [text]:
        return text
    return json.dumps(text, ensure_ascii=False)


def _export(path: Path) -> dict[str, list[dict[str, str]]]:
    """The export's rows per class (its own variables) or dataset, in order."""
    out: dict[str, list[dict[str, str]]] = defaultdict(list)
    with path.open(newline="", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            key = (row.get("Dataset Name") or "").strip() or row["Class"].strip()
            out[key].append({k: (v or "").strip() for k, v in row.items() if k})
    return out


def rewrite(text: str, export: dict[str, list[dict[str, str]]]) -> str:
    lines = text.splitlines()
    section, seen, out = None, defaultdict(int), []
    in_body = False
    for n, line in enumerate(lines, start=1):
        m = _SECTION.match(line)
        if m and in_body:
            section = m.group("name")
        if line in ("classes:", "datasets:"):
            in_body = True
        if line.startswith("columns:"):
            line = "columns: [name, role, type, label]"
        r = _ROW.match(line) if in_body and section else None
        if r:
            name, role = (s.strip() for s in r.group("body").split(",")[:2])
            rows = export.get(section, [])
            i = seen[section]
            seen[section] += 1
            if i >= len(rows):
                sys.exit(f"{MODEL.name}:{n}: {section} {name}: not in the export")
            e = rows[i]
            if e["Variable Name"] != name or e.get("Role", role) != role:
                sys.exit(f"{MODEL.name}:{n}: {section} {name} ({role}): the export has "
                         f"{e['Variable Name']} ({e.get('Role', '?')}) at this place")
            if e["Type"] not in ("Char", "Num"):
                sys.exit(f"export: {section} {name}: type {e['Type']!r}")
            line = (f"{r.group('indent')}- [{name}, {role}, {e['Type']}, "
                    f"{_scalar(' '.join(e['Variable Label'].split()))}]")
        out.append(line)
    for key, rows in export.items():
        if seen[key] != len(rows):
            sys.exit(f"export: {key}: {len(rows)} variables, the model file has {seen[key]}")
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> None:
    if len(argv) != 1:
        sys.exit(__doc__)
    new = rewrite(MODEL.read_text(encoding="utf-8"), _export(Path(argv[0])))
    yaml.safe_load(new)
    MODEL.write_text(new, encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
