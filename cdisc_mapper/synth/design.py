"""The design of the two studies of the hcMSC trial, as data.

Everything the generator needs to know about a study — sites, arms, doses, visits, the published
EASI-50 counts and the subjects with planned irregularities — is held here, so the other modules
only turn a :class:`Design` into rows.  The published facts are those of the trial publication
and its registry records.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# Kinds of planned irregularity (one subject each per arm in the published study).
WITHDRAWN = "withdrawn"      # stops attending after `visit` (inclusive); `infusions` were given
LOST = "lost"                # attends up to `visit`, misses the next visit, never comes back
MISSED = "missed"            # misses `visit` (VISOCCUR No) and continues
INTERRUPTED = "interrupted"  # infusion `infusions` is interrupted, for the reason `reason`


@dataclass(frozen=True)
class Visit:
    """A planned visit: name as in the EDC folder list, target week (Week 0 = day 1), window."""

    name: str
    week: int | None            # None for Screening
    window: int                 # +/- days around the target day
    infusion: int = 0           # number of the infusion planned at this visit, 0 if none
    responders_only: bool = False

    @property
    def day(self) -> int:
        return 1 + 7 * (self.week or 0)


@dataclass(frozen=True)
class Special:
    """A subject with a planned irregularity."""

    kind: str
    visit: str                  # see the kind constants above
    infusions: int = 3          # infusions received (WITHDRAWN, LOST) or the interrupted one
    reason: str = ""            # DSTERM (WITHDRAWN, LOST), VISREAS (MISSED) or INTRSN (INTERRUPTED)
    delay: tuple[int, int] = (0, 0)  # days from the last visit to the disposition date


@dataclass(frozen=True)
class Arm:
    code: str                   # TRTGRP as the IWRS sends it
    dose: int                   # planned dose, cells/kg; 0 for placebo
    volume_dose: int            # cells/kg the infused volume is based on (placebo matches active)
    n: int                      # subjects randomised in the published study
    responders: int             # EASI-50 responders at week 12 in the published study
    specials: tuple[Special, ...]
    ae_rate: float              # mean number of adverse events per subject

    def misses_week12(self, special: Special, visits: tuple[Visit, ...]) -> bool:
        names = [v.name for v in visits]
        w12 = names.index("Week 12")
        if special.kind == MISSED:
            return special.visit == "Week 12"
        if special.kind == WITHDRAWN:
            return names.index(special.visit) < w12
        return special.kind == LOST

    def evaluable(self, visits: tuple[Visit, ...]) -> int:
        """Subjects with a week-12 EASI in the published study."""
        return self.n - sum(self.misses_week12(s, visits) for s in self.specials)


@dataclass(frozen=True)
class Design:
    study: str
    seed_offset: int            # added to the seed so that each study has its own stream
    n_sites: int
    visits: tuple[Visit, ...]
    arms: tuple[Arm, Arm]
    first_day1: dt.date         # first subject dosed
    last_day1: dt.date          # last subject dosed
    end: dt.date | None         # last visit of the study, if stated
    protocol_versions: tuple[tuple[dt.date, str], ...]  # (in force from, version)
    serious_aes: int            # serious (not related) adverse events in the published study
    cells_per_ml: int = 1_000_000

    @property
    def published_n(self) -> int:
        return sum(a.n for a in self.arms)

    def visit_index(self, name: str) -> int:
        return [v.name for v in self.visits].index(name)


_P1_VISITS = (
    Visit("Screening", None, 0),
    Visit("Week 0", 0, 0, infusion=1),
    Visit("Week 2", 2, 2, infusion=2),
    Visit("Week 4", 4, 2, infusion=3),
    Visit("Week 8", 8, 3),
    Visit("Week 12", 12, 4),
    Visit("Week 16", 16, 7, responders_only=True),
    Visit("Week 24", 24, 7, responders_only=True),
)

_P2_VISITS = (
    Visit("Screening", None, 0),
    Visit("Week 0", 0, 0, infusion=1),
    Visit("Week 1", 1, 1, infusion=2),
    Visit("Week 2", 2, 1, infusion=3),
    Visit("Week 4", 4, 3),
    Visit("Week 8", 8, 3),
    Visit("Week 12", 12, 4),
    Visit("Week 16", 16, 7),
    Visit("Week 24", 24, 7),
)

PHASE1 = Design(
    study="ADT2002-P1",
    seed_offset=101,
    n_sites=6,
    visits=_P1_VISITS,
    arms=(
        Arm("A", 1_000_000, 1_000_000, n=10, responders=7, ae_rate=1.6, specials=(
            Special(INTERRUPTED, "Week 2", infusions=2, reason="Chills"),
            Special(MISSED, "Week 8", reason="Personal schedule conflict"),
        )),
        Arm("B", 500_000, 500_000, n=10, responders=6, ae_rate=1.4, specials=(
            Special(WITHDRAWN, "Week 2", infusions=1,
                    reason="Subject withdrew consent, did not want further infusions"),
        )),
    ),
    first_day1=dt.date(2020, 1, 14),
    last_day1=dt.date(2020, 7, 7),
    end=None,
    protocol_versions=((dt.date(2019, 1, 1), "1.0"), (dt.date(2020, 4, 1), "1.1")),
    serious_aes=1,
)

PHASE2 = Design(
    study="ADT2002-P2",
    seed_offset=202,
    n_sites=15,
    visits=_P2_VISITS,
    arms=(
        Arm("A", 500_000, 500_000, n=36, responders=15, ae_rate=1.3, specials=(
            Special(WITHDRAWN, "Week 8", infusions=3, reason="Withdrew consent (personal reasons)",
                    delay=(3, 20)),
            Special(MISSED, "Week 12", reason="Subject could not attend (COVID-19 quarantine)"),
            Special(INTERRUPTED, "Week 0", infusions=1, reason="Chills, mild fever"),
        )),
        Arm("B", 0, 500_000, n=36, responders=6, ae_rate=1.1, specials=(
            Special(WITHDRAWN, "Week 1", infusions=2, reason="Subject withdrew consent by phone",
                    delay=(2, 6)),
            Special(LOST, "Week 0", infusions=1,
                    reason="Lost to follow-up, no answer to 3 phone calls and a letter",
                    delay=(28, 35)),
            Special(MISSED, "Week 12", reason="Personal reasons"),
        )),
    ),
    first_day1=dt.date(2021, 2, 16),
    last_day1=dt.date(2022, 5, 11),   # its week 24 visit falls on the study completion date
    end=dt.date(2022, 10, 26),
    protocol_versions=((dt.date(2020, 10, 1), "2.0"), (dt.date(2021, 9, 1), "2.1")),
    serious_aes=2,
)

DESIGNS: dict[str, Design] = {d.study: d for d in (PHASE1, PHASE2)}


def scaled(count: int, n: int, n_published: int) -> int:
    """``count`` scaled from ``n_published`` to ``n`` subjects, rounded half up."""
    return (2 * count * n + n_published) // (2 * n_published)
