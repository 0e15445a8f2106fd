"""Seeded synthetic raw data of HTN201, the second bundled example study (see ``design``).

``generate_study`` draws the study as its raw forms; ``write_study`` writes them (CSV today; the
format of each form is ``forms.FORMATS``).  The same seed and size give byte-identical files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ...errors import UsageError
from ..writer import write_forms
from . import design, forms
from .draw import (draw_adverse_events, draw_cohort, draw_exposure, draw_labs, draw_schedule,
                   draw_vitals)

STUDY = design.STUDY
DEFAULT_SEED = 201
FORMS = forms.FORMS

__all__ = ["STUDY", "DEFAULT_SEED", "FORMS", "generate_study", "write_study"]


def generate_study(*, seed: int = DEFAULT_SEED,
                   n_subjects: int | None = None) -> dict[str, pd.DataFrame]:
    """The raw forms of HTN201: form name -> table of text cells (default 56 screened)."""
    n = design.SCREENED if n_subjects is None else n_subjects
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise UsageError("the number of subjects must be a whole number, at least 2",
                         key="n_subjects", value=n)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise UsageError("the seed must be a whole number, 0 or more", key="seed", value=seed)
    rng = np.random.default_rng(int(seed))
    study = draw_schedule(rng, draw_cohort(rng, int(n)))
    exposure = draw_exposure(study)
    vitals = draw_vitals(rng, study)
    labs = draw_labs(rng, study)
    aes = draw_adverse_events(rng, study)
    out = {"dm": forms.dm_form(study), "ie": forms.ie_form(study), "rand": forms.rand_form(study),
           "ex": forms.ex_form(study, exposure), "ae": forms.ae_form(study, aes),
           "vs": forms.vs_form(study, vitals), "lb": forms.lb_form(study, labs),
           "sv": forms.sv_form(study), "ds": forms.ds_form(study)}
    return {name: out[name] for name in FORMS}


def write_study(out_dir: Path, *, seed: int = DEFAULT_SEED,
                n_subjects: int | None = None) -> list[Path]:
    """Generate HTN201 and write ``out_dir/<form>.csv`` for each form; return the paths."""
    tables = generate_study(seed=seed, n_subjects=n_subjects)
    bad = {f for f, fmt in forms.FORMATS.items() if fmt != "csv"}
    if bad:
        raise UsageError(f"no writer for forms {sorted(bad)} yet")
    return write_forms(Path(out_dir), tables)
