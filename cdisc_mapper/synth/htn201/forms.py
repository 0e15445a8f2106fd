"""HTN201's raw forms as its EDC and central laboratory export them: one function per form.

Every cell is text; ``""`` is a cell that was not entered.  Each form function returns one table,
so a form can be written in another file format without touching the others (``FORMATS``): the
adverse-event log comes as CDISC ODM 1.3 clinical data (item OIDs as its columns), the exposure
form as a SAS dataset (SAS variable names, dates and the dose as numbers, ``SAS_TYPES``) — each
table holds the text a reader of that file gives back.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from . import design as D
from .draw import (AE_STOP, COMPLETED, LOST, NOT_TREATED, SCREEN_FAILURE, AdverseEvents, Exposure,
                   Labs, Study, Vitals)

FORMS = ("dm", "ie", "rand", "ex", "ae", "vs", "lb", "sv", "ds")
FORMATS = {**{name: "csv" for name in FORMS}, "ae": "odm", "ex": "sas7bdat"}  # how each form is written
ODM_FORMS = {"ae": ("SE.AELOG", "Adverse events log", "F.AE", "Adverse Events", "IG.AE")}
SAS_TYPES = {"ex": {"EXDOSE": "number", "EXSTDAT": "date", "EXENDAT": "date"}}
SAS_LABELS = {"ex": {"Subject": "Subject number", "SiteNumber": "Site number",
                     "InstanceName": "Visit", "EXTRT": "Study drug", "EXDOSE": "Dose",
                     "EXDOSU": "Dose unit", "EXDOSFRM": "Dose form", "EXROUTE": "Route",
                     "EXFREQ": "Frequency", "EXSTDAT": "Start date", "EXSTTIM": "Start time",
                     "EXENDAT": "End date"}}


def us_date(ordinals: np.ndarray, precision: np.ndarray | None = None) -> np.ndarray:
    """``MM/DD/YYYY``; precision 1 = day unknown (``03/UN/2023``), 2 = day and month unknown
    (``UN/UNK/2023``); ordinal 0 = not entered."""
    out = []
    prec = np.zeros(len(ordinals), dtype=int) if precision is None else precision
    for o, p in zip(ordinals, prec):
        if o <= 0:
            out.append("")
            continue
        d = dt.date.fromordinal(int(o))
        out.append(f"{d.month:02d}/{d.day:02d}/{d.year}" if p == 0 else
                   f"{d.month:02d}/UN/{d.year}" if p == 1 else f"UN/UNK/{d.year}")
    return np.array(out, dtype=object)


def iso_day(ordinals: np.ndarray) -> np.ndarray:
    """``YYYY-MM-DD`` (a SAS date as a reader gives it back); ordinal 0 = not entered."""
    return np.array(["" if o <= 0 else dt.date.fromordinal(int(o)).isoformat()
                     for o in ordinals], dtype=object)


def clock(minutes: np.ndarray) -> np.ndarray:
    return np.array([f"{int(m) // 60:02d}:{int(m) % 60:02d}" for m in minutes], dtype=object)


def number(values: np.ndarray, decimals: int | np.ndarray = 0) -> np.ndarray:
    dec = np.broadcast_to(decimals, values.shape)
    return np.array(["" if np.isnan(v) else f"{v:.{int(d)}f}" for v, d in zip(values, dec)],
                    dtype=object)


def _frame(columns: dict) -> pd.DataFrame:
    return pd.DataFrame({k: pd.Series(np.asarray(v, dtype=object), dtype="str")
                         for k, v in columns.items()})


def _keys(s: Study, subj: np.ndarray) -> dict:
    c = s.cohort
    return {"Subject": c.subject[subj], "SiteNumber": c.site[subj]}


def _visit(s: Study, rows: np.ndarray) -> np.ndarray:
    names = np.array([v.raw for v in D.VISITS], dtype=object)
    return names[s.schedule.visit[rows]]


def dm_form(s: Study) -> pd.DataFrame:
    c = s.cohort
    n = len(c)
    return _frame({**_keys(s, np.arange(n)),
                   "IT.ICDAT": us_date(c.consent),
                   "IT.BRTHDAT": us_date(c.birth, np.where(c.birth_partial, 2, 0)),
                   "IT.AGE": c.age.astype(str), "IT.SEX": c.sex, "IT.RACE": c.race,
                   "IT.ETHNIC": c.ethnic})


def ie_form(s: Study) -> pd.DataFrame:
    c = s.cohort
    sf = np.flatnonzero(c.criterion >= 0)
    crit = [D.SCREEN_FAIL_CRITERIA[k] for k in c.criterion[sf]]
    return _frame({**_keys(s, sf), "InstanceName": np.full(len(sf), D.VISITS[0].raw),
                   "IT.IEDAT": us_date(c.screening[sf]),
                   "IT.IETESTCD": [x[0] for x in crit], "IT.IECAT": [x[1] for x in crit],
                   "IT.IETEST": [x[2] for x in crit]})


def rand_form(s: Study) -> pd.DataFrame:
    c = s.cohort
    r = np.flatnonzero(c.arm >= 0)
    codes = np.array([a.code for a in D.ARMS], dtype=object)
    return _frame({**_keys(s, r), "IT.RANDNO": c.randno[r], "IT.RANDDAT": us_date(c.day1[r]),
                   "IT.TRTGRP": codes[c.arm[r]]})


def ex_form(s: Study, e: Exposure) -> pd.DataFrame:
    """The exposure form as the EDC's SAS export: SAS variable names, dates and dose numeric
    (written as SAS dates and numbers, read back as ISO dates and digits), the time as text."""
    c = s.cohort
    names = np.array([v.raw for v in D.VISITS], dtype=object)
    dose = np.array([str(a.dose) for a in D.ARMS], dtype=object)
    n = len(e.subj)
    return _frame({**_keys(s, e.subj), "InstanceName": names[e.visit],
                   "EXTRT": np.full(n, "ZX-101"), "EXDOSE": dose[c.arm[e.subj]],
                   "EXDOSU": np.full(n, "mg"), "EXDOSFRM": np.full(n, "Tablet"),
                   "EXROUTE": np.full(n, "Oral"), "EXFREQ": np.full(n, "Once daily"),
                   "EXSTDAT": iso_day(e.start), "EXSTTIM": clock(e.start_time),
                   "EXENDAT": iso_day(e.end)})


def ae_form(s: Study, a: AdverseEvents) -> pd.DataFrame:
    ongoing = a.end == 0
    return _frame({**_keys(s, a.subj), "IT.AESPID": a.spid.astype(str),
                   "IT.AETERM": a.verbatim,
                   **_coded(a.term),
                   "IT.AESTDAT": us_date(a.start, a.start_precision),
                   "IT.AEENDAT": us_date(a.end, a.end_precision),
                   "IT.AEONGO": np.where(ongoing, "Y", "N"),
                   "IT.AESEV": np.array(D.SEVERITY, dtype=object)[a.severity],
                   "IT.AESER": np.where(a.serious, "Y", "N"),
                   "IT.AEREL": np.array(D.RELATION, dtype=object)[a.relation],
                   "IT.AEACN": a.action,
                   "IT.AEOUT": np.where(ongoing, D.OUTCOME_ONGOING, D.OUTCOME_DONE)})


def _coded(term: np.ndarray) -> dict:
    """The coding module's columns: the coded term and its code at every level."""
    c = [D.AE_TERMS[t].coding for t in term]
    return {"IT.AELLT": [x.pt for x in c], "IT.AELLTCD": [x.ptcd for x in c],
            "IT.AEPT": [x.pt for x in c], "IT.AEPTCD": [x.ptcd for x in c],
            "IT.AEHLT": [x.hlt for x in c], "IT.AEHLTCD": [x.hltcd for x in c],
            "IT.AEHLGT": [x.hlgt for x in c], "IT.AEHLGTCD": [x.hlgtcd for x in c],
            "IT.AESOC": [x.soc for x in c], "IT.AESOCCD": [x.soccd for x in c]}


