"""Dates as day ordinals, and their CRF text (``05 MAR 2021``, ``UN MAR 2021``, ``UN UNK 2021``).

The generator works with dates as integer ordinals (``datetime.date.toordinal``) in numpy arrays and
formats them through a lookup table built once per range, so formatting is vectorised.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
MISSING = -1  # ordinal of a date that is not there


def ordinal(d: dt.date) -> int:
    return d.toordinal()


class Calendar:
    """Year, month, day and text of every date in ``[lo, hi]`` (ordinals)."""

    def __init__(self, lo: int, hi: int):
        self.lo = lo
        dates = [dt.date.fromordinal(o) for o in range(lo, hi + 1)]
        self.year = np.array([d.year for d in dates], dtype=np.int64)
        self.month = np.array([d.month for d in dates], dtype=np.int64)
        self.day = np.array([d.day for d in dates], dtype=np.int64)
        self.full = np.array([f"{d.day:02d} {MONTHS[d.month - 1]} {d.year}" for d in dates],
                             dtype=object)
        self.no_day = np.array([f"UN {MONTHS[d.month - 1]} {d.year}" for d in dates], dtype=object)
        self.year_only = np.array([f"UN UNK {d.year}" for d in dates], dtype=object)

    def _index(self, ordinals: np.ndarray) -> np.ndarray:
        return np.where(ordinals == MISSING, 0, ordinals - self.lo)

    def text(self, ordinals: np.ndarray, precision: np.ndarray | None = None) -> np.ndarray:
        """CRF text of the dates; ``""`` where missing.

        ``precision`` (same shape) is 0 for a full date, 1 for an unknown day, 2 for an unknown
        day and month.
        """
        ordinals = np.asarray(ordinals, dtype=np.int64)
        idx = self._index(ordinals)
        out = self.full[idx]
        if precision is not None:
            out = np.where(precision == 1, self.no_day[idx], out)
            out = np.where(precision == 2, self.year_only[idx], out)
        out[ordinals == MISSING] = ""
        return out

    def years_between(self, earlier: np.ndarray, later: np.ndarray) -> np.ndarray:
        """Completed years from ``earlier`` to ``later`` (age at a date)."""
        a, b = self._index(earlier), self._index(later)
        before_birthday = (self.month[b] < self.month[a]) | (
            (self.month[b] == self.month[a]) & (self.day[b] < self.day[a]))
        return self.year[b] - self.year[a] - before_birthday.astype(np.int64)


def clock_text(minutes: np.ndarray) -> np.ndarray:
    """``HH:MM`` text of minutes after midnight."""
    table = np.array([f"{m // 60:02d}:{m % 60:02d}" for m in range(24 * 60)], dtype=object)
    return table[np.asarray(minutes, dtype=np.int64)]
