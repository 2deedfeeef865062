"""F1 versus F2 max margin (Chizat & Bach 2020): kernel, random features, margin report."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pwl_kkt import InvalidDataError, InvalidValueError, Network, NotSeparableError
from pwl_kkt.duality.f2 import (
    F2MaxMargin,
    MarginReport,
    arccos_kernel,
    kernel_max_margin,
    margin_report,
    network_margin,
    random_directions,
    random_feature_max_margin,
)
from pwl_kkt.duality.optimum import global_max_margin

from .strategies import exact_datasets

# cvxpy's interior-point solvers stop at a relative accuracy of about 1e-8; 1e-6 leaves room.
SOLVER_TOL = 1e-6


def test_kernel_equals_quadrature_over_the_circle():
    # Riemann sum over 200000 equispaced angles of a continuous, piecewise-smooth periodic
    # integrand: error O(h^2) with h = 2 pi / 2e5 times |x|^2 <= 49, far below 1e-7.
    phi = np.linspace(0.0, 2.0 * math.pi, 200_001)[:-1]
    u = np.stack([np.cos(phi), np.sin(phi)], axis=1)
    xs = np.array([-3.0, -0.25, 0.0, 0.3, 1.5, 1.5, 7.0])
    feats = np.maximum(np.outer(u[:, 0], xs) + u[:, 1][:, None], 0.0)
    numeric = feats.T @ feats / phi.size
    np.testing.assert_allclose(arccos_kernel(xs), numeric, atol=1e-7)


def test_kernel_diagonal_closed_form():
    xs = np.array([-5.0, 0.0, 0.5, 2.0])
    np.testing.assert_allclose(np.diag(arccos_kernel(xs)), (1 + xs**2) / 4, rtol=1e-14)


@pytest.mark.parametrize("x0, y0", [(0, 1), (2, -1), (-7.5, 1), (0.1, -1)])
def test_single_point_closed_forms(x0, y0):
    # F2: Q* = 1 / k(x0, x0) = 4 / (1 + x0^2); F1: P* = 1 / sqrt(1 + x0^2)
    r = kernel_max_margin([x0], [y0])
    assert r.sq_norm == pytest.approx(4 / (1 + x0**2), rel=SOLVER_TOL)
    rep = margin_report(Network([0], [1], [y0]), [x0], [y0])
    assert rep.f1 == pytest.approx(math.sqrt(1 + x0**2) / 2, rel=SOLVER_TOL)
    assert rep.f2 == pytest.approx(math.sqrt(1 + x0**2) / 4, rel=SOLVER_TOL)


@pytest.mark.parametrize("a", [0.5, 1.0, 4.0])
def test_two_symmetric_points_same_label_closed_form(a):
    # By symmetry h(a) = h(-a) = 1 at the optimum, h = c (k(a, .) + k(-a, .)), so
    # Q* = 1^T K^{-1} 1 = 2 / (k(a, a) + k(a, -a)).
    K = arccos_kernel([a, -a])
    r = kernel_max_margin([a, -a], [1, 1])
    assert r.sq_norm == pytest.approx(2 / (K[0, 0] + K[0, 1]), rel=SOLVER_TOL)
    np.testing.assert_allclose(r.values, [1.0, 1.0], rtol=SOLVER_TOL)


@settings(max_examples=15)
@given(exact_datasets(max_size=6))
def test_f2_margin_never_exceeds_f1_margin(data):
    # ||h||_F1 <= ||h||_F2 (Cauchy-Schwarz), so the F2 unit ball is inside the F1 unit ball.
    p_star = global_max_margin(data, exact=False).P_star
    ker = kernel_max_margin(data)
    assert ker.feasible
    assert ker.margin <= (1.0 / p_star) * (1 + SOLVER_TOL)
    assert min(data.y * np.array(ker.values)) >= 1 - SOLVER_TOL
    rf = random_feature_max_margin(data, n_features=200, seed=1)
    assert rf.margin <= (1.0 / p_star) * (1 + SOLVER_TOL)


def test_random_features_converge_to_the_kernel():
    # Q_k -> Q* as k -> infinity (law of large numbers for Phi Phi^T / k -> K); with 4000
    # features and these seeds the relative error is a few per cent; 5% is a loose bound.
    x = [-2.0, -1.0, 0.0, 0.5, 2.0]
    y = [1, -1, 1, -1, 1]
    q = kernel_max_margin(x, y).sq_norm
    for seed in (0, 1):
        rf = random_feature_max_margin(x, y, n_features=4000, seed=seed)
        assert rf.feasible and rf.n_features == 4000
        assert abs(rf.sq_norm - q) / q < 0.05


def test_random_features_can_be_infeasible():
    # one feature cannot separate three alternating labels
    r = random_feature_max_margin([-1, 0, 1], [1, -1, 1], n_features=1, seed=0)
    assert not r.feasible and r.margin == 0.0 and math.isinf(r.sq_norm)
    assert F2MaxMargin.from_dict(json.loads(json.dumps(r.to_dict()))) == r


@settings(max_examples=20)
@given(
    st.lists(st.floats(-3, 3), min_size=3, max_size=9),
    st.integers(min_value=0, max_value=10**6),
)
def test_trained_like_networks_never_beat_f1(params, seed):
    k = len(params) // 3
    w, b = np.array(params[:k]), np.array(params[k : 2 * k])
    v = np.array(params[2 * k : 3 * k])
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-3, 3, size=5))
    net = Network(w, b, v)
    y = np.where(net(x) >= 0, 1, -1)
    rep = margin_report(net, x, y)
    assert rep.network <= rep.f1 * (1 + SOLVER_TOL)
    assert rep.f2 <= rep.f1 * (1 + SOLVER_TOL)


def test_report_round_trip_and_table():
    rep = margin_report(Network([0], [1], [1]), [4, -4], [1, 1], n_features=300, seed=3)
    assert rep.n_features == 300 and rep.random_features is not None
    assert MarginReport.from_dict(json.loads(json.dumps(rep.to_dict()))) == rep
    assert "F1 optimum" in rep.table() and "300 features" in rep.table()
    # theta(0) of Example 1: gamma = 1/2, F1 optimum 1 / (2 P*) with P* = 2 / sqrt(17)
    assert rep.network == 0.5
    assert rep.f1 == pytest.approx(math.sqrt(17) / 4, rel=SOLVER_TOL)


def test_network_margin_is_scale_invariant():
    net = Network([1.0, -2.0], [0.5, 1.0], [2.0, -1.0])
    x, y = [-1.0, 0.0, 2.0], [1, -1, 1]
    g = network_margin(net, x, y)
    assert network_margin(net.scaled(3.0), x, y) == pytest.approx(g, rel=1e-12)


def test_random_directions_are_unit_and_seeded():
    u = random_directions(50, seed=7)
    np.testing.assert_allclose(np.hypot(u[:, 0], u[:, 1]), 1.0, rtol=1e-15)
    np.testing.assert_array_equal(u, random_directions(50, seed=7))
    with pytest.raises(InvalidValueError, match="random features"):
        random_directions(0)


def test_bad_inputs():
    with pytest.raises(NotSeparableError, match="x\\[0\\] = x\\[2\\]"):
        kernel_max_margin([1, 2, 1], [1, 1, -1])
    with pytest.raises(NotSeparableError):
        random_feature_max_margin([0, 0], [1, -1], n_features=10)
    with pytest.raises(InvalidDataError, match="empty"):
        kernel_max_margin([], [])
    with pytest.raises(InvalidValueError, match="x\\[1\\]"):
        kernel_max_margin([0.0, float("nan")], [1, 1])
    with pytest.raises(InvalidValueError, match="x1\\[0\\]"):
        arccos_kernel([float("inf")])


def _run_cli(capsys, *argv):
    from pwl_kkt.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_margins_json_and_table(capsys, tmp_path):
    from pwl_kkt import Dataset, save_data, save_network

    net_path, data_path = tmp_path / "net.json", tmp_path / "data.json"
    save_network(Network([0], [1], [1]), net_path)
    save_data(Dataset([4, -4], [1, 1]), data_path)
    code, out, err = _run_cli(capsys, "margins", str(net_path), str(data_path), "--json")
    assert code == 0 and err == ""
    obj = json.loads(out)
    assert obj["network"] == 0.5
    assert obj["f1"] == pytest.approx(math.sqrt(17) / 4, rel=SOLVER_TOL)
    assert obj["f2"] < obj["f1"] and obj["random_features"] is None
    code, out, _ = _run_cli(
        capsys, "margins", str(net_path), str(data_path), "--features", "50", "--seed", "2"
    )
    assert code == 0 and "F1 optimum" in out and "50 features" in out


def test_cli_margins_bad_data_one_line_error(capsys, tmp_path):
    from pwl_kkt import save_network

    net_path, data_path = tmp_path / "net.json", tmp_path / "data.json"
    save_network(Network([0], [1], [1]), net_path)
    data_path.write_text(json.dumps({"x": [1, 1], "y": [1, -1]}))
    code, out, err = _run_cli(capsys, "margins", str(net_path), str(data_path))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "both labels" in err


# --- the structured programs against the dense ones -------------------------------------------


def _sector_feature_matrix(z: np.ndarray) -> np.ndarray:
    """``R`` with two columns per sector: ``R[j] = xt_j^T L_S`` where sector S is active at j."""
    from pwl_kkt.duality.f2 import _sector_factors

    m = z.size
    L_suf, L_pre = _sector_factors(z)
    R = np.zeros((m, 4 * m - 2))
    for k in range(m):
        for j in range(k, m):  # suffix sector k: groups j >= k
            R[j, 2 * k : 2 * k + 2] = np.array([z[j], 1.0]) @ L_suf[k]
    for k in range(1, m):
        for j in range(k):  # prefix sector k: groups j < k
            R[j, 2 * m + 2 * (k - 1) : 2 * m + 2 * k] = np.array([z[j], 1.0]) @ L_pre[k - 1]
    return R


@given(st.lists(st.floats(-50, 50), min_size=1, max_size=12, unique=True))
def test_sector_moments_factor_the_kernel(xs):
    # K = sum over sectors of P_S X M_S X^T P_S = R R^T exactly in real arithmetic; in floats
    # each entry is a sum of O(m) terms of size <= ||xt||^2 / 4, so 1e-12 relative is loose.
    z = np.sort(np.array(xs))
    K = arccos_kernel(z)
    R = _sector_feature_matrix(z)
    scale = np.outer(np.hypot(z, 1.0), np.hypot(z, 1.0))
    assert np.all(np.abs(R @ R.T - K) <= 1e-12 * 64 * scale)


def test_delta_minus_sin_has_no_cancellation():
    from pwl_kkt.duality.f2 import _delta_minus_sin

    d = np.array([1e-8, 1e-3, 0.3, 0.49, 0.51, 2.0, math.pi])
    exact = np.array([float(mp) for mp in _mp_delta_minus_sin(d)])
    np.testing.assert_allclose(_delta_minus_sin(d), exact, rtol=1e-14)


def _mp_delta_minus_sin(d):
    import mpmath

    mpmath.mp.dps = 50
    return [mpmath.mpf(float(t)) - mpmath.sin(mpmath.mpf(float(t))) for t in d]


@settings(max_examples=25, deadline=None)
@given(exact_datasets(min_size=1, max_size=7))
def test_structured_kernel_program_equals_the_dense_one(data):
    # The same QP with two different factors of K: values agree to the solver's accuracy.
    from pwl_kkt.duality.f2 import _min_norm_margin

    x = data.x_float
    K = arccos_kernel(x)
    e, V = np.linalg.eigh(K)
    keep = e > 1e-12 * max(float(e[-1]), 1e-300)
    dense, values = _min_norm_margin(V[:, keep] * np.sqrt(e[keep]), data.y.astype(float))
    fast = kernel_max_margin(data)
    assert math.isclose(fast.sq_norm, dense, rel_tol=SOLVER_TOL)
    np.testing.assert_allclose(fast.values, values, rtol=1e-5, atol=1e-5 * np.abs(values).max())


@settings(max_examples=20, deadline=None)
@given(exact_datasets(min_size=1, max_size=8))
def test_column_generation_value_equals_the_full_program(data):
    # Both are interior-point values of the same program (relative accuracy ~1e-8); the
    # column generation stops at a certified duality gap of 1e-6 (1e-4 only when stuck).
    from pwl_kkt.duality.f2 import _f1_value

    p = _f1_value(data)
    assert p is not None
    assert math.isclose(p, global_max_margin(data, exact=False).P_star, rel_tol=1e-4)


def test_column_generation_on_teacher_data():
    from pwl_kkt import Dataset
    from pwl_kkt.duality.f2 import _f1_value

    rng = np.random.default_rng(3)
    x = rng.uniform(-5, 5, 400)
    y = np.where(np.sin(2 * x) >= 0, 1, -1)
    full = global_max_margin(x, y, exact=False)
    p = _f1_value(Dataset(x, y))
    # certified: the full program's dual bound and value bracket P*; so must ours, to 1e-4
    assert full.lower * (1 - 1e-4) <= p <= full.upper * (1 + 1e-4)
