"""``pwl-kkt certify``: JSON contract in numeric and exact mode, one-line errors."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from pwl_kkt import Dataset, Network, save_data, save_network


@pytest.fixture
def files(tmp_path):
    paths = {
        "theta0": tmp_path / "theta0.json",
        "tilted": tmp_path / "tilted.json",
        "data": tmp_path / "data.json",
        "flipped": tmp_path / "flipped.json",
        "bad": tmp_path / "bad.json",
        "missing": tmp_path / "absent.json",
    }
    save_network(Network([0, 0], [1, 0], [1, 0]), paths["theta0"])
    save_network(Network(["1/10", 0], [1, 0], [1, 0]), paths["tilted"])
    save_data(Dataset([4, -4], [1, 1]), paths["data"])
    save_data(Dataset([4, -4], [-1, 1]), paths["flipped"])
    paths["bad"].write_text("{")
    return paths


def test_numeric_json(run_cli, files):
    code, out, err = run_cli("certify", str(files["theta0"]), str(files["data"]), "--json")
    assert code == 0 and err == ""
    obj = json.loads(out)
    assert obj["is_kkt"] is True
    lam = obj["lambdas"]
    # Substitution check (tolerance 1e-6 = the KKT tolerance): w1 = 0 = 4 l1 - 4 l2 and
    # b1 = 1 = l1 + l2.
    assert abs(4 * lam[0] - 4 * lam[1]) <= 1e-6 and abs(lam[0] + lam[1] - 1) <= 1e-6
    assert obj["eps"] <= 1e-6 and obj["delta"] >= 0


def test_numeric_not_kkt_has_null_lambdas(run_cli, files):
    code, out, _ = run_cli("certify", str(files["tilted"]), str(files["data"]), "--json")
    obj = json.loads(out)
    assert code == 0 and obj["is_kkt"] is False and obj["lambdas"] is None
    assert obj["eps"] > 1e-6


def test_exact_json(run_cli, files):
    code, out, _ = run_cli("certify", str(files["theta0"]), str(files["data"]), "--exact", "--json")
    obj = json.loads(out)
    assert code == 0 and obj["is_kkt"] is True and obj["proof"] == "multipliers"
    lam = [Fraction(t) for t in obj["lambdas"]]
    assert all(isinstance(t, str) for t in obj["lambdas"])
    assert 4 * lam[0] - 4 * lam[1] == 0 and lam[0] + lam[1] == 1


def test_exact_json_not_kkt(run_cli, files):
    code, out, _ = run_cli("certify", str(files["tilted"]), str(files["data"]), "--exact", "--json")
    obj = json.loads(out)
    assert code == 0 and obj["is_kkt"] is False and obj["lambdas"] is None
    assert obj["proof"] in ("farkas", "violated") and obj["farkas_y"]


def test_text_output(run_cli, files):
    code, out, _ = run_cli("certify", str(files["theta0"]), str(files["data"]), "--exact")
    assert code == 0 and "KKT: yes" in out and "1/2" in out
    code, out, _ = run_cli("certify", str(files["tilted"]), str(files["data"]))
    assert code == 0 and "KKT: no" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{theta0}", "{flipped}"], "not strictly correctly classified"),
        (["{theta0}", "{flipped}", "--exact"], "x[0] = 4 (margin -1)"),
        (["{missing}", "{data}"], "No such file"),
        (["{theta0}", "{bad}"], "not valid JSON"),
        (["{theta0}", "{data}", "--tol", "x"], "invalid float value"),
    ],
)
def test_errors_are_one_line_exit_2(run_cli, files, args, message):
    code, out, err = run_cli("certify", *(a.format(**files) for a in args))
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and message in err


# --- what a verdict is about; extreme scales (issue 15) --------------------------------------


@pytest.fixture
def scaled_files(tmp_path):
    import numpy as np

    paths = {
        "two_sevenths": tmp_path / "two_sevenths.json",
        "huge": tmp_path / "huge.npz",
        "data": tmp_path / "data.json",
    }
    save_network(Network([0, 0], ["2/7", 0], ["2/7", 0]), paths["two_sevenths"])
    big = np.array([1e300, 0.0])
    save_network(Network(np.zeros(2), big, big), paths["huge"])
    save_data(Dataset([4, -4], [1, 1]), paths["data"])
    return {k: str(p) for k, p in paths.items()}


@pytest.mark.parametrize("mode", [[], ["--exact"]])
def test_certify_says_the_verdict_is_about_the_direction(run_cli, scaled_files, mode):
    # theta(0) of Example 1 scaled by 2/7: min margin 4/49, ||theta||^2 = 8/49 != 2 sum lambda;
    # what is KKT is theta / (2/7)
    f = scaled_files
    code, out, _ = run_cli("certify", f["two_sevenths"], f["data"], *mode)
    assert code == 0 and "KKT: yes" in out
    assert "theta / sqrt(m) with m = 4/49 (sqrt(m) = 2/7)" in out and "infeasible" in out
    code, out, _ = run_cli("certify", f["two_sevenths"], f["data"], *mode, "--json")
    obj = json.loads(out)
    assert obj["normalized"] is True and obj["min_margin"] == "4/49"
    assert obj["scale"] == "2/7" if mode else abs(obj["scale"] - 2 / 7) < 1e-15


def test_certify_at_margin_one_is_about_theta_itself(run_cli, files):
    code, out, _ = run_cli("certify", str(files["theta0"]), str(files["data"]), "--exact", "--json")
    obj = json.loads(out)
    assert obj["normalized"] is False and obj["scale"] == "1"
    code, out, _ = run_cli("certify", str(files["theta0"]), str(files["data"]))
    assert "about: theta itself" in out


def test_global_json_and_text_on_weights_of_1e300(run_cli, scaled_files):
    # margins are 1e600: no "y N(x) <= 0", and the refutation's network is checked exactly
    f = scaled_files
    code, out, err = run_cli("global", f["huge"], f["data"])
    assert code == 0 and err == "" and "NOT a global optimum" in out and "m = ~1e+600" in out
    code, out, _ = run_cli("global", f["two_sevenths"], f["data"], "--json")
    obj = json.loads(out)
    assert obj["is_global"] is False and obj["proof"] == "improving-network"
    assert obj["normalized"] is True and obj["scale"] == "2/7"
    assert "exact rationals" in obj["reason"]


def test_margins_on_weights_of_1e300_is_a_number(run_cli, scaled_files):
    code, out, err = run_cli("margins", scaled_files["huge"], scaled_files["data"], "--json")
    obj = json.loads(out)
    assert code == 0 and err == ""
    assert obj["network"] == 0.5  # theta(0): min y N / ||theta||^2 = 1e600 / 2e600, exactly 1/2
