"""The sweep runner: a real 2-worker LocalCluster on loopback, interruption and failures."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytest.importorskip("distributed")
pytest.importorskip("pandas")

from pwl_kkt import FileFormatError, InvalidValueError  # noqa: E402
from pwl_kkt.experiments import SweepConfig, load_results, run_sweep  # noqa: E402

from ._sweep_trials import fails_on_odd_seed, slow_square  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


CONFIG = {"grid": {"k": list(range(8)), "seed": [0]}, "fixed": {"sleep": 0.4}}


def test_killed_sweep_resumes_without_loss_or_duplicates(tmp_path):
    results = tmp_path / "results.parquet"
    script = textwrap.dedent(
        f"""
        from pwl_kkt.experiments import SweepConfig, run_sweep
        from tests._sweep_trials import slow_square
        cfg = SweepConfig.from_dict({CONFIG!r})
        run_sweep(cfg, {str(results)!r}, trial_fn=slow_square, n_workers=2, progress=False)
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
    cfg = SweepConfig.from_dict(CONFIG)
    df = run_sweep(cfg, results, trial_fn=slow_square, n_workers=2, progress=False)
    assert sorted(df["k"]) == list(range(8))
    assert df["trial_id"].is_unique
    assert (df["square"] == df["k"] ** 2).all()
    assert not list(results.glob(".*tmp")), "no partial files are left behind"


def test_failed_trials_are_recorded_with_their_error(tmp_path):
    cfg = SweepConfig.from_dict({"grid": {"k": [3], "seed": [0, 1, 2, 3]}})
    df = run_sweep(cfg, tmp_path / "r", trial_fn=fails_on_odd_seed, n_workers=2, progress=False)
    assert len(df) == 4
    failed = df[df["status"] == "failed"]
    assert sorted(failed["seed"]) == [1, 3]
    assert failed["error"].str.contains("RuntimeError: training did not separate").all()
    # A rerun does not retry or duplicate anything: every trial has its record.
    again = run_sweep(cfg, tmp_path / "r", trial_fn=fails_on_odd_seed, progress=False)
    assert len(again) == 4


def test_config_validation(tmp_path):
    with pytest.raises(InvalidValueError, match="grid key 'width' is not one of"):
        SweepConfig.from_dict({"grid": {"width": [1]}})
    with pytest.raises(InvalidValueError, match="grid.k must be a non-empty list"):
        SweepConfig.from_dict({"grid": {"k": []}})
    with pytest.raises(InvalidValueError, match="both grid and fixed"):
        SweepConfig.from_dict({"grid": {"k": [1]}, "fixed": {"k": 2}})
    bad = tmp_path / "bad.toml"
    bad.write_text("[grid\nk = 1")
    with pytest.raises(FileFormatError, match="not valid TOML"):
        SweepConfig.from_toml(bad)
    good = tmp_path / "good.toml"
    good.write_text("[grid]\nk = [2, 4]\nseed = [0, 1, 2]\n[fixed]\nR = 1.0\n")
    trials = SweepConfig.from_toml(good).trials()
    assert len(trials) == 6 and len({t["trial_id"] for t in trials}) == 6
