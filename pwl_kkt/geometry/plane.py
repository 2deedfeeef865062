"""Effective linear regions of a two-layer ReLU network on the plane, exactly.

Neuron j of ``N(x) = sum_j v_j relu(w_j . x + b_j)``, ``x in R^2``, bends N along the line
``L_j: w_j . x + b_j = 0`` (no line when ``w_j = 0``). Every line is held as coprime integers
``(a, b, c)`` with ``a > 0``, or ``a = 0 < b``; neuron j lies on it with
``w_j = s_j (a, b)``, ``b_j = s_j c``, ``s_j != 0`` of either sign. Crossing the line from
``a x + b y + c < 0`` to ``> 0``, the gradient of N grows by ``v_j |s_j| (a, b)`` and its
offset by ``v_j |s_j| c`` (the neuron switches on if ``s_j > 0``, off if ``s_j < 0``). So the
neurons on one line add their jumps into one number::

    jump(L) = sum_{j on L} v_j |s_j|,

and a line whose jump is exactly zero is no line of N at all (N is affine across it).

The *effective regions* (maximal connected open sets on which N is affine) are the faces of
the arrangement of the m remaining lines. Euler's formula (Zaslavsky's theorem for lines)
counts them without building them:

    faces = 1 + m + sum over intersection points P of (mu_P - 1),

``mu_P`` the number of lines through P; parallel lines do not meet. Inside an open convex
box the same formula holds for the lines that cross it and the points strictly inside it
(every face of the arrangement meets the convex box in a convex, so connected, set).

**Exact and fast.** Parallelism is decided on the integers (a, b). Concurrency is decided
with a hash: the crossing of two lines is keyed by its coordinates modulo the prime
p = 2^31 - 1, ``(X / Z mod p, Y / Z mod p)`` with ``(X, Y, Z)`` the cross product of the
two integer triples, computed for all pairs in int64 numpy arithmetic (the inverses of Z
by a product tree: one exponentiation per block). Equal points have equal keys, so a key
held by one pair only is a simple crossing, proven. A key held by several pairs is decided
in exact integer arithmetic: if its mu lines pass through one rational point and it holds
exactly mu (mu - 1) / 2 pairs, that point has multiplicity mu; otherwise (three lines
concurrent modulo p, say, about C(m, 3) / p times) its pairs are grouped by their exact
points. A point whose canonical Z is a multiple of p has no key and is grouped exactly.
Box membership is decided in float64 with a rigorous error bound, and exactly where the
bound cannot decide. Pairs are visited in blocks, and the keys are counted in buckets of
at most 2^24, so memory stays bounded however many lines there are.

Polygons (:class:`PlaneRegions`) come from the exact arrangement inside a box (a doubly
connected edge list over exact rational vertices); their affine maps are propagated across
the edges with the jumps. :func:`~pwl_kkt.geometry.regions.region_graph` gives the faces cut
by every candidate line (zero jumps included) as a networkx graph, and
:func:`~pwl_kkt.geometry.regions.merged_regions` merges its equal-affine neighbours into the
effective regions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import networkx as nx
import numpy as np

from .._rational import fraction_text, fraction_to_float, int_text, to_fraction
from ..errors import InvalidValueError
from ..model.network_nd import NetworkNd

__all__ = ["PlaneLine", "PlaneRegion", "PlaneRegions", "effective_lines"]

Box = tuple[Fraction, Fraction, Fraction, Fraction]
Point = tuple[Fraction, Fraction]

# The prime of the hash keys: residues below 2^31, so a product of two fits int64.
# (Tests swap in tiny primes to make every collision path run.)
_P = 2**31 - 1
_BLOCK = 2**16  # pairs evaluated per numpy block
_BUCKET = 2**24  # most keys held at once by the count
# Float filter: each line's coefficients scaled into [-2, 2) and rounded once (error
# <= 2^-52), a 2x2 cross product of them is within 2^-48 of the scaled exact one; _ERR keeps
# a factor 4 in hand.
_ERR = 2.0**-46
_U = 2.0**-53


@dataclass(frozen=True)
class PlaneLine:
    """A line ``a x + b y + c = 0`` of the network, with the total jump of its neurons.

    ``(a, b, c)`` are coprime integers with ``a > 0``, or ``a = 0 < b``. Crossing the line
    from ``a x + b y + c < 0`` to ``> 0`` adds ``jump * (a, b)`` to the gradient of N and
    ``jump * c`` to its offset. ``neurons`` lists the neurons on the line.

    Examples
    --------
    >>> effective_lines(NetworkNd([[2, 0], [-1, 0]], [-2, 1], [1, 3]))
    (PlaneLine(a=1, b=0, c=-1, jump=Fraction(5, 1), neurons=(0, 1)),)
    """

    a: int
    b: int
    c: int
    jump: Fraction
    neurons: tuple[int, ...]

    def value(self, point: Sequence[object]) -> Fraction:
        """``a x + b y + c`` at a point, exactly."""
        x, y = (to_fraction(t, "point") for t in point)
        return self.a * x + self.b * y + self.c

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form; the jump as an exact ``"p/q"`` string."""
        return {
            "a": int_text(self.a),
            "b": int_text(self.b),
            "c": int_text(self.c),
            "jump": fraction_text(self.jump),
            "neurons": list(self.neurons),
        }


