"""Generic checks whose whole meaning is in their parameters, for built-in and user rules alike.

Variables are named exactly (``--`` stands for the domain prefix: ``--TESTCD``) or matched by a
regular expression on the name (``variable_pattern: "FL$"``).
"""

from __future__ import annotations

import re

import numpy as np

from . import Skip, check
from .util import combine, found, found_dataset, nonnull, pair_codes, text

_VARS = {
    "variables": {"type": "array", "items": {"type": "string"},
                  "description": "variable names; -- is the domain prefix"},
    "variable_pattern": {"type": "string", "description": "regular expression on variable names"},
    "exclude_pattern": {"type": "string", "description": "names matching this are left out"},
}


def _targets(ds, variables=None, variable_pattern=None, exclude_pattern=None, char_only=True):
    names = []
    if variables:
        names = [v.replace("--", ds.domain) for v in variables]
        names = [n for n in names if n in ds.data.columns]
    if variable_pattern:
        rx = re.compile(variable_pattern)
        names += [c for c in ds.data.columns if rx.search(c) and c not in names]
    if exclude_pattern:
        ex = re.compile(exclude_pattern)
        names = [n for n in names if not ex.search(n)]
    if char_only:
        names = [n for n in names if ds.variable(n) is not None and ds.variable(n).type == "Char"]
    if not names:
        raise Skip("no matching variable")
    return names


def _where_mask(ds, where: dict | None) -> np.ndarray:
    mask = np.ones(len(ds.data), dtype=bool)
    for var, allowed in (where or {}).items():
        name = var.replace("--", ds.domain)
        if name not in ds.data.columns:
            raise Skip(f"no {name}")
        codes, cats = text(ds, name)
        ok = np.array([c in set(allowed) for c in cats], dtype=bool)
        mask &= ok[codes] if len(cats) else False
    return mask


@check("value_in_list", family="custom",
       params={**_VARS, "values": {"type": "array", "items": {"type": "string"}},
               "allow_null": {"type": "boolean"}},
       summary="values from a fixed list")
def value_in_list(ctx, ds, values=(), allow_null: bool = True, **sel):
    """Values of the variables are in ``values`` (null allowed unless ``allow_null: false``)."""
    allowed = set(values)
    out = []
    for name in _targets(ds, **sel):
        codes, cats = text(ds, name)
        bad = np.array([(c not in allowed) and not (allow_null and c == "") for c in cats],
                       dtype=bool)
        if bad.any():
            rows = np.flatnonzero(bad[codes])
            out.append(found(ds, rows, name, allowed=", ".join(sorted(allowed)) or "(null)"))
    return combine(out)


@check("value_matches", family="custom",
       params={**_VARS, "pattern": {"type": "string"},
               "max_length": {"type": "integer", "minimum": 1}},
       summary="values match a pattern")
def value_matches(ctx, ds, pattern: str = ".*", max_length: int | None = None, **sel):
    """Non-null values match the regular expression ``pattern`` (whole value) and are at most
    ``max_length`` characters."""
    rx = re.compile(pattern)
    out = []
    for name in _targets(ds, **sel):
        codes, cats = text(ds, name)
        bad = np.array([c != "" and (not rx.fullmatch(c) or (max_length and len(c) > max_length))
                        for c in cats], dtype=bool)
        if bad.any():
            rows = np.flatnonzero(bad[codes])
            out.append(found(ds, rows, name, pattern=pattern, max_length=max_length or ""))
    return combine(out)


@check("required_value", family="custom",
       params={**_VARS, "where": {"type": "object",
                                  "additionalProperties": {"type": "array",
                                                           "items": {"type": "string"}}}},
       summary="variables populated (where a condition holds)")
def required_value(ctx, ds, where=None, **sel):
    """The variables have a value on every record (where ``where`` holds: variable -> values)."""
    mask = _where_mask(ds, where)
    out = []
    for name in _targets(ds, char_only=False, **sel):
        rows = np.flatnonzero(mask & ~nonnull(ds, name))
        if len(rows):
            out.append(found(ds, rows, name, ""))
    return combine(out)


@check("one_to_one", family="custom",
       params={"a": {"type": "string"}, "b": {"type": "string"},
               "within": {"type": "array", "items": {"type": "string"}}},
       summary="two variables map one to one")
def one_to_one(ctx, ds, a: str = "--TESTCD", b: str = "--TEST", within=()):
    """Each value of ``a`` goes with one value of ``b`` and the other way round (within groups of
    ``within``).  The pairing found on most records is taken as the intended one; the records
    that pair either value otherwise are reported."""
    va, vb = a.replace("--", ds.domain), b.replace("--", ds.domain)
    if va not in ds.data.columns or vb not in ds.data.columns:
        raise Skip(f"no {va}/{vb}")
    groups = [w.replace("--", ds.domain) for w in within]
    if any(g not in ds.data.columns for g in groups):
        raise Skip("grouping variable absent")
    from .util import codes_of
    ca, cb = codes_of(ds, va), codes_of(ds, vb)
    g = [codes_of(ds, x) for x in groups]
    present = nonnull(ds, va) & nonnull(ds, vb)
    bad = np.zeros(len(ca), dtype=bool)
    for left, right in ((ca, cb), (cb, ca)):
        key_gid, _ = pair_codes(*g, left)
        pair_gid, pair_first = pair_codes(*g, left, right)
        counts = np.bincount(pair_gid[present], minlength=len(pair_first))
        pair_key = key_gid[pair_first]
        # the most frequent pairing of each key (ties: the one seen first)
        order = np.lexsort((pair_first, -counts, pair_key))
        best = np.full(int(key_gid.max()) + 1 if len(key_gid) else 0, -1, dtype=np.int64)
        keys_sorted = pair_key[order]
        firsts = np.r_[True, keys_sorted[1:] != keys_sorted[:-1]] if len(order) else order
        best[keys_sorted[firsts]] = order[firsts]
        bad |= present & (pair_gid != best[key_gid])
    rows = np.flatnonzero(bad)
    if not len(rows):
        return None
    ta, tb = text(ds, va), text(ds, vb)
    return found(ds, rows, vb, tb[1][tb[0][rows]], other_variable=va,
                 other=ta[1][ta[0][rows]])


@check("datasets_present", kind="package", family="custom",
       params={"datasets": {"type": "array", "items": {"type": "string"}},
               "when": {"enum": ["SDTM", "ADaM", "always"]}},
       summary="datasets present in the package")
def datasets_present(ctx, datasets=(), when: str = "always"):
    """The named datasets are in the package (``when``: only if the package has SDTM or ADaM
    datasets)."""
    kinds = {d.kind for d in ctx.datasets.values()}
    if when != "always" and when not in kinds:
        raise Skip(f"no {when} datasets in the package")
    missing = [d for d in datasets if d not in ctx.datasets]
    return combine(found_dataset(d, None, d, message=None) for d in missing)
