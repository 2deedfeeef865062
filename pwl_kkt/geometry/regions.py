"""Effective linear regions: count them, list them, merge them.

The *effective* number of linear regions of N on R is the number of true
breakpoints plus one (the quantity Theorem 4.2 of Safran, Vardi & Lee (2022) bounds by 32r + 67);
on a closed interval [lo, hi] only breakpoints strictly inside count.

Exact mode decides every tie and cancellation exactly. For float networks it
does so without converting every parameter to a rational: IEEE division is
correctly rounded and rounding is monotone, so the float kink ``-b_j / w_j``
orders two kinks correctly whenever the floats differ, and two kinks at the
same exact location always give the same float. Only kinks whose floats are
equal are compared, and their jumps summed, in exact arithmetic (a filtered
predicate in the sense of CGAL's filtered kernels).

Tolerance mode (``tol=...``) is a separate, approximate notion for trained
networks, documented at :class:`Tolerance`.

The same functions take a :class:`~pwl_kkt.model.network_nd.NetworkNd`: with ``d = 1`` it is
the univariate network above; with ``d = 2`` the regions are the faces of an arrangement of
lines, counted, listed and merged exactly by :mod:`pwl_kkt.geometry.plane` (a box
``(xlo, xhi, ylo, yhi)`` in place of the interval).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import networkx as nx
import numpy as np

from .._rational import fraction_text, fraction_to_float, to_fraction
from ..errors import InvalidNetworkError, InvalidValueError
from ..model.network import Network
from ..model.network_nd import NetworkNd
from . import plane
from .pwl import piecewise_linear

__all__ = [
    "LinearRegions",
    "Region",
    "Tolerance",
    "count_regions",
    "linear_regions",
    "merged_regions",
    "region_graph",
]

Number = Fraction | float


@dataclass(frozen=True)
class Tolerance:
    """Tolerance mode for float networks that have tiny or nearly coincident kinks.

    1. Kinks are sorted and consecutive kinks ``t < t'`` with
       ``t' - t <= distance * max(1, |t|, |t'|)`` are chained into one cluster,
       located at the ``|jump|``-weighted mean of its members; its jump is the
       sum of theirs.
    2. A cluster whose total jump satisfies ``|c| <= jump * max |c'|`` (relative
       to the largest cluster jump) is dropped: moved to ``-infinity`` when it lies
       left of 0 (its affine part ``c (x - t)`` is kept) and to ``+infinity``
       otherwise, so the described function equals N at ``x = 0`` and differs from it
       by at most ``|c| |x - t|`` between 0 and ``t``.

    Kinks whose location ``-b_j / w_j`` is beyond the float range keep it as an
    exact Fraction (every other value is a float); slopes and intercepts are
    computed from ``c t = -v_j b_j sign(w_j)``, so they stay finite.

    The result describes a nearby piecewise-linear function, not N itself.

    Examples
    --------
    >>> Tolerance.of(1e-6)
    Tolerance(jump=1e-06, distance=1e-06)
    """

    jump: float
    distance: float

    def __post_init__(self) -> None:
        for name in ("jump", "distance"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value >= 0):
                raise InvalidValueError(f"tol.{name}: {value!r} must be a finite number >= 0")

    @classmethod
    def of(cls, tol: float | Tolerance) -> Tolerance:
        """A Tolerance from a number (used for both thresholds) or a Tolerance."""
        if isinstance(tol, Tolerance):
            return tol
        try:
            value = float(tol)
        except (TypeError, ValueError):
            raise InvalidValueError(f"tol: {tol!r} is not a number") from None
        return cls(value, value)


@dataclass(frozen=True)
class Region:
    """A maximal interval on which N is affine: ``N(x) = slope * x + intercept``.

    ``lo`` / ``hi`` are ``None`` for an unbounded end. Values are Fractions in
    exact mode and floats in tolerance mode.

    Examples
    --------
    >>> linear_regions(Network([1], [-1], [2])).regions[1]
    Region(lo=Fraction(1, 1), hi=None, slope=Fraction(2, 1), intercept=Fraction(-2, 1))
    """

    lo: Number | None
    hi: Number | None
    slope: Number
    intercept: Number

    def to_dict(self) -> dict[str, str | float | None]:
        """JSON-ready form; exact values as ``"p/q"`` strings."""
        return {k: _text(getattr(self, k)) for k in ("lo", "hi", "slope", "intercept")}


@dataclass(frozen=True)
class LinearRegions:
    """The effective linear regions of a network, with the breakpoints between them.

    Examples
    --------
    >>> r = linear_regions(Network([1, -1], [0, 0], [1, 1]))
    >>> r.count, r.breakpoints, r.slopes
    (2, (Fraction(0, 1),), (Fraction(-1, 1), Fraction(1, 1)))
    """

    breakpoints: tuple[Number, ...]
    regions: tuple[Region, ...]
    interval: tuple[Fraction, Fraction] | None
    exact: bool
    tolerance: Tolerance | None = None

    @property
    def count(self) -> int:
        """Number of effective linear regions."""
        return len(self.regions)

    @property
    def slopes(self) -> tuple[Number, ...]:
        """Slope on every region, left to right (one more than breakpoints)."""
        return tuple(r.slope for r in self.regions)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form: ``count``, ``breakpoints``, ``slopes`` (exact strings), ``regions``."""
        return {
            "count": self.count,
            "exact": self.exact,
            "interval": None if self.interval is None else [_text(t) for t in self.interval],
            "tolerance": None
            if self.tolerance is None
            else {"jump": self.tolerance.jump, "distance": self.tolerance.distance},
            "breakpoints": [_text(t) for t in self.breakpoints],
            "slopes": [_text(s) for s in self.slopes],
            "regions": [r.to_dict() for r in self.regions],
        }

    def _rows(self, digits: int | None) -> list[tuple[str, ...]]:
        def cell(value: Number | None, inf: str) -> str:
            if value is None:
                return inf
            if digits is None:
                return str(_text(value))
            return f"{float(value):.{digits}g}"

        rows = [("region", "from", "to", "slope", "intercept")]
        for i, r in enumerate(self.regions):
            rows.append(
                (
                    str(i),
                    cell(r.lo, "-inf"),
                    cell(r.hi, "+inf"),
                    cell(r.slope, ""),
                    cell(r.intercept, ""),
                )
            )
        return rows

    def _heading(self, digits: int | None) -> str:
        head = "exact" if self.exact else f"tolerance {self.tolerance}"
        view = "" if digits is None else f"; shown as decimals to {digits} significant digits"
        return f"{self.count} effective linear region(s) ({head}{view})"

    def table(self, digits: int | None = None) -> str:
        """Human-readable table of the regions.

        Parameters
        ----------
        digits : int, optional
            Show every number as a decimal with this many significant digits (a *view*: the
            exact rationals of trained networks can have ~70-digit denominators). Default:
            the exact values.

        Examples
        --------
        >>> print(linear_regions(Network([3], [-1], [1])).table(digits=3))
        2 effective linear region(s) (exact; shown as decimals to 3 significant digits)
        region   from     to  slope  intercept
             0   -inf  0.333      0          0
             1  0.333   +inf      3         -1
        """
        if digits is not None and (isinstance(digits, bool) or not 1 <= int(digits) <= 50):
            from ..errors import InvalidValueError

            raise InvalidValueError(f"digits: {digits!r} must be an integer from 1 to 50")
        rows = self._rows(digits)
        widths = [max(len(row[c]) for row in rows) for c in range(5)]
        lines = ["  ".join(cell.rjust(wd) for cell, wd in zip(row, widths)) for row in rows]
        return self._heading(digits) + "\n" + "\n".join(lines)

    def _repr_markdown_(self) -> str:
        rows = self._rows(6)
        lines = [f"**{self._heading(6)}**", "", "| " + " | ".join(rows[0]) + " |"]
        lines.append("|" + "---|" * len(rows[0]))
        lines += ["| " + " | ".join(row) + " |" for row in rows[1:]]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from html import escape

        rows = self._rows(6)
        head = "".join(f"<th>{escape(c)}</th>" for c in rows[0])
        body = "".join(
            "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows[1:]
        )
        return (
            f"<p><b>{escape(self._heading(6))}</b></p>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        )


def _text(value: Number | None) -> str | float | None:
    if value is None or isinstance(value, float):
        return value
    return fraction_text(value)


def _check_interval(interval: object) -> tuple[Fraction, Fraction] | None:
    if interval is None:
        return None
    try:
        lo_raw, hi_raw = interval  # type: ignore[misc]
    except (TypeError, ValueError):
        raise InvalidValueError(f"interval must be a pair (lo, hi); got {interval!r}") from None
    lo, hi = to_fraction(lo_raw, "interval lo"), to_fraction(hi_raw, "interval hi")
    if lo > hi:
        raise InvalidValueError(f"interval: lo = {lo} is greater than hi = {hi}")
    return lo, hi


# --- exact mode ----------------------------------------------------------------------------------


def _inside(lo: Fraction | None, hi: Fraction | None) -> Fraction:
    """A point strictly inside (lo, hi), either end possibly unbounded (a point if lo == hi)."""
    if lo is None:
        return Fraction(0) if hi is None else hi - 1
    return lo + 1 if hi is None else (lo + hi) / 2


def _exact_regions(net: Network, interval: tuple[Fraction, Fraction] | None) -> LinearRegions:
    f = piecewise_linear(net)
    if interval is None:
        cuts: list[Fraction | None] = [None, *f.breakpoints, None]
        inner = f.breakpoints
    else:
        lo, hi = interval
        inner = tuple(t for t in f.breakpoints if lo < t < hi)
        cuts = [lo, *inner, hi]
    regions = []
    for left, right in zip(cuts[:-1], cuts[1:]):
        p = f.piece_index(_inside(left, right))
        regions.append(Region(left, right, f.slopes[p], f.intercepts[p]))
    return LinearRegions(inner, tuple(regions), interval, exact=True)


def _count_float_exact(net: Network, interval: tuple[Fraction, Fraction] | None) -> int:
    """Exact count for a float network: float filter, exact decisions on float ties only."""
    w, b, v = net.arrays()
    keep = (w != 0) & (v != 0)
    w, b, v = w[keep], b[keep], v[keep]
    with np.errstate(over="ignore", under="ignore"):
        t = -b / w  # correctly rounded; may round to 0 or +-inf, which keeps the order
    if interval is not None:
        lo, hi = interval
        lo_f, hi_f = fraction_to_float(lo), fraction_to_float(hi)
        inside = (t > lo_f) & (t < hi_f)
        for i in np.flatnonzero((t == lo_f) | (t == hi_f)):
            inside[i] = lo < -Fraction(float(b[i])) / Fraction(float(w[i])) < hi
        t, w, b, v = t[inside], w[inside], b[inside], v[inside]
    if t.size == 0:
        return 1
    order = np.argsort(t)
    ts = t[order]
    starts = np.flatnonzero(np.concatenate([[True], ts[1:] != ts[:-1]]))
    sizes = np.diff(np.append(starts, ts.size))
    count = int(np.count_nonzero(sizes == 1))
    # Pairs of neurons on one float kink: decide location and cancellation with
    # error-free products (Dekker), falling back to Fractions outside their safe range.
    pair = starts[sizes == 2]
    i, j = order[pair], order[pair + 1]
    safe = _dekker_safe(w[i], b[i], v[i]) & _dekker_safe(w[j], b[j], v[j])
    i_s, j_s = i[safe], j[safe]
    same_place = _exact_equal(b[i_s], w[j_s], b[j_s], w[i_s])
    cancel = _exact_equal(v[i_s], np.abs(w[i_s]), -v[j_s], np.abs(w[j_s]))
    count += int(np.count_nonzero(~same_place)) * 2 + int(np.count_nonzero(same_place & ~cancel))
    groups = [order[a : a + n] for a, n in zip(starts[sizes > 2], sizes[sizes > 2])]
    groups += [np.array([a, c]) for a, c in zip(i[~safe], j[~safe])]
    for members in groups:
        jumps: dict[Fraction, Fraction] = {}
        for m in members.tolist():
            wq, bq, vq = Fraction(float(w[m])), Fraction(float(b[m])), Fraction(float(v[m]))
            loc = -bq / wq
            jumps[loc] = jumps.get(loc, Fraction(0)) + vq * abs(wq)
        count += sum(1 for c in jumps.values() if c)
    return count + 1


# Dekker's TwoProduct is exact when no operand, partial product or error term leaves
# the normal range; operands within 2^-450 .. 2^450 (or zero) keep it far inside.
_DEKKER_LO, _DEKKER_HI = 2.0**-450, 2.0**450


def _dekker_safe(*arrays: np.ndarray) -> np.ndarray:
    ok = np.ones(arrays[0].shape, dtype=bool)
    for a in arrays:
        m = np.abs(a)
        ok &= (m == 0) | ((m >= _DEKKER_LO) & (m <= _DEKKER_HI))
    return ok


def _two_product(a: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``a * c == p + e`` exactly, with ``p = fl(a * c)`` (Dekker 1971, Veltkamp splitting)."""
    p = a * c
    a_hi, a_lo = _split(a)
    c_hi, c_lo = _split(c)
    e = ((a_hi * c_hi - p) + a_hi * c_lo + a_lo * c_hi) + a_lo * c_lo
    return p, e


def _split(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    big = 134217729.0 * a  # 2^27 + 1
    hi = big - (big - a)
    return hi, a - hi


def _exact_equal(a: np.ndarray, c: np.ndarray, d: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Exact test ``a * c == d * f``: the pair (p, e) of TwoProduct is unique to the value."""
    p1, e1 = _two_product(a, c)
    p2, e2 = _two_product(d, f)
    return (p1 == p2) & (e1 == e2)


# --- tolerance mode --------------------------------------------------------------------------


def _tolerance_regions(
    net: Network, interval: tuple[Fraction, Fraction] | None, tol: Tolerance
) -> LinearRegions:
    w, b, v = net.arrays()
    keep = (w != 0) & (v != 0)
    wk, bk, vk = w[keep], b[keep], v[keep]
    with np.errstate(over="ignore", under="ignore"):
        t = -bk / wk
    c = vk * np.abs(wk)
    fin = np.isfinite(t)
    order = np.argsort(t[fin], kind="stable")
    loc_f, jump_f = _clusters(t[fin][order], c[fin][order], tol)
    # Kinks beyond the float range (|b_j / w_j| > 1.8e308) keep their exact location and
    # stay single: nothing within a relative distance of them is a float. Their moment
    # jump * location is -v_j b_j sign(w_j), a finite number.
    far = [
        (-_q(bj) / _q(wj), float(cj), -_q(vj) * _q(bj) * (1 if wj > 0 else -1))
        for wj, bj, vj, cj in zip(wk[~fin], bk[~fin], vk[~fin], c[~fin])
    ]
    neg = sorted(f for f in far if f[0] < 0)
    pos = sorted(f for f in far if f[0] > 0)
    locations: list[Number] = [f[0] for f in neg] + loc_f.tolist() + [f[0] for f in pos]
    jumps = np.concatenate([[f[1] for f in neg], jump_f, [f[1] for f in pos]])
    moments = (
        [f[2] for f in neg]
        + [_q(j) * _q(q) for j, q in zip(jump_f, loc_f)]
        + [f[2] for f in pos]
    )
    big = np.abs(jumps) > tol.jump * np.max(np.abs(jumps)) if jumps.size else jumps > 0
    # Exact running sums (the floats are dyadic rationals), rounded once: no overflow to inf
    # and no cancellation between a 1e300 moment and the rest. A dropped cluster left of 0
    # moves to -infinity (its affine part stays), one right of 0 to +infinity: the described
    # function equals N at 0 whatever the kink's distance.
    neg_w, flat_on = w < 0, (w == 0) & (b > 0)
    slope = _exact_dot(v[neg_w], w[neg_w])
    icept = _exact_dot(v[neg_w], b[neg_w]) + _exact_dot(v[flat_on], b[flat_on])
    for q, jq, mq, kept in zip(locations, jumps.tolist(), moments, big.tolist()):
        if not kept and q < 0:
            slope += _q(jq)
            icept -= mq
    slopes, intercepts = [slope], [icept]
    for jq, mq, kept in zip(jumps.tolist(), moments, big.tolist()):
        if kept:
            slopes.append(slopes[-1] + _q(jq))
            intercepts.append(intercepts[-1] - mq)
    locations = [q for q, kept in zip(locations, big.tolist()) if kept]
    if interval is None:
        inner = locations
        cuts: list[Number | None] = [None, *inner, None]
        first = 0
    else:
        lo, hi = interval  # exact comparisons: a float and a Fraction compare exactly
        inner = [q for q in locations if lo < q < hi]
        cuts = [_float_if_finite(lo), *inner, _float_if_finite(hi)]
        first = sum(1 for q in locations if q <= lo)
    regions = tuple(
        Region(
            cuts[i],
            cuts[i + 1],
            fraction_to_float(slopes[first + i]),
            fraction_to_float(intercepts[first + i]),
        )
        for i in range(len(cuts) - 1)
    )
    return LinearRegions(tuple(inner), regions, interval, exact=False, tolerance=tol)


def _q(x: float) -> Fraction:
    return Fraction(float(x))


def _exact_dot(a: np.ndarray, d: np.ndarray) -> Fraction:
    return sum((_q(s) * _q(t) for s, t in zip(a.tolist(), d.tolist())), Fraction(0))


def _float_if_finite(q: Fraction) -> Number:
    """``q`` as a float, or exactly when it is beyond the float range."""
    f = fraction_to_float(q)
    return f if np.isfinite(f) else q


def _clusters(t: np.ndarray, c: np.ndarray, tol: Tolerance) -> tuple[np.ndarray, np.ndarray]:
    """Chain sorted finite kinks closer than the relative distance (jumps summed)."""
    if t.size == 0:
        return t, c
    gaps = np.diff(t)
    scale = np.maximum(1.0, np.maximum(np.abs(t[1:]), np.abs(t[:-1])))
    starts = np.concatenate([[0], np.flatnonzero(~(gaps <= tol.distance * scale)) + 1])
    jumps = np.add.reduceat(c, starts)
    weights = np.abs(c)
    wsum = np.add.reduceat(weights, starts)
    with np.errstate(invalid="ignore", over="ignore"):
        locations = np.add.reduceat(weights * t, starts) / wsum
    locations = np.where(np.isfinite(locations), locations, t[starts]) + 0.0  # no -0.0
    return locations, jumps


# --- public entry points -----------------------------------------------------------------------


def _dimension(net: object, interval: object, tol: object, box: object) -> Network | None:
    """The univariate network to work on, or None for a 2-D network (options checked)."""
    if isinstance(net, NetworkNd):
        if net.d == 2:
            if interval is not None:
                raise InvalidValueError(
                    "interval is for d = 1; give box=(xlo, xhi, ylo, yhi) for a 2-D network"
                )
            if tol is not None:
                raise InvalidValueError(
                    "tol: tolerance mode is for univariate networks; regions in the plane are "
                    "exact only"
                )
            return None
        if net.d != 1:
            raise InvalidNetworkError(
                f"effective regions need a network with d = 1 or d = 2; this one has d = {net.d}"
            )
        net = net.to_univariate()
    if box is not None:
        raise InvalidValueError("box is for 2-D networks; give interval=(lo, hi) for d = 1")
    return net


def linear_regions(
    net: Network | NetworkNd,
    interval: object = None,
    tol: float | Tolerance | None = None,
    *,
    box: object = None,
) -> LinearRegions | plane.PlaneRegions:
    """The effective linear regions of ``net`` on R or on the closed interval ``[lo, hi]``.

    Parameters
    ----------
    net : Network or NetworkNd
        Exact or float network (floats are taken as their exact values); a
        :class:`~pwl_kkt.model.network_nd.NetworkNd` with ``d = 1`` or ``d = 2``.
    interval : pair, optional
        ``(lo, hi)`` with ``lo <= hi``, read exactly (``"1/3"`` is one third).
    tol : float or Tolerance, optional
        Switch to the approximate tolerance mode described at :class:`Tolerance`.
    box : (xlo, xhi, ylo, yhi), optional
        For ``d = 2``: the regions meeting this open box (read exactly), clipped to it.
        Default: a box holding every vertex of the arrangement, so every region appears,
        the unbounded ones clipped.

    Returns
    -------
    LinearRegions or PlaneRegions
        Breakpoints (exact in exact mode), and every region with its interval,
        slope and intercept; in the plane, :class:`~pwl_kkt.geometry.plane.PlaneRegions`:
        the lines, and every region as an exact polygon with its gradient and offset.

    Examples
    --------
    >>> net = Network([3, 6, 1], [-1, -2, 0], [2, -1, 1])  # kinks at 1/3 cancel
    >>> linear_regions(net).count
    2
    >>> linear_regions(net, interval=(1, 2)).count
    1
    >>> linear_regions(NetworkNd([[1, 0], [0, 1]], [0, 0], [1, 1])).count  # the plane
    4
    """
    univariate = _dimension(net, interval, tol, box)
    if univariate is None:
        return plane._plane_regions(net, box)
    net = univariate
    bounds = _check_interval(interval)
    if tol is not None:
        return _tolerance_regions(net, bounds, Tolerance.of(tol))
    return _exact_regions(net, bounds)


def count_regions(
    net: Network | NetworkNd,
    interval: object = None,
    tol: float | Tolerance | None = None,
    *,
    box: object = None,
) -> int:
    """Effective number of linear regions: true breakpoints (inside the interval) + 1.

    Exact unless ``tol`` is given. Float networks take the fast filtered path:
    one sort of the float kinks, exact arithmetic only for float ties.

    For a 2-D :class:`~pwl_kkt.model.network_nd.NetworkNd` it is the number of faces of
    the arrangement of its lines, on R^2 or meeting the open ``box=(xlo, xhi, ylo, yhi)``:
    ``1 + m + sum_P (mu_P - 1)`` over the m lines with nonzero jump and their intersection
    points P (``mu_P`` lines through P), decided exactly (:mod:`pwl_kkt.geometry.plane`).

    Examples
    --------
    >>> count_regions(Network([1, -1], [0, 0], [1, 1]))
    2
    >>> count_regions(Network([3, 6], [-1, -2], [2, -1]))  # exact cancellation at 1/3
    1
    >>> net = NetworkNd([[1, 0], [0, 1], [1, 1]], [0, 0, 0], [1, 1, 1])  # 3 lines through 0
    >>> count_regions(net), count_regions(net, box=(1, 2, -1, 1))
    (6, 2)
    """
    univariate = _dimension(net, interval, tol, box)
    if univariate is None:
        return plane._count_plane(net, box)
    net = univariate
    bounds = _check_interval(interval)
    if tol is not None:
        return _tolerance_regions(net, bounds, Tolerance.of(tol)).count
    if net.is_exact:
        f = piecewise_linear(net)
        if bounds is None:
            return f.count
        return 1 + sum(1 for t in f.breakpoints if bounds[0] < t < bounds[1])
    return _count_float_exact(net, bounds)


# --- graph view -------------------------------------------------------------------------------


def region_graph(net: Network | NetworkNd, *, box: object = None) -> nx.Graph:
    """Adjacency graph of the raw pieces cut by every candidate kink, before merging.

    Nodes ``0..m`` are the intervals between consecutive distinct kink locations
    ``-b_j / w_j`` (``w_j != 0``, zero output weights and cancelling jumps included), with
    attributes ``lo``, ``hi``, ``slope`` and ``intercept``. The affine maps are prefix sums
    in exact rationals: far left ``N(x) = sum_{w_j < 0} v_j (w_j x + b_j)`` (plus the
    constants ``v_j b_j`` of neurons with ``w_j = 0 < b_j``), and crossing the kink of
    neuron j adds ``v_j |w_j|`` to the slope and ``sign(w_j) v_j b_j`` to the intercept
    (the neuron switches on, ``w_j > 0``, or off, ``w_j < 0``). So the whole graph costs
    ``O(k log k)`` rational operations instead of an evaluation of the network per piece.
    Neighbouring pieces are joined by an edge with ``same_affine`` true when the
    two maps are equal. In one dimension this graph is a path; in two
    dimensions the cells of a line arrangement give a planar graph, and merging
    is the same connected-components step (:func:`merged_regions`).

    For a 2-D :class:`~pwl_kkt.model.network_nd.NetworkNd` the nodes are the faces cut by
    every line of a neuron with ``w_j != 0`` inside ``box`` (default: a box holding every
    vertex), with attributes ``vertices`` (exact polygon), ``gradient``, ``offset`` and
    ``clipped``; edges join faces sharing a side and carry ``line`` and ``same_affine``.

    Examples
    --------
    >>> g = region_graph(Network([3, 6], [-1, -2], [2, -1]))
    >>> g.number_of_nodes(), g.edges[0, 1]["same_affine"]
    (2, True)
    >>> g = region_graph(NetworkNd([[1, 0], [-1, 0]], [0, 0], [1, -1]))  # x = 0 cancels
    >>> g.number_of_nodes(), len(merged_regions(g))
    (2, 1)
    """
    univariate = _dimension(net, None, None, box)
    if univariate is None:
        return plane._plane_graph(net, box)
    net = univariate
    slope = intercept = Fraction(0)
    steps: dict[Fraction, list[Fraction]] = {}
    for wj, bj, vj in zip(*net.fractions()):
        if wj:
            step = steps.setdefault(-bj / wj, [Fraction(0), Fraction(0)])
            if vj:
                step[0] += vj * abs(wj)
                step[1] += vj * bj if wj > 0 else -vj * bj
                if wj < 0:
                    slope += vj * wj
                    intercept += vj * bj
        elif bj > 0:
            intercept += vj * bj
    cuts = sorted(steps)
    graph = nx.Graph()
    edges: list[Fraction | None] = [None, *cuts, None]
    for p in range(len(cuts) + 1):
        graph.add_node(p, lo=edges[p], hi=edges[p + 1], slope=slope, intercept=intercept)
        if p < len(cuts):
            ds, di = steps[cuts[p]]
            slope += ds
            intercept += di
    for p in range(len(cuts)):
        a, c = graph.nodes[p], graph.nodes[p + 1]
        same = (a["slope"], a["intercept"]) == (c["slope"], c["intercept"])
        graph.add_edge(p, p + 1, same_affine=same)
    return graph


def merged_regions(graph: nx.Graph) -> tuple[Region, ...] | tuple[plane.PlaneRegion, ...]:
    """Merge pieces joined by ``same_affine`` edges: one region per connected component.

    A graph of a 2-D network (from :func:`region_graph`) gives
    :class:`~pwl_kkt.geometry.plane.PlaneRegion` polygons: each component is one convex
    region, the convex hull of its faces.

    Examples
    --------
    >>> merged_regions(region_graph(Network([1, -1], [0, 0], [1, 1])))[0].slope
    Fraction(-1, 1)
    """
    if graph.graph.get("d") == 2:
        return plane._merge_plane(graph)
    same = nx.Graph()
    same.add_nodes_from(graph.nodes)
    same.add_edges_from((a, c) for a, c, d in graph.edges(data=True) if d["same_affine"])
    regions = []
    for component in nx.connected_components(same):
        nodes = [graph.nodes[p] for p in sorted(component)]
        regions.append(
            Region(nodes[0]["lo"], nodes[-1]["hi"], nodes[0]["slope"], nodes[0]["intercept"])
        )
    return tuple(sorted(regions, key=lambda r: (r.lo is not None, r.lo)))
