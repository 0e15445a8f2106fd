"""Regenerate the shipped SDTMIG 3.4 metadata and the bundled controlled terminology.

Development tool, never run by the product:

    python scripts/gen_standards.py REFERENCE_DIR

REFERENCE_DIR holds ``standards/sdtm_ig_v3.4_Datasets.csv``, ``standards/sdtm_ig_v3.4_Variables.csv``
(the CDISC Library export of the guide), ``ct/SDTM_Terminology_<date>.txt`` (NCI EVS) and
``ct/ADaM_CT_<date>.csv``.  It writes, in the product's own compact form:

* ``cdisc_mapper/standards/sdtmig-3.4.yaml`` — every dataset of the guide (label, class, structure,
  natural keys) with every variable in guide order: name, label, type, role, core, codelist short
  name(s), described value domain.  The study-independent facts the guide's tables do not carry are
  kept from the file being replaced (natural keys, the TSVAL codelist/dictionary per TS parameter);
  keys of the other datasets follow the class's usual natural key (see :func:`natural_keys`).
* ``cdisc_mapper/standards/ct/sdtm-ct-<date>.tsv.gz`` and ``adam-ct-<date>.tsv.gz`` — every codelist
  and term of the package (see ``cdisc_mapper/standards/ct.py`` for the layout).
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
STD = ROOT / "cdisc_mapper" / "standards"
sys.path.insert(0, str(ROOT))

from cdisc_mapper.standards.ct import load_ct, write_compact  # noqa: E402

# Natural keys of datasets whose key is not the plain class pattern.
SPECIAL_KEYS = {
    "CO": ["STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "COREF", "CODTC", "COSEQ"],
    "SM": ["STUDYID", "USUBJID", "MIDS"],
    "TD": ["STUDYID", "TDORDER"],
    "TM": ["STUDYID", "MIDSTYPE"],
    "OI": ["NHOID", "OISEQ"],
    "RELSPEC": ["STUDYID", "USUBJID", "REFID"],
    "RELSUB": ["STUDYID", "USUBJID", "RSUBJID", "SREL"],
}

CLASS_KEYS = {
    "Interventions": ["STUDYID", "USUBJID", "--TRT", "--STDTC"],
    "Events": ["STUDYID", "USUBJID", "--DECOD", "--STDTC"],
    "Findings": ["STUDYID", "USUBJID", "--TESTCD", "--SPEC", "--LNKID", "VISITNUM", "--TPTREF",
                 "--TPTNUM", "--DTC"],
    "Findings About": ["STUDYID", "USUBJID", "--TESTCD", "--OBJ", "VISITNUM", "--TPTREF", "--TPTNUM",
                       "--DTC"],
}


def clean_label(label: str) -> str:
    """A label as the guide prints it: the export carries a stray literal ``\\n`` in one
    (GFSEQID 'Sequence Identifier \\n'); blanks collapsed and trimmed."""
    return " ".join(label.replace("\\n", " ").split())


def natural_keys(ds: str, cls: str, names: list[str]) -> list[str]:
    """The natural key of a dataset the previous file did not list: a fixed list for the few
    datasets of their own shape, else the class pattern (``--`` is the domain), keeping the
    variables the dataset has; ``--SEQ`` where nothing else identifies a record."""
    if ds in SPECIAL_KEYS:
        pattern = SPECIAL_KEYS[ds]
    else:
        pattern = CLASS_KEYS.get(cls, ["STUDYID", "USUBJID", "--SEQ"])
    keys = [k.replace("--", ds) for k in pattern]
    keys = [k for k in keys if k in names]
    if len(keys) < 2 and f"{ds}SEQ" in names:
        keys.append(f"{ds}SEQ")
    return keys


def _csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _flow(row: list) -> str:
    while row and row[-1] is None:
        row = row[:-1]
    return yaml.safe_dump(row, default_flow_style=True, width=10_000, allow_unicode=True).strip()


def sdtmig(ref: Path, ct_file: Path) -> str:
    old = yaml.safe_load((STD / "sdtmig-3.4.yaml").read_text(encoding="utf-8"))
    short = {cl.code: cl.id for cl in load_ct(ct_file).values()}
    datasets = _csv(ref / "standards" / "sdtm_ig_v3.4_Datasets.csv")
    variables = _csv(ref / "standards" / "sdtm_ig_v3.4_Variables.csv")
    by_ds: dict[str, list[dict]] = {}
    for v in variables:
        by_ds.setdefault(v["Dataset Name"], []).append(v)
    lines = [
        "# SDTMIG v3.4 metadata: every dataset of the guide.  Written by scripts/gen_standards.py from",
        "# the CDISC Library export of the guide; do not edit by hand.",
        "# Facts of the CDISC standard (dataset label, class, structure; variable order, label, type, role,",
        "# core, codelist); keys are the natural keys used to sort and to check uniqueness.",
        "# variables: [name, label, type, role, core, codelist, value domain]",
        "#   codelist: the short name (CDISC Submission Value) of the NCI codelist, a list where the guide",
        "#   names several (DSDECOD), null where none; value domain: the external format or dictionary, if any.",
        "standard: SDTMIG",
        'version: "3.4"',
        f'ct_version: "{old["ct_version"]}"',
        "columns: [name, label, type, role, core, codelist, value_domain]",
        "datasets:",
    ]
    for d in datasets:
        ds = d["Dataset Name"]
        rows = sorted(by_ds[ds], key=lambda v: int(v["Variable Order"]))
        names = [v["Variable Name"] for v in rows]
        keys = (old["datasets"].get(ds) or {}).get("keys") or natural_keys(ds, d["Class"], names)
        lines += [f"  {ds}:",
                  f"    label: {_flow([d['Dataset Label']])[1:-1]}",
                  f"    class: {d['Class']}",
                  f"    structure: {_flow([d['Structure']])[1:-1]}",
                  f"    keys: {_flow(keys)}",
                  "    variables:"]
        for v in rows:
            codes = [c.strip() for c in v["CDISC CT Codelist Code(s)"].split(";") if c.strip()]
            for c in codes:
                if c not in short:   # MSRESCAT's C85495 was retired from the package
                    print(f"note: {ds}.{v['Variable Name']}: codelist {c} is not in {ct_file.name}; "
                          "left without a codelist")
            cl = [short[c] for c in codes if c in short]
            cl = None if not cl else cl[0] if len(cl) == 1 else cl
            lines.append("    - " + _flow([v["Variable Name"], clean_label(v["Variable Label"]),
                                          v["Type"], v["Role"],
                                          v["Core"], cl, v["Described Value Domain(s)"] or None]))
    for section in ("ts_value_codelists", "ts_value_dictionaries"):
        lines.append(f"{section}:")
        lines += [f"  {k}: {_flow([v])[1:-1]}" for k, v in old[section].items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    ref = Path(argv[1])
    sdtm_ct = sorted((ref / "ct").glob("SDTM_Terminology_*.txt"))[-1]
    (STD / "sdtmig-3.4.yaml").write_text(sdtmig(ref, sdtm_ct), encoding="utf-8")
    for src, prefix in ((sdtm_ct, "sdtm-ct"), (sorted((ref / "ct").glob("ADaM_CT_*.csv"))[-1], "adam-ct")):
        date = re.search(r"\d{4}-\d{2}-\d{2}", src.name).group(0)
        out = STD / "ct" / f"{prefix}-{date}.tsv.gz"
        out.write_bytes(write_compact(load_ct(src)))
        print(f"wrote {out.relative_to(ROOT)} ({out.stat().st_size:,} bytes)")
    print("wrote cdisc_mapper/standards/sdtmig-3.4.yaml")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
