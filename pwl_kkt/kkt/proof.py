"""Proofs, in ball arithmetic, that an exact KKT point of Problem (4) lies next to a float one.

The KKT points of Problem (4) that trained networks approach have irrational coordinates in
general (every neuron is balanced, ``v_j^2 = w_j^2 + b_j^2``), so they cannot be written down
as rationals; they can be *enclosed*. For the reduced square system ``F(z) = 0`` in
``z = (lambda_S, c)`` (see :func:`pwl_kkt.kkt_limit`), with a float solution ``z~``, a float
approximate inverse ``Y`` of the Jacobian at ``z~`` and a box ``X = z~ + [-r, r]^N``, the
Krawczyk operator::

    K(X) = z~ - Y F(z~) + (I - Y J(X)) (X - z~)

lying in the interior of X proves that exactly one solution ``z*`` of ``F = 0`` lies in X
(Krawczyk 1969; Moore, Kearfott & Cloud, "Introduction to Interval Analysis", SIAM 2009,
section 8.2), and ``z* in K(X)``. Everything is evaluated with python-flint's ``arb`` balls
(every operation rigorous), the data as the exact rationals they are (a float is its dyadic
value, a text the decimal it spells), ``Y`` and ``z~`` as the exact dyadics they store.

On the enclosure ``K(X)`` the open conditions are then proven: ``lambda_i > 0``, ``c_A > 0``,
every group's pre-activation ``sigma_A g_A . xt_i`` has the group's sign pattern on *all* data
points, strictly (``g_A . xt`` is affine in x, so the signs at the points on both sides of the
pattern's end decide it), and ``y_i N*(x_i) > 1`` off the support. Then ``theta*`` -- neuron j
of group A with ``v_j = sigma_A sqrt(share_j c_A)`` and ``u_j = v_j g_A`` -- satisfies every KKT
condition exactly, with the multipliers ``lambda*``.

Its effective regions are known exactly: group A's neurons kink at ``-g_A[1] / g_A[0]`` with
total slope jump ``sigma_A c_A |g_A[0]|`` (proven nonzero); kinks whose balls are disjoint are
distinct breakpoints. Overlapping balls leave an interval of counts (``regions`` is then
``None`` and ``regions_range`` says which counts remain). When the float solution rounds to
rationals that solve the system *exactly* (Example 1 of Safran, Vardi & Lee, NeurIPS 2022, and
other rational KKT points), the unique solution in X is that rational one and the count is
computed in exact arithmetic.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, fields
from fractions import Fraction
from typing import Any

import numpy as np

from .._rational import fraction_text
from ..errors import InvalidValueError, MisclassifiedError, require
from ..model.data import Dataset, as_dataset
from ..model.data_nd import DatasetNd
from ..model.network import Network
from ..model.network_nd import NetworkNd
from . import _reduced as rd
from .numeric import margins

__all__ = ["KKTProof", "prove_kkt_point"]

_EXACT_SNAP = 400  # systems up to this size are also tried in exact rationals
_SNAP_DENOMINATOR = 10**6
_KINK_ON_POINT = 1e-12


@dataclass(frozen=True)
class KKTProof:
    """The outcome of :func:`prove_kkt_point`.

    Attributes
    ----------
    proven : bool
        An exact KKT point ``theta*`` lies within :attr:`radius` of :attr:`network`, with every
        KKT condition (equations and strict inequalities) proven in ball arithmetic.
    reason : str
        What was proven, or why not (not separable, degenerate kink on a support point, zero
        multiplier, Jacobian singular, box too large, not a KKT point, ...).
    radius : float
        Rigorous upper bound of ``||theta* - network||`` (``inf`` when not proven).
    radius_z : float
        Rigorous upper bound of ``max |z* - z~|`` over the unknowns ``(lambda_S, c)``.
    regions : int or None
        The exact effective number of linear regions of ``theta*`` on R, or ``None`` when
        overlapping kink balls leave more than one possibility (see :attr:`regions_range`), and
        for networks on R^d (d > 1 or a :class:`~pwl_kkt.NetworkNd`).
    regions_range : tuple of int or None
        ``(lo, hi)``: the proven range of the region count (``lo == hi == regions`` when decided).
    kinks : tuple of (float, float, float)
        Per group with a proven kink: ``(location, ball radius, slope jump)``, sorted.
    exact : bool
        The unique solution in the box is a rational point, checked in exact arithmetic.
    lambdas : tuple of float
        Multipliers (ball midpoints), one per data point, zero off the support.
    support : tuple of int
        Support points (input indices).
    n_groups : int
        Number of activation groups (size of the system: ``len(support) + n_groups``).
    sq_norm : float
        ``||theta*||^2 = 2 sum lambda*`` (midpoint).
    network : Network or NetworkNd
        The float KKT network at the center of the proven ball (normalized to margin 1).
    input_network, data :
        What the proof was asked about, for :meth:`recheck`.
    precision : int
        Bits of the ball arithmetic.
    seconds : float
        Wall time.

    Examples
    --------
    Example 1 of Safran, Vardi & Lee (NeurIPS 2022): ``theta(0)`` is a KKT point with
    ``lambda = (1/2, 1/2)`` and one linear region.

    >>> p = prove_kkt_point(Network([0, 0], [1, 0], [1, 0]), [4, -4], [1, 1])
    >>> p.proven, p.exact, p.regions, p.lambdas
    (True, True, 1, (0.5, 0.5))
    >>> p.recheck()
    True
    """

    proven: bool
    reason: str
    radius: float
    radius_z: float
    regions: int | None
    regions_range: tuple[int, int] | None
    kinks: tuple[tuple[float, float, float], ...]
    exact: bool
    lambdas: tuple[float, ...]
    support: tuple[int, ...]
    n_groups: int
    sq_norm: float
    network: Network
    input_network: Network
    data: Dataset
    precision: int
    seconds: float

    def recheck(self) -> bool:
        """Redo the proof from :attr:`input_network` and :attr:`data` alone; same verdict?

        Examples
        --------
        >>> prove_kkt_point(Network([0], [1], [1]), [1, 2], [1, 1]).recheck()
        True
        """
        again = prove_kkt_point(self.input_network, self.data, precision=self.precision)
        return (
            again.proven == self.proven
            and again.regions == self.regions
            and again.regions_range == self.regions_range
            and again.support == self.support
            and (not self.proven or again.radius <= max(self.radius, 1e-300) * 1e3)
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (networks as numbers: floats, or exact ``p/q`` text).

        Examples
        --------
        >>> p = prove_kkt_point(Network([0], [1], [1]), [4, -4], [1, 1])
        >>> p.to_dict()["regions_range"]
        [1, 1]
        """
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["network"] = _net_dict(self.network)
        d["input_network"] = _net_dict(self.input_network)
        x = [[fraction_text(t) for t in row] if isinstance(row, tuple) else fraction_text(row)
             for row in self.data.x_exact]
        d["data"] = {"x": x, "y": self.data.y.tolist()}
        d["regions_range"] = None if self.regions_range is None else list(self.regions_range)
        d["kinks"] = [list(t) for t in self.kinks]
        d["lambdas"] = list(self.lambdas)
        d["support"] = list(self.support)
        return d

    def to_json(self) -> str:
        """JSON text of :meth:`to_dict` (``radius`` may be ``Infinity`` when not proven)."""
        return json.dumps(self.to_dict(), indent=2)


