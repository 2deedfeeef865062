"""The network and dataset value objects, and their input validation."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import given

from pwl_kkt import (
    Dataset,
    InvalidDataError,
    InvalidNetworkError,
    InvalidValueError,
    Network,
    NotSeparableError,
)

from .strategies import exact_networks, positive_rationals


def test_accepts_every_documented_number_kind():
    net = Network([1, 0.5, Fraction(1, 3), sympy.Rational(2, 7), "1/3", "0.1"], [0] * 6, [1] * 6)
    assert net.w == (
        1,
        Fraction(1, 2),
        Fraction(1, 3),
        Fraction(2, 7),
        Fraction(1, 3),
        Fraction(1, 10),
    )
    assert net.is_exact


def test_floats_are_their_dyadic_values():
    net = Network(np.array([0.1]), np.array([0.0]), np.array([1.0]))
    assert not net.is_exact
    assert net.to_exact().w[0] == Fraction(0.1) != Fraction(1, 10)
    assert net.to_exact().to_float() == net


def test_repr_prints_exact_values_and_round_trips():
    net = Network(["-1/3", 2], [0, "5/2"], [1, -1])
    assert repr(net) == "Network(w=['-1/3', '2'], b=['0', '5/2'], v=['1', '-1'])"
    assert eval(repr(net)) == net
    fnet = net.to_float()
    assert eval(repr(fnet)) == fnet


def test_evaluation_exact_and_float():
    net = Network([1, -1], ["1/2", 0], [1, 2])
    assert net.exact_value("-1/4") == Fraction(1, 4) + Fraction(1, 2)
    assert net(np.array([-0.25, 1.0])) == pytest.approx([0.75, 1.5])
    assert isinstance(net(0.0), float)


@given(exact_networks(), positive_rationals)
def test_scaling_is_two_homogeneous(net, a):
    assert net.scaled(a).exact_value(Fraction(1, 3)) == a * a * net.exact_value(Fraction(1, 3))
    assert net.scaled(a).sq_norm == a * a * net.sq_norm


def test_norm_and_theta():
    net = Network([1, 2], [0, 1], [3, "1/2"])
    assert net.sq_norm == 1 + 4 + 0 + 1 + 9 + Fraction(1, 4)
    assert net.theta() == (1, 2, 0, 1, 3, Fraction(1, 2))
    assert Network.from_theta(net.theta()) == net
    fl = net.to_float()
    assert fl.sq_norm == pytest.approx(15.25) and fl.sq_norm_exact() == Fraction(61, 4)


def test_immutable_and_hashable():
    net = Network([1], [0], [1])
    with pytest.raises(AttributeError):
        net.w = (2,)
    assert len({net, Network(["1"], ["0"], ["1"])}) == 1


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        (([float("nan")], [0], [1]), InvalidValueError, r"w\[0\]: nan is not a finite number"),
        (([1], [0, float("inf")], [1, 1]), InvalidValueError, r"b\[1\]: inf"),
        (([1], ["abc"], [1]), InvalidValueError, r"b\[0\]: cannot read 'abc'"),
        (([1, 2], [0], [1]), InvalidNetworkError, "same length; got 2, 1 and 1"),
        (([], [], []), InvalidNetworkError, "at least one neuron"),
        (
            ([1], [0], [sympy.sqrt(2)]),
            InvalidValueError,
            r"v\[0\]: sqrt\(2\) is not an exact rational",
        ),
        (([True], [0], [1]), InvalidValueError, "boolean"),
        (("12", [0], [1]), InvalidValueError, "must be a sequence"),
    ],
)
def test_bad_network_input(args, error, message):
    with pytest.raises(error, match=message):
        Network(*args)


def test_bad_float_network_input():
    with pytest.raises(InvalidValueError, match=r"v\[2\]: nan"):
        Network(np.zeros(3), np.zeros(3), np.array([1.0, 2.0, np.nan]))
    with pytest.raises(InvalidNetworkError, match="one-dimensional"):
        Network(np.zeros((2, 2)), np.zeros(2), np.zeros(2))


@pytest.mark.parametrize(
    ("x", "y", "error", "message"),
    [
        ([], [], InvalidDataError, "empty"),
        ([1, 2], [1], InvalidDataError, "same length; got 2 and 1"),
        ([1, 2], [1, 0], InvalidDataError, r"y\[1\] = 0 is not a label"),
        ([1, 2], [1, "yes"], InvalidDataError, r"y\[1\] = 'yes' is not a label"),
        ([1, float("nan")], [1, 1], InvalidValueError, r"x\[1\]: nan"),
        (np.array([1.0, np.inf]), [1, 1], InvalidValueError, r"x\[1\]: inf"),
    ],
)
def test_bad_data_input(x, y, error, message):
    with pytest.raises(error, match=message):
        Dataset(x, y)


def test_conflicting_duplicate_labels():
    Dataset([1, 1, 2], [1, 1, -1]).require_separable()
    with pytest.raises(NotSeparableError, match=r"x\[0\] = x\[2\] = 1/3 carry both labels"):
        Dataset(["1/3", 2, "2/6"], [1, 1, -1]).require_separable()


def test_float_separability_check_agrees_with_the_exact_one():
    x = np.array([0.5, -0.0, 3.0, 0.0, 0.5])
    Dataset(x, [1, -1, 1, -1, 1]).require_separable()  # -0.0 and 0.0 share their label
    with pytest.raises(NotSeparableError, match=r"x\[0\] = x\[4\] = 1/2 carry both labels"):
        Dataset(x, [1, -1, 1, -1, -1]).require_separable()
    with pytest.raises(NotSeparableError, match=r"x\[1\] = x\[3\] = 0 carry both labels"):
        Dataset(x, [1, 1, 1, -1, 1]).require_separable()


def test_numpy_labels_are_checked_as_arrays():
    assert Dataset(np.array([1.0, 2.0]), np.array([1.0, -1.0])).y.tolist() == [1, -1]
    with pytest.raises(InvalidDataError, match=r"y\[1\] = 0.5 is not a label"):
        Dataset(np.array([1.0, 2.0]), np.array([1.0, 0.5]))
    with pytest.raises(InvalidDataError, match="one-dimensional"):
        Dataset(np.array([1.0, 2.0]), np.ones((2, 1)))


# --- value objects travel: pickle, a process pool, a Dask cluster -----------------------------


@pytest.fixture(scope="module")
def value_objects() -> dict[str, object]:
    """One instance of every public value type, on a three-point problem."""
    import pwl_kkt as p

    data = p.Dataset([-2, 2, "1/2"], [1, 1, -1])
    opt = p.global_max_margin(data)
    net = opt.network
    regions = p.linear_regions(net)
    _, history = p.train(net.to_float(), data, steps=5, progress=False)
    return {
        "Network": net,
        "float Network": net.to_float(),
        "Dataset": data,
        "float Dataset": p.Dataset(np.array([-2.0, 2.0, 0.5]), [1, 1, -1]),
        "MaxMarginOptimum": opt,
        "LinearRegions": regions,
        "Region": regions.regions[0],
        "PiecewiseLinear": p.piecewise_linear(net),
        "KKTCertificate": p.certify_kkt(net, data),
        "ExactKKTResult": p.verify_kkt_exact(net, data),
        "GlobalCertificate": p.certify_global(net, data),
        "MarginReport": p.margin_report(net, data),
        "TrainingHistory": history,
        "TeacherStudent": p.teacher_student_setup(1, 6, 3, seed=0),
    }


def _same(a: object, b: object) -> bool:
    """Value equality; through ``to_dict`` where a field may be NaN (NaN != NaN)."""
    if hasattr(a, "to_dict"):
        return type(a) is type(b) and a.to_dict() == b.to_dict()
    return a == b


def _echo(obj: object) -> object:
    return obj


def test_value_objects_pickle_round_trip(value_objects):
    import pickle

    for name, obj in value_objects.items():
        back = pickle.loads(pickle.dumps(obj))
        assert _same(back, obj), name
    net = pickle.loads(pickle.dumps(value_objects["float Network"]))
    with pytest.raises(ValueError, match="read-only"):
        net.w[0] = 1.0  # unpickled arrays are as read-only as the originals


def test_value_objects_cross_a_process_pool(value_objects):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        names = list(value_objects)
        for name, back in zip(names, pool.map(_echo, [value_objects[n] for n in names])):
            assert _same(back, value_objects[name]), name


@pytest.mark.slow  # starting a cluster of worker processes takes several seconds
def test_value_objects_cross_a_dask_cluster(value_objects):
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        names = list(value_objects)
        futures = client.map(_echo, [value_objects[n] for n in names], pure=False)
        for name, back in zip(names, client.gather(futures)):
            assert _same(back, value_objects[name]), name


def test_values_past_pythons_digit_limit_print():
    """``str`` refuses ints over 4300 digits; exact text of a Network does not."""
    net = Network([10**5000], [Fraction(-1, 3 * 10**5000)], [1])
    w, b, _ = repr(net).split(", ", 2)
    assert w == "Network(w=['1" + "0" * 5000 + "']" and b == "b=['-1/3" + "0" * 5000 + "']"
