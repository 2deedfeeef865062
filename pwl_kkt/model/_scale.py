"""Exact rescaling of theta for float computations that are invariant under ``theta -> c theta``.

Problem (4)'s verdicts (KKT after normalization, the normalized margin, the value
``1/2 ||theta||^2 / min_i y_i N(x_i)``) do not change when theta is multiplied by ``c > 0``.
Float evaluation does: weights of 1e300 overflow ``N`` (about 1e600), weights of 1e-200
underflow it. Multiplying every parameter by a power of two is exact in binary floating point
(barring underflow of parameters more than 1e300 times smaller than the largest, which are
negligible against it), so float work is done on ``2^-e theta`` with the largest ``|param|`` in
``[1/2, 1)``.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from .network import Network
from .network_nd import NetworkNd


def unit_exponent(net: Network | NetworkNd) -> int:
    """The ``e`` with ``max |theta| / 2^e`` in ``[1/2, 1)`` (0 for theta = 0).

    Examples
    --------
    >>> unit_exponent(Network([0.0], [1e300], [3.0]))
    997
    """
    if net.is_exact:
        top = max((abs(t) for t in net.theta()), default=Fraction(0))
        if top == 0:
            return 0
        e = top.numerator.bit_length() - top.denominator.bit_length()
        # 2^(e-1) < top < 2^(e+1): settle the exponent exactly
        while top >= Fraction(2) ** e:
            e += 1
        while top < Fraction(2) ** (e - 1):
            e -= 1
        return e
    top = max((float(np.max(np.abs(a))) for a in net.arrays() if a.size), default=0.0)
    return 0 if top == 0 else math.frexp(top)[1]


def unit_scaled(net: Network | NetworkNd) -> Network | NetworkNd:
    """The float network ``2^-e theta`` with the largest ``|param|`` in ``[1/2, 1)``.

    Exact for float networks (a power-of-two scaling); an exact network is scaled exactly
    first and then rounded to floats, so parameters far outside the float range are fine.

    Examples
    --------
    >>> unit_scaled(Network([0.0], [1e300], [1e300])).b
    array([0.7466...])
    >>> unit_scaled(NetworkNd(np.array([[4.0, 1e300]]), None, np.array([1.0]))).w
    array([[2.98...e-300, 7.46...e-001]])
    """
    e = unit_exponent(net)
    if net.is_exact:
        return net.scaled(Fraction(2) ** -e).to_float()
    w, b, v = (np.ldexp(a, -e) for a in net.arrays())
    if isinstance(net, NetworkNd):
        return NetworkNd(w, b if net.has_bias else None, v, exact=False)
    return Network(w, b, v, exact=False)


def sqrt_float(q: Fraction) -> float:
    """``sqrt(q)`` rounded to a float, for rationals far outside the float range.

    ``inf`` when ``sqrt(q)`` itself exceeds the float range (exact inputs beyond 1e308).

    Examples
    --------
    >>> sqrt_float(Fraction(10) ** 400)
    1e+200
    """
    if q <= 0:
        return 0.0
    e = (q.numerator.bit_length() - q.denominator.bit_length()) // 2
    try:
        return math.ldexp(math.sqrt(float(q / Fraction(4) ** e)), e)
    except OverflowError:
        return math.inf
