"""Exact KKT decisions: multipliers by substitution, Farkas proofs re-checked independently."""

from __future__ import annotations

import dataclasses
import json
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pwl_kkt import (
    Dataset,
    ExactKKTResult,
    Network,
    certify_kkt,
    kkt_instance,
    kkt_latex,
    kkt_system,
    verify_kkt_exact,
)
from pwl_kkt.errors import (
    InvalidDataError,
    InvalidValueError,
    MisclassifiedError,
    NotSeparableError,
)

from ._kkt_checks import farkas_holds, substitution_holds
from .strategies import kkt_instances, perturbed_kkt_instances, rotated_kkt_instances

F = Fraction
EX1_DATA = Dataset([4, -4], [1, 1])
THETA0 = Network([0, 0], [1, 0], [1, 0])


# --- an independent implementation of the documented system, for checking proofs ----------


def _independent_system(net: Network, data: Dataset):
    """Columns and right-hand side of ``theta = sum lambda_i h_i`` (module docstring of exact).

    Written from the maths, not from pwl_kkt.kkt.exact: rows are ("w"|"b"|"v", j).
    """
    w, b, v = net.fractions()
    xs, ys = data.x_exact, [int(t) for t in data.y.tolist()]
    margins = []
    for xi, yi in zip(xs, ys):
        margins.append(yi * sum((vj * max(wj * xi + bj, 0) for wj, bj, vj in zip(w, b, v)), F(0)))
    m = min(margins)
    support = [i for i, q in enumerate(margins) if q == m]
    lam_cols, mu_cols, pairs = {}, {}, []
    for i in support:
        col = {}
        for j in range(len(w)):
            z = w[j] * xs[i] + b[j]
            if z > 0:
                col[("w", j)] = v[j] * ys[i] * xs[i]
                col[("b", j)] = v[j] * ys[i]
                col[("v", j)] = ys[i] * z
            elif z == 0 and v[j] != 0 and (w[j] != 0 or b[j] != 0):
                pairs.append((i, j))
                mu_cols[(i, j)] = {("w", j): v[j] * ys[i] * xs[i], ("b", j): v[j] * ys[i]}
        lam_cols[i] = col
    rhs = {("w", j): w[j] for j in range(len(w))}
    rhs.update({("b", j): b[j] for j in range(len(w))})
    rhs.update({("v", j): v[j] for j in range(len(w))})
    return m, support, pairs, lam_cols, mu_cols, rhs


def _substitution_holds(net: Network, data: Dataset, res: ExactKKTResult) -> bool:
    return substitution_holds(_independent_system(net, data), res)


def _farkas_holds(net: Network, data: Dataset, res: ExactKKTResult) -> bool:
    y = {(kind, j): t for kind, j, t in res.farkas_y}
    return farkas_holds(_independent_system(net, data), y, res)


# --- Example 1 ---------------------------------------------------------------------------------


def test_example1_theta0_is_kkt_with_exact_multipliers():
    res = verify_kkt_exact(THETA0, EX1_DATA)
    assert res.is_kkt and res.proof == "multipliers" and res.recheck()
    assert res.min_margin == 1 and res.support == (0, 1)  # constraints hold with equality
    assert _substitution_holds(THETA0, EX1_DATA, res)
    # Here the multipliers happen to be unique: w1 = 0 forces lambda_1 = lambda_2 and
    # b1 = 1 forces their sum to 1.
    assert res.lambdas == (F(1, 2), F(1, 2))
    assert THETA0.sq_norm / res.min_margin == 2 * res.lambda_sum == 2


def test_example1_theta_prime_is_feasible_with_smaller_norm():
    tp = Network([F(1, 2), F(-1, 2)], [0, 0], [F(1, 2), F(1, 2)])
    assert [tp.exact_value(x) for x in (4, -4)] == [1, 1]
    assert tp.sq_norm == 1 < 2 == THETA0.sq_norm


