"""The closed vocabulary of mapping methods.

A mapping file names a method per variable (``method: assign_ct``).  Each name maps to exactly one
small Python function registered here with :func:`method`, together with the JSON Schema of its
parameters, the define.xml origin it gives, a one-line summary and an example.  Nothing else can be
called from a mapping file: there is no expression language and no ``eval``.

A method function takes the :class:`~cdisc_mapper.engine.context.BlockContext` of the records being
built and its parameters (a plain dict already validated against ``params``), and returns a pandas
Series aligned with the block's records.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from collections.abc import Callable

import pandas as pd

from ..lang import values
from ..lang.values import SCALAR

# Parameter schema fragments shared by several methods.
RAW_COLUMN = {"type": "string", "pattern": "^(?!__)\\S(.*\\S)?$",
              "description": "a column of the raw form, named exactly as exported (dots, "
                             "spaces, mixed case and leading digits allowed: `IT.AETERM`, "
                             "`Visit Date`)"}
VARIABLE = {"type": "string", "pattern": "^([A-Z][A-Z0-9]{0,7}\\.)?[A-Z][A-Z0-9_]{0,7}$",
            "description": "a variable already derived in this dataset, or DATASET.VARIABLE "
                           "(e.g. DM.RFSTDTC) joined by subject"}
VALUE_MAP = {"type": "object", "additionalProperties": SCALAR,
             "description": "raw value → output value; keys match case-insensitively, trimmed"}
CODELIST = {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9_]*$",
            "description": "a codelist short name (CDISC, e.g. SEX, or the study's own)"}
OPERAND = values.operand_schema(
    {"from": RAW_COLUMN, "of": VARIABLE},
    "{value: X} (or X) a constant, {from: COLUMN} a raw column, {of: VARIABLE} a variable")


@dataclass(frozen=True)
class Method:
    name: str
    func: Callable[..., pd.Series]
    family: str
    params: dict[str, Any]          # JSON Schema properties of the parameters
    required: tuple[str, ...]
    origin: str                     # define.xml origin: Collected, Derived, Assigned, Protocol;
                                    # "auto": Collected when read `from` a raw column, else Derived
    summary: str
    example: str
    stage: str = "record"           # "record": per block; "dataset": after blocks are combined
    text: Callable[[dict[str, Any], Any], str] | None = None   # define.xml method text

    @property
    def doc(self) -> str:
        return (self.func.__doc__ or "").strip()

    def origin_for(self, params: dict[str, Any]) -> str:
        if self.origin == "auto":
            return "Collected" if "from" in params else "Derived"
        return self.origin

    def schema(self) -> dict[str, Any]:
        props = {"method": {"const": self.name}, **COMMON_PARAMS, **self.params}
        return {"type": "object", "properties": props, "required": ["method", *self.required],
                "additionalProperties": False}


#: Parameters every method accepts.
COMMON_PARAMS: dict[str, Any] = {
    "source": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$",
               "description": "read `from` columns of another raw form, joined by subject "
                              "(that form must have one row per subject)"},
    "comment": {"type": "string", "description": "a note for reviewers; goes to define.xml"},
    "describe": {"type": "string", "description": "overrides the generated method text"},
    "when": {"$ref": "#/$defs/condition",
             "description": "keep the method's value only on records where this condition "
                            "holds (elsewhere `otherwise`, default missing)"},
    "otherwise": {**OPERAND, "description": "with `when`: the value elsewhere — {value: X}, "
                                            "{from: COLUMN} or {of: VARIABLE}"},
}

METHODS: dict[str, Method] = {}


def method(name: str, *, family: str, origin: str, summary: str, example: str,
           params: dict[str, Any] | None = None, required: tuple[str, ...] = (),
           stage: str = "record", text: Callable | None = None) -> Callable:
    """Register a mapping method under ``name``; ``text(params, state)`` gives its define.xml
    method description."""

    def register(func: Callable[..., pd.Series]) -> Callable[..., pd.Series]:
        if name in METHODS:
            raise RuntimeError(f"method {name} registered twice")
        METHODS[name] = Method(name, func, family, params or {}, tuple(required), origin,
                               summary, example.strip(), stage, text)
        return func

    return register


def all_methods() -> dict[str, Method]:
    """Every registered method (importing the method modules registers them)."""
    import importlib

    from . import assign, codes, conditions, dates, numbers, text, timing  # noqa: F401
    try:                                     # the findings family, when present
        importlib.import_module(f"{__package__}.findings")
    except ModuleNotFoundError as e:
        if e.name != f"{__package__}.findings":
            raise
    return METHODS


def apply_when(ctx, params: dict[str, Any], value: pd.Series) -> pd.Series:
    """The common ``when``/``otherwise`` parameters: the value where the condition holds."""
    if "when" not in params:
        return value
    from .conditions import evaluate

    path = ctx.path
    ctx.path = path + ("when",)
    keep = evaluate(ctx, params["when"]).to_numpy()
    ctx.path = path
    other = ctx.operand(params.get("otherwise"))
    other.index = value.index
    if value.dtype != other.dtype:
        if pd.api.types.is_numeric_dtype(value) and other.isna().all():
            other = other.astype(value.dtype)
        else:
            value, other = value.astype(object), other.astype(object)
    return value.where(keep, other)
