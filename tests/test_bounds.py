"""The explicit bounds of Safran, Vardi & Lee (2022) reproduced on hand-computed inputs."""

from __future__ import annotations

import json
import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pwl_kkt import (
    InvalidValueError,
    SufficientConditions,
    corollary_5_1_epsilon,
    corollary_5_1_sample_size,
    region_bound,
    theorem_2_3,
    theorem_3_1,
    theorem_3_2_lower_bound,
    theorem_3_2_width,
)
from pwl_kkt.setting.bounds import sigma_h_bound, sigma_o_bound, width_bound

# Closed forms are compared to 1e-12 relative: the library evaluates the same expressions
# in a possibly different order, so only a few ulps of rounding separate them.
REL = 1e-12


def test_region_bound_is_32r_plus_67():
    assert [region_bound(r) for r in (1, 2, 3, 10)] == [99, 131, 163, 387]


def test_theorem_3_2():
    assert theorem_3_2_lower_bound(1) == Fraction(1, 16)  # (1/4)(1 - 3/4)
    assert theorem_3_2_lower_bound("4/3") == 0  # vacuous from alpha = 4/3 on
    assert theorem_3_2_lower_bound("1.3") == Fraction(1, 4) * (1 - Fraction(39, 40))
    assert theorem_3_2_width("1.3", 10) == 13
    # Exact rationals: 1.15 * 20 = 23 exactly, while in floats it is 22.999999999999996.
    assert theorem_3_2_width("1.15", 20) == 23
    assert theorem_3_2_width(1.15, 20) == 22  # the float 1.15 is a little below 23/20


def test_width_bounds_hand_computed():
    # Theorem 3.1, Eq. (3): 6144 R^4 log(24 r / delta) / rho with R = 2, r = 2, delta = 0.1,
    # rho = 1/2: 6144 * 16 * log(480) * 2.
    assert width_bound(2, 2, 0.5, 0.1) == pytest.approx(196608 * math.log(480), rel=REL)
    # Theorem 2.3 has log(48 r / delta) instead.
    assert width_bound(2, 2, 0.5, 0.1, "2.3") == pytest.approx(196608 * math.log(960), rel=REL)
    # R < 1 is treated as R = 1 (Safran, Vardi & Lee 2022, footnote 2).
    assert width_bound(1, 0.25, 1, 0.5) == width_bound(1, 1, 1, 0.5)
    # A case with log = 2: 24 r / delta = e^2 for r = 1, delta = 24 / e^2 > 1 is not allowed,
    # so use r = 3, delta = 72 / e^6 (about 0.178): log(24 * 3 / delta) = 6.
    assert width_bound(3, 1, 2, 72 / math.exp(6)) == pytest.approx(6144 * 6 / 2, rel=REL)


def test_sigma_bounds_hand_computed():
    # sigma_h >= 4200 n^2 C R^3.5 sqrt(r k) / (delta rho): n = 3, C = 1/2, R = 4 (R^3.5 = 128),
    # r = 2, k = 8 (sqrt 16 = 4), delta = 1/2, rho = 1/4 -> 4200 * 9 * 0.5 * 128 * 4 * 8.
    expected = 4200 * 9 * 0.5 * 128 * 4 * 8
    assert sigma_h_bound(3, 0.5, 4, 2, 8, 0.5, 0.25) == pytest.approx(expected, rel=REL)
    assert sigma_h_bound(3, 0.5, 4, 2, 8, 0.5, 0.25, "2.3") == pytest.approx(2 * expected, rel=REL)
    # sigma_o <= 1 / (4 k R sigma_h log(6 k / delta)); k = 2, delta = 12 / e^3: log(...) = 3.
    delta = 12 / math.exp(3)
    assert sigma_o_bound(2, 1, 5, delta) == pytest.approx(1 / (4 * 2 * 5 * 3), rel=REL)
    # Theorem 2.3: log(12 k / delta) = log(24 e^3 / 12) = 3 + log 2.
    assert sigma_o_bound(2, 1, 5, delta, "2.3") == pytest.approx(
        1 / (40 * (3 + math.log(2))), rel=REL
    )


def test_theorem_3_1_joint_conditions():
    c = theorem_3_1(delta=0.1, r=2, R=2, C=1, rho=0.5, n=100)
    assert c.theorem == "3.1" and c.n_bound is None and c.n == 100
    assert c.k_bound == pytest.approx(196608 * math.log(480), rel=REL)
    assert c.k == math.ceil(c.k_bound)
    assert c.sigma_h == c.sigma_h_bound == pytest.approx(
        4200 * 100**2 * 1 * 2**3.5 * math.sqrt(2 * c.k) / (0.1 * 0.5), rel=REL
    )
    assert c.sigma_o_max == pytest.approx(
        1 / (4 * c.k * 2 * c.sigma_h * math.log(6 * c.k / 0.1)), rel=REL
    )
    # A larger width and hidden scale are allowed and propagate to sigma_o_max.
    d = theorem_3_1(delta=0.1, r=2, R=2, C=1, rho=0.5, n=100, k=10**7, sigma_h=1e15)
    assert d.k == 10**7 and d.sigma_h == 1e15
    assert d.sigma_o_max == pytest.approx(1 / (4e7 * 2 * 1e15 * math.log(6e8)), rel=REL)
    assert SufficientConditions.from_dict(json.loads(json.dumps(c.to_dict()))) == c


