"""Patient-reported outcomes: DLQI (10 items and total) and worst-itch NRS.

Both improve over the study, more in EASI-50 responders and a little more on hcMSC, but the arms'
week-12 changes are kept apart from significance at the published size: the whole draw is repeated
until Welch's t and the Mann-Whitney z are both below :data:`MAX_STAT` in absolute value (p > 0.13),
so the published "no significant difference" holds by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .design import Design
from .schedule import Schedule
from .stats import mann_whitney_z, welch_t
from .subjects import Cohort

DLQI_TEXT = ("Not at all", "A little", "A lot", "Very much")
NOT_RELEVANT = "Not relevant"
# how often each DLQI item scores, relative to the others (itch and embarrassment most)
ITEM_WEIGHT = np.array([3.0, 2.0, 1.0, 1.5, 1.2, 1.0, 1.0, 0.8, 0.6, 1.2])
MAX_STAT = 1.5
_MAX_ROUNDS = 1000


@dataclass
class Reported:
    dlqi_items: np.ndarray    # (rows, 10) 0..3
    dlqi_total: np.ndarray    # (rows,)
    nrs: np.ndarray           # (rows,)


def _course(start: np.ndarray, change12: np.ndarray, weeks: np.ndarray, noise: float,
            top: int, rng: np.random.Generator, visit_is_w12: np.ndarray) -> np.ndarray:
    """Values per row: ``start`` plus the share of the week-12 change reached by that week."""
    share = np.where(weeks <= 12, (np.minimum(weeks, 12.0) / 12.0) ** 0.7,
                     rng.uniform(0.9, 1.2, len(weeks)))
    value = start + change12 * share + np.where(visit_is_w12 | (weeks == 0), 0.0,
                                                rng.normal(0.0, noise, len(weeks)))
    return np.clip(np.rint(value), 0, top).astype(np.int64)


def _draw_totals(design: Design, cohort: Cohort, schedule: Schedule, rows: np.ndarray,
                 rng: np.random.Generator):
    n = len(cohort)
    subj, visit = schedule.subj[rows], schedule.visit[rows]
    weeks = np.array([v.week if v.week is not None else 0 for v in design.visits], float)[visit]
    w12 = visit == design.visit_index("Week 12")
    screening = visit == 0
    active = cohort.arm == 0
    resp = cohort.responder

    dlqi0 = np.clip(np.rint(rng.normal(15.0, 5.0, n)), 4, 30)
    dlqi12 = rng.normal(np.where(resp, -6.5, -3.0) - 0.5 * active, 4.5, n)
    dlqi = _course(dlqi0[subj], dlqi12[subj], weeks, 1.5, 30, rng, w12)
    dlqi[screening] = np.clip(dlqi0[subj[screening]] + np.rint(rng.normal(0, 2, screening.sum())),
                              0, 30)

    nrs0 = np.clip(np.rint(rng.normal(7.0, 1.5, n)), 3, 10)
    nrs12 = rng.normal(np.where(resp, -2.8, -1.2) - 0.2 * active, 1.8, n)
    nrs = _course(nrs0[subj], nrs12[subj], weeks, 0.8, 10, rng, w12)
    nrs[screening] = np.clip(nrs0[subj[screening]] + np.rint(rng.normal(0, 1, screening.sum())),
                             0, 10)
    return dlqi, nrs


def _changes_by_arm(design: Design, cohort: Cohort, schedule: Schedule, values: np.ndarray):
    """Week-12 minus Week-0 values for subjects with both, per arm."""
    w0 = schedule.row_of[:, design.visit_index("Week 0")]
    w12 = schedule.row_of[:, design.visit_index("Week 12")]
    has = (w0 >= 0) & (w12 >= 0)
    has[has] = schedule.occurred[w12[has]] & schedule.occurred[w0[has]]
    change = values[w12[has]] - values[w0[has]]
    arm = cohort.arm[has]
    return change[arm == 0], change[arm == 1]


def _not_significant(design, cohort, schedule, *value_sets) -> bool:
    for values in value_sets:
        a, b = _changes_by_arm(design, cohort, schedule, values)
        if abs(welch_t(a, b)) >= MAX_STAT or abs(mann_whitney_z(a, b)) >= MAX_STAT:
            return False
    return True


def _items(totals: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Ten item scores 0..3 adding up exactly to each total.

    Each item has three one-point slots; ``total`` slots are taken by weighted sampling without
    replacement (keys ``log(u) / weight``), and an item's score is the number of its slots taken.
    """
    m = len(totals)
    weights = np.repeat(ITEM_WEIGHT, 3)
    keys = np.log(rng.random((m, 30))) / weights[None, :]
    order = np.argsort(-keys, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(30)[None, :].repeat(m, axis=0), axis=1)
    taken = rank < totals[:, None]
    return taken.reshape(m, 10, 3).sum(axis=2)


def draw_reported(design: Design, cohort: Cohort, schedule: Schedule, published: bool,
                  rng: np.random.Generator) -> Reported:
    rows = np.flatnonzero(schedule.occurred)
    n_rows = len(schedule.subj)
    for _ in range(_MAX_ROUNDS):
        dlqi = np.full(n_rows, -1, dtype=np.int64)
        nrs = np.full(n_rows, -1, dtype=np.int64)
        dlqi[rows], nrs[rows] = _draw_totals(design, cohort, schedule, rows, rng)
        if not published or _not_significant(design, cohort, schedule, dlqi, nrs):
            break
    else:  # pragma: no cover
        raise RuntimeError("DLQI and NRS could not be drawn to meet the design")
    items = np.full((n_rows, 10), -1, dtype=np.int64)
    items[rows] = _items(dlqi[rows], rng)
    return Reported(dlqi_items=items, dlqi_total=dlqi, nrs=nrs)


def item_text(items: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Answer text per item; a zero on items 3-10 is sometimes ``Not relevant``."""
    text = np.array(DLQI_TEXT, dtype=object)[np.clip(items, 0, 3)]
    not_relevant = (items == 0) & (rng.random(items.shape) < 0.15)
    not_relevant[:, :2] = False
    text[not_relevant] = NOT_RELEVANT
    text[items < 0] = ""
    return text
