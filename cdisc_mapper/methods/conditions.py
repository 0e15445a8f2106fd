"""Conditions in SDTM mappings: the shared grammar of :mod:`cdisc_mapper.lang.conditions`.

A condition is data, never code::

    {from: AEONGO, equals: "Yes"}            # raw column equals (case-insensitive, trimmed)
    {of: RFXSTDTC, missing: true}            # variable is missing
    {from: DSDECOD, in: [Completed, Done]}   # one of
    {of: AESTDTC, before: {of: RFXSTDTC}}    # dates; lt/le/gt/ge/between for numbers
    {all: [cond, cond]} / {any: [cond, cond]} / {not: cond}

Here text compares ignoring case and surrounding blanks (raw data as entered); numbers compare
as numbers.  The ``condition`` method picks a value by such conditions.
"""

from __future__ import annotations

import pandas as pd

from ..lang import conditions as kernel
from .registry import OPERAND, RAW_COLUMN, SCALAR, VARIABLE, method

_REFS = {"from": RAW_COLUMN, "of": VARIABLE,
         "source": {"type": "string", "description": "the raw form of `from` (joined by subject)"}}
_LEAF = kernel.leaf_schema(_REFS, _REFS, subject_required=[["from"], ["of"]])
CONDITION = kernel.condition_schema(
    _LEAF, "a test on a raw column or a variable; combine with all/any/not")


def host(ctx) -> kernel.Host:
    """The SDTM reading of a condition: ``from`` a raw column (of ``source``), ``of`` a
    variable; text compares ignoring case and surrounding blanks (raw data as entered)."""

    def resolve(ref: dict) -> pd.Series:
        if "from" in ref:
            return ctx.column(ref["from"], ref.get("source"))
        return ctx.variable(ref["of"])

    return kernel.Host(resolve, fold=True, subjects=("from", "of"))


def evaluate(ctx, cond: dict) -> pd.Series:
    """A boolean Series: where ``cond`` holds on the block's records (missing never equals)."""
    return pd.Series(kernel.evaluate(cond, host(ctx), len(ctx.index)), index=ctx.index)


_SDTM_WORDS = {"equals": "{what} is {v!r}", "not_equals": "{what} is not {v!r}",
               "in": "{what} is one of {v!r}", "not_in": "{what} is not one of {v!r}"}


def _ref_text(ref: dict) -> str:
    return f"raw {ref['from']}" if "from" in ref else ref["of"]


def describe(cond: dict) -> str:
    """Plain-English text of a condition, for define.xml method descriptions."""
    if "all" in cond:
        return " and ".join(f"({describe(c)})" for c in cond["all"])
    if "any" in cond:
        return " or ".join(f"({describe(c)})" for c in cond["any"])
    if "not" in cond:
        return f"not ({describe(cond['not'])})"
    what = _ref_text(cond)
    return kernel.describe_tests(cond, what, repr, _ref_text, _SDTM_WORDS) or what


@method("condition", family="logic", origin="Derived",
        summary="Choose a value by conditions on raw columns or variables (first match wins).",
        params={"cases": {"type": "array", "minItems": 1, "items": {
                    "type": "object", "properties": {"when": CONDITION, "then": OPERAND},
                    "required": ["when", "then"], "additionalProperties": False}},
                "else": OPERAND},
        required=("cases",),
        example="AEENRTPT:\n  method: condition\n  cases:\n"
                "    - when: {from: AEONGO, equals: 'Yes'}\n      then: {value: ONGOING}\n"
                "  else: null")
def condition(ctx, p):
    """Evaluate the ``cases`` in order; each record takes the ``then`` of the first case whose
    ``when`` holds, else ``else`` (missing when not given).  ``then``/``else`` are operands:
    ``{value: X}`` (or ``X``), ``{from: COLUMN}`` or ``{of: VARIABLE}``."""
    result = ctx.operand(p.get("else"))
    decided = pd.Series(False, index=ctx.index)
    for case in p["cases"]:
        hit = evaluate(ctx, case["when"]) & ~decided
        if hit.any():
            value = ctx.operand(case["then"])
            if result.dtype != value.dtype:
                result = result.astype(object)
            result = result.where(~hit, value)
        decided |= hit
    return result
