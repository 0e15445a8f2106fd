"""What a long run shows while it works.

:class:`Progress` is the ``progress`` callback the engine is given: called with a line of text it
prints that line; :func:`steps` wraps the loop of one step (the datasets of a study) so that on a
terminal a bar shows the count done, the rate and the time left.  Three modes:

* ``bar``: a terminal (standard error is a TTY): a live bar (the ``rich`` library) under the lines;
* ``plain``: a log or a pipe: the lines alone, one per finished item, nothing redrawn;
* ``quiet`` (``-q``): nothing.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TextIO, TypeVar

__all__ = ["Progress", "steps", "plural"]

T = TypeVar("T")


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 warning``, ``2 warnings``, ``1,234 records``."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


class Progress:
    """The progress callback of a command: ``progress("line")`` and ``progress.track(...)``."""

    def __init__(self, mode: str = "auto", stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        if mode == "auto":
            mode = "bar" if getattr(self.stream, "isatty", lambda: False)() else "plain"
        if mode not in ("bar", "plain", "quiet"):
            raise ValueError(f"unknown progress mode {mode!r}")
        self.mode = mode
        self._bar: Any = None

    def __call__(self, msg: str) -> None:
        if self.mode == "quiet":
            return
        if self._bar is not None:
            self._bar.console.print(msg, markup=False, highlight=False)
        else:
            print(msg, file=self.stream, flush=True)

    def track(self, items: Iterable[T], label: str, unit: str = "dataset") -> Iterator[T]:
        """Yield ``items``; on a terminal a bar shows done/total, the rate and the time left."""
        items = list(items)
        if self.mode != "bar" or not items:
            yield from items
            return
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress as Bar, TextColumn,
                                   TimeElapsedColumn, TimeRemainingColumn)

        bar = Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn(f"{unit}s"), TextColumn("{task.fields[rate]}"),
                  TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                  console=Console(file=self.stream), transient=True)
        t0 = time.perf_counter()
        with bar:
            self._bar = bar
            task = bar.add_task(label, total=len(items), rate="")
            try:
                for i, item in enumerate(items, 1):
                    bar.update(task, description=f"{label}: {item}")
                    yield item
                    rate = i / max(time.perf_counter() - t0, 1e-9)
                    bar.update(task, advance=1, rate=f"{rate:.1f}/s")
            finally:
                self._bar = None


def steps(progress: Callable[[str], None] | None, items: Iterable[T], label: str,
          unit: str = "dataset") -> Iterable[T]:
    """``items``, tracked by ``progress`` when it can show a bar (else as they are)."""
    track = getattr(progress, "track", None)
    return track(items, label, unit) if track is not None else items
