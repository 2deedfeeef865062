"""Per-step time of the loss and gradient: fast engine vs dense numpy vs PyTorch CPU.

One "step" is the full-batch exponential loss (Safran et al. 2022, Eq. 2) and its gradient w.r.t.
(w, b, v) in float64 on the same data, for n = k = 10^3, 10^4, 10^5:

* fast:  ``pwl_kkt.loss_and_grad`` (sorted data, binary search, prefix sums: O((n+k) log(n+k)));
* dense: ``pwl_kkt.training._dense.dense_loss_and_grad`` (numpy, O(n k), chunked);
* torch: autograd forward + backward of ``mean(exp(-y * relu(x w + b) @ v))`` on CPU, float64,
  accumulated over row chunks so memory stays bounded (the gradient is the full-batch one).

The O(n k) baselines are skipped where one step would take longer than ``--max-dense`` seconds
(estimated from the smaller size); the script says so. Targets (issue 4): fast >= 30x faster
than torch at n = k = 10^4; fast time growing like (n + k) log(n + k) from 10^4 to 10^5.

Run: ``python benchmarks/bench_train.py [--sizes 1000 10000 100000] [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import math
import time
from functools import partial

import numpy as np

from pwl_kkt import Network, loss_and_grad
from pwl_kkt.training._dense import dense_loss_and_grad

_CHUNK_ENTRIES = 2**22


def _instance(n: int, k: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, n)
    y = np.where(np.sin(7 * x) > 0, 1.0, -1.0)
    w = rng.normal(0, 1, k)
    b = rng.normal(0, 1, k)
    v = rng.normal(0, 1 / math.sqrt(k), k)
    # Put some kinks exactly on data points.
    j = rng.choice(k, size=k // 10, replace=False)
    b[j] = -w[j] * x[rng.integers(0, n, j.size)]
    return x, y, w, b, v


def _best_time(fn, repeat: int) -> float:
    best = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _torch_step(torch, x, y, w, b, v):
    n, k = x.shape[0], w.shape[0]
    w.grad = b.grad = v.grad = None
    chunk = max(1, _CHUNK_ENTRIES // k)
    total = 0.0
    for s in range(0, n, chunk):
        xs, ys = x[s : s + chunk], y[s : s + chunk]
        out = torch.relu(xs[:, None] * w + b) @ v
        part = torch.exp(-ys * out).sum() / n
        part.backward()
        total += float(part.detach())
    return total, (w.grad, b.grad, v.grad)


def _show(t: float | None) -> str:
    return f"{t * 1e3:9.2f}ms" if t is not None else f"{'skipped':>10}"


def _ratio(t: float | None, base: float) -> str:
    return f"{t / base:10.1f}x" if t is not None else f"{'-':>11}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--max-dense", type=float, default=60.0, help="skip O(nk) beyond this")
    args = parser.parse_args()
    try:
        import torch
    except ImportError:  # pragma: no cover - optional
        torch = None
    print(
        "per-step time (full-batch exp loss + gradient, float64), best of "
        f"{3 * args.repeat} (fast) / {args.repeat} (dense, torch; 1 at n = 10^5)"
    )
    if torch is not None:
        print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU thread(s)")
    header = f"{'n = k':>8} {'fast':>10} {'dense':>10} {'torch':>10} {'dense/fast':>11}"
    print(header + f" {'torch/fast':>11}  max rel diff vs dense")
    fast_times: dict[int, float] = {}
    dense_per_entry = torch_per_entry = None
    for size in args.sizes:
        x, y, w, b, v = _instance(size, size)
        net = Network(w, b, v)
        t_fast = _best_time(partial(loss_and_grad, net, x, y), 3 * args.repeat)
        fast_times[size] = t_fast
        entries = float(size) * size
        t_dense = t_torch = None
        diff = "-"
        if dense_per_entry is None or dense_per_entry * entries <= args.max_dense:
            rep = args.repeat if size <= 10**4 else 1
            t_dense = _best_time(partial(dense_loss_and_grad, w, b, v, x, y), rep)
            dense_per_entry = t_dense / entries
            _, g_fast = loss_and_grad(net, x, y)
            _, g_dense = dense_loss_and_grad(w, b, v, x, y)
            a, r = np.concatenate(g_fast), np.concatenate(g_dense)
            diff = f"{np.max(np.abs(a - r)) / np.max(np.abs(r)):.1e}"
        torch_fits = torch_per_entry is None or torch_per_entry * entries <= args.max_dense
        if torch is not None and torch_fits:
            tx, ty = torch.tensor(x), torch.tensor(y)
            tw, tb, tv = (torch.tensor(a, requires_grad=True) for a in (w, b, v))
            rep = args.repeat if size <= 10**4 else 1
            t_torch = _best_time(partial(_torch_step, torch, tx, ty, tw, tb, tv), rep)
            torch_per_entry = t_torch / entries

        print(
            f"{size:>8} {_show(t_fast)} {_show(t_dense)} {_show(t_torch)} "
            f"{_ratio(t_dense, t_fast)} {_ratio(t_torch, t_fast)}  {diff}"
        )
    print()
    skipped = [s for s in args.sizes if s * s * (dense_per_entry or 0) > args.max_dense]
    if skipped:
        print(
            f"skipped O(nk) baselines at n = k = {skipped}: one step estimated > "
            f"{args.max_dense:g} s (about 100x the measured 10x-smaller step)"
        )
    sizes = sorted(fast_times)
    for lo, hi in zip(sizes, sizes[1:]):
        measured = fast_times[hi] / fast_times[lo]
        predicted = (2 * hi * math.log(2 * hi)) / (2 * lo * math.log(2 * lo))
        print(
            f"fast growth {lo} -> {hi}: measured {measured:.1f}x, "
            f"(n+k)log(n+k) predicts {predicted:.1f}x, n*k would be {(hi / lo) ** 2:.0f}x"
        )


if __name__ == "__main__":
    main()
