"""Infinite-width optimum P*: exact activation patterns vs randomly sampled patterns.

Run: ``python benchmarks/bench_global.py [--sizes 100 1000 5000] [--dense-max 100]``

For random data of each size ``n`` (x uniform on [-5, 5], teacher labels ``sign(sin(2x))``,
seven sign changes as in Safran et al.'s teacher-student setting), measured side by side in one run
(cvxpy is imported before the clock starts):

- ``exact``: :func:`pwl_kkt.duality.optimum.global_max_margin` -- the convex reformulation of
  Pilanci & Ergen (2020) over *all* ``2m - 1`` activation patterns of the points ``(x_i, 1)``
  (``m`` distinct x), enumerated by sorting. Time includes extracting the network, the dual
  check and the region count.
- ``sampled``: what public convex-ReLU code does: draw ``10 (2m - 1)`` random Gaussian
  directions ``u``, take the patterns ``D = 1[X u >= 0]``, deduplicate, and solve the same
  program over those patterns only. So that large ``n`` stays solvable the sampled program
  uses the same compact one-dimensional cone constraints (each sampled pattern is a prefix or
  suffix of the sorted data) and cumulative-sum margins as the exact one; the time includes
  sampling and deduplication. Its value can only be worse (a restriction of the exact
  program), and is when the sample misses the narrow sectors of close points.
- ``dense``: the sampled patterns in the generic dense formulation of public code
  (``(2D - I) X a >= 0`` and margins ``sum_D D X (a_D - a'_D)`` as ``n x P`` arrays), for
  ``n <= --dense-max`` only (default 100: memory and time grow like ``n P = O(n^2)``; at
  n = 1000 it had taken 3 GB and not finished after 10 minutes here).

Second table (``--sparse-sizes``, default 100 and 10000): the optimal *network* returned by
``global_max_margin`` -- the sparse vertex solution (default, column generation on the LP over
directions) vs the interior-point network of the cone program (``sparse=False``), measured side
by side: width, effective regions (:func:`pwl_kkt.count_regions`), time (both include the cone
program; the ratio is sparse / interior), normalised value ``upper`` and the certified lower
bound ``lower`` of each.

Printed: times, values, the relative gap ``(sampled - exact) / exact`` (>= 0 up to solver
accuracy: Clarabel's default relative tolerances are 1e-8, and these programs are badly scaled --
P* is in the thousands because neighbouring points of opposite labels are close -- so gaps
within 1e-6 relative count as ties), patterns used, and the time ratio sampled / exact.
Targets: ``exact`` at n = 1000 under 10 s, and never a worse value than ``sampled``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from pwl_kkt.duality.optimum import global_max_margin


def make_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-5.0, 5.0, size=n)
    return x, np.where(np.sin(2.0 * x) >= 0, 1, -1)


def sample_patterns(z: np.ndarray, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct non-empty patterns of ``count`` Gaussian directions over sorted distinct ``z``.

    Returns suffix starts ``k`` (active ``j >= k``) and prefix ends ``k`` (active ``j < k``).
    """
    rng = np.random.default_rng(seed)
    u = rng.standard_normal((count, 2))
    w, b = u[:, 0], u[:, 1]
    t = -b / w
    m = z.size
    pos = w > 0
    suf = np.searchsorted(z, t[pos], side="left")  # active z_j >= t
    pre = np.searchsorted(z, t[~pos], side="right")  # active z_j <= t
    suf = suf[suf < m]
    full = pre == m  # the full set is the suffix k = 0
    suf = np.unique(np.concatenate([suf, np.zeros(int(full.any()), dtype=suf.dtype)]))
    pre = np.unique(pre[(pre > 0) & ~full])
    return suf, pre


def solve_compact(z: np.ndarray, lab: np.ndarray, suf: np.ndarray, pre: np.ndarray) -> float:
    """The SOCP over the given suffix/prefix patterns (compact 1D constraints)."""
    import cvxpy as cp
    import scipy.sparse as sp

    m = z.size
    cons = []
    f = 0
    blocks = []
    for ks, is_suffix in ((suf, True), (pre, False)):
        if ks.size == 0:
            continue
        E = sp.csr_matrix(
            (np.ones(ks.size), (ks if is_suffix else ks - 1, np.arange(ks.size))),
            shape=(m, ks.size),
        )
        for sign in (1.0, -1.0):
            A = cp.Variable((ks.size, 2))
            blocks.append(A)
            if is_suffix:
                act_lo, act_hi = z[ks], z[-1]
                has_in = ks > 0
                in_lo, in_hi = z[0], z[np.maximum(ks - 1, 0)]
            else:
                act_lo, act_hi = z[0], z[ks - 1]
                has_in = ks < m
                in_lo, in_hi = z[np.minimum(ks, m - 1)], z[-1]
            cons += [
                cp.multiply(act_lo, A[:, 0]) + A[:, 1] >= 0,
                cp.multiply(act_hi, A[:, 0]) + A[:, 1] >= 0,
            ]
            idx = np.flatnonzero(has_in)
            if idx.size:
                in_lo = np.broadcast_to(in_lo, ks.shape)[idx]
                in_hi = np.broadcast_to(in_hi, ks.shape)[idx]
                cons += [
                    cp.multiply(in_lo, A[idx, 0]) + A[idx, 1] <= 0,
                    cp.multiply(in_hi, A[idx, 0]) + A[idx, 1] <= 0,
                ]
            S = E @ A  # pattern coefficients placed at their start (suffix) / end (prefix)
            C = cp.cumsum(S, axis=0) if is_suffix else cp.cumsum(S[::-1, :], axis=0)[::-1, :]
            f = f + sign * (cp.multiply(z, C[:, 0]) + C[:, 1])
    cons.append(cp.multiply(lab, f) >= 1)
    obj = sum(cp.sum(cp.norm(A, 2, axis=1)) for A in blocks)
    prob = cp.Problem(cp.Minimize(obj), cons)
    prob.solve(solver=cp.CLARABEL)
    return float(prob.value) if prob.status.startswith("optimal") else float("inf")


