"""Data whose infinite-width optimum P* is known in closed form (docs/global_optimality.md).

P* = min sum_j |v_j| ||(w_j, b_j)|| over networks of any width with y_i N(x_i) >= 1
   = min 1/2 ||theta||^2 (balance every neuron), and weak duality gives
P* >= sum_i lambda_i whenever max_{|u| = 1} |G_lambda(u)| <= 1.

Derivations (r = ||(a, 1)|| = sqrt(1 + a^2), lambda symmetric by the symmetry of the data):

A. One point (x0, y0):  P* = 1 / ||(x0, 1)||.
   Primal: one neuron along (x0, 1).  Dual: lambda = 1 / ||xt0||, max |G| = lambda ||xt0|| = 1.

B. x = (a, -a), y = (1, 1), a > 0:  P* = 1 if a <= sqrt(3), else 2 / r.
   G(u) = lambda (relu(wa + b) + relu(-wa + b)). Both points active (b >= |w| a): G = 2 lambda b,
   largest at u = (0, 1), value 2 lambda. One active: largest lambda r at u = (a, 1) / r when that
   direction leaves -a inactive (a >= 1), else on the boundary (value 2 lambda a / r < 2 lambda).
   So max |G| = lambda max(2, r) and P* >= 2 / max(2, r). Primal: the bias neuron relu(1)
   (value 1), or one neuron per point along (+-a, 1) (value 2 / r, feasible for a >= 1). Equal
   bounds, so P* = min(1, 2 / r): Example 1 of Safran et al. (2022) is a = 4, P* = 2 / sqrt(17).

C. x = (a, -a), y = (1, -1), a > 0:  P* = 2 / r if a >= 1, else r / a.
   G(u) = lambda (relu(wa + b) - relu(-wa + b)). One active: as in B, lambda r if a >= 1, else
   the boundary value 2 lambda a / r. Both active (b >= |w| a): G = 2 lambda w a, largest on the
   boundary b = |w| a with value 2 a lambda / r <= lambda r. So max |G| = lambda r (a >= 1) or
   2 lambda a / r (a < 1). Primal: neurons along (+-a, 1) (value 2 / r) for a >= 1; for a < 1
   the neurons (1, a) and (-1, a) (kinks at -a and a, each serving one point, value r / a).

Each family is checked twice: the convex program matches the formula to 1e-6 (Clarabel stops at
a relative accuracy of about 1e-8), and for rational a with rational r the optimal network and
multipliers above are verified exactly (feasibility, max |G|^2 = 1, primal = dual as Fractions).
"""

from __future__ import annotations

import math
from fractions import Fraction as F

import pytest

from pwl_kkt import Network
from pwl_kkt.duality.dual import max_abs_dual
from pwl_kkt.duality.optimum import global_max_margin

TOL = 1e-6


def p_single(x0: float) -> float:
    return 1 / math.hypot(x0, 1)


def p_same(a: float) -> float:
    return 1.0 if a <= math.sqrt(3) else 2 / math.hypot(a, 1)


def p_opposite(a: float) -> float:
    r = math.hypot(a, 1)
    return 2 / r if a >= 1 else r / a


@pytest.mark.parametrize("x0, y0", [(0, 1), (2, -1), (-7.5, 1), (0.125, -1)])
def test_single_point_solver(x0, y0):
    assert global_max_margin([x0], [y0], exact=False).P_star == pytest.approx(p_single(x0), rel=TOL)


@pytest.mark.parametrize("a", [0.3, 0.75, 1.0, 1.5, 1.7, 1.8, 2.4, 4.0, 10.0])
def test_two_symmetric_points_solver(a):
    same = global_max_margin([a, -a], [1, 1], exact=False).P_star
    opposite = global_max_margin([a, -a], [1, -1], exact=False).P_star
    assert same == pytest.approx(p_same(a), rel=TOL)
    assert opposite == pytest.approx(p_opposite(a), rel=TOL)


def _exact_sqrt(q: F) -> F:
    n, d = math.isqrt(q.numerator), math.isqrt(q.denominator)
    assert F(n * n, d * d) == q, f"{q} is not a rational square"
    return F(n, d)


def _f1_value(net: Network) -> F:
    """sum_j |v_j| ||(w_j, b_j)|| exactly (the test data keeps every norm rational)."""
    w, b, v = net.fractions()
    return sum((abs(vj) * _exact_sqrt(wj * wj + bj * bj) for wj, bj, vj in zip(w, b, v)), F(0))


def _check_certificate(net: Network, x, y, lambdas, expected: F) -> None:
    # primal: feasible, value `expected`
    for xi, yi in zip(x, y):
        assert yi * net.exact_value(xi) >= 1
    assert _f1_value(net) == expected
    # dual: max |G|^2 = 1 exactly, so sum lambda <= P*; equal to the primal value
    m = max_abs_dual(lambdas, x, y, exact=True)
    assert m.max_sq == 1
    assert sum(lambdas, F(0)) == expected
    # the balanced network has 1/2 ||theta||^2 = expected too (rational here: |v| = ||u|| scale)


# Pythagorean choices: a = 3/4 (r = 5/4), 4/3 (5/3), 12/5 (13/5), 4 is irrational (sqrt 17).


def test_single_point_exact():
    x0, r = F(3, 4), F(5, 4)
    net = Network([x0], [1], [1 / r**2])
    _check_certificate(net, [x0], [1], [1 / r], 1 / r)


def test_same_label_exact_both_regimes():
    a, r = F(12, 5), F(13, 5)  # a > sqrt(3): two neurons, P* = 2 / r = 10/13
    net = Network([a, -a], [1, 1], [1 / r**2, 1 / r**2])
    _check_certificate(net, [a, -a], [1, 1], [1 / r, 1 / r], 2 / r)
    a = F(4, 3)  # 1 <= a <= sqrt(3): the bias neuron is optimal, P* = 1 even though the
    # two-neuron network is feasible (value 2 / (5/3) = 6/5 > 1)
    _check_certificate(Network([0], [1], [1]), [a, -a], [1, 1], [F(1, 2), F(1, 2)], F(1))
    assert _f1_value(Network([a, -a], [1, 1], [F(9, 25), F(9, 25)])) == F(6, 5)


def test_opposite_labels_exact_both_regimes():
    a, r = F(4, 3), F(5, 3)  # a >= 1: P* = 2 / r = 6/5
    net = Network([a, -a], [1, 1], [1 / r**2, -1 / r**2])
    _check_certificate(net, [a, -a], [1, -1], [1 / r, 1 / r], 2 / r)
    a, r = F(3, 4), F(5, 4)  # a < 1: P* = r / a = 5/3
    net = Network([1, -1], [a, a], [1 / (2 * a), -1 / (2 * a)])
    _check_certificate(net, [a, -a], [1, -1], [r / (2 * a), r / (2 * a)], r / a)


def test_example_1_value():
    # Safran et al., Example 1: x = (4, -4), y = (1, 1); P* = 2 / sqrt(17) < 1 = value of theta(0)
    opt = global_max_margin([4, -4], [1, 1], exact=False)
    assert opt.P_star == pytest.approx(2 / math.sqrt(17), rel=TOL)
    assert opt.P_star < 1
