"""Record conditions as data: "where WHEN holds, EXPECT must hold" over a dataset's variables.

A rule names the check ``condition`` and gives it two conditions; the records where ``when``
holds and ``expect`` does not are the findings (without ``expect``, every record where ``when``
holds is one).  A condition is a test on one variable or a combination of conditions::

    {variable: AEOUT, in: ["FATAL"]}            # value among the terms
    {variable: --REASND, empty: false}          # populated (empty: true = null)
    {variable: AGE, lt: 0}                      # numeric comparison: lt le gt ge (null: false)
    {variable: QNAM, matches: "COMPLT[0-9]*"}   # whole value matches a regular expression
    {variable: AEENDTC, same_date_as: DM.DTHDTC}  # equal at their common ISO 8601 precision
    {variable: TSVAL, equal_to: TSVALCD}        # the same text as another variable
    {all: [...]}  {any: [...]}  {not: {...}}

``--`` is the domain prefix (``--STAT`` is ``VSSTAT`` in VS).  ``DM.X`` is variable X of the
subject's DM record (joined on USUBJID).  A variable the dataset lacks is null on every record,
except those listed in ``requires``: without them the rule does not apply to the dataset (by
default every variable of ``expect`` and the variables tested at the top level of ``when``).
Tests are decided once per distinct value and mapped back to the rows with numpy.  The rule's
message may use ``{VARIABLE}`` for any variable the rule names (``{DM_DTHDTC}`` for
``DM.DTHDTC``, ``{_STAT}`` for ``--STAT``).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from . import Skip, check
from .dates import _known
from .util import found, nonnull, numbers, text

_TEST_KEYS = ("in", "not_in", "empty", "matches", "lt", "le", "gt", "ge", "same_date_as",
              "equal_to")

_COND: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "variable": {"type": "string", "pattern": r"^([A-Z][A-Z0-9]{1,7}\.)?(--)?[A-Z0-9_]+$"},
        "in": {"type": "array", "items": {"type": "string"}},
        "not_in": {"type": "array", "items": {"type": "string"}},
        "empty": {"type": "boolean"},
        "matches": {"type": "string"},
        "lt": {"type": "number"}, "le": {"type": "number"},
        "gt": {"type": "number"}, "ge": {"type": "number"},
        "same_date_as": {"type": "string"},
        "equal_to": {"type": "string"},
        "all": {"type": "array", "items": {"$ref": "#/$defs/cond"}, "minItems": 1},
        "any": {"type": "array", "items": {"$ref": "#/$defs/cond"}, "minItems": 1},
        "not": {"$ref": "#/$defs/cond"},
    },
    "oneOf": [{"required": ["variable"]}, {"required": ["all"]}, {"required": ["any"]},
              {"required": ["not"]}],
}

PARAMS = {
    "when": {"$id": "urn:cdisc-map:condition:when", "$defs": {"cond": _COND},
             "$ref": "#/$defs/cond"},
    "expect": {"$id": "urn:cdisc-map:condition:expect", "$defs": {"cond": _COND},
               "$ref": "#/$defs/cond"},
    "report": {"type": "string", "description": "the variable a finding names (default: the "
                                                "first variable of expect, else of when)"},
    "requires": {"type": "array", "items": {"type": "string"}},
    "show": {"type": "array", "items": {"type": "string"},
             "description": "further variables whose values the message may use"},
}


def _walk(cond: dict, top: bool = True):
    """(variable, top-level?) of every variable a condition names, in order."""
    if "variable" in cond:
        yield cond["variable"], top
        for k in ("same_date_as", "equal_to"):
            if k in cond:
                yield cond[k], top
    for k in ("all",):
        for c in cond.get(k, ()):
            yield from _walk(c, top)
    for c in cond.get("any", ()):
        yield from _walk(c, False)
    if "not" in cond:
        yield from _walk(cond["not"], top)


class _Frame:
    """Column access for one dataset, with ``--`` resolved and ``DM.X`` joined on USUBJID."""

    def __init__(self, ctx, ds):
        self.ctx, self.ds, self.n = ctx, ds, len(ds.data)
        self.cache: dict[str, tuple[np.ndarray, np.ndarray] | None] = {}

    def name(self, var: str) -> str:
        return var.replace("--", self.ds.domain)

    def exists(self, var: str) -> bool:
        ref, col = self._split(var)
        if ref is None:
            return col in self.ds.data.columns
        other = self.ctx.dataset(ref)
        return other is not None and col in other.data.columns and "USUBJID" in self.ds.data

    def _split(self, var: str) -> tuple[str | None, str]:
        var = self.name(var)
        if "." in var:
            ref, col = var.split(".", 1)
            return ref, col
        return None, var

    def codes(self, var: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(codes per row, distinct values as text) or None where the variable is absent."""
        if var in self.cache:
            return self.cache[var]
        ref, col = self._split(var)
        out = None
        if ref is None:
            if col in self.ds.data.columns:
                out = text(self.ds, col)
        else:
            other = self.ctx.dataset(ref)
            if other is None:
                raise Skip(f"no {ref} dataset")
            if col in other.data.columns and "USUBJID" in other.data.columns \
                    and "USUBJID" in self.ds.data.columns:
                ou, ov = text(other, "USUBJID"), text(other, col)
                # the first record of each subject in the other dataset (DM has one)
                subj = ou[1][ou[0]] if len(ou[1]) else np.array([], dtype=object)
                firsts = ~pd.Series(subj).duplicated().to_numpy()
                lookup = pd.Index(subj[firsts])
                vals = ov[0][firsts]
                mu = text(self.ds, "USUBJID")
                pos = lookup.get_indexer(mu[1]) if len(mu[1]) else np.array([], dtype=np.int64)
                cat_codes = np.where(pos >= 0, vals[np.maximum(pos, 0)] if len(vals) else -1, -1)
                cats = np.append(ov[1], "").astype(object)
                code_per_row = cat_codes[mu[0]] if len(mu[1]) else np.zeros(self.n, np.int64)
                code_per_row = np.where(code_per_row < 0, len(cats) - 1, code_per_row)
                out = (code_per_row, cats)
        self.cache[var] = out
        return out

    def column(self, var: str) -> tuple[np.ndarray, np.ndarray]:
        got = self.codes(var)
        if got is None:  # absent: null on every record
            return np.zeros(self.n, dtype=np.int64), np.array([""], dtype=object)
        return got

    def values(self, var: str, rows: np.ndarray) -> np.ndarray:
        c, v = self.column(var)
        return v[c[rows]] if len(v) else np.full(len(rows), "", dtype=object)


