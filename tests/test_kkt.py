"""Numeric KKT certificates (pwl_kkt.kkt.numeric): substitution checks, invariances, bad input.

Multipliers are never compared with one particular vector (they need not be unique):
every test substitutes them into the KKT equations with an independent dense computation.
Tolerances: instances are exact rationals rounded to float64 (error ~1e-16) and the
interior-point solver is accurate to ~1e-8 relative, so residuals below 1e-6 (the default
kkt_tol) mean "satisfied"; genuine violations in these instances are >= 1e-3.
"""

from __future__ import annotations

import math
import time
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pwl_kkt import (
    Dataset,
    InvalidDataError,
    InvalidValueError,
    MisclassifiedError,
    Network,
    NotSeparableError,
)
from pwl_kkt.kkt._dense import certify_dense
from pwl_kkt.kkt._synth import kkt_instance
from pwl_kkt.kkt.exact import verify_kkt_exact
from pwl_kkt.kkt.numeric import KKTCertificate, _near_zero, _spread, certify_kkt

from .strategies import (
    ZERO_TOL_DYADIC,
    kinks_near_data,
    kkt_instances,
    perturbed_kkt_instances,
)

TOL = 1e-6  # see the module docstring


def dense_residual(net: Network, data: Dataset, cert: KKTCertificate) -> float:
    """||theta_n - sum_i lambda_i h_i|| / ||theta_n||, recomputed densely from the certificate."""
    w, b, v = (np.asarray(t, dtype=float) / cert.scale for t in net.arrays())
    x, y = data.x_float, data.y.astype(float)
    lam = np.asarray(cert.lambdas)
    z = np.multiply.outer(x, w) + b
    s = (z > 0).astype(float)
    for i, j, mu in cert.mu:
        assert -1e-12 <= mu <= lam[i] + 1e-12
        s[i, j] = mu / lam[i] if lam[i] > 0 else 0.0
    gw = v * ((lam * y * x) @ s)
    gb = v * ((lam * y) @ s)
    gv = (lam * y) @ np.maximum(z, 0.0)
    r = np.concatenate([w - gw, b - gb, v - gv])
    return float(np.linalg.norm(r) / np.sqrt(w @ w + b @ b + v @ v))


def check_certificate(net: Network, data: Dataset, cert: KKTCertificate) -> None:
    lam = np.asarray(cert.lambdas)
    assert lam.shape == (data.n,)
    assert (lam >= 0).all()
    off = np.setdiff1d(np.arange(data.n), cert.support)
    assert (lam[off] == 0).all()
    q = data.y * net(data.x_float) / cert.min_margin
    assert np.all(q[list(cert.support)] <= 1 + cert.support_tol + 1e-12)
    assert cert.delta == pytest.approx(float(lam @ (q - 1)), abs=1e-9)
    assert dense_residual(net, data, cert) == pytest.approx(cert.eps, rel=1e-6, abs=1e-12)
    assert cert.is_kkt == (cert.eps <= cert.kkt_tol)


def test_example1_is_kkt_with_lambdas_that_substitute() -> None:
    net, data = Network([0, 0], [1, 0], [1, 0]), Dataset([4, -4], [1, 1])
    cert = certify_kkt(net, data)
    check_certificate(net, data, cert)
    assert cert.is_kkt and cert.eps < TOL
    assert cert.support == (0, 1)
    # ||theta||^2 = 2 with margin 1 already: 2 sum lambda = ||theta_n||^2 = 2
    assert cert.sq_norm == pytest.approx(2.0)
    assert 2 * cert.sum_lambda == pytest.approx(cert.sq_norm, rel=TOL)


def test_kink_on_a_data_point_needs_fractional_subgradient() -> None:
    # N(x) = |x| - 1 with both kinks at x = 0, a support point: s = 1/4 is needed
    net, data = Network([1, -1, 0], [0, 0, 1], [1, 1, -1]), Dataset([-2, 0, 2], [1, -1, 1])
    cert = certify_kkt(net, data)
    check_certificate(net, data, cert)
    assert cert.is_kkt
    assert {(i, j) for i, j, _ in cert.mu} == {(1, 0), (1, 1)}
    lam = cert.lambdas
    for i, _j, mu in cert.mu:
        assert 0.01 < mu / lam[i] < 0.99  # strictly inside (0, 1): 0 or 1 would not do
    assert 2 * cert.sum_lambda == pytest.approx(cert.sq_norm, rel=TOL)
    # with the zero pairs forbidden (zero_tol cannot be negative; move the kinks instead)
    # the same network on data avoiding the kink is not KKT
    assert not certify_kkt(net, Dataset([-2, "1/2", 2], [1, -1, 1])).is_kkt


