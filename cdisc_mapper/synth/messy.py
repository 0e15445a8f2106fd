"""Site-entry messiness: coded values typed in varying case."""

from __future__ import annotations

import numpy as np


def vary_case(values: np.ndarray, rng: np.random.Generator, rate: float = 0.05) -> np.ndarray:
    """A copy of the text values with about ``rate`` of them in lower or upper case."""
    out = np.asarray(values, dtype=object).copy()
    u = rng.random(len(out))
    lower = np.flatnonzero(u < rate / 2)
    upper = np.flatnonzero((u >= rate / 2) & (u < rate))
    out[lower] = [str(v).lower() for v in out[lower]]
    out[upper] = [str(v).upper() for v in out[upper]]
    return out


def number_table(count: int, decimals: int = 0, scale: int = 1) -> np.ndarray:
    """Text of ``i / scale`` for ``i`` in ``range(count)``, with ``decimals`` decimals."""
    return np.array([f"{i / scale:.{decimals}f}" for i in range(count)], dtype=object)


def half_steps(count: int) -> np.ndarray:
    """Text of ``i / 2`` for ``i`` in ``range(count)``: ``0``, ``0.5``, ``1``, ``1.5`` …"""
    return np.array([str(i // 2) if i % 2 == 0 else f"{i / 2:.1f}" for i in range(count)],
                    dtype=object)
