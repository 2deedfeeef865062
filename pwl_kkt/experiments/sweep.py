"""Experiment sweeps on Dask: a grid of trials, run anywhere, resumable, nothing lost.

A sweep is a grid over the trial's parameters (``r, k, n, sigma_h, sigma_o, loss,
seed`` and the training settings) plus fixed settings. Every trial has a stable id
(a hash of its parameters). Results go to a *Parquet dataset directory*: one small
Parquet file per finished trial, written atomically as soon as the trial finishes,
every file with the same columns (:data:`TRIAL_METRICS` declares the metrics). So an
interrupted sweep loses only the trials that were running, a rerun skips every trial
whose file is readable — no trial lost, none duplicated — and reruns a corrupt one.
A trial that raises, or that kills its process, is recorded as failed with its error.

Every record carries the configuration's fingerprint (fixed settings, trial
function, columns): a rerun with other fixed settings into the same folder is
refused unless ``allow_mixed=True``.

The trials run on a ``distributed.LocalCluster`` on loopback by default (its
dashboard too), or on any running Dask scheduler given by address (the ``dist``
extra).
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import json
import math
import re
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from ..errors import FileFormatError, InvalidValueError, require
from . import _store as store
from ._trial import died, run_guarded, run_isolated

__all__ = [
    "PARAMETERS",
    "TRIAL_METRICS",
    "Parameter",
    "SweepConfig",
    "load_results",
    "run_sweep",
    "run_trial",
]

TrialFn = Callable[[dict], dict]

_MAX_CONFIG_BYTES = 1 << 20  # a sweep config is a few lines; anything bigger is a mistake
_MAX_EXPONENT = 400  # decimal exponent bound of exact values (Fraction(Decimal) is 10**exp)
_ARROW = {"int": "int64", "float": "float64", "str": "string", "exact": "string"}


@dataclass(frozen=True)
class Parameter:
    """One trial parameter: its kind and allowed range, checked when a config is read.

    ``kind`` is ``"int"`` (a TOML integer, never a float such as 2.9), ``"float"``,
    ``"str"`` or ``"exact"`` (a rational: an integer, a decimal or a string
    ``"p/q"``, kept exactly and recorded as text). ``low``/``high`` bound it (strict
    when ``strict_low``); ``choices`` lists allowed strings.

    Examples
    --------
    >>> Parameter("int", low=1).check(3, "k")
    3
    >>> Parameter("int", low=1).check(2.9, "k")
    Traceback (most recent call last):
    ...
    pwl_kkt.errors.InvalidValueError: k = 2.9 must be an integer
    """

    kind: str
    low: float | None = None
    high: float | None = None
    strict_low: bool = False
    choices: tuple[str, ...] = ()

    def check(self, value: object, where: str) -> object:
        """``value`` validated and normalized (int, float, str), or :class:`InvalidValueError`."""
        if self.kind == "str":
            if not isinstance(value, str) or (self.choices and value not in self.choices):
                raise InvalidValueError(f"{where} = {value!r} must be one of {list(self.choices)}")
            return value
        number = _number(value, where, integer=self.kind == "int")
        if self.kind == "float":
            try:
                number = float(number)  # checked as the float the trial will use
            except OverflowError:
                raise InvalidValueError(f"{where} = {value!r} is beyond the float range") from None
        low_ok = self.low is None or (number > self.low if self.strict_low else number >= self.low)
        if not low_ok or (self.high is not None and number > self.high):
            raise InvalidValueError(f"{where} = {value!r} must be {self.range()}")
        if self.kind == "int":
            return int(number)
        return number if self.kind == "float" else str(number)

    def range(self) -> str:
        """The allowed range in words (``"> 0"``, ``">= 1"``, ``"in [0, 1]"``, ``"<= 9"``)."""
        if self.low is None:
            return f"<= {self.high:g}" if self.high is not None else "any number"
        low = f"{'>' if self.strict_low else '>='} {self.low:g}"
        if self.high is None:
            return low
        return f"{'in (' if self.strict_low else 'in ['}{self.low:g}, {self.high:g}]"


def _number(value: object, where: str, *, integer: bool) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, str, float)):
        raise InvalidValueError(f"{where} = {value!r} must be a number")
    if integer:
        if not isinstance(value, int):
            raise InvalidValueError(f"{where} = {value!r} must be an integer")
        if abs(value) >= 2**63:
            raise InvalidValueError(f"{where} = {value} does not fit in 64 bits")
        return Fraction(value)
    if isinstance(value, str):
        try:
            value = Fraction(value.strip()) if "/" in value else Decimal(value.strip())
        except (ArithmeticError, ValueError):
            raise InvalidValueError(f"{where} = {value!r} is not a number") from None
    if isinstance(value, float):
        value = Decimal(value)  # the dyadic rational the float is
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise InvalidValueError(f"{where} = {value} is not a finite number")
        if value and abs(value.adjusted()) > _MAX_EXPONENT:
            raise InvalidValueError(
                f"{where} = {value:.3e} is out of range (|exponent| <= {_MAX_EXPONENT})"
            )
    return Fraction(value)


#: The parameters of :func:`run_trial`, each with its kind and range (one declaration).
PARAMETERS: dict[str, Parameter] = {
    "r": Parameter("int", low=1),
    "k": Parameter("int", low=1),
    "n": Parameter("int", low=1),
    "sigma_h": Parameter("float", low=0, strict_low=True),
    "sigma_o": Parameter("float", low=0, strict_low=True),
    "loss": Parameter("str", choices=("exp", "logistic")),
    "seed": Parameter("int", low=0),
    "R": Parameter("exact", low=0, strict_low=True),
    "steps": Parameter("int", low=1),
    "lr": Parameter("float", low=0, strict_low=True),
    "target_error": Parameter("float", low=0, high=1),
    "tol": Parameter("float", low=0, strict_low=True),
    "support_tol": Parameter("float", low=0),
}

#: The metrics :func:`run_trial` returns (name -> Arrow type): the columns of its records.
TRIAL_METRICS: dict[str, str] = {
    "regions_exact": "int64",
    "regions_tol": "int64",
    "label_changes": "int64",
    "bound": "int64",
    "within_bound": "bool",
    "is_kkt": "bool",
    "eps": "float64",
    "delta": "float64",
    "normalized_margin": "float64",
    "global_gap": "float64",
    "P_star": "float64",
    "population_error": "float64",
    "success": "bool",
    "steps_run": "int64",
    "train_seconds": "float64",
    "certify_seconds": "float64",
    "net_json": "string",
    "teacher_json": "string",
    "data_json": "string",
    "lambdas_json": "string",
    # the proven limit (pwl_kkt.kkt_limit); region counts are NaN when not decided
    "limit_converged": "bool",
    "limit_proven": "bool",
    "limit_regions": "float64",
    "limit_regions_lo": "float64",
    "limit_regions_hi": "float64",
    "limit_eps": "float64",
    "limit_angle": "float64",
    "limit_gap": "float64",
    "limit_seconds": "float64",
    "optimum_regions": "int64",
}


@dataclass(frozen=True)
class SweepConfig:
    """A grid of trials: every combination of the ``grid`` values, with ``fixed`` settings.

    Parameters
    ----------
    grid : mapping
        A non-empty list of values for each of some parameters (``r, k, n, seed``, ...).
    fixed : mapping
        Settings shared by every trial (``R``, ``steps``, ...).
    parameters : mapping
        The parameters a trial accepts (name -> :class:`Parameter`); defaults to
        :data:`PARAMETERS`, those of :func:`run_trial`. Every key of ``grid`` and
        ``fixed`` must be one of them; values are checked against their kind and range.

    Examples
    --------
    >>> cfg = SweepConfig.from_dict({"grid": {"k": [4, 8], "seed": [0, 1]}, "fixed": {"r": 2}})
    >>> len(cfg.trials()), cfg.trials()[0]["params"]
    (4, {'k': 4, 'r': 2, 'seed': 0})
    >>> SweepConfig.from_dict({"fixed": {"step": 7}})
    Traceback (most recent call last):
    ...
    pwl_kkt.errors.InvalidValueError: sweep config: unknown key fixed.step (did you mean 'steps'?)
    """

    grid: Mapping[str, tuple] = field(default_factory=dict)
    fixed: Mapping[str, object] = field(default_factory=dict)
    parameters: Mapping[str, Parameter] = field(
        default_factory=lambda: dict(PARAMETERS), repr=False
    )

    def __post_init__(self) -> None:
        """Check every key and value against :attr:`parameters`; keep them normalized."""
        params, grid, fixed = dict(self.parameters), self.grid, self.fixed
        if not isinstance(grid, Mapping) or not isinstance(fixed, Mapping):
            raise InvalidValueError("sweep config: 'grid' and 'fixed' must be tables")
        clean_grid = {}
        for key, values in grid.items():
            _known(key, f"grid.{key}", params)
            if not isinstance(values, (list, tuple)) or not values:
                raise InvalidValueError(f"sweep config: grid.{key} must be a non-empty list")
            checked = tuple(
                params[key].check(v, f"sweep config: grid.{key}[{i}]") for i, v in enumerate(values)
            )
            if len(set(checked)) < len(checked):
                raise InvalidValueError(f"sweep config: grid.{key} lists a value twice")
            clean_grid[key] = checked
        clean_fixed = {}
        for key, value in fixed.items():
            _known(key, f"fixed.{key}", params)
            if key in clean_grid:
                raise InvalidValueError(f"sweep config: {key!r} given in both grid and fixed")
            clean_fixed[key] = params[key].check(value, f"sweep config: fixed.{key}")
        if not clean_grid:
            raise InvalidValueError("sweep config: [grid] is empty: list the values of a parameter")
        object.__setattr__(self, "grid", clean_grid)
        object.__setattr__(self, "fixed", clean_fixed)
        object.__setattr__(self, "parameters", params)

    @classmethod
    def from_dict(
        cls, data: Mapping[str, object], parameters: Mapping[str, Parameter] | None = None
    ) -> SweepConfig:
        """Build from ``{"grid": {...}, "fixed": {...}}`` and validate every key and value."""
        params = dict(PARAMETERS if parameters is None else parameters)
        if not isinstance(data, Mapping):
            raise InvalidValueError("sweep config: expected a table with [grid] and [fixed]")
        for section in data:
            if section not in ("grid", "fixed"):
                raise InvalidValueError(
                    f"sweep config: unknown section [{section}]{_close(section, ['grid', 'fixed'])}"
                )
        return cls(data.get("grid", {}), data.get("fixed", {}), params)

    @classmethod
    def from_toml(
        cls, path: str | Path, parameters: Mapping[str, Parameter] | None = None
    ) -> SweepConfig:
        """Read a TOML file with ``[grid]`` and ``[fixed]`` tables (decimals read exactly)."""
        try:
            import tomllib
        except ModuleNotFoundError:  # Python 3.10
            tomllib = require("tomli", "dist")
        path = Path(path)
        if not path.is_file():
            what = "does not exist" if not path.exists() else "is not a regular file"
            raise FileFormatError(f"{path}: {what}")
        with open(path, "rb") as fh:
            raw = fh.read(_MAX_CONFIG_BYTES + 1)
        if len(raw) > _MAX_CONFIG_BYTES:
            raise FileFormatError(f"{path}: larger than {_MAX_CONFIG_BYTES} bytes: not a config")
        try:
            data = tomllib.loads(raw.decode("utf-8"), parse_float=Decimal)
        except UnicodeDecodeError:
            raise FileFormatError(f"{path}: not a UTF-8 text file") from None
        except tomllib.TOMLDecodeError as exc:
            raise FileFormatError(f"{path}: not valid TOML ({exc})") from None
        except RecursionError:
            raise FileFormatError(f"{path}: nested too deeply to be a sweep config") from None
        try:
            return cls.from_dict(data, parameters)
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

    def layout(self, metrics: Mapping[str, str]) -> store.RecordLayout:
        """The columns of this sweep's records: every parameter, then ``metrics``."""
        return store.RecordLayout({k: _ARROW[p.kind] for k, p in self.parameters.items()}, metrics)


