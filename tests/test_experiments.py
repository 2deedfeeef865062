"""The sweep runner: a real 2-worker LocalCluster on loopback, interruption and failures."""

from __future__ import annotations

import ipaddress
import os
import signal
import subprocess
import sys
import textwrap
import time
from decimal import Decimal
from pathlib import Path

import pytest

pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")

from pwl_kkt import FileFormatError, InvalidValueError  # noqa: E402
from pwl_kkt.experiments.sweep import (  # noqa: E402
    PARAMETERS,
    TRIAL_METRICS,
    SweepConfig,
    _local_cluster,
    load_results,
    run_sweep,
)

from ._sweep_trials import (  # noqa: E402
    SQUARE,
    allocates,
    fails_on_odd_seed,
    kills_its_process,
    kills_the_worker,
    misbehaves,
    sleepy_parameters,
    slow_square,
)

SLEEPY = sleepy_parameters()

ROOT = Path(__file__).resolve().parents[1]


CONFIG = {"grid": {"k": list(range(1, 9)), "seed": [0]}, "fixed": {"sleep": 0.4}}


@pytest.fixture(scope="module")
def cluster():
    """One 2-worker LocalCluster for the tests that do not need their own (start-up costs s)."""
    cluster = _local_cluster(2)
    yield cluster
    cluster.close()


def sweep(cluster, config, results, trial_fn, **kwargs):
    """``run_sweep`` on the shared cluster with the test trials' parameters and metrics."""
    cfg = SweepConfig.from_dict(config, SLEEPY)
    kwargs.setdefault("metrics", SQUARE)
    return run_sweep(
        cfg,
        results,
        trial_fn=trial_fn,
        scheduler=cluster.scheduler_address,
        progress=False,
        **kwargs,
    )


