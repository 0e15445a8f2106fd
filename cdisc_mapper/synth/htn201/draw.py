"""Draw HTN201: the subjects, their visits, doses, measurements and adverse events.

Everything is drawn from one ``numpy`` generator in a fixed order, so a seed and a size always give
the same study.  Days are ``datetime.date`` ordinals; clock times are minutes after midnight.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from . import design as D

# subject fates
SCREEN_FAILURE, NOT_TREATED, COMPLETED, AE_STOP, LOST = range(5)


@dataclass
class Cohort:
    site: np.ndarray             # site code text
    subject: np.ndarray          # "101-004"
    consent: np.ndarray          # ordinal
    screening: np.ndarray        # ordinal of the screening visit
    day1: np.ndarray             # ordinal of Day 1 (randomisation and first dose)
    fate: np.ndarray
    arm: np.ndarray              # index into ARMS; -1 when not randomised
    randno: np.ndarray
    birth: np.ndarray            # ordinal
    age: np.ndarray              # completed years at consent
    birth_partial: np.ndarray    # only the year was recorded
    sex: np.ndarray              # "M" / "F"
    race: np.ndarray
    ethnic: np.ndarray
    criterion: np.ndarray        # screen failures: index into SCREEN_FAIL_CRITERIA, else -1

    def __len__(self) -> int:
        return len(self.subject)


@dataclass
class Schedule:
    """One row per subject and visit that took place."""

    subj: np.ndarray
    visit: np.ndarray            # index into VISITS
    date: np.ndarray             # ordinal
    dose_time: np.ndarray        # minutes; the clinic dose on dosing visits


@dataclass
class Study:
    cohort: Cohort
    schedule: Schedule
    last_dose: np.ndarray        # ordinal per subject; 0 when never dosed
    end: np.ndarray              # ordinal of the disposition event per subject


def _ages(rng: np.random.Generator, consent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(consent)
    days_old = rng.integers(35 * 365, 76 * 365, n)
    birth = consent - days_old
    age = np.array([_completed_years(dt.date.fromordinal(int(b)), dt.date.fromordinal(int(c)))
                    for b, c in zip(birth, consent)], dtype=np.int64)
    return birth, age


def _completed_years(birth: dt.date, at: dt.date) -> int:
    return at.year - birth.year - ((at.month, at.day) < (birth.month, birth.day))


def draw_cohort(rng: np.random.Generator, n: int) -> Cohort:
    n_sf = int(round(n * D.SCREEN_FAILURES / D.SCREENED)) if n >= 4 else 0
    n_nt = D.NOT_TREATED if n - n_sf >= 4 else 0
    site_ix = rng.choice(len(D.SITES), n, p=D.SITE_SHARE)
    consent = D.FIRST_CONSENT.toordinal() + np.sort(rng.integers(0, D.ENROLMENT_DAYS, n))
    site = np.array(D.SITES, dtype=object)[site_ix]
    number = np.zeros(n, dtype=np.int64)
    for s in range(len(D.SITES)):
        hit = np.flatnonzero(site_ix == s)
        number[hit] = np.arange(1, len(hit) + 1)
    subject = np.array([f"{a}-{b:03d}" for a, b in zip(site, number)], dtype=object)
    screening = consent + rng.integers(0, 3, n)
    day1 = screening + rng.integers(7, 15, n)
    fate = np.full(n, COMPLETED)
    order = rng.permutation(n)
    fate[order[:n_sf]] = SCREEN_FAILURE
    fate[order[n_sf:n_sf + n_nt]] = NOT_TREATED
    if n - n_sf - n_nt >= 6:
        fate[order[n_sf + n_nt]] = AE_STOP
        fate[order[n_sf + n_nt + 1]] = LOST
    randomised = np.flatnonzero(fate != SCREEN_FAILURE)
    arm = np.full(n, -1)
    blocks = np.concatenate([rng.permutation([0, 1, 0, 1]) for _ in range(len(randomised) // 4 + 1)])
    arm[randomised] = blocks[:len(randomised)]
    randno = np.full(n, "", dtype=object)
    randno[randomised] = [f"R{1000 + i + 1}" for i in range(len(randomised))]
    birth, age = _ages(rng, consent)
    sex = np.where(rng.random(n) < 0.52, "M", "F").astype(object)
    race = rng.choice(np.array(["White", "Black or African American", "Asian", "Other"],
                               dtype=object), n, p=[0.6, 0.27, 0.1, 0.03])
    ethnic = np.where(rng.random(n) < 0.16, "Hispanic or Latino",
                      "Not Hispanic or Latino").astype(object)
    criterion = np.full(n, -1)
    sf = np.flatnonzero(fate == SCREEN_FAILURE)
    criterion[sf] = rng.choice(len(D.SCREEN_FAIL_CRITERIA), len(sf), p=[0.6, 0.25, 0.15])
    return Cohort(site=site, subject=subject, consent=consent, screening=screening, day1=day1,
                  fate=fate, arm=arm, randno=randno, birth=birth, age=age,
                  birth_partial=rng.random(n) < 0.1, sex=sex, race=race, ethnic=ethnic,
                  criterion=criterion)


def draw_schedule(rng: np.random.Generator, c: Cohort) -> Study:
    """The visits each subject attended, the last dose and the disposition date."""
    n = len(c)
    planned = np.array([v.day for v in D.VISITS])
    jitter = np.array([v.jitter for v in D.VISITS])
    dates = (c.day1[:, None] + planned[None, :] - 1
             + rng.integers(-jitter, jitter + 1, (n, len(D.VISITS))))
    dates[:, 0] = c.screening
    attended = np.ones((n, len(D.VISITS)), dtype=bool)
    attended[c.fate == SCREEN_FAILURE, 1:] = False
    attended[c.fate == NOT_TREATED, 2:] = False
    attended[c.fate == AE_STOP, 4:] = False
    attended[c.fate == LOST, 5:] = False
    completers = np.flatnonzero(c.fate == COMPLETED)
    if len(completers) >= 10:                       # one completer missed the week-8 visit
        attended[rng.choice(completers), 4] = False
    last_dose = np.zeros(n, dtype=np.int64)
    end = np.zeros(n, dtype=np.int64)
    for i in range(n):
        f = c.fate[i]
        if f == SCREEN_FAILURE:
            end[i] = c.screening[i] + rng.integers(3, 11)
        elif f == NOT_TREATED:
            end[i] = c.day1[i]
        elif f == AE_STOP:
            last_dose[i] = dates[i, 3] + rng.integers(5, 15)
            end[i] = last_dose[i] + rng.integers(1, 4)
        elif f == LOST:
            last_dose[i] = dates[i, 4] + rng.integers(10, 25)
            end[i] = dates[i, 4]
        else:
            last_dose[i] = dates[i, D.WEEK12]
            end[i] = dates[i, D.FOLLOW_UP]
    subj, visit = np.nonzero(attended)
    dose_time = 8 * 60 + rng.integers(-30, 60, len(subj))
    schedule = Schedule(subj=subj, visit=visit, date=dates[subj, visit], dose_time=dose_time)
    return Study(cohort=c, schedule=schedule, last_dose=last_dose, end=end)


@dataclass
class Exposure:
    subj: np.ndarray
    start: np.ndarray            # ordinal
    end: np.ndarray
    start_time: np.ndarray       # minutes (the clinic dose)
    visit: np.ndarray            # the dispensing visit


def draw_exposure(s: Study) -> Exposure:
    """One dosing record per dispensing interval: from a dispensing visit to the day before the
    next one (or the last dose)."""
    sc, c = s.schedule, s.cohort
    dispensing = {D.DAY1, 2, 3, 4}
    rows = [i for i in range(len(sc.subj))
            if sc.visit[i] in dispensing and c.fate[sc.subj[i]] not in (SCREEN_FAILURE, NOT_TREATED)]
    subj = sc.subj[rows]
    start = sc.date[rows]
    end = np.empty(len(rows), dtype=np.int64)
    for k in range(len(rows)):
        later = [j for j in range(k + 1, len(rows)) if subj[j] == subj[k]]
        end[k] = start[later[0]] - 1 if later else s.last_dose[subj[k]]
    return Exposure(subj=subj, start=start, end=end, start_time=sc.dose_time[rows],
                    visit=sc.visit[rows])


@dataclass
class Vitals:
    """One row per vital-signs page: subject, visit row of the schedule, time point (0 none,
    1 pre-dose, 2 post-dose) and the values (NaN = not measured on this row)."""

    row: np.ndarray              # index into the schedule
    tpt: np.ndarray
    time: np.ndarray
    sysbp: np.ndarray
    diabp: np.ndarray
    pulse: np.ndarray
    temp_f: np.ndarray
    weight_lb: np.ndarray
    height_in: np.ndarray
    reason: np.ndarray           # why a measurement on this row was not done


def draw_vitals(rng: np.random.Generator, s: Study) -> Vitals:
    c, sc = s.cohort, s.schedule
    n = len(c)
    base_sbp = np.clip(rng.normal(152, 9, n), 141, 178)
    base_sbp[c.criterion == 0] = rng.uniform(131, 139, n)[c.criterion == 0]
    base_dbp = np.clip(rng.normal(94, 6, n), 80, 109)
    base_hr = rng.normal(74, 8, n)
    weight = np.clip(rng.normal(195, 35, n), 120, 320)
    height = np.where(c.sex == "M", rng.normal(69.2, 2.9, n), rng.normal(63.8, 2.7, n))
    drop_s = np.array([D.ARMS[a].sbp_drop if a >= 0 else 0 for a in c.arm])
    drop_d = np.array([D.ARMS[a].dbp_drop if a >= 0 else 0 for a in c.arm])
    rows, tpts = [], []
    for r in range(len(sc.subj)):
        if c.fate[sc.subj[r]] == NOT_TREATED and sc.visit[r] != 0:
            continue
        if D.VISITS[sc.visit[r]].timepoints:
            rows += [r, r]
            tpts += [1, 2]
        else:
            rows.append(r)
            tpts.append(0)
    row, tpt = np.array(rows), np.array(tpts)
    subj = sc.subj[row]
    day = np.array([D.VISITS[v].day for v in sc.visit[row]])
    on = (day > 1) | (tpt == 2)
    effect = np.where(on, 1 - np.exp(-np.maximum(day, 1) / 14.0), 0.0)
    effect[sc.visit[row] == D.FOLLOW_UP] *= 0.4
    post = (tpt == 2) * 3.0
    m = len(row)
    sysbp = np.rint(base_sbp[subj] - drop_s[subj] * effect - post + rng.normal(0, 6, m))
    diabp = np.rint(base_dbp[subj] - drop_d[subj] * effect - post / 2 + rng.normal(0, 4, m))
    pulse = np.rint(base_hr[subj] + rng.normal(0, 4, m) + (tpt == 2) * 2)
    first_row = tpt != 2
    temp = np.where(first_row, np.round(rng.normal(98.2, 0.35, m), 1), np.nan)
    wt = np.where(first_row, np.round(weight[subj] + rng.normal(0, 1.5, m), 1), np.nan)
    ht = np.where(sc.visit[row] == 0, np.round(height[subj]), np.nan)
    time = np.where(tpt == 2, sc.dose_time[row] + 120 + rng.integers(-10, 11, m),
                    sc.dose_time[row] - rng.integers(15, 40, m))
    reason = np.full(m, "", dtype=object)
    treated = np.flatnonzero((c.fate[subj] != SCREEN_FAILURE) & (sc.visit[row] > 1) & first_row)
    if len(treated) >= 6:
        bp_nd, wt_nd = rng.choice(treated, 3, replace=False)[:2], rng.choice(treated, 1)
        sysbp[bp_nd] = diabp[bp_nd] = np.nan
        reason[bp_nd] = "Equipment malfunction"
        wt_nd = wt_nd[~np.isin(wt_nd, bp_nd)]
        wt[wt_nd] = np.nan
        reason[wt_nd] = "Scale not available"
    return Vitals(row=row, tpt=tpt, time=time, sysbp=sysbp, diabp=diabp, pulse=pulse,
                  temp_f=temp, weight_lb=wt, height_in=ht, reason=reason)


@dataclass
class Labs:
    """One row per test per sample; value NaN when the sample could not be analysed."""

    row: np.ndarray              # index into the schedule
    test: np.ndarray             # index into LAB_TESTS
    value: np.ndarray
    time: np.ndarray
    comment: np.ndarray
    accession: np.ndarray


def draw_labs(rng: np.random.Generator, s: Study) -> Labs:
    c, sc = s.cohort, s.schedule
    drawn = np.flatnonzero([D.VISITS[v].labs and not (c.fate[j] == NOT_TREATED and v != 0)
                            for v, j in zip(sc.visit, sc.subj)])
    t = len(D.LAB_TESTS)
    mean = np.array([x.mean for x in D.LAB_TESTS])
    sd = np.array([x.sd for x in D.LAB_TESTS])
    level = mean[None, :] + rng.normal(0, 1, (len(c), t)) * sd[None, :] * 0.8
    row = np.repeat(drawn, t)
    test = np.tile(np.arange(t), len(drawn))
    value = level[sc.subj[row], test] + rng.normal(0, 1, len(row)) * sd[test] * 0.5
    value = np.maximum(value, mean[test] * 0.2)
    decimals = np.array([x.decimals for x in D.LAB_TESTS])
    value = np.array([round(v, int(d)) for v, d in zip(value, decimals[test])])
    comment = np.full(len(row), "", dtype=object)
    potassium = np.flatnonzero(test == 2)
    if len(potassium) >= 20:
        bad = rng.choice(potassium, 2, replace=False)
        value[bad] = np.nan
        comment[bad] = "Specimen hemolyzed"
    sample_time = sc.dose_time[drawn] - rng.integers(30, 60, len(drawn))
    accession = np.array([f"A{7300000 + 17 * i + 3:07d}" for i in range(len(drawn))], dtype=object)
    return Labs(row=row, test=test, value=value, time=np.repeat(sample_time, t),
                comment=comment, accession=np.repeat(accession, t))


@dataclass
class AdverseEvents:
    subj: np.ndarray
    spid: np.ndarray
    term: np.ndarray             # index into AE_TERMS
    verbatim: np.ndarray
    start: np.ndarray            # ordinal
    end: np.ndarray              # ordinal; 0 when ongoing
    start_precision: np.ndarray  # 0 full, 1 day unknown
    end_precision: np.ndarray    # 0 full, 2 day and month unknown
    severity: np.ndarray
    serious: np.ndarray
    relation: np.ndarray
    action: np.ndarray


def draw_adverse_events(rng: np.random.Generator, s: Study) -> AdverseEvents:
    c = s.cohort
    weights = np.array([t.weight for t in D.AE_TERMS])
    treated = np.flatnonzero(s.last_dose > 0)
    counts = rng.poisson(np.where(c.arm[treated] == 1, 1.4, 1.0))
    subj = np.repeat(treated, counts)
    m = len(subj)
    term = rng.choice(len(D.AE_TERMS), m, p=weights / weights.sum())
    span = s.end[subj] - c.day1[subj] + 1
    start = c.day1[subj] + (rng.random(m) * span).astype(np.int64)
    end = start + rng.geometric(1 / 6, m)
    ongoing = end > s.end[subj]
    end[ongoing] = 0
    severity = rng.choice(3, m, p=[0.7, 0.25, 0.05])
    relation = rng.choice(4, m, p=[0.35, 0.25, 0.3, 0.1])
    action = np.full(m, "Dose Not Changed", dtype=object)
    serious = np.zeros(m, dtype=bool)
    stop = np.flatnonzero(c.fate == AE_STOP)
    if len(stop):                                   # the event that stopped treatment
        i = stop[0]
        subj = np.append(subj, i)
        term = np.append(term, 1)
        start = np.append(start, s.last_dose[i] - 2)
        end = np.append(end, s.end[i] + 9)
        ongoing = np.append(ongoing, False)
        severity = np.append(severity, 2)
        relation = np.append(relation, 3)
        action = np.append(action, "Drug Withdrawn")
        serious = np.append(serious, False)
        m += 1
    order = np.lexsort((start, subj))
    subj, term, start, end = subj[order], term[order], start[order], end[order]
    severity, relation, action, serious = (severity[order], relation[order], action[order],
                                           serious[order])
    spid = np.zeros(m, dtype=np.int64)
    for i in np.unique(subj):
        hit = np.flatnonzero(subj == i)
        spid[hit] = np.arange(1, len(hit) + 1)
    verbatim = np.array([D.AE_TERMS[t].verbatim[rng.integers(len(D.AE_TERMS[t].verbatim))]
                         for t in term], dtype=object)
    start_precision = (rng.random(m) < 0.08).astype(np.int64)
    end_precision = np.where((end > 0) & (rng.random(m) < 0.06), 2, 0)
    return AdverseEvents(subj=subj, spid=spid, term=term, verbatim=verbatim, start=start,
                         end=end, start_precision=start_precision, end_precision=end_precision,
                         severity=severity, serious=serious, relation=relation, action=action)
