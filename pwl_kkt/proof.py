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

from . import _reduced as rd
from ._rational import fraction_text
from .data import Dataset, as_dataset
from .errors import InvalidValueError, MisclassifiedError, require
from .kkt import margins
from .network import Network

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
        overlapping kink balls leave more than one possibility (see :attr:`regions_range`).
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
    network : Network
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
        d["data"] = {"x": [fraction_text(t) for t in self.data.x_exact], "y": self.data.y.tolist()}
        d["regions_range"] = None if self.regions_range is None else list(self.regions_range)
        d["kinks"] = [list(t) for t in self.kinks]
        d["lambdas"] = list(self.lambdas)
        d["support"] = list(self.support)
        return d

    def to_json(self) -> str:
        """JSON text of :meth:`to_dict` (``radius`` may be ``Infinity`` when not proven)."""
        return json.dumps(self.to_dict(), indent=2)


def _net_dict(net: Network) -> dict[str, list]:
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
    """Ball evaluation of the reduced system for one box ``(lam, c)``."""

    g: list  # per group (g0, g1)
    F: list  # margins on S, then norms


class _Problem:
    """The reduced system with exact data, evaluated in balls."""

    def __init__(self, data, xs_exact, groups: rd.Groups, support: np.ndarray) -> None:
        self.data, self.groups, self.support = data, groups, support
        self.xa = [_ball(q) for q in xs_exact]  # all sorted data points as balls
        self.ya = [int(t) for t in data.ys]
        s = support.size
        # each group's block of the sorted support: suffix groups [ps, s), prefix [0, pe)
        self.ps = np.searchsorted(support, groups.start, side="left")
        self.pe = np.searchsorted(support, groups.stop, side="left")
        self.suffix = groups.stop == data.n
        self.s = s

    def g_of(self, lam: list) -> list:
        sx = [lam[p] * self.ya[q] * self.xa[q] for p, q in enumerate(self.support.tolist())]
        s0 = [lam[p] * self.ya[q] for p, q in enumerate(self.support.tolist())]
        suf1, suf0 = _cum(sx, False), _cum(s0, False)
        pre1, pre0 = _cum(sx, True), _cum(s0, True)
        out = []
        for a in range(self.groups.m):
            if self.suffix[a]:
                out.append((suf1[self.ps[a]], suf0[self.ps[a]]))
            else:
                out.append((pre1[self.pe[a]], pre0[self.pe[a]]))
        return out

    def evaluate(self, lam: list, c: list) -> _Balls:
        g = self.g_of(lam)
        from flint import arb

        F = []
        for p, q in enumerate(self.support.tolist()):
            tot = arb(0)
            for a in self._groups_at(p):
                tot += c[a] * (g[a][0] * self.xa[q] + g[a][1])
            F.append(self.ya[q] * tot - 1)
        F.extend(g0 * g0 + g1 * g1 - 1 for g0, g1 in g)
        return _Balls(g, F)

    def _groups_at(self, p: int) -> list[int]:
        return np.flatnonzero((self.ps <= p) & (self.pe > p)).tolist()

    def jacobian(self, lam: list, c: list):  # noqa: ANN201 - flint.arb_mat
        from flint import arb, arb_mat

        s, m = self.s, self.groups.m
        g = self.g_of(lam)
        sup = self.support.tolist()
        J = arb_mat(s + m, s + m)
        # C[p, l] (p <= l) = sum of c_A over groups containing both = Csuf[p] + Cpre[l]
        csuf = [arb(0)] * s
        cpre = [arb(0)] * s
        for a in range(m):
            if self.ps[a] >= self.pe[a]:
                continue
            if self.suffix[a]:
                csuf[self.ps[a]] += c[a]
            else:
                cpre[self.pe[a] - 1] += c[a]
        csuf = _cum(csuf, True)[1:]
        cpre = _cum(cpre, False)[:-1]
        for p in range(s):
            xp, yp = self.xa[sup[p]], self.ya[sup[p]]
            for l_ in range(p, s):
                xl, yl = self.xa[sup[l_]], self.ya[sup[l_]]
                val = yp * yl * (xp * xl + 1) * (csuf[p] + cpre[l_])
                J[p, l_] = val
                J[l_, p] = val
        for a in range(m):
            for p in range(int(self.ps[a]), int(self.pe[a])):
                q = sup[p]
                d = self.ya[q] * (g[a][0] * self.xa[q] + g[a][1])
                J[p, s + a] = d
                J[s + a, p] = 2 * d
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

    Parameters
    ----------
    net : Network
        Float or exact.
    x, y
        A :class:`~pwl_kkt.Dataset`, or inputs and labels in {-1, +1}.
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
    >>> p.proven, p.reason.split(":")[0]
    (False, 'not a KKT point')
    """
    require("flint", "exact")
    from flint import ctx

    start = time.perf_counter()
    for value, name in ((support_tol, "support_tol"), (input_tol, "input_tol")):
        if not (isinstance(value, (int, float)) and math.isfinite(value) and 0 <= value < 1):
            raise InvalidValueError(f"{name} = {value!r} must be a finite number in [0, 1)")
    if not (isinstance(precision, int) and 53 <= precision <= 4096):
        raise InvalidValueError(f"precision = {precision!r} must be an integer in [53, 4096]")
    ds = as_dataset(x, y).require_separable()
    old = ctx.prec
    ctx.prec = precision
    try:
        return _prove(net, ds, support_tol, input_tol, precision, start)
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
    sup = np.flatnonzero(qs <= 1.0 + support_tol)
    lambdas_of = _lambdas_in_input_order(ds.n, order)
    degenerate = _kink_on_support(w, b, v, data.xs[sup])
    if degenerate is not None:
        j, xv = degenerate
        return _not_proven(
            f"degenerate: neuron {j}'s kink lies on support point x = {xv!r} (its Clarke "
            "weight is a free value in [0, 1]; the reduced system does not apply)",
            net, ds, precision, start,
        )
    if groups.m == 0:
        return _not_proven("not a KKT point: no neuron is active on the data", net, ds,
                           precision, start)
    # initial guess: c_A from the input, lambda by least squares on g_A = sigma a_A / ||a_A||
    live = groups.group_of >= 0
    a_sum = np.zeros((groups.m, 2))
    np.add.at(a_sum, groups.group_of[live], np.abs(v[live])[:, None] * np.stack([w, b], 1)[live])
    c0 = np.bincount(groups.group_of[live], weights=v[live] ** 2, minlength=groups.m)
    target = groups.sigma[:, None] * a_sum / np.linalg.norm(a_sum, axis=1)[:, None]
    M = rd.pattern_matrix(groups, sup)
    xt = np.stack([data.xs[sup], np.ones(sup.size)], 1) * data.ys[sup][:, None]
    A = np.concatenate([M * xt[:, 0][None, :], M * xt[:, 1][None, :]])
    lam0 = np.linalg.lstsq(A, np.concatenate([target[:, 0], target[:, 1]]), rcond=None)[0]
    sol = rd.newton(data, groups, sup, lam0, c0)
    support_ids = tuple(sorted(int(i) for i in order[sup]))
    info = {"support": support_ids, "n_groups": groups.m,
            "lambdas": lambdas_of(sup, sol.lam)}
    if not sol.converged:
        why = (
            "Jacobian singular (the multipliers or the group sizes are not unique)"
            if sol.cond >= 1e13
            else "not a KKT point: Newton found no solution of the reduced system near it"
        )
        return _not_proven(f"{why} (|F| = {sol.residual:.3g}, cond = {sol.cond:.3g})",
                           net, ds, precision, start, **info)
    G = rd.directions(data, groups, sol)
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
    if sol.lam.min() <= 0 or sol.c.min() <= 0:
        which = "a multiplier" if sol.lam.min() <= 0 else "a group size c_A"
        return _not_proven(
            f"not a KKT point or degenerate: {which} is not positive "
            f"(min lambda = {sol.lam.min():.3g}, min c = {sol.c.min():.3g})",
            net, ds, precision, start, center, **info,
        )
    xs_exact = [ds.x_exact[i] for i in order.tolist()]
    prob = _Problem(data, xs_exact, groups, sup)
    box = _krawczyk(prob, sol)
    if isinstance(box, str):
        return _not_proven(box, net, ds, precision, start, center, **info)
    lam_b, c_b, r_z = box
    failure = _open_conditions(prob, lam_b, c_b)
    if failure is not None:
        return _not_proven(failure, net, ds, precision, start, center, **info)
    radius = _theta_radius(prob, lam_b, c_b, v, center)
    exact_z = _exact_solution(prob, xs_exact, sol, r_z) if sup.size + groups.m <= _EXACT_SNAP \
        else None
    g_b = prob.g_of(lam_b)
    if exact_z is not None:
        lo = hi = _exact_breakpoints(prob, xs_exact, exact_z)
        kinks = _kink_balls(prob, g_b, c_b)[0]
    else:
        kinks, lo, hi = _kink_balls(prob, g_b, c_b)
    regions = lo + 1 if lo == hi else None
    what = "exactly" if exact_z is not None else "in ball arithmetic"
    count = f"{regions} effective regions" if regions is not None else (
        f"between {lo + 1} and {hi + 1} effective regions (overlapping kink balls)")
    return KKTProof(
        proven=True,
        reason=(f"Krawczyk test passed and every KKT condition holds {what} in a box of radius "
                f"{r_z:.2g} ({precision}-bit balls); {count}"),
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


def _kink_on_support(w, b, v, xs_s) -> tuple[int, float] | None:
    """A live neuron whose kink sits (to float accuracy) on a support point, if any."""
    if xs_s.size == 0:
        return None
    idx = np.flatnonzero((v != 0) & (w != 0))
    t = -b[idx] / w[idx]
    pos = np.clip(np.searchsorted(xs_s, t), 0, xs_s.size - 1)
    for cand in (pos, np.clip(pos - 1, 0, xs_s.size - 1)):
        xv = xs_s[cand]
        z = np.abs(w[idx] * xv + b[idx])
        hit = z <= _KINK_ON_POINT * (np.abs(w[idx] * xv) + np.abs(b[idx]))
        if hit.any():
            r = int(np.flatnonzero(hit)[0])
            return int(idx[r]), float(xv[r])
    return None


def _krawczyk(prob: _Problem, sol: rd.Solution):
    """``(lam balls, c balls, r)`` enclosing the unique solution, or the reason for failure."""
    from flint import arb, arb_mat

    s = prob.s
    z = np.concatenate([sol.lam, sol.c])
    N = z.size
    _, Jf, _ = rd.system(prob.data, prob.groups, prob.support, sol.lam, sol.c)
    try:
        Yf = np.linalg.inv(Jf)
    except np.linalg.LinAlgError:
        return "Jacobian singular at the float solution"
    if not np.isfinite(Yf).all():
        return "Jacobian singular at the float solution"
    Y = arb_mat(Yf.tolist())
    za = [arb(float(t)) for t in z]
    Fz = prob.evaluate(za[:s], za[s:]).F
    YF = Y * arb_mat([[f] for f in Fz])
    base = max(max(_float_up(abs(YF[i, 0])) for i in range(N)), 2.0 ** (-_bits()) * float(
        np.max(np.abs(z))))
    eye = arb_mat(N, N)
    for i in range(N):
        eye[i, i] = arb(1)
    for factor in (4.0, 1e3, 1e6):
        r = factor * base
        X = [arb(float(t), r) for t in z]
        JX = prob.jacobian(X[:s], X[s:])
        D = arb_mat([[arb(0, r)] for _ in range(N)])
        K = (eye - Y * JX) * D
        inside = True
        out = []
        for i in range(N):
            ki = za[i] - YF[i, 0] + K[i, 0]
            if not ((ki - za[i]).abs_upper() < arb(r)):
                inside = False
                break
            out.append(ki)
        if inside:
            return out[:s], out[s:], _float_up(
                max((o - zz).abs_upper() for o, zz in zip(out, za)))
    return (f"box too large: the Krawczyk test failed up to radius {r:.2g} (Jacobian nearly "
            f"singular, condition number {np.linalg.cond(Jf):.2g})")


def _bits() -> int:
    """Working precision of the ball arithmetic in bits, minus a safety margin."""
    from flint import ctx

    return int(ctx.prec) - 8


def _open_conditions(prob: _Problem, lam: list, c: list) -> str | None:
    """Prove the strict inequalities on the enclosure; the first failure's reason, or None."""
    sup = prob.support.tolist()
    xs = prob.data.xs
    for p, t in enumerate(lam):
        if not t > 0:
            return (f"zero multiplier: lambda at support point x = {xs[sup[p]]!r} is not proven "
                    f"positive ({t.str(5)}; degenerate)")
    for a, t in enumerate(c):
        if not t > 0:
            return f"group {a}'s size c_A is not proven positive ({t.str(5)})"
    g = prob.g_of(lam)
    n = prob.data.n
    groups = prob.groups
    for a in range(groups.m):
        sig = int(groups.sigma[a])
        st, sp_ = int(groups.start[a]), int(groups.stop[a])
        checks = [(st, 1), (sp_ - 1, 1)]
        if st > 0:
            checks.append((st - 1, -1))
        if sp_ < n:
            checks.append((sp_, -1))
        for p, want in checks:
            val = sig * want * (g[a][0] * prob.xa[p] + g[a][1])
            if not val > 0:
                kind = "support point" if p in set(sup) else "data point"
                return (f"degenerate kink: group {a}'s pre-activation at {kind} x = {xs[p]!r} is "
                        f"not proven {'positive' if want > 0 else 'negative'} ({val.str(5)})")
    # margins at every data point, accumulated from both sides (no cancellation)
    from flint import arb

    right0 = [arb(0)] * (n + 1)
    right1 = [arb(0)] * (n + 1)
    left0 = [arb(0)] * (n + 1)
    left1 = [arb(0)] * (n + 1)
    for a in range(groups.m):
        if prob.suffix[a]:
            right0[groups.start[a]] += c[a] * g[a][0]
            right1[groups.start[a]] += c[a] * g[a][1]
        else:
            left0[groups.stop[a] - 1] += c[a] * g[a][0]
            left1[groups.stop[a] - 1] += c[a] * g[a][1]
    r0, r1 = _cum(right0[:n], True)[1:], _cum(right1[:n], True)[1:]
    l0, l1 = _cum(left0[:n], False)[:-1], _cum(left1[:n], False)[:-1]
    on_support = set(sup)
    for p in range(n):
        if p in on_support:
            continue
        q = prob.ya[p] * (prob.xa[p] * (r0[p] + l0[p]) + r1[p] + l1[p])
        if not q > 1:
            return (f"margin at x = {xs[p]!r} is not proven above 1 ({q.str(5)}): a point "
                    "outside the support touches the margin (degenerate)")
    return None


