"""Identity of records and subjects: unique keys and sequence numbers, subjects known to DM/ADSL."""

from __future__ import annotations

import numpy as np

from . import Skip, check
from .util import codes_of, found, num_text, pair_codes, text


def _later_duplicates(ds, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose combination of ``names`` already occurred on an earlier row, and that row."""
    gid, first = pair_codes(*(codes_of(ds, n) for n in names))
    rows = np.flatnonzero(first[gid] != np.arange(len(gid)))
    return rows, first[gid[rows]]


@check("seq_unique", family="identity", summary="--SEQ unique per subject")
def seq_unique(ctx, ds):
    """--SEQ is a unique number per USUBJID (or POOLID) within the domain."""
    seq = ds.domain + "SEQ"
    if seq not in ds.data.columns:
        raise Skip(f"no {seq}")
    subject = "USUBJID" if "USUBJID" in ds.data.columns else (
        "POOLID" if "POOLID" in ds.data.columns else None)
    if subject is None:
        raise Skip("no USUBJID or POOLID")
    rows, firsts = _later_duplicates(ds, [subject, seq])
    if not len(rows):
        return None
    return found(ds, rows, seq, first_record=firsts + 1, subject_variable=subject)


@check("usubjid_unique", family="identity", summary="one record per subject")
def usubjid_unique(ctx, ds):
    """USUBJID identifies one subject: the dataset has one record per USUBJID."""
    if "USUBJID" not in ds.data.columns:
        raise Skip("no USUBJID")
    rows, firsts = _later_duplicates(ds, ["USUBJID"])
    return found(ds, rows, "USUBJID", first_record=firsts + 1) if len(rows) else None


@check("unique_keys", family="identity",
       params={"keys": {"type": "array", "items": {"type": "string"}, "minItems": 1}},
       summary="no two records share the natural key")
def unique_keys(ctx, ds, keys=None):
    """No two records have the same values of the dataset's natural key variables: the keys the
    rule names (``--`` is the domain prefix), else the implementation guide's keys of the
    domain.  Where a define.xml describes the dataset it declares the key (KeySequence) and
    CG0019 checks that one, so this rule steps aside.  A key variable the dataset lacks counts
    as null on every record; records whose date/time key (--DTC, --STDTC) is null are not
    compared, since an unknown date does not make two observations the same."""
    if keys:
        names = [k.replace("--", ds.domain) for k in keys]
        source = "the rule's key"
    else:
        if ctx.define_covers(ds):
            raise Skip("the define.xml declares the keys (checked by CG0019)")
        igds = ctx.ig_dataset(ds)
        if igds is None or not igds.keys:
            raise Skip("no key variables known")
        names = [k.replace(igds.name, ds.domain, 1) if k.startswith(igds.name) and
                 ds.domain != igds.name else k for k in igds.keys]
        source = f"{ctx.standard_label.split(' (')[0]} key of {igds.name}"
    present = [n for n in names if n in ds.data.columns]
    absent = [n for n in names if n not in ds.data.columns]
    if len(present) < 2:
        raise Skip(f"key variable(s) {', '.join(absent)} absent")
    rows, firsts = _later_duplicates(ds, present)
    dated = [n for n in present if n.endswith("DTC")]
    if len(rows) and dated:
        from .util import nonnull
        known = np.ones(len(ds.data), dtype=bool)
        for n in dated:
            known &= nonnull(ds, n)
        keep = known[rows]
        rows, firsts = rows[keep], firsts[keep]
    if not len(rows):
        return None
    key = ", ".join(present) + (f" ({', '.join(absent)} absent)" if absent else "")
    cols = [text(ds, n) for n in present]
    key_text = np.array([" / ".join(c[1][c[0][r]] for c in cols) for r in rows], dtype=object)
    return found(ds, rows, ", ".join(present), key_text, first_record=firsts + 1,
                 key=key, key_source=source)


@check("subject_known", family="identity",
       params={"reference": {"enum": ["DM", "ADSL"]}},
       summary="every USUBJID is in DM (ADSL)")
def subject_known(ctx, ds, reference: str = "DM"):
    """Every USUBJID of the dataset is a subject of DM (for ADaM datasets: of ADSL)."""
    if ds.name == reference or "USUBJID" not in ds.data.columns:
        raise Skip("not applicable")
    ref = ctx.dataset(reference)
    if ref is None or "USUBJID" not in ref.data.columns:
        raise Skip(f"no {reference} dataset")
    key = ("subjects", reference)
    if key not in ctx.cache:
        rc, rv = text(ref, "USUBJID")
        ctx.cache[key] = set(rv[np.unique(rc)]) if len(rv) else set()
    known = ctx.cache[key]
    codes, cats = text(ds, "USUBJID")
    bad = np.array([c != "" and c not in known for c in cats], dtype=bool)
    rows = np.flatnonzero(bad[codes]) if len(cats) else np.array([], dtype=np.int64)
    return found(ds, rows, "USUBJID", reference=reference) if len(rows) else None
