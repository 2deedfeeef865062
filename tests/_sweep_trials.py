"""Trial functions for the sweep-runner tests (module-level so Dask workers can import them).

This module imports nothing from pwl_kkt at import time, so a trial run in its own
process starts in a fraction of a second.
"""

from __future__ import annotations

import ctypes
import os
import signal
import time

#: What these trials return.
SQUARE = {"square": "int64"}


def sleepy_parameters() -> dict:
    """The standard parameters plus ``sleep`` (seconds a trial waits)."""
    from pwl_kkt.experiments.sweep import PARAMETERS, Parameter

    return {**PARAMETERS, "sleep": Parameter("float", low=0)}


def slow_square(params: dict) -> dict:
    """Sleeps a little, so that a test can kill a sweep while trials are running."""
    time.sleep(params.get("sleep", 0.3))
    return {"square": params["k"] ** 2}


def fails_on_odd_seed(params: dict) -> dict:
    if params["seed"] % 2:
        raise RuntimeError(f"training did not separate the data (seed {params['seed']})")
    return {"square": params["k"] ** 2}


def kills_its_process(params: dict) -> dict:
    """seed 1 ends its process at once, seed 2 dereferences NULL; others return."""
    if params["seed"] == 1:
        os._exit(3)
    if params["seed"] == 2:
        ctypes.string_at(0)  # a segmentation fault
    return {"square": params["k"] ** 2}


def misbehaves(params: dict) -> dict:
    """seed 1 returns an undeclared metric, seed 2 a value of the wrong type."""
    if params["seed"] == 1:
        return {"square": 1, "trial_id": "../escaped"}
    if params["seed"] == 2:
        return {"square": "four"}
    return {"square": params["k"] ** 2}


def kills_the_worker(params: dict) -> dict:
    """Run in its own process (``isolate=True``), seed 1 kills the Dask worker that waits."""
    if params["seed"] == 1:
        os.kill(os.getppid(), signal.SIGKILL)
        time.sleep(60)
    return {"square": params["k"] ** 2}


def allocates(params: dict) -> dict:
    """Asks for ``k`` MiB at once (zero pages: nothing is touched unless a limit stops it)."""
    return {"square": len(bytearray(params["k"] << 20)) >> 20}
