"""Numeric KKT certificates: sparse prefix-sum formulation vs the dense textbook one (issue 3).

Instances: exact KKT points built by construction (``pwl_kkt.kkt._synth.kkt_instance``:
two Pythagorean template neurons split into k copies, n data points of which two are
support points), rounded to float64 and perturbed by a relative 1e-9 -- near-KKT networks
at n = k = 1000, 2000, 10000. Both formulations use the same cvxpy solver (Clarabel) and
the same objective ``min ||theta_n - sum lambda_i h_i||_2``; the dense one carries
``lambda in R^n`` and dense n-by-k subgradient matrices. The dense solve runs in a
subprocess with a time limit (``--dense-limit`` seconds), reported as a lower bound when hit;
at n = k = 10000 it is skipped (three dense 10^4 x 10^4 float matrices are 2.4 GB and the
solver's KKT factorization is far larger).

Targets: >= 10x faster than dense at n = k = 2000; n = k = 10000 in under 30 s; exact
verification (``verify_kkt_exact``) of a rational n = k = 200 instance in under 30 s.

Run: python benchmarks/bench_kkt.py [--dense-limit SECONDS]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import time

from pwl_kkt.kkt._synth import kkt_instance
from pwl_kkt.kkt.numeric import certify_kkt

SIZES = (1000, 2000, 10000)
DENSE_MAX = 2000
PERTURB = 1e-9


def _dense_worker(n: int, out: mp.Queue) -> None:
    from pwl_kkt.kkt._dense import certify_dense

    net, data = kkt_instance(n, n, exact=False, perturb=PERTURB, seed=n)
    t = time.perf_counter()
    _, eps = certify_dense(net, data)
    out.put((time.perf_counter() - t, eps))


def _dense(n: int, limit: float) -> tuple[float | None, float | None]:
    out: mp.Queue = mp.Queue()
    proc = mp.Process(target=_dense_worker, args=(n, out))
    proc.start()
    proc.join(limit)
    if proc.is_alive():
        proc.terminate()
        proc.join()
        return None, None
    return out.get()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dense-limit", type=float, default=600.0)
    args = parser.parse_args()
    warm, warm_data = kkt_instance(10, 10, exact=False, seed=0)
    certify_kkt(warm, warm_data)  # import cvxpy and its solver once, outside the timings
    print(f"{'n = k':>7}{'structured s':>14}{'eps':>11}{'KKT':>5}{'dense s':>12}{'eps':>11}"
          f"{'ratio':>9}")
    for n in SIZES:
        net, data = kkt_instance(n, n, exact=False, perturb=PERTURB, seed=n)
        t = time.perf_counter()
        cert = certify_kkt(net, data)
        ts = time.perf_counter() - t
        row = f"{n:>7}{ts:>14.3f}{cert.eps:>11.2e}{'yes' if cert.is_kkt else 'no':>5}"
        if n > DENSE_MAX:
            print(row + f"{'skipped':>12}{'-':>11}{'-':>9}   (dense n*k matrices: 2.4 GB)")
            continue
        td, eps_d = _dense(n, args.dense_limit)
        if td is None:
            lim = args.dense_limit
            bound = f">{lim / ts:.0f}"
            print(row + f"{'>' + format(lim, '.0f'):>12}{'-':>11}{bound:>9}")
        else:
            print(row + f"{td:>12.3f}{eps_d:>11.2e}{td / ts:>9.1f}")
    print("targets: ratio >= 10 at n = k = 2000; n = k = 10000 in < 30 s")

    from pwl_kkt.kkt.exact import verify_kkt_exact

    net, data = kkt_instance(200, 200, exact=True, seed=200)
    t = time.perf_counter()
    res = verify_kkt_exact(net, data)
    te = time.perf_counter() - t
    t = time.perf_counter()
    ok = res.recheck()
    tr = time.perf_counter() - t
    print(f"exact n = k = 200: {'KKT' if res.is_kkt else 'not KKT'} (proof {res.proof}) in "
          f"{te:.2f} s, recheck {'ok' if ok else 'FAILED'} in {tr:.2f} s (target < 30 s)")


if __name__ == "__main__":
    main()
