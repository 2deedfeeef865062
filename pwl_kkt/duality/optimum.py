"""The infinite-width max-margin optimum ``P*`` as a second-order cone program.

Problem (4) of Safran, Vardi & Lee (2022) over *all* widths::

    P* = min_{theta, any width} 1/2 ||theta||^2  s.t.  y_i N_theta(x_i) >= 1
       = min sum_j |v_j| ||(w_j, b_j)||        (balance each neuron: |v_j| = ||(w_j, b_j)||),

is the F1 (variation-norm) max-margin problem of Chizat & Bach. Following Pilanci & Ergen (2020),
group the neurons by their activation pattern ``D = {i : (w, b) . xt_i > 0}`` on the augmented
points ``xt_i = (x_i, 1)``. Neurons with the same pattern and the same output sign merge into
one (``sum_j c_j relu(u_j . xt) = (sum_j c_j u_j) . xt`` on the data, and the norm of the sum is
at most the sum of norms), so::

    P* = min sum_D ||a_D|| + ||a'_D||
         s.t.  y_i sum_D 1[i in D] xt_i . (a_D - a'_D) >= 1,
               a_D, a'_D in K_D = {u : u . xt_i >= 0 (i in D), u . xt_i <= 0 (i not in D)}.

In one dimension the patterns are exact and few: ``u . xt_i = w x_i + b`` is monotone in ``x``,
so every pattern is a suffix ``{x_i > c}`` or a prefix ``{x_i < c}`` of the sorted data:
``2m - 1`` non-empty patterns for ``m`` distinct x values, enumerated by sorting, never
sampled. Each cone ``K_D`` needs only four linear constraints (the extreme active and inactive
points), and the margins are cumulative sums over patterns, so the program has ``O(n)``
variables and constraints. An optimal network is read off as
``(w, b) = a / sqrt(||a||), v = +-sqrt(||a||)`` (width at most the number of nonzero blocks).

The dual of the program is ``max sum_i lambda_i s.t. max_u |G_lambda(u)| <= 1``
(:mod:`pwl_kkt.duality.dual`), so the solver's multipliers give a lower bound, and the gap between
the extracted network's normalised value and that bound is reported.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import sympy

from .._rational import fraction_text
from ..errors import InvalidDataError
from ..model.data import Dataset, as_dataset
from ..model.data_nd import DatasetNd
from ..model.network import Network
from .dual import dual_value_exact, max_abs_dual

__all__ = [
    "MaxMarginOptimum",
    "activation_patterns",
    "global_max_margin",
    "optimality_gap",
    "optimality_value",
]


@dataclass(frozen=True)
class MaxMarginOptimum:
    """The infinite-width optimum ``P*`` of the max-margin problem and its certificates.

    Attributes
    ----------
    P_star : float
        The optimal value ``min 1/2 ||theta||^2`` over all widths: the cone program's value,
        or ``upper`` when the network found is better (the solver's accuracy at scale).
    P_star_exact : str or None
        ``P*`` exactly, as the SymPy text of ``sum q / sqrt(M)`` that was proven (see
        :func:`global_max_margin` and :meth:`recheck`), else ``None``.
    network : Network
        An optimal (float) network, every neuron balanced: the sparse vertex solution (at
        most one neuron per distinct x), or the interior-point solution when the sparse one
        was not as good or ``sparse=False``.
    regions : int
        Its effective number of linear regions (:func:`pwl_kkt.count_regions`), counted on
        ``network_exact`` when ``P*`` was proven.
    lambdas : tuple of float
        Dual multipliers of the margin constraints: the cone program's, or the sparse LP's
        when they give the better lower bound.
    upper : float
        ``1/2 ||theta||^2`` of ``network`` after normalisation to margin 1.
    lower : float
        ``sum lambda / max(1, max |G_lambda|)``: a dual lower bound (weak duality).
    gap : float
        ``upper - lower``; small means both are optimal.
    margin : float
        The maximal normalised margin ``1 / (2 P*)``.
    n_patterns : int
        Number of exact activation patterns in the program.
    seconds : float
        Solver wall time.
    P_star_exact_reason : str or None
        Why ``P_star_exact`` is ``None`` (not attempted, or no proof found).
    network_exact : Network or None
        The proof's primal side: an exact rational network with margins ``>= 1`` whose
        value ``sum_j |v_j| ||(w_j, b_j)||`` is exactly ``P*`` (not balanced; same function
        as ``network`` up to rounding).
    multipliers_exact : tuple of Fraction or None
        The proof's dual side: rational ``q`` with ``lambda = q / sqrt(max |G_q|^2)`` optimal.

    Examples
    --------
    >>> opt = global_max_margin([0], [1])
    >>> round(opt.P_star, 6), opt.P_star_exact
    (1.0, '1')
    """

    P_star: float
    P_star_exact: str | None
    network: Network
    regions: int
    lambdas: tuple[float, ...]
    upper: float
    lower: float
    gap: float
    margin: float
    n_patterns: int
    seconds: float
    P_star_exact_reason: str | None = None
    network_exact: Network | None = None
    multipliers_exact: tuple[Fraction, ...] | None = None

    def recheck(self, x: object, y: object = None) -> bool:
        """Re-prove ``P_star_exact`` from ``network_exact``, ``multipliers_exact`` and the data.

        With ``q = multipliers_exact`` and ``M = max |G_q|^2`` (exact), ``lambda = q / sqrt(M)``
        is dual feasible, so ``P* >= sum q / sqrt(M)`` (weak duality). The network must have
        every margin ``>= 1`` and every neuron along a direction ``d`` with
        ``G_q(d)^2 = M ||d||^2`` and ``sign G_q(d) = sign v``; then its value
        ``sum_j |v_j| ||d_j||`` is ``sum_j |v_j G_q(d_j)| / sqrt(M)``, and it must equal
        ``sum q / sqrt(M)``. Every check is in rationals; finally the text ``P_star_exact`` must
        equal ``sum q / sqrt(M)`` as a SymPy expression. ``False`` when there is no exact value.

        Examples
        --------
        >>> global_max_margin(["3/4"], [1]).recheck(["3/4"], [1])
        True
        """
        if self.P_star_exact is None or self.network_exact is None or not self.multipliers_exact:
            return False
        data = as_dataset(x, y)
        q = list(self.multipliers_exact)
        if len(q) != data.n or any(t < 0 for t in q):
            return False
        M = max_abs_dual(q, data, exact=True).max_sq
        net = self.network_exact.to_exact()
        vals = net.exact_values(data.x_exact)
        if not M or any(int(yi) * t < 1 for yi, t in zip(data.y.tolist(), vals)):
            return False
        primal = Fraction(0)  # sqrt(M) times the network's value sum_j |v_j| ||(w_j, b_j)||
        for w, b, v in zip(*net.fractions()):
            if v == 0:
                continue
            g = dual_value_exact(q, data, None, (w, b))
            if g * g != M * (w * w + b * b) or g * v <= 0:
                return False
            primal += abs(v * g)
        value = _proven_value(sum(q, Fraction(0)), M)
        return primal == sum(q) and sympy.simplify(sympy.sympify(self.P_star_exact) - value) == 0

    def to_dict(self) -> dict:
        """JSON-ready dictionary.

        Examples
        --------
        >>> d = global_max_margin([0], [1]).to_dict()
        >>> d["P_star_exact"], d["network_exact"], d["multipliers_exact"]
        ('1', {'w': ['0'], 'b': ['1'], 'v': ['1']}, ['1'])
        """
        w, b, v = self.network.arrays()
        exact_parts = () if self.network_exact is None else self.network_exact.fractions()
        return {
            "P_star": self.P_star,
            "P_star_exact": self.P_star_exact,
            "gap": self.gap,
            "upper": self.upper,
            "lower": self.lower,
            "margin": self.margin,
            "regions": self.regions,
            "n_patterns": self.n_patterns,
            "seconds": self.seconds,
            "lambdas": list(self.lambdas),
            "network": {"w": w.tolist(), "b": b.tolist(), "v": v.tolist()},
            "P_star_exact_reason": self.P_star_exact_reason,
            "network_exact": None
            if self.network_exact is None
            else dict(zip("wbv", ([fraction_text(t) for t in p] for p in exact_parts))),
            "multipliers_exact": None
            if self.multipliers_exact is None
            else [fraction_text(t) for t in self.multipliers_exact],
        }

    @classmethod
    def from_dict(cls, d: dict) -> MaxMarginOptimum:
        """Inverse of :meth:`to_dict`.

        Examples
        --------
        >>> opt = global_max_margin([0], [1])
        >>> MaxMarginOptimum.from_dict(opt.to_dict()).P_star == opt.P_star
        True
        """
        net = d["network"]
        return cls(
            P_star=float(d["P_star"]),
            P_star_exact=d["P_star_exact"],
            network=Network(*(np.asarray(net[k], dtype=np.float64) for k in ("w", "b", "v"))),
            regions=int(d["regions"]),
            lambdas=tuple(float(t) for t in d["lambdas"]),
            upper=float(d["upper"]),
            lower=float(d["lower"]),
            gap=float(d["gap"]),
            margin=float(d["margin"]),
            n_patterns=int(d["n_patterns"]),
            seconds=float(d["seconds"]),
            P_star_exact_reason=d.get("P_star_exact_reason"),
            network_exact=None
            if d.get("network_exact") is None
            else Network(*(d["network_exact"][k] for k in "wbv")),
            multipliers_exact=None
            if d.get("multipliers_exact") is None
            else tuple(Fraction(t) for t in d["multipliers_exact"]),
        )


def activation_patterns(x: object) -> list[tuple[int, int]]:
    """The exact activation patterns of the points ``(x_i, 1)`` in one dimension.

    A pattern is returned as ``(kind, k)`` over the sorted *distinct* values
    ``z_0 < ... < z_{m-1}``: ``(+1, k)`` is the suffix ``{x >= z_k}`` (neurons ``w > 0`` with
    their kink in ``[z_{k-1}, z_k)``, or ``w = 0, b > 0`` for ``k = 0``) and ``(-1, k)`` the
    prefix ``{x <= z_{k-1}}``. The full set appears once, the empty set not at all:
    ``2m - 1`` patterns.

    Examples
    --------
    >>> activation_patterns([3, 1, 2, 1])
    [(1, 0), (1, 1), (1, 2), (-1, 1), (-1, 2)]
    """
    xs = np.asarray(x if not isinstance(x, Dataset) else x.x_float, dtype=np.float64)
    m = np.unique(xs).size
    return [(1, k) for k in range(m)] + [(-1, k) for k in range(1, m)]


def _grouped(data: Dataset) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted distinct x (float), their label, and the group index of each point."""
    z, inverse = np.unique(data.x_float, return_inverse=True)
    labels = np.zeros(z.size)
    labels[inverse] = data.y
    return z, labels, inverse


def _solve(z: np.ndarray, labels: np.ndarray, solver: str | None = None):
    """Solve the SOCP over the 2m - 1 exact patterns; return blocks, duals, value.

    Blocks: suffix ``k = 0..m-1`` (groups ``j >= k`` active) and prefix ``k = 1..m-1`` (groups
    ``j < k`` active), each with a positive and a negative part. The margins need the
    cumulative sums of the blocks; they are auxiliary variables tied to the blocks by
    two-term difference equations, so the whole program stays O(m) and sparse.
    """
    import cvxpy as cp

    m = z.size
    zmin, zmax = float(z[0]), float(z[-1])

    def cone(A, act_lo, act_hi, ina_lo, ina_hi):
        # u . (x, 1) is affine and monotone in x: the extreme points of each side suffice
        out = [
            cp.multiply(act_lo, A[:, 0]) + A[:, 1] >= 0,
            cp.multiply(act_hi, A[:, 0]) + A[:, 1] >= 0,
        ]
        if ina_lo is not None:
            out += [
                cp.multiply(ina_lo, A[:, 0]) + A[:, 1] <= 0,
                cp.multiply(ina_hi, A[:, 0]) + A[:, 1] <= 0,
            ]
        return out

    S_pos, S_neg = cp.Variable((m, 2)), cp.Variable((m, 2))
    blocks = [S_pos, S_neg]
    cons = []
    for A in (S_pos, S_neg):
        cons += cone(A[:1], np.array([zmin]), np.array([zmax]), None, None)
        if m > 1:
            cons += cone(A[1:], z[1:], np.full(m - 1, zmax), np.full(m - 1, zmin), z[:-1])
    C_suf = cp.Variable((m, 2))
    cons.append(C_suf[0] == S_pos[0] - S_neg[0])
    if m > 1:
        cons.append(C_suf[1:] - C_suf[:-1] == S_pos[1:] - S_neg[1:])
    f = cp.multiply(z, C_suf[:, 0]) + C_suf[:, 1]
    if m > 1:
        P_pos, P_neg = cp.Variable((m - 1, 2)), cp.Variable((m - 1, 2))
        blocks += [P_pos, P_neg]
        for A in (P_pos, P_neg):
            cons += cone(A, np.full(m - 1, zmin), z[:-1], z[1:], np.full(m - 1, zmax))
        # row r is the prefix k = r + 1 (groups j <= r); group j sees rows r >= j
        C_pre = cp.Variable((m - 1, 2))
        cons.append(C_pre[m - 2] == P_pos[m - 2] - P_neg[m - 2])
        if m > 2:
            cons.append(C_pre[:-1] - C_pre[1:] == P_pos[:-1] - P_neg[:-1])
        f_pre = cp.multiply(z[:-1], C_pre[:, 0]) + C_pre[:, 1]
        f = f + cp.hstack([f_pre, np.zeros(1)])
    margin = cp.multiply(labels, f) >= 1
    cons.append(margin)
    obj = sum(cp.sum(cp.norm(B, 2, axis=1)) for B in blocks)
    prob = cp.Problem(cp.Minimize(obj), cons)
    kwargs = {"solver": solver} if solver else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            prob.solve(**kwargs)
        except cp.error.SolverError:
            prob.solve(solver="SCS", eps=1e-9)
    if prob.status not in ("optimal", "optimal_inaccurate"):
        raise InvalidDataError(f"the cone program ended with status {prob.status}")
    signs = [1.0, -1.0, 1.0, -1.0]
    neurons = []
    for B, s in zip(blocks, signs):
        for a in np.asarray(B.value):
            neurons.append((a, s))
    return neurons, np.asarray(margin.dual_value, dtype=np.float64), float(prob.value)


def global_max_margin(
    x: object,
    y: object = None,
    *,
    exact: bool | None = None,
    solver: str | None = None,
    sparse: bool = True,
) -> MaxMarginOptimum:
    """The infinite-width optimum ``P* = min 1/2 ||theta||^2`` of the max-margin problem.

    Solves the convex reformulation over the exact 1D activation patterns (see the module
    docstring) with cvxpy (Clarabel by default). The maximal normalised margin
    ``max min_i y_i N(x_i) / ||theta||^2`` over all widths is ``1 / (2 P*)``.

    **A sparse optimal network** (``sparse=True``). An interior-point solver spreads the mass
    over every pattern it may use (width ``~ 4n``). The returned network is instead a basic
    (vertex) solution of the linear program "minimise ``sum_j c_j`` over ``c >= 0`` with
    margins ``sum_j c_j s_j y_i relu(u_j . xt_i) >= 1``" over unit directions ``u_j``,
    solved by the dual simplex method with column generation: start from the heaviest blocks
    of the cone program, and while the LP's multipliers ``mu`` have ``max |G_mu| > 1 + 1e-9``
    add the maximising direction of :func:`~pwl_kkt.duality.dual.max_abs_dual` (the most improving
    neuron). A basic solution has at most as many neurons as distinct data points
    (Caratheodory); when the loop ends on that test, ``sum mu / max|G_mu|`` bounds ``P*``
    from below and the LP value is ``P*`` to a relative 1e-9 (it also ends when the value
    stalls for five rounds: degenerate LPs). Light neurons (below 1e-3 of the mass) are then
    dropped one at a time while the LP value stays within 1e-6 relative. The network is kept
    when its normalised value is within the cone program's accuracy (1e-6 relative) of the
    interior-point network's; else that network is returned. ``regions`` is its effective
    region count (on the exact network when ``P*`` is proven).

    ``P_star_exact`` (exact inputs, or ``exact=True``, which reads floats as the dyadic
    rationals they are): candidate multipliers (the LP's vertex multipliers, then the
    solver's) are rounded to rationals ``q`` (scale-free, denominators up to ``10^8``) and
    the exact maximum ``M = max |G_q|^2`` is computed; ``lambda = q / sqrt(M)`` is then
    exactly dual feasible, so ``P* >= sum q / sqrt(M)``. The primal side uses *every*
    direction ``d_j`` where ``|G_q|`` attains ``sqrt(M)`` -- interior sector maxima
    ``+-g_A(q)`` and the Clarke directions whose kink sits on a data point -- and solves
    for coefficients ``c_j >= 0`` (an exact basic solution) with margin ``= 1`` on the
    support of ``q`` and ``>= 1`` everywhere, checked in rationals. Then the network
    ``sum_j c_j s_j relu(d_j . xt)`` has value ``sum_j c_j ||d_j|| = sum q / sqrt(M)``, equal
    to the dual bound, and ``P* = sum q / sqrt(M)`` is proved; the text is that expression,
    simplified by exact identities only (``sqrt`` of a rational with square factors taken
    out). ``network_exact`` and ``multipliers_exact`` hold the proof (:meth:`recheck`).
    When no candidate works ``P_star_exact`` is ``None`` and ``P_star_exact_reason`` says why
    -- typically optimal kinks on data points whose norms ``||(x_i, 1)||`` are different
    surds, so that ``P*`` is not of the form ``sum q / sqrt(M)``.

    Parameters
    ----------
    x, y : data
        A :class:`~pwl_kkt.Dataset` or the two sequences. Single-class data is fine.
    exact : bool, optional
        Try the exact derivation of ``P*`` (default: when the data is exact and ``n <= 400``).
    solver : str, optional
        A cvxpy solver name.
    sparse : bool
        Return the sparse vertex network (default) instead of the interior-point one.

    Raises
    ------
    NotSeparableError
        Two equal x with different labels.
    InvalidDataError, InvalidValueError
        Empty data, NaN.

    Examples
    --------
    Safran et al.'s Example 1 (``x = (4, -4)``, ``y = (1, 1)``): one neuron per point beats the
    bias neuron ``theta(0)`` (value 1).

    >>> opt = global_max_margin([4, -4], [1, 1])
    >>> opt.P_star_exact, round(opt.P_star, 6), opt.network.width, opt.regions
    ('2*sqrt(17)/17', 0.485071, 2, 3)
    >>> opt.recheck([4, -4], [1, 1])
    True

    Data in the plane (a :class:`~pwl_kkt.DatasetNd` with ``d = 2``) go to
    :func:`~pwl_kkt.duality.optimum_plane.global_max_margin_2d` (every pattern of the plane,
    enumerated exactly), which returns a :class:`~pwl_kkt.duality.optimum_plane.MaxMarginOptimum2d`.
    """
    if isinstance(x, DatasetNd):
        if x.d == 2:
            from .optimum_plane import global_max_margin_2d

            return global_max_margin_2d(x, solver=solver, sparse=sparse, exact=exact)
        if x.d != 1:
            raise InvalidDataError(
                f"global_max_margin needs data on the line or in the plane (d = 1 or d = 2, "
                f"where every activation pattern is enumerated exactly); got d = {x.d}"
            )
        x = x.to_univariate()
    data = as_dataset(x, y).require_separable()
    z, labels, inverse = _grouped(data)
    t0 = time.perf_counter()
    neurons, duals, value = _solve(z, labels, solver)
    seconds = time.perf_counter() - t0
    lam = _per_point(duals, inverse, data.n)
    # Drop solver residue (blocks below 1e-6 of the total) unless that costs more than
    # 1e-6 relative in the normalised value -- the interior-point solver's own accuracy,
    # so the pruned network is as optimal as the solve can tell. Either way margins >= 1
    # are restored by scaling.
    net, upper = _feasible(_network(neurons, 1e-6), data)
    full, upper_full = _feasible(_network(neurons, 1e-12), data)
    if not upper <= upper_full * (1 + 1e-6):
        net, upper = full, upper_full
    dm = max_abs_dual(lam, data.x_float, data.y, exact=False)
    lower = float(lam.sum()) / max(1.0, dm.max_abs_float)
    sources = [lam]
    if sparse:
        found = _vertex_network(z, labels, neurons, np.clip(duals, 0.0, None))
        if found is not None:
            # without simplex dust (basic variables at the solver's tolerance), by the same
            # rule as above
            vnet, vup = _feasible(_network(found[0], 1e-6), data)
            vfull, vup_full = _feasible(_network(found[0], 0.0), data)
            if not vup <= vup_full * (1 + 1e-6):
                vnet, vup = vfull, vup_full
            if vup <= upper * (1 + 1e-6):
                net, upper = vnet, vup
            mu = _per_point(found[1], inverse, data.n)
            sources.insert(0, mu)
            bound = float(mu.sum()) / max(1.0, max_abs_dual(mu, data.x_float, data.y).max_abs_float)
            if bound > lower:  # the LP's multipliers certify more than the cone program's
                lam, lower = mu, bound
    # P* lies in [lower, upper]; at scale the cone program's value can miss it (relative
    # 1e-4 at n = 10^4), so never report a value above a network we hold
    value = min(value, upper)
    from ..geometry.regions import count_regions

    exact_arg = exact
    if exact is None:
        exact = data.is_exact and data.n <= _EXACT_MAX_N
    proof = _exact_optimum(data, sources) if exact else None
    if proof is None:
        reason = _NO_PROOF if exact else _not_attempted(data, exact_arg)
    else:
        reason = None
        if sparse:
            net, upper = _feasible(_balanced(proof[1]), data)
    regions_of = proof[1] if proof is not None and sparse else net
    return MaxMarginOptimum(
        P_star=value,
        P_star_exact=None if proof is None else proof[0],
        network=net,
        regions=count_regions(regions_of) if regions_of.width else 1,
        lambdas=tuple(float(t) for t in lam),
        upper=upper,
        lower=lower,
        gap=upper - lower,
        margin=1.0 / (2.0 * value),
        n_patterns=2 * z.size - 1,
        seconds=seconds,
        P_star_exact_reason=reason,
        network_exact=None if proof is None else proof[1],
        multipliers_exact=None if proof is None else proof[2],
    )


_EXACT_MAX_N = 400
_NO_PROOF = (
    "no rational multipliers q (denominators up to 1e8) with a primal network on the "
    "maximising directions of G_q: the optimal multipliers are not a multiple of a rational "
    "vector (e.g. optimal kinks on data points with different irrational norms ||(x_i, 1)||), "
    "or the solver was too inaccurate to round them"
)
_VERTEX_ROUNDS = 200  # column-generation rounds (each adds the most improving neuron)
_VERTEX_STALL = 5  # rounds without a decrease of the LP value before stopping
_VERTEX_TOL = 1e-9  # stop when max |G_mu| <= 1 + this: the LP value is P* to this accuracy


def _not_attempted(data: Dataset, exact: bool | None) -> str:
    if exact is False:
        return "not attempted (exact=False)"
    if not data.is_exact:
        return "not attempted: the data are floats (pass exact=True to use their dyadic values)"
    return f"not attempted: n > {_EXACT_MAX_N} (pass exact=True)"


def _per_point(group_values: np.ndarray, inverse: np.ndarray, n: int) -> np.ndarray:
    """Per-point multipliers from per-distinct-x ones (each group's goes to its first point)."""
    lam = np.zeros(n)
    first: set = set()
    for i, g in enumerate(inverse.tolist()):
        if g not in first:
            first.add(g)
            lam[i] = max(float(group_values[g]), 0.0)
    return lam


def _vertex_network(z: np.ndarray, labels: np.ndarray, neurons: list, lam: np.ndarray):
    """A basic optimal solution of the LP over directions, by column and row generation.

    Columns start as the cone program's heavy blocks (above 1e-3 of the total norm), rows as
    its support (multipliers above 1e-6 of the largest); a slack per row with a cost far
    above the multipliers (an exact penalty) keeps every LP feasible.
    ``lam`` are the cone program's multipliers per distinct x. Returns ``(network, mu)``
    (``mu`` the LP multipliers per distinct x) or ``None`` when the LP fails, a slack stays
    positive or the rounds run out. See :func:`global_max_margin`.
    """
    from scipy.optimize import linprog

    data = Dataset(z, labels)
    a = np.array([blk for blk, _ in neurons], dtype=np.float64)
    s = np.array([sg for _, sg in neurons], dtype=np.float64)
    r = np.linalg.norm(a, axis=1)
    X = np.stack([z, np.ones(z.size)])
    rows = lam > 1e-6 * float(lam.max()) if lam.max() > 0 else np.ones(z.size, dtype=bool)
    keep = r > 1e-3 * float(r.sum())
    dirs, signs = a[keep] / r[keep, None], s[keep]
    big = 10.0 * max(float(lam.max()), 1e-300)
    best, stall = math.inf, 0
    for _ in range(_VERTEX_ROUNDS):
        A = labels[:, None] * np.maximum(dirs @ X, 0.0).T * signs
        nr, k = int(rows.sum()), signs.size
        res = linprog(
            np.concatenate([np.ones(k), np.full(nr, big)]),
            A_ub=-np.hstack([A[rows], np.eye(nr)]), b_ub=-np.ones(nr),
            bounds=(0, None), method="highs-ds",
        )
        if res.status != 0:
            return None
        margins = A @ res.x[:k]
        if np.any(margins[~rows] < 1 + 1e-6):
            rows |= margins < 1.5  # the points it breaks, and those about to be
            continue
        mu = np.zeros(z.size)
        mu[rows] = np.clip(-np.asarray(res.ineqlin.marginals, dtype=np.float64), 0.0, None)
        dm = max_abs_dual(mu, data, exact=False)
        # stop when the LP's multipliers certify optimality (max |G_mu| <= 1 + tol), or when
        # the value stalls or the most improving neuron is already a column (a degenerate LP
        # whose simplex multipliers hop between vertices of the optimal face)
        stall = stall + 1 if res.fun >= best * (1 - 1e-12) else 0
        best = min(best, res.fun)
        if dm.max_abs_float <= 1 + _VERTEX_TOL or stall >= _VERTEX_STALL:
            break
        u = np.asarray(dm.direction, dtype=np.float64) / math.hypot(*dm.direction)
        if np.any(np.all(np.abs(dirs - u) <= 1e-12, axis=1) & (signs == dm.sign)):
            break
        dirs = np.vstack([dirs, u])
        signs = np.append(signs, float(dm.sign))
    else:
        return None
    c = np.asarray(res.x[:k], dtype=np.float64)
    if np.any(res.x[k:] > 1e-9):
        return None  # the penalty was not exact: some point is not served by the columns
    # a degenerate LP has several optimal vertices (and the columns carry the cone program's
    # noise): drop light neurons while the value stays within its accuracy, 1e-6 relative
    total = float(c.sum())
    for j in np.argsort(c):
        if not 0 < c[j] < 1e-3 * total:
            continue
        on = c > 0
        on[j] = False
        sub = linprog(
            np.ones(int(on.sum())), A_ub=-A[:, on], b_ub=-np.ones(z.size), bounds=(0, None),
            method="highs-ds",
        )
        if sub.status == 0 and sub.fun <= total * (1 + 1e-6):
            c = np.zeros(k)
            c[on] = sub.x
    return [(cj * u, sj) for cj, u, sj in zip(c, dirs, signs) if cj > 0], mu


def _balanced(net: Network) -> Network:
    """The float network with the same function and every neuron balanced, |v| = ||(w, b)||."""
    w, b, v = net.to_float().arrays()
    scale = np.sqrt(np.abs(v) / np.maximum(np.hypot(w, b), 1e-300))
    return Network(w * scale, b * scale, v / np.where(scale > 0, scale, 1.0))


def _feasible(net: Network, data: Dataset) -> tuple[Network, float]:
    """Scale ``net`` to margins >= 1 if needed; return it with its normalised value."""
    if net.width:
        m = float(np.min(data.y * np.asarray(net(data.x_float))))
        if 0 < m < 1:
            net = net.scaled(1.0 / math.sqrt(m))
    return net, optimality_value(net, data)


def _network(neurons, rel: float) -> Network:
    """Blocks to a balanced network, dropping blocks below ``rel`` of the total norm."""
    norms = np.array([np.linalg.norm(a) for a, _ in neurons])
    keep = norms > rel * max(float(norms.sum()), 1e-300)
    w, b, v = [], [], []
    for (a, s), r, k in zip(neurons, norms, keep):
        if k:
            q = math.sqrt(r)
            w.append(a[0] / q)
            b.append(a[1] / q)
            v.append(s * q)
    return Network(np.array(w), np.array(b), np.array(v))


def optimality_value(net: Network, x: object, y: object = None) -> float:
    """``1/2 ||theta||^2 / min_i y_i N(x_i)``: the norm of ``net`` normalised to margin 1.

    By 2-homogeneity, ``theta / sqrt(m)`` with ``m = min_i y_i N(x_i) > 0`` has margin 1.
    Returns ``inf`` when some point is not correctly classified.

    Examples
    --------
    >>> optimality_value(Network([0], [2], [2]), [4, -4], [1, 1])
    1.0
    """
    data = as_dataset(x, y)
    margins = data.y * np.asarray(net(data.x_float), dtype=np.float64)
    m = float(margins.min()) if margins.size else math.inf
    if m <= 0:
        return math.inf
    return 0.5 * float(net.to_float().sq_norm) / m


def optimality_gap(net: Network, x: object, y: object = None, *, optimum=None) -> float:
    """The gap ``1/2 ||theta_normalised||^2 - P*`` of any network (``>= 0`` up to solver accuracy).

    ``theta`` is first normalised to margin 1 (:func:`optimality_value`); ``P*`` comes from
    :func:`global_max_margin` (pass ``optimum`` to reuse one). ``inf`` if ``net`` misclassifies.

    Examples
    --------
    >>> round(optimality_gap(Network([0], [1], [1]), [4, -4], [1, 1]), 6)
    0.514929
    """
    data = as_dataset(x, y)
    opt = optimum if optimum is not None else global_max_margin(data, exact=False)
    return optimality_value(net, data) - opt.P_star


def _rationalize(values: np.ndarray, limit: int) -> list[Fraction]:
    top = float(np.max(values)) if values.size else 0.0
    if top <= 0:
        return [Fraction(0)] * values.size
    out = []
    for t in values / top:
        q = Fraction(float(t)).limit_denominator(limit)
        out.append(q if q > Fraction(1, 10 * limit) else Fraction(0))
    return out


def _exact_optimum(data: Dataset, sources: list[np.ndarray]):
    """Derive and prove ``P*`` exactly (see :func:`global_max_margin`).

    Returns ``(text, network, q)`` -- the exact value, an exact network of F1 value ``P*``
    with margins ``>= 1``, and the rational multipliers ``q`` -- or ``None``.
    """
    xs = data.x_exact
    ys = [int(t) for t in data.y.tolist()]
    tried: set = set()
    for lam in sources:
        for limit in (10, 100, 10**3, 10**4, 10**6, 10**8):
            q = _rationalize(lam, limit)
            if not any(q) or tuple(q) in tried:
                continue
            tried.add(tuple(q))
            M = max_abs_dual(q, xs, ys, exact=True).max_sq
            if not M:
                continue
            dirs = _maximizers(q, xs, ys, M)
            c = _combination(dirs, q, xs, ys)
            if c is None:
                continue
            keep = [j for j, cj in enumerate(c) if cj]
            net = Network(
                [dirs[j][0] for j in keep], [dirs[j][1] for j in keep],
                [dirs[j][2] * c[j] for j in keep],
            )
            return str(_proven_value(sum(q), M)), net, tuple(q)
    return None


def _proven_value(total: Fraction, M: Fraction) -> sympy.Expr:
    """``total / sqrt(M)`` as SymPy builds it: exact, square factors of ``M`` taken out."""
    R = sympy.Rational
    return R(total.numerator, total.denominator) / sympy.sqrt(R(M.numerator, M.denominator))


def _maximizers(q: list[Fraction], xs, ys, M: Fraction) -> list[tuple[Fraction, Fraction, int]]:
    """Every direction ``d = (w, b)`` (up to scale) with ``G_q(d)^2 = M ||d||^2``, with sign.

    The sector walk of :mod:`pwl_kkt.duality.dual` lists every local candidate: the interior
    sector maxima ``+-g_A`` and the sector ends, which are the Clarke directions with the
    kink on a data point; the maximum of ``|u . g_A|`` on a closed arc is attained at one of
    them, so no maximiser is missed.
    """
    from .dual import _candidates, _groups

    zs, c0, c1 = _groups(xs, [qi * yi for qi, yi in zip(q, ys)])
    out: list[tuple[Fraction, Fraction, int]] = []
    for sq, d, val in _candidates(zs, c0, c1, Fraction(0), True):
        key = (Fraction(d[0]), Fraction(d[1]), 1 if val > 0 else -1)
        if sq == M and val != 0 and key not in out:
            out.append(key)
    return out


def _combination(dirs, q: list[Fraction], xs, ys) -> list[Fraction] | None:
    """Exact ``c >= 0``: margins ``= 1`` on the support of ``q`` and ``>= 1`` elsewhere.

    The rows are the margins ``y_i s_j relu(w_j x_i + b_j)`` of the directions; see
    :func:`_combination_rows`.
    """
    from .._rational import fraction_to_float

    if not dirs:
        return None
    zero = Fraction(0)
    A = [[yi * s * max(w * xi + b, zero) for w, b, s in dirs] for xi, yi in zip(xs, ys)]
    cost = [math.hypot(fraction_to_float(w), fraction_to_float(b)) for w, b, _ in dirs]
    return _combination_rows(A, q, cost)


def _combination_rows(A: list[list[Fraction]], q, cost: list[float]) -> list[Fraction] | None:
    """Exact ``c >= 0`` with ``A c = 1`` on the support of ``q`` and ``A c >= 1`` elsewhere.

    A float simplex solve (HiGHS, minimising ``cost . c``) picks a basic solution; its basis
    is then solved over QQ and every constraint is checked in rationals.
    """
    from scipy.optimize import linprog

    from .._rational import fraction_to_float

    if not A or not A[0]:
        return None
    zero = Fraction(0)
    Af = np.array([[fraction_to_float(t) for t in row] for row in A])
    if not np.all(np.isfinite(Af)):
        return None
    sup = np.array([qi > 0 for qi in q])
    kw = {"A_eq": Af[sup], "b_eq": np.ones(int(sup.sum()))}
    if not sup.all():
        kw.update(A_ub=-Af[~sup], b_ub=-np.ones(int((~sup).sum())))
    res = linprog(np.asarray(cost, dtype=np.float64), bounds=(0, None), method="highs-ds", **kw)
    if res.status != 0:
        return None
    cf = np.asarray(res.x)
    cols = np.flatnonzero(cf > 1e-9 * max(float(cf.max()), 1e-300))
    rows = np.flatnonzero(sup | (np.abs(Af @ cf - 1) <= 1e-9))
    sol = _solve_exact([[A[i][j] for j in cols] for i in rows], len(cols))
    if sol is None or any(t < 0 for t in sol):
        return None
    c = [zero] * len(A[0])
    for j, t in zip(cols, sol):
        c[j] = t
    for i, row in enumerate(A):
        m = sum((a * cj for a, cj in zip(row, c) if cj), zero)
        if m < 1 or (sup[i] and m != 1):
            return None
    return c


def _solve_exact(rows: list[list[Fraction]], ncols: int) -> list[Fraction] | None:
    """A solution of ``rows . c = 1`` over QQ (free unknowns 0), or None if inconsistent."""
    from sympy import QQ
    from sympy.polys.matrices import DomainMatrix

    if not rows:
        return [Fraction(0)] * ncols
    dense = [[QQ(t.numerator, t.denominator) for t in row] + [QQ(1)] for row in rows]
    R, pivots = DomainMatrix(dense, (len(rows), ncols + 1), QQ).rref()
    if ncols in pivots:
        return None
    R = R.to_list()
    out = [Fraction(0)] * ncols
    for r, pc in enumerate(pivots):
        e = R[r][-1]
        out[pc] = Fraction(int(e.numerator), int(e.denominator))
    return out
