"""The network and dataset on R^d: value semantics, exactness, agreement with d = 1."""

import pickle
import re
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

from .strategies import (
    exact_datasets_nd,
    exact_networks,
    exact_networks_nd,
    signed_zero_twins,
    small_rationals,
)


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


# --- held-out bad input (audit of the R^d model): each refused with the entry named ----------


@pytest.mark.parametrize(
    "w, b, v, exact, error, text",
    [
        # float networks used to pass these to numpy, which read True as 1.0, dropped the
        # imaginary part, or raveled a (k, 1) bias / a (1, d) row into another shape
        (np.array([[True, False]]), None, [1.0], False, InvalidValueError,
         "w[0][0]: True is a boolean"),
        (np.array([[1 + 1j, 2]]), None, [1.0], False, InvalidValueError, "w[0][0]: (1+1j)"),
        (np.array([[1.0, 2.0]]), None, np.array([1 + 1j]), None, InvalidValueError, "v[0]"),
        ([[[1, 2]]], None, [1], False, InvalidValueError, "w[0][0]: [1, 2] of type list"),
        (np.ones((2, 2)), np.zeros((2, 1)), np.ones(2), None, InvalidNetworkError,
         "b must be one-dimensional; got shape (2, 1)"),
        (np.ones((1, 2)), None, np.ones((1, 1)), None, InvalidNetworkError,
         "v must be one-dimensional; got shape (1, 1)"),
        ([np.ones((1, 2))], None, [1.0], False, InvalidNetworkError,
         "w[0] must be one-dimensional; got shape (1, 2)"),
        ([["1e400", 1]], None, [1], False, InvalidValueError, "w[0][0]: ~1e+400 overflows float64"),
        ([[10**400, 1]], None, [1], False, InvalidValueError, "w[0][0]: ~1e+400 overflows"),
        # a dict iterates over its keys and a set in no order: never the numbers meant
        ([[1, 2]], {0: 5}, [1], None, InvalidValueError, "b must be a sequence of numbers in"),
        ([[1, 2], [3, 4]], [0, 0], {1, 2}, None, InvalidValueError, "got a set"),
        ([[1, 2]], None, {0: 1}, False, InvalidValueError, "got a dict"),
    ],
)
def test_held_out_bad_networks(w, b, v, exact, error, text) -> None:
    with pytest.raises(error, match=re.escape(text)):
        NetworkNd(w, b, v, exact=exact)


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # np.matrix, on purpose
def test_numpy_matrix_rows_are_rows() -> None:
    w = np.matrix([[1.0, 2.0], [3.0, 4.0]])
    assert NetworkNd(w, None, np.ones(2)).w.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert DatasetNd(np.matrix([[1, 2]]), [1]).x == ((1, 2),)


@pytest.mark.skipif(np.finfo(np.longdouble).nmant <= 52, reason="long double is float64 here")
def test_long_doubles_are_their_exact_values() -> None:
    third = np.longdouble(1) / 3
    q = Fraction(*third.as_integer_ratio())
    assert q != Fraction(float(third))  # float64 would round it: the test can fail
    arr = np.array([[third, 1]], dtype=np.longdouble)
    net = NetworkNd(arr, None, np.array([1], dtype=np.longdouble))
    assert net.is_exact and net.w[0][0] == q  # not a float network: float64 would round
    assert NetworkNd([[third, 1]], None, [1]).w[0][0] == q
    assert DatasetNd(arr, [1]).x[0][0] == q


@pytest.mark.parametrize(
    "x, error, text",
    [
        ([[1, 2], [3]], InvalidValueError, "rows of d numbers of one length"),
        ({0: 1, 1: 2}, InvalidValueError, r"shape \(m, 2\) or \(2,\); got \(\)"),
        ([True, False], InvalidValueError, "got booleans"),
        (np.array([1 + 1j, 2]), InvalidValueError, "got complex numbers"),
        (np.array([None, 1.0], dtype=object), InvalidValueError, r"x\[0\]: None"),
        ([["1", "abc"]], InvalidValueError, r"x\[0\]\[1\]: cannot read 'abc'"),
        (np.zeros((1, 1, 2)), InvalidValueError, r"got \(1, 1, 2\)"),
        (np.array(["2020-01-01", "2020-01-02"], dtype="M8[D]"), InvalidValueError,
         "datetime64"),
    ],
)
def test_forward_pass_refuses_what_is_not_points(x, error, text) -> None:
    net = NetworkNd(np.array([[1.0, 0.0], [0.0, 1.0]]), None, np.array([1.0, -1.0]))
    with pytest.raises(error, match=text):
        net(x)


