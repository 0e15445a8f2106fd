"""Conditions: the only branching a mapping file can express.

A condition is data, never code::

    {from: AEONGO, equals: "Yes"}            # raw column equals (case-insensitive, trimmed)
    {of: RFXSTDTC, missing: true}            # variable is missing
    {from: DSDECOD, in: [Completed, Done]}   # one of
    {all: [cond, cond]} / {any: [cond, cond]} / {not: cond}

Strings are compared ignoring case and surrounding blanks; numbers compare as numbers.
"""

from __future__ import annotations

import pandas as pd

from .registry import OPERAND, RAW_COLUMN, SCALAR, VARIABLE, method

_LEAF = {
    "type": "object",
    "properties": {
        "from": RAW_COLUMN, "of": VARIABLE, "source": {"type": "string"},
        "equals": SCALAR, "not_equals": SCALAR,
        "in": {"type": "array", "items": SCALAR, "minItems": 1},
        "not_in": {"type": "array", "items": SCALAR, "minItems": 1},
        "missing": {"type": "boolean"},
    },
    "additionalProperties": False,
    "oneOf": [{"required": ["from"]}, {"required": ["of"]}],
    "minProperties": 2,
}
CONDITION = {
    "description": "a test on a raw column or a variable; combine with all/any/not",
    "anyOf": [
        _LEAF,
        {"type": "object", "properties": {"all": {"type": "array", "items": {"$ref": "#/$defs/condition"},
                                                   "minItems": 1}},
         "required": ["all"], "additionalProperties": False},
        {"type": "object", "properties": {"any": {"type": "array", "items": {"$ref": "#/$defs/condition"},
                                                   "minItems": 1}},
         "required": ["any"], "additionalProperties": False},
        {"type": "object", "properties": {"not": {"$ref": "#/$defs/condition"}},
         "required": ["not"], "additionalProperties": False},
    ],
}


def _norm(s: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(s):
        return s
    from ..engine.context import keys_of
    return keys_of(s)


def _norm_value(v):
    return v.strip().upper() if isinstance(v, str) else v


def evaluate(ctx, cond: dict) -> pd.Series:
    """A boolean Series: where ``cond`` holds on the block's records (missing never equals)."""
    if "all" in cond:
        out = pd.Series(True, index=ctx.index)
        for c in cond["all"]:
            out &= evaluate(ctx, c)
        return out
    if "any" in cond:
        out = pd.Series(False, index=ctx.index)
        for c in cond["any"]:
            out |= evaluate(ctx, c)
        return out
    if "not" in cond:
        return ~evaluate(ctx, cond["not"])
    if "from" in cond:
        s = ctx.column(cond["from"], cond.get("source"))
    else:
        s = ctx.variable(cond["of"])
    if "missing" in cond:
        isna = s.isna()
        return (isna if cond["missing"] else ~isna).astype(bool)
    v = _norm(s)
    if "equals" in cond:
        return (v == _norm_value(cond["equals"])).fillna(False).astype(bool)
    if "not_equals" in cond:
        return (v != _norm_value(cond["not_equals"])).fillna(True).astype(bool)
    if "in" in cond:
        return v.isin([_norm_value(x) for x in cond["in"]]).fillna(False).astype(bool)
    return (~v.isin([_norm_value(x) for x in cond["not_in"]])).fillna(True).astype(bool)


def describe(cond: dict) -> str:
    """Plain-English text of a condition, for define.xml method descriptions."""
    if "all" in cond:
        return " and ".join(f"({describe(c)})" for c in cond["all"])
    if "any" in cond:
        return " or ".join(f"({describe(c)})" for c in cond["any"])
    if "not" in cond:
        return f"not ({describe(cond['not'])})"
    what = f"raw {cond['from']}" if "from" in cond else cond["of"]
    if "missing" in cond:
        return f"{what} is {'missing' if cond['missing'] else 'present'}"
    for op, word in (("equals", "is"), ("not_equals", "is not"), ("in", "is one of"),
                     ("not_in", "is not one of")):
        if op in cond:
            return f"{what} {word} {cond[op]!r}"
    return what


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
    ``when`` holds, else ``else`` (missing when not given).  ``then``/``else`` are ``{value: X}``,
    ``{from: COLUMN}`` or ``{of: VARIABLE}``."""
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
