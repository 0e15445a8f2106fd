"""The checks behind the rules: one small function per check, registered by name.

A rule of the catalogue (``rules/*.yaml``) names its check and gives it parameters; the check does
the work and knows nothing of severities, messages or report formats, as in pandera, where the
declaration of a check is kept apart from its execution.  Two kinds of check:

* ``dataset`` checks are called once per dataset in the rule's scope: ``fn(ctx, ds, **params)``;
* ``package`` checks are called once: ``fn(ctx, **params)`` (cross-dataset rules, define.xml).

A check returns findings (see :func:`~cdisc_mapper.validate.checks.util.found`), ``None`` when
nothing is wrong, or raises :class:`Skip` with the reason it cannot run (a dataset it needs is
absent, a variable is not there).  Any other exception is reported as the rule's execution error;
the other rules still run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from collections.abc import Callable

__all__ = ["Check", "Skip", "check", "all_checks", "CHECKS"]


class Skip(Exception):
    """The check does not apply here; the message says why."""


@dataclass(frozen=True)
class Check:
    name: str
    func: Callable[..., Any]
    kind: str                       # "dataset" or "package"
    family: str
    params: dict[str, Any]          # JSON Schema properties of the parameters
    summary: str

    @property
    def doc(self) -> str:
        return (self.func.__doc__ or "").strip()


CHECKS: dict[str, Check] = {}


def check(name: str, *, kind: str = "dataset", family: str, params: dict[str, Any] | None = None,
          summary: str = "") -> Callable:
    """Register a check function under ``name``."""
    if kind not in ("dataset", "package"):
        raise ValueError(f"check {name}: kind must be 'dataset' or 'package'")

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        if name in CHECKS:
            raise RuntimeError(f"check {name} registered twice")
        CHECKS[name] = Check(name, func, kind, family, params or {},
                             summary or (func.__doc__ or "").strip().split("\n")[0])
        return func

    return register


def all_checks() -> dict[str, Check]:
    """Every registered check (importing the check modules registers them)."""
    from . import (adam, conditions, dates, design, generic, identity, metadata,  # noqa: F401
                   supp, terminology, trial_summary)
    from .. import define_checks  # noqa: F401
    return CHECKS
