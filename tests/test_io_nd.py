"""Networks and data on R^d in files and in PyTorch: exact round trips and named errors."""

from __future__ import annotations

import contextlib
import io
import json
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pwl_kkt import (
    Dataset,
    DatasetNd,
    FileFormatError,
    InvalidDataError,
    InvalidNetworkError,
    InvalidValueError,
    Network,
    NetworkNd,
    check_dimensions,
    load_data,
    load_network,
    network_from_torch,
    network_to_torch,
    save_data,
    save_network,
)
from pwl_kkt.cli import main

from .strategies import exact_datasets_nd, exact_networks_nd, float_networks_nd

tmp_settings = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
dims = st.sampled_from([2, 3])


def _bits(net: NetworkNd) -> tuple[bytes, ...]:
    """The float64 bit patterns of a float network (``==`` does not tell -0.0 from 0.0)."""
    w, b, v = net.arrays()
    return (w.tobytes(), b.tobytes() if net.has_bias else b"", v.tobytes(), bytes([net.has_bias]))


# --- files: JSON, npz, CSV ------------------------------------------------------------------------


@tmp_settings
@given(dims.flatmap(lambda d: exact_networks_nd(d=d)))
def test_json_round_trip_exact(tmp_path, net):
    save_network(net, tmp_path / "n.json")
    back = load_network(tmp_path / "n.json")
    assert isinstance(back, NetworkNd) and back.is_exact and back == net


@tmp_settings
@given(dims.flatmap(lambda d: float_networks_nd(d=d)))
def test_float_round_trips_are_bit_exact(tmp_path, net):
    for name in ("n.json", "n.npz"):
        save_network(net, tmp_path / name)
        back = load_network(tmp_path / name)
        assert isinstance(back, NetworkNd) and not back.is_exact
        assert back == net and _bits(back) == _bits(net), name


@tmp_settings
@given(dims.flatmap(lambda d: exact_datasets_nd(d=d)))
def test_data_round_trip(tmp_path, data):
    for name in ("d.json", "d.csv"):
        save_data(data, tmp_path / name)
        back = load_data(tmp_path / name)
        assert isinstance(back, DatasetNd) and back == data, name


def test_rows_mark_the_class_so_univariate_files_read_as_before(tmp_path):
    path = tmp_path / "n.json"
    path.write_text('{"w": [1, "1/3"], "b": [0, 1], "v": [2, -1]}')
    assert load_network(path) == Network([1, "1/3"], [0, 1], [2, -1])
    path.write_text('{"w": [[1], ["1/3"]], "b": [0, 1], "v": [2, -1]}')  # rows: R^1
    net = load_network(path)
    assert net == NetworkNd([[1], ["1/3"]], [0, 1], [2, -1])
    assert net.to_univariate() == Network([1, "1/3"], [0, 1], [2, -1])
    save_network(net, path)
    assert load_network(path) == net  # the writer keeps the rows
    data = tmp_path / "d.csv"
    data.write_text("x,y\n1,1\n")
    assert load_data(data) == Dataset([1], [1])
    data.write_text("x1,y\n1,1\n")
    assert load_data(data) == DatasetNd([[1]], [1])


def test_json_rows_are_exact_decimals_and_b_may_be_absent_or_null(tmp_path):
    path = tmp_path / "n.json"
    for b in ("", ', "b": null'):
        path.write_text('{"w": [[0.1, 1e-300], ["-1/3", 2]]' + b + ', "v": [1, 2.5]}')
        net = load_network(path)
        assert net.w == ((Fraction(1, 10), Fraction(1, 10**300)), (Fraction(-1, 3), Fraction(2)))
        assert not net.has_bias and net.v == (1, Fraction(5, 2))
    save_network(net, path)
    assert json.loads(path.read_text())["b"] is None


def test_float64_json_of_rows(tmp_path):
    net = NetworkNd(np.array([[0.1, -0.0], [5e-324, 1.7976931348623157e308]]), None,
                    np.array([1.0, -2.0]))
    save_network(net, tmp_path / "n.json")
    obj = json.loads((tmp_path / "n.json").read_text())
    assert obj["format"] == "float64" and obj["w"][0] == [0.1, -0.0] and obj["b"] is None
    assert _bits(load_network(tmp_path / "n.json")) == _bits(net)


