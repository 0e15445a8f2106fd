"""Assemble the drawn study into CRF forms: one table of text cells per form, as the EDC exports it.

Every cell is text exactly as written to the CSV; ``""`` is a cell that was not entered.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .adverse_events import LLT, OUTCOME, RELATION, SEVERITY, AdverseEvents
from .ae_terms import CRITERIA, TERMS
from .calendar import MISSING, Calendar, clock_text
from .design import LOST, MISSED, WITHDRAWN, Design
from .easi import IGA_TEXT, REGIONS, SIGNS, Skin
from .exposure import Exposure
from .messy import half_steps, number_table, vary_case
from .reported import Reported, item_text
from .schedule import Schedule
from .subjects import Cohort, special_field, special_kind

FORMS = ("dm", "ic", "rand", "ex", "ae", "easi", "iga", "bsa", "dlqi", "nrs", "sv", "ds")
YES_NO = np.array(["No", "Yes"], dtype=object)
COMPLETED_TERMS = np.array(["Study completed", "Completed all visits", "completed"], dtype=object)


@dataclass
class Drawn:
    """Everything drawn for one study."""

    design: Design
    cohort: Cohort
    schedule: Schedule
    exposure: Exposure
    skin: Skin
    reported: Reported
    aes: AdverseEvents
    calendar: Calendar


def _frame(columns: dict[str, np.ndarray]) -> pd.DataFrame:
    return pd.DataFrame({k: pd.Series(np.asarray(v, dtype=object), dtype="str")
                         for k, v in columns.items()})


def _keys(d: Drawn, subj: np.ndarray) -> dict[str, np.ndarray]:
    c = d.cohort
    site = np.array([f"{s:02d}" for s in range(d.design.n_sites + 1)], dtype=object)
    return {"STUDY": np.full(len(subj), d.design.study, dtype=object),
            "SITE": site[c.site[subj]], "SUBJECT": c.subject[subj]}


def _dm(d: Drawn, rng: np.random.Generator) -> pd.DataFrame:
    c, n = d.cohort, len(d.cohort)
    age = d.calendar.years_between(c.birth, c.consent)
    onset = np.clip(np.rint(rng.exponential(4.0, n)), 0, None).astype(np.int64)
    addur = np.maximum(age - onset, 1)
    sex = np.where(rng.random(n) < 0.56, "Male", "Female").astype(object)
    return _frame({**_keys(d, np.arange(n)),
                   "BRTHDAT": d.calendar.text(c.birth),
                   "SEX": vary_case(sex, rng, 0.08),
                   "RACE": vary_case(np.full(n, "Asian", dtype=object), rng, 0.04),
                   "ETHNIC": vary_case(np.full(n, "Not Hispanic or Latino", dtype=object), rng,
                                        0.04),
                   "ADDUR": addur.astype(str).astype(object)})


def _ic(d: Drawn) -> pd.DataFrame:
    c = d.cohort
    version = np.full(len(c), d.design.protocol_versions[0][1], dtype=object)
    for start, name in d.design.protocol_versions[1:]:
        version[c.consent >= start.toordinal()] = name
    return _frame({**_keys(d, np.arange(len(c))), "ICDAT": d.calendar.text(c.consent),
                   "ICVER": version})


def _rand(d: Drawn) -> pd.DataFrame:
    c = d.cohort
    codes = np.array([a.code for a in d.design.arms], dtype=object)
    return _frame({**_keys(d, np.arange(len(c))), "RANDDAT": d.calendar.text(c.randdat),
                   "RANDNO": c.randno, "TRTGRP": codes[c.arm]})


def _ex(d: Drawn, visit_text: np.ndarray) -> pd.DataFrame:
    e, c = d.exposure, d.cohort
    row = d.schedule.row_of[e.subj, e.visit]
    dose = np.array([str(a.dose) for a in d.design.arms], dtype=object)
    volume = number_table(int(e.volume10.max(initial=0)) + 1, 1, 10)
    return _frame({**_keys(d, e.subj), "VISIT": visit_text[row],
                   "INFNUM": e.infnum.astype(str).astype(object),
                   "EXSTDAT": d.calendar.text(e.date), "EXSTTIM": clock_text(e.start),
                   "EXENTIM": clock_text(e.end), "EXDOSE": dose[c.arm[e.subj]],
                   "EXVOL": volume[e.volume10], "INTRPT": YES_NO[e.interrupted.astype(int)],
                   "INTRSN": e.reason})


def _seriousness(a: AdverseEvents) -> dict[str, np.ndarray]:
    """The SAE form's criteria: ``Yes``/``No`` on a serious event (the criteria its term meets),
    not asked (empty) on any other."""
    out = {}
    for c in CRITERIA:
        met = np.array([c in TERMS[t].criteria for t in a.term.tolist()], dtype=bool)
        out[c] = np.where(a.serious, YES_NO[met.astype(int)], "").astype(object)
    return out


def _ae(d: Drawn, rng: np.random.Generator) -> pd.DataFrame:
    a = d.aes
    ongoing = a.end == MISSING
    return _frame({**_keys(d, a.subj), "AESPID": a.spid.astype(str).astype(object),
                   "AETERM": a.verbatim, "AELLT": LLT[a.term],
                   "AESTDAT": d.calendar.text(a.start, a.start_precision),
                   "AEENDAT": d.calendar.text(a.end, a.end_precision),
                   "AEONGO": YES_NO[ongoing.astype(int)],
                   "AESEV": vary_case(SEVERITY[a.severity], rng, 0.08),
                   "AESER": YES_NO[a.serious.astype(int)], **_seriousness(a),
                   "AEREL": RELATION[a.relation],
                   "AEACN": a.action, "AEOUT": OUTCOME[a.outcome],
                   "AEIRR": YES_NO[a.irr.astype(int)]})


def _assessment(d: Drawn, visit_text: np.ndarray, prefix: str,
                values: dict[str, np.ndarray]) -> pd.DataFrame:
    rows = np.flatnonzero(d.schedule.occurred)
    s = d.schedule
    return _frame({**_keys(d, s.subj[rows]), "VISIT": visit_text[rows],
                   f"{prefix}DAT": d.calendar.text(s.date[rows]),
                   **{k: v[rows] for k, v in values.items()}})


def _easi(d: Drawn, visit_text: np.ndarray) -> pd.DataFrame:
    sk = d.skin
    halves, ints = half_steps(7), number_table(7)
    cols: dict[str, np.ndarray] = {}
    for r, region in enumerate(REGIONS):
        for g, sign in enumerate(SIGNS):
            cols[f"{region}_{sign}"] = halves[sk.signs2[:, r, g]]
        cols[f"{region}_AREA"] = ints[sk.area[:, r]]
    cols["EASITOT"] = number_table(721, 1, 10)[sk.easi10]
    return _assessment(d, visit_text, "EASI", cols)


def _iga(d: Drawn, visit_text: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    text = np.array(IGA_TEXT, dtype=object)[np.clip(d.skin.iga, 0, 4)]
    return _assessment(d, visit_text, "IGA", {"IGA": vary_case(text, rng, 0.08)})


def _bsa(d: Drawn, visit_text: np.ndarray) -> pd.DataFrame:
    return _assessment(d, visit_text, "BSA", {"BSA": number_table(1001, 1, 10)[d.skin.bsa10]})


def _dlqi(d: Drawn, visit_text: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    r = d.reported
    text = item_text(r.dlqi_items, rng)
    cols = {f"DLQI{i + 1:02d}": text[:, i] for i in range(10)}
    cols["DLQITOT"] = number_table(31)[np.clip(r.dlqi_total, 0, 30)]
    return _assessment(d, visit_text, "DLQI", cols)


def _nrs(d: Drawn, visit_text: np.ndarray) -> pd.DataFrame:
    nrs = number_table(11)[np.clip(d.reported.nrs, 0, 10)]
    return _assessment(d, visit_text, "NRS", {"NRS": nrs})


def _sv(d: Drawn, visit_text: np.ndarray) -> pd.DataFrame:
    s = d.schedule
    reason = special_field(d.design, d.cohort, "reason", "")[s.subj]
    kind = special_kind(d.design, d.cohort)[s.subj]
    not_done = ~s.occurred
    visreas = np.where(not_done & (kind == MISSED), reason, "").astype(object)
    visreas[not_done & (kind == LOST)] = "Subject did not attend, could not be contacted"
    return _frame({**_keys(d, s.subj), "VISIT": visit_text, "VISDAT": d.calendar.text(s.date),
                   "VISOCCUR": YES_NO[s.occurred.astype(int)], "VISREAS": visreas})


def _ds(d: Drawn, rng: np.random.Generator) -> pd.DataFrame:
    c, n = d.cohort, len(d.cohort)
    kind = special_kind(d.design, c)
    reason = special_field(d.design, c, "reason", "")
    decod = np.full(n, "Completed", dtype=object)
    term = COMPLETED_TERMS[rng.integers(0, len(COMPLETED_TERMS), n)]
    decod[kind == WITHDRAWN] = "Withdrawal by subject"
    decod[kind == LOST] = "Lost to follow-up"
    left = np.isin(kind, [WITHDRAWN, LOST])
    term[left] = reason[left]
    last_dose = d.exposure.dates.max(axis=1)
    return _frame({**_keys(d, np.arange(n)), "DSDECOD": vary_case(decod, rng, 0.08),
                   "DSTERM": term, "DSSTDAT": d.calendar.text(d.schedule.ds_date),
                   "LASTDOSE": d.calendar.text(last_dose)})


def build_forms(d: Drawn, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    names = np.array([v.name for v in d.design.visits], dtype=object)
    visit_text = vary_case(names[d.schedule.visit], rng, 0.04)
    forms = {
        "dm": _dm(d, rng), "ic": _ic(d), "rand": _rand(d), "ex": _ex(d, visit_text),
        "ae": _ae(d, rng), "easi": _easi(d, visit_text), "iga": _iga(d, visit_text, rng),
        "bsa": _bsa(d, visit_text), "dlqi": _dlqi(d, visit_text, rng), "nrs": _nrs(d, visit_text),
        "sv": _sv(d, visit_text), "ds": _ds(d, rng),
    }
    return {name: forms[name] for name in FORMS}
