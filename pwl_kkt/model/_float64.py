"""Parameters and arrays as float64 without rounding: binary formats hold exactly these.

``.npz`` arrays and torch tensors are read as the values they hold and written only when
every value is exactly a float64, so that a file or a module is always the same network,
never a rounded neighbour.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from .._rational import short_text
from ..errors import InvalidNetworkError, InvalidValueError
from .network import Network
from .network_nd import NetworkNd


def exact_floats(arr: np.ndarray, name: str) -> np.ndarray | None:
    """``arr`` (any shape) as float64 if that holds every entry exactly, else ``None``.

    Floats of at most 64 bits embed in float64; a wider float that does not is refused.
    Integers are float64 exactly up to 2**53 and beyond only when they are multiples of a
    large enough power of two.

    Examples
    --------
    >>> exact_floats(np.array([[1, 2]]), "w")
    array([[1., 2.]])
    >>> exact_floats(np.array([2**53 + 1]), "w") is None
    True
    """
    out = arr.astype(np.float64)
    if arr.dtype.kind == "f":
        if arr.dtype.itemsize > 8 and not np.array_equal(out, arr, equal_nan=True):
            raise InvalidValueError(
                f"{name}: {arr.dtype} entries are not all float64 values; "
                "save float64 arrays, or the exact values as JSON"
            )
        return out
    flat_out, flat_arr = out.ravel(), arr.ravel()
    big = np.flatnonzero(np.abs(flat_out) >= 2.0**53)  # below, every integer is a float64
    return out if all(int(flat_out[i]) == int(flat_arr[i]) for i in big) else None


def float64_parameters(net: Network | NetworkNd) -> dict[str, np.ndarray]:
    """``{"w", "b", "v"}`` of ``net`` as float64 arrays (no ``"b"`` without hidden biases).

    W has shape (k,) for a :class:`Network` and (k, d) for a :class:`NetworkNd`.

    Raises
    ------
    InvalidNetworkError
        An exact parameter that is not a float64 (the message names it): binary formats
        would round it.

    Examples
    --------
    >>> float64_parameters(NetworkNd([[1, "1/4"]], None, [2]))["w"]
    array([[1.  , 0.25]])
    >>> float64_parameters(Network(["1/3"], [0], [1]))
    Traceback (most recent call last):
    ...
    pwl_kkt.errors.InvalidNetworkError: w[0] = 1/3 is not exactly a float64; ...
    """
    w, b, v = net.arrays()
    params = {"w": w, "b": b, "v": v}
    if isinstance(net, NetworkNd) and not net.has_bias:
        del params["b"]
    if net.is_exact:
        exact = dict(zip("wbv", net.fractions()))
        for name, arr in params.items():
            values = exact[name]
            if arr.ndim == 2:
                values = tuple(q for row in values for q in row)
            for i, (q, f) in enumerate(zip(values, arr.ravel().tolist())):
                if not math.isfinite(f) or Fraction(f) != q:
                    where = "".join(f"[{t}]" for t in np.unravel_index(i, arr.shape))
                    raise InvalidNetworkError(
                        f"{name}{where} = {short_text(q)} is not exactly a float64; "
                        "save exact networks as .json"
                    )
    return params