def test_killed_sweep_resumes_without_loss_or_duplicates(tmp_path):
    results = tmp_path / "results.parquet"
    script = textwrap.dedent(
        f"""
        from pwl_kkt.experiments.sweep import SweepConfig, run_sweep
        from tests._sweep_trials import SQUARE, sleepy_parameters, slow_square
        cfg = SweepConfig.from_dict({CONFIG!r}, sleepy_parameters())
        run_sweep(cfg, {str(results)!r}, trial_fn=slow_square, metrics=SQUARE, n_workers=2,
                  progress=False)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(list(results.glob("trial-*.parquet"))) < 2:
            time.sleep(0.05)
            assert proc.poll() is None, "the sweep ended before it could be interrupted"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the whole run, scheduler and workers included
        proc.wait()
    partial = load_results(results)
    assert 2 <= len(partial) < 8, "the kill should land midway"
    cfg = SweepConfig.from_dict(CONFIG, SLEEPY)
    df = run_sweep(cfg, results, trial_fn=slow_square, metrics=SQUARE, n_workers=2, progress=False)
    assert sorted(df["k"]) == list(range(1, 9))
    assert df["trial_id"].is_unique
    assert (df["square"] == df["k"] ** 2).all()
    assert not list(results.glob(".*tmp")), "no partial files are left behind"


def test_failed_trials_are_recorded_with_their_error(cluster, tmp_path):
    config = {"grid": {"k": [3], "seed": [0, 1, 2, 3]}}
    df = sweep(cluster, config, tmp_path / "r", fails_on_odd_seed)
    assert len(df) == 4
    failed = df[df["status"] == "failed"]
    assert sorted(failed["seed"]) == [1, 3]
    assert failed["error"].str.contains("RuntimeError: training did not separate").all()
    # A rerun does not retry or duplicate anything: every trial has its record.
    again = sweep(cluster, config, tmp_path / "r", fails_on_odd_seed)
    assert len(again) == 4


@pytest.mark.parametrize("isolate", [False, True])
def test_a_trial_that_kills_its_process_is_recorded_and_the_sweep_goes_on(
    cluster, tmp_path, isolate
):
    """In the workers (a dead worker's trial is rerun in its own process) or isolated."""
    config = {"grid": {"k": [2], "seed": [0, 1, 2, 3]}}
    df = sweep(cluster, config, tmp_path, kills_its_process, isolate=isolate)
    by_seed = df.set_index("seed")
    assert list(by_seed.loc[[0, 3], "square"]) == [4, 4]
    assert by_seed.loc[1, "status"] == by_seed.loc[2, "status"] == "failed"
    assert "TrialProcessDied: the trial's process exited with status 3" in by_seed.loc[1, "error"]
    assert "killed by SIGSEGV" in by_seed.loc[2, "error"]
    # faulthandler's stack of the crash is kept, pointing at the trial's line.
    assert "kills_its_process" in by_seed.loc[2, "traceback"]


def test_an_isolated_trial_gets_the_memory_limit():
    """The worker's memory monitor cannot see a child process: the child has a limit."""
    from pwl_kkt.experiments._trial import run_isolated

    assert run_isolated(allocates, {"k": 512}, memory_limit=2**30)["metrics"] == {"square": 512}
    outcome = run_isolated(allocates, {"k": 512}, memory_limit=256 << 20)
    assert outcome["status"] == "failed" and outcome["error"].startswith("MemoryError")


def test_a_dead_worker_is_a_failed_trial_even_when_isolated(cluster, tmp_path):
    config = {"grid": {"k": [2], "seed": [0, 1, 2]}}
    df = sweep(cluster, config, tmp_path, kills_the_worker, isolate=True).set_index("seed")
    assert list(df.loc[[0, 2], "square"]) == [4, 4]
    assert df.loc[1, "error"].startswith("KilledWorker: the Dask worker died")


def test_every_trial_file_has_the_same_columns(cluster, tmp_path):
    """Failed, successful and misbehaving trials: pandas reads the folder whole."""
    config = {"grid": {"k": [2, 3], "seed": [0, 1, 2, 3]}}
    plain, mixed = tmp_path / "plain", tmp_path / "mixed"
    sweep(cluster, config, plain, fails_on_odd_seed)
    sweep(cluster, config, mixed, misbehaves)
    layout = SweepConfig.from_dict(config, SLEEPY).layout(SQUARE)
    for folder in (plain, mixed):
        df = pd.read_parquet(folder)
        assert len(df) == 8 and list(df.columns) == layout.names
    df = pd.read_parquet(mixed).set_index(["k", "seed"])
    assert df.loc[(3, 1), "error"].startswith("InvalidRecordError: the trial returned undeclared")
    assert "does not fit its column" in df.loc[(3, 2), "error"]
    assert df.loc[(3, 0), "square"] == 9 and pd.isna(df.loc[(3, 2), "square"])
    # A trial's own "trial_id" goes nowhere: every file is a trial file inside the folder.
    assert not (tmp_path / "escaped").exists() and not list(tmp_path.glob("*escaped*"))


@pytest.mark.slow
def test_the_standard_trial_fills_every_declared_column(cluster, tmp_path):
    """run_trial's metrics have the types TRIAL_METRICS declares (slow: real training)."""
    cfg = SweepConfig.from_dict({"grid": {"k": [3, 10]}, "fixed": {"steps": 300, "n": 12}})
    run_sweep(cfg, tmp_path, scheduler=cluster.scheduler_address, progress=False)
    df = pd.read_parquet(tmp_path)
    assert list(df.columns) == cfg.layout(TRIAL_METRICS).names and len(df) == 2
    assert not df["error"].str.startswith("InvalidRecordError").any(), df["error"].tolist()
    ok = df[df["status"] == "ok"]
    assert len(ok) >= 1 and ok[list(TRIAL_METRICS)].notna().all().all()


def test_the_standard_trial_layout_is_declared_once():
    layout = SweepConfig.from_dict({"grid": {"seed": [0]}}).layout(TRIAL_METRICS)
    assert layout.names[0] == "trial_id"
    assert layout.names[1 : 1 + len(PARAMETERS)] == list(PARAMETERS)
    assert "regions_exact" in layout.names and layout.names[-1] == "config_fingerprint"


def test_another_fixed_setting_is_not_mixed_into_a_folder(cluster, tmp_path, run_cli):
    sweep(cluster, {"grid": {"k": [1]}, "fixed": {"sleep": 0}}, tmp_path, slow_square)
    other = {"grid": {"k": [1]}, "fixed": {"sleep": 0.01}}
    with pytest.raises(InvalidValueError, match="1 trial.s. of another configuration"):
        sweep(cluster, other, tmp_path, slow_square)
    toml = tmp_path.parent / f"{tmp_path.name}.toml"
    toml.write_text("[grid]\nk = [1]\n")
    code, out, err = run_cli("sweep", toml, "--results", tmp_path)
    assert code == 2 and out == "" and len(err.splitlines()) == 1
    assert "another configuration" in err and "--allow-mixed" in err
    assert len(load_results(tmp_path)) == 1, "nothing was run"
    # A wider grid with the same fixed settings is a continuation, not a mix.
    sweep(cluster, {"grid": {"k": [1, 2]}, "fixed": {"sleep": 0}}, tmp_path, slow_square)
    df = sweep(cluster, other, tmp_path, slow_square, allow_mixed=True)
    assert sorted(df["sleep"]) == [0, 0, 0.01] and df["config_fingerprint"].nunique() == 2


def test_corrupt_result_files_are_detected_and_run_again(cluster, tmp_path, run_cli):
    config = {"grid": {"k": [1, 2, 3]}, "fixed": {"sleep": 0}}
    sweep(cluster, config, tmp_path, slow_square)
    files = sorted(tmp_path.glob("trial-*.parquet"))
    files[0].write_bytes(files[0].read_bytes()[:-20])  # truncated
    files[2].write_bytes(files[1].read_bytes())  # a valid file under another trial's name
    with pytest.raises(FileFormatError, match=f"{files[0].name}: corrupt or truncated"):
        load_results(tmp_path)
    code, out, err = run_cli("report", tmp_path, "--out", tmp_path / "figs")
    assert code == 2 and out == "" and len(err.splitlines()) == 1 and files[0].name in err
    with pytest.warns(UserWarning, match="running its trial again") as caught:
        df = sweep(cluster, config, tmp_path, slow_square)
    assert {files[0].name, files[2].name} == {
        n for w in caught for n in (f.name for f in files) if n in str(w.message)
    }
    assert sorted(df["square"]) == [1, 4, 9] and df["trial_id"].is_unique


def test_a_trial_id_cannot_be_set_or_escape_the_folder(tmp_path):
    from pwl_kkt.experiments._store import trial_path

    for section in ("fixed", "grid"):
        value = "../../outside" if section == "fixed" else ["../../outside"]
        with pytest.raises(InvalidValueError, match=f"{section}.trial_id is reserved"):
            SweepConfig.from_dict({"grid": {"k": [1]}, section: {"trial_id": value}})
    with pytest.raises(InvalidValueError, match="fixed.trial_id is reserved"):
        SweepConfig({"k": (1,)}, {"trial_id": "../../outside"})  # built directly: checked too
    for bad in ("../../outside", "0123456789abcdeF", "/etc/passwd", "0" * 17, 12):
        with pytest.raises(InvalidValueError, match="is not 16 hexadecimal digits"):
            trial_path(tmp_path, bad)
    assert trial_path(tmp_path, "0123456789abcdef").parent == tmp_path


def test_config_validation(tmp_path):
    cases = [
        ({"grid": {"width": [1]}}, "unknown key grid.width"),
        ({"grid": {"k": [1]}, "fixed": {"step": 7}}, r"fixed.step \(did you mean 'steps'\?\)"),
        ({"grid": {"k": [1]}, "extra": {}}, r"unknown section \[extra\]"),
        ({"grid": {"k": []}}, "grid.k must be a non-empty list"),
        ({"grid": {}}, r"\[grid\] is empty"),
        ({"fixed": {"k": 2}}, r"\[grid\] is empty"),
        ({"grid": {"k": [1]}, "fixed": {"k": 2}}, "both grid and fixed"),
        ({"grid": {"k": [2, 2.9]}}, r"grid.k\[1\] = 2.9 must be an integer"),
        ({"grid": {"k": [Decimal("3.0")]}}, "must be an integer"),
        ({"grid": {"k": [True]}}, "must be a number"),
        ({"grid": {"k": [0]}}, "must be >= 1"),
        ({"grid": {"k": [1, 1]}}, "lists a value twice"),
        ({"grid": {"seed": [0]}, "fixed": {"sigma_h": 0}}, "must be > 0"),
        ({"grid": {"seed": [0]}, "fixed": {"sigma_h": Decimal("1e999999999")}}, "out of range"),
        ({"grid": {"seed": [0]}, "fixed": {"lr": Decimal("1e390")}}, "beyond the float range"),
        ({"grid": {"seed": [0]}, "fixed": {"lr": "nan"}}, "not a finite number"),
        ({"grid": {"seed": [0]}, "fixed": {"target_error": 2}}, r"must be in \[0, 1\]"),
        ({"grid": {"seed": [0]}, "fixed": {"loss": "hinge"}}, "must be one of"),
        ({"grid": {"seed": [0]}, "fixed": {"R": "1/0"}}, "not a number"),
        ({"grid": {"seed": [0]}, "fixed": {"steps": 2**63}}, "does not fit in 64 bits"),
    ]
    for data, message in cases:
        with pytest.raises(InvalidValueError, match=message):
            SweepConfig.from_dict(data)
    # Exact R stays exact; decimals in TOML are the decimals they spell.
    cfg = SweepConfig.from_dict({"grid": {"R": ["1/3", Decimal("0.1")]}})
    assert [t["params"]["R"] for t in cfg.trials()] == ["1/3", "1/10"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"[grid\nk = 1", "not valid TOML"),
        (b"[grid]\nk = [1]\n[fixed]\nstep = 7\n", "did you mean 'steps'"),
        (b"[grid]\nk = [2.9]\n", "must be an integer"),
        (b"[grid]\nloss = ['\xff']\n", "not a UTF-8 text file"),
        (b"a = " + b"[" * 100000 + b"]" * 100000, "nested too deeply"),
    ],
)
def test_bad_toml_files_are_clear_errors(tmp_path, content, message):
    bad = tmp_path / "bad.toml"
    bad.write_bytes(content)
    with pytest.raises(FileFormatError, match=message):
        SweepConfig.from_toml(bad)


