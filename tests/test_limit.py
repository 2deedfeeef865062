"""The limit of gradient flow computed (kkt_limit) and proven (prove_kkt_point).

Numerical checks state their tolerance: a float solution of the reduced system is accurate
to a few ulps of its entries (|F| <= 1e-11 after Newton), so float comparisons use 1e-12
relative; proven statements are compared exactly or against the proven radius.
"""

from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np
import pytest
from flint import arb, ctx

from pwl_kkt import (
    InvalidValueError,
    MisclassifiedError,
    Network,
    NotSeparableError,
    count_regions,
    kkt_instance,
    kkt_limit,
    prove_kkt_point,
    teacher_student_setup,
    train,
    verify_kkt_exact,
)

EX1 = (Network([0, 0], [1, 0], [1, 0]), [4, -4], [1, 1])


def test_example_1_reduced_solution_is_half_half_and_c_one():
    net = Network(np.array([0.0, 0.0]), np.array([1.0, 0.0]), np.array([1.0, 0.0]))
    lim = kkt_limit(net, [4, -4], [1, 1], prove=True)
    assert lim.converged and lim.angle == 0.0
    (group,) = lim.groups
    assert group.pattern == (0, 1) and group.sign == 1
    assert abs(group.c - 1) <= 1e-12 and np.allclose(lim.lambdas, [0.5, 0.5], rtol=0, atol=1e-12)
    proof = lim.proof
    assert proof.proven and proof.exact and proof.regions == 1
    assert proof.lambdas == (0.5, 0.5)  # the exact rational solution, found and checked


