"""The JSON report: header (tool, standard, CT, input hashes), summary, per-rule status and the
findings (``rule``, ``severity``, ``dataset``, ``variable``, ``usubjid``, ``record``, ``value``,
``message``)."""

from __future__ import annotations

import json

import numpy as np


def _default(o):
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.bool_):
        return bool(o)
    return str(o)


def render(result) -> bytes:
    return (json.dumps(result.to_dict(), indent=1, ensure_ascii=False, default=_default)
            + "\n").encode("utf-8")