def test_good_toml_and_not_a_file(tmp_path):
    good = tmp_path / "good.toml"
    good.write_text("[grid]\nk = [2, 4]\nseed = [0, 1, 2]\n[fixed]\nR = 1.0\nlr = 0.1\n")
    trials = SweepConfig.from_toml(good).trials()
    assert len(trials) == 6 and len({t["trial_id"] for t in trials}) == 6
    assert trials[0]["params"]["R"] == "1" and trials[0]["params"]["lr"] == 0.1
    with pytest.raises(FileFormatError, match="is not a regular file"):
        SweepConfig.from_toml(tmp_path)


def test_workers_and_scheduler_are_checked_before_anything_runs(tmp_path, run_cli):
    cfg = SweepConfig.from_dict({"grid": {"seed": [0]}})
    for n in (0, -1, 1.5, True):
        with pytest.raises(InvalidValueError, match="n_workers"):
            run_sweep(cfg, tmp_path / "r", n_workers=n)
    for address in ("tcp://127.0.0.1", "localhost", "tcp://h:0", "tcp://h:99999", ""):
        with pytest.raises(InvalidValueError, match="with a port number"):
            run_sweep(cfg, tmp_path / "r", scheduler=address)
    with pytest.raises(InvalidValueError, match="give the metrics"):
        run_sweep(cfg, tmp_path / "r", trial_fn=slow_square)
    assert not (tmp_path / "r").exists()
    toml = tmp_path / "s.toml"
    toml.write_text("[grid]\nseed = [0]\n")
    for argv in (["--workers", "0"], ["--scheduler", "tcp://127.0.0.1"]):
        code, out, err = run_cli("sweep", toml, *argv)
        assert code == 2 and out == "" and len(err.splitlines()) == 1, err
    assert not toml.with_suffix(".parquet").exists()


def test_the_dashboard_listens_on_loopback_only(cluster):
    sockets = cluster.scheduler.http_server._sockets.values()
    hosts = {s.getsockname()[0] for s in sockets}
    assert hosts and all(ipaddress.ip_address(h).is_loopback for h in hosts), hosts
    assert cluster.dashboard_link.startswith("http://127.0.0.1:")
