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
