"""Trial design: EPOCH, VISITNUM/VISIT, ARMCD/ARM and elements against TA, TV, TE, SE and SV."""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import Skip, check
from .dates import _known
from .util import combine, found, num_key, num_text, numbers, pair_codes, text


def _distinct(ctx, dataset: str, variable: str) -> set[str]:
    key = ("distinct", dataset, variable)
    if key not in ctx.cache:
        ds = ctx.dataset(dataset)
        if ds is None or variable not in ds.data.columns:
            ctx.cache[key] = None
        else:
            codes, cats = text(ds, variable)
            ctx.cache[key] = {c for c in cats[np.unique(codes)] if c != ""} if len(cats) else set()
    return ctx.cache[key]


@check("epoch_in_ta", family="trial_design", summary="EPOCH in TA.EPOCH")
def epoch_in_ta(ctx, ds):
    """EPOCH values are the epochs of the trial design (TA.EPOCH)."""
    if "EPOCH" not in ds.data.columns or ds.name == "TA":
        raise Skip("no EPOCH")
    epochs = _distinct(ctx, "TA", "EPOCH")
    if epochs is None:
        raise Skip("no TA dataset")
    codes, cats = text(ds, "EPOCH")
    bad = np.array([c != "" and c not in epochs for c in cats], dtype=bool)
    rows = np.flatnonzero(bad[codes]) if len(cats) else np.array([], dtype=np.int64)
    return found(ds, rows, "EPOCH", epochs=", ".join(sorted(epochs))) if len(rows) else None


def _tv_visits(ctx) -> dict[str, str] | None:
    """VISITNUM (as text) -> VISIT of the planned visits in TV."""
    if "tv_visits" not in ctx.cache:
        tv = ctx.dataset("TV")
        if tv is None or "VISITNUM" not in tv.data.columns:
            ctx.cache["tv_visits"] = None
        else:
            nums = [num_key(x) for x in numbers(tv, "VISITNUM")]
            vis = list(text(tv, "VISIT")[1][text(tv, "VISIT")[0]]) if "VISIT" in tv.data.columns \
                else [""] * len(nums)
            ctx.cache["tv_visits"] = dict(zip(nums, vis))
    return ctx.cache["tv_visits"]


@check("visit_in_tv", family="trial_design", summary="VISITNUM planned in TV")
def visit_in_tv(ctx, ds):
    """VISITNUM values are planned visits of the trial (TV.VISITNUM); unplanned visits are
    reported for review."""
    if "VISITNUM" not in ds.data.columns or ds.name == "TV":
        raise Skip("no VISITNUM")
    planned = _tv_visits(ctx)
    if planned is None:
        raise Skip("no TV dataset")
    codes, cats = visit_numbers(ds)
    bad = np.array([c != "" and c not in planned for c in cats], dtype=bool)
    rows = np.flatnonzero(bad[codes]) if len(cats) else np.array([], dtype=np.int64)
    return found(ds, rows, "VISITNUM") if len(rows) else None


@check("visit_consistent", family="trial_design", summary="VISIT matches VISITNUM")
def visit_consistent(ctx, ds):
    """VISIT and VISITNUM go together: a planned VISITNUM has TV's VISIT name, and within a
    dataset an unplanned VISITNUM has one VISIT (the name it has on its first record)."""
    if "VISITNUM" not in ds.data.columns or "VISIT" not in ds.data.columns or ds.name == "TV":
        raise Skip("no VISITNUM/VISIT")
    planned = _tv_visits(ctx) or {}
    cn, vn = visit_numbers(ds)
    cv, vv = text(ds, "VISIT")
    gid, first = pair_codes(cn, cv)
    expected = np.array([planned.get(vn[cn[r]], None) for r in first], dtype=object)
    wrong_tv = np.array([e is not None and vv[cv[r]] != e for e, r in zip(expected, first)],
                        dtype=bool)
    rows_tv = np.flatnonzero(wrong_tv[gid]) if len(first) else np.array([], dtype=np.int64)
    out = []
    if len(rows_tv):
        out.append(found(ds, rows_tv, "VISIT", expected=expected[gid[rows_tv]],
                         visitnum=vn[cn[rows_tv]], source="TV"))
    # within the dataset, for visits not planned in TV
    unplanned = np.array([vn[c] not in planned for c in range(len(vn))], dtype=bool)
    mask = unplanned[cn] if len(vn) else np.zeros(len(cn), dtype=bool)
    if mask.any():
        sub = np.flatnonzero(mask)
        ka, fa = pair_codes(cn[sub])
        kp, _fp = pair_codes(cn[sub], cv[sub])
        intended = kp[fa[ka]]
        odd = sub[kp != intended]
        if len(odd):
            out.append(found(ds, odd, "VISIT", expected=vv[cv[first_of(cn, odd)]],
                             visitnum=vn[cn[odd]], source=ds.name))
    return combine(out)


