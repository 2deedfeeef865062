"""Numeric KKT certificates for networks on R^d: the sparse cone program over the support.

The certificate is the univariate one (:mod:`pwl_kkt.kkt.numeric`) with ``xt_i = (x_i, 1)`` and
``u_j = (w_j, b_j)`` in R^D, ``D = d + 1`` (``xt_i = x_i``, ``u_j = w_j``, ``D = d`` without
hidden biases). Stationarity of neuron j reads

    u_j = v_j (g_{A_j} + sum_{(i, j) zero} mu_ij y_i xt_i),      v_j = u_j . g_{A_j} + (zero pairs),
    g_A = sum_{i in A} lambda_i y_i xt_i,

over its activation set ``A_j`` among the support points: ``v_j``'s equation is linear in the
same vector ``g_{A_j}``. Activation sets are no longer half-lines, so the cone program keeps
one variable vector ``g_A`` per *distinct* activation set, tied to lambda by
``g = B lambda`` (``D`` nonzeros per active (pattern, point) pair), and every neuron's residual
reads only its own ``g_A``: ``O(D (nnz(patterns) + k + #zero pairs))`` nonzeros. Neurons that
share an activation set (at a KKT point they come in few groups) share the variables.
Memory is ``O(|S| k + k d)``: the (support x neuron) signs are computed in blocks, never the
``n x k`` matrix of all points.

The zero test generalizes the univariate distance: ``z_ij`` counts as zero when the
hyperplane ``u_j . xt = 0`` lies within ``zero_tol * L`` of ``x_i``, i.e.
``|z_ij| <= zero_tol ||w_j|| L + 2 (d + 1) u (sum_c |w_jc x_ic| + |b_j|)``, with ``L`` the
diagonal of the data's bounding box (``max(1, ||x_0||)`` when all points coincide); for
d = 1 this is the univariate test.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import scipy.sparse as sp

from .._rational import fraction_to_float
from ..model._match import data_for
from ..model._scale import sqrt_float, unit_exponent, unit_scaled
from ..model.data_nd import DatasetNd
from ..model.network_nd import NetworkNd
from ._exact_nd import exact_outputs, misclassified_nd
from .numeric import (
    _EXACT_RECHECK,
    _MIN_CANDIDATE,
    _U,
    KKTCertificate,
    _assemble,
    _check_tol,
    _solved_multipliers,
)

_BLOCK = 2**21  # entries of one (support points x neurons) block
_GRAM_MAX = 4000  # (support points + zero pairs) beyond which the Gram form is not used
_FACE_TOL = 1e-7  # a multiplier this small relative to the largest is taken to be 0 on its face
_POLISH_ROUNDS = 6
_EIG_CUT = 1e-12  # eigenvalues of a singular face's normal matrix below this (relative) are 0


def unit_margins_nd(net: NetworkNd, data: DatasetNd) -> tuple[NetworkNd, int, np.ndarray]:
    """``(net_s, e, q_s)``: ``net_s = 2^-e theta`` and its margins, all checked ``> 0``.

    Margins within ``1e-9`` of the largest one's scale of zero are decided exactly.
    """
    e = unit_exponent(net)
    scaled = unit_scaled(net)
    q = data.y.astype(np.float64) * np.asarray(scaled(data.x_float), dtype=np.float64)
    top = float(np.max(np.abs(q))) if q.size else 0.0
    cand = np.flatnonzero(~(q > _EXACT_RECHECK * top)).tolist()
    if cand:
        exact = exact_outputs(net, data, cand, scaled)
        values = {i: int(data.y[i]) * t for i, t in zip(cand, exact)}
        bad = [i for i in cand if values[i] <= 0]
        if bad:
            raise misclassified_nd(bad, data.x_exact, values)
        for i, t in values.items():
            q[i] = fraction_to_float(t / Fraction(4) ** e)
    return scaled, e, q


def _spread(x: np.ndarray) -> float:
    """``L``: the diagonal of the bounding box of the points (``max(1, ||x_0||)`` if it is 0)."""
    if x.size == 0:
        return 1.0
    diag = float(np.linalg.norm(np.max(x, axis=0) - np.min(x, axis=0)))
    return diag if diag > 0 else max(1.0, float(np.linalg.norm(x[0])))


@dataclass(frozen=True)
class _StructureNd:
    """Normalized parameters, support, activation patterns and near-zero pairs."""

    u: np.ndarray  # (k, D): normalized (w_j, b_j), or w_j without biases
    v: np.ndarray  # (k,)
    q: np.ndarray  # normalized margins of every point
    support: np.ndarray  # original indices of the support points, ascending
    xt: np.ndarray  # (m, D): (x_i, 1) or x_i of the support points
    ys: np.ndarray  # (m,) labels as floats
    act: sp.csr_matrix  # (k, m): 1 where z_ij > 0 clearly
    pattern: np.ndarray  # (k,): index of neuron j's activation set in ``patterns``, -1 if empty
    patterns: sp.csr_matrix  # (p, m): the distinct nonempty activation sets
    zpos: np.ndarray  # near-zero pairs: position in the support, neuron, z value
    zneuron: np.ndarray
    zval: np.ndarray
    min_margin: Fraction
    scale: float


def _min_margin(
    net: NetworkNd, data: DatasetNd, qn: np.ndarray, scaled: NetworkNd
) -> Fraction:
    """The exact minimum margin: exact values of the points whose float margin is near it."""
    near = np.flatnonzero(qn <= 1.0 + _MIN_CANDIDATE).tolist()
    values = exact_outputs(net, data, near, scaled)
    return min(int(data.y[i]) * t for i, t in zip(near, values))


def structure_nd(
    net: NetworkNd, data: DatasetNd, support_tol: float, zero_tol: float
) -> _StructureNd:
    scaled, _, q = unit_margins_nd(net, data)
    m_min = float(q.min())
    root = math.sqrt(m_min)
    ws, bs, vs = scaled.arrays()
    u = (np.hstack([ws, bs[:, None]]) if net.has_bias else np.array(ws)) / root
    v = vs / root
    qn = q / m_min
    sup = np.flatnonzero(qn <= 1.0 + support_tol)
    x = data.x_float
    spread = _spread(x)
    xs = x[sup]
    xt = np.hstack([xs, np.ones((sup.size, 1))]) if net.has_bias else np.array(xs)
    m, k, d = sup.size, net.width, net.d
    wn = u[:, :d]
    reach = zero_tol * np.linalg.norm(wn, axis=1) * spread  # distance zero_tol * L, in z units
    ab = np.abs(u[:, d]) if net.has_bias else np.zeros(k)
    rows, cols, zp, zj, zz = [], [], [], [], []
    step = max(1, _BLOCK // k)
    for a in range(0, m, step):
        zb = xt[a : a + step] @ u.T
        rounding = 2 * (d + 1) * _U * (np.abs(xs[a : a + step]) @ np.abs(wn).T + ab)
        near = np.abs(zb) <= reach + rounding
        ii, jj = np.nonzero((zb > 0) & ~near)
        rows.append(jj)
        cols.append(ii + a)
        pi, pj = np.nonzero(near & (v != 0))  # mu_ij multiplies v_j: useless when v_j = 0
        zp.append(pi + a)
        zj.append(pj)
        zz.append(zb[pi, pj])
    ri = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    ci = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    act = sp.csr_matrix((np.ones(ri.size), (ri, ci)), shape=(k, m))
    act.sort_indices()
    ids: dict[bytes, int] = {}
    pattern = np.full(k, -1, dtype=np.int64)
    reps: list[int] = []
    for j in range(k):
        cells = act.indices[act.indptr[j] : act.indptr[j + 1]]
        if cells.size:
            key = cells.tobytes()
            if key not in ids:
                ids[key] = len(reps)
                reps.append(j)
            pattern[j] = ids[key]
    order = np.argsort(np.concatenate(zp), kind="stable") if zp else np.zeros(0, dtype=np.int64)
    min_margin = _min_margin(net, data, qn, scaled)
    return _StructureNd(
        u=u,
        v=v,
        q=qn,
        support=sup,
        xt=xt,
        ys=data.y[sup].astype(np.float64),
        act=act,
        pattern=pattern,
        patterns=act[reps] if reps else sp.csr_matrix((0, m)),
        zpos=np.concatenate(zp)[order].astype(np.int64) if zp else np.zeros(0, dtype=np.int64),
        zneuron=np.concatenate(zj)[order].astype(np.int64) if zj else np.zeros(0, dtype=np.int64),
        zval=np.concatenate(zz)[order] if zz else np.zeros(0),
        min_margin=min_margin,
        scale=sqrt_float(min_margin),
    )


def residual_nd(st: _StructureNd, lam: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """Stationarity residual, one column ``(r_u (D entries), r_v)`` per neuron: ``(D + 1, k)``."""
    gl = lam * st.ys
    s_act = np.asarray(st.act @ (gl[:, None] * st.xt))  # (k, D): sum over active of lambda y xt
    s = s_act.copy()
    rv_extra = np.zeros(st.v.size)
    if st.zpos.size:
        yz = st.ys[st.zpos]
        np.add.at(s, st.zneuron, (mu * yz)[:, None] * st.xt[st.zpos])
        rv_extra = np.bincount(
            st.zneuron, lam[st.zpos] * yz * np.maximum(st.zval, 0.0), minlength=st.v.size
        )
    r_u = st.u - st.v[:, None] * s
    r_v = st.v - np.sum(st.u * s_act, axis=1) - rv_extra
    return np.vstack([r_u.T, r_v])


def solve_nd(
    st: _StructureNd, solver: str | None, method: str | None = None
) -> tuple[np.ndarray, np.ndarray, str]:
    """Minimize the stationarity residual over lambda >= 0, 0 <= mu <= lambda.

    Two exact reformulations of the same problem; the cheaper one is used (``method``
    forces one, for tests): the sparse cone program of the module docstring, whose size
    grows with the activation sets of the *distinct* patterns, or the Gram form
    ``min x^T Q x - 2 c^T x`` over ``x = (lambda, mu)`` with the dense ``Q = H^T H`` of the
    subgradient matrix H (``(|S| + #zero pairs)^2`` entries, formed with dense products of
    the ``k x |S|`` activation matrix), whose face is then re-solved as a least-squares
    problem because the quadratic objective only pins the residual to the square root of
    the solver's accuracy.
    """
    if (method or choose_form(st)) == "gram":
        return _solve_gram(st, solver)
    return _solve_sparse(st, solver)


def choose_form(st: _StructureNd) -> str:
    """``"sparse"`` or ``"gram"``: the formulation of :func:`solve_nd` with fewer nonzeros."""
    m, nz = st.xt.shape[0], st.zpos.size
    k, D = st.u.shape
    sparse_cost = D * (st.patterns.nnz + 2 * k + nz)
    gram_cost = (m + nz) ** 2
    return "gram" if gram_cost <= sparse_cost and m + nz <= _GRAM_MAX else "sparse"


def _solve_sparse(st: _StructureNd, solver: str | None) -> tuple[np.ndarray, np.ndarray, str]:
    """The sparse cone program: one vector ``g_A`` per distinct activation set (cvxpy)."""
    import cvxpy as cp

    m, nz = st.xt.shape[0], st.zpos.size
    k, D = st.u.shape
    p = st.patterns.shape[0]
    lam = cp.Variable(m, nonneg=True)
    cons = []
    r_u: object = st.u.ravel()
    r_v: object = st.v
    if p:
        # g[a * D + c] = sum over pattern a of lambda_i y_i xt_i[c]
        pc = st.patterns.tocoo()
        c_idx = np.arange(D)
        b_rows = (pc.row[:, None] * D + c_idx).ravel()
        b_cols = np.repeat(pc.col, D)
        b_vals = (st.ys[pc.col][:, None] * st.xt[pc.col]).ravel()
        B = sp.csr_matrix((b_vals, (b_rows, b_cols)), shape=(p * D, m))
        g = cp.Variable(p * D)
        cons.append(g == B @ lam)
        J = np.flatnonzero(st.pattern >= 0)
        gcols = (st.pattern[J][:, None] * D + c_idx).ravel()
        vsel = sp.csr_matrix(
            (np.repeat(st.v[J], D), ((J[:, None] * D + c_idx).ravel(), gcols)), shape=(k * D, p * D)
        )
        usel = sp.csr_matrix((st.u[J].ravel(), (np.repeat(J, D), gcols)), shape=(k, p * D))
        r_u = r_u - vsel @ g
        r_v = r_v - usel @ g
    mu = None
    if nz:
        mu = cp.Variable(nz, nonneg=True)
        pairs = np.arange(nz)
        yz = st.ys[st.zpos]
        h = sp.csr_matrix(
            (
                ((st.v[st.zneuron] * yz)[:, None] * st.xt[st.zpos]).ravel(),
                ((st.zneuron[:, None] * D + np.arange(D)).ravel(), np.repeat(pairs, D)),
            ),
            shape=(k * D, nz),
        )
        rz = sp.csr_matrix((yz * np.maximum(st.zval, 0.0), (st.zneuron, st.zpos)), shape=(k, m))
        pick = sp.csr_matrix((np.ones(nz), (pairs, st.zpos)), shape=(nz, m))
        r_u = r_u - h @ mu
        r_v = r_v - rz @ lam
        cons.append(mu <= pick @ lam)
    prob = cp.Problem(cp.Minimize(cp.norm(cp.hstack([r_u, r_v]), 2)), cons)
    return _solved_multipliers(prob, lam, mu, st.zpos, solver)


def _dense_views(st: _StructureNd) -> tuple[np.ndarray, np.ndarray]:
    """``A`` (k x |S|, 1 on active pairs) and ``Zv``, the coefficients of the v-equations."""
    a = st.act.toarray()
    zv = (st.u @ st.xt.T) * a
    if st.zpos.size:
        zv[st.zneuron, st.zpos] += np.maximum(st.zval, 0.0)
    return a, zv


def _h_transpose(st: _StructureNd, a: np.ndarray, zv: np.ndarray, r: np.ndarray) -> np.ndarray:
    """``H^T r`` for a vector ``r`` laid out like the residual, ``(D + 1, k)``.

    Column ``lambda_i`` of H holds ``v_j y_i xt_i`` in the u-rows and ``y_i Zv_ji`` in the
    v-row of every neuron j active at i; column ``mu_ij`` holds ``v_j y_i xt_i`` in the u-rows
    of neuron j.
    """
    D = st.u.shape[1]
    proj = (r[:D].T * st.v[:, None]) @ st.xt.T  # (k, m): v_j (r_u_j . xt_i)
    lam_part = st.ys * ((a * proj).sum(axis=0) + zv.T @ r[D])
    mu_part = st.ys[st.zpos] * proj[st.zneuron, st.zpos]
    return np.concatenate([lam_part, mu_part])


def _gram(st: _StructureNd, a: np.ndarray, zv: np.ndarray) -> np.ndarray:
    """``Q = H^T H`` from dense products (see :func:`_h_transpose` for the columns of H)."""
    y, v2 = st.ys, st.v * st.v
    g = st.xt @ st.xt.T
    q_ll = (g * (a.T @ (a * v2[:, None])) + zv.T @ zv) * np.outer(y, y)
    if not st.zpos.size:
        return q_ll
    zp, zj = st.zpos, st.zneuron
    q_lm = (a[zj].T * (v2[zj] * y[zp])) * g[:, zp] * y[:, None]
    same = zj[:, None] == zj[None, :]
    q_mm = same * (v2[zj] * y[zp])[:, None] * y[zp][None, :] * g[np.ix_(zp, zp)]
    return np.block([[q_ll, q_lm], [q_lm.T, q_mm]])


def _solve_gram(st: _StructureNd, solver: str | None) -> tuple[np.ndarray, np.ndarray, str]:
    """The Gram form (see :func:`solve_nd`): a dense QP, then its face solved by least squares."""
    import cvxpy as cp

    m, nz = st.xt.shape[0], st.zpos.size
    a, zv = _dense_views(st)
    q = _gram(st, a, zv)
    theta = np.vstack([st.u.T, st.v])
    c = _h_transpose(st, a, zv, theta)
    x = cp.Variable(m + nz, nonneg=True)
    cons = []
    if nz:
        pick = sp.csr_matrix((np.ones(nz), (np.arange(nz), st.zpos)), shape=(nz, m))
        cons.append(x[m:] <= pick @ x[:m])
    prob = cp.Problem(cp.Minimize(cp.quad_form(x, cp.psd_wrap(q)) - 2 * c @ x), cons)
    try:
        prob.solve(solver=solver or "CLARABEL")  # cvxpy's own QP choice may be first-order
    except cp.error.SolverError as exc:
        return np.zeros(m), np.zeros(nz), f"solver_error: {exc}"
    if x.value is None:
        return np.zeros(m), np.zeros(nz), str(prob.status)
    x0 = np.maximum(np.asarray(x.value, dtype=np.float64), 0.0)
    x0[m:] = np.minimum(x0[m:], x0[:m][st.zpos])
    best = _polish(st, a, zv, q, c, x0)
    return best[:m], best[m:], str(prob.status)


def _polish(
    st: _StructureNd, a: np.ndarray, zv: np.ndarray, q: np.ndarray, c: np.ndarray, x0: np.ndarray
) -> np.ndarray:
    """The least-squares solution on the face of ``x0``, if it is feasible and better.

    Variables near 0 are fixed at 0, each ``mu_ij`` near ``lambda_i`` is tied to it, the rest
    are free; the normal equations of that face are solved and refined twice with the
    residual computed directly (semi-normal equations). Variables the solution pushes out
    of bounds are fixed and the face re-solved, a few times at most.
    """
    import scipy.linalg as sla

    m, nz = st.xt.shape[0], st.zpos.size

    def eps_of(x: np.ndarray) -> float:
        return float(np.linalg.norm(residual_nd(st, x[:m], x[m:])))

    best, best_eps = x0, eps_of(x0)
    tau = _FACE_TOL * max(float(x0.max(initial=0.0)), np.finfo(float).tiny)
    zero = x0 <= tau
    zero[m:] |= zero[:m][st.zpos]
    tied = np.zeros(nz, dtype=bool)
    tied[~zero[m:]] = x0[m:][~zero[m:]] >= x0[:m][st.zpos[~zero[m:]]] - tau
    for _ in range(_POLISH_ROUNDS):
        free = np.flatnonzero(~zero & ~np.concatenate([np.zeros(m, dtype=bool), tied]))
        if free.size == 0:
            break
        col = {int(f): t for t, f in enumerate(free)}
        rows, cols = list(free), list(range(free.size))
        for p in np.flatnonzero(tied & ~zero[m:]).tolist():
            lam_col = col.get(int(st.zpos[p]))
            if lam_col is not None:
                rows.append(m + p)
                cols.append(lam_col)
        t_map = sp.csc_matrix((np.ones(len(rows)), (rows, cols)), shape=(m + nz, free.size))
        q_f = np.asarray((t_map.T @ (t_map.T @ q).T).T)
        try:
            fac = sla.cho_factor(q_f)

            def solve(rhs: np.ndarray, fac=fac) -> np.ndarray:
                return sla.cho_solve(fac, rhs)
        except np.linalg.LinAlgError:  # a singular face (multipliers not unique): least norm
            ev, vec = np.linalg.eigh(q_f)
            keep = ev > _EIG_CUT * max(float(ev.max(initial=0.0)), np.finfo(float).tiny)
            vec, inv = vec[:, keep], 1.0 / ev[keep]

            def solve(rhs: np.ndarray, vec=vec, inv=inv) -> np.ndarray:
                return vec @ (inv * (vec.T @ rhs))
        yv = solve(t_map.T @ c)
        for _ in range(2):
            x = t_map @ yv
            r = residual_nd(st, x[:m], x[m:])
            yv = yv + solve(t_map.T @ _h_transpose(st, a, zv, r))
        x = t_map @ yv
        low = x < 0
        over = np.zeros(m + nz, dtype=bool)
        over[m:] = x[m:] > x[:m][st.zpos]
        if not (low.any() or over.any()):
            e = eps_of(x)
            if e < best_eps:
                best, best_eps = x, e
            break
        zero |= low
        zero[m:] |= zero[:m][st.zpos]
        tied |= over[m:]
    return best


def certify_kkt_nd(
    net: NetworkNd,
    x: object,
    y: object | None,
    *,
    support_tol: float,
    zero_tol: float,
    kkt_tol: float,
    solver: str | None,
) -> KKTCertificate:
    """:func:`pwl_kkt.certify_kkt` for a :class:`~pwl_kkt.NetworkNd` (see the module docstring)."""
    support_tol = _check_tol(support_tol, "support_tol")
    zero_tol = _check_tol(zero_tol, "zero_tol", 1.0)
    kkt_tol = _check_tol(kkt_tol, "kkt_tol")
    data = data_for(net, x, y).require_separable()
    st = structure_nd(net, data, support_tol, zero_tol)
    lam, mu, status = solve_nd(st, solver)
    res = residual_nd(st, lam, mu)
    sq_norm = float(np.sum(st.u * st.u) + st.v @ st.v)
    return _assemble(
        st, data.n, lam, mu, res, sq_norm, status, (support_tol, zero_tol, kkt_tol), net.d
    )


def margins_nd(net: NetworkNd, x: object, y: object | None = None) -> np.ndarray:
    """:func:`pwl_kkt.kkt.numeric.margins` for a :class:`~pwl_kkt.NetworkNd`."""
    data = data_for(net, x, y)
    _, e, q = unit_margins_nd(net, data)
    with np.errstate(over="ignore", under="ignore"):
        out = np.ldexp(q, 2 * e)
    return np.maximum(out, np.nextafter(0.0, 1.0))
