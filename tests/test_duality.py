"""The dual function, its exact maximum, weak duality and global certificates (issue 5)."""

from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pwl_kkt import (
    DualMaximum,
    GlobalCertificate,
    InvalidValueError,
    MisclassifiedError,
    Network,
    certify_global,
    dual_function,
    dual_value_exact,
    max_abs_dual,
)
from pwl_kkt.duality.globalopt import _kkt_holds_exact
from tests.strategies import (
    exact_datasets,
    kkt_instances,
    labelled_networks,
    nonneg_multipliers,
    perturbed_kkt_instances,
)

EXAMPLE1_NET = Network([0, 0], [1, 0], [1, 0])  # theta(0) of Safran, Vardi & Lee (2022), Example 1
EXAMPLE1_X, EXAMPLE1_Y = [4, -4], [1, 1]


def _exact_margins(net: Network, xs, ys) -> list[Fraction]:
    return [int(y) * net.exact_value(x) for x, y in zip(xs, ys)]


def _upper_sqrt(q: Fraction) -> Fraction:
    """A rational >= sqrt(q) (exactly checked)."""
    s = Fraction(math.sqrt(float(q))).limit_denominator(10**6) + Fraction(1, 10**6)
    while s * s < q:
        s += Fraction(1, 10**6)
    return s


# --- exact maximum of |G| ------------------------------------------------------------------------


@settings(max_examples=40)
@given(st.data())
def test_exact_max_matches_a_fine_scan(data):
    ds = data.draw(exact_datasets(min_size=1, max_size=7))
    lam = data.draw(nonneg_multipliers(ds.n))
    m = max_abs_dual(lam, ds)
    G = dual_function([float(t) for t in lam], ds.x_float, ds.y)
    n_grid = 100_001
    angles = np.linspace(-np.pi, np.pi, n_grid)
    scan = float(np.abs(G(np.stack([np.cos(angles), np.sin(angles)], axis=1))).max())
    # |G| is Lipschitz on the circle with constant L <= sum lambda_i ||xt_i||, so the grid
    # (step h) misses the maximum by at most L h / 2; 1e-9 covers float rounding of the scan.
    lip = sum(float(t) * math.hypot(float(x), 1.0) for t, x in zip(lam, ds.x_float))
    h = 2 * math.pi / (n_grid - 1)
    assert scan <= m.max_abs_float + 1e-9
    assert m.max_abs_float <= scan + lip * h / 2 + 1e-9


@settings(max_examples=40)
@given(st.data())
def test_direction_attains_the_exact_maximum(data):
    ds = data.draw(exact_datasets(min_size=1, max_size=7))
    lam = data.draw(nonneg_multipliers(ds.n))
    m = max_abs_dual(lam, ds)
    w, b = m.direction
    g = dual_value_exact(lam, ds.x, ds.y, m.direction)
    assert g * g == m.max_sq * (w * w + b * b)  # |G(u / ||u||)|^2 = max_sq, exactly
    assert (g < 0) == (m.sign < 0) or g == 0
    # the float walk agrees with the exact one to rounding (relative 1e-9)
    mf = max_abs_dual(np.array([float(t) for t in lam]), ds.x_float, ds.y)
    assert not mf.exact
    assert math.isclose(mf.max_abs_float, m.max_abs_float, rel_tol=1e-9, abs_tol=1e-12)


def test_example1_dual_maximum_is_sqrt17_over_2():
    m = max_abs_dual(["1/2", "1/2"], EXAMPLE1_X, EXAMPLE1_Y)
    assert m.max_sq == Fraction(17, 4)
    assert str(m.max_abs) == "sqrt(17)/2"
    assert m.direction == (1, Fraction(1, 4)) and m.sign == 1


def test_all_points_equal():
    # all x equal: the sectors are half circles; G(u) = lambda u . (2, 1) on one of them
    m = max_abs_dual([Fraction(1, 3)] * 3, [2, 2, 2], [1, 1, 1])
    assert m.max_sq == 5  # (3 * 1/3)^2 * ||(2, 1)||^2
    m = max_abs_dual([1, 1], [2, 2], [-1, -1])
    assert m.max_sq == 4 * 5 and m.sign == -1


def test_zero_multipliers_and_roundtrip():
    m = max_abs_dual([0, 0], [1, 2], [1, -1])
    assert m.max_sq == 0
    assert DualMaximum.from_dict(m.to_dict()) == m
    m = max_abs_dual([1.0, 2.0], np.array([1.0, 2.0]), [1, -1])
    assert DualMaximum.from_dict(m.to_dict()) == m


