"""Numeric KKT certificates for the max-margin problem (Problem (4) of Safran, Vardi & Lee (2022)).

Problem (4): minimize ``1/2 ||theta||^2`` subject to ``y_i N(x_i) >= 1``. With
``z_ij = w_j x_i + b_j`` and a Clarke subgradient ``s_ij`` of relu at ``z_ij`` (1 if
``z_ij > 0``, 0 if ``z_ij < 0``, anything in [0, 1] if ``z_ij = 0``), theta is a KKT point
iff there are ``lambda_i >= 0``, zero off the support set ``{i : y_i N(x_i) = 1}``, with::

    w_j = v_j sum_i lambda_i y_i s_ij x_i,   b_j = v_j sum_i lambda_i y_i s_ij,
    v_j =     sum_i lambda_i y_i relu(z_ij).

Writing ``mu_ij = lambda_i s_ij`` (``0 <= mu_ij <= lambda_i``) for the pairs with
``z_ij = 0`` makes this linear in ``(lambda, mu)``. :func:`certify_kkt` normalizes theta to
minimum margin 1, then minimizes the stationarity residual with cvxpy.

Sparse structure: only support points carry multipliers, and the
active set of neuron j among the support points sorted by x is a prefix (``w_j < 0``) or a
suffix (``w_j > 0``). With the prefix sums ``P1[p] = sum_{q < p} lambda_q y_q x_q`` and
``P0[p] = sum_{q < p} lambda_q y_q`` (linked by the bidiagonal constraints
``P[p+1] - P[p] = ...``), each neuron's sums are ``P[e_j] - P[a_j]`` -- two nonzeros per
row. The problem therefore has ``O(k + m + #zero pairs)`` nonzeros for ``m`` support points,
instead of the dense ``n``-by-``k`` subgradient matrix of the textbook formulation.

On R^d (a :class:`~pwl_kkt.NetworkNd`, with or without hidden biases) the activation sets are
no longer half-lines. The program then keeps one vector ``g_A = sum_{i in A} lambda_i y_i
(x_i, 1)`` per *distinct* activation set A of the support points (every neuron's residual
reads only its own ``g_A``; at a KKT point neurons come in few groups), or, when that has
more nonzeros, works with the Gram matrix ``H^T H`` of the support's subgradients (a dense
QP whose face is re-solved by least squares, so the residual is accurate to float
precision, not to the square root of the solver's tolerance). Memory stays
``O(|S| k + k d)``. The zero test measures the distance from ``x_i`` to the hyperplane
``w_j . x + b_j = 0`` against the diagonal ``L`` of the data's bounding box.

Tolerances (scale-free, all user-settable):

``support_tol`` (default 1e-6)
    point i is a support point when its normalized margin is ``<= 1 + support_tol``.
    Larger values admit more multipliers (smaller ``eps``) at the price of a larger
    complementary-slackness mass ``delta <= support_tol * sum(lambda)``.
``zero_tol`` (default 1e-6)
    ``z_ij`` counts as zero when ``|z_ij| <= zero_tol |w_j| L + 4 u (|w_j x_i| + |b_j|)``, i.e.
    when the kink ``t_j = -b_j/w_j`` lies within ``zero_tol * L`` of ``x_i``, where
    ``L = max_i x_i - min_i x_i`` is the spread of the data (``max(1, |x_0|)`` when all inputs
    are equal); the second term (``u = 2^-52``) only absorbs the rounding of ``z_ij`` in float.
    The test is a distance in input space, so it is invariant under shifting the data and the
    kinks together (through 0 as well: a purely relative test ``|z| <= T (|w x| + |b|)``
    can never hold at ``x_i = 0``), under scaling them together, and under scaling theta.
    Larger values only enlarge the set of admissible subgradients (``eps`` can only decrease).
``kkt_tol`` (default 1e-6)
    the verdict: ``is_kkt`` iff ``eps <= kkt_tol``. The interior-point solver is accurate to
    about 1e-8 relative, and float rounding of an exact KKT point gives about 1e-15, so 1e-6
    separates rounding from genuine violations. Networks trained for a finite time are only
    approximately KKT; pass larger tolerances (e.g. 1e-2) and read ``eps`` and ``delta``.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import scipy.sparse as sp

from .._rational import fraction_text, fraction_to_float
from ..errors import InvalidValueError, MisclassifiedError
from ..model._scale import sqrt_float, unit_exponent, unit_scaled
from ..model.data import Dataset, as_dataset
from ..model.data_nd import DatasetNd
from ..model.network import Network
from ..model.network_nd import NetworkNd

__all__ = ["KKTCertificate", "certify_kkt", "margins"]

DEFAULT_SUPPORT_TOL = 1e-6
DEFAULT_ZERO_TOL = 1e-6
DEFAULT_KKT_TOL = 1e-6
_N_WORST = 5
_EXACT_RECHECK = 1e-9  # float margins below this fraction of the largest are re-decided exactly
_U = float(np.finfo(float).eps)  # unit of float rounding in the zero test
_MIN_CANDIDATE = 1e-12  # float margins this close to the smallest get their exact value


@dataclass(frozen=True)
class KKTCertificate:
    """An approximate-KKT certificate for Problem (4), after normalization to margin 1.

    ``theta_n = theta / scale`` with ``scale = sqrt(m)``, ``m = min_i y_i N(x_i)``, has minimum
    margin 1. The verdict is about ``theta_n``, i.e. about the *direction* of theta, unless
    ``m = 1`` exactly (``normalized`` is False: then it is about theta itself). The
    multipliers are those of the normalized problem; since the Clarke subgradients ``h_i``
    are 1-homogeneous in theta, ``theta = sum_i lambda_i h_i(theta)`` holds with the same
    lambdas before normalization, but Euler's identity ``||theta||^2 = 2 sum lambda`` and
    feasibility hold for ``theta_n`` only.

    Attributes
    ----------
    is_kkt : bool
        ``eps <= kkt_tol``: certified at tolerance. ``False`` means the tolerance was missed
        (inconclusive), not that theta is no KKT point; :func:`pwl_kkt.verify_kkt_exact`
        decides that with a proof.
    eps : float
        Relative stationarity residual ``||theta_n - sum_i lambda_i h_i|| / ||theta_n||``.
    delta : float
        Complementary-slackness mass ``sum_i lambda_i (y_i N_n(x_i) - 1) >= 0``.
    lambdas : tuple of float
        One multiplier per data point (input order), zero off the support set.
    support : tuple of int
        Indices with normalized margin ``<= 1 + support_tol``.
    mu : tuple of (int, int, float)
        ``(i, j, mu_ij)`` for the support pairs with ``z_ij`` near zero (``s_ij = mu/lambda``).
    min_margin : Fraction
        ``m = min_i y_i N(x_i)`` of the network as given, exactly (the exact margins of the
        points whose float margin is within 1e-12 of the smallest; floats are their dyadic
        values). Exact, so weights of 1e300 (``m`` about 1e600) are no problem.
    scale : float
        ``sqrt(m)`` rounded to float: ``theta_n = theta / scale`` (``inf``, and ``null`` in
        JSON, only for exact parameters beyond the float range; ``min_margin`` stays exact).
    normalized : bool
        ``m != 1``: the certificate is about ``theta / sqrt(m)``, not about theta itself.
    normalized_margin : float
        ``gamma = min_margin / ||theta||^2`` (invariant under scaling theta).
    sq_norm : float
        ``||theta_n||^2``; at an exact KKT point it equals ``2 sum(lambdas)``.
    worst_neurons : tuple of (int, float)
        The neurons with the largest residual ``||(r_w, r_b, r_v)_j|| / ||theta_n||``.
    support_tol, zero_tol, kkt_tol : float
        The tolerances used.
    status : str
        The solver's status.
    d : int
        Input dimension of the network (1 for a univariate :class:`~pwl_kkt.Network`; the
        residual of neuron j then has d + 2 entries, ``(w_j, b_j, v_j)``, or d + 1 without
        hidden biases).

    Examples
    --------
    >>> cert = certify_kkt(Network([0, 0], [1, 0], [1, 0]), [4, -4], [1, 1])
    >>> KKTCertificate.from_json(cert.to_json()) == cert
    True
    """

    is_kkt: bool
    eps: float
    delta: float
    lambdas: tuple[float, ...]
    support: tuple[int, ...]
    mu: tuple[tuple[int, int, float], ...]
    min_margin: Fraction
    scale: float
    normalized: bool
    normalized_margin: float
    sq_norm: float
    worst_neurons: tuple[tuple[int, float], ...]
    support_tol: float
    zero_tol: float
    kkt_tol: float
    status: str
    d: int = 1

    @property
    def sum_lambda(self) -> float:
        """``sum_i lambda_i`` (unique at a KKT point: ``||theta_n||^2 / 2``)."""
        return float(sum(self.lambdas))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (lists for tuples).

        Examples
        --------
        >>> cert = certify_kkt(Network([0], [1], [1]), [1, -1], [1, 1])
        >>> cert.to_dict()["is_kkt"]
        True
        """
        d = asdict(self)
        d["min_margin"] = fraction_text(self.min_margin)
        d["scale"] = self.scale if math.isfinite(self.scale) else None
        d["lambdas"] = list(self.lambdas)
        d["support"] = list(self.support)
        d["mu"] = [list(t) for t in self.mu]
        d["worst_neurons"] = [list(t) for t in self.worst_neurons]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> KKTCertificate:
        """Rebuild a certificate from :meth:`to_dict` output.

        Examples
        --------
        >>> cert = certify_kkt(Network([0], [1], [1]), [1, -1], [1, 1])
        >>> KKTCertificate.from_dict(cert.to_dict()) == cert
        True
        """
        return cls(
            is_kkt=bool(d["is_kkt"]),
            eps=float(d["eps"]),
            delta=float(d["delta"]),
            lambdas=tuple(float(t) for t in d["lambdas"]),
            support=tuple(int(t) for t in d["support"]),
            mu=tuple((int(i), int(j), float(m)) for i, j, m in d["mu"]),
            min_margin=Fraction(d["min_margin"]),
            scale=math.inf if d["scale"] is None else float(d["scale"]),
            normalized=bool(d["normalized"]),
            normalized_margin=float(d["normalized_margin"]),
            sq_norm=float(d["sq_norm"]),
            worst_neurons=tuple((int(j), float(r)) for j, r in d["worst_neurons"]),
            support_tol=float(d["support_tol"]),
            zero_tol=float(d["zero_tol"]),
            kkt_tol=float(d["kkt_tol"]),
            status=str(d["status"]),
            d=int(d.get("d", 1)),
        )

    def to_json(self) -> str:
        """JSON text of :meth:`to_dict` (floats round-trip exactly).

        Examples
        --------
        >>> cert = certify_kkt(Network([0], [1], [1]), [1, -1], [1, 1])
        >>> '"is_kkt": true' in cert.to_json()
        True
        """
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_json(cls, text: str) -> KKTCertificate:
        """Inverse of :meth:`to_json`.

        Examples
        --------
        >>> cert = certify_kkt(Network([0], [1], [1]), [1, -1], [1, 1])
        >>> KKTCertificate.from_json(cert.to_json()).eps == cert.eps
        True
        """
        return cls.from_dict(json.loads(text))