def _theta_radius(prob: _Problem, lam: list, c: list, v_in: np.ndarray, center: Network) -> float:
    """Upper bound of ``||theta* - center||`` (shares ``v_j^2 / sum v^2`` from the input)."""
    from flint import arb

    g = prob.g_of(lam)
    groups = prob.groups
    w0, b0, v0 = center.arrays()
    tot = [arb(0)] * groups.m
    vb = [arb(float(t)) for t in v_in]
    for j, a in enumerate(groups.group_of.tolist()):
        if a >= 0:
            tot[a] += vb[j] * vb[j]
    acc = arb(0)
    for j, a in enumerate(groups.group_of.tolist()):
        if a < 0:
            acc += arb(float(w0[j])) ** 2 + arb(float(b0[j])) ** 2 + arb(float(v0[j])) ** 2
            continue
        vj = int(groups.sigma[a]) * (vb[j] * vb[j] / tot[a] * c[a]).sqrt()
        acc += (vj - float(v0[j])) ** 2
        acc += (vj * g[a][0] - float(w0[j])) ** 2 + (vj * g[a][1] - float(b0[j])) ** 2
    return _float_up(acc.sqrt())


def _exact_solution(prob: _Problem, xs_exact, sol: rd.Solution, r: float) -> list | None:
    """The rational point near the float solution, if it solves the system exactly."""
    z = np.concatenate([sol.lam, sol.c])
    zq = [Fraction(float(t)).limit_denominator(_SNAP_DENOMINATOR) for t in z]
    if any(abs(q - Fraction(float(t))) > Fraction(r) for q, t in zip(zq, z)):
        return None
    s = prob.s
    g = _exact_g(prob, xs_exact, zq[:s])
    sup = prob.support.tolist()
    for a, (g0, g1) in enumerate(g):
        if g0 * g0 + g1 * g1 != 1:
            return None
    for p, q in enumerate(sup):
        tot = sum(
            (zq[s + a] * (g[a][0] * xs_exact[q] + g[a][1]) for a in prob._groups_at(p)),
            Fraction(0),
        )
        if prob.ya[q] * tot != 1:
            return None
    return zq


