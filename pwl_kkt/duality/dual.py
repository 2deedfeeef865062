"""The dual function of the max-margin problem and its exact maximum.

For multipliers ``lambda >= 0`` and augmented points ``xt_i = (x_i, 1)`` the dual
function on the unit circle is

    G(u) = sum_i lambda_i y_i relu(u . xt_i),     u = (w, b),  ||u|| = 1.

If ``max_u |G(u)| <= 1`` then ``sum_i lambda_i <= 1/2 ||theta||^2`` for every feasible
``theta`` of every width (weak duality; see :func:`pwl_kkt.duality.globalopt.certify_global`).

How the maximum is found exactly
--------------------------------
The directions perpendicular to the ``xt_i`` cut the circle into sectors with a fixed
active set ``A``; on a sector ``G(u) = u . g_A`` with ``g_A = sum_{i in A} lambda_i y_i xt_i``.
In one dimension the sectors are easiest to walk through the chart ``u ~ s (1, -c)``
(``s = +-1``, ``c`` the kink of the neuron ``u``) plus the two directions ``(0, +-1)``
(``w = 0``). For ``s = +1`` the active set of ``c`` is ``{i : x_i > c}``, and between
consecutive distinct data values ``z_k <= c <= z_{k+1}`` (a closed sector)

    G = (a + b c) / sqrt(1 + c^2),   a = s sum_A lambda_i y_i x_i,   b = -s sum_A lambda_i y_i,

(``s = -1``: active set ``{x_i < c}``, and the same form with the signs flipped.)
``(a + b c) / sqrt(1 + c^2) = (1, c) . (a, b) / ||(1, c)||``, so its largest absolute value on
the closed sector is ``||(a, b)|| = ||g_A||`` when ``c* = b / a`` lies in the sector (``+-g_A``
points into it), and otherwise a value at an endpoint ``c = z_k``; unbounded sectors end at
the directions ``(0, -+1)``, which are evaluated separately. Every candidate is compared by its
square, a rational number when ``lambda`` and ``x`` are rational, so the maximum is
``sqrt(M)`` with ``M`` an exact :class:`~fractions.Fraction`, and it is attained at a direction
with rational coordinates (before normalisation). Equal ``x_i`` need no special case: the chart
has one break point and two half-lines, which are the two half-circles of the sectors.
Sorting plus prefix sums make this ``O(n log n)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import sympy

from .._rational import fraction_text, fractions_of
from ..errors import InvalidValueError
from ..model.data import Dataset, as_dataset

__all__ = ["DualMaximum", "dual_function", "dual_value_exact", "max_abs_dual"]


@dataclass(frozen=True)
class DualMaximum:
    """The maximum of ``|G_lambda|`` on the unit circle and a direction attaining it.

    Attributes
    ----------
    max_sq : Fraction or None
        ``max |G|^2`` exactly (``None`` for the float computation).
    max_abs_float : float
        ``max |G|`` as a float.
    direction : tuple
        A maximising ``u = (w, b)`` *before* normalisation (exact Fractions on the exact
        path, floats otherwise); the unit vector is ``direction / ||direction||``.
    sign : int
        Sign of ``G`` at ``direction`` (``+1`` when ``G`` vanishes identically).
    exact : bool
        Whether ``max_sq`` and ``direction`` are exact.

    Examples
    --------
    >>> m = max_abs_dual([Fraction(1, 2), Fraction(1, 2)], [4, -4], [1, 1])
    >>> m.max_abs, m.max_sq, m.direction
    (sqrt(17)/2, Fraction(17, 4), (Fraction(1, 1), Fraction(1, 4)))
    """

    max_sq: Fraction | None
    max_abs_float: float
    direction: tuple
    sign: int
    exact: bool

    @property
    def max_abs(self) -> sympy.Expr:
        """``max |G|`` as an exact SymPy expression (``sqrt`` of a rational)."""
        if self.max_sq is None:
            return sympy.Float(self.max_abs_float)
        return sympy.sqrt(sympy.Rational(self.max_sq.numerator, self.max_sq.denominator))

    @property
    def unit_direction(self) -> tuple:
        """The maximising direction normalised to the unit circle (SymPy when exact)."""
        w, b = self.direction
        if self.exact:
            n2 = sympy.Rational(Fraction(w) ** 2 + Fraction(b) ** 2)
            r = sympy.sqrt(n2)
            return (sympy.Rational(w) / r, sympy.Rational(b) / r)
        r = math.hypot(float(w), float(b))
        return (float(w) / r, float(b) / r)

    def to_dict(self) -> dict:
        """JSON-ready dictionary (exact values as ``"p/q"`` text).

        Examples
        --------
        >>> max_abs_dual([1], [0], [1]).to_dict()["max_sq"]
        '1'
        """
        return {
            "max_sq": None if self.max_sq is None else fraction_text(self.max_sq),
            "max_abs": str(self.max_abs) if self.exact else None,
            "max_abs_float": self.max_abs_float,
            "direction": [fraction_text(Fraction(t)) for t in self.direction]
            if self.exact
            else [float(t) for t in self.direction],
            "sign": self.sign,
            "exact": self.exact,
        }

    @classmethod
    def from_dict(cls, d: dict) -> DualMaximum:
        """Inverse of :meth:`to_dict`.

        Examples
        --------
        >>> m = max_abs_dual([1], [0], [1])
        >>> DualMaximum.from_dict(m.to_dict()) == m
        True
        """
        exact = bool(d["exact"])
        direction = tuple(Fraction(t) if exact else float(t) for t in d["direction"])
        return cls(
            max_sq=None if d["max_sq"] is None else Fraction(d["max_sq"]),
            max_abs_float=float(d["max_abs_float"]),
            direction=direction,
            sign=int(d["sign"]),
            exact=exact,
        )


def _lambdas(lambdas: object, n: int, exact: bool) -> tuple:
    if exact:
        lam = fractions_of(lambdas, "lambdas")
    else:
        lam = tuple(float(t) for t in np.asarray(lambdas, dtype=np.float64).ravel())
        for i, t in enumerate(lam):
            if not math.isfinite(t):
                raise InvalidValueError(f"lambdas[{i}]: {t!r} is not a finite number")
    return _check_lambdas(lam, n)


def _check_lambdas(lam: tuple, n: int) -> tuple:
    """``lam`` itself if it holds one multiplier ``lambda_i >= 0`` per data point.

    Shared by the duals on the line, on R^d and in the plane, which read the entries each
    in their own way (floats or exact rationals) before this check.
    """
    if len(lam) != n:
        raise InvalidValueError(f"lambdas has {len(lam)} entries but the data has {n} points")
    for i, t in enumerate(lam):
        if t < 0:
            raise InvalidValueError(f"lambdas[{i}] = {t} is negative (multipliers are >= 0)")
    return lam


def dual_function(lambdas: Sequence[float], x: object, y: object = None):
    """Return the float function ``u -> G(u) = sum_i lambda_i y_i relu(<u, (x_i, 1)>)``.

    The returned callable takes an array of shape ``(2,)`` or ``(m, 2)`` of directions
    ``(w, b)`` (not necessarily unit; ``G`` is positively homogeneous of degree 1).

    Examples
    --------
    >>> G = dual_function([0.5, 0.5], [4, -4], [1, 1])
    >>> float(G(np.array([0.0, 1.0])))
    1.0
    """
    data = as_dataset(x, y)
    lam = np.asarray(_lambdas(lambdas, data.n, exact=False))
    coef = lam * data.y
    xt = np.stack([data.x_float, np.ones(data.n)])

    def G(u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=np.float64)
        return np.maximum(u @ xt, 0.0) @ coef

    return G


def dual_value_exact(
    lambdas: Sequence[object], x: object, y: object, u: Sequence[object]
) -> Fraction:
    """``G(u)`` exactly for a rational (not necessarily unit) direction ``u = (w, b)``.

    Examples
    --------
    >>> dual_value_exact([Fraction(1, 2)] * 2, [4, -4], [1, 1], [1, Fraction(1, 4)])
    Fraction(17, 8)
    """
    data = as_dataset(x, y)
    lam = _lambdas(lambdas, data.n, exact=True)
    w, b = fractions_of(u, "u")
    total = Fraction(0)
    for li, xi, yi in zip(lam, data.x_exact, data.y.tolist()):
        z = w * xi + b
        if z > 0 and li:
            total += li * yi * z
    return total


def max_abs_dual(
    lambdas: Sequence[object], x: object, y: object = None, *, exact: bool | None = None
) -> DualMaximum:
    """Exact (or float) ``max_{||u|| = 1} |G_lambda(u)|`` and a direction attaining it.

    ``G(u) = sum_i lambda_i y_i relu(u . (x_i, 1))``. The maximum is computed sector by
    sector (see :mod:`pwl_kkt.duality.dual`): on a sector with active set ``A`` the answer is
    ``||g_A||`` when ``+-g_A`` points into the closed sector, else an endpoint value.
    All comparisons are made on squares, in exact rationals when ``exact`` (the default
    when the data is exact).

    Parameters
    ----------
    lambdas : sequence
        Multipliers ``lambda_i >= 0`` (exact rationals on the exact path).
    x, y : data
        A :class:`~pwl_kkt.Dataset` or the two sequences.
    exact : bool, optional
        Force the exact (rational) or the float computation.

    Returns
    -------
    DualMaximum

    Examples
    --------
    Safran et al.'s Example 1 (``lambda = (1/2, 1/2)``): ``max |G| = sqrt(17)/2 > 1``, at the
    neuron ``relu(x + 1/4)`` that serves the point ``x = 4`` alone.

    >>> m = max_abs_dual(["1/2", "1/2"], [4, -4], [1, 1])
    >>> m.max_abs, m.direction, m.sign
    (sqrt(17)/2, (Fraction(1, 1), Fraction(1, 4)), 1)
    >>> round(max_abs_dual([0.5, 0.5], [4, -4], [1, 1], exact=False).max_abs_float, 6)
    2.061553
    """
    data = as_dataset(x, y)
    if exact is None:
        exact = data.is_exact and not isinstance(lambdas, np.ndarray)
    if exact:
        return _max_exact(_lambdas(lambdas, data.n, exact=True), data)
    return _max_float(np.asarray(_lambdas(lambdas, data.n, exact=False)), data)


def _groups(xs: Sequence, coef: Sequence) -> tuple[list, list, list]:
    """Distinct sorted x values with the sums of c_i and c_i x_i at each."""
    acc: dict = {}
    for xi, ci in zip(xs, coef):
        s0, s1 = acc.get(xi, (0, 0))
        acc[xi] = (s0 + ci, s1 + ci * xi)
    zs = sorted(acc)
    return zs, [acc[z][0] for z in zs], [acc[z][1] for z in zs]


def _candidates(zs, c0, c1, zero, is_exact: bool):
    """Yield (square, direction, value-sign-carrier) candidates for max |G|^2.

    ``value`` is G at ``direction`` (unnormalised), used for the sign only.
    """
    m = len(zs)
    tot0 = sum(c0, zero)
    one = Fraction(1) if is_exact else 1.0
    # w = 0 directions
    yield tot0 * tot0, (zero, one), tot0
    yield zero, (zero, -one), zero
    # suffix sums S0[k] = sum_{j >= k} c0[j] (S1 likewise): active set {x > c}, c in [z_{k-1}, z_k]
    suf0 = [zero] * (m + 1)
    suf1 = [zero] * (m + 1)
    for k in range(m - 1, -1, -1):
        suf0[k] = suf0[k + 1] + c0[k]
        suf1[k] = suf1[k + 1] + c1[k]
    for s in (1, -1):
        # interval k: c in [z_{k-1}, z_k] with z_{-1} = -inf, z_m = +inf
        for k in range(m + 1):
            if s == 1:  # active: indices >= k (x > c)
                A0, A1 = suf0[k], suf1[k]
            else:  # active: indices < k (x < c)
                A0, A1 = tot0 - suf0[k], suf1[0] - suf1[k]
            # G(u) with u = s (1, -c):  s * sum_A c_i (x_i - c) = s*A1 - s*A0*c  =: a + b c
            a = s * A1
            b = -s * A0
            lo = zs[k - 1] if k > 0 else None
            hi = zs[k] if k < m else None
            if a != 0:
                cstar = b / a
                if (lo is None or cstar >= lo) and (hi is None or cstar <= hi):
                    yield a * a + b * b, (s * one, -s * cstar), a + b * cstar
            for z in (lo, hi):
                if z is not None:
                    val = a + b * z
                    yield val * val / (1 + z * z), (s * one, -s * z), val


def _max_exact(lam: tuple, data: Dataset) -> DualMaximum:
    zero = Fraction(0)
    coef = [li * int(yi) for li, yi in zip(lam, data.y.tolist())]
    zs, c0, c1 = _groups(data.x_exact, coef)
    best = None
    for sq, d, val in _candidates(zs, c0, c1, zero, True):
        if best is None or sq > best[0]:
            best = (sq, d, val)
    sq, d, val = best
    return DualMaximum(
        max_sq=sq,
        max_abs_float=math.sqrt(float(sq)),
        direction=(Fraction(d[0]), Fraction(d[1])),
        sign=-1 if val < 0 else 1,
        exact=True,
    )


def _max_float(lam: np.ndarray, data: Dataset) -> DualMaximum:
    """Vectorised float version of the same sector walk."""
    sq_all, dirs, vals = _float_candidates(lam, data.x_float, data.y)
    k = int(np.argmax(sq_all))
    d = dirs[k]
    v = vals[k]
    return DualMaximum(
        max_sq=None,
        max_abs_float=math.sqrt(max(float(sq_all[k]), 0.0)),
        direction=(float(d[0]), float(d[1])),
        sign=-1 if v < 0 else 1,
        exact=False,
    )


def _float_candidates(
    lam: np.ndarray, xs: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every candidate of the sector walk: squares, directions ``(w, b)`` and values of ``G``.

    Layout: the two ``w = 0`` directions, then for ``s = +1`` and ``s = -1`` three blocks of
    ``m + 1`` entries (sector interior optimum, left end, right end; ``-1`` where absent),
    entry ``k`` for the chart interval ``c`` in ``[z_{k-1}, z_k]`` of the ``m`` sorted
    distinct x values ``z``. For ``s = +1`` that sector's active set is ``{x >= z_k}``, for
    ``s = -1`` it is ``{x <= z_{k-1}}``.
    """
    coef = lam * y
    order = np.argsort(xs, kind="stable")
    xs_s, c_s = xs[order], coef[order]
    zs, idx = np.unique(xs_s, return_index=True)
    c0 = np.add.reduceat(c_s, idx)
    c1 = np.add.reduceat(c_s * xs_s, idx)
    m = zs.size
    suf0 = np.concatenate([np.cumsum(c0[::-1])[::-1], [0.0]])
    suf1 = np.concatenate([np.cumsum(c1[::-1])[::-1], [0.0]])
    tot0, tot1 = suf0[0], suf1[0]
    lo = np.concatenate([[-np.inf], zs])
    hi = np.concatenate([zs, [np.inf]])
    sqs: list[np.ndarray] = [np.array([tot0 * tot0, 0.0])]
    dirs: list[np.ndarray] = [np.array([[0.0, 1.0], [0.0, -1.0]])]
    vals: list[np.ndarray] = [np.array([tot0, 0.0])]
    for s in (1.0, -1.0):
        A0 = suf0 if s > 0 else tot0 - suf0
        A1 = suf1 if s > 0 else tot1 - suf1
        a, b = s * A1, -s * A0
        with np.errstate(divide="ignore", invalid="ignore"):
            cstar = np.where(a != 0, b / np.where(a != 0, a, 1.0), np.nan)
        inside = (a != 0) & (cstar >= lo) & (cstar <= hi)
        sqs.append(np.where(inside, a * a + b * b, -1.0))
        cs = np.where(inside, cstar, 0.0)
        dirs.append(np.stack([np.full(m + 1, s), -s * cs], axis=1))
        vals.append(a + b * cs)
        for z in (lo, hi):
            finite = np.isfinite(z)
            zz = np.where(finite, z, 0.0)
            val = a + b * zz
            sqs.append(np.where(finite, val * val / (1 + zz * zz), -1.0))
            dirs.append(np.stack([np.full(m + 1, s), -s * zz], axis=1))
            vals.append(val)
    return np.concatenate(sqs), np.concatenate(dirs), np.concatenate(vals)
