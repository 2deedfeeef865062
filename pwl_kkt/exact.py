"""Exact KKT decisions for rational networks, each carrying a checkable proof.

Work with the *unnormalized* theta. Normalizing by ``sqrt(m)``, ``m = min_i y_i N(x_i)``, may
be irrational, and is unnecessary: ``h_i(theta) = grad_theta y_i N_theta(x_i)`` is
1-homogeneous in theta (N is 2-homogeneous), so for ``s > 0``

    theta / s = sum_i lambda_i h_i(theta / s)   <=>   theta = sum_i lambda_i h_i(theta)

with the *same* lambdas. The support of the normalized problem (margin exactly 1) is the
set of points whose margin equals ``m`` exactly, and Euler's identity reads
``||theta / sqrt(m)||^2 = ||theta||^2 / m = 2 sum_i lambda_i``.

The linear system in ``(lambda, mu)`` (``mu_ij = lambda_i s_ij`` on zero pairs) is, for
every neuron j,

    w_j = v_j (sum_{i in S, z_ij > 0} lambda_i y_i x_i + sum_{(i, j) zero} mu_ij y_i x_i)
    b_j = v_j (sum_{i in S, z_ij > 0} lambda_i y_i     + sum_{(i, j) zero} mu_ij y_i)
    v_j =      sum_{i in S, z_ij > 0} lambda_i y_i z_ij

with ``lambda >= 0`` and ``0 <= mu_ij <= lambda_i``; write it ``A u = theta, D u <= 0,
u >= 0``. Zero pairs of neurons with ``v_j = 0`` or ``(w_j, b_j) = 0`` are left out:
there ``mu_ij`` multiplies zero, or ``mu_ij = 0`` is always as good (it appears in no
other neuron's rows), so feasibility is unchanged.

Proofs:

* ``"multipliers"``: exact rational ``lambda, mu`` satisfying every equation and sign;
* ``"farkas"``: rationals ``y`` (one per equation) and ``z >= 0`` (one per bound
  ``mu_ij <= lambda_i``) with ``A^T y + D^T z >= 0`` componentwise and ``theta . y < 0``.
  If some feasible u existed, ``0 <= (A^T y + D^T z) . u = theta . y + z . D u <=
  theta . y < 0``, a contradiction;
* ``"violated"``: the special Farkas vector of one equation that no multiplier enters
  (for instance ``v_j != 0`` for a neuron no support point activates).

Candidates come from a floating LP (HiGHS via :func:`scipy.optimize.linprog`); the exact
step solves the guessed face with SymPy's ``DomainMatrix`` over QQ (python-flint backed).
If that fails, an exact Bland's-rule phase-1 simplex over :class:`~fractions.Fraction`
decides the (row-reduced) system. No solver's word is trusted: the proof is always checked
by exact substitution before it is returned, and :meth:`ExactKKTResult.recheck` redoes the
check from the network and data alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from ._rational import fraction_text
from .data import Dataset, as_dataset
from .errors import InvalidDataError, MisclassifiedError
from .network import Network

__all__ = ["ExactKKTResult", "exact_margins", "verify_kkt_exact"]

_KINDS = ("w", "b", "v")


# --- the exact system --------------------------------------------------------------------------


@dataclass(frozen=True)
class _System:
    k: int
    margins: tuple[Fraction, ...]
    m: Fraction
    support: tuple[int, ...]
    pairs: tuple[tuple[int, int], ...]  # useful zero pairs (i, j)
    columns: tuple[dict[int, Fraction], ...]  # lambda_i for i in support, then mu pairs
    rhs: tuple[Fraction, ...]  # theta = (w, b, v), row r = kind * k + j


def exact_margins(net: Network, ds: Dataset) -> tuple[Fraction, ...]:
    """``y_i N(x_i)`` exactly for every point (floats read as their dyadic values).

    Examples
    --------
    >>> exact_margins(Network([0, 0], [1, 0], [1, 0]), Dataset([4, -4], [1, 1]))
    (Fraction(1, 1), Fraction(1, 1))
    """
    from .pwl import piecewise_linear

    f = piecewise_linear(net)  # exact slopes/intercepts: O((n + k) log k) Fraction operations
    out = []
    for xi, yi in zip(ds.x_exact, ds.y.tolist()):
        p = f.piece_index(xi)
        value = f.slopes[p] * xi + f.intercepts[p]
        out.append(value if yi > 0 else -value)
    return tuple(out)


def _misclassified(bad: list[int], xs: tuple[Fraction, ...], margins: tuple[Fraction, ...]):
    shown = ", ".join(f"x[{i}] = {_show(xs[i])} (margin {_show(margins[i])})" for i in bad[:5])
    more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
    return MisclassifiedError(
        f"{len(bad)} point(s) not strictly correctly classified (y_i N(x_i) <= 0), so there "
        f"is no max-margin KKT point to certify: {shown}{more}"
    )


def _show(q: Fraction) -> str:
    return str(q) if q.denominator < 10**6 else f"{float(q):.6g}"


def _build_system(net: Network, ds: Dataset) -> _System:
    ds.require_separable()
    margins = exact_margins(net, ds)
    bad = [i for i, q in enumerate(margins) if q <= 0]
    if bad:
        raise _misclassified(bad, ds.x_exact, margins)
    m = min(margins)
    support = tuple(i for i, q in enumerate(margins) if q == m)
    w, b, v = net.fractions()
    k = len(w)
    xs, ys = ds.x_exact, ds.y.tolist()
    lam_cols: list[dict[int, Fraction]] = []
    pairs: list[tuple[int, int]] = []
    mu_cols: list[dict[int, Fraction]] = []
    for i in support:
        xi, yi = xs[i], ys[i]
        col: dict[int, Fraction] = {}
        for j in range(k):
            z = w[j] * xi + b[j]
            if z > 0:
                if v[j]:
                    if xi:
                        col[j] = v[j] * yi * xi
                    col[k + j] = v[j] * yi
                col[2 * k + j] = yi * z
            elif z == 0 and v[j] and (w[j] or b[j]):
                pairs.append((i, j))
                mc: dict[int, Fraction] = {k + j: v[j] * yi}
                if xi:
                    mc[j] = v[j] * yi * xi
                mu_cols.append(mc)
        lam_cols.append({r: c for r, c in col.items() if c})
    return _System(
        k=k,
        margins=margins,
        m=m,
        support=support,
        pairs=tuple(pairs),
        columns=tuple(lam_cols + mu_cols),
        rhs=tuple(w) + tuple(b) + tuple(v),
    )


def _row_name(r: int, k: int) -> str:
    kind, j = divmod(r, k)
    return f"{_KINDS[kind]}-equation of neuron {j}"


def _check_multipliers(sys_: _System, u: list[Fraction]) -> str | None:
    """``None`` if ``u = (lambda_S, mu)`` solves the system exactly, else what fails."""
    ms = len(sys_.support)
    lam = u[:ms]
    for i, t in zip(sys_.support, lam):
        if t < 0:
            return f"lambda_{i} = {fraction_text(t)} < 0"
    pos = {i: a for a, i in enumerate(sys_.support)}
    for (i, j), t in zip(sys_.pairs, u[ms:]):
        if t < 0 or t > lam[pos[i]]:
            return f"mu_{i},{j} = {fraction_text(t)} outside [0, lambda_{i}]"
    acc = [Fraction(0)] * len(sys_.rhs)
    for col, t in zip(sys_.columns, u):
        if t:
            for r, c in col.items():
                acc[r] += c * t
    for r, (lhs, rhs) in enumerate(zip(acc, sys_.rhs)):
        if lhs != rhs:
            return f"{_row_name(r, sys_.k)}: {fraction_text(rhs)} != {fraction_text(lhs)}"
    return None


def _check_farkas(
    sys_: _System, y: dict[int, Fraction], z: dict[tuple[int, int], Fraction]
) -> str | None:
    """``None`` if ``(y, z)`` proves infeasibility exactly, else what fails."""
    if any(t < 0 for t in z.values()):
        return "a bound multiplier z is negative"
    if any(p not in sys_.pairs for p in z):
        return "z names a pair that is not a zero pair"
    ms = len(sys_.support)
    pos = {i: a for a, i in enumerate(sys_.support)}
    dz = [Fraction(0)] * len(sys_.columns)
    for a, p in enumerate(sys_.pairs):
        t = z.get(p, Fraction(0))
        dz[ms + a] += t  # mu_ij - lambda_i <= 0
        dz[pos[p[0]]] -= t
    for c, col in enumerate(sys_.columns):
        val = dz[c] + sum((coef * y.get(r, Fraction(0)) for r, coef in col.items()), Fraction(0))
        if val < 0:
            return f"column {c}: A^T y + D^T z = {fraction_text(val)} < 0"
    dot = sum((sys_.rhs[r] * t for r, t in y.items()), Fraction(0))
    if dot >= 0:
        return f"theta . y = {fraction_text(dot)} is not negative"
    return None


# --- result --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExactKKTResult:
    """An exact KKT decision with its proof (the proof forms are in :mod:`pwl_kkt.exact`).

    Attributes
    ----------
    is_kkt : bool
        The decision.
    proof : str
        ``"multipliers"``, ``"farkas"`` or ``"violated"``.
    method : str
        How the proof was found: ``"lp+domainmatrix"``, ``"exact-simplex"`` or ``"direct"``.
    network, data :
        The exact instance (so the proof can be re-checked on its own).
    min_margin : Fraction
        ``m = min_i y_i N(x_i)``.
    support : tuple of int
        Points with margin exactly ``m``.
    zero_pairs : tuple of (int, int)
        Pairs ``(i, j)`` of a support point and a neuron with ``z_ij = 0`` that enter the system.
    lambdas : tuple of Fraction or None
        One per point, zero off the support (``proof == "multipliers"``).
    mu : tuple of (int, int, Fraction) or None
        ``(i, j, mu_ij)``, ``mu_ij = lambda_i s_ij``, one per zero pair.
    farkas_y : tuple of (str, int, Fraction) or None
        ``(kind, j, y)`` for the equations (``kind`` in w, b, v) with nonzero weight.
    farkas_z : tuple of (int, int, Fraction) or None
        ``(i, j, z)`` for the bounds ``mu_ij <= lambda_i`` with nonzero weight.
    reason : str
        One-sentence summary.

    Examples
    --------
    >>> r = verify_kkt_exact(Network([0, 0], [1, 0], [1, 0]), [4, -4], [1, 1])
    >>> r.is_kkt, r.proof, r.lambdas
    (True, 'multipliers', (Fraction(1, 2), Fraction(1, 2)))
    >>> r.recheck()
    True
    >>> ExactKKTResult.from_json(r.to_json()) == r
    True
    """

    is_kkt: bool
    proof: str
    method: str
    network: Network
    data: Dataset
    min_margin: Fraction
    support: tuple[int, ...]
    zero_pairs: tuple[tuple[int, int], ...]
    lambdas: tuple[Fraction, ...] | None
    mu: tuple[tuple[int, int, Fraction], ...] | None
    farkas_y: tuple[tuple[str, int, Fraction], ...] | None
    farkas_z: tuple[tuple[int, int, Fraction], ...] | None
    reason: str

    @property
    def lambda_sum(self) -> Fraction | None:
        """``sum_i lambda_i`` (equals ``||theta||^2 / (2 m)`` at a KKT point)."""
        return None if self.lambdas is None else sum(self.lambdas, Fraction(0))

    @property
    def subgradients(self) -> tuple[tuple[int, int, Fraction], ...] | None:
        """Clarke weights ``(i, j, s_ij = mu_ij / lambda_i)`` (``s_ij = 0`` when lambda_i = 0)."""
        if self.mu is None or self.lambdas is None:
            return None
        return tuple(
            (i, j, t / self.lambdas[i] if self.lambdas[i] else Fraction(0)) for i, j, t in self.mu
        )

    def recheck(self) -> bool:
        """Re-verify the proof from the network and data alone, in exact arithmetic.

        Recomputes margins, support and zero pairs, rebuilds the linear system and
        substitutes the multipliers (or the Farkas vector). Returns ``True`` iff the proof
        holds and supports :attr:`is_kkt`.

        Examples
        --------
        >>> verify_kkt_exact(Network([0, 0], [1, 0], [1, 0]), [4, 3], [1, 1]).recheck()
        True
        """
        return self.recheck_problem() is None

    def recheck_problem(self) -> str | None:
        """Like :meth:`recheck`, but says what fails: ``None`` if the proof holds.

        Examples
        --------
        >>> r = verify_kkt_exact(Network([0, 0], [1, 0], [1, 0]), [4, -4], [1, 1])
        >>> r.recheck_problem() is None
        True
        """
        sys_ = _build_system(self.network, self.data)
        if self.proof == "multipliers":
            if not self.is_kkt or self.lambdas is None or self.mu is None:
                return "a multiplier proof must claim KKT and carry lambdas and mu"
            if len(self.lambdas) != self.data.n:
                return f"{len(self.lambdas)} lambdas for {self.data.n} data points"
            off = [i for i, t in enumerate(self.lambdas) if t and i not in sys_.support]
            if off:
                return f"lambda_{off[0]} is nonzero but point {off[0]} is not a support point"
            mu = {(i, j): t for i, j, t in self.mu}
            if set(mu) != set(sys_.pairs):
                return "the zero pairs (i, j) with w_j x_i + b_j = 0 differ from the stored mu"
            u = [self.lambdas[i] for i in sys_.support] + [mu[p] for p in sys_.pairs]
            return _check_multipliers(sys_, u)
        if self.proof in ("farkas", "violated"):
            if self.is_kkt or self.farkas_y is None or self.farkas_z is None:
                return "a Farkas proof must claim not-KKT and carry the vectors y and z"
            k = sys_.k
            if any(kind not in _KINDS or not 0 <= j < k for kind, j, _ in self.farkas_y):
                return "the Farkas vector y names an equation the network does not have"
            y = {_KINDS.index(kind) * k + j: t for kind, j, t in self.farkas_y}
            z = {(i, j): t for i, j, t in self.farkas_z}
            return _check_farkas(sys_, y, z)
        return f"unknown proof kind {self.proof!r}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; every rational is exact ``"p/q"`` text."""
        ft = fraction_text
        w, b, v = self.network.fractions()
        return {
            "is_kkt": self.is_kkt,
            "proof": self.proof,
            "method": self.method,
            "network": {"w": [ft(t) for t in w], "b": [ft(t) for t in b], "v": [ft(t) for t in v]},
            "data": {"x": [ft(t) for t in self.data.x_exact], "y": self.data.y.tolist()},
            "min_margin": ft(self.min_margin),
            "support": list(self.support),
            "zero_pairs": [list(p) for p in self.zero_pairs],
            "lambdas": None if self.lambdas is None else [ft(t) for t in self.lambdas],
            "mu": None if self.mu is None else [[i, j, ft(t)] for i, j, t in self.mu],
            "farkas_y": None
            if self.farkas_y is None
            else [[kind, j, ft(t)] for kind, j, t in self.farkas_y],
            "farkas_z": None
            if self.farkas_z is None
            else [[i, j, ft(t)] for i, j, t in self.farkas_z],
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ExactKKTResult:
        """Rebuild a result written by :meth:`to_dict` (exact)."""
        F = Fraction
        net = Network(d["network"]["w"], d["network"]["b"], d["network"]["v"], exact=True)
        data = Dataset(d["data"]["x"], d["data"]["y"], exact=True)
        return cls(
            is_kkt=bool(d["is_kkt"]),
            proof=str(d["proof"]),
            method=str(d["method"]),
            network=net,
            data=data,
            min_margin=F(d["min_margin"]),
            support=tuple(int(i) for i in d["support"]),
            zero_pairs=tuple((int(i), int(j)) for i, j in d["zero_pairs"]),
            lambdas=None if d["lambdas"] is None else tuple(F(t) for t in d["lambdas"]),
            mu=None if d["mu"] is None else tuple((int(i), int(j), F(t)) for i, j, t in d["mu"]),
            farkas_y=None
            if d["farkas_y"] is None
            else tuple((str(kd), int(j), F(t)) for kd, j, t in d["farkas_y"]),
            farkas_z=None
            if d["farkas_z"] is None
            else tuple((int(i), int(j), F(t)) for i, j, t in d["farkas_z"]),
            reason=str(d["reason"]),
        )

    def to_json(self) -> str:
        """JSON text of :meth:`to_dict`."""
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, text: str) -> ExactKKTResult:
        """Inverse of :meth:`to_json`."""
        return cls.from_dict(json.loads(text))