# --- margins ---------------------------------------------------------------------------------


def margins(net: Network | NetworkNd, x: object, y: object | None = None) -> np.ndarray:
    """Float margins ``y_i N(x_i)``, raising if any point is not strictly correctly classified.

    The margins are evaluated on ``2^-e theta`` (largest parameter in ``[1/2, 1)``, an exact
    rescaling, see :func:`pwl_kkt.model._scale.unit_scaled`) and multiplied back by ``4^e``, so
    weights of 1e300 or 1e-200 neither overflow nor underflow the decision; a margin beyond
    the float range is returned as ``inf`` (or the smallest positive float, 5e-324). Margins
    whose float value is within ``1e-9`` of the largest one's scale of zero are decided exactly
    (floats taken as their dyadic values), so an exactly-zero margin is always reported and a
    tiny positive one is never lost to rounding.

    Parameters
    ----------
    net : Network or NetworkNd
    x, y
        A :class:`~pwl_kkt.Dataset` (a :class:`~pwl_kkt.DatasetNd` of the network's
        dimension for a :class:`~pwl_kkt.NetworkNd`), or inputs and labels.

    Returns
    -------
    numpy.ndarray
        ``y_i N(x_i)`` for every point, all ``> 0``.

    Raises
    ------
    MisclassifiedError
        Some ``y_i N(x_i) <= 0``; the message names the first few points and their margins.

    Examples
    --------
    >>> margins(Network([1], [0], [1]), [1, 2], [1, 1])
    array([1., 2.])
    >>> margins(Network([1e300], [0], [1e300]), [1, 2], [1, 1])
    array([inf, inf])
    >>> margins(Network([1e-200], [0], [1e-200]), [1, 2], [1, 1])
    array([5.e-324, 5.e-324])
    >>> margins(Network([1], [0], [1]), [1, -2], [1, 1])
    Traceback (most recent call last):
    ...
    pwl_kkt.errors.MisclassifiedError: 1 point(s) not strictly correctly classified ...

    A :class:`~pwl_kkt.NetworkNd` takes points of its dimension:

    >>> margins(NetworkNd([[1, 1]], None, [1]), [[1, 0], [2, 2]], [1, 1])
    array([1., 4.])
    """
    if isinstance(net, NetworkNd):
        from ._numeric_nd import margins_nd

        return margins_nd(net, x, y)
    ds = _univariate_data(net, x, y)
    _, e, q = _unit_margins(net, ds)
    with np.errstate(over="ignore", under="ignore"):
        out = np.ldexp(q, 2 * e)
    return np.maximum(out, np.nextafter(0.0, 1.0))  # every margin is > 0, even below 5e-324


