"""The network and dataset on R^d: value semantics, exactness, agreement with d = 1."""

import pickle
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pwl_kkt import (
    Dataset,
    DatasetNd,
    InvalidDataError,
    InvalidNetworkError,
    InvalidValueError,
    Network,
    NetworkNd,
    NotSeparableError,
)

from .strategies import exact_datasets_nd, exact_networks, exact_networks_nd, small_rationals


@given(exact_networks_nd())
def test_float_round_trip_and_pickle(net: NetworkNd) -> None:
    assert net.to_float().to_exact() == net.to_float().to_exact().to_float().to_exact()
    assert pickle.loads(pickle.dumps(net)) == net
    assert pickle.loads(pickle.dumps(net.to_float())) == net.to_float()
    assert eval(repr(net), {"NetworkNd": NetworkNd}) == net  # exact repr rebuilds the value


@given(exact_networks_nd(), st.data())
def test_exact_value_matches_float_and_scaling(net: NetworkNd, data: st.DataObject) -> None:
    x = data.draw(st.lists(small_rationals, min_size=net.d, max_size=net.d))
    exact = net.exact_value(x)
    assert net.scaled(3).exact_value(x) == 9 * exact  # N_{a theta} = a^2 N_theta, a > 0
    approx = net(np.array([float(q) for q in x]))
    # float64 forward pass: relative rounding ~1e-16 per operation on terms bounded by
    # |v| (|w| |x| + |b|); 1e-12 of that bound leaves a wide margin for k, d <= 5.
    size = sum(abs(float(q)) for row in net.w for q in row) * (1 + max(abs(float(q)) for q in x))
    bound = (1 + size + sum(abs(float(q)) for q in net.fractions()[1]))
    assert abs(approx - float(exact)) <= 1e-12 * bound * (1 + sum(abs(float(q)) for q in net.v))


@given(exact_networks_nd(), st.data())
def test_permutation_keeps_function_and_norm(net: NetworkNd, data: st.DataObject) -> None:
    order = data.draw(st.permutations(range(net.width)))
    x = data.draw(st.lists(small_rationals, min_size=net.d, max_size=net.d))
    other = net.permuted(order)
    assert other.exact_value(x) == net.exact_value(x)
    assert other.sq_norm == net.sq_norm


@given(exact_networks())
def test_univariate_conversion_is_exact(net: Network) -> None:
    nd = NetworkNd.from_univariate(net)
    assert nd.d == 1 and nd.to_univariate() == net
    assert nd.sq_norm == net.sq_norm
    for x in (Fraction(-3, 2), Fraction(0), Fraction(5, 3)):
        assert nd.exact_value([x]) == net.exact_value(x)
    assert NetworkNd.from_univariate(net.to_float()).to_univariate() == net.to_float()


@given(exact_datasets_nd(d=2))
def test_dataset_round_trips(data: DatasetNd) -> None:
    assert pickle.loads(pickle.dumps(data)) == data
    assert DatasetNd(np.array(data.x_float), data.y).x_float.tolist() == data.x_float.tolist()


def test_no_bias_norm_and_theta() -> None:
    net = NetworkNd([[1, 2], [3, 4]], None, [5, 6])
    assert net.sq_norm == 1 + 4 + 9 + 16 + 25 + 36
    assert net.theta() == tuple(Fraction(t) for t in (1, 2, 3, 4, 5, 6))
    # the bias option is part of the value
    assert net != NetworkNd([[1, 2], [3, 4]], [0, 0], [5, 6])


@pytest.mark.parametrize(
    "w, b, v, error, text",
    [
        ([[1, 2], [1]], None, [1, 1], InvalidNetworkError, "w[1] has 1 entries"),
        ([[1, "nan"]], None, [1], InvalidValueError, "w[0]"),
        ([[1, 2]], [0, 0], [1], InvalidNetworkError, "b must have one entry per row"),
        ([[]], None, [1], InvalidNetworkError, "d must be at least 1"),
        ([], None, [], InvalidNetworkError, "width 0"),
        ("12", None, [1], InvalidNetworkError, "sequence of rows"),
    ],
)
def test_bad_networks_name_the_entry(w, b, v, error, text) -> None:
    with pytest.raises(error, match=text.replace("[", r"\[").replace("]", r"\]")):
        NetworkNd(w, b, v)


def test_float_network_names_the_non_finite_entry() -> None:
    with pytest.raises(InvalidValueError, match=r"w\[1\]\[0\]: inf"):
        NetworkNd(np.array([[1.0, 2.0], [np.inf, 0.0]]), None, np.array([1.0, 1.0]))


@pytest.mark.parametrize(
    "x, y, error, text",
    [
        ([[0, 1], [2]], [1, 1], InvalidDataError, r"x\[1\] has 1 coordinates"),
        ([[0, 1]], [0], InvalidDataError, r"y\[0\] = 0 is not a label"),
        ([[0, "inf"]], [1], InvalidValueError, r"x\[0\]"),
        ([[0, 1]], [1, 1], InvalidDataError, "same length"),
        ([], [], InvalidDataError, "empty"),
    ],
)
def test_bad_data_name_the_entry(x, y, error, text) -> None:
    with pytest.raises(error, match=text):
        DatasetNd(x, y)


def test_conflicting_duplicates_are_named() -> None:
    with pytest.raises(NotSeparableError, match=r"x\[0\] = x\[2\]"):
        DatasetNd([[1, 2], [0, 0], ["1", "2.0"]], [1, 1, -1]).require_separable()
    float_data = DatasetNd(np.array([[0.5, 1.0], [0.5, 1.0]]), [1, -1])
    with pytest.raises(NotSeparableError):
        float_data.require_separable()


def test_dataset_univariate_conversion() -> None:
    d1 = Dataset(["1/3", 2], [1, -1])
    assert DatasetNd.from_univariate(d1).to_univariate() == d1
    with pytest.raises(InvalidDataError, match="d = 2"):
        DatasetNd([[1, 2]], [1]).to_univariate()
