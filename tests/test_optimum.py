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
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from pwl_kkt import (
    InvalidDataError,
    InvalidValueError,
    MaxMarginOptimum,
    Network,
    NotSeparableError,
    activation_patterns,
    certify_global,
    count_regions,
    global_max_margin,
    optimality_gap,
    optimality_value,
)
from pwl_kkt.cli import main
from pwl_kkt.duality.dual import max_abs_dual
from tests.strategies import exact_datasets, labelled_networks, pair_scales

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
    from pwl_kkt.training.train import train

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
    from pwl_kkt.model.io import load_network

    assert load_network(out).width == 2


def test_cli_bad_data_exit_2_and_no_output(tmp_path, capsys):
    data = _write(tmp_path / "data.json", {"x": [1, 1], "y": [1, -1]})
    out = tmp_path / "opt.json"
    assert main(["optimum", data, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "both labels" in err
    assert not out.exists()


# --- exact values: the proven quantity, and complete on rational optima (issue 15) ---------------


def _sym(q: Fraction) -> sympy.Rational:
    return sympy.Rational(q.numerator, q.denominator)


def _proven(opt: MaxMarginOptimum, data) -> sympy.Expr:
    """``sum q / sqrt(max |G_q|^2)`` recomputed here from the result's multipliers."""
    q = list(opt.multipliers_exact)
    M = max_abs_dual(q, data, exact=True).max_sq
    return _sym(sum(q, Fraction(0))) / sympy.sqrt(_sym(M))


def _same_number(text: str, value: sympy.Expr) -> bool:
    """Exact equality of two real algebraic numbers: SymPy difference and minimal polynomials."""
    expr = sympy.sympify(text)
    t = sympy.Symbol("t")
    return sympy.simplify(expr - value) == 0 and sympy.minimal_polynomial(
        expr, t
    ) == sympy.minimal_polynomial(value, t)


@settings(max_examples=25, deadline=None)
@given(pair_scales)
def test_symmetric_pair_exact_value_is_the_closed_form(a):
    # closed form B of docs/global_optimality.md: P* = 1 if a^2 <= 3, else 2 / sqrt(1 + a^2)
    q = Fraction(a)
    opt = global_max_margin([a, -a], [1, 1], exact=True)
    assert opt.P_star_exact is not None, opt.P_star_exact_reason
    expected = sympy.Integer(1) if q * q <= 3 else 2 / sympy.sqrt(1 + _sym(q) ** 2)
    assert _same_number(opt.P_star_exact, expected)
    assert opt.recheck([a, -a], [1, 1])


@pytest.mark.parametrize("a", [100, 1000])
def test_large_symmetric_pair_is_not_a_lookalike(a):
    opt = global_max_margin([a, -a], [1, 1])
    assert opt.P_star_exact == f"2*sqrt({a * a + 1})/{a * a + 1}"


def _copies(u: tuple, s: Fraction, count: int, sign: int) -> list[tuple]:
    """``count`` balanced neurons ``(s u, sign s)`` along a rational unit vector ``u``."""
    return [(s * u[0], s * u[1], sign * s)] * count


def _net(neurons: list[tuple]) -> Network:
    return Network(*(list(t) for t in zip(*neurons)))


F = Fraction
# Hand-built KKT points whose kinks sit on data points (the Clarke directions: z_ij = 0 on a
# support point), all balanced with rational entries. Each is checked below to be a global
# optimum by certify_global (weak duality, exact), then compared with global_max_margin.
KINKS_ON_DATA = [
    # N = -relu(1) + 2 relu(x) + 2 relu(-x): kinks at the data point 0; P* = 5
    (
        [-1, 1, 0, F(-4, 3)], [1, 1, -1, 1],
        _net(_copies((0, 1), F(1), 1, -1) + _copies((1, 0), F(1), 2, 1)
             + _copies((-1, 0), F(1), 2, 1)),
    ),
    # N = -relu(1) + 6 relu(x) + relu(-x): P* = 8
    (
        [0, F(1, 3), 2, -2], [-1, 1, 1, 1],
        _net(_copies((0, 1), F(1), 1, -1) + _copies((1, 0), F(1), 6, 1)
             + _copies((-1, 0), F(1), 1, 1)),
    ),
    # N = relu(1) - relu(x) - 8 relu(-x): P* = 10
    (
        [2, F(-1, 4), 0], [-1, -1, 1],
        _net(_copies((0, 1), F(1), 1, 1) + _copies((1, 0), F(1), 1, -1)
             + _copies((-1, 0), F(1), 8, -1)),
    ),
    # kink of (3/5, 4/5) at the data point -4/3, kink of (-1, 0) at the data point 0: P* = 2
    (
        [0, F(-4, 3)], [1, -1],
        _net(_copies((F(3, 5), F(4, 5)), F(1, 2), 5, 1) + _copies((-1, 0), F(1, 2), 3, -1)),
    ),
]


@pytest.mark.parametrize("x, y, net", KINKS_ON_DATA)
def test_exact_value_complete_on_rational_optima_with_kinks_on_data(x, y, net):
    w, b, _ = net.fractions()
    assert any(wj and -bj / wj in [F(t) for t in x] for wj, bj in zip(w, b))  # the case at hand
    cert = certify_global(net, x, y)
    assert cert.is_global and cert.proof == "weak-duality"
    opt = global_max_margin(x, y)
    assert opt.P_star_exact is not None, opt.P_star_exact_reason
    assert _same_number(opt.P_star_exact, sympy.sympify(cert.P_star_exact))
    assert opt.recheck(x, y)
    assert abs(opt.P_star - float(F(cert.P_star_exact))) < TOL * (1 + opt.P_star)


def test_exact_value_reason_when_the_optimum_mixes_surds():
    # optimal kinks on the data points 2 and 4 (norms sqrt 5 and sqrt 17): P* = (sqrt 5 +
    # sqrt 17) / 2 is not sum(q) / sqrt(M) for any rational q, M; the result says so
    opt = global_max_margin([2, 4], [1, -1])
    assert opt.P_star_exact is None and "rational vector" in opt.P_star_exact_reason
    assert abs(opt.P_star - (math.sqrt(5) + math.sqrt(17)) / 2) < TOL
    assert not opt.recheck([2, 4], [1, -1])


@settings(max_examples=15, deadline=None)
@given(exact_datasets(min_size=1, max_size=6))
def test_every_emitted_exact_string_is_the_proven_value(data):
    """global_max_margin, its JSON, the CLI and certify_global print the value that was proven."""
    opt = global_max_margin(data)
    if opt.P_star_exact is None:
        assert opt.P_star_exact_reason
        return
    proven = _proven(opt, data)
    assert _same_number(opt.P_star_exact, proven)
    assert opt.recheck(data)
    # rational bracketing against the solver: the proven value lies in [lower, upper]
    assert opt.lower - TOL * (1 + opt.P_star) <= float(proven) <= opt.upper + TOL * (1 + opt.P_star)
    assert MaxMarginOptimum.from_dict(json.loads(json.dumps(opt.to_dict()))).P_star_exact == (
        opt.P_star_exact
    )
    # certify_global on the exact optimal network (unbalanced, so not a KKT point: its P*
    # text comes from the cone program again) prints the same number
    cert = certify_global(opt.network_exact, data)
    if cert.P_star_exact is not None:
        assert _same_number(cert.P_star_exact, proven)


def test_cli_prints_the_proven_value(tmp_path, capsys):
    data = _write(tmp_path / "data.json", {"x": [100, -100], "y": [1, 1]})
    assert main(["optimum", data, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["P_star_exact"] == "2*sqrt(10001)/10001"
    net = _write(tmp_path / "net.json", {"w": [0], "b": [1], "v": [1]})
    assert main(["global", net, data]) == 0
    assert "2*sqrt(10001)/10001" in capsys.readouterr().out


# --- the sparse optimum (issue 10) ---------------------------------------------------------------


@settings(max_examples=15, deadline=None)
@given(labelled_networks())
def test_sparse_optimum_width_value_and_regions(instance):
    _, ds = instance
    m = len(set(ds.x_exact))
    opt = global_max_margin(ds, exact=False)
    dense = global_max_margin(ds, exact=False, sparse=False)
    # a basic solution: at most one neuron per distinct x (Caratheodory), never more than the
    # interior-point network, optimal within the cone program's accuracy (1e-6 relative)
    assert opt.network.width <= m and opt.network.width <= dense.network.width
    assert abs(opt.upper - dense.P_star) <= TOL * (1 + dense.P_star)
    assert opt.lower <= opt.upper * (1 + 1e-9)
    assert np.min(ds.y * opt.network(ds.x_float)) >= 1 - 1e-9
    assert opt.regions == count_regions(opt.network)


@settings(max_examples=10, deadline=None)
@given(exact_datasets(min_size=1, max_size=6))
def test_sparse_exact_optimum_is_the_proof_network(data):
    opt = global_max_margin(data)
    if opt.network_exact is None:
        return
    assert opt.network_exact.width <= data.n
    assert opt.regions == count_regions(opt.network_exact)
    assert abs(opt.upper - float(sympy.sympify(opt.P_star_exact))) <= TOL * (1 + opt.P_star)