def _net_dict(net: Network | NetworkNd) -> dict[str, list | None]:
    if isinstance(net, NetworkNd):
        w, b, v = net.fractions() if net.is_exact else net.arrays()
        text = fraction_text if net.is_exact else float
        return {"w": [[text(t) for t in row] for row in w],
                "b": [text(t) for t in b] if net.has_bias else None, "v": [text(t) for t in v]}
    if net.is_exact:
        return {k: [fraction_text(t) for t in p] for k, p in zip("wbv", net.fractions())}
    return {k: p.tolist() for k, p in zip("wbv", net.arrays())}


# --- ball arithmetic helpers --------------------------------------------------------------------


def _ball(q: Fraction):  # noqa: ANN202 - flint.arb
    """A ball containing the rational ``q`` (exact when ``q`` is a dyadic that fits)."""
    from flint import arb

    return arb(q.numerator) / arb(q.denominator)


def _cum(values: list, from_left: bool) -> list:
    """Cumulative sums ``out[p] = sum_{q < p}`` (from the left) or ``sum_{q >= p}``, length n+1."""
    from flint import arb

    n = len(values)
    out = [arb(0)] * (n + 1)
    if from_left:
        for p in range(n):
            out[p + 1] = out[p] + values[p]
    else:
        for p in range(n - 1, -1, -1):
            out[p] = out[p + 1] + values[p]
    return out


@dataclass
class _Balls:
    """Ball evaluation of the reduced system for one box ``(omega, c)``."""

    g: list  # per group (g0, g1)
    F: list  # margins on S, norms, kink equations


