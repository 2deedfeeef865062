"""Labelled datasets on R^d, ``S = {(x_i, y_i)}`` with ``x_i in R^d`` and ``y_i in {-1, +1}``.

Validated once, at the boundary, like :class:`~pwl_kkt.model.data.Dataset`: every later
algorithm trusts a :class:`DatasetNd`.
"""

from __future__ import annotations

from fractions import Fraction
from functools import cached_property

import numpy as np

from .._rational import floats_of, fraction_to_float, fractions_of
from ..errors import InvalidDataError, NotSeparableError
from ._rows import MatrixRows
from .data import Dataset, _labels, _show
from .network import _is_float_array

__all__ = ["DatasetNd"]

_POINTS = MatrixRows("x", "n", InvalidDataError, "a sequence of points, one row each",
                     "coordinates", "coordinates", "dimension")


class DatasetNd:
    """Points ``x_i in R^d`` (rows) with labels ``y_i in {-1, +1}``, checked on construction.

    Parameters
    ----------
    x : sequence of sequences or array, shape (n, d)
        The points, one row each; entries read exactly like network parameters (floats
        are their dyadic values, ``"0.1"`` is 1/10).
    y : sequence of length n
        Labels, each -1 or +1.
    exact : bool, optional
        Keep ``x`` as exact rationals. By default a float numpy array stays float (its
        exact values remain available through :attr:`x_exact`); anything else is exact.

    Raises
    ------
    InvalidDataError
        Ragged rows (naming the row), lengths that differ, empty data, or a label outside
        {-1, +1} (naming the entry).
    InvalidValueError
        A coordinate that is NaN, infinite or not a number (naming it).

    Examples
    --------
    >>> s = DatasetNd([[0, 1], ["1/2", 2]], [1, -1])
    >>> s.d, s.n
    (2, 2)
    >>> s.x[1]
    (Fraction(1, 2), Fraction(2, 1))
    >>> DatasetNd([[0, 1], [2]], [1, 1])
    Traceback (most recent call last):
    ...
    pwl_kkt.errors.InvalidDataError: x[1] has 1 coordinates but x[0] has 2: ...
    """

    __slots__ = ("_x", "_y", "_exact", "_d", "__dict__")

    def __init__(self, x: object, y: object, *, exact: bool | None = None) -> None:
        if exact is None:
            exact = not _is_float_array(x)
        if exact:
            rows = _POINTS.rows(x)
            d = _POINTS.length(rows)
            xs: object = tuple(fractions_of(r, f"x[{i}]") for i, r in enumerate(rows))
        else:
            xs = _float_points(x)
            d = xs.shape[1]
        ys = _labels(y)
        if len(xs) != len(ys):
            raise InvalidDataError(
                f"x and y must have the same length; got {len(xs)} and {len(ys)}"
            )
        if len(ys) == 0:
            raise InvalidDataError("the dataset is empty: at least one point is needed")
        for name, value in (("_x", xs), ("_y", ys), ("_exact", bool(exact)), ("_d", d)):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("DatasetNd is immutable; build a new one")

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        """Pickle through the constructor.

        >>> import pickle
        >>> s = DatasetNd([["1/3", 2]], [1])
        >>> pickle.loads(pickle.dumps(s)) == s
        True
        """
        return _rebuild_data_nd, (self._x, self._y, self._exact)

    @classmethod
    def from_univariate(cls, data: Dataset) -> DatasetNd:
        """The d = 1 dataset of a univariate :class:`Dataset`.

        Examples
        --------
        >>> DatasetNd.from_univariate(Dataset([1, 2], [1, -1])).x
        ((Fraction(1, 1),), (Fraction(2, 1),))
        """
        if data.is_exact:
            return cls([[q] for q in data.x], data.y, exact=True)
        return cls(np.asarray(data.x_float).reshape(-1, 1), data.y, exact=False)

    def to_univariate(self) -> Dataset:
        """The univariate :class:`Dataset` of a d = 1 dataset."""
        if self._d != 1:
            raise InvalidDataError(f"only d = 1 data is univariate; this has d = {self._d}")
        if self._exact:
            return Dataset([r[0] for r in self._x], self._y, exact=True)
        return Dataset(self._x[:, 0].copy(), self._y, exact=False)

    @property
    def x(self) -> tuple[tuple[Fraction, ...], ...] | np.ndarray:
        """Points: n rows of d Fractions (exact) or a read-only (n, d) float64 array."""
        return self._x

    @property
    def y(self) -> np.ndarray:
        """Labels as a read-only int8 array of -1 and +1."""
        return self._y

    @property
    def n(self) -> int:
        """Number of points."""
        return len(self._y)

    @property
    def d(self) -> int:
        """Input dimension."""
        return self._d

    def __len__(self) -> int:
        return self.n

    @property
    def is_exact(self) -> bool:
        """``True`` when the points are held as exact rationals."""
        return self._exact

    @cached_property
    def x_float(self) -> np.ndarray:
        """Points as a read-only (n, d) float64 array (nearest floats of exact points)."""
        if not self._exact:
            return self._x
        arr = np.array([[fraction_to_float(q) for q in r] for r in self._x], dtype=np.float64)
        arr = arr.reshape(self.n, self._d)
        arr.setflags(write=False)
        return arr

    @cached_property
    def x_exact(self) -> tuple[tuple[Fraction, ...], ...]:
        """Points as rows of exact Fractions (dyadic values of float points)."""
        if self._exact:
            return self._x
        return tuple(tuple(Fraction(t) for t in row) for row in self._x.tolist())

    def require_separable(self) -> DatasetNd:
        """Return ``self`` unless one point carries both labels (:class:`NotSeparableError`).

        Distinct points can always be separated by a wide enough network, so this is the
        exact condition for some network to classify the data.

        Examples
        --------
        >>> DatasetNd([[0, 1], [0, 1]], [1, -1]).require_separable()
        Traceback (most recent call last):
        ...
        pwl_kkt.errors.NotSeparableError: x[0] = x[1] = (0, 1) carry both labels: ...
        """
        if not self._exact:
            # Float rows: equal floats are equal rationals (+ 0.0 merges -0.0 into 0.0), so
            # grouping equal rows finds the clash the loop below would, without Fractions.
            _, first, group = np.unique(
                self._x + 0.0, axis=0, return_index=True, return_inverse=True
            )
            clash = np.flatnonzero(self._y != self._y[first[group.ravel()]])
            if clash.size:
                i = int(clash[0])
                row = tuple(Fraction(t) for t in self._x[i].tolist())
                raise _both_labels_nd(int(first[group.ravel()[i]]), i, row)
            return self
        seen: dict[tuple[Fraction, ...], int] = {}
        for i, (row, label) in enumerate(zip(self.x_exact, self._y.tolist())):
            j = seen.setdefault(row, i)
            if self._y[j] != label:
                raise _both_labels_nd(j, i, row)
        return self

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DatasetNd):
            return NotImplemented
        return self.x_exact == other.x_exact and np.array_equal(self._y, other._y)

    def __hash__(self) -> int:
        return hash((self.x_exact, self._y.tobytes()))

    def __repr__(self) -> str:
        kind = "exact" if self._exact else "float64"
        positive = int((self._y > 0).sum())
        return f"<DatasetNd n={self.n} d={self._d} {kind}, {positive} positive>"