def _exact_g(prob: _Problem, xs_exact, lam: list) -> list[tuple[Fraction, Fraction]]:
    sup = prob.support.tolist()
    out = []
    for a in range(prob.groups.m):
        g0 = g1 = Fraction(0)
        for p in range(int(prob.ps[a]), int(prob.pe[a])):
            q = sup[p]
            g0 += lam[p] * prob.ya[q] * xs_exact[q]
            g1 += lam[p] * prob.ya[q]
        out.append((g0, g1))
    return out


def _exact_breakpoints(prob: _Problem, xs_exact, zq: list) -> int:
    s = prob.s
    jumps: dict[Fraction, Fraction] = {}
    for a, (g0, g1) in enumerate(_exact_g(prob, xs_exact, zq[:s])):
        if g0 != 0:
            t = -g1 / g0
            jumps[t] = jumps.get(t, Fraction(0)) + int(prob.groups.sigma[a]) * zq[s + a] * abs(g0)
    return sum(1 for t in jumps.values() if t != 0)


def _kink_balls(prob: _Problem, g: list, c: list):
    """Kink balls and the proven range ``[lo, hi]`` of the number of breakpoints."""
    items = []
    undecided = 0
    for a, (g0, g1) in enumerate(g):
        if not (g0 > 0 or g0 < 0):
            undecided += 1  # the group may be a constant (no kink) or kink far away
            continue
        t = -g1 / g0
        jump = int(prob.groups.sigma[a]) * c[a] * abs(g0)
        items.append((_float_down(t), _float_up(t), float(t.mid()), float(t.rad()),
                      float(jump.mid()), int(prob.groups.sigma[a])))
    items.sort()
    lo = hi = 0
    i = 0
    while i < len(items):
        j, top, signs = i + 1, items[i][1], {items[i][5]}
        while j < len(items) and items[j][0] <= top:
            top = max(top, items[j][1])
            signs.add(items[j][5])
            j += 1
        hi += j - i
        lo += 1 if len(signs) == 1 else 0
        i = j
    kinks = tuple(sorted((it[2], it[3], it[4]) for it in items))
    return kinks, lo, hi + undecided
