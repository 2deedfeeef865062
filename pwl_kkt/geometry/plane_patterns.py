"""All activation patterns of n points in the plane, found exactly.

A hidden ReLU neuron ``u = (w, b)`` in ``R^3`` is active on the point ``x_i in R^2`` when
``u . xt_i > 0`` with ``xt_i = (x_i, 1)``. Its *activation pattern* is the 0/1 vector
``s(u) = (1[u . xt_i > 0])_i``: the set of points strictly on the positive side of the
oriented line ``w . x + b = 0`` (``u = (0, 0, +-1)`` gives all points or none). The
patterns are the cells of the central arrangement of the planes ``xt_i^perp`` in ``R^3``,
equivalently the faces of the arrangement of great circles ``C_i = xt_i^perp`` on the
sphere ``S^2``.

**Only full-dimensional cells are needed.** If ``u`` lies on some circles (a lower-dimensional
face), ``u - t (0, 0, 1)`` for small ``t > 0`` has the same pattern, because
``(0, 0, 1) . xt_i = 1 > 0`` turns every zero into a negative sign and leaves the others.

**Every cell touches a vertex, so walking the circles from vertex to vertex is complete.**
With at least
three non-collinear points the cells are pointed cones; each has an extreme ray, which lies on
two distinct circles: a vertex ``+-(xt_i x xt_j)``, i.e. an oriented line through two of the
points. Walking along a circle ``C_p`` (the oriented lines through the point ``x_p``, sorted by
angle), the open arc between two consecutive vertices is crossed by no other circle, so the
two cells along it have the patterns ``S`` and ``S + {p}`` with ``S`` the points left of any
line through ``x_p`` in that angular gap. Every nonempty cell has such an arc with ``p`` in
its pattern (if all its walls were of points outside it, it would contain ``(0, 0, -1)`` and
be the empty cell), so the ``2 * sum_p L_p`` arcs (``L_p`` the number of distinct lines
through ``x_p`` and another point) give every nonempty pattern. Duplicates are merged, and
the count is checked against Euler's formula for the sphere,

    #cells = 2 + 2 * sum over lines l through >= 2 of the points of (m_l - 1),

``m_l`` the number of distinct points on ``l``: ``n^2 - n + 2`` in general position (the
empty pattern included), fewer with collinear or repeated points. Collinear data (one line
``l``) has the ``2m`` prefix and suffix patterns of the one-dimensional case.

**Sampling is fooled.** A random direction ``u`` finds a cell with probability equal to the
cell's share of the sphere's area. Cells near the vertices of nearly concurrent lines are
tiny, so random directions miss many of them: 10^5 Gaussian directions find about 7,000 of
the 9,902 patterns of 100 standard normal points (``benchmarks/bench_plane.py``, section
``patterns``), and a convex program over sampled patterns is then a restriction of the
infinite-width one.

Every sign is decided exactly. The points are read as rationals (floats are the dyadic
values they store) and scaled by the common denominator ``D`` to integer vectors
``a_i = D xt_i``; angular sorting uses float keys only as a first guess, confirmed by
exact cross products of consecutive directions (and redone exactly where one is out of
order). Duplicate patterns are merged by 128-bit Zobrist hashes; the exact cell count above
certifies that no two distinct patterns shared a hash (otherwise they are merged by
comparing the patterns themselves). Time ``O(n^2 log n)``, memory ``O(n^2)`` plus the
``P x n`` bits of the patterns.

**Witnesses.** Each pattern comes with an integer direction ``u = (w1, w2, b)`` inside its
cell: ``1[u . (x_i, 1) > 0]`` is the pattern, exactly. It is the sum of three vertices of the
closed cell that do not lie on one great circle (the two ends of the arc above and the next
vertex along the cell's other wall at one end), hence strictly inside the cell.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property, cmp_to_key

import numpy as np

from .._rational import fractions_of
from ..errors import InvalidDataError
from ..limits import get_limits
from ..model.data import Dataset
from ..model.data_nd import _POINTS, DatasetNd

__all__ = ["PlanePatterns", "plane_activation_patterns"]

# Integer coordinates below this bound keep every product of the algorithm (cross products
# of differences, vertex vectors and sums of three of them) inside int64.
_INT64_SAFE = 2**29
_CHUNK = 4096  # patterns materialized at once: bounds the temporary (chunk x n) arrays
_HASH_SEED = 0x5EED_2D  # Zobrist keys; any value works, the exact count check certifies


@dataclass(frozen=True, eq=False)
class PlanePatterns:
    """The activation patterns of n points in the plane, each with an exact witness.

    Attributes
    ----------
    packed : numpy.ndarray of uint8, shape (P, ceil(n / 8))
        The patterns as bits, ``np.packbits(patterns, axis=1)`` (point ``i`` is bit
        ``7 - i % 8`` of byte ``i // 8``); read-only. 1,000 points have about 10^6
        patterns: 125 MB packed, 1 GB as booleans.
    witnesses : numpy.ndarray, shape (P, 3)
        Row ``k`` is an integer direction ``u = (w1, w2, b)`` with
        ``1[w1 x_i1 + w2 x_i2 + b > 0]`` equal to pattern ``k`` for every point, exactly
        (int64 when every entry fits, else Python ints); read-only.
    n : int
        Number of points.
    lines : int
        Number of distinct lines through two or more of the distinct points (0 for a single
        distinct point).

    Examples
    --------
    >>> pp = plane_activation_patterns([[0, 0], [1, 0], [0, 1]])
    >>> pp.count  # 3^2 - 3 + 2 = 8 cells, the empty one left out
    7
    >>> pp.patterns[0].tolist(), pp.witnesses[0].tolist()  # -2 x_1 + 1 > 0
    ([True, False, True], [-2, 0, 1])
    """

    packed: np.ndarray
    witnesses: np.ndarray
    n: int
    lines: int

    @property
    def count(self) -> int:
        """Number of patterns P."""
        return int(self.packed.shape[0])

    @cached_property
    def patterns(self) -> np.ndarray:
        """The patterns as a read-only (P, n) boolean array (unpacked once, then cached)."""
        rows = np.unpackbits(self.packed, axis=1, count=self.n).astype(bool)
        rows.setflags(write=False)
        return rows

    def pattern(self, k: int) -> np.ndarray:
        """Pattern ``k`` as a boolean vector of length n (without unpacking the others)."""
        return np.unpackbits(self.packed[k], count=self.n).astype(bool)


def plane_activation_patterns(x: object, *, include_empty: bool = False) -> PlanePatterns:
    """Every activation pattern ``1[<u, (x_i, 1)> > 0]``, ``u in R^3``, of points in the plane.

    The full set of points is always a pattern; the empty one is left out unless
    ``include_empty`` (as :func:`~pwl_kkt.duality.optimum.activation_patterns` does in one
    dimension: a neuron active on no point contributes nothing). Points in general position
    have ``n^2 - n + 1`` nonempty patterns; collinear and repeated points fewer, all decided
    exactly (see the module docstring for why the enumeration is complete).

    Parameters
    ----------
    x : array or sequence of rows, shape (n, 2), or a :class:`~pwl_kkt.DatasetNd` with d = 2
        The points; entries are read exactly (floats as their dyadic values, ``"1/3"`` as
        1/3).
    include_empty : bool
        Also return the empty pattern (with witness ``(0, 0, -1)``), last.

    Returns
    -------
    PlanePatterns
        Distinct patterns with an exact integer witness each. Collinear points (including a
        single distinct point) give the one-dimensional order: the suffixes along the line,
        the full set first, then the prefixes. Otherwise the order is deterministic but
        carries no meaning.

    Raises
    ------
    InvalidDataError
        No points, ragged rows (naming the row), points not in the plane
        ("needs points in the plane (d = 2); got d = 3"), or more patterns than the limit
        ``max_pattern_bytes`` of :mod:`pwl_kkt.limits` allows (about 2,000 points by default).
    InvalidValueError
        A coordinate that is NaN, infinite or not a number (naming it).

    Examples
    --------
    Four points, three of them on the line ``y = 0``: 4^2 - 4 + 2 = 14 cells in general
    position, two fewer because one vertex is shared by three circles.

    >>> pp = plane_activation_patterns([[0, 0], [1, 0], [2, 0], ["1/2", 1]])
    >>> pp.count, pp.lines
    (11, 4)
    >>> plane_activation_patterns([[0, 0], [0, 0], [1, 1]]).patterns.astype(int).tolist()
    [[1, 1, 1], [0, 0, 1], [1, 1, 0]]
    >>> plane_activation_patterns([[1, 2, 3]])
    Traceback (most recent call last):
    ...
    pwl_kkt.errors.InvalidDataError: needs points in the plane (d = 2); got d = 3
    """
    points = _read_points(x)
    X, D = _integer_points(points)
    X, inverse = _distinct(X)
    _check_size(X.shape[0], len(points))
    if X.shape[0] == 1:
        packed = np.packbits(np.ones((1, len(points)), dtype=bool), axis=1)
        witnesses = np.array([[0, 0, 1]], dtype=object)
        lines = 0
    else:
        s = _Sweeps(X)
        if s.collinear:
            rows, witnesses = _collinear_patterns(X, D, s)
            packed = np.packbits(rows[:, inverse], axis=1)
        else:
            arcs = _distinct_arcs(s)
            packed = _packed_arcs(s, arcs, None if X.shape[0] == len(points) else inverse)
            # in chunks: the intermediate Python ints of a whole run would take gigabytes
            chunk = 16 * _CHUNK
            witnesses = np.vstack(
                [_arc_witnesses(X, D, s, arcs[i : i + chunk]) for i in range(0, arcs.size, chunk)]
            )
        lines = s.nlines
    if include_empty:
        packed = np.vstack([packed, np.zeros((1, packed.shape[1]), dtype=np.uint8)])
        witnesses = np.vstack([witnesses.astype(object), [[0, 0, -1]]])
    packed.setflags(write=False)
    witnesses = _narrowed(witnesses)
    witnesses.setflags(write=False)
    return PlanePatterns(packed=packed, witnesses=witnesses, n=len(points), lines=lines)


# -- input ---------------------------------------------------------------------------------


def _read_points(x: object) -> list[tuple[Fraction, ...]]:
    """The points as rows of two Fractions, or a clear error naming what is wrong."""
    if isinstance(x, Dataset):
        raise InvalidDataError("needs points in the plane (d = 2); got d = 1 (a Dataset)")
    if isinstance(x, DatasetNd):
        rows: list[object] = list(x.x_exact)
        d = x.d
    else:
        if isinstance(x, np.ndarray) and x.ndim == 1:
            raise InvalidDataError(
                f"needs points in the plane (d = 2) as an (n, 2) array; got shape {x.shape}"
            )
        rows = _POINTS.rows(x)
        d = _POINTS.length(rows)
    if not rows:
        raise InvalidDataError("no points: at least one point is needed")
    if d != 2:
        raise InvalidDataError(f"needs points in the plane (d = 2); got d = {d}")
    return [fractions_of(r, f"x[{i}]") for i, r in enumerate(rows)]


def _check_size(N: int, n: int) -> None:
    """Refuse, before the ``O(N^2)`` sweeps, a result beyond ``max_pattern_bytes``.

    ``N`` distinct points have at most ``N^2 - N + 2`` patterns (general position), each of
    ``n`` bits: ``O(n^3)`` bits in all, which 10^5 points would make 10^14 bytes.
    """
    limit = get_limits().max_pattern_bytes
    count = N * N - N + 2
    size = count * ((n + 7) // 8)
    if size > limit:
        distinct = "" if N == n else f" ({N} distinct)"
        raise InvalidDataError(
            f"{n} points{distinct} can have {count} activation patterns of {n} bits, {size} "
            f"bytes packed: more than the limit max_pattern_bytes = {limit} (see pwl_kkt.limits)"
        )


def _integer_points(points: list[tuple[Fraction, ...]]) -> tuple[np.ndarray, int]:
    """Integer points ``X`` and the common denominator ``D`` with ``x_i = X_i / D``."""
    D = math.lcm(*(q.denominator for row in points for q in row))
    ints = [[q.numerator * (D // q.denominator) for q in row] for row in points]
    X = np.array(ints, dtype=object)
    return (X.astype(np.int64) if max(D, *np.abs(X).ravel()) < _INT64_SAFE else X), D


def _narrowed(w: np.ndarray) -> np.ndarray:
    """Witnesses as int64 when every entry fits, else Python ints."""
    try:
        return w.astype(np.int64)
    except OverflowError:
        return w


def _distinct(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct points (in order of first appearance) and each point's index among them."""
    index: dict[tuple[int, int], int] = {}
    inverse = np.array(
        [index.setdefault((int(a), int(b)), len(index)) for a, b in X.tolist()], dtype=np.intp
    )
    _, first = np.unique(inverse, return_index=True)
    return X[first], inverse


# -- angular sweeps --------------------------------------------------------------------------


class _Sweeps:
    """Every distinct point's sweep: the other points sorted by the angle of their line.

    For pivot ``p`` and another point ``q`` the direction ``X_q - X_p`` is normalized to the
    half-plane of angles ``[0, pi)`` (``behind[p, q]`` when it had to be negated); equal
    normalized angles are one line through ``p``. The lines of ``p`` are numbered ``0..L_p-1``
    by angle, and each (pivot, line) pair is an *entry* ``off[p] + j``.

    A line through ``m`` points appears as ``m`` entries (one per pivot on it); ``gid`` names
    the line globally and ``rank`` is the pivot's position along the line's normalized
    direction (the number of its points behind the pivot), so ``line_pts[start[e] + t]`` is
    the point at position ``t`` on the line of entry ``e``.
    """

    def __init__(self, X: np.ndarray) -> None:
        N = X.shape[0]
        E = X[None, :, :] - X[:, None, :]
        ex, ey = E[..., 0], E[..., 1]
        behind = (ey < 0) | ((ey == 0) & (ex < 0))
        # the direction from q to p is minus the one from p to q: normalizing is a selection
        ex = np.where(behind, ex.T, ex)
        ey = np.where(behind, ey.T, ey)
        order, sx, sy, turn = _sorted_by_angle(X, ex, ey)
        new_line = turn > 0
        lid = np.zeros(order.shape, dtype=np.int64)
        np.cumsum(new_line, axis=1, out=lid[:, 1:])
        L = lid[:, -1] + 1
        off = np.concatenate([[0], np.cumsum(L)[:-1]])
        T = int(L.sum())
        pivots = np.arange(N)
        lineof = np.full((N, N), -1, dtype=np.int16 if N < 2**15 else np.int32)
        lineof[pivots[:, None], order] = lid
        F = (off[:, None] + lid).ravel()  # the entry of every (pivot, other point)
        sb = np.take_along_axis(behind, order, 1).ravel()
        others = order.ravel()
        first = np.concatenate([np.ones((N, 1), dtype=bool), new_line], axis=1)
        direction = np.stack([sx[first], sy[first]], axis=1)  # one per entry
        p_of = np.repeat(pivots, L)
        j_of = np.arange(T) - off[p_of]
        rank = np.bincount(F[sb], minlength=T)
        size = np.bincount(F, minlength=T) + 1
        # the line's name: its lowest-numbered point a and the line's number in a's sweep
        low = np.full(T, N, dtype=np.int64)
        np.minimum.at(low, F, others)
        a = np.minimum(low, p_of)
        gid = off[a] + np.where(a == p_of, j_of, lineof[a, p_of])
        by_line = np.lexsort((rank, gid))
        g_sorted = gid[by_line]
        heads = np.flatnonzero(np.concatenate([[True], g_sorted[1:] != g_sorted[:-1]]))
        start_of = np.empty(T, dtype=np.int64)
        start_of[g_sorted[heads]] = heads
        self.N, self.L, self.off, self.T = N, L, off, T
        self.lineof = lineof
        self.behind = behind
        self.F, self.sb, self.others = F, sb, others
        self.p_of, self.j_of = p_of, j_of
        self.rank, self.size = rank, size
        self.start = start_of[gid]
        self.line_pts = p_of[by_line]
        self.nlines = int(heads.size)
        self.collinear = bool(L[0] == 1)
        # entry e's direction is oriented[e], reversed it is oriented[T + e]
        self.oriented = np.concatenate([direction, -direction])


def _sorted_by_angle(
    X: np.ndarray, ex: np.ndarray, ey: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per row, the other columns sorted by the angle in [0, pi) of ``(ex, ey)``, exactly.

    Returns the order, the sorted vectors and the sign of the cross product of each
    consecutive pair (``+1`` a new angle, ``0`` the same line). Float angles give the order;
    the signs are then decided exactly, and a row with a pair out of order (sign ``-1``) is
    sorted again by exact comparisons.
    """
    N = ex.shape[0]
    fx, fy, filtered = _floats(X, ex, ey)
    key = np.arctan2(fy, fx)
    np.fill_diagonal(key, np.inf)
    order = np.argsort(key, axis=1, kind="stable")[:, : N - 1]

    def gather(rows, cols):
        return [np.take_along_axis(v[rows], cols, 1) for v in (ex, ey, fx, fy)]

    sx, sy, sfx, sfy = gather(slice(None), order)
    turn = _turns(sx, sy, sfx, sfy, filtered)
    for p in np.flatnonzero((turn < 0).any(axis=1)):
        vec = {int(q): (int(ex[p, q]), int(ey[p, q])) for q in order[p]}

        def before(a: int, b: int, vec=vec) -> int:
            cross = vec[a][0] * vec[b][1] - vec[a][1] * vec[b][0]
            return -1 if cross > 0 else (1 if cross < 0 else 0)

        order[p] = sorted(vec, key=cmp_to_key(before))
        rx, ry, rfx, rfy = gather(slice(p, p + 1), order[p : p + 1])
        sx[p], sy[p] = rx[0], ry[0]
        turn[p] = _turns(rx, ry, rfx, rfy, filtered)[0]
    return order, sx, sy, turn


_EPS = 2.0**-53
_FILTER_BITS = 480  # products of two such integers stay finite in float64


def _floats(X: np.ndarray, ex: np.ndarray, ey: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """Floats near the integer vectors, and whether they are the correctly rounded values.

    Integers too large for that are scaled down together first; the floats then only give a
    first guess of the angular order, and every sign is computed exactly.
    """
    if X.dtype != object:
        return ex.astype(np.float64), ey.astype(np.float64), True
    bits = max(abs(int(v)).bit_length() for v in X.ravel()) + 1
    if bits <= _FILTER_BITS:
        return ex.astype(np.float64), ey.astype(np.float64), True
    shift = bits - _FILTER_BITS  # only the ratios matter for the angle
    Y = np.array([[int(v) >> shift for v in row] for row in X.tolist()], dtype=np.float64)
    fx = np.abs(Y[None, :, 0] - Y[:, None, 0])
    fy = np.abs(Y[None, :, 1] - Y[:, None, 1])
    return np.where(ex < 0, -fx, fx), np.where(ey < 0, -fy, fy), False


def _turns(
    sx: np.ndarray, sy: np.ndarray, fx: np.ndarray, fy: np.ndarray, filtered: bool
) -> np.ndarray:
    """The exact sign of ``a x b`` for consecutive vectors ``a, b`` of each row.

    With correctly rounded floats a float sign is certain when ``|c| > 8 eps (|a_x b_y| +
    |a_y b_x|)`` (the products and the difference err by at most ``4.2 eps`` times that
    sum); only the uncertain ones, such as the exact zeros of collinear points, are
    computed in integers.
    """
    ax, ay, bx, by = sx[:, :-1], sy[:, :-1], sx[:, 1:], sy[:, 1:]
    if sx.dtype != object or not filtered:
        return np.sign(ax * by - ay * bx).astype(np.int8)
    p1 = fx[:, :-1] * fy[:, 1:]
    p2 = fy[:, :-1] * fx[:, 1:]
    c = p1 - p2
    turn = np.sign(c).astype(np.int8)
    unsure = np.nonzero(np.abs(c) <= 8 * _EPS * (np.abs(p1) + np.abs(p2)))
    exact = ax[unsure] * by[unsure] - ay[unsure] * bx[unsure]
    turn[unsure] = (exact > 0).astype(np.int8) - (exact < 0).astype(np.int8)
    return turn


# -- patterns ---------------------------------------------------------------------------------


def _distinct_arcs(s: _Sweeps) -> np.ndarray:
    """Indices of arcs giving each nonempty pattern once, by pivot and angle.

    Arc ``e`` (``e < T``) is the gap after the oriented line of entry ``e``; arc ``T + e`` the
    gap after the same line reversed. Its pattern is the points left of the gap's lines plus
    the pivot.
    """
    expected = 1 + 2 * (s.T - s.nlines)  # Euler's formula, the empty cell left out
    h = [_arc_hashes(s, keys) for keys in _zobrist_keys(s.N)]
    by_hash = np.lexsort(h[::-1])
    hs = [v[by_hash] for v in h]
    differs = np.zeros(by_hash.size - 1, dtype=bool)
    for v in hs:
        differs |= v[1:] != v[:-1]
    reps = by_hash[np.concatenate([[True], differs])]
    if reps.size != expected:  # two patterns shared a hash: compare the patterns themselves
        _, reps = np.unique(_packed_arcs(s, np.arange(2 * s.T)), axis=0, return_index=True)
    if reps.size != expected:
        raise RuntimeError(
            f"internal error: {reps.size} distinct patterns where Euler's formula gives "
            f"{expected}; please report this input"
        )
    p = s.p_of[reps % s.T]
    k = s.j_of[reps % s.T] + s.L[p] * (reps >= s.T)
    return reps[np.lexsort((k, p))]


def _zobrist_keys(N: int) -> list[np.ndarray]:
    """Two independent random 64-bit keys per point (a 128-bit hash of a set)."""
    rng = np.random.default_rng(_HASH_SEED)
    return [rng.integers(0, 2**64, size=N, dtype=np.uint64) for _ in range(2)]


def _arc_hashes(s: _Sweeps, keys: np.ndarray) -> np.ndarray:
    """The XOR of ``keys`` over each arc's pattern, for the ``2T`` arcs.

    For entry ``(p, j)`` the points left of the gap after line ``j`` are those ahead on a
    later line or behind on line ``<= j``; the reversed gap has the complement (the pivot
    excluded). Prefix XORs within each pivot's entries give all of them in O(T).
    """
    ahead = np.zeros(s.T, dtype=np.uint64)
    back = np.zeros(s.T, dtype=np.uint64)
    np.bitwise_xor.at(ahead, s.F[~s.sb], keys[s.others[~s.sb]])
    np.bitwise_xor.at(back, s.F[s.sb], keys[s.others[s.sb]])

    def prefix(v: np.ndarray) -> np.ndarray:
        c = np.bitwise_xor.accumulate(v)
        return c ^ np.concatenate([[np.uint64(0)], c])[s.off[s.p_of]]

    pa, pb = prefix(ahead), prefix(back)
    total_ahead = pa[(s.off + s.L - 1)[s.p_of]]
    left = total_ahead ^ pa ^ pb
    everything = np.bitwise_xor.reduce(keys)
    return np.concatenate([left ^ keys[s.p_of], left ^ everything])


def _packed_arcs(s: _Sweeps, arcs: np.ndarray, inverse: np.ndarray | None = None) -> np.ndarray:
    """The packed patterns of the given arcs, over all points (``inverse`` maps each point
    to its distinct point; ``None`` keeps the distinct points), built a chunk at a time."""
    width = s.N if inverse is None else inverse.size
    packed = np.empty((arcs.size, (width + 7) // 8), dtype=np.uint8)
    for i in range(0, arcs.size, _CHUNK):
        a = arcs[i : i + _CHUNK]
        e = a % s.T
        p, j = s.p_of[e], s.j_of[e]
        # left of the gap after line j: ahead on a later line or behind on line <= j;
        # the reversed gap has the others (XOR, in place: this loop writes n bits per pattern)
        block = s.lineof[p] > j.astype(s.lineof.dtype)[:, None]
        block ^= s.behind[p]
        block ^= (a >= s.T)[:, None]
        block[np.arange(a.size), p] = True
        if inverse is not None:
            block = block[:, inverse]
        packed[i : i + _CHUNK] = np.packbits(block, axis=1)
    return packed


def _arc_witnesses(X: np.ndarray, D: int, s: _Sweeps, arcs: np.ndarray) -> np.ndarray:
    """A direction inside the cell on the pivot's side of each arc.

    The arc after critical line ``k`` of pivot ``p`` runs from vertex ``v_k`` to
    ``v_{k+1}`` on the circle of ``p``. At ``v_k`` the cell's other wall is the circle of
    the point ``r`` next to ``p`` on that line (the next one ahead, or the rearmost when
    ``p`` is the front point). Rotating the line about ``r`` (counterclockwise when ``r`` is
    ahead of ``p``, so the points behind ``r`` turn left; clockwise when ``r`` is the
    rearmost, so the points ahead of it turn left) reaches the cell's next vertex ``n``.
    The sum ``v_k + v_{k+1} + n`` of three vertices not on one circle lies inside the cell.
    """
    e = arcs % s.T
    p = s.p_of[e]
    Lp = s.L[p]
    reverse = arcs >= s.T
    k = s.j_of[e] + Lp * reverse
    k1 = (k + 1) % (2 * Lp)
    # v_k + v_{k+1} is the vertex of the sum of the two directions (linear in the direction)
    d = s.oriented[arcs] + s.oriented[s.off[p] + k1 % Lp + s.T * (k1 >= Lp)]
    rank, size, start = s.rank[e], s.size[e], s.start[e]
    # Along the oriented line "ahead" is a higher rank, or a lower one when reversed.
    has_next = np.where(reverse, rank > 0, rank < size - 1)
    neighbour = np.where(reverse, rank - 1, rank + 1)
    rearmost = np.where(reverse, size - 1, 0)
    r = s.line_pts[start + np.where(has_next, neighbour, rearmost)]
    step = np.where(has_next, 1, -1)
    h = (s.lineof[r, p] + s.L[r] * reverse + step) % (2 * s.L[r])
    dn = s.oriented[s.off[r] + h % s.L[r] + s.T * (h >= s.L[r])]
    # the vertex of the oriented line through P with direction d is
    # (-D d_y, D d_x, P_x d_y - P_y d_x), positive exactly left of the line (it is a_p x a_q
    # for the point q = p + d, a = (X, D)); the witness is the sum of the two vertices
    sx, sy = d[:, 0] + dn[:, 0], d[:, 1] + dn[:, 1]
    b = X[p, 0] * d[:, 1] - X[p, 1] * d[:, 0] + X[r, 0] * dn[:, 1] - X[r, 1] * dn[:, 0]
    return np.stack([-D * sy, D * sx, b], axis=1)


def _collinear_patterns(X: np.ndarray, D: int, s: _Sweeps) -> tuple[np.ndarray, np.ndarray]:
    """All points on one line: the suffixes along it (the full set first), then the prefixes.

    With the points at positions ``t_0 < ... < t_{m-1}`` along the line's direction ``e``,
    the suffix from ``k >= 1`` has the witness ``u = (2 D e, -(t_{k-1} + t_k))``, since
    ``u . (X, D) = D (2 e . X - t_{k-1} - t_k)``; the prefix has ``-u``.
    """
    m = s.N
    position = s.rank  # one line per pivot: entry p is point p, its rank its position
    ex, ey = (int(v) for v in s.oriented[0])
    t = [ex * int(X[q, 0]) + ey * int(X[q, 1]) for q in np.argsort(position)]
    mids = [t[k - 1] + t[k] for k in range(1, m)]
    suffixes = [[0, 0, 1]] + [[2 * D * ex, 2 * D * ey, -c] for c in mids]
    prefixes = [[-2 * D * ex, -2 * D * ey, c] for c in mids]
    ks = np.arange(m)
    rows = np.vstack([position[None, :] >= ks[:, None], position[None, :] < ks[1:, None]])
    return rows, np.array(suffixes + prefixes, dtype=object)