def _close(key: str, names: list[str]) -> str:
    match = difflib.get_close_matches(key, names, n=1)
    return f" (did you mean {match[0]!r}?)" if match else f" (known: {', '.join(names)})"


def _known(key: str, where: str, params: Mapping[str, Parameter]) -> None:
    if key == "trial_id":
        raise InvalidValueError(
            f"sweep config: {where} is reserved: a trial's id is the hash of its parameters"
        )
    if key not in params:
        raise InvalidValueError(f"sweep config: unknown key {where}{_close(key, list(params))}")


def trial_id(params: Mapping[str, object]) -> str:
    """Stable id of a trial: the first 16 hex digits of the SHA-1 of its sorted JSON.

    Examples
    --------
    >>> trial_id({"k": 4, "seed": 0}) == trial_id({"seed": 0, "k": 4})
    True
    """
    text = json.dumps(dict(sorted(params.items())), sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def load_results(results: str | Path) -> object:
    """All finished trials of a sweep as one pandas DataFrame (one row per trial).

    Raises
    ------
    FileFormatError
        A trial file is corrupt or truncated (the message names it): the results
        are not read partially. Rerunning the sweep recomputes such a trial.

    Examples
    --------
    >>> import tempfile
    >>> len(load_results(tempfile.mkdtemp()))
    0
    """
    pd = require("pandas", "dist")
    try:
        table = store.read_records(store.trial_files(Path(results)))
    except FileFormatError as exc:
        raise FileFormatError(f"{exc}; rerun the sweep to recompute that trial") from None
    return table.to_pandas() if table is not None else pd.DataFrame()


_ADDRESS = re.compile(r"(?:(?:tcp|tls|ws|wss|ucx)://)?(?:\[[0-9A-Fa-f:.]+\]|[^\s:/\[\]]+):(\d+)")


def _check_scheduler(address: str) -> None:
    match = _ADDRESS.fullmatch(address.strip()) if isinstance(address, str) else None
    if match is None or not 1 <= int(match.group(1)) <= 65535:
        raise InvalidValueError(
            f"scheduler address {address!r}: expected [tcp://]HOST:PORT with a port number "
            "(a Dask scheduler listens on port 8786 by default)"
        )


def _local_cluster(n_workers: int) -> object:
    """A LocalCluster of single-threaded worker processes; scheduler and dashboard on loopback.

    One trial at a time per worker (saturation 1) and no retry on another worker
    (allowed failures 0): a worker's death is reported at once, for exactly the
    trial it was running, which the sweep then reruns in a process of its own.
    """
    dask = require("dask", "dist")
    distributed = require("distributed", "dist")
    settings = {
        "distributed.scheduler.allowed-failures": 0,
        "distributed.scheduler.worker-saturation": 1.0,
    }
    with dask.config.set(settings):
        return distributed.LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",  # loopback, any free port
        )