def test_example1_gradient_of_neuron2_is_zero_symbolically():
    import runpy
    from pathlib import Path

    # Run the example end to end (it asserts each claim too), then check its symbolic
    # gradient at the state w1 = 0, b1 = v1 = a, neuron 2 zero, for a generic loss l.
    path = Path(__file__).resolve().parents[1] / "examples" / "example1.py"
    g = runpy.run_path(str(path), run_name="example1")["g_state"]
    assert g[3:] == [0, 0, 0]  # relu'(0) = 0: neuron 2 never moves
    assert g[0] == 0 and g[1] == g[2] != 0  # parallel to (w1, b1, v1) = (0, a, a)


def test_example1_perturbed_is_not_kkt_with_independent_farkas_check():
    bad = Network([F(1, 10), 0], [1, 0], [1, 0])
    res = verify_kkt_exact(bad, EX1_DATA)
    assert not res.is_kkt and res.proof == "farkas" and res.lambdas is None
    assert _farkas_holds(bad, EX1_DATA, res)
    assert res.recheck()


# --- kinks on data points -----------------------------------------------------------------------


def test_kink_on_data_point_needs_interior_clarke_weight():
    # N(x) = |x| - 1 on x = (-2, 0, 2), y = (+, -, +): both |x|-neurons kink at x = 0.
    # Neuron relu(x): w = 1 = 2 lambda_3, b = 0 = lambda_3 - mu -> mu = 1/2; the constant
    # neuron forces lambda_2 = 2, so s = mu / lambda_2 = 1/4: neither 0 nor 1 works.
    net = Network([1, -1, 0], [0, 0, 1], [1, 1, -1])
    data = Dataset([-2, 0, 2], [1, -1, 1])
    res = verify_kkt_exact(net, data)
    assert res.is_kkt and _substitution_holds(net, data, res)
    assert {(i, j) for i, j, _ in res.subgradients} == {(1, 0), (1, 1)}
    assert all(0 < s < 1 for _, _, s in res.subgradients)
    assert net.sq_norm / res.min_margin == 2 * res.lambda_sum


def test_not_kkt_when_zero_not_in_hull():
    # A constant neuron needs sum lambda_i x_i = 0: impossible when every x_i > 0.
    net = Network([0, 0], [2, 0], [2, 0])
    data = Dataset([1, 3, F(5, 2)], [1, 1, 1])
    res = verify_kkt_exact(net, data)
    assert not res.is_kkt and _farkas_holds(net, data, res) and res.recheck()


def test_directly_violated_equation():
    # A neuron with v != 0 that no support point activates: its v-equation reads 3 = 0.
    net = Network([0, 1], [1, -10], [1, 3])
    res = verify_kkt_exact(net, EX1_DATA)
    assert not res.is_kkt and res.proof == "violated" and "neuron 1" in res.reason
    assert _farkas_holds(net, EX1_DATA, res)


def test_tampered_proofs_fail_recheck():
    res = verify_kkt_exact(THETA0, EX1_DATA)
    d = res.to_dict()
    d["lambdas"] = ["1/3", "2/3"]
    assert not ExactKKTResult.from_dict(d).recheck()
    bad = verify_kkt_exact(Network([F(1, 10), 0], [1, 0], [1, 0]), EX1_DATA)
    d = bad.to_dict()
    d["farkas_y"] = [[kind, j, str(-F(t))] for kind, j, t in d["farkas_y"]]
    assert not ExactKKTResult.from_dict(d).recheck()


def test_float_network_taken_at_dyadic_values():
    # 0.1 is not 1/10; the exact verdict uses the dyadic value and stays correct.
    import numpy as np

    net = Network(np.array([0.0, 0.0]), np.array([1.0, 0.0]), np.array([1.0, 0.0]))
    res = verify_kkt_exact(net, np.array([4.0, -4.0]), [1, 1])
    assert res.is_kkt and res.lambdas == (F(1, 2), F(1, 2))