def vs_form(s: Study, v: Vitals) -> pd.DataFrame:
    """Wide: one row per visit and time point, one column per test, unit columns beside
    temperature, weight and height; a row reason when a measurement was not done."""
    sc = s.schedule
    subj = sc.subj[v.row]
    metric = s.cohort.site[subj] == D.METRIC_SITE
    weight = np.where(metric, np.round(v.weight_lb * 0.45359237, 1), v.weight_lb)
    tpt = np.array(["", "Pre-dose", "2 hr post-dose"], dtype=object)[v.tpt]
    has_t, has_w, has_h = ~np.isnan(v.temp_f), v.tpt != 2, ~np.isnan(v.height_in)
    return _frame({**_keys(s, subj), "InstanceName": _visit(s, v.row),
                   "VS.VSDAT": us_date(sc.date[v.row]), "VS.VSTIM": clock(v.time),
                   "VS.VSTPT": tpt, "VS.VSPOS": np.full(len(v.row), "Sitting"),
                   "VS.SYSBP": number(v.sysbp), "VS.DIABP": number(v.diabp),
                   "VS.PULSE": number(v.pulse),
                   "VS.TEMP": number(v.temp_f, 1), "VS.TEMPU": np.where(has_t, "F", ""),
                   "VS.WEIGHT": number(weight, 1),
                   "VS.WEIGHTU": np.where(has_w, np.where(metric, "kg", "lb"), ""),
                   "VS.HEIGHT": number(v.height_in), "VS.HEIGHTU": np.where(has_h, "in", ""),
                   "VS.REASND": v.reason})


