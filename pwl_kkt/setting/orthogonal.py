"""Orthogonally separable data and the limit of gradient flow on it.

Phuong & Lampert, *The inductive bias of ReLU networks on orthogonally separable data*
(ICLR 2021), study ``f(x) = a^T relu(W x)`` (a :class:`~pwl_kkt.model.network_nd.NetworkNd`
without hidden biases) trained by gradient flow on the logistic or exponential loss from a
near-zero initialization. A dataset ``{(x_i, y_i)}`` in R^d is **orthogonally separable** if
::

    x_i . x_j > 0  when y_i = y_j,        x_i . x_j <= 0  when y_i != y_j,

for all pairs ``(i, j)``, ``i = j`` included (so no point is 0). The **positive and negative
max-margin directions** are
::

    w_+ = argmin ||w||^2  s.t.  w . x_i >= 1  for y_i = +1,
    w_- = argmin ||w||^2  s.t.  w . x_i >= 1  for y_i = -1.

Their theorem: the directions converge, ``W / ||W||_F -> u w_+^T + z w_-^T`` and
``a / ||a|| -> u ||w_+|| - z ||w_-||`` with ``u, z >= 0`` and ``u_j z_j = 0``: every neuron
ends up a multiple of ``w_+`` (feeding the output positively) or of ``w_-`` (negatively),
so ``W`` has rank at most 2.

This module decides orthogonal separability exactly (:func:`orthogonally_separable`, naming
the first offending pair), computes ``w_+`` and ``w_-`` as exact rationals with a proof of
optimality (:func:`max_margin_direction`), measures how close a trained network is to the
theorem's limit (:func:`alignment_report`), builds the limit-form network nearest to it,
a KKT point of the max-margin problem (:func:`orthogonal_limit`), and draws orthogonally
separable data (:func:`orthogonal_data`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from .._rational import fraction_text, short_text, to_fraction
from .._seeding import rng
from ..errors import InvalidDataError, InvalidNetworkError, InvalidValueError
from ..model.data import Dataset
from ..model.data_nd import DatasetNd
from ..model.network_nd import NetworkNd
from ._gram_signs import first_offending_pair
from ._min_norm import min_norm_exact

__all__ = [
    "AlignmentReport",
    "MaxMarginDirection",
    "NeuronAlignment",
    "OrthogonalSeparability",
    "OrthogonalSetting",
    "alignment_report",
    "max_margin_direction",
    "orthogonal_data",
    "orthogonal_limit",
    "orthogonal_setting",
    "orthogonally_separable",
]

DEFAULT_ALIGNMENT_TOL = 0.05
"""Relative size below which a neuron's component along the other direction counts as 0."""


# --- orthogonal separability ----------------------------------------------------------------


@dataclass(frozen=True)
class OrthogonalSeparability:
    """The exact verdict on orthogonal separability; true in a boolean context iff separable.

    Attributes
    ----------
    separable : bool
        Whether ``x_i . x_j > 0`` for all equal-label pairs and ``<= 0`` for all others.
    witness : tuple of int or None
        The first offending pair ``(i, j)``, ``i <= j``, in row-major order (``(i, i)``
        for a point ``x_i = 0``).
    inner_product : Fraction or None
        ``x_i . x_j`` of the witness, exactly.
    exact_rechecks : int
        Pairs the float filter could not decide, decided in exact integer arithmetic.
    reason : str
        One sentence with the verdict and, when it fails, the offending pair.

    Examples
    --------
    >>> res = orthogonally_separable([[1, 0], [2, 1], [-1, 3]], [1, 1, -1])
    >>> bool(res), res.witness, res.inner_product
    (False, (1, 2), Fraction(1, 1))
    >>> print(res)
    not orthogonally separable: x[1] . x[2] = 1 > 0 but y[1] = +1 and y[2] = -1
    """

    separable: bool
    witness: tuple[int, int] | None
    inner_product: Fraction | None
    exact_rechecks: int
    reason: str

    def __bool__(self) -> bool:
        return self.separable

    def __str__(self) -> str:
        return self.reason

    def to_dict(self) -> dict:
        """JSON-ready dictionary (the inner product as exact text).

        Examples
        --------
        >>> orthogonally_separable([[1, 0]], [1]).to_dict()["witness"] is None
        True
        """
        return {
            "orthogonally_separable": self.separable,
            "witness": None if self.witness is None else list(self.witness),
            "inner_product": (None if self.inner_product is None
                              else fraction_text(self.inner_product)),
            "exact_rechecks": self.exact_rechecks,
            "reason": self.reason,
        }


