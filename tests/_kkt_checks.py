"""Re-checking exact KKT answers against an independently written system.

A test module writes ``theta = sum_i lambda_i h_i`` from the mathematics (not from pwl_kkt)
as ``(m, support, pairs, lam_cols, mu_cols, rhs)``: the minimal margin, the support points,
the zero pairs ``(i, j)``, the column of each ``lambda_i`` and ``mu_ij`` (row -> coefficient)
and the right-hand side ``theta`` (row -> value). These checks then hold for the line and
for R^d alike.
"""

from __future__ import annotations

from fractions import Fraction

from pwl_kkt import ExactKKTResult


def substitution_holds(system: tuple, res: ExactKKTResult) -> bool:
    """The multipliers of ``res`` are feasible and solve the system exactly."""
    _, support, pairs, lam_cols, mu_cols, rhs = system
    lam = res.lambdas
    mu = {(i, j): t for i, j, t in res.mu}
    if any(t < 0 for t in lam) or any(lam[i] for i in range(len(lam)) if i not in support):
        return False
    if set(mu) != set(pairs) or any(not 0 <= mu[p] <= lam[p[0]] for p in pairs):
        return False
    acc = {r: Fraction(0) for r in rhs}
    for i, col in lam_cols.items():
        for r, c in col.items():
            acc[r] += c * lam[i]
    for p, col in mu_cols.items():
        for r, c in col.items():
            acc[r] += c * mu[p]
    return acc == rhs


def farkas_holds(system: tuple, y: dict, res: ExactKKTResult) -> bool:
    """``A^T y + D^T z >= 0``, ``z >= 0`` and ``theta . y < 0``: no multipliers exist.

    ``y`` is the Farkas vector of ``res`` keyed by the system's rows (its translation from
    the result's row names is the caller's); ``z`` is read from ``res``.
    """
    _, _, pairs, lam_cols, mu_cols, rhs = system
    z = {(i, j): t for i, j, t in res.farkas_z}
    if any(t < 0 for t in z.values()) or not set(z) <= set(pairs) or not set(y) <= set(rhs):
        return False
    for i, col in lam_cols.items():
        val = sum((c * y.get(r, 0) for r, c in col.items()), Fraction(0))
        val -= sum((t for (pi, _), t in z.items() if pi == i), Fraction(0))
        if val < 0:
            return False
    for p, col in mu_cols.items():
        if sum((c * y.get(r, 0) for r, c in col.items()), Fraction(0)) + z.get(p, 0) < 0:
            return False
    return sum((rhs[r] * t for r, t in y.items()), Fraction(0)) < 0
