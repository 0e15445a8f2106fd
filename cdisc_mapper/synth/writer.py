"""Writing the forms as CSV files: UTF-8, ``\\n`` line ends, no index, cells as drawn."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def write_forms(out_dir: Path, forms: dict[str, pd.DataFrame]) -> list[Path]:
    """Write ``out_dir/<form>.csv`` for each form, in the order given; return the paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, table in forms.items():
        path = out_dir / f"{name}.csv"
        table.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
        paths.append(path)
    return paths
