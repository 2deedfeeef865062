"""The exact piecewise-linear form of a network.

Neuron j with ``w_j != 0`` kinks at ``t_j = -b_j / w_j`` and raises the slope of
N there by ``c_j = v_j |w_j|`` (for either sign of ``w_j``). Far left, exactly
the neurons with ``w_j < 0`` are active; far right, those with ``w_j > 0``:

    slope(-inf) = sum_{w_j < 0} v_j w_j,     intercept(-inf) = sum_{w_j < 0} v_j b_j
    slope(+inf) = sum_{w_j > 0} v_j w_j

Kinks that share a location add their jumps; a location whose total jump is
exactly zero is not a breakpoint.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .._rational import fraction_text, fraction_to_float, to_fraction
from ..model.network import Network

__all__ = ["PiecewiseLinear", "exact_kinks", "piecewise_linear"]


@dataclass(frozen=True)
class PiecewiseLinear:
    """A continuous piecewise-linear function on the real line, held exactly.

    Piece ``p`` is the interval between ``breakpoints[p-1]`` and ``breakpoints[p]``
    (unbounded at the ends), on which ``f(x) = slopes[p] * x + intercepts[p]``.

    Attributes
    ----------
    breakpoints : tuple of Fraction
        Sorted, distinct points where the slope truly changes.
    slopes, intercepts : tuple of Fraction
        One more entry than ``breakpoints``.

    Examples
    --------
    >>> f = piecewise_linear(Network([1, -1], [0, 0], [1, 1]))  # |x|
    >>> f.breakpoints, f.slopes
    ((Fraction(0, 1),), (Fraction(-1, 1), Fraction(1, 1)))
    >>> f(-3)
    Fraction(3, 1)
    """

    breakpoints: tuple[Fraction, ...]
    slopes: tuple[Fraction, ...]
    intercepts: tuple[Fraction, ...]

    @property
    def count(self) -> int:
        """Effective number of linear regions on R: breakpoints + 1."""
        return len(self.breakpoints) + 1

    @property
    def left_slope(self) -> Fraction:
        """Slope left of every breakpoint."""
        return self.slopes[0]

    @property
    def right_slope(self) -> Fraction:
        """Slope right of every breakpoint."""
        return self.slopes[-1]

    def values(self) -> tuple[Fraction, ...]:
        """``f`` at every breakpoint, exactly.

        Examples
        --------
        >>> piecewise_linear(Network([1], [-2], [3])).values()
        (Fraction(0, 1),)
        """
        return tuple(s * t + c for t, s, c in zip(self.breakpoints, self.slopes, self.intercepts))

    def piece_index(self, x: Fraction) -> int:
        """Index of the piece containing ``x`` (a breakpoint belongs to the piece on its right)."""
        return bisect.bisect_right(self.breakpoints, x)

    def __call__(self, x: object) -> Fraction:
        """Exact value at ``x``."""
        q = to_fraction(x, "x")
        p = self.piece_index(q)
        return self.slopes[p] * q + self.intercepts[p]

    def evaluate(self, x: object) -> np.ndarray:
        """Float values at the points ``x`` (vectorized; one binary search per point).

        Examples
        --------
        >>> piecewise_linear(Network([1, -1], [0, 0], [1, 1])).evaluate([-2.0, 0.5])
        array([2. , 0.5])
        """
        xs = np.asarray(x, dtype=np.float64)
        bps = np.array([fraction_to_float(t) for t in self.breakpoints], dtype=np.float64)
        s = np.array([fraction_to_float(t) for t in self.slopes], dtype=np.float64)
        c = np.array([fraction_to_float(t) for t in self.intercepts], dtype=np.float64)
        p = np.searchsorted(bps, xs, side="right")
        return s[p] * xs + c[p]

    def sign_changes(self, zero_sign: int = -1) -> tuple[Fraction, ...]:
        """Exact points where the label ``sign(f(x))`` changes, with ``sign(0) = zero_sign``.

        The line is cut at every breakpoint and every zero of ``f`` into open
        intervals on which ``f`` is positive, negative or identically zero; a
        change point is a cut whose two neighbouring intervals get different
        labels. An isolated zero with the same label on both sides is not a
        change (it has measure zero).

        Examples
        --------
        >>> f = piecewise_linear(Network([1, 1], [0, -1], [1, -2]))  # x on [0,1], 2 - x beyond
        >>> f.sign_changes()
        (Fraction(0, 1), Fraction(2, 1))
        """
        if zero_sign not in (-1, 1):
            raise ValueError(f"zero_sign must be -1 or +1; got {zero_sign!r}")
        points = list(self.critical_points())
        labels = [self._label(self._probe(points, i), zero_sign) for i in range(len(points) + 1)]
        return tuple(t for i, t in enumerate(points) if labels[i] != labels[i + 1])

    def critical_points(self) -> tuple[Fraction, ...]:
        """Breakpoints and the zeros of ``f`` inside its pieces, sorted and exact.

        Between consecutive critical points ``f`` is affine and has a constant sign
        (or is identically zero).

        Examples
        --------
        >>> piecewise_linear(Network([1, 1], [0, -1], [1, -2])).critical_points()
        (Fraction(0, 1), Fraction(1, 1), Fraction(2, 1))
        """
        cuts = set(self.breakpoints)
        edges = (None, *self.breakpoints, None)
        for p, (s, c) in enumerate(zip(self.slopes, self.intercepts)):
            if s:
                z = -c / s
                lo, hi = edges[p], edges[p + 1]
                if (lo is None or z > lo) and (hi is None or z < hi):
                    cuts.add(z)
        return tuple(sorted(cuts))

    @staticmethod
    def _probe(points: list[Fraction], i: int) -> Fraction:
        """A point strictly inside the i-th open interval cut by ``points``."""
        if not points:
            return Fraction(0)
        if i == 0:
            return points[0] - 1
        if i == len(points):
            return points[-1] + 1
        return (points[i - 1] + points[i]) / 2

    def _label(self, x: Fraction, zero_sign: int) -> int:
        value = self(x)
        return 1 if value > 0 else -1 if value < 0 else zero_sign

    def to_dict(self) -> dict[str, list[str]]:
        """JSON-ready form with exact ``"p/q"`` strings."""
        return {
            "breakpoints": [fraction_text(t) for t in self.breakpoints],
            "slopes": [fraction_text(t) for t in self.slopes],
            "intercepts": [fraction_text(t) for t in self.intercepts],
        }

    @classmethod
    def from_dict(cls, data: dict[str, list[str]]) -> PiecewiseLinear:
        """Inverse of :meth:`to_dict`."""
        return cls(
            *(tuple(Fraction(t) for t in data[k]) for k in ("breakpoints", "slopes", "intercepts"))
        )


def exact_kinks(net: Network) -> dict[Fraction, Fraction]:
    """Total exact jump of the slope at every kink location (zero totals included).

    ``{t: sum of v_j |w_j| over neurons j with w_j != 0, v_j != 0, -b_j / w_j = t}``

    Examples
    --------
    >>> exact_kinks(Network([3, 6], [-1, -2], [2, -1]))
    {Fraction(1, 3): Fraction(0, 1)}
    """
    jumps: dict[Fraction, Fraction] = {}
    for wj, bj, vj in zip(*net.fractions()):
        if wj and vj:
            t = -bj / wj
            jumps[t] = jumps.get(t, Fraction(0)) + vj * abs(wj)
    return jumps


def piecewise_linear(net: Network) -> PiecewiseLinear:
    """Exact piecewise-linear form of ``N(x) = sum_j v_j relu(w_j x + b_j)`` on R.

    Starting from the far-left affine map, each breakpoint ``t`` with total
    jump ``c`` updates ``slope += c`` and ``intercept -= c * t`` (continuity).

    Examples
    --------
    >>> f = piecewise_linear(Network([3, 6, 1], [-1, -2, 0], [2, -1, 1]))
    >>> f.breakpoints  # the shared kink at 1/3 cancels exactly
    (Fraction(0, 1),)
    >>> f.slopes, f.intercepts
    ((Fraction(0, 1), Fraction(1, 1)), (Fraction(0, 1), Fraction(0, 1)))
    """
    slope = Fraction(0)
    intercept = Fraction(0)
    for wj, bj, vj in zip(*net.fractions()):
        if not vj:
            continue
        if wj < 0:
            slope += vj * wj
            intercept += vj * bj
        elif wj == 0 and bj > 0:
            intercept += vj * bj
    jumps = exact_kinks(net)
    breakpoints = sorted(t for t, c in jumps.items() if c)
    slopes, intercepts = [slope], [intercept]
    for t in breakpoints:
        c = jumps[t]
        slope += c
        intercept -= c * t
        slopes.append(slope)
        intercepts.append(intercept)
    return PiecewiseLinear(tuple(breakpoints), tuple(slopes), tuple(intercepts))
