""":func:`pwl_kkt.prove_kkt_point` on R^d: the reduced square system of a nondegenerate KKT point.

With ``xt_i = (x_i, 1)`` (``x_i`` without hidden biases), neurons grouped by their activation
pattern A on the support S and the sign ``sigma_A`` of ``v``, and ``c_A = sum_{j in A} v_j^2``,
a KKT point is fixed by ``z = (lambda_S, c)`` through the square system

    y_i sum_{A ni i} c_A g_A . xt_i = 1  (i in S),     ||g_A||^2 = 1  (every group),
    g_A = sum_{i in A} lambda_i y_i xt_i,

exactly as in one dimension (the activation sets are now arbitrary subsets of S). Newton
solves it in float from the numeric certificate's multipliers; the Krawczyk test of
:mod:`pwl_kkt.kkt.proof` (the same code) encloses its unique solution in ``arb`` balls with the
data as the exact rationals they are, and on that enclosure the open conditions are proven:
``lambda_i > 0``, ``c_A > 0``, ``sigma_A g_A . xt_i`` positive on A and negative on the rest of
S, and ``y_i N*(x_i) > 1`` at every other point. Then ``theta*`` -- neuron j of group A with
``v_j = sigma_A sqrt(share_j c_A)``, ``u_j = v_j g_A``, the other neurons zero -- satisfies every
KKT condition exactly. Degenerate points are "not proven", with the reason: a neuron's
hyperplane through a support point (Clarke weights are not part of this system on R^d),
multipliers or group sizes that are not unique (singular Jacobian), a zero multiplier.
Region counts are the business of the plane geometry, not of this proof (``regions`` is None).
"""

from __future__ import annotations

import time
from fractions import Fraction

import numpy as np

from ..errors import MisclassifiedError
from ..model.data_nd import DatasetNd
from ..model.network_nd import NetworkNd
from ._numeric_nd import solve_nd, structure_nd

_KINK_ON_POINT = 1e-12  # zero test of the support's activation signs (relative distance)
_NEWTON_STEPS = 50
_SINGULAR = 1e12  # condition number of the reduced Jacobian taken as singular


def _groups(st) -> tuple[list[list[int]], np.ndarray, np.ndarray]:  # noqa: ANN001
    """Neurons grouped by (activation pattern on S, sign of v): members, sigma, pattern rows."""
    keys: dict[tuple[int, int], int] = {}
    members: list[list[int]] = []
    for j in range(st.v.size):
        if st.pattern[j] >= 0 and st.v[j] != 0:
            key = (int(st.pattern[j]), 1 if st.v[j] > 0 else -1)
            if key not in keys:
                keys[key] = len(members)
                members.append([])
            members[keys[key]].append(j)
    sigma = np.array([k[1] for k in keys], dtype=np.int64)
    pats = st.patterns.toarray()[[k[0] for k in keys]] if keys else np.zeros((0, st.xt.shape[0]))
    return members, sigma, pats


def _system(st, pats: np.ndarray, lam: np.ndarray, c: np.ndarray):  # noqa: ANN001, ANN202
    """``(F, J, G)`` of the reduced system in float (``G``: the groups' ``g_A``)."""
    y, xt = st.ys, st.xt
    G = pats @ ((lam * y)[:, None] * xt)
    H = G @ xt.T  # g_A . xt_i
    F = np.concatenate([y * (c[:, None] * pats * H).sum(axis=0) - 1, (G * G).sum(axis=1) - 1])
    m, p = lam.size, c.size
    J = np.zeros((m + p, m + p))
    J[:m, :m] = np.outer(y, y) * (xt @ xt.T) * (pats.T @ (c[:, None] * pats))
    J[:m, m:] = y[:, None] * (pats * H).T
    J[m:, :m] = 2 * pats * H * y[None, :]
    return F, J, G


def _newton(st, pats: np.ndarray, lam: np.ndarray, c: np.ndarray):  # noqa: ANN001, ANN202
    """Newton on the reduced system: ``(lam, c, J, |F|, converged)``."""
    F, J, _ = _system(st, pats, lam, c)
    for _ in range(_NEWTON_STEPS):
        try:
            step = np.linalg.solve(J, F)
        except np.linalg.LinAlgError:
            return lam, c, J, float(np.abs(F).max()), False
        lam, c = lam - step[: lam.size], c - step[lam.size :]
        F, J, _ = _system(st, pats, lam, c)
        if np.abs(F).max() <= 1e-14 and np.abs(step).max() <= 1e-12 * max(1.0, np.abs(lam).max()):
            return lam, c, J, float(np.abs(F).max()), True
    return lam, c, J, float(np.abs(F).max()), bool(np.abs(F).max() <= 1e-12)


