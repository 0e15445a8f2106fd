"""Supplemental qualifiers (SUPP--), comments (CO) and related records (RELREC): each record
points at an existing parent record."""

from __future__ import annotations

import re

import numpy as np

from . import Skip, check
from .util import combine, found, nonnull, pair_codes, text

_NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,7}$")


def _supp(ds):
    need = ("RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL")
    if not ds.name.startswith("SUPP") or not all(n in ds.data.columns for n in need):
        raise Skip("not a SUPP-- dataset with RDOMAIN, USUBJID, IDVAR, IDVARVAL")


def _related(ds):
    need = ("RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL")
    if ds.name not in ("CO", "RELREC") or not all(n in ds.data.columns for n in need):
        raise Skip("not a CO or RELREC dataset with RDOMAIN, USUBJID, IDVAR, IDVARVAL")


def _parent(ctx, ds, rdomain: str):
    """The parent dataset of SUPPxx records with RDOMAIN = rdomain (SUPPQSEG -> QSEG); of CO
    and RELREC records, the dataset RDOMAIN names."""
    if not ds.name.startswith("SUPP"):
        return ctx.dataset(rdomain)
    return ctx.dataset(ds.name[4:]) or ctx.dataset(rdomain)


@check("supp_rdomain", family="suppqual", summary="RDOMAIN names the parent dataset")
def supp_rdomain(ctx, ds):
    """RDOMAIN is the domain of the SUPP-- dataset's name (SUPPAE: AE), and that parent
    dataset is in the package."""
    _supp(ds)
    codes, cats = text(ds, "RDOMAIN")
    expected = ds.name[4:]
    bad = np.array([not (len(c) >= 2 and expected.startswith(c)) for c in cats], dtype=bool)
    rows = np.flatnonzero(bad[codes]) if len(cats) else np.array([], dtype=np.int64)
    out = []
    if len(rows):
        out.append(found(ds, rows, "RDOMAIN", expected=expected, why="not the dataset's domain"))
    if ctx.dataset(expected) is None and ctx.dataset(expected[:2]) is None:
        from .util import found_dataset
        out.append(found_dataset(ds, "RDOMAIN", expected, expected=expected,
                                 why="the parent dataset is not in the package"))
    return combine(out)


@check("supp_idvar", family="suppqual", summary="IDVAR is a variable of the parent")
def supp_idvar(ctx, ds):
    """IDVAR, when populated, names a variable of the parent dataset (RDOMAIN)."""
    _supp(ds)
    return _idvar(ctx, ds)


@check("related_idvar", family="suppqual", summary="CO/RELREC IDVAR is a variable of RDOMAIN")
def related_idvar(ctx, ds):
    """In CO and RELREC, IDVAR, when populated, names a variable of the dataset RDOMAIN names."""
    _related(ds)
    return _idvar(ctx, ds)


@check("related_record", family="suppqual", summary="CO/RELREC records point at records")
def related_record(ctx, ds):
    """Each CO and RELREC record of a subject points at an existing record of RDOMAIN: the
    subject's record whose IDVAR variable has the value IDVARVAL (or the subject, where IDVAR is
    null).  Dataset-level records (USUBJID null) relate datasets, not records."""
    _related(ds)
    return _parent_records(ctx, ds, nonnull(ds, "USUBJID"))


def _idvar(ctx, ds):
    cr, vr = text(ds, "RDOMAIN")
    ci, vi = text(ds, "IDVAR")
    gid, first = pair_codes(cr, ci)
    bad = np.zeros(len(first), dtype=bool)
    for k, r in enumerate(first):
        idvar = vi[ci[r]]
        if idvar == "":
            continue
        parent = _parent(ctx, ds, vr[cr[r]])
        if parent is None:
            continue
        bad[k] = idvar not in parent.data.columns
    rows = np.flatnonzero(bad[gid]) if len(first) else np.array([], dtype=np.int64)
    return found(ds, rows, "IDVAR", rdomain=vr[cr[rows]]) if len(rows) else None


@check("supp_parent_record", family="suppqual", summary="SUPP-- records have a parent record")
def supp_parent_record(ctx, ds):
    """Each SUPP-- record points at an existing parent record: the subject (IDVAR null) or the
    record of the subject whose IDVAR variable has the value IDVARVAL."""
    _supp(ds)
    return _parent_records(ctx, ds, None)


