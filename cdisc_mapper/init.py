"""``cdisc-map init``: a starting study file and mapping skeletons from a folder of raw forms.

Each raw form (CSV, XLSX, SAS7BDAT, XPT, Parquet, or an item group of an ODM-XML file) is read as
``convert`` reads it, and its column names are compared with the SDTMIG variables of every
subject-level dataset: a column named like a variable (``AETERM``, ``IT.AETERM``, ``AE Term``…)
counts for that dataset, and a form named after a dataset (``ae.csv``) counts more.  A form
recognised as a dataset gets a mapping file listing all its columns, the dataset's required
variables, a method for every variable a column names, and ``TODO`` comments where a choice is
the user's.  A wide Findings form (columns named like terms of the dataset's test-code codelist:
``SYSBP``, ``VS.DIABP``…) gets a ``stack`` of those columns, each with its unit column when one
sits beside it (``TEMP``/``TEMPU``).  The skeleton passes ``cdisc-map check``; ``cdisc-map
convert`` then says what the data still need.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .errors import DataError, UsageError
from .standards import load_standard

#: datasets that are not built from a raw form
_NOT_FROM_FORMS = {"SUPPQUAL", "RELREC", "SE", "TS", "TA", "TE", "TV", "TI"}
_STANDARD_VALUE = {"STUDYID": "{method: study_id}", "DOMAIN": "{method: domain}",
                   "USUBJID": "{method: usubjid}"}


def _key(column: str) -> str:
    """``IT.AETERM`` → ``AETERM``; ``Visit Date`` → ``VISITDATE``."""
    return re.sub(r"[^A-Z0-9]", "", column.rsplit(".", 1)[-1].upper())


@dataclass
class Form:
    name: str
    columns: list[str]
    rows: int
    file: str = ""                   # the file's name in the raw folder
    options: dict = field(default_factory=dict)   # its `forms:` entry (format, item group)
    table: pd.DataFrame | None = None


@dataclass
class Recognised:
    form: Form
    dataset: str
    matches: dict[str, str]          # variable → raw column
    stack: dict[str, str] | None = None   # wide Findings form: raw column → test code


def _form_name(text: str, file: Path) -> str:
    name = re.sub(r"[^a-z0-9_]", "_", text.lower()).strip("_")
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise DataError("a form's file name must start with a letter (letters, digits, _) so "
                        "that mappings can name it", file=str(file))
    return name


def _odm_groups(path: Path) -> list[str]:
    """The ItemGroupOIDs that hold clinical data in an ODM file, in order of appearance."""
    from lxml import etree

    seen: dict[str, None] = {}
    try:
        for _, el in etree.iterparse(str(path), events=("start",), resolve_entities=False,
                                     no_network=True, load_dtd=False, huge_tree=False):
            if etree.QName(el).localname == "ItemGroupData" and el.get("ItemGroupOID"):
                seen.setdefault(el.get("ItemGroupOID"), None)
    except etree.XMLSyntaxError as e:
        raise DataError(f"not well-formed XML (line {e.lineno}): {e.msg}", file=str(path)) \
            from None
    return list(seen)


def read_forms(raw: Path, subject: str | None = None) -> list[Form]:
    """Every raw form file in ``raw`` that the readers support (CSV, XLSX, SAS7BDAT, XPT,
    Parquet, ODM-XML; one form per item group of an ODM file), read to text as ``convert``
    reads it.  ODM forms name their SubjectKey column like the other forms' subject column."""
    from .io.rawformats import EXTENSIONS, read_table

    files = sorted(f for f in raw.iterdir() if f.is_file() and f.suffix.lower() in EXTENSIONS)
    if not files:
        raise UsageError(f"no raw forms found in {raw} (files ending in "
                         f"{', '.join(sorted(EXTENSIONS))})")
    forms: list[Form] = []
    odm: list[Path] = []
    for f in files:
        fmt = EXTENSIONS[f.suffix.lower()]
        if fmt == "odm":
            odm.append(f)
            continue
        table = read_table(f, f.name, {"format": fmt})
        opts = {} if fmt == "csv" else {"file": f.name}
        forms.append(Form(_form_name(f.stem, f), list(table.columns), len(table), f.name, opts,
                          table))
    key = subject
    if key is None and forms:
        key = subject_column(forms, None, quiet=True)
    for f in odm:
        groups = _odm_groups(f)
        for g in groups:
            opts = {"file": f.name, "item_group": g}
            table = read_table(f, f.name, opts, key)
            stem = g.split(".", 1)[1] if g.upper().startswith("IG.") else g
            name = _form_name(f.stem if len(groups) == 1 else stem, f)
            forms.append(Form(name, list(table.columns), len(table), f.name, opts, table))
    names = [f.name for f in forms]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise UsageError(f"two raw files give the form name(s) {', '.join(dup)}; keep one")
    return sorted(forms, key=lambda f: f.name)