def orthogonally_separable(x: object, y: object = None) -> OrthogonalSeparability:
    """Decide exactly whether the data is orthogonally separable.

    Equal labels need ``x_i . x_j > 0`` (``i = j`` included), different labels
    ``x_i . x_j <= 0``. Floats are the dyadic rationals they store. The Gram matrix is
    computed in float64 by blocks, and an entry's sign is trusted only where a rigorous
    rounding-error bound for IEEE binary64 arithmetic with round to nearest (or exactness of
    the float computation) guarantees it; every other pair is decided in exact integer
    arithmetic. Time ``O(n^2 d)``, memory ``O(n d)`` plus blocks of 2^20 entries
    (``benchmarks/bench_orthogonal.py`` times ``n = 10^4``).

    Parameters
    ----------
    x : DatasetNd, Dataset, or points of shape (n, d)
        The data (with ``y`` when points are given).
    y : sequence of {-1, +1}, optional
        Labels.

    Returns
    -------
    OrthogonalSeparability
        True in a boolean context iff separable; otherwise names the first offending pair.

    Examples
    --------
    >>> bool(orthogonally_separable([[1, 1], [2, 1], [-1, 0]], [1, 1, -1]))
    True
    >>> orthogonally_separable([[1, 0], [0, 0]], [1, -1]).witness
    (1, 1)
    """
    data = _dataset_nd(x, y)
    witness, rechecks = first_offending_pair(data)
    n_pos = int((data.y > 0).sum())
    n_neg = data.n - n_pos
    if witness is None:
        same = n_pos * (n_pos + 1) // 2 + n_neg * (n_neg + 1) // 2
        return OrthogonalSeparability(
            True, None, None, rechecks,
            f"orthogonally separable (exact): x_i . x_j > 0 on all {same} pairs with equal "
            f"labels and <= 0 on all {n_pos * n_neg} pairs with different labels",
        )
    i, j = witness
    dot = _dot(data.x_exact[i], data.x_exact[j])
    yi, yj = (int(data.y[t]) for t in witness)
    if i == j:
        reason = f"x[{i}] = 0, so x[{i}] . x[{i}] = 0 is not > 0"
    elif yi == yj:
        reason = f"x[{i}] . x[{j}] = {short_text(dot)} <= 0 but y[{i}] = y[{j}] = {yi:+d}"
    else:
        reason = (f"x[{i}] . x[{j}] = {short_text(dot)} > 0 but y[{i}] = {yi:+d} and "
                  f"y[{j}] = {yj:+d}")
    return OrthogonalSeparability(False, witness, dot, rechecks,
                                  f"not orthogonally separable: {reason}")


# --- the max-margin directions w_+ and w_- ----------------------------------------------------


@dataclass(frozen=True)
class MaxMarginDirection:
    """The max-margin direction of one class (``w_+`` or ``w_-``), exact with its proof.

    ``w = argmin ||w||^2`` subject to ``w . x_i >= 1`` for the points with label ``label``.

    Attributes
    ----------
    label : int
        +1 for ``w_+``, -1 for ``w_-``.
    status : str
        ``"proven"``: ``w`` is the exact minimizer, with the KKT conditions of this convex QP
        verified exactly (``w = sum_i alpha_i x_i``, ``alpha >= 0``, ``x_i . w = 1`` where
        ``alpha_i > 0``, every ``x_i . w >= 1``). ``"infeasible"``: no ``w`` exists, proven
        by ``alpha >= 0``, ``sum alpha = 1``, ``sum alpha_i x_i = 0``. ``"not proven"``:
        only the solver's float answer is known.
    w : tuple of Fraction or None
        The exact minimizer (when proven).
    w_float : tuple of float or None
        ``w`` to nearest float64 (proven) or the solver's answer (not proven).
    support : tuple of int
        Dataset indices carrying the multipliers ``alpha`` (or the certificate).
    alpha : tuple of Fraction
        The multipliers, one per index in ``support``.
    reason : str
        What was verified, or why not.

    Examples
    --------
    >>> wp = max_margin_direction([[2, 1], [1, 2], [-1, -1]], [1, 1, -1], label=1)
    >>> wp.status, wp.exact_text(), wp.support, wp.alpha
    ('proven', ['1/3', '1/3'], (0, 1), (Fraction(1, 9), Fraction(1, 9)))
    >>> wp.sq_norm
    Fraction(2, 9)
    """

    label: int
    status: str
    w: tuple[Fraction, ...] | None
    w_float: tuple[float, ...] | None
    support: tuple[int, ...]
    alpha: tuple[Fraction, ...]
    reason: str

    @property
    def proven(self) -> bool:
        """``True`` when ``w`` is the exact, verified minimizer."""
        return self.status == "proven"

    @property
    def sq_norm(self) -> Fraction | None:
        """``||w||^2`` exactly (equal to ``sum alpha_i``), or None unless proven."""
        return None if self.w is None else sum((t * t for t in self.w), Fraction(0))

    @property
    def norm(self) -> float:
        """``||w||`` in float64 (NaN when no ``w`` is known)."""
        if self.w_float is None:
            return math.nan
        return float(np.linalg.norm(np.array(self.w_float)))

    def recheck(self, x: object, y: object = None) -> bool:
        """Re-verify the proof exactly from the data (``True`` iff it holds).

        Examples
        --------
        >>> data = DatasetNd([[2, 0], [1, 1], [-1, 0]], [1, 1, -1])
        >>> max_margin_direction(data, label=-1).recheck(data)
        True
        """
        data = _dataset_nd(x, y)
        idx = [i for i in range(data.n) if data.y[i] == self.label]
        if any(i not in idx for i in self.support) or any(a < 0 for a in self.alpha):
            return False
        pts = data.x_exact
        if self.status == "infeasible":
            total = [sum((a * pts[i][c] for i, a in zip(self.support, self.alpha)), Fraction(0))
                     for c in range(data.d)]
            return sum(self.alpha) == 1 and not any(total)
        if self.status != "proven" or self.w is None or len(self.w) != data.d:
            return False
        combo = tuple(sum((a * pts[i][c] for i, a in zip(self.support, self.alpha)), Fraction(0))
                      for c in range(data.d))
        margins = {i: _dot(pts[i], self.w) for i in idx}
        return (combo == self.w and all(m >= 1 for m in margins.values())
                and all(margins[i] == 1 for i, a in zip(self.support, self.alpha) if a))

    def exact_text(self) -> list[str] | None:
        """``w`` as exact ``p/q`` strings (None unless proven).

        Examples
        --------
        >>> max_margin_direction([[3, 0]], [1], label=1).exact_text()
        ['1/3', '0']
        """
        return None if self.w is None else [fraction_text(t) for t in self.w]

    def to_dict(self) -> dict:
        """JSON-ready dictionary: exact strings for ``w`` and ``alpha`` when proven.

        Examples
        --------
        >>> max_margin_direction([[3, 0]], [1], label=1).to_dict()["w"]
        ['1/3', '0']
        """
        return {
            "label": self.label,
            "status": self.status,
            "w": (self.exact_text() if self.proven
                  else None if self.w_float is None else list(self.w_float)),
            "sq_norm": None if self.sq_norm is None else fraction_text(self.sq_norm),
            "support": list(self.support),
            "alpha": [fraction_text(a) for a in self.alpha],
            "reason": self.reason,
        }

    def __str__(self) -> str:
        name = "w_+" if self.label > 0 else "w_-"
        if self.proven:
            return (f"{name} = ({', '.join(short_text(t) for t in self.w)}), "
                    f"||{name}||^2 = {short_text(self.sq_norm)} (proven; support "
                    f"{list(self.support)})")
        if self.status == "infeasible":
            return f"{name} does not exist: {self.reason}"
        shown = "unknown" if self.w_float is None else ", ".join(f"{t:.6g}" for t in self.w_float)
        return f"{name} ~ ({shown}) (not proven: {self.reason})"


