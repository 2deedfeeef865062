"""The exact orthogonal-separability test at scale, next to the definition evaluated exactly.

Run: ``python benchmarks/bench_orthogonal.py [--sizes 1000 3000 10000] [--d 5]
[--naive-timeout 120]``

Cases (float64 data, ``n`` points in R^d): ``cones`` -- :func:`pwl_kkt.orthogonal_data`
(every Gram entry far from 0); ``zeros`` -- positives supported on the first two
coordinates, negatives on the others (every cross entry exactly 0, the float filter's
hardest case short of rounding-level entries).

``filtered``: :func:`pwl_kkt.orthogonally_separable` (float64 Gram by blocks, a rigorous
rounding bound, exact re-checks of what the bound cannot decide). ``naive``: the definition,
``y_i y_j x_i . x_j`` for every pair ``i <= j`` in exact integer arithmetic (each float row
times a power of two is an integer row), run in a subprocess with a time limit. Both must
give the same verdict; the ratio is naive / filtered.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

from pwl_kkt import DatasetNd, orthogonal_data, orthogonally_separable

HERE = Path(__file__).resolve().parent
CASES = ("cones", "zeros")


def instance(case: str, n: int, d: int) -> DatasetNd:
    if case == "cones":
        return orthogonal_data(n, d, seed=n)
    gen = np.random.default_rng(n)
    x = np.abs(gen.standard_normal((n, d))) + 0.1
    y = np.where(np.arange(n) % 2 == 0, 1, -1)
    x[y > 0, 2:] = 0.0
    x[y < 0, :2] = 0.0
    return DatasetNd(x, y)


def _naive(case: str, n: int, d: int) -> dict:
    """Every pair in exact integers (called in a subprocess)."""
    data = instance(case, n, d)
    t = time.perf_counter()
    rows = []
    for r in data.x.tolist():
        q = [Fraction(v) for v in r]
        den = max(f.denominator for f in q)  # powers of two: the largest is their lcm
        rows.append([f.numerator * (den // f.denominator) for f in q])
    y = data.y.tolist()
    separable = True
    for i in range(n):
        ri, yi = rows[i], y[i]
        for j in range(i, n):
            s = sum(a * b for a, b in zip(ri, rows[j]))
            if (s <= 0) if yi == y[j] else (s > 0):
                separable = False
                break
        if not separable:
            break
    return {"seconds": time.perf_counter() - t, "separable": separable}


def naive_timed(case: str, n: int, d: int, timeout: float) -> dict | None:
    code = (f"import json, sys; sys.path.insert(0, {str(HERE)!r}); import bench_orthogonal; "
            f"print(json.dumps(bench_orthogonal._naive({case!r}, {n}, {d})))")
    try:
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1]) if proc.returncode == 0 else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 3000, 10000])
    ap.add_argument("--d", type=int, default=5)
    ap.add_argument("--naive-timeout", type=float, default=120.0)
    args = ap.parse_args()
    print(f"{'case':>6} {'n':>6} {'filtered s':>11} {'rechecks':>9} {'naive s':>9} "
          f"{'ratio':>7}  verdicts")
    for n in args.sizes:
        for case in CASES:
            data = instance(case, n, args.d)
            t = time.perf_counter()
            res = orthogonally_separable(data)
            fast = time.perf_counter() - t
            naive = naive_timed(case, n, args.d, args.naive_timeout)
            if naive is None:
                limit = args.naive_timeout
                slow, ratio, agree = f">{limit:g}", f">{limit / fast:.0f}", "-"
            else:
                slow, ratio = f"{naive['seconds']:.2f}", f"{naive['seconds'] / fast:.0f}"
                agree = "agree" if naive["separable"] == res.separable else "DISAGREE"
            print(f"{case:>6} {n:>6} {fast:>11.3f} {res.exact_rechecks:>9} {slow:>9} "
                  f"{ratio:>7}  {res.separable} {agree}")


if __name__ == "__main__":
    main()