# --- solving -------------------------------------------------------------------------------------


def _float_guess(sys_: _System, rows: list[int]) -> np.ndarray | None:
    """A candidate ``u`` from HiGHS (dual simplex, so a vertex), or None."""
    import scipy.sparse as sp
    from scipy.optimize import linprog

    nc = len(sys_.columns)
    ridx = {r: a for a, r in enumerate(rows)}
    ri, ci, vals = [], [], []
    for c, col in enumerate(sys_.columns):
        for r, coef in col.items():
            ri.append(ridx[r])
            ci.append(c)
            vals.append(float(coef))
    A = sp.csr_matrix((vals, (ri, ci)), shape=(len(rows), nc))
    rhs = np.array([float(sys_.rhs[r]) for r in rows])
    ms = len(sys_.support)
    pos = {i: a for a, i in enumerate(sys_.support)}
    A_ub = None
    b_ub = None
    if sys_.pairs:
        p = len(sys_.pairs)
        ui = np.r_[np.arange(p), np.arange(p)]
        uc = np.r_[ms + np.arange(p), [pos[i] for i, _ in sys_.pairs]]
        uv = np.r_[np.ones(p), -np.ones(p)]
        A_ub = sp.csr_matrix((uv, (ui, uc)), shape=(p, nc))
        b_ub = np.zeros(p)
    try:
        res = linprog(
            np.zeros(nc), A_ub=A_ub, b_ub=b_ub, A_eq=A, b_eq=rhs, bounds=(0, None),
            method="highs-ds",
        )
    except ValueError:
        return None
    return np.asarray(res.x) if res.status == 0 else None