def _unit_margins(net: Network, ds: Dataset) -> tuple[Network, int, np.ndarray]:
    """``(net_s, e, q_s)``: ``net_s = 2^-e theta`` (:func:`unit_scaled`) and its margins > 0."""
    e = unit_exponent(net)
    scaled = unit_scaled(net)
    q = ds.y.astype(np.float64) * np.asarray(scaled(ds.x_float), dtype=np.float64).reshape(-1)
    top = float(np.max(np.abs(q))) if q.size else 0.0
    cand = np.flatnonzero(~(q > _EXACT_RECHECK * top))
    bad: list[tuple[int, Fraction]] = []
    if cand.size:
        xe = ds.x_exact
        exact_net = net.to_exact()  # the network as given, not its rounding
        for i in cand.tolist():
            exact = int(ds.y[i]) * exact_net.exact_value(xe[i])
            q[i] = fraction_to_float(exact / Fraction(4) ** e)
            if exact <= 0:
                bad.append((i, exact))
    if bad:
        shown = ", ".join(
            f"x[{i}] = {float(ds.x_float[i])!r} (y N(x) = {fraction_to_float(m):.6g})"
            for i, m in bad[:3]
        )
        more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
        raise MisclassifiedError(
            f"{len(bad)} point(s) not strictly correctly classified (y_i N(x_i) <= 0): "
            f"{shown}{more}; there is no margin to normalize, so nothing to certify"
        )
    return scaled, e, q


