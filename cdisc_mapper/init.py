"""``cdisc-map init``: a starting study file and mapping skeletons from a folder of raw forms.

Each raw CSV form's header is compared with the SDTMIG variables of every subject-level dataset:
a column named like a variable (``AETERM``, ``IT.AETERM``, ``AE Term``…) counts for that dataset,
and a form named after a dataset (``ae.csv``) counts more.  A form recognised as a dataset gets
a mapping file listing all its columns, the dataset's required variables, a method for every
variable a column names, and ``TODO`` comments where a choice is the user's.  The skeleton passes
``cdisc-map check``; ``cdisc-map convert`` then says what the data still need.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
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


@dataclass
class Recognised:
    form: Form
    dataset: str
    matches: dict[str, str]          # variable → raw column


def read_forms(raw: Path) -> list[Form]:
    files = sorted(raw.glob("*.csv"))
    if not files:
        raise UsageError(f"no raw CSV forms found in {raw}")
    forms = []
    for f in files:
        name = f.stem.lower()
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise DataError("a form's file name must be a lower-case word (letters, digits, _) "
                            "so that mappings can name it", file=str(f))
        try:
            table = pd.read_csv(f, dtype=str, keep_default_na=False, encoding="utf-8")
        except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as e:
            raise DataError(f"not a readable UTF-8 CSV file: {str(e).splitlines()[0]}",
                            file=str(f)) from None
        forms.append(Form(name, list(table.columns), len(table)))
    return forms


def subject_column(forms: list[Form], given: str | None) -> str:
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
            score = len(matches) + (3 if form.name == name.lower() else 0)
            if score >= 2 and (choice is None or score > choice[0]):
                choice = (score, Recognised(form, name, matches))
        if choice and (choice[1].dataset not in best or choice[0] > best[choice[1].dataset][0]):
            best[choice[1].dataset] = choice
    return sorted((r for _, r in best.values()), key=lambda r: (r.dataset != "DM", r.dataset))


def _method_for(column: str, is_date: bool, codelist: str | None) -> str:
    col = column if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", column) else f"'{column}'"
    if is_date:
        return f"{{method: iso_date, date: {col}}}"
    if codelist:
        return f"{{method: assign_ct, from: {col}, codelist: {codelist}}}"
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
    if ds.cls == "Findings" and not any(v.endswith("TESTCD") for v in r.matches):
        lines.insert(4, "# TODO: a wide form (one column per test) needs `blocks` with `stack` "
                        "(see the VS mapping of the tutorial).")
    for v in ds.variables:
        if v.name in _STANDARD_VALUE:
            lines.append(f"  {v.name}: {_STANDARD_VALUE[v.name]}")
        elif v.name.endswith("SEQ") and v.core == "Req":
            lines.append(f"  {v.name}: {{method: seq}}")
        elif v.name in r.matches:
            is_date = v.name.endswith("DTC")
            cl = v.codelist if v.codelist in terms else None
            lines.append(f"  {v.name}: {_method_for(r.matches[v.name], is_date, cl)}"
                         + ("   # TODO: check the date format (dates: {format: …})"
                            if is_date else ""))
        elif v.core == "Req":
            lines.append(f"  {v.name}: {{method: hardcode, value: null}}   "
                         f"# TODO: required ({v.label}); map it from a raw column")
    return "\n".join(lines) + "\n"


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
    forms = read_forms(raw)
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