class _Problem:
    """The reduced system with exact data, evaluated in balls.

    Weighted points ``e`` (support points, then kink pairs) enter ``g_A`` with weight
    ``omega_e`` when ``Me[A, e] = 1``; margins use the strict patterns ``M = Me[:, :s]``.
    """

    def __init__(self, data, xs_exact, groups: rd.Groups, st: rd.Structure) -> None:
        self.data, self.groups, self.st = data, groups, st
        self.xa = [_ball(q) for q in xs_exact]  # all sorted data points as balls
        self.ya = [int(t) for t in data.ys]
        self.pos, Me = rd.extended(groups, st)
        self.s = st.support.size
        self.e = self.pos.size
        self.rows = [np.flatnonzero(Me[a]).tolist() for a in range(groups.m)]  # weighted pts
        self.strict = [[t for t in r if t < self.s] for r in self.rows]
        self.suffix = groups.stop == data.n

    def g_of(self, om: list) -> list:
        from flint import arb

        out = []
        for r in self.rows:
            g0, g1 = arb(0), arb(0)
            for t in r:
                q = int(self.pos[t])
                wy = om[t] * self.ya[q]
                g0 += wy * self.xa[q]
                g1 += wy
            out.append((g0, g1))
        return out

    def _at(self, g: tuple, t: int):  # noqa: ANN202 - g_A . xt at weighted point t
        q = int(self.pos[t])
        return g[0] * self.xa[q] + g[1]

    def evaluate(self, om: list, c: list) -> _Balls:
        from flint import arb

        g = self.g_of(om)
        tot = [arb(0)] * self.s
        for a, r in enumerate(self.strict):
            for t in r:
                tot[t] = tot[t] + c[a] * self._at(g[a], t)
        F = [self.ya[int(self.pos[t])] * tot[t] - 1 for t in range(self.s)]
        F.extend(g0 * g0 + g1 * g1 - 1 for g0, g1 in g)
        for k, a in enumerate(self.st.pair_group.tolist()):
            F.append(self._at(g[a], self.s + k))
        return _Balls(g, F)

    def jacobian(self, om: list, c: list):  # noqa: ANN201 - flint.arb_mat
        from flint import arb_mat

        s, m, e = self.s, self.groups.m, self.e
        d = e - s
        g = self.g_of(om)
        J = arb_mat(s + m + d, e + m)
        xt = [(self.xa[int(q)], self.ya[int(q)]) for q in self.pos]
        dot = lambda u, t: (xt[u][0] * xt[t][0] + 1) * xt[u][1] * xt[t][1]  # noqa: E731
        for a in range(m):
            for i in self.strict[a]:
                for t in self.rows[a]:
                    J[i, t] = J[i, t] + c[a] * dot(i, t)
                J[i, e + a] = xt[i][1] * self._at(g[a], i)
            for t in self.rows[a]:
                J[s + a, t] = 2 * xt[t][1] * self._at(g[a], t)
        for k, a in enumerate(self.st.pair_group.tolist()):
            p = s + k
            for t in self.rows[a]:
                J[s + m + k, t] = xt[t][1] * (xt[p][0] * xt[t][0] + 1)
        return J


def _float_up(x) -> float:  # noqa: ANN001 - flint.arb
    """A float >= every point of the ball ``x`` (inf when unbounded)."""
    if not x.is_finite():
        return math.inf
    return float(np.nextafter(float(x.upper()), math.inf))


def _float_down(x) -> float:  # noqa: ANN001
    if not x.is_finite():
        return -math.inf
    return float(np.nextafter(float(x.lower()), -math.inf))


# --- the proof ---------------------------------------------------------------------------------


