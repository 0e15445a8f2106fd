"""Errors the product reports to its users.

Every error a user can cause (a broken mapping file, bad raw data, an output that would break the
XPT rules) is a subclass of :class:`CdiscMapperError` and renders as one line that says where
(file, line or record), what (variable, value) and what was expected.  The command line prints that
line and exits non-zero; it never shows a traceback for these.
"""

from __future__ import annotations

from dataclasses import dataclass


class CdiscMapperError(Exception):
    """Base class: an error the user can act on.  ``str(err)`` is the one-line message."""

    exit_code = 1

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 key: str | None = None, record: int | None = None, variable: str | None = None,
                 value: object = None):
        self.message = message
        self.file = file
        self.line = line
        self.key = key
        self.record = record
        self.variable = variable
        self.value = value
        super().__init__(self.render())

    def render(self) -> str:
        where = []
        if self.file:
            where.append(f"{self.file}:{self.line}" if self.line else str(self.file))
        if self.record is not None:
            where.append(f"record {self.record}")
        if self.key:
            where.append(f"key '{self.key}'")
        if self.variable:
            where.append(f"variable {self.variable}")
        if self.value is not None:
            where.append(f"value {self.value!r}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class MappingError(CdiscMapperError):
    """A mapping, study or spec file is invalid (schema, unknown name, bad reference)."""

    exit_code = 2


class DataError(CdiscMapperError):
    """Raw data cannot be converted as the mapping says (missing column, unknown code, bad date)."""


class OutputError(CdiscMapperError):
    """A dataset would break the rules of the output format (XPT v5, Dataset-JSON)."""


class UsageError(CdiscMapperError):
    """The command line was used wrongly (unknown study, missing folder)."""

    exit_code = 2


@dataclass(frozen=True)
class Problem:
    """A data problem collected during a run, as a row of the problems report."""

    study: str
    dataset: str
    variable: str
    file: str
    record: int | None
    usubjid: str | None
    value: str
    message: str
    severity: str = "error"


class InputError(DataError):
    """An input or output file cannot be read or written as such (permission, encoding, shape,
    a full or read-only disk): the run stops before writing anything."""

    exit_code = 2


def os_error_message(err: OSError) -> str:
    """One line for an operating-system error: the file, then what is wrong with it."""
    import errno as _errno

    what = {
        _errno.EACCES: "permission denied",
        _errno.EPERM: "operation not permitted",
        _errno.ENOSPC: "no space left on the device (the previous output was left as it was)",
        _errno.EROFS: "read-only file system (the previous output was left as it was)",
        _errno.ENAMETOOLONG: "file name too long",
        _errno.ENOTDIR: "a part of this path is a file, not a folder",
        _errno.EISDIR: "is a folder, not a file",
        _errno.EEXIST: "exists and is not a folder",
        _errno.ENOENT: "not found",
        _errno.EDQUOT: "disk quota exceeded (the previous output was left as it was)",
        _errno.ELOOP: "too many symbolic links",
        _errno.EIO: "input/output error",
    }.get(err.errno or -1, err.strerror or type(err).__name__)
    if isinstance(err, FileExistsError):
        what = "exists and is not a folder"
    where = err.filename if err.filename is not None else None
    if err.filename2 is not None:
        where = f"{err.filename} -> {err.filename2}"
    return f"{where}: {what}" if where else what
