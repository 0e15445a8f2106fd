"""The SDTM tables released before ADaM runs must let their Arrow buffers go."""

import gc

import pandas as pd
import pyarrow as pa

from cdisc_mapper.engine.run import empty_like


def _held_after(release) -> int:
    """Arrow bytes still allocated once a big text table is replaced by ``release(table)``."""
    gc.collect()
    before = pa.total_allocated_bytes()
    df = pd.DataFrame({"USUBJID": pd.Series([f"S-{i:07d}" for i in range(200_000)],
                                            dtype="string[pyarrow]"),
                       "AVAL": range(200_000)})
    kept = release(df)
    del df
    gc.collect()
    held = pa.total_allocated_bytes() - before
    assert list(kept.columns) == ["USUBJID", "AVAL"] and len(kept) == 0
    return held


def test_empty_like_shares_no_buffers():
    assert _held_after(lambda d: d.iloc[0:0]) > 1_000_000     # a zero-row slice keeps them
    assert _held_after(empty_like) < 10_000


def test_empty_like_keeps_types():
    df = pd.DataFrame({"A": pd.Series(["x"], dtype="string[pyarrow]"), "B": [1.5]})
    assert empty_like(df).dtypes.to_dict() == df.dtypes.to_dict()
