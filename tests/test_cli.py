"""The ``pwl-kkt`` command line: outputs, JSON contract and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

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
