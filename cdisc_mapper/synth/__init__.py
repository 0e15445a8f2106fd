"""Seeded synthetic raw CRF data for the two studies of the hcMSC atopic-dermatitis trial.

``generate_study`` draws one study as CRF forms (see ``docs/raw-data.md`` for the layout);
``write_study`` writes them as CSV files.  With the published size (``n_subjects=None``) the data
reproduce the published results exactly, whatever the seed: the EASI-50 responders at week 12 are
chosen first and the scores drawn to match.  Any other size gives a study of the same structure
with similar rates.  The same study, seed and size always give byte-identical files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import UsageError
from .adverse_events import build_adverse_events
from .calendar import Calendar
from .design import DESIGNS, Design
from .easi import draw_skin
from .exposure import build_exposure
from .forms import FORMS, Drawn, build_forms
from .reported import draw_reported
from .schedule import build_schedule
from .subjects import build_cohort
from .writer import write_forms

STUDIES: tuple[str, ...] = ("ADT2002-P1", "ADT2002-P2")
DEFAULT_SEED: int = 2002

__all__ = ["STUDIES", "DEFAULT_SEED", "FORMS", "generate_study", "write_study"]


def _design(study: str) -> Design:
    if study not in DESIGNS:
        raise UsageError(f"unknown study; expected one of {', '.join(STUDIES)}",
                         key="study", value=study)
    return DESIGNS[study]


def _size(design: Design, n_subjects: int | None) -> tuple[int, bool]:
    if n_subjects is None:
        return design.published_n, True
    if isinstance(n_subjects, bool) or not isinstance(n_subjects, (int, np.integer)):
        raise UsageError("the number of subjects must be a whole number",
                         key="n_subjects", value=n_subjects)
    if n_subjects < 2:
        raise UsageError("the number of subjects must be at least 2",
                         key="n_subjects", value=int(n_subjects))
    return int(n_subjects), int(n_subjects) == design.published_n


def _rng(design: Design, seed: int) -> np.random.Generator:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise UsageError("the seed must be a whole number, 0 or more", key="seed", value=seed)
    return np.random.default_rng(int(seed) + design.seed_offset)


def generate_study(study: str, *, seed: int = DEFAULT_SEED,
                   n_subjects: int | None = None) -> dict[str, pd.DataFrame]:
    """The raw CRF forms of one study: form name (``dm``, ``ic``, …) -> table of text cells.

    ``n_subjects=None`` (or the published size) reproduces the published results exactly.
    Raises :class:`~cdisc_mapper.errors.UsageError` for an unknown study, fewer than 2 subjects
    or a negative seed.
    """
    design = _design(study)
    n, published = _size(design, n_subjects)
    rng = _rng(design, seed)
    cohort = build_cohort(design, n, published, rng)
    schedule = build_schedule(design, cohort, rng)
    exposure = build_exposure(design, cohort, schedule, rng)
    skin = draw_skin(design, cohort, schedule, rng)
    reported = draw_reported(design, cohort, schedule, published, rng)
    aes = build_adverse_events(design, cohort, schedule, exposure, published, rng)
    calendar = Calendar(int(cohort.birth.min()), int(schedule.ds_date.max()) + 1)
    drawn = Drawn(design=design, cohort=cohort, schedule=schedule, exposure=exposure, skin=skin,
                  reported=reported, aes=aes, calendar=calendar)
    return build_forms(drawn, rng)


def write_study(out_dir: Path, study: str, *, seed: int = DEFAULT_SEED,
                n_subjects: int | None = None) -> list[Path]:
    """Generate one study and write ``out_dir/<form>.csv`` for each form; return the paths."""
    forms = generate_study(study, seed=seed, n_subjects=n_subjects)
    return write_forms(Path(out_dir), forms)