class _BallSystem:
    """The reduced system with the exact support points, evaluated in ``arb`` balls."""

    def __init__(self, xt_exact: list[tuple[Fraction, ...]], y: list[int], pats: np.ndarray):
        from .proof import _ball

        self.xa = [[_ball(q) for q in row] for row in xt_exact]
        self.y = y
        self.rows = [np.flatnonzero(r).tolist() for r in pats]
        self.m, self.p = len(y), len(self.rows)
        self.gram = [[_dot(a, b) for b in self.xa] for a in self.xa]

    def g_of(self, lam: list) -> list[list]:
        from flint import arb

        out = []
        for rows in self.rows:
            g = [arb(0)] * len(self.xa[0])
            for i in rows:
                w = lam[i] * self.y[i]
                g = [a + w * b for a, b in zip(g, self.xa[i])]
            out.append(g)
        return out

    def evaluate(self, z: list) -> list:
        from flint import arb

        lam, c = z[: self.m], z[self.m :]
        g = self.g_of(lam)
        tot = [arb(0)] * self.m
        for a, rows in enumerate(self.rows):
            for i in rows:
                tot[i] += c[a] * _dot(g[a], self.xa[i])
        return [self.y[i] * tot[i] - 1 for i in range(self.m)] + [_dot(t, t) - 1 for t in g]

    def jacobian(self, z: list):  # noqa: ANN201 - flint.arb_mat
        from flint import arb, arb_mat

        m, p = self.m, self.p
        lam, c = z[:m], z[m:]
        g = self.g_of(lam)
        J = arb_mat(m + p, m + p)
        for i in range(m):
            for ll in range(m):
                tot = arb(0)
                for a, rows in enumerate(self.rows):
                    if i in rows and ll in rows:
                        tot += c[a]
                J[i, ll] = self.y[i] * self.y[ll] * self.gram[i][ll] * tot
        for a, rows in enumerate(self.rows):
            for i in rows:
                t = _dot(g[a], self.xa[i])
                J[i, m + a] = self.y[i] * t
                J[m + a, i] = 2 * self.y[i] * t
        return J


def _dot(a: list, b: list):  # noqa: ANN202 - flint.arb
    from flint import arb

    total = arb(0)
    for p, q in zip(a, b):
        total += p * q
    return total


def _relu(t):  # noqa: ANN001, ANN202 - flint.arb
    """An enclosure of ``relu`` over the ball t."""
    from flint import arb

    from .proof import _float_up

    if t > 0:
        return t
    if t < 0:
        return arb(0)
    hi = max(_float_up(t), 0.0)
    return arb(hi / 2, hi / 2)


def prove_nd(net: NetworkNd, data: DatasetNd, support_tol: float, input_tol: float,
             precision: int, start: float):  # noqa: ANN201 - KKTProof
    from .proof import KKTProof, _ball, _float_up, _not_proven, krawczyk_box

    def fail(reason: str, center: NetworkNd | None = None, **extra):  # noqa: ANN202
        return _not_proven(reason, net, data, precision, start, center, **extra)

    try:
        st = structure_nd(net, data, support_tol, _KINK_ON_POINT)
    except MisclassifiedError as exc:
        return fail(f"not separable: {exc}")
    if st.zpos.size:
        i, j = int(st.support[st.zpos[0]]), int(st.zneuron[0])
        return fail(f"degenerate: the hyperplane of neuron {j} passes through support point {i} "
                    "(Clarke weights on R^d are not part of the reduced system)")
    members, sigma, pats = _groups(st)
    if not members:
        return fail("not a KKT point: no neuron is active on the support")
    m, p = st.xt.shape[0], len(members)
    lam0, _, _ = solve_nd(st, None)
    c0 = np.array([float(np.sum(st.v[g] ** 2)) for g in members])
    lam, c, Jf, res, ok = _newton(st, pats, lam0, c0)
    lambdas = np.zeros(data.n)
    lambdas[st.support] = lam
    info = {"support": tuple(int(i) for i in st.support), "n_groups": p,
            "lambdas": tuple(lambdas.tolist())}
    cond = float(np.linalg.cond(Jf))
    if cond >= _SINGULAR:
        return fail("Jacobian singular (the multipliers or the group sizes are not unique: "
                    f"cond = {cond:.3g}, |F| = {res:.3g})", **info)
    if not ok:
        return fail("not a KKT point: Newton found no solution of the reduced system near it "
                    f"(|F| = {res:.3g}, cond = {cond:.3g})", **info)
    _, _, G = _system(st, pats, lam, c)
    D = st.xt.shape[1]
    u = np.zeros((st.v.size, D))
    v = np.zeros(st.v.size)
    for a, g in enumerate(members):
        share = st.v[g] ** 2 / c0[a]
        v[g] = sigma[a] * np.sqrt(share * c[a])
        u[g] = v[g][:, None] * G[a]
    center = NetworkNd(u[:, : net.d].copy(), u[:, net.d].copy() if net.has_bias else None, v)
    theta_n = np.concatenate([st.u.ravel(), st.v])
    dist = float(np.linalg.norm(np.concatenate([u.ravel(), v]) - theta_n) / np.linalg.norm(theta_n))
    if not dist <= input_tol:
        return fail(f"not a KKT point: the reduced system's solution is at relative distance "
                    f"{dist:.3g} > input_tol = {input_tol:g}", center, **info)
    if lam.min() <= 0 or c.min() <= 0:
        return fail(f"not a KKT point or degenerate: a multiplier or a group size is not positive "
                    f"(min lambda = {lam.min():.3g}, min c = {c.min():.3g})", center, **info)
    one = (Fraction(1),) if net.has_bias else ()
    xt_all = [row + one for row in data.x_exact]
    sup = [int(i) for i in st.support]
    ys = [int(t) for t in data.y.tolist()]
    balls = _BallSystem([xt_all[i] for i in sup], [ys[i] for i in sup], pats)
    box = krawczyk_box(np.concatenate([lam, c]), Jf, balls.evaluate, balls.jacobian)
    if isinstance(box, str):
        return fail(box, center, **info)
    z, r_z = box
    failure = _open_conditions(balls, z, sigma, xt_all, ys, sup)
    if failure is not None:
        return fail(failure, center, **info)
    g_b = balls.g_of(z[:m])
    radius = _theta_radius(members, sigma, g_b, z[m:], net, center, _ball, _float_up)
    return KKTProof(
        proven=True,
        reason=(f"Krawczyk test passed and every KKT condition holds in ball arithmetic in a box "
                f"of radius {r_z:.2g} ({precision}-bit balls): {m} support points, {p} "
                "activation groups on R^" + str(net.d)),
        radius=radius,
        radius_z=r_z,
        regions=None,
        regions_range=None,
        kinks=(),
        exact=False,
        sq_norm=2.0 * float(lam.sum()),
        network=center,
        input_network=net,
        data=data,
        precision=precision,
        seconds=time.perf_counter() - start,
        **info,
    )