def prove_kkt_point(
    net: Network,
    x: object,
    y: object | None = None,
    *,
    support_tol: float = 1e-8,
    input_tol: float = 1e-6,
    precision: int = 128,
) -> KKTProof:
    """Prove that an exact KKT point of Problem (4) lies next to ``net``, and count its regions.

    ``net`` is normalized to minimum margin 1; its support (margins within ``support_tol``
    of 1) and activation groups define the reduced square system of :func:`pwl_kkt.kkt_limit`,
    which Newton solves in float starting from ``net``'s own directions. If that solution is
    within relative distance ``input_tol`` of ``net`` (a network that is not near a KKT point
    with this structure is reported as such: run :func:`pwl_kkt.kkt_limit` first), the
    Krawczyk test and the open conditions are evaluated in ball arithmetic (see the module
    docstring). A degenerate point is never an error: it is "not proven" with the reason.

    A :class:`~pwl_kkt.NetworkNd` on R^d is proven by the same reduced system with activation
    groups that are arbitrary subsets of the support (nondegenerate points only: a neuron's
    hyperplane through a support point is reported as not proven; ``regions`` is None).

    Parameters
    ----------
    net : Network or NetworkNd
        Float or exact.
    x, y
        A :class:`~pwl_kkt.Dataset` (a :class:`~pwl_kkt.DatasetNd` of the network's dimension
        for a :class:`~pwl_kkt.NetworkNd`), or inputs and labels in {-1, +1}.
    support_tol : float
        Normalized margins ``<= 1 + support_tol`` form the support.
    input_tol : float
        Largest relative distance between ``net`` (normalized) and the float solution.
    precision : int
        Bits of the ball arithmetic (python-flint ``arb``).

    Returns
    -------
    KKTProof

    Raises
    ------
    NotSeparableError, InvalidDataError, InvalidValueError
        Conflicting labels, malformed data, NaN, bad tolerances.

    Examples
    --------
    A point that is not KKT (here the multipliers would have to be negative):

    >>> p = prove_kkt_point(Network([0], [1], [1]), [1, 2], [1, 1])
    >>> p.proven, "not a KKT point" in p.reason
    (False, True)

    In the plane, without hidden biases (neurons pointing at the support points ``+-(3, 4)``):

    >>> q = prove_kkt_point(NetworkNd([[3, 4], [-3, -4]], None, [5, -5]),
    ...                     [[3, 4], [-3, -4], [6, 8]], [1, -1, 1])
    >>> q.proven, q.n_groups, q.regions, q.radius < 1e-12
    (True, 2, None, True)
    """
    require("flint", "exact")
    from flint import ctx

    start = time.perf_counter()
    for value, name in ((support_tol, "support_tol"), (input_tol, "input_tol")):
        if not (isinstance(value, (int, float)) and math.isfinite(value) and 0 <= value < 1):
            raise InvalidValueError(f"{name} = {value!r} must be a finite number in [0, 1)")
    if not (isinstance(precision, int) and 53 <= precision <= 4096):
        raise InvalidValueError(f"precision = {precision!r} must be an integer in [53, 4096]")
    from ..model._match import data_for

    if isinstance(net, NetworkNd):
        from ._proof_nd import prove_nd as prove

        ds: Dataset | DatasetNd = data_for(net, x, y).require_separable()
    else:
        prove = _prove
        ds = (data_for(net, x, y).to_univariate() if isinstance(x, DatasetNd)
              else as_dataset(x, y)).require_separable()
    old = ctx.prec
    ctx.prec = precision
    try:
        return prove(net, ds, support_tol, input_tol, precision, start)
    finally:
        ctx.prec = old


def _not_proven(reason: str, net: Network, ds: Dataset, precision: int, start: float,
                center: Network | None = None, **extra: Any) -> KKTProof:
    base = {
        "radius": math.inf, "radius_z": math.inf, "regions": None, "regions_range": None,
        "kinks": (), "exact": False, "lambdas": tuple([0.0] * ds.n), "support": (),
        "n_groups": 0, "sq_norm": math.nan,
    }
    base.update(extra)
    return KKTProof(
        proven=False, reason=reason, network=center if center is not None else net,
        input_network=net, data=ds, precision=precision,
        seconds=time.perf_counter() - start, **base,
    )


