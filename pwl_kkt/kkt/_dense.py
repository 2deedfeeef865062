"""The dense textbook KKT formulation: the baseline of ``benchmarks/bench_kkt.py``,
``benchmarks/bench_nd_kkt.py`` and of tests.

Multipliers ``lambda in R^n`` for every point (zero off the support set by equality
constraints) and the dense ``n``-by-``k`` matrices ``s_ij y_i x_i``, ``s_ij y_i`` and
``y_i relu(z_ij)``: ``O(n k)`` memory and solver work. Same normalization, tolerances,
near-zero pairs and cvxpy objective as :func:`pwl_kkt.kkt.numeric.certify_kkt`, so both must reach
the same minimal residual.
"""

from __future__ import annotations

import numpy as np

from ..model.data import as_dataset
from ..model.data_nd import DatasetNd
from ..model.network import Network
from ..model.network_nd import NetworkNd
from .numeric import (
    DEFAULT_SUPPORT_TOL,
    DEFAULT_ZERO_TOL,
    _residual,
    _structure,
)


def certify_dense(
    net: Network,
    x: object,
    y: object | None = None,
    *,
    support_tol: float = DEFAULT_SUPPORT_TOL,
    zero_tol: float = DEFAULT_ZERO_TOL,
    solver: str | None = None,
) -> tuple[np.ndarray, float]:
    """``(lambdas, eps)`` from the dense formulation (lambdas in input order)."""
    import cvxpy as cp

    ds = as_dataset(x, y).require_separable()
    st = _structure(net, ds, support_tol, zero_tol)  # same margins, support and zero pairs
    n = ds.n
    xf, yf = ds.x_float, ds.y.astype(np.float64)
    z = np.multiply.outer(xf, st.w) + st.b  # n x k, dense
    s = (z > 0).astype(np.float64)
    # near-zero pairs of the support points are handled by mu, exactly as in certify_kkt
    zi = st.support[st.zpos]
    s[zi, st.zneuron] = 0.0
    ax = s * (yf * xf)[:, None]
    a0 = s * yf[:, None]
    r = np.maximum(z, 0.0) * yf[:, None]
    lam = cp.Variable(n, nonneg=True)
    off = np.setdiff1d(np.arange(n), st.support)
    cons = [lam[off] == 0] if off.size else []
    rw = st.w - cp.multiply(st.v, ax.T @ lam)
    rb = st.b - cp.multiply(st.v, a0.T @ lam)
    rv = st.v - r.T @ lam
    nz = st.zpos.size
    if nz:
        mu = cp.Variable(nz, nonneg=True)
        h1 = np.zeros((st.w.size, nz))
        h0 = np.zeros((st.w.size, nz))
        cols = np.arange(nz)
        h1[st.zneuron, cols] = st.v[st.zneuron] * yf[zi] * xf[zi]
        h0[st.zneuron, cols] = st.v[st.zneuron] * yf[zi]
        rw = rw - h1 @ mu
        rb = rb - h0 @ mu
        cons.append(mu <= lam[zi])
    prob = cp.Problem(cp.Minimize(cp.norm(cp.hstack([rw, rb, rv]), 2)), cons)
    prob.solve(solver=solver)
    lam_all = np.maximum(np.asarray(lam.value, dtype=np.float64), 0.0)
    mu_v = np.zeros(nz)
    if nz:
        mu_v = np.clip(np.asarray(mu.value, dtype=np.float64), 0.0, lam_all[zi])
    lam_s = lam_all[st.support]
    res = _residual(st, lam_s, mu_v)
    norm = float(np.sqrt(st.w @ st.w + st.b @ st.b + st.v @ st.v))
    return lam_all, float(np.linalg.norm(res)) / norm


def certify_dense_nd(
    net: NetworkNd,
    data: DatasetNd,
    *,
    support_tol: float = DEFAULT_SUPPORT_TOL,
    zero_tol: float = DEFAULT_ZERO_TOL,
    solver: str | None = None,
) -> tuple[np.ndarray, float]:
    """``(lambdas, eps)`` from the dense formulation on R^d (lambdas in input order).

    ``lambda in R^n`` and, per coordinate of ``u_j = (w_j, b_j)``, a dense ``n x k`` matrix
    ``s_ij y_i xt_i[c]``: ``O(n k d)`` memory. Same support, zero pairs and objective as
    :func:`pwl_kkt.certify_kkt` on a :class:`~pwl_kkt.NetworkNd`.
    """
    import cvxpy as cp

    from ._numeric_nd import residual_nd, structure_nd

    st = structure_nd(net, data, support_tol, zero_tol)
    n = data.n
    xt = np.hstack([data.x_float, np.ones((n, 1))]) if net.has_bias else np.array(data.x_float)
    yf = data.y.astype(np.float64)
    z = xt @ st.u.T  # n x k, dense
    s = (z > 0).astype(np.float64)
    zi = st.support[st.zpos]
    s[zi, st.zneuron] = 0.0  # near-zero pairs of the support points go through mu
    s[st.support] *= st.act.T.toarray()  # the same activation decisions as the structure
    lam = cp.Variable(n, nonneg=True)
    off = np.setdiff1d(np.arange(n), st.support)
    cons = [lam[off] == 0] if off.size else []
    k, D = st.u.shape
    nz = st.zpos.size
    mu = cp.Variable(nz, nonneg=True) if nz else None
    r_u = []
    for c in range(D):
        a_c = s * (yf * xt[:, c])[:, None]
        r = st.u[:, c] - cp.multiply(st.v, a_c.T @ lam)
        if nz:
            h = np.zeros((k, nz))
            h[st.zneuron, np.arange(nz)] = st.v[st.zneuron] * yf[zi] * xt[zi, c]
            r = r - h @ mu
        r_u.append(r)
    relu = np.maximum(z, 0.0) * yf[:, None]
    relu_s = relu * np.where(s > 0, 1.0, 0.0)
    relu_s[zi, st.zneuron] = relu[zi, st.zneuron]
    r_v = st.v - relu_s.T @ lam
    if nz:
        cons.append(mu <= lam[zi])
    prob = cp.Problem(cp.Minimize(cp.norm(cp.hstack([*r_u, r_v]), 2)), cons)
    prob.solve(solver=solver)
    lam_all = np.maximum(np.asarray(lam.value, dtype=np.float64), 0.0)
    mu_v = np.zeros(nz)
    if nz:
        mu_v = np.clip(np.asarray(mu.value, dtype=np.float64), 0.0, lam_all[zi])
    res = residual_nd(st, lam_all[st.support], mu_v)
    norm = float(np.sqrt(np.sum(st.u * st.u) + st.v @ st.v))
    return lam_all, float(np.linalg.norm(res)) / norm
