"""Seeded synthetic raw data of HTN201, the second bundled example study (see ``design``).

``generate_study`` draws the study as its raw forms; ``write_study`` writes each in the format
``forms.FORMATS`` gives it (CSV, the adverse events as ODM-XML, the exposure as SAS7BDAT).  The
same seed and size give byte-identical files.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from ...errors import UsageError
from ..rawfiles import write_odm, write_sas7bdat
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


FILE_NAMES = {"csv": "{}.csv", "odm": "{}.xml", "sas7bdat": "{}.sas7bdat"}


def export_time(tables: dict[str, pd.DataFrame]) -> dt.datetime:
    """When the EDC exported the data: midnight a week after the last disposition date."""
    last = pd.to_datetime(tables["ds"]["IT.DSSTDAT"], format="%m/%d/%Y").max()
    return (last + pd.Timedelta(days=7)).to_pydatetime()


def write_study(out_dir: Path, *, seed: int = DEFAULT_SEED,
                n_subjects: int | None = None) -> list[Path]:
    """Generate HTN201 and write each form into ``out_dir`` as ``forms.FORMATS`` says
    (``<form>.csv``, ``.xml`` or ``.sas7bdat``); return the paths in form order."""
    tables = generate_study(seed=seed, n_subjects=n_subjects)
    out_dir = Path(out_dir)
    bad = {f for f, fmt in forms.FORMATS.items() if fmt not in FILE_NAMES}
    if bad:
        raise UsageError(f"no writer for forms {sorted(bad)}")
    stamp = export_time(tables)
    csv = {n: t for n, t in tables.items() if forms.FORMATS[n] == "csv"}
    written = dict(zip(csv, write_forms(out_dir, csv)))
    for name, table in tables.items():
        fmt = forms.FORMATS[name]
        path = out_dir / FILE_NAMES[fmt].format(name)
        if fmt == "odm":
            event_oid, event, form_oid, form, group = forms.ODM_FORMS[name]
            written[name] = write_odm(path, table, study=STUDY, subject="Subject",
                                      site="SiteNumber", event=(event_oid, event),
                                      form=(form_oid, form), item_group=group, created=stamp)
        elif fmt == "sas7bdat":
            written[name] = write_sas7bdat(path, table, types=forms.SAS_TYPES.get(name, {}),
                                           labels=forms.SAS_LABELS.get(name, {}), name=name,
                                           stamp=stamp)
    return [written[n] for n in tables]
