"""Experiment sweeps on Dask: a grid of trials, run anywhere, resumable, nothing lost.

A sweep is a grid over ``(r, k, n, sigma_h, sigma_o, loss, seed)`` plus fixed
settings. Every trial has a stable id (a hash of its parameters). Results go to
a *Parquet dataset directory*: one small Parquet file per finished trial,
written atomically as soon as the trial finishes. So an interrupted sweep loses
only the trials that were running, and a rerun skips every trial whose file
exists — no trial lost, none duplicated. A trial that raises is recorded as
failed with its error, never dropped.

The trials run on a ``distributed.LocalCluster`` on loopback by default, or on
any running Dask scheduler given by address (the ``dist`` extra).
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import math
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ._files import read_text
from .errors import FileFormatError, InvalidValueError, require
from .io import _atomic_write

__all__ = ["SweepConfig", "load_results", "run_sweep"]

GRID_KEYS = ("r", "k", "n", "sigma_h", "sigma_o", "loss", "seed")

TrialFn = Callable[[dict], dict]


@dataclass(frozen=True)
class SweepConfig:
    """A grid of trials: every combination of the ``grid`` values, with ``fixed`` settings.

    Parameters
    ----------
    grid : mapping
        Lists of values for some of ``r, k, n, sigma_h, sigma_o, loss, seed``.
    fixed : mapping
        Settings shared by every trial (``R``, ``steps``, ...).

    Examples
    --------
    >>> cfg = SweepConfig.from_dict({"grid": {"k": [4, 8], "seed": [0, 1]}, "fixed": {"r": 2}})
    >>> len(cfg.trials()), cfg.trials()[0]["params"]
    (4, {'k': 4, 'r': 2, 'seed': 0})
    """

    grid: Mapping[str, tuple] = field(default_factory=dict)
    fixed: Mapping[str, object] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> SweepConfig:
        """Build from ``{"grid": {...}, "fixed": {...}}`` and validate it."""
        unknown = set(data) - {"grid", "fixed"}
        if unknown:
            raise InvalidValueError(f"sweep config: unknown section(s) {sorted(unknown)}")
        grid = data.get("grid", {})
        fixed = data.get("fixed", {})
        if not isinstance(grid, Mapping) or not isinstance(fixed, Mapping):
            raise InvalidValueError("sweep config: 'grid' and 'fixed' must be tables")
        clean = {}
        for key, values in grid.items():
            if key not in GRID_KEYS:
                raise InvalidValueError(f"sweep config: grid key {key!r} is not one of {GRID_KEYS}")
            if not isinstance(values, (list, tuple)) or not values:
                raise InvalidValueError(f"sweep config: grid.{key} must be a non-empty list")
            clean[key] = tuple(values)
        both = set(clean) & set(fixed)
        if both:
            raise InvalidValueError(f"sweep config: {sorted(both)} given in both grid and fixed")
        return cls(clean, dict(fixed))

    @classmethod
    def from_toml(cls, path: str | Path) -> SweepConfig:
        """Read a TOML file with ``[grid]`` and ``[fixed]`` tables."""
        try:
            import tomllib
        except ModuleNotFoundError:  # Python 3.10
            tomllib = require("tomli", "dist")
        path = Path(path)
        try:
            data = tomllib.loads(read_text(path))
        except tomllib.TOMLDecodeError as exc:
            raise FileFormatError(f"{path}: not valid TOML ({exc})") from None
        except RecursionError:
            raise FileFormatError(f"{path}: TOML nested too deeply") from None
        try:
            return cls.from_dict(data)
        except InvalidValueError as exc:
            raise FileFormatError(f"{path}: {exc}") from None

    def trials(self) -> list[dict]:
        """Every trial as ``{"trial_id": ..., "params": {...}}``, in grid order."""
        keys = sorted(self.grid)
        out = []
        for combo in itertools.product(*(self.grid[k] for k in keys)):
            params = {**self.fixed, **dict(zip(keys, combo))}
            params = dict(sorted(params.items()))
            out.append({"trial_id": trial_id(params), "params": params})
        return out


def trial_id(params: Mapping[str, object]) -> str:
    """Stable id of a trial: the first 16 hex digits of the SHA-1 of its sorted JSON.

    Examples
    --------
    >>> trial_id({"k": 4, "seed": 0}) == trial_id({"seed": 0, "k": 4})
    True
    """
    text = json.dumps(dict(sorted(params.items())), sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def _guarded(trial_fn: TrialFn, trial: dict) -> dict:
    """Run one trial; an exception becomes a failed record with its error."""
    start = time.perf_counter()
    row: dict = {"trial_id": trial["trial_id"], **trial["params"]}
    try:
        metrics = trial_fn(dict(trial["params"]))
        row.update(metrics)
        row["status"] = "ok"
        row["error"] = ""
    except Exception as exc:  # a failed trial is data, not a crash of the sweep
        row["status"] = "failed"
        row["error"] = f"{type(exc).__name__}: {exc}"
        row["traceback"] = traceback.format_exc(limit=5)
    row["seconds"] = time.perf_counter() - start
    return row


def _write_row(results: Path, row: dict) -> None:
    pd = require("pandas", "dist")
    buf = io.BytesIO()
    pd.DataFrame([row]).to_parquet(buf, index=False)
    _atomic_write(results / f"trial-{row['trial_id']}.parquet", buf.getvalue())


def _finished(results: Path) -> set[str]:
    return {p.stem.removeprefix("trial-") for p in results.glob("trial-*.parquet")}


def load_results(results: str | Path) -> object:
    """All finished trials of a sweep as one pandas DataFrame (one row per trial).

    Examples
    --------
    >>> import tempfile
    >>> len(load_results(tempfile.mkdtemp()))
    0
    """
    pd = require("pandas", "dist")
    results = Path(results)
    frames = [pd.read_parquet(p) for p in sorted(results.glob("trial-*.parquet"))]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def run_sweep(
    config: SweepConfig,
    results: str | Path,
    *,
    trial_fn: TrialFn | None = None,
    scheduler: str | None = None,
    n_workers: int = 2,
    progress: bool = True,
) -> object:
    """Run every unfinished trial of ``config`` on Dask; return all results as a DataFrame.

    Parameters
    ----------
    config : SweepConfig
    results : path
        Parquet dataset directory; created if missing. Trials already in it are skipped.
    trial_fn : callable, optional
        ``params -> dict of metrics``; defaults to :func:`pwl_kkt.experiments.run_trial`.
        It must be importable by the workers (a module-level function).
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``). By default a
        ``LocalCluster`` with ``n_workers`` single-threaded worker processes on
        127.0.0.1 is started and closed.

    Examples
    --------
    >>> import tempfile
    >>> cfg = SweepConfig.from_dict({"grid": {"seed": [0, 1]}})
    >>> df = run_sweep(cfg, tempfile.mkdtemp(), trial_fn=_example_trial, n_workers=1,
    ...                progress=False)  # doctest: +SKIP
    >>> sorted(df["double"])  # doctest: +SKIP
    [0, 2]
    """
    distributed = require("distributed", "dist")
    tqdm = require("tqdm", "dist").tqdm
    fn = trial_fn if trial_fn is not None else run_trial
    results = Path(results)
    results.mkdir(parents=True, exist_ok=True)
    done = _finished(results)
    todo = [t for t in config.trials() if t["trial_id"] not in done]
    total = len(config.trials())
    if todo:
        cluster = None
        if scheduler is None:
            cluster = distributed.LocalCluster(
                n_workers=n_workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=":0",  # any free port: never clash with a running dashboard
            )
        client = distributed.Client(scheduler if cluster is None else cluster)
        try:
            futures = [
                client.submit(_guarded, fn, t, key=f"trial-{t['trial_id']}", pure=False)
                for t in todo
            ]
            bar = tqdm(
                total=total,
                initial=total - len(todo),
                disable=not progress,
                desc="trials",
                unit="trial",
            )
            for future in distributed.as_completed(futures):
                _write_row(results, future.result())
                bar.update(1)
            bar.close()
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    return load_results(results)


def _example_trial(params: dict) -> dict:
    """A trivial trial for documentation: doubles the seed."""
    return {"double": 2 * params["seed"]}


def run_trial(params: dict) -> dict:
    """The standard trial: teacher -> sample -> Assumption 2.1 init -> train -> certify.

    Parameters (``params``) and defaults: ``r`` (teacher sign changes, 2), ``k`` (width,
    20), ``n`` (sample size, 50), ``sigma_h`` (1.0), ``sigma_o`` (``1/k``), ``loss``
    (``"exp"``), ``seed`` (0), ``R`` (1), ``steps`` (5000), ``lr`` (0.05),
    ``target_error`` (0.05: population error counted as a success), ``tol`` (1e-6,
    tolerance-mode region count), ``support_tol`` (1e-2: after finite training the
    would-be support points' margins still differ by about a percent).

    Returns the metrics: ``regions_exact``, ``regions_tol``, ``label_changes`` (r along
    the sorted sample, the r of Theorem 4.2), ``bound`` (32 r + 67 with that r),
    ``within_bound``, ``is_kkt``, ``eps``, ``delta``, ``normalized_margin``,
    ``global_gap``, ``P_star``, ``population_error`` (exact), ``success``, ``steps_run``,
    ``train_seconds``, ``certify_seconds``; the proven limit (:func:`pwl_kkt.kkt_limit`):
    ``limit_converged``, ``limit_proven``, ``limit_regions`` (NaN when not decided),
    ``limit_regions_lo``/``_hi``, ``limit_eps``, ``limit_angle``, ``limit_gap`` (to P*),
    ``limit_seconds``; ``optimum_regions`` (the global optimum's network); and JSON of the
    network, teacher, data and multipliers for plotting. Training that does not separate the
    sample raises, so the trial is recorded as failed with that error.
    """
    from .bounds import region_bound
    from .kkt import certify_kkt
    from .limit import kkt_limit
    from .optimum import global_max_margin, optimality_gap
    from .regions import count_regions
    from .teacher import label_changes, population_error, teacher_student_setup
    from .train import train

    k = int(params.get("k", 20))
    setup = teacher_student_setup(
        int(params.get("r", 2)),
        int(params.get("n", 50)),
        k,
        R=params.get("R", 1),
        seed=int(params.get("seed", 0)),
        sigma_h=float(params.get("sigma_h", 1.0)),
        sigma_o=float(params["sigma_o"]) if "sigma_o" in params else None,
    )
    data = setup.data
    start = time.perf_counter()
    net, history = train(
        setup.init,
        data,
        loss=str(params.get("loss", "exp")),
        steps=int(params.get("steps", 5000)),
        lr=float(params.get("lr", 0.05)),
        progress=False,
    )
    train_seconds = time.perf_counter() - start
    error = float(population_error(net, setup.teacher, setup.distribution))
    wrong = int((data.y * net(data.x_float) <= 0).sum())
    if wrong:
        raise TrainingFailedError(
            f"training did not separate the sample: {wrong} of {data.n} points misclassified "
            f"after {int(history.step[-1])} steps, stop reason {history.stop_reason!r} "
            f"(population error {error:.4f})"
        )
    start = time.perf_counter()
    cert = certify_kkt(net, data, support_tol=float(params.get("support_tol", 1e-2)))
    optimum = global_max_margin(data)
    gap = optimality_gap(net, data, optimum=optimum)
    certify_seconds = time.perf_counter() - start
    r_sample = label_changes(data.x_float, data.y)
    regions = count_regions(net)
    w, b, v = net.arrays()
    start = time.perf_counter()
    lim = kkt_limit(net, data, prove=True)
    limit_seconds = time.perf_counter() - start
    proof = lim.proof
    return {
        "regions_exact": regions,
        "regions_tol": count_regions(net, tol=float(params.get("tol", 1e-6))),
        "label_changes": r_sample,
        "bound": region_bound(max(r_sample, 1)),
        "within_bound": regions <= region_bound(max(r_sample, 1)),
        "is_kkt": cert.is_kkt,
        "eps": cert.eps,
        "delta": cert.delta,
        "normalized_margin": cert.normalized_margin,
        "global_gap": gap,
        "P_star": optimum.P_star,
        "population_error": error,
        "success": error <= float(params.get("target_error", 0.05)),
        "steps_run": int(history.step[-1]),
        "train_seconds": train_seconds,
        "certify_seconds": certify_seconds,
        "net_json": json.dumps({"w": w.tolist(), "b": b.tolist(), "v": v.tolist()}),
        "teacher_json": json.dumps(
            {key: [str(q) for q in p] for key, p in zip("wbv", setup.teacher.fractions())}
        ),
        "data_json": json.dumps({"x": data.x_float.tolist(), "y": data.y.tolist()}),
        "lambdas_json": json.dumps(list(cert.lambdas)),
        # the KKT point the trained network is heading to, computed and proven
        "limit_converged": lim.converged,
        "limit_proven": proof.proven,
        "limit_regions": proof.regions if proof.regions is not None else math.nan,
        "limit_regions_lo": proof.regions_range[0] if proof.proven else math.nan,
        "limit_regions_hi": proof.regions_range[1] if proof.proven else math.nan,
        "limit_eps": lim.eps,
        "limit_angle": lim.angle,
        "limit_gap": optimality_gap(lim.network, data, optimum=optimum),
        "limit_seconds": limit_seconds,
        "optimum_regions": optimum.regions,
    }


class TrainingFailedError(RuntimeError):
    """Training ended without classifying every sample point correctly."""