def test_npz_of_rows(tmp_path):
    path = tmp_path / "n.npz"
    np.savez(path, w=np.array([[1.0, 0.5]]), v=np.array([2.0]))  # no b: no hidden biases
    assert load_network(path) == NetworkNd(np.array([[1.0, 0.5]]), None, np.array([2.0]))
    big = 2**53 + 1  # integers that float64 would round make the network exact
    np.savez(path, w=np.array([[big, 1]]), b=np.array([0.5]), v=np.array([1]))
    net = load_network(path)
    assert net.is_exact and net.w == ((Fraction(big), Fraction(1)),) and net.b == (Fraction(1, 2),)
    save_network(NetworkNd([[1, "1/4"]], None, [1]), path)
    assert set(np.load(path).files) == {"w", "v"}
    with pytest.raises(InvalidNetworkError, match=r"w\[0\]\[1\] = 1/3 is not exactly a float64"):
        save_network(NetworkNd([[1, "1/3"]], [0], [1]), tmp_path / "bad.npz")
    assert not (tmp_path / "bad.npz").exists()


def test_csv_columns_in_any_order_other_columns_ignored(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("id, X2 ,y,x1\na,0.5,1,-1/3\nb,2,-1,0\n")
    data = load_data(path)
    assert data.x == ((Fraction(-1, 3), Fraction(1, 2)), (Fraction(0), Fraction(2)))
    assert data.y.tolist() == [1, -1]


# --- bad files ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "error", "message"),
    [
        ("n.json", '{"w": [[1, 2], [3]], "v": [1, 1]}', InvalidNetworkError,
         r"n.json: w\[1\] has 1 entries but w\[0\] has 2"),
        ("n.json", '{"w": [[1, 2], 3], "v": [1, 1]}', InvalidNetworkError,
         r"w\[1\] must be a row of d numbers"),
        ("n.json", '{"w": [[1, 2]], "b": [0, 1], "v": [1]}', InvalidNetworkError,
         "b must have one entry per row of w; got 2 for 1 rows"),
        ("n.json", '{"w": [[1, 2]], "b": 0, "v": [1]}', FileFormatError,
         "'b' must be a list or null, got a number"),
        ("n.json", '{"w": [[1, NaN]], "v": [1]}', FileFormatError, "NaN is not a finite"),
        ("n.json", '{"w": [[1, "nan"]], "v": [1]}', InvalidValueError,
         r"w\[0\]\[1\]: 'nan' is not a finite number"),
        ("n.json", '{"w": [[1, [2]]], "v": [1]}', InvalidValueError, r"w\[0\]\[1\]: \['2'\]"),
        ("n.json", '{"w": [[]], "v": [1]}', InvalidNetworkError, "d must be at least 1"),
        ("n.json", '{"w": [[1, 2]]}', FileFormatError, "missing key 'v'"),
        ("n.json", '{"format": "float64", "w": [[1.5, 2], [1]], "v": [1, 1]}',
         InvalidNetworkError, r"w\[1\] has 1 entries"),
        ("n.json", '{"format": "float64", "w": [[1.5, "2"]], "v": [1]}', InvalidValueError,
         r"w\[0\]\[1\]: '2' is not a JSON number"),
        ("n.json", '{"format": "float64", "w": [[1.5, 1e999]], "v": [1]}', InvalidValueError,
         r"w\[0\]\[1\]: '1e999' overflows float64"),
        ("d.json", '{"x": [[1, 2], [3]], "y": [1, 1]}', InvalidDataError,
         r"d.json: x\[1\] has 1 coordinates but x\[0\] has 2"),
        ("d.json", '{"x": [[1, "nan"]], "y": [1]}', InvalidValueError, r"x\[0\]\[1\]: 'nan'"),
        ("d.json", '{"x": [[1, 2]], "y": [2]}', InvalidDataError, r"y\[0\] = '2' is not a label"),
        ("d.csv", "x1,x3,y\n1,2,1\n", FileFormatError, "names x3 but not x2"),
        ("d.csv", "x2,y\n1,1\n", FileFormatError, "names x2 but not x1"),
        ("d.csv", "x1,x1,y\n1,2,1\n", FileFormatError, "column x1 appears twice"),
        ("d.csv", "x0,x1,y\n1,2,1\n", FileFormatError, "coordinates are numbered x1, x2"),
        ("d.csv", "x1,x2\n1,2\n", FileFormatError, "header must name columns x and y"),
        ("d.csv", "x1,x2,y\n1,2,1\n3,1\n", FileFormatError, "row 3 has 2 fields, expected 3"),
        ("d.csv", "x1,x2,y\n1,2,1\n3,nan,1\n", InvalidValueError,
         "line 3, x2: 'nan' is not a finite number"),
        # a second label column (or x column) used to be ignored: its labels were lost
        ("d.csv", "x1,x2,y,y\n1,2,1,-1\n", FileFormatError, "column y appears twice"),
        ("d.csv", "x,y,x\n1,1,2\n", FileFormatError, "column x appears twice"),
        ("d.json", '{"x": [[1, 2], [3, 4]], "y": {"1": 1, "-1": 1}}', FileFormatError,
         "'y' must be a list, got an object"),
    ],
)
def test_bad_files(tmp_path, name, text, error, message):
    (tmp_path / name).write_text(text)
    loader = load_network if name.startswith("n") else load_data
    with pytest.raises(error, match=message):
        loader(tmp_path / name)


