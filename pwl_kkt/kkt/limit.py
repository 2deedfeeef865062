"""The KKT point of Problem (4) that a separating network is heading to, computed fast.

Gradient flow converges to a KKT point of Problem (4) only in direction and only like
``1 / log t`` (Lyu & Li, "Gradient Descent Maximizes the Margin of Homogeneous Neural
Networks", ICLR 2020), so a trained network is never a KKT point. :func:`kkt_limit` solves for
the nearby one directly, using the structure of KKT points (Safran, Vardi & Lee, "On the
Effective Number of Linear Regions in Shallow Univariate ReLU Networks", NeurIPS 2022,
Eqs. 5-6): neurons with the same activation pattern point the same way, so a KKT point is
fixed by its support S, its activation groups A (pattern, output sign ``sigma_A``,
``c_A = sum_{j in A} v_j^2``) and the multipliers, through the square system::

    y_i sum_{A ni i} c_A g_A . xt_i = 1   (i in S),     ||g_A||^2 = 1   (every group A),
    g_A = sum_{i in A} lambda_i y_i xt_i,  xt_i = (x_i, 1).

Algorithm (all steps structured, none dense in n x k):

1. normalize to minimum margin 1 and group the neurons by (activation half-line on the
   sorted data, sign of ``v``);
2. with the groups' activation half-lines fixed, Problem (4) for the merged group neurons
   ``a_A = c_A sigma_A g_A`` is the convex program ``min sum_A ||a_A||`` subject to the
   margins and the sign conditions that keep every half-line (two per end, since ``a_A . xt``
   is affine in x). It is solved with cvxpy over prefix-sum variables (O(n + m) nonzeros;
   Clarabel at tolerance 1e-11, so that neighbouring patterns are told apart by more than
   solver noise), and its multipliers seed S and lambda. A half-line end whose sign condition
   carries a positive multiplier wants to move: that group's range moves one point and the
   program is solved again (an active-set loop on the patterns). A move that does not lower
   the objective is undone and the next candidate (next largest multiplier) is tried;
3. Newton on the reduced square system above polishes ``(lambda_S, c)`` to float accuracy,
   inside an active-set loop on the groups and the support (``c_A >= 0``, ``lambda >= 0``
   and the margins are the inequalities): a group whose ``c_A`` vanishes or is negative
   leaves (its neurons become 0), a point whose multiplier is not positive leaves the support
   (with the flat points it pins), a point whose margin drops below 1 joins it. The number of
   rounds is bounded; a Jacobian that stays singular with nothing to drop, or a Newton that
   does not converge, ends the loop with ``converged=False`` and the reason;
4. the KKT network: neuron j of group A gets ``v_j = sigma_A sqrt(share_j c_A)`` and
   ``u_j = v_j g_A``, its share ``v_j^2 / sum_{l in A} v_l^2`` kept from the input. An input
   neuron joins the group with its output sign and activation pattern on S (the flow drives
   it like the group); neurons of no group get 0. ``eps`` and ``delta`` are recomputed from
   that network with the residual definitions of :func:`pwl_kkt.certify_kkt` (Clarke
   selection ``[z > 0]``, prefix sums over the support), not read off the solver.

That the result is *the flow's* limit is evidence, not proof: the angle between the input's
direction and the result is reported, so one can train on and watch it shrink.
"""

from __future__ import annotations

import json
import math
import time
import warnings
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ..errors import InvalidValueError
from ..model.data import Dataset, as_dataset
from ..model.network import Network
from ..training import _fastgrad as fg
from . import _reduced as rd
from .numeric import margins

__all__ = ["KKTLimit", "LimitGroup", "kkt_limit"]

_PATTERN_ROUNDS = 40
_SUPPORT_ROUNDS = 40
_WORKING_SET = 4000  # beyond this many points the margins are added as they become violated
_DEAD = 1e-8  # groups with ||a_A|| below this fraction of the largest are zero (solver residue,
# ~1e-13 at _CONE_TOL; a needed group of a badly scaled problem can be ~1e-6)
_EXACT_CHECK = 200_000  # n * k up to which an exact input is tested with verify_kkt_exact
_ALIVE = 1e-5  # multipliers above this fraction of the largest mark support points
_SEED = 1e-3  # groups above this fraction of the largest ||a_A|| enter the SLSQP seed
_CONE_TOL = 1e-11  # Clarabel's gap and feasibility tolerances for the convex program
_MOVE_TRIES = 3  # candidate pattern moves tried from one configuration before it is final
_IMPROVE = 1e-9  # relative decrease of sum ||a_A|| that counts as progress of a pattern move
_TIGHT = 1e-9  # kink tolerance of the final pass and of the active-set loop
_ZERO = 1e-9  # c_A at most this fraction of the largest is 0 (Newton resolves ~1e-14)
_FINAL_SUPPORT = 1e-8  # support tolerance of the final pass (prove_kkt_point's default)


