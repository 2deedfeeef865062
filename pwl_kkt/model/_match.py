"""Pairing a network on R^d with its data: one :class:`DatasetNd` of the network's dimension."""

from __future__ import annotations

from ..errors import InvalidDataError
from .data import Dataset
from .data_nd import DatasetNd


def data_for(d: int, x: object, y: object | None = None) -> DatasetNd:
    """The data a network with ``d`` inputs is evaluated on, as a :class:`DatasetNd`.

    Accepts a :class:`DatasetNd`, a univariate :class:`Dataset` (d = 1), or points (rows of
    d coordinates) and labels.

    Raises
    ------
    InvalidDataError
        ``x`` and ``y`` both given with a dataset, labels missing, or a dimension other than
        ``d`` (the message names both).

    Examples
    --------
    >>> data_for(2, [[0, 1], [1, 0]], [1, -1]).d
    2
    >>> data_for(3, [[0, 1], [1, 0]], [1, -1])
    Traceback (most recent call last):
    ...
    pwl_kkt.errors.InvalidDataError: the network has d = 3 inputs but the data has d = 2 ...
    """
    if isinstance(x, (Dataset, DatasetNd)):
        if y is not None:
            raise InvalidDataError("give either a dataset or x and y, not both")
        data = DatasetNd.from_univariate(x) if isinstance(x, Dataset) else x
    else:
        if y is None:
            raise InvalidDataError("labels y are missing")
        data = DatasetNd(x, y)
    if data.d != d:
        raise InvalidDataError(
            f"the network has d = {d} inputs but the data has d = {data.d} coordinates "
            "per point: they must match"
        )
    return data