def _spread(x: np.ndarray) -> float:
    """The length ``L`` of the zero test: ``max x - min x`` (else ``max(1, |x_0|)``)."""
    if x.size == 0:
        return 1.0
    lo, hi = float(np.min(x)), float(np.max(x))
    return hi - lo if hi > lo else max(1.0, abs(lo))


def _near_zero(
    z: np.ndarray, wj: float, bj: float, x: np.ndarray, zero_tol: float, spread: float
) -> np.ndarray:
    """``|z| <= zero_tol |w_j| L + 4 u (|w_j x| + |b_j|)``: kink within ``zero_tol L`` of x.

    Examples
    --------
    >>> x = np.array([-2.0, 0.0, 2.0])
    >>> _near_zero(1.0 * x - 1e-15, 1.0, -1e-15, x, 1e-6, _spread(x))
    array([False,  True, False])
    """
    return np.abs(z) <= zero_tol * abs(wj) * spread + 4 * _U * (np.abs(wj * x) + abs(bj))


# --- structure -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Structure:
    """Normalized parameters, sorted support, active ranges and near-zero pairs."""

    w: np.ndarray  # normalized parameters theta / scale
    b: np.ndarray
    v: np.ndarray
    q: np.ndarray  # normalized margins (all points)
    support: np.ndarray  # original indices of support points, sorted by x
    xs: np.ndarray  # x of support points, sorted
    ys: np.ndarray  # labels of support points (float)
    start: np.ndarray  # active positions of neuron j among sorted support: [start_j, stop_j)
    stop: np.ndarray
    zpos: np.ndarray  # near-zero pairs: position in sorted support, neuron, z value
    zneuron: np.ndarray
    zval: np.ndarray
    min_margin: Fraction  # of theta as given
    scale: float  # sqrt(min_margin)


