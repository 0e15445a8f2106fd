"""Adverse events: drawn per subject, plus the ones the design places on purpose.

Placed on purpose: the reaction that interrupted an infusion (same day, ``Drug interrupted``), the
serious but not related events, at least one severe event and at least one start date with an
unknown day and month.  Dates stay within each subject's time in the study; an event still going
on at the subject's last visit has no end date and ``AEONGO`` ``Yes``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .ae_terms import GENERAL, INFUSION, SERIOUS, TERMS
from .calendar import MISSING
from .design import Design, scaled
from .exposure import Exposure
from .schedule import Schedule
from .subjects import NONE, Cohort

SEVERITY = np.array(["Mild", "Moderate", "Severe"], dtype=object)
RELATION = np.array(["Not related", "Unlikely related", "Possibly related", "Related"],
                    dtype=object)
OUTCOME = np.array(["Recovered/Resolved", "Recovering/Resolving", "Not recovered/Not resolved",
                    "Recovered/Resolved with sequelae"], dtype=object)
ACTION_NONE = "Dose not changed"
ACTION_INTERRUPTED = "Drug interrupted"
ACTION_NA = "Not applicable"
TYPOS = (("Headache", "Haedache"), ("Nasopharyngitis", "nasopharingitis"))  # always on the log
KIND = np.array([t.kind for t in TERMS], dtype=object)
LLT = np.array([t.llt for t in TERMS], dtype=object)


@dataclass
class AdverseEvents:
    subj: np.ndarray
    term: np.ndarray          # index into TERMS
    verbatim: np.ndarray
    start: np.ndarray         # ordinal
    end: np.ndarray           # ordinal, MISSING if ongoing
    start_precision: np.ndarray  # 0 full, 1 unknown day, 2 unknown day and month
    end_precision: np.ndarray
    severity: np.ndarray      # 0..2
    serious: np.ndarray       # bool
    relation: np.ndarray      # 0..3
    action: np.ndarray        # text
    outcome: np.ndarray       # 0..3
    irr: np.ndarray           # bool
    spid: np.ndarray          # line number per subject


def _choose(p: np.ndarray, u: np.ndarray) -> np.ndarray:
    return np.minimum(np.searchsorted(np.cumsum(p), u * p.sum(), side="right"), len(p) - 1)


def _draw_terms(arm: np.ndarray, placebo: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    weight = np.array([t.weight if t.kind != SERIOUS else 0.0 for t in TERMS])
    weight_placebo = np.where(KIND == INFUSION, weight * 0.4, weight)
    u = rng.random(len(arm))
    on_placebo = placebo[arm]
    return np.where(on_placebo, _choose(weight_placebo, u), _choose(weight, u))


def _term_index(llt: str) -> int:
    return int(np.flatnonzero(LLT == llt)[0])


def _ensure_typos(term: np.ndarray, verbatim: np.ndarray, plain: np.ndarray,
                  rng: np.random.Generator) -> None:
    """Make sure each of the :data:`TYPOS` is on the log at least once (in place)."""
    free = list(rng.permutation(plain))
    for llt, typo in TYPOS:
        if (verbatim == typo).any():
            continue
        same = np.flatnonzero(LLT[term] == llt)
        if len(same):
            verbatim[rng.choice(same)] = typo
        elif free:
            i = free.pop()
            term[i], verbatim[i] = _term_index(llt), typo


def build_adverse_events(design: Design, cohort: Cohort, schedule: Schedule, exposure: Exposure,
                         published: bool, rng: np.random.Generator) -> AdverseEvents:
    n = len(cohort)
    rate = np.array([a.ae_rate for a in design.arms])[cohort.arm]
    placebo = np.array([a.dose == 0 for a in design.arms])
    counts = rng.poisson(rate)
    subj = np.repeat(np.arange(n), counts)
    term = _draw_terms(cohort.arm[subj], placebo, rng)
    m = len(subj)
    lo, hi = cohort.day1, schedule.last_date
    n_inf = (exposure.dates != MISSING).sum(axis=1)

    # onset: infusion reactions on an infusion day or the day after, others any time
    pick = np.floor(rng.random(m) * np.maximum(n_inf[subj], 1)).astype(np.int64)
    infusion_day = exposure.dates[subj, pick] + (rng.random(m) < 0.3)
    anytime = lo[subj] + np.floor(rng.random(m) * (hi[subj] - lo[subj] + 1)).astype(np.int64)
    is_infusion = KIND[term] == INFUSION
    start = np.minimum(np.where(is_infusion, infusion_day, anytime), hi[subj])
    duration = np.where(is_infusion, rng.geometric(0.6, m) - 1,
                        np.minimum(rng.geometric(0.12, m), 60))
    severity = _choose(np.array([0.67, 0.30, 0.03]), rng.random(m))
    relation = np.where(is_infusion, _choose(np.array([0.0, 0.15, 0.5, 0.35]), rng.random(m)),
                        _choose(np.array([0.55, 0.30, 0.15, 0.0]), rng.random(m)))
    serious = np.zeros(m, dtype=bool)
    interrupt = np.zeros(m, dtype=bool)

    # the reaction that interrupted an infusion
    rows = np.flatnonzero(exposure.interrupted)
    chills = _term_index("Chills")
    extra_subj = [exposure.subj[rows]]
    extra = dict(term=[np.full(len(rows), chills)], start=[exposure.date[rows]],
                 duration=[np.zeros(len(rows), dtype=np.int64)],
                 severity=[np.ones(len(rows), dtype=np.int64)],
                 relation=[np.full(len(rows), 2)], serious=[np.zeros(len(rows), bool)],
                 interrupt=[np.ones(len(rows), bool)])

    # serious, not related events
    k = design.serious_aes if published else scaled(design.serious_aes, n, design.published_n)
    pool = np.flatnonzero(cohort.special == NONE)
    who = rng.choice(pool, size=min(k, len(pool)), replace=False)
    serious_terms = np.flatnonzero(KIND == SERIOUS)
    extra_subj.append(who)
    extra["term"].append(serious_terms[np.arange(len(who)) % len(serious_terms)])
    room = np.maximum(hi[who] - lo[who] - 14, 1)
    extra["start"].append(lo[who] + np.floor(rng.random(len(who)) * room).astype(np.int64))
    extra["duration"].append(rng.integers(5, 15, len(who)))
    extra["severity"].append(np.full(len(who), 2))
    extra["relation"].append(np.zeros(len(who), dtype=np.int64))
    extra["serious"].append(np.ones(len(who), bool))
    extra["interrupt"].append(np.zeros(len(who), bool))

    subj = np.concatenate([subj, *extra_subj])
    term = np.concatenate([term, *extra["term"]])
    start = np.concatenate([start, *extra["start"]])
    duration = np.concatenate([duration, *extra["duration"]])
    severity = np.concatenate([severity, *extra["severity"]])
    relation = np.concatenate([relation, *extra["relation"]])
    serious = np.concatenate([serious, *extra["serious"]])
    interrupt = np.concatenate([interrupt, *extra["interrupt"]])
    m = len(subj)

    # at least one severe event that is not serious
    plain = np.flatnonzero(~serious & ~interrupt & (KIND[term] == GENERAL))
    if len(plain) and not (severity[plain] == 2).any():
        severity[rng.choice(plain)] = 2

    end = start + duration
    ongoing = end > hi[subj]
    if len(plain) and not ongoing.any():   # at least one event still going on at the last visit
        ongoing[plain[np.argmax(start[plain] - hi[subj[plain]])]] = True
    end = np.where(ongoing, MISSING, end)
    last_dose = exposure.dates.max(axis=1)
    action = np.where(start <= last_dose[subj], ACTION_NONE, ACTION_NA).astype(object)
    action[interrupt] = ACTION_INTERRUPTED
    outcome = np.where(ongoing, np.where(rng.random(m) < 0.5, 1, 2),
                       np.where((rng.random(m) < 0.04) & (KIND[term] == GENERAL), 3, 0))

    start_precision = np.where((rng.random(m) < 0.06) & (KIND[term] == GENERAL), 1, 0)
    end_precision = np.where((rng.random(m) < 0.04) & ~ongoing, 1, 0)
    if len(plain) and not (start_precision == 1).any():
        start_precision[rng.choice(plain)] = 1
    candidates = np.flatnonzero((KIND[term] == GENERAL) & (start_precision == 0))
    n_year_only = max(1, int(round(0.005 * m)))
    if len(candidates):
        start_precision[rng.choice(candidates, size=min(n_year_only, len(candidates)),
                                   replace=False)] = 2

    verbatim_pick = rng.random(m)
    verbatim = np.array([TERMS[t].verbatims[int(u * len(TERMS[t].verbatims))]
                         for t, u in zip(term.tolist(), verbatim_pick.tolist())], dtype=object)
    _ensure_typos(term, verbatim, plain, rng)

    order = np.lexsort((term, start, subj))
    first = np.r_[True, subj[order][1:] != subj[order][:-1]]
    pos = np.arange(m)
    spid = pos - np.maximum.accumulate(np.where(first, pos, 0)) + 1
    take = lambda a: a[order]  # noqa: E731
    return AdverseEvents(
        subj=take(subj), term=take(term), verbatim=take(verbatim), start=take(start),
        end=take(end), start_precision=take(start_precision), end_precision=take(end_precision),
        severity=take(severity), serious=take(serious), relation=take(relation),
        action=take(action), outcome=take(outcome), irr=take(KIND[term] == INFUSION), spid=spid)
