"""EASI item scores that honour each subject's planned EASI-50 status, with IGA and BSA beside them.

Scores are drawn around a target EASI total and accepted by rejection: a row is redrawn until it
meets its constraints (inclusion thresholds at Screening and Week 0, the planned responder status at
Week 12 with a margin, and no total within one percentage point of the 50/75/90 % thresholds).
All arithmetic on totals is done in integers (tenths of a point), so the status is exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .design import Design
from .schedule import Schedule
from .subjects import Cohort

REGIONS = ("HN", "UL", "TR", "LL")
SIGNS = ("ERY", "EDE", "EXC", "LIC")
WEIGHT10 = np.array([1, 2, 3, 4], dtype=np.int64)        # region weights x 10
BSA_SHARE = np.array([0.1, 0.2, 0.3, 0.4])              # share of body surface per region
AREA_BANDS = np.array([[0, 0], [1, 10], [10, 30], [30, 50], [50, 70], [70, 90], [90, 100]], float)
IGA_TEXT = ("Clear", "Almost clear", "Mild", "Moderate", "Severe")

# inclusion: EASI >= 16, BSA >= 10 %, IGA >= 3 (in tenths where marked 10)
MIN_EASI10, MIN_BSA10, MIN_IGA = 160, 100, 3
TOLERANCE = 0.15                                          # accepted distance from the target total
_MAX_ROUNDS = 500


@dataclass
class Skin:
    """Per assessment row: sign scores x 2 (rows, 4, 4), area scores (rows, 4), totals."""

    signs2: np.ndarray
    area: np.ndarray
    easi10: np.ndarray        # EASI total in tenths
    bsa10: np.ndarray         # BSA % in tenths
    iga: np.ndarray           # 0..4


def _draw(target: np.ndarray, rng: np.random.Generator):
    """Signs (x2), areas and BSA (tenths) scattered around a target EASI total."""
    m = len(target)
    s = np.sqrt(np.clip(0.94 * target, 0.0, 72.0) / 72.0)
    s_region = np.clip(s[:, None] * np.exp(rng.normal(0.0, 0.18, (m, 4))), 0.0, 1.0)
    signs2 = np.rint(6.0 * s_region[:, :, None] * np.exp(rng.normal(0.0, 0.22, (m, 4, 4))))
    signs2 = np.clip(signs2, 0, 6).astype(np.int64)
    area = np.clip(np.rint(6.0 * s_region * np.exp(rng.normal(0.0, 0.12, (m, 4)))), 0, 6)
    area = area.astype(np.int64)
    # an unaffected region has no signs, and a region without signs is not affected
    signs2[area == 0] = 0
    area[signs2.sum(axis=2) == 0] = 0
    _make_even(signs2, area)
    band = AREA_BANDS[area]
    pct = band[..., 0] + rng.random((m, 4)) * (band[..., 1] - band[..., 0])
    bsa10 = np.rint(10.0 * (pct * BSA_SHARE).sum(axis=1)).astype(np.int64)
    return signs2, area, bsa10


def _make_even(signs2: np.ndarray, area: np.ndarray) -> None:
    """Nudge one sign by half a point where the total would end in 0.05, so that it has one decimal.

    The total in units of 0.05 is sum(weight10 * signs2_sum * area); only the odd weights (head and
    neck, trunk) can make it odd.  Changing one sign of the odd region by 0.5 flips its parity.
    """
    units = (WEIGHT10 * signs2.sum(axis=2) * area).sum(axis=1)
    odd = np.flatnonzero(units % 2 == 1)
    if not len(odd):
        return
    hn_odd = (signs2[odd, 0].sum(axis=1) * area[odd, 0]) % 2 == 1
    region = np.where(hn_odd, 0, 2)
    current = signs2[odd, region, 0]
    signs2[odd, region, 0] = np.where(current < 6, current + 1, current - 1)


def easi10_of(signs2: np.ndarray, area: np.ndarray) -> np.ndarray:
    units = (WEIGHT10 * signs2.sum(axis=2) * area).sum(axis=1)
    return units // 2


def _iga(easi10: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """IGA tracking EASI (bands 0 / 0.1-1 / 1.1-7 / 7.1-21 / >21) with some disagreement."""
    iga = np.searchsorted(np.array([0, 10, 70, 210]), easi10, side="left")
    u = rng.random(len(easi10))
    iga = iga - (u < 0.12) + (u > 0.90)
    iga = np.clip(iga, 0, 4)
    iga[easi10 == 0] = 0
    iga[(easi10 > 0) & (iga == 0)] = 1
    return iga


def _fill(skin_rows: np.ndarray, target: np.ndarray, ok, rng: np.random.Generator,
          signs2: np.ndarray, area: np.ndarray, bsa10: np.ndarray, redraw_target=None) -> None:
    """Draw ``skin_rows`` until each total is near its target and ``ok(i, easi10, bsa10)`` holds.

    ``i`` are positions in ``skin_rows``; ``redraw_target(i)`` gives new targets for rows that
    failed, if given.
    """
    todo = np.arange(len(skin_rows))
    for _ in range(_MAX_ROUNDS):
        s2, ar, b10 = _draw(target[todo], rng)
        e10 = easi10_of(s2, ar)
        want = 10.0 * target[todo]
        near = np.abs(e10 - want) <= np.maximum(TOLERANCE * want, 10.0)
        good = near & ok(todo, e10, b10)
        keep = todo[good]
        signs2[skin_rows[keep]] = s2[good]
        area[skin_rows[keep]] = ar[good]
        bsa10[skin_rows[keep]] = b10[good]
        todo = todo[~good]
        if not len(todo):
            return
        if redraw_target is not None:
            target[todo] = redraw_target(todo)
    raise RuntimeError("EASI scores could not be drawn to meet the design")  # pragma: no cover


def _ratio_targets(responder: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Planned EASI at week 12 as a fraction of baseline."""
    return np.where(responder, rng.uniform(0.10, 0.44, len(responder)),
                    rng.uniform(0.58, 1.05, len(responder)))


