"""Raw CRF forms read as text, one record per row, with their row numbers kept.

A form is a CSV file (any delimiter and encoding, declared under ``forms:``), an XLSX sheet, a
SAS7BDAT or XPT dataset, a Parquet file or an item group of a CDISC ODM-XML 1.3 clinical data
export (:mod:`cdisc_mapper.io.rawformats` reads each into text cells); every format then gets
the same treatment here: blanks trimmed, empty values missing, control characters refused, a
blank subject refused, rows numbered from 1 in file order.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from ..errors import DataError
from ..io.rawformats import read_table


@dataclass
class RawForm:
    """One raw form.  ``table`` holds every column as text (missing = NA); ``row`` is the data
    row number in the file (1 = the first row after the header), kept for lineage and errors."""

    name: str
    path: Path
    display: str
    table: pd.DataFrame
    subject_col: str

    @property
    def subject(self) -> pd.Series:
        return self.table[self.subject_col]

    @property
    def rows(self) -> pd.Series:
        return self.table["__row__"]

    def column(self, name: str) -> pd.Series:
        if name not in self.table.columns or name.startswith("__"):
            cols = [c for c in self.table.columns if not c.startswith("__")]
            raise DataError(f"raw column '{name}' is missing (columns: {', '.join(cols)})",
                            file=self.display)
        return self.table[name]


# control characters other than tab, line feed and carriage return: an XPT reader stops at a NUL,
# and none of them belongs in a submission value
_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"


def _refuse_control_characters(uniques, codes, col: str, display: str) -> None:
    """One data error for the first row whose value holds a control character (checked once per
    distinct value)."""
    bad = pd.Series(uniques, dtype=object).str.contains(_CONTROL, regex=True, na=False).to_numpy()
    if not bad.any():
        return
    first = int(np.flatnonzero(np.isin(codes, np.flatnonzero(bad)))[0])
    value = str(uniques[codes[first]])
    raise DataError("a control character (such as NUL) is in the value: export the form again "
                    "or clean the cell", file=display, record=first + 1, variable=col,
                    value=value)


def read_form(name: str, path: Path, display: str, subject_col: str,
              options: Mapping[str, Any] | None = None) -> RawForm:
    """Read a form (CSV or another format, see io/rawformats); every value as text, blanks
    trimmed, empty cells missing."""
    if not path.is_file():
        raise DataError(f"raw form '{name}' not found (expected {display})", file=display)
    table = read_table(path, display, options, subject_col)
    for col in table.columns:
        codes, uniques = pd.factorize(table[col], use_na_sentinel=True)
        _refuse_control_characters(uniques, codes, col, display)
        stripped = pd.Series(uniques, dtype=object).str.strip()
        stripped = stripped.where(stripped != "").to_numpy(dtype=object)
        values = np.full(len(codes), None, dtype=object)
        ok = codes >= 0
        values[ok] = stripped[codes[ok]]
        table[col] = pd.Series(values, index=table.index, dtype="string")
    if subject_col not in table.columns:
        raise DataError(f"the subject column '{subject_col}' is missing", file=display)
    blank = np.flatnonzero(table[subject_col].isna().to_numpy())
    if len(blank):
        more = f" (and {len(blank) - 1:,} more rows)" if len(blank) > 1 else ""
        raise DataError(f"the subject column is empty{more}: every row of a form belongs to a "
                        "subject", file=display, record=int(blank[0]) + 1, variable=subject_col)
    table["__row__"] = range(1, len(table) + 1)
    return RawForm(name, path, display, table, subject_col)
