"""Research scale: margin_report, region_graph and exact certify_global at n = 10^4, k = 10^3.

Run: ``python benchmarks/bench_scale.py [--n 10000] [--k 1000] [--skip-old] [--tasks ...]``

Each call runs alone in a fresh subprocess (so its peak memory, ``ru_maxrss``, is its own),
today's implementation next to the one before the rewrite (commit ``948afee``, loaded from
git by ``_baseline.py``; nothing of it is kept in the package):

- ``margin_report``: old = dense ``n x n`` arc-cosine kernel, its eigendecomposition and a QP
  on the dense factor, plus the full cone program for P*; new = the kernel program on sector
  moments with prefix sums (``O(n)`` variables) and P* by column generation over activation
  patterns, certified by weak duality.
- ``region_graph``: old = two exact evaluations of the whole network per piece; new = exact
  prefix sums of the jumps.
- exact ``certify_global``: old = exact margins by evaluating every neuron at every point and
  the per-neuron exact KKT system; new = margins from the sorted piecewise-linear form and
  the grouped KKT system on python-flint rationals.

The network. ``margin_report`` and ``region_graph`` get a *synthetic* network that separates
teacher-student data (``teacher_student_setup(r=3, n, k - 4, R=1, seed=0)``): the teacher,
one constant neuron shifting it down by half its smallest positive value on the sample
(teacher labels use sign(0) = -1), and the ``k - 4`` Assumption 2.1 initial neurons scaled by
1e-3 -- so it has k distinct kinks and separates the data. (Plain training from the
initialization does not separate this sample in a short run, which is why the benchmark does
not train.) Exact ``certify_global`` needs a KKT point to have something to certify, so it runs
on ``kkt_instance(n, k, exact=True)`` (two mirrored clusters; P* = 6/5 proved by weak
duality).

Targets (issue): each at least 10x faster than before, margin_report under 1 GB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TASKS = ("margin_report", "region_graph", "certify_global")


def synthetic_network(n: int, k: int):
    """Teacher + constant shift + small initial neurons: separates the sample, k kinks."""
    import numpy as np

    from pwl_kkt import Network, teacher_student_setup

    s = teacher_student_setup(r=3, n=n, k=k - 4, R=1, seed=0)
    x = s.data.x_float
    tw, tb, tv = s.teacher.to_float().arrays()
    values = s.teacher.to_float()(x)
    eps = 0.5 * float(np.min(values[values > 0]))
    iw, ib, iv = s.init.arrays()
    net = Network(
        np.r_[tw, 0.0, iw], np.r_[tb, np.sqrt(eps), ib], np.r_[tv, -np.sqrt(eps), iv * 1e-3]
    )
    return net, s.data


def _measure(task: str, version: str, n: int, k: int) -> dict:
    """Run one task in this process (called in the subprocess): seconds, peak RSS, summary."""
    import resource
    import time

    import cvxpy  # noqa: F401 - imported before the clock starts, like every solver
    import scipy.optimize  # noqa: F401

    sys.path.insert(0, str(HERE))
    from _baseline import old_module

    if version == "old":
        import pwl_kkt

        # Old certify_global must call the old verify_kkt_exact too.
        sys.modules["pwl_kkt.kkt.exact"] = pwl_kkt.kkt.exact = old_module("exact")
    if task == "certify_global":
        from pwl_kkt import kkt_instance

        net, data = kkt_instance(n, k, exact=True, seed=0)
        fn = (old_module("globalopt") if version == "old" else __import__("pwl_kkt")).certify_global
        call = lambda: fn(net, data)  # noqa: E731
        show = lambda c: f"is_global={c.is_global} proof={c.proof} P*={c.P_star_exact}"  # noqa: E731
    elif task == "margin_report":
        net, data = synthetic_network(n, k)
        fn = (old_module("f2") if version == "old" else __import__("pwl_kkt")).margin_report
        call = lambda: fn(net, data)  # noqa: E731
        show = lambda r: f"P*={r.P_star:.9g} Q*={r.Q_star:.9g}"  # noqa: E731
    else:
        net, _ = synthetic_network(n, k)
        fn = (old_module("regions") if version == "old" else __import__("pwl_kkt")).region_graph
        call = lambda: fn(net)  # noqa: E731
        show = lambda g: f"{g.number_of_nodes()} pieces"  # noqa: E731
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    out = call()
    seconds = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"seconds": seconds, "peak_gb": peak / 1e6, "setup_gb": before / 1e6,
            "summary": show(out)}


def run(task: str, version: str, n: int, k: int) -> dict:
    code = (
        f"import json, sys; sys.path.insert(0, {str(HERE)!r}); import bench_scale; "
        f"print(json.dumps(bench_scale._measure({task!r}, {version!r}, {n}, {k})))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if proc.returncode:
        return {"error": proc.stderr.strip().splitlines()[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--k", type=int, default=1_000)
    ap.add_argument("--skip-old", action="store_true", help="time today's code only")
    ap.add_argument("--tasks", nargs="+", default=list(TASKS), choices=TASKS)
    args = ap.parse_args()
    print(f"n = {args.n}, k = {args.k}; each call in its own subprocess (peak = ru_maxrss)")
    print(f"{'task':<16}{'version':>8}{'seconds':>10}{'peak GB':>9}  result")
    for task in args.tasks:
        rows = {}
        for version in ("new",) if args.skip_old else ("new", "old"):
            r = rows[version] = run(task, version, args.n, args.k)
            if "error" in r:
                print(f"{task:<16}{version:>8}  failed: {r['error']}")
                continue
            print(f"{task:<16}{version:>8}{r['seconds']:>10.2f}{r['peak_gb']:>9.2f}  "
                  f"{r['summary']}", flush=True)
        new, old = rows.get("new", {}), rows.get("old", {})
        if "seconds" in new and "seconds" in old:
            ratio = old["seconds"] / new["seconds"]
            print(f"  {task}: old / new = {ratio:.1f}x ({'met' if ratio >= 10 else 'MISSED'}"
                  " target >= 10x)")
        if task == "margin_report" and "peak_gb" in new:
            ok = new["peak_gb"] < 1.0
            print(f"  margin_report peak {new['peak_gb']:.2f} GB ({'met' if ok else 'MISSED'}"
                  " target < 1 GB)")


if __name__ == "__main__":
    main()