@dataclass(frozen=True)
class LimitGroup:
    """One activation group of a KKT point.

    Attributes
    ----------
    pattern : tuple of int
        The support points (input indices) on which the group's neurons are active.
    sign : int
        ``sigma_A``, the sign of the neurons' output weights.
    c : float
        ``c_A = sum_{j in A} v_j^2``.
    g : tuple of float
        ``g_A = sum_{i in A} lambda_i y_i (x_i, 1)``, a unit vector; every neuron of the group
        has ``(w_j, b_j) = v_j g_A``, kink at ``-g_A[1] / g_A[0]``.
    neurons : tuple of int
        The neurons of the group.

    Examples
    --------
    Example 1 of Safran, Vardi & Lee (NeurIPS 2022): one group, the constant neuron.

    >>> net = Network([0.0, 0.0], [1.0, 0.0], [1.0, 0.0])
    >>> kkt_limit(net, [4, -4], [1, 1]).groups
    (LimitGroup(pattern=(0, 1), sign=1, c=1.0, g=(0.0, 1.0), neurons=(0,)),)
    """

    pattern: tuple[int, ...]
    sign: int
    c: float
    g: tuple[float, float]
    neurons: tuple[int, ...]


@dataclass(frozen=True)
class KKTLimit:
    """The KKT point of Problem (4) found from a separating network (see :func:`kkt_limit`).

    Attributes
    ----------
    network : Network
        The KKT network of the same width, normalized to minimum margin 1.
    lambdas : tuple of float
        One multiplier per data point (input order), zero off the support.
    support : tuple of int
        The support points (margin 1), input indices in increasing order.
    groups : tuple of LimitGroup
    eps, delta : float
        Relative stationarity residual and complementary-slackness mass of ``network`` with
        ``lambdas`` (definitions of :func:`pwl_kkt.certify_kkt`).
    angle : float
        Angle (radians) between the input's parameter vector and ``network``'s.
    sq_norm_before, sq_norm_after : float
        ``||theta||^2`` of the input normalized to margin 1, and of ``network``.
    seconds : float
        Wall time.
    method : str
        How the point was found.
    iterations : int
        Pattern rounds plus Newton/support rounds.
    converged : bool
        The reduced system was solved to float accuracy and every open condition (positive
        multipliers and ``c_A``, strict patterns, margins above 1 off the support) holds in
        float. A proof is :attr:`proof` (``kkt_limit(..., prove=True)``).
    reason : str
        Why not converged (or a one-line summary when converged).
    proof : KKTProof or None
        The ball-arithmetic proof when asked for.

    Examples
    --------
    >>> lim = kkt_limit(Network([0.0, 0.0], [1.0, 0.0], [1.0, 0.0]), [4, -4], [1, 1])
    >>> lim.converged, lim.angle, lim.lambdas
    (True, 0.0, (0.5, 0.5))
    """

    network: Network
    lambdas: tuple[float, ...]
    support: tuple[int, ...]
    groups: tuple[LimitGroup, ...]
    eps: float
    delta: float
    angle: float
    sq_norm_before: float
    sq_norm_after: float
    seconds: float
    method: str
    iterations: int
    converged: bool
    reason: str
    proof: Any = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (the network as float lists, the proof nested).

        Examples
        --------
        >>> lim = kkt_limit(Network([0.0], [1.0], [1.0]), [4, -4], [1, 1])
        >>> sorted(lim.to_dict())[:3]
        ['angle', 'converged', 'delta']
        """
        w, b, v = self.network.to_float().arrays()
        d = {f.name: getattr(self, f.name) for f in self.__dataclass_fields__.values()}
        d["network"] = {"w": w.tolist(), "b": b.tolist(), "v": v.tolist()}
        d["lambdas"] = list(self.lambdas)
        d["support"] = list(self.support)
        d["groups"] = [asdict(g) for g in self.groups]
        d["proof"] = None if self.proof is None else self.proof.to_dict()
        return d

    def to_json(self) -> str:
        """JSON text of :meth:`to_dict`."""
        return json.dumps(self.to_dict(), indent=2)


# --- the pattern-fixed convex program ------------------------------------------------------------


@dataclass(frozen=True)
class _Cone:
    a: np.ndarray  # m x 2
    lam: np.ndarray  # multipliers of the working-set margins
    work: np.ndarray  # sorted positions of the working set
    moves: tuple[tuple[int, int, int], ...]  # (group, end: 0 start / 1 stop, -1 or +1), best first
    status: str
    value: float = math.inf


def _ends(groups: rd.Groups, n: int) -> list[tuple[np.ndarray, np.ndarray, float, int, int]]:
    """Sign conditions ``sense * a_A . xt_p >= 0`` that keep each group's half-line.

    Rows ``(groups, positions, sense, which end (0 start, 1 stop), move if it binds)``.
    """
    st, sp_ = groups.start, groups.stop
    idx = np.arange(groups.m)
    out = []
    inner = st > 0
    out.append((idx[inner], st[inner] - 1, -1.0, 0, -1))  # x_{start-1} inactive
    out.append((idx, st, 1.0, 0, +1))  # x_start active
    out.append((idx, sp_ - 1, 1.0, 1, -1))  # x_{stop-1} active
    inner = sp_ < n
    out.append((idx[inner], sp_[inner], -1.0, 1, +1))  # x_stop inactive
    return out


def _cone(data, groups: rd.Groups, work: np.ndarray, solver: str | None) -> _Cone:
    import cvxpy as cp
    import scipy.sparse as sp

    m, nw, n = groups.m, work.size, data.n
    xw, yw = data.xs[work], data.ys[work]
    af = cp.Variable(2 * m)
    suffix = groups.stop == n
    cols = np.arange(m)
    # suffix groups enter at the first working point of their range, prefix groups leave
    # after the last one; R and L accumulate sigma_A a_A from the left and from the right.
    enter = np.searchsorted(work, groups.start, side="left")
    leave = np.searchsorted(work, groups.stop, side="left")
    rows_s = enter[suffix]
    ok_s = rows_s < nw
    rows_p = leave[~suffix]
    ok_p = rows_p > 0

    def scatter(rows, sel, d):
        g = cols[sel]
        return sp.csr_matrix(
            (groups.sigma[g].astype(float), (rows, 2 * g + d)), shape=(max(nw, 1), 2 * m)
        )

    R = cp.Variable((nw, 2))
    L = cp.Variable((nw + 1, 2))
    diff_r = sp.diags([np.ones(nw), -np.ones(nw - 1)], [0, -1], shape=(nw, nw), format="csr")
    diff_l = sp.diags([np.ones(nw), -np.ones(nw)], [0, 1], shape=(nw, nw + 1), format="csr")
    cons = [L[nw, :] == 0]
    ss = np.flatnonzero(suffix)[ok_s]
    pp = np.flatnonzero(~suffix)[ok_p]
    for d in (0, 1):
        cons.append(diff_r @ R[:, d] == scatter(rows_s[ok_s], ss, d)[:nw] @ af)
        cons.append(diff_l @ L[:, d] == scatter(rows_p[ok_p] - 1, pp, d)[:nw] @ af)
    slope = R[:, 0] + L[:nw, 0]
    icpt = R[:, 1] + L[:nw, 1]
    margin = cp.multiply(yw * xw, slope) + cp.multiply(yw, icpt) >= 1
    cons.append(margin)
    ends = []
    for g, p, sense, which, move in _ends(groups, n):
        if g.size == 0:
            continue
        mat = sp.csr_matrix(
            (
                np.concatenate([sense * data.xs[p], sense * np.ones(g.size)]),
                (np.tile(np.arange(g.size), 2), np.concatenate([2 * g, 2 * g + 1])),
            ),
            shape=(g.size, 2 * m),
        )
        con = mat @ af >= 0
        cons.append(con)
        ends.append((g, which, move, con))
    obj = cp.sum(cp.norm(cp.reshape(af, (m, 2), order="C"), 2, axis=1))
    prob = cp.Problem(cp.Minimize(obj), cons)
    try:
        with warnings.catch_warnings():
            # "optimal_inaccurate" (Clarabel short of 1e-11) is a status handled below: the
            # point only seeds Newton, and the result is checked from the network found
            warnings.filterwarnings("ignore", "Solution may be inaccurate", UserWarning)
            prob.solve(**_solver_options(solver))
    except cp.error.SolverError as exc:
        return _Cone(np.zeros((m, 2)), np.zeros(nw), work, (), f"solver_error: {exc}")
    if af.value is None or margin.dual_value is None:
        return _Cone(np.zeros((m, 2)), np.zeros(nw), work, (), str(prob.status))
    a = np.asarray(af.value, dtype=float).reshape(m, 2)
    lam = np.maximum(np.asarray(margin.dual_value, dtype=float).reshape(-1), 0.0)
    scale = max(float(lam.max()) if lam.size else 0.0, 1e-300)
    live = np.linalg.norm(a, axis=1) > _DEAD * max(float(np.linalg.norm(a, axis=1).max()), 1e-300)
    shift = [np.zeros(m, dtype=np.int64), np.zeros(m, dtype=np.int64)]
    best = [np.zeros(m), np.zeros(m)]
    for g, which, move, con in ends:
        dual = np.asarray(con.dual_value, dtype=float).reshape(-1)
        want = (dual > _dual_floor(solver) * scale) & live[g] & (dual > best[which][g])
        shift[which][g[want]] = move
        best[which][g[want]] = dual[want]
    # A full-range group may move only one end (its active set must stay a half-line).
    both = (shift[0] != 0) & (shift[1] != 0)
    keep_start = both & (best[0] >= best[1])
    shift[1][keep_start] = 0
    shift[0][both & ~keep_start] = 0
    # The candidate moves, largest multiplier first; the caller makes one per round (moving
    # several ends at once can cycle between two configurations that each want the other).
    cand = [(float(best[e][g]), int(g), e, int(shift[e][g]))
            for e in (0, 1) for g in np.flatnonzero(shift[e])]
    cand.sort(key=lambda t: -t[0])
    value = float(np.linalg.norm(a, axis=1).sum())
    return _Cone(a, lam, work, tuple((g, e, mv) for _, g, e, mv in cand), str(prob.status),
                 value)


def _solver_options(solver: str | None) -> dict[str, Any]:
    """Clarabel (cvxpy's default here) at tolerance ``_CONE_TOL``; other solvers as they come.

    At Clarabel's default (1e-8) the optimal values of neighbouring patterns differ by solver
    noise (measured: 1e-6 relative at n = 5000), so pattern moves are judged on noise, and
    groups that vanish at the optimum keep norms of 1e-4 relative.
    """
    if solver not in (None, "CLARABEL"):
        return {"solver": solver}
    return {"solver": "CLARABEL", "tol_gap_abs": _CONE_TOL, "tol_gap_rel": _CONE_TOL,
            "tol_feas": _CONE_TOL, "tol_ktratio": 100 * _CONE_TOL, "max_iter": 400}


def _dual_floor(solver: str | None) -> float:
    """Sign-condition multipliers below this times the largest margin multiplier are 0.

    The solver's noise on them is about its tolerance times the margin multipliers (measured
    2e-12 of them at ``_CONE_TOL``), while a wanted move's multiplier is of the order of
    ``1 / ||xt_p||`` whatever their size (0.29 for two points 1e-6 apart with multipliers 1e6).
    """
    return 1e-8 if solver in (None, "CLARABEL") else 1e-6


def _free_patterns(data, groups: rd.Groups, a: np.ndarray, live: np.ndarray, work: np.ndarray):
    """A short SLSQP on the merged live groups with free patterns: new ranges, or None.

    Variables: ``a_A`` (2 per live group, a handful); objective ``sum_A ||a_A||``; constraints
    ``y_i sum_A sigma_A relu(a_A . xt_i) >= 1`` on the working set. This only seeds the
    activation patterns (a kink may have to cross many data points, which the one-point moves
    of the pattern-fixed program would take many rounds for); the KKT point itself comes from
    the convex program and the reduced system.
    """
    from scipy.optimize import minimize

    idx = np.flatnonzero(live)
    sig = groups.sigma[idx].astype(float)
    xw, yw = data.xs[work], data.ys[work]
    xt = np.stack([xw, np.ones_like(xw)], axis=1)

    def fun(z):
        A = z.reshape(-1, 2)
        nrm = np.linalg.norm(A, axis=1)
        return float(nrm.sum()), (A / np.maximum(nrm, 1e-300)[:, None]).ravel()

    def cons(z):
        pre = xt @ z.reshape(-1, 2).T  # n_w x L
        return yw * (np.maximum(pre, 0.0) @ sig) - 1.0

    def jac(z):
        pre = xt @ z.reshape(-1, 2).T
        act = (pre > 0) * sig[None, :] * yw[:, None]
        return np.einsum("il,id->ild", act, xt).reshape(xw.size, -1)

    res = minimize(fun, a[idx].ravel(), jac=True, method="SLSQP",
                   constraints=[{"type": "ineq", "fun": cons, "jac": jac}],
                   options={"maxiter": 200, "ftol": 1e-12})
    A = res.x.reshape(-1, 2)
    if not np.isfinite(A).all() or (cons(res.x) <= -1.0).any():
        # a misclassified point: keep the input's patterns. (Margins slightly below 1 are
        # fine: N is 1-homogeneous in the a_A, the patterns are what the seed is for, and an
        # iteration limit is fine too.)
        return None
    pre = data.xs[:, None] * A[:, 0][None, :] + A[:, 1][None, :] > 0  # n x L, strict
    start, stop = groups.start.copy(), groups.stop.copy()
    for col, g in enumerate(idx.tolist()):
        on = np.flatnonzero(pre[:, col])
        if on.size == 0 or on[-1] - on[0] + 1 != on.size:
            return None
        start[g], stop[g] = on[0], on[-1] + 1
    return start, stop


# --- public ------------------------------------------------------------------------------------


def _angle(a: np.ndarray, b: np.ndarray) -> float:
    """Angle between two vectors, accurate near 0 (``2 atan2(|a^ - b^|, |a^ + b^|)``)."""
    ua, ub = a / np.linalg.norm(a), b / np.linalg.norm(b)
    return float(2.0 * math.atan2(np.linalg.norm(ua - ub), np.linalg.norm(ua + ub)))


def _check_tol(value: float, name: str) -> float:
    f = float(value)
    if not (math.isfinite(f) and 0 < f < 1):
        raise InvalidValueError(f"{name} = {value!r} must be a finite number in (0, 1)")
    return f


def kkt_limit(
    net: Network,
    x: object,
    y: object | None = None,
    *,
    prove: bool = False,
    support_tol: float = 1e-6,
    solver: str | None = None,
) -> KKTLimit:
    """The KKT point of Problem (4) near ``net``, same width, normalized to margin 1.

    See the module docstring for the algorithm: a pattern-fixed convex program seeds the
    support and the multipliers, Newton on the reduced square system polishes them, and the
    KKT network keeps each neuron's share of its group from the input.

    Parameters
    ----------
    net : Network
        Any network that classifies every point strictly correctly (trained, loaded from
        PyTorch, hand-built).
    x, y
        A :class:`~pwl_kkt.Dataset`, or inputs and labels in {-1, +1}.
    prove : bool
        Also prove the result with ball arithmetic (:func:`pwl_kkt.prove_kkt_point`); the
        proof is in :attr:`KKTLimit.proof`.
    support_tol : float
        At the convex program's solution (accurate to about 1e-10), a point whose margin
        exceeds 1 by at most this much is on the margin, and one this close (relatively) to
        a group's kink is on the kink. The final pass uses 1e-8 for the margin (the default
        of :func:`prove_kkt_point`) and 1e-9 for the kink.
    solver : str, optional
        cvxpy solver for the convex program (default: cvxpy's choice, Clarabel).

    Returns
    -------
    KKTLimit
        An exact input (``net.is_exact``, ``n k <= 200000``) that :func:`verify_kkt_exact`
        proves to be a KKT point is returned as it is (scaled to margin 1, angle 0).
        ``converged`` is ``False`` (with ``reason``) when the solve did not reach a point
        satisfying every KKT condition in float; what was reached is returned anyway.

    Raises
    ------
    MisclassifiedError
        ``net`` does not classify every point strictly correctly.
    NotSeparableError, InvalidDataError, InvalidValueError
        Conflicting labels, malformed data, NaN, a bad ``support_tol``.

    Examples
    --------
    A network that separates the data but is no KKT point (its kink is not where the
    multipliers put it) moves to one; the angle says how far:

    >>> lim = kkt_limit(Network([1.0, -1.0], [0.5, 0.5], [1.0, 1.0]), [-1, 1], [1, 1])
    >>> lim.converged, lim.eps < 1e-12, round(lim.sq_norm_after, 6)
    (True, True, 2.0)
    """
    start = time.perf_counter()
    support_tol = _check_tol(support_tol, "support_tol")
    ds = as_dataset(x, y).require_separable()
    q_in = margins(net, ds)  # raises MisclassifiedError
    m_min = float(q_in.min())
    w0, b0, v0 = (t / math.sqrt(m_min) for t in net.to_float().arrays())
    theta_in = np.concatenate([w0, b0, v0])
    data, order = rd.sorted_data(ds.x_float, ds.y)
    k = w0.size
    if net.is_exact and ds.n * k <= _EXACT_CHECK:
        exact = _exact_input(net, ds, theta_in, start)
        if exact is not None:
            return _with_proof(exact, net, ds, prove)
    groups = rd.groups_of(w0, b0, v0, data)
    qs = q_in[order] / m_min
    if data.n <= _WORKING_SET:
        work = np.arange(data.n)
    else:
        work = np.sort(np.argsort(qs, kind="stable")[:_WORKING_SET])
    rounds = 0
    reason = ""
    cone = best = None
    seeded = False
    tried = 0
    for rounds in range(1, _PATTERN_ROUNDS + 1):  # noqa: B007 - the count is reported
        cone = _cone(data, groups, work, solver)
        if cone.status not in ("optimal", "optimal_inaccurate"):
            if best is None:
                reason = f"the pattern-fixed convex program failed: {cone.status}"
                break
            groups, cone = best
            break
        if not seeded:
            seeded = True
            cn = np.linalg.norm(cone.a, axis=1)
            top = max(float(cn.max()) if cn.size else 0.0, 1e-300)
            # the seed moves the groups that matter; fading ones stay for the convex program
            moved = _free_patterns(data, groups, cone.a, cn > _SEED * top, work)
            if moved is not None:
                live = cn > _DEAD * top
                groups = rd.regroup(groups, live, moved[0], moved[1], v0)
                continue
        trial = rd.network(groups, _dirs(cone.a, groups), np.linalg.norm(cone.a, axis=1), k)
        low = np.flatnonzero(rd.sorted_margins(trial, data) < 1 - 1e-7)
        missing = np.setdiff1d(low, work)
        if missing.size:
            work = np.union1d(work, missing)
            continue
        if best is not None and not cone.value < best[1].value * (1 - _IMPROVE):
            # the move did not lower the norm beyond solver accuracy: back to the best
            # patterns, and their next candidate move (at a degenerate optimum a kink sits on
            # a data point and both of its moves are "wanted" and useless, while another
            # group's move is the one that helps)
            groups, cone = best
            tried += 1
            if tried >= min(len(cone.moves), _MOVE_TRIES):
                break
            groups = _moved(groups, cone.moves[tried], v0)
            continue
        best, tried = (groups, cone), 0
        if not cone.moves:
            break
        groups = _moved(groups, cone.moves[0], v0)
    else:
        reason = f"the activation patterns still moved after {_PATTERN_ROUNDS} rounds"
    assert cone is not None
    cnorm = np.linalg.norm(cone.a, axis=1)
    keep = cnorm > _DEAD * max(float(cnorm.max()) if cnorm.size else 0.0, 1e-300)
    trial = rd.network(groups, _dirs(cone.a, groups), cnorm * keep, k)
    if reason:
        return _finish(trial, None, None, None, data, order, ds, theta_in, rounds, start,
                       reason, prove, net)
    q1 = rd.sorted_margins(trial, data)
    lam_full = np.zeros(data.n)
    lam_full[cone.work] = cone.lam
    # margin 1 to the solver's accuracy, or a multiplier the solver did not zero
    s0 = np.flatnonzero((q1 <= 1.0 + support_tol)
                        | (lam_full > _ALIVE * max(float(lam_full.max()), 1e-300)))
    groups1, st, sol = rd.from_network(data, *trial.arrays(), s0, support_tol, lam_full)
    part = _support_loop(data, groups1, st, sol, trial, k)
    # Read the structure off the network found, with the prover's tight tolerances, and
    # solve again: the result is then exactly what prove_kkt_point checks.
    q2 = rd.sorted_margins(part.net, data)
    if q2.min() > 0:
        polished = part.net.scaled(1.0 / math.sqrt(float(q2.min())))
        g3, st3, sol3 = rd.from_network(data, *polished.arrays(), np.flatnonzero(
            q2 / q2.min() <= 1.0 + _FINAL_SUPPORT), _TIGHT)
        if sol3.converged:
            net3, bad = rd.float_checks(data, g3, st3, sol3, k)
            if not bad:
                part = _Partial(net3, g3, st3, sol3, "", part.rounds + 1)
    if part.sol is not None:
        members = _adopt(part.groups, part.st, data, w0, b0, v0)
        part = _Partial(rd.network(members, rd.directions(data, part.groups, part.st, part.sol),
                                   part.sol.c, k), members, part.st, part.sol, part.reason,
                        part.rounds)
    return _finish(part.net, part.groups, part.st, part.sol, data, order, ds, theta_in,
                   rounds + part.rounds, start, part.reason, prove, net)


def _adopt(groups: rd.Groups, st: rd.Structure, data, w0: np.ndarray, b0: np.ndarray,
           v0: np.ndarray) -> rd.Groups:
    """Input neurons of no group join the group with their output sign and pattern on S.

    Under the flow a neuron is driven by the multipliers of the support points it is active
    on, so one with group A's pattern on the support turns toward ``g_A`` and grows with the
    group; neurons that only the convex program's solution told apart (it zeroes all but one
    neuron per pattern) are members too. Every member keeps its share ``v_j^2`` of ``c_A``
    from the input. A support point on the group's kink may count on either side.
    """
    sup = st.support
    glo, ghi = np.searchsorted(sup, groups.start), np.searchsorted(sup, groups.stop)
    table: dict[tuple[int, int, int], int] = {}
    for a in range(groups.m):
        sig, lo, hi = int(groups.sigma[a]), int(glo[a]), int(ghi[a])
        table.setdefault((sig, lo, hi), a)
        if groups.kink[a] >= 0:
            p = int(np.searchsorted(sup, groups.kink[a]))
            table.setdefault((sig, p, hi) if groups.kink[a] < groups.start[a] else
                             (sig, lo, p + 1), a)
    act = fg.activity(w0, b0, data)
    lo, hi = np.searchsorted(sup, act.lo), np.searchsorted(sup, act.hi)
    sign = np.sign(v0).astype(np.int64)
    group_of = groups.group_of.copy()
    for j in np.flatnonzero((group_of < 0) & (sign != 0) & (hi > lo)):
        group_of[j] = table.get((int(sign[j]), int(lo[j]), int(hi[j])), -1)
    return rd.with_members(groups, group_of, v0)


def _moved(groups: rd.Groups, move: tuple[int, int, int], v0: np.ndarray) -> rd.Groups:
    """``groups`` with one end of one group's range moved by one data point."""
    g, end, step = move
    ends = [groups.start.copy(), groups.stop.copy()]
    ends[end][g] += step
    return rd.regroup(groups, np.ones(groups.m, dtype=bool), ends[0], ends[1], v0)