def max_margin_direction(x: object, y: object = None, *, label: int = 1) -> MaxMarginDirection:
    """``w_+`` (``label=1``) or ``w_-`` (``label=-1``) exactly, with a proof of optimality.

    ``min ||w||^2`` s.t. ``w . x_i >= 1`` for ``y_i = label`` is solved in float (cvxpy),
    then exactly through its active set: with ``B`` an independent subset of the points the
    solver found active, ``w = X_B^T alpha`` where ``X_B X_B^T alpha = 1`` over QQ, and the
    KKT conditions (``alpha >= 0``; every ``x_i . w >= 1``) are verified exactly; they are
    sufficient for this convex problem, so ``w`` is proven optimal. When a check fails the
    active set is corrected and checked again, a bounded number of times; otherwise the
    result says ``"not proven"``. A class without points gives ``w = 0``.

    Parameters
    ----------
    x : DatasetNd, Dataset, or points of shape (n, d)
        The data (with ``y`` when points are given).
    y : sequence of {-1, +1}, optional
        Labels.
    label : {1, -1}
        Which class.

    Returns
    -------
    MaxMarginDirection

    Examples
    --------
    >>> wm = max_margin_direction([[1, 0], [0, -2], [0, -1]], [1, -1, -1], label=-1)
    >>> wm.status, wm.exact_text(), wm.support
    ('proven', ['0', '-1'], (2,))
    """
    data = _dataset_nd(x, y)
    if isinstance(label, bool) or label not in (1, -1):
        raise InvalidValueError(f"label: {label!r} must be 1 or -1")
    idx = [i for i in range(data.n) if data.y[i] == label]
    if not idx:
        return MaxMarginDirection(int(label), "proven", (Fraction(0),) * data.d,
                                  (0.0,) * data.d, (), (),
                                  f"no point has label {label:+d}: no constraint, so w = 0")
    res = min_norm_exact([data.x_exact[i] for i in idx], data.d)
    return MaxMarginDirection(
        label=int(label),
        status=res.status,
        w=res.w,
        w_float=res.w_float,
        support=tuple(idx[i] for i in res.support),
        alpha=res.alpha,
        reason=res.reason,
    )


# --- the setting: both at once --------------------------------------------------------------


