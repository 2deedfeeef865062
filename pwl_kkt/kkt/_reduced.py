"""The reduced square system of a nondegenerate KKT point, in float64.

At a KKT point of Problem (4) normalized to minimum margin 1 (support S, ``xt_i = (x_i, 1)``)
every neuron with ``v_j != 0`` has ``u_j = (w_j, b_j) = v_j g_A``, where A is its activation
pattern on S, ``g_A = sum_{i in A} lambda_i y_i xt_i`` and ``||g_A|| = 1``. Grouping neurons by
pattern (one output sign ``sigma_A`` per pattern, ``c_A = sum_{j in A} v_j^2``) gives::

    N(x) = sum_A sigma_A c_A relu(sigma_A g_A . xt)

and the KKT point is fixed by the square system in ``z = (lambda_S, c)``::

    F_i(z) = y_i sum_{A ni i} c_A g_A . xt_i - 1 = 0     (i in S)
    F_A(z) = ||g_A||^2 - 1 = 0                          (every group A)

Degenerate points, which are the rule for max-margin limits on clustered data, are in the
system too. A group whose kink sits exactly on a support point p gets the Clarke weight of that
pair as an unknown ``mu_{A,p}`` (``g_A`` gains ``mu y_p xt_p``, ``0 < mu < lambda_p``) and the
equation ``g_A . xt_p = 0``. A linear piece of N carrying more than two support points (a flat
stretch ``N = y`` over a cluster) fixes its affine map with two of them; the others keep
``lambda = 0`` and margin exactly 1 (an affine map equal to y at two points is y).

A group is stored by its activation range ``[start, stop)`` over the data sorted by x (an
activation set of a ReLU neuron in one dimension is a half-line of the sorted data), so its
pattern on S is a contiguous block of the sorted support. Everything here is float64; the
proof (:mod:`pwl_kkt.kkt.proof`) redoes the same formulas in ball arithmetic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..model.network import Network
from ..training import _fastgrad as fg

_NEWTON_STEPS = 60
_NEWTON_TOL = 1e-14  # |F|_inf at which a float solution is as good as float64 gets
_ACCEPT = 1e-10  # |F|_inf accepted as a float solution, or F's rounding level if larger
# (the proof decides rigorously)
_SINGULAR = 1e13  # condition number from which the Jacobian counts as singular


@dataclass(frozen=True)
class Groups:
    """Activation groups over the sorted data and the neurons that belong to them.

    ``start``, ``stop``, ``sigma``: one entry per group, the strict activation range
    ``[start, stop)``; ``kink[A]`` the sorted position of a data point exactly on the group's
    kink (``-1``: none); ``group_of[j]`` is neuron j's group (``-1``: zero at the KKT point);
    ``share[j]`` its fraction of ``c_A``.
    """

    start: np.ndarray
    stop: np.ndarray
    sigma: np.ndarray
    kink: np.ndarray
    group_of: np.ndarray
    share: np.ndarray

    @property
    def m(self) -> int:
        return int(self.start.size)


@dataclass(frozen=True)
class Structure:
    """The reduced system's index sets (sorted positions).

    ``support``: the points with a margin equation and an unknown ``lambda``; ``pair_group``,
    ``pair_pos``: the (group, kink point) pairs with an unknown ``mu``; ``flat``: support points
    with ``lambda = 0`` whose margin is 1 because they share a linear piece with ``anchors``
    (two support points of the same label, one row per flat point).
    """

    support: np.ndarray
    pair_group: np.ndarray
    pair_pos: np.ndarray
    flat: np.ndarray
    anchors: np.ndarray

    @property
    def size(self) -> int:
        return int(self.support.size + self.pair_pos.size)


@dataclass(frozen=True)
class Solution:
    """A float solution of the reduced system and how it was reached."""

    lam: np.ndarray  # one per support point
    mu: np.ndarray  # one per kink pair
    c: np.ndarray  # one per group
    residual: float  # |F(z)|_inf
    cond: float  # condition number of the Jacobian at z
    converged: bool  # solved and the Jacobian regular
    solved: bool  # |F| at float accuracy (the Jacobian may be singular)


def sorted_data(xf: np.ndarray, y: np.ndarray) -> tuple[fg.SortedData, np.ndarray]:
    """Data sorted by x and the permutation (sorted position -> input index)."""
    order = np.argsort(xf, kind="stable")
    return fg.SortedData(np.ascontiguousarray(xf[order]), y[order].astype(np.float64)), order


def _make(start, stop, sigma, kink, v, group_of_old=None, remap=None) -> Groups:
    keys = np.stack([start, stop, sigma, kink], axis=1)
    if keys.shape[0]:
        uniq, inv = np.unique(keys, axis=0, return_inverse=True)
        inv = inv.reshape(-1)
    else:
        uniq, inv = np.zeros((0, 4), dtype=np.int64), np.zeros(0, dtype=np.int64)
    if group_of_old is None:
        group_of = remap
        group_of[group_of >= 0] = inv[group_of[group_of >= 0]]
    else:
        size = int(max(remap.max(initial=-1), group_of_old.max(initial=-1))) + 2
        full = np.full(size, -1, dtype=np.int64)
        full[remap] = inv
        group_of = full[group_of_old]
    return Groups(uniq[:, 0], uniq[:, 1], uniq[:, 2], uniq[:, 3], group_of,
                  _shares(v, group_of, uniq.shape[0]))


def groups_of(w: np.ndarray, b: np.ndarray, v: np.ndarray, data: fg.SortedData) -> Groups:
    """Group neurons by (activation range on the sorted data, sign of v).

    Neurons with ``v_j = 0`` or an empty activation range contribute nothing and get no group.
    Each group keeps its neurons' shares ``v_j^2 / sum v^2`` of the group's ``c_A``.
    """
    act = fg.activity(w, b, data)
    sig = np.sign(v).astype(np.int64)
    live = (sig != 0) & (act.hi > act.lo)
    idx = np.flatnonzero(live)
    slot = np.full(w.size, -1, dtype=np.int64)
    slot[idx] = np.arange(idx.size)
    return _make(act.lo[idx], act.hi[idx], sig[idx], np.full(idx.size, -1), v, None, slot)


def _shares(v: np.ndarray, group_of: np.ndarray, m: int) -> np.ndarray:
    live = group_of >= 0
    sq = np.where(live, v * v, 0.0)
    tot = np.bincount(group_of[live], weights=sq[live], minlength=m)
    share = np.zeros_like(v)
    share[live] = sq[live] / tot[group_of[live]]
    return share


def with_members(groups: Groups, group_of: np.ndarray, v: np.ndarray) -> Groups:
    """``groups`` with new neuron memberships; shares ``v_j^2 / sum_{l in A} v_l^2``."""
    return Groups(groups.start, groups.stop, groups.sigma, groups.kink, group_of,
                  _shares(v, group_of, groups.m))


def regroup(groups: Groups, keep: np.ndarray, start: np.ndarray, stop: np.ndarray, v: np.ndarray,
            kink: np.ndarray | None = None) -> Groups:
    """Groups after dropping (``keep`` False) and moving ranges; equal keys are merged."""
    kink = groups.kink if kink is None else kink
    old = np.flatnonzero(keep & (stop > start))
    return _make(start[old], stop[old], groups.sigma[old], kink[old], v, groups.group_of, old)


def merge_same_pattern(groups: Groups, s0: np.ndarray, a: np.ndarray, v: np.ndarray) -> Groups:
    """Groups of one output sign whose ranges hold the same block of ``s0``, merged into one.

    The reduced system sees a group only through its pattern on the support (and its sign),
    so two such groups are one unknown ``c_A`` split in two: the Jacobian is singular along
    ``c_A - c_B``. At a KKT point their neurons share ``g_A``, hence one activation range, which
    is why they are one group; the merged group takes the range of its member with the largest
    ``||a_A||``. ``s0``: sorted positions with margin 1; ``a``: the groups' merged neurons
    (m x 2, :func:`targets`).
    """
    if groups.m < 2:
        return groups
    keys = np.stack([np.searchsorted(s0, groups.start), np.searchsorted(s0, groups.stop),
                     groups.sigma, groups.kink], axis=1)
    _, inv = np.unique(keys, axis=0, return_inverse=True)
    inv = inv.reshape(-1)
    lead = np.empty(int(inv.max()) + 1, dtype=np.int64)
    by_size = np.argsort(np.linalg.norm(a, axis=1), kind="stable")
    lead[inv[by_size]] = by_size  # ascending order: the largest member is written last
    rep = lead[inv]
    return regroup(groups, np.ones(groups.m, dtype=bool), groups.start[rep], groups.stop[rep], v)


def _affine(data: fg.SortedData, a: np.ndarray, p: np.ndarray) -> np.ndarray:
    return a[:, 0] * data.xs[p] + a[:, 1]


def structure(data: fg.SortedData, groups: Groups, a: np.ndarray, s0: np.ndarray, v: np.ndarray,
              tol: float) -> tuple[Groups, Structure]:
    """Kink pairs and flat pieces of a candidate KKT point with group vectors ``a`` (m x 2).

    ``s0``: sorted positions with margin 1 (to the caller's tolerance). A support point at
    relative distance ``<= tol`` from a group's kink becomes a kink pair (and leaves the
    group's strict range); a linear piece with more than two support points keeps two.
    """
    n = data.n
    start, stop, kink = groups.start.copy(), groups.stop.copy(), groups.kink.copy()
    in_s0 = np.zeros(n, dtype=bool)
    in_s0[s0] = True
    scale = np.linalg.norm(a, axis=1) * (np.abs(data.xs).max() + 1.0)
    for cand, side in ((start - 1, 0), (start, 0), (stop - 1, 1), (stop, 1)):
        ok = (cand >= 0) & (cand < n) & (kink < 0)
        pos = np.clip(cand, 0, n - 1)
        hit = ok & in_s0[pos] & (np.abs(_affine(data, a, pos)) <= tol * scale)
        kink[hit] = pos[hit]
        if side == 0:
            start[hit] = np.maximum(start[hit], pos[hit] + 1)
        else:
            stop[hit] = np.minimum(stop[hit], pos[hit])
    # the kinks as coordinates on the sorted positions: p for a point kink, e - 1/2 for a kink
    # between positions e - 1 and e
    coord = np.where(kink >= 0, kink.astype(float),
                     np.where(stop < n, stop - 0.5, start - 0.5))
    coord = np.where((start == 0) & (stop == n) & (kink < 0), -1.0, coord)  # no kink in data
    cuts = np.unique(coord[coord >= 0])
    support, flat, anchors = [], [], []
    on_kink = set(kink[kink >= 0].tolist())
    lo_cut = np.concatenate([[-np.inf], cuts])
    hi_cut = np.concatenate([cuts, [np.inf]])
    for lo, hi in zip(lo_cut, hi_cut):
        inner = s0[(s0 > lo) & (s0 < hi)]
        inner = inner[~np.isin(inner, list(on_kink))]
        ends = [int(e) for e in (lo, hi) if math.isfinite(e) and float(e).is_integer()
                and int(e) in on_kink and in_s0[int(e)]]
        closure = ends + inner.tolist()
        if len(closure) <= 2 or np.unique(data.ys[closure]).size > 1:
            support.extend(inner.tolist())
            continue
        keep = list(ends)
        rest = [p for p in inner.tolist()]
        while len(keep) < 2:
            far = max(rest, key=lambda p: min(abs(p - q) for q in keep) if keep else p)
            keep.append(far)
            rest.remove(far)
        support.extend(p for p in keep if p not in on_kink)
        for p in rest:
            flat.append(p)
            anchors.append(sorted(keep))
    support.extend(p for p in on_kink if in_s0[p])
    g2 = regroup(groups, np.ones(groups.m, dtype=bool), start, stop, v, kink)
    pair = np.flatnonzero(g2.kink >= 0)
    return g2, Structure(
        np.array(sorted(set(support)), dtype=np.int64),
        pair,
        g2.kink[pair],
        np.array(flat, dtype=np.int64),
        np.array(anchors, dtype=np.int64).reshape(-1, 2),
    )


def pattern_matrix(groups: Groups, support: np.ndarray) -> np.ndarray:
    """``M[A, p] = 1`` iff support position ``p`` is in group A's strict activation range."""
    s = support[None, :]
    return ((s >= groups.start[:, None]) & (s < groups.stop[:, None])).astype(np.float64)


def extended(groups: Groups, st: Structure) -> tuple[np.ndarray, np.ndarray]:
    """Weighted points of ``g_A``: positions (support, then kink pairs) and the m x e pattern."""
    pos = np.concatenate([st.support, st.pair_pos])
    M = pattern_matrix(groups, st.support)
    P = np.zeros((groups.m, st.pair_pos.size))
    P[st.pair_group, np.arange(st.pair_pos.size)] = 1.0
    return pos, np.concatenate([M, P], axis=1)


def system(data: fg.SortedData, groups: Groups, st: Structure, omega: np.ndarray, c: np.ndarray):
    """``(F, J, G)``: residual (margins, norms, kinks), Jacobian in ``(omega, c)``, and ``g_A``.

    ``omega = (lambda_S, mu)``.
    """
    pos, Me = extended(groups, st)
    s, m, d = st.support.size, groups.m, st.pair_pos.size
    xe = np.stack([data.xs[pos], np.ones(pos.size)], axis=1)
    ye = data.ys[pos]
    M = Me[:, :s]
    G = Me @ ((omega * ye)[:, None] * xe)  # m x 2
    Pe = xe @ G.T  # e x m: g_A . xt at every weighted point
    xs, ys, P = xe[:s], ye[:s], Pe[:s]
    F = np.concatenate([
        ys * ((M.T * P) @ c) - 1.0,
        (G * G).sum(axis=1) - 1.0,
        Pe[s:, :][np.arange(d), st.pair_group] if d else np.zeros(0),
    ])
    e = s + d
    J = np.zeros((s + m + d, e + m))
    C = (M.T * c) @ Me  # s x e
    J[:s, :e] = np.outer(ys, ye) * (xs @ xe.T) * C
    J[:s, e:] = ys[:, None] * M.T * P
    J[s:s + m, :e] = 2.0 * Me * (ye[None, :] * Pe.T)
    if d:
        xk = xe[s:]
        J[s + m:, :e] = Me[st.pair_group] * ye[None, :] * (xk @ xe.T)
    return F, J, G


def newton(data: fg.SortedData, groups: Groups, st: Structure, omega: np.ndarray,
           c: np.ndarray) -> Solution:
    """Damped Newton on the reduced system from ``(omega, c)``; never raises."""
    z = np.concatenate([omega, c]).astype(np.float64)
    e = st.size

    def resid(zz):
        F, J, _ = system(data, groups, st, zz[:e], zz[e:])
        return (float(np.max(np.abs(F))) if F.size else 0.0), F, J

    res, F, J = resid(z)
    for _ in range(_NEWTON_STEPS):
        if not math.isfinite(res) or res <= _NEWTON_TOL:
            break
        moved = False
        for step in _steps(J, F):
            t = 1.0
            while t > 1e-6 and not moved:
                r2, F2, J2 = resid(z + t * step)
                if r2 < res:
                    z, res, F, J, moved = z + t * step, r2, F2, J2, True
                t /= 2
            if moved:
                break
        if not moved:
            break
    cond = 1.0
    if J.size:
        with np.errstate(all="ignore"):
            cond = float(np.linalg.cond(J))
    s = st.support.size
    accept = max(_ACCEPT, _rounding(data, groups, st, z[:e], z[e:]))
    solved = bool(math.isfinite(res) and res <= accept)
    return Solution(z[:s], z[s:e], z[e:], res, cond, solved and cond < _SINGULAR, solved)


def _steps(J: np.ndarray, F: np.ndarray):
    """Newton steps to try: the plain one, then the least-squares one.

    At a degenerate point (a group or multiplier that vanishes at the solution) the Jacobian
    is singular and the plain step huge; the minimum-norm least-squares step still reduces
    ``|F|`` along the solution set, so the active-set loop sees the vanishing variable.
    """
    for solve in (np.linalg.solve, lambda A, r: np.linalg.lstsq(A, r, rcond=1e-12)[0]):
        try:
            step = solve(J, -F)
        except np.linalg.LinAlgError:
            continue
        if np.isfinite(step).all():
            yield step


def _rounding(data: fg.SortedData, groups: Groups, st: Structure, omega: np.ndarray,
              c: np.ndarray) -> float:
    """A float64 rounding-error scale of ``F`` at ``(omega, c)``: ``2^-52`` times its largest term.

    ``F_i`` sums ``c_A g_A . xt_i`` with ``g_A = sum_p omega_p y_p xt_p``; when the
    multipliers are large (support points close together with opposite labels) these terms
    are large and cancel, so ``|F|`` cannot get below this however exact the solution.
    """
    pos, Me = extended(groups, st)
    if not pos.size:
        return 0.0
    xmax = float(np.abs(data.xs[pos]).max()) + 1.0
    g_abs = Me @ (np.abs(omega) * (np.abs(data.xs[pos]) + 1.0))  # >= |g_A|_1 termwise
    c_abs = np.maximum(np.abs(c), 1.0)  # the kink equations g_A . xt_p carry no c_A
    big = max(float((c_abs * g_abs).max(initial=0.0)) * xmax,
              float((g_abs * g_abs).max(initial=0.0)))
    return _EPS * big


_EPS = 2.0 ** -52


def omega(sol: Solution) -> np.ndarray:
    return np.concatenate([sol.lam, sol.mu])


def directions(data: fg.SortedData, groups: Groups, st: Structure, sol: Solution) -> np.ndarray:
    """``g_A`` of every group at the solution (``m x 2``)."""
    return system(data, groups, st, omega(sol), sol.c)[2]


def initial_weights(data: fg.SortedData, groups: Groups, st: Structure, target: np.ndarray,
                    prior: np.ndarray) -> np.ndarray:
    """``omega`` fitting ``g_A(omega) = target_A`` by least squares, pulled toward ``prior``."""
    pos, Me = extended(groups, st)
    xe = np.stack([data.xs[pos], np.ones(pos.size)], axis=1) * data.ys[pos][:, None]
    A = np.concatenate([Me * xe[:, 0][None, :], Me * xe[:, 1][None, :]])
    rhs = np.concatenate([target[:, 0], target[:, 1]])
    reg = 1e-6
    A2 = np.concatenate([A, reg * np.eye(pos.size)])
    r2 = np.concatenate([rhs, reg * prior])
    return np.linalg.lstsq(A2, r2, rcond=None)[0]


def targets(groups: Groups, w: np.ndarray, b: np.ndarray, v: np.ndarray):
    """Per group of a network: the unit direction ``sigma_A a_A / ||a_A||`` and ``c_A = sum v^2``.

    ``a_A = sum_{j in A} |v_j| (w_j, b_j)`` (the group merged into one neuron).
    """
    live = groups.group_of >= 0
    a = np.zeros((groups.m, 2))
    np.add.at(a, groups.group_of[live], np.abs(v[live])[:, None] * np.stack([w, b], 1)[live])
    c = np.bincount(groups.group_of[live], weights=v[live] ** 2, minlength=groups.m)
    norm = np.linalg.norm(a, axis=1)
    return groups.sigma[:, None] * a / np.where(norm > 0, norm, 1.0)[:, None], c, a


def network(groups: Groups, G: np.ndarray, c: np.ndarray, width: int) -> Network:
    """The KKT network: neuron j of group A gets ``v_j = sigma_A sqrt(share_j c_A)``,
    ``u_j = v_j g_A``; neurons of no group are 0."""
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

    ``g_A . xt`` is affine in x, so the signs at the points around the range's ends decide it
    for the whole sorted data (a kink point is skipped: its value is 0 by an equation).
    """
    xs, n = data.xs, data.n
    val = lambda p: groups.sigma * (G[:, 0] * xs[np.clip(p, 0, n - 1)] + G[:, 1])  # noqa: E731
    st, sp_ = groups.start, groups.stop
    below = np.where(groups.kink == st - 1, st - 2, st - 1)
    above = np.where(groups.kink == sp_, sp_ + 1, sp_)
    ok = (val(st) > 0) & (val(sp_ - 1) > 0)
    ok &= (below < 0) | (val(below) < 0)
    ok &= (above >= n) | (val(above) < 0)
    return ok


def stationarity(net: Network, data: fg.SortedData, st: Structure, groups: Groups,
                 sol: Solution) -> tuple[float, float]:
    """``(eps, delta)`` of Problem (4) for ``net`` (normalized to margin 1) and the multipliers.

    The residual definitions of :func:`pwl_kkt.certify_kkt`: ``r_w = w - v S1``,
    ``r_b = b - v S0``, ``r_v = v - (w S1 + b S0)`` with ``S1, S0`` the sums of
    ``lambda_i y_i s_ij x_i`` and ``lambda_i y_i s_ij`` over the support, Clarke weights
    ``s_ij = [z_ij > 0]`` except at the kink pairs (``lambda_p s_pj = mu``); then
    ``eps = ||r|| / ||theta||`` and ``delta = sum_i lambda_i (y_i N(x_i) - 1)``.
    O((|S| + k) log) with prefix sums.
    """
    w, b, v = net.to_float().arrays()
    sup = st.support
    sd = fg.SortedData(data.xs[sup], data.ys[sup])
    act = fg.activity(w, b, sd)
    lo, hi = act.lo.copy(), act.hi.copy()
    live = groups.group_of >= 0
    # a neuron exactly on a kink pair's point: its float activity there is rounding; use the
    # group's strict range instead, and add mu below
    a_of = groups.group_of
    kinked = live & (groups.kink[np.maximum(a_of, 0)] >= 0)
    if kinked.any():
        ga = a_of[kinked]
        lo[kinked] = np.searchsorted(sup, groups.start[ga], side="left")
        hi[kinked] = np.searchsorted(sup, groups.stop[ga], side="left")
    g = sol.lam * sd.ys
    p1 = np.concatenate([[0.0], np.cumsum(g * sd.xs)])
    p0 = np.concatenate([[0.0], np.cumsum(g)])
    s1 = p1[hi] - p1[lo]
    s0 = p0[hi] - p0[lo]
    s1a, s0a = s1.copy(), s0.copy()
    if st.pair_pos.size:
        add1 = np.zeros(groups.m)
        add0 = np.zeros(groups.m)
        yk = data.ys[st.pair_pos]
        add1[st.pair_group] = sol.mu * yk * data.xs[st.pair_pos]
        add0[st.pair_group] = sol.mu * yk
        s1[live] += add1[a_of[live]]
        s0[live] += add0[a_of[live]]
    r = np.concatenate([w - v * s1, b - v * s0, v - (w * s1a + b * s0a)])
    theta = np.concatenate([w, b, v])
    eps = float(np.linalg.norm(r) / np.linalg.norm(theta))
    q = data.ys * fg.outputs(w, b, v, data, fg.activity(w, b, data))
    return eps, max(float(sol.lam @ (q[sup] - 1.0)), 0.0)


def from_network(data: fg.SortedData, w: np.ndarray, b: np.ndarray, v: np.ndarray,
                 s0: np.ndarray, kink_tol: float, prior: np.ndarray | None = None):
    """Groups, structure and Newton solution read off a (normalized) network.

    ``s0``: sorted positions with margin 1; ``prior``: multipliers per sorted position to
    regularize the least-squares start toward (default none).
    """
    return solve_groups(data, groups_of(w, b, v, data), w, b, v, s0, kink_tol, prior)


def solve_groups(data: fg.SortedData, groups: Groups, w: np.ndarray, b: np.ndarray,
                 v: np.ndarray, s0: np.ndarray, kink_tol: float, prior: np.ndarray | None = None):
    """:func:`from_network` with the groups (activation ranges, kinks) given, not read off."""
    _, _, a = targets(groups, w, b, v)
    groups = merge_same_pattern(groups, s0, a, v)
    _, _, a = targets(groups, w, b, v)
    groups, st = structure(data, groups, a, s0, v, kink_tol)
    target, c0, _ = targets(groups, w, b, v)
    if prior is None:
        prior_w = np.zeros(st.size)
    else:
        prior_w = np.concatenate([prior[st.support], 0.5 * prior[st.pair_pos]])
    om0 = initial_weights(data, groups, st, target, prior_w)
    return groups, st, newton(data, groups, st, om0, c0)


def float_checks(data: fg.SortedData, groups: Groups, st: Structure, sol: Solution,
                 k: int) -> tuple[Network, list[str]]:
    """The KKT network of a solution and the open conditions it fails in float."""
    G = directions(data, groups, st, sol)
    net = network(groups, G, sol.c, k)
    bad = []
    if sol.lam.size and sol.lam.min() <= 0:
        bad.append("a multiplier is not positive")
    if (sol.c <= 0).any():
        bad.append("a group's c_A is not positive")
    if sol.mu.size and ((sol.mu <= 0) | (sol.mu >= sol.lam[np.searchsorted(
            st.support, st.pair_pos)])).any():
        bad.append("a Clarke weight mu / lambda is not inside (0, 1)")
    if not consistent(data, groups, G).all():
        bad.append("a group's direction does not keep its activation pattern")
    q = sorted_margins(net, data)
    q[np.concatenate([st.support, st.flat])] = np.inf
    if q.size and q.min() < 1.0 - 1e-12:
        bad.append("a point outside the support has margin below 1")
    return net, bad