def _open_conditions(balls: _BallSystem, z: list, sigma: np.ndarray, xt_all, ys: list[int],
                     sup: list[int]) -> str | None:
    """Prove the strict inequalities on the enclosure; the first failure's reason, or None.

    ``sup`` lists the support points' input indices, in the order of the system's rows.
    """
    from .proof import _ball

    m = balls.m
    lam, c = z[:m], z[m:]
    for i, t in enumerate(lam):
        if not t > 0:
            return (f"zero multiplier: lambda_{sup[i]} is not proven positive ({t.str(5)}; "
                    "degenerate)")
    for a, t in enumerate(c):
        if not t > 0:
            return f"group {a}'s size c_A is not proven positive ({t.str(5)})"
    g = balls.g_of(lam)
    for a, rows in enumerate(balls.rows):
        inside = set(rows)
        for i in range(m):
            val = int(sigma[a]) * _dot(g[a], balls.xa[i]) * (1 if i in inside else -1)
            if not val > 0:
                return (f"degenerate: group {a}'s pre-activation at support point {sup[i]} is not "
                        f"proven {'positive' if i in inside else 'negative'} ({val.str(5)})")
    support = set(sup)
    for i, row in enumerate(xt_all):
        if i in support:
            continue
        xa = [_ball(q) for q in row]
        total = sum((int(s) * ca * _relu(int(s) * _dot(ga, xa)) for s, ca, ga in zip(sigma, c, g)),
                    _ball(Fraction(0)))
        if not ys[i] * total > 1:
            return (f"margin at data point {i} is not proven above 1 ({(ys[i] * total).str(5)}): "
                    "a point outside the support touches the margin (degenerate)")
    return None


def _theta_radius(members, sigma, g, c, net: NetworkNd, center: NetworkNd, ball,  # noqa: ANN001
                  float_up) -> float:  # noqa: ANN001
    """Upper bound of ``||theta* - center||`` (``theta*`` keeps the input's exact shares)."""
    from flint import arb

    _, _, v_in = net.fractions()
    u0 = np.hstack([center.arrays()[0], center.arrays()[1][:, None]]) if net.has_bias \
        else np.array(center.arrays()[0])
    v0 = center.arrays()[2]
    acc = arb(0)
    for a, group in enumerate(members):
        vb = [ball(v_in[j]) for j in group]
        tot = sum((t * t for t in vb), arb(0))
        for j, t in zip(group, vb):
            vj = int(sigma[a]) * (t * t / tot * c[a]).sqrt()
            diff = vj - float(v0[j])
            acc += diff * diff
            for q, uq in zip(g[a], u0[j].tolist()):
                e = vj * q - uq
                acc += e * e
    return float_up(acc.abs_upper().sqrt())