def draw_skin(design: Design, cohort: Cohort, schedule: Schedule, rng: np.random.Generator) -> Skin:
    """EASI items, BSA and IGA for every visit that took place (rows of ``schedule`` in order)."""
    n_rows = len(schedule.subj)
    signs2 = np.zeros((n_rows, 4, 4), dtype=np.int64)
    area = np.zeros((n_rows, 4), dtype=np.int64)
    bsa10 = np.zeros(n_rows, dtype=np.int64)
    occ = schedule.occurred
    visit, subj = schedule.visit, schedule.subj
    w0, w12 = design.visit_index("Week 0"), design.visit_index("Week 12")
    weeks = np.array([v.week if v.week is not None else 0 for v in design.visits], dtype=float)
    n = len(cohort)

    # 1. Screening and Week 0: inclusion thresholds
    base = np.clip(rng.lognormal(np.log(27.0), 0.28, n), 17.5, 60.0)
    rows = np.flatnonzero(occ & (visit <= w0))
    target = base[subj[rows]] * np.where(visit[rows] == 0, rng.uniform(0.92, 1.12, len(rows)), 1.0)
    _fill(rows, target, lambda t, e, b: (e >= MIN_EASI10) & (b >= MIN_BSA10), rng,
          signs2, area, bsa10)
    base10 = np.zeros(n, dtype=np.int64)
    r0 = schedule.row_of[:, w0]
    base10[r0 >= 0] = easi10_of(signs2[r0[r0 >= 0]], area[r0[r0 >= 0]])

    # 2. Week 12: the planned responder status, with a margin around 50 %
    ratio12 = _ratio_targets(cohort.responder, rng)
    rows = np.flatnonzero(occ & (visit == w12))
    s_rows = subj[rows]
    resp = cohort.responder[s_rows]
    b10 = base10[s_rows]

    def status_ok(t, e, _b):
        return np.where(resp[t], 100 * e <= 48 * b10[t], 100 * e >= 52 * b10[t])

    def new_ratio(t):
        ratio12[s_rows[t]] = _ratio_targets(resp[t], rng)
        return base10[s_rows[t]] / 10.0 * ratio12[s_rows[t]]

    target = b10 / 10.0 * ratio12[s_rows]
    _fill(rows, target, status_ok, rng, signs2, area, bsa10, redraw_target=new_ratio)
    got = np.zeros(n)
    got[s_rows] = easi10_of(signs2[rows], area[rows]) / np.maximum(b10, 1)
    ratio12 = np.where(got > 0, got, ratio12)

    # 3. other post-baseline visits: a trajectory through the week-12 value
    rows = np.flatnonzero(occ & (visit > w0) & (visit != w12))
    s_rows2 = subj[rows]
    wk = weeks[visit[rows]]
    r12 = ratio12[s_rows2]
    early = 1.0 - (1.0 - r12) * (np.minimum(wk, 12.0) / 12.0) ** 0.6
    late_factor = np.where(cohort.responder[s_rows2], rng.uniform(0.75, 1.05, len(rows)),
                           rng.uniform(0.85, 1.10, len(rows)))
    ratio = np.where(wk <= 12, early * np.exp(rng.normal(0.0, 0.08, len(rows))), r12 * late_factor)
    ratio = np.clip(ratio, 0.02, 1.4)
    b10r = base10[s_rows2]

    def off_thresholds(t, e, _b):
        gap = np.abs(100 * e[:, None] - np.array([50, 25, 10])[None, :] * b10r[t, None])
        return (gap >= b10r[t, None]).all(axis=1)

    _fill(rows, b10r / 10.0 * ratio, off_thresholds, rng, signs2, area, bsa10)

    easi10 = easi10_of(signs2, area)
    iga = _iga(easi10, rng)
    at_baseline = visit <= w0
    iga[at_baseline] = np.maximum(iga[at_baseline], MIN_IGA)
    iga[~occ] = -1
    return Skin(signs2=signs2, area=area, easi10=easi10, bsa10=bsa10, iga=iga)