def _to_qq(q: Fraction):  # noqa: ANN202
    from sympy import QQ

    return QQ(q.numerator, q.denominator)


def _from_qq(e: object) -> Fraction:
    return Fraction(int(e.numerator), int(e.denominator))  # type: ignore[attr-defined]


def _exact_from_guess(sys_: _System, rows: list[int], guess: np.ndarray) -> list[Fraction] | None:
    """Fix the guess's face exactly and solve it with DomainMatrix over QQ."""
    from sympy import QQ
    from sympy.polys.matrices import DomainMatrix

    ms = len(sys_.support)
    nc = len(sys_.columns)
    scale = max(1.0, float(np.max(np.abs(guess)))) if nc else 1.0
    tol = 1e-9 * scale
    pos = {i: a for a, i in enumerate(sys_.support)}
    zero = [abs(guess[c]) <= tol for c in range(nc)]
    tied = {}  # mu column -> lambda column (mu = lambda)
    for a, (i, _j) in enumerate(sys_.pairs):
        c = ms + a
        if not zero[c] and abs(guess[c] - guess[pos[i]]) <= tol:
            tied[c] = pos[i]
    free_cols = [c for c in range(nc) if not zero[c] and c not in tied]
    if any(tied[c] not in free_cols for c in tied):
        return None
    fidx = {c: a for a, c in enumerate(free_cols)}
    ridx = {r: a for a, r in enumerate(rows)}
    dense = [[QQ(0)] * (len(free_cols) + 1) for _ in rows]
    for c in list(free_cols) + list(tied):
        target = fidx[tied.get(c, c)]
        for r, coef in sys_.columns[c].items():
            dense[ridx[r]][target] += _to_qq(coef)
    for a, r in enumerate(rows):
        dense[a][-1] = _to_qq(sys_.rhs[r])
    if not rows:
        return [Fraction(0)] * nc
    M = DomainMatrix(dense, (len(rows), len(free_cols) + 1), QQ)
    R, pivots = M.rref()
    if len(free_cols) in pivots:
        return None  # this face is inconsistent
    R = R.to_list()
    nf = len(free_cols)
    vals: list[Fraction] = [Fraction(0)] * nf
    piv = set(pivots)
    for a in range(nf):
        if a not in piv:
            vals[a] = Fraction(float(guess[free_cols[a]])).limit_denominator(10**9)
    for row, pc in enumerate(pivots):
        t = _from_qq(R[row][-1])
        for a in range(nf):
            if a not in piv and R[row][a]:
                t -= _from_qq(R[row][a]) * vals[a]
        vals[pc] = t
    u = [Fraction(0)] * nc
    for a, c in enumerate(free_cols):
        u[c] = vals[a]
    for c, lc in tied.items():
        u[c] = u[lc]
    return u


