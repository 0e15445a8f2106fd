"""DataType, Length, SignificantDigits and DisplayFormat of an ItemDef, from the spec and the data
exactly as written.

Define-XML 2.1 (section 4.3.3) and Pinnacle 21 expect:

* **Char** variables are ``text`` with ``Length`` = the length written to the XPT file (the spec's
  ``length``, set by the writer), except ISO 8601 values, which take the ISO data type and no
  ``Length`` (as in the CDISC examples):

  - ``date`` (all values ``YYYY-MM-DD``), ``datetime`` (all ``YYYY-MM-DDThh:mm:ss``);
  - ``partialDate`` (dates, some truncated: ``YYYY``, ``YYYY-MM``), ``partialDatetime`` (date-times
    truncated on the right, or a mix of dates and date-times);
  - ``incompleteDatetime`` (a component missing in the middle: ``2024---15``);
  - ``durationDatetime`` (ISO 8601 durations such as ``P29D``, in ``--DUR`` / ``TEDUR``).

  A ``--DTC``/``--DUR`` variable with a value that is not ISO 8601 falls back to ``text``.
* **Num** variables are ``integer`` when every written value is whole, else ``float`` with
  ``SignificantDigits`` = the most decimals any value has.  ``Length`` is the width of the
  longest value printed with that many decimals (sign and decimal point included), which is the
  ``w`` of a SAS ``w.d`` format.  A SAS date, datetime or time (a date/time display format such as
  ``DATE9.``) is ``integer`` and keeps its ``def:DisplayFormat``.
* Value-level items of a Char variable whose values in their subset are all numbers (``QSORRES``
  where ``QSTESTCD = EASIHNER``) are ``integer`` or ``float`` with the same rules; their Length is
  the longest text in the subset.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..io.xpt import sas_format_kind, sas_numeric_values
from ..spec.model import VariableSpec

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$")
ISO_PARTIAL_DATE = re.compile(r"^\d{4}(-\d{2})?$")
ISO_PARTIAL_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}(:\d{2})?$")
ISO_INCOMPLETE = re.compile(r"^(\d{4}|-)(-(\d{2}|-))?(-(\d{2}|-))?(T(\d{2}|-)(:(\d{2}|-))?(:(\d{2}|-))?)?$")
ISO_DURATION = re.compile(r"^-?P(?=\d|T\d)(\d+(\.\d+)?Y)?(\d+(\.\d+)?M)?(\d+(\.\d+)?W)?"
                          r"(\d+(\.\d+)?D)?(T(?=\d)(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?$")
NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)$")
MAX_DECIMALS = 10


@dataclass(frozen=True)
class ItemType:
    data_type: str                       # text, integer, float, date, datetime, ...
    length: int | None = None
    significant_digits: int | None = None
    display_format: str | None = None


def _present(values: pd.Series) -> list[str]:
    """The distinct non-empty values as text (made distinct before any conversion)."""
    seen = dict.fromkeys(str(v) for v in pd.unique(values.dropna().to_numpy(dtype=object)))
    return [v for v in seen if v != ""]


def iso_kind(value: str) -> str | None:
    """The Define-XML data type of one ISO 8601 value, or None when it is not ISO 8601."""
    if ISO_DATE.match(value):
        return "date"
    if ISO_DATETIME.match(value):
        return "datetime"
    if ISO_PARTIAL_DATE.match(value):
        return "partialDate"
    if ISO_PARTIAL_DATETIME.match(value):
        return "partialDatetime"
    if ISO_INCOMPLETE.match(value) and "-" in value:
        return "incompleteDatetime"
    return None


def iso_datetime_type(values: list[str]) -> str | None:
    """The one data type that fits every value (None when some value is not ISO 8601)."""
    kinds = set()
    for v in values:
        k = iso_kind(v)
        if k is None:
            return None
        kinds.add(k)
    if not kinds:
        return "partialDatetime"         # no value: the widest type that still says ISO 8601
    if len(kinds) == 1:
        return kinds.pop()
    if "incompleteDatetime" in kinds:
        return "incompleteDatetime"
    if kinds <= {"date", "partialDate"}:
        return "partialDate"
    return "partialDatetime"


def is_iso_datetime_variable(name: str) -> bool:
    return name.endswith("DTC")


def is_iso_duration_variable(name: str) -> bool:
    return name.endswith("DUR") or name.endswith("ELTM") or name.endswith("EVLINT")


def _decimals(x: float) -> int:
    text = f"{abs(x):.{MAX_DECIMALS}f}".rstrip("0")
    return len(text.split(".", 1)[1]) if "." in text else 0


def number_type(values: np.ndarray) -> ItemType:
    """integer/float, Length and SignificantDigits of numbers as written (NaN = missing)."""
    present = values[~np.isnan(values)]
    if present.size == 0:
        return ItemType("integer", 1)
    uniq = np.unique(present)
    whole = np.all(np.mod(uniq, 1) == 0)
    if whole:
        return ItemType("integer", max(len(str(int(v))) for v in uniq))
    digits = max(_decimals(float(v)) for v in uniq)
    width = max(len(f"{float(v):.{digits}f}") for v in uniq)
    return ItemType("float", width, digits)


def text_numbers(values: list[str]) -> ItemType | None:
    """integer/float for text values that are all numbers (Length = longest text), else None."""
    if not values or not all(NUMBER.match(v) for v in values):
        return None
    length = max(len(v.encode("utf-8")) for v in values)
    decimals = [len(v.split(".", 1)[1]) if "." in v else 0 for v in values]
    if max(decimals) == 0:
        return ItemType("integer", length)
    return ItemType("float", length, max(decimals))


def item_type(var: VariableSpec, values: pd.Series | None, dataset: str = "",
              texts: list[str] | None = None) -> ItemType:
    """The ItemDef attributes of a dataset variable (``values``: its column as written;
    ``texts``: its distinct non-empty values as text, when the caller has them already)."""
    if var.type == "Num":
        if values is None:
            return ItemType("integer", var.length or 8, None, var.display_format)
        numbers = sas_numeric_values(values, var, dataset)
        t = number_type(numbers)
        if sas_format_kind(var.display_format):
            return ItemType("integer", t.length, None, var.display_format)
        sd = var.significant_digits if var.significant_digits is not None else t.significant_digits
        if t.data_type == "float" and var.display_format is None:
            return ItemType("float", t.length, sd, None)
        return ItemType(t.data_type, t.length, sd if t.data_type == "float" else None,
                        var.display_format)
    if texts is None:
        texts = _present(values) if values is not None else []
    if is_iso_datetime_variable(var.name):
        kind = iso_datetime_type(texts)
        if kind is not None:
            return ItemType(kind)
    if is_iso_duration_variable(var.name) and texts and all(ISO_DURATION.match(v) for v in texts):
        return ItemType("durationDatetime")
    return ItemType("text", var.length or max([len(v.encode("utf-8")) for v in texts] or [1]),
                    None, var.display_format)


def value_level_type(var: VariableSpec, values: pd.Series, dataset: str = "") -> ItemType:
    """The ItemDef attributes of a value-level item (``values``: the subset its condition selects)."""
    if var.type == "Num":
        return item_type(var, values, dataset)
    texts = _present(values)
    if is_iso_datetime_variable(var.name):
        kind = iso_datetime_type(texts)
        if kind is not None:
            return ItemType(kind)
    numeric = text_numbers(texts)
    if numeric is not None:
        return numeric
    return ItemType("text", max([len(v.encode("utf-8")) for v in texts] or [1]))