def test_theorem_2_3_joint_conditions():
    c = theorem_2_3(eps=0.1, delta=0.2, r=3, R=1, C="0.5", rho=0.25, C0=2)
    # n >= C0 (r log(1/eps) + log(2/delta)) / eps = 2 (3 log 10 + log 10) / 0.1 = 80 log 10.
    assert c.n_bound == pytest.approx(80 * math.log(10), rel=REL)
    assert c.n == math.ceil(80 * math.log(10)) == 185
    assert c.k_bound == pytest.approx(6144 * math.log(48 * 3 / 0.2) / 0.25, rel=REL)
    expected_sigma_h = 8400 * c.n**2 * 0.5 * 1 * math.sqrt(3 * c.k) / (0.2 * 0.25)
    assert c.sigma_h == pytest.approx(expected_sigma_h, rel=REL)
    assert c.sigma_o_max == pytest.approx(
        1 / (4 * c.k * c.sigma_h * math.log(12 * c.k / 0.2)), rel=REL
    )


def test_corollary_5_1_hand_computed():
    # eps = 1/e, delta = e^-2, r = 3, C0 = 1: (3 * 1 + 2) / e^-1 = 5 e.
    assert corollary_5_1_sample_size(1 / math.e, math.exp(-2), 3) == pytest.approx(
        5 * math.e, rel=REL
    )
    assert corollary_5_1_sample_size(0.5, 0.5, 1, C0=3) == pytest.approx(
        3 * 2 * 2 * math.log(2), rel=REL
    )
    # The inverse: n = 5 e gives back eps = 1/e (up to the bisection's float resolution).
    eps = corollary_5_1_epsilon(5 * math.e, math.exp(-2), 3)
    assert eps == pytest.approx(1 / math.e, rel=1e-12)


@given(
    n=st.floats(min_value=10, max_value=1e9),
    delta=st.floats(min_value=0.01, max_value=0.5),
    r=st.integers(1, 50),
    C0=st.floats(min_value=0.1, max_value=5),
)
def test_corollary_5_1_epsilon_inverts_the_sample_size(n, delta, r, C0):
    if n <= C0 * math.log(1 / delta):
        with pytest.raises(InvalidValueError, match="too small"):
            corollary_5_1_epsilon(n, delta, r, C0)
        return
    eps = corollary_5_1_epsilon(n, delta, r, C0)
    assert 0 < eps < 1
    assert corollary_5_1_sample_size(eps, delta, r, C0) <= n  # guaranteed ...
    smaller = eps * (1 - 1e-9)
    assert corollary_5_1_sample_size(smaller, delta, r, C0) > n  # ... and tight
    assert corollary_5_1_epsilon(2 * n, delta, r, C0) <= eps  # more data, smaller eps


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: width_bound(1, 1, 1, 0), "delta: 0 must lie strictly between 0 and 1"),
        (lambda: width_bound(1, 1, 1, 1.0), "delta: 1.0 must lie strictly"),
        (lambda: width_bound(0, 1, 1, 0.5), "r: 0 must be at least 1"),
        (lambda: width_bound(1, -1, 1, 0.5), "R: -1 must be positive"),
        (lambda: width_bound(1, 1, -0.5, 0.5), "rho: -0.5 must be positive"),
        (lambda: width_bound(1, 1, 1, 0.5, "4.2"), "theorem: '4.2' is not one of"),
        (lambda: width_bound(1.5, 1, 1, 0.5), "r: 1.5 is not an integer"),
        (lambda: sigma_h_bound(1, -1, 1, 1, 1, 0.5, 1), "C: -1 must be positive"),
        (lambda: sigma_h_bound(1, float("nan"), 1, 1, 1, 0.5, 1), "C: nan is not a finite"),
        (lambda: theorem_3_1(0.5, 1, 1, "1/4", 1, n=10), r"C: '1/4' is too small"),
        (lambda: theorem_3_1(0.5, 1, 1, 1, 3, n=10), "rho: 3 exceeds the length 2R"),
        (lambda: theorem_3_1(0.5, 1, 1, 1, 1, n=10, k=5), "k: 5 is below Theorem 3.1"),
        (lambda: theorem_3_1(0.5, 1, 1, 1, 1, n=10, sigma_h=1.0), "sigma_h: 1.0 is below"),
        (lambda: theorem_2_3(1.5, 0.5, 1, 1, 1, 1), "eps: 1.5 must lie strictly"),
        (lambda: theorem_2_3(0.1, 0.5, 1, 1, 1, 1, n=3), "n: 3 is below Theorem 2.3"),
        (lambda: theorem_2_3(0.1, 0.5, 1, 1, 1, 1, C0=0), "C0: 0 must be positive"),
        (lambda: corollary_5_1_epsilon(1, 0.1, 1), "n: 1 is too small"),
        (lambda: theorem_3_2_lower_bound("1/2"), "alpha: '1/2' must be at least 1"),
        (lambda: theorem_3_2_width(2, 0), "r: 0 must be at least 1"),
        (lambda: region_bound(0), "r: 0 must be at least 1"),
    ],
)
def test_bad_inputs(call, message):
    with pytest.raises(InvalidValueError, match=message):
        call()
