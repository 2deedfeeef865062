"""``min ||w||^2`` subject to ``x_i . w >= 1``: a float solve, then the exact answer.

The program is a convex QP with linear constraints, so its KKT conditions are necessary and
sufficient: ``w`` is the (unique) minimizer iff ``w = sum_i alpha_i x_i`` with
``alpha >= 0``, ``x_i . w >= 1`` for all i and ``alpha_i = 0`` unless ``x_i . w = 1``.
Indeed for any feasible ``w'``, ``||w'||^2 - ||w||^2 >= 2 w . (w' - w)
= 2 sum_i alpha_i (x_i . w' - 1) >= 0``.

The float solution (cvxpy) names a support ``P``; an independent subset ``B`` of the points
in ``P`` gives ``w = X_B^T beta`` with ``X_B X_B^T beta = 1``, solved over QQ. Every
condition is then checked exactly. When one fails, the support is corrected (a point with
``beta_b < 0`` leaves, the most violated constraint enters) and the check is repeated, a
bounded number of times.

The program is infeasible iff ``0`` is in the convex hull of the points (Gordan): an exact
certificate is ``alpha >= 0``, ``sum alpha = 1``, ``sum alpha_i x_i = 0``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .._rational import fraction_to_float
from ..kkt.exact import _rref

__all__ = ["ExactMinNorm", "min_norm_exact"]

_SUPPORT_RTOL = 1e-7  # a float multiplier below this fraction of the largest is taken as 0


@dataclass(frozen=True)
class ExactMinNorm:
    """Outcome: ``status`` is ``"proven"``, ``"infeasible"`` or ``"not proven"``.

    ``support`` and ``alpha`` index the given points: the KKT multipliers of the minimizer
    ``w`` (proven), or Gordan's certificate (infeasible). ``w_float`` is the solver's answer.
    """

    status: str
    w: tuple[Fraction, ...] | None
    w_float: tuple[float, ...] | None
    support: tuple[int, ...]
    alpha: tuple[Fraction, ...]
    reason: str


def min_norm_exact(points: list[tuple[Fraction, ...]], d: int) -> ExactMinNorm:
    """Solve ``min ||w||^2`` s.t. ``points[i] . w >= 1`` exactly (at least one point in R^d)."""
    zero = next((i for i, p in enumerate(points) if not any(p)), None)
    if zero is not None:
        return ExactMinNorm("infeasible", None, None, (zero,), (Fraction(1),),
                            f"point {zero} is 0, so 0 . w >= 1 is impossible")
    # The solver sees the points times 2^-e, largest entry near 1 (no overflow, well scaled);
    # its answer w for them is 2^e times the answer for the points.
    top = max(abs(q) for p in points for q in p)
    e = top.numerator.bit_length() - top.denominator.bit_length()
    scale = Fraction(2) ** -e
    floats = np.array([[fraction_to_float(q * scale) for q in p] for p in points])
    status, alpha, w_float = _float_solve(floats)
    if status == "infeasible":
        return _gordan(points, _support(alpha))
    start = _support(alpha) if alpha is not None else []
    floats_w = None if w_float is None else tuple(math.ldexp(float(t), -e) for t in w_float)
    return _active_set(points, start, floats_w, max_iter=10 * (d + 2))


def _float_solve(x: np.ndarray) -> tuple[str, np.ndarray | None, np.ndarray | None]:
    """cvxpy: ``("optimal", alpha, w)``, ``("infeasible", Gordan weights, None)`` or a failure."""
    import cvxpy as cp

    w = cp.Variable(x.shape[1])
    cons = [x @ w >= 1]
    prob = cp.Problem(cp.Minimize(cp.sum_squares(w)), cons)
    if _solved(prob) and cons[0].dual_value is not None:
        return "optimal", np.asarray(cons[0].dual_value, dtype=float) / 2, np.asarray(w.value)
    if prob.status in ("infeasible", "infeasible_inaccurate"):
        return "infeasible", _hull_vertex(x), None
    return prob.status or "failed", None, None


def _hull_vertex(x: np.ndarray) -> np.ndarray | None:
    """A vertex of ``{alpha >= 0, sum alpha = 1, X^T alpha = 0}`` (simplex), or None.

    A vertex has at most d + 1 positive entries on independent columns, so its support
    determines it: the exact solve on that support is unique.
    """
    from scipy.optimize import linprog

    m, d = x.shape
    a_eq = np.vstack([x.T, np.ones((1, m))])
    b_eq = np.concatenate([np.zeros(d), [1.0]])
    res = linprog(np.zeros(m), A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs-ds")
    return np.asarray(res.x) if res.status == 0 else None


def _solved(prob: object) -> bool:
    import cvxpy as cp

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            prob.solve(solver=cp.CLARABEL)
        except cp.error.SolverError:
            return False
    return prob.status in ("optimal", "optimal_inaccurate")


def _support(alpha: np.ndarray | None) -> list[int]:
    """Indices of the clearly positive multipliers, largest first."""
    if alpha is None or not np.any(alpha > 0):
        return []
    keep = np.flatnonzero(alpha > _SUPPORT_RTOL * float(np.max(alpha)))
    return [int(i) for i in keep[np.argsort(-alpha[keep], kind="stable")]]


def _active_set(points: list[tuple[Fraction, ...]], start: list[int],
                w_float: tuple[float, ...] | None, max_iter: int) -> ExactMinNorm:
    """Exact active-set correction from the float support ``start`` (see the module docstring)."""
    ints = [_integer_form(p) for p in points]
    support = list(dict.fromkeys(start))
    tried: set[frozenset[int]] = set()
    for _ in range(max_iter):
        key = frozenset(support)
        if key in tried:
            break
        tried.add(key)
        basis = _independent(points, support)
        beta = _unit_solve(points, basis)
        if beta and min(beta) < 0:
            support.remove(basis[beta.index(min(beta))])
            continue
        w = tuple(sum((b * points[i][c] for i, b in zip(basis, beta)), Fraction(0))
                  for c in range(len(points[0])))
        worst = _most_violated(ints, w)
        if worst is None:
            reason = (f"KKT conditions verified exactly: w = sum of alpha_i x_i over "
                      f"{sum(1 for b in beta if b)} point(s) with alpha_i > 0 and x_i . w = 1; "
                      f"all {len(points)} constraints x . w >= 1 hold")
            nearest = tuple(fraction_to_float(t) for t in w)
            pairs = sorted((i, b) for i, b in zip(basis, beta) if b)  # zero ones carry nothing
            return ExactMinNorm("proven", w, nearest, tuple(i for i, _ in pairs),
                                tuple(b for _, b in pairs), reason)
        support.insert(0, worst)
    return ExactMinNorm("not proven", None, w_float, (), (),
                        "the exact active-set check did not close: no rational KKT point was "
                        f"found from the solver's support within {max_iter} corrections")


def _integer_form(p: tuple[Fraction, ...]) -> tuple[tuple[int, ...], int]:
    """``(N, L)`` with ``p = N / L``, ``L > 0`` the common denominator."""
    den = 1
    for q in p:
        den = math.lcm(den, q.denominator)
    return tuple(q.numerator * (den // q.denominator) for q in p), den


def _most_violated(ints: list[tuple[tuple[int, ...], int]], w: tuple[Fraction, ...]) -> int | None:
    """The index of the smallest margin ``x_i . w`` if it is below 1, else None (exact)."""
    wn, wd = _integer_form(w)
    worst, worst_margin = None, Fraction(1)
    for i, (n, den) in enumerate(ints):
        top = sum(a * b for a, b in zip(n, wn))
        if top < den * wd:  # x_i . w = top / (den wd) < 1
            margin = Fraction(top, den * wd)
            if margin < worst_margin:
                worst, worst_margin = i, margin
    return worst


def _independent(points: list[tuple[Fraction, ...]], order: list[int]) -> list[int]:
    """The first maximal linearly independent subset of ``points[order]``, in that order."""
    if not order:
        return []
    d = len(points[0])
    columns = [[points[i][c] for i in order] for c in range(d)]
    _, pivots = _rref(columns, len(order))
    return [order[p] for p in pivots]


def _unit_solve(points: list[tuple[Fraction, ...]], basis: list[int]) -> list[Fraction]:
    """``beta`` with ``X_B X_B^T beta = 1`` (``X_B`` has independent rows, so this is regular)."""
    if not basis:
        return []
    gram = [[sum((a * b for a, b in zip(points[i], points[j])), Fraction(0)) for j in basis]
            + [Fraction(1)] for i in basis]
    rows, _ = _rref(gram, len(basis) + 1)
    return [row[-1] for row in rows]


def _gordan(points: list[tuple[Fraction, ...]], support: list[int]) -> ExactMinNorm:
    """An exact certificate ``alpha >= 0``, ``sum alpha = 1``, ``sum alpha_i x_i = 0``."""
    failed = ExactMinNorm("not proven", None, None, (), (),
                          "the solver reports the program infeasible, but no exact "
                          "certificate (0 in the convex hull) was found on its support")
    if not support:
        return failed
    d = len(points[0])
    rows = [[points[i][c] for i in support] + [Fraction(0)] for c in range(d)]
    rows.append([Fraction(1)] * len(support) + [Fraction(1)])
    reduced, pivots = _rref(rows, len(support) + 1)
    if len(support) in pivots:
        return failed
    alpha = [Fraction(0)] * len(support)
    for row, p in zip(reduced, pivots):
        alpha[p] = row[-1]
    if min(alpha) < 0:
        return failed
    pairs = sorted((i, a) for i, a in zip(support, alpha) if a)
    return ExactMinNorm("infeasible", None, None, tuple(i for i, _ in pairs),
                        tuple(a for _, a in pairs),
                        f"0 is a convex combination of {len(pairs)} point(s) (exact "
                        "certificate), so no w has x . w > 0 on all of them")
