"""Exact effective-region count vs numpy argsort and a plain Fraction implementation.

Run: ``python benchmarks/bench_regions.py [--widths 10000 100000 1000000]``

For random float networks of each width it prints, measured in one run:
- ``exact``: :func:`pwl_kkt.count_regions` (exact: float filter + exact tie decisions),
- ``argsort``: ``numpy.argsort`` of the same precomputed kink locations (the physical limit),
- ``fraction``: what a user would write with :class:`fractions.Fraction`,
and the ratios exact/argsort (target <= 3 at 10^6) and fraction/exact (target >= 20).
A quarter of the neurons are planted in exactly cancelling pairs and exact ties, so
the exact path has real work to do and all three counts must agree.
"""

from __future__ import annotations

import argparse
import time
from fractions import Fraction

import numpy as np

from pwl_kkt import Network, count_regions


def random_network(k: int, seed: int = 0) -> Network:
    rng = np.random.default_rng(seed)
    w, b, v = rng.standard_normal(k), rng.standard_normal(k), rng.standard_normal(k)
    q = k // 8
    # Cancelling pairs: neuron q+i repeats neuron i scaled by 2 with v halved and negated.
    w[q : 2 * q], b[q : 2 * q], v[q : 2 * q] = 2 * w[:q], 2 * b[:q], -v[:q] / 2
    return Network(w, b, v)


def fraction_count(net: Network) -> int:
    w, b, v = (a.tolist() for a in net.arrays())
    jumps: dict[Fraction, Fraction] = {}
    for wj, bj, vj in zip(w, b, v):
        if wj != 0 and vj != 0:
            fw = Fraction(wj)
            t = -Fraction(bj) / fw
            jumps[t] = jumps.get(t, Fraction(0)) + Fraction(vj) * abs(fw)
    return 1 + sum(1 for c in jumps.values() if c)


def best_of(fn, repeats: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[10**4, 10**5, 10**6])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(
        f"{'width':>9} {'exact s':>10} {'argsort s':>10} {'fraction s':>11} "
        f"{'exact/argsort':>14} {'fraction/exact':>15}  count"
    )
    for k in args.widths:
        net = random_network(k)
        w, b, _ = net.arrays()
        t = -b / w
        t_exact, count = best_of(lambda net=net: count_regions(net), args.repeats)
        t_sort, _ = best_of(lambda t=t: np.argsort(t), args.repeats)
        t_frac, count_frac = best_of(lambda net=net: fraction_count(net), 1 if k >= 10**6 else 3)
        assert count == count_frac, (count, count_frac)
        print(
            f"{k:>9} {t_exact:>10.4f} {t_sort:>10.4f} {t_frac:>11.3f} "
            f"{t_exact / t_sort:>14.2f} {t_frac / t_exact:>15.1f}  {count}"
        )


if __name__ == "__main__":
    main()