def subject_column(forms: list[Form], given: str | None, quiet: bool = False) -> str | None:
    if given:
        missing = [f.name for f in forms if given not in f.columns]
        if missing:
            raise UsageError(f"subject column '{given}' is not in forms {', '.join(missing)}")
        return given
    common = set(forms[0].columns).intersection(*(f.columns for f in forms[1:]))
    for pattern in (r"USUBJID", r"SUBJID", r"SUBJECT", r"SUBJ", r"PATIENT", r"PTID"):
        hits = sorted(c for c in common if re.search(pattern, _key(c)))
        if hits:
            return hits[0]
    if quiet:
        return None
    raise UsageError("no column common to every form looks like the subject identifier; "
                     "name it with --subject")


def recognise(forms: list[Form], subject: str) -> list[Recognised]:
    std = load_standard("SDTMIG", "3.4")
    best: dict[str, tuple[int, Recognised]] = {}
    for form in forms:
        keys = {_key(c): c for c in form.columns if c != subject}
        choice: tuple[int, Recognised] | None = None
        for name, ds in std.datasets.items():
            if name in _NOT_FROM_FORMS:
                continue
            matches = {}
            for v in ds.variables:
                bare = v.name[len(name):] if v.name.startswith(name) else None
                for k, col in keys.items():
                    if k == v.name or (bare and len(bare) >= 3 and k == bare):
                        matches.setdefault(v.name, col)
                if v.name.endswith("DTC") and v.name not in matches:
                    stem = v.name[:-3]                  # AESTDTC ← AESTDAT (+ AESTTIM)
                    for k, col in keys.items():
                        if k in (stem + "DAT", stem + "DATE"):
                            matches[v.name] = col
            stack = _tests(form, name, keys) if ds.cls == "Findings" else None
            score = len(matches) + (3 if form.name == name.lower() else 0) + len(stack or ())
            if score >= 2 and (choice is None or score > choice[0]):
                choice = (score, Recognised(form, name, matches, stack))
        if choice and (choice[1].dataset not in best or choice[0] > best[choice[1].dataset][0]):
            best[choice[1].dataset] = choice
    return sorted((r for _, r in best.values()), key=lambda r: (r.dataset != "DM", r.dataset))


def _tests(form: Form, dataset: str, keys: dict[str, str]) -> dict[str, str] | None:
    """A wide Findings form: the columns named like a term of the dataset's test-code codelist
    (``SYSBP``, ``VS.DIABP``, ``Pulse``) → that test code; None when fewer than two are."""
    from .standards import bundled_ct

    cl = bundled_ct().get(f"{dataset}TESTCD")
    if cl is None:
        return None
    codes = {t.value.upper(): t.value for t in cl.terms}
    tests = {col: codes[k] for k, col in keys.items()
             if k in codes and not k.startswith(dataset) and k not in ("TESTCD", "TEST")}
    return tests if len(tests) >= 2 else None