@pytest.mark.parametrize(
    "lam, match",
    [([-1, 1], r"lambdas\[0\]"), ([1], "2 points"), ([float("nan"), 1], r"lambdas\[0\]")],
)
def test_bad_multipliers(lam, match):
    with pytest.raises(InvalidValueError, match=match):
        max_abs_dual(lam, [0, 1], [1, 1], exact=not any(isinstance(t, float) for t in lam))


# --- weak duality -----------------------------------------------------------------------------


@settings(max_examples=60)
@given(st.data())
def test_weak_duality_on_random_feasible_networks(data):
    """sum lambda <= 1/2 ||theta||^2 / m for every lambda scaled to max|G| <= 1, exactly."""
    net, ds = data.draw(labelled_networks())
    lam = data.draw(nonneg_multipliers(ds.n))
    m = max_abs_dual(lam, ds)
    s = _upper_sqrt(m.max_sq) if m.max_sq > 1 else Fraction(1)
    lam = [t / s for t in lam]  # max |G| <= 1 exactly now
    assert max_abs_dual(lam, ds).max_sq <= 1
    margins = _exact_margins(net, ds.x, ds.y)
    assert min(margins) > 0
    assert sum(lam) <= net.sq_norm_exact() / (2 * min(margins))


# --- global certificates ----------------------------------------------------------------------


def test_example1_theta0_is_refuted_with_an_exact_improving_network():
    cert = certify_global(EXAMPLE1_NET, EXAMPLE1_X, EXAMPLE1_Y)
    assert not cert.is_global and cert.proof == "improving-network" and cert.exact
    assert cert.lambdas == (Fraction(1, 2), Fraction(1, 2))
    assert cert.max_sq == Fraction(17, 4) and cert.value == 1
    better = cert.improving
    assert better.is_exact and better.width <= EXAMPLE1_NET.width + 1
    assert min(_exact_margins(better, EXAMPLE1_X, EXAMPLE1_Y)) >= 1
    assert better.sq_norm_exact() / 2 == cert.improving_value < cert.value
    assert cert.P_star_exact == "2*sqrt(17)/17"
    assert GlobalCertificate.from_dict(cert.to_dict()) == cert


def test_single_point_optimum_is_certified_exactly():
    # x0 = 3/4: ||(x0, 1)|| = 5/4, the balanced neuron (3, 4, 5) along it is optimal, P* = 4/5
    cert = certify_global(Network([3], [4], [5]), ["3/4"], [1])
    assert cert.is_global and cert.proof == "weak-duality"
    assert cert.max_sq == 1
    assert cert.value == sum(cert.lambdas) == Fraction(4, 5)


@settings(max_examples=25)
@given(kkt_instances())
def test_certificates_on_kkt_points_are_exact(instance):
    """Certified: value == dual value exactly; refuted: the improving network is feasible and
    strictly better, checked exactly."""
    net, ds = instance
    cert = certify_global(net, ds)
    assert cert.exact
    if cert.is_global:
        assert cert.proof == "weak-duality"
        assert cert.max_sq <= 1
        assert _kkt_holds_exact(net, ds, list(cert.lambdas))
        assert cert.value == sum(cert.lambdas)
        assert max_abs_dual(list(cert.lambdas), ds).max_sq == cert.max_sq
    elif cert.is_global is False:
        assert cert.proof == "improving-network" and cert.max_sq > 1
        _assert_witness(cert, ds.x, ds.y)
    else:  # inconclusive: these multipliers fail, but no witness was found
        assert cert.proof == "inconclusive" and cert.max_sq > 1 and cert.improving is None


def _assert_witness(cert: GlobalCertificate, xs, ys) -> None:
    """A refutation carries a network that is feasible and strictly better, checked exactly."""
    better = cert.improving
    assert better is not None and better.is_exact
    assert min(_exact_margins(better, xs, ys)) >= 1
    assert better.sq_norm_exact() / 2 == cert.improving_value < Fraction(cert.value)


