"""Trial Summary (TS): what FDA checks on receipt and what the parameters' values must be."""

from __future__ import annotations

import numpy as np

from cdisc_mapper.standards import is_partial, ts_value_codelist

from . import Skip, check
from .dates import check_datetime
from .util import combine, found, found_dataset, nonnull, text


def _ts(ctx):
    ts = ctx.dataset("TS")
    if ts is None:
        raise Skip("no TS dataset")
    for v in ("TSPARMCD", "TSVAL"):
        if v not in ts.data.columns:
            raise Skip(f"TS has no {v}")
    return ts


@check("ts_study_start", kind="package", family="trial_summary",
       summary="TS present with a valid study start date")
def ts_study_start(ctx):
    """A TS dataset is present and has the study start date (TSPARMCD = SSTDTC) as a complete
    ISO 8601 date (FDA technical rejection criterion 1734)."""
    if not any(d.kind == "SDTM" for d in ctx.datasets.values()):
        raise Skip("no SDTM datasets")
    if ctx.package.single_file and ctx.dataset("TS") is None:
        raise Skip("one dataset file was given, not a package")
    ts = ctx.dataset("TS")
    if ts is None:
        return found_dataset("TS", None, "", message="TS dataset is missing (FDA rejects a "
                             "study without ts.xpt)")
    if "TSPARMCD" not in ts.data.columns or "TSVAL" not in ts.data.columns:
        return found_dataset(ts, "TSPARMCD", "", message="TS has no TSPARMCD/TSVAL variables")
    cp, vp = text(ts, "TSPARMCD")
    cv, vv = text(ts, "TSVAL")
    rows = np.flatnonzero(vp[cp] == "SSTDTC") if len(vp) else np.array([], dtype=np.int64)
    if not len(rows):
        return found_dataset(ts, "TSPARMCD", "SSTDTC", message="TS has no study start date "
                             "(TSPARMCD = SSTDTC)")
    out = []
    for r in rows:
        v = vv[cv[r]]
        syn, cal = check_datetime(v) if v else ("missing", None)
        if syn or cal or len(v) < 10 or "-" in v[:4]:
            out.append(found(ts, [r], "TSVAL", v, message=(
                f"TSVAL {v!r} for SSTDTC is not a complete ISO 8601 date (YYYY-MM-DD)")))
    return combine(out)


_DEFAULT_REQUIRED = ("ADDON", "AGEMAX", "AGEMIN", "LENGTH", "PLANSUB", "RANDOM", "SEXPOP",
                     "STOPRULE", "TBLIND", "TCNTRL", "TDIGRP", "TINDTP", "TITLE", "TPHASE", "TTYPE",
                     "CURTRT", "COMPTRT", "INDIC", "TRT", "REGID", "SSTDTC", "SENDTC", "ACTSUB",
                     "ADAPT", "DCUTDTC", "DCUTDESC", "NARMS", "STYPE",
                     "SDTIGVER", "SDTMVER", "SPONSOR", "OBJPRIM", "HLTSUBJI")


@check("ts_parameters", kind="package", family="trial_summary",
       params={"parameters": {"type": "array", "items": {"type": "string"}},
               "when": {"type": "object", "description": "only when TS has these parameter "
                        "values (TSPARMCD -> TSVAL terms)",
                        "additionalProperties": {"type": "array", "items": {"type": "string"}}}},
       summary="expected TS parameters present")
def ts_parameters(ctx, parameters=_DEFAULT_REQUIRED, when=None):
    """Each trial summary parameter a reviewer expects is present in TS (as a value or with a
    null flavor in TSVALNF); with ``when``, only in a study whose TS has one of the given values
    for each named parameter (e.g. STYPE INTERVENTIONAL)."""
    ts = _ts(ctx)
    cp, vp = text(ts, "TSPARMCD")
    have = set(vp[np.unique(cp)]) if len(vp) else set()
    if when:
        cv, vv = text(ts, "TSVAL")
        pairs = set(zip(vp[cp], vv[cv])) if len(vp) and len(vv) else set()
        for parm, terms in when.items():
            if not any((parm, t) in pairs for t in terms):
                raise Skip(f"TS {parm} is not {' or '.join(terms)}")
    return combine(found_dataset(ts, "TSPARMCD", p) for p in parameters if p not in have)


@check("ts_values", family="trial_summary",
       params={"extensible": {"type": "boolean"}},
       summary="TSVAL in the parameter's codelist")
