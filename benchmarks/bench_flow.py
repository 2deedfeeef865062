"""Does ``train(method="flow")`` follow gradient flow, and does it keep moving?

On the teacher-student demo setting (``teacher_student_setup(r=2, n=40, k=30, seed=0)``,
``lr=0.05``), side by side in one run:

1. The baseline is the previous integrator, re-implemented here verbatim in its logic:
   Euler steps ``theta <- theta - eta grad L / L`` of relative size ``lr * shrink``,
   halving ``shrink`` while the loss would rise, ``relu'(0) = 0``. Against it,
   ``train(method="flow")`` (Heun-Euler pair with error control, ``rtol``). Over
   ``--steps`` steps each: time per step, and the drops of Lyu & Li's smoothed margin
   (non-decreasing along gradient flow once ``n L < 1``): how many steps drop it, the largest
   relative drop, and how often the loss rises.
2. The new flow run to ``--long`` steps (default 700,000): the angle between the last two
   recorded directions (> 0 means it still moves), ``log L``, ``log t`` (GF time), the stop
   reason and its detail.
3. Research scale (``--big``, n = 10^4, k = 10^3): time and steps until the data is
   separated, new flow vs the baseline, each with the same wall-clock budget.

Run: ``python benchmarks/bench_flow.py [--steps 20000] [--long 700000] [--big] [--budget S]``
(``--steps 0`` / ``--long 0`` skip parts 1 / 2).
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from pwl_kkt import train
from pwl_kkt.setting.teacher import teacher_student_setup
from pwl_kkt.training import _fastgrad as fg
from pwl_kkt.training.train import _evaluate, _smoothed_margin


def baseline_flow(net, data, steps: int, lr: float, max_time: float | None = None, stop=None):
    """The previous integrator: relative Euler steps, halved while the loss would rise.

    Returns ``(log losses, smoothed margins, steps done, seconds)``; ``stop(theta, ev)``
    ends the run early when it returns True.
    """
    w, b, v = (np.array(a) for a in net.arrays())
    sd = fg.SortedData.build(data.x_float, data.y)
    ev = _evaluate(w, b, v, sd, "exp")
    shrink = 1.0
    log_losses, margins = [], []
    start = time.perf_counter()
    step = 0
    while step < steps:
        if max_time is not None and time.perf_counter() - start > max_time:
            break
        gw, gb, gv = ev.grad_over_loss
        gnorm = math.sqrt(float(gw @ gw + gb @ gb + gv @ gv))
        if gnorm == 0.0:
            break
        base = lr * max(math.sqrt(float(w @ w + b @ b + v @ v)), 1.0) / gnorm
        for _ in range(60):
            eta = base * shrink
            nw, nb, nv = w - eta * gw, b - eta * gb, v - eta * gv
            new = _evaluate(nw, nb, nv, sd, "exp")
            if new.log_loss <= ev.log_loss:
                break
            shrink *= 0.5
        else:
            break
        shrink = min(1.0, shrink * 1.25)
        w, b, v, ev = nw, nb, nv, new
        step += 1
        sq = float(w @ w + b @ b + v @ v)
        log_losses.append(ev.log_loss)
        margins.append(_smoothed_margin(ev.log_loss, sd.n, sq, "exp"))
        if stop is not None and stop(ev):
            break
    return np.array(log_losses), np.array(margins), step, time.perf_counter() - start


def drops(log_losses: np.ndarray, margins: np.ndarray, n: int) -> tuple[int, int, float, int]:
    """(steps in the monotone phase n L < 1, drops, largest relative drop, loss rises)."""
    sm = margins[log_losses < -math.log(n)]
    rel = -np.diff(sm) / np.abs(sm[:-1])
    return (
        sm.size,
        int((rel > 0).sum()),
        float(max(rel.max(initial=0.0), 0.0)),
        int((np.diff(log_losses) > 0).sum()),
    )


def compare(steps: int, rtol: float) -> None:
    setup = teacher_student_setup(2, 40, 30, seed=0)
    data = setup.data
    print(f"demo setting r=2, n=40, k=30, seed 0, lr 0.05; {steps} steps each")
    print(
        f"{'integrator':<28} {'s/step':>10} {'ratio':>6} {'log L':>9} {'monotone':>9} "
        f"{'drops':>6} {'max rel drop':>13} {'loss rises':>10}"
    )
    ll, sm, done, secs = baseline_flow(setup.init, data, steps, 0.05)
    base = secs / done
    m, cnt, worst, rises = drops(ll, sm, data.n)
    print(
        f"{'old: Euler + halving':<28} {base:10.2e} {1.0:6.2f} {ll[-1]:9.2f} {m:9d} {cnt:6d} "
        f"{worst:13.2e} {rises:10d}"
    )
    for tol in (rtol, rtol / 10):
        t0 = time.perf_counter()
        _, hist = train(setup.init, data, steps=steps, lr=0.05, rtol=tol, progress=False)
        per = (time.perf_counter() - t0) / steps
        m, cnt, worst, rises = drops(hist.log_loss[1:], hist.smoothed_margin[1:], data.n)
        print(
            f"{'new: Heun-Euler rtol ' + format(tol, 'g'):<28} {per:10.2e} {per / base:6.2f} "
            f"{hist.log_loss[-1]:9.2f} {m:9d} {cnt:6d} {worst:13.2e} {rises:10d}"
        )


def long_run(steps: int) -> None:
    from tqdm.auto import tqdm

    setup = teacher_student_setup(2, 40, 30, seed=0)
    every = max(1, steps // 700)
    bar = tqdm(total=steps, desc="long flow run", unit="step")

    def tick(step, net, rec):
        bar.update(every)

    t0 = time.perf_counter()
    _, hist = train(
        setup.init,
        setup.data,
        steps=steps,
        lr=0.05,
        record_every=every,
        callback=tick,
        progress=False,
    )
    bar.close()
    secs = time.perf_counter() - t0
    print(f"\nnew flow, demo setting, {int(hist.step[-1])} steps in {secs:.0f} s:")
    print(f"  stop: {hist.stop_reason} ({hist.stop_detail})")
    print(f"  log L = {hist.log_loss[-1]:.6g}, log t = {hist.log_t[-1]:.6g}, s = {hist.s[-1]:.6g}")
    print(
        f"  angle between the last two records ({every} steps apart): {hist.angle[-1]:.3e} rad; "
        f"smallest over the last 10 records: {hist.angle[-10:].min():.3e}"
    )
    print(f"  normalized margin {hist.margin[-1]:.6g}, smoothed {hist.smoothed_margin[-1]:.6g}")
    print(
        f"  steps where log L rose (within rtol): {hist.extra['loss_rises']}, "
        f"rejected steps: {hist.extra['rejected']}"
    )
    sm = hist.smoothed_margin[hist.log_loss < -math.log(setup.data.n)]
    rel = -np.diff(sm) / np.abs(sm[:-1])
    print(
        f"  smoothed margin between records: {(rel > 0).sum()} drops of {rel.size}, "
        f"largest relative {max(rel.max(), 0.0):.2e}"
    )


def big(budget: float) -> None:
    setup = teacher_student_setup(2, 10_000, 1_000, seed=0)
    data = setup.data
    print(f"\nn = 10^4, k = 10^3 (r = 2, seed 0): time to separate, budget {budget:g} s each")
    ll, _, done, secs = baseline_flow(
        setup.init, data, 10**9, 0.05, max_time=budget, stop=lambda ev: ev.q.min() > 0
    )
    print(f"  old (lr 0.05): {done} steps, {secs:.0f} s, log L {ll[-1]:.4g}")
    for lr in (0.05, 1.0):
        t0 = time.perf_counter()
        _, hist = train(
            setup.init,
            data,
            steps=10**9,
            lr=lr,
            max_time=budget,
            record_every=10,
            callback=lambda step, net, rec: rec["margin"] > 0,
            progress=False,
        )
        secs = time.perf_counter() - t0
        print(
            f"  new (lr {lr:g}): {int(hist.step[-1])} steps, {secs:.0f} s, log L "
            f"{hist.log_loss[-1]:.4g}, separated: {hist.separated} ({hist.stop_reason})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20000)
    parser.add_argument("--rtol", type=float, default=1e-2)
    parser.add_argument("--long", type=int, default=700_000)
    parser.add_argument("--big", action="store_true", help="also the n = 10^4 separation run")
    parser.add_argument("--budget", type=float, default=300.0, help="seconds per big run")
    args = parser.parse_args()
    if args.steps:
        compare(args.steps, args.rtol)
    if args.long:
        long_run(args.long)
    if args.big:
        big(args.budget)


if __name__ == "__main__":
    main()
