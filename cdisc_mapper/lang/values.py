"""Operands: one grammar for the values that SDTM mappings and ADaM specs set or compare.

An operand is data, never code::

    ONGOING                 # a constant (text, number, true/false, null)
    {value: ONGOING}        # the same constant, written out (a text that looks like a name)
    {of: RFXSTDTC}          # another variable of the same record
    {from: AEONGO}          # in SDTM mappings: a raw column of the block's form

It is the ``then``/``else`` of the SDTM ``condition`` method, the parts of ``concat``, the
right-hand side of a comparison in a condition, and each value of an ADaM ``set_values_to``.
Which reference keys exist is the host's: ``of`` everywhere, ``from`` where raw forms are read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

SCALAR = {"type": ["string", "number", "boolean", "null"]}

Path_ = tuple[Any, ...]


def operand_schema(refs: dict[str, Any], description: str | None = None) -> dict[str, Any]:
    """The schema of an operand: a constant, ``{value: X}``, or one of the host's ``refs``
    (``{"of": VARIABLE}``, ``{"from": RAW_COLUMN}``...), one key each."""
    forms: list[dict[str, Any]] = [
        SCALAR,
        {"type": "object", "properties": {"value": SCALAR}, "required": ["value"],
         "additionalProperties": False}]
    for key, schema in refs.items():
        forms.append({"type": "object", "properties": {key: schema}, "required": [key],
                      "additionalProperties": False})
    keys = "".join(f", {{{k}: ...}}" for k in refs)
    return {"title": "operand", "anyOf": forms,
            "description": description or f"a constant (text, number, null), {{value: X}}{keys}"}


def is_reference(op: Any) -> bool:
    """True for ``{of: X}``, ``{from: X}``...: a value read from the record."""
    return isinstance(op, dict) and "value" not in op


def constant(op: Any) -> Any:
    """The constant of a constant operand (``X`` or ``{value: X}``)."""
    return op["value"] if isinstance(op, dict) else op


def resolve(op: Any, read: Callable[[dict[str, Any]], Any]) -> Any:
    """The operand's value: its constant, or ``read(reference)`` for a reference."""
    return read(op) if is_reference(op) else constant(op)


def references(values: dict[str, Any] | None, base: Path_ = (), key: str = "of"
               ) -> Iterator[tuple[Path_, str]]:
    """Every (path, name) that the operands of a ``{name: operand}`` table read by ``key``."""
    for k, v in (values or {}).items():
        if is_reference(v) and key in v:
            yield base + (k,), v[key]


def text(op: Any, ref_text: Callable[[dict[str, Any]], str] = lambda r: r["of"],
         show: Callable[[Any], str] = repr) -> str:
    """Plain-English text of an operand, for define.xml method descriptions."""
    if is_reference(op):
        return ref_text(op)
    v = constant(op)
    return "missing" if v is None else show(v)


__all__ = ["SCALAR", "operand_schema", "is_reference", "constant", "resolve", "references",
           "text"]
