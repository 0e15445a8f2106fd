"""ADaM: baseline records, change from baseline, analysis flags."""

from __future__ import annotations

import numpy as np

from . import Skip, check
from .util import codes_of, found, num_text, numbers, pair_codes, text


def _groups(ds, with_basetype: bool = True) -> list[str]:
    names = ["USUBJID", "PARAMCD"]
    if with_basetype and "BASETYPE" in ds.data.columns:
        names.append("BASETYPE")
    missing = [n for n in names if n not in ds.data.columns]
    if missing:
        raise Skip(f"no {', '.join(missing)}")
    return names


def _baseline_mask(ds) -> np.ndarray:
    codes, cats = text(ds, "ABLFL")
    y = np.array([c == "Y" for c in cats], dtype=bool)
    return y[codes] if len(cats) else np.zeros(len(codes), dtype=bool)


@check("baseline_unique", family="adam", summary="one baseline record per subject and parameter")
def baseline_unique(ctx, ds):
    """At most one record per USUBJID, PARAMCD (and BASETYPE) has ABLFL = "Y"."""
    if "ABLFL" not in ds.data.columns:
        raise Skip("no ABLFL")
    names = _groups(ds)
    base = np.flatnonzero(_baseline_mask(ds))
    if not len(base):
        return None
    gid, first = pair_codes(*(codes_of(ds, n)[base] for n in names))
    dup = np.flatnonzero(first[gid] != np.arange(len(gid)))
    rows = base[dup]
    return found(ds, rows, "ABLFL", first_record=base[first[gid[dup]]] + 1) if len(rows) else None


@check("change_from_baseline", family="adam",
       params={"tolerance": {"type": "number", "minimum": 0,
                             "description": "relative tolerance (default 1e-6)"}},
       summary="CHG = AVAL - BASE")
def change_from_baseline(ctx, ds, tolerance: float = 1e-6):
    """Where CHG is populated it equals AVAL - BASE (both populated), to rounding."""
    if not all(n in ds.data.columns for n in ("CHG", "AVAL", "BASE")):
        raise Skip("no CHG/AVAL/BASE")
    chg, aval, base = (numbers(ds, n) for n in ("CHG", "AVAL", "BASE"))
    expected = aval - base
    has = ~np.isnan(chg)
    scale = np.maximum(1.0, np.abs(np.nan_to_num(expected)))
    with np.errstate(invalid="ignore"):
        bad = has & (np.isnan(expected) | (np.abs(chg - expected) > tolerance * scale))
    rows = np.flatnonzero(bad)
    if not len(rows):
        return None
    return found(ds, rows, "CHG", [num_text(x) for x in chg[rows]],
                 expected=[num_text(x) for x in expected[rows]],
                 aval=[num_text(x) for x in aval[rows]], base=[num_text(x) for x in base[rows]])


@check("base_is_baseline_value", family="adam", summary="BASE is AVAL of the baseline record")
def base_is_baseline_value(ctx, ds):
    """BASE on every record of a subject and parameter (and BASETYPE) is AVAL of its baseline
    record (ABLFL = "Y")."""
    if not all(n in ds.data.columns for n in ("ABLFL", "AVAL", "BASE")):
        raise Skip("no ABLFL/AVAL/BASE")
    names = _groups(ds)
    gid, _first = pair_codes(*(codes_of(ds, n) for n in names))
    aval, base = numbers(ds, "AVAL"), numbers(ds, "BASE")
    blmask = _baseline_mask(ds)
    bl_value = np.full(int(gid.max()) + 1 if len(gid) else 0, np.nan)
    bl_rows = np.flatnonzero(blmask)
    # first baseline record per group wins (duplicates are reported by baseline_unique)
    order = bl_rows[::-1]
    bl_value[gid[order]] = aval[order]
    expected = bl_value[gid] if len(gid) else np.zeros(0)
    with np.errstate(invalid="ignore"):
        bad = ~np.isnan(base) & ~np.isnan(expected) & (np.abs(base - expected) >
                                                       1e-9 * np.maximum(1, np.abs(expected)))
    rows = np.flatnonzero(bad)
    if not len(rows):
        return None
    return found(ds, rows, "BASE", [num_text(x) for x in base[rows]],
                 expected=[num_text(x) for x in expected[rows]])
