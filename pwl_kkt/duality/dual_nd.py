"""The dual function on R^d and a rigorous bound on its maximum.

For multipliers ``lambda >= 0`` and points ``xt_i = (x_i, 1)`` in R^{d+1} (``xt_i = x_i`` for
networks without hidden biases) the dual function on the unit sphere is

    G(u) = sum_i lambda_i y_i relu(u . xt_i),     ||u|| = 1,

and ``max |G| <= 1`` at the multipliers of a KKT point certifies it as a global optimum of
every width (weak duality, as in one dimension: see :mod:`pwl_kkt.duality.dual`).

How the maximum is bounded
--------------------------
Only the points with ``lambda_i != 0`` matter. Their hyperplanes ``xt_i^perp`` cut the sphere
into cells with a fixed active set A, on which ``G(u) = u . g_A``,
``g_A = sum_{i in A} lambda_i y_i xt_i``. The cells are enumerated by branch and bound over
sign vectors: a node fixes the side of some hyperplanes (the closed polyhedral cone K) and
leaves the set U undecided. With ``c_i = s lambda_i y_i`` (``s = +-1`` for ``+-G``) and
``relu(t) <= (t + ||xt_i||) / 2`` for ``|t| <= ||xt_i||``, ``-relu(t) <= -t / 2``,

    s G(u) <= u . h + kappa,   h = s g_A + 1/2 sum_{i in U} c_i xt_i,
                               kappa = 1/2 sum_{i in U, c_i > 0} c_i ||xt_i||

(or ``h = s g_A``, ``kappa = sum_{i in U, c_i > 0} c_i ||xt_i||``; the smaller bound is kept).
On ``K`` intersected with the unit ball, ``u . h <= ||h - sum_i t_i a_i||`` for *any*
``t >= 0``, where ``a_i`` are the generators of the polar cone of K (``-xt_i`` for an active
side, ``xt_i`` for an inactive one): ``u . a_i <= 0`` on K. The ``t`` come from a float
non-negative least-squares fit; since any ``t >= 0`` gives a valid bound, the solver's
accuracy does not matter. The bound itself is evaluated in float64 with a rigorous
rounding-error allowance added (every input rounded once, sums of at most n + d + 2 terms,
inflated twice over) and then compared exactly as the rational it is; when a float
overflows, it is evaluated in exact rationals instead, square roots rounded up. At a leaf
(U empty) the exact projection of ``s g_A`` onto K, recovered by solving the float fit's
face over QQ and checked (``t >= 0``, ``a_i . r <= 0``), is the cell's maximum *and* a
direction attaining it, so when the search finishes the bound is the maximum itself
(``exact``). A budget of nodes keeps the time bounded; when it runs out the result is an
honest upper bound (the largest bound of the open nodes) next to the best value attained.
In d = 1 (with biases) the exact sector walk of :func:`pwl_kkt.max_abs_dual` is used.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from .._rational import fraction_text, fraction_to_float, fractions_of
from ..errors import InvalidValueError
from ..model.data_nd import DatasetNd
from .dual import _check_lambdas

__all__ = ["DualBound", "dual_function_nd", "dual_value_exact_nd", "max_abs_dual_nd"]

DEFAULT_MAX_NODES = 5_000
_SQRT_BITS = 60  # relative precision of the rational square roots rounded up
_TINY = 2.0**-1000  # absolute allowance for underflow in the float bounds
_REFINE = 8  # undecided points per node whose bounds on u . xt_i are tightened


@dataclass(frozen=True)
class DualBound:
    """A rigorous enclosure ``lower <= max_{||u|| = 1} |G(u)| <= upper`` on R^d.

    Attributes
    ----------
    upper_sq : Fraction
        ``max |G|^2 <= upper_sq``, proven (exact rational arithmetic throughout).
    lower_sq : Fraction
        ``|G(u)|^2 / ||u||^2`` at ``direction``: a value the maximum attains or exceeds.
    direction : tuple of Fraction
        A rational ``u`` (not normalized) with ``|G(u)| / ||u|| = sqrt(lower_sq)``.
    sign : int
        Sign of ``G`` at ``direction``.
    exact : bool
        ``upper_sq == lower_sq``: the maximum is ``sqrt(upper_sq)`` exactly, attained at
        ``direction``. ``False`` means the node budget ran out: ``sqrt(upper_sq)`` is an upper
        bound only.
    method : str
        ``"sectors"`` (d = 1, the exact walk of :func:`pwl_kkt.max_abs_dual`), ``"sign"``
        (d = 1 without biases: the sphere is ``{-1, +1}``) or ``"cells"`` (branch and bound
        over activation cells).
    nodes : int
        Nodes of the branch and bound visited.
    d : int
        Input dimension.
    bias : bool
        ``xt_i = (x_i, 1)`` (``True``) or ``x_i``.

    Examples
    --------
    >>> b = max_abs_dual_nd([1, 1], [[3, 4], [-3, -4]], [1, -1], bias=False)
    >>> b.exact, b.upper, b.direction
    (True, 5, (Fraction(3, 1), Fraction(4, 1)))
    >>> b.at_most(5), b.at_most(4)
    (True, False)
    """

    upper_sq: Fraction
    lower_sq: Fraction
    direction: tuple[Fraction, ...]
    sign: int
    exact: bool
    method: str
    nodes: int
    d: int
    bias: bool

    @property
    def upper(self) -> sympy.Expr:
        """``sqrt(upper_sq)`` exactly (SymPy)."""
        return sympy.sqrt(sympy.Rational(self.upper_sq.numerator, self.upper_sq.denominator))

    @property
    def lower(self) -> sympy.Expr:
        """``sqrt(lower_sq)`` exactly (SymPy)."""
        return sympy.sqrt(sympy.Rational(self.lower_sq.numerator, self.lower_sq.denominator))

    @property
    def upper_float(self) -> float:
        """``sqrt(upper_sq)`` rounded to float."""
        return math.sqrt(fraction_to_float(self.upper_sq))

    @property
    def lower_float(self) -> float:
        """``sqrt(lower_sq)`` rounded to float."""
        return math.sqrt(fraction_to_float(self.lower_sq))

    def at_most(self, t: object) -> bool | None:
        """``True`` if ``max |G| <= t`` is proven, ``False`` if ``max |G| > t`` is, else ``None``.

        Examples
        --------
        >>> max_abs_dual_nd(["1/2", "1/2"], [[4], [-4]], [1, 1]).at_most(2)
        False
        """
        q = fractions_of([t], "t")[0]
        if q < 0:
            return False
        if self.upper_sq <= q * q:
            return True
        if self.lower_sq > q * q:
            return False
        return None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (exact ``p/q`` text).

        Examples
        --------
        >>> b = max_abs_dual_nd([1], [[0, 1]], [1])
        >>> DualBound.from_dict(b.to_dict()) == b
        True
        """
        return {
            "upper_sq": fraction_text(self.upper_sq),
            "lower_sq": fraction_text(self.lower_sq),
            "upper_float": self.upper_float,
            "direction": [fraction_text(t) for t in self.direction],
            "sign": self.sign,
            "exact": self.exact,
            "method": self.method,
            "nodes": self.nodes,
            "d": self.d,
            "bias": self.bias,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DualBound:
        """Inverse of :meth:`to_dict`."""
        return cls(
            upper_sq=Fraction(d["upper_sq"]),
            lower_sq=Fraction(d["lower_sq"]),
            direction=tuple(Fraction(t) for t in d["direction"]),
            sign=int(d["sign"]),
            exact=bool(d["exact"]),
            method=str(d["method"]),
            nodes=int(d["nodes"]),
            d=int(d["d"]),
            bias=bool(d["bias"]),
        )


# --- inputs ------------------------------------------------------------------------------------


def _data(x: object, y: object | None) -> DatasetNd:
    if isinstance(x, DatasetNd):
        if y is not None:
            raise InvalidValueError("give either a DatasetNd or x and y, not both")
        return x
    return DatasetNd(x, y)


def _lambdas(lambdas: object, n: int) -> tuple[Fraction, ...]:
    lam = fractions_of(np.asarray(lambdas).ravel() if isinstance(lambdas, np.ndarray)
                       else lambdas, "lambdas")
    return _check_lambdas(lam, n)


def _augmented(data: DatasetNd, bias: bool) -> tuple[tuple[Fraction, ...], ...]:
    one = (Fraction(1),) if bias else ()
    return tuple(row + one for row in data.x_exact)


def dual_function_nd(lambdas: Sequence[object], x: object, y: object = None, *, bias: bool = True):
    """The float function ``u -> G(u) = sum_i lambda_i y_i relu(<u, xt_i>)`` on R^{d+1} (R^d).

    The callable takes ``u`` of shape ``(D,)`` or ``(m, D)``, ``D = d + 1`` (``d`` without
    biases); ``G`` is positively homogeneous of degree 1, so ``u`` need not be a unit vector.

    Examples
    --------
    >>> G = dual_function_nd([0.5, 0.5], [[4, 0], [-4, 0]], [1, 1])
    >>> float(G(np.array([0.0, 0.0, 1.0])))
    1.0
    """
    data = _data(x, y)
    coef = np.array([float(t) for t in _lambdas(lambdas, data.n)]) * data.y
    xt = np.hstack([data.x_float, np.ones((data.n, 1))]) if bias else np.array(data.x_float)

    def G(u: np.ndarray) -> np.ndarray:
        return np.maximum(np.asarray(u, dtype=np.float64) @ xt.T, 0.0) @ coef

    return G


def dual_value_exact_nd(
    lambdas: Sequence[object], x: object, y: object, u: Sequence[object], *, bias: bool = True
) -> Fraction:
    """``G(u)`` exactly for a rational (not necessarily unit) direction ``u``.

    Examples
    --------
    >>> dual_value_exact_nd(["1/2", "1/2"], [[4, 0], [-4, 0]], [1, 1], [1, 0, "1/4"])
    Fraction(17, 8)
    """
    data = _data(x, y)
    lam = _lambdas(lambdas, data.n)
    uq = fractions_of(u, "u")
    xt = _augmented(data, bias)
    if len(uq) != len(xt[0]):
        raise InvalidValueError(f"u must have {len(xt[0])} coordinates; got {len(uq)}")
    return _value(uq, [(li * int(yi), row) for li, yi, row in zip(lam, data.y.tolist(), xt) if li])


def _value(u: Sequence[Fraction], terms: Sequence[tuple[Fraction, Sequence[Fraction]]]) -> Fraction:
    """``sum_c c relu(u . row)`` over ``terms = [(c, row), ...]``."""
    total = Fraction(0)
    for c, row in terms:
        z = _dot(u, row)
        if z > 0:
            total += c * z
    return total


def _dot(a: Sequence[Fraction], b: Sequence[Fraction]) -> Fraction:
    return sum((p * q for p, q in zip(a, b)), Fraction(0))


def _sqrt_up(q: Fraction) -> Fraction:
    """A rational ``>= sqrt(q)``, within a relative ``2^-60`` of it."""
    if q <= 0:
        return Fraction(0)
    p, d = q.numerator, q.denominator
    shift = max(0, _SQRT_BITS - (p.bit_length() - d.bit_length()) // 2)
    root = math.isqrt(p * d * 4**shift)
    if root * root < p * d * 4**shift:
        root += 1
    return Fraction(root, d * 2**shift)


# --- the branch and bound ----------------------------------------------------------------------


@dataclass
class _Search:
    """The points with ``lambda_i != 0``: coefficients and rows, exact and in float."""

    coef: list[Fraction]  # lambda_i y_i
    rows: list[tuple[Fraction, ...]]  # xt_i
    cf: np.ndarray  # coef in float
    xf: np.ndarray  # rows in float
    xn: np.ndarray  # float ||xt_i||
    unit: np.ndarray  # xt_i / ||xt_i|| in float
    norm_up: list[Fraction]  # rational upper bounds of ||xt_i||
    best_sq: Fraction = Fraction(0)
    best_dir: tuple[Fraction, ...] = ()
    best_sign: int = 1

    def consider_float(self, u: np.ndarray) -> None:
        """:meth:`consider` for a float direction, when its float value looks better."""
        n = float(np.linalg.norm(u))
        if not (math.isfinite(n) and n > 0):
            return
        g = float(np.maximum(self.xf @ u, 0.0) @ self.cf) / n
        if g * g > fraction_to_float(self.best_sq) * (1 + 1e-12) or not self.best_dir:
            self.consider(_rational_vector(u))

    def consider(self, u: Sequence[Fraction]) -> None:
        """Record ``|G(u)|^2 / ||u||^2`` if it beats the best value attained so far."""
        n2 = _dot(u, u)
        if not n2:
            return
        g = _value(u, list(zip(self.coef, self.rows)))
        sq = g * g / n2
        if sq > self.best_sq or not self.best_dir:
            self.best_sq, self.best_dir, self.best_sign = sq, tuple(u), -1 if g < 0 else 1


def _rational_vector(v: np.ndarray) -> tuple[Fraction, ...]:
    return tuple(Fraction(float(t)) if math.isfinite(t) else Fraction(0) for t in v)


def _polar_bound(
    s: _Search, h: list[Fraction], active: Sequence[int], inactive: Sequence[int], leaf: bool
) -> tuple[Fraction, tuple[Fraction, ...], bool]:
    """``(B, r, exact)``: ``||r||^2 = B >= max_{u in K, ||u|| <= 1} (u . h)^2`` when ``u . h >= 0``.

    ``r = h - sum_i t_i a_i`` for rational ``t >= 0``. ``exact``: ``r`` is the projection of h
    onto K (checked exactly), so the bound is attained at ``r`` (only tried at leaves).
    """
    from scipy.optimize import nnls

    gens = [(i, -1) for i in active] + [(i, 1) for i in inactive]
    if not gens:
        return _dot(h, h), tuple(h), True
    hf = np.array([fraction_to_float(t) for t in h])
    hn = float(np.linalg.norm(hf))
    if not (math.isfinite(hn) and hn > 0):
        return _dot(h, h), tuple(h), not any(h)
    amat = np.stack([sgn * s.unit[i] for i, sgn in gens], axis=1)
    try:
        t, _ = nnls(amat, hf / hn)
    except (ValueError, RuntimeError):
        t = np.zeros(len(gens))
    if leaf:
        exact = _exact_projection(s, h, gens, [c for c in range(len(gens)) if t[c] > 0])
        if exact is not None:
            return _dot(exact, exact), exact, True
    r = list(h)
    for (i, sgn), tc in zip(gens, t.tolist()):
        if tc > 0 and math.isfinite(tc):
            # t_i on the unit generator is t_i / ||xt_i|| on xt_i itself: any t >= 0 will do
            w = Fraction(tc * hn / float(np.linalg.norm([fraction_to_float(q) for q in s.rows[i]])))
            r = [a - w * sgn * b for a, b in zip(r, s.rows[i])]
    return _dot(r, r), tuple(r), False


def _exact_projection(
    s: _Search, h: list[Fraction], gens: list[tuple[int, int]], face: list[int]
) -> tuple[Fraction, ...] | None:
    """The projection of h onto K if ``face`` (the fit's positive weights) is its face, or None."""
    from flint import fmpq, fmpq_mat

    def q(t: Fraction):  # noqa: ANN202
        return fmpq(t.numerator, t.denominator)

    cols = [[sgn * c for c in s.rows[i]] for i, sgn in (gens[f] for f in face)]
    r = list(h)
    if cols:
        gram = fmpq_mat(len(cols), len(cols), [q(_dot(a, b)) for a in cols for b in cols])
        rhs = fmpq_mat(len(cols), 1, [q(_dot(a, h)) for a in cols])
        try:
            sol = gram.solve(rhs)
        except ZeroDivisionError:
            return None
        t = [Fraction(int(sol[a, 0].p), int(sol[a, 0].q)) for a in range(len(cols))]
        if any(tc < 0 for tc in t):
            return None
        for tc, a in zip(t, cols):
            r = [p - tc * b for p, b in zip(r, a)]
    for i, sgn in gens:
        if sgn * _dot(s.rows[i], r) > 0:
            return None
    return tuple(r)


class _Cone:
    """The polar cone of a node's region in float: generators ``-xt_i`` (active side), ``xt_i``."""

    def __init__(self, s: _Search, active: list[int], inactive: list[int], grow: float) -> None:
        gi = np.array(active + inactive, dtype=np.int64)
        gs = np.array([-1.0] * len(active) + [1.0] * len(inactive))
        self.rows = gs[:, None] * s.xf[gi]  # generators, one per row
        self.abs_rows = np.abs(self.rows)
        self.unit = (gs[:, None] * s.unit[gi]).T  # (D, g) unit generators for the fit
        self.norms = s.xn[gi]
        self.grow = grow

    def polar(self, h: np.ndarray, mag: np.ndarray) -> tuple[float, np.ndarray]:
        """A rigorous float upper bound of ``max_{u in K, ||u|| <= 1} u . h`` (>= 0), and ``r``.

        ``r = h - sum_i w_i a_i`` with weights ``w >= 0`` from a float least-squares fit (any
        ``w >= 0`` is valid). ``mag`` bounds the magnitudes summed into h; ``|r_float - r|`` is
        at most ``grow`` times the magnitudes entering ``r`` (``grow = 2 (n + D + 4) u``: every
        input rounded once, sums of at most n + D + 2 terms, inflated twice over).
        """
        from scipy.optimize import nnls

        fit = np.zeros_like(h)
        fit_mag = np.zeros_like(h)
        hn = float(np.linalg.norm(h))
        if self.rows.shape[0] and math.isfinite(hn) and hn > 0:
            try:
                t = nnls(self.unit, h / hn)[0]
            except (ValueError, RuntimeError):
                t = np.zeros(self.rows.shape[0])
            w = t * hn / self.norms
            w = np.where(np.isfinite(w) & (w > 0), w, 0.0)
            fit, fit_mag = w @ self.rows, w @ self.abs_rows
        r = h - fit
        err = self.grow * (mag + fit_mag) + _TINY
        return float(np.linalg.norm(np.abs(r) + err)) * (1 + self.grow), r


def _float_node_bound(
    s: _Search, sign: int, node: _Node
) -> tuple[Fraction | None, np.ndarray, np.ndarray, np.ndarray]:
    """``(bound, r, lo, hi)``: ``(sign * G)^2 <= bound`` on the node's region, in float.

    ``lo_i <= u . xt_i <= hi_i`` on the region (rigorous; inherited from the parent, whose
    region contains this one, and tightened by polar bounds of ``+-xt_i`` for the few
    undecided points whose hyperplanes cut it most). They give the chord
    ``relu(t) <= theta t + kappa_i`` on ``[lo_i, hi_i]`` (and ``-relu(t) <= -theta t`` for any
    ``theta`` in [0, 1]); the bound is the polar bound of ``sign g_A + sum_U theta_i c_i xt_i``
    plus ``sum kappa_i``, or that of ``sign g_A`` plus ``sum_{c_i > 0} c_i hi_i``, whichever is
    smaller. ``None`` when a float overflows (use the exact bound).
    """
    u = float(np.finfo(float).eps)
    grow = 2 * (len(s.coef) + s.xf.shape[1] + 4) * u
    cone = _Cone(s, node.active, node.inactive, grow)
    c = sign * s.cf
    lo, hi = node.lo.copy(), node.hi.copy()
    und = node.undecided
    if node.active or node.inactive:
        cuts = sorted(und, key=lambda i: -abs(s.cf[i]) * min(hi[i], -lo[i]))[:_REFINE]
        for i in cuts:
            mag = np.abs(s.xf[i])
            hi[i] = min(hi[i], cone.polar(s.xf[i], mag)[0])
            lo[i] = max(lo[i], -cone.polar(-s.xf[i], mag)[0])
    act = np.array(node.active, dtype=np.int64)
    terms = c[act][:, None] * s.xf[act]
    g = terms.sum(axis=0)
    mag_g = np.abs(terms).sum(axis=0)
    h, mag = g.copy(), mag_g.copy()
    kappa_chord = kappa_top = 0.0
    for i in und:
        width = hi[i] - lo[i]
        theta = hi[i] / width if width > 0 else 0.5
        theta = min(max(theta, 0.0), 1.0) if math.isfinite(theta) else 0.5
        h += theta * c[i] * s.xf[i]
        mag += abs(theta * c[i]) * np.abs(s.xf[i])
        if c[i] > 0:
            # relu <= theta t + kappa on [lo, hi] iff it holds at both ends (convexity)
            kappa_chord += c[i] * max(-theta * lo[i], hi[i] * (1 - theta), 0.0)
            kappa_top += c[i] * max(hi[i], 0.0)
    best: float | None = None
    r_best = g
    for hv, mv, kappa in ((h, mag, kappa_chord), (g, mag_g, kappa_top)):
        pb, r = cone.polar(hv, mv)
        b = pb + kappa * (1 + grow)
        if not math.isfinite(b):
            return None, r_best, node.lo, node.hi
        if best is None or b < best:
            best, r_best = b, r
    bound = Fraction(best * (1 + 4 * u))
    return bound * bound, r_best, lo, hi


def _node_bound(
    s: _Search, sign: int, active: list[int], inactive: list[int], undecided: list[int]
) -> tuple[Fraction, bool, tuple[Fraction, ...]]:
    """``(bound, exact, r)``: ``(sign * G)^2 <= bound`` on the node's region, in exact rationals.

    At a leaf the bound is the cell's maximum when ``exact``, attained at ``r``.
    """
    D = len(s.rows[0])
    g = [Fraction(0)] * D
    for i in active:
        g = [a + sign * s.coef[i] * b for a, b in zip(g, s.rows[i])]
    if not undecided:
        sq, r, exact = _polar_bound(s, g, active, inactive, leaf=True)
        return sq, exact, r  # a leaf: the bound is returned squared
    half = list(g)
    kappa_half = kappa_full = Fraction(0)
    for i in undecided:
        c = sign * s.coef[i]
        half = [a + c * b / 2 for a, b in zip(half, s.rows[i])]
        if c > 0:
            kappa_half += c * s.norm_up[i] / 2
            kappa_full += c * s.norm_up[i]
    best = None
    for h, kappa in ((half, kappa_half), (g, kappa_full)):
        sq, r, _ = _polar_bound(s, h, active, inactive, leaf=False)
        b = _sqrt_up(sq) + kappa
        if best is None or b < best[0]:
            best = (b, r)
    return best[0] * best[0], False, best[1]


@dataclass
class _Node:
    """A region of the sphere: sides fixed for some points, bounds on ``u . xt_i`` for all."""

    active: list[int]
    inactive: list[int]
    undecided: list[int]
    lo: np.ndarray
    hi: np.ndarray


def _bound(s: _Search, sign: int, node: _Node) -> tuple[Fraction, bool, _Node]:
    """``(bound, exact, node)``: the node's bound (squared) with its tightened ``lo, hi``.

    The float bound first, and the exact one at promising leaves (or on float overflow);
    the directions met on the way are offered as values attained. The undecided points are
    reordered so that the one whose hyperplane cuts the region most comes first.
    """
    bound, r, lo, hi = _float_node_bound(s, sign, node)
    order = sorted(node.undecided, key=lambda i: -abs(s.cf[i]) * min(hi[i], -lo[i]))
    out = _Node(node.active, node.inactive, order, lo, hi)
    if bound is not None:
        s.consider_float(r)
        if bound <= s.best_sq or node.undecided:
            return bound, False, out
    exact_bound, exact, r_exact = _node_bound(s, sign, node.active, node.inactive, node.undecided)
    if any(r_exact):
        s.consider(r_exact)
    return exact_bound, exact, out


def _seed_directions(s: _Search) -> None:
    """A good value attained before the search: float sweeps refined by ``u <- +-g_{A(u)}``."""
    rng = np.random.default_rng(0)
    xf, cf = s.xf, s.cf
    D = xf.shape[1]
    cands = np.vstack([s.unit, -s.unit, rng.standard_normal((256, D))])
    for _ in range(8):  # on a cell, the best direction for +-G is +-g_A
        act = cands @ xf.T > 0
        vals = (np.maximum(cands @ xf.T, 0.0) @ cf)
        g = (act * cf) @ xf
        cands = np.vstack([cands, np.sign(vals)[:, None] * g])
        norms = np.linalg.norm(cands, axis=1)
        keep = norms > 0
        cands = cands[keep] / norms[keep][:, None]
        score = np.abs(np.maximum(cands @ xf.T, 0.0) @ cf)
        cands = cands[np.argsort(-score)[:64]]
    for u in cands[:8]:
        s.consider(_rational_vector(u))
    for row in s.rows:
        s.consider(row)


def max_abs_dual_nd(
    lambdas: Sequence[object],
    x: object,
    y: object = None,
    *,
    bias: bool = True,
    max_nodes: int = DEFAULT_MAX_NODES,
) -> DualBound:
    """A rigorous bound on ``max |G(u)|`` over unit u, ``G = sum_i lambda_i y_i relu(<u, xt_i>)``.

    ``xt_i = (x_i, 1)`` with ``bias=True`` (the sphere of R^{d+1}), else ``x_i``. The bound is
    the maximum itself (``exact``) when the branch and bound over activation cells of the
    module docstring finishes within ``max_nodes`` nodes, and always in d = 1.

    Parameters
    ----------
    lambdas : sequence
        Multipliers ``lambda_i >= 0``, read exactly (floats as their dyadic values).
    x, y
        A :class:`~pwl_kkt.DatasetNd`, or points (rows) and labels.
    bias : bool
        Whether the network has hidden biases.
    max_nodes : int
        Budget of branch-and-bound nodes.

    Returns
    -------
    DualBound

    Examples
    --------
    Example 1 of Safran, Vardi & Lee (2022) in d = 1 is the exact sector walk:

    >>> b = max_abs_dual_nd(["1/2", "1/2"], [[4], [-4]], [1, 1])
    >>> b.upper, b.exact, b.method
    (sqrt(17)/2, True, 'sectors')

    In the plane, the points ``(4, 0)`` and ``(-4, 0)`` with the same multipliers: the cells
    give the same maximum, at the neuron ``relu(x_1 + 1/4)``:

    >>> b = max_abs_dual_nd(["1/2", "1/2"], [[4, 0], [-4, 0]], [1, 1])
    >>> b.upper, b.exact, b.method
    (sqrt(17)/2, True, 'cells')
    """
    data = _data(x, y)
    lam = _lambdas(lambdas, data.n)
    if max_nodes < 1:
        raise InvalidValueError(f"max_nodes = {max_nodes} must be at least 1")
    if data.d == 1 and bias:
        from .dual import max_abs_dual

        m = max_abs_dual(lam, data.to_univariate(), exact=True)
        return DualBound(m.max_sq, m.max_sq, m.direction, m.sign, True, "sectors", 0, 1, True)
    xt = _augmented(data, bias)
    keep = [i for i, t in enumerate(lam) if t]
    coef = [lam[i] * int(data.y[i]) for i in keep]
    rows = [xt[i] for i in keep]
    D = len(xt[0])
    if data.d == 1:  # without biases the sphere of R^1 is {-1, +1}
        vals = [(_value((Fraction(t),), list(zip(coef, rows))), t) for t in (1, -1)]
        g, t = max(vals, key=lambda p: abs(p[0]))
        return DualBound(g * g, g * g, (Fraction(t),), -1 if g < 0 else 1, True, "sign", 0, 1,
                         False)
    if not keep:
        zero = (Fraction(0),) * (D - 1) + (Fraction(1),)
        return DualBound(Fraction(0), Fraction(0), zero, 1, True, "cells", 0, data.d, bias)
    fl = np.array([[fraction_to_float(q) for q in r] for r in rows])
    norms = np.linalg.norm(fl, axis=1)
    s = _Search(
        coef=coef,
        rows=rows,
        cf=np.array([fraction_to_float(c) for c in coef]),
        xf=fl,
        xn=np.where(norms > 0, norms, 1.0),
        unit=fl / np.where(norms > 0, norms, 1.0)[:, None],
        norm_up=[_sqrt_up(_dot(r, r)) for r in rows],
    )
    _seed_directions(s)
    # points whose xt_i vanishes (x_i = 0 without biases) never contribute: G ignores them
    live = [a for a, r in enumerate(rows) if any(r)]
    top = norms * (1 + 4 * (D + 2) * np.finfo(float).eps)  # |u . xt_i| <= ||xt_i|| on the ball
    heap: list[tuple[float, int, Fraction, int, _Node]] = []
    counter = 0
    unresolved = Fraction(0)  # bounds (squared) of leaves whose maximum was not pinned exactly
    nodes = 0
    for sign in (1, -1):
        bound, _, root = _bound(s, sign, _Node([], [], live, -top, top))
        heapq.heappush(heap, (-float(bound), counter, bound, sign, root))
        counter += 1
    while heap:
        _, _, bound, sign, node = heapq.heappop(heap)
        if bound <= s.best_sq:
            continue
        if nodes >= max_nodes:
            heapq.heappush(heap, (-float(bound), counter, bound, sign, node))
            break
        nodes += 1
        i, rest = node.undecided[0], node.undecided[1:]
        for child in (_Node(node.active + [i], node.inactive, rest, node.lo, node.hi),
                      _Node(node.active, node.inactive + [i], rest, node.lo, node.hi)):
            cb, exact, child = _bound(s, sign, child)
            if not rest:
                if not exact and cb > s.best_sq:
                    unresolved = max(unresolved, cb)
                continue
            if cb > s.best_sq:
                heapq.heappush(heap, (-float(cb), counter, cb, sign, child))
                counter += 1
    open_bound = max((item[2] for item in heap), default=Fraction(0))
    upper = max(s.best_sq, unresolved, open_bound)
    return DualBound(
        upper_sq=upper,
        lower_sq=s.best_sq,
        direction=s.best_dir,
        sign=s.best_sign,
        exact=upper == s.best_sq,
        method="cells",
        nodes=nodes,
        d=data.d,
        bias=bias,
    )
