"""Exact KKT verification at scale: today's grouped system next to the per-neuron one.

Run: ``python benchmarks/bench_exact.py [--sizes 200 1000 2000] [--old-timeout 300]``

Instances: :func:`pwl_kkt.kkt_instance` with ``exact=True``, ``n = k``: the mirrored clusters
(support = 2 points, KKT), the same with one neuron tilted by 1/1000 (not KKT), and the
``"constant"`` family (every point a support point, so the system is as large as it gets:
KKT, and with ``positive_only`` not KKT, decided by an exact Farkas proof).

``new``: :func:`pwl_kkt.verify_kkt_exact` -- the system held by its structure (support sorted
by x, each neuron's active set one half-line), neurons with one activation pattern and one
direction sharing one row pair, the face solved on python-flint's ``fmpq_mat``; ``recheck``
re-verifies the proof from the network and data by prefix sums. ``old``: the implementation
before (commit ``948afee``, loaded from git, one row block per neuron, SymPy DomainMatrix),
run in a subprocess with a time limit so that a size it cannot finish does not stop the run.
Target (issue): n = k = 2000 under 30 s.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

from pwl_kkt import Network, kkt_instance, verify_kkt_exact

HERE = Path(__file__).resolve().parent
CASES = ("clusters KKT", "clusters tilted", "constant KKT", "constant, x>0")


def instance(n: int, label: str) -> tuple[Network, object]:
    if label.startswith("clusters"):
        net, data = kkt_instance(n, n, exact=True, seed=n)
        if label == "clusters tilted":
            w, b, v = (list(p) for p in net.fractions())
            w[0] += Fraction(1, 1000)  # one neuron tilted: margins move, not KKT
            net = Network(w, b, v)
        return net, data
    return kkt_instance(n, n, exact=True, seed=1, family="constant",
                        positive_only=label == "constant, x>0")


def _old(n: int, label: str) -> dict:
    """Time the previous implementation (called in a subprocess)."""
    import resource

    sys.path.insert(0, str(HERE))
    from _baseline import old_module

    old = old_module("exact")
    net, data = instance(n, label)
    t = time.perf_counter()
    res = old.verify_kkt_exact(net, data)
    return {"seconds": time.perf_counter() - t, "is_kkt": res.is_kkt,
            "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6}


def old_timed(n: int, label: str, timeout: float) -> dict | None:
    code = (f"import json, sys; sys.path.insert(0, {str(HERE)!r}); import bench_exact; "
            f"print(json.dumps(bench_exact._old({n}, {label!r})))")
    try:
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1]) if proc.returncode == 0 else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[200, 1000, 2000])
    ap.add_argument("--old-timeout", type=float, default=300.0)
    args = ap.parse_args()
    import scipy.optimize  # noqa: F401 - import time is not verification time
    import scipy.sparse  # noqa: F401

    worst = 0.0
    print(f"{'instance':<32}{'verdict':>8}{'proof':>12}{'method':>15}{'new s':>8}"
          f"{'recheck s':>10}{'old s':>9}{'old GB':>8}{'old/new':>9}")
    for n in args.sizes:
        for label in CASES:
            net, data = instance(n, label)
            t = time.perf_counter()
            res = verify_kkt_exact(net, data)
            t_new = time.perf_counter() - t
            t = time.perf_counter()
            assert res.recheck()
            t_re = time.perf_counter() - t
            old = old_timed(n, label, args.old_timeout)
            if old is not None:
                assert old["is_kkt"] == res.is_kkt, "verdicts differ"
                ratio = old["seconds"] / t_new
                tail = f"{old['seconds']:>9.2f}{old['peak_gb']:>8.2f}{ratio:>8.1f}x"
            else:
                tail = f"{'> ' + str(int(args.old_timeout)):>9}{'':>8}{'':>9}"
            if n == 2000:
                worst = max(worst, t_new)
            print(f"{f'n = k = {n}, {label}':<32}{str(res.is_kkt):>8}{res.proof:>12}"
                  f"{res.method:>15}{t_new:>8.2f}{t_re:>10.2f}{tail}", flush=True)
        if n == 2000:
            status = "met" if worst < 30 else "MISSED"
            print(f"  target n = k = 2000 under 30 s: {status} (slowest case {worst:.2f} s)")


if __name__ == "__main__":
    main()
