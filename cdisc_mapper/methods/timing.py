"""Methods that place records in the study design: visits, epochs, arms, sequence, baseline."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .registry import RAW_COLUMN, VARIABLE, method


@method("visitnum", family="design", origin="Derived",
        summary="VISITNUM of the planned visit named in a raw column (from the study schedule).",
        params={"from": RAW_COLUMN}, required=("from",),
        example="VISITNUM: {method: visitnum, from: VISIT}")
def visitnum(ctx, p):
    """Match the raw visit name (ignoring case and blanks) with the ``raw`` names of the study
    file's ``visits`` and return that visit's number.  An unknown visit name is a data problem."""
    return ctx.visit_attr(ctx.column(p["from"], p.get("source")), "visitnum")


@method("visit", family="design", origin="Derived",
        summary="VISIT (the planned visit's name) for the visit named in a raw column.",
        params={"from": RAW_COLUMN}, required=("from",),
        example="VISIT: {method: visit, from: VISIT}")
def visit(ctx, p):
    """As ``visitnum``, returning the schedule's visit name (e.g. ``WEEK 12``)."""
    return ctx.visit_attr(ctx.column(p["from"], p.get("source")), "visit")


@method("epoch", family="design", origin="Derived",
        summary="EPOCH of a record, by its date or by its planned visit.",
        params={"dtc": VARIABLE, "visitnum": VARIABLE},
        example="EPOCH: {method: epoch, dtc: AESTDTC}\nEPOCH: {method: epoch, visitnum: VISITNUM}")
def epoch(ctx, p):
    """With ``visitnum``: the epoch the study schedule gives the planned visit.  With ``dtc``:
    the epoch of the subject's element that contains the date — epochs start at the subject's
    dates named in the study file's ``epochs`` (e.g. SCREENING at RFICDTC, TREATMENT at
    RFXSTDTC, FOLLOW-UP the day after RFXENDTC); on the day an epoch starts, the times decide
    when the record and the start date both have one (a pre-dose record on Day 1 is before
    the first dose at 08:30, so in SCREENING).  A partial date (``2021-09``, ``2021``) gets
    the epoch that both its first and its last possible day fall in, when no epoch starts between
    them (the whole possible range lies in one epoch); otherwise, and before the first epoch, it
    is missing.  Give exactly one of the two."""
    if "visitnum" in p:
        return ctx.epoch_of_visit(ctx.variable(p["visitnum"]))
    dtc = ctx.variable(p["dtc"])
    first, last = _date_range(dtc)
    partial = (first != last).fillna(False).to_numpy(dtype=bool)
    out = ctx.epoch_of_date(dtc.astype("string").where(~partial, first))
    if not partial.any():
        return out
    same = (out == ctx.epoch_of_date(last)).fillna(False).to_numpy(dtype=bool)
    from .dates import _days

    lo, hi = _days(first), _days(last)
    for ep in ctx.study.epochs:         # an epoch starting inside the range splits it
        start = _days(ctx.variable(f"DM.{ep.start}")) + pd.Timedelta(days=ep.days_after)
        same &= ~((start > lo) & (start <= hi)).fillna(False).to_numpy(dtype=bool)
    return out.where(~partial | same, pd.NA)


