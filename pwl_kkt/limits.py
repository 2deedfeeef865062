"""Input limits: how large a number or a file pwl_kkt agrees to read.

Exact parsing turns the text ``1e999999999`` into the integer ``10**999999999``,
which no computer finishes; a file that is ``/dev/zero`` never ends. So every
reader checks its input against one policy before doing work proportional to
the value it describes:

========================  =================  =============================================
limit                     default            what exceeds it gets
========================  =================  =============================================
``max_digits``            4000               :class:`~pwl_kkt.errors.InvalidValueError`
                                             naming the entry: a number text with more
                                             decimal digits (numerator, fraction,
                                             denominator and exponent together)
``max_exponent``          4000               :class:`~pwl_kkt.errors.InvalidValueError`:
                                             a decimal exponent ``e`` with ``|e|`` larger
``max_file_bytes``        256 MiB            :class:`~pwl_kkt.errors.FileFormatError`:
                                             a JSON, CSV, TOML, ``.npz`` or ``.pt`` file
                                             (or ``.npz`` content once unpacked) larger
``max_pattern_bytes``     1 GiB              :class:`~pwl_kkt.errors.InvalidDataError`:
                                             ``plane_activation_patterns`` on n points
                                             (N distinct) whose up to ``N^2 - N + 2``
                                             patterns of n bits take more bytes packed
                                             (about 2,000 points; time and memory grow as
                                             ``n^3``)
========================  =================  =============================================

Only regular files are read (a FIFO or a device is refused before it is opened
for reading), and error messages quote at most :data:`MESSAGE_CHARS` characters
of an offending value.

The limits bound the *input* (``max_pattern_bytes``: the size of the result an
input asks for, checked before the work starts); values computed from it may be
larger and are handled exactly. They hold for the current process: a Dask worker in another
process uses its own defaults unless the task sets them.

Examples
--------
>>> from pwl_kkt import Network
>>> Network(["1e999999999"], [0], [1])
Traceback (most recent call last):
...
pwl_kkt.errors.InvalidValueError: w[0]: '1e999999999' has decimal exponent 999999999, ...
>>> with input_limits(max_exponent=10**6):
...     Network(["1e5000"], [0], [1]).w[0] == 10**5000
True
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, fields, replace

__all__ = ["InputLimits", "get_limits", "input_limits", "set_limits", "MESSAGE_CHARS"]

MESSAGE_CHARS = 60
"""Longest excerpt of an offending value quoted in an error message."""


@dataclass(frozen=True)
class InputLimits:
    """The bounds every reader of pwl_kkt applies (see the module docstring).

    Examples
    --------
    >>> InputLimits().max_exponent
    4000
    """

    max_digits: int = 4000
    max_exponent: int = 4000
    max_file_bytes: int = 256 * 2**20
    max_pattern_bytes: int = 2**30

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{f.name} must be a positive integer; got {value!r}")


_process_limits = [InputLimits()]
_scoped: ContextVar[InputLimits | None] = ContextVar("pwl_kkt_input_limits", default=None)


def get_limits() -> InputLimits:
    """The limits in force here: the innermost :func:`input_limits`, else :func:`set_limits`'s.

    Examples
    --------
    >>> get_limits().max_digits
    4000
    """
    scoped = _scoped.get()
    return _process_limits[0] if scoped is None else scoped


def set_limits(**changes: int) -> InputLimits:
    """Change the limits for the whole process; returns the previous ones.

    Examples
    --------
    >>> old = set_limits(max_file_bytes=2**30)
    >>> get_limits().max_file_bytes
    1073741824
    >>> _ = set_limits(**vars(old))
    """
    old = _process_limits[0]
    _process_limits[0] = replace(old, **changes)
    return old


@contextmanager
def input_limits(**changes: int) -> Iterator[InputLimits]:
    """Context manager: other limits inside the ``with`` block (this thread or task only).

    Examples
    --------
    >>> with input_limits(max_digits=10) as lim:
    ...     lim.max_digits
    10
    """
    token = _scoped.set(replace(get_limits(), **changes))
    try:
        yield get_limits()
    finally:
        _scoped.reset(token)


def shorten(value: object) -> str:
    """``repr(value)`` on one line, cut to about :data:`MESSAGE_CHARS` characters.

    Examples
    --------
    >>> shorten("7" * 1000)
    "'77777777777777777777777777...77777777777777777777777777' (1000 characters)"
    """
    half = MESSAGE_CHARS // 2 - 4
    if isinstance(value, str) and len(value) > MESSAGE_CHARS:
        # Only the two ends are quoted: a 10**6-character text is never copied whole.
        head, tail = repr(value[:half]), repr(value[-half:])
        return f"{head[:-1]}...{tail[1:]} ({len(value)} characters)"
    try:
        text = repr(value)
    except ValueError:  # an int beyond Python's digit limit for str()
        return f"<{type(value).__name__}>"
    if len(text) <= MESSAGE_CHARS:
        return text
    return f"{text[:half]}...{text[-half:]} ({len(text)} characters)"