def _check_tol(value: float, name: str, upper: float = math.inf) -> float:
    f = float(value)
    if not (math.isfinite(f) and 0 <= f < upper):
        bound = "" if upper == math.inf else f" and below {upper}"
        raise InvalidValueError(f"{name} = {value!r} must be a finite number >= 0{bound}")
    return f


def _structure(net: Network, ds: Dataset, support_tol: float, zero_tol: float) -> _Structure:
    scaled, _, q = _unit_margins(net, ds)  # theta / 2^e: no overflow, no underflow
    m_min = float(q.min())
    root = math.sqrt(m_min)
    w0, b0, v0 = scaled.arrays()
    w, b, v = w0 / root, b0 / root, v0 / root
    qn = q / m_min
    sup = np.flatnonzero(qn <= 1.0 + support_tol)
    xf = ds.x_float
    spread = _spread(xf)
    # The exact minimum margin of theta as given: exact values of the float-smallest points
    # (one exact piecewise-linear form, so many tied points cost O((n + k) log k)).
    from .exact import exact_margins

    near_min = np.flatnonzero(qn <= 1.0 + _MIN_CANDIDATE).tolist()
    xe = ds.x_exact
    if len(near_min) <= 8:  # O(k) each
        min_margin = min(int(ds.y[i]) * net.exact_value(xe[i]) for i in near_min)
    else:
        tied = Dataset([xe[i] for i in near_min], ds.y[near_min].tolist(), exact=True)
        min_margin = min(exact_margins(net.to_exact(), tied))
    sup = sup[np.argsort(xf[sup], kind="stable")]
    xs = xf[sup]
    ys = ds.y[sup].astype(np.float64)
    m, k = xs.size, w.size

    start = np.zeros(k, dtype=np.int64)
    stop = np.zeros(k, dtype=np.int64)
    zp: list[int] = []
    zj: list[int] = []
    zz: list[float] = []

    # Neurons with w_j = 0: z = b_j for every x.
    flat = w == 0
    stop[flat & (b > 0)] = m
    for j in np.flatnonzero(flat & (b == 0) & (v != 0)).tolist():
        zp.extend(range(m))
        zj.extend([j] * m)
        zz.extend([0.0] * m)

    # Neurons with w_j != 0: kink t_j; only support points near t_j need a closer look.
    idx = np.flatnonzero(~flat)
    if idx.size:
        wj, bj = w[idx], b[idx]
        t = -bj / wj
        xmax = float(np.max(np.abs(xs))) if m else 0.0
        width = zero_tol * spread + 8 * _U * (np.abs(t) + xmax)
        lo = np.searchsorted(xs, t - width, side="left")
        hi = np.searchsorted(xs, t + width, side="right")
        pos = wj > 0
        start[idx[pos]] = hi[pos]
        stop[idx[pos]] = m
        start[idx[~pos]] = 0
        stop[idx[~pos]] = lo[~pos]
        for r in np.flatnonzero(hi > lo).tolist():
            j, a, e = int(idx[r]), int(lo[r]), int(hi[r])
            z = w[j] * xs[a:e] + b[j]
            near = _near_zero(z, w[j], b[j], xs[a:e], zero_tol, spread)
            active = (z > 0) & ~near
            if w[j] > 0:
                # active suffix begins after the last non-active window point
                off = np.flatnonzero(~active)
                first = a + (int(off[-1]) + 1 if off.size else 0)
                start[j], stop[j] = first, m
                cand = range(a, first)
            else:
                off = np.flatnonzero(~active)
                last = a + (int(off[0]) if off.size else e - a)
                start[j], stop[j] = 0, last
                cand = range(last, e)
            if v[j] == 0:
                continue  # mu_ij are multiplied by v_j = 0
            for p in cand:
                zp_val = z[p - a]
                if near[p - a] or zp_val > 0:  # out-of-order actives relax to zero pairs
                    zp.append(p)
                    zj.append(j)
                    zz.append(float(zp_val))
    return _Structure(
        w=w,
        b=b,
        v=v,
        q=qn,
        support=sup,
        xs=xs,
        ys=ys,
        start=start,
        stop=stop,
        zpos=np.array(zp, dtype=np.int64),
        zneuron=np.array(zj, dtype=np.int64),
        zval=np.array(zz, dtype=np.float64),
        min_margin=min_margin,
        scale=sqrt_float(min_margin),
    )


