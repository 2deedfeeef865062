"""The input dimension d of networks and datasets, and the check that a pair agrees.

A network ``N(x) = sum_j v_j relu(w_j . x + b_j)`` with ``w_j in R^d`` is evaluated on
points ``x_i in R^d``: every computation on a network and a dataset together (margins, KKT
certificates, training from a network) needs the same d on both sides. The univariate
:class:`~pwl_kkt.model.network.Network` and :class:`~pwl_kkt.model.data.Dataset` have
d = 1. Checking the pair once, here, gives every caller (the library functions and the
command line) the same message naming both dimensions.
"""

from __future__ import annotations

from ..errors import InvalidDataError
from .data import Dataset
from .data_nd import DatasetNd
from .network import Network
from .network_nd import NetworkNd

__all__ = ["check_dimensions", "input_dimension"]


def input_dimension(obj: Network | NetworkNd | Dataset | DatasetNd) -> int:
    """The input dimension d of a network or a dataset (1 for the univariate classes).

    Examples
    --------
    >>> input_dimension(Network([1], [0], [1])), input_dimension(NetworkNd([[1, 2]], None, [1]))
    (1, 2)
    """
    if isinstance(obj, (NetworkNd, DatasetNd)):
        return obj.d
    if isinstance(obj, (Network, Dataset)):
        return 1
    raise TypeError(f"expected a network or a dataset; got {type(obj).__name__}")


def check_dimensions(net: Network | NetworkNd, data: Dataset | DatasetNd) -> int:
    """Return the common input dimension d of ``net`` and ``data``, or refuse a mismatch.

    Raises
    ------
    InvalidDataError
        The network's w_j and the data's x_i lie in spaces of different dimension; the
        message names both.

    Examples
    --------
    >>> check_dimensions(NetworkNd([[1, 0]], [0], [1]), DatasetNd([[1, 2]], [1]))
    2
    >>> check_dimensions(NetworkNd([[1, 0, 0]], [0], [1]), DatasetNd([[1, 2]], [1]))
    Traceback (most recent call last):
    ...
    pwl_kkt.errors.InvalidDataError: the network has inputs in R^3 (d = 3) but the data has ...
    """
    d_net, d_data = input_dimension(net), input_dimension(data)
    if d_net != d_data:
        raise InvalidDataError(
            f"the network has inputs in R^{d_net} (d = {d_net}) but the data has points in "
            f"R^{d_data} (d = {d_data}): the dimensions must agree"
        )
    return d_net
