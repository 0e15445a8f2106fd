"""The randomised subjects: identifiers, sites, arms, key dates, demographics and planned status.

A :class:`Cohort` holds one numpy array per subject attribute, all in the same order: sorted by
subject identifier, which is the row order of every form.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields

import numpy as np

from .calendar import ordinal
from .design import Design, scaled

NONE = -1


@dataclass
class Cohort:
    site: np.ndarray         # site number, 1-based
    subject: np.ndarray      # "03-012"
    arm: np.ndarray          # index into Design.arms
    day1: np.ndarray         # ordinal of Week 0 (first infusion)
    randdat: np.ndarray
    screen: np.ndarray       # ordinal of the screening visit
    consent: np.ndarray
    birth: np.ndarray        # ordinal of the date of birth (age 19 or more at consent)
    randno: np.ndarray
    pinned: np.ndarray       # the last subject dosed: visits exactly on target days
    special: np.ndarray      # index into the arm's specials, NONE if regular
    responder: np.ndarray    # EASI-50 at week 12 (latent for subjects without a week-12 value)
    evaluable: np.ndarray    # has a week-12 EASI
    weight: np.ndarray       # body weight, kg (for the infused volume)

    def __len__(self) -> int:
        return len(self.subject)

    def reorder(self, order: np.ndarray) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name)[order])


def _enrolment_days(design: Design, n: int, rng: np.random.Generator) -> np.ndarray:
    first, last = ordinal(design.first_day1), ordinal(design.last_day1)
    days = np.sort(rng.integers(first, last + 1, size=n))
    days[0] = first
    if n > 1:
        days[-1] = last
    return days


def _arms(n: int, rng: np.random.Generator) -> np.ndarray:
    """Permuted blocks of four (two of each arm) in randomisation order."""
    blocks = np.tile(np.array([0, 0, 1, 1]), (-(-n // 4), 1))
    return rng.permuted(blocks, axis=1).ravel()[:n]


def _sites(n_sites: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """Site of each subject: every site enrols at least one when there are enough subjects."""
    weights = rng.dirichlet(np.full(n_sites, 3.0))
    first = np.arange(min(n, n_sites))
    rest = rng.choice(n_sites, size=n - len(first), p=weights)
    return rng.permutation(np.concatenate([first, rest])) + 1


def _birth_dates(consent: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Dates of birth giving an age of 19 to 64 at consent."""
    n = len(consent)
    age = 19 + np.minimum(np.floor(rng.gamma(2.0, 6.0, n)), 45).astype(np.int64)
    back = rng.integers(0, 365, n)
    out = np.empty(n, dtype=np.int64)
    for i, (c, a, b) in enumerate(zip(consent.tolist(), age.tolist(), back.tolist())):
        d = dt.date.fromordinal(c)
        anniversary = d.replace(year=d.year - a, day=28 if (d.month, d.day) == (2, 29) else d.day)
        out[i] = anniversary.toordinal() - b
    return out