def _independent_rows(sys_: _System, rows: list[int]) -> list[int]:
    """Rows of ``[A | theta]`` forming a basis of its row space (pivots of the transpose)."""
    from sympy import QQ
    from sympy.polys.matrices import DomainMatrix

    nc = len(sys_.columns)
    ridx = {r: a for a, r in enumerate(rows)}
    dense = [[QQ(0)] * len(rows) for _ in range(nc + 1)]
    for c, col in enumerate(sys_.columns):
        for r, coef in col.items():
            dense[c][ridx[r]] = _to_qq(coef)
    for a, r in enumerate(rows):
        dense[nc][a] = _to_qq(sys_.rhs[r])
    _, pivots = DomainMatrix(dense, (nc + 1, len(rows)), QQ).rref()
    return [rows[p] for p in pivots]


def _simplex_phase1(
    sys_: _System, rows: list[int]
) -> tuple[list[Fraction] | None, dict[int, Fraction], dict[tuple[int, int], Fraction]]:
    """Exact phase-1 simplex (Bland's rule) on ``A_rows u = theta_rows, D u + sigma = 0``.

    Returns ``(u, {}, {})`` if feasible, else ``(None, y, z)`` a Farkas certificate.
    """
    ms = len(sys_.support)
    nc = len(sys_.columns)
    p = len(sys_.pairs)
    ne = len(rows)
    pos = {i: a for a, i in enumerate(sys_.support)}
    ncol = nc + p + ne  # u | sigma | artificials
    F0 = Fraction(0)
    T: list[list[Fraction]] = []
    signs: list[int] = []
    for r in rows:
        rhs = sys_.rhs[r]
        sgn = -1 if rhs < 0 else 1
        signs.append(sgn)
        line = [F0] * (ncol + 1)
        for c, col in enumerate(sys_.columns):
            if r in col:
                line[c] = sgn * col[r]
        line[nc + p + len(T)] = Fraction(1)
        line[-1] = sgn * rhs
        T.append(line)
    for a, (i, _j) in enumerate(sys_.pairs):
        line = [F0] * (ncol + 1)
        line[ms + a] = Fraction(1)
        line[pos[i]] = Fraction(-1)
        line[nc + a] = Fraction(1)
        T.append(line)
    basis = [nc + p + e for e in range(ne)] + [nc + a for a in range(p)]
    # Reduced costs of phase 1 (cost 1 on artificials): d = c - sum of equality rows.
    obj = [F0] * (ncol + 1)
    for e in range(ne):
        obj[nc + p + e] = Fraction(1)
    for e in range(ne):
        for c in range(ncol + 1):
            if T[e][c]:
                obj[c] -= T[e][c]
    while True:
        enter = next((c for c in range(ncol) if obj[c] < 0), None)
        if enter is None:
            break
        best = None
        for rr, line in enumerate(T):
            if line[enter] > 0:
                ratio = line[-1] / line[enter]
                key = (ratio, basis[rr])
                if best is None or key < best[0]:
                    best = (key, rr)
        if best is None:  # unbounded cannot happen in phase 1 (objective >= 0)
            raise RuntimeError("phase-1 simplex unbounded")
        rr = best[1]
        piv = T[rr][enter]
        T[rr] = [t / piv for t in T[rr]]
        prow = T[rr]
        nzc = [c for c, t in enumerate(prow) if t]
        for other, line in enumerate(T):
            if other != rr and line[enter]:
                f = line[enter]
                for c in nzc:
                    line[c] -= f * prow[c]
        if obj[enter]:
            f = obj[enter]
            for c in nzc:
                obj[c] -= f * prow[c]
        basis[rr] = enter
    value = -obj[-1]
    if value == 0:
        u = [F0] * nc
        for rr, bv in enumerate(basis):
            if bv < nc:
                u[bv] = T[rr][-1]
        return u, {}, {}
    y = {r: (obj[nc + p + e] - 1) * signs[e] for e, r in enumerate(rows)}
    z = {pair: obj[nc + a] for a, pair in enumerate(sys_.pairs)}
    return None, {r: t for r, t in y.items() if t}, {q: t for q, t in z.items() if t}