def _npz(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("arrays", "error", "message"),
    [
        ({"w": np.ones((2, 2)), "b": np.ones((2, 1)), "v": np.ones(2)}, FileFormatError,
         r"array b has shape \(2, 1\); expected one dimension"),
        ({"w": np.ones((2, 2, 1)), "b": np.ones(2), "v": np.ones(2)}, FileFormatError,
         r"array w has shape \(2, 2, 1\); expected \(k,\) or \(k, d\)"),
        ({"w": np.ones((2, 2))}, FileFormatError, r"missing array\(s\) v$"),
        ({"w": np.ones(2), "v": np.ones(2)}, FileFormatError, r"missing array\(s\) b$"),
        ({"w": np.array([[1.0, np.nan]]), "v": np.ones(1)}, InvalidValueError,
         r"w\[0\]\[1\]: nan is not a finite number"),
        ({"w": np.ones((2, 3)), "b": np.ones(3), "v": np.ones(2)}, InvalidNetworkError,
         "b must have one entry per row of w; got 3 for 2 rows"),
        ({"w": np.ones((1, 0)), "v": np.ones(1)}, InvalidNetworkError, "d must be at least 1"),
        # without b, a 3-D w used to be reported as "missing array(s) b"
        ({"w": np.ones((1, 2, 2)), "v": np.ones(1)}, FileFormatError,
         r"array w has shape \(1, 2, 2\); expected \(k,\) or \(k, d\)"),
    ],
)
def test_bad_npz_files(tmp_path, arrays, error, message):
    (tmp_path / "n.npz").write_bytes(_npz(**arrays))
    with pytest.raises(error, match=message):
        load_network(tmp_path / "n.npz")


# --- PyTorch ------------------------------------------------------------------------------------


