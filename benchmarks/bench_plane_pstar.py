"""P* in the plane over the exact patterns vs a program over sampled patterns.

Run: ``python benchmarks/bench_plane_pstar.py [--sizes 50 100 200] [--full]``

For ``n`` Gaussian points in the plane labelled by a circle (``||x|| > 1``) it prints, in one
run:

- ``exact``: :func:`~pwl_kkt.duality.optimum_plane.global_max_margin_2d` (column generation
  over the exact patterns with exact pricing, the sparse network, and the proven interval
  ``[lower, upper]`` of ``P*``: exact ``max |G_q|`` on S^2 and an exactly feasible network);
  its time includes the certificate. Target: ``n = 100`` in under 60 s, certified.
- ``sampled``: the program over the patterns of as many random directions as there are exact
  patterns (what public convex-ReLU code does; here with the same cones and margin rows, so
  only the missing patterns differ), its distinct patterns found, and its value gap
  ``(value - P*) / P*`` -- a restriction, never below ``P*``.
- with ``--full``: the whole exact program solved at once (``method="full"``).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from pwl_kkt.duality.optimum_plane import _sampled_program, global_max_margin_2d


def circle_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 2))
    return x, np.where(np.hypot(x[:, 0], x[:, 1]) > 1.0, 1, -1)


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 100, 200])
    parser.add_argument("--full", action="store_true", help="also time the full program")
    args = parser.parse_args()
    print(f"{'n':>4} {'patterns':>8} {'exact s':>8} {'lower':>14} {'upper':>14} {'rel gap':>9} "
          f"{'width':>5} | {'sampled s':>9} {'found':>6} {'value':>14} {'value gap':>10}"
          + (f" | {'full s':>7} {'full value':>14}" if args.full else ""))
    for n in args.sizes:
        x, y = circle_data(n)
        t_exact, opt = timed(global_max_margin_2d, x, y)
        t_samp, (value, found) = timed(_sampled_program, x, y, n_directions=opt.n_patterns,
                                       seed=1)
        gap = (value - opt.P_star) / opt.P_star
        line = (f"{n:>4} {opt.n_patterns:>8} {t_exact:>8.2f} {opt.lower:>14.9f} "
                f"{opt.upper:>14.9f} {opt.gap / opt.upper:>9.1e} {opt.network.width:>5} | "
                f"{t_samp:>9.2f} {found:>6} {value:>14.9f} {gap:>10.2e}")
        if args.full:
            t_full, full = timed(global_max_margin_2d, x, y, method="full")
            line += f" | {t_full:>7.1f} {full.P_star:>14.9f}"
        print(line, flush=True)
    print("lower/upper: proven bounds on P* (exact max |G_q| on S^2; exactly feasible network).")
    print("value gap: the sampled program is a restriction (>= P*): its missing patterns.")


if __name__ == "__main__":
    main()