def _prove(net: Network, ds: Dataset, support_tol: float, input_tol: float, precision: int,
           start: float) -> KKTProof:
    try:
        q_in = margins(net, ds)
    except MisclassifiedError as exc:
        return _not_proven(f"not separable: {exc}", net, ds, precision, start)
    m_min = float(q_in.min())
    w, b, v = (t / math.sqrt(m_min) for t in net.to_float().arrays())
    k = w.size
    data, order = rd.sorted_data(ds.x_float, ds.y)
    groups = rd.groups_of(w, b, v, data)
    qs = q_in[order] / m_min
    s0 = np.flatnonzero(qs <= 1.0 + support_tol)
    lambdas_of = _lambdas_in_input_order(ds.n, order)
    if groups.m == 0:
        return _not_proven("not a KKT point: no neuron is active on the data", net, ds,
                           precision, start)
    target, c0, a_sum = rd.targets(groups, w, b, v)
    groups, st = rd.structure(data, groups, a_sum, s0, v, _KINK_ON_POINT)
    target, c0, _ = rd.targets(groups, w, b, v)
    om0 = rd.initial_weights(data, groups, st, target, np.zeros(st.size))
    sol = rd.newton(data, groups, st, om0, c0)
    support_ids = tuple(sorted(int(i) for i in order[np.concatenate([st.support, st.flat])]))
    info = {"support": support_ids, "n_groups": groups.m,
            "lambdas": lambdas_of(st.support, sol.lam)}
    if not sol.converged:
        why = (
            "Jacobian singular (the multipliers or the group sizes are not unique)"
            if sol.cond >= 1e13 and sol.residual <= 1e-9
            else "not a KKT point: Newton found no solution of the reduced system near it"
        )
        return _not_proven(f"{why} (|F| = {sol.residual:.3g}, cond = {sol.cond:.3g})",
                           net, ds, precision, start, **info)
    G = rd.directions(data, groups, st, sol)
    center = rd.network(groups, G, sol.c, k)
    theta_c = np.concatenate(center.arrays())
    theta_n = np.concatenate([w, b, v])
    dist = float(np.linalg.norm(theta_c - theta_n) / np.linalg.norm(theta_n))
    if not dist <= input_tol:
        return _not_proven(
            f"not a KKT point: the reduced system's solution is at relative distance "
            f"{dist:.3g} > input_tol = {input_tol:g} (kkt_limit finds the nearby KKT point)",
            net, ds, precision, start, center, **info,
        )
    if sol.lam.min(initial=1.0) <= 0 or sol.c.min() <= 0:
        which = "a multiplier" if sol.lam.min(initial=1.0) <= 0 else "a group size c_A"
        return _not_proven(
            f"not a KKT point or degenerate: {which} is not positive "
            f"(min lambda = {sol.lam.min(initial=1.0):.3g}, min c = {sol.c.min():.3g})",
            net, ds, precision, start, center, **info,
        )
    xs_exact = [ds.x_exact[i] for i in order.tolist()]
    prob = _Problem(data, xs_exact, groups, st)
    box = _krawczyk(prob, sol)
    if isinstance(box, str):
        return _not_proven(box, net, ds, precision, start, center, **info)
    om_b, c_b, r_z = box
    failure = _open_conditions(prob, om_b, c_b)
    if failure is not None:
        return _not_proven(failure, net, ds, precision, start, center, **info)
    radius = _theta_radius(prob, om_b, c_b, net.fractions()[2], center)
    exact_z = _exact_solution(prob, xs_exact, sol, r_z) if st.size + groups.m <= _EXACT_SNAP \
        else None
    g_b = prob.g_of(om_b)
    kinks, lo, hi = _kink_balls(prob, g_b, c_b)
    if exact_z is not None:
        lo = hi = _exact_breakpoints(prob, xs_exact, exact_z)
    regions = lo + 1 if lo == hi else None
    what = "exactly" if exact_z is not None else "in ball arithmetic"
    count = f"{regions} effective regions" if regions is not None else (
        f"between {lo + 1} and {hi + 1} effective regions (overlapping kink balls)")
    extra = f", {st.pair_pos.size} kink(s) on support points" if st.pair_pos.size else ""
    flat = f", {st.flat.size} flat support point(s)" if st.flat.size else ""
    return KKTProof(
        proven=True,
        reason=(f"Krawczyk test passed and every KKT condition holds {what} in a box of radius "
                f"{r_z:.2g} ({precision}-bit balls){extra}{flat}; {count}"),
        radius=radius,
        radius_z=r_z,
        regions=regions,
        regions_range=(lo + 1, hi + 1),
        kinks=kinks,
        exact=exact_z is not None,
        sq_norm=2.0 * float(sol.lam.sum()),
        network=center,
        input_network=net,
        data=ds,
        precision=precision,
        seconds=time.perf_counter() - start,
        **info,
    )


def _lambdas_in_input_order(n: int, order: np.ndarray):
    def build(sup: np.ndarray, lam: np.ndarray) -> tuple[float, ...]:
        out = np.zeros(n)
        out[order[sup]] = lam
        return tuple(out.tolist())

    return build


def _krawczyk(prob: _Problem, sol: rd.Solution):
    """``(omega balls, c balls, r)`` enclosing the unique solution, or the reason for failure."""
    e = prob.e
    om = rd.omega(sol)
    _, Jf, _ = rd.system(prob.data, prob.groups, prob.st, om, sol.c)
    box = krawczyk_box(
        np.concatenate([om, sol.c]), Jf,
        lambda z: prob.evaluate(z[:e], z[e:]).F, lambda z: prob.jacobian(z[:e], z[e:]),
    )
    if isinstance(box, str):
        return box
    out, r = box
    return out[:e], out[e:], r


