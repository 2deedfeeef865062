"""The limit of gradient flow, computed and proven, against training towards it.

For teacher-student instances (teacher with r = 2 sign changes, Assumption 2.1
initialization, ``pwl_kkt.teacher_student_setup``) of sizes (n, k) = (40, 30), (1000, 100),
(1000, 1000), (10000, 1000), one run prints:

* ``sep``: seconds of plain ``train`` (loss-normalized flow, lr 0.05) until every point is
  classified (checked every 10 steps), then ``extra`` more steps (default 500) so the
  activation patterns settle a little;
* ``limit``: seconds of ``kkt_limit`` from that network, its ``eps`` (relative stationarity
  residual) and whether it converged;
* ``proof``: seconds of ``prove_kkt_point`` on the limit, proven or not, the proven region
  count;
* baseline, measured side by side: plain ``train`` continued from the same network for 10x
  the limit's time, and the ``eps`` it reaches (``certify_kkt`` with ``support_tol=1e-2``,
  as the demo used to do). ``ratio`` = the baseline's time over the limit's time when the
  baseline reaches ``eps <= 1e-2``; otherwise ``> 10`` (it did not get there in 10x the time).

Targets (issue 10): demo size limit + proof under 2 s; n = k = 1000 under 60 s; the limit at
least 100x sooner than training reaches eps <= 1e-2; eps <= 1e-9 at the limit.

Run: ``python benchmarks/bench_limit.py [--sizes 40x30 1000x100 ...] [--extra 500]``.
"""

from __future__ import annotations

import argparse
import time

from pwl_kkt import certify_kkt, kkt_limit, prove_kkt_point, teacher_student_setup, train

_SIZES = ("40x30", "1000x100", "1000x1000", "10000x1000")


def _separated(setup, extra: int):
    t0 = time.perf_counter()
    net, hist = train(
        setup.init, setup.data, steps=200_000, lr=0.05, record_every=10, progress=False,
        callback=lambda step, net, row: row["margin"] > 0,
    )
    steps = int(hist.step[-1])
    if extra:
        net, _ = train(net, setup.data, steps=extra, lr=0.05, record_every=extra,
                       progress=False)
        steps += extra
    while (setup.data.y * net(setup.data.x_float) <= 0).any():  # the extra steps can unclassify
        net, hist = train(net, setup.data, steps=200_000, lr=0.05, record_every=10,
                          progress=False, callback=lambda step, net, row: row["margin"] > 0)
        steps += int(hist.step[-1])
    return net, steps, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", nargs="+", default=list(_SIZES))
    ap.add_argument("--extra", type=int, default=500)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    import cvxpy  # noqa: F401 - untimed warm-up: importing cvxpy takes seconds once per process
    head = (f"{'n':>6} {'k':>5} {'steps':>6} {'sep s':>7} {'limit s':>8} {'eps':>8} "
            f"{'proof s':>8} {'proven':>6} {'regions':>7} | {'train s':>8} {'train eps':>9} "
            f"{'ratio':>7}")
    print(head)
    print("-" * len(head))
    for size in args.sizes:
        n, k = (int(t) for t in size.split("x"))
        setup = teacher_student_setup(2, n, k, seed=args.seed)
        net, steps, t_sep = _separated(setup, args.extra)
        t0 = time.perf_counter()
        lim = kkt_limit(net, setup.data)
        t_lim = time.perf_counter() - t0
        t0 = time.perf_counter()
        proof = prove_kkt_point(lim.network, setup.data)
        t_proof = time.perf_counter() - t0
        # baseline: plain training from the same network for 10x the limit's time
        budget = 10 * (t_lim + t_proof)
        t0 = time.perf_counter()
        base, _ = train(net, setup.data, steps=10**9, lr=0.05, max_time=budget,
                        record_every=1000, progress=False)
        t_base = time.perf_counter() - t0
        eps_base = certify_kkt(base, setup.data, support_tol=1e-2).eps
        ratio = f"{t_base / (t_lim + t_proof):.1f}" if eps_base <= 1e-2 else "> 10"
        regions = proof.regions if proof.regions is not None else (
            "-" if proof.regions_range is None else "{}-{}".format(*proof.regions_range))
        print(f"{n:>6} {k:>5} {steps:>6} {t_sep:>7.2f} {t_lim:>8.2f} {lim.eps:>8.1e} "
              f"{t_proof:>8.2f} {str(proof.proven):>6} {regions!s:>7} | {t_base:>8.2f} "
              f"{eps_base:>9.2e} {ratio:>7}")
        if not lim.converged:
            print(f"       limit not converged: {lim.reason}")
        if not proof.proven:
            print(f"       not proven: {proof.reason}")


if __name__ == "__main__":
    main()