def _dirs(a: np.ndarray, groups: rd.Groups) -> np.ndarray:
    norm = np.linalg.norm(a, axis=1)
    safe = np.where(norm > 0, norm, 1.0)
    return groups.sigma[:, None] * a / safe[:, None]


@dataclass(frozen=True)
class _Partial:
    net: Network
    groups: rd.Groups | None
    st: rd.Structure | None
    sol: rd.Solution | None
    reason: str
    rounds: int = 0


def _support_loop(data, groups: rd.Groups, st: rd.Structure, sol: rd.Solution, trial: Network,
                  k: int) -> _Partial:
    """Newton on the reduced system inside an active-set loop on the groups and the support.

    The KKT conditions are equations on the active set and inequalities off it: ``c_A >= 0``,
    ``lambda_i >= 0``, margins ``>= 1``. Each round solves the square system of the current
    active set and then changes it by the first rule that applies:

    * a group whose ``c_A`` vanishes (at most ``_ZERO`` of the largest; a degenerate group of
      the solution, which makes the Jacobian singular) or is the most negative leaves: its
      neurons become 0, which is stationary whatever the multipliers;
    * the point with the most negative multiplier leaves the support;
    * the point off the support with the lowest margin below 1 joins it.

    After a change the structure is rebuilt for the new active set (:func:`_resolve`: groups
    merged by pattern, kinks on support points, flat pieces) and solved from the current
    solution. Ends when no rule applies (then every open condition is checked in float), when
    the Jacobian is singular with nothing to drop, when Newton does not converge, or after
    ``_SUPPORT_ROUNDS`` rounds, saying which.
    """
    for rounds in range(1, _SUPPORT_ROUNDS + 1):
        top = max(float(sol.c.max(initial=0.0)), 1e-300)
        gone = np.abs(sol.c) <= _ZERO * top
        if sol.solved and sol.c.min() < -_ZERO * top:  # only the most negative one leaves
            gone |= sol.c == sol.c.min()
        # a vanishing group also stalls Newton (the system may have no solution with it)
        if gone.all():
            return _fallback(trial, "every group's c_A vanished or turned negative", rounds)
        if gone.any() and np.isfinite(sol.c).all():
            groups, st, sol = _resolve(data, groups, st, sol, k, gone, None)
            continue
        if not sol.solved:
            return _fallback(trial, f"Newton did not converge on the reduced system (|F| = "
                             f"{sol.residual:.2g}, cond = {sol.cond:.2g})", rounds)
        if sol.lam.size and sol.lam.min() <= 0:
            groups, st, sol = _resolve(data, groups, st, sol, k, None,
                                       int(st.support[np.argmin(sol.lam)]))
            continue
        if not sol.converged:
            return _fallback(trial, f"Jacobian singular on the reduced system (|F| = "
                             f"{sol.residual:.2g}, cond = {sol.cond:.2g}) with every c_A and "
                             "multiplier positive", rounds)
        net, bad = rd.float_checks(data, groups, st, sol, k)
        q = rd.sorted_margins(net, data)
        q[np.concatenate([st.support, st.flat])] = np.inf
        worst = int(np.argmin(q))
        if q[worst] < 1.0 - 1e-12:
            groups, st, sol = _resolve(data, groups, st, sol, k, None, None, worst)
            continue
        return _Partial(net, groups, st, sol, "; ".join(bad), rounds)
    return _fallback(trial, f"the active set did not settle in {_SUPPORT_ROUNDS} rounds",
                     _SUPPORT_ROUNDS)


