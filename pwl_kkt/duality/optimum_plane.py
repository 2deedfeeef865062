"""The infinite-width max-margin optimum ``P*`` for data in the plane, over the exact patterns.

The program of :mod:`pwl_kkt.duality.optimum` in two dimensions (Pilanci & Ergen 2020,
"Neural networks are convex regularizers"; the F1 max-margin problem of Chizat & Bach 2020,
"Implicit Bias of Gradient Descent for Wide Two-layer Neural Networks Trained with the
Logistic Loss")::

    P* = min sum_D ||a_D|| + ||a'_D||
         s.t.  y_i xt_i . sum_{D containing i} (a_D - a'_D) >= 1,   a_D, a'_D in K_D,

over *every* activation pattern ``D`` of the points ``xt_i = (x_i, 1)``: the cells of the
great-circle arrangement (:mod:`pwl_kkt.geometry.great_circles`), enumerated exactly, never
sampled. ``K_D`` is the closed cone of the cell, cut out by its facets only (about four per cell
on average), not by one inequality per point.

Sparsity of the margins. Point ``i`` sees the sum ``T_i`` of the blocks of every pattern that
contains it -- half of them. Along an edge ``(p, q)`` of a spanning tree of the points,
``T_q - T_p`` only involves the patterns that separate ``p`` from ``q``; the tree is the minimum
spanning tree for that count (the Hamming distance of the pattern columns), so the margin rows
hold far fewer entries than the ``n (n^2 - n + 2) / 2`` of the direct sums.

The certificate. The solver's multipliers ``lambda`` (and those of the sparse network's linear
program) are read as exact rationals ``q >= 0``; ``M = max |G_q|^2`` is computed exactly
(:func:`pwl_kkt.duality.dual_plane.max_abs_dual_2d`), so ``q / sqrt(M)`` is dual feasible and
``P* >= sum q / sqrt(M)`` by weak duality. The network found is read exactly (floats are their
dyadic values); with its exact minimum margin ``m``, ``theta / sqrt(m)`` is feasible, so
``P* <= ||theta||^2 / (2 m)``, a rational. Both ends are proven; their floats are rounded
outwards.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import sympy

from .._rational import fraction_text, fraction_to_float
from ..errors import InvalidDataError, InvalidValueError
from ..geometry.great_circles import CircleArrangement, _dot, circle_arrangement
from ..model.data_nd import DatasetNd
from ..model.network_nd import NetworkNd
from .dual_plane import (
    DualMaximum2d,
    _FloatScan,
    _integer_coefficients,
    _maximizers,
    _scan_max,
    dual_value_2d,
    max_abs_dual_2d,
    plane_dataset,
    sqrt_interval,
)

__all__ = ["MaxMarginOptimum2d", "exact_margins_2d", "global_max_margin_2d"]


@dataclass(frozen=True)
class MaxMarginOptimum2d:
    """``P*`` for data in the plane, with a proven interval ``[lower, upper]`` and its proof.

    Attributes
    ----------
    P_star : float
        The cone program's value, clipped to ``[lower, upper]``.
    lower, upper : float
        ``lower <= P* <= upper``, proven (floats rounded outwards from the exact ends).
    lower_exact : str
        ``sum q / sqrt(M)`` as SymPy text: the dual bound.
    upper_exact : str
        The primal bound as SymPy text: ``||theta||^2 / (2 m)`` of ``network_exact`` (``m`` its
        exact minimum margin; a rational), or ``lower_exact`` itself when ``P*`` is exact.
    P_star_exact : str or None
        ``P*`` exactly when the two ends meet: ``network_exact`` then has every neuron on a
        maximising direction of ``G_q``, margins ``= 1`` where ``q > 0``, and F1 value
        ``sum_j |v_j| ||(w_j, b_j)|| = sum q / sqrt(M)``. Else ``None``.
    network : NetworkNd
        A sparse optimal network (float), every neuron balanced, margins ``>= 1``.
    network_exact : NetworkNd
        The network that proves ``upper`` (exact; margins ``>= m``).
    multipliers_exact : tuple of Fraction
        ``q``, one per point.
    dual : DualMaximum2d
        ``max |G_q|`` exactly (``M = dual.max_sq``).
    lambdas : tuple of float
        The solver's multipliers of the margin constraints.
    regions : int
        Effective linear regions of ``network_exact`` in the plane
        (:func:`pwl_kkt.count_regions`, exact).
    n_patterns : int
        Activation patterns of the points (the empty one excluded); every one of them enters
        the proof of ``lower`` through the exact ``max |G_q|``.
    seconds : float
        Wall time of the whole computation.
    method : str
        ``"columns"`` or ``"full"`` (see :func:`global_max_margin_2d`).
    n_program : int
        Patterns in the cone program that was solved last (all of them for ``"full"``).

    Examples
    --------
    Two points with label 1 on either side of the origin: one neuron each beats one bias
    neuron (``2 / sqrt(2) < 1`` is false, so here the bias neuron wins: ``P* = 1``).

    >>> opt = global_max_margin_2d([[1, 0], [-1, 0]], [1, 1])
    >>> opt.P_star_exact, opt.lower <= 1 <= opt.upper, opt.n_patterns
    ('1', True, 3)
    """

    P_star: float
    lower: float
    upper: float
    lower_exact: str
    upper_exact: str
    P_star_exact: str | None
    network: NetworkNd
    network_exact: NetworkNd
    multipliers_exact: tuple[Fraction, ...]
    dual: DualMaximum2d
    lambdas: tuple[float, ...]
    regions: int
    n_patterns: int
    seconds: float
    method: str = "full"
    n_program: int = 0

    @property
    def gap(self) -> float:
        """``upper - lower`` (0 when ``P*`` is exact)."""
        return self.upper - self.lower

    @property
    def interval(self) -> tuple[float, float]:
        """``(lower, upper)``."""
        return self.lower, self.upper

    @property
    def margin(self) -> float:
        """The maximal normalised margin ``1 / (2 P*)``."""
        return 1.0 / (2.0 * self.P_star)

    def recheck(self, x: object, y: object = None) -> bool:
        """Re-prove both ends from ``multipliers_exact``, ``network_exact`` and the data.

        ``M = max |G_q|^2`` is recomputed exactly and must equal ``dual.max_sq``, and
        ``lower_exact`` must be ``sum q / sqrt(M)``. Without ``P_star_exact``, the exact
        minimum margin ``m`` of ``network_exact`` must be ``> 0`` with ``||theta||^2 / (2 m)``
        equal to ``upper_exact``, not below the lower end. With it, every neuron must lie on a
        direction ``d`` with ``G_q(d)^2 = M ||d||^2`` and ``sign G_q(d) = sign v``, the margins
        must be ``>= 1`` (``= 1`` where ``q > 0``) and ``sum_j |v_j G_q(d_j)| = sum q``, which
        makes the network's F1 value ``sum q / sqrt(M)``. The floats must enclose the exact
        ends. Every check is in rationals.

        Examples
        --------
        >>> opt = global_max_margin_2d([[0, 0]], [1])
        >>> opt.recheck([[0, 0]], [1])
        True
        """
        data = plane_dataset(x, y, "recheck")
        q = self.multipliers_exact
        if len(q) != data.n or any(t < 0 for t in q):
            return False
        M = max_abs_dual_2d(q, data).max_sq
        if M != self.dual.max_sq or M == 0:
            return False
        total = sum(q, Fraction(0))
        if sympy.simplify(sympy.sympify(self.lower_exact) - _bound(total, M)) != 0:
            return False
        if Fraction(self.lower) ** 2 * M > total * total:
            return False
        margins = exact_margins_2d(self.network_exact, data)
        if self.P_star_exact is None:
            m = min(margins)
            if m <= 0:
                return False
            up = self.network_exact.sq_norm_exact() / (2 * m)
            return (str(sympy.Rational(up.numerator, up.denominator)) == self.upper_exact
                    and total * total <= M * up * up and Fraction(self.upper) >= up)
        if any(t < 1 or (qi > 0 and t != 1) for t, qi in zip(margins, q)):
            return False
        primal = Fraction(0)  # sqrt(M) times the F1 value sum_j |v_j| ||(w_j, b_j)||
        for (w1, w2), b, v in zip(*self.network_exact.fractions()):
            if v == 0:
                continue
            g = dual_value_2d(q, data, None, (w1, w2, b))
            if g * g != M * (w1 * w1 + w2 * w2 + b * b) or g * v <= 0:
                return False
            primal += abs(v * g)
        return (primal == total and self.upper_exact == self.lower_exact == self.P_star_exact
                and Fraction(self.upper) ** 2 * M >= total * total)

    def to_dict(self) -> dict:
        """JSON-ready dictionary (exact values as text).

        Examples
        --------
        >>> global_max_margin_2d([[0, 0]], [1]).to_dict()["P_star_exact"]
        '1'
        """
        w, b, v = self.network.arrays()
        W, B, V = self.network_exact.fractions()
        return {
            "P_star": self.P_star,
            "lower": self.lower,
            "upper": self.upper,
            "lower_exact": self.lower_exact,
            "upper_exact": self.upper_exact,
            "P_star_exact": self.P_star_exact,
            "network": {"w": w.tolist(), "b": b.tolist(), "v": v.tolist()},
            "network_exact": {
                "w": [[fraction_text(t) for t in r] for r in W],
                "b": [fraction_text(t) for t in B],
                "v": [fraction_text(t) for t in V],
            },
            "multipliers_exact": [fraction_text(t) for t in self.multipliers_exact],
            "dual": self.dual.to_dict(),
            "lambdas": list(self.lambdas),
            "regions": self.regions,
            "n_patterns": self.n_patterns,
            "seconds": self.seconds,
            "method": self.method,
            "n_program": self.n_program,
        }

    @classmethod
    def from_dict(cls, d: dict) -> MaxMarginOptimum2d:
        """Inverse of :meth:`to_dict`.

        Examples
        --------
        >>> opt = global_max_margin_2d([[0, 0]], [1])
        >>> MaxMarginOptimum2d.from_dict(opt.to_dict()) == opt
        True
        """
        net, ex = d["network"], d["network_exact"]
        return cls(
            P_star=float(d["P_star"]),
            lower=float(d["lower"]),
            upper=float(d["upper"]),
            lower_exact=str(d["lower_exact"]),
            upper_exact=str(d["upper_exact"]),
            P_star_exact=d["P_star_exact"],
            network=NetworkNd(*(np.asarray(net[k], dtype=np.float64) for k in "wbv")),
            network_exact=NetworkNd(ex["w"], ex["b"], ex["v"], exact=True),
            multipliers_exact=tuple(Fraction(t) for t in d["multipliers_exact"]),
            dual=DualMaximum2d.from_dict(d["dual"]),
            lambdas=tuple(float(t) for t in d["lambdas"]),
            regions=int(d["regions"]),
            n_patterns=int(d["n_patterns"]),
            seconds=float(d["seconds"]),
            method=str(d.get("method", "full")),
            n_program=int(d.get("n_program", 0)),
        )


def _bound(total: Fraction, M: Fraction) -> sympy.Expr:
    R = sympy.Rational
    return R(total.numerator, total.denominator) / sympy.sqrt(R(M.numerator, M.denominator))


def _floor_float(total: Fraction, M: Fraction) -> float:
    """The largest float ``f <= total / sqrt(M)`` up to one step (checked in QQ on squares)."""
    lo, _ = sqrt_interval(M)
    f = float(total) / lo if lo > 0 else 0.0
    target = total * total / M
    while f > 0 and Fraction(f) ** 2 > target:
        f = math.nextafter(f, 0.0)
    return f


def _ceil_sqrt(total: Fraction, M: Fraction) -> float:
    """The smallest float ``f >= total / sqrt(M)`` up to one step (checked in QQ on squares)."""
    f = float(total) / math.sqrt(float(M))
    target = total * total / M
    while Fraction(f) ** 2 < target:
        f = math.nextafter(f, math.inf)
    return f


def _ceil_float(q: Fraction) -> float:
    f = fraction_to_float(q)
    return f if Fraction(f) >= q else math.nextafter(f, math.inf)


def exact_margins_2d(net: NetworkNd, x: object, y: object = None) -> list[Fraction]:
    """``y_i N(x_i)`` exactly for a network and data in the plane (floats as dyadic values).

    Examples
    --------
    >>> exact_margins_2d(NetworkNd([[1, 0]], [1], [2]), [[1, 5], [-3, 0]], [1, -1])
    [Fraction(4, 1), Fraction(0, 1)]
    """
    data = plane_dataset(x, y, "exact_margins_2d")
    if net.d != 2:
        raise InvalidDataError(
            f"exact_margins_2d needs a network on the plane (d = 2); got d = {net.d}"
        )
    # integers throughout: u_j scaled by a common denominator, xt_i by its own, v likewise;
    # numpy object arrays keep Python integers (exact) with the loops in C
    W, B, V = net.fractions()
    rows = [(*w, b) for w, b in zip(W, B)]
    du = math.lcm(*(t.denominator for r in rows for t in r))
    dv = math.lcm(*(t.denominator for t in V))
    U = np.array([[int(t * du) for t in r] for r in rows], dtype=object).reshape(-1, 3)
    v = np.array([int(t * dv) for t in V], dtype=object)
    pts, scale = [], []
    for a, c in data.x_exact:
        s = math.lcm(a.denominator, c.denominator)
        pts.append([int(a * s), int(c * s), s])
        scale.append(s)
    P = np.array(pts, dtype=object).reshape(-1, 3)
    Z = P.dot(U.T)
    Z = np.where(Z > 0, Z, 0)
    total = Z.dot(v)
    ys = data.y.tolist()
    return [Fraction(int(yi) * int(t), s * du * dv) for yi, t, s in zip(ys, total, scale)]


# --- the cone program ---------------------------------------------------------------------


def _incidence(masks: list[int], m: int) -> np.ndarray:
    """Boolean (cells x points) matrix of the bit masks."""
    nbytes = max(1, (m + 7) // 8)
    raw = np.frombuffer(b"".join(c.to_bytes(nbytes, "little") for c in masks), dtype=np.uint8)
    bits = np.unpackbits(raw.reshape(len(masks), nbytes), axis=1, bitorder="little")
    return bits[:, :m].astype(bool)


def _tree(inc: np.ndarray) -> tuple[int, list[tuple[int, int]]]:
    """Root and parent-child edges of a minimum spanning tree for the separation counts."""
    from scipy.sparse.csgraph import breadth_first_order, minimum_spanning_tree

    f = inc.astype(np.float32)
    both = f.T @ f
    size = np.diag(both)
    ham = size[:, None] + size[None, :] - 2 * both + 1.0  # + 1: no zero weights
    np.fill_diagonal(ham, 0.0)
    mst = minimum_spanning_tree(ham)
    sym = mst + mst.T
    order, pred = breadth_first_order(sym, 0, directed=False)
    return 0, [(int(pred[q]), int(q)) for q in order[1:]]


def _solve(X: np.ndarray, labels: np.ndarray, masks: list[int], facets: list, solver):
    """Solve the cone program over the given cells; blocks, multipliers, value."""
    import cvxpy as cp
    import scipy.sparse as sp

    m, F = X.shape[0], len(masks)
    inc = _incidence(masks, m)
    # cone rows: s * xt_k . a_c >= 0 for every facet (k, s) of cell c
    rows, cols, vals = [], [], []
    r = 0
    for c, fs in enumerate(facets):
        for k, s in fs:
            for t in range(3):
                rows.append(r)
                cols.append(3 * c + t)
                vals.append(s * X[k, t])
            r += 1
    Cm = sp.csr_matrix((vals, (rows, cols)), shape=(r, 3 * F))
    root, edges = _tree(inc) if m > 1 else (0, [])
    # L B = E T: row root sums the cells with the root, row q the cells separating q from its parent
    lr, lc, lv = [], [], []
    er, ec, ev = [root], [root], [1.0]
    cells_root = np.flatnonzero(inc[:, root])
    lr += [root] * cells_root.size
    lc += cells_root.tolist()
    lv += [1.0] * cells_root.size
    for p, q in edges:
        diff = inc[:, q].astype(np.int8) - inc[:, p].astype(np.int8)
        nz = np.flatnonzero(diff)
        lr += [q] * nz.size
        lc += nz.tolist()
        lv += diff[nz].astype(float).tolist()
        er += [q, q]
        ec += [q, p]
        ev += [1.0, -1.0]
    L = sp.csr_matrix((lv, (lr, lc)), shape=(m, F))
    E = sp.csr_matrix((ev, (er, ec)), shape=(m, m))
    A, Ap, T = cp.Variable((F, 3)), cp.Variable((F, 3)), cp.Variable((m, 3))
    cons = [
        Cm @ cp.vec(A, order="C") >= 0,
        Cm @ cp.vec(Ap, order="C") >= 0,
        E @ T == L @ (A - Ap),
    ]
    margin = cp.multiply(labels, cp.sum(cp.multiply(X, T), axis=1)) >= 1
    cons.append(margin)
    obj = cp.sum(cp.norm(A, 2, axis=1)) + cp.sum(cp.norm(Ap, 2, axis=1))
    prob = cp.Problem(cp.Minimize(obj), cons)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            prob.solve(solver=solver or cp.CLARABEL)
        except cp.error.SolverError:
            prob.solve(solver=cp.SCS, eps=1e-9)
    if prob.status not in ("optimal", "optimal_inaccurate"):
        raise InvalidDataError(f"the cone program ended with status {prob.status}")
    neurons = [(a, 1.0) for a in np.asarray(A.value)] + [(a, -1.0) for a in np.asarray(Ap.value)]
    lam = np.clip(np.asarray(margin.dual_value, dtype=np.float64), 0.0, None)
    return neurons, lam, float(prob.value), int(L.nnz)


_COLUMN_ROUNDS = 60
_COLUMN_TOL = 1e-7  # a cell enters while |G_lambda| > 1 + this on it (solver accuracy ~1e-8)
_COLUMN_BATCH = 2  # cells added per round: this many per distinct point, worst first


def _seed_cells(arr: CircleArrangement) -> list[int]:
    """Cells that make the restricted program feasible: the half-planes ``{e . x > c}`` and
    ``{e . x < c}`` for thresholds ``c`` between consecutive projections on a direction ``e``
    with distinct projections (a one-dimensional problem that any labels can be fitted in),
    and the cell of every point active."""
    pts = arr.points
    scaled = [(Fraction(p[0], p[2]), Fraction(p[1], p[2])) for p in pts]
    for t in range(1, 4 * len(pts) + 3):  # e = (1, t): at most m (m - 1) / 2 values collide
        proj = [a + t * b for a, b in scaled]
        if len(set(proj)) == len(proj):
            break
    order = sorted(range(len(pts)), key=proj.__getitem__)
    cells = {(1 << len(pts)) - 1}
    for r in range(1, len(pts)):
        above = sum(1 << k for k in order[r:])
        cells.add(above)
        cells.add(((1 << len(pts)) - 1) ^ above)
    return [c for c in cells if c in arr.cells]


def _solve_columns(arr: CircleArrangement, scan, X, labels, solver):
    """The full program by column generation over the exact patterns.

    Start from :func:`_seed_cells`; solve the program restricted to the current cells; scan
    ``G_lambda`` over every cell, arc and vertex of the arrangement
    (:class:`~pwl_kkt.duality.dual_plane._FloatScan`) for the cells where
    ``|G_lambda| > 1 + 1e-7``; add the worst, repeat until none is left. Every pattern is
    priced and none is sampled; by weak duality the restricted value is then ``P*`` to the
    solver's accuracy. The choice of cells proves nothing, so the scan is in floats: the
    proven interval is derived afterwards, exactly. Returns what :func:`_solve` returns for
    the final restricted program, and its number of cells.
    """
    active = _seed_cells(arr)
    seen = set(active)
    limit = _COLUMN_BATCH * arr.n_points
    for _ in range(_COLUMN_ROUNDS):
        out = _solve(X, labels, active, [arr.cells[c] for c in active], solver)
        new: list[int] = []
        for _, _, _, cells in scan.scan(out[1] * labels, 1 + _COLUMN_TOL, 4 * limit):
            new += [c for c in cells if c and c not in seen and c not in new]
        if not new:
            return out, len(active)
        active += new[:limit]
        seen.update(new[:limit])
    return out, len(active)


def _network(neurons: list, rel: float) -> NetworkNd | None:
    """Blocks ``(a, s)`` to a balanced network, dropping blocks below ``rel`` of the total norm."""
    norms = np.array([np.linalg.norm(a) for a, _ in neurons])
    keep = norms > rel * max(float(norms.sum()), 1e-300)
    if not keep.any():
        return None
    root = np.sqrt(norms[keep])
    a = np.array([blk for (blk, _), k in zip(neurons, keep) if k])
    s = np.array([sg for (_, sg), k in zip(neurons, keep) if k])
    return NetworkNd(a[:, :2] / root[:, None], a[:, 2] / root, s * root)


def _value(net: NetworkNd, data: DatasetNd) -> Fraction | None:
    """``||theta||^2 / (2 m)`` exactly (``m`` the exact minimum margin), None if ``m <= 0``."""
    m = min(exact_margins_2d(net, data))
    return None if m <= 0 else net.sq_norm_exact() / (2 * m)


def _balanced(net: NetworkNd) -> NetworkNd:
    w, b, v = net.to_float().arrays()
    r = np.sqrt(np.sum(w * w, axis=1) + b * b)
    scale = np.sqrt(np.abs(v) / np.maximum(r, 1e-300))
    safe = np.where(scale > 0, scale, 1.0)
    return NetworkNd(w * scale[:, None], b * scale, v / safe)


# --- the sparse network: a basic solution of the LP over directions ------------------------

_EXACT_MAX_N = 60  # default limit for the exact derivation (a few exact scans per candidate)
_VERTEX_ROUNDS = 100
_VERTEX_STALL = 5
_VERTEX_TOL = 1e-8  # the LP multipliers are accurate to about HiGHS's dual tolerance


def _features(dirs: np.ndarray, X: np.ndarray, labels: np.ndarray, signs: np.ndarray) -> np.ndarray:
    return labels[:, None] * np.maximum(X @ dirs.T, 0.0) * signs


def _vertex_network(scan, X, labels, neurons):
    """Column generation over unit directions for a sparse optimal network.

    ``min sum_j c_j`` over ``c >= 0`` with margins ``sum_j c_j s_j y_i relu(u_j . xt_i) >= 1``,
    solved by the dual simplex method (HiGHS): a basic solution has at most one neuron per
    distinct point. Columns start as every block of the cone program above ``1e-9`` of the
    total norm; while the LP's multipliers ``mu`` have ``max |G_mu| > 1 + 1e-8`` (float scan
    of the whole arrangement) the violating directions, up to one per distinct point, worst
    first, join. Returns ``(network, mu per distinct point)`` or ``None``.
    """
    from scipy.optimize import linprog

    a = np.array([blk for blk, _ in neurons])
    s = np.array([sg for _, sg in neurons])
    r = np.linalg.norm(a, axis=1)
    keep = r > 1e-9 * float(r.sum())
    dirs, signs = a[keep] / r[keep, None], s[keep]
    res = None
    best, stall = math.inf, 0
    for rnd in range(_VERTEX_ROUNDS):
        A = _features(dirs, X, labels, signs)
        res = linprog(np.ones(signs.size), A_ub=-A, b_ub=-np.ones(X.shape[0]), bounds=(0, None),
                      method="highs-ds")
        if res.status != 0:
            return None
        mu = np.clip(-np.asarray(res.ineqlin.marginals, dtype=np.float64), 0.0, None)
        # a degenerate LP's simplex multipliers can hop between vertices of the optimal face
        # with violations at the dual tolerance: stop when the value no longer moves
        stall = stall + 1 if res.fun >= best * (1 - 1e-12) else 0
        best = min(best, res.fun)
        if stall >= _VERTEX_STALL:
            break
        fresh_dirs: list[np.ndarray] = []
        fresh_signs: list[float] = []
        for _, u, sign, _ in scan.scan(mu * labels, 1 + _VERTEX_TOL, 4 * X.shape[0]):
            known = np.any(np.all(np.abs(dirs - u) <= 1e-12, axis=1) & (signs == sign))
            if known or any(np.all(np.abs(e - u) <= 1e-12) and t == sign
                            for e, t in zip(fresh_dirs, fresh_signs)):
                continue
            fresh_dirs.append(u)
            fresh_signs.append(float(sign))
            if len(fresh_dirs) >= X.shape[0]:
                break
        if not fresh_dirs or rnd == _VERTEX_ROUNDS - 1:
            break  # certified (no violation), every violator is a column already, or tired
        dirs = np.vstack([dirs, *fresh_dirs])
        signs = np.append(signs, fresh_signs)
    c = np.asarray(res.x, dtype=np.float64)
    A = _features(dirs, X, labels, signs)
    total = float(c.sum())
    for j in np.argsort(c):  # a degenerate LP: drop light neurons while the value holds
        if not 0 < c[j] < 1e-3 * total:
            continue
        on = c > 0
        on[j] = False
        sub = linprog(np.ones(int(on.sum())), A_ub=-A[:, on], b_ub=-np.ones(X.shape[0]),
                      bounds=(0, None), method="highs-ds")
        if sub.status == 0 and sub.fun <= total * (1 + 1e-9):
            c = np.zeros(c.size)
            c[on] = sub.x
    blocks = [(cj * u, sj) for cj, u, sj in zip(c, dirs, signs) if cj > 0]
    return _network(blocks, 0.0), mu


# --- the main entry ---------------------------------------------------------------------------


def _per_point(values: np.ndarray, arr: CircleArrangement, n: int) -> np.ndarray:
    """Per-point multipliers from per-distinct-point ones (each to its first point)."""
    out = np.zeros(n)
    seen: set = set()
    for i, k in enumerate(arr.index):
        if k not in seen:
            seen.add(k)
            out[i] = max(float(values[k]), 0.0)
    return out


def _exact_multipliers(lam: np.ndarray) -> tuple[Fraction, ...]:
    """Nonnegative float multipliers as the exact rationals they store (tiny ones dropped)."""
    top = float(lam.max()) if lam.size else 0.0
    return tuple(Fraction(float(t)) if t > 1e-12 * top else Fraction(0) for t in lam.tolist())


def global_max_margin_2d(
    x: object,
    y: object = None,
    *,
    solver: str | None = None,
    sparse: bool = True,
    exact: bool | None = None,
    method: str = "columns",
) -> MaxMarginOptimum2d:
    """``P* = min 1/2 ||theta||^2`` over networks of every width, for data in the plane, proven.

    The cone program over every activation pattern of the points (module docstring) is solved
    with cvxpy (Clarabel): with ``method="full"`` all at once; with ``method="columns"`` (the
    default, much faster) by column generation -- a program over a few cells, then the cells
    where the exact scan of ``|G_lambda|`` exceeds ``1 + 1e-7`` are added, until none is left,
    so every pattern is priced exactly and none is sampled. ``sparse=True`` then extracts a
    basic solution of the linear program over neuron directions (at most one neuron per
    distinct point, found by column generation with the exact dual oracle). ``lower`` and
    ``upper`` are proven bounds on ``P*`` (weak duality with exact rational multipliers and
    the exact ``max |G|`` on the sphere; an exactly feasible network). With ``exact``
    (default: exact data and ``n <= 60``) the multipliers are also rounded to simple rationals
    ``q`` and an exact network on the maximising directions of ``G_q`` is sought whose value
    equals ``sum q / sqrt(M)``; when it exists, ``P_star_exact`` is that number and
    ``lower == upper`` holds exactly.

    Parameters
    ----------
    x, y : data
        A :class:`~pwl_kkt.DatasetNd` with ``d = 2`` or the two sequences.
    solver : str, optional
        A cvxpy solver name (default Clarabel).
    sparse : bool
        Return the sparse vertex network (default) rather than the interior-point one.
    exact : bool, optional
        Try to prove ``P*`` exactly (see above).
    method : {"columns", "full"}
        How the cone program is solved (see above); both give ``P*``.

    Returns
    -------
    MaxMarginOptimum2d

    Raises
    ------
    InvalidDataError
        Data not in the plane (the message says ``d = 2`` is needed); empty data.
    NotSeparableError
        One point with both labels.

    Examples
    --------
    One point: ``P* = 1 / ||(x_0, 1)||``, one neuron along ``(x_0, 1)``.

    >>> opt = global_max_margin_2d([[3, 0]], [1])
    >>> opt.P_star_exact, opt.network.width
    ('sqrt(10)/10', 1)
    >>> opt.lower <= 10 ** -0.5 <= opt.upper
    True
    """
    t0 = time.perf_counter()
    data = plane_dataset(x, y, "global_max_margin_2d").require_separable()
    arr = circle_arrangement(data)
    m = arr.n_points
    X = np.array([[float(Fraction(c) / s) for c in p] for p, s in zip(arr.points, arr.scales)])
    labels = np.zeros(m)
    labels[np.asarray(arr.index)] = data.y
    masks = [c for c in arr.cells if c]
    facets = [arr.cells[c] for c in masks]
    scan = _FloatScan(arr)
    if method == "full":
        (neurons, lam_d, value, _), n_program = _solve(X, labels, masks, facets, solver), len(masks)
    elif method == "columns":
        (neurons, lam_d, value, _), n_program = _solve_columns(arr, scan, X, labels, solver)
    else:
        raise InvalidValueError(f"method must be 'columns' or 'full'; got {method!r}")
    lam = _per_point(lam_d, arr, data.n)
    chosen = None  # (network, exact value ||theta||^2 / (2 m))
    for rel in (1e-6, 1e-12):  # solver residue dropped, unless that breaks feasibility
        net = _network(neurons, rel)
        if net is not None and (val := _value(net, data)) is not None:
            chosen = (net, val)
            break
    sources = [lam]
    if sparse and (found := _vertex_network(scan, X, labels, neurons)) is not None:
        sources.insert(0, _per_point(found[1], arr, data.n))
        val = _value(found[0], data)
        # the vertex network unless it is worse than the interior one beyond solver accuracy
        if val is not None and (chosen is None or val <= chosen[1] * (1 + Fraction(1, 10**6))):
            chosen = (found[0], val)
    if chosen is None:
        raise InvalidDataError("no feasible network could be read off the cone program")
    best_net, upper_exact = chosen
    # the dual side: exact multipliers, exact max |G_q|
    best_low = None
    for src in sources:
        q = _exact_multipliers(src)
        if not any(q):
            continue
        dm = max_abs_dual_2d(q, data, arrangement=arr)
        low = sum(q, Fraction(0)) ** 2 / dm.max_sq  # lower^2, compared squared
        if best_low is None or low > best_low[0]:
            best_low = (low, q, dm)
    if best_low is None:
        raise InvalidDataError("the cone program returned no positive multiplier")
    _, q, dm = best_low
    proof = None
    if exact if exact is not None else (data.is_exact and data.n <= _EXACT_MAX_N):
        proof = _exact_optimum(arr, data, sources)
    total = sum(q, Fraction(0))
    if proof is not None:
        text, best_net, q, dm = proof
        total = sum(q, Fraction(0))
        lower = _floor_float(total, dm.max_sq)
        upper, upper_text = _ceil_sqrt(total, dm.max_sq), text
        network = _balanced(best_net)
    else:
        lower = _floor_float(total, dm.max_sq)
        upper = _ceil_float(upper_exact)
        upper_text = str(sympy.Rational(upper_exact.numerator, upper_exact.denominator))
        network = _balanced(best_net)
    p_star = min(max(value, lower), upper)
    from ..geometry.regions import count_regions

    return MaxMarginOptimum2d(
        P_star=p_star,
        lower=lower,
        upper=upper,
        lower_exact=str(_bound(total, dm.max_sq)),
        upper_exact=upper_text,
        P_star_exact=None if proof is None else proof[0],
        network=network,
        network_exact=best_net.to_exact(),
        multipliers_exact=tuple(q),
        dual=dm,
        lambdas=tuple(float(t) for t in lam),
        regions=count_regions(best_net.to_exact()),
        n_patterns=len(masks),
        seconds=time.perf_counter() - t0,
        method=method,
        n_program=n_program,
    )


def _exact_optimum(arr, data, sources):
    """``P* = sum q / sqrt(M)`` proven with equality, or None (see :func:`global_max_margin_2d`).

    For simple rationals ``q`` near the multipliers, every direction ``d`` where
    ``G_q(d)^2 = M ||d||^2`` is listed exactly (:func:`~pwl_kkt.duality.dual_plane._maximizers`);
    an exact basic solution ``c >= 0`` with margins ``= 1`` on the support of ``q`` and ``>= 1``
    elsewhere makes ``sum_j c_j s_j relu(d_j . xt)`` a network of F1 value
    ``sum_j c_j ||d_j|| = sum q / sqrt(M)``; balanced exactly (``v = s sqrt(c ||d||)`` is not
    rational in general), its ``||theta||^2 / 2`` is that same value only when the square roots
    are rational, so the primal side is checked as ``sum_j c_j G_q(d_j) s_j = sum q`` instead.
    """
    from .optimum import _rationalize

    tried: set = set()
    for lam in sources:
        for limit in (10, 100, 10**3, 10**4, 10**6):
            q = tuple(_rationalize(np.asarray(lam), limit))
            if not any(q) or q in tried:
                continue
            tried.add(q)
            K, den = _integer_coefficients(arr, q, data.y)
            num, dd, _, _ = _scan_max(arr, K)
            if not num:
                continue
            dirs = _maximizers(arr, K, num, dd)
            c = _combination(dirs, q, data)
            if c is None:
                continue
            net = _exact_network(dirs, c)
            if net is None:
                continue
            M = Fraction(num, dd * den * den)
            dm = max_abs_dual_2d(q, data, arrangement=arr)
            return str(_bound(sum(q, Fraction(0)), M)), net, q, dm
    return None


def _combination(dirs, q, data: DatasetNd):
    """Exact ``c >= 0`` over the maximising directions; see :func:`_exact_optimum`."""
    from .optimum import _combination_rows

    zero = Fraction(0)
    A = []
    for (a, c), yi in zip(data.x_exact, data.y.tolist()):
        row = []
        for d, s in dirs:
            z = d[0] * a + d[1] * c + d[2]
            row.append(int(yi) * s * z if z > 0 else zero)
        A.append(row)
    cost = [math.sqrt(float(_dot(d, d))) for d, _ in dirs]
    return _combination_rows(A, q, cost)


def _exact_network(dirs, c) -> NetworkNd | None:
    """``sum_j c_j s_j relu(d_j . xt)`` as an exact network (``v = s c``, ``u = d``)."""
    keep = [(d, s, cj) for (d, s), cj in zip(dirs, c) if cj]
    if not keep:
        return None
    return NetworkNd([[d[0], d[1]] for d, _, _ in keep], [d[2] for d, _, _ in keep],
                     [s * cj for _, s, cj in keep], exact=True)


def _sampled_program(x: object, y: object = None, *, n_directions: int, seed: int = 0):
    """The restriction of the program to *sampled* patterns: ``(value, patterns found)``.

    Public convex-ReLU code draws random directions ``u`` and keeps the distinct patterns
    ``{i : u . xt_i > 0}``; its program is then a restriction, whose value is ``>= P*``. Here
    the sampled patterns get the same cones (their facets, from the exact arrangement) and the
    same margin rows as the full program, so the value gap measures the missing patterns only.
    Used by the tests and by ``benchmarks/bench_plane.py``.
    """
    from .. import _seeding

    data = plane_dataset(x, y, "_sampled_program").require_separable()
    arr = circle_arrangement(data)
    X = np.array([[float(Fraction(c) / s) for c in p] for p, s in zip(arr.points, arr.scales)])
    labels = np.zeros(arr.n_points)
    labels[np.asarray(arr.index)] = data.y
    u = _seeding.rng(seed).standard_normal((int(n_directions), 3))
    signs = (u @ X.T > 0).astype(np.uint8)
    weights = 1 << np.arange(X.shape[0], dtype=object)
    found = {int(row.astype(object) @ weights) for row in np.unique(signs, axis=0)}
    masks = [c for c in found if c and c in arr.cells]
    _, _, value, _ = _solve(X, labels, masks, [arr.cells[c] for c in masks], None)
    return value, len(masks)
