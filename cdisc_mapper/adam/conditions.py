"""Conditions in ADaM specs: filters and criteria written as data, never as code.

The same shape as the SDTM mapping conditions (``of:`` names a variable), with comparisons::

    {of: QSTESTCD, equals: EASITOT}          # equal (text compared exactly)
    {of: AVISITN, in: [12, 16]}              # one of; not_in: none of
    {of: ASTDT, missing: true}               # missing / present
    {of: PCHG, le: -50}                      # lt, le, gt, ge: a number ...
    {of: ADT, le: {of: TRTSDT}}              # ... or another variable of the same record
    {of: AGE, ge: 30, lt: 40}                # several tests on one variable: all must hold
    {all: [cond, ...]} / {any: [cond, ...]} / {not: cond}

A test on a missing value is false (``not_equals`` and ``not_in`` are true), as in SAS ``where``
clauses on character variables; use ``missing:`` to test for missing values explicitly.
"""

from __future__ import annotations

from typing import Any
from collections.abc import Iterator

import numpy as np
import pandas as pd

from ..lang import conditions as kernel
from .registry import NAME, Path_

_REF = {"of": NAME}
_LEAF = kernel.leaf_schema(_REF, _REF)
CONDITION = kernel.condition_schema(_LEAF, "a test on variables of a record; combine with "
                                           "all/any/not")


def _host(df: pd.DataFrame) -> kernel.Host:
    return kernel.Host(lambda ref: df[ref["of"]], fold=False)


def evaluate(df: pd.DataFrame, cond: dict[str, Any] | None) -> np.ndarray:
    """A boolean array: where ``cond`` holds on the records of ``df`` (all true when None)."""
    return kernel.evaluate(cond, _host(df), len(df))


def variables(cond: dict[str, Any] | None, path: Path_ = ()) -> Iterator[tuple[Path_, str]]:
    """Every (path, variable) a condition reads."""
    for p, ref in kernel.references(cond, path):
        if "of" in ref:
            yield p, ref["of"]


def parameters(cond: dict[str, Any] | None, path: Path_ = ()) -> Iterator[tuple[Path_, str]]:
    """Every (path, PARAMCD value) a condition tests PARAMCD against."""
    if not cond:
        return
    for key in ("all", "any"):
        if key in cond:
            for i, c in enumerate(cond[key]):
                yield from parameters(c, path + (key, i))
            return
    if "not" in cond:
        yield from parameters(cond["not"], path + ("not",))
        return
    if cond.get("of") != "PARAMCD":
        return
    if isinstance(cond.get("equals"), str):
        yield path + ("equals",), cond["equals"]
    for i, v in enumerate(cond.get("in") or ()):
        if isinstance(v, str):
            yield path + ("in", i), v


_ADAM_WORDS = {"equals": "{what} = {items}", "not_equals": "{what} ≠ {items}",
               "in": "{what} in ({items})", "not_in": "{what} not in ({items})"}


def describe(cond: dict[str, Any] | None) -> str:
    """Plain-English text of a condition."""
    if not cond:
        return "all records"
    if "all" in cond:
        return " and ".join(_wrap(c) for c in cond["all"])
    if "any" in cond:
        return " or ".join(_wrap(c) for c in cond["any"])
    if "not" in cond:
        return f"not ({describe(cond['not'])})"
    return kernel.describe_tests(cond, cond["of"], _text, lambda r: r["of"], _ADAM_WORDS)


def _wrap(c: dict[str, Any]) -> str:
    text = describe(c)
    return f"({text})" if ("all" in c or "any" in c) else text


def _text(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return f"'{v}'" if isinstance(v, str) else str(v)
