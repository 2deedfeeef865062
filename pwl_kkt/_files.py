"""Reading input files within the limits, and writing output files atomically.

Reading: only regular files (a FIFO or ``/dev/zero`` would block or never end),
at most ``max_file_bytes`` of :mod:`pwl_kkt.limits`.

Writing: the bytes go to a temporary file next to the target, are flushed to
disk (``fsync``) and renamed over the target, so a reader sees the old file or
the new one, never a part. The new file gets the mode a plain ``open`` would
give it (``0o666`` minus the umask). The temporary file is removed on every
exception, including the ``SystemExit`` the command line raises on SIGTERM; a
process killed by SIGKILL cannot clean up, and its temporary file
(``.NAME.pwlkkt-PID-XXXX.tmp``) is removed by the next write to the same path
once that process is gone.
"""

from __future__ import annotations

import contextlib
import glob
import os
import stat
import tempfile
from pathlib import Path

from .errors import FileFormatError
from .limits import get_limits

FIGURE_FORMATS = ("png", "pdf", "svg")


def read_bytes(path: Path) -> bytes:
    """The content of the regular file ``path``, refused above ``max_file_bytes``."""
    limit = get_limits().max_file_bytes
    # O_NONBLOCK: opening a FIFO must not wait for a writer before we can refuse it.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise FileFormatError(f"{path}: not a regular file")
        if st.st_size > limit:
            raise _too_big(path, st.st_size, limit)
        data = fh.read(limit + 1)
    if len(data) > limit:  # the file grew while we read it
        raise _too_big(path, len(data), limit)
    return data


def _too_big(path: Path, size: int, limit: int) -> FileFormatError:
    return FileFormatError(
        f"{path}: {size} bytes is more than the limit max_file_bytes = {limit} "
        "(see pwl_kkt.limits)"
    )


def read_text(path: Path) -> str:
    """:func:`read_bytes` decoded as UTF-8, with a clear error for other encodings.

    A leading byte order mark (spreadsheets write one in "CSV UTF-8") is not part of the
    text: left in, it would glue itself to the first column name or JSON token.
    """
    try:
        return read_bytes(path).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileFormatError(
            f"{path}: not a UTF-8 text file (byte {exc.start} cannot be decoded)"
        ) from None


def _umask() -> int:
    try:  # Linux reports it without changing it (os.umask would, for every thread)
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _remove_stale_temps(path: Path) -> None:
    """Remove temp files of ``path`` left by writers that were killed (SIGKILL)."""
    pattern = os.path.join(glob.escape(str(path.parent)), glob.escape(f".{path.name}.pwlkkt-"))
    for name in glob.glob(pattern + "*.tmp"):
        tmp = Path(name)
        try:
            pid = int(tmp.name[len(path.name) + 9 :].split("-", 1)[0])
            if _alive(pid):
                continue
            tmp.unlink()
        except (ValueError, OSError):
            continue


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def atomic_write(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see the module docstring).

    Errors name ``path``, never the temporary file.
    """
    path = Path(path)
    if not path.name:
        raise FileFormatError(f"{str(path)!r}: not a file name")
    folder = path.parent
    _remove_stale_temps(path)
    try:
        fd, tmp = tempfile.mkstemp(
            dir=folder, prefix=f".{path.name}.pwlkkt-{os.getpid()}-", suffix=".tmp"
        )
    except OSError as exc:
        raise type(exc)(exc.errno, exc.strerror, str(path)) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), 0o666 & ~_umask())
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise type(exc)(exc.errno, exc.strerror, str(path)) from None
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable where possible
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def figure_format(path: str | os.PathLike) -> str:
    """The figure format named by the suffix of ``path``: ``png``, ``pdf`` or ``svg``.

    Examples
    --------
    >>> figure_format("fig.PDF")
    'pdf'
    >>> figure_format("fig.jpg")
    Traceback (most recent call last):
    ...
    pwl_kkt.errors.FileFormatError: fig.jpg: unknown figure type '.jpg' (use .png, .pdf or .svg)
    """
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FIGURE_FORMATS:
        raise FileFormatError(
            f"{path}: unknown figure type {path.suffix!r} (use .png, .pdf or .svg)"
        )
    return fmt
