"""Exact geometry in the plane, timed against the tools in use, in one run.

Run: ``python benchmarks/bench_plane.py [--sections regions patterns pstar] [--widths 100 1000 5000]
[--sizes 50 100 200] [--full]``

Section ``regions``: random float networks N(x) = sum_j v_j relu(w_j . x + b_j) on R^2 of
width k, with w_j, b_j, v_j standard normal rounded to float32 (so that Regioncam, which
computes in float32, sees exactly the network that is counted). For each width it prints:

- ``exact R2``: :func:`pwl_kkt.count_regions` on the whole plane, exact;
- ``exact box``: the same inside the box (-S, S)^2, exact;
- ``euler f64``: Euler's formula 1 + m + sum_P (mu_P - 1) with the crossings computed and
  deduplicated in float64 inside the box: the floor of any count, with no exact decision;
- ``regioncam``: Regioncam's face enumeration on the same box (float32 faces; ``pip install
  regioncam``; skipped with a message when it is not installed, and above
  ``--regioncam-max-width`` because its time grows like the number of faces times its
  per-face cost);

the counts, and the ratios regioncam / exact box (target: at least 100 at width 1000) and
exact box / euler f64.

Section ``patterns``: for ``n`` standard normal points in the plane (float64, read as their
exact dyadic values),
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

Section ``pstar``: ``n`` Gaussian points in the plane labelled by a circle (``||x|| > 1``).
For each ``n`` it prints:

- ``exact``: :func:`~pwl_kkt.global_max_margin_2d` (column generation over the exact patterns,
  the sparse network, and the proven interval ``[lower, upper]`` of ``P*``: exact
  ``max |G_q|`` on S^2 and an exactly feasible network); its time includes the certificate.
  Target: ``n = 100`` in under 60 s, certified.
- ``sampled``: the program over the patterns of as many random directions as there are exact
  patterns (what public convex-ReLU code does; here with the same cones and margin rows, so
  only the missing patterns differ): its time, the distinct patterns it found, its value and
  the value gap ``(value - P*) / P*`` (a restriction: never below ``P*``).
- with ``--full``: the whole exact program solved at once (``method="full"``).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from fractions import Fraction

import numpy as np

from pwl_kkt import NetworkNd, count_regions


def best_of(fn: Callable[[], object], repeats: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


# --- regions -------------------------------------------------------------------------------


def random_network(k: int, seed: int = 0) -> NetworkNd:
    """Standard normal parameters rounded to float32, held as float64."""
    rng = np.random.default_rng(seed)
    w, b, v = (rng.standard_normal(s).astype(np.float32).astype(np.float64)
               for s in ((k, 2), k, k))
    return NetworkNd(w, b, v)


def euler_float64(net: NetworkNd, size: float) -> int:
    """Euler's formula over float64 crossings inside (-size, size)^2, equal floats merged."""
    w, b, _ = net.arrays()
    a, c, d = w[:, 0], w[:, 1], b
    # lines meeting the open box: the affine function changes sign over its corners
    corners = np.array([[-size, -size], [-size, size], [size, -size], [size, size]])
    vals = corners @ w.T + d
    keep = (vals.max(axis=0) > 0) & (vals.min(axis=0) < 0)
    a, c, d = a[keep], c[keep], d[keep]
    m = a.size
    points = []
    step = max(1, 2**20 // max(m, 1))
    for start in range(0, m, step):
        rows = slice(start, min(m, start + step))
        ai, ci, di = a[rows, None], c[rows, None], d[rows, None]
        det = ai * c - ci * a
        with np.errstate(divide="ignore", invalid="ignore"):
            x = (ci * d - di * c) / det
            y = (di * a - ai * d) / det
        upper = np.arange(m)[None, :] > np.arange(rows.start, rows.stop)[:, None]
        inside = upper & (det != 0) & (np.abs(x) < size) & (np.abs(y) < size)
        points.append(x[inside] + 1j * y[inside])
    _, pairs = np.unique(np.concatenate(points), return_counts=True)
    mu = (1 + np.sqrt(1 + 8 * pairs)) / 2  # a point of mu lines carries mu (mu - 1) / 2 pairs
    return int(1 + m + np.sum(np.rint(mu) - 1))


def regioncam_faces(net: NetworkNd, size: float) -> int:
    import regioncam

    w, b, v = net.arrays()
    rc = regioncam.Regioncam(size=size)
    rc.linear(np.ascontiguousarray(w.T, dtype=np.float32), b.astype(np.float32))
    rc.relu()
    rc.linear(v.reshape(-1, 1).astype(np.float32), np.zeros(1, dtype=np.float32))
    return int(rc.num_faces)


def regions_section(args: argparse.Namespace) -> None:
    try:
        import regioncam  # noqa: F401

        have_regioncam = True
    except ImportError:
        have_regioncam = False
        print("regioncam is not installed (pip install regioncam): its column is skipped")
    size = args.box_size
    print(f"effective regions of random width-k networks in the plane; box (-{size}, {size})^2")
    print(
        f"{'width':>6} {'exact R2 s':>11} {'exact box s':>12} {'euler f64 s':>12} "
        f"{'regioncam s':>12} {'rc/exact':>9} {'exact/euler':>12}  counts (R2, box, euler, rc)"
    )
    for k in args.widths:
        net = random_network(k)
        box = (-size, size, -size, size)
        t_r2, n_r2 = best_of(lambda net=net: count_regions(net), args.repeats)
        t_box, n_box = best_of(lambda net=net, box=box: count_regions(net, box=box), args.repeats)
        t_eu, n_eu = best_of(lambda net=net: euler_float64(net, size), args.repeats)
        t_rc, n_rc, ratio = float("nan"), "-", "-"
        if have_regioncam and k <= args.regioncam_max_width:
            t_rc, n_rc = best_of(lambda net=net: regioncam_faces(net, size), 1)
            ratio = f"{t_rc / t_box:.0f}"
        elif have_regioncam:
            n_rc = f"skipped (k > {args.regioncam_max_width})"
        print(
            f"{k:>6} {t_r2:>11.3f} {t_box:>12.3f} {t_eu:>12.3f} {t_rc:>12.2f} {ratio:>9} "
            f"{t_box / t_eu:>12.1f}  {n_r2}, {n_box}, {n_eu}, {n_rc}",
            flush=True,
        )


# --- P* over the exact patterns ----------------------------------------------------------------


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


def patterns_section(args: argparse.Namespace) -> None:
    from pwl_kkt import plane_activation_patterns

    header = (
        f"{'n':>6} {'exact s':>9} {'patterns':>10} {'n^2-n+2':>10} {'sampled s':>10} "
        f"{'found':>8} {'share':>7} {'ratio':>7}"
    )
    print(f"sampling baseline: {args.samples} Gaussian directions")
    print(header)
    for i, n in enumerate(args.pattern_sizes):
        x = np.random.default_rng(args.pattern_seed + n).standard_normal((n, 2))
        t0 = time.perf_counter()
        pp = plane_activation_patterns(x, include_empty=True)
        t_exact = time.perf_counter() - t0
        t0 = time.perf_counter()
        sampled = sampled_patterns(x, args.samples, args.pattern_seed)
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



def circle_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 2))
    return x, np.where(np.hypot(x[:, 0], x[:, 1]) > 1.0, 1, -1)