@dataclass(frozen=True)
class OrthogonalSetting:
    """A dataset with its orthogonal-separability verdict and both max-margin directions.

    Examples
    --------
    >>> s = orthogonal_setting([[2, 1], [1, 2], [-1, -1]], [1, 1, -1])
    >>> s.to_dict()["orthogonally_separable"], s.to_dict()["w_minus"]
    (True, ['-1/2', '-1/2'])
    """

    data: DatasetNd = field(repr=False)
    separability: OrthogonalSeparability
    plus: MaxMarginDirection
    minus: MaxMarginDirection

    def to_dict(self) -> dict:
        """JSON-ready: ``orthogonally_separable``, ``witness``, ``w_plus``, ``w_minus`` and details.

        ``w_plus`` and ``w_minus`` are exact strings when proven, floats when not, and None
        when the direction does not exist.

        Examples
        --------
        >>> d = orthogonal_setting([[1, 0], [1, 1]], [1, -1]).to_dict()
        >>> d["orthogonally_separable"], d["witness"]
        (False, [0, 1])
        """
        sep = self.separability.to_dict()
        out = {
            "orthogonally_separable": sep.pop("orthogonally_separable"),
            "witness": sep.pop("witness"),
            "n": self.data.n,
            "d": self.data.d,
        }
        for name, direction in (("w_plus", self.plus), ("w_minus", self.minus)):
            detail = direction.to_dict()
            out[name] = detail.pop("w")
            out[f"{name}_proof"] = detail
        out["separability"] = sep
        return out

    def __str__(self) -> str:
        return "\n".join([str(self.separability), str(self.plus), str(self.minus)])


def orthogonal_setting(x: object, y: object = None) -> OrthogonalSetting:
    """The separability verdict and ``w_+``, ``w_-`` of a dataset (``pwl-kkt orthogonal``).

    Examples
    --------
    >>> print(orthogonal_setting([[2, 1], [1, 2], [-1, -1]], [1, 1, -1]))
    orthogonally separable (exact): x_i . x_j > 0 on all 4 pairs with equal labels
    and <= 0 on all 2 pairs with different labels
    w_+ = (1/3, 1/3), ||w_+||^2 = 2/9 (proven; support [0, 1])
    w_- = (-1/2, -1/2), ||w_-||^2 = 1/2 (proven; support [2])
    """
    data = _dataset_nd(x, y)
    return OrthogonalSetting(
        data=data,
        separability=orthogonally_separable(data),
        plus=max_margin_direction(data, label=1),
        minus=max_margin_direction(data, label=-1),
    )


# --- alignment of a trained network with the theorem's limit ----------------------------------


