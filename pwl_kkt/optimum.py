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
(:mod:`pwl_kkt.duality`), so the solver's multipliers give a lower bound, and the gap between
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

from .data import Dataset, as_dataset
from .duality import dual_value_exact, max_abs_dual
from .errors import InvalidDataError
from .network import Network

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
        The optimal value ``min 1/2 ||theta||^2`` over all widths (solver value).
    P_star_exact : str or None
        ``P*`` as an exact SymPy expression (text), when it could be derived and proved
        exactly (see :func:`global_max_margin`), else ``None``.
    network : Network
        An optimal (float) network, balanced, of width at most ``n_patterns``.
    regions : int
        Its effective number of linear regions (:func:`pwl_kkt.count_regions`).
    lambdas : tuple of float
        Dual multipliers of the margin constraints (from the solver).
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

    def to_dict(self) -> dict:
        """JSON-ready dictionary.

        Examples
        --------
        >>> sorted(global_max_margin([0], [1]).to_dict())[:3]
        ['P_star', 'P_star_exact', 'gap']
        """
        w, b, v = self.network.arrays()
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
    x: object, y: object = None, *, exact: bool | None = None, solver: str | None = None
) -> MaxMarginOptimum:
    """The infinite-width optimum ``P* = min 1/2 ||theta||^2`` of the max-margin problem.

    Solves the convex reformulation over the exact 1D activation patterns (see the module
    docstring) with cvxpy (Clarabel by default). The maximal normalised margin
    ``max min_i y_i N(x_i) / ||theta||^2`` over all widths is ``1 / (2 P*)``.

    ``P_star_exact`` (exact inputs only): the solver's multipliers are rounded to rationals
    ``q`` (scale-free, denominators up to ``10^8``) and the exact maximum ``M = max |G_q|^2``
    is computed; ``lambda = q / sqrt(M)`` is then exactly dual feasible, so
    ``P* >= sum q / sqrt(M)``. The primal side uses the directions ``d_j = +-g_A(q)`` of the
    optimal patterns (rational vectors) and solves the support margins ``= 1`` exactly for their
    coefficients ``c_j``; if every margin is ``>= 1`` exactly, every ``||d_j||^2 = M`` and
    ``M sum |c_j| = sum q``, the primal value ``sqrt(M) sum |c_j|`` equals the dual bound and
    ``P* = sum q / sqrt(M)`` is proved. Otherwise ``P_star_exact`` is ``None``.

    Parameters
    ----------
    x, y : data
        A :class:`~pwl_kkt.Dataset` or the two sequences. Single-class data is fine.
    exact : bool, optional
        Try the exact derivation of ``P*`` (default: when the data is exact and small).
    solver : str, optional
        A cvxpy solver name.

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
    >>> opt.P_star_exact, round(opt.P_star, 6), opt.network.width
    ('2*sqrt(17)/17', 0.485071, 2)
    """
    data = as_dataset(x, y).require_separable()
    z, labels, inverse = _grouped(data)
    t0 = time.perf_counter()
    neurons, duals, value = _solve(z, labels, solver)
    seconds = time.perf_counter() - t0
    # multipliers per point: a group's dual goes to its first point
    lam = np.zeros(data.n)
    first = {}
    for i, g in enumerate(inverse.tolist()):
        if g not in first:
            first[g] = i
            lam[i] = max(float(duals[g]), 0.0)
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
    from .regions import count_regions

    exact_text = None
    if exact is None:
        exact = data.is_exact and data.n <= 400
    if exact:
        exact_text = _exact_value(data, lam, net)
    p = value
    return MaxMarginOptimum(
        P_star=p,
        P_star_exact=exact_text,
        network=net,
        regions=count_regions(net) if net.width else 1,
        lambdas=tuple(float(t) for t in lam),
        upper=upper,
        lower=lower,
        gap=upper - lower,
        margin=1.0 / (2.0 * p),
        n_patterns=2 * z.size - 1,
        seconds=seconds,
    )


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


def _exact_value(data: Dataset, lam: np.ndarray, net: Network) -> str | None:
    """Derive and prove ``P*`` exactly (see :func:`global_max_margin`), or return None."""
    xs = data.x_exact
    ys = [int(t) for t in data.y.tolist()]
    wf, bf, vf = net.arrays()
    for limit in (10, 100, 10**3, 10**4, 10**6, 10**8):
        q = _rationalize(lam, limit)
        if not any(q):
            continue
        M = max_abs_dual(q, xs, ys, exact=True).max_sq
        if not M:
            continue
        dirs = []
        for wj, bj, vj in zip(wf, bf, vf):
            act = [i for i, xi in enumerate(xs) if wj * float(xi) + bj > 1e-9 * math.hypot(wj, bj)]
            g0 = sum((q[i] * ys[i] for i in act), Fraction(0))
            g1 = sum((q[i] * ys[i] * xs[i] for i in act), Fraction(0))
            s = 1 if vj > 0 else -1
            d = (s * g1, s * g0)
            # only directions where G_q peaks at s * sqrt(M) can carry mass (G_q(d) = s M)
            if (d, s) not in dirs and d[0] ** 2 + d[1] ** 2 == M:
                if dual_value_exact(q, xs, ys, d) == s * M:
                    dirs.append((d, s))
        if not dirs:
            continue
        support = [i for i in range(data.n) if q[i] > 0]
        A = sympy.Matrix(
            [
                [ys[i] * s * max(d[0] * xs[i] + d[1], Fraction(0)) for d, s in dirs]
                for i in support
            ]
        )
        A = A.applyfunc(sympy.Rational)
        rhs = sympy.ones(len(support), 1)
        try:
            sol, params = A.gauss_jordan_solve(rhs)
        except ValueError:
            continue
        sol = sol.subs({p: 0 for p in params})
        c = [Fraction(int(sympy.fraction(t)[0]), int(sympy.fraction(t)[1])) for t in sol]
        if any(cj < 0 for cj in c):
            continue
        # exact primal feasibility: y_i sum_j s_j c_j relu(d_j . xt_i) >= 1 for every point
        feasible = all(
            ys[i]
            * sum(
                (s * cj * max(d[0] * xs[i] + d[1], Fraction(0)) for (d, s), cj in zip(dirs, c)),
                Fraction(0),
            )
            >= 1
            for i in range(data.n)
        )
        if feasible and M * sum(c) == sum(q):
            total = sympy.Rational(sum(q)) / sympy.sqrt(sympy.Rational(M))
            return str(sympy.nsimplify(total))
    return None