def test_forward_pass_reads_text_and_rationals_like_parameters() -> None:
    net = NetworkNd([[1, 0], [0, 1]], None, [1, -1]).to_float()
    assert net(["1/4", Fraction(1, 8)]) == 0.125
    assert net(np.array([["1/2", "0"], ["0", "0.5"]])).tolist() == [0.5, -0.5]


@pytest.mark.parametrize("a", ["abc", None, 1j, True, 10**400, float("nan")])
def test_scaling_a_float_network_names_a_bad_factor(a) -> None:
    for net in (NetworkNd(np.ones((1, 2)), None, np.ones(1)), Network([1.0], [0.0], [1.0])):
        net = net if isinstance(net, NetworkNd) else net.to_float()
        with pytest.raises(InvalidValueError, match="^a: "):
            net.scaled(a)
    assert NetworkNd(np.ones((1, 2)), None, np.ones(1)).scaled("1/4").w.tolist() == [[0.25, 0.25]]


@pytest.mark.parametrize(
    "order, text",
    [([0.5, 1], r"order\[0\] = 0.5 is not an integer"), (None, "got None"), ("01", "got '01'"),
     ([[0], [1]], r"order\[0\] = \[0\]"), ([True, 0], r"order\[0\] = True"), ({0, 1}, "{0, 1}")],
)
def test_permutations_must_be_integers(order, text) -> None:
    # int(0.5) == 0 used to turn [0.5, 1] quietly into [0, 1]
    for net in (NetworkNd([[1], [2]], None, [3, 4]), Network([1, 2], [0, 0], [3, 4])):
        with pytest.raises(InvalidNetworkError, match=text):
            net.permuted(order)
    assert NetworkNd([[1], [2]], None, [3, 4]).permuted(np.array([1, 0])).v == (4, 3)


@given(signed_zero_twins())
def test_equal_networks_hash_equal_whatever_the_sign_of_their_zeros(twins) -> None:
    net, twin = twins
    assert net == twin and hash(net) == hash(twin)
    assert net.to_exact() == twin.to_exact() and hash(net.to_exact()) == hash(twin.to_exact())
    if net.d == 1 and net.has_bias:
        uni, uni_twin = net.to_univariate(), twin.to_univariate()
        assert uni == uni_twin and hash(uni) == hash(uni_twin)


@pytest.mark.parametrize(
    "x, y, exact, error, text",
    [
        # float datasets used to go through numpy: True as 1.0, 1j dropped, a depth-3 list
        # read as n points in R^1 (a wrong answer), "1/3" or 10**400 a bare ValueError
        (np.array([[True, False]]), [1], False, InvalidValueError, r"x\[0\]\[0\]: True"),
        (np.array([[1j, 1]]), [1], False, InvalidValueError, r"x\[0\]\[0\]: 1j"),
        ([[[1, 2]]], [1], False, InvalidValueError, r"x\[0\]\[0\]: \[1, 2\] of type list"),
        ([[10**400, 0.5]], [1], False, InvalidValueError, r"x\[0\]\[0\]: ~1e\+400 overflows"),
        ([[1, 2], [3, 4]], {1: 0, -1: 0}, None, InvalidDataError, "labels in order; got a dict"),
        ([[1, 2], [3, 4]], {1, -1}, None, InvalidDataError, "got a set"),
        (np.zeros((2, 2, 1)), [1, 1], False, InvalidDataError, r"got shape \(2, 2, 1\)"),
    ],
)
def test_held_out_bad_data(x, y, exact, error, text) -> None:
    with pytest.raises(error, match=text):
        DatasetNd(x, y, exact=exact)


def test_float_data_from_text_and_rationals_are_rounded() -> None:
    data = DatasetNd([["1/4", Fraction(1, 2)], [1, 0.75]], [1, -1], exact=False)
    assert data.x.tolist() == [[0.25, 0.5], [1.0, 0.75]]