def test_not_kkt_reports_residual_and_worst_neuron() -> None:
    net, data = Network([0, 1], [1, 0], [1, "1/10"]), Dataset([1, 2], [1, 1])
    cert = certify_kkt(net, data)
    check_certificate(net, data, cert)
    assert not cert.is_kkt and cert.eps > 1e-3
    assert cert.worst_neurons and cert.worst_neurons[0][1] > 0
    assert all(a[1] >= b[1] for a, b in zip(cert.worst_neurons, cert.worst_neurons[1:]))


def test_near_kkt_float_instance_and_support() -> None:
    net, data = kkt_instance(40, 60, exact=False, perturb=1e-9, seed=3)
    cert = certify_kkt(net, data)
    check_certificate(net, data, cert)
    assert cert.is_kkt
    assert len(cert.support) == 2
    # lambda_p = 4/5 and lambda_q = 5/13 in the unnormalized form; normalized by margin 65
    # (the template instance): sum lambda = ||theta_n||^2 / 2
    assert 2 * cert.sum_lambda == pytest.approx(cert.sq_norm, rel=1e-6)
    # a perturbation of 1e-3 is a genuine violation
    bad, _ = kkt_instance(40, 60, exact=False, perturb=1e-3, seed=3)
    assert not certify_kkt(bad, data).is_kkt


def test_support_tol_trades_eps_for_delta() -> None:
    net, data = kkt_instance(10, 20, exact=False, perturb=1e-4, seed=5)
    tight = certify_kkt(net, data, support_tol=0.0, kkt_tol=1e-2)
    loose = certify_kkt(net, data, support_tol=1e-2, kkt_tol=1e-2)
    for c in (tight, loose):
        check_certificate(net, data, c)
        assert c.delta <= c.support_tol * c.sum_lambda + 1e-12
    assert loose.eps <= tight.eps + 1e-7


def test_matches_dense_textbook_formulation() -> None:
    net, data = kkt_instance(30, 30, exact=False, perturb=1e-3, seed=7)
    cert = certify_kkt(net, data, support_tol=1e-2)
    _, eps_dense = certify_dense(net, data, support_tol=1e-2)
    # both minimize the same convex objective; solver accuracy ~1e-8 relative
    assert cert.eps == pytest.approx(eps_dense, rel=1e-4, abs=1e-8)


@settings(max_examples=25)
@given(kkt_instances())
def test_numeric_agrees_with_exact_on_kkt_instances(inst) -> None:
    net, data = inst
    exact = verify_kkt_exact(net, data)
    cert = certify_kkt(net.to_float(), data)
    check_certificate(net.to_float(), data, cert)
    assert exact.is_kkt
    assert cert.is_kkt == exact.is_kkt
    # sum lambda is unique: numeric (normalized) = exact (same lambdas, see kkt docstring)
    assert cert.sum_lambda == pytest.approx(float(exact.lambda_sum), rel=1e-5)


@settings(max_examples=25)
@given(perturbed_kkt_instances())
def test_numeric_agrees_with_exact_on_perturbed_instances(inst) -> None:
    net, data = inst
    exact = verify_kkt_exact(net, data)
    cert = certify_kkt(net, data)
    assert cert.is_kkt == exact.is_kkt, (exact.proof, cert.eps)


@settings(max_examples=20)
@given(kkt_instances())
def test_invariant_under_scaling_and_permutation(inst) -> None:
    net, data = inst
    base = certify_kkt(net, data)
    scaled = certify_kkt(net.scaled(3), data)
    order = list(reversed(range(net.width)))
    perm = certify_kkt(net.permuted(order), data)
    for c in (scaled, perm):
        assert c.is_kkt == base.is_kkt
        assert c.support == base.support
        assert c.sum_lambda == pytest.approx(base.sum_lambda, rel=1e-6)
        assert c.sq_norm == pytest.approx(base.sq_norm, rel=1e-12)
        assert c.normalized_margin == pytest.approx(base.normalized_margin, rel=1e-12)
        assert c.eps == pytest.approx(base.eps, abs=1e-7)
    assert scaled.scale == pytest.approx(3 * base.scale, rel=1e-12)


