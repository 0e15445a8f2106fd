"""Findings helpers: reference-range indicators and visits from the schedule, whole columns at once.

The Findings methods (``methods/findings.py``) are thin: the vectorised work is here, so that any
Findings domain (VS, LB, EG …) built from a wide or a long form uses the same code.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def range_indicator(result: pd.Series, low: pd.Series | None, high: pd.Series | None) -> pd.Series:
    """``LOW`` below ``low``, ``HIGH`` above ``high``, ``NORMAL`` within; missing where the
    result or both limits are missing.  Limits are inclusive (a value equal to a limit is
    normal)."""
    r = pd.to_numeric(result, errors="coerce").astype("Float64")
    lo = (pd.to_numeric(low, errors="coerce").astype("Float64") if low is not None
          else pd.Series(pd.NA, index=r.index, dtype="Float64"))
    hi = (pd.to_numeric(high, errors="coerce").astype("Float64") if high is not None
          else pd.Series(pd.NA, index=r.index, dtype="Float64"))
    known = r.notna() & (lo.notna() | hi.notna())
    below = (r < lo).fillna(False).astype(bool)
    above = (r > hi).fillna(False).astype(bool)
    out = np.where(below, "LOW", np.where(above, "HIGH", "NORMAL")).astype(object)
    out[~known.fillna(False).astype(bool).to_numpy()] = None
    return pd.Series(out, index=r.index, dtype="string")


def nearest_visit(study_day: pd.Series, days: list[float], within: float | None) -> pd.Series:
    """Position (in ``days``) of the planned day nearest each study day; ties go to the earlier
    visit; missing when the day is missing or farther than ``within`` from every planned day."""
    d = pd.to_numeric(study_day, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    planned = np.asarray(days, dtype=float)
    dist = np.abs(d[:, None] - planned[None, :])
    best = np.argmin(np.where(np.isnan(dist), np.inf, dist), axis=1).astype(float)
    gap = dist[np.arange(len(d)), best.astype(int)] if len(d) else np.array([])
    bad = np.isnan(d) if within is None else np.isnan(d) | (gap > within)
    best[bad] = np.nan
    return pd.Series(best, index=study_day.index)
