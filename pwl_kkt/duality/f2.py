"""F1 versus F2 max margin (Chizat & Bach 2020): training both layers versus the output layer only.

Normalisations (read this before comparing numbers)
---------------------------------------------------
Every predictor here is a function of ``x`` through the augmented point ``xt = (x, 1)``. Its
*margin per unit norm* in a function space ``F`` is ``min_i y_i h(x_i) / ||h||_F`` and the
*max margin* of ``F`` is ``gamma_F = max_{||h||_F <= 1} min_i y_i h(x_i)`` (Chizat & Bach 2020).

* **F1** (variation norm, both layers trained): ``||h||_F1 = min sum_j |v_j| ||(w_j, b_j)||``
  over networks ``h = sum_j v_j relu(w_j x + b_j)`` of any width (Chizat & Bach's TV form with the
  bias in the norm). With ``P* = min ||h||_F1`` subject to ``y_i h(x_i) >= 1``
  (:func:`pwl_kkt.duality.optimum.global_max_margin`), ``gamma_F1 = 1 / P*``.
* **F2** (conjugate RKHS, output layer only, input weights ``u`` uniform on the unit circle):
  ``h(x) = E_u[c(u) relu(u . xt)]`` and ``||h||_F2^2 = E_u[c(u)^2]``. This is the RKHS of the
  kernel ``k(x, x') = E_u[relu(u . xt) relu(u . xt')]``, the arc-cosine kernel of order 1
  restricted to the circle (:func:`arccos_kernel`),

      k(x, x') = ||xt|| ||xt'|| (sin t + (pi - t) cos t) / (4 pi),   t = angle(xt, xt').

  (For ``u ~ N(0, I_2)`` Cho & Saul's formula has ``2 pi`` in the denominator; ``u = g / ||g||``
  with ``E ||g||^2 = 2`` independent of the direction gives the extra factor 1/2.) With
  ``Q* = min ||h||_F2^2`` subject to ``y_i h(x_i) >= 1`` (a hard-margin SVM without bias),
  ``gamma_F2 = 1 / sqrt(Q*)``.
* **Random features** (finite width ``k``): fixed ``u_1..u_k`` drawn uniformly on the circle,
  ``h(x) = (1/k) sum_j c_j relu(u_j . xt)`` and ``||h||^2 = (1/k) sum_j c_j^2`` (the empirical
  version of ``E_u[c(u)^2]``, so ``Q_k -> Q*`` as ``k -> infinity``); ``gamma_RF = 1/sqrt(Q_k)``.

Since ``E|c| <= sqrt(E c^2)``, ``||h||_F1 <= ||h||_F2``: the F2 ball lies inside the F1 ball and
``gamma_F2 <= gamma_F1`` (likewise ``gamma_RF <= gamma_F1``).

Safran, Vardi & Lee (2022) measure a network ``theta`` by its *normalised margin*
``gamma(theta) = min_i y_i N(x_i) / ||theta||^2``. By ``|v| ||(w, b)|| <= (v^2 + w^2 + b^2) / 2``
(equality for balanced neurons), ``||h||_F1 <= ||theta||^2 / 2``, so ``gamma(theta) <=
gamma_F1 / 2 = 1 / (2 P*)``, with equality at the global optimum. :func:`margin_report` therefore
puts everything on Safran, Vardi & Lee's scale by halving the function-space margins: F1 optimum
``1 / (2 P*)``, F2 optimum ``1 / (2 sqrt(Q*))``, random features ``1 / (2 sqrt(Q_k))``.

Closed form for one point ``(x0, y0)``: ``P* = 1 / ||xt0||`` and ``Q* = 1 / k(x0, x0) =
4 / ||xt0||^2``, so ``gamma_F1 = ||xt0||`` and ``gamma_F2 = ||xt0|| / 2``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from .. import _seeding
from ..errors import InvalidValueError
from ..model.data import Dataset, as_dataset
from ..model.network import Network

__all__ = [
    "F2MaxMargin",
    "MarginReport",
    "arccos_kernel",
    "kernel_max_margin",
    "margin_report",
    "network_margin",
    "random_directions",
    "random_feature_max_margin",
]


@dataclass(frozen=True)
class F2MaxMargin:
    """The max-margin classifier when only the output layer is trained (Chizat & Bach's F2).

    Attributes
    ----------
    kind : str
        ``"kernel"`` (infinite width, arc-cosine kernel) or ``"random_features"``.
    sq_norm : float
        ``Q = min ||h||^2`` subject to ``y_i h(x_i) >= 1`` (``inf`` when infeasible).
    margin : float
        ``1 / sqrt(Q)``: the max margin per unit F2 norm (``0`` when infeasible).
    normalized_margin : float
        ``margin / 2``: the same on Safran, Vardi & Lee's scale ``min y N / ||theta||^2``
        (see :mod:`pwl_kkt.duality.f2`).
    n_features : int or None
        ``k`` for random features, ``None`` for the kernel.
    seed : int or None
        Seed of the random features.
    feasible : bool
        Whether some ``h`` in the model reaches margin 1 on every point.
    values : tuple of float
        ``h(x_i)`` of the optimal predictor at the data points.

    Examples
    --------
    >>> r = kernel_max_margin([0], [1])
    >>> round(r.sq_norm, 6), round(r.margin, 6)
    (4.0, 0.5)
    """

    kind: str
    sq_norm: float
    margin: float
    normalized_margin: float
    n_features: int | None
    seed: int | None
    feasible: bool
    values: tuple[float, ...]

    def to_dict(self) -> dict:
        """JSON-ready dictionary (``inf`` written as the string ``"inf"``).

        Examples
        --------
        >>> kernel_max_margin([0], [1]).to_dict()["kind"]
        'kernel'
        """
        return {
            "kind": self.kind,
            "sq_norm": self.sq_norm if math.isfinite(self.sq_norm) else "inf",
            "margin": self.margin,
            "normalized_margin": self.normalized_margin,
            "n_features": self.n_features,
            "seed": self.seed,
            "feasible": self.feasible,
            "values": list(self.values),
        }

    @classmethod
    def from_dict(cls, d: dict) -> F2MaxMargin:
        """Inverse of :meth:`to_dict`.

        Examples
        --------
        >>> r = kernel_max_margin([0, 1], [1, -1])
        >>> F2MaxMargin.from_dict(r.to_dict()) == r
        True
        """
        return cls(
            kind=str(d["kind"]),
            sq_norm=float(d["sq_norm"]),
            margin=float(d["margin"]),
            normalized_margin=float(d["normalized_margin"]),
            n_features=None if d["n_features"] is None else int(d["n_features"]),
            seed=None if d["seed"] is None else int(d["seed"]),
            feasible=bool(d["feasible"]),
            values=tuple(float(t) for t in d["values"]),
        )


def _augmented_norms(x: np.ndarray) -> np.ndarray:
    return np.hypot(x, 1.0)


def arccos_kernel(x1: object, x2: object | None = None) -> np.ndarray:
    """The F2 kernel ``k(x, x') = E_u[relu(<u, xt>) relu(<u, xt'>)]``, ``u`` uniform on the circle.

    Closed form (arc-cosine kernel of order 1 on the unit circle, ``xt = (x, 1)``)::

        k(x, x') = (||xt|| ||xt'|| sin t + (pi - t) (x x' + 1)) / (4 pi),
        t = atan2(|x - x'|, x x' + 1)  (the angle between xt and xt'),

    using ``||xt|| ||xt'|| sin t = |x - x'|`` (the 2D cross product).

    Parameters
    ----------
    x1, x2 : array_like
        One-dimensional inputs (``x2`` defaults to ``x1``).

    Returns
    -------
    numpy.ndarray
        The ``len(x1)`` by ``len(x2)`` kernel matrix.

    Examples
    --------
    ``k(x, x) = (1 + x^2) / 4``:

    >>> arccos_kernel([0.0, 3.0]).round(6)
    array([[0.25    , 0.389337],
           [0.389337, 2.5     ]])
    """
    a = _float_vector(x1, "x1")
    b = a if x2 is None else _float_vector(x2, "x2")
    cross = np.abs(a[:, None] - b[None, :])
    dot = a[:, None] * b[None, :] + 1.0
    t = np.arctan2(cross, dot)
    return (cross + (math.pi - t) * dot) / (4.0 * math.pi)


def _float_vector(values: object, name: str) -> np.ndarray:
    if isinstance(values, Dataset):
        return np.asarray(values.x_float, dtype=np.float64)
    try:
        arr = np.asarray(values, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise InvalidValueError(f"{name} must be a sequence of real numbers") from None
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        i = int(bad[0])
        raise InvalidValueError(f"{name}[{i}]: {float(arr[i])!r} is not a finite number")
    return arr


def _min_norm_margin(R: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray | None]:
    """``min ||z||^2`` s.t. ``y_i (R z)_i >= 1``; returns ``(value, R z)`` or ``(inf, None)``."""
    import cvxpy as cp

    z = cp.Variable(R.shape[1])
    return _solve_min_norm(cp.sum_squares(z), [cp.multiply(y, R @ z) >= 1], lambda: R @ z.value)


def _solve_min_norm(objective, constraints, values) -> tuple[float, np.ndarray | None]:
    """Solve ``min objective`` s.t. ``constraints``; ``(value, values())`` or ``(inf, None)``."""
    import cvxpy as cp

    prob = cp.Problem(cp.Minimize(objective), constraints)
    try:
        prob.solve(solver=cp.CLARABEL)
    except cp.error.SolverError:  # pragma: no cover - fallback solver
        prob.solve(solver=cp.SCS, eps=1e-9)
    if prob.status in ("infeasible", "infeasible_inaccurate"):
        return math.inf, None
    if prob.status not in ("optimal", "optimal_inaccurate"):  # pragma: no cover
        raise InvalidValueError(f"the F2 quadratic program ended with status {prob.status}")
    return float(prob.value), np.asarray(values(), dtype=np.float64)


def _result(kind, sq, values, n_features, seed) -> F2MaxMargin:
    feasible = math.isfinite(sq)
    margin = 1.0 / math.sqrt(sq) if feasible and sq > 0 else 0.0
    return F2MaxMargin(
        kind=kind,
        sq_norm=sq,
        margin=margin,
        normalized_margin=margin / 2.0,
        n_features=n_features,
        seed=seed,
        feasible=feasible,
        values=() if values is None else tuple(float(t) for t in values),
    )


def _delta_minus_sin(d: np.ndarray) -> np.ndarray:
    """``d - sin d`` without cancellation for small ``d`` (Taylor series below 0.5)."""
    small = d < 0.5
    out = d - np.sin(d)
    ds = np.where(small, d, 0.0)
    term = ds**3 / 6.0
    series = term.copy()
    for n in range(2, 10):  # next term ratio -d^2 / ((2n)(2n+1)); 9 terms: error < 1e-22 d^3
        term = -term * ds * ds / ((2 * n) * (2 * n + 1))
        series += term
    return np.where(small, series, out)


def _sector_factors(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Square roots ``L_S`` (``M_S = L_S L_S^T``) of the sector moments of the circle.

    For sorted distinct ``z`` (``m`` values) the lines ``u . (z_j, 1) = 0`` cut the unit
    circle into sectors with a fixed active set. The non-empty ones are the suffixes
    ``{j >= k}`` (``k = 0..m-1``; the neurons with kink in ``(z_{k-1}, z_k)``, ``w > 0``,
    and for ``k = 0`` the half circle around ``(0, 1)``) and the prefixes ``{j < k}``
    (``k = 1..m-1``; the negated sectors of the suffixes, with the same moments). A sector
    of opening angle ``D`` around the unit bisector ``e`` has the second moment

        M_S = (1 / 2 pi) int_S u u^T du
            = ((D + sin D) e e^T + (D - sin D) e' e'^T) / (4 pi),   e' = e rotated by 90 deg,

    so ``L_S = [sqrt(D + sin D) e, sqrt(D - sin D) e'] / sqrt(4 pi)``. Returns
    ``(L_suffix, L_prefix)`` of shapes ``(m, 2, 2)`` and ``(m - 1, 2, 2)``.
    """
    m = z.size
    # rays (1, -z_j): angle between consecutive ones, and their directions
    ang = np.arctan2(-z, 1.0)
    gap = np.arctan2(z[1:] - z[:-1], 1.0 + z[1:] * z[:-1])  # in (0, pi)
    d = np.empty(m)
    mid = np.empty(m)
    # suffix 0: from the ray (1, -z_0) counter-clockwise to (-1, z_{m-1}) through (0, 1)
    d[0] = math.pi - float(np.arctan2(z[-1] - z[0], 1.0 + z[0] * z[-1]))
    mid[0] = ang[0] + d[0] / 2.0
    d[1:] = gap
    mid[1:] = ang[1:] + gap / 2.0
    e = np.stack([np.cos(mid), np.sin(mid)], axis=1)
    e_perp = np.stack([-e[:, 1], e[:, 0]], axis=1)
    big = np.sqrt((d + np.sin(d)) / (4.0 * math.pi))
    small = np.sqrt(_delta_minus_sin(d) / (4.0 * math.pi))
    L = np.stack([e * big[:, None], e_perp * small[:, None]], axis=2)
    return L, L[1:]


def kernel_max_margin(x: object, y: object = None) -> F2MaxMargin:
    """Infinite-width F2 max margin: the hard-margin SVM without bias for :func:`arccos_kernel`.

    ``Q* = min ||h||_H^2 s.t. y_i h(x_i) >= 1`` with ``h(x) = E_u[c(u) relu(u . xt)]`` and
    ``||h||_H^2 = E_u[c(u)^2]``. The minimiser's ``c = sum_i a_i y_i relu(u . xt_i)`` is
    linear on each sector of the circle with a fixed active set (:func:`_sector_factors`),
    so with ``c(u) = u . a_S`` on sector ``S`` and ``z_S = L_S^T a_S``

        ||h||_H^2 = sum_S a_S^T M_S a_S = ||z||^2,
        h(x_i) = xt_i . sum_{S active at i} M_S a_S = xt_i . sum_{S active at i} L_S z_S.

    This is the same program as ``min ||z||^2 s.t. y_i (R z)_i >= 1`` for any factor
    ``K = R R^T`` of the kernel matrix (here ``R`` has two columns per sector), but the
    active sets are prefixes and suffixes of the sorted data, so the sums are cumulative
    sums: ``O(n)`` variables and constraints, never the dense ``n x n`` kernel. cvxpy
    (Clarabel) solves it. The F2 max margin is ``1 / sqrt(Q*)``.

    Parameters
    ----------
    x, y : data
        A :class:`~pwl_kkt.Dataset` or the two sequences (equal ``x`` with different labels
        raise :class:`~pwl_kkt.NotSeparableError`).

    Returns
    -------
    F2MaxMargin

    Examples
    --------
    One point: ``Q* = 1 / k(x0, x0) = 4 / (1 + x0^2)``.

    >>> round(kernel_max_margin([2], [-1]).sq_norm, 6)
    0.8
    """
    import cvxpy as cp

    data = as_dataset(x, y).require_separable()
    zs, inverse = np.unique(data.x_float, return_inverse=True)
    labels = np.zeros(zs.size)
    labels[inverse] = data.y
    m = zs.size
    L_suf, L_pre = _sector_factors(zs)
    Z_suf = cp.Variable((m, 2))
    C_suf = cp.Variable((m, 2))  # point j sees the suffix sectors k <= j: prefix sums
    cons = []
    for r in (0, 1):
        b = cp.multiply(L_suf[:, r, 0], Z_suf[:, 0]) + cp.multiply(L_suf[:, r, 1], Z_suf[:, 1])
        cons += [C_suf[0, r] == b[0]]
        if m > 1:
            cons += [C_suf[1:, r] - C_suf[:-1, r] == b[1:]]
    f = cp.multiply(zs, C_suf[:, 0]) + C_suf[:, 1]
    objective = cp.sum_squares(Z_suf)
    if m > 1:
        Z_pre = cp.Variable((m - 1, 2))
        C_pre = cp.Variable((m - 1, 2))  # row r = prefix {j <= r}; j sees rows r >= j
        for r in (0, 1):
            b = cp.multiply(L_pre[:, r, 0], Z_pre[:, 0]) + cp.multiply(
                L_pre[:, r, 1], Z_pre[:, 1]
            )
            cons += [C_pre[m - 2, r] == b[m - 2]]
            if m > 2:
                cons += [C_pre[:-1, r] - C_pre[1:, r] == b[:-1]]
        f = f + cp.hstack([cp.multiply(zs[:-1], C_pre[:, 0]) + C_pre[:, 1], np.zeros(1)])
        objective = objective + cp.sum_squares(Z_pre)
    cons.append(cp.multiply(labels, f) >= 1)
    sq, values = _solve_min_norm(objective, cons, lambda: f.value[inverse])
    return _result("kernel", sq, values, None, None)


def random_directions(k: int, seed: int | np.random.Generator = 0) -> np.ndarray:
    """``k`` input weights ``(w_j, b_j)`` drawn uniformly on the unit circle (shape ``(k, 2)``).

    Examples
    --------
    >>> u = random_directions(3, seed=1)
    >>> np.allclose(np.hypot(u[:, 0], u[:, 1]), 1.0)
    True
    """
    if int(k) < 1:
        raise InvalidValueError(f"the number of random features must be >= 1; got {k}")
    phi = _seeding.rng(seed).uniform(0.0, 2.0 * math.pi, size=int(k))
    return np.stack([np.cos(phi), np.sin(phi)], axis=1)


def random_feature_max_margin(
    x: object, y: object = None, *, n_features: int = 1000, seed: int | np.random.Generator = 0
) -> F2MaxMargin:
    """Finite-width F2: max margin with the first layer frozen at random unit directions.

    With features ``phi_j(x) = relu(u_j . xt)`` (``u_j`` from :func:`random_directions`),
    ``h = (1/k) sum_j c_j phi_j`` and ``||h||^2 = (1/k) sum_j c_j^2``; substituting
    ``z = c / sqrt(k)`` gives ``Q_k = min ||z||^2 s.t. y_i (Phi z)_i / sqrt(k) >= 1``. The
    trained network is ``N(x) = sum_j v_j relu(u_j . xt)`` with ``v = c / k``. If the frozen
    features cannot separate the data the result is infeasible (``margin = 0``).

    Parameters
    ----------
    x, y : data
        A :class:`~pwl_kkt.Dataset` or the two sequences.
    n_features : int
        Number ``k`` of random features.
    seed : int
        Seed of the features.

    Returns
    -------
    F2MaxMargin

    Examples
    --------
    >>> r = random_feature_max_margin([0, 1], [1, -1], n_features=2000, seed=0)
    >>> k = kernel_max_margin([0, 1], [1, -1])
    >>> abs(r.sq_norm - k.sq_norm) / k.sq_norm < 0.1
    True
    """
    data = as_dataset(x, y).require_separable()
    u = random_directions(n_features, seed)
    Phi = np.maximum(np.outer(data.x_float, u[:, 0]) + u[:, 1], 0.0)
    R = Phi / math.sqrt(u.shape[0])
    sq, values = _min_norm_margin(R, data.y.astype(np.float64))
    return _result(
        "random_features", sq, values, int(u.shape[0]), _seeding.seed_record(seed)
    )


def _restricted_f1(zs: np.ndarray, labels: np.ndarray, blocks: list[tuple[int, int, int]]):
    """The F1 cone program over the given ``(kind, k, sign)`` blocks: ``(value, lambda)``.

    Block ``(1, k, s)`` is the pattern ``{groups j >= k}``, ``(-1, k, s)`` is ``{j < k}``,
    with output sign ``s``; its cone ``K_D`` is fixed by the extreme active and inactive
    groups. On a run of groups between consecutive block boundaries and label changes the
    network is affine in x with one label, so only the two end groups of each run need a
    margin constraint; the other multipliers are 0. ``lambda`` has one entry per group.
    """
    import cvxpy as cp
    import scipy.sparse as sp

    m = zs.size
    nb = len(blocks)
    kind = np.array([t[0] for t in blocks])
    k = np.array([t[1] for t in blocks])
    sign = np.array([t[2] for t in blocks], dtype=np.float64)
    cuts = {0, m} | set(k.tolist()) | {j for j in range(1, m) if labels[j] != labels[j - 1]}
    edges = sorted(cuts)
    rows = np.array(sorted({j for a, c in zip(edges[:-1], edges[1:]) for j in (a, c - 1)}))
    suffix = kind == 1
    # extreme groups: active side (>= 0) and inactive side (<= 0, absent for the full set)
    act = np.stack([np.where(suffix, k, 0), np.where(suffix, m - 1, k - 1)], axis=1)
    has_ina = ~(suffix & (k == 0))
    ina = np.stack([np.where(suffix, 0, k), np.where(suffix, k - 1, m - 1)], axis=1)[has_ina]
    ina_blocks = np.flatnonzero(has_ina)

    def cone_matrix(points: np.ndarray, which: np.ndarray) -> sp.csr_matrix:
        r = np.arange(points.size)
        b = np.repeat(which, 2)
        cols = np.r_[2 * b, 2 * b + 1]
        vals = np.r_[zs[points.ravel()], np.ones(points.size)]
        return sp.csr_matrix((vals, (np.r_[r, r], cols)), shape=(points.size, 2 * nb))

    A = cp.Variable((nb, 2))
    vec = cp.vec(A, order="C")
    cons = [cone_matrix(act, np.arange(nb)) @ vec >= 0]
    if ina_blocks.size:
        cons.append(cone_matrix(ina, ina_blocks) @ vec <= 0)
    # Margins by cumulative sums over the blocks sorted by k (suffixes from the left,
    # prefixes from the right): row j sees one partial sum of each chain, so the program
    # stays sparse however many blocks there are.
    f = 0
    for chain in (np.flatnonzero(suffix), np.flatnonzero(~suffix)):
        if chain.size == 0:
            continue
        ks = k[chain]
        order = np.argsort(ks if suffix[chain[0]] else -ks, kind="stable")
        chain, ks = chain[order], ks[order]
        n_c = chain.size
        D = cp.Variable((n_c, 2))
        diff = sp.eye(n_c, format="csr") - sp.eye(n_c, k=-1, format="csr")
        pick = sp.csr_matrix((sign[chain], (np.arange(n_c), chain)), shape=(n_c, nb))
        cons.append(diff @ D == pick @ A)
        # number of chain blocks active at row j, minus one, is the partial sum it sees
        seen = (
            np.searchsorted(ks, rows, side="right") if suffix[chain[0]]
            else np.searchsorted(-ks, -rows, side="left")
        ) - 1
        has = np.flatnonzero(seen >= 0)
        sel = sp.csr_matrix(
            (np.ones(has.size), (has, seen[has])), shape=(rows.size, n_c)
        )
        f = f + cp.multiply(zs[rows], sel @ D[:, 0]) + sel @ D[:, 1]
    margin = cp.multiply(labels[rows], f) >= 1
    prob = cp.Problem(cp.Minimize(cp.sum(cp.norm(A, 2, axis=1))), [*cons, margin])
    # The program is small, so ask for tight tolerances: the multipliers must certify the
    # value to rtol through the dual function.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "inaccurate" is judged by the duality gap below
        prob.solve(solver=cp.CLARABEL, tol_gap_rel=1e-10, tol_gap_abs=1e-10, tol_feas=1e-10)
    if prob.status not in ("optimal", "optimal_inaccurate"):
        return None
    lam = np.zeros(m)
    lam[rows] = np.clip(np.asarray(margin.dual_value, dtype=np.float64), 0.0, None)
    return float(prob.value), lam


def _violated_blocks(zs: np.ndarray, labels: np.ndarray, lam: np.ndarray, count: int):
    """Up to ``count`` sectors where ``|G_lambda| > 1``, worst first, as ``(kind, k, sign)``,
    and ``max |G_lambda|`` (the sector walk of :mod:`pwl_kkt.duality.dual`)."""
    from .dual import _float_candidates

    m = zs.size
    sq, _, vals = _float_candidates(lam, zs, labels)
    best = float(np.sqrt(max(float(sq.max()), 0.0)))
    per = sq[2:].reshape(2, 3, m + 1)
    val = vals[2:].reshape(2, 3, m + 1)
    which = per.argmax(axis=1)
    sector_sq = np.take_along_axis(per, which[:, None, :], axis=1)[:, 0, :]
    sector_val = np.take_along_axis(val, which[:, None, :], axis=1)[:, 0, :]
    found = []
    if sq[0] > 1:  # the direction (0, 1): every group active
        found.append((float(sq[0]), (1, 0, 1 if vals[0] > 0 else -1)))
    for si, kind in ((0, 1), (1, -1)):
        for k in np.flatnonzero(sector_sq[si] > 1).tolist():
            sign = 1 if sector_val[si, k] > 0 else -1
            if kind == 1 and k < m:
                found.append((float(sector_sq[si, k]), (1, k, sign)))
            elif kind == -1 and 0 < k < m:
                found.append((float(sector_sq[si, k]), (-1, k, sign)))
            elif kind == -1 and k == m:
                found.append((float(sector_sq[si, k]), (1, 0, sign)))
    found.sort(key=lambda t: -t[0])
    return [b for _, b in found[:count]], best


def _f1_value(
    data: Dataset, rtol: float = 1e-6, accept: float = 1e-4, max_rounds: int = 60
) -> float | None:
    """``P*`` by column generation over activation patterns, certified by weak duality.

    Start from the patterns that kink at every label change and inside every run (enough
    for a feasible network), solve the cone program of :mod:`pwl_kkt.duality.optimum` restricted to
    them (:func:`_restricted_f1`), and add the sectors where its multipliers' dual function
    exceeds 1 in absolute value, until ``sum lambda / max(1, max|G_lambda|)`` (a lower bound
    on ``P*`` for every width, by weak duality) is within ``rtol`` of the restricted value
    (an upper bound). Each program has ``O(#patterns)`` rows, not ``O(n)``. When every
    violated sector is already in the program, the remaining gap is the interior-point
    solver's accuracy (on badly scaled data, n = 10^4 points with label changes 1e-4 apart,
    about 1e-5 relative: the full program's own value was 3e-5 above this certified upper
    bound), and a gap up to ``accept`` is accepted. Returns ``None`` otherwise (the caller
    then solves the full program).
    """
    zs, inverse = np.unique(data.x_float, return_inverse=True)
    labels = np.zeros(zs.size)
    labels[inverse] = data.y
    m = zs.size
    changes = [j for j in range(1, m) if labels[j] != labels[j - 1]]
    runs = [0, *changes, m]
    seeds = set(changes) | {(a + c) // 2 for a, c in zip(runs[:-1], runs[1:])}
    blocks = [(1, 0, 1), (1, 0, -1)]
    blocks += [
        (kind, k, s) for k in sorted(seeds) if 0 < k < m for kind in (1, -1) for s in (1, -1)
    ]
    for _ in range(max_rounds):
        solved = _restricted_f1(zs, labels, blocks)
        if solved is None:
            return None
        value, lam = solved
        new, best = _violated_blocks(zs, labels, lam, count=50)
        lower = float(lam.sum()) / max(1.0, best)
        if value <= lower * (1.0 + rtol):
            return value
        new = [b for b in new if b not in blocks]
        if not new:  # every violated sector is in already: what is left is solver accuracy
            return value if value <= lower * (1.0 + accept) else None
        blocks += new
    return None


@dataclass(frozen=True)
class MarginReport:
    """A network's normalised margin next to the F1 and F2 optima, on Safran, Vardi & Lee's scale.

    All margins are ``min_i y_i h(x_i)`` divided by the norm of the model, halved for the
    function-space optima so that they compare with ``gamma(theta) = min y N / ||theta||^2``
    (:mod:`pwl_kkt.duality.f2`): ``network <= f1`` always (up to solver accuracy), ``f2 <= f1``.

    Attributes
    ----------
    network : float
        ``gamma(theta)`` of the given network (``<= 0`` if it misclassifies a point).
    f1 : float
        ``1 / (2 P*)``: the largest ``gamma`` of any network of any width.
    f2 : float
        ``1 / (2 sqrt(Q*))``: F2 (kernel) max margin on the same scale.
    random_features : float or None
        ``1 / (2 sqrt(Q_k))`` for ``n_features`` random features, when requested.
    n_features : int or None
        ``k``.
    P_star : float
        The F1 optimum ``P*``.
    Q_star : float
        The F2 optimum ``Q*``.

    Examples
    --------
    >>> from pwl_kkt import Network
    >>> rep = margin_report(Network([0], [1], [1]), [4, -4], [1, 1])
    >>> round(rep.network, 6), round(rep.f1, 6), rep.f2 < rep.f1
    (0.5, 1.030776, True)
    """

    network: float
    f1: float
    f2: float
    random_features: float | None
    n_features: int | None
    P_star: float
    Q_star: float

    @property
    def ratio_f1(self) -> float:
        """``network / f1``: 1 for a globally optimal network."""
        return self.network / self.f1

    def to_dict(self) -> dict:
        """JSON-ready dictionary.

        Examples
        --------
        >>> from pwl_kkt import Network
        >>> sorted(margin_report(Network([0], [1], [1]), [1], [1]).to_dict())[:3]
        ['P_star', 'Q_star', 'f1']
        """
        return {
            "P_star": self.P_star,
            "Q_star": self.Q_star,
            "f1": self.f1,
            "f2": self.f2,
            "network": self.network,
            "random_features": self.random_features,
            "n_features": self.n_features,
        }

    @classmethod
    def from_dict(cls, d: dict) -> MarginReport:
        """Inverse of :meth:`to_dict`.

        Examples
        --------
        >>> from pwl_kkt import Network
        >>> rep = margin_report(Network([0], [1], [1]), [1], [1])
        >>> MarginReport.from_dict(rep.to_dict()) == rep
        True
        """
        rf = d.get("random_features")
        nf = d.get("n_features")
        return cls(
            network=float(d["network"]),
            f1=float(d["f1"]),
            f2=float(d["f2"]),
            random_features=None if rf is None else float(rf),
            n_features=None if nf is None else int(nf),
            P_star=float(d["P_star"]),
            Q_star=float(d["Q_star"]),
        )

    def table(self) -> str:
        """Plain-text table of the margins.

        Examples
        --------
        >>> from pwl_kkt import Network
        >>> print(margin_report(Network([0], [1], [1]), [0], [1]).table().splitlines()[0])
        normalised margin min y N / ||theta||^2
        """
        rows = [
            "normalised margin min y N / ||theta||^2",
            f"  trained network      {self.network:.6g}  ({self.ratio_f1:.4f} of F1)",
            f"  F1 optimum 1/(2P*)   {self.f1:.6g}  (P* = {self.P_star:.6g})",
            f"  F2 kernel optimum    {self.f2:.6g}  (Q* = {self.Q_star:.6g})",
        ]
        if self.random_features is not None:
            rows.append(f"  F2, {self.n_features} features  {self.random_features:.6g}")
        return "\n".join(rows)


def network_margin(net: Network, x: object, y: object = None) -> float:
    """The normalised margin ``gamma(theta) = min_i y_i N(x_i) / ||theta||^2`` (float).

    Examples
    --------
    >>> network_margin(Network([0], [1], [1]), [4, -4], [1, 1])
    0.5
    """
    from ..model._scale import unit_scaled

    data = as_dataset(x, y)
    f = unit_scaled(net)  # gamma is scale-invariant; 2^-e theta neither overflows nor underflows
    sq = float(f.sq_norm)
    if sq == 0:
        return 0.0
    return float(np.min(data.y * np.asarray(f(data.x_float), dtype=np.float64))) / sq


def margin_report(
    net: Network,
    x: object,
    y: object = None,
    *,
    n_features: int | None = None,
    seed: int | np.random.Generator = 0,
    optimum: object = None,
) -> MarginReport:
    """A trained network's normalised margin next to the F1 and F2 max margins (Chizat & Bach 2020).

    ``network = min y N / ||theta||^2``, ``f1 = 1 / (2 P*)``, ``f2 = 1 / (2 sqrt(Q*))``
    (:func:`kernel_max_margin`, ``O(n)`` variables) and, with ``n_features``,
    ``1 / (2 sqrt(Q_k))`` (:func:`random_feature_max_margin`). See :mod:`pwl_kkt.duality.f2` for why
    the halving puts all of them on one scale. ``P*`` is the cone program of
    :func:`~pwl_kkt.duality.optimum.global_max_margin` solved by column generation over activation
    patterns: only the patterns where the dual function exceeds 1 enter, and the value is
    certified to ``1e-6`` relative by weak duality (``1e-4`` where the interior-point solver's
    own accuracy is the limit); if that fails, the full program is solved. So the report
    needs ``O(n)`` memory and a few small cone programs, never an ``n x n`` matrix.

    Parameters
    ----------
    net : Network
        The trained network.
    x, y : data
        A :class:`~pwl_kkt.Dataset` or the two sequences.
    n_features : int, optional
        Also report a finite random-feature model of this width.
    seed : int
        Seed of the random features.
    optimum : optional
        A precomputed result of ``global_max_margin`` (anything with ``.P_star``).

    Returns
    -------
    MarginReport

    Examples
    --------
    The bias-only KKT point of Example 1 (Safran et al.) reaches half of the F1 optimum's margin:

    >>> rep = margin_report(Network([0], [1], [1]), [4, -4], [1, 1])
    >>> round(rep.ratio_f1, 6)
    0.485071

    A :class:`~pwl_kkt.NetworkNd` on the plane goes to
    :func:`~pwl_kkt.duality.f2_plane.margin_report_2d` (arc-cosine kernel on the sphere S^2).
    """
    from ..model.network_nd import NetworkNd
    from .optimum import global_max_margin

    if isinstance(net, NetworkNd) and net.d == 2:
        from .f2_plane import margin_report_2d

        return margin_report_2d(net, x, y, n_features=n_features, seed=seed, optimum=optimum)
    data = as_dataset(x, y).require_separable()
    p_star = None if optimum is None else float(optimum.P_star)
    if p_star is None:
        p_star = _f1_value(data)
    if p_star is None:
        p_star = float(global_max_margin(data, exact=False).P_star)
    rf = None
    if n_features is not None:
        rf = random_feature_max_margin(data, n_features=n_features, seed=seed).normalized_margin
    return _report(network_margin(net, data), p_star, kernel_max_margin(data), rf, n_features)


def _report(
    network: float, p_star: float, ker: F2MaxMargin, rf: float | None, n_features: int | None
) -> MarginReport:
    """The :class:`MarginReport` of a network's margin, ``P*`` and the F2 solution ``ker``.

    ``f1 = 1 / (2 P*)`` on the common scale of the module docstring; shared by the line and
    the plane, which differ only in how they compute the parts.
    """
    return MarginReport(
        network=network,
        f1=1.0 / (2.0 * p_star),
        f2=ker.normalized_margin,
        random_features=rf,
        n_features=None if n_features is None else int(n_features),
        P_star=p_star,
        Q_star=ker.sq_norm,
    )