def _two_layer(torch, d: int, k: int, bias: bool, activation=None):
    """The fc1/fc2 layout: a module of one's own, not an nn.Sequential."""

    class TwoLayer(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc1 = torch.nn.Linear(d, k, bias=bias, dtype=torch.float64)
            self.fc2 = torch.nn.Linear(k, 1, bias=False, dtype=torch.float64)

        def forward(self, x):
            return self.fc2((activation or torch.relu)(self.fc1(x)))

    return TwoLayer()


def _load_into(torch, module, net: NetworkNd):
    w, b, v = net.arrays()
    with torch.no_grad():
        module.fc1.weight.copy_(torch.tensor(w))
        if net.has_bias:
            module.fc1.bias.copy_(torch.tensor(b))
        module.fc2.weight.copy_(torch.tensor(v).reshape(1, -1))
    return module


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(float_networks_nd(d=3))
def test_torch_round_trips_are_exact_in_d3_for_both_layouts(tmp_path, net):
    torch = pytest.importorskip("torch")
    sequential = network_to_torch(net)
    assert [type(m) for m in sequential] == [torch.nn.Linear, torch.nn.ReLU, torch.nn.Linear]
    assert sequential[0].weight.dtype == torch.float64
    assert _bits(network_from_torch(sequential)) == _bits(net)
    own = _load_into(torch, _two_layer(torch, 3, net.width, net.has_bias), net)
    assert set(own.state_dict()) == {"fc1.weight", "fc2.weight"} | (
        {"fc1.bias"} if net.has_bias else set()
    )
    # the module is checked on probe points (points where a float sum overflows are not
    # compared); the state_dict is read as it is
    assert _bits(network_from_torch(own)) == _bits(net)
    assert _bits(network_from_torch(own.state_dict())) == _bits(net)
    for module in (sequential, own):
        torch.save(module.state_dict(), tmp_path / "n.pt")
        assert _bits(load_network(tmp_path / "n.pt")) == _bits(net)
    save_network(net, tmp_path / "m.pt")
    assert _bits(load_network(tmp_path / "m.pt")) == _bits(net)


def test_torch_d1_keeps_the_univariate_class():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    with_bias = _two_layer(torch, 1, 4, bias=True)
    assert isinstance(network_from_torch(with_bias), Network)  # as in earlier versions
    without = network_from_torch(_two_layer(torch, 1, 4, bias=False))
    assert isinstance(without, NetworkNd) and without.d == 1 and not without.has_bias
    assert network_from_torch(network_to_torch(without)) == without


def test_float32_modules_are_their_exact_values():
    torch = pytest.importorskip("torch")
    torch.manual_seed(1)
    module = torch.nn.Sequential(
        torch.nn.Linear(3, 6), torch.nn.ReLU(), torch.nn.Linear(6, 1, bias=False)
    )
    net = network_from_torch(module)
    w32 = module[0].weight.detach()
    assert net.fractions()[0][0][0] == Fraction(float(w32[0, 0]))  # the float32 value, exactly
    back = network_to_torch(net, dtype=torch.float32)  # every value is a float32: no rounding
    assert torch.equal(back[0].weight, w32) and network_from_torch(back) == net
    x = torch.randn(20, 3)
    assert torch.equal(back(x), module(x))
    with pytest.raises(InvalidNetworkError, match=r"w\[0\]\[1\] = 0.1 is not exactly "
                       r"representable in torch.float32"):
        network_to_torch(NetworkNd(np.array([[1.0, 0.1]]), None, np.array([1.0])),
                         dtype=torch.float32)


def test_torch_errors_name_the_tensors():
    torch = pytest.importorskip("torch")
    ones = torch.ones
    cases = [
        ({"fc1.weight": ones(8, 3), "fc2.weight": ones(2, 8), "fc3.weight": ones(1, 2)},
         r"expected one \(k, d\) and one \(1, k\) weight.*found fc1.weight \(8, 3\), "
         r"fc2.weight \(2, 8\), fc3.weight \(1, 2\)"),
        ({"fc1.weight": ones(8, 3), "fc2.weight": ones(1, 8), "act.weight": ones(8)},
         r"found fc1.weight \(8, 3\), fc2.weight \(1, 8\), act.weight \(8,\)"),
        ({"fc1.weight": ones(8, 3), "fc2.weight": ones(1, 8), "fc1.bias": ones(7)},
         r"fc1.bias has shape \(7,\); the hidden layer's bias must have shape \(8,\)"),
        ({"fc1.weight": ones(8, 3), "fc2.weight": ones(1, 8), "fc2.bias": ones(1)},
         r"output layer has a bias \(fc2.bias = 1.0\).*not 2-homogeneous"),
        ({"W": ones(1, 3), "a": ones(1, 1), "c": ones(1)},
         r"c \(1,\) could be the hidden or the output bias"),
        ({"fc1.weight": ones(8, 3), "fc2.weight": ones(1, 8), "fc1.bias": [0] * 8},
         "fc1.bias is a list, not a tensor"),
        ({}, "found no tensors"),
    ]
    for state, message in cases:
        with pytest.raises(InvalidNetworkError, match=message):
            network_from_torch(state)
    nan = {"fc1.weight": torch.tensor([[1.0, float("nan")]]), "fc2.weight": ones(1, 1)}
    with pytest.raises(InvalidValueError, match=r"fc1.weight\[0, 1\]: nan is not finite"):
        network_from_torch(nan)
    # Names other than <layer>.weight / .bias are matched by shape.
    net = network_from_torch({"W": ones(4, 3), "a": ones(1, 4), "c": torch.zeros(4)})
    assert (net.d, net.width, net.has_bias) == (3, 4, True)
    # A zero output bias is no bias (as for the univariate layout).
    zero = {"fc1.weight": ones(2, 3), "fc2.weight": ones(1, 2), "fc2.bias": torch.zeros(1)}
    assert network_from_torch(zero).width == 2


def test_modules_of_other_layouts_or_activations_are_refused():
    torch = pytest.importorskip("torch")
    torch.manual_seed(2)
    deeper = torch.nn.Sequential(
        torch.nn.Linear(3, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2), torch.nn.ReLU(),
        torch.nn.Linear(2, 1),
    )
    with pytest.raises(InvalidNetworkError, match=r"found 0.weight \(8, 3\), 0.bias \(8,\)"):
        network_from_torch(deeper)
    with pytest.raises(InvalidNetworkError, match=r"1.running_mean \(8,\)"):
        network_from_torch(torch.nn.Sequential(
            torch.nn.Linear(3, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(), torch.nn.Linear(8, 1)
        ))
    # Same tensors, another activation: only the forward check can tell.
    tanh = _two_layer(torch, 3, 5, bias=True, activation=torch.tanh)
    with pytest.raises(InvalidNetworkError, match="does not compute sum_j v_j relu"):
        network_from_torch(tanh)
    leaky = _two_layer(torch, 3, 50, True, lambda z: torch.nn.functional.leaky_relu(z, 0.01))
    with pytest.raises(InvalidNetworkError, match="does not compute sum_j v_j relu"):
        network_from_torch(leaky)
    assert network_from_torch(tanh.state_dict()).width == 5  # the state_dict is read as given
    with pytest.raises(InvalidNetworkError, match="expected an nn.Module or a state_dict"):
        network_from_torch([1, 2])


def test_pt_files_with_other_layouts(tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "n.pt"
    torch.save({"fc1.weight": torch.ones(8, 3), "fc2.weight": torch.ones(2, 8)}, path)
    with pytest.raises(InvalidNetworkError, match=r"n.pt: expected one \(k, d\).*fc2.weight"):
        load_network(path)
    torch.save([torch.ones(2)], path)
    with pytest.raises(FileFormatError, match="holds a list, not a state_dict"):
        load_network(path)


# --- dimensions, and the command line -----------------------------------------------------------


def test_check_dimensions():
    assert check_dimensions(Network([1], [0], [1]), DatasetNd([[1]], [1])) == 1
    assert check_dimensions(NetworkNd([[1, 2]], None, [1]), DatasetNd([[1, 2]], [1])) == 2
    with pytest.raises(InvalidDataError, match=r"R\^1 \(d = 1\).*R\^2 \(d = 2\)"):
        check_dimensions(Network([1], [0], [1]), DatasetNd([[1, 2]], [1]))
    with pytest.raises(InvalidDataError, match=r"\(d = 3\).*\(d = 1\)"):
        check_dimensions(NetworkNd([[1, 2, 3]], [0], [1]), Dataset([1], [1]))


def _run(argv: list[str], folder) -> tuple[int, str, str]:
    import os

    out, err = io.StringIO(), io.StringIO()
    here = os.getcwd()
    os.chdir(folder)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
    finally:
        os.chdir(here)
    return code, out.getvalue(), err.getvalue()


def test_cli_refuses_dimension_mismatch_in_one_line(tmp_path):
    save_network(NetworkNd([[1, 0], [0, -1]], [0, 1], [1, 1]), tmp_path / "n2.json")
    save_network(NetworkNd([[1], [-1]], [0, 1], [1, 1]), tmp_path / "n1.json")
    save_data(DatasetNd([[1, 2], [-1, 0]], [1, 1]), tmp_path / "d2.csv")
    save_data(DatasetNd([[2], [-2]], [1, 1]), tmp_path / "d1.csv")
    save_network(NetworkNd([[1, 0, 0]], [0], [1]), tmp_path / "n3.json")
    code, _, err = _run(["regions", "n3.json"], tmp_path)  # regions reads d = 1 and d = 2
    assert code == 2 and err.startswith("pwl-kkt regions: error: effective regions need")
    assert err.count("\n") == 1
    code, out, _ = _run(["regions", "n2.json", "--json"], tmp_path)
    assert code == 0 and json.loads(out)["count"] == 4
    for command in ("certify", "global", "margins", "limit"):
        code, _, err = _run([command, "n2.json", "d1.csv"], tmp_path)
        assert code == 2 and err.count("\n") == 1, err
        assert "(d = 2)" in err and "(d = 1)" in err and "must agree" in err
    # train reads data on R^d (tests/test_cli_nd.py); a d = 3 network with d = 2 data is refused
    code, _, err = _run(["certify", "n3.json", "d2.csv"], tmp_path)
    assert code == 2 and "(d = 3)" in err and "(d = 2)" in err and err.count("\n") == 1
    # A d = 1 network with rows is the univariate network: the commands run on it.
    code, out, _ = _run(["regions", "n1.json", "--json"], tmp_path)
    assert code == 0 and json.loads(out)["count"] == 3
    code, out, _ = _run(["certify", "n1.json", "d1.csv", "--exact", "--json"], tmp_path)
    assert code == 0 and "is_kkt" in json.loads(out)


@pytest.mark.parametrize(
    ("text", "x"),
    [
        ("\ufeffx1,x2,y\r\n1,2,1\r\n\r\n3,1/2,-1\r\n", [[1, 2], [3, Fraction(1, 2)]]),
        ("\ufeffx,y\n1,1\n", [1]),
    ],
)
def test_csv_with_a_byte_order_mark_and_crlf(tmp_path, text, x):
    """Spreadsheets write "CSV UTF-8" with a byte order mark and CRLF line ends; the mark
    used to stick to the first column name ("the header names x2 but not x1")."""
    (tmp_path / "d.csv").write_bytes(text.encode())
    data = load_data(tmp_path / "d.csv")
    assert [list(r) if isinstance(r, tuple) else r for r in data.x] == x
    (tmp_path / "n.json").write_bytes('\ufeff{"w": [[1, 2]], "v": [1]}'.encode())
    assert load_network(tmp_path / "n.json").d == 2


@pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors")
def test_torch_nested_tensors_and_module_dtypes_are_named():
    torch = pytest.importorskip("torch")
    nested = {"0.weight": torch.nested.nested_tensor([torch.zeros(3)] * 2),
              "2.weight": torch.ones(1, 2)}
    with pytest.raises(InvalidNetworkError, match="0.weight is a nested tensor"):
        network_from_torch(nested)
    net = NetworkNd([[1, 2]], None, [1])
    # an integer module cannot hold the parameters as parameters, a complex one does not
    # compute relu, and a string used to fail deep inside torch
    for dtype in (torch.int64, torch.bool, torch.complex64, "float32"):
        with pytest.raises(InvalidValueError, match="dtype must be a real floating torch dtype"):
            network_to_torch(net, dtype=dtype)
    assert network_to_torch(net, dtype=torch.float16)[0].weight.dtype == torch.float16
