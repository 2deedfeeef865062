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

Structure (the KKT system and the activation groups of a KKT point). With the support sorted
by x, the strictly active support points of a neuron are one half-line and its zero pairs
one run, so ``A u`` and ``A^T y`` are prefix sums: building, substituting and re-checking
cost ``O((n + k) log(n + k))`` rational operations, never an ``n x k`` array. For solving,
the ``v``-equation of a neuron with ``v_j != 0`` is ``(w_j / v_j)`` times its ``w``-row plus
``(b_j / v_j)`` times its ``b``-row, consistent iff the neuron is balanced (``v_j^2 = w_j^2
+ b_j^2``; otherwise that combination is a three-row Farkas proof), and neurons with one
activation pattern, no zero pairs and one direction ``(w_j, b_j) / v_j`` share one
``w``/``b`` row pair: at a KKT point the system has two rows per activation group instead of
three per neuron.

On R^d (a :class:`~pwl_kkt.NetworkNd`) the rows of neuron j are the d + 1 coordinates of
``u_j = (w_j, b_j)`` (d without hidden biases) and ``v_j``, named ``w[0] .. w[d-1], b, v``;
activation sets are no longer half-lines, so each neuron keeps the tuple of its active support
points and the system costs ``O(d sum_j |A_j|)`` rational operations to apply. Everything
below -- balance, grouping, the LP guess, the exact face solve, the simplex, the Farkas
check -- is the same code.