def ts_values(ctx, ds, extensible: bool = False):
    """TSVAL is a term of the codelist the implementation guide gives the parameter (TPHASE for
    TPHASE, NY for RANDOM, ...); ``extensible`` picks the parameters whose codelist is (not)
    extensible."""
    if ds.name != "TS" or "TSPARMCD" not in ds.data.columns or "TSVAL" not in ds.data.columns:
        raise Skip("not TS")
    std = ctx.standard_for(ds)
    cp, vp = text(ds, "TSPARMCD")
    cv, vv = text(ds, "TSVAL")
    from .util import pair_codes
    gid, first = pair_codes(cp, cv)
    bad = np.zeros(len(first), dtype=bool)
    lists = []
    for i, r in enumerate(first):
        parm, val = vp[cp[r]], vv[cv[r]]
        cid = ts_value_codelist(parm)
        cl = std.codelists.get(cid) if cid else None
        lists.append(f"{cl.id} ({cl.code})" if cl is not None else "")
        if cl is None or val == "" or is_partial(cl.id, std.codelists):
            continue
        if val not in cl.values() and cl.extensible == extensible:
            bad[i] = True
    rows = np.flatnonzero(bad[gid]) if len(first) else np.array([], dtype=np.int64)
    if not len(rows):
        return None
    return found(ds, rows, "TSVAL", parameter=vp[cp[rows]],
                 codelist=np.array(lists, dtype=object)[gid[rows]])


@check("ts_value_codes", family="trial_summary", summary="TSVALCD is the NCI code of TSVAL")
def ts_value_codes(ctx, ds):
    """Where TSVCDREF is "CDISC CT", TSVALCD is the NCI C-code of the TSVAL term."""
    need = ("TSPARMCD", "TSVAL", "TSVALCD", "TSVCDREF")
    if ds.name != "TS" or not all(n in ds.data.columns for n in need):
        raise Skip("not TS with TSVALCD/TSVCDREF")
    std = ctx.standard_for(ds)
    vp, vv, vc, vr = (text(ds, n) for n in need)
    out_rows, expected = [], []
    for r in range(len(ds.data)):
        if vr[1][vr[0][r]] != "CDISC CT":
            continue
        parm, val, code = vp[1][vp[0][r]], vv[1][vv[0][r]], vc[1][vc[0][r]]
        cid = ts_value_codelist(parm)
        cl = std.codelists.get(cid) if cid else None
        term = cl.term(val) if cl is not None else None
        if term is not None and term.code and code != term.code and val != "":
            out_rows.append(r)
            expected.append(term.code)
    if not out_rows:
        return None
    return found(ds, out_rows, "TSVALCD", expected=np.array(expected, dtype=object),
                 tsval=vv[1][vv[0][np.array(out_rows)]])


@check("ts_null_flavor", family="trial_summary", summary="TSVAL or TSVALNF, not both")
def ts_null_flavor(ctx, ds):
    """Each TS record has either a value (TSVAL) or a null flavor (TSVALNF) saying why there is
    none, never both and never neither."""
    if ds.name != "TS" or "TSVAL" not in ds.data.columns:
        raise Skip("not TS")
    has_val = nonnull(ds, "TSVAL")
    has_nf = nonnull(ds, "TSVALNF") if "TSVALNF" in ds.data.columns else np.zeros(len(has_val), bool)
    rows_none = np.flatnonzero(~has_val & ~has_nf)
    rows_both = np.flatnonzero(has_val & has_nf)
    out = []
    if len(rows_none):
        out.append(found(ds, rows_none, "TSVAL", "", message=None, why="neither TSVAL nor TSVALNF"))
    if len(rows_both):
        out.append(found(ds, rows_both, "TSVALNF", why="both TSVAL and TSVALNF"))
    return combine(out)


@check("submission_datasets", kind="package", family="trial_summary",
       summary="DM (SDTM) and ADSL (ADaM) present")
def submission_datasets(ctx):
    """An SDTM package has a DM dataset and an ADaM package an ADSL dataset (FDA technical
    rejection criterion 1736)."""
    if ctx.package.single_file:
        raise Skip("one dataset file was given, not a package")
    kinds = {d.kind for d in ctx.datasets.values()}
    out = []
    for kind, name in (("SDTM", "DM"), ("ADaM", "ADSL")):
        if kind in kinds and ctx.dataset(name) is None:
            out.append(found_dataset(name, None, name, kind=kind))
    return combine(out)
