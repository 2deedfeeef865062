"""Networks on R^d: numeric KKT certificates of a NetworkNd against the dense textbook form.

Part ``kkt`` of the d-dimensional benchmarks (``bench_kkt`` is written to be added to the
``PARTS`` of ``benchmarks/bench_nd.py``). n = k = 2000, d = 10 by default; instances:

* ``clusters``: an exact KKT point built by construction (``pwl_kkt.kkt._synth_nd``: 11
  clusters of 5 mirrored support-point pairs, neurons pointing at their centres, 110 support
  points), rounded to float64 and perturbed by a relative 1e-9: near-KKT, with and without
  hidden biases;
* ``random``: a random network (Gaussian weights, labels its own signs) with ``support_tol``
  set so that every point is a support point: no KKT point (eps near 1), 2000 distinct
  activation patterns, the largest cone program the certificate can meet at this size.

Both formulations minimize the same ``||theta_n - sum_i lambda_i h_i||``: ``certify_kkt``
(support points only; one variable block per distinct activation pattern, or the Gram form
``H^T H`` of the support's subgradients, whichever has fewer nonzeros) and the dense textbook
form (``lambda in R^n``, d + 1 dense ``n x k`` matrices), run in a subprocess with a time limit
(``--dense-limit``, reported as a lower bound when hit). Times include everything
``certify_kkt`` does (exact minimum margin, support, activation signs, solve, residual).

Target (issue 11): n = k = 2000, d = 10 in under 30 s.

Run: python benchmarks/bench_nd_kkt.py [--n 2000] [--k 2000] [--d 10] [--dense-limit 300]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import time

import numpy as np

from pwl_kkt import DatasetNd, NetworkNd, certify_kkt
from pwl_kkt.kkt._numeric_nd import choose_form, structure_nd
from pwl_kkt.kkt._synth_nd import kkt_instance_nd

PERTURB = 1e-9


def _instance(name: str, n: int, k: int, d: int) -> tuple[NetworkNd, DatasetNd, float]:
    """``(net, data, support_tol)`` of a named instance."""
    if name.startswith("clusters"):
        bias = name == "clusters"
        net, data = kkt_instance_nd(d, k, n, pairs=5, bias=bias, exact=False, perturb=PERTURB,
                                    seed=1)
        return net, data, 1e-6
    rng = np.random.default_rng(0)
    net = NetworkNd(rng.standard_normal((k, d)), rng.standard_normal(k),
                    rng.standard_normal(k) / np.sqrt(k))
    x = rng.standard_normal((n, d))
    data = DatasetNd(x, np.where(net(x) > 0, 1, -1))
    q = np.sort(data.y * net(x))
    return net, data, float(q[-1] / q[0]) - 1 + 1e-9


def _dense_worker(name: str, n: int, k: int, d: int, out: mp.Queue) -> None:
    from pwl_kkt.kkt._dense import certify_dense_nd

    net, data, tol = _instance(name, n, k, d)
    t = time.perf_counter()
    _, eps = certify_dense_nd(net, data, support_tol=tol)
    out.put((time.perf_counter() - t, eps))


def _dense(name: str, n: int, k: int, d: int, limit: float) -> tuple[float | None, float | None]:
    out: mp.Queue = mp.Queue()
    proc = mp.Process(target=_dense_worker, args=(name, n, k, d, out))
    proc.start()
    proc.join(limit)
    if proc.is_alive():
        proc.terminate()
        proc.join()
        return None, None
    return out.get() if proc.exitcode == 0 else (None, None)


def bench_kkt(args: argparse.Namespace) -> None:
    n, k = args.n, args.k
    warm_net, warm_data = kkt_instance_nd(2, 4, 10, pairs=1, exact=False, seed=0)
    certify_kkt(warm_net, warm_data)  # import cvxpy and its solver once, outside the timings
    print(f"numeric KKT certificate, n = {n}, k = {k} (dense baseline limit "
          f"{args.dense_limit:.0f} s)")
    print(f"{'instance':>15}{'d':>4}{'|S|':>6}{'patterns':>9}{'form':>7}{'ours s':>9}"
          f"{'eps':>11}{'KKT':>5}{'dense s':>10}{'eps':>11}{'ratio':>8}")
    for d in args.d:
        for name in ("clusters", "clusters-nobias", "random"):
            net, data, tol = _instance(name, n, k, d)
            st = structure_nd(net, data, tol, 1e-6)
            t = time.perf_counter()
            cert = certify_kkt(net, data, support_tol=tol)
            ts = time.perf_counter() - t
            row = (f"{name:>15}{d:>4}{len(cert.support):>6}{st.patterns.shape[0]:>9}"
                   f"{choose_form(st):>7}{ts:>9.2f}{cert.eps:>11.2e}"
                   f"{'yes' if cert.is_kkt else 'no':>5}")
            td, eps_d = _dense(name, n, k, d, args.dense_limit)
            if td is None:
                lim, ratio = f">{args.dense_limit:.0f}", f">{args.dense_limit / ts:.0f}"
                print(row + f"{lim:>10}{'-':>11}{ratio:>8}")
            else:
                print(row + f"{td:>10.2f}{eps_d:>11.2e}{td / ts:>8.1f}")
    print("target: n = k = 2000, d = 10 in < 30 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--k", type=int, default=2000)
    parser.add_argument("--d", type=int, nargs="+", default=[10])
    parser.add_argument("--dense-limit", type=float, default=300.0)
    bench_kkt(parser.parse_args())


if __name__ == "__main__":
    main()
