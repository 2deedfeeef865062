"""The reduced square system of a nondegenerate KKT point, in float64.

At a KKT point of Problem (4) normalized to minimum margin 1 (support S, ``xt_i = (x_i, 1)``)
every neuron with ``v_j != 0`` has ``u_j = (w_j, b_j) = v_j g_A``, where A is its activation
pattern on S, ``g_A = sum_{i in A} lambda_i y_i xt_i`` and ``||g_A|| = 1``. Grouping neurons by
pattern (one output sign ``sigma_A`` per pattern, ``c_A = sum_{j in A} v_j^2``) gives::

    N(x) = sum_A sigma_A c_A relu(sigma_A g_A . xt)

and the KKT point is fixed by the square system in ``z = (lambda_S, c)``::

    F_i(z) = y_i sum_{A ni i} c_A g_A . xt_i - 1 = 0     (i in S)
    F_A(z) = ||g_A||^2 - 1 = 0                          (every group A)

A group is stored by its activation range ``[start, stop)`` over the data sorted by x (an
activation set of a ReLU neuron in one dimension is a half-line of the sorted data), so its
pattern on S is a contiguous block of the sorted support. Everything here is float64; the
proof (:mod:`pwl_kkt.proof`) redoes the same formulas in ball arithmetic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import _fastgrad as fg
from .network import Network

_NEWTON_STEPS = 60
_NEWTON_TOL = 1e-14  # |F|_inf at which a float solution is as good as float64 gets


@dataclass(frozen=True)
class Groups:
    """Activation groups over the sorted data and the neurons that belong to them.

    ``start``, ``stop``, ``sigma``: one entry per group; ``group_of[j]`` is neuron j's group
    (``-1``: the neuron is zero at the KKT point); ``share[j]`` its fraction of ``c_A``.
    """

    start: np.ndarray
    stop: np.ndarray
    sigma: np.ndarray
    group_of: np.ndarray
    share: np.ndarray

    @property
    def m(self) -> int:
        return int(self.start.size)


@dataclass(frozen=True)
class Solution:
    """A float solution of the reduced system and how it was reached."""

    support: np.ndarray  # sorted positions of S, ascending
    lam: np.ndarray  # one per support point
    c: np.ndarray  # one per group
    residual: float  # |F(z)|_inf
    cond: float  # condition number of the Jacobian at z
    converged: bool


def sorted_data(xf: np.ndarray, y: np.ndarray) -> tuple[fg.SortedData, np.ndarray]:
    """Data sorted by x and the permutation (sorted position -> input index)."""
    order = np.argsort(xf, kind="stable")
    return fg.SortedData(np.ascontiguousarray(xf[order]), y[order].astype(np.float64)), order


def groups_of(w: np.ndarray, b: np.ndarray, v: np.ndarray, data: fg.SortedData) -> Groups:
    """Group neurons by (activation range on the sorted data, sign of v).

    Neurons with ``v_j = 0`` or an empty activation range contribute nothing and get no group.
    Each group keeps its neurons' shares ``v_j^2 / sum v^2`` of the group's ``c_A``.
    """
    act = fg.activity(w, b, data)
    lo, hi = act.lo.copy(), act.hi.copy()
    sig = np.sign(v).astype(np.int64)
    live = (sig != 0) & (hi > lo)
    keys = np.stack([lo, hi, sig], axis=1)
    group_of = np.full(w.size, -1, dtype=np.int64)
    if live.any():
        uniq, inv = np.unique(keys[live], axis=0, return_inverse=True)
        group_of[live] = inv.reshape(-1)
    else:
        uniq = np.zeros((0, 3), dtype=np.int64)
    return Groups(uniq[:, 0], uniq[:, 1], uniq[:, 2], group_of, _shares(v, group_of, uniq.shape[0]))


def _shares(v: np.ndarray, group_of: np.ndarray, m: int) -> np.ndarray:
    sq = np.where(group_of >= 0, v * v, 0.0)
    tot = np.bincount(group_of[group_of >= 0], weights=sq[group_of >= 0], minlength=m)
    share = np.zeros_like(v)
    live = group_of >= 0
    share[live] = sq[live] / tot[group_of[live]]
    return share


def regroup(groups: Groups, keep: np.ndarray, start: np.ndarray, stop: np.ndarray, v: np.ndarray):
    """Groups after dropping (``keep`` False) and moving ranges; equal keys are merged."""
    sig = groups.sigma
    old = np.flatnonzero(keep & (stop > start))
    keys = np.stack([start[old], stop[old], sig[old]], axis=1)
    if old.size:
        uniq, inv = np.unique(keys, axis=0, return_inverse=True)
    else:
        uniq, inv = np.zeros((0, 3), dtype=np.int64), np.zeros(0, dtype=np.int64)
    remap = np.full(groups.m + 1, -1, dtype=np.int64)
    remap[old] = inv.reshape(-1)
    group_of = remap[groups.group_of]  # -1 maps to remap[-1] = -1
    return Groups(uniq[:, 0], uniq[:, 1], uniq[:, 2], group_of, _shares(v, group_of, uniq.shape[0]))


def pattern_matrix(groups: Groups, support: np.ndarray) -> np.ndarray:
    """``M[A, p] = 1`` iff support position ``p`` is in group A's activation range."""
    s = support[None, :]
    return ((s >= groups.start[:, None]) & (s < groups.stop[:, None])).astype(np.float64)


