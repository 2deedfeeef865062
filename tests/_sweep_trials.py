"""Trial functions for the sweep-runner tests (module-level so Dask workers can import them)."""

from __future__ import annotations

import time


def slow_square(params: dict) -> dict:
    """Sleeps a little, so that a test can kill a sweep while trials are running."""
    time.sleep(params.get("sleep", 0.3))
    return {"square": params["k"] ** 2}


def fails_on_odd_seed(params: dict) -> dict:
    if params["seed"] % 2:
        raise RuntimeError(f"training did not separate the data (seed {params['seed']})")
    return {"square": params["k"] ** 2}