Candidates come from a floating LP (HiGHS via :func:`scipy.optimize.linprog`) on that grouped
system; the exact step solves the guessed face over QQ with python-flint's ``fmpq_mat``.
If that fails, an exact Bland's-rule phase-1 simplex over :class:`~fractions.Fraction`
decides the (row-reduced) grouped system; its Farkas vector is mapped back to the full rows
(row pair of group representative j divided by ``v_j``). No solver's word is trusted: the
proof is always checked by exact substitution before it is returned, and
:meth:`ExactKKTResult.recheck` redoes the check from the network and data alone.
"""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from .._rational import fraction_text, short_text
from ..errors import InvalidDataError, MisclassifiedError
from ..model.data import Dataset, as_dataset
from ..model.data_nd import DatasetNd
from ..model.network import Network
from ..model.network_nd import NetworkNd

__all__ = ["ExactKKTResult", "exact_margins", "verify_kkt_exact"]

_KINDS = ("w", "b", "v")


# --- the exact system --------------------------------------------------------------------------


@dataclass(frozen=True)
class _System:
    """The linear system of the module docstring, held by its structure, never as a matrix.

    The support points are sorted by x (``order``); a neuron's strictly active support points
    are then one half-line of positions ``act[j] = [lo, hi)`` and its zero pairs another
    (``zero[j]``), so every row and column sum is a prefix sum: ``O((n + k) log(n + k))``
    rational operations build, apply and transpose it.
    """

    k: int
    margins: tuple[Fraction, ...]
    m: Fraction
    support: tuple[int, ...]
    pairs: tuple[tuple[int, int], ...]  # useful zero pairs (i, j), sorted
    w: tuple[Fraction, ...]
    b: tuple[Fraction, ...]
    v: tuple[Fraction, ...]
    x: tuple[Fraction, ...]
    y: tuple[int, ...]
    order: tuple[int, ...]  # support points sorted by x
    act: tuple[tuple[int, int], ...]  # per neuron: positions in ``order`` with z_ij > 0
    zero: tuple[tuple[int, int], ...]  # per neuron: positions of its useful zero pairs

    kinds = _KINDS

    @property
    def rhs(self) -> tuple[Fraction, ...]:
        """``theta = (w, b, v)``; row ``r = kind * k + j``."""
        return self.w + self.b + self.v

    def row_name(self, r: int) -> str:
        return _row_name(r, self.k)

    def apply(self, lam: dict[int, Fraction], mu: dict[tuple[int, int], Fraction]):
        return _apply(self, lam, mu)

    def transpose(self, y: dict[int, Fraction]):
        return _transpose(self, y)

    def used_rows(self) -> list[bool]:
        return _used_rows(self)

    def reduce(self) -> _Reduced:
        return _reduce(self)


def exact_margins(net: Network, ds: Dataset) -> tuple[Fraction, ...]:
    """``y_i N(x_i)`` exactly for every point (floats read as their dyadic values).

    Examples
    --------
    >>> exact_margins(Network([0, 0], [1, 0], [1, 0]), Dataset([4, -4], [1, 1]))
    (Fraction(1, 1), Fraction(1, 1))
    """
    from ..geometry.pwl import piecewise_linear

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
    xs = ds.x_exact
    order = tuple(sorted(support, key=xs.__getitem__))
    sx = [xs[i] for i in order]
    ms = len(order)
    act, zero, pairs = [], [], []
    for wj, bj, vj in zip(w, b, v):
        if wj:
            t = -bj / wj
            lo, hi = bisect.bisect_left(sx, t), bisect.bisect_right(sx, t)
            act.append((hi, ms) if wj > 0 else (0, lo))
            zero.append((lo, hi) if vj else (0, 0))  # w_j != 0, so (w_j, b_j) != 0
        else:
            act.append((0, ms) if bj > 0 else (0, 0))
            zero.append((0, 0))
    for j, (lo, hi) in enumerate(zero):
        pairs += [(order[p], j) for p in range(lo, hi)]
    return _System(
        k=len(w),
        margins=margins,
        m=m,
        support=support,
        pairs=tuple(sorted(pairs)),
        w=tuple(w),
        b=tuple(b),
        v=tuple(v),
        x=tuple(xs),
        y=tuple(int(t) for t in ds.y.tolist()),
        order=order,
        act=tuple(act),
        zero=tuple(zero),
    )


def _row_name(r: int, k: int) -> str:
    kind, j = divmod(r, k)
    return f"{_KINDS[kind]}-equation of neuron {j}"


def _prefix(values: list[Fraction]) -> list[Fraction]:
    out = [Fraction(0)]
    for t in values:
        out.append(out[-1] + t)
    return out


def _apply(sys_: _System, lam: dict[int, Fraction], mu: dict[tuple[int, int], Fraction]):
    """``A u`` (one entry per row ``r = kind * k + j``) by prefix sums over sorted support."""
    xs, ys = sys_.x, sys_.y
    lx = [lam.get(i, Fraction(0)) * ys[i] for i in sys_.order]
    p0 = _prefix(lx)
    p1 = _prefix([t * xs[i] for t, i in zip(lx, sys_.order)])
    k = sys_.k
    out = [Fraction(0)] * (3 * k)
    for j, ((lo, hi), (zlo, zhi)) in enumerate(zip(sys_.act, sys_.zero)):
        s1, s0 = p1[hi] - p1[lo], p0[hi] - p0[lo]
        out[2 * k + j] = sys_.w[j] * s1 + sys_.b[j] * s0
        for p in range(zlo, zhi):
            i = sys_.order[p]
            t = mu.get((i, j), Fraction(0)) * ys[i]
            s1 += t * xs[i]
            s0 += t
        out[j], out[k + j] = sys_.v[j] * s1, sys_.v[j] * s0
    return out


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
    acc = sys_.apply(dict(zip(sys_.support, lam)), dict(zip(sys_.pairs, u[ms:])))
    for r, (lhs, rhs) in enumerate(zip(acc, sys_.rhs)):
        if lhs != rhs:
            return f"{sys_.row_name(r)}: {fraction_text(rhs)} != {fraction_text(lhs)}"
    return None


def _transpose(sys_: _System, y: dict[int, Fraction]) -> tuple[dict[int, Fraction], list[Fraction]]:
    """``A^T y``: per support point ``i`` and per zero pair, by difference arrays over positions.

    A neuron j adds ``a_j = y_wj v_j + y_vj w_j`` (times ``y_i x_i``) and ``c_j = y_bj v_j +
    y_vj b_j`` (times ``y_i``) to the columns of its active support points.
    """
    k, ms = sys_.k, len(sys_.order)
    xs, ys = sys_.x, sys_.y
    d1 = [Fraction(0)] * (ms + 1)
    d0 = [Fraction(0)] * (ms + 1)
    for r in {r % k for r in y}:
        yw, yb, yv = y.get(r, 0), y.get(k + r, 0), y.get(2 * k + r, 0)
        a = yw * sys_.v[r] + yv * sys_.w[r]
        c = yb * sys_.v[r] + yv * sys_.b[r]
        lo, hi = sys_.act[r]
        d1[lo] += a
        d1[hi] -= a
        d0[lo] += c
        d0[hi] -= c
    lam_cols: dict[int, Fraction] = {}
    s1 = s0 = Fraction(0)
    for p, i in enumerate(sys_.order):
        s1 += d1[p]
        s0 += d0[p]
        lam_cols[i] = ys[i] * (xs[i] * s1 + s0)
    mu_cols = [
        ys[i] * sys_.v[j] * (xs[i] * y.get(j, 0) + y.get(k + j, 0)) for i, j in sys_.pairs
    ]
    return lam_cols, mu_cols


def _check_farkas(
    sys_: _System, y: dict[int, Fraction], z: dict[tuple[int, int], Fraction]
) -> str | None:
    """``None`` if ``(y, z)`` proves infeasibility exactly, else what fails."""
    if any(t < 0 for t in z.values()):
        return "a bound multiplier z is negative"
    pair_set = set(sys_.pairs)
    if any(p not in pair_set for p in z):
        return "z names a pair that is not a zero pair"
    lam_cols, mu_cols = sys_.transpose(y)
    for (i, _j), t in z.items():  # D^T z: mu_ij - lambda_i <= 0
        lam_cols[i] -= t
    ms = len(sys_.support)
    vals = [lam_cols[i] for i in sys_.support]
    vals += [c + z.get(p, Fraction(0)) for p, c in zip(sys_.pairs, mu_cols)]
    for c, val in enumerate(vals):
        if val < 0:
            where = f"lambda_{sys_.support[c]}" if c < ms else f"mu_{sys_.pairs[c - ms]}"
            return f"column {c} ({where}): A^T y + D^T z = {fraction_text(val)} < 0"
    rhs = sys_.rhs
    dot = sum((rhs[r] * t for r, t in y.items()), Fraction(0))
    if dot >= 0:
        return f"theta . y = {fraction_text(dot)} is not negative"
    return None


# --- result --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExactKKTResult:
    """An exact KKT decision with its proof (the proof forms are in :mod:`pwl_kkt.kkt.exact`).

    Attributes
    ----------
    is_kkt : bool
        The decision.
    proof : str
        ``"multipliers"``, ``"farkas"`` or ``"violated"``.
    method : str
        How the proof was found: ``"lp+fmpq"``, ``"exact-simplex"`` or ``"direct"``.
    network, data :
        The exact instance (so the proof can be re-checked on its own): a
        :class:`~pwl_kkt.Network` and :class:`~pwl_kkt.Dataset`, or a
        :class:`~pwl_kkt.NetworkNd` and :class:`~pwl_kkt.DatasetNd` on R^d.
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
        ``(kind, j, y)`` for the equations with nonzero weight: ``kind`` in w, b, v, and on
        R^d in ``w[0], .., w[d-1]``, ``b`` (with hidden biases), ``v``.
    farkas_z : tuple of (int, int, Fraction) or None
        ``(i, j, z)`` for the bounds ``mu_ij <= lambda_i`` with nonzero weight.
    reason : str
        One-sentence summary; it names what the verdict is about (see :attr:`normalized`).

    The decision is about ``theta / sqrt(m)`` (the direction of theta), which has margin 1;
    it is about theta itself only when ``m = 1`` (:attr:`normalized` is False). Example 1's
    ``theta(0)`` scaled by 2/7 has ``m = 4/49``: it is infeasible for Problem (4), and what is
    a KKT point is ``theta / (2/7)``.

    Examples
    --------
    >>> r = verify_kkt_exact(Network([0, 0], [1, 0], [1, 0]), [4, -4], [1, 1])
    >>> r.is_kkt, r.proof, r.lambdas, r.normalized
    (True, 'multipliers', (Fraction(1, 2), Fraction(1, 2)), False)
    >>> s = verify_kkt_exact(Network([0, 0], ["2/7", 0], ["2/7", 0]), [4, -4], [1, 1])
    >>> s.normalized, s.min_margin, s.scale
    (True, Fraction(4, 49), 2/7)
    >>> s.reason  # doctest: +NORMALIZE_WHITESPACE
    'theta / sqrt(m) with m = 4/49 (not theta itself) is a KKT point: exact multipliers
     with sum 1 satisfy every equation (||theta||^2 / m = 2 sum lambda)'
    >>> r.recheck()
    True
    >>> ExactKKTResult.from_json(r.to_json()) == r
    True
    """

    is_kkt: bool
    proof: str
    method: str
    network: Network | NetworkNd
    data: Dataset | DatasetNd
    min_margin: Fraction
    support: tuple[int, ...]
    zero_pairs: tuple[tuple[int, int], ...]
    lambdas: tuple[Fraction, ...] | None
    mu: tuple[tuple[int, int, Fraction], ...] | None
    farkas_y: tuple[tuple[str, int, Fraction], ...] | None
    farkas_z: tuple[tuple[int, int, Fraction], ...] | None
    reason: str

    @property
    def normalized(self) -> bool:
        """``m != 1``: the verdict is about ``theta / sqrt(m)``, not about theta itself."""
        return self.min_margin != 1

    @property
    def d(self) -> int:
        """Input dimension of the network (1 for a univariate :class:`~pwl_kkt.Network`)."""
        return self.network.d if isinstance(self.network, NetworkNd) else 1

    @property
    def scale(self) -> Any:
        """``sqrt(m)`` exactly as a SymPy number (``2/7``, ``sqrt(2)/2``): ``theta / scale``."""
        return _exact_sqrt(self.min_margin)

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
        sys_ = _system_of(self.network, self.data)
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
            k, kinds = sys_.k, sys_.kinds
            if any(kind not in kinds or not 0 <= j < k for kind, j, _ in self.farkas_y):
                return "the Farkas vector y names an equation the network does not have"
            y = {kinds.index(kind) * k + j: t for kind, j, t in self.farkas_y}
            z = {(i, j): t for i, j, t in self.farkas_z}
            return _check_farkas(sys_, y, z)
        return f"unknown proof kind {self.proof!r}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; every rational is exact ``"p/q"`` text."""
        ft = fraction_text
        w, b, v = self.network.fractions()
        if isinstance(self.network, NetworkNd):  # rows of d; "b": null without hidden biases
            network = {"w": [[ft(t) for t in row] for row in w],
                       "b": [ft(t) for t in b] if self.network.has_bias else None,
                       "v": [ft(t) for t in v]}
            x = [[ft(t) for t in row] for row in self.data.x_exact]
        else:
            network = {"w": [ft(t) for t in w], "b": [ft(t) for t in b], "v": [ft(t) for t in v]}
            x = [ft(t) for t in self.data.x_exact]
        return {
            "is_kkt": self.is_kkt,
            "proof": self.proof,
            "method": self.method,
            "network": network,
            "data": {"x": x, "y": self.data.y.tolist()},
            "min_margin": ft(self.min_margin),
            "normalized": self.normalized,
            "scale": str(self.scale),
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
        nd = d["network"]["w"] and isinstance(d["network"]["w"][0], list)
        kind, data_kind = (NetworkNd, DatasetNd) if nd else (Network, Dataset)
        net = kind(d["network"]["w"], d["network"]["b"], d["network"]["v"], exact=True)
        data = data_kind(d["data"]["x"], d["data"]["y"], exact=True)
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


def _exact_sqrt(q: Fraction) -> Any:
    import sympy

    return sympy.sqrt(sympy.Rational(q.numerator, q.denominator))


def _subject_text(m: Fraction) -> str:
    """What a KKT verdict at minimum margin ``m`` is about.

    Examples
    --------
    >>> _subject_text(Fraction(1))
    'theta'
    >>> _subject_text(Fraction(1, 2))
    'theta / sqrt(m) with m = 1/2 (not theta itself)'
    """
    if m == 1:
        return "theta"
    return f"theta / sqrt(m) with m = {short_text(m)} (not theta itself)"


def _kkt_reason(m: Fraction, total: Fraction) -> str:
    euler = "||theta||^2" if m == 1 else "||theta||^2 / m"
    return (
        f"{_subject_text(m)} is a KKT point: exact multipliers with sum {fraction_text(total)} "
        f"satisfy every equation ({euler} = 2 sum lambda)"
    )


# --- solving -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Reduced:
    """The system with one row pair per activation group (the reduced system of the limit).

    For ``v_j != 0`` the ``w``- and ``b``-equations of neuron j divided by ``v_j`` read
    ``sum_{i in A_j} lambda_i y_i (x_i, 1) (+ its mu terms) = (w_j, b_j) / v_j``: neurons with
    one pattern ``A_j``, no zero pairs and one direction ``(w_j, b_j) / v_j`` give the same two
    rows, kept once. The ``v``-equation is ``(w_j / v_j)`` times the ``w``-row plus
    ``(b_j / v_j)`` times the ``b``-row, with right-hand sides consistent iff
    ``v_j^2 = w_j^2 + b_j^2`` (checked before). Row ``r`` stands for the full row
    ``(kind, j)`` divided by ``v_j``, so a Farkas vector maps back by ``y_full = y_r / v_j``.
    """

    rows: tuple[tuple[int, int], ...]  # (kind 0 = w or 1 = b, representative neuron j)
    rhs: tuple[Fraction, ...]
    columns: tuple[dict[int, Fraction], ...]  # lambda_i (support order), then mu pairs


def _reduce(sys_: _System) -> _Reduced:
    xs, ys, order = sys_.x, sys_.y, sys_.order
    ms = len(sys_.support)
    col_of = {i: c for c, i in enumerate(sys_.support)}
    col_of.update({p: ms + a for a, p in enumerate(sys_.pairs)})
    columns: list[dict[int, Fraction]] = [{} for _ in range(ms + len(sys_.pairs))]
    rows: list[tuple[int, int]] = []
    rhs: list[Fraction] = []
    seen = set()
    for j, ((lo, hi), (zlo, zhi)) in enumerate(zip(sys_.act, sys_.zero)):
        vj = sys_.v[j]
        if not vj:
            continue  # its rows are empty; a nonzero w_j or b_j was reported as violated
        g = (sys_.w[j] / vj, sys_.b[j] / vj)
        if zlo == zhi:
            key = (lo, hi, g)
            if key in seen:
                continue
            seen.add(key)
        for kind in (0, 1):
            r = len(rows)
            cells = [(col_of[order[p]], order[p]) for p in range(lo, hi)]
            cells += [(col_of[(order[p], j)], order[p]) for p in range(zlo, zhi)]
            for c, i in cells:
                coef = ys[i] * xs[i] if kind == 0 else Fraction(ys[i])
                if coef:
                    columns[c][r] = coef
            if any(r in columns[c] for c, _ in cells):
                rows.append((kind, j))
                rhs.append(g[kind])
    return _Reduced(rows=tuple(rows), rhs=tuple(rhs), columns=tuple(columns))


def _float_guess(sys_: _System, red: _Reduced) -> np.ndarray | None:
    """A candidate ``u`` from HiGHS (dual simplex, so a vertex), or None."""
    import scipy.sparse as sp
    from scipy.optimize import linprog

    nc = len(red.columns)
    ri, ci, vals = [], [], []
    for c, col in enumerate(red.columns):
        for r, coef in col.items():
            ri.append(r)
            ci.append(c)
            vals.append(float(coef))
    A = sp.csr_matrix((vals, (ri, ci)), shape=(len(red.rows), nc))
    rhs = np.array([float(t) for t in red.rhs])
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


def _fmpq(q: Fraction):  # noqa: ANN202
    from flint import fmpq

    return fmpq(q.numerator, q.denominator)


def _from_fmpq(e: object) -> Fraction:
    return Fraction(int(e.p), int(e.q))  # type: ignore[attr-defined]


def _rref(dense: list[list[Fraction]], ncols: int) -> tuple[list[list[Fraction]], list[int]]:
    """Reduced row echelon form over QQ (python-flint ``fmpq_mat``) and the pivot columns."""
    from flint import fmpq_mat

    if not dense:
        return [], []
    M = fmpq_mat(len(dense), ncols, [_fmpq(t) for row in dense for t in row])
    R, rank = M.rref()
    out, pivots = [], []
    for a in range(rank):
        row = [_from_fmpq(R[a, c]) for c in range(ncols)]
        pivots.append(next(c for c, t in enumerate(row) if t))
        out.append(row)
    return out, pivots


def _exact_from_guess(sys_: _System, red: _Reduced, guess: np.ndarray) -> list[Fraction] | None:
    """Fix the guess's face exactly and solve it over QQ (python-flint)."""
    ms = len(sys_.support)
    nc = len(red.columns)
    if not red.rows:
        return [Fraction(0)] * nc
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
    nf = len(free_cols)
    dense = [[Fraction(0)] * (nf + 1) for _ in red.rows]
    for c in list(free_cols) + list(tied):
        target = fidx[tied.get(c, c)]
        for r, coef in red.columns[c].items():
            dense[r][target] += coef
    for r, t in enumerate(red.rhs):
        dense[r][-1] = t
    R, pivots = _rref(dense, nf + 1)
    if nf in pivots:
        return None  # this face is inconsistent
    vals: list[Fraction] = [Fraction(0)] * nf
    piv = set(pivots)
    for a in range(nf):
        if a not in piv:
            vals[a] = Fraction(float(guess[free_cols[a]])).limit_denominator(10**9)
    for row, pc in zip(R, pivots):
        t = row[-1]
        for a in range(nf):
            if a not in piv and row[a]:
                t -= row[a] * vals[a]
        vals[pc] = t
    u = [Fraction(0)] * nc
    for a, c in enumerate(free_cols):
        u[c] = vals[a]
    for c, lc in tied.items():
        u[c] = u[lc]
    return u


def _independent_rows(red: _Reduced) -> list[int]:
    """Rows of ``[A | theta]`` forming a basis of its row space (pivots of the transpose)."""
    nr = len(red.rows)
    dense = [[col.get(r, Fraction(0)) for r in range(nr)] for col in red.columns]
    dense.append(list(red.rhs))
    return _rref(dense, nr)[1]


def _simplex_phase1(
    sys_: _System, red: _Reduced, rows: list[int]
) -> tuple[list[Fraction] | None, dict[int, Fraction], dict[tuple[int, int], Fraction]]:
    """Exact phase-1 simplex (Bland's rule) on ``A_rows u = theta_rows, D u + sigma = 0``.

    Returns ``(u, {}, {})`` if feasible, else ``(None, y, z)`` a Farkas certificate on the
    reduced rows.
    """
    ms = len(sys_.support)
    nc = len(red.columns)
    p = len(sys_.pairs)
    ne = len(rows)
    pos = {i: a for a, i in enumerate(sys_.support)}
    ncol = nc + p + ne  # u | sigma | artificials
    F0 = Fraction(0)
    T: list[list[Fraction]] = []
    signs: list[int] = []
    for r in rows:
        rhs = red.rhs[r]
        sgn = -1 if rhs < 0 else 1
        signs.append(sgn)
        line = [F0] * (ncol + 1)
        for c, col in enumerate(red.columns):
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


def _full_farkas(sys_: _System, red: _Reduced, y: dict[int, Fraction]) -> dict[int, Fraction]:
    """A Farkas vector on the reduced rows as one on the full rows (divide by ``v_j``)."""
    k = sys_.k
    out: dict[int, Fraction] = {}
    for r, t in y.items():
        kind, j = red.rows[r]
        out[kind * k + j] = t / sys_.v[j]
    return out


def _used_rows(sys_: _System) -> list[bool]:
    """Which full rows some column enters (a nonzero coefficient), from the structure alone."""
    k = sys_.k
    nonzero_x = _prefix([Fraction(1 if sys_.x[i] else 0) for i in sys_.order])
    used = [False] * (3 * k)
    for j, ((lo, hi), (zlo, zhi)) in enumerate(zip(sys_.act, sys_.zero)):
        if sys_.v[j]:
            used[j] = nonzero_x[hi] > nonzero_x[lo] or nonzero_x[zhi] > nonzero_x[zlo]
            used[k + j] = hi > lo or zhi > zlo
        used[2 * k + j] = hi > lo
    return used


def _unbalanced(sys_) -> tuple[int, dict[int, Fraction]] | None:
    """A neuron whose ``v``-equation contradicts its other equations, with the proof.

    With ``u_j = (w_j, b_j)`` (its coordinates on R^d), ``v-row - sum_c (u_j[c] / v_j) u[c]-row``
    vanishes on every column, while its right-hand side is ``v_j - ||u_j||^2 / v_j``: nonzero
    unless the neuron is balanced.
    """
    k = sys_.k
    rhs = sys_.rhs
    last = len(sys_.kinds) - 1  # the v-rows
    for j in range(k):
        vj = rhs[last * k + j]
        if vj:
            u = [rhs[c * k + j] for c in range(last)]
            gap = vj - sum((t * t for t in u), Fraction(0)) / vj
            if gap:
                s = -1 if gap > 0 else 1
                y = {last * k + j: Fraction(s)}
                y.update({c * k + j: -s * t / vj for c, t in enumerate(u)})
                return j, {r: t for r, t in y.items() if t}
    return None


def _system_of(net: Network | NetworkNd, data: Dataset | DatasetNd):
    """The exact system of an exact instance, univariate or on R^d."""
    if isinstance(net, NetworkNd):
        from ..model._match import data_for
        from ._exact_nd import build_system_nd

        return build_system_nd(net, data_for(net, data))
    if isinstance(data, DatasetNd):
        from ..model._match import data_for

        data = data_for(net, data).to_univariate()
    return _build_system(net, data)


def _exact_instance(
    net: Network | NetworkNd, x: object, y: object | None
) -> tuple[Network | NetworkNd, Dataset | DatasetNd]:
    """The network and the data held exactly (floats become their dyadic values)."""
    from ..model._match import data_for

    if isinstance(net, NetworkNd):
        nd = data_for(net, x, y)
        data = nd if nd.is_exact else DatasetNd(list(nd.x_exact), nd.y.tolist(), exact=True)
        return net.to_exact(), data
    ds = data_for(net, x, y).to_univariate() if isinstance(x, DatasetNd) else as_dataset(x, y)
    if not isinstance(ds, Dataset):  # pragma: no cover - as_dataset guarantees it
        raise InvalidDataError("x must be a Dataset or a sequence")
    exact_ds = ds if ds.is_exact else Dataset(list(ds.x_exact), ds.y.tolist(), exact=True)
    return net.to_exact(), exact_ds


def verify_kkt_exact(
    net: Network | NetworkNd, x: object, y: object | None = None
) -> ExactKKTResult:
    """Decide exactly whether ``net`` is a KKT point of Problem (4), with a proof.

    Computes exact margins ``y_i N(x_i)``, their minimum ``m``, the support (margin
    exactly ``m``) and the zero pairs, then decides feasibility of the linear system of
    the :mod:`pwl_kkt.kkt.exact` page: ``theta = sum_i lambda_i h_i(theta)`` with Clarke weights,
    ``lambda >= 0``, ``0 <= mu_ij <= lambda_i``. Normalizing by ``sqrt(m)`` is not needed
    (the lambdas are the same), and at a KKT point ``||theta||^2 / m = 2 sum_i lambda_i``.

    On R^d (a :class:`~pwl_kkt.NetworkNd`) the system is the same with ``(x_i, 1)`` and
    ``(w_j, b_j)`` in R^{d+1} (``x_i`` and ``w_j`` without hidden biases): d + 1 equations
    for ``u_j = v_j g_j`` and one for ``v_j`` per neuron, solved by the same machinery.

    Parameters
    ----------
    net : Network or NetworkNd
        Exact or float network (floats are their exact dyadic values).
    x, y :
        A :class:`~pwl_kkt.Dataset` (a :class:`~pwl_kkt.DatasetNd` of the network's
        dimension for a :class:`~pwl_kkt.NetworkNd`), or inputs and labels in {-1, +1}.

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

    In the plane, without hidden biases: two neurons pointing at the support points
    ``+-(3, 4)`` with ``|v_j| = 5 = ||w_j||``; the point ``(6, 8)`` has a larger margin.

    >>> from pwl_kkt import NetworkNd
    >>> net = NetworkNd([[3, 4], [-3, -4]], None, [5, -5])
    >>> r = verify_kkt_exact(net, [[3, 4], [-3, -4], [6, 8]], [1, -1, 1])
    >>> r.is_kkt, r.lambdas, r.d
    (True, (Fraction(1, 5), Fraction(1, 5), Fraction(0, 1)), 2)
    >>> r.recheck()
    True
    """
    exact_net, exact_ds = _exact_instance(net, x, y)
    sys_ = _system_of(exact_net, exact_ds)
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
            (sys_.kinds[r // k], r % k, t) for r, t in sorted(yv.items()) if t
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
            reason=_kkt_reason(sys_.m, total),
            **common,
        )

    used = sys_.used_rows()
    for r, t in enumerate(sys_.rhs):
        if t and not used[r]:
            yv = {r: Fraction(-1 if t > 0 else 1)}
            reason = (
                f"the {sys_.row_name(r)} reads {fraction_text(t)} = 0: no support point enters it"
            )
            assert _check_farkas(sys_, yv, {}) is None
            return not_kkt("violated", "direct", yv, {}, reason)
    unbalanced = _unbalanced(sys_)
    if unbalanced is not None:
        j, yv = unbalanced
        assert _check_farkas(sys_, yv, {}) is None
        return not_kkt(
            "farkas", "direct", yv, {},
            f"neuron {j} is not balanced (v_j^2 != ||(w_j, b_j)||^2), so its v-equation "
            "contradicts its w- and b-equations",
        )
    red = sys_.reduce()
    guess = _float_guess(sys_, red) if red.rows else None
    if guess is not None:
        u = _exact_from_guess(sys_, red, guess)
        if u is not None and _check_multipliers(sys_, u) is None:
            return kkt(u, "lp+fmpq")
    u, yr, zv = _simplex_phase1(sys_, red, _independent_rows(red) if red.rows else [])
    if u is not None:
        problem = _check_multipliers(sys_, u)
        if problem is not None:  # pragma: no cover - would be a bug in the simplex
            raise RuntimeError(f"exact simplex returned a non-solution: {problem}")
        return kkt(u, "exact-simplex")
    yv = _full_farkas(sys_, red, yr)
    problem = _check_farkas(sys_, yv, zv)
    if problem is not None:  # pragma: no cover - would be a bug in the simplex
        raise RuntimeError(f"exact simplex returned an invalid Farkas vector: {problem}")
    return not_kkt(
        "farkas", "exact-simplex", yv, zv,
        f"a Farkas vector on {len(yv)} equation(s) and {len(zv)} bound(s) proves that no "
        "multipliers exist",
    )