def test_json_round_trip_is_exact():
    res = verify_kkt_exact(Network([1, -1, 0], [0, 0, 1], [1, 1, -1]), [-2, 0, 2], [1, -1, 1])
    again = ExactKKTResult.from_json(json.dumps(json.loads(res.to_json())))
    assert again == res and again.recheck()
    assert all(isinstance(t, str) for t in res.to_dict()["lambdas"])


# --- properties ----------------------------------------------------------------------------------


@given(kkt_instances())
def test_constructed_kkt_points_are_certified(inst):
    net, data = inst
    res = verify_kkt_exact(net, data)
    assert res.is_kkt and _substitution_holds(net, data, res)
    # Euler: ||theta / sqrt(m)||^2 = 2 sum lambda at every certified KKT point.
    assert net.sq_norm / res.min_margin == 2 * res.lambda_sum


@given(st.one_of(kkt_instances(), perturbed_kkt_instances()))
def test_every_decision_carries_an_independently_valid_proof(inst):
    net, data = inst
    res = verify_kkt_exact(net, data)
    if res.is_kkt:
        assert _substitution_holds(net, data, res)
        assert net.sq_norm / res.min_margin == 2 * res.lambda_sum
    else:
        assert _farkas_holds(net, data, res)
    assert res.recheck()


@settings(max_examples=30)
@given(st.one_of(kkt_instances(), perturbed_kkt_instances()))
def test_numeric_and_exact_verdicts_agree(inst):
    # Small rationals: margins differ by far more than support_tol = 1e-6 unless equal,
    # and a non-KKT instance leaves a residual far above kkt_tol = 1e-6.
    net, data = inst
    assert certify_kkt(net, data).is_kkt == verify_kkt_exact(net, data).is_kkt


@settings(max_examples=25)
@given(kkt_instances())
def test_numeric_certifies_constructed_kkt_points(inst):
    net, data = inst
    cert = certify_kkt(net, data)
    assert cert.is_kkt
    # 2 sum lambda = ||theta_hat||^2 up to the solver accuracy (relative 1e-6).
    assert abs(2 * cert.sum_lambda - cert.sq_norm) <= 1e-6 * cert.sq_norm


@settings(max_examples=30)
@given(
    st.one_of(kkt_instances(), perturbed_kkt_instances()),
    st.sampled_from([F(1, 3), F(2), F(7, 5)]),
    st.randoms(),
)
def test_exact_certificate_invariant_under_scaling_and_permutation(inst, a, rnd):
    net, data = inst
    order = list(range(net.width))
    rnd.shuffle(order)
    base = verify_kkt_exact(net, data)
    other = verify_kkt_exact(net.scaled(a).permuted(order), data)
    assert other.is_kkt == base.is_kkt and other.support == base.support
    if base.is_kkt:
        # The sum of the multipliers is unique (= ||theta||^2 / 2m) and scale invariant.
        assert other.lambda_sum == base.lambda_sum
    # Stronger: the *same* proof, with neurons renamed, proves the scaled and permuted
    # instance (h_i is 1-homogeneous in theta, so lambdas and Farkas weights carry over;
    # a Farkas pair (y, z) becomes (y, a z): A and theta scale by a, the bounds D do not).
    inv = {j: p for p, j in enumerate(order)}
    moved = dataclasses.replace(
        base,
        network=net.scaled(a).permuted(order),
        zero_pairs=tuple((i, inv[j]) for i, j in base.zero_pairs),
        mu=None if base.mu is None else tuple((i, inv[j], t) for i, j, t in base.mu),
        farkas_y=None
        if base.farkas_y is None
        else tuple((kind, inv[j], t) for kind, j, t in base.farkas_y),
        farkas_z=None
        if base.farkas_z is None
        else tuple((i, inv[j], a * t) for i, j, t in base.farkas_z),
    )
    assert moved.recheck()


