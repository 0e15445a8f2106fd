"""Atomic output: a file at its final path is either the previous version or the complete new one.

Every writer in :mod:`cdisc_mapper.io` writes to a temporary file in the destination folder (same
file system, so the final ``os.replace`` is atomic) and renames it over the final path only once
the content is complete.  On any exception, ``KeyboardInterrupt`` included, the temporary file is
removed: no 0-byte or half-written file is ever left at the final path.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO
from collections.abc import Iterator

__all__ = ["atomic_path", "atomic_open", "write_bytes_atomic", "write_text_atomic",
           "replaced_folder", "recover"]


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


# --------------------------------------------------------------------------- folder swap
#
# A package folder OUT/STUDY is built in OUT/.STUDY.<pid>.<token>.staging/STUDY (same file system,
# same name, so a report written inside it names the folder as it will be named) and then swapped
# into place.  On Linux the swap is one renameat2(RENAME_EXCHANGE): OUT/STUDY is the old folder or
# the new one at every instant.  Elsewhere (or on a file system without it) it takes two renames:
# the old folder goes into the staging folder as "old", then the new one into place; a run killed
# between the two leaves OUT/STUDY missing and the staging folder holding "old", and the next run
# on OUT/STUDY puts "old" back first.  Staging folders of runs that are no longer alive are
# removed by the next run.

_STAGING = re.compile(r"\.(?P<name>.+)\.(?P<pid>\d+)\.[0-9a-f]{12}\.staging$")
_LEGACY = re.compile(r"\.(?P<name>.+)\.[a-z0-9_]{8}$")      # mkdtemp folders of older versions


def _step(name: str) -> None:
    """A point of the swap where a test can inject a failure or a kill (no-op)."""


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2 RENAME_EXCHANGE); False when unavailable."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False                       # this file system cannot exchange: two renames
    raise OSError(err, os.strerror(err), str(b))


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def recover(target: str | os.PathLike[str]) -> list[Path]:
    """Put back or remove what an earlier killed run left beside ``target``.

    ``target`` missing with a previous version parked by an interrupted two-rename swap: that
    version is put back.  Staging folders of runs that are no longer alive are removed, and so
    is an ``.NAME.old`` folder of an older version.  Returns the paths removed or restored."""
    target = Path(target)
    parent = target.parent
    done: list[Path] = []
    if not parent.is_dir():
        return done
    try:
        entries = sorted(parent.iterdir())
    except OSError:
        return done
    legacy_old = parent / f".{target.name}.old"
    for entry in entries:
        m = _STAGING.match(entry.name)
        if m and m["name"] == target.name and entry.is_dir() and not entry.is_symlink():
            if _alive(int(m["pid"])):
                continue
            parked = entry / "old"
            if parked.is_dir() and not os.path.lexists(target):
                os.rename(parked, target)
                done.append(target)
            shutil.rmtree(entry, ignore_errors=True)
            done.append(entry)
        elif entry == legacy_old and entry.is_dir() and not entry.is_symlink():
            if not os.path.lexists(target):
                os.rename(entry, target)
                done.append(target)
            else:
                shutil.rmtree(entry, ignore_errors=True)
                done.append(entry)
        else:
            m = _LEGACY.match(entry.name)
            if m and m["name"] == target.name and entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
                done.append(entry)
    return done


def _swap_into_place(new: Path, target: Path) -> None:
    """Move the complete folder ``new`` to ``target``; the previous ``target`` ends up inside
    ``new``'s parent (the staging folder), which the caller removes."""
    if not os.path.lexists(target):
        os.rename(new, target)
        _step("moved")
        return
    if not target.is_dir() or target.is_symlink():
        raise NotADirectoryError(errno.ENOTDIR, "exists and is not a folder", str(target))
    if _exchange(new, target):
        _step("exchanged")
        return
    parked = new.parent / "old"
    os.rename(target, parked)
    _step("parked")
    os.rename(new, target)
    _step("moved")


@contextmanager
def replaced_folder(target: str | os.PathLike[str], prefix: str = "") -> Iterator[Path]:
    """Build a folder in a staging folder beside ``target``, then put it in ``target``'s place.

    The body writes into the yielded folder (named like ``target``, inside a hidden staging
    folder in ``target``'s parent).  When it finishes, the folder is swapped with ``target``
    (atomically where the system can) and the previous version removed; when it raises,
    ``KeyboardInterrupt`` included, the staging folder is removed and ``target`` stays as it
    was.  Leftovers of an earlier killed run are recovered first (:func:`recover`).  Folders
    are created with the user's umask::

        with replaced_folder(out / "STUDY") as staging:
            write_everything(staging)
    """
    target = Path(target)
    if not target.name or target.name in (".", ".."):
        raise IsADirectoryError(errno.EINVAL, "not a folder name", str(target))
    if os.path.lexists(target) and not target.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "exists and is not a folder", str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    recover(target)
    root = target.parent / f".{target.name}.{os.getpid()}.{secrets.token_hex(6)}.staging"
    os.mkdir(root, 0o777)                 # 0777 minus the umask, like any folder the user makes
    try:
        staging = root / target.name
        os.mkdir(staging, 0o777)
        _step("staging")
        yield staging
        _step("staged")
        _swap_into_place(staging, target)
        shutil.rmtree(root, ignore_errors=True)
        _step("cleaned")
    except BaseException:
        parked = root / "old"
        if parked.is_dir() and not os.path.lexists(target):
            os.rename(parked, target)
        shutil.rmtree(root, ignore_errors=True)
        raise
