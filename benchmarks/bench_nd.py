"""Networks on R^d: per-step training time against PyTorch CPU, numeric KKT certificates.

Parts (``--part``; ``all`` runs every part in turn; ``--n``, ``--k``, ``--d`` default to
each part's own sizes):

* ``train``: one full-batch gradient-descent step on the exponential loss
  ``L = 1/n sum_i exp(-y_i N(x_i))`` in float64, n = 10^4, k = 10^3 and d = 2, 10, 100:
  ``pwl_kkt.train(net, data, method="gd")`` (per step: the BLAS engine of
  :mod:`pwl_kkt.training._gradnd`, the update, and the history record) against PyTorch
  autograd (``relu(X W^T + b) @ v``, ``exp(-y * out).mean()``, ``backward()``, the same
  update in place). Both get the same number of threads (``--threads``, default the
  machine's cores): numpy's OpenBLAS and ``torch.set_num_threads``. Per-step times are
  ``(T(s + w) - T(w)) / s``, best of ``--repeat`` runs (the two take turns), so the set-up
  and ``w`` warm-up steps are excluded. The script checks that both take the same steps (the largest
  relative difference of the parameters after the run is printed). Target (issue 11): at
  least as fast as PyTorch CPU (ratio torch / ours >= 1).
* ``kkt``: the numeric KKT certificate at n = k = 2000, d = 10 against the dense textbook
  form (``benchmarks/bench_nd_kkt.py``, which describes it; ``--dense-limit``).

Run: ``python benchmarks/bench_nd.py [--part train|kkt|all] [--n N] [--k K] [--d D ...]
[--steps 10] [--repeat 3] [--threads 2] [--dense-limit 300]``. Without PyTorch the torch
column says so and is skipped.
"""

from __future__ import annotations

import argparse
import ctypes
import math
import os
import re
import time
from collections.abc import Callable

import numpy as np
from bench_nd_kkt import bench_kkt

from pwl_kkt import DatasetNd, NetworkNd, init_network, train


def _openblas() -> ctypes.CDLL | None:
    """numpy's OpenBLAS library (to read and set its thread count), if it is loaded."""
    with open("/proc/self/maps") as f:
        found = re.findall(r"(/\S*openblas\S*\.so\S*)", f.read())
    for path in sorted(set(found)):
        lib = ctypes.CDLL(path)
        for prefix in ("scipy_openblas", "openblas"):
            for suffix in ("64_", ""):
                if hasattr(lib, f"{prefix}_get_num_threads{suffix}"):
                    lib.get_threads = getattr(lib, f"{prefix}_get_num_threads{suffix}")
                    lib.set_threads = getattr(lib, f"{prefix}_set_num_threads{suffix}")
                    return lib
    return None


def _set_threads(threads: int) -> str:
    """Give numpy's BLAS ``threads`` threads; returns what numpy's BLAS now uses, in words."""
    lib = _openblas()
    if lib is None:
        return "numpy BLAS threads: unknown (not OpenBLAS)"
    lib.set_threads(threads)
    return f"numpy OpenBLAS threads: {lib.get_threads()}"


def _torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


def _per_step(
    runs: dict[str, Callable[[int], object]], steps: int, warmup: int, repeat: int
) -> dict[str, float]:
    """``(T(warmup + steps) - T(warmup)) / steps`` per run, each T the best of ``repeat``.

    The runs take turns within each repetition, so a change of load on the machine hits
    them alike.
    """
    best: dict[tuple[str, int], float] = {}
    for _ in range(repeat):
        for name, run in runs.items():
            for count in (warmup, warmup + steps):
                t0 = time.perf_counter()
                run(count)
                elapsed = time.perf_counter() - t0
                best[name, count] = min(best.get((name, count), math.inf), elapsed)
    return {name: (best[name, warmup + steps] - best[name, warmup]) / steps for name in runs}