def pstar_section(args: argparse.Namespace) -> None:
    from pwl_kkt import global_max_margin_2d
    from pwl_kkt.duality.optimum_plane import _sampled_program

    print("P* of n Gaussian points labelled by the unit circle: exact patterns vs sampled ones")
    print(f"{'n':>4} {'patterns':>8} {'exact s':>8} {'lower':>14} {'upper':>14} {'rel gap':>8} "
          f"{'width':>5} | {'sampled s':>9} {'found':>6} {'value':>14} {'value gap':>9}"
          + (f" | {'full s':>7} {'full value':>14}" if args.full else ""))
    for n in args.sizes:
        x, y = circle_data(n)
        t_exact, opt = best_of(lambda x=x, y=y: global_max_margin_2d(x, y), 1)
        t_samp, (value, found) = best_of(
            lambda x=x, y=y, k=opt.n_patterns: _sampled_program(x, y, n_directions=k, seed=1), 1
        )
        gap = (value - opt.P_star) / opt.P_star
        line = (f"{n:>4} {opt.n_patterns:>8} {t_exact:>8.2f} {opt.lower:>14.9f} "
                f"{opt.upper:>14.9f} {opt.gap / opt.upper:>8.1e} {opt.network.width:>5} | "
                f"{t_samp:>9.2f} {found:>6} {value:>14.9f} {gap:>9.2e}")
        if args.full:
            t_full, full = best_of(
                lambda x=x, y=y: global_max_margin_2d(x, y, method="full"), 1
            )
            line += f" | {t_full:>7.1f} {full.P_star:>14.9f}"
        print(line, flush=True)
    print("lower, upper: proven bounds on P*; value gap: what the sampled patterns miss")


SECTIONS: dict[str, Callable[[argparse.Namespace], None]] = {
    "regions": regions_section,
    "patterns": patterns_section,
    "pstar": pstar_section,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", nargs="+", choices=sorted(SECTIONS), default=list(SECTIONS))
    parser.add_argument("--widths", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--box-size", type=float, default=3.0, help="box (-S, S)^2")
    parser.add_argument("--regioncam-max-width", type=int, default=1000)
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 100, 200],
                        help="pstar: numbers of points")
    parser.add_argument("--full", action="store_true", help="pstar: also the full program")
    parser.add_argument("--pattern-sizes", type=int, nargs="+", default=[100, 400, 1000],
                        help="patterns: numbers of points")
    parser.add_argument("--samples", type=int, default=100_000,
                        help="patterns: random directions of the sampling baseline")
    parser.add_argument("--pattern-seed", type=int, default=0)
    args = parser.parse_args()
    for name in args.sections:
        print(f"\n== {name} ==")
        SECTIONS[name](args)


if __name__ == "__main__":
    main()
