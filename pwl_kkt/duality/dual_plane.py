"""The dual function on the sphere S^2 for data in the plane, and its exact maximum.

For multipliers ``lambda >= 0``, points ``x_i`` in R^2 and ``xt_i = (x_i, 1)``,

    G(u) = sum_i lambda_i y_i relu(u . xt_i),    u = (w, b) in R^3, ||u|| = 1,

and by weak duality (:mod:`pwl_kkt.duality.globalopt`) ``max |G| <= 1`` implies
``sum_i lambda_i <= 1/2 ||theta||^2`` for every network of every width with margins ``>= 1``.

How the maximum is found exactly
--------------------------------
The great circles ``xt_i^perp`` cut the sphere into cells (:mod:`pwl_kkt.geometry.great_circles`);
on a cell with active set ``A``, ``G(u) = u . g_A`` with ``g_A = sum_{i in A} lambda_i y_i xt_i``.
A maximiser ``u*`` of ``|G|`` lies

* inside a cell: then it is a critical point of ``u . g_A`` on the sphere, ``u* = +-g_A /
  ||g_A||``, which must lie in the closed cell (tested on the cell's facets, ``O(1)`` each);
* inside an arc of circle ``k``: there ``G(u) = u . h`` for the arc's active set (``k`` itself
  contributes 0 on its own circle), and the maximum of ``|u . h|`` over the arc is at
  ``+-h_p / ||h_p||`` (``h_p`` the projection of ``h`` on the plane ``xt_k^perp``) when it lies in
  the closed arc, else at an end;
* at a vertex ``+-(xt_k x xt_j)``.

Every candidate is a rational direction ``d`` with a rational value ``G(d)^2 / ||d||^2``,
compared exactly (integers throughout: ``xt_i`` scaled to integer vectors, the multipliers to
integers by a common denominator). Cells are visited in decreasing order of ``||g_A||^2`` (an
upper bound on their maximum) and the visit stops as soon as it cannot beat the best value, so
the cost is that of the arrangement walk, ``O(n^2 log n)``. The maximum is ``sqrt(M)`` with
``M`` an exact :class:`~fractions.Fraction`, reported also as a float interval
``[lo, hi]`` with ``lo^2 <= M <= hi^2`` checked in rationals.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import sympy

from .._rational import fraction_text, fractions_of
from ..errors import InvalidDataError, InvalidValueError
from ..geometry.great_circles import (
    CircleArrangement,
    Vec,
    _bits,
    _cross2,
    _dot,
    _primitive,
    circle_arrangement,
)
from ..model.data import Dataset
from ..model.data_nd import DatasetNd
from .dual import _check_lambdas

__all__ = ["DualMaximum2d", "dual_value_2d", "max_abs_dual_2d", "plane_dataset", "sqrt_interval"]


def plane_dataset(x: object, y: object, caller: str) -> DatasetNd:
    """``x, y`` as a :class:`DatasetNd` in the plane, or an error naming the dimension needed.

    Examples
    --------
    >>> plane_dataset([[0, 1]], [1], "f").d
    2
    >>> plane_dataset([[0, 1, 2]], [1], "f")
    Traceback (most recent call last):
    ...
    pwl_kkt.errors.InvalidDataError: f needs data in the plane (d = 2); got d = 3
    """
    if isinstance(x, Dataset):
        raise InvalidDataError(f"{caller} needs data in the plane (d = 2); got d = 1")
    data = x if isinstance(x, DatasetNd) else DatasetNd(x, y)
    if data.d != 2:
        raise InvalidDataError(f"{caller} needs data in the plane (d = 2); got d = {data.d}")
    return data


def sqrt_interval(q: Fraction) -> tuple[float, float]:
    """Floats ``lo <= sqrt(q) <= hi``, adjacent or equal, checked by ``lo^2 <= q <= hi^2`` in QQ.

    Examples
    --------
    >>> sqrt_interval(Fraction(4))
    (2.0, 2.0)
    >>> lo, hi = sqrt_interval(Fraction(2)); lo < hi == math.nextafter(lo, 3)
    True
    """
    if q < 0:
        raise InvalidValueError(f"sqrt_interval needs q >= 0; got {q}")
    f = math.sqrt(float(q))
    lo = hi = f
    while Fraction(lo) ** 2 > q:
        lo = math.nextafter(lo, 0.0)
    while Fraction(hi) ** 2 < q:
        hi = math.nextafter(hi, math.inf)
    if Fraction(lo) ** 2 == q:
        hi = lo
    elif Fraction(hi) ** 2 == q:
        lo = hi
    while Fraction(math.nextafter(lo, math.inf)) ** 2 <= q and lo != hi:
        lo = math.nextafter(lo, math.inf)
    while Fraction(math.nextafter(hi, 0.0)) ** 2 >= q and lo != hi:
        hi = math.nextafter(hi, 0.0)
    return lo, hi


@dataclass(frozen=True)
class DualMaximum2d:
    """The exact maximum of ``|G_lambda|`` on the sphere S^2 and a direction attaining it.

    Attributes
    ----------
    max_sq : Fraction
        ``M = max |G|^2`` exactly.
    interval : tuple of float
        ``(lo, hi)`` with ``lo <= sqrt(M) <= hi`` (checked in rationals; one float apart).
    direction : tuple of Fraction
        A maximising ``u = (w_1, w_2, b)`` before normalisation.
    sign : int
        Sign of ``G`` at ``direction`` (``+1`` when ``G`` vanishes there).

    Examples
    --------
    >>> m = max_abs_dual_2d([1], [[0, 0]], [1])
    >>> m.max_abs, m.direction, m.sign
    (1, (Fraction(0, 1), Fraction(0, 1), Fraction(1, 1)), 1)
    """

    max_sq: Fraction
    interval: tuple[float, float]
    direction: tuple[Fraction, Fraction, Fraction]
    sign: int

    @property
    def max_abs(self) -> sympy.Expr:
        """``sqrt(M)`` as an exact SymPy number (square factors taken out)."""
        return sympy.sqrt(sympy.Rational(self.max_sq.numerator, self.max_sq.denominator))

    @property
    def max_abs_float(self) -> float:
        """The float nearest-or-next to ``sqrt(M)`` (the upper end of ``interval``)."""
        return self.interval[1]

    @property
    def text(self) -> str:
        """``"sqrt(p/q)"``: the exact value as text."""
        return f"sqrt({fraction_text(self.max_sq)})"

    def to_dict(self) -> dict:
        """JSON-ready dictionary (exact values as ``"p/q"`` text).

        Examples
        --------
        >>> max_abs_dual_2d([1], [[0, 0]], [1]).to_dict()["max_sq"]
        '1'
        """
        return {
            "max_sq": fraction_text(self.max_sq),
            "max_abs": str(self.max_abs),
            "interval": list(self.interval),
            "direction": [fraction_text(t) for t in self.direction],
            "sign": self.sign,
        }

    @classmethod
    def from_dict(cls, d: dict) -> DualMaximum2d:
        """Inverse of :meth:`to_dict`.

        Examples
        --------
        >>> m = max_abs_dual_2d([1], [[0, 0]], [1])
        >>> DualMaximum2d.from_dict(m.to_dict()) == m
        True
        """
        return cls(
            max_sq=Fraction(d["max_sq"]),
            interval=(float(d["interval"][0]), float(d["interval"][1])),
            direction=tuple(Fraction(t) for t in d["direction"]),  # type: ignore[arg-type]
            sign=int(d["sign"]),
        )


def _exact_lambdas(lambdas: object, n: int) -> tuple[Fraction, ...]:
    if isinstance(lambdas, np.ndarray) and lambdas.dtype.kind == "f":
        lam = fractions_of(lambdas.ravel(), "lambdas")
    else:
        lam = fractions_of(lambdas, "lambdas")
    return _check_lambdas(lam, n)


def _integer_coefficients(
    arr: CircleArrangement, lam: tuple[Fraction, ...], y: np.ndarray
) -> tuple[list[int], int]:
    """``K_k`` and ``D > 0`` with ``G(u) = (1/D) sum_k K_k relu(u . p_k)`` on distinct points."""
    coef = [Fraction(0)] * arr.n_points
    for i, (li, yi) in enumerate(zip(lam, y.tolist())):
        if li:
            k = arr.index[i]
            coef[k] += li * int(yi) / arr.scales[k]
    den = math.lcm(*(c.denominator for c in coef))
    return [int(c * den) for c in coef], den


def _in_arc(a: Vec, b: Vec, d: Vec) -> bool:
    """``d`` (in the circle's plane) lies on the closed arc from ``a`` to ``b`` (at most pi)."""
    if _cross2(a, d) < 0:
        return False
    return _cross2(a, b) == 0 or _cross2(d, b) >= 0


def _add(h: list[int], c: int, p: Vec) -> None:
    h[0] += c * p[0]
    h[1] += c * p[1]
    h[2] += c * p[2]


def _arcs(arr: CircleArrangement, K: list[int]) -> Iterator[tuple[int, int, Vec]]:
    """``(circle k, arc a, h)`` for every arc, ``h = sum_{j active on the arc} K_j p_j``.

    ``h`` starts from the first arc's active set and follows the events at each vertex, so a
    circle costs ``O(n)`` plus one update per crossing.
    """
    pts = arr.points
    for k in range(arr.n_points):
        masks = arr.arc_masks[k]
        h = [0, 0, 0]
        m, j = masks[0], 0
        while m:
            if m & 1 and K[j]:
                _add(h, K[j], pts[j])
            m >>= 1
            j += 1
        for a in range(len(masks)):
            if a:
                for j, act in arr.events[k][a]:
                    if K[j]:
                        _add(h, K[j] if act else -K[j], pts[j])
            yield k, a, (h[0], h[1], h[2])


def _candidates(
    arr: CircleArrangement, K: list[int], floor: list[int]
) -> Iterator[tuple[int, Vec, tuple[int, ...]]]:
    """Yield ``(G'(d), d, cells)`` for every candidate maximiser ``d`` of ``|G'|``.

    ``cells`` are bit masks of cells whose closure holds ``d`` (the two sides of the arc for
    vertex and arc candidates, the cell itself for a cell candidate); see the module docstring.

    Vertices and arc maxima come first; then the cells in decreasing ``||g||^2``, stopping at the
    first cell with ``||g||^2 < floor[0] / floor[1]``: ``floor`` is a lower bound on the maximum
    that the consumer may raise while it iterates (``[0, 1]`` visits every cell with ``g != 0``).
    A cell with ``||g||^2`` equal to the floor is still visited, so ties are all listed.
    """
    pts = arr.points
    cell_g: dict[int, Vec] = {}
    for k, a, h in _arcs(arr, K):
        p, verts, mask = pts[k], arr.vertices[k], arr.arc_masks[k][a]
        cell_g.setdefault(mask, h)
        c = K[k]
        cell_g.setdefault(mask | (1 << k), (h[0] + c * p[0], h[1] + c * p[1], h[2] + c * p[2]))
        if not verts:
            continue  # a single point: G vanishes on its own circle
        sides = (mask, mask | (1 << k))
        va, vb = verts[a], verts[(a + 1) % len(verts)]
        yield _dot(va, h), va, sides
        pp, hp = _dot(p, p), _dot(h, p)
        d = (h[0] * pp - hp * p[0], h[1] * pp - hp * p[1], h[2] * pp - hp * p[2])
        if d != (0, 0, 0):
            for ds in (d, (-d[0], -d[1], -d[2])):
                if _in_arc(va, vb, ds):
                    yield _dot(ds, h), ds, sides
    for mask, g in sorted(cell_g.items(), key=lambda t: -_dot(t[1], t[1])):
        g2 = _dot(g, g)
        if g2 == 0 or g2 * floor[1] < floor[0]:
            break
        facets = arr.cells[mask]
        for s in (1, -1):
            if all(s * t * _dot(g, pts[f]) >= 0 for f, t in facets):
                yield s * g2, (s * g[0], s * g[1], s * g[2]), (mask,)


def _scan_max(arr: CircleArrangement, K: list[int]) -> tuple[int, int, Vec, int]:
    """``(num, den, d, sign)``: ``max |G'|^2 = num / den``, attained at ``d`` with sign ``sign``."""
    floor = [0, 1]
    best: tuple[int, int, Vec, int] = (0, 1, (0, 0, -1), 1)  # every point inactive: G = 0
    for val, d, _ in _candidates(arr, K, floor):
        num, den = val * val, _dot(d, d)
        if num * best[1] > best[0] * den:
            best = (num, den, d, 1 if val >= 0 else -1)
            floor[0], floor[1] = num, den
    return best


def _maximizers(arr: CircleArrangement, K: list[int], num: int, den: int) -> list[tuple[Vec, int]]:
    """Every candidate direction (primitive, with the sign of ``G'``) where ``|G'|^2 = num/den``."""
    out: dict[Vec, int] = {}
    for val, d, _ in _candidates(arr, K, [num, den]):
        if val and val * val * den == num * _dot(d, d):
            out.setdefault(_primitive(d), 1 if val > 0 else -1)
    return list(out.items())


def _prepared(lambdas: object, x: object, y: object, arrangement: CircleArrangement | None,
              caller: str) -> tuple[DatasetNd, CircleArrangement, list[int], int]:
    data = plane_dataset(x, y, caller)
    lam = _exact_lambdas(lambdas, data.n)
    arr = arrangement if arrangement is not None else circle_arrangement(data)
    if len(arr.index) != data.n:
        raise InvalidValueError(
            f"the arrangement has {len(arr.index)} points but the data has {data.n}"
        )
    K, den = _integer_coefficients(arr, lam, data.y)
    return data, arr, K, den


def max_abs_dual_2d(
    lambdas: object,
    x: object,
    y: object = None,
    *,
    arrangement: CircleArrangement | None = None,
) -> DualMaximum2d:
    """Exact ``max_{||u|| = 1} |G_lambda(u)|`` on the sphere S^2, for data in the plane.

    ``G(u) = sum_i lambda_i y_i relu(u . (x_i, 1))``; see :mod:`pwl_kkt.duality.dual_plane` for
    the method (cells, arcs and vertices of the great-circle arrangement, all in integers).

    Parameters
    ----------
    lambdas : sequence
        Multipliers ``lambda_i >= 0``, read exactly (floats are their dyadic values).
    x, y : data
        A :class:`~pwl_kkt.DatasetNd` with ``d = 2`` or the two sequences.
    arrangement : CircleArrangement, optional
        :func:`~pwl_kkt.geometry.great_circles.circle_arrangement` of the same points, to reuse.

    Returns
    -------
    DualMaximum2d

    Raises
    ------
    InvalidDataError
        Data that is not in the plane (the message says ``d = 2`` is needed).
    InvalidValueError
        A negative or non-numeric multiplier, or the wrong number of them.

    Examples
    --------
    Two points of opposite labels and ``lambda = (1, 1)``: a unit neuron active on one point
    only reaches ``sqrt(2)``, e.g. ``u = (-1, 0, 1) / sqrt(2)`` active on ``(-1, 0)`` (label -1):

    >>> m = max_abs_dual_2d([1, 1], [[1, 0], [-1, 0]], [1, -1])
    >>> m.max_abs, m.direction, m.sign
    (sqrt(2), (Fraction(-1, 1), Fraction(0, 1), Fraction(1, 1)), -1)
    """
    _, arr, K, den = _prepared(lambdas, x, y, arrangement, "max_abs_dual_2d")
    num, dd, d, sign = _scan_max(arr, K)
    M = Fraction(num, dd * den * den)
    d = _primitive(d)
    return DualMaximum2d(
        max_sq=M,
        interval=sqrt_interval(M),
        direction=(Fraction(d[0]), Fraction(d[1]), Fraction(d[2])),
        sign=sign,
    )


def dual_value_2d(lambdas: object, x: object, y: object, u: object) -> Fraction:
    """``G(u)`` exactly for a rational direction ``u = (w_1, w_2, b)`` (not necessarily unit).

    Examples
    --------
    >>> dual_value_2d([1, 1], [[1, 0], [-1, 0]], [1, -1], [1, 0, 1])
    Fraction(2, 1)
    """
    data = plane_dataset(x, y, "dual_value_2d")
    lam = _exact_lambdas(lambdas, data.n)
    q = fractions_of(u, "u")
    if len(q) != 3:
        raise InvalidValueError(f"u must have 3 coordinates (w_1, w_2, b); got {len(q)}")
    w1, w2, b = q
    total = Fraction(0)
    for li, (a, c), yi in zip(lam, data.x_exact, data.y.tolist()):
        z = w1 * a + w2 * c + b
        if li and z > 0:
            total += li * int(yi) * z
    return total


class _FloatScan:
    """The candidate scan of :func:`_candidates` in float64, vectorised, for *pricing* only.

    Column generation only has to find directions and cells where ``|G|`` is large; which ones
    it picks does not affect any proof (the bounds are re-derived exactly afterwards), so a
    float scan is enough there and is far faster than the exact one. Built once per
    arrangement: per arc its circle, unit end points and the sparse changes of the active set
    along the circle (so the arc gradients of any coefficients are one sparse product and a
    segmented cumulative sum); per cell one arc and side giving its gradient, and its facets.
    """

    def __init__(self, arr: CircleArrangement) -> None:
        import scipy.sparse as sp

        self.arr = arr
        P = np.array([[float(Fraction(c, p[2])) for c in p] for p in arr.points])
        self.P = P
        rows, cols, vals = [], [], []
        circle, va, vb, first, cell_of = [], [], [], [], {}
        r = 0
        for k in range(arr.n_points):
            verts, masks = arr.vertices[k], arr.arc_masks[k]
            first.append(r)
            for j in _bits(masks[0]):
                rows.append(r)
                cols.append(j)
                vals.append(1.0)
            for a, mask in enumerate(masks):
                if a:
                    for j, act in arr.events[k][a]:
                        rows.append(r + a)
                        cols.append(j)
                        vals.append(1.0 if act else -1.0)
                cell_of.setdefault(mask, (r + a, 0))
                cell_of.setdefault(mask | (1 << k), (r + a, 1))
            if verts:
                va += verts
                vb += verts[1:] + verts[:1]
            else:
                va.append((0, 0, 0))
                vb.append((0, 0, 0))
            circle += [k] * len(masks)
            r += len(masks)
        self.D = sp.csr_matrix((vals, (rows, cols)), shape=(r, arr.n_points))
        self.circle = np.array(circle)
        self.first = np.array(first)
        self.va, self.vb = _unit_rows(va), _unit_rows(vb)
        self.cells = [c for c in arr.cells if c]
        self.cell_arc = np.array([cell_of[c] for c in self.cells])
        width = max(len(arr.cells[c]) for c in self.cells)
        self.fidx = np.zeros((len(self.cells), width), dtype=np.int64)
        self.fsgn = np.zeros((len(self.cells), width))
        for i, c in enumerate(self.cells):
            for t, (f, sg) in enumerate(arr.cells[c]):
                self.fidx[i, t], self.fsgn[i, t] = f, sg
        unit = P / np.linalg.norm(P, axis=1)[:, None]
        self.p = unit[self.circle]
        # walking orientation: n = va x t(va) with t = p x va, so (va x d) . n >= 0 iff d is
        # reached from va within half a turn
        self.normal = np.cross(self.va, np.cross(self.p, self.va))
        self.pi_arc = np.einsum("ij,ij->i", *(2 * [np.cross(self.va, self.vb)])) <= 1e-24
        self.has = np.einsum("ij,ij->i", self.va, self.va) > 0
        self.fnorm = np.linalg.norm(P[self.fidx], axis=2)

    def scan(self, signed: np.ndarray, above: float, limit: int) -> list[tuple]:
        """Up to ``limit`` candidates with ``|G| > above``, largest first, as
        ``(|G(d)|, unit d, sign of G, cells whose closure holds d)``, for
        ``G = sum_k signed_k relu(u . xt_k)`` over the distinct points."""
        CP = signed[:, None] * self.P
        cum = np.cumsum(np.asarray(self.D @ CP), axis=0)
        H = cum - np.vstack([np.zeros((1, 3)), cum])[self.first][self.circle]
        hp = H - np.einsum("ij,ij->i", H, self.p)[:, None] * self.p
        nh = np.linalg.norm(hp, axis=1)
        d_arc = hp / np.where(nh > 0, nh, 1.0)[:, None]
        scores, kinds = [], []
        for s in (1.0, -1.0):
            d = s * d_arc
            ok1 = np.einsum("ij,ij->i", np.cross(self.va, d), self.normal) >= -1e-12
            ok2 = self.pi_arc | (np.einsum("ij,ij->i", np.cross(d, self.vb), self.normal)
                                 >= -1e-12)
            scores.append(np.where(self.has & ok1 & ok2, nh, -1.0))
            kinds.append(("arc", s))
        gv = np.einsum("ij,ij->i", self.va, H)
        scores.append(np.where(self.has, np.abs(gv), -1.0))
        kinds.append(("vertex", 0.0))
        arc, side = self.cell_arc[:, 0], self.cell_arc[:, 1]
        G = H[arc] + side[:, None] * CP[self.circle[arc]]
        ng = np.linalg.norm(G, axis=1)
        proj = np.einsum("fj,ftj->ft", G, self.P[self.fidx]) * self.fsgn
        tol = 1e-12 * ng[:, None] * self.fnorm
        for s in (1.0, -1.0):
            scores.append(np.where(np.all(s * proj >= -tol, axis=1) & (ng > 0), ng, -1.0))
            kinds.append(("cell", s))
        flat = np.concatenate(scores)
        hits = np.flatnonzero(flat > above)
        hits = hits[np.argsort(-flat[hits], kind="stable")][:limit]
        sizes = np.cumsum([0] + [t.size for t in scores])
        out = []
        for h in hits.tolist():
            b = int(np.searchsorted(sizes, h, side="right")) - 1
            i, (kind, s) = h - int(sizes[b]), kinds[b]
            if kind == "arc":
                out.append((float(flat[h]), s * d_arc[i], int(s), self._sides(i)))
            elif kind == "vertex":
                out.append((float(flat[h]), self.va[i], 1 if gv[i] >= 0 else -1,
                            self._sides(i)))
            else:
                out.append((float(flat[h]), s * G[i] / ng[i], int(s), (self.cells[i],)))
        return out

    def _sides(self, i: int) -> tuple[int, int]:
        k = int(self.circle[i])
        mask = self.arr.arc_masks[k][i - int(self.first[k])]
        return mask, mask | (1 << k)


def _unit_rows(rows: list) -> np.ndarray:
    """Integer vectors of any size as unit float rows (scaled by a power of two first)."""
    out = np.zeros((len(rows), 3))
    for i, v in enumerate(rows):
        top = max(abs(t) for t in v)
        if top:
            e = top.bit_length() - 60
            out[i] = [float(t >> e) if e > 0 else float(t) for t in v]
    norms = np.linalg.norm(out, axis=1)
    return out / np.where(norms > 0, norms, 1.0)[:, None]