def _fallback(trial: Network, why: str, rounds: int) -> _Partial:
    return _Partial(trial, None, None, None, f"{why}; the convex program's point is returned",
                    rounds)


def _resolve(data, groups: rd.Groups, st: rd.Structure, sol: rd.Solution, k: int,
             drop_groups: np.ndarray | None, drop_point: int | None, add_point: int | None = None):
    """The reduced system of the changed active set, solved from the current solution.

    The groups keep their activation ranges (a solution that is not yet a KKT point need not
    keep them, so they are not read off its network); dropped groups lose their neurons, a
    kink on a dropped point is released, and the structure (merged patterns, kinks on
    support points, flat pieces) is rebuilt for the new support.
    """
    c = sol.c if drop_groups is None else np.where(drop_groups, 0.0, sol.c)
    w, b, v = rd.network(groups, rd.directions(data, groups, st, sol), c, k).arrays()
    s0 = np.union1d(st.support, st.flat)
    kink = groups.kink
    if drop_point is not None:
        # the flat points pinned by the dropped point go with it: their multipliers are 0 only
        # by the choice of the two anchors (any nonnegative ones with the anchors' moments
        # would do, and a negative anchor says there are none); points that then fall below
        # margin 1 come back one at a time
        pinned = st.flat[(st.anchors == drop_point).any(axis=1)]
        s0 = np.setdiff1d(s0, np.concatenate([[drop_point], pinned]))
        kink = np.where(kink == drop_point, -1, kink)
    if add_point is not None:
        s0 = np.union1d(s0, [add_point])
    keep = np.ones(groups.m, dtype=bool) if drop_groups is None else ~drop_groups
    groups = rd.regroup(groups, keep, groups.start, groups.stop, v, kink)
    prior = np.zeros(data.n)
    prior[st.support] = np.maximum(sol.lam, 0.0)
    return rd.solve_groups(data, groups, w, b, v, s0, _TIGHT, prior)


