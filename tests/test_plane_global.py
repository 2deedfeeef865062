"""Global optimality of networks on the plane (issue 12): proof by weak duality with the exact
``max |G|`` on S^2, refutation by an exactly checked improving network, or inconclusive.

Cross-check: data on a line of the plane is the one-dimensional problem (a second input weight
only adds to the norm), so the planar verdicts must agree with the univariate code.
"""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings

from pwl_kkt import Dataset, DatasetNd, NetworkNd, certify_global
from pwl_kkt.duality.globalopt_plane import certify_global_2d
from pwl_kkt.duality.optimum_plane import exact_margins_2d
from tests.strategies import labelled_networks


def _embedded(net, data):
    w, b, v = net.fractions()
    return (NetworkNd([[t, 0] for t in w], b, v, exact=True),
            DatasetNd([[t, 0] for t in data.x_exact], data.y))


def test_bias_neuron_for_one_point_is_proved_optimal():
    c = certify_global_2d(NetworkNd([[0, 0]], [1], [1]), [[0, 0]], [1])
    assert c.is_global is True and c.proof == "weak-duality" and c.dual.max_sq == 1


def test_example_1_on_a_line_is_refuted_by_an_exact_improving_network():
    data = DatasetNd([[4, 0], [-4, 0]], [1, 1])
    c = certify_global_2d(NetworkNd([[0, 0]], [1], [1]), data)
    assert c.is_global is False and c.proof == "improving-network"
    assert c.dual.max_sq == Fraction(17, 4)
    assert min(exact_margins_2d(c.improving, data)) >= 1
    assert c.improving.sq_norm_exact() / 2 == c.improving_value < c.value == 1


@given(labelled_networks(max_width=3, max_size=4))
@settings(max_examples=15, deadline=None)
def test_planar_verdict_agrees_with_the_univariate_one(pair):
    net, data = pair
    one = certify_global(net, data)
    two = certify_global_2d(*_embedded(net, data))
    if one.is_global is not None and two.is_global is not None:
        assert one.is_global == two.is_global, (one.reason, two.reason)
    if two.is_global is False and two.improving is not None:
        emb = DatasetNd([[t, 0] for t in data.x_exact], data.y)
        assert min(exact_margins_2d(two.improving, emb)) >= 1
        assert two.improving_value < two.value


def test_dispatch_and_dimension_errors():
    import pytest

    from pwl_kkt import InvalidDataError

    c = certify_global(NetworkNd([[0, 0]], [1], [1]), DatasetNd([[0, 0]], [1]))
    assert c.proof == "weak-duality"
    with pytest.raises(InvalidDataError, match=r"d = 2\); got d = 1"):
        certify_global_2d(NetworkNd([[0, 0]], [1], [1]), Dataset([0], [1]))
    with pytest.raises(InvalidDataError, match="got d = 3"):
        certify_global_2d(NetworkNd([[0, 0, 1]], [1], [1]), [[0, 0]], [1])
