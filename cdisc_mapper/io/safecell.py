"""Text that goes into a spreadsheet cell (XLSX or CSV report) from data we do not control.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is taken as a
formula by Excel and LibreOffice (CSV/formula injection, OWASP).  Reports of third-party packages
must show such a value as text: :func:`safe_cell` puts a single quote before it, the convention
spreadsheet programs display as a literal.  Plain numbers (``-1.5``) stay as they are.
"""

from __future__ import annotations

import re

__all__ = ["safe_cell"]

_LEADS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def safe_cell(value):
    """``value`` unchanged unless it is text a spreadsheet would run as a formula."""
    if not isinstance(value, str) or not value or not value.startswith(_LEADS):
        return value
    if _NUMBER.fullmatch(value):
        return value
    return "'" + value