def _subject_ids(site: np.ndarray, consent: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``SS-NNN``: numbered per site in order of consent, with gaps left by screen failures."""
    n = len(site)
    order = np.lexsort((np.arange(n), consent, site))
    step = 1 + (rng.random(n) < 0.15)
    s_sorted = site[order]
    csum = np.cumsum(step)
    start = np.r_[True, s_sorted[1:] != s_sorted[:-1]]
    base = np.maximum.accumulate(np.where(start, csum - step, 0))
    number = np.empty(n, dtype=np.int64)
    number[order] = csum - base
    width = max(3, len(str(int(number.max()))))
    return np.array([f"{s:02d}-{k:0{width}d}" for s, k in zip(site.tolist(), number.tolist())],
                    dtype=object)


def _specials(design: Design, arm: np.ndarray, pinned: np.ndarray, published: bool,
              rng: np.random.Generator) -> np.ndarray:
    """Pick the subjects with planned irregularities, distinct, never the last subject dosed."""
    special = np.full(len(arm), NONE, dtype=np.int64)
    for a, spec in enumerate(design.arms):
        members = np.flatnonzero(arm == a)
        candidates = rng.permutation(members[~pinned[members]])
        k = 0
        for i, _ in enumerate(spec.specials):
            count = 1 if published else scaled(1, len(members), spec.n)
            chosen = candidates[k:k + count]
            special[chosen] = i
            k += len(chosen)
    return special


def _misses_week12(design: Design, arm: np.ndarray, special: np.ndarray) -> np.ndarray:
    out = np.zeros(len(arm), dtype=bool)
    for a, spec in enumerate(design.arms):
        for i, s in enumerate(spec.specials):
            if spec.misses_week12(s, design.visits):
                out[(arm == a) & (special == i)] = True
    return out


def _responders(design: Design, arm: np.ndarray, evaluable: np.ndarray, published: bool,
                rng: np.random.Generator) -> np.ndarray:
    """Exactly the published (or proportionally scaled) number of responders per arm."""
    responder = np.zeros(len(arm), dtype=bool)
    for a, spec in enumerate(design.arms):
        pool = np.flatnonzero((arm == a) & evaluable)
        e_pub = spec.evaluable(design.visits)
        count = spec.responders if published else scaled(spec.responders, len(pool), e_pub)
        responder[rng.choice(pool, size=min(count, len(pool)), replace=False)] = True
        # subjects without a week-12 value still follow a trajectory: draw it at the arm's rate
        other = np.flatnonzero((arm == a) & ~evaluable)
        responder[other] = rng.random(len(other)) < spec.responders / e_pub
    return responder


def build_cohort(design: Design, n: int, published: bool, rng: np.random.Generator) -> Cohort:
    day1 = _enrolment_days(design, n, rng)
    randdat = day1 - rng.integers(0, 2, size=n)
    screen = day1 - rng.integers(2, 29, size=n)
    consent = screen - rng.integers(1, 6, size=n)
    birth = _birth_dates(consent, rng)
    arm = _arms(n, rng)
    site = _sites(design.n_sites, n, rng)
    subject = _subject_ids(site, consent, rng)
    randno = np.array([str(1001 + i) for i in range(n)], dtype=object)  # day1 order = rand order
    pinned = np.zeros(n, dtype=bool)
    pinned[-1] = design.end is not None
    special = _specials(design, arm, pinned, published, rng)
    evaluable = ~_misses_week12(design, arm, special)
    responder = _responders(design, arm, evaluable, published, rng)
    weight = np.round(rng.normal(66.0, 11.0, size=n).clip(45.0, 110.0), 1)
    cohort = Cohort(site=site, subject=subject, arm=arm, day1=day1, randdat=randdat, screen=screen,
                    consent=consent, birth=birth, randno=randno, pinned=pinned, special=special,
                    responder=responder, evaluable=evaluable, weight=weight)
    cohort.reorder(np.argsort(subject, kind="stable"))
    return cohort


def special_kind(design: Design, cohort: Cohort) -> np.ndarray:
    """The kind of irregularity of each subject (``""`` if none)."""
    kind = np.full(len(cohort), "", dtype=object)
    for a, spec in enumerate(design.arms):
        for i, s in enumerate(spec.specials):
            kind[(cohort.arm == a) & (cohort.special == i)] = s.kind
    return kind


def special_field(design: Design, cohort: Cohort, name: str, default) -> np.ndarray:
    """An attribute of each subject's :class:`~.design.Special` (``default`` if none)."""
    out = np.empty(len(cohort), dtype=object)
    for i in range(len(cohort)):
        out[i] = default
    for a, spec in enumerate(design.arms):
        for i, s in enumerate(spec.specials):
            for j in np.flatnonzero((cohort.arm == a) & (cohort.special == i)):
                out[j] = getattr(s, name)
    return out

