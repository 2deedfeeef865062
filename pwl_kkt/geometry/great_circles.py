"""The arrangement of the great circles ``xt_i^perp`` on the sphere S^2, exactly.

For points ``x_i`` in the plane and ``xt_i = (x_i, 1)`` in R^3, the planes ``xt_i^perp`` cut
the unit sphere into cells on which the activation pattern ``{i : u . xt_i > 0}`` of a
direction ``u = (w, b)`` is constant: the cells *are* the activation patterns of the points
(n^2 - n + 2 of them for n points in general position, the empty pattern included). Every
quantity that is piecewise linear on the sphere -- the dual function
``G(u) = sum_i c_i relu(u . xt_i)``, the cones ``K_D`` of the convex program over patterns --
is read off this one structure.

The walk. Two distinct points give two distinct great circles (the third coordinate of
``xt_i`` is 1, so ``xt_i`` and ``xt_j`` are never parallel), meeting at the antipodal vertices
``+-(xt_i x xt_j)``. Along circle ``i`` the vertices are sorted by angle; collinear points
``i, j, k`` give the same vertex (``xt_i x xt_j`` parallel to ``xt_i x xt_k``), found by
reducing every vertex to its primitive integer vector. Crossing a vertex ``v`` in the walking
direction ``t`` (the tangent at ``v``), the circles through ``v`` switch: point ``j`` is active
just after ``v`` iff ``t . xt_j > 0``. Each arc between consecutive vertices bounds two cells,
``S + {i}`` (where ``u . xt_i > 0``) and ``S`` (its active set ``S`` on the arc, ``i``
excluded), and every edge of every cell is such an arc, so the walk lists every cell together
with all its facets ``(i, +-1)``; a cell is the intersection of its facet half-spaces (it is a
convex polyhedral cone). Everything is decided in integers: each ``xt_i`` is replaced by the
integer vector ``p_i = s_i xt_i`` (``s_i > 0`` the common denominator of ``x_i``), which
leaves every sign unchanged. ``O(n^2 log n)`` for ``n`` distinct points.

Angles along circle ``i`` are compared in the chart ``u -> (u_1, u_2)``: it is injective on
the plane ``xt_i^perp`` (which does not contain ``e_3``, since ``xt_i . e_3 = 1``), and a
linear map preserves the cyclic order of directions up to one global orientation, so the
sorted order is the order along the circle.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cmp_to_key

from ..errors import InvalidDataError

__all__ = ["MAX_POINTS", "CircleArrangement", "circle_arrangement"]

Vec = tuple[int, int, int]


def _cross(a: Vec, b: Vec) -> Vec:
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def _dot(a: Vec, b: Vec) -> int:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _primitive(v: Vec) -> Vec:
    g = math.gcd(math.gcd(abs(v[0]), abs(v[1])), abs(v[2]))
    return (v[0] // g, v[1] // g, v[2] // g)


def _half(v: Vec) -> int:
    return 0 if v[1] > 0 or (v[1] == 0 and v[0] > 0) else 1


def _angle_cmp(a: Vec, b: Vec) -> int:
    """Counter-clockwise order of the chart images ``(a_0, a_1)``, ``(b_0, b_1)`` from angle 0."""
    ha, hb = _half(a), _half(b)
    if ha != hb:
        return ha - hb
    c = a[0] * b[1] - a[1] * b[0]
    return -1 if c > 0 else (1 if c < 0 else 0)


def _tangent(p: Vec, v: Vec) -> Vec:
    """The walking direction at ``v`` on the circle ``p^perp``: in ``p^perp``, chart image
    ``p_2 (-v_1, v_0)`` (a positive multiple of the chart image of ``v`` turned by 90 degrees)."""
    return (-v[1] * p[2], v[0] * p[2], p[0] * v[1] - p[1] * v[0])


def _cross2(a: Vec, b: Vec) -> int:
    return a[0] * b[1] - a[1] * b[0]


@dataclass(frozen=True)
class CircleArrangement:
    """The cells, arcs and vertices of the arrangement of the great circles ``p_k^perp``.

    Points are the *distinct* input points; ``index[i]`` is the distinct point of input ``i``.

    Attributes
    ----------
    points : tuple of (int, int, int)
        ``p_k = s_k (x_k, 1)`` with ``s_k > 0`` the least common denominator: integer vectors
        with the same half-spaces as ``xt_k``.
    scales : tuple of Fraction
        ``s_k``.
    index : tuple of int
        Input point ``i`` is distinct point ``index[i]``.
    vertices : tuple of tuple of Vec
        Per circle ``k``, its vertices (primitive integer vectors) in walking order.
    events : tuple of tuple of tuple of (int, bool)
        Per circle and vertex, the distinct points whose circle passes through the vertex, with
        their activity just after it.
    arc_masks : tuple of tuple of int
        Per circle ``k`` and arc ``a`` (from vertex ``a`` to vertex ``a + 1``, cyclically), the
        active set on the arc as a bit mask over distinct points (bit ``k`` never set). A circle
        without vertices (a single distinct point) has one arc, the whole circle.
    cells : dict
        Bit mask of a cell's active set -> tuple of its facets ``(k, s)``: the cell is
        ``{u : s u . p_k >= 0 for every facet}`` (closed), ``s = +1`` when ``k`` is active.

    Examples
    --------
    >>> arr = circle_arrangement([[0, 0], [1, 0], [0, 1]])
    >>> arr.n_cells  # n^2 - n + 2 for three points in general position
    8
    >>> sorted(arr.cells[0b011])
    [(0, 1), (1, 1), (2, -1)]
    """

    points: tuple[Vec, ...]
    scales: tuple[Fraction, ...]
    index: tuple[int, ...]
    vertices: tuple[tuple[Vec, ...], ...]
    events: tuple[tuple[tuple[tuple[int, bool], ...], ...], ...]
    arc_masks: tuple[tuple[int, ...], ...]
    cells: dict

    @property
    def n_points(self) -> int:
        """Number of distinct points."""
        return len(self.points)

    @property
    def n_cells(self) -> int:
        """Number of cells, i.e. of activation patterns (the empty one included)."""
        return len(self.cells)

    def patterns(self) -> list[frozenset[int]]:
        """The activation patterns as sets of distinct-point indices, in a fixed order.

        Examples
        --------
        >>> sorted(map(sorted, circle_arrangement([[0, 0], [2, 0]]).patterns()))
        [[], [0], [0, 1], [1]]
        """
        return [frozenset(_bits(m)) for m in sorted(self.cells)]


def _bits(mask: int) -> list[int]:
    out = []
    k = 0
    while mask:
        if mask & 1:
            out.append(k)
        mask >>= 1
        k += 1
    return out


def _integer_points(
    rows: Sequence[Sequence[Fraction]],
) -> tuple[list[Vec], list[Fraction], list[int]]:
    """Distinct points as integer vectors ``s (x, 1)``, their scales, input -> distinct."""
    seen: dict[tuple[Fraction, ...], int] = {}
    points: list[Vec] = []
    scales: list[Fraction] = []
    index: list[int] = []
    for row in rows:
        key = tuple(row)
        k = seen.get(key)
        if k is None:
            k = seen[key] = len(points)
            s = math.lcm(*(q.denominator for q in key))
            points.append((int(key[0] * s), int(key[1] * s), s))
            scales.append(Fraction(s))
        index.append(k)
    return points, scales, index


MAX_POINTS = 1000  # ~10^6 cells, a few GB of Python objects: beyond, refuse rather than swap


def circle_arrangement(x: object, *, max_points: int = MAX_POINTS) -> CircleArrangement:
    """The exact arrangement of the great circles ``(x_i, 1)^perp`` for points in the plane.

    Parameters
    ----------
    x : DatasetNd or sequence of pairs
        Points in R^2, read exactly (floats are their dyadic values).
    max_points : int
        Refuse more distinct points than this: ``m`` points give about ``m^2`` cells, each
        held as Python objects (about 2.5 kB per cell, measured at ``m = 400``).

    Returns
    -------
    CircleArrangement

    Raises
    ------
    InvalidDataError
        Points that are not in the plane (the message names the dimension given), or more
        than ``max_points`` distinct points.

    Examples
    --------
    Three collinear points: the circles share one pair of vertices and cut the sphere into six
    lunes (``2n`` patterns instead of ``n^2 - n + 2``):

    >>> circle_arrangement([[0, 0], [1, 1], [2, 2]]).n_cells
    6
    """
    points, scales, index = _integer_points(_plane_rows(x, "circle_arrangement"))
    if len(points) > max_points:
        m = len(points)
        raise InvalidDataError(
            f"{m} distinct points give about {m * m - m + 2:,} cells, more than the "
            f"max_points = {max_points} the exact arrangement accepts (memory grows like m^2)"
        )
    vertices, events, masks = [], [], []
    cells: dict[int, list[tuple[int, int]]] = {}
    for k, p in enumerate(points):
        groups: dict[Vec, list[int]] = {}
        for j, q in enumerate(points):
            if j != k:
                v = _primitive(_cross(p, q))
                groups.setdefault(v, []).append(j)
                groups.setdefault((-v[0], -v[1], -v[2]), []).append(j)
        verts = sorted(groups, key=cmp_to_key(_angle_cmp))
        ev = []
        for v in verts:
            t = _tangent(p, v)
            ev.append(tuple((j, _dot(t, points[j]) > 0) for j in groups[v]))
        arc_masks = []
        if verts:
            v0 = verts[0]
            after = dict(ev[0])
            mask = 0
            for j, q in enumerate(points):
                if j != k:
                    d = _dot(v0, q)
                    if d > 0 or (d == 0 and after[j]):
                        mask |= 1 << j
            arc_masks.append(mask)
            for e in ev[1:]:
                for j, act in e:
                    mask = mask | (1 << j) if act else mask & ~(1 << j)
                arc_masks.append(mask)
        else:
            arc_masks.append(0)  # a single point: the whole circle is one arc
        bit = 1 << k
        for mask in arc_masks:
            cells.setdefault(mask | bit, []).append((k, 1))
            cells.setdefault(mask, []).append((k, -1))
        vertices.append(tuple(verts))
        events.append(tuple(ev))
        masks.append(tuple(arc_masks))
    return CircleArrangement(
        points=tuple(points),
        scales=tuple(scales),
        index=tuple(index),
        vertices=tuple(vertices),
        events=tuple(events),
        arc_masks=tuple(masks),
        cells={c: tuple(f) for c, f in cells.items()},
    )


def _plane_rows(x: object, caller: str) -> tuple[tuple[Fraction, ...], ...]:
    """Exact rows of points in the plane, or an error naming the dimension needed."""
    from .._rational import fractions_of
    from ..model.data import Dataset
    from ..model.data_nd import DatasetNd

    if isinstance(x, Dataset):
        raise InvalidDataError(f"{caller} needs points in the plane (d = 2); got d = 1")
    if isinstance(x, DatasetNd):
        rows = x.x_exact
    else:
        try:
            rows = tuple(fractions_of(r, f"x[{i}]") for i, r in enumerate(x))  # type: ignore[arg-type]
        except TypeError:
            raise InvalidDataError(
                f"{caller} needs points in the plane (rows of 2 numbers)"
            ) from None
    if not rows:
        raise InvalidDataError(f"{caller} needs at least one point")
    for i, r in enumerate(rows):
        if len(r) != 2:
            raise InvalidDataError(
                f"{caller} needs points in the plane (d = 2); got d = {len(r)} (x[{i}])"
            )
    return rows