@dataclass(frozen=True)
class PlaneRegion:
    """An effective region inside the box: a convex polygon on which ``N = <g, x> + offset``.

    ``vertices`` are exact, counterclockwise from the lowest-leftmost one, without
    collinear points. ``clipped`` is true when the polygon has an edge on the box boundary:
    the region may continue outside the box (with the default box of
    :func:`~pwl_kkt.geometry.regions.linear_regions`, exactly the unbounded regions).

    Examples
    --------
    >>> from pwl_kkt import linear_regions
    >>> r = linear_regions(NetworkNd([[1, 0]], [0], [1]), box=(-1, 1, -1, 1)).regions[1]
    >>> r.gradient, r.vertices[0], r.clipped
    ((Fraction(1, 1), Fraction(0, 1)), (Fraction(0, 1), Fraction(-1, 1)), True)
    """

    vertices: tuple[Point, ...]
    gradient: tuple[Fraction, Fraction]
    offset: Fraction
    clipped: bool

    def inner_point(self) -> Point:
        """The average of the vertices: a point strictly inside the polygon."""
        return _mean(self.vertices)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form with exact ``"p/q"`` strings."""
        return {
            "vertices": [[fraction_text(x), fraction_text(y)] for x, y in self.vertices],
            "gradient": [fraction_text(g) for g in self.gradient],
            "offset": fraction_text(self.offset),
            "clipped": self.clipped,
        }


@dataclass(frozen=True)
class PlaneRegions:
    """The effective regions of a network on the plane, as polygons inside a box.

    Attributes
    ----------
    lines : tuple of PlaneLine
        The lines of N (nonzero total jump), all of them, also those missing the box.
    regions : tuple of PlaneRegion
        One polygon per effective region meeting the open box, sorted by vertices.
    box : (xlo, xhi, ylo, yhi)
        The box; without a user's box it contains every vertex of the arrangement
        strictly inside and meets every line, so ``count`` is the count on R^2.
    box_given : bool
        Whether the box was the caller's.
    adjacency : tuple of (int, int, int)
        ``(r, s, l)``: regions r and s share an edge on ``lines[l]``.

    Examples
    --------
    >>> from pwl_kkt import linear_regions
    >>> regions = linear_regions(NetworkNd([[1, 0], [0, 1]], [0, 0], [1, 1]))
    >>> regions.count, len(regions.adjacency)
    (4, 4)
    """

    lines: tuple[PlaneLine, ...]
    regions: tuple[PlaneRegion, ...]
    box: Box
    box_given: bool
    adjacency: tuple[tuple[int, int, int], ...]

    @property
    def count(self) -> int:
        """Number of effective regions meeting the open box."""
        return len(self.regions)

    @property
    def exact(self) -> bool:
        """Always ``True``: the plane has no tolerance mode."""
        return True

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form: ``count``, ``box``, ``lines`` and ``regions`` (exact strings)."""
        return {
            "count": self.count,
            "exact": True,
            "d": 2,
            "box": [fraction_text(t) for t in self.box],
            "box_given": self.box_given,
            "lines": [line.to_dict() for line in self.lines],
            "regions": [r.to_dict() for r in self.regions],
            "adjacency": [list(e) for e in self.adjacency],
        }

    def table(self, digits: int | None = None) -> str:
        """Human-readable list of the regions: vertices, gradient and offset.

        Parameters
        ----------
        digits : int, optional
            Show numbers as decimals with this many significant digits (default: exact).

        Examples
        --------
        >>> from pwl_kkt import linear_regions
        >>> print(linear_regions(NetworkNd([[1, 0]], [0], [1]), box=(-1, 1, -1, 1)).table())
        2 effective linear region(s) in the box [-1, 1] x [-1, 1] (exact)
        region  gradient  offset  vertices
             0    (0, 0)       0  (-1, -1) (0, -1) (0, 1) (-1, 1)
             1    (1, 0)       0  (0, -1) (1, -1) (1, 1) (0, 1)
        """
        if digits is not None and (isinstance(digits, bool) or not 1 <= int(digits) <= 50):
            raise InvalidValueError(f"digits: {digits!r} must be an integer from 1 to 50")

        def cell(q: Fraction) -> str:
            return fraction_text(q) if digits is None else f"{float(q):.{digits}g}"

        def pair(p: Sequence[Fraction]) -> str:
            return f"({cell(p[0])}, {cell(p[1])})"

        rows = [("region", "gradient", "offset", "vertices")]
        for i, r in enumerate(self.regions):
            rows.append(
                (str(i), pair(r.gradient), cell(r.offset), " ".join(pair(v) for v in r.vertices))
            )
        widths = [max(len(row[c]) for row in rows) for c in range(3)]
        lines = [
            "  ".join([*(cell_.rjust(w) for cell_, w in zip(row[:3], widths)), row[3]])
            for row in rows
        ]
        xlo, xhi, ylo, yhi = (cell(t) for t in self.box)
        where = f"in the box [{xlo}, {xhi}] x [{ylo}, {yhi}]" if self.box_given else "on R^2"
        view = "" if digits is None else f"; shown as decimals to {digits} significant digits"
        return f"{self.count} effective linear region(s) {where} (exact{view})\n" + "\n".join(
            lines
        )