def test_exact_kkt_input_is_returned_unchanged():
    lim = kkt_limit(*EX1)
    assert lim.angle == 0.0 and lim.network == EX1[0]  # min margin 1: exactly the input
    net, data = kkt_instance(12, 6, exact=True, seed=3)
    lim = kkt_limit(net, data)
    assert lim.angle == 0.0 and lim.converged
    scale = math.sqrt(float(verify_kkt_exact(net, data).min_margin))
    assert np.allclose(np.concatenate(lim.network.arrays()),
                       np.concatenate(net.to_float().arrays()) / scale, rtol=1e-15, atol=0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_proofs_agree_with_verify_kkt_exact_on_exact_instances(seed):
    for net, data in [
        kkt_instance(10, 6, exact=True, seed=seed),
        kkt_instance(6, 4, exact=True, seed=seed, family="constant"),
    ]:
        exact = verify_kkt_exact(net, data)
        proof = prove_kkt_point(net, data)
        assert exact.is_kkt and proof.proven, proof.reason
        assert proof.recheck()
        assert proof.regions == count_regions(net)  # the input is its own KKT point


def test_degenerate_kinks_on_support_points_agree_with_exact():
    # |x| - 1 with both kinks on the support point x = 0 (Clarke weights 1/4)
    net = Network([1, -1, 0], [0, 0, 1], [1, 1, -1])
    data = ([-2, 0, 2], [1, -1, 1])
    assert verify_kkt_exact(net, *data).is_kkt
    proof = prove_kkt_point(net, *data)
    assert proof.proven and "kink(s) on support points" in proof.reason
    assert proof.regions == count_regions(net) == 2


def test_proven_radius_contains_the_exact_point():
    net, data = kkt_instance(20, 8, exact=True, seed=5)
    m = verify_kkt_exact(net, data).min_margin
    proof = prove_kkt_point(net.to_float(), data)
    assert proof.proven
    old = ctx.prec
    ctx.prec = 200
    try:
        inv = 1 / (arb(m.numerator) / arb(m.denominator)).sqrt()
        dist2 = arb(0)
        for exact, center in zip(net.theta(), proof.network.theta()):
            d = arb(exact.numerator) / arb(exact.denominator) * inv - arb(float(center))
            dist2 += d * d
        assert not (dist2.sqrt() > arb(proof.radius))  # the exact point is inside the ball
    finally:
        ctx.prec = old
    for i in proof.support:  # lambda = 3/5 on both support points (unique multipliers)
        assert abs(Fraction(proof.lambdas[i]) - Fraction(3, 5)) <= Fraction(proof.radius_z)


def test_not_kkt_and_degenerate_points_are_not_proven_with_a_reason():
    proof = prove_kkt_point(Network([0], [1], [1]), [1, 2], [1, 1])  # would need lambda < 0
    assert not proof.proven and "not a KKT point" in proof.reason and proof.radius == math.inf
    net, data = kkt_instance(10, 6, noise=1e-3, seed=0)  # near, but not at, a KKT point
    proof = prove_kkt_point(net, data)
    assert not proof.proven and "not a KKT point" in proof.reason
    proof = prove_kkt_point(Network([1], [0], [1]), [1, -2], [1, 1])  # misclassifies x = -2
    assert not proof.proven and proof.reason.startswith("not separable")
    assert proof.recheck()


def test_limit_of_a_perturbed_kkt_point_is_proven_with_tiny_eps():
    net, data = kkt_instance(200, 60, noise=0.05, seed=2)
    lim = kkt_limit(net, data, prove=True)
    assert lim.converged and lim.eps <= 1e-9 and lim.delta <= 1e-9
    assert lim.angle > 0 and lim.sq_norm_after <= lim.sq_norm_before
    # The float network's neurons of one group kink at float-rounded copies of one location
    # (an exact count sees ~one breakpoint per neuron); the proven exact point has one kink
    # per group. Clustering at relative distance 1e-9 (rounding is ~1e-16) sees the same.
    assert lim.proof.proven and lim.proof.regions == count_regions(lim.network, tol=1e-9)
    assert count_regions(lim.network) > lim.proof.regions
    json.dumps(lim.to_dict())


def test_limit_of_a_briefly_trained_student_is_proven():
    setup = teacher_student_setup(2, 40, 30, seed=0)
    net, _ = train(setup.init, setup.data, steps=3000, lr=0.05, progress=False)
    lim = kkt_limit(net, setup.data, prove=True)
    assert lim.converged and lim.eps <= 1e-9
    assert lim.proof.proven and lim.proof.regions == 3, lim.proof.reason
    assert lim.proof.recheck()


def test_bad_input_raises_the_package_errors():
    with pytest.raises(MisclassifiedError):
        kkt_limit(Network([1], [0], [1]), [1, -2], [1, 1])
    with pytest.raises(NotSeparableError):
        kkt_limit(Network([0], [1], [1]), [1, 1], [1, -1])
    with pytest.raises(NotSeparableError):
        prove_kkt_point(Network([0], [1], [1]), [1, 1], [1, -1])
    with pytest.raises(InvalidValueError):
        kkt_limit(Network([0], [1], [1]), [float("nan"), 1], [1, 1])
    with pytest.raises(InvalidValueError):
        prove_kkt_point(*EX1, support_tol=float("nan"))


def test_cli_limit_json_and_out(run_cli, tmp_path):
    from pwl_kkt import load_network, save_data, save_network

    setup = teacher_student_setup(1, 20, 12, seed=1)
    net, _ = train(setup.init, setup.data, steps=1000, lr=0.05, progress=False)
    save_network(net, tmp_path / "net.json")
    save_data(setup.data, tmp_path / "data.json")
    out = tmp_path / "lim.json"
    status, stdout, _ = run_cli("limit", str(tmp_path / "net.json"), str(tmp_path / "data.json"),
                                "--json", "--out", str(out))
    assert status == 0
    d = json.loads(stdout)
    for key in ("proven", "regions", "regions_range", "eps", "radius", "angle", "sq_norm",
                "seconds"):
        assert key in d
    assert isinstance(d["proven"], bool)
    assert load_network(out).width == 12
    status, _, stderr = run_cli("limit", str(tmp_path / "net.json"), str(tmp_path / "no.json"))
    assert status == 2 and stderr.count("\n") == 1


def test_a_kkt_point_with_a_zero_multiplier_is_reported_not_proven():
    # theta = constant 1 on x = 0, 1 (both labelled +1): a KKT point (lambda = (1, 0)) whose
    # second multiplier is exactly 0 -- degenerate: balls cannot prove lambda_2 >= 0.
    net, data = Network([0], [1], [1]), ([0, 1], [1, 1])
    assert verify_kkt_exact(net, *data).lambdas == (1, 0)
    proof = prove_kkt_point(net, *data)
    assert not proof.proven and "multiplier" in proof.reason