def test_json_round_trip() -> None:
    net, data = Network([1, -1, 0], [0, 0, 1], [1, 1, -1]), Dataset([-2, 0, 2], [1, -1, 1])
    cert = certify_kkt(net, data)
    again = KKTCertificate.from_json(cert.to_json())
    assert again == cert
    assert isinstance(again.mu, tuple) and isinstance(again.worst_neurons, tuple)
    with pytest.raises(AttributeError):
        cert.eps = 0.0  # type: ignore[misc]


# --- bad input --------------------------------------------------------------------------------

NET = Network([1], [0], [1])


@pytest.mark.parametrize(
    ("x", "y", "error", "message"),
    [
        ([1, 2], [1, -1], MisclassifiedError, r"x\[1\] = 2\.0 \(y N\(x\) = -2\)"),
        ([1, -3], [1, 1], MisclassifiedError, r"1 point\(s\) not.*x\[1\] = -3\.0 \(y N\(x\) = 0\)"),
        ([1.0, float("nan")], [1, 1], InvalidValueError, r"x\[1\]: nan is not a finite"),
        ([1, 2], [1], InvalidDataError, "same length; got 2 and 1"),
        ([1, 2], [1, 2], InvalidDataError, r"y\[1\] = 2 is not a label"),
        ([1, 1], [1, -1], NotSeparableError, r"x\[0\] = x\[1\] = 1 carry both labels"),
    ],
)
def test_bad_input(x, y, error, message) -> None:
    with pytest.raises(error, match=message):
        certify_kkt(NET, x, y)


def test_zero_margin_is_decided_exactly() -> None:
    # z = x - 1/3 at x = 1/3 is exactly 0 although 1/3 is not a float
    net = Network(["1"], ["-1/3"], ["1"])
    with pytest.raises(MisclassifiedError, match=r"x\[0\]"):
        certify_kkt(net, ["1/3", 2], [1, 1])


def test_many_misclassified_points_are_summarized() -> None:
    with pytest.raises(MisclassifiedError, match="5 point.*and 2 more"):
        certify_kkt(NET, [-1, -2, -3, -4, -5, 1], [1] * 6)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"kkt_tol": -1}, "kkt_tol = -1 must be a finite number >= 0"),
        ({"zero_tol": 1.0}, "zero_tol = 1.0 must be .* below 1"),
        ({"support_tol": math.nan}, "support_tol = nan"),
    ],
)
def test_bad_tolerances(kw, message) -> None:
    with pytest.raises(InvalidValueError, match=message):
        certify_kkt(NET, [1, 2], [1, 1], **kw)


@pytest.mark.slow
def test_large_instance_under_30_seconds() -> None:
    net, data = kkt_instance(10000, 10000, exact=False, perturb=1e-9, seed=1)
    t = time.perf_counter()
    cert = certify_kkt(net, data)
    assert time.perf_counter() - t < 30
    assert cert.is_kkt


# --- scale-aware zero test (issue 15) ------------------------------------------------------------


def test_kinks_a_hair_off_a_data_point_at_zero_are_kinks_on_it() -> None:
    # |x| - 1 on x = (-2, 0, 2) is an exact KKT point with both kinks on x = 0 (s = 1/4); moved
    # 1e-15 off 0 it must still certify (a relative test |z| <= T (|w x| + |b|) never can).
    d = 1e-15
    net = Network(np.array([1.0, -1.0, 0.0]), np.array([-d, d, 1.0]), np.array([1.0, 1.0, -1.0]))
    cert = certify_kkt(net, [-2.0, 0.0, 2.0], [1, -1, 1])
    assert cert.is_kkt and cert.eps < TOL
    assert {(i, j) for i, j, _ in cert.mu} == {(1, 0), (1, 1)}
    # the zero tolerance is a distance in input space: 1e-15 is not within 1e-16 * spread 4
    assert not certify_kkt(net, [-2.0, 0.0, 2.0], [1, -1, 1], zero_tol=1e-17).is_kkt


