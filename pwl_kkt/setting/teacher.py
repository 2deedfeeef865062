"""The teacher-student setting of Safran, Vardi & Lee (2022) (Assumptions 2.1 and 2.2), exactly.

A teacher ``N*`` of width r labels ``x`` by ``sign(N*(x))`` with the paper's
convention ``sign(0) = -1``. Everything about labels here is decided exactly
from the teacher's piecewise-linear form (:func:`pwl_kkt.piecewise_linear`):
its sign changes, the rho of Assumption 2.2, and the population error
``P[sign N(x) != sign N*(x)]`` for uniform and piecewise-uniform densities.

Distributions live on ``[-R, R]``; their parameters are exact rationals, so
interval measures (and the population error) are exact Fractions. Samples are
float64 (their dyadic values are what the exact labelling sees).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from .. import _defaults, _seeding
from .._rational import fraction_text, fraction_to_float, fractions_of, to_fraction
from ..errors import InvalidNetworkError, InvalidValueError
from ..geometry.pwl import PiecewiseLinear, piecewise_linear
from ..model.data import Dataset
from ..model.network import Network
from ..model.network_nd import NetworkNd

__all__ = [
    "PiecewiseUniform",
    "TeacherStudent",
    "Uniform",
    "init_network",
    "label_changes",
    "population_error",
    "random_teacher",
    "rho",
    "sign_changes_inside",
    "teacher_labels",
    "teacher_network",
    "teacher_student_setup",
]

_ZERO_SIGN = -1  # Safran, Vardi & Lee (2022): sign(z) = 1 if z > 0 and -1 otherwise


def _label(value: Fraction) -> int:
    return 1 if value > 0 else _ZERO_SIGN


def _positive_fraction(value: object, name: str) -> Fraction:
    q = to_fraction(value, name)
    if q <= 0:
        raise InvalidValueError(f"{name}: {fraction_text(q)} must be positive")
    return q


def _check_label(first_label: object) -> int:
    if first_label not in (-1, 1) or isinstance(first_label, bool):
        raise InvalidValueError(f"first_label: {first_label!r} must be -1 or +1")
    return int(first_label)  # type: ignore[arg-type]


# --- teachers ----------------------------------------------------------------------------------


def teacher_network(sign_changes: Sequence[object], first_label: int = -1) -> Network:
    """An exact width-r network whose label ``sign(N*(x))`` changes exactly at the r given points.

    With ``t_1 < ... < t_r`` and ``first_label`` the label left of ``t_1``:

    * ``first_label = -1``: ``N* = relu(x - t_1) + sum_{j >= 2} 2 (-1)^(j-1) relu(x - m_j)``
      with ``m_j = (t_{j-1} + t_j) / 2``, a zigzag of slopes +-1 that is 0 left
      of ``t_1`` (label -1, as ``sign(0) = -1``) and crosses zero at each ``t_j``;
    * ``first_label = +1``: ``relu(t_1 - x)`` (label +1 left of ``t_1``, 0 right
      of it) plus the same zigzag started at ``t_2``.

    Either way the width is exactly r and
    ``piecewise_linear(N*).sign_changes(zero_sign=-1) == (t_1, ..., t_r)``.

    Raises
    ------
    InvalidValueError
        No points, points that are not strictly increasing, or a bad ``first_label``.

    Examples
    --------
    >>> net = teacher_network(["-1/2", 0, "1/2"])
    >>> piecewise_linear(net).sign_changes(zero_sign=-1)
    (Fraction(-1, 2), Fraction(0, 1), Fraction(1, 2))
    >>> net.width, teacher_network([0], first_label=1).exact_value(-1)
    (3, Fraction(1, 1))
    """
    points = fractions_of(sign_changes, "sign_changes")
    first_label = _check_label(first_label)
    if not points:
        raise InvalidValueError("sign_changes: at least one sign change is needed (r >= 1)")
    for i in range(1, len(points)):
        if points[i] <= points[i - 1]:
            raise InvalidValueError(
                f"sign_changes[{i}] = {fraction_text(points[i])} is not greater than "
                f"sign_changes[{i - 1}] = {fraction_text(points[i - 1])}"
            )
    w: list[Fraction] = []
    b: list[Fraction] = []
    v: list[Fraction] = []
    if first_label == 1:
        w.append(Fraction(-1))
        b.append(points[0])
        v.append(Fraction(1))
        rest = points[1:]
    else:
        rest = points
    if rest:
        w.append(Fraction(1))
        b.append(-rest[0])
        v.append(Fraction(1))
        for j in range(1, len(rest)):
            m = (rest[j - 1] + rest[j]) / 2
            w.append(Fraction(1))
            b.append(-m)
            v.append(Fraction(-2 if j % 2 else 2))
    return Network(w, b, v, exact=True)


def random_teacher(
    r: int,
    R: object = 1,
    seed: int | np.random.Generator | None = None,
    first_label: int | None = None,
    changes: int | None = None,
) -> Network:
    """A random exact width-r teacher with ``changes`` (default r) sign changes inside ``(-R, R)``.

    With ``m = changes``, ``[-R, R]`` is cut into ``M = 8 (m + 1)`` cells of width
    ``2R / M``; the m + 1 gaps between ``-R``, the sign changes and ``R`` are
    ``1 + multinomial`` cells, so every gap is at least one cell:
    ``rho >= R / (4 (m + 1))``. The label left of the first change is
    ``first_label`` (random when None). The network is :func:`teacher_network` of
    those points plus, when ``m < r``, ``r - m`` neurons ``(-1)^j relu(x - R - j)``
    that are inactive on ``[-R, R]`` (they act only beyond R).

    Raises
    ------
    InvalidValueError
        ``r < 1``, ``changes`` outside ``1..r``, or ``R <= 0``.

    Examples
    --------
    >>> net = random_teacher(3, R=1, seed=0)
    >>> len(sign_changes_inside(net, 1)), rho(net, 1) >= Fraction(1, 16)
    (3, True)
    >>> wide = random_teacher(5, R=1, seed=0, changes=2)
    >>> wide.width, len(sign_changes_inside(wide, 1))
    (5, 2)
    """
    r = _integer(r, "r", 1)
    m = r if changes is None else _integer(changes, "changes", 1)
    if m > r:
        raise InvalidValueError(f"changes: {m} exceeds the width r = {r}")
    R = _positive_fraction(R, "R")
    rng = _seeding.rng(seed)
    cells = 8 * (m + 1)
    gaps = 1 + rng.multinomial(cells - (m + 1), [1.0 / (m + 1)] * (m + 1))
    ends = np.cumsum(gaps)[:-1]
    points = [-R + 2 * R * Fraction(int(e), cells) for e in ends]
    if first_label is None:
        first_label = int(rng.choice([-1, 1]))
    net = teacher_network(points, first_label)
    if m == r:
        return net
    w, b, v = (list(p) for p in net.fractions())
    for j in range(1, r - m + 1):
        w.append(Fraction(1))
        b.append(-R - j)
        v.append(Fraction((-1) ** j))
    return Network(w, b, v, exact=True)


def _integer(value: object, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InvalidValueError(f"{name}: {value!r} is not an integer")
    if int(value) < minimum:
        raise InvalidValueError(f"{name}: {value!r} must be at least {minimum}")
    return int(value)


def sign_changes_inside(net: Network, R: object) -> tuple[Fraction, ...]:
    """Exact points strictly inside ``(-R, R)`` where ``sign(N(x))`` (``sign(0) = -1``) changes.

    Examples
    --------
    >>> sign_changes_inside(teacher_network([-2, 0, 2]), 1)
    (Fraction(0, 1),)
    """
    R = _positive_fraction(R, "R")
    return tuple(t for t in piecewise_linear(net).sign_changes(zero_sign=_ZERO_SIGN) if -R < t < R)


def rho(net: Network, R: object) -> Fraction:
    """The rho of Assumption 2.2: the shortest maximal constant-sign interval inside ``[-R, R]``.

    With the sign changes ``t_1 < ... < t_m`` strictly inside ``(-R, R)``, the
    maximal intervals on which ``sign(N*)`` is constant are ``[-R, t_1]``,
    ``[t_1, t_2]``, ..., ``[t_m, R]``; the two end pieces count (they are maximal
    inside ``[-R, R]``), so

        rho = min(t_1 + R, t_2 - t_1, ..., R - t_m),   and rho = 2R if m = 0.

    A change exactly at ``-R`` or ``R`` only affects that single point (measure
    zero) and is not counted. Isolated points where ``N* = 0`` inside an
    interval with label +1 (a touch of zero) do not split it either.

    Examples
    --------
    >>> rho(teacher_network(["-1/2", "1/4"]), 1)
    Fraction(1, 2)
    """
    R = _positive_fraction(R, "R")
    points = [-R, *sign_changes_inside(net, R), R]
    return min(b - a for a, b in zip(points, points[1:]))


def label_changes(x: Sequence[object], y: Sequence[object]) -> int:
    """Number of label changes along the sorted sample: ``|{i : y_i != y_{i+1}}|``.

    Theorem 4.2 of Safran, Vardi & Lee (2022): for data labelled by a width-r teacher this is at
    most r, and it may replace r in the bound ``32 r + 67``. Points sharing an x
    must share a label (else :class:`NotSeparableError`).

    Examples
    --------
    >>> label_changes([3, 1, 2, 0], [1, -1, 1, -1])
    1
    """
    data = Dataset(x, y) if not isinstance(x, Dataset) else x
    data.require_separable()
    order = sorted(range(data.n), key=lambda i: data.x_exact[i])
    ys = [int(data.y[i]) for i in order]
    return sum(1 for a, c in zip(ys, ys[1:]) if a != c)


def teacher_labels(net: Network, x: object) -> np.ndarray:
    """Exact labels ``sign(N*(x_i))`` with ``sign(0) = -1``, as an int8 array.

    ``x`` is a sequence (read exactly, floats as their dyadic values) or a
    float array. Points away from every breakpoint and zero of ``N*`` take the
    (exactly determined) label of their interval from a float binary search;
    points within a relative 1e-9 of one are labelled by exact evaluation.

    Examples
    --------
    >>> teacher_labels(teacher_network([0]), [-1, 0, "1/3"])
    array([-1, -1,  1], dtype=int8)
    """
    pl = piecewise_linear(net)
    if isinstance(x, np.ndarray) and x.dtype.kind == "f":
        xs = np.asarray(x, dtype=np.float64)
        if not np.isfinite(xs).all():
            i = int(np.flatnonzero(~np.isfinite(xs))[0])
            raise InvalidValueError(f"x[{i}]: {float(xs[i])!r} is not a finite number")
        exact_x: Sequence[Fraction] | None = None
    else:
        exact_x = fractions_of(x, "x")
        xs = np.array([fraction_to_float(q) for q in exact_x], dtype=np.float64)
    cuts = list(pl.critical_points())  # where a label may differ from its neighbours'
    # Label of each open interval between consecutive cuts, decided exactly at a probe point.
    probes = [PiecewiseLinear._probe(cuts, i) for i in range(len(cuts) + 1)]
    interval_labels = np.array([_label(pl(t)) for t in probes], dtype=np.int8)
    fcuts = np.array([fraction_to_float(t) for t in cuts], dtype=np.float64)
    pos = np.searchsorted(fcuts, xs)
    out = np.array(interval_labels[pos], dtype=np.int8)
    if fcuts.size:
        near = np.zeros(xs.shape, dtype=bool)
        for shift in (-1, 0):
            j = np.clip(pos + shift, 0, fcuts.size - 1)
            near |= np.abs(xs - fcuts[j]) <= 1e-9 * (1.0 + np.abs(fcuts[j]))
        for i in np.flatnonzero(near).tolist():
            q = exact_x[i] if exact_x is not None else Fraction(float(xs[i]))
            out[i] = _label(pl(q))
    return out


# --- distributions on [-R, R] -----------------------------------------------------------------


@dataclass(frozen=True)
class PiecewiseUniform:
    """A piecewise-constant density on ``[-R, R]`` with exact rational parameters.

    Density ``densities[j]`` on ``[edges[j], edges[j+1])``; ``edges[0] = -R``,
    ``edges[-1] = R``, every density >= 0 and ``sum_j densities[j] (edges[j+1] -
    edges[j]) = 1`` exactly. ``C = max_j densities[j]`` is the density bound of
    Assumption 2.2.

    Raises
    ------
    InvalidValueError
        Edges not increasing or not symmetric, a negative density, or total mass not 1.

    Examples
    --------
    >>> d = PiecewiseUniform([-1, 0, 1], ["1/4", "3/4"])
    >>> d.C, d.measure(-1, "1/2")
    (Fraction(3, 4), Fraction(5, 8))
    """

    edges: tuple[Fraction, ...]
    densities: tuple[Fraction, ...]

    def __init__(self, edges: Sequence[object], densities: Sequence[object]) -> None:
        e = fractions_of(edges, "edges")
        d = fractions_of(densities, "densities")
        if len(e) < 2 or len(d) != len(e) - 1:
            raise InvalidValueError(
                f"need len(edges) = len(densities) + 1 >= 2; got {len(e)} and {len(d)}"
            )
        if e[-1] <= 0 or e[0] != -e[-1]:
            raise InvalidValueError(
                f"edges must run from -R to R with R > 0; got {fraction_text(e[0])} to "
                f"{fraction_text(e[-1])}"
            )
        for i in range(1, len(e)):
            if e[i] <= e[i - 1]:
                raise InvalidValueError(f"edges[{i}] = {fraction_text(e[i])} is not increasing")
        for j, q in enumerate(d):
            if q < 0:
                raise InvalidValueError(f"densities[{j}] = {fraction_text(q)} is negative")
        mass = sum((q * (e[j + 1] - e[j]) for j, q in enumerate(d)), Fraction(0))
        if mass != 1:
            raise InvalidValueError(f"the densities integrate to {fraction_text(mass)}, not 1")
        object.__setattr__(self, "edges", e)
        object.__setattr__(self, "densities", d)

    @property
    def R(self) -> Fraction:  # noqa: N802 - the paper's name
        """Half-width of the support ``[-R, R]``."""
        return self.edges[-1]

    @property
    def C(self) -> Fraction:  # noqa: N802 - the paper's name
        """Density bound ``sup_x mu(x)``."""
        return max(self.densities)

    @classmethod
    def random(
        cls,
        R: object = 1,
        C: object = 2,
        pieces: int = 4,
        seed: int | np.random.Generator | None = None,
    ) -> PiecewiseUniform:
        """Random densities on ``pieces`` equal cells of ``[-R, R]``, bounded by ``C``.

        Random integer weights 0..8 are normalized to a density and mixed with
        the uniform density ``1/(2R)`` just enough to respect ``C``.

        Raises
        ------
        InvalidValueError
            ``R <= 0``, ``C < 0``, or ``C < 1/(2R)`` (no density on ``[-R, R]`` is
            bounded by such a C, since it must integrate to 1).

        Examples
        --------
        >>> d = PiecewiseUniform.random(R=1, C="3/4", pieces=4, seed=1)
        >>> d.C <= Fraction(3, 4), sum(d.measure(a, b) for a, b in zip(d.edges, d.edges[1:]))
        (True, Fraction(1, 1))
        """
        R = _positive_fraction(R, "R")
        C = _density_bound(C, R)
        m = _integer(pieces, "pieces", 1)
        rng = _seeding.rng(seed)
        weights = [Fraction(int(a)) for a in rng.integers(0, 9, size=m)]
        if sum(weights) == 0:
            weights = [Fraction(1)] * m
        width = 2 * R / m
        total = sum(weights) * width
        dens = [a / total for a in weights]
        u = 1 / (2 * R)
        top = max(dens)
        t = Fraction(1) if top <= C else (C - u) / (top - u)
        edges = [-R + width * j for j in range(m + 1)]
        return cls(edges, [t * d + (1 - t) * u for d in dens])

    def density(self, x: object) -> Fraction:
        """Exact density at ``x`` (0 outside ``[-R, R]``; the right end takes the last piece)."""
        q = to_fraction(x, "x")
        if q < self.edges[0] or q > self.edges[-1]:
            return Fraction(0)
        j = min(bisect.bisect_right(self.edges, q) - 1, len(self.densities) - 1)
        return self.densities[j]

    def measure(self, a: object, b: object) -> Fraction:
        """Exact probability of ``[a, b]`` (clipped to ``[-R, R]``; 0 if ``b <= a``).

        Examples
        --------
        >>> Uniform(2).measure(0, 5)
        Fraction(1, 2)
        """
        lo, hi = to_fraction(a, "a"), to_fraction(b, "b")
        total = Fraction(0)
        for j, d in enumerate(self.densities):
            left, right = max(lo, self.edges[j]), min(hi, self.edges[j + 1])
            if right > left:
                total += d * (right - left)
        return total

    def sample(self, n: int, rng: np.random.Generator | int | None = None) -> np.ndarray:
        """``n`` float64 samples: a piece with probability its mass, then uniform in it.

        Examples
        --------
        >>> x = Uniform(1).sample(5, np.random.default_rng(0))
        >>> x.shape, bool((abs(x) <= 1).all())
        ((5,), True)
        """
        n = _integer(n, "n", 0)
        rng = np.random.default_rng(rng)
        masses = np.array(
            [float(d * (self.edges[j + 1] - self.edges[j])) for j, d in enumerate(self.densities)]
        )
        piece = rng.choice(masses.size, size=n, p=masses / masses.sum())
        lo = np.array([float(t) for t in self.edges[:-1]])[piece]
        hi = np.array([float(t) for t in self.edges[1:]])[piece]
        return np.clip(lo + (hi - lo) * rng.random(n), float(self.edges[0]), float(self.edges[-1]))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form with exact ``"p/q"`` strings."""
        return {
            "kind": "piecewise_uniform",
            "edges": [fraction_text(t) for t in self.edges],
            "densities": [fraction_text(t) for t in self.densities],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PiecewiseUniform:
        """Inverse of :meth:`to_dict`."""
        return cls(data["edges"], data["densities"])


class Uniform(PiecewiseUniform):
    """The uniform distribution on ``[-R, R]``: density ``C = 1 / (2R)``.

    Examples
    --------
    >>> Uniform("1/2").C, Uniform(1).measure(0, 1)
    (Fraction(1, 1), Fraction(1, 2))
    >>> Uniform(-1)
    Traceback (most recent call last):
    ...
    pwl_kkt.errors.InvalidValueError: R: -1 must be positive
    """

    def __init__(self, R: object = 1) -> None:
        R = _positive_fraction(R, "R")
        super().__init__([-R, R], [1 / (2 * R)])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"kind": "uniform", "R": fraction_text(self.R)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Uniform:
        """Inverse of :meth:`to_dict`."""
        return cls(data["R"])

    def __repr__(self) -> str:
        return f"Uniform(R={fraction_text(self.R)})"


Distribution = PiecewiseUniform  # Uniform is a PiecewiseUniform


def _density_bound(C: object, R: Fraction) -> Fraction:
    C = to_fraction(C, "C")
    if C < 0:
        raise InvalidValueError(f"C: {fraction_text(C)} must be non-negative")
    if 2 * R * C < 1:
        raise InvalidValueError(
            f"C: {fraction_text(C)} is too small to bound a density on [-R, R] "
            f"(need C >= 1/(2R) = {fraction_text(1 / (2 * R))})"
        )
    return C


def distribution_from_dict(data: dict[str, Any]) -> PiecewiseUniform:
    """Rebuild a distribution written by ``to_dict``."""
    if data.get("kind") == "uniform":
        return Uniform.from_dict(data)
    return PiecewiseUniform.from_dict(data)


# --- population error --------------------------------------------------------------------------


def population_error(
    student: Network, teacher: Network, distribution: PiecewiseUniform
) -> Fraction:
    """Exact ``P_{x ~ D}[sign N(x) != sign N*(x)]`` (``sign(0) = -1``), no sampling.

    The sign changes of both networks (exact, from their piecewise-linear forms;
    a float student is taken at its dyadic values) cut ``[-R, R]`` into
    intervals on each of which both labels are constant up to finitely many
    points (measure zero). Each interval's two labels are compared at its
    midpoint, exactly, and the measures of the disagreeing intervals are added:

        error = sum over intervals I with sign N != sign N* of D(I),

    an exact Fraction for the rational piecewise-uniform densities here.

    Examples
    --------
    >>> teacher = teacher_network([0])                # label +1 right of 0
    >>> student = teacher_network(["1/2"])            # label +1 right of 1/2
    >>> population_error(student, teacher, Uniform(1))
    Fraction(1, 4)
    """
    R = distribution.R
    f, g = piecewise_linear(student), piecewise_linear(teacher)
    cuts = {t for pl in (f, g) for t in pl.sign_changes(zero_sign=_ZERO_SIGN) if -R < t < R}
    points = [-R, *sorted(cuts), R]
    error = Fraction(0)
    for a, b in zip(points, points[1:]):
        mid = (a + b) / 2
        if _label(f(mid)) != _label(g(mid)):
            error += distribution.measure(a, b)
    return error


# --- Assumption 2.1 initialization and the whole setup ------------------------------------------


def init_network(
    k: int,
    sigma_h: float = _defaults.SIGMA_H,
    sigma_o: float = _defaults.SIGMA_O,
    seed: int | np.random.Generator | None = None,
    *,
    d: int | None = None,
    bias: bool = True,
    scale: float = 1.0,
) -> Network | NetworkNd:
    """Assumption 2.1: ``w_i, b_i ~ N(0, sigma_h^2)`` and ``v_i ~ N(0, sigma_o^2)``, i.i.d.

    Drawn with ``numpy.random.default_rng(seed)`` in the order w, b, v, so a
    seed fixes the network. Returns a float network: a univariate :class:`Network`, or with
    ``d`` a :class:`NetworkNd` on R^d whose rows ``w_i in R^d`` have i.i.d.
    ``N(0, sigma_h^2)`` entries (drawn row by row; without hidden biases no b is drawn).

    Small initialization, the regime of Phuong & Lampert ("The inductive bias of ReLU
    networks on orthogonally separable data", ICLR 2021: gradient flow from near-zero
    initialization): ``scale`` multiplies every parameter after the draw, so a seed gives
    the same direction ``theta / ||theta||`` at every scale and
    ``init_network(..., scale=s) == init_network(...).scaled(s)``.

    Parameters
    ----------
    k : int
        Width.
    sigma_h, sigma_o : float
        Standard deviations of the hidden parameters (w, b) and the output weights v.
    seed : int, numpy.random.Generator or None
    d : int, optional
        Input dimension; given, the result is a :class:`NetworkNd` (``d=1`` draws the same
        numbers as the univariate network).
    bias : bool
        ``False`` gives ``N(x) = v^T relu(W x)`` (needs ``d``: a univariate Network always
        has hidden biases).
    scale : float
        Positive factor applied to every parameter (default 1: Assumption 2.1 as stated).

    Raises
    ------
    InvalidNetworkError
        ``k < 1`` or ``d < 1``.
    InvalidValueError
        ``sigma_h <= 0``, ``sigma_o < 0``, ``scale <= 0``, a non-finite scale, or
        ``bias=False`` without ``d``.

    Examples
    --------
    >>> net = init_network(3, sigma_h=2.0, sigma_o=0.5, seed=0)
    >>> net.width, net == init_network(3, 2.0, 0.5, seed=0)
    (3, True)
    >>> small = init_network(20, d=5, bias=False, scale=1e-4, seed=0)
    >>> small.d, small.has_bias, small == init_network(20, d=5, bias=False, seed=0).scaled(1e-4)
    (5, False, True)
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise InvalidNetworkError(f"k: {k!r} is not an integer width")
    if k < 1:
        raise InvalidNetworkError(f"k: a network needs at least one neuron; got width {k}")
    if d is not None:
        if isinstance(d, bool) or not isinstance(d, (int, np.integer)):
            raise InvalidNetworkError(f"d: {d!r} is not an integer dimension")
        if d < 1:
            raise InvalidNetworkError(f"d: the input dimension must be at least 1; got {d}")
    elif not bias:
        raise InvalidValueError(
            "bias=False needs d (a NetworkNd): the univariate Network always has hidden biases"
        )
    sh, so, sc = float(sigma_h), float(sigma_o), float(scale)
    if not (math.isfinite(sh) and sh > 0):
        raise InvalidValueError(f"sigma_h: {sigma_h!r} must be a positive finite number")
    if not (math.isfinite(so) and so >= 0):
        raise InvalidValueError(f"sigma_o: {sigma_o!r} must be a non-negative finite number")
    if not (math.isfinite(sc) and sc > 0):
        raise InvalidValueError(f"scale: {scale!r} must be a positive finite number")
    so = abs(so)  # -0.0 passes the check above and means 0, but numpy refuses a scale of -0.0
    rng = _seeding.rng(seed)
    w = rng.normal(0.0, sh, int(k) if d is None else (int(k), int(d)))
    b = rng.normal(0.0, sh, int(k)) if bias else None
    v = rng.normal(0.0, so, int(k))
    net = Network(w, b, v) if d is None else NetworkNd(w, b, v, exact=False)
    return net if sc == 1.0 else net.scaled(sc)


def _network_dict(net: Network) -> dict[str, Any]:
    if net.is_exact:
        return {k: [fraction_text(q) for q in p] for k, p in zip("wbv", net.fractions())}
    return {"format": "float64", **{k: a.tolist() for k, a in zip("wbv", net.arrays())}}


def _network_from_dict(data: dict[str, Any]) -> Network:
    if data.get("format") == "float64":
        return Network(*(np.array(data[k], dtype=np.float64) for k in "wbv"))
    return Network(*(data[k] for k in "wbv"), exact=True)


@dataclass(frozen=True, eq=False)
class TeacherStudent:
    """One draw of Safran, Vardi & Lee's setting: teacher, distribution, sample and initialization.

    Attributes
    ----------
    teacher : Network
        Exact teacher ``N*`` of width r.
    distribution : PiecewiseUniform
        Data distribution on ``[-R, R]``.
    data : Dataset
        ``n`` float samples labelled ``sign(N*(x))`` (exactly, ``sign(0) = -1``).
    init : Network
        Assumption 2.1 initialization of width k.
    sign_changes : tuple of Fraction
        The teacher's sign changes inside ``(-R, R)``.
    rho : Fraction
        Assumption 2.2's rho.
    seed : int or None

    Examples
    --------
    >>> s = teacher_student_setup(r=2, n=20, k=8, seed=0)
    >>> s.r, s.data.n, s.init.width, len(s.sign_changes)
    (2, 20, 8, 2)
    >>> TeacherStudent.from_dict(s.to_dict()).data == s.data
    True
    """

    teacher: Network
    distribution: PiecewiseUniform
    data: Dataset
    init: Network
    sign_changes: tuple[Fraction, ...]
    rho: Fraction
    seed: int | None = None

    @property
    def r(self) -> int:
        """Width of the teacher."""
        return self.teacher.width

    @property
    def R(self) -> Fraction:  # noqa: N802 - the paper's name
        """Half-width of the support."""
        return self.distribution.R

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (exact values as ``"p/q"`` strings, floats as floats)."""
        return {
            "teacher": _network_dict(self.teacher),
            "distribution": self.distribution.to_dict(),
            "data": {"x": self.data.x_float.tolist(), "y": self.data.y.tolist()},
            "init": _network_dict(self.init),
            "sign_changes": [fraction_text(t) for t in self.sign_changes],
            "rho": fraction_text(self.rho),
            "seed": self.seed,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TeacherStudent:
        """Inverse of :meth:`to_dict`."""
        return cls(
            teacher=_network_from_dict(data["teacher"]),
            distribution=distribution_from_dict(data["distribution"]),
            data=Dataset(np.array(data["data"]["x"], dtype=np.float64), data["data"]["y"]),
            init=_network_from_dict(data["init"]),
            sign_changes=tuple(Fraction(t) for t in data["sign_changes"]),
            rho=Fraction(data["rho"]),
            seed=data.get("seed"),
        )


def teacher_student_setup(
    r: int,
    n: int,
    k: int,
    R: object = 1,
    seed: int | np.random.Generator | None = 0,
    *,
    sigma_h: float = 1.0,
    sigma_o: float | None = None,
    distribution: PiecewiseUniform | None = None,
    teacher: Network | None = None,
    first_label: int | None = None,
    changes: int | None = None,
) -> TeacherStudent:
    """Width-r teacher, n labelled samples and a width-k Assumption 2.1 initialization.

    Independent random streams are spawned from ``seed`` (``numpy.random.SeedSequence``)
    for the teacher, the sample and the initialization, so changing k leaves
    teacher and data unchanged. ``distribution`` defaults to ``Uniform(R)``,
    ``teacher`` to :func:`random_teacher` ``(r, R, first_label=first_label,
    changes=changes)`` (r sign changes inside ``(-R, R)`` unless ``changes`` says
    fewer), ``sigma_o`` to ``1/k``.

    Raises
    ------
    InvalidValueError
        ``r < 1``, ``n < 1``, ``R <= 0``, a distribution on another interval, or
        a given teacher whose width is not r.
    InvalidNetworkError
        ``k < 1``.

    Examples
    --------
    >>> s = teacher_student_setup(r=3, n=50, k=10, seed=1)
    >>> bool((teacher_labels(s.teacher, s.data.x_float) == s.data.y).all())
    True
    """
    r = _integer(r, "r", 1)
    n = _integer(n, "n", 1)
    R = _positive_fraction(R, "R")
    seeds = _seeding.seed_sequences(seed, 3)
    if distribution is None:
        distribution = Uniform(R)
    elif distribution.R != R:
        raise InvalidValueError(
            f"distribution: lives on [-{fraction_text(distribution.R)}, "
            f"{fraction_text(distribution.R)}] but R = {fraction_text(R)}"
        )
    if teacher is None:
        teacher = random_teacher(
            r,
            R,
            seed=int(seeds[0].generate_state(1)[0]),
            first_label=first_label,
            changes=changes,
        )
    elif teacher.width != r:
        raise InvalidValueError(f"teacher: has width {teacher.width}, not r = {r}")
    x = distribution.sample(n, np.random.default_rng(seeds[1]))
    y = teacher_labels(teacher, x)
    data = Dataset(x, y)
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool):
        raise InvalidNetworkError(f"k: {k!r} is not an integer width")
    scale_o = 1.0 / max(int(k), 1) if sigma_o is None else sigma_o
    init = init_network(k, sigma_h, scale_o, seed=int(seeds[2].generate_state(1)[0]))
    points = sign_changes_inside(teacher, R)
    return TeacherStudent(
        teacher, distribution, data, init, points, rho(teacher, R), _seeding.seed_record(seed)
    )
