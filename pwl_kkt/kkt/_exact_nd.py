"""The exact KKT system of a network on R^d, with the structure :mod:`pwl_kkt.kkt.exact` solves.

With ``xt_i = (x_i, 1)`` and ``u_j = (w_j, b_j)`` in R^{D}, ``D = d + 1`` (without hidden
biases ``xt_i = x_i``, ``u_j = w_j``, ``D = d``), the equations of neuron j are the D + 1 rows

    u_j[c] = v_j (sum_{i in S, z_ij > 0} lambda_i y_i xt_i[c] + sum_{(i, j) zero} mu_ij y_i xt_i[c])
    v_j    =      sum_{i in S, z_ij > 0} lambda_i y_i z_ij,          z_ij = u_j . xt_i,

numbered ``r = kind * k + j`` with ``kind = c`` for the coordinates of u_j and ``kind = D`` for
v: for d = 1 exactly the rows ``w, b, v`` of the univariate system. The activation sets are
no longer half-lines, so each neuron keeps the tuple of its active support points; applying
the system or its transpose costs ``O(D * sum_j |A_j|)`` rational operations.

Signs of ``z_ij`` are decided in float64 where a rigorous rounding bound allows, and in
exact rationals elsewhere; network outputs are then exact sums over the activation masks
(python-flint ``fmpq_mat``), so no ``n x k`` array of rationals is ever built.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..errors import MisclassifiedError
from ..model._scale import unit_scaled
from ..model.data_nd import DatasetNd
from ..model.network_nd import NetworkNd

_U = float(np.finfo(float).eps)
_TINY = 2.0**-1000  # absorbs underflow: parameters and points are scaled to at most 1 and inf
_BLOCK = 2**21  # entries of one (points x neurons) block of signs


def _sign_blocks(
    net: NetworkNd,
    xe: Sequence[tuple[Fraction, ...]],
    xf: np.ndarray,
    scaled: NetworkNd | None = None,
) -> Iterator[tuple[int, np.ndarray, list[tuple[int, int]]]]:
    """Exact signs of ``z_ij = w_j . x_i + b_j``, block by block of points.

    Yields ``(start, pos, zero)``: ``pos[a, j]`` is ``z_{start + a, j} > 0`` exactly and
    ``zero`` lists the ``(i, j)`` with ``z_ij = 0`` exactly. The float value of ``z`` on
    ``2^-e theta`` decides the sign when ``|z|`` exceeds its rounding bound
    ``2 (d + 4) u (|x| . |w_j| + |b_j|)`` (inputs rounded once, a dot product of d + 1 terms)
    plus an underflow allowance; the rest (ties, huge or tiny values) is decided in
    rationals. ``scaled`` is ``unit_scaled(net)`` if the caller has it already.
    """
    w, b, _ = net.fractions()
    ws, bs, _ = (unit_scaled(net) if scaled is None else scaled).arrays()
    k, d = ws.shape
    aw, ab = np.abs(ws), np.abs(bs)
    rows = max(1, _BLOCK // k)
    for start in range(0, len(xe), rows):
        xb = np.asarray(xf[start : start + rows], dtype=np.float64)
        with np.errstate(all="ignore"):
            z = xb @ ws.T + bs
            ax = np.abs(xb)
            bound = 2 * (d + 4) * _U * (ax @ aw.T + ab) + _TINY * (1 + ax.sum(axis=1))[:, None]
            sure = np.abs(z) > bound  # False for NaN and inf: decided exactly
        pos = sure & (z > 0)
        zero = []
        for a, j in np.argwhere(~sure).tolist():
            i = start + a
            zz = _dot(w[j], xe[i]) + b[j]
            if zz > 0:
                pos[a, j] = True
            elif zz == 0:
                zero.append((i, j))
        yield start, pos, zero


def exact_outputs(
    net: NetworkNd,
    data: DatasetNd,
    index: Sequence[int] | None = None,
    scaled: NetworkNd | None = None,
) -> list[Fraction]:
    """``N(x_i)`` exactly for the points ``index`` (all by default), floats read exactly.

    ``net`` may be a float network (its parameters are the dyadic rationals they store);
    ``scaled`` is ``unit_scaled(net)`` if the caller has it already.

    ``N(x_i) = x_i . T_i + t_i`` with ``(T, t) = mask @ (v_j w_j, v_j b_j)_j`` over the exact
    activation mask, one ``fmpq_mat`` product per block of points.

    Examples
    --------
    >>> net = NetworkNd([[1, 0], [0, -1]], ["1/2", 0], [1, 2])
    >>> exact_outputs(net, DatasetNd([[1, 1], [0, -3]], [1, 1]))
    [Fraction(3, 2), Fraction(13, 2)]
    """
    from flint import fmpq, fmpq_mat, fmpz_mat

    idx = list(range(data.n)) if index is None else list(index)
    xe = [data.x_exact[i] for i in idx]
    xf = data.x_float[idx] if idx else np.zeros((0, data.d))
    w, b, v = net.fractions()
    k, d = net.width, net.d

    def q(t: Fraction):  # noqa: ANN202
        return fmpq(t.numerator, t.denominator)

    vw = fmpq_mat(k, d + 1, [q(vj * t) for row, bj, vj in zip(w, b, v) for t in (*row, bj)])
    out: list[Fraction] = []
    for start, pos, _ in _sign_blocks(net, xe, xf, scaled):
        r = pos.shape[0]
        if not pos.any():
            out.extend([Fraction(0)] * r)
            continue
        mask = fmpq_mat(fmpz_mat(r, k, pos.astype(np.int64).ravel().tolist()))
        ents = (mask * vw).entries()
        for a in range(r):
            row = ents[a * (d + 1) : (a + 1) * (d + 1)]
            vals = [Fraction(int(e.p), int(e.q)) for e in row]
            out.append(_dot(vals, xe[start + a]) + vals[d])
    return out


def _dot(a: Sequence[Fraction], b: Sequence[Fraction]) -> Fraction:
    return sum((p * q for p, q in zip(a, b)), Fraction(0))


def _show(q: Fraction) -> str:
    return str(q) if q.denominator < 10**6 else f"{float(q):.6g}"


def misclassified_nd(bad: list[int], xs: Sequence[tuple[Fraction, ...]], margins) -> Exception:
    """The :class:`MisclassifiedError` naming the first few points with ``y_i N(x_i) <= 0``."""
    shown = ", ".join(
        f"x[{i}] = ({', '.join(_show(q) for q in xs[i])}) (margin {_show(margins[i])})"
        for i in bad[:5]
    )
    more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
    return MisclassifiedError(
        f"{len(bad)} point(s) not strictly correctly classified (y_i N(x_i) <= 0), so there "
        f"is no max-margin KKT point to certify: {shown}{more}"
    )


# --- the system ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SystemNd:
    """The linear system in ``(lambda_S, mu)`` of a rational network on R^d (module docstring).

    Held by its structure: per neuron the support points it activates (``act``) and its
    zero pairs (``zero``, only for ``v_j != 0`` and ``u_j != 0``: elsewhere ``mu_ij`` multiplies
    zero or ``mu_ij = 0`` is as good).
    """

    k: int
    d: int
    bias: bool
    margins: tuple[Fraction, ...]
    m: Fraction
    support: tuple[int, ...]
    pairs: tuple[tuple[int, int], ...]  # (i, j) sorted
    u: tuple[tuple[Fraction, ...], ...]  # (w_j, b_j) or w_j
    v: tuple[Fraction, ...]
    xt: tuple[tuple[Fraction, ...], ...]  # (x_i, 1) or x_i, every point
    y: tuple[int, ...]
    act: tuple[tuple[int, ...], ...]  # per neuron: support points with z_ij > 0
    zero: tuple[tuple[int, ...], ...]  # per neuron: support points of its zero pairs

    @property
    def dim(self) -> int:
        """``D``: length of ``u_j`` and ``xt_i``."""
        return self.d + 1 if self.bias else self.d

    @property
    def kinds(self) -> tuple[str, ...]:
        """Names of the row kinds: ``w[0] .. w[d-1]``, ``b`` (with biases), ``v``."""
        return tuple(f"w[{c}]" for c in range(self.d)) + (("b",) if self.bias else ()) + ("v",)

    @property
    def rhs(self) -> tuple[Fraction, ...]:
        """``theta`` in row order ``r = kind * k + j``."""
        D = self.dim
        return tuple(uj[c] for c in range(D) for uj in self.u) + self.v

    def row_name(self, r: int) -> str:
        kind, j = divmod(r, self.k)
        return f"{self.kinds[kind]}-equation of neuron {j}"

    def apply(self, lam: dict[int, Fraction], mu: dict[tuple[int, int], Fraction]):
        """``A u`` for ``u = (lambda, mu)``, one entry per row."""
        k, D = self.k, self.dim
        out = [Fraction(0)] * ((D + 1) * k)
        for j in range(k):
            s = [Fraction(0)] * D
            for i in self.act[j]:
                t = lam.get(i, 0) * self.y[i]
                if t:
                    s = [a + t * c for a, c in zip(s, self.xt[i])]
            out[D * k + j] = _dot(self.u[j], s)
            for i in self.zero[j]:
                t = mu.get((i, j), 0) * self.y[i]
                if t:
                    s = [a + t * c for a, c in zip(s, self.xt[i])]
            for c in range(D):
                out[c * k + j] = self.v[j] * s[c]
        return out

    def transpose(self, y: dict[int, Fraction]) -> tuple[dict[int, Fraction], list[Fraction]]:
        """``A^T y``: the value of every ``lambda_i`` column (support order) and ``mu`` column.

        Neuron j adds ``y_i (a_j . xt_i)`` to the columns of its active points, where
        ``a_j = v_j y_u(j) + y_v(j) u_j``.
        """
        k, D = self.k, self.dim
        lam_cols = {i: Fraction(0) for i in self.support}
        for j in sorted({r % k for r in y}):
            yv = y.get(D * k + j, 0)
            a = [y.get(c * k + j, 0) * self.v[j] + yv * self.u[j][c] for c in range(D)]
            if any(a):
                for i in self.act[j]:
                    lam_cols[i] += self.y[i] * _dot(a, self.xt[i])
        mu_cols = [
            self.y[i] * self.v[j] * _dot([y.get(c * k + j, 0) for c in range(D)], self.xt[i])
            for i, j in self.pairs
        ]
        return lam_cols, mu_cols

    def used_rows(self) -> list[bool]:
        """Which rows some column enters with a nonzero coefficient."""
        k, D = self.k, self.dim
        used = [False] * ((D + 1) * k)
        for j in range(k):
            if self.v[j]:
                pts = self.act[j] + self.zero[j]
                for c in range(D):
                    used[c * k + j] = any(self.xt[i][c] for i in pts)
            used[D * k + j] = bool(self.act[j])
        return used

    def reduce(self):  # noqa: ANN201 - returns exact._Reduced
        """One block of D rows (``u_j / v_j``) per activation group, as in the univariate system.

        Neurons with ``v_j != 0``, no zero pairs, one active set and one direction
        ``u_j / v_j`` share their rows; the v-rows are combinations of the u-rows for
        balanced neurons (checked before).
        """
        from .exact import _Reduced

        D = self.dim
        ms = len(self.support)
        col_of: dict[object, int] = {i: c for c, i in enumerate(self.support)}
        col_of.update({p: ms + a for a, p in enumerate(self.pairs)})
        columns: list[dict[int, Fraction]] = [{} for _ in range(ms + len(self.pairs))]
        rows: list[tuple[int, int]] = []
        rhs: list[Fraction] = []
        seen = set()
        for j in range(self.k):
            vj = self.v[j]
            if not vj:
                continue
            g = tuple(t / vj for t in self.u[j])
            if not self.zero[j]:
                key = (self.act[j], g)
                if key in seen:
                    continue
                seen.add(key)
            cells = [(col_of[i], i) for i in self.act[j]]
            cells += [(col_of[(i, j)], i) for i in self.zero[j]]
            for c in range(D):
                r = len(rows)
                for col, i in cells:
                    coef = self.y[i] * self.xt[i][c]
                    if coef:
                        columns[col][r] = coef
                if any(r in columns[col] for col, _ in cells):
                    rows.append((c, j))
                    rhs.append(g[c])
        return _Reduced(rows=tuple(rows), rhs=tuple(rhs), columns=tuple(columns))


def build_system_nd(net: NetworkNd, data: DatasetNd) -> SystemNd:
    """Exact margins, support, activation sets and zero pairs of an exact network and data."""
    data.require_separable()
    margins = tuple(
        q if yi > 0 else -q for q, yi in zip(exact_outputs(net, data), data.y.tolist())
    )
    bad = [i for i, q in enumerate(margins) if q <= 0]
    if bad:
        raise misclassified_nd(bad, data.x_exact, margins)
    m = min(margins)
    support = tuple(i for i, q in enumerate(margins) if q == m)
    w, b, v = net.fractions()
    u = tuple((*row, bj) for row, bj in zip(w, b)) if net.has_bias else tuple(w)
    xe = data.x_exact
    xt = tuple((*row, Fraction(1)) for row in xe) if net.has_bias else tuple(xe)
    act: list[list[int]] = [[] for _ in range(net.width)]
    zero: list[list[int]] = [[] for _ in range(net.width)]
    sup_x = [xe[i] for i in support]
    sup_f = data.x_float[list(support)]
    for start, pos, zs in _sign_blocks(net, sup_x, sup_f):
        for a, j in np.argwhere(pos).tolist():
            act[j].append(support[start + a])
        for a, j in zs:
            if v[j] and any(u[j]):
                zero[j].append(support[a])
    for lst in act + zero:
        lst.sort()
    pairs = sorted((i, j) for j, lst in enumerate(zero) for i in lst)
    return SystemNd(
        k=net.width,
        d=net.d,
        bias=net.has_bias,
        margins=margins,
        m=m,
        support=support,
        pairs=tuple(pairs),
        u=u,
        v=tuple(v),
        xt=xt,
        y=tuple(int(t) for t in data.y.tolist()),
        act=tuple(tuple(t) for t in act),
        zero=tuple(tuple(t) for t in zero),
    )