def _zero_pattern(
    x, w, t, shift: float = 0.0, scale: float = 1.0, theta: float = 1.0
) -> list[list[bool]]:
    xs = (np.asarray(x, dtype=float) + shift) * scale
    spread = _spread(xs)
    out = []
    for wj, tj in zip(w, t):
        wj_s = theta * wj / scale  # kink moves with the data: t -> (t + shift) * scale
        bj = -wj_s * (tj + shift) * scale
        out.append(_near_zero(wj_s * xs + bj, wj_s, bj, xs, ZERO_TOL_DYADIC, spread).tolist())
    return out


@settings(max_examples=200)
@given(kinks_near_data(), st.integers(-200, 200), st.integers(-6, 6), st.integers(-60, 60))
def test_zero_test_is_a_distance_invariant_under_shift_and_scale(
    inst, shift, log2_scale, log2_theta
):
    """(x_i, t_j) is a zero pair iff |x_i - t_j| <= zero_tol (max x - min x): the same pairs
    after shifting data and kinks together (through 0 too), after scaling them by 2^p, and
    after scaling the parameters (w_j, b_j) by 2^q."""
    x, w, t, _ = inst
    spread = max(x) - min(x)
    expected = [
        [abs(xi - tj) <= ZERO_TOL_DYADIC * spread for xi in x] for tj in t
    ]
    assert _zero_pattern(x, w, t) == expected
    assert _zero_pattern(x, w, t, shift=float(shift)) == expected
    assert _zero_pattern(x, w, t, scale=2.0**log2_scale) == expected
    assert _zero_pattern(x, w, t, shift=float(shift), scale=2.0**log2_scale) == expected
    assert _zero_pattern(x, w, t, shift=float(shift), theta=2.0**log2_theta) == expected


@pytest.mark.parametrize("c", [1e-200, 1e-100, 1e160, 1e300])
def test_extreme_scales_certify_like_the_unit_scale(c) -> None:
    # Problem (4)'s verdict is invariant under theta -> c theta; theta(0) of Example 1 scaled
    # by c has margins c^2 (outside the float range for 1e-200, 1e160, 1e300).
    net = Network(np.array([0.0, 0.0]), np.array([c, 0.0]), np.array([c, 0.0]))
    cert = certify_kkt(net, [4, -4], [1, 1])
    assert cert.is_kkt and cert.eps < TOL
    assert cert.lambdas == pytest.approx([0.5, 0.5], rel=1e-6)  # solver accuracy
    assert cert.min_margin == Fraction(c) ** 2 and cert.normalized
    assert cert.scale == pytest.approx(c, rel=1e-15)
    assert KKTCertificate.from_json(cert.to_json()) == cert


def test_normalized_says_whether_the_verdict_is_about_theta_or_its_direction() -> None:
    theta0 = Network([0, 0], [1, 0], [1, 0])
    at_one = certify_kkt(theta0, [4, -4], [1, 1])
    assert at_one.min_margin == 1 and not at_one.normalized
    assert at_one.sq_norm == pytest.approx(2 * at_one.sum_lambda, rel=1e-6)
    # theta(0) scaled by 2/7: margin 4/49 (infeasible); the verdict is about theta / (2/7)
    small = certify_kkt(theta0.scaled("2/7"), [4, -4], [1, 1])
    assert small.is_kkt and small.normalized and small.min_margin == Fraction(4, 49)
    assert small.scale == pytest.approx(2 / 7, rel=1e-15)
    assert small.to_dict()["normalized"] is True and small.to_dict()["min_margin"] == "4/49"


def test_exact_parameters_beyond_the_float_range() -> None:
    net = Network([0, 0], [10**400, 0], [10**400, 0])  # theta(0) times 10^400, held exactly
    cert = certify_kkt(net, [4, -4], [1, 1])
    assert cert.is_kkt and cert.min_margin == 10**800 and cert.normalized
    assert cert.scale == math.inf and cert.to_dict()["scale"] is None  # sqrt(m) is no float
    assert KKTCertificate.from_json(cert.to_json()) == cert