def test_float_path_matches_the_exact_decision():
    x = np.array([4.0, -4.0])
    cert = certify_global(EXAMPLE1_NET.to_float(), x, EXAMPLE1_Y)
    assert cert.is_global is False and cert.proof == "improving-network" and not cert.exact
    assert math.isclose(cert.max_abs_float, math.sqrt(17) / 2, rel_tol=1e-6)  # solver tolerance
    # the float candidate is scaled up by an exact rational: every margin >= 1 exactly
    _assert_witness(cert, x.tolist(), EXAMPLE1_Y)
    again = GlobalCertificate.from_dict(json.loads(json.dumps(cert.to_dict(), allow_nan=False)))
    assert again == cert


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_optima_of_global_max_margin_are_never_refuted_without_a_witness(seed):
    """The numeric KKT certificate of a cone-program optimum misses 1e-6 (solver accuracy);
    that is "inconclusive", never "not global" unless an exact improving network exists."""
    from pwl_kkt import global_max_margin

    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=8)
    y = np.where(rng.uniform(size=8) < 0.5, 1, -1)
    cert = certify_global(global_max_margin(x, y).network, x, y)
    assert cert.proof in ("numeric", "improving-network", "inconclusive")
    if cert.is_global is False:
        _assert_witness(cert, x.tolist(), y.tolist())
    elif cert.is_global is None:
        assert cert.proof == "inconclusive" and cert.improving is None
        assert "eps =" in cert.reason or "max |G_lambda|" in cert.reason


@settings(max_examples=12, deadline=None)
@given(st.one_of(kkt_instances(), perturbed_kkt_instances()))
def test_float_verdicts_are_certified_refuted_with_a_witness_or_inconclusive(instance):
    """On the float path a verdict "not global" always carries a network that is feasible and
    strictly better in exact rationals; a missed tolerance alone gives "inconclusive"."""
    net, ds = instance
    xs = ds.x_float
    cert = certify_global(net.to_float(), xs, ds.y)
    assert not cert.exact
    if cert.is_global is False:
        assert cert.proof == "improving-network"
        _assert_witness(cert, xs.tolist(), ds.y.tolist())
    elif cert.is_global is None:
        assert cert.proof == "inconclusive" and cert.improving is None
    else:
        assert cert.proof == "numeric" and cert.max_abs_float <= 1 + 1e-9


@pytest.mark.parametrize("c", [1e-200, 1e300])
def test_float_weights_far_outside_the_float_range(c):
    # theta(0) of Example 1 times c: margins c^2 (1e-400 or 1e600) are beyond float64
    net = Network(np.array([0.0, 0.0]), np.array([c, 0.0]), np.array([c, 0.0]))
    cert = certify_global(net, np.array([4.0, -4.0]), EXAMPLE1_Y)
    assert cert.is_global is False and cert.proof == "improving-network"
    assert cert.value == 1.0 and cert.min_margin == Fraction(c) ** 2 and cert.normalized
    _assert_witness(cert, [4, -4], EXAMPLE1_Y)


def test_exact_weights_beyond_the_float_range():
    net = EXAMPLE1_NET.scaled(10**400)  # exact; verified on an exact power-of-two rescaling
    cert = certify_global(net, EXAMPLE1_X, EXAMPLE1_Y)
    assert cert.is_global is False and cert.exact and cert.value == 1
    assert cert.min_margin == 10**800 and cert.scale == 10**400
    _assert_witness(cert, EXAMPLE1_X, EXAMPLE1_Y)


def test_verdict_names_theta_or_its_direction():
    at_one = certify_global(EXAMPLE1_NET, EXAMPLE1_X, EXAMPLE1_Y)
    assert at_one.min_margin == 1 and not at_one.normalized and at_one.scale == 1
    scaled = certify_global(EXAMPLE1_NET.scaled("2/7"), EXAMPLE1_X, EXAMPLE1_Y)
    assert scaled.normalized and scaled.min_margin == Fraction(4, 49)
    assert str(scaled.scale) == "2/7" and scaled.value == 1  # about theta / (2/7)
    d = scaled.to_dict()
    assert d["normalized"] is True and d["scale"] == "2/7" and d["min_margin"] == "4/49"


def test_non_kkt_network_is_not_global():
    # (1, 0, 1): N = relu(x) on x0 = 3/4: not aligned with (3/4, 1), so not a KKT point
    cert = certify_global(Network([1], [0], [1]), ["3/4"], [1])
    assert not cert.is_global and cert.proof == "not-kkt"
    assert cert.improving_value < cert.value
    again = GlobalCertificate.from_dict(json.loads(json.dumps(cert.to_dict(), allow_nan=False)))
    assert again.improving == cert.improving and again.value == cert.value


def test_misclassified_network_is_rejected():
    with pytest.raises(MisclassifiedError, match="point 1"):
        certify_global(Network([1], [0], [1]), [1, -1], [1, 1])