# --- lines ---------------------------------------------------------------------------------


def _integer_line(w1: Fraction, w2: Fraction, b: Fraction) -> tuple[tuple[int, int, int], Fraction]:
    """Coprime ``(a, b, c)`` of the neuron's line and ``s`` with ``(w1, w2, b) = s (a, b, c)``."""
    den = math.lcm(w1.denominator, w2.denominator, b.denominator)
    a = w1.numerator * (den // w1.denominator)
    bb = w2.numerator * (den // w2.denominator)
    c = b.numerator * (den // b.denominator)
    g = math.gcd(a, bb, c)
    sign = -1 if a < 0 or (a == 0 and bb < 0) else 1
    return (sign * a // g, sign * bb // g, sign * c // g), Fraction(sign * g, den)


def _candidate_lines(net: NetworkNd) -> tuple[PlaneLine, ...]:
    """Every line of a neuron with ``w_j != 0``, neurons merged, zero jumps kept."""
    jumps: dict[tuple[int, int, int], list] = {}
    for j, ((w1, w2), bj, vj) in enumerate(zip(*net.fractions())):
        if w1 or w2:
            key, s = _integer_line(w1, w2, bj)
            entry = jumps.setdefault(key, [Fraction(0), []])
            entry[0] += vj * abs(s)
            entry[1].append(j)
    return tuple(PlaneLine(*key, jump, tuple(ns)) for key, (jump, ns) in sorted(jumps.items()))


def effective_lines(net: NetworkNd) -> tuple[PlaneLine, ...]:
    """The lines along which a 2-D network truly bends: neurons merged, zero jumps dropped.

    Parameters
    ----------
    net : NetworkNd
        A network with ``d = 2`` (exact, or float64 taken as its exact values).

    Returns
    -------
    tuple of PlaneLine
        Sorted by ``(a, b, c)``.

    Examples
    --------
    >>> net = NetworkNd([[1, 1], [-2, -2], [0, 1]], [0, 0, 1], [2, -1, 1])
    >>> [(line.a, line.b, line.c) for line in effective_lines(net)]  # x + y = 0 cancels
    [(0, 1, 1)]
    """
    _require_plane(net)
    return tuple(line for line in _candidate_lines(net) if line.jump)


def _require_plane(net: object) -> None:
    from ..errors import InvalidNetworkError

    if not isinstance(net, NetworkNd) or net.d != 2:
        d = getattr(net, "d", 1)
        raise InvalidNetworkError(f"regions in the plane need a network with d = 2; got d = {d}")


# --- boxes ---------------------------------------------------------------------------------


def _check_box(box: object) -> Box:
    """``(xlo, xhi, ylo, yhi)`` read exactly, with ``xlo < xhi`` and ``ylo < yhi``."""
    try:
        raw = tuple(box)  # type: ignore[arg-type]
    except TypeError:
        raw = ()
    if len(raw) != 4 or isinstance(box, (str, bytes)):
        raise InvalidValueError(f"box must be (xlo, xhi, ylo, yhi); got {box!r}")
    names = ("xlo", "xhi", "ylo", "yhi")
    xlo, xhi, ylo, yhi = (to_fraction(t, f"box {n}") for t, n in zip(raw, names))
    for lo, hi, axis in ((xlo, xhi, "x"), (ylo, yhi, "y")):
        if not lo < hi:
            raise InvalidValueError(
                f"box: {axis}lo = {fraction_text(lo)} must be below {axis}hi = {fraction_text(hi)}"
                " (the box needs an interior)"
            )
    return xlo, xhi, ylo, yhi


def _chord(line: PlaneLine, box: Box) -> tuple[Fraction, Fraction] | None:
    """The open interval of the parameter t (x, or y for a vertical line) inside the open box."""
    a, b, c = line.a, line.b, line.c
    xlo, xhi, ylo, yhi = box
    if b == 0:
        if not xlo < Fraction(-c, a) < xhi:
            return None
        return ylo, yhi
    lo, hi = xlo, xhi
    if a == 0:
        if not ylo < Fraction(-c, b) < yhi:
            return None
    else:
        x1, x2 = Fraction(-(b * ylo + c), a), Fraction(-(b * yhi + c), a)
        lo, hi = max(lo, min(x1, x2)), min(hi, max(x1, x2))
    return (lo, hi) if lo < hi else None


def _at(line: PlaneLine, t: Fraction) -> Point:
    """The point of the line with parameter t."""
    if line.b == 0:
        return Fraction(-line.c, line.a), t
    return t, -(line.a * t + line.c) / line.b


def _cross(p: PlaneLine, q: PlaneLine) -> tuple[int, int, int]:
    """Homogeneous intersection ``(X, Y, Z)``: the point ``(X / Z, Y / Z)`` when ``Z != 0``."""
    return p.b * q.c - p.c * q.b, p.c * q.a - p.a * q.c, p.a * q.b - p.b * q.a


def _canonical(x: int, y: int, z: int) -> tuple[int, int, int]:
    g = math.gcd(x, y, z) * (1 if z > 0 else -1)
    return x // g, y // g, z // g


def _inside(point: Point, box: Box) -> bool:
    return box[0] < point[0] < box[1] and box[2] < point[1] < box[3]


def _default_box(lines: Sequence[PlaneLine]) -> Box:
    """A box holding every intersection point strictly inside and meeting every line.

    Every face of the arrangement then meets the box, so the faces inside it are all the
    faces on R^2 (unbounded ones clipped).
    """
    points: list[Point] = []
    for i, p in enumerate(lines):
        n2 = p.a * p.a + p.b * p.b
        points.append((Fraction(-p.a * p.c, n2), Fraction(-p.b * p.c, n2)))  # nearest to 0
        for q in lines[i + 1 :]:
            x, y, z = _cross(p, q)
            if z:
                points.append((Fraction(x, z), Fraction(y, z)))
    if not points:
        return Fraction(-1), Fraction(1), Fraction(-1), Fraction(1)
    xs, ys = [pt[0] for pt in points], [pt[1] for pt in points]
    pad = 1 + max(max(xs) - min(xs), max(ys) - min(ys)) / 10
    return min(xs) - pad, max(xs) + pad, min(ys) - pad, max(ys) + pad


# --- the count -----------------------------------------------------------------------------


def _inverses(z: np.ndarray) -> np.ndarray:
    """Inverses modulo _P of nonzero residues: a product tree, one exponentiation in all."""
    levels = []
    cur = z
    while cur.size > 1:
        if cur.size % 2:
            cur = np.append(cur, 1)
        levels.append(cur)
        half = cur.size // 2
        cur = cur[:half] * cur[half:]
        cur %= _P
    inv = np.array([pow(int(c), _P - 2, _P) for c in cur], dtype=np.int64)
    for level in reversed(levels):
        half = level.size // 2
        inv = inv[:half]  # drop the inverse of a padding 1
        down = np.empty_like(level)
        np.multiply(inv, level[half:], out=down[:half])
        np.multiply(inv, level[:half], out=down[half:])
        down %= _P
        inv = down
    return inv[: z.size]


def _key(point: tuple[int, int, int]) -> int | None:
    """Hash key of a canonical point ``(X, Y, Z)``, or None when _P divides Z."""
    x, y, z = point
    if z % _P == 0:
        return None
    inv = pow(z, _P - 2, _P)
    return (x * inv % _P) * _P + y * inv % _P


class _Pairs:
    """Hash keys of the intersection points of pairs of m lines (-1: no point counted)."""

    def __init__(self, lines: Sequence[PlaneLine], box: Box | None) -> None:
        self.lines = lines
        self.box = box
        self.res = np.array([[t.a % _P, t.b % _P, t.c % _P] for t in lines], dtype=np.int64).T
        directions: dict[tuple[int, int], int] = {}
        self.direction = np.array(
            [directions.setdefault(_direction(t), len(directions)) for t in lines], dtype=np.int64
        )
        if box is not None:
            self.chords = [_chord(t, box) for t in lines]
            scaled = []
            for t in lines:
                shift = max(abs(t.a), abs(t.b), abs(t.c)).bit_length() - 1
                scaled.append([_scaled(v, shift) for v in (t.a, t.b, t.c)])
            self.flt = np.array(scaled, dtype=np.float64).T
            self.use_x = np.array([t.b != 0 for t in lines])
            self.t_lo = np.array([fraction_to_float(ch[0]) for ch in self.chords])
            self.t_hi = np.array([fraction_to_float(ch[1]) for ch in self.chords])

    def keys(
        self, rows: np.ndarray, cols: np.ndarray, exact: dict | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Keys of the pairs (i, j), i in ``rows``, j in ``cols``: int64 keys and the mask of
        the pairs counted (j > i, not parallel, meeting inside the box).

        A point whose canonical Z is a multiple of _P has no key (-1); it goes to ``exact``
        (point -> set of lines) when that is given.
        """
        ri, cj = rows[:, None], cols[None, :]
        valid = (cj > ri) & (self.direction[ri] != self.direction[cj])
        if self.box is not None:
            valid &= self._in_box(rows, cols, valid)
        a, b, c = (r[cols][None, :] for r in self.res)
        ai, bi, ci = (r[rows][:, None] for r in self.res)
        z = ai * b
        z -= bi * a
        z %= _P
        hard = valid & (z == 0)
        z[~valid | hard] = 1
        inv = _inverses(z.ravel()).reshape(z.shape)
        x = bi * c
        x -= ci * b
        x %= _P
        x *= inv
        x %= _P
        y = ci * a
        y -= ai * c
        y %= _P
        y *= inv
        y %= _P
        x *= _P
        x += y
        for r, q in zip(*np.nonzero(hard)):
            i, j = int(rows[r]), int(cols[q])
            point = _canonical(*_cross(self.lines[i], self.lines[j]))
            key = _key(point)
            x[r, q] = -1 if key is None else key
            if key is None and exact is not None:
                exact.setdefault(point, set()).update((i, j))
        return x, valid

    def _in_box(self, rows: np.ndarray, cols: np.ndarray, valid: np.ndarray) -> np.ndarray:
        """Whether each point lies strictly inside the box: float filter, exact if unsure."""
        fa, fb, fc = (f[cols][None, :] for f in self.flt)
        ai, bi, ci = (f[rows][:, None] for f in self.flt)
        with np.errstate(all="ignore"):
            zf = ai * fb - bi * fa
            nf = np.where(self.use_x[rows][:, None], bi * fc - ci * fb, ci * fa - ai * fc)
            sz = np.sign(zf)
            zsure = np.abs(zf) > _ERR
            verdicts = []
            for q in (self.t_lo[rows][:, None], self.t_hi[rows][:, None]):
                d = nf - q * zf
                bound = 2 * (_ERR * (1 + 1.01 * np.abs(q)) + 2 * _U * (np.abs(q * zf) + np.abs(d)))
                sure = zsure & (np.abs(d) > bound)
                verdicts.append((sure, sz * d))
        (lo_sure, lo_side), (hi_sure, hi_side) = verdicts
        inside = lo_sure & (lo_side > 0) & hi_sure & (hi_side < 0)
        outside = (lo_sure & (lo_side < 0)) | (hi_sure & (hi_side > 0))
        for r, q in zip(*np.nonzero(valid & ~inside & ~outside)):
            i = int(rows[r])
            x, y, z = _cross(self.lines[i], self.lines[int(cols[q])])
            t = Fraction(x if self.lines[i].b else y, z)
            lo, hi = self.chords[i]
            inside[r, q] = lo < t < hi
        return inside

    def blocks(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Row blocks of the upper triangle, about _BLOCK pairs each."""
        m = len(self.lines)
        out, start = [], 0
        while start < m - 1:
            step = max(1, _BLOCK // (m - start))
            out.append((np.arange(start, min(m, start + step)), np.arange(start, m)))
            start += step
        return out


def _direction(line: PlaneLine) -> tuple[int, int]:
    g = math.gcd(line.a, line.b)
    return line.a // g, line.b // g


def _scaled(v: int, shift: int) -> float:
    """``v / 2^shift`` correctly rounded (Python's int division is)."""
    return v / (1 << shift) if shift >= 0 else float(v << -shift)


def _count(lines: Sequence[PlaneLine], box: Box | None) -> int:
    """Faces of the arrangement of ``lines`` on R^2, or meeting the open box."""
    if box is not None:
        lines = [t for t in lines if _chord(t, box) is not None]
    m = len(lines)
    if m < 2:
        return 1 + m
    pairs = _Pairs(lines, box)
    exact: dict[tuple[int, int, int], set[int]] = {}
    total = 0
    # Keys are split into buckets by residue, each counted on its own (recomputing the keys
    # once per bucket), so that memory stays below _BUCKET keys however many lines there are.
    buckets = max(1, -(-(m * (m - 1) // 2) // _BUCKET))
    for bucket in range(buckets):

        def block(rows: np.ndarray, cols: np.ndarray, bucket: int = bucket) -> tuple:
            keys, keep = pairs.keys(rows, cols, exact if bucket == 0 else None)
            keep &= keys >= 0
            if buckets > 1:
                keep &= keys % buckets == bucket
            return keys[keep], keep

        found = [block(rows, cols)[0] for rows, cols in pairs.blocks()]
        ordered = np.sort(np.concatenate(found))
        first = np.flatnonzero(np.append(True, ordered[1:] != ordered[:-1]))
        sizes = np.diff(np.append(first, ordered.size))
        total += int(np.count_nonzero(sizes == 1))  # a key met once: a simple crossing
        shared = ordered[first[sizes > 1]]
        if shared.size:
            hits = []
            for keys, (rows, cols) in zip(found, pairs.blocks()):
                hit = np.isin(keys, shared)
                if hit.any():  # recompute the block to find its pairs (rare)
                    r, q = np.nonzero(block(rows, cols)[1])
                    hits.append((keys[hit], rows[r[hit]], cols[q[hit]]))
            total += _settle(lines, *(np.concatenate(h) for h in zip(*hits)))
    return 1 + m + total + sum(len(ls) - 1 for ls in exact.values())


def _settle(lines: Sequence[PlaneLine], keys: np.ndarray, ii: np.ndarray, jj: np.ndarray) -> int:
    """Sum of (mu_P - 1) over the points P of the pairs ``(ii, jj)``, whose keys each belong
    to several pairs, decided exactly."""
    order = np.argsort(keys, kind="stable")
    cuts = np.flatnonzero(np.diff(keys[order])) + 1
    total = 0
    for group in np.split(order, cuts):
        pairs = list(zip(ii[group].tolist(), jj[group].tolist()))
        members = {i for pair in pairs for i in pair}
        point = _canonical(*_cross(lines[pairs[0][0]], lines[pairs[0][1]]))
        mu = len(members)
        if len(pairs) == mu * (mu - 1) // 2 and all(
            lines[i].a * point[0] + lines[i].b * point[1] + lines[i].c * point[2] == 0
            for i in members
        ):
            # Every pair of these mu lines meets at the point, so has this key, and the key
            # has no other pair: one point of mu lines (any other line through it would
            # add pairs with this key).
            total += mu - 1
            continue
        # A collision of keys (three lines concurrent modulo _P, say): group exactly.
        at: dict[tuple[int, int, int], set[int]] = {}
        for i, j in pairs:
            at.setdefault(_canonical(*_cross(lines[i], lines[j])), set()).update((i, j))
        total += sum(len(ls) - 1 for ls in at.values())
    return total


# --- the arrangement as polygons -----------------------------------------------------------


@dataclass
class _Face:
    vertices: list[Point]
    edges: list[tuple[int, int, bool]]  # (line, neighbouring face, this face on its + side)
    clipped: bool


def _pseudo_angle(d: tuple[int, int]) -> Fraction:
    """A monotone stand-in for the angle of the integer vector d in [0, 4)."""
    dx, dy = d
    r = Fraction(dx, abs(dx) + abs(dy))
    return 1 - r if dy > 0 or (dy == 0 and dx > 0) else 3 + r


def _faces(lines: Sequence[PlaneLine], box: Box) -> list[_Face]:
    """The faces of the arrangement inside the open box, as a doubly connected edge list."""
    xlo, xhi, ylo, yhi = box
    chords = {k: ch for k, t in enumerate(lines) if (ch := _chord(t, box)) is not None}
    params: dict[int, set[Fraction]] = {k: set(ch) for k, ch in chords.items()}
    ks = sorted(chords)
    for n, k in enumerate(ks):
        p = lines[k]
        for k2 in ks[n + 1 :]:
            x, y, z = _cross(p, lines[k2])
            if z:
                point = (Fraction(x, z), Fraction(y, z))
                if _inside(point, box):
                    params[k].add(point[0] if p.b else point[1])
                    params[k2].add(point[0] if lines[k2].b else point[1])
    vertex: dict[Point, int] = {}
    coords: list[Point] = []

    def vid(point: Point) -> int:
        if point not in vertex:
            vertex[point] = len(coords)
            coords.append(point)
        return vertex[point]

    # Half-edges as parallel lists; edge e is half-edges 2e and 2e + 1 (twins).
    origin: list[int] = []
    direction: list[tuple[int, int]] = []
    label: list[int] = []
    positive: list[bool] = []

    def chain(points: list[Point], d: tuple[int, int], line: int, left_positive: bool) -> None:
        ids = [vid(pt) for pt in points]
        for u, v in zip(ids, ids[1:]):
            origin.extend((u, v))
            direction.extend((d, (-d[0], -d[1])))
            label.extend((line, line))
            positive.extend((left_positive, not left_positive))

    for k, ts in params.items():
        p = lines[k]
        d = (0, 1) if p.b == 0 else (abs(p.b), -p.a if p.b > 0 else p.a)
        chain([_at(p, t) for t in sorted(ts)], d, k, p.b > 0)
    ends = [pt for k, ch in chords.items() for pt in (_at(lines[k], ch[0]), _at(lines[k], ch[1]))]
    corners = [(xlo, ylo), (xhi, ylo), (xhi, yhi), (xlo, yhi)]
    side_points = set(ends) | set(corners)
    for fixed, axis, value in ((1, 0, ylo), (0, 1, xhi), (1, 0, yhi), (0, 1, xlo)):
        on = sorted((pt for pt in side_points if pt[fixed] == value), key=lambda pt: pt[axis])
        chain(on, (1, 0) if axis == 0 else (0, 1), -1, False)
    outgoing: dict[int, list[int]] = {}
    for h, u in enumerate(origin):
        outgoing.setdefault(u, []).append(h)
    slot: dict[int, int] = {}
    for hs in outgoing.values():
        hs.sort(key=lambda h: _pseudo_angle(direction[h]))
        slot.update((h, s) for s, h in enumerate(hs))
    face_of = [-1] * len(origin)
    faces: list[_Face] = []
    cycles: list[list[int]] = []
    for start in range(len(origin)):
        if face_of[start] >= 0:
            continue
        cycle, h = [], start
        while face_of[h] < 0:
            face_of[h] = len(cycles)
            cycle.append(h)
            around = outgoing[origin[h ^ 1]]  # the twin h ^ 1 leaves h's head
            h = around[slot[h ^ 1] - 1]  # next clockwise from the twin: the face on the left
        cycles.append(cycle)
    number: dict[int, int] = {}
    for f, cycle in enumerate(cycles):
        pts = [coords[origin[h]] for h in cycle]
        area = sum(
            (p[0] * q[1] - q[0] * p[1] for p, q in zip(pts, pts[1:] + pts[:1])), Fraction(0)
        )
        if area > 0:  # the one cycle with negative area runs around the outside of the box
            number[f] = len(faces)
            faces.append(_Face(pts, [], any(label[h] < 0 for h in cycle)))
    for f, cycle in enumerate(cycles):
        if f in number:
            faces[number[f]].edges.extend(
                (label[h], number[face_of[h ^ 1]], positive[h]) for h in cycle if label[h] >= 0
            )
    return faces


def _turn(o: Point, p: Point, q: Point) -> Fraction:
    return (p[0] - o[0]) * (q[1] - o[1]) - (p[1] - o[1]) * (q[0] - o[0])


def _polygon(points: Sequence[Point]) -> tuple[Point, ...]:
    """A convex counterclockwise cycle without collinear points, from its lowest-leftmost."""
    n = len(points)
    corners = [p for k, p in enumerate(points) if _turn(points[k - 1], p, points[(k + 1) % n])]
    first = corners.index(min(corners))
    return tuple(corners[first:] + corners[:first])


def _hull(points: Sequence[Point]) -> tuple[Point, ...]:
    """Convex hull, counterclockwise from the lowest-leftmost point, no collinear points."""
    pts = sorted(set(points))
    lower: list[Point] = []
    upper: list[Point] = []
    for pt in pts:
        while len(lower) >= 2 and _turn(lower[-2], lower[-1], pt) <= 0:
            lower.pop()
        lower.append(pt)
    for pt in reversed(pts):
        while len(upper) >= 2 and _turn(upper[-2], upper[-1], pt) <= 0:
            upper.pop()
        upper.append(pt)
    return tuple(lower[:-1] + upper[:-1])


def _affine_at(net: NetworkNd, point: Point) -> tuple[Fraction, Fraction, Fraction]:
    """``(g_x, g_y, offset)`` of N next to ``point``, off every line: a neuron with
    ``w_j . point + b_j = 0`` counts as active iff ``(w_j1, w_j2)`` is lexicographically
    positive, i.e. at ``point + eta (1, eps)`` for infinitesimal ``eta >> eps > 0``."""
    gx = gy = off = Fraction(0)
    for (w1, w2), bj, vj in zip(*net.fractions()):
        z = w1 * point[0] + w2 * point[1] + bj
        if z > 0 or (z == 0 and (w1 > 0 or (w1 == 0 and w2 > 0))):
            gx, gy, off = gx + vj * w1, gy + vj * w2, off + vj * bj
    return gx, gy, off


def _polygons(
    net: NetworkNd, lines: Sequence[PlaneLine], box: Box
) -> tuple[list[_Face], list[tuple[Fraction, Fraction, Fraction]]]:
    """Faces of ``lines`` in the box and N's affine map on each, propagated by the jumps."""
    faces = _faces(lines, box)
    start = faces[0]
    maps: list[tuple[Fraction, Fraction, Fraction] | None] = [None] * len(faces)
    maps[0] = _affine_at(net, _mean(start.vertices))
    todo = [0]
    while todo:
        f = todo.pop()
        for k, g, f_positive in faces[f].edges:
            if maps[g] is None:
                t = lines[k]
                step = t.jump if not f_positive else -t.jump
                gx, gy, off = maps[f]  # type: ignore[misc]
                maps[g] = (gx + step * t.a, gy + step * t.b, off + step * t.c)
                todo.append(g)
    return faces, maps  # type: ignore[return-value]


def _mean(points: Sequence[Point]) -> Point:
    n = len(points)
    return (
        sum((p[0] for p in points), Fraction(0)) / n,
        sum((p[1] for p in points), Fraction(0)) / n,
    )


def _plane_regions(net: NetworkNd, box: object = None) -> PlaneRegions:
    """The effective regions of a 2-D network as polygons (backs ``linear_regions``)."""
    lines = effective_lines(net)
    given = box is not None
    bounds = _check_box(box) if given else _default_box(lines)
    faces, maps = _polygons(net, lines, bounds)
    regions = [
        PlaneRegion(_polygon(f.vertices), (m[0], m[1]), m[2], f.clipped)
        for f, m in zip(faces, maps)
    ]
    order = sorted(range(len(regions)), key=lambda i: regions[i].vertices)
    rank = {old: new for new, old in enumerate(order)}
    adjacency = sorted(
        {(min(rank[f], rank[g]), max(rank[f], rank[g]), k)
         for f, face in enumerate(faces) for k, g, _ in face.edges}
    )
    return PlaneRegions(
        lines, tuple(regions[i] for i in order), bounds, given, tuple(adjacency)
    )


def _count_plane(net: NetworkNd, box: object = None) -> int:
    """Number of effective regions of a 2-D network on R^2 or meeting the open box."""
    lines = effective_lines(net)
    return _count(lines, None if box is None else _check_box(box))


def _plane_graph(net: NetworkNd, box: object = None) -> nx.Graph:
    """Faces cut by every candidate line (zero jumps included) and their adjacency."""
    _require_plane(net)
    lines = _candidate_lines(net)
    bounds = _check_box(box) if box is not None else _default_box(lines)
    faces, maps = _polygons(net, lines, bounds)
    graph = nx.Graph(d=2, box=bounds, lines=lines)
    for f, (face, m) in enumerate(zip(faces, maps)):
        graph.add_node(
            f, vertices=_polygon(face.vertices), gradient=(m[0], m[1]), offset=m[2],
            clipped=face.clipped,
        )
    for f, face in enumerate(faces):
        for k, g, _ in face.edges:
            graph.add_edge(f, g, line=k, same_affine=maps[f] == maps[g])
    return graph


def _merge_plane(graph: nx.Graph) -> tuple[PlaneRegion, ...]:
    """Connected components of equal-affine neighbours, each one convex polygon."""
    same = nx.Graph()
    same.add_nodes_from(graph.nodes)
    same.add_edges_from((f, g) for f, g, e in graph.edges(data=True) if e["same_affine"])
    regions = []
    for component in nx.connected_components(same):
        nodes = [graph.nodes[f] for f in component]
        regions.append(
            PlaneRegion(
                _hull([v for n in nodes for v in n["vertices"]]),
                nodes[0]["gradient"],
                nodes[0]["offset"],
                any(n["clipped"] for n in nodes),
            )
        )
    return tuple(sorted(regions, key=lambda r: r.vertices))