@dataclass(frozen=True)
class NeuronAlignment:
    """One neuron ``(w_j, a_j)`` against the limit ``u_j w_+ + z_j w_-``.

    Attributes
    ----------
    j : int
        Neuron index.
    a : float
        Output weight ``a_j``.
    norm : float
        ``||w_j||``.
    side : int
        ``sign(a_j)``: +1 compares with ``w_+``, -1 with ``w_-``, 0 with neither.
    cosine : float
        ``cos(w_j, w_+)`` or ``cos(w_j, w_-)`` by side (NaN for side 0 or ``w_j = 0``).
    u, z : float
        Least-squares coefficients of ``w_j / ||W||_F`` on ``w_+`` and ``w_-``.
    ratio : float
        ``(|a_j| / ||a||) / u_j`` (side +1) or ``/ z_j`` (side -1); the theorem's limit has
        ratio ``||w_+||`` or ``||w_-||`` (NaN when the coefficient is 0).
    exclusive : bool
        ``u_j z_j = 0`` at the report's tolerance: the smaller of ``|u_j| ||w_+||`` and
        ``|z_j| ||w_-||`` is at most ``tol`` times the larger.
    dead : bool
        ``w_j . x_i <= 0`` for every data point: the neuron gets no gradient (relu'(0) = 0)
        and never moves, so it keeps its initial direction while the others grow; in the
        limit it is 0 (``u_j = z_j = 0``). Dead neurons are left out of the means.

    Examples
    --------
    >>> rep = alignment_report(NetworkNd([[1, 0]], None, [1]), [[1, 0], [-1, 0]], [1, -1])
    >>> rep.neurons[0].cosine, rep.neurons[0].exclusive
    (1.0, True)
    """

    j: int
    a: float
    norm: float
    side: int
    cosine: float
    u: float
    z: float
    ratio: float
    exclusive: bool
    dead: bool

    def to_dict(self) -> dict:
        """JSON-ready dictionary (NaN becomes None).

        Examples
        --------
        >>> rep = alignment_report(NetworkNd([[1, 0]], None, [1]), [[1, 0], [-1, 0]], [1, -1])
        >>> rep.neurons[0].to_dict()["side"]
        1
        """
        return {k: _json_float(v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class AlignmentReport:
    """How close ``f(x) = a^T relu(W x)`` is to Phuong & Lampert's limit on the data.

    Attributes
    ----------
    neurons : tuple of NeuronAlignment
        Per-neuron cosines, coefficients, ratios and exclusivity.
    w_plus, w_minus : tuple of float
        ``w_+`` and ``w_-`` (nearest floats of the exact directions).
    proven : bool
        Whether both directions are exact and proven (else the solver's floats are used).
    separable : bool
        Whether the data is orthogonally separable (the theorem's hypothesis).
    mean_cosine : float
        Mean of the cosines of the neurons that are not dead (and have ``a_j != 0``).
    weighted_cosine : float
        The same mean weighted by ``||w_j||^2``, as the neurons weigh in ``W / ||W||_F``.
    stable_rank : float
        ``||W||_F^2 / ||W||_2^2``; at most 2 in the limit.
    residual_w : float
        ``||W / ||W||_F - (u w_+^T + z w_-^T)||_F`` with the least-squares ``u, z``.
    residual_a : float
        ``||a / ||a|| - (u ||w_+|| - z ||w_-||)||``; both residuals tend to 0 in the limit.
    tol : float
        Tolerance of the exclusivity test.

    Examples
    --------
    >>> net = NetworkNd([[1, 0], [-2, 0]], None, [1, -2])
    >>> rep = alignment_report(net, [[1, 0], [-1, 0]], [1, -1])
    >>> rep.mean_cosine, round(rep.stable_rank, 12), rep.all_exclusive
    (1.0, 1.0, True)
    """

    neurons: tuple[NeuronAlignment, ...]
    w_plus: tuple[float, ...]
    w_minus: tuple[float, ...]
    proven: bool
    separable: bool
    mean_cosine: float
    weighted_cosine: float
    stable_rank: float
    residual_w: float
    residual_a: float
    tol: float

    @property
    def all_exclusive(self) -> bool:
        """``u_j z_j = 0`` (at tolerance) for every neuron that is not dead."""
        return all(nr.exclusive for nr in self.neurons if not nr.dead)

    @property
    def n_dead(self) -> int:
        """Number of dead neurons (no data point on the positive side of ``w_j``)."""
        return sum(nr.dead for nr in self.neurons)

    def to_dict(self) -> dict:
        """JSON-ready dictionary.

        Examples
        --------
        >>> rep = alignment_report(NetworkNd([[1, 0]], None, [1]), [[1, 0], [-1, 0]], [1, -1])
        >>> sorted(rep.to_dict())[:3]
        ['mean_cosine', 'neurons', 'proven']
        """
        out = {k: _json_float(v) for k, v in self.__dict__.items() if k != "neurons"}
        out["w_plus"], out["w_minus"] = list(self.w_plus), list(self.w_minus)
        out["neurons"] = [nr.to_dict() for nr in self.neurons]
        return out

    def table(self) -> str:
        """The summary lines and a per-neuron table.

        Examples
        --------
        >>> rep = alignment_report(NetworkNd([[1, 0]], None, [1]), [[1, 0], [-1, 0]], [1, -1])
        >>> print(rep.table().splitlines()[0])
        mean cosine to w_+/w_-: 1 (weighted 1); stable rank of W: 1
        """
        n_plus = math.hypot(*self.w_plus)
        n_minus = math.hypot(*self.w_minus)
        lines = [
            f"mean cosine to w_+/w_-: {self.mean_cosine:.6g} (weighted "
            f"{self.weighted_cosine:.6g}); stable rank of W: {self.stable_rank:.6g}",
            f"residuals: W/||W||_F {self.residual_w:.3g}, a/||a|| {self.residual_a:.3g}; "
            f"u_j z_j = 0 at tol {self.tol:g}: "
            f"{sum(nr.exclusive and not nr.dead for nr in self.neurons)}/"
            f"{len(self.neurons) - self.n_dead} live neurons ({self.n_dead} dead)",
            f"||w_+|| = {n_plus:.6g}, ||w_-|| = {n_minus:.6g}"
            + ("" if self.proven else " (directions not proven exact)")
            + ("" if self.separable else "; the data is NOT orthogonally separable"),
            "",
            f"{'j':>4} {'a_j':>11} {'||w_j||':>11} {'side':>4} {'cosine':>9} {'u_j':>10} "
            f"{'z_j':>10} {'ratio':>10} {'target':>10} {'u z = 0':>7}",
        ]
        for nr in self.neurons:
            target = n_plus if nr.side > 0 else n_minus if nr.side < 0 else math.nan
            side = {1: "+", -1: "-", 0: "0"}[nr.side]
            lines.append(
                f"{nr.j:>4} {nr.a:>11.4g} {nr.norm:>11.4g} {side:>4} {nr.cosine:>9.6f} "
                f"{nr.u:>10.4g} {nr.z:>10.4g} {nr.ratio:>10.4g} {target:>10.4g} "
                f"{'dead' if nr.dead else 'yes' if nr.exclusive else 'no':>7}"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()


def alignment_report(
    net: NetworkNd,
    x: object,
    y: object = None,
    *,
    tol: float = DEFAULT_ALIGNMENT_TOL,
) -> AlignmentReport:
    """Compare a network ``f(x) = a^T relu(W x)`` with Phuong & Lampert's limit on the data.

    The limit is ``W / ||W||_F = u w_+^T + z w_-^T``, ``a / ||a|| = u ||w_+|| - z ||w_-||``
    with ``u, z >= 0`` and ``u_j z_j = 0``. Per neuron: the cosine of ``w_j`` to ``w_+``
    (``a_j > 0``) or ``w_-`` (``a_j < 0``); the least-squares coefficients ``(u_j, z_j)`` of
    ``w_j / ||W||_F`` on ``(w_+, w_-)`` (if ``w_+`` and ``w_-`` are parallel or one is 0,
    the projection on the one ``w_j`` leans towards); the ratio of ``|a_j| / ||a||`` to its
    coefficient, which the limit makes ``||w_+||`` or ``||w_-||``; and whether
    ``u_j z_j = 0`` at tolerance ``tol``; and whether it is dead (``w_j . x_i <= 0`` on
    every point: no gradient ever reaches it). Overall: the mean cosine of the neurons that
    are not dead (plain and ``||w_j||^2`` weighted), the stable rank
    ``||W||_F^2 / ||W||_2^2`` (at most 2 in the limit) and the residuals of both limit
    statements. Float64 arithmetic, except ``w_+``, ``w_-`` and the separability verdict,
    which are exact.

    Parameters
    ----------
    net : NetworkNd
        Without hidden biases (or with all biases 0); ``W`` and ``a`` not zero.
    x : OrthogonalSetting, DatasetNd, Dataset, or points of shape (n, d)
        The data; an :class:`OrthogonalSetting` reuses its directions (cheap to call
        repeatedly, e.g. along a training run).
    y : sequence of {-1, +1}, optional
        Labels when points are given.
    tol : float
        Exclusivity tolerance, in (0, 1).

    Returns
    -------
    AlignmentReport

    Examples
    --------
    >>> setting = orthogonal_setting([[2, 0], [1, 1], [-1, 0]], [1, 1, -1])
    >>> net = NetworkNd([[1, 1], [-1, 0]], None, [1, -1])
    >>> rep = alignment_report(net, setting)
    >>> round(rep.mean_cosine, 12), rep.all_exclusive
    (1.0, True)
    """
    if isinstance(x, OrthogonalSetting) and y is not None:
        raise InvalidDataError("give either an OrthogonalSetting or x and y, not both")
    if not (isinstance(tol, (int, float)) and not isinstance(tol, bool) and 0 < tol < 1):
        raise InvalidValueError(f"tol: {tol!r} must be a number in (0, 1)")
    setting = x if isinstance(x, OrthogonalSetting) else orthogonal_setting(x, y)
    W, a = _weights(net, setting.data.d)
    dead = ~np.any(setting.data.x_float @ W.T > 0, axis=0)
    directions = []
    for direction in (setting.plus, setting.minus):
        if direction.w_float is None:
            raise InvalidDataError(
                f"{'w_+' if direction.label > 0 else 'w_-'} does not exist on this data "
                f"({direction.reason}); the theorem needs orthogonally separable data"
            )
        directions.append(np.array(direction.w_float, dtype=np.float64))
    wp, wm = directions
    fro = float(np.linalg.norm(W))
    norms = np.linalg.norm(W, axis=1)
    u, z = _coefficients(W / fro, wp, wm)
    np_, nm = float(np.linalg.norm(wp)), float(np.linalg.norm(wm))
    a_hat = a / float(np.linalg.norm(a))
    neurons = []
    for j in range(len(a)):
        side = int(np.sign(a[j]))
        target = wp if side > 0 else wm
        cos = math.nan
        if side and norms[j] > 0 and np.any(target):
            cos = float(W[j] @ target / (norms[j] * np.linalg.norm(target)))
        coef = u[j] if side > 0 else z[j] if side < 0 else 0.0
        ratio = abs(a_hat[j]) / coef if coef else math.nan
        big, small = sorted((abs(u[j]) * np_, abs(z[j]) * nm), reverse=True)
        neurons.append(NeuronAlignment(j, float(a[j]), float(norms[j]), side, cos, float(u[j]),
                                       float(z[j]), float(ratio), bool(small <= tol * big),
                                       bool(dead[j])))
    cos = np.array([nr.cosine for nr in neurons])
    keep = ~np.isnan(cos) & ~dead
    weights = norms[keep] ** 2
    return AlignmentReport(
        neurons=tuple(neurons),
        w_plus=tuple(float(t) for t in wp),
        w_minus=tuple(float(t) for t in wm),
        proven=setting.plus.proven and setting.minus.proven,
        separable=setting.separability.separable,
        mean_cosine=float(np.mean(cos[keep])) if keep.any() else math.nan,
        weighted_cosine=float(weights @ cos[keep] / weights.sum()) if keep.any() else math.nan,
        stable_rank=fro**2 / float(np.linalg.norm(W, 2)) ** 2,
        residual_w=float(np.linalg.norm(W / fro - np.outer(u, wp) - np.outer(z, wm))),
        residual_a=float(np.linalg.norm(a_hat - (u * np_ - z * nm))),
        tol=float(tol),
    )


def _weights(net: object, d: int) -> tuple[np.ndarray, np.ndarray]:
    """``(W, a)`` in float64 of a bias-free network on R^d, validated."""
    if not isinstance(net, NetworkNd):
        raise InvalidNetworkError(f"net must be a NetworkNd; got {type(net).__name__}")
    if net.d != d:
        raise InvalidNetworkError(f"the network has d = {net.d} but the data has d = {d}")
    W, b, a = (np.array(t, dtype=np.float64) for t in net.arrays())
    if net.has_bias and np.any(b):
        j = int(np.flatnonzero(b)[0])
        raise InvalidNetworkError(
            f"b[{j}] = {b[j]!r}: the theorem is about a^T relu(W x), without hidden biases"
        )
    if not np.all(np.isfinite(W)) or not np.all(np.isfinite(a)):
        raise InvalidNetworkError("the network's parameters overflow float64")
    if not np.any(W) or not np.any(a):
        raise InvalidNetworkError("W and a must not be zero: their directions are compared")
    return W, a


def _coefficients(Wn: np.ndarray, wp: np.ndarray, wm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares ``(u, z)`` with ``Wn ~ u w_+^T + z w_-^T``, row by row."""
    basis = np.stack([wp, wm], axis=1)
    if np.linalg.matrix_rank(basis) == 2:
        coef = np.linalg.lstsq(basis, Wn.T, rcond=None)[0]
        return coef[0], coef[1]
    # One line (w_+ and w_- parallel) or a class without points: least squares on the one
    # direction; on a line through both, the coefficient goes to the side w_j leans to.
    zeros = np.zeros(len(Wn))
    u = Wn @ wp / (wp @ wp) if np.any(wp) else zeros
    if not np.any(wm):
        return u, zeros
    cz = Wn @ wm / (wm @ wm)
    if not np.any(wp):
        return zeros, cz
    take = (u <= 0) & (cz > 0)
    return np.where(take, 0.0, u), np.where(take, cz, 0.0)


def orthogonal_limit(net: NetworkNd, x: object, y: object = None) -> NetworkNd:
    """The network of the theorem's limit form nearest to ``net``: a KKT point, at margin 1.

    Each neuron with ``a_j > 0`` becomes ``w_j = u_j w_+``, ``a_j = u_j ||w_+||`` with
    ``u_j = max(w_j . w_+, 0) / ||w_+||^2`` (its projection on ``w_+``); each neuron with
    ``a_j < 0`` becomes ``z_j w_-``, ``-z_j ||w_-||`` likewise; dead neurons and ``a_j = 0``
    become 0. Then ``u`` and ``z`` are rescaled so that the smallest margin of each class is
    1: on orthogonally separable data ``w_- . x_i <= 0`` for ``y_i = +1`` (``w_-`` is a
    nonnegative combination of negative points), so ``f(x_i) = ||w_+|| (sum_j u_j^2)
    (w_+ . x_i)`` there, and ``u`` is divided by ``sqrt(||w_+|| sum_j u_j^2)``.

    The result is a KKT point of ``min ||theta||^2`` s.t. ``y_i f(x_i) >= 1``: with
    ``w_+ = sum_i alpha_i x_i`` (the exact multipliers of :func:`max_margin_direction`),
    ``lambda_i = alpha_i / ||w_+||`` on its support and likewise for ``w_-`` give
    ``w_j = a_j sum_i lambda_i y_i relu'(w_j . x_i) x_i`` and
    ``a_j = sum_i lambda_i y_i relu(w_j . x_i)`` (using ``w_+ . x_i = 1`` on the support and
    ``sum_i alpha_i = ||w_+||^2``); ``lambda_i > 0`` only where the margin is 1. Float64,
    so it is a KKT point up to rounding; :func:`~pwl_kkt.certify_kkt` confirms it
    numerically.

    Parameters
    ----------
    net : NetworkNd
        Without hidden biases; at least one neuron of each output sign (for each class
        present) pointing into its class's half-space.
    x : OrthogonalSetting, DatasetNd, Dataset, or points of shape (n, d)
        Orthogonally separable data.
    y : sequence of {-1, +1}, optional
        Labels when points are given.

    Returns
    -------
    NetworkNd
        Float64, without hidden biases, every neuron balanced (``|a_j| = ||w_j||``).

    Examples
    --------
    >>> setting = orthogonal_setting([[2, 1], [1, 2], [-1, -1]], [1, 1, -1])
    >>> lim = orthogonal_limit(NetworkNd([[1, 0], [-1, 0]], None, [1, -1]), setting)
    >>> np.round(lim.w, 6).tolist(), np.round(lim.v, 6).tolist()
    ([[0.485492, 0.485492], [-0.594604, -0.594604]], [0.686589, -0.840896])
    >>> (setting.data.y * lim(np.array(setting.data.x_float))).round(12).tolist()
    [1.0, 1.0, 1.0]
    """
    if isinstance(x, OrthogonalSetting) and y is not None:
        raise InvalidDataError("give either an OrthogonalSetting or x and y, not both")
    setting = x if isinstance(x, OrthogonalSetting) else orthogonal_setting(x, y)
    if not setting.separability:
        raise InvalidDataError(
            f"the limit form needs orthogonally separable data; {setting.separability.reason}"
        )
    W, a = _weights(net, setting.data.d)
    live = np.any(setting.data.x_float @ W.T > 0, axis=0)
    rows, outs = np.zeros_like(W), np.zeros_like(a)
    for direction, sign in ((setting.plus, 1.0), (setting.minus, -1.0)):
        if not (setting.data.y == direction.label).any():
            continue  # no point of this class: no neuron is needed for it
        w = np.array(direction.w_float, dtype=np.float64)
        norm = float(np.linalg.norm(w))
        coef = np.where(live & (sign * a > 0), np.maximum(W @ w, 0.0) / (w @ w), 0.0)
        if not np.any(coef):
            raise InvalidNetworkError(
                f"no neuron with a_j {'>' if sign > 0 else '<'} 0 points into the class "
                f"y = {direction.label:+d}: the limit form has no neuron for it"
            )
        coef /= math.sqrt(norm * float(coef @ coef))  # that class's smallest margin is 1
        rows += np.outer(coef, w)
        outs += sign * coef * norm
    return NetworkNd(rows, None, outs)


# --- orthogonally separable data -------------------------------------------------------------


def orthogonal_data(
    n: int,
    d: int = 5,
    *,
    angle: float = 135.0,
    spread: float = 20.0,
    seed: object = None,
) -> DatasetNd:
    """Draw orthogonally separable data: two cones of points, one per label.

    Positive points lie in the cone of half-angle ``spread`` degrees around ``e_1``,
    negative points in the cone of the same half-angle around the unit vector at ``angle``
    degrees from ``e_1`` in the ``(e_1, e_2)`` plane; norms are uniform in [1/2, 3/2].
    Two points of one cone are less than ``2 spread < 90`` degrees apart (inner product
    ``> 0``); points of different cones are more than ``angle - 2 spread > 90`` degrees
    apart (inner product ``< 0``). The sample is checked exactly with
    :func:`orthogonally_separable`. ``ceil(n / 2)`` points are positive, in random order.

    Parameters
    ----------
    n : int
        Number of points, at least 2.
    d : int
        Dimension, at least 2.
    angle : float
        Degrees between the two cone axes, in (90, 180].
    spread : float
        Half-angle of the cones in degrees, ``0 <= spread < 45`` and ``2 spread < angle - 90``.
    seed : int, numpy.random.Generator or None

    Returns
    -------
    DatasetNd
        Float64 points.

    Examples
    --------
    >>> data = orthogonal_data(50, 5, seed=0)
    >>> data.n, data.d, int((data.y > 0).sum()), bool(orthogonally_separable(data))
    (50, 5, 25, True)
    """
    n, d = _count(n, "n", 2), _count(d, "d", 2)
    # read exactly, so that the bounds below are checked without rounding
    phi, theta = to_fraction(angle, "angle"), to_fraction(spread, "spread")
    if not (90 < phi <= 180):
        raise InvalidValueError(f"angle: {angle!r} must be in (90, 180] degrees")
    if not (0 <= theta < 45 and 2 * theta < phi - 90):
        raise InvalidValueError(
            f"spread: {spread!r} must satisfy 0 <= spread < 45 and 2 spread < angle - 90 = "
            f"{float(phi - 90)!r} (else two points could have the wrong inner-product sign)"
        )
    gen = rng(seed)
    n_pos = (n + 1) // 2
    axes = np.zeros((2, d))
    rad = math.radians(float(phi))
    axes[0, 0] = 1.0
    axes[1, 0], axes[1, 1] = math.cos(rad), math.sin(rad)
    labels = np.array([1] * n_pos + [-1] * (n - n_pos))
    points = np.empty((n, d))
    for i, label in enumerate(labels):
        axis = axes[0] if label > 0 else axes[1]
        r = gen.standard_normal(d)
        r -= (r @ axis) * axis  # a random direction orthogonal to the axis
        r /= np.linalg.norm(r)
        t = math.radians(float(theta)) * gen.uniform() ** (1.0 / (d - 1))
        points[i] = gen.uniform(0.5, 1.5) * (math.cos(t) * axis + math.sin(t) * r)
    order = gen.permutation(n)
    data = DatasetNd(points[order], labels[order])
    verdict = orthogonally_separable(data)
    if not verdict:
        raise InvalidValueError(
            f"angle = {angle!r}, spread = {spread!r} leave too small a gap: {verdict.reason}"
        )
    return data


# --- helpers --------------------------------------------------------------------------------


def _dataset_nd(x: object, y: object) -> DatasetNd:
    """Accept a DatasetNd, a univariate Dataset, or points and labels."""
    if isinstance(x, (DatasetNd, Dataset)):
        if y is not None:
            raise InvalidDataError("give either a dataset or x and y, not both")
        return DatasetNd.from_univariate(x) if isinstance(x, Dataset) else x
    if y is None:
        raise InvalidDataError("labels y are missing")
    return DatasetNd(x, y)


def _dot(p: tuple[Fraction, ...], q: tuple[Fraction, ...]) -> Fraction:
    return sum((a * b for a, b in zip(p, q)), Fraction(0))


def _json_float(v: object) -> object:
    return None if isinstance(v, float) and math.isnan(v) else v


def _count(value: object, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InvalidValueError(f"{name}: {value!r} must be an integer >= {minimum}")
    return int(value)