def _date_range(dtc: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The first and last possible day (``YYYY-MM-DD``) of each ISO 8601 date: the date itself
    when complete, the first and last day of the month or year when partial (``2021-09``,
    ``2021``, ``2021---15`` is treated as the year); missing when there is no year."""
    text = dtc.astype("string").str.slice(0, 10)
    year = text.str.extract(r"^(\d{4})", expand=False)
    month = text.str.extract(r"^\d{4}-(\d{2})", expand=False)
    full = text.str.fullmatch(r"\d{4}-\d{2}-\d{2}").fillna(False)
    first = (year + "-" + month.fillna("01") + "-01").where(~full, text)
    ends = pd.to_datetime(year + "-" + month.fillna("12") + "-01", format="%Y-%m-%d",
                          errors="coerce") + pd.offsets.MonthEnd(0)
    last = ends.dt.strftime("%Y-%m-%d").astype("string").where(~full, text)
    return first.astype("string"), last.astype("string")


@method("study_arm", family="design", origin="Derived",
        summary="Planned arm code, arm name or treatment, from the raw treatment group code.",
        params={"from": RAW_COLUMN, "take": {"enum": ["armcd", "arm", "treatment"]}},
        required=("from", "take"),
        example="ARMCD: {method: study_arm, source: rand, from: TRTGRP, take: armcd}")
def study_arm(ctx, p):
    """Match the raw group code with the ``code`` of the study file's ``arms`` and return the
    arm's ``armcd``, ``arm`` or ``treatment``.  An unknown code is a data problem; a subject with
    no code (not randomised) gets a missing value."""
    return ctx.arm_attr(ctx.column(p["from"], p.get("source")), p["take"])


@method("seq", family="design", origin="Derived", stage="dataset",
        summary="Sequence number: 1, 2, … per subject in the dataset's sort order.",
        example="AESEQ: {method: seq}")
def seq(ctx, p):
    """Number the records of each subject 1, 2, … after sorting the whole dataset by its keys
    (``order`` in the mapping file, else the standard's key variables)."""
    subj = ctx.variable("USUBJID")
    return (subj.groupby(subj, sort=False).cumcount() + 1).astype("Float64")


@method("baseline_flag", family="design", origin="Derived", stage="dataset",
        summary="`Y` on the last non-missing result on or before the reference date "
                "(--LOBXFL, or --BLFL).",
        params={"by": {"type": "array", "items": VARIABLE, "minItems": 1},
                "dtc": VARIABLE, "result": VARIABLE,
                "ref": {**VARIABLE, "description": "default DM.RFXSTDTC (first exposure)"}},
        required=("by", "dtc", "result"),
        example="QSLOBXFL:\n  method: baseline_flag\n  by: [QSCAT, QSTESTCD]\n  dtc: QSDTC\n"
                "  result: QSORRES")
def baseline_flag(ctx, p):
    """For each subject and ``by`` group, flag ``Y`` the last record (by date, then record order)
    whose ``result`` is present and whose complete date is on or before the reference date (the
    first exposure, DM.RFXSTDTC, unless ``ref`` says otherwise); when both have a time, the
    record must be taken at or before it (a post-dose reading on the day of first dose is not
    baseline).  Records with partial dates are never flagged.  Subjects never exposed have no flag."""
    subj = ctx.variable("USUBJID")
    from .dates import _days

    dtc = ctx.variable(p["dtc"])
    ref = ctx.variable(p.get("ref", "DM.RFXSTDTC"))
    day = _days(dtc)
    refday = _days(ref)
    before = day <= refday
    # on the day of first exposure, a record with a time counts only if taken before the dose
    timed, moment = _minutes(dtc)
    ref_timed, refmoment = _minutes(ref)
    both_timed = timed & ref_timed
    if both_timed.any():
        before = before.where(~both_timed, moment <= refmoment)
    ok = (ctx.variable(p["result"]).notna() & day.notna() & refday.notna()
          & before).fillna(False).astype(bool)
    keys = [subj] + [ctx.variable(v) for v in p["by"]]
    # group on integer codes (missing is its own group), not on a Python object per cell
    frame = pd.DataFrame({f"k{i}": np.asarray(pd.factorize(k, use_na_sentinel=True)[0])
                          for i, k in enumerate(keys)})
    frame["day"] = day.to_numpy()
    frame["pos"] = np.arange(len(frame))
    cand = frame[ok.to_numpy()].sort_values(["day", "pos"], kind="stable")
    last = cand.groupby([f"k{i}" for i in range(len(keys))], sort=False, dropna=False)["pos"].last()
    out = pd.Series(pd.NA, index=ctx.index, dtype="string")
    out.iloc[last.to_numpy()] = "Y"
    return out


def _minutes(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(has a time: at least ``YYYY-MM-DDTHH:MM``, that date-time to the minute as datetime64 —
    NaT when it does not parse), computed once per distinct value."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    u = pd.Series(uniques, dtype="string")
    long = (u.str.len() >= 16).fillna(False).to_numpy(dtype=bool)
    parsed = pd.to_datetime(u.str.slice(0, 16), format="%Y-%m-%dT%H:%M",
                            errors="coerce").to_numpy(dtype="datetime64[ns]")
    ok = np.asarray(codes) >= 0
    timed = np.zeros(len(codes), dtype=bool)
    moment = np.full(len(codes), np.datetime64("NaT"), dtype="datetime64[ns]")
    timed[ok] = long[codes[ok]]
    moment[ok] = parsed[codes[ok]]
    return timed, moment


@method("arm_null_reason", family="design", origin="Derived",
        summary="ARMNRS: why a subject has no arm — screen failure, not assigned, or assigned "
                "but not treated (SDTMIG 3.4, no pseudo-arm).",
        params={"from": RAW_COLUMN,
                "exposed": {**VARIABLE, "description": "a variable that is present for treated "
                            "subjects (e.g. RFXSTDTC); missing → ASSIGNED, NOT TREATED"}},
        required=("from",),
        text=lambda p, state=None: (
            f"The study file's not_assigned reason of the raw treatment group code {p['from']}; "
            "NOT ASSIGNED when there is no code"
            + (f"; ASSIGNED, NOT TREATED when {p['exposed']} is missing" if "exposed" in p
               else "") + "; otherwise null."),
        example="ARMNRS: {method: arm_null_reason, source: rand, from: TRTGRP, exposed: RFXSTDTC}")
def arm_null_reason(ctx, p):
    """The reason ARMCD and ARM are null, as SDTMIG 3.4 wants it instead of a pseudo-arm such as
    ``SCRNFAIL``: a raw group code listed in the study file's ``not_assigned`` gives its reason
    (``{SCRNFAIL: SCREEN FAILURE}``); a subject with no code is ``NOT ASSIGNED``; with
    ``exposed``, an assigned subject for whom that variable is missing is ``ASSIGNED, NOT
    TREATED``; otherwise null.  Use with ``study_arm`` for ARMCD/ARM (which stay null for the
    codes of ``not_assigned``).  The reasons are checked against codelist ARMNULRS."""
    from ..engine.context import keys_of

    raw = ctx.column(p["from"], p.get("source"))
    keys = keys_of(raw)
    reasons = {str(k).strip().upper(): v for k, v in ctx.study.not_assigned.items()}
    out = keys.map(reasons).astype("string")
    out = out.where(raw.notna(), "NOT ASSIGNED")
    if "exposed" in p:
        arms = {str(a.code).strip().upper() for a in ctx.study.arms}
        assigned = keys.isin(list(arms)).to_numpy(dtype=bool)
        untreated = assigned & ctx.variable(p["exposed"]).isna().to_numpy(dtype=bool)
        out = out.where(~untreated, "ASSIGNED, NOT TREATED")
    return out.astype("string")
