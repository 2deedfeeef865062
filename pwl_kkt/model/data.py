"""Labelled one-dimensional datasets ``S = {(x_i, y_i)}`` with ``y_i in {-1, +1}``.

Validated once, at the boundary: every later algorithm trusts a :class:`Dataset`.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from functools import cached_property

import numpy as np

from .._rational import fraction_to_float, fractions_of, to_fraction, unordered
from ..errors import InvalidDataError, InvalidValueError, NotSeparableError
from ..limits import shorten
from .network import _is_float_array, _rebuild

__all__ = ["Dataset"]


class Dataset:
    """Points ``x_i`` with labels ``y_i in {-1, +1}``, checked once on construction.

    Parameters
    ----------
    x : sequence
        Inputs; like network parameters they may be ints, floats (their dyadic
        values), Fractions, SymPy rationals or text (``"0.1"`` is 1/10).
    y : sequence
        Labels, each equal to -1 or +1 (``1``, ``-1.0`` and ``"-1"`` are accepted).
    exact : bool, optional
        Keep ``x`` as exact rationals. By default a float numpy array stays a
        float array (its exact values are still available) and anything else is exact.

    Raises
    ------
    InvalidDataError
        Empty data, lengths that differ, or a label outside {-1, +1}.
    InvalidValueError
        An ``x_i`` that is NaN, infinite or not a number.

    Examples
    --------
    >>> d = Dataset(["0.1", 4], [1, -1])
    >>> d.x
    (Fraction(1, 10), Fraction(4, 1))
    >>> d.y
    array([ 1, -1], dtype=int8)
    >>> Dataset([0.0, 1.0], [1])
    Traceback (most recent call last):
    ...
    pwl_kkt.errors.InvalidDataError: x and y must have the same length; got 2 and 1
    """

    __slots__ = ("_x", "_y", "_exact", "__dict__")

    def __init__(self, x: object, y: object, *, exact: bool | None = None) -> None:
        if exact is None:
            exact = not _is_float_array(x)
        if exact:
            xs: object = fractions_of(x, "x")
        else:
            xs = np.array(x, dtype=np.float64)
            if xs.ndim != 1:
                raise InvalidDataError(f"x must be one-dimensional; got shape {xs.shape}")
            bad = np.flatnonzero(~np.isfinite(xs))
            if bad.size:
                i = int(bad[0])
                raise InvalidValueError(f"x[{i}]: {float(xs[i])!r} is not a finite number")
            xs.setflags(write=False)
        ys = _labels(y)
        if len(xs) != len(ys):
            raise InvalidDataError(
                f"x and y must have the same length; got {len(xs)} and {len(ys)}"
            )
        if len(ys) == 0:
            raise InvalidDataError("the dataset is empty: at least one point is needed")
        object.__setattr__(self, "_x", xs)
        object.__setattr__(self, "_y", ys)
        object.__setattr__(self, "_exact", bool(exact))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Dataset is immutable; build a new one")

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        """Pickle through the constructor (which validates), not through ``__setattr__``.

        >>> import pickle
        >>> d = Dataset(["1/3", 2], [1, -1])
        >>> pickle.loads(pickle.dumps(d)) == d
        True
        """
        return _rebuild, (type(self), self._x, self._y, self._exact)

    @property
    def x(self) -> tuple[Fraction, ...] | np.ndarray:
        """Inputs: a tuple of Fractions (exact dataset) or a read-only float64 array."""
        return self._x

    @property
    def y(self) -> np.ndarray:
        """Labels as a read-only int8 array of -1 and +1."""
        return self._y

    @property
    def n(self) -> int:
        """Number of points."""
        return len(self._y)

    def __len__(self) -> int:
        return self.n

    @property
    def is_exact(self) -> bool:
        """``True`` when ``x`` is held as exact rationals."""
        return self._exact

    @cached_property
    def x_float(self) -> np.ndarray:
        """Inputs as float64 (nearest floats for exact inputs)."""
        if not self._exact:
            return self._x
        arr = np.array([fraction_to_float(q) for q in self._x], dtype=np.float64)
        arr.setflags(write=False)
        return arr

    @cached_property
    def x_exact(self) -> tuple[Fraction, ...]:
        """Inputs as exact Fractions (dyadic values of float inputs)."""
        if self._exact:
            return self._x
        return tuple(Fraction(t) for t in self._x.tolist())

    def require_separable(self) -> Dataset:
        """Return ``self`` if no x carries both labels, else raise :class:`NotSeparableError`.

        A width-n network interpolates any labels on distinct points, so this is
        exactly the condition for some network to classify the data.

        Examples
        --------
        >>> Dataset([0, 1], [1, -1]).require_separable().n
        2
        """
        if self._exact:
            seen: dict[Fraction, int] = {}
            for i, (q, label) in enumerate(zip(self._x, self._y.tolist())):
                j = seen.setdefault(q, i)
                if self._y[j] != label:
                    raise _both_labels(j, i, q)
            return self
        # Float inputs: equal floats are equal rationals, so sorting finds every clash.
        order = np.argsort(self._x, kind="stable")
        xs, ys = self._x[order], self._y[order]
        clash = np.flatnonzero((xs[1:] == xs[:-1]) & (ys[1:] != ys[:-1]))
        if clash.size:
            j, i = sorted((int(order[clash[0]]), int(order[clash[0] + 1])))
            raise _both_labels(j, i, Fraction(float(self._x[i])))
        return self

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Dataset):
            return NotImplemented
        return self.x_exact == other.x_exact and np.array_equal(self._y, other._y)

    def __hash__(self) -> int:
        return hash((self.x_exact, self._y.tobytes()))

    def __repr__(self) -> str:
        kind = "exact" if self._exact else "float64"
        return f"<Dataset n={self.n} {kind}, {int((self._y > 0).sum())} positive>"


def as_dataset(x: object, y: object | None = None) -> Dataset:
    """Accept a :class:`Dataset`, or ``x`` and ``y`` sequences, and return a Dataset."""
    if isinstance(x, Dataset):
        if y is not None:
            raise InvalidDataError("give either a Dataset or x and y, not both")
        return x
    if y is None:
        raise InvalidDataError("labels y are missing")
    return Dataset(x, y)


def _both_labels(j: int, i: int, q: Fraction) -> NotSeparableError:
    return NotSeparableError(
        f"x[{j}] = x[{i}] = {_show(q)} carry both labels: no network separates the data"
    )


def _show(q: Fraction) -> str:
    return str(q) if q.denominator == 1 or q.denominator < 10**6 else repr(float(q))


def _labels(y: object) -> np.ndarray:
    if isinstance(y, (str, bytes)) or not hasattr(y, "__iter__"):
        raise InvalidDataError(f"y must be a sequence of labels; got {shorten(y)}")
    if unordered(y):
        raise InvalidDataError(f"y must be a sequence of labels in order; got {unordered(y)}")
    if isinstance(y, np.ndarray) and y.dtype.kind in "iuf":  # vectorized: n may be 10**6
        if y.ndim != 1:
            raise InvalidDataError(f"y must be one-dimensional; got shape {y.shape}")
        bad = np.flatnonzero((y != 1) & (y != -1))
        if bad.size:
            i = int(bad[0])
            raise InvalidDataError(f"y[{i}] = {y[i].item()!r} is not a label in {{-1, +1}}")
        out = y.astype(np.int8)
        out.setflags(write=False)
        return out
    items: Sequence[object] = y.tolist() if isinstance(y, np.ndarray) else list(y)
    out = np.empty(len(items), dtype=np.int8)
    for i, label in enumerate(items):
        try:
            q = to_fraction(label, f"y[{i}]")
        except InvalidValueError:
            q = None
        if q not in (1, -1):
            raise InvalidDataError(f"y[{i}] = {shorten(label)} is not a label in {{-1, +1}}")
        out[i] = int(q)
    out.setflags(write=False)
    return out
