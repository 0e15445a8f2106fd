"""The working frame a rule's Check is evaluated on, and name resolution within it.

``--`` at the start of a name is the dataset's domain prefix (``--TERM`` in AE is ``AETERM``);
``$name`` is the result of one of the rule's Operations (a value or list for the whole dataset,
or one value per record); any other string names a column of the frame.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .values import ListValue

__all__ = ["Work", "MissingVariable", "Unsupported", "ROW"]

ROW = "__row__"      # 0-based record of the dataset a frame row comes from


class MissingVariable(Exception):
    """A variable the Check needs is not in the dataset: the rule does not apply to it."""


class Unsupported(Exception):
    """Something in the rule that this engine does not implement (its name is the message)."""


class Work:
    def __init__(self, df: pd.DataFrame, prefix: str, ops: dict[str, Any] | None = None):
        self.df = df
        self.prefix = prefix or ""
        self.domain = ""           # the dataset's DOMAIN value, where it has one
        self.ops = ops if ops is not None else {}
        # a variable the dataset lacks, read other than as a condition's target (which the
        # engine checks first), is empty on every record
        self.missing_as_empty = True
        self.missing: set[str] = set()

    @property
    def n(self) -> int:
        return len(self.df)

    @property
    def columns(self):
        return self.df.columns

    def name(self, name: Any) -> str:
        if not isinstance(name, str):
            return str(name)
        if name.startswith("--"):
            return self.prefix + name[2:]
        if "." in name and ".--" in name:
            a, b = name.split(".", 1)
            return f"{a}.{self.prefix}{b[2:]}"
        return name

    def has(self, name: Any) -> bool:
        n = self.name(name)
        return n in self.ops or n in self.df.columns

    def col(self, name: Any) -> pd.Series:
        n = self.name(name)
        if n in self.ops:
            return self._broadcast(self.ops[n])
        if n in self.df.columns:
            s = self.df[n]
            if isinstance(s.dtype, pd.StringDtype):
                # Arrow-backed text: once to Python strings, which the operators compare
                s = pd.Series(s.to_numpy(object), index=s.index, dtype=object)
                self.df[n] = s
            return s
        if self.missing_as_empty:
            self.missing.add(n)
            return pd.Series(np.full(self.n, np.nan), index=self.df.index)
        raise MissingVariable(n)

    def _broadcast(self, v: Any) -> pd.Series:
        if isinstance(v, pd.Series):
            return v
        if isinstance(v, ListValue):
            arr = np.empty(self.n, object)
            arr.fill(v.values)          # one shared list object, referenced by every row
            return pd.Series(arr, index=self.df.index, dtype=object)
        if v is None:
            return pd.Series(np.full(self.n, None, object), index=self.df.index, dtype=object)
        if isinstance(v, (bool, np.bool_)):
            return pd.Series(np.full(self.n, bool(v)), index=self.df.index)
        if isinstance(v, (int, float, np.integer, np.floating)):
            return pd.Series(np.full(self.n, float(v)), index=self.df.index)
        return pd.Series(np.full(self.n, v, object), index=self.df.index, dtype=object)

    def comparator(self, c: dict) -> tuple[str, Any]:
        """("col", Series) | ("list", values) | ("lit", value) for the condition's value."""
        v = c.get("value")
        literal = bool(c.get("value_is_literal"))
        if isinstance(v, str):
            n = self.name(v)
            if not literal:
                if n in self.ops:
                    o = self.ops[n]
                    if isinstance(o, ListValue):
                        return "list", o.values
                    if isinstance(o, pd.Series):
                        return "col", o
                    return "lit", o
                if n in self.df.columns:
                    return "col", self.df[n]
            return "lit", n if n != v and not literal else v
        if isinstance(v, list):
            out: list = []
            for x in v:
                if isinstance(x, str) and not literal:
                    n = self.name(x)
                    if n in self.ops and isinstance(self.ops[n], ListValue):
                        out.extend(self.ops[n].values)
                        continue
                    if n in self.ops and not isinstance(self.ops[n], pd.Series):
                        out.append(self.ops[n])
                        continue
                out.append(x)
            return "list", out
        if isinstance(v, dict):
            raise Unsupported("a Check value given as a mapping")
        return "lit", v

    def referenced(self, c: dict) -> pd.Series:
        """``value_is_reference``: for each row, the value of the column whose name the row's
        comparator variable holds (IDVARVAL compared with the variable IDVAR names)."""
        ref = self.col(c.get("value"))
        from .values import as_text
        names = as_text(ref).to_numpy(object)
        out = np.full(self.n, None, object)
        for nm in pd.unique(names):
            rows = names == nm
            if nm and nm in self.df.columns:
                out[rows] = self.df[nm].to_numpy(object)[rows]
        return pd.Series(out, index=self.df.index)