def verify_kkt_exact(net: Network, x: object, y: object | None = None) -> ExactKKTResult:
    """Decide exactly whether ``net`` is a KKT point of Problem (4), with a proof.

    Computes exact margins ``y_i N(x_i)``, their minimum ``m``, the support (margin
    exactly ``m``) and the zero pairs, then decides feasibility of the linear system of
    the :mod:`pwl_kkt.exact` page: ``theta = sum_i lambda_i h_i(theta)`` with Clarke weights,
    ``lambda >= 0``, ``0 <= mu_ij <= lambda_i``. Normalizing by ``sqrt(m)`` is not needed
    (the lambdas are the same), and at a KKT point ``||theta||^2 / m = 2 sum_i lambda_i``.

    Parameters
    ----------
    net : Network
        Exact or float network (floats are their exact dyadic values).
    x, y :
        A :class:`~pwl_kkt.Dataset`, or inputs and labels in {-1, +1}.

    Returns
    -------
    ExactKKTResult
        With ``proof`` ``"multipliers"`` (KKT), ``"farkas"`` or ``"violated"`` (not KKT).

    Raises
    ------
    MisclassifiedError
        Some point has ``y_i N(x_i) <= 0``.
    NotSeparableError, InvalidDataError, InvalidValueError
        Conflicting duplicates, malformed data.

    Examples
    --------
    >>> net = Network([1, -1, 0], [0, 0, 1], [1, 1, -1])   # |x| - 1, kinks on x = 0
    >>> r = verify_kkt_exact(net, [-2, 0, 2], [1, -1, 1])
    >>> r.is_kkt, r.lambdas
    (True, (Fraction(1, 2), Fraction(2, 1), Fraction(1, 2)))
    >>> r.subgradients  # s_ij = 1/4 for both kinks sitting on x = 0
    ((1, 0, Fraction(1, 4)), (1, 1, Fraction(1, 4)))
    >>> verify_kkt_exact(Network([0], [1], [1]), [1, 2], [1, 1]).proof
    'farkas'
    """
    ds = as_dataset(x, y)
    if not isinstance(ds, Dataset):  # pragma: no cover - as_dataset guarantees it
        raise InvalidDataError("x must be a Dataset or a sequence")
    exact_net = net.to_exact()
    exact_ds = ds if ds.is_exact else Dataset(list(ds.x_exact), ds.y.tolist(), exact=True)
    sys_ = _build_system(exact_net, exact_ds)
    k = sys_.k
    ms = len(sys_.support)
    common = {
        "network": exact_net,
        "data": exact_ds,
        "min_margin": sys_.m,
        "support": sys_.support,
        "zero_pairs": sys_.pairs,
    }

    def not_kkt(proof: str, method: str, yv: dict, zv: dict, reason: str) -> ExactKKTResult:
        fy = tuple(
            (_KINDS[r // k], r % k, t) for r, t in sorted(yv.items()) if t
        )
        fz = tuple((i, j, t) for (i, j), t in sorted(zv.items()) if t)
        return ExactKKTResult(
            is_kkt=False, proof=proof, method=method, lambdas=None, mu=None,
            farkas_y=fy, farkas_z=fz, reason=reason, **common,
        )

    def kkt(u: list[Fraction], method: str) -> ExactKKTResult:
        lambdas = [Fraction(0)] * exact_ds.n
        for i, t in zip(sys_.support, u[:ms]):
            lambdas[i] = t
        mu = tuple((i, j, t) for (i, j), t in zip(sys_.pairs, u[ms:]))
        total = sum(lambdas, Fraction(0))
        return ExactKKTResult(
            is_kkt=True, proof="multipliers", method=method, lambdas=tuple(lambdas), mu=mu,
            farkas_y=None, farkas_z=None,
            reason=f"exact multipliers with sum {fraction_text(total)} satisfy every equation",
            **common,
        )

    used = set()
    for col in sys_.columns:
        used.update(col)
    for r, t in enumerate(sys_.rhs):
        if t and r not in used:
            yv = {r: Fraction(-1 if t > 0 else 1)}
            reason = (
                f"the {_row_name(r, k)} reads {fraction_text(t)} = 0: no support point enters it"
            )
            assert _check_farkas(sys_, yv, {}) is None
            return not_kkt("violated", "direct", yv, {}, reason)
    rows = sorted(used)
    guess = _float_guess(sys_, rows) if rows else None
    if guess is not None:
        u = _exact_from_guess(sys_, rows, guess)
        if u is not None and _check_multipliers(sys_, u) is None:
            return kkt(u, "lp+domainmatrix")
    indep = _independent_rows(sys_, rows) if rows else []
    u, yv, zv = _simplex_phase1(sys_, indep)
    if u is not None:
        problem = _check_multipliers(sys_, u)
        if problem is not None:  # pragma: no cover - would be a bug in the simplex
            raise RuntimeError(f"exact simplex returned a non-solution: {problem}")
        return kkt(u, "exact-simplex")
    problem = _check_farkas(sys_, yv, zv)
    if problem is not None:  # pragma: no cover - would be a bug in the simplex
        raise RuntimeError(f"exact simplex returned an invalid Farkas vector: {problem}")
    return not_kkt(
        "farkas", "exact-simplex", yv, zv,
        f"a Farkas vector on {len(yv)} equation(s) and {len(zv)} bound(s) proves that no "
        "multipliers exist",
    )