def system(
    data: fg.SortedData, groups: Groups, support: np.ndarray, lam: np.ndarray, c: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(F, J, G)``: the residual (margins first, then norms), its Jacobian, and ``g_A``."""
    xs, ys = data.xs[support], data.ys[support]
    xt = np.stack([xs, np.ones_like(xs)], axis=1)
    M = pattern_matrix(groups, support)
    s, m = xs.size, groups.m
    G = M @ ((lam * ys)[:, None] * xt)  # m x 2
    P = xt @ G.T  # s x m: g_A . xt_i
    F = np.concatenate([ys * ((M.T * P) @ c) - 1.0, (G * G).sum(axis=1) - 1.0])
    J = np.zeros((s + m, s + m))
    C = (M.T * c) @ M  # sum of c_A over the groups containing both points
    J[:s, :s] = np.outer(ys, ys) * (xt @ xt.T) * C
    J[:s, s:] = ys[:, None] * M.T * P
    J[s:, :s] = 2.0 * M * (ys[None, :] * P.T)
    return F, J, G


def newton(
    data: fg.SortedData, groups: Groups, support: np.ndarray, lam: np.ndarray, c: np.ndarray
) -> Solution:
    """Damped Newton on the reduced system from ``(lam, c)``; never raises."""
    z = np.concatenate([lam, c]).astype(np.float64)
    s = support.size
    best = math.inf
    cond = math.inf
    for _ in range(_NEWTON_STEPS):
        F, J, _ = system(data, groups, support, z[:s], z[s:])
        res = float(np.max(np.abs(F))) if F.size else 0.0
        best = res
        if not math.isfinite(res):
            break
        try:
            step = np.linalg.solve(J, -F)
        except np.linalg.LinAlgError:
            break
        if res <= _NEWTON_TOL:
            break
        t, moved = 1.0, False
        while t > 1e-6:
            trial = z + t * step
            F2, _, _ = system(data, groups, support, trial[:s], trial[s:])
            if float(np.max(np.abs(F2))) < res:
                z, moved = trial, True
                break
            t /= 2
        if not moved:
            break
    F, J, _ = system(data, groups, support, z[:s], z[s:])
    best = float(np.max(np.abs(F))) if F.size else 0.0
    if J.size:
        with np.errstate(all="ignore"):
            cond = float(np.linalg.cond(J))
    else:
        cond = 1.0
    ok = bool(math.isfinite(best) and best <= 1e3 * _NEWTON_TOL and cond < 1e13)
    return Solution(support, z[:s], z[s:], best, cond, ok)


def directions(data: fg.SortedData, groups: Groups, sol: Solution) -> np.ndarray:
    """``g_A`` of every group at the solution (``m x 2``)."""
    return system(data, groups, sol.support, sol.lam, sol.c)[2]


def network(groups: Groups, G: np.ndarray, c: np.ndarray, width: int) -> Network:
    """The KKT network: neuron j of group A gets ``v_j = sigma_A sqrt(share_j c_A)``, ``u_j = v_j g_A``."""
    w, b, v = np.zeros(width), np.zeros(width), np.zeros(width)
    live = groups.group_of >= 0
    a = groups.group_of[live]
    vj = groups.sigma[a] * np.sqrt(groups.share[live] * np.maximum(c[a], 0.0))
    v[live] = vj
    w[live] = vj * G[a, 0]
    b[live] = vj * G[a, 1]
    return Network(w, b, v)


def sorted_margins(net: Network, data: fg.SortedData) -> np.ndarray:
    """``y_i N(x_i)`` at the sorted data in O((n + k) log(n + k))."""
    w, b, v = net.to_float().arrays()
    return data.ys * fg.outputs(w, b, v, data, fg.activity(w, b, data))


def consistent(data: fg.SortedData, groups: Groups, G: np.ndarray) -> np.ndarray:
    """Per group: does ``sigma_A g_A . xt`` have exactly the group's range as strict positive set?

    ``g_A . xt`` is affine in x, so the signs at the (up to four) points around the range's
    ends decide it for the whole sorted data.
    """
    xs, n = data.xs, data.n
    ok = np.ones(groups.m, dtype=bool)
    val = lambda p: groups.sigma * (G[:, 0] * xs[np.clip(p, 0, n - 1)] + G[:, 1])  # noqa: E731
    st, sp_ = groups.start, groups.stop
    ok &= val(st) > 0
    ok &= val(sp_ - 1) > 0
    ok &= (st == 0) | (val(st - 1) < 0)
    ok &= (sp_ == n) | (val(sp_) < 0)
    return ok


def stationarity(net: Network, data: fg.SortedData, support: np.ndarray, lam: np.ndarray):
    """``(eps, delta)`` of Problem (4) for ``net`` (normalized to margin 1) and ``lam`` on S.

    The residual definitions of :func:`pwl_kkt.certify_kkt` with the Clarke selection
    ``s_ij = [z_ij > 0]`` on the support: ``r_w = w - v S1``, ``r_b = b - v S0``,
    ``r_v = v - (w S1 + b S0)`` with ``S1, S0`` the sums of ``lambda_i y_i x_i`` and
    ``lambda_i y_i`` over neuron j's active support points; ``eps = ||r|| / ||theta||`` and
    ``delta = sum_i lambda_i (y_i N(x_i) - 1)``. O((|S| + k) log) with prefix sums.
    """
    w, b, v = net.to_float().arrays()
    sd = fg.SortedData(data.xs[support], data.ys[support])
    act = fg.activity(w, b, sd)
    g = lam * sd.ys
    p1 = np.concatenate([[0.0], np.cumsum(g * sd.xs)])
    p0 = np.concatenate([[0.0], np.cumsum(g)])
    s1 = p1[act.hi] - p1[act.lo]
    s0 = p0[act.hi] - p0[act.lo]
    r = np.concatenate([w - v * s1, b - v * s0, v - (w * s1 + b * s0)])
    theta = np.concatenate([w, b, v])
    eps = float(np.linalg.norm(r) / np.linalg.norm(theta))
    q = sd.ys * fg.outputs(w, b, v, sd, act)
    return eps, max(float(lam @ (q - 1.0)), 0.0)