def _finish(net: Network, groups, st, sol, data, order, ds: Dataset, theta_in, rounds: int,
            start: float, reason: str, prove: bool, net_in: Network) -> KKTLimit:
    q = rd.sorted_margins(net, data)
    if q.min() > 0:
        net = net.scaled(1.0 / math.sqrt(float(q.min())))
    elif sol is None:  # an unconverged point that misclassifies: the input is the better answer
        net = Network(*np.split(theta_in, 3))
        reason += " -- it misclassifies a point, so the input (normalized) is returned instead"
    lambdas = np.zeros(ds.n)
    if sol is not None:
        eps, delta = rd.stationarity(net, data, st, groups, sol)
        lambdas[order[st.support]] = sol.lam
        G = rd.directions(data, groups, st, sol)
        out_groups = _limit_groups(groups, G, sol.c, order, st.support)
        support = tuple(sorted(int(i) for i in order[np.concatenate([st.support, st.flat])]))
    else:
        from .numeric import certify_kkt

        cert = certify_kkt(net, ds, support_tol=1e-6)
        eps, delta, lambdas = cert.eps, cert.delta, np.array(cert.lambdas)
        out_groups, support = (), cert.support
    theta = np.concatenate(net.to_float().arrays())
    converged = sol is not None and not reason
    if converged:
        reason = (f"reduced system solved (|F| = {sol.residual:.1g}); {len(out_groups)} "
                  f"group(s), {st.support.size} support point(s) with multipliers, "
                  f"{st.pair_pos.size} kink(s) on support points, {st.flat.size} flat point(s)")
    result = KKTLimit(
        network=net,
        lambdas=tuple(lambdas.tolist()),
        support=support,
        groups=out_groups,
        eps=eps,
        delta=delta,
        angle=_angle(theta_in, theta) if np.linalg.norm(theta) > 0 else math.pi,
        sq_norm_before=float(theta_in @ theta_in),
        sq_norm_after=float(theta @ theta),
        seconds=time.perf_counter() - start,
        method="pattern-fixed convex program (cvxpy) + Newton on the reduced system",
        iterations=rounds,
        converged=converged,
        reason=reason,
    )
    return _with_proof(result, net_in, ds, prove)