# --- symbolic view -------------------------------------------------------------------------------


def test_kkt_system_substitution_and_latex():
    net = Network([1, -1, 0], [0, 0, 1], [1, 1, -1])
    data = Dataset([-2, 0, 2], [1, -1, 1])
    res = verify_kkt_exact(net, data)
    sys_ = kkt_system(net, data)
    s = {(i, j): t for i, j, t in res.subgradients}
    assert all(sys_.substitute(res.lambdas, s))
    assert not all(sys_.substitute(res.lambdas, {p: 0 for p in s}))
    tex = kkt_latex(net, data)
    assert tex.startswith("\\begin{aligned}") and "s_{1 0}" in tex and "\\lambda_{1}" in tex


# --- bad input (certify_kkt's own are in test_kkt.py) -------------------------------------


@pytest.mark.parametrize(
    ("net", "x", "y", "error", "message"),
    [
        (THETA0, [4, -4], [-1, 1], MisclassifiedError, "x[0] = 4 (margin -1)"),
        (Network([1], [0], [1]), [-1, 1], [1, 1], MisclassifiedError, "x[0] = -1 (margin 0)"),
        (THETA0, [float("nan"), 1.0], [1, 1], InvalidValueError, "x[0]: nan is not a finite"),
        (THETA0, [1, 2], [1], InvalidDataError, "same length; got 2 and 1"),
        (THETA0, [1, 2], [1, 0], InvalidDataError, "y[1] = 0 is not a label"),
        (THETA0, [1, 1], [1, -1], NotSeparableError, "x[0] = x[1] = 1 carry both labels"),
    ],
)
def test_bad_input_raises_specific_error(net, x, y, error, message):
    with pytest.raises(error) as info:
        verify_kkt_exact(net, x, y)
    assert message in str(info.value)


@pytest.mark.slow
def test_exact_n200_is_fast():
    import time

    net, data = kkt_instance(200, 200, exact=True, seed=1)
    t = time.perf_counter()
    res = verify_kkt_exact(net, data)
    assert res.is_kkt and time.perf_counter() - t < 30


@settings(max_examples=30)
@given(st.one_of(kkt_instances(), perturbed_kkt_instances()))
def test_exact_simplex_alone_decides_like_the_lp_guess(inst):
    # Without the floating-point guess, the exact Bland simplex must reach the same verdict
    # and its proof must pass the independent check.
    import pwl_kkt.kkt.exact as ex

    net, data = inst
    base = verify_kkt_exact(net, data)
    saved = ex._float_guess
    ex._float_guess = lambda *args: None
    try:
        res = verify_kkt_exact(net, data)
    finally:
        ex._float_guess = saved
    assert res.is_kkt == base.is_kkt
    if res.is_kkt:
        assert res.method == "exact-simplex"
        assert _substitution_holds(net, data, res)
    else:
        assert _farkas_holds(net, data, res)


# --- synthetic instances -------------------------------------------------------------------------


@pytest.mark.parametrize("family", ["clusters", "constant"])
def test_kkt_instance_is_kkt_by_construction(family):
    net, data = kkt_instance(12, 7, exact=True, seed=5, family=family)
    res = verify_kkt_exact(net, data)
    assert res.is_kkt and _substitution_holds(net, data, res)
    assert net.sq_norm / res.min_margin == 2 * res.lambda_sum


def test_constant_family_with_positive_x_is_not_kkt():
    net, data = kkt_instance(10, 4, exact=True, seed=2, family="constant", positive_only=True)
    res = verify_kkt_exact(net, data)
    assert not res.is_kkt and _farkas_holds(net, data, res)


