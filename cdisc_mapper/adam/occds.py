"""Occurrence data (OCCDS): treatment-emergence.

The first-occurrence flags of OCCDS (AOCCFL, AOCCSFL, AOCCPFL, AOCCIFL) are
``derive_var_extreme_flag`` with the grouping of each flag, as in admiral.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .registry import IO, NAME, assign_column, method


def _io_trtemfl(p: dict[str, Any]) -> IO:
    reads = [(("start_date",), p.get("start_date", "ASTDT")),
             (("end_date",), p.get("end_date", "AENDT")),
             (("trt_start_date",), p.get("trt_start_date", "TRTSDT"))]
    if p.get("trt_end_date"):
        reads.append((("trt_end_date",), p["trt_end_date"]))
    return IO(reads=reads, writes=[p.get("new_var", "TRTEMFL")])


def _describe_trtemfl(p: dict[str, Any]) -> dict[str, str]:
    start, end = p.get("start_date", "ASTDT"), p.get("end_date", "AENDT")
    trt = p.get("trt_start_date", "TRTSDT")
    text = f"'Y' when {start} is on or after {trt}"
    if p.get("trt_end_date"):
        window = p.get("end_window", 0)
        text += f" and on or before {p['trt_end_date']} + {window} days"
    text += (f", or when {start} is missing and {end} is missing or on or after {trt}; "
             f"missing otherwise and for subjects without {trt}.")
    return {p.get("new_var", "TRTEMFL"): text}


@method("derive_var_trtemfl", family="occds",
        summary="Treatment-emergent flag from analysis start/end dates and treatment dates.",
        params={"new_var": NAME, "start_date": NAME, "end_date": NAME, "trt_start_date": NAME,
                "trt_end_date": NAME,
                "end_window": {"type": "integer", "minimum": 0,
                               "description": "days after trt_end_date still counted"}},
        io=_io_trtemfl, describe=_describe_trtemfl,
        example="""
treatment_emergent:
  method: derive_var_trtemfl
  start_date: ASTDT
  end_date: AENDT
  trt_start_date: TRTSDT""")
def derive_var_trtemfl(dataset: pd.DataFrame, *, new_var: str = "TRTEMFL",
                       start_date: str = "ASTDT", end_date: str = "AENDT",
                       trt_start_date: str = "TRTSDT", trt_end_date: str | None = None,
                       end_window: int | None = None) -> pd.DataFrame:
    """As admiral's ``derive_var_trtemfl()``: 'Y' when the event starts on or after the first
    treatment date (and, with ``trt_end_date``, no later than ``end_window`` days after the last
    treatment date); an event with no start date is treatment-emergent unless it ended before
    the first treatment.  Subjects never treated get no flag."""
    s = pd.to_numeric(dataset[start_date], errors="coerce").to_numpy(np.float64)
    e = pd.to_numeric(dataset[end_date], errors="coerce").to_numpy(np.float64)
    t0 = pd.to_numeric(dataset[trt_start_date], errors="coerce").to_numpy(np.float64)
    treated = ~np.isnan(t0)
    with np.errstate(invalid="ignore"):
        on = ~np.isnan(s) & (s >= t0)
        if trt_end_date:
            t1 = pd.to_numeric(dataset[trt_end_date], errors="coerce").to_numpy(np.float64)
            on &= np.isnan(t1) | (s <= t1 + (end_window or 0))
        unknown = np.isnan(s) & (np.isnan(e) | (e >= t0))
    df = dataset.copy(deep=False)
    assign_column(df, new_var, None)
    assign_column(df, new_var, "Y", treated & (on | unknown))
    return df
