"""Sweep throughput: trials per minute with 1 and 2 Dask workers, and the cost of isolation.

Run: ``python benchmarks/bench_sweep.py [--seeds 4]``

Every run starts from an empty results directory and uses a ``LocalCluster`` on
127.0.0.1 with single-threaded worker processes; cluster start-up is included,
as a user would see it, after one untimed warm-up sweep.

1. The standard trial (:func:`pwl_kkt.experiments.sweep.run_trial`) with 1 and 2 workers,
   trials run inside the workers (the default): the ratio 2-worker / 1-worker is the
   speed-up (ideally 2 on a 2-core machine).
2. The same grid on 2 workers with every trial in a process of its own
   (``isolate=True``) against the default (the baseline): the price of starting a
   Python process, and importing the trial's libraries, per trial.
"""

from __future__ import annotations

import argparse
import tempfile
import time

from pwl_kkt.experiments.sweep import SweepConfig, run_sweep


def timed(config: SweepConfig, workers: int, isolate: bool) -> tuple[float, int]:
    """Seconds for the whole sweep and the number of successful trials."""
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        df = run_sweep(config, out, n_workers=workers, isolate=isolate, progress=False)
        seconds = time.perf_counter() - start
    assert len(df) == len(config.trials())
    return seconds, int((df["status"] == "ok").sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=4)
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
    runs = {}
    for workers, isolate in ((1, False), (2, False), (2, True)):
        seconds, ok = timed(config, workers, isolate)
        runs[workers, isolate] = seconds
        where = "own process per trial" if isolate else "inside the workers"
        print(
            f"{workers} worker(s), {where}: {total} trials in {seconds:.1f} s = "
            f"{60 * total / seconds:.1f} trials/minute ({ok} ok)"
        )
    print(f"speed-up 2 workers / 1 worker: {runs[1, False] / runs[2, False]:.2f}x")
    extra = (runs[2, True] - runs[2, False]) * 2 / total  # 2 workers share the trials
    print(
        f"own process per trial / in the workers, 2 workers: {runs[2, True] / runs[2, False]:.2f}x "
        f"({extra:+.2f} s per trial)"
    )


if __name__ == "__main__":
    main()
