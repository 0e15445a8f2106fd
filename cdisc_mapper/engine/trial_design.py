"""Trial design datasets (TA, TE, TV, TI, TS) from the study file.

They describe the protocol, not subjects, so they come from the study file's ``arms``,
``elements``, ``visits``, ``inclusion`` and ``trial_summary``.  Each record's lineage is the line
of the study file it comes from.  TS values that depend on the data (study start date, number of
subjects) are derived from DM as the study file says (``derive: {dataset: DM, variable: RFICDTC,
stat: min}``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import MappingError
from ..spec.model import DatasetSpec, VariableSpec
from .context import RunState
from .finalize import Final


# What a reviewer is told a trial design variable comes from (the define.xml comment): the part
# of the protocol, never a file of the mapping project.
PROTOCOL_TEXT = {
    "TA": "From the protocol's study design: the planned arms and the elements of each arm.",
    "TE": "From the protocol's study design: the planned elements, their start and end rules.",
    "TV": "From the protocol's schedule of assessments: the planned visits and their timing.",
    "TI": "From the protocol's inclusion and exclusion criteria.",
    "TS": "From the protocol synopsis and the trial registry entries.",
    "SE": "Assigned from the study design.",
}
IDENTITY_TEXT = {"STUDYID": "The study identifier of the protocol.",
                 "DOMAIN": "The domain abbreviation.",
                 "USUBJID": "The subject's unique identifier, as in DM."}


def _final(state: RunState, name: str, rows: list[dict], lines: list[int],
           origins: dict[str, str], text: dict[str, str],
           order: tuple[str, ...] | None = None) -> Final:
    std = state.standard.dataset(name)
    if std is None:
        raise MappingError(f"{name} is not defined in {state.standard.name}")
    df = pd.DataFrame(rows)
    keep = [v for v in std.variables if v.name in df.columns or v.core in ("Req", "Exp")]
    specs = []
    for v in keep:
        if v.name not in df.columns:
            df[v.name] = pd.NA
        if v.type == "Num":
            df[v.name] = pd.to_numeric(df[v.name], errors="coerce").astype("float64")
        else:
            df[v.name] = df[v.name].astype("string")
        cl = v.codelist if v.codelist in state.codelists else None
        specs.append(VariableSpec(
            name=v.name, label=v.label, type=v.type, role=v.role, core=v.core, codelist=cl,
            origin=origins.get(v.name, "Protocol"), source="study file",
            method="trial_design", method_text=text.get(v.name, IDENTITY_TEXT.get(
                v.name, PROTOCOL_TEXT.get(name, "From the protocol.")))))
    spec = DatasetSpec(name, std.label, std.cls, std.structure, tuple(k for k in std.keys
                                                                      if k in df.columns),
                       tuple(specs), f"{state.standard.name} {state.standard.version}")
    by = list(order or spec.keys)
    df = df.sort_values(by, kind="stable") if by else df
    order = df.index.to_numpy()
    lineage = pd.DataFrame({"__block__": 0, "__row__": [lines[i] for i in order],
                            "__column__": None})
    return Final(spec, df[[v.name for v in keep]].reset_index(drop=True), lineage,
                 [state.study.doc.file])


def _line(state: RunState, *path) -> int:
    return state.study.doc.line(path) or 1


def _missing(state: RunState, name: str, key: str) -> None:
    state.notes.append(f"{name} not written: the study file has no '{key}' (the trial design "
                       f"is optional for a first run; add '{key}' to {state.study.doc.file} to "
                       f"write {name})")


def build_te(state: RunState) -> Final | None:
    s = state.study
    if not s.elements:
        return _missing(state, "TE", "elements")
    rows = [{"STUDYID": s.id, "DOMAIN": "TE", "ETCD": e.etcd, "ELEMENT": e.element,
             "TESTRL": e.start, "TEENRL": e.end, "TEDUR": e.duration} for e in s.elements]
    return _final(state, "TE", rows, [_line(state, "elements", i) for i in range(len(rows))],
                  {}, {})


def build_ta(state: RunState) -> Final | None:
    s = state.study
    if not s.arms:
        return _missing(state, "TA", "arms")
    el = {e.etcd: e for e in s.elements}
    rows, lines = [], []
    for i, arm in enumerate(s.arms):
        for j, etcd in enumerate(arm.elements):
            rows.append({"STUDYID": s.id, "DOMAIN": "TA", "ARMCD": arm.armcd, "ARM": arm.arm,
                         "TAETORD": j + 1, "ETCD": etcd, "ELEMENT": el[etcd].element,
                         "TABRANCH": arm.branch if j == 0 and arm.branch else None,
                         "TATRANS": None, "EPOCH": el[etcd].epoch})
            lines.append(_line(state, "arms", i, "elements", j))
    return _final(state, "TA", rows, lines, {}, {})


def build_tv(state: RunState) -> Final | None:
    s = state.study
    if not s.visits:
        return _missing(state, "TV", "visits")
    rows = [{"STUDYID": s.id, "DOMAIN": "TV", "VISITNUM": v.visitnum, "VISIT": v.visit,
             "VISITDY": v.day, "TVSTRL": v.start, "TVENRL": v.end} for v in s.visits]
    return _final(state, "TV", rows, [_line(state, "visits", i) for i in range(len(rows))],
                  {}, {})


def build_ti(state: RunState) -> Final | None:
    s = state.study
    if not s.inclusion:
        return _missing(state, "TI", "inclusion")
    rows = [{"STUDYID": s.id, "DOMAIN": "TI", "IETESTCD": c["testcd"], "IETEST": c["test"],
             "IECAT": c["category"], "TIVERS": c.get("version")} for c in s.inclusion]
    return _final(state, "TI", rows, [_line(state, "inclusion", i) for i in range(len(rows))],
                  {}, {})


def build_se(state: RunState) -> Final | None:
    """SE — Subject Elements: for each subject, the elements of the actual arm in order, each
    starting at the subject's epoch start date (the study file's ``epochs``) and ending where the
    next one starts; the last ends at RFPENDTC.  Elements whose start date is unknown (e.g. the
    treatment of a subject never dosed), that would start before the element before them, or
    after the end of participation, are left out: no element ends before it starts."""
    from ..methods.dates import study_day

    s = state.study
    dm = state.datasets.get("DM")
    if not s.arms or not s.epochs:
        return _missing(state, "SE", "arms" if not s.arms else "epochs")
    if dm is None or "ARMCD" not in dm.columns:
        return None
    frame = _subject_elements(state, dm)
    if frame is None:
        return None
    ref = frame.pop("__ref__").astype("string")
    frame["SESTDY"] = study_day(frame["SESTDTC"].astype("string"), ref)
    frame["SEENDY"] = study_day(frame["SEENDTC"].astype("string"), ref)
    frame = frame.sort_values(["USUBJID", "SESTDTC", "TAETORD"], kind="stable")
    frame["SESEQ"] = frame.groupby("USUBJID", sort=False).cumcount() + 1
    lines = frame.pop("__line__").tolist()
    final = _final(state, "SE", frame.reset_index(drop=True), lines,
                   {"SESEQ": "Derived", "SESTDTC": "Derived", "SEENDTC": "Derived",
                    "SESTDY": "Derived", "SEENDY": "Derived", "ETCD": "Derived",
                    "ELEMENT": "Derived", "TAETORD": "Derived", "EPOCH": "Derived"},
                   {"ETCD": "The elements of the subject's actual arm (TA), in order.",
                    "SESTDTC": "The subject's start date of the element's epoch: the DM "
                               "reference date that starts the epoch (see TE for the rule).",
                    "SEENDTC": "The start of the next element; for the last element, RFPENDTC.",
                    "SESEQ": "Record number within subject, by start date.",
                    "SESTDY": "Study day of SESTDTC relative to RFSTDTC (no day 0).",
                    "SEENDY": "Study day of SEENDTC relative to RFSTDTC (no day 0)."},
                   order=("STUDYID", "USUBJID", "SESEQ"))
    return final


def _after(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Where ISO 8601 ``a`` is certainly after ``b``, compared at the precision both have
    (missing on either side: not after).  Two texts that differ before the shorter one ends
    compare as texts; when one is the start of the other they are equal at that precision."""
    ok = pd.notna(a) & pd.notna(b)
    out = np.zeros(len(a), dtype=bool)
    if ok.any():
        x, y = a[ok].astype(str), b[ok].astype(str)
        out[ok] = (x > y) & ~np.char.startswith(x, y) & ~np.char.startswith(y, x)
    return out


