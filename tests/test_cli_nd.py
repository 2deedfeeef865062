"""The command line on R^d: certify (every d), global / optimum / margins (d = 1, 2), train.

The instances are exact KKT points built by construction (``pwl_kkt.kkt._synth_nd``), so the
expected verdicts are known without the code under test: every one is a KKT point with
``lambda_i = 1 / (rho * cluster size)``, and with two antipodal clusters also the global
optimum (its multipliers make ``max |G| = 1``).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from fractions import Fraction

import pytest

from pwl_kkt import DatasetNd, NetworkNd
from pwl_kkt.cli import main
from pwl_kkt.kkt._synth_nd import kkt_instance_nd
from pwl_kkt.model.io import load_network, save_data, save_network


def _run(argv: list[str], folder) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    here = os.getcwd()
    os.chdir(folder)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
    finally:
        os.chdir(here)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def files(tmp_path):
    """``n{d}.json`` / ``d{d}.json`` (with biases) and ``m{d}`` / ``e{d}`` (without), d = 2, 3."""
    for d in (2, 3):
        for bias, net_name, data_name in ((True, "n", "d"), (False, "m", "e")):
            net, data = kkt_instance_nd(d, 2, 4, pairs=1, seed=d, bias=bias)
            save_network(net, tmp_path / f"{net_name}{d}.json")
            save_data(data, tmp_path / f"{data_name}{d}.json")
    # Safran, Vardi & Lee's Example 1 on a line of the plane: KKT, not a global optimum
    save_network(NetworkNd([[0, 0]], [1], [1]), tmp_path / "ex1.json")
    save_data(DatasetNd([[4, 0], [-4, 0]], [1, 1]), tmp_path / "ex1d.json")
    return tmp_path


def _refused(code: int, err: str, *parts: str) -> None:
    assert code == 2 and err.count("\n") == 1, err
    for part in parts:
        assert part in err, err


@pytest.mark.parametrize("d", [2, 3])
@pytest.mark.parametrize(("net", "data"), [("n", "d"), ("m", "e")])
def test_certify_every_d_with_and_without_biases(files, d, net, data):
    argv = ["certify", f"{net}{d}.json", f"{data}{d}.json", "--json"]
    code, out, _ = _run(argv, files)
    res = json.loads(out)
    # a KKT point by construction; 1e-6 is the default tolerance (float64 residual ~1e-16)
    assert code == 0 and res["is_kkt"] is True and res["d"] == d
    assert res["support"] == [0, 1, 2, 3] and res["eps"] <= 1e-6
    code, out, _ = _run([*argv, "--exact"], files)
    res = json.loads(out)
    assert code == 0 and res["is_kkt"] is True and res["proof"] == "multipliers"
    assert res["d"] == d and "network" not in res
    # Euler's identity at an exact KKT point: ||theta||^2 / m = 2 sum lambda
    theta = load_network(files / f"{net}{d}.json")
    total = sum((Fraction(t) for t in res["lambdas"]), Fraction(0))
    assert theta.sq_norm_exact() / Fraction(res["min_margin"]) == 2 * total
    code, out, _ = _run(argv[:3], files)
    assert code == 0 and out.startswith("KKT: yes at tolerance")


def test_dimension_mismatch_is_one_line(files):
    for command in ("certify", "global", "margins"):
        code, _, err = _run([command, "n2.json", "d3.json"], files)
        _refused(code, err, "(d = 2)", "(d = 3)", "must agree")


def test_global_in_the_plane_proves_and_refutes(files):
    code, out, _ = _run(["global", "n2.json", "d2.json", "--json"], files)
    res = json.loads(out)
    assert code == 0 and res["d"] == 2
    assert res["is_global"] is True and res["proof"] == "weak-duality" and res["exact"]
    code, out, _ = _run(["global", "ex1.json", "ex1d.json", "--json"], files)
    res = json.loads(out)
    # max |G| = sqrt(17)/2 > 1 for the multipliers (1/2, 1/2) (Safran, Vardi & Lee, Example 1)
    assert code == 0 and res["is_global"] is False and res["proof"] == "improving-network"
    assert res["dual"]["max_sq"] == "17/4"
    assert Fraction(res["improving_value"]) < Fraction(res["value"]) == 1
    code, out, _ = _run(["global", "ex1.json", "ex1d.json"], files)
    assert code == 0 and out.startswith("NOT a global optimum; proof: improving-network")


def test_optimum_and_margins_in_the_plane(files):
    code, out, _ = _run(["global", "n2.json", "d2.json", "--json"], files)
    value = json.loads(out)["value"]
    code, out, _ = _run(["optimum", "d2.json", "--json", "--out", "opt.json"], files)
    res = json.loads(out)
    # the global optimum proved by weak duality above has the value P*
    assert code == 0 and res["d"] == 2 and res["P_star_exact"] == value
    assert load_network(files / "opt.json").d == 2
    code, out, _ = _run(["margins", "n2.json", "d2.json", "--json"], files)
    res = json.loads(out)
    assert code == 0 and res["d"] == 2
    assert set(res) == {"P_star", "Q_star", "f1", "f2", "network", "random_features",
                        "n_features", "d"}
    # a global optimum reaches the F1 margin 1 / (2 P*): relative 1e-6, the solver's accuracy
    assert res["network"] == pytest.approx(1 / (2 * float(Fraction(value))), rel=1e-6)
    assert res["network"] == pytest.approx(res["f1"], rel=1e-6)
    code, out, _ = _run(["margins", "m2.json", "e2.json"], files)  # about the function
    assert code == 0 and out.startswith("normalised margin")


def test_d3_and_no_bias_refusals_name_what_is_needed(files):
    for argv in (["global", "n3.json", "d3.json"], ["margins", "n3.json", "d3.json"],
                 ["optimum", "d3.json"]):
        code, _, err = _run(argv, files)
        _refused(code, err, f"pwl-kkt {argv[0]}: error:", "d = 3", "needs d = 1 or d = 2")
    code, _, err = _run(["global", "m2.json", "e2.json"], files)
    _refused(code, err, "without hidden biases")


@pytest.mark.parametrize("d", [2, 3])
@pytest.mark.parametrize("bias", [True, False])
def test_train_on_rd_writes_a_network_nd(files, d, bias):
    data = DatasetNd([[2] + [0] * (d - 1), [-2] + [1] * (d - 1)], [1, -1])
    save_data(data, files / "t.csv")
    argv = ["train", "t.csv", "--width=3", "--steps=50", "--seed=1", "--out=t.json"]
    code, out, err = _run(argv + ([] if bias else ["--no-bias"]), files)
    assert code == 0, err
    assert "steps" in out and out.rstrip().endswith("wrote t.json")
    net = load_network(files / "t.json")
    assert isinstance(net, NetworkNd) and net.d == d and net.width == 3
    assert net.has_bias is bias
    assert (json.loads((files / "t.json").read_text())["b"] is None) is not bias


def test_train_refuses_bad_data_in_one_line(files):
    save_data(DatasetNd([[1, 2], [1, 2]], [1, -1]), files / "clash.csv")
    code, _, err = _run(["train", "clash.csv", "--width=2"], files)
    _refused(code, err, "pwl-kkt train: error:", "both labels")
    assert not (files / "t.json").exists()


# --- certificate files in the plane ---------------------------------------------------------


_COMMANDS = {
    "kkt": ["certify", "n2.json", "d2.json"],
    "kkt-exact": ["certify", "n2.json", "d2.json", "--exact"],
    "global": ["global", "n2.json", "d2.json"],
    "optimum": ["optimum", "d2.json"],
}


def _certificate(files, kind: str) -> dict:
    code, _, err = _run([*_COMMANDS[kind], "--certificate", "c.json"], files)
    assert code == 0, err
    return json.loads((files / "c.json").read_text())


def _verify(files, cert: dict) -> tuple[int, str, str]:
    (files / "t.json").write_text(json.dumps(cert))
    return _run(["verify", "t.json"], files)


@pytest.mark.parametrize("kind", sorted(_COMMANDS))
def test_plane_certificates_round_trip(files, kind):
    cert = _certificate(files, kind)
    assert cert["kind"] == kind
    assert all(len(row) == 2 for row in cert["data"]["x"])  # rows: the d = 2 layout
    if cert["network"] is not None:
        assert all(len(row) == 2 for row in cert["network"]["w"])
    code, out, _ = _run(["verify", "c.json"], files)
    assert code == 0 and out.startswith(f"verified ({kind}):")


def test_plane_certificate_without_biases_round_trips(files):
    code, _, _ = _run(["certify", "m2.json", "e2.json", "--exact", "--certificate", "c.json"],
                      files)
    cert = json.loads((files / "c.json").read_text())
    assert code == 0 and cert["network"]["b"] is None
    code, out, _ = _run(["verify", "c.json"], files)
    assert code == 0 and out.startswith("verified (kkt-exact)")


def _moved(cert: dict) -> dict:
    """The certificate with data point 0 moved by (1, 0)."""
    x = [list(row) for row in cert["data"]["x"]]
    x[0][0] = str(Fraction(x[0][0]) + 1)
    return dict(cert, data=dict(cert["data"], x=x))


@pytest.mark.parametrize(
    ("kind", "field"),
    [("kkt", "lambdas"), ("kkt-exact", "lambdas"), ("global", "lambdas"),
     ("optimum", "multipliers_exact")],
)
def test_tampered_plane_certificates_are_rejected(files, kind, field):
    cert = _certificate(files, kind)
    values = list(cert["proof"][field])
    values[0] = str(Fraction(values[0]) * 2) if isinstance(values[0], str) else values[0] * 2
    forged = dict(cert, proof=dict(cert["proof"], **{field: values}))
    for bad in (forged, _moved(cert)):
        code, _, err = _verify(files, bad)
        assert code == 2 and err.startswith(f"pwl-kkt verify: REJECTED ({kind}): "), err
        assert err.count("\n") == 1


def test_refuted_plane_global_certificate_checks_the_improving_network(files):
    code, _, _ = _run(["global", "ex1.json", "ex1d.json", "--certificate", "c.json"], files)
    cert = json.loads((files / "c.json").read_text())
    code, out, _ = _run(["verify", "c.json"], files)
    assert code == 0 and "not a global optimum" in out
    imp = cert["proof"]["improving"]
    worse = dict(imp, v=[str(Fraction(t) * 3) for t in imp["v"]])  # margins up, value up
    code, _, err = _verify(files, dict(cert, proof=dict(cert["proof"], improving=worse)))
    assert code == 2 and "REJECTED (global)" in err