def krawczyk_box(z: np.ndarray, Jf: np.ndarray, evaluate, jacobian):  # noqa: ANN001, ANN201
    """``(balls, r)``: the Krawczyk enclosure of the unique zero of F near ``z``, or a reason.

    ``evaluate(balls)`` is F and ``jacobian(balls)`` its Jacobian (an ``arb_mat``), both in
    ball arithmetic; ``Jf`` is the float Jacobian at ``z`` (its inverse is the preconditioner
    Y). Boxes ``z + [-r, r]^N`` of growing radius are tried; ``r`` is returned as a float
    bound of ``max |z* - z|``.
    """
    from flint import arb, arb_mat

    N = z.size
    try:
        Yf = np.linalg.inv(Jf)
    except np.linalg.LinAlgError:
        return "Jacobian singular at the float solution"
    if not np.isfinite(Yf).all():
        return "Jacobian singular at the float solution"
    Y = arb_mat(Yf.tolist())
    za = [arb(float(t)) for t in z]
    Fz = evaluate(za)
    YF = Y * arb_mat([[f] for f in Fz])
    floor = 2.0 ** (8 - _bits()) * float(np.max(np.abs(z)))
    base = max(max(_float_up(abs(YF[i, 0])) for i in range(N)), floor)
    eye = arb_mat(N, N)
    for i in range(N):
        eye[i, i] = arb(1)
    r = base
    for factor in (4.0, 1e3, 1e6):
        r = factor * base
        X = [arb(float(t), r) for t in z]
        K = (eye - Y * jacobian(X)) * arb_mat([[arb(0, r)] for _ in range(N)])
        out = []
        for i in range(N):
            ki = za[i] - YF[i, 0] + K[i, 0]
            if not ((ki - za[i]).abs_upper() < arb(r)):
                break
            out.append(ki)
        else:
            return out, _float_up(max((o - zz).abs_upper() for o, zz in zip(out, za)))
    return (f"box too large: the Krawczyk test failed up to radius {r:.2g} (Jacobian nearly "
            f"singular, condition number {np.linalg.cond(Jf):.2g})")


def _bits() -> int:
    """Working precision of the ball arithmetic in bits."""
    from flint import ctx

    return int(ctx.prec)


def _open_conditions(prob: _Problem, om: list, c: list) -> str | None:
    """Prove the strict inequalities on the enclosure; the first failure's reason, or None."""
    from flint import arb

    st, groups, s = prob.st, prob.groups, prob.s
    xs = prob.data.xs
    sup = st.support.tolist()
    for t in range(s):
        if not om[t] > 0:
            return (f"zero multiplier: lambda at support point x = {xs[sup[t]]!r} is not proven "
                    f"positive ({om[t].str(5)}; degenerate)")
    for k, p in enumerate(st.pair_pos.tolist()):
        mu, lam = om[s + k], om[sup.index(p)]
        if not (mu > 0 and lam - mu > 0):
            return (f"degenerate kink: the Clarke weight mu / lambda at x = {xs[p]!r} is not "
                    f"proven inside (0, 1) (mu = {mu.str(5)}, lambda = {lam.str(5)})")
    for a, t in enumerate(c):
        if not t > 0:
            return f"group {a}'s size c_A is not proven positive ({t.str(5)})"
    g = prob.g_of(om)
    n = prob.data.n
    on_support = set(sup)
    for a in range(groups.m):
        sig, kink = int(groups.sigma[a]), int(groups.kink[a])
        st_a, sp_a = int(groups.start[a]), int(groups.stop[a])
        below = st_a - 2 if kink == st_a - 1 else st_a - 1
        above = sp_a + 1 if kink == sp_a else sp_a
        checks = [(st_a, 1), (sp_a - 1, 1)]
        if below >= 0:
            checks.append((below, -1))
        if above < n:
            checks.append((above, -1))
        for p, want in checks:
            val = sig * want * (g[a][0] * prob.xa[p] + g[a][1])
            if not val > 0:
                kind = "support point" if p in on_support else "data point"
                return (f"degenerate kink: group {a}'s pre-activation at {kind} x = {xs[p]!r} is "
                        f"not proven {'positive' if want > 0 else 'negative'} ({val.str(5)})")
    # flat support points: margin exactly 1 when no kink lies strictly between their anchors
    coords = _kink_coords(groups, n)
    for p, (a0, a1) in zip(st.flat.tolist(), st.anchors.tolist()):
        same = prob.ya[p] == prob.ya[a0] == prob.ya[a1] and a0 < p < a1
        if not same or any(a0 < t < a1 for t in coords):
            return (f"flat support point x = {xs[p]!r}: its linear piece is not proven to hold "
                    "its anchors (a kink between them or mixed labels)")
    # margins at every other data point, accumulated from both sides (no cancellation)
    right0, right1 = [arb(0)] * n, [arb(0)] * n
    left0, left1 = [arb(0)] * n, [arb(0)] * n
    for a in range(groups.m):
        if prob.suffix[a]:
            right0[groups.start[a]] += c[a] * g[a][0]
            right1[groups.start[a]] += c[a] * g[a][1]
        else:
            left0[groups.stop[a] - 1] += c[a] * g[a][0]
            left1[groups.stop[a] - 1] += c[a] * g[a][1]
    r0, r1 = _cum(right0, True)[1:], _cum(right1, True)[1:]
    l0, l1 = _cum(left0, False)[:-1], _cum(left1, False)[:-1]
    skip = on_support | set(st.flat.tolist())
    for p in range(n):
        if p in skip:
            continue
        q = prob.ya[p] * (prob.xa[p] * (r0[p] + l0[p]) + r1[p] + l1[p])
        if not q > 1:
            return (f"margin at x = {xs[p]!r} is not proven above 1 ({q.str(5)}): a point "
                    "outside the support touches the margin (degenerate)")
    return None