def solve_dense(z: np.ndarray, lab: np.ndarray, suf: np.ndarray, pre: np.ndarray) -> float:
    """Public-code style: dense pattern matrix D (m x P), cone constraints (2D - I) X a >= 0."""
    import cvxpy as cp

    m = z.size
    j = np.arange(m)[:, None]
    D = np.hstack([(j >= suf[None, :]), (j < pre[None, :])]).astype(np.float64)
    X = np.stack([z, np.ones(m)], axis=1)
    V = cp.Variable((2, D.shape[1]))
    W = cp.Variable((2, D.shape[1]))
    S = 2 * D - 1
    cons = [cp.multiply(S, X @ V) >= 0, cp.multiply(S, X @ W) >= 0]
    f = cp.sum(cp.multiply(D, X @ (V - W)), axis=1)
    cons.append(cp.multiply(lab, f) >= 1)
    obj = cp.sum(cp.norm(V, 2, axis=0)) + cp.sum(cp.norm(W, 2, axis=0))
    prob = cp.Problem(cp.Minimize(obj), cons)
    prob.solve(solver=cp.CLARABEL)
    return float(prob.value) if prob.status.startswith("optimal") else float("inf")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--factor", type=int, default=10, help="sampled directions per pattern")
    parser.add_argument("--dense-max", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sparse-sizes", type=int, nargs="*", default=[100, 10000])
    args = parser.parse_args()
    print(
        f"{'n':>6} {'patterns':>8} {'exact s':>8} {'P* exact':>12} {'sampled':>8} "
        f"{'sample s':>8} {'P* sampled':>12} {'rel gap':>10} {'s/e time':>8} {'dense s':>8} "
        f"{'P* dense':>12}",
        flush=True,
    )
    import cvxpy  # noqa: F401  (import time is not solve time)

    worse = 0
    for n in args.sizes:
        x, y = make_data(n, args.seed)
        t0 = time.perf_counter()
        opt = global_max_margin(x, y)
        t_exact = time.perf_counter() - t0

        z, inv = np.unique(x, return_inverse=True)
        lab = np.zeros(z.size)
        lab[inv] = y
        n_pat = 2 * z.size - 1
        t0 = time.perf_counter()
        suf, pre = sample_patterns(z, args.factor * n_pat, args.seed + 1)
        p_sampled = solve_compact(z, lab, suf, pre)
        t_sampled = time.perf_counter() - t0
        used = suf.size + pre.size

        dense = "skipped"
        p_dense_text = "-"
        if n <= args.dense_max:
            t0 = time.perf_counter()
            p_dense = solve_dense(z, lab, suf, pre)
            dense = f"{time.perf_counter() - t0:8.2f}"
            p_dense_text = f"{p_dense:12.6f}"
        gap = (p_sampled - opt.P_star) / opt.P_star
        worse += gap < -1e-6
        print(
            f"{n:>6} {n_pat:>8} {t_exact:8.2f} {opt.P_star:12.6f} {used:>8} "
            f"{t_sampled:8.2f} {p_sampled:12.6f} {gap:10.3e} {t_sampled / t_exact:8.2f} "
            f"{dense:>8} {p_dense_text:>12}",
            flush=True,
        )
    print(
        "exact never worse than sampled: "
        + ("yes" if worse == 0 else f"NO ({worse} size(s) where sampled beat exact)")
    )
    if args.sparse_sizes:
        sparse_vs_interior(args.sparse_sizes, args.seed)


def sparse_vs_interior(sizes: list[int], seed: int) -> None:
    """The sparse optimal network vs the interior-point one, side by side."""
    print(
        f"\n{'n':>6} {'int width':>9} {'int reg':>8} {'int s':>7} {'int upper':>14} "
        f"{'sp width':>8} {'sp reg':>7} {'sp s':>7} {'sp upper':>14} {'sp lower':>14} "
        f"{'s/i time':>8}",
        flush=True,
    )
    for n in sizes:
        x, y = make_data(n, seed)
        row = []
        for sparse in (False, True):
            t0 = time.perf_counter()
            opt = global_max_margin(x, y, sparse=sparse)
            row.append((opt, time.perf_counter() - t0))
        (di, ti), (ds, ts) = row
        print(
            f"{n:>6} {di.network.width:>9} {di.regions:>8} {ti:7.2f} {di.upper:14.6f} "
            f"{ds.network.width:>8} {ds.regions:>7} {ts:7.2f} {ds.upper:14.6f} {ds.lower:14.6f} "
            f"{ts / ti:8.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
