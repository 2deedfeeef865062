"""Certificate files: written by the CLI, re-checked by ``pwl-kkt verify``, tampering caught."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from pwl_kkt import Dataset, Network, save_data, save_network
from pwl_kkt.certificate import (
    CertificateFile,
    certificate_for,
    read_certificate,
    verify_certificate,
)


@pytest.fixture
def abs_files(tmp_path):
    """``|x| - 1`` (two kinks on the data point x = 0) on three points: an exact KKT point
    with lambda = (1/2, 2, 1/2) and Clarke weights s = 1/4 on the kinks."""
    net, data = tmp_path / "abs.json", tmp_path / "data.json"
    save_network(Network([1, -1, 0], [0, 0, 1], [1, 1, -1]), net)
    save_data(Dataset([-2, 0, 2], [1, -1, 1]), data)
    return net, data, tmp_path


def _issued(run_cli, tmp_path, net, data, *command):
    """Write ``net`` and ``data``, run ``pwl-kkt COMMAND NET DATA --certificate``, verify the
    certificate; return its path and the verify output."""
    paths = {"net": tmp_path / "n.json", "data": tmp_path / "d.json"}
    save_network(net, paths["net"])
    save_data(data, paths["data"])
    cert = tmp_path / "c.json"
    assert run_cli(*command, paths["net"], paths["data"], "--certificate", cert)[0] == 0
    code, out, err = run_cli("verify", cert)
    assert code == 0 and err == ""
    return cert, out


def _tampered(path, tmp_path, name, edit):
    d = json.loads(path.read_text())
    edit(d)
    out = tmp_path / name
    out.write_text(json.dumps(d))
    return out


def test_exact_certificate_verifies_and_tampering_is_rejected(run_cli, abs_files):
    net, data, tmp = abs_files
    cert = tmp / "cert.json"
    code, out, err = run_cli("certify", net, data, "--exact", "--certificate", cert)
    assert code == 0 and err == ""
    d = json.loads(cert.read_text())
    assert d["kind"] == "kkt-exact" and d["claim"] == {"is_kkt": True, "proof": "multipliers"}
    assert d["network"]["w"] == ["1", "-1", "0"] and d["data"]["x"] == ["-2", "0", "2"]
    assert d["command"].startswith("pwl-kkt certify ") and "--exact" in d["command"]
    assert d["software"]["pwl_kkt"] and "cvxpy" in d["software"]["packages"]

    code, out, err = run_cli("verify", cert)
    assert code == 0 and err == "" and out.startswith("verified (kkt-exact)")

    # One multiplier changed: lambda_0 = 1/2 -> 1/3 breaks the w-equation of neuron 1.
    def bump(d):
        d["proof"]["lambdas"][0] = "1/3"

    code, out, err = run_cli("verify", _tampered(cert, tmp, "lam.json", bump))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "REJECTED" in err and "equation" in err

    # One data point moved: x_2 = 2 -> 3 changes the margins, so the support changes and
    # lambda_2 sits on a non-support point.
    def move(d):
        d["data"]["x"][2] = "3"

    code, out, err = run_cli("verify", _tampered(cert, tmp, "x.json", move))
    assert code == 2 and "REJECTED" in err and "not a support point" in err


def test_exact_farkas_certificate(run_cli, tmp_path):
    net, data = Network([0], [1], [1]), Dataset([1, 2], [1, 1])
    cert, out = _issued(run_cli, tmp_path, net, data, "certify", "--exact")
    assert json.loads(cert.read_text())["claim"]["is_kkt"] is False
    assert "not KKT, proved exactly" in out

    def flip(d):  # claim KKT with the Farkas proof: the claim no longer matches its proof
        d["claim"]["is_kkt"] = True

    code, _, err = run_cli("verify", _tampered(cert, tmp_path, "t.json", flip))
    assert code == 2 and "does not match" in err


def test_numeric_certificate(run_cli, tmp_path):
    net, data = Network([0.0, 0.0], [1.0, 0.0], [1.0, 0.0]), Dataset([4.0, -4.0], [1, 1])
    cert, out = _issued(run_cli, tmp_path, net, data, "certify")
    assert "recomputed eps" in out

    def bump(d):  # lambda = (0.5, 0.5) -> (0.6, 0.5): eps ~ 0.4, far above kkt_tol = 1e-6
        d["proof"]["lambdas"][0] = 0.6

    code, _, err = run_cli("verify", _tampered(cert, tmp_path, "t.json", bump))
    assert code == 2 and "exceeds kkt_tol" in err


def test_global_certificate_exact_refutation(run_cli, tmp_path):
    net, data = Network([0, 0], [1, 0], [1, 0]), Dataset([4, -4], [1, 1])
    cert, out = _issued(run_cli, tmp_path, net, data, "global")
    assert "not a global optimum" in out

    def shrink(d):  # halve the improving network's output weights: margins drop below 1
        imp = d["proof"]["improving"]
        imp["v"] = [str(Fraction(t) / 2) for t in imp["v"]]

    code, _, err = run_cli("verify", _tampered(cert, tmp_path, "t.json", shrink))
    assert code == 2 and "margin below 1" in err


def test_global_certificate_weak_duality():
    net, data = Network([3], [4], [5]), Dataset(["3/4"], [1])
    from pwl_kkt import certify_global

    cert = certificate_for(certify_global(net, data), net, data)
    verdict = verify_certificate(cert)
    assert verdict.holds and "P* = 4/5" in verdict.reason
    bad = CertificateFile.from_dict(
        dict(cert.to_dict(), proof=dict(cert.proof, lambdas=["1/2"]))
    )
    assert not verify_certificate(bad).holds


def test_optimum_certificate(run_cli, tmp_path):
    data, cert = tmp_path / "d.json", tmp_path / "c.json"
    save_data(Dataset([4, -4], [1, 1]), data)
    assert run_cli("optimum", data, "--certificate", cert)[0] == 0
    code, out, _ = run_cli("verify", cert)
    assert code == 0 and "2*sqrt(17)/17" in out

    def move(d):  # a data point moved far away: the stored network no longer has margin 1
        d["data"]["x"][0] = "40"

    code, _, err = run_cli("verify", _tampered(cert, tmp_path, "t.json", move))
    assert code == 2 and "REJECTED" in err


def test_not_a_certificate(run_cli, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"kind": "kkt"}')
    code, out, err = run_cli("verify", bad)
    assert code == 2 and out == "" and "not a pwl-kkt certificate" in err
    bad.write_text("{")
    assert run_cli("verify", bad)[0] == 2
    assert run_cli("verify", tmp_path / "absent.json")[0] == 2


def test_latex_and_markdown(tmp_path):
    from pwl_kkt import verify_kkt_exact

    res = verify_kkt_exact(Network([0, 0], [1, 0], [1, 0]), [4, -4], [1, 1])
    cert = certificate_for(res, res.network, res.data)
    tex = cert.to_latex()
    assert r"\begin{tabular}{ll}" in tex and r"\texttt{is\_kkt} & yes \\" in tex
    assert "| is_kkt | yes |" in cert._repr_markdown_()
    path = tmp_path / "c.json"
    path.write_text(cert.to_json())
    assert read_certificate(path) == cert



def _shift(part, i):  # entry i of the network's or data's exact or float text, plus 1/2
    xs = part["x"] if "x" in part else part["w"]
    xs[i] = str(Fraction(xs[i]) + Fraction(1, 2)) if part["exact"] else repr(float(xs[i]) + 0.5)


def _weight_changed(d):  # one network weight changed: w_0 -> w_0 + 1/2
    _shift(d["network"], 0)


def _point_moved(d):  # one support point moved by 1/2 (a point off the support can move a
    # little without changing the KKT point: the claim would still be true)
    _shift(d["data"], d["proof"]["support"][0])


def _limit_certificate_checks(run_cli, tmp_path, net, data, regions):
    cert, out = _issued(run_cli, tmp_path, net, data, "limit")
    d = json.loads(cert.read_text())
    assert d["kind"] == "limit" and d["claim"]["proven"] is True
    assert d["claim"]["regions"] == regions and d["claim"]["radius"] > 0
    assert out.startswith("verified (limit)") and "re-proven in ball arithmetic" in out
    for name, edit in (("w.json", _weight_changed), ("x.json", _point_moved)):
        code, out, err = run_cli("verify", _tampered(cert, tmp_path, name, edit))
        assert code == 2 and out == "" and err.count("\n") == 1 and "REJECTED" in err, err


def test_limit_certificate_example_1(run_cli, tmp_path):
    # Example 1 of Safran, Vardi & Lee (NeurIPS 2022): theta(0) is an exact KKT point with
    # one effective region.
    net, data = Network([0, 0], [1, 0], [1, 0]), Dataset([4, -4], [1, 1])
    _limit_certificate_checks(run_cli, tmp_path, net, data, regions=1)


def test_limit_certificate_trained_teacher_student(run_cli, tmp_path):
    from pwl_kkt import kkt_limit, teacher_student_setup, train

    setup = teacher_student_setup(1, 20, 12, seed=1)
    net, _ = train(setup.init, setup.data, steps=1000, lr=0.05, progress=False)
    regions = kkt_limit(net, setup.data, prove=True).proof.regions  # the library's own count
    _limit_certificate_checks(run_cli, tmp_path, net, setup.data, regions=regions)
