"""Rows of an ``(m, d)`` matrix given as a 2-D array or a sequence of sequences, and its floats.

The weights ``w`` of a :class:`~pwl_kkt.model.network_nd.NetworkNd` (one row per neuron)
and the points ``x`` of a :class:`~pwl_kkt.model.data_nd.DatasetNd` (one row per point)
are read the same way; only the words of the errors differ, and each names the offending
row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import InvalidValueError, PwlKktError


@dataclass(frozen=True)
class MatrixRows:
    """How one matrix argument is named in errors, and the reading of its rows.

    Examples
    --------
    >>> from pwl_kkt.errors import InvalidDataError
    >>> points = MatrixRows("x", "n", InvalidDataError, "a sequence of points, one row each",
    ...                     "coordinates", "coordinates", "dimension")
    >>> points.length(points.rows([[1, 2], [3, 4]]))
    2
    >>> points.length(points.rows([[1, 2], [3]]))
    Traceback (most recent call last):
    ...
    pwl_kkt.errors.InvalidDataError: x[1] has 1 coordinates but x[0] has 2: ...
    """

    name: str  # the argument, as in "w[1]"
    count: str  # the number of rows, as in "(k, d)"
    error: type[PwlKktError]
    sequence: str  # what the argument must be, as in "w must be <sequence>"
    row_entries: str  # what a row holds, as in "a row of d <row_entries>"
    entries: str  # what a row's length counts, as in "has 3 <entries>"
    dimension: str  # what d is, as in "the <dimension> d must be at least 1"

    def rows(self, a: object) -> list[object]:
        """The rows of ``a``, each a sequence or an array (not yet their entries)."""
        name = self.name
        if isinstance(a, np.ndarray):
            if a.ndim != 2:
                raise self.error(
                    f"{name} must be two-dimensional ({self.count}, d); got shape {a.shape}"
                )
            return list(np.asarray(a))  # a np.matrix's rows would be (1, d) matrices
        if isinstance(a, (str, bytes)) or not isinstance(a, Sequence):
            raise self.error(f"{name} must be {self.sequence}")
        rows = list(a)
        for i, row in enumerate(rows):
            if isinstance(row, (str, bytes)) or not isinstance(row, (Sequence, np.ndarray)):
                raise self.error(f"{name}[{i}] must be a row of d {self.row_entries}")
        return rows

    def length(self, rows: list[object]) -> int:
        """The common length ``d >= 1`` of the rows (0 when there are none)."""
        if not rows:
            return 0
        name = self.name
        d = len(rows[0])  # type: ignore[arg-type]
        if d == 0:
            raise self.error(f"{name}[0] is empty: the {self.dimension} d must be at least 1")
        for i, row in enumerate(rows):
            if len(row) != d:  # type: ignore[arg-type]
                raise self.error(
                    f"{name}[{i}] has {len(row)} {self.entries} but {name}[0] has {d}: "  # type: ignore[arg-type]
                    "rows must have one length"
                )
        return d

    def finite(self, arr: np.ndarray) -> np.ndarray:
        """``arr`` made read-only, once every entry is finite (else the first one is named)."""
        bad = np.argwhere(~np.isfinite(arr))
        if bad.size:
            i, c = (int(t) for t in bad[0])
            raise InvalidValueError(
                f"{self.name}[{i}][{c}]: {float(arr[i, c])!r} is not a finite number"
            )
        arr.setflags(write=False)
        return arr
