"""Infusions given: one row per infusion, with clock times, volume and interruptions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .calendar import MISSING
from .design import INTERRUPTED, Design
from .schedule import Schedule
from .subjects import Cohort, special_field, special_kind


@dataclass
class Exposure:
    subj: np.ndarray          # subject index per infusion row
    visit: np.ndarray         # visit index
    infnum: np.ndarray        # 1, 2, 3
    date: np.ndarray          # ordinal
    start: np.ndarray         # minutes after midnight
    end: np.ndarray
    volume10: np.ndarray      # mL in tenths
    interrupted: np.ndarray   # bool
    reason: np.ndarray        # text, "" if not interrupted
    dates: np.ndarray         # (subjects, 3) infusion dates, MISSING if not given


def build_exposure(design: Design, cohort: Cohort, schedule: Schedule,
                   rng: np.random.Generator) -> Exposure:
    infusion_of_visit = np.array([v.infusion for v in design.visits], dtype=np.int64)
    infnum = infusion_of_visit[schedule.visit]
    given = (infnum > 0) & schedule.occurred & (infnum <= schedule.n_infusions[schedule.subj])
    rows = np.flatnonzero(given)                      # already sorted by subject then visit
    subj, infnum = schedule.subj[rows], infnum[rows]
    m = len(rows)

    kind = special_kind(design, cohort)
    which = special_field(design, cohort, "infusions", 0).astype(np.int64)
    reason_of = special_field(design, cohort, "reason", "")
    interrupted = (kind[subj] == INTERRUPTED) & (which[subj] == infnum)

    start = 540 + 5 * rng.integers(0, 73, size=m)     # 09:00 .. 15:00
    duration = rng.integers(30, 61, size=m) + np.where(interrupted, rng.integers(35, 71, size=m), 0)
    volume_dose = np.array([a.volume_dose for a in design.arms], dtype=float)[cohort.arm]
    volume10 = np.rint(cohort.weight * volume_dose / design.cells_per_ml * 10).astype(np.int64)

    dates = np.full((len(cohort), 3), MISSING, dtype=np.int64)
    dates[subj, infnum - 1] = schedule.date[rows]
    return Exposure(subj=subj, visit=schedule.visit[rows], infnum=infnum, date=schedule.date[rows],
                    start=start, end=start + duration, volume10=volume10[subj],
                    interrupted=interrupted,
                    reason=np.where(interrupted, reason_of[subj], "").astype(object), dates=dates)