def _subject_elements(state: RunState, dm: pd.DataFrame) -> pd.DataFrame | None:
    """Per subject, the elements of the actual (else planned) arm that the subject really went
    through, with start and end: each element starts at its epoch's start date, no earlier than
    the element before it and not after the end of participation (RFPENDTC) — a follow-up that
    would start the day after the last dose of a subject whose participation ended that day
    never began — and ends where the next one starts, the last at RFPENDTC.  Vectorised over
    subjects; the loops run over arms and their few elements."""
    s = state.study
    starts = {e.epoch: e for e in s.epochs}
    elements = {e.etcd: e for e in s.elements}
    known = {a.armcd for a in s.arms}
    col = lambda name: (dm[name].astype(object).where(dm[name].notna(), None).to_numpy()  # noqa
                        if name in dm.columns else np.full(len(dm), None, dtype=object))
    act, plan = col("ACTARMCD"), col("ARMCD")
    arm_of = np.where(np.isin(act, list(known)), act, np.where(np.isin(plan, list(known)),
                                                                  plan, None))
    last = col("RFPENDTC")
    parts = []
    for ai, arm in enumerate(s.arms):
        rows = np.flatnonzero(arm_of == arm.armcd)
        if not len(rows):
            continue
        prev = np.full(len(rows), None, dtype=object)
        for j, etcd in enumerate(arm.elements):
            el = elements[etcd]
            ep = starts.get(el.epoch)
            if ep is None or ep.start not in dm.columns:
                continue
            v = pd.Series(col(ep.start)[rows], dtype="string")
            complete = (v.str.len() >= 10).fillna(False).to_numpy(dtype=bool)
            if ep.days_after:
                day = pd.to_datetime(v.str.slice(0, 10).where(complete), format="%Y-%m-%d",
                                     errors="coerce") + pd.Timedelta(days=ep.days_after)
                start = day.dt.strftime("%Y-%m-%d").astype(object).to_numpy()
            else:
                start = v.astype(object).to_numpy()
            start = np.where(complete, start, None)
            keep = complete & ~_after(prev, start) & ~_after(start, last[rows])
            prev = np.where(keep, start, prev)
            idx = rows[keep]
            if not len(idx):
                continue
            parts.append(pd.DataFrame({
                "__pos__": idx, "TAETORD": j + 1, "ETCD": el.etcd, "ELEMENT": el.element,
                "EPOCH": el.epoch, "SESTDTC": start[keep],
                "__line__": _line(state, "arms", ai, "elements", j)}))
    if not parts:
        return None
    frame = pd.concat(parts, ignore_index=True).sort_values(["__pos__", "TAETORD"],
                                                            kind="stable")
    pos = frame["__pos__"].to_numpy()
    nxt = frame.groupby("__pos__", sort=False)["SESTDTC"].shift(-1).to_numpy(dtype=object)
    end = np.where(pd.isna(nxt), last[pos], nxt)
    out = pd.DataFrame({"STUDYID": s.id, "DOMAIN": "SE", "USUBJID": col("USUBJID")[pos],
                        "ETCD": frame["ETCD"].to_numpy(), "ELEMENT": frame["ELEMENT"].to_numpy(),
                        "TAETORD": frame["TAETORD"].to_numpy(),
                        "EPOCH": frame["EPOCH"].to_numpy(),
                        "SESTDTC": frame["SESTDTC"].to_numpy(), "SEENDTC": end,
                        "__ref__": col("RFSTDTC")[pos],
                        "__line__": frame["__line__"].to_numpy()})
    return out


