"""RELREC: related records between any two (or more) datasets, declared once in the study file.

::

    relrec:
      - relid: AECM                         # RELID, or its stem for record-level links
        link: {AE: AELNKID, CM: CMLNKID}    # per dataset, the variable that links its records
      - relid: TUTR
        link: {TU: TULNKID, TR: TRLNKID}
        level: dataset                      # one record per dataset, RELTYPE ONE or MANY

``level: record`` (default): the records of one subject whose link variables hold the same
value are related; each gets a RELREC record (RDOMAIN, USUBJID, IDVAR = the dataset's --SEQ,
IDVARVAL = its value; IDVAR = the link variable where the dataset has no --SEQ), with RELID
``<relid><n>`` numbered per subject.  A value found in one dataset only relates nothing.

``level: dataset``: one record per dataset with IDVAR = its link variable and RELTYPE ``ONE``
where each value occurs at most once per subject in that dataset, else ``MANY`` (SDTMIG 3.4
section 8.3).
"""

from __future__ import annotations

import pandas as pd

from .context import RunState
from .finalize import Final
from .trial_design import _final

__all__ = ["build_relrec"]


def _text(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def build_relrec(state: RunState, finals: dict[str, Final]) -> Final | None:
    rels = state.study.doc.data.get("relrec") or []
    if not rels:
        return None
    rows: list[dict] = []
    lines: list[int] = []
    sid = state.study.id
    for i, rel in enumerate(rels):
        line = state.study.doc.line(("relrec", i)) or 1
        relid, level = rel["relid"], rel.get("level", "record")
        if level == "dataset":
            for ds, var in rel["link"].items():
                df = finals[ds].data
                if var not in df.columns:
                    raise state.study.doc.error(("relrec", i, "link", ds),
                                                f"{ds} has no {var} (it is not mapped)")
                v = df[["USUBJID", var]].dropna()
                reltype = "MANY" if v.duplicated().any() else "ONE"
                rows.append({"STUDYID": sid, "RDOMAIN": ds, "USUBJID": None, "IDVAR": var,
                             "IDVARVAL": None, "RELTYPE": reltype, "RELID": relid})
                lines.append(line)
            continue
        groups: dict[tuple[str, str], list[tuple[int, str, str, str]]] = {}
        for k, (ds, var) in enumerate(rel["link"].items()):
            df = finals[ds].data
            if var not in df.columns:
                raise state.study.doc.error(("relrec", i, "link", ds),
                                            f"{ds} has no {var} (it is not mapped)")
            seq = f"{ds[:2]}SEQ" if f"{ds[:2]}SEQ" in df.columns else (
                f"{ds}SEQ" if f"{ds}SEQ" in df.columns else None)
            idvar = seq or var
            sub = df[df[var].notna()]
            for u, val, idv in zip(sub["USUBJID"], sub[var], sub[idvar]):
                groups.setdefault((str(u), _text(val)), []).append((k, ds, idvar, _text(idv)))
        numbers: dict[str, int] = {}
        for (u, _), members in sorted(groups.items(), key=lambda kv: (
                kv[0][0], min((m[0], _sort_num(m[3])) for m in kv[1]))):
            if len({m[0] for m in members}) < 2:
                continue            # found in one dataset only: nothing related
            numbers[u] = numbers.get(u, 0) + 1
            for _, ds, idvar, idval in sorted(members, key=lambda m: (m[0], _sort_num(m[3]))):
                rows.append({"STUDYID": sid, "RDOMAIN": ds, "USUBJID": u, "IDVAR": idvar,
                             "IDVARVAL": idval, "RELTYPE": None,
                             "RELID": f"{relid}{numbers[u]}"})
                lines.append(line)
    if not rows:
        state.notes.append("RELREC not written: no records of the declared relationships are "
                           "linked (no link value shared by two datasets)")
        return None
    text = {"RDOMAIN": "The domain of the related record, from the study file's relrec.",
            "IDVAR": "--SEQ of the related record (the link variable for a dataset-level "
                     "relationship).",
            "IDVARVAL": "The value of IDVAR in the related record.",
            "RELTYPE": "ONE or MANY: whether the link variable's values repeat within a "
                       "subject (dataset-level relationships only).",
            "RELID": "The relationship's identifier from the study file, numbered per subject "
                     "for record-level links.",
            "USUBJID": "The subject of the related records (null for a dataset-level "
                       "relationship)."}
    origins = {k: "Derived" for k in ("RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "RELTYPE",
                                       "RELID")}
    return _final(state, "RELREC", rows, lines, origins, text)


def _sort_num(v: str):
    try:
        return (0, float(v), "")
    except ValueError:
        return (1, 0.0, v)
