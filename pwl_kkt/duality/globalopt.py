"""Global optimality of a KKT point, for every width, decided by duality.

Weak duality. Let ``lambda >= 0`` and suppose ``|G_lambda(u)| <= 1`` on
the unit circle, ``G_lambda(u) = sum_i lambda_i y_i relu(u . xt_i)``, ``xt_i = (x_i, 1)``.
For any feasible ``theta`` of any width (``y_i N(x_i) >= 1``), writing
``(w_j, b_j) = r_j u_j`` with ``r_j = ||(w_j, b_j)||`` and ``||u_j|| = 1``::

    sum_i lambda_i <= sum_i lambda_i y_i N(x_i)                     (lambda >= 0, margins >= 1)
                    = sum_j v_j r_j sum_i lambda_i y_i relu(u_j . xt_i)   (relu is 1-homogeneous)
                    = sum_j v_j r_j G(u_j)
                   <= max|G| sum_j |v_j| r_j
                   <= max|G| sum_j (v_j^2 + r_j^2) / 2 = max|G| 1/2 ||theta||^2.

So ``max|G| <= 1`` gives ``sum_i lambda_i <= 1/2 ||theta||^2`` for *every* feasible theta. At a
KKT point with multipliers lambda (after normalising theta to margin 1), Euler's identity gives
``||theta||^2 = 2 sum_i lambda_i``: the lower bound is attained, and theta is a **global
optimum for every width** (proof kind ``"weak-duality"``), with ``P* = sum_i lambda_i``.

Refutation. If ``|G(u)| > 1`` at some ``u``, the constraint of the dual program
``max sum lambda s.t. max |G_lambda| <= 1`` is violated; when every multiplier vector of the KKT
point violates it (checked by minimising ``max|G|`` over the convex multiplier set with cvxpy),
inserting a neuron along ``u`` with output sign ``sign G(u)`` while re-aiming the existing
neurons within their activation sectors lowers the norm. The network is built explicitly: the
cone program of :mod:`pwl_kkt.duality.optimum` restricted to the activation patterns of the existing
neurons (with their output signs) plus the pattern of ``u`` (with ``sign G(u)``) gives at most
``k + 1`` neurons; it is rounded to rationals, rescaled by a rational factor to margin ``>= 1``,
and its feasibility and its strictly smaller norm are checked in exact arithmetic (proof kind
``"improving-network"``). Merely adding a small neuron along ``u`` and rescaling is *not* enough
in general: in Safran et al.'s Example 1 the new neuron only serves the point ``x = 4``, and the
bias neuron must be re-aimed towards ``x = -4`` at the same time (see docs/global_optimality.md).
If the restricted program does not improve, the full optimum of :func:`global_max_margin` is
used instead (its width is reported).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import sympy

from .._rational import fraction_text, fraction_to_float
from ..errors import InvalidDataError, MisclassifiedError
from ..model._scale import sqrt_float, unit_exponent, unit_scaled
from ..model.data import Dataset, as_dataset
from ..model.network import Network
from .dual import DualMaximum, max_abs_dual

__all__ = ["GlobalCertificate", "certify_global"]

_PROOFS = ("weak-duality", "improving-network", "not-kkt", "numeric", "inconclusive")


@dataclass(frozen=True)
class GlobalCertificate:
    """Proof that a network is (or is not) a global max-margin optimum for every width.

    The verdict is about ``theta / sqrt(m)`` (margin 1), ``m = min_i y_i N(x_i)``: about the
    direction of theta, and about theta itself only when ``m = 1`` (``normalized`` False).

    Attributes
    ----------
    is_global : bool or None
        ``True``: proved (exact path) or certified at tolerance (float path). ``False``: refuted
        with a checkable witness. ``None``: inconclusive (``reason`` has the numbers).
    proof : str
        ``"weak-duality"`` (exact multipliers with ``max|G| <= 1``), ``"numeric"`` (float path:
        KKT at tolerance and ``max|G| <= 1 + tol``), ``"improving-network"`` (an explicit
        network with every margin ``>= 1`` and a strictly smaller norm, both checked in exact
        rationals on either path), ``"not-kkt"`` (exact path: no multipliers exist, proved by
        a Farkas vector, so theta is not even a KKT point; an improving network is attached
        when one was found) or ``"inconclusive"`` (neither a certificate nor a witness).
    exact : bool
        Whether every check was made in exact rationals.
    lambdas : tuple
        The multipliers used (Fractions on the exact path).
    max_sq : Fraction or None
        ``max |G_lambda|^2`` exactly.
    max_abs_float : float
        ``max |G_lambda|``.
    direction : tuple or None
        A (rational, unnormalised) direction ``u = (w, b)`` with ``|G(u/||u||)| > 1``.
    value : Fraction or float
        ``1/2 ||theta||^2`` of the network normalised to margin 1 (``||theta||^2 / (2 m)``).
    improving : Network or None
        A feasible network (margins ``>= 1``) with ``1/2 ||theta'||^2 < value``.
    improving_value : Fraction or float or None
        Its ``1/2 ||theta'||^2``.
    P_star : float
        The infinite-width optimum (``sum lambda`` when certified, else the cone program's).
    P_star_exact : str or None
        ``P*`` exactly (``sum lambda`` on a certified exact path).
    gap : float
        ``value - P_star`` (0 for a certified optimum).
    min_margin : Fraction
        ``m = min_i y_i N(x_i)`` of the network as given, exactly.
    normalized : bool
        ``m != 1``: the verdict is about ``theta / sqrt(m)``, not theta itself.
    reason : str
        One sentence with the numbers behind the verdict.

    Examples
    --------
    >>> cert = certify_global(Network([0, 0], [1, 0], [1, 0]), [4, -4], [1, 1])
    >>> cert.is_global, cert.proof, cert.max_abs, cert.direction
    (False, 'improving-network', sqrt(17)/2, (Fraction(1, 1), Fraction(1, 4)))
    """

    is_global: bool | None
    proof: str
    exact: bool
    lambdas: tuple
    max_sq: Fraction | None
    max_abs_float: float
    direction: tuple | None
    value: Fraction | float
    improving: Network | None
    improving_value: Fraction | float | None
    P_star: float
    P_star_exact: str | None
    gap: float
    min_margin: Fraction
    normalized: bool
    reason: str

    @property
    def scale(self) -> sympy.Expr:
        """``sqrt(m)`` exactly (a SymPy number): the verdict is about ``theta / scale``."""
        return sympy.sqrt(sympy.Rational(self.min_margin.numerator, self.min_margin.denominator))

    @property
    def max_abs(self) -> sympy.Expr:
        """``max |G|`` as an exact SymPy expression (a float on the float path)."""
        if self.max_sq is None:
            return sympy.Float(self.max_abs_float)
        return sympy.sqrt(sympy.Rational(self.max_sq.numerator, self.max_sq.denominator))

    def to_dict(self) -> dict:
        """JSON-ready dictionary (exact values as ``"p/q"`` text).

        Examples
        --------
        >>> d = certify_global(Network([0, 0], [1, 0], [1, 0]), [4, -4], [1, 1]).to_dict()
        >>> d["is_global"], d["direction"], d["P_star_exact"]
        (False, ['1', '1/4'], '2*sqrt(17)/17')
        """

        def num(t):
            return fraction_text(t) if isinstance(t, Fraction) else t

        imp = None
        if self.improving is not None:
            if self.improving.is_exact:
                parts = self.improving.fractions()
                imp = {k: [fraction_text(t) for t in p] for k, p in zip("wbv", parts)}
            else:
                imp = {k: p.tolist() for k, p in zip("wbv", self.improving.arrays())}
        return {
            "is_global": self.is_global,
            "proof": self.proof,
            "exact": self.exact,
            "lambdas": [num(t) for t in self.lambdas],
            "max_sq": None if self.max_sq is None else fraction_text(self.max_sq),
            "max_abs": str(self.max_abs) if self.max_sq is not None else None,
            "max_abs_float": None if math.isnan(self.max_abs_float) else self.max_abs_float,
            "direction": None if self.direction is None else [num(t) for t in self.direction],
            "value": num(self.value),
            "improving": imp,
            "improving_value": None if self.improving_value is None else num(self.improving_value),
            "P_star": self.P_star,
            "P_star_exact": self.P_star_exact,
            "gap": self.gap,
            "min_margin": fraction_text(self.min_margin),
            "normalized": self.normalized,
            "scale": str(self.scale),
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, d: dict) -> GlobalCertificate:
        """Inverse of :meth:`to_dict`.

        Examples
        --------
        >>> c = certify_global(Network([0, 0], [1, 0], [1, 0]), [4, -4], [1, 1])
        >>> GlobalCertificate.from_dict(c.to_dict()) == c
        True
        """
        exact = bool(d["exact"])

        def num(t):  # exact values are "p/q" text, float ones JSON numbers
            if t is None:
                return None
            return Fraction(t) if isinstance(t, str) else float(t)

        imp = d["improving"]
        net = None
        if imp is not None:
            if all(isinstance(t, str) for k in "wbv" for t in imp[k]):
                net = Network(*(imp[k] for k in "wbv"))
            else:
                net = Network(*(np.asarray(imp[k], dtype=np.float64) for k in "wbv"))
        return cls(
            is_global=None if d["is_global"] is None else bool(d["is_global"]),
            proof=str(d["proof"]),
            exact=exact,
            lambdas=tuple(num(t) for t in d["lambdas"]),
            max_sq=None if d["max_sq"] is None else Fraction(d["max_sq"]),
            max_abs_float=math.nan if d["max_abs_float"] is None else float(d["max_abs_float"]),
            direction=None if d["direction"] is None else tuple(num(t) for t in d["direction"]),
            value=num(d["value"]),
            improving=net,
            improving_value=num(d["improving_value"]),
            P_star=float(d["P_star"]),
            P_star_exact=d["P_star_exact"],
            gap=float(d["gap"]),
            min_margin=Fraction(d["min_margin"]),
            normalized=bool(d["normalized"]),
            reason=str(d["reason"]),
        )


# --- exact KKT substitution ----------------------------------------------------------------


def _margins_exact(net: Network, data: Dataset) -> list[Fraction]:
    """``y_i N(x_i)`` exactly, from the sorted piecewise-linear form (``O((n + k) log k)``)."""
    from ..kkt.exact import exact_margins

    return list(exact_margins(net.to_exact(), data))


def _kkt_holds_exact(net: Network, data: Dataset, lam: list[Fraction]) -> bool:
    """Substitute ``lam`` into the KKT system of ``net`` (un-normalised; same lambdas) exactly.

    Per neuron the Clarke weights of its zero pairs enter only through
    ``M = sum_i mu_ij y_i`` (all zero pairs of a neuron sit at its kink), with
    ``M`` in ``[-sum_{y_i < 0} lambda_i, sum_{y_i > 0} lambda_i]`` over those pairs.
    """
    xs, ys = data.x_exact, [int(t) for t in data.y.tolist()]
    margins = _margins_exact(net, data)
    m = min(margins)
    if m <= 0 or any(t < 0 for t in lam):
        return False
    if any(li != 0 and mi != m for li, mi in zip(lam, margins)):
        return False  # complementary slackness
    for wj, bj, vj in zip(*net.to_exact().fractions()):
        p1 = p0 = vsum = Fraction(0)
        lo = hi = Fraction(0)
        for li, xi, yi in zip(lam, xs, ys):
            if not li:
                continue
            z = wj * xi + bj
            if z > 0:
                p1 += li * yi * xi
                p0 += li * yi
                vsum += li * yi * z
            elif z == 0:
                if yi > 0:
                    hi += li
                else:
                    lo -= li
        if vsum != vj:
            return False
        if vj == 0:
            if wj != 0 or bj != 0:
                return False
            continue
        rw, rb = wj / vj - p1, bj / vj - p0
        if wj == 0 and bj == 0:
            if rw != 0 or rb != 0:
                return False
            continue
        if wj != 0:
            t = -bj / wj  # every zero pair of this neuron sits at x = t
            if rw != t * rb:
                return False
            M = rb
        else:
            if rw != 0 or rb != 0:
                return False
            M = Fraction(0)
        if not lo <= M <= hi:
            return False
    return True


# --- the multiplier set ----------------------------------------------------------------------


def _min_max_dual_over_multipliers(net: Network, data: Dataset, tol: float = 1e-9):
    """Minimise ``max|G_lambda|`` over the KKT multipliers (float, cvxpy): ``(lambda, t)`` or None.

    The multiplier set is the polytope ``{(lambda, mu)}`` of the KKT linear system. For each
    activation pattern ``D`` (cone ``K_D``) and sign, ``max_{u in K_D, ||u|| <= 1} +-u . g_D =
    dist(+-g_D, K_D polar)``, so ``+-g_D = p + h``, ``||p|| <= t``, ``h = -sum alpha_l n_l``
    (``n_l`` the inward normals of ``K_D``, ``alpha >= 0``) is an exact cone representation.
    """
    import cvxpy as cp

    x = data.x_float
    y = data.y.astype(float)
    w, b, v = net.to_float().arrays()
    z = np.outer(x, w) + b  # n x k
    marg = y * (z.clip(min=0) @ v)
    m = marg.min()
    scale = max(1.0, float(np.abs(z).max()))
    support = marg <= m * (1 + tol)
    zero = np.abs(z) <= tol * scale
    n = data.n
    lam = cp.Variable(n, nonneg=True)
    cons = [lam[~support] == 0] if (~support).any() else []
    pairs = [(i, j) for i in range(n) for j in range(w.size) if zero[i, j] and support[i]]
    mu = cp.Variable(len(pairs), nonneg=True) if pairs else None
    for p, (i, _j) in enumerate(pairs):
        cons.append(mu[p] <= lam[i])
    for j in range(w.size):
        act = (z[:, j] > tol * scale) & support
        zp = [p for p, (i, jj) in enumerate(pairs) if jj == j]
        s1 = (lam[act] @ (y[act] * x[act])) if act.any() else cp.Constant(0.0)
        s0 = (lam[act] @ y[act]) if act.any() else cp.Constant(0.0)
        if zp:
            idx = [pairs[p][0] for p in zp]
            s1 = s1 + mu[zp] @ (y[idx] * x[idx])
            s0 = s0 + mu[zp] @ y[idx]
        vs = (lam[act] @ (y[act] * z[act, j])) if act.any() else cp.Constant(0.0)
        cons += [v[j] * s1 == w[j], v[j] * s0 == b[j], vs == v[j]]
    # the dual function's sector constraints
    zs, inverse = np.unique(x, return_inverse=True)
    mz = zs.size
    G = np.zeros((mz, n))
    G[inverse, np.arange(n)] = y
    lam_g = G @ lam  # per distinct x: sum lambda_i y_i
    t = cp.Variable()
    zmin, zmax = zs[0], zs[-1]
    patterns = [(1, k) for k in range(mz)] + [(-1, k) for k in range(1, mz)]
    for kind, k in patterns:
        if kind == 1:
            mask = np.arange(mz) >= k
        else:
            mask = np.arange(mz) < k
        act_x = zs[mask]
        ina_x = zs[~mask]
        normals = [np.array([act_x.min(), 1.0]), np.array([act_x.max(), 1.0])]
        if ina_x.size:
            normals += [-np.array([ina_x.min(), 1.0]), -np.array([ina_x.max(), 1.0])]
        Nm = np.array(normals).T  # 2 x L
        gD = cp.hstack([lam_g[mask] @ zs[mask], cp.sum(lam_g[mask])])
        for sgn in (1.0, -1.0):
            p = cp.Variable(2)
            alpha = cp.Variable(Nm.shape[1], nonneg=True)
            cons += [sgn * gD == p - Nm @ alpha, cp.norm(p, 2) <= t]
    del zmin, zmax
    if not _solved(cp.Problem(cp.Minimize(t), cons)) or lam.value is None:
        return None
    return np.clip(np.asarray(lam.value, dtype=float), 0.0, None), float(t.value)


def _solved(prob: object) -> bool:
    """Solve quietly; ``True`` when the solver reports an (inaccurate) optimum."""
    import cvxpy as cp

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            prob.solve()
        except cp.error.SolverError:
            return False
    return prob.status in ("optimal", "optimal_inaccurate")


def _project_exact(net: Network, data: Dataset, q: list[Fraction]) -> list[Fraction] | None:
    """The point nearest to ``q`` on the affine hull of the KKT equations, in exact rationals.

    Rounding each multiplier separately breaks the equations ``theta = sum lambda h_i``; the
    unknowns are the support multipliers and one Clarke mass ``M_j`` per neuron whose kink
    sits on a support point (see :func:`_kkt_holds_exact`). The projection
    ``u = q + A^T s`` with ``A A^T s = rhs - A q`` is solved over QQ; the inequalities are
    checked afterwards by :func:`_kkt_holds_exact`.
    """
    xs, ys = data.x_exact, [int(t) for t in data.y.tolist()]
    margins = _margins_exact(net, data)
    m = min(margins)
    support = [i for i in range(data.n) if margins[i] == m]
    rows, rhs = [], []
    extra = []  # neurons with a Clarke mass variable
    W, B, V = net.to_exact().fractions()
    for j, (wj, bj, vj) in enumerate(zip(W, B, V)):
        zero = [i for i in support if wj * xs[i] + bj == 0]
        if zero and vj != 0 and (wj != 0 or bj != 0):
            extra.append(j)
    ncol = len(support) + len(extra)
    for j, (wj, bj, vj) in enumerate(zip(W, B, V)):
        rw, rb, rv = [Fraction(0)] * ncol, [Fraction(0)] * ncol, [Fraction(0)] * ncol
        for c, i in enumerate(support):
            z = wj * xs[i] + bj
            if z > 0:
                rw[c] = vj * ys[i] * xs[i]
                rb[c] = vj * ys[i]
                rv[c] = ys[i] * z
        if j in extra:
            c = len(support) + extra.index(j)
            t = -bj / wj if wj != 0 else Fraction(0)
            rw[c], rb[c] = vj * t, vj
        rows += [rw, rb, rv]
        rhs += [wj, bj, vj]
    import sympy

    A = sympy.Matrix(rows).applyfunc(sympy.Rational) if rows else sympy.zeros(0, ncol)
    r = sympy.Matrix([sympy.Rational(t) for t in rhs])
    u0 = sympy.Matrix([sympy.Rational(q[i]) for i in support] + [0] * len(extra))
    try:
        s_, params = (A * A.T).gauss_jordan_solve(r - A * u0)
    except ValueError:
        return None
    s_ = s_.subs({p_: 0 for p_ in params})
    u = u0 + A.T * s_
    lam = [Fraction(0)] * data.n
    for c, i in enumerate(support):
        num, den = sympy.fraction(u[c])
        lam[i] = Fraction(int(num), int(den))
    return lam


def _rational_candidates(values: np.ndarray):
    for limit in (10, 100, 1000, 10**4, 10**6, 10**8):
        yield [
            Fraction(float(t)).limit_denominator(limit) if t > 0 else Fraction(0) for t in values
        ]


# --- improving networks -----------------------------------------------------------------------


def _pattern_of(wj: float, bj: float, zs: np.ndarray) -> tuple[int, int] | None:
    """The activation pattern (kind, k) of a direction over sorted distinct ``zs``."""
    mz = zs.size
    if wj > 0:
        k = int(np.searchsorted(zs, -bj / wj, side="right"))
        return None if k >= mz else (1, k)
    if wj < 0:
        k = int(np.searchsorted(zs, -bj / wj, side="left"))
        if k <= 0:
            return None
        return (1, 0) if k >= mz else (-1, k)
    return (1, 0) if bj > 0 else None


def _restricted_program(zs: np.ndarray, labels: np.ndarray, blocks: list) -> list | None:
    """The cone program over the given (pattern, sign) blocks only (dense; few blocks)."""
    import cvxpy as cp

    mz = zs.size
    A = cp.Variable((len(blocks), 2))
    cons = []
    f = 0
    for r, ((kind, k), s) in enumerate(blocks):
        mask = np.arange(mz) >= k if kind == 1 else np.arange(mz) < k
        act, ina = zs[mask], zs[~mask]
        for xv in (act.min(), act.max()):
            cons.append(xv * A[r, 0] + A[r, 1] >= 0)
        if ina.size:
            for xv in (ina.min(), ina.max()):
                cons.append(xv * A[r, 0] + A[r, 1] <= 0)
        f = f + s * cp.multiply(mask.astype(float), zs * A[r, 0] + A[r, 1])
    cons.append(cp.multiply(labels, f) >= 1)
    if not _solved(cp.Problem(cp.Minimize(cp.sum(cp.norm(A, 2, axis=1))), cons)) or A.value is None:
        return None
    return [(np.asarray(A.value[r]), s) for r, (_, s) in enumerate(blocks)]


def _rational_network(neurons: list, data: Dataset, limit: int):
    """Round float blocks ``(a, s)`` to an exact network with margins ``>= 1``; value exact.

    Block ``a`` becomes ``(w, b) = d / rho``, ``v = s rho`` with ``d ~ a`` and ``rho ~ sqrt(||a||)``
    rational (denominators up to ``limit``); then :func:`_exactly_feasible` rescales it.
    """
    w, b, v = [], [], []
    top = max((float(np.linalg.norm(a)) for a, _ in neurons), default=0.0)
    for a, s in neurons:
        r = float(np.linalg.norm(a))
        if r <= 1e-10 * top or r == 0:
            continue
        rho = Fraction(math.sqrt(r)).limit_denominator(limit)
        if rho <= 0:
            continue
        d0 = Fraction(float(a[0])).limit_denominator(limit)
        d1 = Fraction(float(a[1])).limit_denominator(limit)
        w.append(d0 / rho)
        b.append(d1 / rho)
        v.append(int(s) * rho)
    if not w:
        return None
    return _exactly_feasible(Network(w, b, v), data, limit)


def _exactly_feasible(net: Network, data: Dataset, limit: int | None):
    """``(alpha theta, 1/2 ||alpha theta||^2)`` exactly, ``alpha`` rational with ``alpha^2 m >= 1``.

    ``m`` is the exact minimum margin of ``net`` (floats are their dyadic values), so every
    margin of the result is ``>= 1`` in exact arithmetic. ``alpha`` is a simple rational
    (denominator ``limit``) or, with ``limit=None``, a dyadic one within ``2^-40`` relative of
    ``1 / sqrt(m)``. ``None`` if ``net`` misclassifies a point.
    """
    from ..kkt.exact import exact_margins

    m = min(exact_margins(net.to_exact(), data))
    if m <= 0:
        return None
    a = 1.0 / sqrt_float(m)
    if limit is None:
        alpha = Fraction(a)
        step = alpha / 2**40
    else:
        alpha = Fraction(a).limit_denominator(limit)
        step = Fraction(1, limit)
    while alpha * alpha * m < 1:
        alpha += step
    scaled = net.to_exact().scaled(alpha)
    return scaled, scaled.sq_norm_exact() / 2


def _float_network(neurons: list, data: Dataset):
    """A float network from blocks ``(a, s)``, then made exactly feasible (exact rescaling)."""
    keep = [(a, s) for a, s in neurons if np.linalg.norm(a) > 1e-10]
    if not keep:
        return None
    r = np.array([math.sqrt(np.linalg.norm(a)) for a, _ in keep])
    net = Network(
        np.array([a[0] for a, _ in keep]) / r,
        np.array([a[1] for a, _ in keep]) / r,
        np.array([s for _, s in keep]) * r,
    )
    return _exactly_feasible(net, data, None)


def _improve(net: Network, data: Dataset, direction, sign: int, exact: bool, value, opt):
    """A network with every margin ``>= 1`` and ``1/2 ||theta'||^2 < value``, both checked in
    exact rationals (``value`` is a Fraction); ``(network, value)`` or ``(None, None)``."""
    zs, inverse = np.unique(data.x_float, return_inverse=True)
    labels = np.zeros(zs.size)
    labels[inverse] = data.y
    wf, bf, vf = unit_scaled(net).arrays()  # patterns and signs only: scale-free
    blocks = []
    for wj, bj, vj in zip(wf, bf, vf):
        pat = _pattern_of(float(wj), float(bj), zs)
        if pat is not None and vj != 0 and (pat, 1 if vj > 0 else -1) not in blocks:
            blocks.append((pat, 1 if vj > 0 else -1))
    attempts = []
    if direction is not None:
        pat = _pattern_of(float(direction[0]), float(direction[1]), zs)
        if pat is not None and (pat, sign) not in blocks:
            attempts.append(blocks + [(pat, sign)])
    attempts.append(None)  # the full program
    for blk in attempts:
        if blk is None:
            neurons = [
                (np.array([wj, bj]) * abs(vj), 1 if vj > 0 else -1)
                for wj, bj, vj in zip(*opt.network.arrays())
            ]
        else:
            neurons = _restricted_program(zs, labels, blk)
            if neurons is None:
                continue
        if not exact:
            built = _float_network(neurons, data)
            if built is not None and built[1] < value:  # exact comparison of rationals
                return built
            continue
        for limit in (100, 10**4, 10**6, 10**9):  # the simplest rationals that still improve
            built = _rational_network(neurons, data, limit)
            if built is not None and built[1] < value:
                return built
    return None, None


# --- the certificate ---------------------------------------------------------------------------


def certify_global(
    net: Network, x: object, y: object = None, *, search: bool = True, tol: float = 1e-9
) -> GlobalCertificate:
    """Decide whether ``net`` is a global optimum of the max-margin problem for every width.

    theta is normalised to margin 1: the verdict is about ``theta / sqrt(m)``,
    ``m = min_i y_i N(x_i)`` (exact), i.e. about the direction of theta, unless ``m = 1``
    (``normalized`` is then False). Its value is ``1/2 ||theta||^2 / m``. Its KKT multipliers
    come from :func:`pwl_kkt.verify_kkt_exact` (exact network and data: exact rational
    lambdas) or :func:`pwl_kkt.certify_kkt` (float). Then, by weak duality (module docstring),

    * ``max |G_lambda| <= 1`` (decided exactly by :func:`~pwl_kkt.duality.dual.max_abs_dual`)
      proves global optimality with ``P* = sum lambda`` (proof ``"weak-duality"``);
    * otherwise, if ``search``, the multiplier polytope is searched for a lambda with
      ``max |G| <= 1`` (a convex program; a candidate is re-checked exactly);
    * otherwise an explicit network of strictly smaller norm refutes global optimality
      (``"improving-network"``). Its feasibility (every margin ``>= 1``) and its norm are
      checked in exact rationals on both paths: a float candidate is taken as the dyadic
      rationals it stores and scaled up by an exact rational factor ``alpha`` with
      ``alpha^2 m' >= 1`` (``m'`` its exact minimum margin).

    A verdict is never a guess. ``is_global`` is ``True`` (proved exactly, or, on the float
    path, certified at tolerance: KKT at ``certify_kkt``'s default tolerance and
    ``max |G| <= 1 + tol``; proof ``"numeric"``), ``False`` only with a checkable witness (an
    exactly verified improving network, or on the exact path the Farkas vector of
    ``verify_kkt_exact`` proving that theta is not even a KKT point, proof ``"not-kkt"``) and
    ``None`` when neither holds (proof ``"inconclusive"``; ``reason`` gives the numbers, e.g.
    a KKT residual above tolerance, which refutes nothing).

    Float networks are first scaled by a power of two (exact) so that weights of 1e300 or
    1e-200 neither overflow nor underflow; the problem is invariant under ``theta -> c theta``.

    Parameters
    ----------
    net : Network
        Must classify every point correctly.
    x, y : data
        A :class:`~pwl_kkt.Dataset` or the two sequences.
    search : bool
        Search the multiplier set when the first multipliers give ``max|G| > 1``.
    tol : float
        Float path only: ``max|G| <= 1 + tol`` counts as certified.

    Raises
    ------
    MisclassifiedError
        Some ``y_i N(x_i) <= 0``: theta is not feasible after any scaling.
    NotSeparableError, InvalidDataError, InvalidValueError
        Bad data.

    Examples
    --------
    ``theta(0)`` of Example 1 (Safran et al. 2022) is a KKT point (``lambda = (1/2, 1/2)``) but
    ``max |G| = sqrt(17)/2 > 1``; the width-2 network built from the refutation has value
    below 1:

    >>> c = certify_global(Network([0, 0], [1, 0], [1, 0]), [4, -4], [1, 1])
    >>> c.is_global, c.value, float(c.improving_value) < 1
    (False, Fraction(1, 1), True)

    A single point is served optimally by one balanced neuron along ``(x0, 1)``:

    >>> c = certify_global(Network([3], [4], [5]), ["3/4"], [1])
    >>> c.is_global, c.proof, c.max_abs, c.P_star_exact
    (True, 'weak-duality', 1, '4/5')
    >>> c.normalized, c.min_margin, c.scale  # the verdict is about theta / (5 sqrt(5) / 2)
    (True, Fraction(125, 4), 5*sqrt(5)/2)

    A :class:`~pwl_kkt.NetworkNd` on the plane goes to
    :func:`~pwl_kkt.duality.globalopt_plane.certify_global_2d` (exact ``max |G|`` on S^2); one
    with ``d = 1`` is read as a univariate network.
    """
    from ..kkt.exact import exact_margins
    from ..kkt.numeric import margins
    from ..model.network_nd import NetworkNd
    from .optimum import global_max_margin

    if isinstance(net, NetworkNd):
        if net.d == 2:
            from .globalopt_plane import certify_global_2d

            return certify_global_2d(net, x, y, tol=tol)
        if net.d != 1:
            raise InvalidDataError(
                f"certify_global needs a network on the line or the plane (d = 1 or d = 2); "
                f"got d = {net.d}"
            )
        net = net.to_univariate()
        x = x.to_univariate() if hasattr(x, "to_univariate") else x
    data = as_dataset(x, y).require_separable()
    exact = net.is_exact and data.is_exact
    if exact:
        all_margins = exact_margins(net, data)
        m = min(all_margins)
        if m <= 0:
            i = all_margins.index(m)
            raise MisclassifiedError(
                f"point {i} (x = {data.x_exact[i]}) has y N(x) = {m} <= 0: nothing to certify"
            )
        work = net.scaled(Fraction(2) ** -unit_exponent(net))  # same multipliers, same verdict
    else:
        margins(net, data)  # raises MisclassifiedError, deciding near-zero margins exactly
        m = min(exact_margins(net, data))
        work = unit_scaled(net)  # 2^-e theta: same verdict, no overflow or underflow
    value_exact = net.to_exact().sq_norm_exact() / (2 * m)
    value: Fraction | float = value_exact if exact else fraction_to_float(value_exact)
    head = {"value": value, "min_margin": m, "normalized": m != 1, "exact": exact}

    lam, kkt_note = _multipliers(work, data, exact)
    dm: DualMaximum | None = None
    if lam is not None:
        dm = max_abs_dual(
            lam if exact else np.asarray(lam),
            data if exact else data.x_float,
            None if exact else data.y,
            exact=exact,
        )
        if _certified(dm, exact, tol):
            return _certificate_ok(lam, dm, head, kkt_note, tol)
        if search:
            found = _search(work, data, exact, tol)
            if found is not None:
                lam2, dm2 = found
                return _certificate_ok(lam2, dm2, head, kkt_note, tol)
    opt = global_max_margin(data, exact=exact and data.n <= 50)
    direction = None if dm is None else dm.direction
    sign = 1 if dm is None else dm.sign
    improving, imp_value = _improve(work, data, direction, sign, exact, value_exact, opt)
    dual_note = "" if dm is None else f"max |G_lambda| = {_g_text(dm)} > 1; "
    witness = ""
    if improving is not None:
        witness = (
            f"a width-{improving.width} network with every margin >= 1 has 1/2 ||theta'||^2 = "
            f"{float(imp_value):.10g} < {float(value_exact):.10g} (by "
            f"{float(value_exact - imp_value):.3g}; both checked in exact rationals)"
        )
    is_global: bool | None = False
    if exact and lam is None:
        proof = "not-kkt"
        also = f"; also {witness}" if witness else ""
        reason = f"refuted: {kkt_note} (proof: verify_kkt_exact){also}"
    elif improving is not None:
        proof = "improving-network"
        reason = f"{dual_note}refuted: {witness}"
    else:
        is_global, proof = None, "inconclusive"
        reason = (
            f"inconclusive: {kkt_note}; {dual_note}no improving network was found "
            f"(cone program P* = {opt.P_star:.10g}, gap {float(value_exact) - opt.P_star:.3g})"
        )
    return GlobalCertificate(
        is_global=is_global,
        proof=proof,
        lambdas=tuple(lam) if lam is not None else (),
        max_sq=None if dm is None else dm.max_sq,
        max_abs_float=math.nan if dm is None else dm.max_abs_float,
        direction=direction,
        improving=improving,
        improving_value=imp_value,
        P_star=opt.P_star,
        P_star_exact=opt.P_star_exact,
        gap=float(value_exact) - opt.P_star,
        reason=reason,
        **head,
    )


def _g_text(dm: DualMaximum) -> str:
    return str(dm.max_abs) if dm.max_sq is not None else f"{dm.max_abs_float:.10g}"


def _certified(dm: DualMaximum, exact: bool, tol: float) -> bool:
    if exact:
        return dm.max_sq <= 1
    return dm.max_abs_float <= 1 + tol


def _certificate_ok(lam, dm: DualMaximum, head: dict, kkt_note: str, tol: float):
    exact = head["exact"]
    total = sum(lam, Fraction(0)) if exact else float(sum(lam))
    if exact:
        reason = (
            f"proved: {kkt_note}; max |G_lambda| = {_g_text(dm)} <= 1, so by weak duality "
            f"P* = sum lambda = {fraction_text(total)} = 1/2 ||theta_n||^2"
        )
    else:
        reason = (
            f"certified at tolerance: {kkt_note}; max |G_lambda| = {_g_text(dm)} "
            f"<= 1 + {tol:g}"
        )
    return GlobalCertificate(
        is_global=True,
        proof="weak-duality" if exact else "numeric",
        lambdas=tuple(lam),
        max_sq=dm.max_sq,
        max_abs_float=dm.max_abs_float,
        direction=None,
        improving=None,
        improving_value=None,
        P_star=float(total),
        P_star_exact=fraction_text(total) if exact else None,
        gap=float(head["value"]) - float(total),
        reason=reason,
        **head,
    )


def _multipliers(net: Network, data: Dataset, exact: bool) -> tuple[list | None, str]:
    """KKT multipliers (exact or float) or None, and a note saying what was found."""
    if exact:
        from ..kkt.exact import verify_kkt_exact

        r = verify_kkt_exact(net, data)
        if r.is_kkt and r.lambdas is not None:
            return list(r.lambdas), "KKT (exact multipliers)"
        return None, f"not a KKT point ({r.reason})"
    from ..kkt.numeric import certify_kkt

    c = certify_kkt(net, data)
    if c.is_kkt:
        return list(c.lambdas), f"KKT at tolerance (eps = {c.eps:.3g} <= {c.kkt_tol:g})"
    return None, (
        f"KKT residual eps = {c.eps:.3g} above the tolerance {c.kkt_tol:g} "
        "(a missed tolerance, not a proof of non-KKT-ness)"
    )


def _search(net: Network, data: Dataset, exact: bool, tol: float):
    res = _min_max_dual_over_multipliers(unit_scaled(net), data)
    if res is None:
        return None
    lam_f, t = res
    if t > 1 + 1e-6:
        return None
    if not exact:
        dm = max_abs_dual(lam_f, data.x_float, data.y, exact=False)
        return (list(lam_f), dm) if dm.max_abs_float <= 1 + tol else None
    for q0 in _rational_candidates(lam_f):
        q = _project_exact(net, data, q0)
        if q is not None and _kkt_holds_exact(net, data, q):
            dm = max_abs_dual(q, data, exact=True)
            if dm.max_sq <= 1:
                return q, dm
    return None