def lb_form(s: Study, lab: Labs) -> pd.DataFrame:
    """Long: the central laboratory's file, one row per test, its own codes, units and ranges;
    no visit column (visits are assigned from the collection date)."""
    sc = s.schedule
    t = [D.LAB_TESTS[k] for k in lab.test]
    dec = np.array([x.decimals for x in t])
    return _frame({"Subject": s.cohort.subject[sc.subj[lab.row]],
                   "SiteNumber": s.cohort.site[sc.subj[lab.row]],
                   "Accession": lab.accession,
                   "Collection Date": us_date(sc.date[lab.row]),
                   "Collection Time": clock(lab.time),
                   "Lab Test Code": [x.code for x in t], "Lab Test Name": [x.name for x in t],
                   "Result": number(lab.value, dec), "Units": [x.unit for x in t],
                   "Normal Low": number(np.array([x.low for x in t], float), dec),
                   "Normal High": number(np.array([x.high for x in t], float), dec),
                   "Specimen": [x.specimen for x in t], "Fasting": np.full(len(t), "Y"),
                   "Comment": lab.comment})


def sv_form(s: Study) -> pd.DataFrame:
    sc = s.schedule
    rows = np.arange(len(sc.subj))
    return _frame({**_keys(s, sc.subj), "InstanceName": _visit(s, rows),
                   "IT.SVSTDAT": us_date(sc.date)})


DECODES = {SCREEN_FAILURE: ("Screen Failure", "Did not meet eligibility criteria"),
           NOT_TREATED: ("Withdrawal By Subject", "Withdrew consent before first dose"),
           COMPLETED: ("Completed", "Completed study"),
           AE_STOP: ("Adverse Event", "Discontinued due to dizziness"),
           LOST: ("Lost To Follow-Up", "Could not be contacted after week 8")}


def ds_form(s: Study) -> pd.DataFrame:
    c = s.cohort
    n = len(c)
    return _frame({**_keys(s, np.arange(n)),
                   "IT.DSDECOD": [DECODES[f][0] for f in c.fate],
                   "IT.DSTERM": [DECODES[f][1] for f in c.fate],
                   "IT.DSSTDAT": us_date(s.end)})
