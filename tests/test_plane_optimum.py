"""Exact geometry on the sphere for data in the plane: the great-circle arrangement, the exact
``max |G|`` on S^2, and the infinite-width optimum ``P*`` with its proven interval (issue 12).

Independent references used below:

* the cell count of the arrangement by Euler's formula on the sphere, ``F = E - V + 2``, with
  ``V`` the distinct vertex directions and ``E`` the arcs, both from a direct pair loop;
* ``max |G|`` by brute force over a superset of the candidates (every subset ``S`` of the points
  gives ``+-g_S`` and the projections of ``g_S`` on every circle's plane; every vertex), each
  evaluated exactly with the definition of ``G``;
* dense random sampling of the sphere (a lower bound on ``max |G|``).

Solver values are compared with a relative tolerance of 1e-6: Clarabel's default relative
accuracy is 1e-8 and the values are O(1)-O(100).
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pwl_kkt import Dataset, DatasetNd, InvalidDataError, NetworkNd
from pwl_kkt.duality.dual_plane import dual_value_2d, max_abs_dual_2d, sqrt_interval
from pwl_kkt.duality.optimum_plane import (
    MaxMarginOptimum2d,
    _sampled_program,
    exact_margins_2d,
    global_max_margin_2d,
)
from pwl_kkt.geometry.great_circles import circle_arrangement
from tests.strategies import exact_datasets, plane_datasets, plane_multipliers


def _xt(row):
    return (row[0], row[1], Fraction(1))


def _cross(a, b):
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def _dot(a, b):
    return sum(s * t for s, t in zip(a, b))


def _direction_key(v):
    """Directions up to positive scaling, exactly."""
    top = max(abs(t) for t in v)
    return tuple(t / top for t in v)


def _euler_cells(rows) -> int:
    pts = [_xt(r) for r in dict.fromkeys(tuple(r) for r in rows)]
    if len(pts) == 1:
        return 2
    per_circle = []
    verts = set()
    for i, p in enumerate(pts):
        on = set()
        for j, q in enumerate(pts):
            if i != j:
                v = _cross(p, q)
                for s in (1, -1):
                    key = _direction_key(tuple(s * t for t in v))
                    on.add(key)
                    verts.add(key)
        per_circle.append(len(on))
    return sum(per_circle) - len(verts) + 2


def _brute_max_sq(lam, data) -> Fraction:
    rows = data.x_exact
    pts = [_xt(r) for r in rows]
    coef = [li * int(yi) for li, yi in zip(lam, data.y.tolist())]

    def G(d):
        return sum((c * _dot(d, p) for c, p in zip(coef, pts) if _dot(d, p) > 0), Fraction(0))

    cands = []
    for r in range(len(pts) + 1):
        for S in itertools.combinations(range(len(pts)), r):
            g = tuple(sum((coef[i] * pts[i][t] for i in S), Fraction(0)) for t in range(3))
            cands.append(g)
            for p in pts:
                pp, gp = _dot(p, p), _dot(g, p)
                cands.append(tuple(g[t] * pp - gp * p[t] for t in range(3)))
    for p, q in itertools.combinations(pts, 2):
        cands.append(_cross(p, q))
    best = Fraction(0)
    for d in cands:
        for s in (1, -1):
            ds = tuple(s * t for t in d)
            n2 = _dot(ds, ds)
            if n2:
                best = max(best, G(ds) ** 2 / n2)
    return best


def _sampled_max(lam, data, n=100_000, seed=0) -> float:
    rng = np.random.default_rng(seed)
    u = rng.standard_normal((n, 3))
    u /= np.linalg.norm(u, axis=1)[:, None]
    X = np.c_[data.x_float, np.ones(data.n)]
    coef = np.array([float(t) for t in lam]) * data.y
    return float(np.abs(np.maximum(u @ X.T, 0.0) @ coef).max())


# --- the arrangement ------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 3, 7, 20])
def test_general_position_gives_n2_minus_n_plus_2_cells(n):
    rng = np.random.default_rng(n)
    assert circle_arrangement(rng.standard_normal((n, 2))).n_cells == n * n - n + 2


@given(plane_datasets())
@settings(max_examples=60, deadline=None)
def test_cell_count_matches_euler_and_sampled_patterns_are_cells(data):
    arr = circle_arrangement(data)
    assert arr.n_cells == _euler_cells(data.x_exact)
    X = np.array([[float(a), float(b), 1.0] for a, b in
                  (r for r in dict.fromkeys(tuple(r) for r in data.x_exact))])
    u = np.random.default_rng(0).standard_normal((2000, 3))
    for row in np.unique(u @ X.T > 0, axis=0):
        assert sum(1 << k for k in np.flatnonzero(row)) in arr.cells


# --- the exact maximum of |G| -----------------------------------------------------------------


@given(st.data())
@settings(max_examples=60, deadline=None)
def test_max_abs_dual_equals_brute_force_and_is_attained(draw):
    data = draw.draw(plane_datasets(max_size=5))
    lam = draw.draw(plane_multipliers(data.n))
    m = max_abs_dual_2d(lam, data)
    assert m.max_sq == _brute_max_sq(lam, data)
    d = m.direction
    g = dual_value_2d(lam, data, None, d)
    assert g * g == m.max_sq * _dot(d, d)
    assert (g >= 0) == (m.sign > 0) or g == 0
    lo, hi = m.interval
    assert Fraction(lo) ** 2 <= m.max_sq <= Fraction(hi) ** 2


@pytest.mark.parametrize("seed", range(4))
def test_max_abs_dual_bounds_dense_sampling(seed):
    rng = np.random.default_rng(seed)
    n = 40
    x = rng.standard_normal((n, 2))
    data = DatasetNd(x, np.where(x[:, 0] > 0.2 * x[:, 1] ** 2, 1, -1))
    lam = rng.random(n) / n
    m = max_abs_dual_2d(lam, data)
    sampled = _sampled_max(Fraction_list(lam), data)
    # sampling is a lower bound; float evaluation of G errs by ~1e-15 relative
    assert sampled <= m.interval[1] * (1 + 1e-12)
    assert sampled >= 0.99 * m.interval[0]  # 10^5 directions come within 1% here


@given(st.data())
@settings(max_examples=40, deadline=None)
def test_float_pricing_scan_finds_the_exact_maximum(draw):
    """The float scan that picks columns must see what the exact scan sees (to 1e-9)."""
    from pwl_kkt.duality.dual_plane import _FloatScan

    data = draw.draw(plane_datasets(min_size=2, max_size=6))
    lam = draw.draw(plane_multipliers(data.n))
    arr = circle_arrangement(data)
    signed = np.zeros(arr.n_points)
    for i, k in enumerate(arr.index):
        signed[k] += float(lam[i]) * int(data.y[i])
    top = _FloatScan(arr).scan(signed, -0.5, 1)
    exact = max_abs_dual_2d(lam, data, arrangement=arr).interval[1]
    found = top[0][0] if top else 0.0  # nothing listed: G vanishes wherever it is defined
    assert found == pytest.approx(exact, rel=1e-9, abs=1e-12)


def Fraction_list(a):
    return [Fraction(float(t)) for t in a]


def test_sqrt_interval_is_tight_and_proven():
    for q in (Fraction(2), Fraction(1, 3), Fraction(10**30 + 1, 7), Fraction(0)):
        lo, hi = sqrt_interval(q)
        assert Fraction(lo) ** 2 <= q <= Fraction(hi) ** 2
        assert hi == lo or hi == math.nextafter(lo, math.inf)


# --- P* ------------------------------------------------------------------------------------------


def test_one_point_closed_form_and_symmetric_four_points():
    opt = global_max_margin_2d([[3, 4]], [1])
    assert opt.P_star_exact == "sqrt(26)/26"
    x = [[1, 0], [-1, 0], [0, 1], [0, -1]]
    y = [1, 1, -1, -1]
    opt = global_max_margin_2d(x, y)
    assert opt.P_star_exact == "4" and opt.recheck(x, y)


def _random_feasible(data, rng, width):
    """A random network made feasible by least-norm output weights (an LP), or None."""
    from scipy.optimize import linprog

    W = rng.standard_normal((width, 3))
    X = np.c_[data.x_float, np.ones(data.n)]
    F = data.y[:, None] * np.maximum(X @ W.T, 0.0)
    res = linprog(np.ones(2 * width), A_ub=-np.hstack([F, -F]), b_ub=-np.ones(data.n),
                  bounds=(0, None), method="highs")
    if res.status != 0:
        return None
    v = res.x[:width] - res.x[width:]
    return NetworkNd(W[:, :2], W[:, 2], v)


@given(plane_datasets(min_size=2, max_size=7), st.integers(0, 2**16))
@settings(max_examples=15, deadline=None)
def test_p_star_interval_is_proven_and_below_every_feasible_network(data, seed):
    opt = global_max_margin_2d(data)
    assert opt.recheck(data)
    assert opt.lower <= opt.P_star <= opt.upper
    assert opt.upper - opt.lower <= 1e-6 * opt.upper
    total = sum(opt.multipliers_exact, Fraction(0))
    M = opt.dual.max_sq
    rng = np.random.default_rng(seed)
    for width in (3, 10, 30):
        net = _random_feasible(data, rng, width)
        if net is None:
            continue
        m = min(exact_margins_2d(net, data))
        value = net.sq_norm_exact() / (2 * m)
        assert total * total <= M * value * value  # lower bound <= value, exactly
        assert opt.P_star <= float(value) * (1 + 1e-9)


@pytest.mark.parametrize("seed", range(3))
def test_p_star_is_never_above_a_network_found_by_training(seed):
    """Weak duality against trained networks: every separating network of every width has
    1/2 ||theta||^2 / m >= P*, decided exactly from the proven lower bound."""
    from pwl_kkt import init_network, train

    rng = np.random.default_rng(seed)
    x = rng.standard_normal((20, 2))
    y = np.where(np.hypot(x[:, 0], x[:, 1]) > 1.0, 1, -1)
    data = DatasetNd(x, y)
    opt = global_max_margin_2d(data)
    total = sum(opt.multipliers_exact, Fraction(0))
    checked = 0
    for width in (10, 40):
        net, _ = train(init_network(width, d=2, seed=seed), data, steps=3000, progress=False)
        margins = exact_margins_2d(net, data)
        if min(margins) <= 0:
            continue  # not separating: no feasible point of the max-margin problem
        value = net.sq_norm_exact() / (2 * min(margins))
        assert total * total <= opt.dual.max_sq * value * value  # lower bound <= value, exactly
        checked += 1
    assert checked, "training separated none of the data sets: the test checked nothing"


@pytest.mark.parametrize("seed", range(3))
def test_p_star_is_never_below_a_sampled_pattern_program(seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((25, 2))
    y = np.where(np.hypot(x[:, 0], x[:, 1]) > 1.0, 1, -1)
    opt = global_max_margin_2d(x, y)
    for n_dir in (opt.n_patterns, 20 * opt.n_patterns):
        value, found = _sampled_program(x, y, n_directions=n_dir, seed=seed)
        assert found <= opt.n_patterns
        assert value >= opt.lower * (1 - 1e-6)


def test_certificate_recheck_fails_when_tampered():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((12, 2))
    y = np.where(x[:, 0] * x[:, 1] > 0, 1, -1)
    opt = global_max_margin_2d(x, y)
    assert opt.recheck(x, y)
    q = list(opt.multipliers_exact)
    q[int(np.argmax([float(t) for t in q]))] *= 2
    from dataclasses import replace

    assert not replace(opt, multipliers_exact=tuple(q)).recheck(x, y)
    assert not replace(opt, upper_exact="1/1000").recheck(x, y)
    again = MaxMarginOptimum2d.from_dict(opt.to_dict())
    assert again == opt and again.recheck(x, y)


def test_float_network_margins_at_least_one():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((15, 2))
    y = np.where(x[:, 0] > 0, 1, -1)
    opt = global_max_margin_2d(x, y)
    margins = y * opt.network(x)
    assert margins.min() >= 1 - 1e-9  # balanced float copy of an exactly feasible network


@given(exact_datasets(min_size=1, max_size=5))
@settings(max_examples=12, deadline=None)
def test_p_star_on_a_line_of_the_plane_equals_the_univariate_p_star(data1):
    """A second input weight only adds to the norm when every x_2 is 0: the same problem."""
    from pwl_kkt import global_max_margin

    one = global_max_margin(data1, exact=False)
    two = global_max_margin_2d(DatasetNd([[t, 0] for t in data1.x_exact], data1.y))
    tol = 1e-6 * max(1.0, one.P_star)  # the univariate value is a solver float (1e-8 relative)
    assert two.lower - tol <= one.P_star <= two.upper + tol


def test_example_1_on_a_line_exact_value_and_regions():
    from pwl_kkt import count_regions

    opt = global_max_margin_2d([[4, 0], [-4, 0]], [1, 1])
    assert opt.P_star_exact == "2*sqrt(17)/17" and opt.recheck([[4, 0], [-4, 0]], [1, 1])
    assert opt.regions == count_regions(opt.network_exact) == 3


# --- bad input -------------------------------------------------------------------------------


def _f2_plane():
    from pwl_kkt.duality import f2_plane

    return f2_plane


def _plot_dual_2d():
    import matplotlib

    matplotlib.use("Agg")
    from pwl_kkt import plot_dual_2d

    return plot_dual_2d



@pytest.mark.parametrize(
    "call",
    [
        lambda d: max_abs_dual_2d([1] * d.n, d),
        lambda d: global_max_margin_2d(d),
        lambda d: circle_arrangement(d),
        lambda d: _f2_plane().kernel_max_margin_2d(d),
        lambda d: _f2_plane().random_feature_max_margin_2d(d, n_features=5),
        lambda d: _f2_plane().arccos_kernel_2d(d),
        lambda d: _f2_plane().margin_report_2d(NetworkNd([[1, 0]], [0], [1]), d),
        lambda d: _plot_dual_2d()([1] * d.n, d),
    ],
)
def test_plane_calls_name_the_dimension_they_need(call):
    with pytest.raises(InvalidDataError, match=r"d = 2\); got d = 1"):
        call(Dataset([0, 1], [1, -1]))
    with pytest.raises(InvalidDataError, match=r"d = 2\); got d = 3"):
        call(DatasetNd([[0, 1, 2], [1, 1, 1]], [1, -1]))


# --- F1 vs F2 in the plane -------------------------------------------------------------------


def test_arccos_kernel_on_the_sphere_is_the_random_feature_average():
    from pwl_kkt.duality.f2_plane import arccos_kernel_2d, random_directions_2d

    x = np.random.default_rng(0).standard_normal((6, 2))
    u = random_directions_2d(400_000, seed=3)
    phi = np.maximum(np.c_[x, np.ones(6)] @ u.T, 0.0)
    # Monte Carlo: entries are O(1) with standard error ~ 1 / sqrt(4e5) ~ 2e-3
    assert np.abs(phi @ phi.T / u.shape[0] - arccos_kernel_2d(x)).max() < 1e-2
    assert np.linalg.eigvalsh(arccos_kernel_2d(x)).min() > -1e-12


def test_one_point_f2_is_f1_over_sqrt6():
    from pwl_kkt.duality.f2_plane import kernel_max_margin_2d, margin_report_2d

    q = kernel_max_margin_2d([[1, 2]], [1])
    assert q.sq_norm == pytest.approx(1.0, rel=1e-6)  # 6 / ||(1, 2, 1)||^2
    rep = margin_report_2d(NetworkNd([[0, 0]], [1], [1]), [[0, 0]], [1])
    assert rep.f2 / rep.f1 == pytest.approx(6**-0.5, rel=1e-6)
    assert rep.ratio_f1 == pytest.approx(1.0, rel=1e-9)


@pytest.mark.parametrize("seed", range(2))
def test_margin_report_orders_f2_below_f1_and_the_optimum_reaches_f1(seed):
    from pwl_kkt import margin_report

    rng = np.random.default_rng(seed)
    x = rng.standard_normal((20, 2))
    y = np.where(np.hypot(x[:, 0], x[:, 1]) > 1.0, 1, -1)
    opt = global_max_margin_2d(x, y)
    rep = margin_report(opt.network, DatasetNd(x, y), n_features=500, seed=seed, optimum=opt)
    assert rep.f2 <= rep.f1 * (1 + 1e-6)
    assert rep.random_features <= rep.f1 * (1 + 1e-6)
    assert rep.ratio_f1 == pytest.approx(1.0, rel=1e-6)  # the sparse optimum is optimal
    net = _random_feasible(DatasetNd(x, y), rng, 40)
    assert margin_report(net, DatasetNd(x, y), optimum=opt).network <= rep.f1 * (1 + 1e-6)


# --- dispatch and pictures ----------------------------------------------------------------------


def test_global_max_margin_dispatches_on_the_dimension():
    from pwl_kkt import MaxMarginOptimum, global_max_margin

    opt = global_max_margin(DatasetNd([[3, 0]], [1]))
    assert isinstance(opt, MaxMarginOptimum2d) and opt.P_star_exact == "sqrt(10)/10"
    assert isinstance(global_max_margin(DatasetNd([[3]], [1])), MaxMarginOptimum)
    with pytest.raises(InvalidDataError, match="got d = 3"):
        global_max_margin(DatasetNd([[3, 0, 1]], [1]))


def test_plot_dual_2d_marks_the_exact_maximum():
    import matplotlib

    matplotlib.use("Agg")
    from pwl_kkt import plot_dual_2d

    ax = plot_dual_2d([1, 1], [[1, 0], [-1, 0]], [1, -1], resolution=61)
    assert ax.get_title() == "max |G| = sqrt(2) = 1.414 > 1 (exact)"
    ax = plot_dual_2d([Fraction(1, 2)], [[0, 0]], [1], resolution=61)
    assert ax.get_title().endswith("<= 1 (exact)")


def test_too_many_points_are_refused_with_the_count():
    x = np.random.default_rng(0).standard_normal((12, 2))
    with pytest.raises(InvalidDataError, match=r"12 distinct points give about 134 cells"):
        circle_arrangement(x, max_points=10)
