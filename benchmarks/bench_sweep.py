"""Sweep throughput: trials per minute with 1 and 2 Dask workers on the same grid.

Run: ``python benchmarks/bench_sweep.py [--seeds 6]``

Both runs start from an empty results directory and use a ``LocalCluster`` on
127.0.0.1 with single-threaded worker processes; cluster start-up is included,
as a user would see it, after one untimed warm-up sweep. The ratio 2-worker /
1-worker is the speed-up (ideally 2 on this 2-core machine).
"""

from __future__ import annotations

import argparse
import tempfile
import time

from pwl_kkt.experiments import SweepConfig, run_sweep


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=6)
    args = parser.parse_args()
    config = SweepConfig.from_dict(
        {
            "grid": {"r": [2], "k": [20, 40], "n": [40], "seed": list(range(args.seeds))},
            "fixed": {"steps": 3000},
        }
    )
    total = len(config.trials())
    # Warm-up (not timed): the first sweep of a process pays for imports and disk caches.
    warm = SweepConfig.from_dict({"grid": {"seed": [99]}, "fixed": {"steps": 300}})
    with tempfile.TemporaryDirectory() as out:
        run_sweep(warm, out, n_workers=1, progress=False)
    rates = {}
    for workers in (1, 2):
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            df = run_sweep(config, out, n_workers=workers, progress=False)
            seconds = time.perf_counter() - start
        assert len(df) == total
        rates[workers] = 60 * total / seconds
        print(f"{workers} worker(s): {total} trials in {seconds:.1f} s = "
              f"{rates[workers]:.1f} trials/minute ({int((df['status'] == 'ok').sum())} ok)")
    print(f"speed-up 2 workers / 1 worker: {rates[2] / rates[1]:.2f}x")


if __name__ == "__main__":
    main()
