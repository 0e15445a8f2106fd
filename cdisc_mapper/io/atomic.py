"""Atomic output: a file at its final path is either the previous version or the complete new one.

Every writer in :mod:`cdisc_mapper.io` writes to a temporary file in the destination folder (same
file system, so the final ``os.replace`` is atomic) and renames it over the final path only once
the content is complete.  On any exception, ``KeyboardInterrupt`` included, the temporary file is
removed: no 0-byte or half-written file is ever left at the final path.
"""

from __future__ import annotations

import os
import secrets
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO
from collections.abc import Iterator

__all__ = ["atomic_path", "atomic_open", "write_bytes_atomic", "write_text_atomic"]


def _temp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")


def _remove_quietly(tmp: Path) -> None:
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass


@contextmanager
def atomic_path(path: str | os.PathLike[str], *, fsync: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``.

    For writers that insist on opening the file themselves (a third-party library).  The caller
    writes the complete file to the yielded path; when the ``with`` block ends without an
    exception the temporary file is renamed to ``path``; otherwise it is deleted.
    """
    final = Path(path)
    tmp = _temp_name(final)
    try:
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(f"{tmp}: the writer produced no file")
        if fsync:
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        os.replace(tmp, final)
    except BaseException:
        _remove_quietly(tmp)
        raise


@contextmanager
def atomic_open(path: str | os.PathLike[str], *, fsync: bool = False,
                buffering: int = 1024 * 1024) -> Iterator[BinaryIO]:
    """Open a temporary binary file beside ``path`` for writing; on success it replaces ``path``.

    The temporary file is created with the usual permissions (0666 minus the umask), so the final
    file looks like any other file the user writes.
    """
    final = Path(path)
    tmp = _temp_name(final)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        try:
            fh = os.fdopen(fd, "wb", buffering=buffering)
        except BaseException:
            os.close(fd)
            raise
        with fh:
            yield fh
            fh.flush()
            if fsync:
                os.fsync(fh.fileno())
        os.replace(tmp, final)
    except BaseException:
        _remove_quietly(tmp)
        raise


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes, *, fsync: bool = False) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_open(path, fsync=fsync) as fh:
        fh.write(data)


def write_text_atomic(path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8",
                      fsync: bool = False) -> None:
    """Write ``text`` to ``path`` atomically (no newline translation)."""
    write_bytes_atomic(path, text.encode(encoding), fsync=fsync)


@contextmanager
def replaced_folder(target: str | os.PathLike[str], prefix: str = "") -> Iterator[Path]:
    """Build a folder in a staging folder beside ``target``, then put it in ``target``'s place.

    The body writes into the yielded staging folder.  When it finishes, ``target`` (if any) is
    swapped out and removed; when it raises, the staging folder is removed and ``target`` stays
    as it was — a folder is replaced whole or not at all::

        with replaced_folder(out / "STUDY") as staging:
            write_everything(staging)
    """
    import shutil
    import tempfile

    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{prefix or target.name}.", dir=target.parent))
    try:
        yield staging
        old = None
        if target.exists():
            old = target.with_name(f".{target.name}.old")
            if old.exists():
                shutil.rmtree(old)
            target.rename(old)
        staging.rename(target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
