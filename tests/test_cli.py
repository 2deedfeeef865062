"""The ``pwl-kkt`` command line: outputs, JSON contract and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from pwl_kkt import Network, save_network


@pytest.fixture
def net_file(tmp_path):
    path = tmp_path / "net.json"
    save_network(Network([3, 6, 1, -1], [-1, -2, 0, 2], [2, -1, 1, "1/3"]), path)
    return path


def test_regions_json(run_cli, net_file):
    code, out, err = run_cli("regions", str(net_file), "--json")
    assert code == 0 and err == ""
    obj = json.loads(out)
    assert obj["count"] == 3
    assert obj["breakpoints"] == ["0", "2"]
    # The kinks at 1/3 cancel; relu(x) adds 1 at 0 and (1/3) relu(2 - x) adds 1/3 at 2.
    assert obj["slopes"] == ["-1/3", "2/3", "1"]


def test_regions_interval_and_table(run_cli, net_file):
    code, out, _ = run_cli("regions", str(net_file), "--interval", "1/2", "3")
    assert code == 0 and "2 effective linear region(s) (exact)" in out
    code, out, _ = run_cli("regions", str(net_file), "--tol", "1e-9", "--json")
    assert code == 0 and json.loads(out)["exact"] is False


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["regions", "{missing}"], "No such file"),
        (["regions", "{bad}"], "not valid JSON"),
        (["regions", "{net}", "--interval", "2", "1"], "greater than hi"),
        (["regions", "{net}", "--interval", "a", "1"], "cannot read 'a'"),
        (["regions", "{net}", "--tol", "x"], "invalid float value"),
        (["nonsense"], "invalid choice"),
    ],
)
def test_bad_input_is_one_line_exit_2(run_cli, tmp_path, net_file, argv, message):
    (tmp_path / "bad.json").write_text("{")
    paths = {"missing": tmp_path / "absent.json", "bad": tmp_path / "bad.json", "net": net_file}
    code, out, err = run_cli(*(a.format(**paths) for a in argv))
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and message in err


def test_demo_runs_the_story_and_writes_its_figure(run_cli, tmp_path):
    fig = tmp_path / "demo.png"
    code, out, _ = run_cli(
        "demo",
        "--steps",
        "300",
        "--n",
        "12",
        "--k",
        "6",
        "--out",
        str(fig),
        "--no-progress",
    )
    assert code == 0
    for step in ("teacher", "gradient flow", "KKT point", "32r + 67", "P*", "population error"):
        assert step in out
    assert fig.read_bytes().startswith(b"\x89PNG")


def test_console_script_entry_point(net_file):
    proc = subprocess.run(
        [sys.executable, "-m", "pwl_kkt.cli", "regions", str(net_file) + ".missing"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "{data}", "--width", "2", "--seed", "-1"], "--seed: -1 is below the minimum 0"),
        (["train", "{data}", "--width", "0"], "--width: 0 is below the minimum 1"),
        (["train", "{data}", "--width", "2", "--sigma-o", "-0"], "'-0' is a negative zero"),
        (["train", "{data}", "--width", "2", "--lr", "nan"], "'nan' is not a finite number"),
        (["train", "{data}", "--width", "2", "--steps", "1" * 40], "invalid int value"),
        (["train", "{data}", "--width", "2", "--out", ""], "an empty path names no file"),
        (["train", "{data}", "--width", "2", "--out", "n.txt"], "unknown network file type"),
        (["regions", "{net}", "--tol", "inf"], "'inf' is not a finite number"),
        (["certify", "{net}", "{data}", "--zero-tol=-1e-9"], "must be >= 0"),
        (["margins", "{net}", "{data}", "--features", "0"], "below the minimum 1"),
        (["demo", "--out", "fig.jpg"], "unknown figure type '.jpg'"),
        (["demo", "--out", ""], "an empty path names no file"),
    ],
)
def test_options_are_checked_before_work(run_cli, tmp_path, net_file, argv, message):
    data = tmp_path / "d.csv"
    data.write_text("x,y\n-1,1\n1,-1\n")
    code, out, err = run_cli(*(a.format(net=net_file, data=data) for a in argv))
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and message in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv", "net.json"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["regions", "{big}", "--tol", "1e-9"], "regions --tol computes in float64"),
        (["certify", "{big}", "{data}"], "certify (without --exact) computes in float64"),
        (["train", "{far}", "--width", "2"], "max |x_i| = 1e+300 exceeds 1e+100"),
        (["train", "{data}", "--width", "2", "--sigma-h", "1e300"], "train computes in float64"),
        (["margins", "{big}", "{far}"], "margins computes in float64"),
        (["optimum", "{far}"], "optimum computes in float64"),
    ],
)
def test_float_paths_refuse_what_would_overflow(run_cli, tmp_path, argv, message):
    """No NaN or inf is ever reported as a result: the float64 paths refuse such inputs."""
    big = tmp_path / "big.json"
    save_network(Network(*(np.array([1e300, -1e300]) for _ in range(3))), big)
    (tmp_path / "far.json").write_text('{"x": [-1e300, 1e300, 0], "y": [1, 1, -1]}')
    (tmp_path / "data.csv").write_text("x,y\n-1,1\n1,-1\n2,1\n")
    paths = {"big": big, "far": tmp_path / "far.json", "data": tmp_path / "data.csv"}
    code, out, err = run_cli(*(a.format(**paths) for a in argv))
    assert code == 2 and out == "" and "nan" not in err
    assert len(err.strip().splitlines()) == 1 and message in err


@pytest.mark.parametrize(("suffix", "magic"), [("pdf", b"%PDF-"), ("svg", b"<svg")])
def test_demo_figure_type_follows_the_suffix(run_cli, tmp_path, suffix, magic):
    fig = tmp_path / f"demo.{suffix}"
    argv = ["demo", "--steps", "300", "--n", "12", "--k", "6", "--out", fig, "--no-progress"]
    code, _, _ = run_cli(*argv)
    assert code == 0 and magic in fig.read_bytes()[:1000]


def test_broken_pipe_exits_quietly(tmp_path):
    """``pwl-kkt regions big.json | head -c 10``: no traceback, status 0 or 141 as Unix tools."""
    k = 5000  # a table far longer than a pipe's buffer
    save_network(
        Network(list(range(1, k + 1)), [-(j * j) for j in range(k)], [1] * k), tmp_path / "w.json"
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "pwl_kkt.cli", "regions", str(tmp_path / "w.json")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.read(10)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) in (0, 141) and err == ""


_SLOW_WRITE = """
import os, sys, time
from pwl_kkt import _files
from pwl_kkt.cli import main

def slow_fsync(fd):
    print("writing", flush=True)
    time.sleep(60)

_files.os.fsync = slow_fsync
sys.exit(main(sys.argv[1:]))
"""


def test_sigterm_leaves_no_temp_file(tmp_path):
    import signal

    (tmp_path / "d.csv").write_text("x,y\n-1,1\n1,-1\n")
    out = tmp_path / "net.json"
    argv = ["train", str(tmp_path / "d.csv"), "--width", "2", "--steps", "1", "--out", str(out)]
    proc = subprocess.Popen(
        [sys.executable, "-c", _SLOW_WRITE, *argv], stdout=subprocess.PIPE, text=True
    )
    for line in proc.stdout:  # wait until the temporary file exists
        if line.startswith("writing"):
            break
    assert any(p.name.endswith(".tmp") for p in tmp_path.iterdir())
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 143
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv"]


def test_main_returns_the_status_of_usage_errors(capsys):
    from pwl_kkt.cli import main

    assert main(["train", "d.csv", "--width", "0"]) == 2
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("pwl-kkt ")