def _parent_records(ctx, ds, subset):
    """Records of ``ds`` (those of the boolean mask ``subset``, or all) that point at no
    record of their parent."""
    cr, vr = text(ds, "RDOMAIN")
    ci, vi = text(ds, "IDVAR")
    cu, vu = text(ds, "USUBJID")
    cv, vv = text(ds, "IDVARVAL")
    bad = np.zeros(len(ds.data), dtype=bool)
    gid, first = pair_codes(cr, ci)
    for k, r in enumerate(first):
        parent = _parent(ctx, ds, vr[cr[r]])
        idvar = vi[ci[r]]
        rows = np.flatnonzero(gid == k)
        if parent is None or "USUBJID" not in parent.data.columns:
            continue
        if idvar != "" and idvar not in parent.data.columns:
            continue  # reported by supp_idvar
        pu, pvu = text(parent, "USUBJID")
        ucode = {u: i for i, u in enumerate(pvu)}
        su = np.array([ucode.get(u, -1) for u in vu], dtype=np.int64)[cu[rows]]
        if idvar == "":
            present = np.zeros(len(pvu) + 1, dtype=bool)
            present[np.unique(pu)] = True
            bad[rows] = (su < 0) | ~present[su]
            continue
        pc, pvv = text(parent, idvar)
        vcode = {v: i for i, v in enumerate(pvv)}
        sv = np.array([vcode.get(v, -1) for v in vv], dtype=np.int64)[cv[rows]]
        span = np.int64(len(pvv) + 1)
        parent_keys = np.unique(pu.astype(np.int64) * span + pc.astype(np.int64))
        keys = su * span + sv
        bad[rows] = (su < 0) | (sv < 0) | ~np.isin(keys, parent_keys)
    if subset is not None:
        bad &= np.asarray(subset, dtype=bool)
    out = np.flatnonzero(bad)
    return found(ds, out, "IDVARVAL", idvar=vi[ci[out]], rdomain=vr[cr[out]]) if len(out) else None


@check("supp_qnam_unique", family="suppqual", summary="one QNAM per parent record")
def supp_qnam_unique(ctx, ds):
    """A parent record has each supplemental qualifier (QNAM) once."""
    _supp(ds)
    if "QNAM" not in ds.data.columns:
        raise Skip("no QNAM")
    from .util import codes_of
    gid, first = pair_codes(*(codes_of(ds, n) for n in ("RDOMAIN", "USUBJID", "IDVAR",
                                                         "IDVARVAL", "QNAM")))
    rows = np.flatnonzero(first[gid] != np.arange(len(gid)))
    return found(ds, rows, "QNAM", first_record=first[gid[rows]] + 1) if len(rows) else None


@check("supp_qnam_name", family="suppqual", summary="QNAM/QLABEL usable as variable name/label")
def supp_qnam_name(ctx, ds):
    """QNAM is a valid variable name (at most 8 characters, letters, digits, '_', not starting
    with a digit) and QLABEL a valid label (at most 40 characters)."""
    _supp(ds)
    out = []
    if "QNAM" in ds.data.columns:
        codes, cats = text(ds, "QNAM")
        bad = np.array([c != "" and not _NAME.match(c) for c in cats], dtype=bool)
        if bad.any():
            out.append(found(ds, np.flatnonzero(bad[codes]), "QNAM", limit="a name of at most "
                             "8 letters, digits or '_' starting with a letter"))
    if "QLABEL" in ds.data.columns:
        codes, cats = text(ds, "QLABEL")
        bad = np.array([len(c) > 40 for c in cats], dtype=bool)
        if bad.any():
            out.append(found(ds, np.flatnonzero(bad[codes]), "QLABEL",
                             limit="a label of at most 40 characters"))
    return combine(out)


@check("supp_qval_present", family="suppqual", summary="no SUPP-- record without a value")
def supp_qval_present(ctx, ds):
    """Every SUPP-- record has a value (QVAL); a qualifier that was not collected has no
    record."""
    _supp(ds)
    if "QVAL" not in ds.data.columns:
        raise Skip("no QVAL")
    rows = np.flatnonzero(~nonnull(ds, "QVAL"))
    qnam = text(ds, "QNAM") if "QNAM" in ds.data.columns else None
    return found(ds, rows, "QVAL", "", qnam=qnam[1][qnam[0][rows]] if qnam else "") \
        if len(rows) else None
