"""The explicit bounds of Safran, Vardi and Lee (NeurIPS 2022) as functions.

Every formula is copied from the paper; ``log`` is the natural logarithm. The
paper assumes ``R >= 1`` and notes (footnote 2) that for ``R < 1`` the bounds
with ``R = 1`` hold, so every function here uses ``max(R, 1)``.

=================================  ==============================================================
Theorem 2.3 (main result)          ``n >= C0 (r log(1/eps) + log(2/delta)) / eps``,
                                   ``k >= 6144 R^4 log(48 r / delta) / rho``,
                                   ``sigma_h >= 8400 n^2 C R^3.5 sqrt(r k) / (delta rho)``,
                                   ``sigma_o <= 1 / (4 k R sigma_h log(12 k / delta))``
Theorem 3.1 (Eq. 3)                ``k >= 6144 R^4 log(24 r / delta) / rho``,
                                   ``sigma_h >= 4200 n^2 C R^3.5 sqrt(r k) / (delta rho)``,
                                   ``sigma_o <= 1 / (4 k R sigma_h log(6 k / delta))``
Theorem 3.2                        width ``k = floor(alpha r)``: population loss
                                   ``>= (1/4)(1 - 0.75 alpha)`` with probability >= 0.25
Theorem 4.2                        at most ``32 r + 67`` linear regions
Corollary 5.1                      ``n >= C0 (r log(1/eps) + log(1/delta)) / eps``
=================================  ==============================================================
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any

from .._rational import to_fraction
from ..errors import InvalidValueError

__all__ = [
    "SufficientConditions",
    "corollary_5_1_epsilon",
    "corollary_5_1_sample_size",
    "region_bound",
    "sigma_h_bound",
    "sigma_o_bound",
    "theorem_2_3",
    "theorem_3_1",
    "theorem_3_2_lower_bound",
    "theorem_3_2_width",
    "width_bound",
]

_THEOREMS = ("2.3", "3.1")
# (width log factor, sigma_h constant, sigma_o log factor) of Theorem 2.3 and Theorem 3.1 (Eq. 3).
_CONSTANTS = {"2.3": (48, 8400, 12), "3.1": (24, 4200, 6)}


# --- validation --------------------------------------------------------------------------------


def _real(value: object, name: str) -> float:
    """A finite real: numbers, Fractions and text such as ``"1/4"`` or ``"0.5"``."""
    return float(to_fraction(value, name))


def _positive(value: object, name: str) -> float:
    f = _real(value, name)
    if f <= 0:
        raise InvalidValueError(f"{name}: {value!r} must be positive")
    return f


def _probability(value: object, name: str) -> float:
    f = _real(value, name)
    if not 0 < f < 1:
        raise InvalidValueError(f"{name}: {value!r} must lie strictly between 0 and 1")
    return f


def _count(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            import numpy as np

            if isinstance(value, np.integer):
                value = int(value)
            else:
                raise TypeError
        except TypeError:
            raise InvalidValueError(f"{name}: {value!r} is not an integer") from None
    if value < 1:
        raise InvalidValueError(f"{name}: {value!r} must be at least 1")
    return int(value)


def _radius(R: object) -> float:
    return max(_positive(R, "R"), 1.0)


def _theorem(theorem: str) -> tuple[int, int, int]:
    if theorem not in _THEOREMS:
        raise InvalidValueError(f"theorem: {theorem!r} is not one of {', '.join(_THEOREMS)}")
    return _CONSTANTS[theorem]


# --- the single formulas -------------------------------------------------------------------------


def width_bound(r: int, R: float, rho: float, delta: float, theorem: str = "3.1") -> float:
    """Sufficient width: ``6144 R^4 log(24 r / delta) / rho`` (Theorem 3.1, Eq. 3) or with
    ``log(48 r / delta)`` (Theorem 2.3).

    Examples
    --------
    >>> round(width_bound(1, 1, 1, 0.5), 3)   # 6144 log(48)
    23784.659
    """
    w_log, _, _ = _theorem(theorem)
    r, R, rho = _count(r, "r"), _radius(R), _positive(rho, "rho")
    delta = _probability(delta, "delta")
    return 6144 * R**4 * math.log(w_log * r / delta) / rho


def sigma_h_bound(
    n: int, C: float, R: float, r: int, k: int, delta: float, rho: float, theorem: str = "3.1"
) -> float:
    """Sufficient hidden-layer scale: ``4200 n^2 C R^3.5 sqrt(r k) / (delta rho)`` (Theorem 3.1,
    Eq. 3) or with 8400 (Theorem 2.3).

    Examples
    --------
    >>> sigma_h_bound(n=2, C=1, R=1, r=1, k=4, delta=0.5, rho=1)   # 4200 * 4 * 2 / 0.5
    67200.0
    """
    _, const, _ = _theorem(theorem)
    n, r, k = _count(n, "n"), _count(r, "r"), _count(k, "k")
    C, R = _positive(C, "C"), _radius(R)
    delta, rho = _probability(delta, "delta"), _positive(rho, "rho")
    return const * n**2 * C * R**3.5 * math.sqrt(r * k) / (delta * rho)


def sigma_o_bound(k: int, R: float, sigma_h: float, delta: float, theorem: str = "3.1") -> float:
    """Sufficient output-layer scale (an upper bound): ``1 / (4 k R sigma_h log(6 k / delta))``
    (Theorem 3.1, Eq. 3) or with ``log(12 k / delta)`` (Theorem 2.3).

    Examples
    --------
    >>> round(1 / sigma_o_bound(k=1, R=1, sigma_h=1, delta=0.5), 6)   # 4 log(12)
    9.939627
    """
    _, _, o_log = _theorem(theorem)
    k, R = _count(k, "k"), _radius(R)
    sigma_h, delta = _positive(sigma_h, "sigma_h"), _probability(delta, "delta")
    return 1.0 / (4 * k * R * sigma_h * math.log(o_log * k / delta))


def corollary_5_1_sample_size(eps: float, delta: float, r: int, C0: float = 1.0) -> float:
    """Corollary 5.1's sample size ``C0 (r log(1/eps) + log(1/delta)) / eps``.

    ``C0`` is the paper's unspecified universal constant. Theorem 2.3 asks for
    ``log(2/delta)`` instead of ``log(1/delta)`` (it spends half of delta on the
    optimization stage); :func:`theorem_2_3` uses that form.

    Examples
    --------
    >>> round(corollary_5_1_sample_size(0.1, 0.5, r=2, C0=1), 6)   # (2 log 10 + log 2) / 0.1
    52.983174
    """
    eps, delta = _probability(eps, "eps"), _probability(delta, "delta")
    r, C0 = _count(r, "r"), _positive(C0, "C0")
    return C0 * (r * math.log(1 / eps) + math.log(1 / delta)) / eps


def corollary_5_1_epsilon(n: float, delta: float, r: int, C0: float = 1.0) -> float:
    """The accuracy Corollary 5.1 guarantees with n samples: the smallest eps in (0, 1) with
    ``C0 (r log(1/eps) + log(1/delta)) / eps <= n``.

    The left side decreases in eps, so the answer is found by bisection to full
    float precision, returning the upper end of the bracket so the inequality holds.

    Raises
    ------
    InvalidValueError
        ``n <= C0 log(1/delta)``: then no eps < 1 satisfies the corollary.

    Examples
    --------
    >>> eps = corollary_5_1_epsilon(1000, 0.1, r=3, C0=1)
    >>> round(eps, 6), corollary_5_1_sample_size(eps, 0.1, 3) <= 1000
    (0.014918, True)
    """
    n_given, n = n, _positive(n, "n")
    delta, r, C0 = _probability(delta, "delta"), _count(r, "r"), _positive(C0, "C0")
    floor = C0 * math.log(1 / delta)
    if n <= floor:
        raise InvalidValueError(
            f"n: {n_given!r} is too small; Corollary 5.1 needs n > C0 log(1/delta) = {floor:.6g} "
            "for any eps < 1"
        )

    def size(eps: float) -> float:
        return C0 * (r * math.log(1 / eps) + math.log(1 / delta)) / eps

    lo, hi = 0.0, 1.0  # size(lo+) = inf > n, size(hi-) = floor < n
    for _ in range(200):
        mid = (lo + hi) / 2
        if mid in (lo, hi):
            break
        if size(mid) <= n:
            hi = mid
        else:
            lo = mid
    return hi


def region_bound(r: int) -> int:
    """Theorem 4.2: GF converges in direction to a network with at most ``32 r + 67`` regions.

    Here r may be the number of label changes along the sorted sample
    (:func:`pwl_kkt.setting.teacher.label_changes`), which is at most the teacher's width.

    Examples
    --------
    >>> region_bound(1), region_bound(5)
    (99, 227)
    """
    return 32 * _count(r, "r") + 67


def theorem_3_2_width(alpha: object, r: int) -> int:
    """Theorem 3.2's width ``k = floor(alpha r)`` (exact for rational alpha, e.g. ``"1.3"``).

    Examples
    --------
    >>> theorem_3_2_width("1.3", 10), theorem_3_2_width(1, 7)
    (13, 7)
    """
    a = to_fraction(alpha, "alpha")
    if a < 1:
        raise InvalidValueError(f"alpha: {alpha!r} must be at least 1")
    return math.floor(a * _count(r, "r"))


def theorem_3_2_lower_bound(alpha: object) -> Fraction:
    """Theorem 3.2: with width ``floor(alpha r)`` and Assumption 2.1's initialization, some
    distribution and width-r teacher make GF's population loss at least ``(1/4)(1 - 0.75 alpha)``
    at every time, with probability at least 0.25.

    Exact: ``alpha`` is read as the rational it is (``"1.3"`` is 13/10). The bound
    is positive only for ``alpha < 4/3``.

    Examples
    --------
    >>> theorem_3_2_lower_bound(1), theorem_3_2_lower_bound("1.2")
    (Fraction(1, 16), Fraction(1, 40))
    """
    a = to_fraction(alpha, "alpha")
    if a < 1:
        raise InvalidValueError(f"alpha: {alpha!r} must be at least 1")
    return Fraction(1, 4) * (1 - Fraction(3, 4) * a)


# --- the theorems' joint conditions ---------------------------------------------------------------


@dataclass(frozen=True)
class SufficientConditions:
    """Sufficient sizes and scales of Theorem 2.3 or Theorem 3.1 for given data parameters.

    Attributes
    ----------
    theorem : str
        ``"2.3"`` or ``"3.1"``.
    n : int
        The sample size used (Theorem 2.3: at least its bound; Theorem 3.1: given).
    k : int
        The width used (at least ``ceil`` of the width bound).
    sigma_h : float
        The hidden scale used (at least the ``sigma_h`` bound for this n and k).
    sigma_o_max : float
        The largest allowed output scale for this k and sigma_h.
    n_bound, k_bound, sigma_h_bound : float
        The raw right-hand sides (``n_bound`` is None for Theorem 3.1).

    Examples
    --------
    >>> c = theorem_3_1(delta=0.5, r=1, R=1, C=1, rho=1, n=10)
    >>> c.k, c.k == math.ceil(c.k_bound)
    (23785, True)
    >>> SufficientConditions.from_dict(c.to_dict()) == c
    True
    """

    theorem: str
    n: int
    k: int
    sigma_h: float
    sigma_o_max: float
    n_bound: float | None
    k_bound: float
    sigma_h_bound: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SufficientConditions:
        """Inverse of :meth:`to_dict`."""
        return cls(**data)


def _conditions(
    theorem: str,
    n: int,
    n_bound: float | None,
    r: int,
    R: float,
    C: float,
    rho: float,
    delta: float,
    k: int | None,
    sigma_h: float | None,
) -> SufficientConditions:
    k_bound = width_bound(r, R, rho, delta, theorem)
    if k is None:
        k = max(1, math.ceil(k_bound))
    elif _count(k, "k") < k_bound:
        raise InvalidValueError(
            f"k: {k} is below Theorem {theorem}'s width bound {k_bound:.6g}"
        )
    s_bound = sigma_h_bound(n, C, R, r, k, delta, rho, theorem)
    if sigma_h is None:
        sigma_h = s_bound
    elif _positive(sigma_h, "sigma_h") < s_bound:
        raise InvalidValueError(
            f"sigma_h: {sigma_h} is below Theorem {theorem}'s bound {s_bound:.6g}"
        )
    return SufficientConditions(
        theorem=theorem,
        n=n,
        k=int(k),
        sigma_h=float(sigma_h),
        sigma_o_max=sigma_o_bound(k, R, sigma_h, delta, theorem),
        n_bound=n_bound,
        k_bound=k_bound,
        sigma_h_bound=s_bound,
    )


def _check_rho(rho: object, R: object) -> float:
    rho_f = _positive(rho, "rho")
    if rho_f > 2 * _positive(R, "R"):
        raise InvalidValueError(f"rho: {rho!r} exceeds the length 2R of [-R, R]")
    return rho_f


def _check_C(C: object, R: object) -> float:  # noqa: N802 - the paper's name
    c = _positive(C, "C")
    if 2 * _positive(R, "R") * c < 1:
        raise InvalidValueError(
            f"C: {C!r} is too small to bound a density on [-R, R] (need C >= 1/(2R))"
        )
    return c


def theorem_3_1(
    delta: float,
    r: int,
    R: float,
    C: float,
    rho: float,
    n: int,
    k: int | None = None,
    sigma_h: float | None = None,
) -> SufficientConditions:
    """Theorem 3.1 (Eq. 3): conditions under which, with probability >= 1 - delta, GF reaches
    ``L <= 1/(2n)``:

        k >= 6144 R^4 log(24 r / delta) / rho,
        sigma_h >= 4200 n^2 C R^3.5 sqrt(r k) / (delta rho),
        sigma_o <= 1 / (4 k R sigma_h log(6 k / delta)).

    ``k`` defaults to the smallest integer width allowed and ``sigma_h`` to its
    bound for that k; the returned ``sigma_o_max`` is for the k and sigma_h used.

    Raises
    ------
    InvalidValueError
        delta outside (0, 1), r, n or k below 1, non-positive R, C or rho,
        ``C < 1/(2R)``, ``rho > 2R``, or a given k / sigma_h below its bound.

    Examples
    --------
    >>> c = theorem_3_1(delta=0.5, r=1, R=1, C=1, rho=1, n=1, k=23785)
    >>> round(c.sigma_h), c.sigma_h == 4200 * math.sqrt(23785) / 0.5
    (1295480, True)
    """
    delta = _probability(delta, "delta")
    r, n = _count(r, "r"), _count(n, "n")
    C, rho = _check_C(C, R), _check_rho(rho, R)
    return _conditions("3.1", n, None, r, _radius(R), C, rho, delta, k, sigma_h)


def theorem_2_3(
    eps: float,
    delta: float,
    r: int,
    R: float,
    C: float,
    rho: float,
    C0: float = 1.0,
    n: int | None = None,
    k: int | None = None,
    sigma_h: float | None = None,
) -> SufficientConditions:
    """Theorem 2.3 (main result): conditions under which, with probability >= 1 - delta, GF
    converges in direction to a network with at most ``32 r + 67`` linear regions and
    population error at most eps:

        n >= C0 (r log(1/eps) + log(2/delta)) / eps,
        k >= 6144 R^4 log(48 r / delta) / rho,
        sigma_h >= 8400 n^2 C R^3.5 sqrt(r k) / (delta rho),
        sigma_o <= 1 / (4 k R sigma_h log(12 k / delta)).

    ``C0`` is the paper's unspecified universal constant. ``n`` and ``k`` default
    to the smallest integers allowed, ``sigma_h`` to its bound for those.

    Examples
    --------
    >>> c = theorem_2_3(eps=0.1, delta=0.5, r=1, R=1, C=1, rho=1, C0=1)
    >>> c.n, round(c.n_bound, 6)                  # (log 10 + log 4) / 0.1
    (37, 36.888795)
    >>> c.k == math.ceil(6144 * math.log(96))
    True
    """
    eps, delta = _probability(eps, "eps"), _probability(delta, "delta")
    r, C0 = _count(r, "r"), _positive(C0, "C0")
    C, rho = _check_C(C, R), _check_rho(rho, R)
    n_bound = C0 * (r * math.log(1 / eps) + math.log(2 / delta)) / eps
    if n is None:
        n = max(1, math.ceil(n_bound))
    elif _count(n, "n") < n_bound:
        raise InvalidValueError(f"n: {n} is below Theorem 2.3's sample bound {n_bound:.6g}")
    return _conditions("2.3", int(n), n_bound, r, _radius(R), C, rho, delta, k, sigma_h)