def _kink_coords(groups: rd.Groups, n: int) -> list[float]:
    """Kinks on the sorted positions: ``p`` on a data point, ``e - 1/2`` between two."""
    out = []
    for a in range(groups.m):
        st_a, sp_a, kink = int(groups.start[a]), int(groups.stop[a]), int(groups.kink[a])
        if kink >= 0:
            out.append(float(kink))
        elif sp_a < n:
            out.append(sp_a - 0.5)
        elif st_a > 0:
            out.append(st_a - 0.5)
    return out


def _theta_radius(prob: _Problem, om: list, c: list, v_in, center: Network) -> float:
    """Upper bound of ``||theta* - center||``.

    ``theta*`` keeps the input's exact shares ``v_j^2 / sum_{l in A} v_l^2`` (scale-free, so
    the unnormalized exact ``v`` serves), so an exact KKT input is its own ``theta*``.
    """
    from flint import arb

    g = prob.g_of(om)
    groups = prob.groups
    w0, b0, v0 = center.arrays()
    tot = [arb(0)] * groups.m
    vb = [_ball(t) for t in v_in]
    for j, a in enumerate(groups.group_of.tolist()):
        if a >= 0:
            tot[a] += vb[j] * vb[j]
    acc = arb(0)

    def sq(t):  # noqa: ANN001, ANN202 - x * x: arb's ** goes through exp/log (NaN near 0)
        return t * t

    for j, a in enumerate(groups.group_of.tolist()):
        if a < 0:
            acc += sq(arb(float(w0[j]))) + sq(arb(float(b0[j]))) + sq(arb(float(v0[j])))
            continue
        vj = int(groups.sigma[a]) * (vb[j] * vb[j] / tot[a] * c[a]).sqrt()
        acc += sq(vj - float(v0[j]))
        acc += sq(vj * g[a][0] - float(w0[j])) + sq(vj * g[a][1] - float(b0[j]))
    return _float_up(acc.abs_upper().sqrt())  # acc's ball may dip below 0; bound it above


def _exact_solution(prob: _Problem, xs_exact, sol: rd.Solution, r: float) -> list | None:
    """The rational point near the float solution, if it solves the system exactly."""
    z = np.concatenate([rd.omega(sol), sol.c])
    zq = [Fraction(float(t)).limit_denominator(_SNAP_DENOMINATOR) for t in z]
    if any(abs(q - Fraction(float(t))) > Fraction(r) for q, t in zip(zq, z)):
        return None
    e = prob.e
    g = _exact_g(prob, xs_exact, zq[:e])
    at = lambda a, t: g[a][0] * xs_exact[int(prob.pos[t])] + g[a][1]  # noqa: E731
    if any(g0 * g0 + g1 * g1 != 1 for g0, g1 in g):
        return None
    tot = [Fraction(0)] * prob.s
    for a, rows in enumerate(prob.strict):
        for t in rows:
            tot[t] += zq[e + a] * at(a, t)
    if any(prob.ya[int(prob.pos[t])] * tot[t] != 1 for t in range(prob.s)):
        return None
    if any(at(a, prob.s + k) != 0 for k, a in enumerate(prob.st.pair_group.tolist())):
        return None
    return zq