def test_float_instance_with_noise_is_near_kkt():
    net, data = kkt_instance(300, 300, seed=0, noise=1e-9)
    cert = certify_kkt(net, data)
    # Relative parameter noise 1e-9 moves the residual by about 1e-9, far below kkt_tol 1e-6.
    assert cert.is_kkt and cert.eps < 1e-6
    net, data = kkt_instance(300, 300, seed=0, noise=1e-2)
    assert not certify_kkt(net, data).is_kkt  # noise 1e-2 leaves eps about 1e-2


def test_farkas_certificate_using_bound_multipliers():
    # Balanced neurons (so no single-neuron proof applies); neurons 0 and 2 kink exactly on
    # the support point x = -3/4, and the proof needs the bound mu_10 <= lambda_1.
    net = Network([-8, 0, -8], [-6, 1, -6], [-10, 1, 10])
    data = Dataset([-2, F(-3, 4), F(3, 4)], [1, 1, 1])
    res = verify_kkt_exact(net, data)
    assert res.zero_pairs == ((1, 0), (1, 2))
    assert not res.is_kkt and res.proof == "farkas" and res.farkas_z
    assert _farkas_holds(net, data, res) and res.recheck()
    # The bound weights are part of the proof: dropping them breaks it.
    stripped = dataclasses.replace(res, farkas_z=())
    assert not _farkas_holds(net, data, stripped) and not stripped.recheck()


# --- the grouped system decides like the full one ------------------------------------------------


def _full_system_is_feasible(net: Network, data: Dataset) -> bool:
    """Decide the per-neuron system (one row block per neuron, no grouping) exactly.

    Columns and rows come from :func:`_independent_system`; the exact phase-1 simplex of
    pwl_kkt.kkt.exact runs on all ``3k`` rows (its answer is checked by substitution or Farkas).
    """
    import pwl_kkt.kkt.exact as ex

    sys_ = ex._build_system(net.to_exact(), data)
    m, support, pairs, lam_cols, mu_cols, rhs = _independent_system(net, data)
    assert tuple(support) == sys_.support and sorted(pairs) == list(sys_.pairs)
    rows = sorted(rhs, key=lambda r: ("wbv".index(r[0]), r[1]))
    index = {r: a for a, r in enumerate(rows)}
    columns = [{index[r]: c for r, c in lam_cols[i].items() if c} for i in support]
    columns += [{index[r]: c for r, c in mu_cols[p].items() if c} for p in sys_.pairs]
    full = ex._Reduced(rows=tuple(("wbv".index(r[0]), r[1]) for r in rows),
                       rhs=tuple(rhs[r] for r in rows), columns=tuple(columns))
    u, y, z = ex._simplex_phase1(sys_, full, ex._independent_rows(full))
    return u is not None


@settings(max_examples=40, deadline=None)
@given(st.one_of(kkt_instances(), perturbed_kkt_instances(), rotated_kkt_instances()))
def test_grouped_verdict_equals_the_full_per_neuron_system(inst):
    # Neurons sharing an activation pattern and a direction share one row pair, and the
    # v-equations are implied by balance; the verdict must be the full system's.
    net, data = inst
    res = verify_kkt_exact(net, data)
    assert res.is_kkt == _full_system_is_feasible(net, data)
    assert res.recheck()
    assert (_substitution_holds if res.is_kkt else _farkas_holds)(net, data, res)


@settings(max_examples=30, deadline=None)
@given(rotated_kkt_instances())
def test_rotated_neurons_are_decided_by_the_solver_with_valid_proofs(inst):
    net, data = inst
    res = verify_kkt_exact(net, data)
    assert res.recheck()
    assert (_substitution_holds if res.is_kkt else _farkas_holds)(net, data, res)


def test_n2000_constant_family_with_farkas_proof_is_fast_enough_to_test():
    # n = k = 2000, every point a support point: one activation group, two rows.
    net, data = kkt_instance(2000, 2000, exact=True, seed=1, family="constant",
                             positive_only=True)
    res = verify_kkt_exact(net, data)
    assert not res.is_kkt and res.proof == "farkas" and res.recheck()