def _unit_column(column: str, columns: list[str]) -> str | None:
    """The column beside a test column that holds its unit: ``TEMP`` → ``TEMPU``/``TEMPUNIT``."""
    for c in columns:
        if c != column and _key(c) in (_key(column) + "U", _key(column) + "UNIT",
                                       _key(column) + "UNITS"):
            return c
    return None


def _col(column: str) -> str:
    return column if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", column) else f"'{column}'"


def _method_for(column: str, is_date: bool, codelist: str | None, numeric: bool = False,
                time: str | None = None) -> str:
    col = _col(column)
    if is_date:
        return (f"{{method: iso_date, date: {col}"
                + (f", time: {_col(time)}" if time else "") + "}")
    if codelist:
        return f"{{method: assign_ct, from: {col}, codelist: {codelist}}}"
    if numeric:
        return f"{{method: number, from: {col}}}"
    return f"{{method: assign, from: {col}}}"


def mapping_text(r: Recognised, std) -> str:
    from .standards import bundled_ct

    terms = bundled_ct()
    ds = std.dataset(r.dataset)
    lines = [f"# {r.dataset} — {ds.label}: skeleton written by cdisc-map init from raw form "
             f"'{r.form.name}' ({r.form.rows} rows).",
             "# Raw columns: " + ", ".join(r.form.columns) + ".",
             "# Fill in the TODOs; `cdisc-map check` shows what is still wrong.  The language:",
             "# docs/mapping-language.md; a worked example: docs/tutorial.md.",
             f"dataset: {r.dataset}", f"source: {r.form.name}", "variables:"]
    stacked: set[str] = set()
    derived: dict[str, str] = {}
    if r.stack:
        d = r.dataset
        units = {c: _unit_column(c, r.form.columns) for c in r.stack}
        stacked = set(r.stack) | {u for u in units.values() if u}
        at = lines.index("variables:")
        block = ["# One record per test column (the form is wide): `stack` turns each column below",
                 "# into a record with TESTCD (and UNIT) set; VALUE is the cell.  TODO: check the",
                 "# test codes and add the units the form does not carry.",
                 "stack:", "  keep_missing: false    # TODO: true makes an empty cell a NOT DONE "
                 "record", "  columns:"]
        for c, code in r.stack.items():
            unit = f", UNIT: {{from: {_col(units[c])}}}" if units[c] else ""
            block.append(f"    {_col(c)}: {{TESTCD: {code}{unit}}}")
        lines[at:at] = block
        derived = {f"{d}TESTCD": f"{{method: assign_ct, from: TESTCD, codelist: {d}TESTCD}}",
                   f"{d}TEST": f"{{method: decode, of: {d}TESTCD, codelist: {d}TESTCD, "
                               f"paired: {d}TEST}}",
                   f"{d}ORRES": "{method: assign, from: VALUE}"}
        if any(units.values()) and f"{d}RESU" in terms:
            derived[f"{d}ORRESU"] = f"{{method: assign_ct, from: UNIT, codelist: {d}RESU}}"
    elif ds.cls == "Findings" and not any(v.endswith("TESTCD") for v in r.matches):
        lines.insert(4, "# TODO: a wide form (one column per test) needs `blocks` with `stack` "
                        "(see the VS mapping of the tutorial).")
    keys = {_key(c): c for c in r.form.columns}
    for v in ds.variables:
        if v.name in _STANDARD_VALUE:
            lines.append(f"  {v.name}: {_STANDARD_VALUE[v.name]}")
        elif v.name.endswith("SEQ") and v.core == "Req":
            lines.append(f"  {v.name}: {{method: seq}}")
        elif v.name in derived:
            lines.append(f"  {v.name}: {derived[v.name]}")
        elif v.name in r.matches and r.matches[v.name] not in stacked:
            is_date = v.name.endswith("DTC")
            cl = v.codelist if v.codelist in terms else None
            stem = _key(r.matches[v.name])
            time = None
            if is_date:
                base = stem[:-4] if stem.endswith("DATE") else stem[:-3]
                time = keys.get(base + "TIM") or keys.get(base + "TIME")
            lines.append(f"  {v.name}: "
                         f"{_method_for(r.matches[v.name], is_date, cl, v.type == 'Num', time)}"
                         + ("   # TODO: check the date format (dates: {format: …})"
                            if is_date else ""))
        elif v.core == "Req":
            lines.append(f"  {v.name}: {{method: hardcode, value: null}}   "
                         f"# TODO: required ({v.label}); map it from a raw column")
    return "\n".join(lines) + "\n"


