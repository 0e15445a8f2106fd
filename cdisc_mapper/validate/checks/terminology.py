"""Controlled terminology: values against the CT package (the bundled terms, or a full NCI EVS file
given with ``--ct``), and test names against their test codes.

A few bundled codelists hold only part of their terms (UNIT, LBTESTCD, ...; see
:func:`cdisc_mapper.standards.is_partial`); a value missing from such a list is not reported,
since it may well be CDISC CT: give the full package to check those too.
"""

from __future__ import annotations

import numpy as np

from cdisc_mapper.standards import is_partial, variable_codelists

from . import Skip, check
from .util import combine, found, text


def _codelists_for(ctx, ds, name: str) -> tuple[str, ...]:
    igds = ctx.ig_dataset(ds)
    if igds is None:
        return ()
    igv = ctx.ig_variable(ds, name)
    if igv is None:
        return ()
    std = ctx.standard_for(ds)
    ids = variable_codelists(igds.name, igv.name, std.name, std.version)
    return ids or ((igv.codelist,) if igv.codelist else ())


@check("codelist_values", family="terminology",
       params={"extensible": {"type": "boolean",
                              "description": "check variables whose codelist is extensible "
                                             "(true) or not extensible (false)"}},
       summary="values in the variable's codelist")
def codelist_values(ctx, ds, extensible: bool = False):
    """Values of a variable with CDISC controlled terminology are submission values of its
    codelist(s).  Non-extensible codelists admit nothing else; extensible ones admit sponsor terms,
    which are reported for review."""
    out = []
    any_var = False
    std = ctx.standard_for(ds)
    for name in ds.data.columns:
        ids = _codelists_for(ctx, ds, name)
        cls = [std.codelists[c] for c in ids if c in std.codelists]
        if not cls:
            continue
        ext = any(c.extensible for c in cls)
        if ext != extensible:
            continue
        any_var = True
        allowed = set().union(*(c.values() for c in cls))
        if extensible:
            allowed |= _declared_in_define(ctx, ds, name)
        partial = any(is_partial(c.id, std.codelists) for c in cls)
        codes, cats = text(ds, name)
        results = name.endswith(("ORRES", "STRESC"))
        bad = np.array([c != "" and c not in allowed and not (results and _is_number(c))
                        for c in cats], dtype=bool)
        if partial or not bad.any():
            continue
        rows = np.flatnonzero(bad[codes])
        label = " / ".join(f"{c.id} ({c.code})" if c.code else c.id for c in cls)
        out.append(found(ds, rows, name, codelist=label))
    if not any_var:
        raise Skip(f"no variable with {'an extensible' if extensible else 'a non-extensible'} "
                   "codelist")
    return combine(out)


def _declared_in_define(ctx, ds, name: str) -> set[str]:
    """Values the define.xml declares in the variable's codelist (sponsor extensions included:
    an extensible codelist may hold them when the define says so)."""
    if not ctx.define_covers(ds):
        return set()
    d = ctx.define
    group = d.group_for(ds.name)
    hit = d.item_of(group, name) if group is not None else None
    if not hit or not hit[1].codelist_oid:
        return set()
    cl = d.codelists.get(hit[1].codelist_oid)
    return set(cl.values) if cl is not None and not cl.external else set()


# Test-code codelists of instrument domains are named after the instrument ("Dermatology Life
# Quality Index Questionnaire Test Code"); other domains have one <DOMAIN>TESTCD codelist.
_INSTRUMENT_WORDS = {"QS": "questionnaire", "FT": "functional test",
                     "RS": "clinical classification"}


def _is_number(value: str) -> bool:
    """Result variables (--ORRES, --STRESC) take a codelist only for their non-numeric values."""
    try:
        float(value)
    except ValueError:
        return False
    return True


def _name_index(ctx, ds) -> dict[str, set[str]]:
    """Test code -> test names the CT pairs with it, for the dataset's domain: the term with the
    same NCI code in the "... Test Name" codelist that goes with a "... Test Code" codelist."""
    std = ctx.standard_for(ds)
    domain = ds.domain
    key = ("testnames", std.name, domain)
    if key in ctx.cache:
        return ctx.cache[key]
    by_name = {c.name.strip().lower(): c for c in std.codelists.values()}
    word = _INSTRUMENT_WORDS.get(domain)
    pairs = []
    if domain + "TESTCD" in std.codelists and domain + "TEST" in std.codelists:
        pairs.append((std.codelists[domain + "TESTCD"], std.codelists[domain + "TEST"]))
    elif word:
        for c in std.codelists.values():
            n = c.name.strip().lower()
            if n.endswith("test code") and word in n:
                partner = by_name.get(n[:-4] + "name")
                if partner is not None:
                    pairs.append((c, partner))
    index: dict[str, set[str]] = {}
    for codes, names in pairs:
        by_code = {t.code: t.value for t in names.terms if t.code}
        for t in codes.terms:
            if t.code in by_code:
                index.setdefault(t.value, set()).add(by_code[t.code])
    ctx.cache[key] = index
    return index


@check("test_name_ct", family="terminology", summary="--TEST is the CT name of --TESTCD")
def test_name_ct(ctx, ds):
    """Where --TESTCD is a term of a CDISC test-code codelist, --TEST is the term with the same
    NCI code in the matching test-name codelist (e.g. QSTESTCD DLQI101 goes with QSTEST
    "DLQI1-How Itchy, Sore, Painful, Stinging")."""
    p = ds.domain
    cd, nm = p + "TESTCD", p + "TEST"
    if cd not in ds.data.columns or nm not in ds.data.columns:
        raise Skip(f"no {cd}/{nm}")
    index = _name_index(ctx, ds)
    cc, vc = text(ds, cd)
    cn, vn = text(ds, nm)
    from .util import pair_codes
    gid, first = pair_codes(cc, cn)
    bad_group = np.array([vc[cc[r]] in index and vn[cn[r]] not in index[vc[cc[r]]]
                          for r in first], dtype=bool)
    rows = np.flatnonzero(bad_group[gid]) if len(first) else np.array([], dtype=np.int64)
    if not len(rows):
        return None
    expected = np.array([" or ".join(sorted(index[vc[cc[r]]])) for r in rows], dtype=object)
    return found(ds, rows, nm, testcd_variable=cd, testcd=vc[cc[rows]], expected=expected)