def _instance(n: int, k: int, d: int, seed: int = 0) -> tuple[NetworkNd, DatasetNd]:
    """Gaussian points labelled by a random halfspace, and an Assumption 2.1 network."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    y = np.where(x @ rng.normal(size=d) > 0, 1, -1)
    net = init_network(k, sigma_h=1 / math.sqrt(d), sigma_o=1 / math.sqrt(k), d=d, seed=seed)
    return net, DatasetNd(x, y)


def _torch_run(torch, net: NetworkNd, data: DatasetNd, lr: float):
    """``run(steps)`` doing that many torch GD steps from ``net``; returns the parameters."""
    w0, b0, v0 = net.arrays()
    x = torch.from_numpy(np.array(data.x_float))
    y = torch.from_numpy(data.y.astype(np.float64))

    def run(steps: int) -> list[np.ndarray]:
        params = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (w0, b0, v0)]
        w, b, v = params
        for _ in range(steps):
            out = torch.relu(torch.addmm(b, x, w.T)) @ v
            loss = torch.exp(-y * out).mean()
            for p in params:
                p.grad = None
            loss.backward()
            with torch.no_grad():
                for p in params:
                    p.sub_(lr * p.grad)
        return [p.detach().numpy() for p in params]

    return run


def _ours_run(net: NetworkNd, data: DatasetNd, lr: float):
    def run(steps: int) -> list[np.ndarray]:
        out, _ = train(net, data, method="gd", loss="exp", steps=steps, lr=lr, progress=False)
        return list(out.arrays())

    return run


def bench_train(args: argparse.Namespace) -> None:
    """Part ``train``: per-step GD time of ``pwl_kkt.train`` on R^d against PyTorch CPU."""
    torch = _torch()
    print(f"n = {args.n}, k = {args.k}, float64, exponential loss, full-batch GD, "
          f"{args.steps} timed steps after {args.warmup} warm-up, best of {args.repeat}")
    print(_set_threads(args.threads), end="; ")
    if torch is None:
        print("PyTorch is not installed: the torch column is skipped")
    else:
        torch.set_num_threads(args.threads)
        print(f"torch {torch.__version__} threads: {torch.get_num_threads()}")
    print(f"{'d':>5} {'pwl_kkt':>12} {'torch':>12} {'torch/ours':>11} {'max rel diff':>13}")
    for d in args.d:
        net, data = _instance(args.n, args.k, d)
        runs = {"ours": _ours_run(net, data, args.lr)}
        if torch is not None:
            runs["torch"] = _torch_run(torch, net, data, args.lr)
        t = _per_step(runs, args.steps, args.warmup, args.repeat)
        if torch is None:
            print(f"{d:>5} {t['ours'] * 1e3:10.2f}ms {'skipped':>12} {'-':>11} {'-':>13}")
            continue
        a = np.concatenate([p.ravel() for p in runs["ours"](args.steps)])
        b = np.concatenate([p.ravel() for p in runs["torch"](args.steps)])
        diff = float(np.max(np.abs(a - b)) / np.max(np.abs(b)))
        print(f"{d:>5} {t['ours'] * 1e3:10.2f}ms {t['torch'] * 1e3:10.2f}ms "
              f"{t['torch'] / t['ours']:10.2f}x {diff:13.2e}", flush=True)


#: The parts of this benchmark, in the order ``--part all`` runs them, with their sizes.
PARTS: dict[str, tuple[Callable[[argparse.Namespace], None], dict[str, object]]] = {
    "train": (bench_train, {"n": 10_000, "k": 1_000, "d": [2, 10, 100]}),
    "kkt": (bench_kkt, {"n": 2_000, "k": 2_000, "d": [10]}),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=[*PARTS, "all"], default="all")
    parser.add_argument("--n", type=int)
    parser.add_argument("--k", type=int)
    parser.add_argument("--d", type=int, nargs="+")
    parser.add_argument("--steps", type=int, default=10, help="timed steps")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--dense-limit", type=float, default=300.0, help="kkt: seconds")
    args = parser.parse_args()
    for name, (part, sizes) in PARTS.items():
        if args.part in (name, "all"):
            print(f"== {name}")
            given = {key: getattr(args, key) for key in sizes if getattr(args, key) is not None}
            part(argparse.Namespace(**{**vars(args), **sizes, **given}))


if __name__ == "__main__":
    main()