def _limit_groups(groups: rd.Groups, G, c, order, sup) -> tuple[LimitGroup, ...]:
    out = []
    for a in range(groups.m):
        members = np.flatnonzero(groups.group_of == a)
        if members.size == 0:
            continue
        inside = sup[(sup >= groups.start[a]) & (sup < groups.stop[a])]
        out.append(
            LimitGroup(
                pattern=tuple(sorted(int(i) for i in order[inside])),
                sign=int(groups.sigma[a]),
                c=float(c[a]),
                g=(float(G[a, 0]), float(G[a, 1])),
                neurons=tuple(int(j) for j in members),
            )
        )
    return tuple(out)


def _exact_input(net: Network, ds: Dataset, theta_in, start: float) -> KKTLimit | None:
    """An exact input that *is* a KKT point is its own limit (decided by verify_kkt_exact)."""
    from fractions import Fraction

    from .exact import verify_kkt_exact

    res = verify_kkt_exact(net, ds)
    if not res.is_kkt:
        return None
    m = res.min_margin
    root = Fraction(math.isqrt(m.numerator), math.isqrt(m.denominator))
    out = net.scaled(1 / root) if root * root == m else net.to_float().scaled(1 / math.sqrt(m))
    lam = tuple(float(t) for t in res.lambdas)
    data, order = rd.sorted_data(ds.x_float, ds.y)
    w, b, v = out.to_float().arrays()
    groups = rd.groups_of(w, b, v, data)
    target, c, _ = rd.targets(groups, w, b, v)
    theta = np.concatenate([w, b, v])
    return KKTLimit(
        network=out,
        lambdas=lam,
        support=tuple(sorted(res.support)),
        groups=_limit_groups(groups, target, c, order, np.sort(np.argsort(order)[
            list(res.support)])),
        eps=0.0,  # proven exactly by verify_kkt_exact
        delta=0.0,
        angle=0.0,
        sq_norm_before=float(theta_in @ theta_in),
        sq_norm_after=float(theta @ theta),
        seconds=time.perf_counter() - start,
        method="the input is an exact KKT point (verify_kkt_exact)",
        iterations=0,
        converged=True,
        reason="the input is an exact KKT point: " + res.reason,
    )


def _with_proof(result: KKTLimit, net_in: Network, ds: Dataset, prove: bool) -> KKTLimit:
    if not prove:
        return result
    from dataclasses import replace

    from .proof import prove_kkt_point

    source = net_in if result.angle == 0.0 and net_in.is_exact else result.network
    t0 = time.perf_counter()
    proof = prove_kkt_point(source, ds)
    return replace(result, proof=proof, seconds=result.seconds + time.perf_counter() - t0)