def _residual(st: _Structure, lam: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """Stationarity residual ``(r_w, r_b, r_v)`` stacked as a ``(3, k)`` array."""
    p1 = np.concatenate([[0.0], np.cumsum(lam * st.ys * st.xs)])
    p0 = np.concatenate([[0.0], np.cumsum(lam * st.ys)])
    s1 = p1[st.stop] - p1[st.start]
    s0 = p0[st.stop] - p0[st.start]
    rv_extra = np.zeros_like(st.w)
    if st.zpos.size:
        yz = st.ys[st.zpos]
        s1 = s1 + np.bincount(st.zneuron, mu * yz * st.xs[st.zpos], minlength=st.w.size)
        s0 = s0 + np.bincount(st.zneuron, mu * yz, minlength=st.w.size)
        relu = np.maximum(st.zval, 0.0)
        rv_extra = np.bincount(st.zneuron, lam[st.zpos] * yz * relu, minlength=st.w.size)
    # v-equation: active pairs contribute lambda y (w x + b) = w * S1_active + b * S0_active
    s1a = p1[st.stop] - p1[st.start]
    s0a = p0[st.stop] - p0[st.start]
    rw = st.w - st.v * s1
    rb = st.b - st.v * s0
    rv = st.v - (st.w * s1a + st.b * s0a + rv_extra)
    return np.vstack([rw, rb, rv])


def _solve(st: _Structure, solver: str | None) -> tuple[np.ndarray, np.ndarray, str]:
    """Minimize the stationarity residual over lambda >= 0, 0 <= mu <= lambda (cvxpy)."""
    import cvxpy as cp

    m, k, nz = st.xs.size, st.w.size, st.zpos.size
    rows = np.arange(k)
    ok = st.stop > st.start
    # Gsel @ P = P[stop] - P[start] for neurons with a nonempty active range.
    gsel = sp.csr_matrix(
        (
            np.concatenate([np.ones(ok.sum()), -np.ones(ok.sum())]),
            (np.concatenate([rows[ok], rows[ok]]), np.concatenate([st.stop[ok], st.start[ok]])),
        ),
        shape=(k, m + 1),
    )
    diff = sp.diags([-np.ones(m), np.ones(m)], [0, 1], shape=(m, m + 1), format="csr")
    lam = cp.Variable(m, nonneg=True)
    p1 = cp.Variable(m + 1)
    p0 = cp.Variable(m + 1)
    cons = [
        p1[0] == 0,
        p0[0] == 0,
        diff @ p1 == cp.multiply(st.ys * st.xs, lam),
        diff @ p0 == cp.multiply(st.ys, lam),
    ]
    vg = sp.diags(st.v) @ gsel
    rw = st.w - vg @ p1
    rb = st.b - vg @ p0
    rv = st.v - sp.diags(st.w) @ gsel @ p1 - sp.diags(st.b) @ gsel @ p0
    mu = None
    if nz:
        mu = cp.Variable(nz, nonneg=True)
        cols = np.arange(nz)
        yz = st.ys[st.zpos]
        h1 = sp.csr_matrix((st.v[st.zneuron] * yz * st.xs[st.zpos], (st.zneuron, cols)), (k, nz))
        h0 = sp.csr_matrix((st.v[st.zneuron] * yz, (st.zneuron, cols)), (k, nz))
        rz = sp.csr_matrix((yz * np.maximum(st.zval, 0.0), (st.zneuron, st.zpos)), (k, m))
        pick = sp.csr_matrix((np.ones(nz), (cols, st.zpos)), (nz, m))
        rw = rw - h1 @ mu
        rb = rb - h0 @ mu
        rv = rv - rz @ lam
        cons.append(mu <= pick @ lam)
    prob = cp.Problem(cp.Minimize(cp.norm(cp.hstack([rw, rb, rv]), 2)), cons)
    return _solved_multipliers(prob, lam, mu, st.zpos, solver)


def _solved_multipliers(
    prob: Any, lam: Any, mu: Any, zpos: np.ndarray, solver: str | None
) -> tuple[np.ndarray, np.ndarray, str]:
    """Solve ``prob`` and read ``(lambda, mu, status)`` back, on the feasible set.

    ``lam`` and ``mu`` are the problem's cvxpy variables (``mu`` is None without zero pairs;
    ``zpos[p]`` is the point of pair ``p``). Solvers stop within their tolerance, so the
    values are clipped to ``lambda >= 0`` and ``0 <= mu_p <= lambda_{zpos[p]}``. A solver
    failure gives zeros and the failure as the status, for the caller's verdict.
    """
    import cvxpy as cp

    m, nz = lam.size, zpos.size
    try:
        prob.solve(solver=solver)
    except cp.error.SolverError as exc:
        return np.zeros(m), np.zeros(nz), f"solver_error: {exc}"
    if lam.value is None:
        return np.zeros(m), np.zeros(nz), str(prob.status)
    lam_v = np.maximum(np.asarray(lam.value, dtype=np.float64), 0.0)
    mu_v = np.zeros(nz)
    if nz:
        mu_v = np.clip(np.asarray(mu.value, dtype=np.float64), 0.0, lam_v[zpos])
    return lam_v, mu_v, str(prob.status)


def _univariate_data(net: Network, x: object, y: object | None) -> Dataset:
    """The data of a univariate network (a :class:`DatasetNd` must have d = 1)."""
    if isinstance(x, DatasetNd):
        from ..model._match import data_for

        return data_for(net, x, y).to_univariate()
    return as_dataset(x, y)


def certify_kkt(
    net: Network | NetworkNd,
    x: object,
    y: object | None = None,
    *,
    support_tol: float = DEFAULT_SUPPORT_TOL,
    zero_tol: float = DEFAULT_ZERO_TOL,
    kkt_tol: float = DEFAULT_KKT_TOL,
    solver: str | None = None,
) -> KKTCertificate:
    """Numeric (eps, delta)-KKT certificate of ``net`` for Problem (4) on the data.

    theta is normalized to ``theta_n = theta / sqrt(min_i y_i N(x_i))`` (minimum margin 1).
    Then ``lambda >= 0`` on the support points and ``mu_ij in [0, lambda_i]`` on near-zero
    pairs are found minimizing ``||theta_n - sum_i lambda_i h_i||_2`` (a second-order cone
    program in cvxpy, with the sparse prefix-sum structure described in the module
    docstring), and::

        eps   = ||theta_n - sum_i lambda_i h_i|| / ||theta_n||
        delta = sum_i lambda_i (y_i N_{theta_n}(x_i) - 1)

    are recomputed from the returned (clipped) multipliers. The verdict is about ``theta_n``,
    the direction of theta (``normalized`` is True unless ``m = 1`` exactly). Float work is
    done on ``2^-e theta`` (an exact power-of-two rescaling, largest parameter in
    ``[1/2, 1)``), so weights of 1e160 or 1e-200 (margins beyond the float range) certify
    like weights of 1; ``min_margin`` is exact.

    A :class:`~pwl_kkt.NetworkNd` on R^d (with or without hidden biases) is certified by
    the same program with ``(x_i, 1)`` and ``(w_j, b_j)`` in R^{d+1}: one variable vector per
    distinct activation set of the support points instead of prefix sums (the activation
    sets are no longer half-lines), and the zero test measures the distance from ``x_i`` to
    the hyperplane of neuron j against the diagonal of the data's bounding box.

    Parameters
    ----------
    net : Network or NetworkNd
        Float or exact; the computation is in float64.
    x, y
        A :class:`~pwl_kkt.Dataset` (a :class:`~pwl_kkt.DatasetNd` of the network's dimension
        for a :class:`~pwl_kkt.NetworkNd`), or inputs and labels in {-1, +1}.
    support_tol, zero_tol, kkt_tol : float
        See :mod:`pwl_kkt.kkt.numeric` for their meaning and defaults.
    solver : str, optional
        A cvxpy solver name (default: cvxpy's choice, Clarabel).

    Returns
    -------
    KKTCertificate

    Raises
    ------
    MisclassifiedError
        A point with ``y_i N(x_i) <= 0``.
    InvalidDataError, InvalidValueError, NotSeparableError
        Malformed data (lengths, labels, NaN, the same x with both labels), bad tolerances.

    Examples
    --------
    Example 1 of Safran, Vardi & Lee (2022): ``theta(0)`` (``b_1 = v_1 = 1``, the rest 0) with data
    ``x = 4, -4`` both labelled +1 is a KKT point with ``lambda = (1/2, 1/2)``:

    >>> cert = certify_kkt(Network([0, 0], [1, 0], [1, 0]), [4, -4], [1, 1])
    >>> cert.is_kkt, [round(t, 6) for t in cert.lambdas]
    (True, [0.5, 0.5])
    >>> abs(cert.sq_norm - 2 * cert.sum_lambda) < 1e-6  # Euler: ||theta_n||^2 = 2 sum lambda
    True

    Scaled by 2/7 (margin 4/49, infeasible), theta is not itself a KKT point; its direction is:

    >>> small = certify_kkt(Network([0, 0], ["2/7", 0], ["2/7", 0]), [4, -4], [1, 1])
    >>> small.is_kkt, small.normalized, small.min_margin
    (True, True, Fraction(4, 49))

    On R^2 without hidden biases, neurons pointing at the support points ``+-(3, 4)``:

    >>> net = NetworkNd([[3, 4], [-3, -4]], None, [5, -5])
    >>> cert = certify_kkt(net, [[3, 4], [-3, -4], [6, 8]], [1, -1, 1])
    >>> cert.is_kkt, cert.d, [round(t, 6) for t in cert.lambdas]
    (True, 2, [0.2, 0.2, 0.0])
    """
    if isinstance(net, NetworkNd):
        from ._numeric_nd import certify_kkt_nd

        return certify_kkt_nd(
            net, x, y, support_tol=support_tol, zero_tol=zero_tol, kkt_tol=kkt_tol, solver=solver
        )
    support_tol = _check_tol(support_tol, "support_tol")
    zero_tol = _check_tol(zero_tol, "zero_tol", 1.0)
    kkt_tol = _check_tol(kkt_tol, "kkt_tol")
    ds = _univariate_data(net, x, y).require_separable()
    st = _structure(net, ds, support_tol, zero_tol)
    lam, mu, status = _solve(st, solver)
    return _certificate(st, ds.n, lam, mu, status, support_tol, zero_tol, kkt_tol)


def _certificate(
    st: _Structure,
    n: int,
    lam: np.ndarray,
    mu: np.ndarray,
    status: str,
    support_tol: float,
    zero_tol: float,
    kkt_tol: float,
) -> KKTCertificate:
    res = _residual(st, lam, mu)
    sq_norm = float(st.w @ st.w + st.b @ st.b + st.v @ st.v)
    return _assemble(st, n, lam, mu, res, sq_norm, status, (support_tol, zero_tol, kkt_tol), 1)


def _assemble(
    st: Any,
    n: int,
    lam: np.ndarray,
    mu: np.ndarray,
    res: np.ndarray,
    sq_norm: float,
    status: str,
    tols: tuple[float, float, float],
    d: int,
) -> KKTCertificate:
    """The certificate from the residual ``res`` (one column per neuron) of any structure.

    ``st`` carries ``support``, ``q``, ``zpos``, ``zneuron``, ``min_margin`` and ``scale``.
    """
    support_tol, zero_tol, kkt_tol = tols
    norm = math.sqrt(sq_norm)
    eps = float(np.linalg.norm(res)) / norm
    per = np.sqrt((res * res).sum(axis=0)) / norm
    worst = np.argsort(-per, kind="stable")[:_N_WORST]
    lambdas = np.zeros(n)
    lambdas[st.support] = lam
    delta = float(lam @ (st.q[st.support] - 1.0))
    mus = tuple(
        (int(st.support[p]), int(j), float(val))
        for p, j, val in zip(st.zpos.tolist(), st.zneuron.tolist(), mu.tolist())
    )
    return KKTCertificate(
        is_kkt=bool(eps <= kkt_tol),
        eps=eps,
        delta=max(delta, 0.0),
        lambdas=tuple(lambdas.tolist()),
        support=tuple(sorted(int(i) for i in st.support)),
        mu=mus,
        min_margin=st.min_margin,
        scale=st.scale,
        normalized=st.min_margin != 1,
        normalized_margin=1.0 / sq_norm,
        sq_norm=sq_norm,
        worst_neurons=tuple((int(j), float(per[j])) for j in worst if per[j] > 0),
        support_tol=support_tol,
        zero_tol=zero_tol,
        kkt_tol=kkt_tol,
        status=status,
        d=d,
    )
