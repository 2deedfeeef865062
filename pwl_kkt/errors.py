"""Exceptions raised by pwl_kkt.

Every error a user can trigger with bad input derives from :class:`PwlKktError`
and from the matching built-in (``ValueError``), so ``except ValueError`` keeps
working for callers that do not know this library.
"""

from __future__ import annotations

__all__ = [
    "PwlKktError",
    "InvalidValueError",
    "InvalidNetworkError",
    "InvalidDataError",
    "FileFormatError",
    "NotSeparableError",
    "MisclassifiedError",
    "MissingDependencyError",
]


class PwlKktError(Exception):
    """Base class of every error pwl_kkt raises on purpose.

    Examples
    --------
    >>> issubclass(InvalidNetworkError, PwlKktError)
    True
    """


class InvalidValueError(PwlKktError, ValueError):
    """A number could not be read as an exact finite rational (NaN, inf, bad text).

    Examples
    --------
    >>> from pwl_kkt import Network
    >>> Network(["nan"], [0], [1])
    Traceback (most recent call last):
    ...
    pwl_kkt.errors.InvalidValueError: w[0]: 'nan' is not a finite number
    """


class InvalidNetworkError(PwlKktError, ValueError):
    """Network parameters are inconsistent (lengths differ, wrong shape, zero width).

    Examples
    --------
    >>> from pwl_kkt import Network
    >>> Network([1, 2], [0], [1])
    Traceback (most recent call last):
    ...
    pwl_kkt.errors.InvalidNetworkError: w, b and v must have the same length; got 2, 1 and 1
    """


class InvalidDataError(PwlKktError, ValueError):
    """A dataset is malformed (empty, lengths differ, labels outside {-1, +1}).

    Examples
    --------
    >>> from pwl_kkt import Dataset
    >>> Dataset([0, 1], [1, 0])
    Traceback (most recent call last):
    ...
    pwl_kkt.errors.InvalidDataError: y[1] = 0 is not a label in {-1, +1}
    """


class FileFormatError(PwlKktError, ValueError):
    """A file could not be parsed as a network or a dataset.

    Examples
    --------
    >>> issubclass(FileFormatError, ValueError)
    True
    """


class NotSeparableError(InvalidDataError):
    """No network can classify the data: the same x carries both labels.

    Examples
    --------
    >>> from pwl_kkt import Dataset
    >>> Dataset([1, 1], [1, -1]).require_separable()
    Traceback (most recent call last):
    ...
    pwl_kkt.errors.NotSeparableError: x[0] = x[1] = 1 carry both labels: ...
    """


class MisclassifiedError(PwlKktError, ValueError):
    """A network does not classify every point strictly correctly (y_i N(x_i) <= 0).

    Examples
    --------
    >>> issubclass(MisclassifiedError, ValueError)
    True
    """


class MissingDependencyError(PwlKktError, ImportError):
    """An optional dependency (an extra such as ``torch`` or ``plot``) is not installed.

    Examples
    --------
    >>> issubclass(MissingDependencyError, ImportError)
    True
    """


def require(module: str, extra: str) -> object:
    """Import ``module`` or raise :class:`MissingDependencyError` naming the extra to install."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingDependencyError(
            f"{module} is needed for this; install it with: pip install 'pwl_kkt[{extra}]'"
        ) from None