def _exact_g(prob: _Problem, xs_exact, om: list) -> list[tuple[Fraction, Fraction]]:
    out = []
    for rows in prob.rows:
        g0 = g1 = Fraction(0)
        for t in rows:
            q = int(prob.pos[t])
            g0 += om[t] * prob.ya[q] * xs_exact[q]
            g1 += om[t] * prob.ya[q]
        out.append((g0, g1))
    return out


def _exact_breakpoints(prob: _Problem, xs_exact, zq: list) -> int:
    e = prob.e
    jumps: dict[Fraction, Fraction] = {}
    for a, (g0, g1) in enumerate(_exact_g(prob, xs_exact, zq[:e])):
        if g0 != 0:
            t = -g1 / g0
            jumps[t] = jumps.get(t, Fraction(0)) + int(prob.groups.sigma[a]) * zq[e + a] * abs(g0)
    return sum(1 for t in jumps.values() if t != 0)


def _level_groups(prob: _Problem) -> set[int]:
    """Groups whose ``g_A[0]`` is exactly 0 at the solution, by a structural argument.

    Two consecutive points with margin exactly 1 (equations, or flat points), the same label,
    and no kink strictly between them: N is affine there and equal at both, so its slope on
    that piece, the sum of ``c_A g_A[0]`` over the groups active on it, is 0. When exactly one
    group is active there, its ``g_A[0]`` is 0 (``c_A > 0`` is proven).
    """
    groups, n = prob.groups, prob.data.n
    coords = _kink_coords(groups, n)
    kappa = []
    for a in range(groups.m):
        st_a, sp_a, kink = int(groups.start[a]), int(groups.stop[a]), int(groups.kink[a])
        full = st_a == 0 and sp_a == n and kink < 0
        kappa.append(None if full else (float(kink) if kink >= 0 else
                                        (sp_a - 0.5 if sp_a < n else st_a - 0.5)))
    pts = sorted(set(prob.st.support.tolist()) | set(prob.st.flat.tolist()))
    out: set[int] = set()
    for a0, a1 in zip(pts, pts[1:]):
        if prob.ya[a0] != prob.ya[a1] or any(a0 < t < a1 for t in coords):
            continue
        active = []
        for a in range(groups.m):
            k = kappa[a]
            suffix = bool(prob.suffix[a])
            if k is None or (suffix and k <= a0) or (not suffix and k >= a1):
                active.append(a)
        if len(active) == 1:
            out.add(active[0])
    return out


def _kink_balls(prob: _Problem, g: list, c: list):
    """Kink balls and the proven range ``[lo, hi]`` of the number of breakpoints.

    A group with a kink pair kinks exactly at its data point (``g_A . xt_p = 0`` is one of
    the solved equations); groups sharing such a point form one location whose total jump
    is a ball. Other kinks are balls ``-g_A[1] / g_A[0]``.
    """
    exact_at: dict[int, list] = {}
    items = []
    undecided = 0
    level = _level_groups(prob)
    for a, (g0, g1) in enumerate(g):
        sig = int(prob.groups.sigma[a])
        if a in level:
            continue  # g_A[0] = 0 exactly: a constant neuron, no kink
        if not (g0 > 0 or g0 < 0):
            undecided += 1  # the group may be a constant (no kink) or kink far away
            continue
        jump = sig * c[a] * abs(g0)
        kink = int(prob.groups.kink[a])
        if kink >= 0:
            exact_at.setdefault(kink, []).append(jump)
            continue
        t = -g1 / g0
        items.append((_float_down(t), _float_up(t), float(t.mid()), float(t.rad()),
                      float(jump.mid()), sig))
    lo = hi = 0
    for p, jumps in exact_at.items():
        total = sum(jumps[1:], jumps[0])
        x = float(prob.data.xs[p])
        items.append((x, x, x, 0.0, float(total.mid()), 0 if not (total > 0 or total < 0)
                      else (1 if total > 0 else -1)))
    items.sort()
    i = 0
    while i < len(items):
        j, top, signs = i + 1, items[i][1], {items[i][5]}
        while j < len(items) and items[j][0] <= top:
            top = max(top, items[j][1])
            signs.add(items[j][5])
            j += 1
        hi += j - i
        lo += 1 if len(signs) == 1 and 0 not in signs else 0
        i = j
    kinks = tuple(sorted((it[2], it[3], it[4]) for it in items))
    return kinks, lo, hi + undecided