def run_sweep(
    config: SweepConfig,
    results: str | Path,
    *,
    trial_fn: TrialFn | None = None,
    metrics: Mapping[str, str] | None = None,
    scheduler: str | None = None,
    n_workers: int = 2,
    isolate: bool = False,
    allow_mixed: bool = False,
    progress: bool = True,
) -> object:
    """Run every unfinished trial of ``config`` on Dask; return all results as a DataFrame.

    Parameters
    ----------
    config : SweepConfig
    results : path
        Parquet dataset directory; created if missing. Trials already in it are
        skipped; corrupt trial files are reported (a warning) and their trials rerun.
    trial_fn : callable, optional
        ``params -> dict of metrics``; defaults to :func:`run_trial`. It must be
        importable by the workers (a module-level function).
    metrics : mapping, optional
        The metrics ``trial_fn`` returns, name -> Arrow type (``"int64"``,
        ``"float64"``, ``"bool"``, ``"string"``); required with ``trial_fn``, and
        :data:`TRIAL_METRICS` for :func:`run_trial`. A trial returning anything else
        is recorded as failed, so every file has the same columns.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``). By default a
        ``LocalCluster`` with ``n_workers`` single-threaded worker processes on
        127.0.0.1 (dashboard on 127.0.0.1, a free port) is started and closed.
    n_workers : int
        Local worker processes, at least 1.
    isolate : bool
        ``False`` (default): trials run inside the Dask workers. A trial whose worker
        dies (``os._exit``, a crash, the worker's memory limit) is run once more in a
        Python process of its own, so the trial that killed it is recorded as failed
        with its exit status or signal, and a trial that only shared the dead worker
        completes. ``True``: every trial runs in its own process from the start (no
        worker is ever lost, but every trial pays for starting Python and its imports:
        ``benchmarks/bench_sweep.py`` measures it).
    allow_mixed : bool
        Add to a folder holding trials of another configuration (other fixed
        settings, trial function or columns); refused by default.

    Raises
    ------
    InvalidValueError
        ``n_workers < 1``, a scheduler address without a port, missing ``metrics``,
        or a folder holding another configuration's trials (without ``allow_mixed``).

    Examples
    --------
    >>> import tempfile
    >>> cfg = SweepConfig.from_dict({"grid": {"seed": [0, 1]}})
    >>> df = run_sweep(cfg, tempfile.mkdtemp(), trial_fn=_example_trial,
    ...                metrics={"double": "int64"}, n_workers=1, progress=False)  # doctest: +SKIP
    >>> sorted(df["double"])  # doctest: +SKIP
    [0, 2]
    """
    if isinstance(n_workers, bool) or not isinstance(n_workers, int) or n_workers < 1:
        raise InvalidValueError(f"n_workers = {n_workers!r} must be an integer >= 1")
    if scheduler is not None:
        _check_scheduler(scheduler)
    if trial_fn is None:
        fn, metrics = run_trial, TRIAL_METRICS if metrics is None else metrics
    elif metrics is None:
        raise InvalidValueError("run_sweep: give the metrics trial_fn returns (name -> type)")
    else:
        fn = trial_fn
    layout = config.layout(metrics)
    name = f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"
    stamp = store.fingerprint(config.fixed, name, layout)
    results = Path(results)
    results.mkdir(parents=True, exist_ok=True)
    state = store.scan(results)
    if not allow_mixed:
        _refuse_mixed(results, state, stamp)
    trials = config.trials()
    ids = {t["trial_id"] for t in trials}
    for path, reason in state.corrupt.items():
        again = path.stem.removeprefix("trial-") in ids
        what = "running its trial again" if again else "not a trial of this config: delete it"
        warnings.warn(f"{reason}; {what}", stacklevel=2)
    todo = [t for t in trials if t["trial_id"] not in state.finished]
    if todo:
        client, cluster = _connect(scheduler, n_workers)
        try:
            _run(client, todo, len(trials), fn, results, layout, stamp, isolate, progress)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    return load_results(results)