def _per_value(codes: np.ndarray, cats: np.ndarray, decide) -> np.ndarray:
    ok = np.array([bool(decide(c)) for c in cats], dtype=bool)
    return ok[codes] if len(cats) else np.zeros(len(codes), dtype=bool)


def _number(v: str) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def _same_date(a: str, b: str) -> bool:
    ka, kb = _known(a), _known(b)
    if not ka or not kb:
        return False
    n = min(len(ka), len(kb), 3)   # compared as dates
    return ka[:n] == kb[:n]


def evaluate(frame: _Frame, cond: dict) -> np.ndarray:
    """Boolean mask of the records where ``cond`` holds."""
    n = frame.n
    if "all" in cond:
        out = np.ones(n, dtype=bool)
        for c in cond["all"]:
            out &= evaluate(frame, c)
        return out
    if "any" in cond:
        out = np.zeros(n, dtype=bool)
        for c in cond["any"]:
            out |= evaluate(frame, c)
        return out
    if "not" in cond:
        return ~evaluate(frame, cond["not"])
    var = cond["variable"]
    codes, cats = frame.column(var)
    out = np.ones(n, dtype=bool)
    if "in" in cond:
        terms = set(cond["in"])
        out &= _per_value(codes, cats, lambda v: v in terms)
    if "not_in" in cond:
        terms = set(cond["not_in"])
        out &= _per_value(codes, cats, lambda v: v != "" and v not in terms)
    if "empty" in cond:
        want = bool(cond["empty"])
        out &= _per_value(codes, cats, lambda v: (v == "") == want)
    if "matches" in cond:
        rx = re.compile(cond["matches"])
        out &= _per_value(codes, cats, lambda v: v != "" and rx.fullmatch(v) is not None)
    for op, fn in (("lt", np.less), ("le", np.less_equal), ("gt", np.greater),
                   ("ge", np.greater_equal)):
        if op in cond:
            nums = np.array([_number(v) for v in cats], dtype=float)
            with np.errstate(invalid="ignore"):
                ok = fn(nums, float(cond[op]))
            out &= ok[codes] if len(cats) else False
    for op, same in (("same_date_as", _same_date), ("equal_to", lambda a, b: a == b)):
        if op in cond:
            oc, ov = frame.column(cond[op])
            from .util import pair_codes
            gid, first = pair_codes(codes, oc)
            ok = np.array([same(cats[codes[r]], ov[oc[r]]) for r in first], dtype=bool)
            out &= ok[gid] if len(first) else False
    return out