def _scalar(v: str) -> str:
    return v if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", v) else f"'{v}'"


def study_text(study: str, raw: Path, folder: Path, subject: str, recognised: list[Recognised],
               others: list[Form]) -> str:
    rel = Path(os.path.relpath(raw.resolve(), folder.resolve())).as_posix()
    cols = [set(r.form.columns) for r in recognised]
    common = sorted(set.intersection(*cols)) if cols else []
    sites = [c for c in common if "SITE" in _key(c) and c != subject
             and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", c)]
    site = f"  site: {sites[0]}\n" if sites else ""
    lines = [f"# {study}: study file written by cdisc-map init.  Add the trial design (arms, "
             "elements, epochs, visits,", "# trial_summary) when you need TA/TE/TV/TS; see "
             "docs/tutorial.md.", "study:", f"  id: {study}",
             f"  title: TODO the protocol title of {study}", f"  raw: {rel}", "", "subject:",
             f"  id: {subject if re.fullmatch(r'[A-Za-z_][A-Za-z0-9_.]*', subject) else repr(subject)}",
             site + "  separator: \"-\"", "",
             "# TODO: how the EDC writes dates, e.g. MM/DD/YYYY or DD MON YYYY",
             "# dates: {format: MM/DD/YYYY}", ""]
    declared = [f for f in [r.form for r in recognised] + others if f.options]
    if declared:
        lines.append("# Raw forms that are not <form>.csv: their file and format")
        lines.append("forms:")
        for f in sorted(declared, key=lambda f: f.name):
            inner = ", ".join(f"{k}: {_scalar(v)}" for k, v in f.options.items())
            lines.append(f"  {f.name}: {{{inner}}}")
        lines.append("")
    lines.append("# Forms mapped: " + (", ".join(f"{r.form.name} → {r.dataset}"
                                                 for r in recognised) or "none"))
    if others:
        lines.append("# Forms not recognised (map them by hand or feed another dataset's "
                     "blocks): " + ", ".join(f.name for f in others))
    return "\n".join(lines) + "\n"


def init_study(study: str, raw: Path, folder: Path, *, subject: str | None = None,
               force: bool = False) -> list[Path]:
    """Write ``folder/study.yaml`` and one ``<dataset>.yaml`` per recognised form."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", study):
        raise UsageError(f"study id {study!r} must be letters, digits, - and _")
    raw = Path(raw)
    if not raw.is_dir():
        raise UsageError(f"raw-data folder not found: {raw}")
    forms = read_forms(raw, subject)
    subj = subject_column(forms, subject)
    recognised = recognise(forms, subj)
    if not any(r.dataset == "DM" for r in recognised):
        raise UsageError("no raw form looks like demographics (DM is built first); name its "
                         "columns like BRTHDAT, SEX, RACE or call the form dm.csv")
    used = {r.form.name for r in recognised}
    others = [f for f in forms if f.name not in used]
    std = load_standard("SDTMIG", "3.4")
    texts = {"study.yaml": study_text(study, raw, folder, subj, recognised, others)}
    for r in recognised:
        texts[f"{r.dataset.lower()}.yaml"] = mapping_text(r, std)
    folder = Path(folder)
    existing = [n for n in texts if (folder / n).exists()]
    if existing and not force:
        raise UsageError(f"{folder} already has {', '.join(existing)}; use --force to "
                         "overwrite")
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")
        paths.append(folder / name)
    return paths
