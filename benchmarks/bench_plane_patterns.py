"""All activation patterns of n points in the plane: exact enumeration vs random directions.

Run: ``python benchmarks/bench_plane_patterns.py [--sizes 100 400 1000] [--samples 100000]``

For ``n`` standard normal points in the plane (float64, read as their exact dyadic values),
measured side by side in one run:

- ``exact``: :func:`pwl_kkt.plane_activation_patterns` with ``include_empty=True`` -- every
  pattern ``1[u . (x_i, 1) > 0]``, with an exact integer witness ``u`` each. Points in general
  position have ``n^2 - n + 2`` of them; the time includes reading the floats as rationals and
  building the witnesses.
- ``sampled``: what public convex-ReLU code does: draw ``--samples`` Gaussian directions
  ``u in R^3`` and keep the distinct patterns ``1[X u > 0]`` (float64). It can only find a
  subset; its patterns are checked to be among the exact ones.

Printed per size: exact time and count, sampled time and count, the share of the patterns the
sample found, and the time ratio sampled / exact. For the smallest size every exact witness is
also checked in exact integer arithmetic. Target: ``n = 400`` under 5 s.
"""

from __future__ import annotations

import argparse
import time
from fractions import Fraction

import numpy as np

from pwl_kkt import plane_activation_patterns


def sampled_patterns(x: np.ndarray, samples: int, seed: int) -> np.ndarray:
    """Distinct packed patterns of ``samples`` Gaussian directions (in chunks)."""
    rng = np.random.default_rng(seed)
    xt = np.hstack([x, np.ones((x.shape[0], 1))])
    found = []
    for start in range(0, samples, 10_000):
        u = rng.standard_normal((min(10_000, samples - start), 3))
        found.append(np.packbits((u @ xt.T) > 0, axis=1))
    return np.unique(np.vstack(found), axis=0)


def witnesses_exact(x: np.ndarray, pp) -> bool:
    """Every witness gives its pattern, in integers: ``u . (D x_i, D)`` with ``D`` a common
    power-of-two denominator of the floats."""
    xs = [[Fraction(a), Fraction(b)] for a, b in x.tolist()]
    D = max(q.denominator for r in xs for q in r)
    aug = np.array([[int(q * D) for q in r] + [D] for r in xs], dtype=object)
    return bool(np.array_equal((pp.witnesses.astype(object) @ aug.T) > 0, pp.patterns))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 400, 1000])
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    header = (
        f"{'n':>6} {'exact s':>9} {'patterns':>10} {'n^2-n+2':>10} {'sampled s':>10} "
        f"{'found':>8} {'share':>7} {'ratio':>7}"
    )
    print(f"sampling baseline: {args.samples} Gaussian directions")
    print(header)
    for i, n in enumerate(args.sizes):
        x = np.random.default_rng(args.seed + n).standard_normal((n, 2))
        t0 = time.perf_counter()
        pp = plane_activation_patterns(x, include_empty=True)
        t_exact = time.perf_counter() - t0
        t0 = time.perf_counter()
        sampled = sampled_patterns(x, args.samples, args.seed)
        t_sampled = time.perf_counter() - t0
        exact_rows = {r.tobytes() for r in pp.packed}
        missing = sum(r.tobytes() not in exact_rows for r in sampled)
        print(
            f"{n:>6} {t_exact:>9.2f} {pp.count:>10} {n * n - n + 2:>10} {t_sampled:>10.2f} "
            f"{len(sampled):>8} {len(sampled) / pp.count:>7.1%} {t_sampled / t_exact:>7.2f}"
        )
        if missing:
            print(f"       {missing} sampled patterns are not exact patterns (float ties)")
        if i == 0:
            print(f"       all {pp.count} witnesses exact: {witnesses_exact(x, pp)}")


if __name__ == "__main__":
    main()
