"""The infinite-width optimum P* (exact-pattern cone program) and its CLI (issue 5).

Closed forms used below (derived in docs/global_optimality.md):

* one point ``(x0, y0)``: ``P* = 1 / ||(x0, 1)|| = 1 / sqrt(1 + x0^2)``;
* two points ``x = +-a`` with the same label: ``P* = min(1, 2 / sqrt(1 + a^2))`` (one bias
  neuron serving both, or one neuron along each ``(+-a, 1)``).

Solver values are compared with tolerance 1e-6: Clarabel's default relative accuracy is 1e-8,
and the values here are O(1).
"""

from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pwl_kkt import (
    InvalidDataError,
    InvalidValueError,
    MaxMarginOptimum,
    Network,
    NotSeparableError,
    activation_patterns,
    global_max_margin,
    optimality_gap,
    optimality_value,
)
from pwl_kkt.cli import main
from tests.strategies import labelled_networks

TOL = 1e-6


@pytest.mark.parametrize("x0, y0", [(0, 1), (3, -1), ("3/4", 1), (-2.5, 1)])
def test_single_point_closed_form(x0, y0):
    opt = global_max_margin([x0], [y0])
    expected = 1 / math.hypot(float(Fraction(x0)), 1.0)
    assert abs(opt.P_star - expected) < TOL
    assert opt.network.width == 1


@pytest.mark.parametrize("a", ["1/2", "1", "3/2", "2", "3", "4"])
def test_symmetric_pair_closed_form(a):
    opt = global_max_margin([a, "-" + a], [1, 1])
    af = float(Fraction(a))
    expected = min(1.0, 2.0 / math.hypot(af, 1.0))
    assert abs(opt.P_star - expected) < TOL
    assert opt.P_star_exact is not None
    import sympy

    assert abs(float(sympy.sympify(opt.P_star_exact)) - expected) < 1e-12


def test_example1_optimum_exact():
    opt = global_max_margin([4, -4], [1, 1])  # single-class data is valid
    assert opt.P_star_exact == "2*sqrt(17)/17"
    assert opt.network.width == 2 and opt.regions == 3
    assert abs(opt.margin - 1 / (2 * opt.P_star)) < 1e-12
    assert opt.gap < TOL
    assert MaxMarginOptimum.from_dict(json.loads(json.dumps(opt.to_dict()))) == opt


def test_patterns_are_exact_and_linear_in_n():
    assert len(activation_patterns([1, 2, 3, 4])) == 7
    assert len(activation_patterns([1, 1, 1])) == 1
    rng = np.random.default_rng(0)
    opt = global_max_margin(rng.uniform(-1, 1, 50), np.where(rng.random(50) < 0.5, 1, -1))
    assert opt.n_patterns == 99


@settings(max_examples=20, deadline=None)
@given(labelled_networks())
def test_p_star_never_above_a_feasible_network(instance):
    net, ds = instance
    opt = global_max_margin(ds, exact=False)
    assert opt.P_star <= optimality_value(net, ds) + TOL * (1 + opt.P_star)
    # the solver's network is feasible and optimal, the dual bound matches
    margins = ds.y * opt.network(ds.x_float)
    assert margins.min() >= 1 - TOL
    assert abs(opt.upper - opt.P_star) < TOL * (1 + opt.P_star)
    assert abs(opt.lower - opt.P_star) < TOL * (1 + opt.P_star)


@pytest.mark.slow
@settings(max_examples=5, deadline=None)
@given(st.integers(min_value=0, max_value=10**6))
def test_p_star_never_above_a_trained_network(seed):
    from pwl_kkt.train import train

    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, 8)
    y = np.where(np.sin(2 * x) >= 0, 1, -1)
    net0 = Network(*(rng.normal(0, 1, 6) for _ in range(3)))
    net, _ = train(net0, x, y, steps=300, progress=False)
    if np.min(y * net(x)) <= 0:
        return  # not separated yet: no normalised value to compare
    opt = global_max_margin(x, y)
    assert opt.P_star <= optimality_value(net, x, y) + TOL
    assert optimality_gap(net, x, y, optimum=opt) >= -TOL


def test_gap_of_theta0_example1():
    gap = optimality_gap(Network([0, 0], [1, 0], [1, 0]), [4, -4], [1, 1])
    assert abs(gap - (1 - 2 / math.sqrt(17))) < TOL


@pytest.mark.parametrize(
    "x, y, err, match",
    [
        ([1, 1], [1, -1], NotSeparableError, "both labels"),
        ([], [], InvalidDataError, "empty"),
        ([float("nan"), 1.0], [1, 1], InvalidValueError, r"x\[0\]"),
    ],
)
def test_bad_inputs(x, y, err, match):
    with pytest.raises(err, match=match):
        global_max_margin(x, y)


# --- CLI ------------------------------------------------------------------------------------------


def _write(path, obj):
    path.write_text(json.dumps(obj))
    return str(path)


def test_cli_global_json(tmp_path, capsys):
    net = _write(tmp_path / "net.json", {"w": [0, 0], "b": [1, 0], "v": [1, 0]})
    data = _write(tmp_path / "data.json", {"x": [4, -4], "y": [1, 1]})
    assert main(["global", net, data, "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["is_global"] is False
    assert d["P_star_exact"] == "2*sqrt(17)/17"
    assert abs(d["P_star"] - 2 / math.sqrt(17)) < TOL
    assert d["direction"] == ["1", "1/4"]
    assert abs(d["gap"] - (1 - 2 / math.sqrt(17))) < TOL


def test_cli_global_certified_text(tmp_path, capsys):
    net = _write(tmp_path / "net.json", {"w": [3], "b": [4], "v": [5]})
    data = _write(tmp_path / "data.json", {"x": ["3/4"], "y": [1]})
    assert main(["global", net, data]) == 0
    out = capsys.readouterr().out
    assert "GLOBAL OPTIMUM" in out and "4/5" in out


def test_cli_optimum_json_and_out(tmp_path, capsys):
    data = _write(tmp_path / "data.json", {"x": [4, -4], "y": [1, 1]})
    out = tmp_path / "opt.json"
    assert main(["optimum", data, "--json", "--out", str(out)]) == 0
    d = json.loads(capsys.readouterr().out)
    assert set(d) >= {"P_star", "P_star_exact", "gap", "direction"}
    assert d["direction"] is None and d["P_star_exact"] == "2*sqrt(17)/17"
    from pwl_kkt.io import load_network

    assert load_network(out).width == 2


def test_cli_bad_data_exit_2_and_no_output(tmp_path, capsys):
    data = _write(tmp_path / "data.json", {"x": [1, 1], "y": [1, -1]})
    out = tmp_path / "opt.json"
    assert main(["optimum", data, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "both labels" in err
    assert not out.exists()