def _field(var: str) -> str:
    return var.replace(".", "_").replace("--", "_")


@check("condition", family="custom", params=PARAMS,
       summary="where a condition holds, another must hold")
def condition(ctx, ds, when=None, expect=None, report: str | None = None, requires=None,
              show=()):
    """Records where ``when`` holds and ``expect`` does not (see the module documentation for
    the condition language)."""
    if when is None and expect is None:
        raise Skip("the rule gives neither when nor expect")
    frame = _Frame(ctx, ds)
    named = list(dict.fromkeys(v for c in (when, expect) if c for v, _ in _walk(c)))
    if requires is None:
        need = [v for v, top in _walk(expect)] if expect else []
        need += [v for v, top in _walk(when) if top] if when else []
    else:
        need = list(requires)
    for v in need:
        ref, _col = frame._split(v)
        if ref is not None and ctx.dataset(ref) is None:
            raise Skip(f"no {ref} dataset")
        if not frame.exists(v):
            raise Skip(f"no {frame.name(v)}")
    if not any(frame.exists(v) for v in named):
        raise Skip("none of the variables is present")
    mask = evaluate(frame, when) if when else np.ones(frame.n, dtype=bool)
    if expect is not None:
        mask &= ~evaluate(frame, expect)
    rows = np.flatnonzero(mask)
    if not len(rows):
        return None
    target = report or (next(_walk(expect))[0] if expect else named[0])
    target_name = frame.name(target)
    shown = named + [v for v in show if v not in named]
    extra = {_field(v): frame.values(v, rows) for v in shown}
    extra.update({frame.name(v): frame.values(v, rows) for v in shown if "." not in v})
    value = frame.values(target, rows)
    return found(ds, rows, target_name, value, **{k: v for k, v in extra.items()
                                                  if k not in ("dataset", "variable", "record",
                                                               "usubjid", "value", "message")})


@check("code_with_text", family="custom",
       params={"pairs": {"type": "array", "minItems": 1,
                         "items": {"type": "array", "items": {"type": "string"},
                                   "minItems": 2, "maxItems": 2}}},
       summary="a code variable is populated where its text is")
def code_with_text(ctx, ds, pairs=()):
    """For each pair [text, code] (``--`` is the domain prefix) the dataset has, the code is
    populated on every record where the text is (AEBODSYS filled, AEBDSYCD empty is a
    finding)."""
    out = []
    have = False
    for t, c in pairs:
        tn, cn = t.replace("--", ds.domain), c.replace("--", ds.domain)
        if tn not in ds.data.columns or cn not in ds.data.columns:
            continue
        have = True
        rows = np.flatnonzero(nonnull(ds, tn) & ~nonnull(ds, cn))
        if len(rows):
            tc, tv = text(ds, tn)
            out.append(found(ds, rows, cn, "", text_variable=tn, text=tv[tc[rows]]))
    if not have:
        raise Skip("no text/code pair present")
    from .util import combine
    return combine(out)


__all__ = ["condition", "code_with_text", "evaluate", "numbers"]
