"""Input validation of a float dataset at n = 10**6 (issue 14): vectorized vs per element.

``train`` validates its data once (``Dataset`` and ``require_separable``). Float arrays are
now checked with numpy: finite values, labels in {-1, +1} and conflicting duplicates by one
sort. Baseline, side by side: the per-element path the same check took before, which turns
every x into a ``Fraction`` (``Dataset(..., exact=True)``, a dict of Fractions) and every
label through ``to_fraction`` (labels given as a list).

Run: python benchmarks/bench_validation.py
"""

from __future__ import annotations

import time

import numpy as np

from pwl_kkt import Dataset


def _timed(x: object, y: object, exact: bool | None) -> float:
    start = time.perf_counter()
    Dataset(x, y, exact=exact).require_separable()
    return time.perf_counter() - start


def main() -> None:
    rng = np.random.default_rng(0)
    print(f"{'n':>9}{'vectorized s':>14}{'per-element s':>15}{'ratio':>8}")
    for n in (10**4, 10**5, 10**6):
        x = rng.uniform(-1, 1, n)
        y = np.where(x > 0, 1.0, -1.0)
        fast = _timed(x, y, None)
        slow = _timed(x.tolist(), y.tolist(), True)
        print(f"{n:>9}{fast:>14.3f}{slow:>15.3f}{slow / fast:>8.0f}x")


if __name__ == "__main__":
    main()