def _refuse_mixed(results: Path, state: store.FolderState, stamp: str) -> None:
    other = sorted(tid for tid, p in state.finished.items() if p != stamp)
    if other:
        raise InvalidValueError(
            f"{results} holds {len(other)} trial(s) of another configuration (other [fixed] "
            f"settings, trial function or result columns; e.g. trial-{other[0]}.parquet): "
            "use another results folder, or allow mixing (--allow-mixed, allow_mixed=True)"
        )


def _connect(scheduler: str | None, n_workers: int) -> tuple[object, object]:
    """A client of ``scheduler``, or of a new local cluster (returned too, to be closed)."""
    distributed = require("distributed", "dist")
    cluster = _local_cluster(n_workers) if scheduler is None else None
    try:
        return distributed.Client(scheduler or cluster, timeout="20s"), cluster
    except BaseException:
        if cluster is not None:
            cluster.close()
        raise


def _run(
    client: object,
    todo: list[dict],
    total: int,
    fn: TrialFn,
    results: Path,
    layout: store.RecordLayout,
    stamp: str,
    isolate: bool,
    progress: bool,
) -> None:
    """Submit every trial of ``todo``; write each record as soon as its trial ends."""
    distributed = require("distributed", "dist")
    from distributed.scheduler import KilledWorker

    tqdm = require("tqdm", "dist").tqdm
    runner = run_isolated if isolate else run_guarded
    futures = {
        client.submit(runner, fn, t["params"], key=f"trial-{t['trial_id']}", pure=False): t
        for t in todo
    }  # no retries (the default): a trial that killed a worker is not run there again
    done = total - len(todo)
    pending = distributed.as_completed(futures)
    with tqdm(total=total, initial=done, disable=not progress, desc="trials", unit="trial") as bar:
        for future in pending:
            trial = futures[future]
            try:
                outcome = future.result()
            except KilledWorker:
                if runner is run_guarded:  # the worker died: rerun alone to know who did it
                    key = f"trial-{trial['trial_id']}-own-process"
                    retry = client.submit(run_isolated, fn, trial["params"], key=key, pure=False)
                    futures[retry] = trial
                    pending.add(retry)
                    continue
                outcome = died(
                    "KilledWorker: the Dask worker died while running this trial "
                    "(the process exited, crashed or ran out of memory)"
                )
            store.write_record(results, trial, outcome, layout, stamp)
            bar.update(1)


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
    would-be support points' margins still differ by about a percent). Their kinds and
    ranges are :data:`PARAMETERS`; ``R`` is exact (text such as ``"1/3"``).

    Returns the metrics (their column types are :data:`TRIAL_METRICS`): ``regions_exact``,
    ``regions_tol``, ``label_changes`` (r along the sorted sample, the r of Theorem 4.2),
    ``bound`` (32 r + 67 with that r),
    ``within_bound``, ``is_kkt``, ``eps``, ``delta``, ``normalized_margin``,
    ``global_gap``, ``P_star``, ``population_error`` (exact), ``success``, ``steps_run``,
    ``train_seconds``, ``certify_seconds``; the proven limit (:func:`pwl_kkt.kkt_limit`):
    ``limit_converged``, ``limit_proven``, ``limit_regions`` (NaN when not decided),
    ``limit_regions_lo``/``_hi``, ``limit_eps``, ``limit_angle``, ``limit_gap`` (to P*),
    ``limit_seconds``; ``optimum_regions`` (the global optimum's network); and JSON of the
    network, teacher, data and multipliers for plotting. Training that does not separate the
    sample raises, so the trial is recorded as failed with that error.
    """
    from ..duality.optimum import global_max_margin, optimality_gap
    from ..geometry.regions import count_regions
    from ..kkt.limit import kkt_limit
    from ..kkt.numeric import certify_kkt
    from ..setting.bounds import region_bound
    from ..setting.teacher import label_changes, population_error, teacher_student_setup
    from ..training.train import train

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
