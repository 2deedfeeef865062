"""The data a network is evaluated on, as a :class:`DatasetNd` of the network's dimension."""

from __future__ import annotations

from ..errors import InvalidDataError
from .data import Dataset
from .data_nd import DatasetNd
from .dimensions import check_dimensions
from .network import Network
from .network_nd import NetworkNd


def data_for(net: Network | NetworkNd, x: object, y: object | None = None) -> DatasetNd:
    """``x`` (and ``y``) as a :class:`DatasetNd` with the input dimension of ``net``.

    Accepts a :class:`DatasetNd`, a univariate :class:`Dataset` (d = 1), or points (rows of
    d coordinates) and labels; the dimensions are checked by
    :func:`~pwl_kkt.model.dimensions.check_dimensions`.

    Raises
    ------
    InvalidDataError
        ``x`` and ``y`` both given with a dataset, labels missing, or a dimension other than
        the network's (the message names both).

    Examples
    --------
    >>> data_for(NetworkNd([[1, 0]], None, [1]), [[0, 1], [1, 0]], [1, -1]).d
    2
    >>> data_for(NetworkNd([[1, 0, 0]], None, [1]), [[0, 1], [1, 0]], [1, -1])
    Traceback (most recent call last):
    ...
    pwl_kkt.errors.InvalidDataError: the network has inputs in R^3 (d = 3) but the data has ...
    """
    if isinstance(x, (Dataset, DatasetNd)):
        if y is not None:
            raise InvalidDataError("give either a dataset or x and y, not both")
        data = DatasetNd.from_univariate(x) if isinstance(x, Dataset) else x
    else:
        if y is None:
            raise InvalidDataError("labels y are missing")
        data = DatasetNd(x, y)
    check_dimensions(net, data)
    return data
