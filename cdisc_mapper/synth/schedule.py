"""Planned visits, their dates and whether they took place; infusions given; disposition dates."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .calendar import MISSING, ordinal
from .design import LOST, MISSED, WITHDRAWN, Design
from .subjects import Cohort, special_field, special_kind


@dataclass
class Schedule:
    """One row per planned visit of a subject, sorted by subject then visit order."""

    subj: np.ndarray          # subject index into the cohort
    visit: np.ndarray         # visit index into Design.visits
    date: np.ndarray          # ordinal; MISSING when the visit did not take place
    occurred: np.ndarray      # bool
    row_of: np.ndarray        # (subjects, visits) -> row number, -1 if not planned
    n_infusions: np.ndarray   # per subject: infusions received
    last_date: np.ndarray     # per subject: date of the last visit that took place
    ds_date: np.ndarray       # per subject: date of completion or discontinuation


def build_schedule(design: Design, cohort: Cohort, rng: np.random.Generator) -> Schedule:
    n, n_visits = len(cohort), len(design.visits)
    kind = special_kind(design, cohort)
    visit_name = special_field(design, cohort, "visit", "")
    infusions = special_field(design, cohort, "infusions", 3).astype(np.int64)
    names = [v.name for v in design.visits]
    special_visit = np.array([names.index(v) if v else -1 for v in visit_name], dtype=np.int64)

    # last planned visit of each subject
    w12 = design.visit_index("Week 12")
    regular_last = np.full(n, n_visits - 1, dtype=np.int64)
    if any(v.responders_only for v in design.visits):
        regular_last[~cohort.responder] = w12
    last = regular_last.copy()
    last[kind == WITHDRAWN] = special_visit[kind == WITHDRAWN]
    last[kind == LOST] = special_visit[kind == LOST] + 1
    planned = np.arange(n_visits)[None, :] <= last[:, None]

    occurred = planned.copy()
    missed = kind == MISSED
    occurred[np.flatnonzero(missed), special_visit[missed]] = False
    lost = kind == LOST
    occurred[np.flatnonzero(lost), last[lost]] = False

    # dates: target day +/- window; screening 1..28 days before day 1
    target = np.array([v.day - 1 for v in design.visits], dtype=np.int64)
    window = np.array([v.window for v in design.visits], dtype=np.int64)
    jitter = rng.integers(-window, window + 1, size=(n, n_visits))
    jitter[cohort.pinned] = 0
    dates = cohort.day1[:, None] + target[None, :] + jitter
    dates[:, 0] = cohort.screen
    if design.end is not None:
        dates = np.minimum(dates, ordinal(design.end))

    n_infusions = np.where(np.isin(kind, [WITHDRAWN, LOST]), infusions, 3)

    subj, visit = np.nonzero(planned)
    row_of = np.full((n, n_visits), -1, dtype=np.int64)
    row_of[subj, visit] = np.arange(len(subj))
    occ = occurred[subj, visit]
    date = np.where(occ, dates[subj, visit], MISSING)

    last_date = np.where(occurred, dates, MISSING).max(axis=1)
    lo, hi = _delays(design, cohort)
    ds_date = last_date + lo + np.floor(rng.random(n) * (hi - lo + 1)).astype(np.int64)
    if design.end is not None:
        ds_date = np.minimum(ds_date, ordinal(design.end))
    return Schedule(subj=subj, visit=visit, date=date, occurred=occ, row_of=row_of,
                    n_infusions=n_infusions, last_date=last_date, ds_date=ds_date)


def _delays(design: Design, cohort: Cohort) -> tuple[np.ndarray, np.ndarray]:
    delay = special_field(design, cohort, "delay", (0, 0))
    lo = np.array([d[0] for d in delay], dtype=np.int64)
    hi = np.array([d[1] for d in delay], dtype=np.int64)
    return lo, hi
