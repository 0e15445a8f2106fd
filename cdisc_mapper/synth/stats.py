"""Two-sample test statistics in plain numpy (the generator does not depend on scipy)."""

from __future__ import annotations

import numpy as np


def welch_t(a: np.ndarray, b: np.ndarray) -> float:
    """Welch's t statistic of ``a`` against ``b``."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if len(a) < 2 or len(b) < 2:
        return 0.0
    se2 = a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b)
    diff = a.mean() - b.mean()
    if se2 == 0.0:
        return 0.0 if diff == 0.0 else float("inf")
    return float(diff / np.sqrt(se2))


def mann_whitney_z(a: np.ndarray, b: np.ndarray) -> float:
    """Normal-approximation z of the Mann-Whitney U statistic, corrected for ties."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    n1, n2 = len(a), len(b)
    if n1 == 0 or n2 == 0:
        return 0.0
    values, inverse, counts = np.unique(np.concatenate([a, b]), return_inverse=True,
                                        return_counts=True)
    starts = np.cumsum(counts) - counts
    ranks = (starts + (counts + 1) / 2.0)[inverse]
    u1 = ranks[:n1].sum() - n1 * (n1 + 1) / 2.0
    n = n1 + n2
    var = n1 * n2 / 12.0 * ((n + 1) - (counts ** 3 - counts).sum() / (n * (n - 1)))
    if var <= 0:
        return 0.0
    return float((u1 - n1 * n2 / 2.0) / np.sqrt(var))
