"""Helpers for the ADaM tests (no tests here): tiny tables written inline and compared by key
(as admiral's ``expect_dfs_equal``), and the two sample studies converted once per session."""

from __future__ import annotations

import shutil
import tempfile
from datetime import datetime
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
STUDIES = ("ADT2002-P1", "ADT2002-P2")
CREATED = datetime(2023, 1, 1)


def table(text: str) -> pd.DataFrame:
    """A small table written as text: ``|``-separated columns, first line the names; cells
    that look like numbers become numbers, empty cells missing."""
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    rows = [[c.strip() for c in ln.split("|")] for ln in lines]
    names, body = rows[0], rows[1:]
    body = [r + [""] * (len(names) - len(r)) for r in body]
    data = {}
    for j, n in enumerate(names):
        col = [r[j] if r[j] != "" else None for r in body]
        try:
            data[n] = np.array([np.nan if v is None else float(v) for v in col])
        except ValueError:
            data[n] = np.array(col, dtype=object)
    return pd.DataFrame(data)


def _norm(v):
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "<missing>"
    if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
        return round(float(v), 9)
    return v


def assert_same(actual: pd.DataFrame, expected: pd.DataFrame, keys: list[str]) -> None:
    """The same records (compared by ``keys``) with the same values in the expected columns."""
    cols = list(expected.columns)
    missing = [c for c in cols if c not in actual.columns]
    assert not missing, f"columns missing: {missing}"
    a = actual[cols].map(_norm).sort_values(keys, key=lambda s: s.astype(str)).reset_index(drop=True)
    e = expected[cols].map(_norm).sort_values(keys, key=lambda s: s.astype(str)).reset_index(drop=True)
    assert len(a) == len(e), f"{len(a)} records, expected {len(e)}\n{a}\n{e}"
    diff = [(i, c, a.at[i, c], e.at[i, c]) for i in range(len(a)) for c in cols
            if a.at[i, c] != e.at[i, c]]
    assert not diff, "differences (row, column, actual, expected):\n" + "\n".join(map(str, diff))


@cache
def converted() -> Path:
    """Both sample studies converted once: SDTM (convert_study) then ADaM (convert_adam) and
    the results; returns the output folder (deleted at exit)."""
    from cdisc_mapper.adam.run import convert_adam
    from cdisc_mapper.engine.run import convert_study
    from cdisc_mapper.results import study_plan, write_results
    import atexit

    out = Path(tempfile.mkdtemp(prefix="cdisc-adam-tests-"))
    atexit.register(shutil.rmtree, out, True)
    for study in STUDIES:
        res = convert_study(ROOT / "mappings" / study / "study.yaml", out, created=CREATED)
        convert_adam(res.study, res.out_dir / "tabulations" / "sdtm", res.out_dir,
                     created=CREATED)
        write_results(res.out_dir / "analysis" / "adam", study, study_plan(res.study))
    return out


def adam_dir(study: str) -> Path:
    return converted() / study / "analysis" / "adam"


def read_adam(study: str, name: str) -> pd.DataFrame:
    import pyreadstat
    df, _ = pyreadstat.read_xport(str(adam_dir(study) / "datasets" / f"{name.lower()}.xpt"))
    for c in df.columns:
        if df[c].dtype == object or str(df[c].dtype).startswith(("str", "string")):
            df[c] = df[c].astype(object).where(df[c] != "", None)
    return df


def values(s: pd.Series) -> list:
    """A column as a list, missing values as None."""
    return [None if pd.isna(v) else v for v in s]


__all__ = ["table", "assert_same", "values", "converted", "adam_dir", "read_adam"]
