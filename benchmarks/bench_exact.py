"""Exact KKT verification time (issue 3): rational KKT instances and perturbed ones.

Target: n = k = 200 decided exactly (with a proof that is re-checked) in under 30 s.
Baseline, side by side: the exact Bland simplex alone (no floating-point guess).

Run: python benchmarks/bench_exact.py
"""

from __future__ import annotations

import time
from fractions import Fraction

import pwl_kkt.exact as ex
from pwl_kkt import Network, kkt_instance, verify_kkt_exact


def _timed(fn, *args):
    t = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t


def _perturbed(net: Network) -> Network:
    w, b, v = (list(p) for p in net.fractions())
    w[0] += Fraction(1, 1000)  # one neuron tilted: margins move, usually a Farkas proof
    return Network(w, b, v)


def main() -> None:
    print(f"{'instance':<40}{'verdict':>9}{'proof':>13}{'method':>17}{'time s':>9}"
          f"{'recheck s':>11}{'simplex-only s':>16}")
    cases = []
    for n in (50, 200, 400):
        net, data = kkt_instance(n, n, exact=True, seed=n)
        cases += [(n, "clusters KKT", net, data), (n, "clusters tilted", _perturbed(net), data)]
    for po in (False, True):
        net, data = kkt_instance(200, 200, exact=True, seed=1, family="constant", positive_only=po)
        cases.append((200, "constant, x>0" if po else "constant KKT", net, data))
    for n, label, inst, data in cases:
        res, t = _timed(verify_kkt_exact, inst, data)
        ok, t_re = _timed(res.recheck)
        assert ok
        saved = ex._float_guess
        ex._float_guess = lambda *a: None
        try:
            res2, t_simplex = _timed(verify_kkt_exact, inst, data)
        finally:
            ex._float_guess = saved
        assert res2.is_kkt == res.is_kkt
        name = f"n = k = {n}, {label}"
        name += f" (m={len(res.support)})"
        print(f"{name:<40}{str(res.is_kkt):>9}{res.proof:>13}{res.method:>17}{t:>9.2f}"
              f"{t_re:>11.2f}{t_simplex:>16.2f}")
        if n == 200:
            status = "met" if t < 30 else "MISSED"
            print(f"  target n = k = 200 under 30 s: {status} ({t:.2f} s)")


if __name__ == "__main__":
    main()