def _both_labels_nd(j: int, i: int, row: tuple[Fraction, ...]) -> NotSeparableError:
    shown = ", ".join(_show(q) for q in row)
    return NotSeparableError(
        f"x[{j}] = x[{i}] = ({shown}) carry both labels: no network separates the data"
    )


def _rebuild_data_nd(x: object, y: object, exact: bool) -> DatasetNd:
    return DatasetNd(x, y, exact=exact)


def _float_points(x: object) -> np.ndarray:
    if isinstance(x, np.ndarray) and x.dtype.kind in "fiu":
        if x.ndim != 2:
            raise InvalidDataError(f"x must be two-dimensional (n, d); got shape {x.shape}")
        arr = np.array(x, dtype=np.float64)
    else:
        # Row by row like exact points, then rounded: numpy alone would read True as 1.0,
        # drop an imaginary part, refuse "1/3", or stack rows of rows into a 3-D array.
        rows = _POINTS.rows(x)
        d = _POINTS.length(rows)
        arr = np.array(
            [floats_of(r, f"x[{i}]") for i, r in enumerate(rows)], dtype=np.float64
        ).reshape(len(rows), max(d, 1))
    if arr.shape[1] == 0:
        raise InvalidDataError("x has no columns: the dimension d must be at least 1")
    return _POINTS.finite(arr)