def visit_numbers(ds):
    """(codes, distinct VISITNUM keys) of a dataset: numbers compared at 12 significant digits,
    so that arithmetic noise in the stored value (1.2000000000000002 for 1.2) is not a
    different visit."""
    codes, uniq = pd.factorize(numbers(ds, "VISITNUM"), use_na_sentinel=False)
    keys = np.array([num_key(u) for u in uniq], dtype=object)
    kcodes, kuniq = pd.factorize(keys[codes] if len(uniq) else np.array([], dtype=object))
    return kcodes.astype(np.int32), np.asarray(kuniq, dtype=object)


def first_of(codes: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """For each row, the first row of the whole column with the same code."""
    _, first_idx = np.unique(codes, return_index=True)
    lookup = dict(zip(np.unique(codes).tolist(), first_idx.tolist()))
    return np.array([lookup[c] for c in codes[rows]], dtype=np.int64)


@check("visit_in_sv", family="trial_design", summary="visits of records are in SV")
def visit_in_sv(ctx, ds):
    """Each subject visit that a record refers to (USUBJID, VISITNUM) is in SV."""
    if ds.name in ("SV", "TV", "DM") or not all(n in ds.data.columns for n in ("USUBJID", "VISITNUM")):
        raise Skip("no USUBJID/VISITNUM")
    sv = ctx.dataset("SV")
    if sv is None or not all(n in sv.data.columns for n in ("USUBJID", "VISITNUM")):
        raise Skip("no SV dataset")
    if "sv_pairs" not in ctx.cache:
        su, sn = values_text(sv, "USUBJID"), [num_key(x) for x in numbers(sv, "VISITNUM")]
        ctx.cache["sv_pairs"] = set(zip(su, sn))
    pairs = ctx.cache["sv_pairs"]
    cu, vu = text(ds, "USUBJID")
    cn, vn = visit_numbers(ds)
    gid, first = pair_codes(cu, cn)
    bad = np.array([vn[cn[r]] != "" and (vu[cu[r]], vn[cn[r]]) not in pairs for r in first],
                   dtype=bool)
    rows = np.flatnonzero(bad[gid]) if len(first) else np.array([], dtype=np.int64)
    return found(ds, rows, "VISITNUM") if len(rows) else None


def _within(d: tuple, start: tuple, end: tuple | None, shared: bool = False) -> bool:
    """Whether date ``d`` can fall in [start, end): compared at the common precision, a date on a
    boundary given at a different precision belongs to both sides; so does a date on the end day
    when ``shared`` (the next element starts that day: SEENDTC = next SESTDTC) and neither side
    has a time of day."""
    n = min(len(d), len(start))
    if d[:n] < start[:n]:
        return False
    if end is None:
        return True
    m = min(len(d), len(end))
    return d[:m] < end[:m] or (d[:m] == end[:m] and (len(d) != len(end) or shared))


def values_text(ds, name):
    codes, cats = text(ds, name)
    return list(cats[codes]) if len(cats) else []


_LEGACY_ARMS = ("SCRNFAIL", "NOTASSGN", "NOTTRT", "UNPLAN")


@check("arm_in_ta", family="trial_design",
       params={"code": {"type": "string"}, "name": {"type": "string"},
               "allow": {"type": "array", "items": {"type": "string"}}},
       summary="ARMCD/ARM as defined in TA")
def arm_in_ta(ctx, ds, code: str = "ARMCD", name: str = "ARM", allow=_LEGACY_ARMS):
    """An arm code is an arm of the trial design (TA.ARMCD) and its description is TA's ARM for
    that code (null, and the legacy codes for subjects not assigned, are allowed)."""
    if code not in ds.data.columns or ds.name in ("TA", "TV"):
        raise Skip(f"no {code}")
    ta = ctx.dataset("TA")
    if ta is None or "ARMCD" not in ta.data.columns:
        raise Skip("no TA dataset")
    if "ta_arms" not in ctx.cache:
        arms = {}
        for c, a in zip(values_text(ta, "ARMCD"), values_text(ta, "ARM") if "ARM" in
                        ta.data.columns else [""] * len(ta.data)):
            arms.setdefault(c, a)
        ctx.cache["ta_arms"] = arms
    arms = ctx.cache["ta_arms"]
    cc, vc = text(ds, code)
    has_name = name in ds.data.columns
    cn, vn = text(ds, name) if has_name else (np.zeros(len(cc), np.int32), np.array([""], object))
    gid, first = pair_codes(cc, cn)
    out = []
    code_bad = np.array([vc[cc[r]] not in ("", *allow) and vc[cc[r]] not in arms for r in first],
                        dtype=bool)
    rows = np.flatnonzero(code_bad[gid]) if len(first) else np.array([], dtype=np.int64)
    if len(rows):
        out.append(found(ds, rows, code, why=f"is not an arm code of TA ({', '.join(sorted(arms))})"))
    if has_name:
        name_bad = np.array([vc[cc[r]] in arms and vn[cn[r]] != arms[vc[cc[r]]] for r in first],
                            dtype=bool)
        rows = np.flatnonzero(name_bad[gid]) if len(first) else np.array([], dtype=np.int64)
        if len(rows):
            why = np.array([f"is not TA's description of {code} {vc[cc[r]]} "
                            f"({arms[vc[cc[r]]]!r})" for r in rows], dtype=object)
            out.append(found(ds, rows, name, why=why))
    return combine(out)


#: The ETCD that SDTMIG 3.4 section 5.3 (SE, assumption 3) reserves for an unplanned element:
#: it is not in TE, ELEMENT is null and SEUPDES describes it.
UNPLANNED_ELEMENT = "UNPLAN"


@check("elements_in_te", family="trial_design", summary="TA elements defined in TE")
def elements_in_te(ctx, ds):
    """Every element of TA and SE (ETCD) is defined in TE, with TE's ELEMENT name; in SE the
    reserved code ``UNPLAN`` marks an unplanned element (not in TE, described by SEUPDES)."""
    if ds.name not in ("TA", "SE") or "ETCD" not in ds.data.columns:
        raise Skip("not TA/SE")
    te = ctx.dataset("TE")
    if te is None or "ETCD" not in te.data.columns:
        raise Skip("no TE dataset")
    elements = dict(zip(values_text(te, "ETCD"), values_text(te, "ELEMENT")
                        if "ELEMENT" in te.data.columns else [""] * len(te.data)))
    codes = values_text(ds, "ETCD")
    names = values_text(ds, "ELEMENT") if "ELEMENT" in ds.data.columns else [None] * len(codes)
    out = []
    reserved = {UNPLANNED_ELEMENT} if ds.name == "SE" else set()
    bad = [i for i, c in enumerate(codes) if c != "" and c not in elements and c not in reserved]
    if bad:
        out.append(found(ds, bad, "ETCD", why="is not an element of TE"))
    wrong = [i for i, (c, n) in enumerate(zip(codes, names))
             if n is not None and c in elements and elements[c] and n != elements[c]]
    if wrong:
        out.append(found(ds, wrong, "ELEMENT", why=[f"is not TE's name of element {codes[i]} "
                                                    f"({elements[codes[i]]!r})" for i in wrong]))
    return combine(out)


@check("epoch_matches_se", family="trial_design", summary="EPOCH agrees with SE")
def epoch_matches_se(ctx, ds):
    """A record's EPOCH is the epoch of the subject's element (SE) in which its date falls."""
    p = ds.domain
    # SDTMIG 3.4, assumptions for EPOCH: the epoch of a Findings record is that of --DTC, of an
    # Events or Interventions record that of its start, --STDTC (--DTC is the collection date)
    order = (p + "DTC", p + "STDTC") if ctx.ds_class(ds) == "Findings" else (p + "STDTC",)
    if ds.name == "SV":
        order = ("SVSTDTC",)
    date_var = next((v for v in order if v in ds.data.columns), None)
    if ds.name in ("SE", "TA") or "EPOCH" not in ds.data.columns or date_var is None \
            or "USUBJID" not in ds.data.columns:
        raise Skip("no EPOCH with a date")
    se = ctx.dataset("SE")
    if se is None or not all(n in se.data.columns for n in ("USUBJID", "SESTDTC", "EPOCH")):
        raise Skip("no SE dataset")
    if "se_spans" not in ctx.cache:
        spans: dict[str, list] = {}
        ends = values_text(se, "SEENDTC") if "SEENDTC" in se.data.columns else [""] * len(se.data)
        for u, s, e, ep in zip(values_text(se, "USUBJID"), values_text(se, "SESTDTC"), ends,
                               values_text(se, "EPOCH")):
            ks, ke = _known(s), _known(e)
            if ks and len(ks) >= 3:
                spans.setdefault(u, []).append((ks, ke if ke and len(ke) >= 3 else None, ep))
        for u, sp in spans.items():
            starts = {ks for ks, _ke, _ep in sp}
            spans[u] = [(ks, ke, ep, ke is not None and len(ke) <= 3 and ke in starts)
                        for ks, ke, ep in sp]
        ctx.cache["se_spans"] = spans
    spans = ctx.cache["se_spans"]
    cu, vu = text(ds, "USUBJID")
    cd, vd = text(ds, date_var)
    ce, ve = text(ds, "EPOCH")
    gid, first = pair_codes(cu, cd, ce)
    bad = np.zeros(len(first), dtype=bool)
    expected = np.full(len(first), "", dtype=object)
    for i, r in enumerate(first):
        u, d, e = vu[cu[r]], vd[cd[r]], ve[ce[r]]
        kd = _known(d)
        if not e or not kd or len(kd) < 3 or u not in spans:
            continue
        hits = [ep for ks, ke, ep, shared in spans[u]
                if _within(kd, ks, ke, shared and len(kd) <= 3)]
        if hits and e not in hits:
            bad[i] = True
            expected[i] = " or ".join(sorted(set(hits)))
    rows = np.flatnonzero(bad[gid]) if len(first) else np.array([], dtype=np.int64)
    if not len(rows):
        return None
    return found(ds, rows, "EPOCH", expected=expected[gid[rows]], date_variable=date_var,
                 date=vd[cd[rows]])

