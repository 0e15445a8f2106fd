"""Baseline, change and percent change from baseline."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError
from . import conditions as cn
from .registry import CONDITION_REF, IO, NAME, VARS, assign_column, method

_ABLFL = {"of": "ABLFL", "equals": "Y"}


def _io_base(p: dict[str, Any]) -> IO:
    filt = p.get("filter", _ABLFL)
    return IO(reads=[(("by_vars", i), v) for i, v in enumerate(p["by_vars"])]
              + [(("source_var",), p.get("source_var", "AVAL"))]
              + list(cn.variables(filt, ("filter",))),
              writes=[p.get("new_var", "BASE")])


def _describe_base(p: dict[str, Any]) -> dict[str, str]:
    src = p.get("source_var", "AVAL")
    return {p.get("new_var", "BASE"): (
        f"{src} of the baseline record ({cn.describe(p.get('filter', _ABLFL))}) of the same "
        f"{', '.join(p['by_vars'])}; missing when there is none.")}


@method("derive_var_base", family="baseline",
        summary="Baseline value (BASE) from the baseline record of each group.",
        params={"by_vars": VARS, "source_var": NAME, "new_var": NAME,
                "filter": {**CONDITION_REF, "description": "the baseline record "
                                                           "(default ABLFL = 'Y')"}},
        required=("by_vars",),
        io=_io_base, describe=_describe_base,
        example="""
base:
  method: derive_var_base
  by_vars: [STUDYID, USUBJID, PARAMCD]""")
def derive_var_base(dataset: pd.DataFrame, *, by_vars: list[str], source_var: str = "AVAL",
                    new_var: str = "BASE", filter: dict | None = None) -> pd.DataFrame:
    """As admiral's ``derive_var_base()``: every record of a ``by_vars`` group gets
    ``source_var`` of the group's baseline record (where ``filter`` holds, by default
    ``ABLFL = 'Y'``).  Two baseline records in one group are a data error."""
    filt = filter if filter is not None else _ABLFL
    rows = cn.evaluate(dataset, filt)
    base = dataset.loc[rows, list(by_vars) + [source_var]]
    dup = base.duplicated(list(by_vars), keep=False)
    if dup.any():
        first = base[dup].iloc[0]
        shown = ", ".join(f"{k}={first[k]}" for k in by_vars)
        raise DataError(f"more than one baseline record for ({shown})")
    from .merge import _joined   # the same join as derive_vars_merged
    pairs = [(b, b) for b in by_vars]
    merged = _joined(dataset, base, pairs, [(new_var, source_var)])
    df = dataset.copy(deep=False)
    assign_column(df, new_var, merged[new_var])
    return df


def _io_chg(p: dict[str, Any], name: str) -> IO:
    return IO(reads=[((), "AVAL"), ((), "BASE")] + list(cn.variables(p.get("filter"), ("filter",))),
              writes=[name])


def _filter_text(p: dict[str, Any]) -> str:
    return f" on records where {cn.describe(p['filter'])}" if p.get("filter") else ""


@method("derive_var_chg", family="baseline",
        summary="Change from baseline: CHG = AVAL - BASE.",
        params={"filter": {**CONDITION_REF, "description": "only on these records (e.g. "
                                                           "post-baseline visits)"}},
        io=lambda p: _io_chg(p, "CHG"),
        describe=lambda p: {"CHG": f"AVAL − BASE{_filter_text(p)}."},
        example="""
chg:
  method: derive_var_chg
  filter: {of: AVISITN, gt: 0}""")
def derive_var_chg(dataset: pd.DataFrame, *, filter: dict | None = None) -> pd.DataFrame:
    """CHG = AVAL − BASE, as admiral's ``derive_var_chg()``; with ``filter`` only on those
    records (missing elsewhere)."""
    df = dataset.copy(deep=False)
    aval = pd.to_numeric(dataset["AVAL"], errors="coerce").to_numpy(np.float64)
    base = pd.to_numeric(dataset["BASE"], errors="coerce").to_numpy(np.float64)
    chg = aval - base
    if filter is not None:
        chg[~cn.evaluate(dataset, filter)] = np.nan
    df["CHG"] = chg
    return df


@method("derive_var_pchg", family="baseline",
        summary="Percent change from baseline: PCHG = (AVAL - BASE) / |BASE| x 100.",
        params={"filter": {**CONDITION_REF, "description": "only on these records"}},
        io=lambda p: _io_chg(p, "PCHG"),
        describe=lambda p: {"PCHG": f"(AVAL − BASE) / |BASE| × 100{_filter_text(p)}; missing "
                                    "when BASE is 0 or missing."},
        example="""
pchg:
  method: derive_var_pchg
  filter: {of: AVISITN, gt: 0}""")
def derive_var_pchg(dataset: pd.DataFrame, *, filter: dict | None = None) -> pd.DataFrame:
    """PCHG = (AVAL − BASE) / |BASE| × 100, as admiral's ``derive_var_pchg()``; missing when
    BASE is 0; with ``filter`` only on those records."""
    df = dataset.copy(deep=False)
    aval = pd.to_numeric(dataset["AVAL"], errors="coerce").to_numpy(np.float64)
    base = pd.to_numeric(dataset["BASE"], errors="coerce").to_numpy(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        pchg = np.where(base == 0, np.nan, (aval - base) / np.abs(base) * 100.0)
    if filter is not None:
        pchg[~cn.evaluate(dataset, filter)] = np.nan
    df["PCHG"] = pchg
    return df