def _derive(state: RunState, d: dict) -> str | None:
    table = state.datasets.get(d["dataset"])
    if table is None:
        raise MappingError(f"trial summary derive: dataset {d['dataset']} is not built")
    if d["stat"] == "count":
        return str(len(table))
    col = table[d["variable"]].dropna().astype(str)
    col = col[col.str.len() >= 10].str.slice(0, 10)
    if col.empty:
        return None
    return col.min() if d["stat"] == "min" else col.max()


def build_ts(state: RunState, ct_version: str) -> Final | None:
    s = state.study
    if not s.trial_summary:
        return _missing(state, "TS", "trial_summary")
    doc = s.doc
    parm = state.codelists.get("TSPARM")
    parmcd = state.codelists.get("TSPARMCD")
    names = {}
    if parm and parmcd:
        by_code = {t.code: t.value for t in parm.terms}
        names = {t.value: by_code.get(t.code) for t in parmcd.terms}
    rows, lines, counts = [], [], {}
    for i, p in enumerate(s.trial_summary):
        code = p["parmcd"]
        if parmcd and code not in parmcd.values():
            raise doc.error(("trial_summary", i, "parmcd"), f"'{code}' is not a term of "
                            "codelist TSPARMCD")
        counts[code] = counts.get(code, 0) + 1
        value = p.get("value")
        value = _derive(state, p["derive"]) if "derive" in p else value
        value = None if value is None else str(value)
        valcd = ref = ver = None
        if p.get("codelist"):
            cl = state.codelist(p["codelist"], doc, ("trial_summary", i, "codelist"))
            term = cl.term(value) if value is not None else None
            if term is None:
                raise doc.error(("trial_summary", i, "value"), f"{value!r} is not a term of "
                                f"codelist {p['codelist']}")
            valcd, ref, ver = term.code, "CDISC CT", ct_version
        elif p.get("reference"):
            ref, valcd, ver = p["reference"], p.get("code"), p.get("version")
            dictnam = state.codelists.get("DICTNAM")
            if dictnam is not None and ref not in dictnam.values():
                raise doc.error(("trial_summary", i, "reference"), f"{ref!r} is not a term of "
                                "codelist DICTNAM (TSVCDREF); add it to an extension of DICTNAM "
                                "in the study's codelists")
        if len(value or "") > 200:
            raise doc.error(("trial_summary", i, "value"), "TSVAL is longer than 200 characters")
        rows.append({"STUDYID": s.id, "DOMAIN": "TS", "TSSEQ": counts[code], "TSPARMCD": code,
                     "TSPARM": names.get(code), "TSVAL": value,
                     "TSVALNF": p.get("null_flavor"), "TSVALCD": valcd, "TSVCDREF": ref,
                     "TSVCDVER": ver})
        lines.append(_line(state, "trial_summary", i))
    return _final(state, "TS", rows, lines, {"TSPARM": "Assigned", "TSVALCD": "Assigned"},
                  {"TSPARM": "Decode of TSPARMCD in codelist TSPARM (paired by NCI code).",
                   "TSVALCD": "NCI code of TSVAL in its codelist."})
