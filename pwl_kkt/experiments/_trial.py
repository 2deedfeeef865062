"""Running one sweep trial so that whatever it does, the sweep gets an outcome to record.

:func:`run_guarded` turns an exception into a failed outcome. :func:`run_isolated`
runs the trial in a fresh Python process (this file run as a script):
a trial that ends its process (``os._exit``, a segmentation fault, the kernel's
out-of-memory killer) then only ends that process, and the worker that started it
records a failed outcome naming the exit status or signal, with the end of the
process's stderr (``faulthandler`` prints the Python stack of a crash there).
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

_STDERR_TAIL = 4000  # characters of a dead trial's stderr kept in its record
# The child runs this file as a script: it does not import the pwl_kkt package (most of
# a second), only what the trial function's own module imports.
_CHILD = "import runpy, sys; runpy.run_path(sys.argv[1], run_name='__main__')"


def run_guarded(fn: Callable[[dict], dict], params: dict) -> dict:
    """Run ``fn(params)``; an exception becomes a failed outcome with its error."""
    start = time.perf_counter()
    try:
        metrics = fn(dict(params))
        if not isinstance(metrics, dict):
            raise TypeError(f"the trial function returned {type(metrics).__name__}, not a dict")
        outcome = {"metrics": metrics, "status": "ok", "error": "", "traceback": None}
    except Exception as exc:  # a failed trial is data, not a crash of the sweep
        outcome = {
            "metrics": None,
            "status": "failed",
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(limit=5),
        }
    outcome["seconds"] = time.perf_counter() - start
    return outcome


def died(error: str, detail: str | None = None, seconds: float | None = None) -> dict:
    """The failed outcome of a trial whose process ended before it could report."""
    return {
        "metrics": None,
        "status": "failed",
        "error": error,
        "traceback": detail,
        "seconds": seconds,
    }


def run_isolated(fn: Callable[[dict], dict], params: dict, memory_limit: int | None = None) -> dict:
    """Run ``fn(params)`` in a child Python process; its death is a failed outcome.

    ``memory_limit`` (bytes; by default the Dask worker's own limit, when run in a
    worker) caps the child's data segment (``RLIMIT_DATA``), so a trial that needs
    more gets a ``MemoryError`` instead of the machine's out-of-memory killer: the
    worker's memory monitor does not see its child processes.
    """
    cloudpickle = __import__("cloudpickle")  # a dependency of distributed
    if memory_limit is None:
        memory_limit = _worker_memory_limit()
    start = time.perf_counter()
    # The child must import what this process imports (the trial function's module).
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    with tempfile.TemporaryDirectory(prefix="pwl_kkt_trial_") as tmp:
        out, err = Path(tmp) / "outcome.pickle", Path(tmp) / "stderr.txt"
        with open(err, "wb") as err_file:
            proc = subprocess.run(
                [sys.executable, "-c", _CHILD, __file__, str(out), str(memory_limit or 0)],
                input=cloudpickle.dumps((fn, params)),
                stderr=err_file,
                env=env,
                check=False,
            )
        if proc.returncode == 0 and out.is_file():
            return pickle.loads(out.read_bytes())
        tail = err.read_bytes()[-_STDERR_TAIL:].decode("utf-8", "replace")
    return died(
        f"TrialProcessDied: the trial's process {_how(proc.returncode)} before reporting",
        tail or None,
        time.perf_counter() - start,
    )


def _worker_memory_limit() -> int | None:
    try:
        from distributed import get_worker

        return get_worker().memory_manager.memory_limit or None
    except (ImportError, ValueError, AttributeError):  # not in a Dask worker
        return None


def _how(returncode: int) -> str:
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        hint = " (out of memory?)" if -returncode == signal.SIGKILL else ""
        return f"was killed by {name}{hint}"
    return f"exited with status {returncode}"


def _main(out: str, memory_limit: int) -> None:
    import faulthandler

    if memory_limit > 0:
        import resource

        resource.setrlimit(resource.RLIMIT_DATA, (memory_limit, memory_limit))
    faulthandler.enable()  # a crash prints its Python stack to stderr, kept in the record
    fn, params = pickle.loads(sys.stdin.buffer.read())
    Path(out).write_bytes(pickle.dumps(run_guarded(fn, params)))


if __name__ == "__main__":
    _main(sys.argv[2], int(sys.argv[3]))  # argv: -c, this file, outcome path, memory limit
