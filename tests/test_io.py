"""Readers and writers round-trip exactly and reject bad files with clear messages."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from pwl_kkt import (
    Dataset,
    FileFormatError,
    InvalidDataError,
    InvalidNetworkError,
    InvalidValueError,
    Network,
    load_data,
    load_network,
    network_from_torch,
    network_to_torch,
    save_data,
    save_network,
)
from pwl_kkt import io as pio

from .strategies import exact_datasets, exact_networks, float_networks

tmp_settings = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


@tmp_settings
@given(exact_networks())
def test_json_round_trip_exact(tmp_path, net):
    save_network(net, tmp_path / "n.json")
    assert load_network(tmp_path / "n.json") == net


@tmp_settings
@given(float_networks())
def test_json_and_npz_round_trip_float(tmp_path, net):
    for name in ("n.json", "n.npz"):
        save_network(net, tmp_path / name)
        back = load_network(tmp_path / name)
        assert back == net and not back.is_exact


@tmp_settings
@given(exact_datasets())
def test_data_round_trip(tmp_path, data):
    for name in ("d.json", "d.csv"):
        save_data(data, tmp_path / name)
        assert load_data(tmp_path / name) == data


def test_json_numbers_are_exact_decimals(tmp_path):
    (tmp_path / "n.json").write_text('{"w": [0.1, 1e-300], "b": ["-1/3", "2.5"], "v": [1, -7]}')
    net = load_network(tmp_path / "n.json")
    assert net.w == (Fraction(1, 10), Fraction(1, 10**300))
    assert net.b == (Fraction(-1, 3), Fraction(5, 2))


def test_npz_of_exact_network_must_be_representable(tmp_path):
    save_network(Network(["1/4"], [0], [1]), tmp_path / "ok.npz")
    assert load_network(tmp_path / "ok.npz").w[0] == 0.25
    with pytest.raises(InvalidNetworkError, match=r"w\[0\] = 1/3 is not exactly a float64"):
        save_network(Network(["1/3"], [0], [1]), tmp_path / "bad.npz")
    assert not (tmp_path / "bad.npz").exists()


def test_torch_round_trip(tmp_path):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    module = torch.nn.Sequential(
        torch.nn.Linear(1, 5), torch.nn.ReLU(), torch.nn.Linear(5, 1, bias=False)
    )
    net = network_from_torch(module)  # float32 parameters embed exactly in float64
    assert np.array_equal(net.arrays()[0], module[0].weight.detach().double().numpy().ravel())
    back = network_from_torch(network_to_torch(net))
    assert back == net
    save_network(net, tmp_path / "n.pt")
    assert load_network(tmp_path / "n.pt") == net
    x = torch.linspace(-3, 3, 7, dtype=torch.float64).reshape(-1, 1)
    expected = network_to_torch(net)(x).detach().numpy().ravel()
    assert np.allclose(net(x.numpy().ravel()), expected, rtol=1e-12, atol=1e-12)


def test_torch_output_bias_is_refused():
    torch = pytest.importorskip("torch")
    module = torch.nn.Sequential(torch.nn.Linear(1, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1))
    with torch.no_grad():
        module[2].bias.fill_(0.5)
    with pytest.raises(InvalidNetworkError, match="not 2-homogeneous"):
        network_from_torch(module)
    with torch.no_grad():
        module[2].bias.zero_()
    assert network_from_torch(module).width == 2
    with pytest.raises(InvalidNetworkError, match="expected nn.Sequential"):
        network_from_torch(torch.nn.Linear(1, 1))


@pytest.mark.parametrize(
    ("name", "text", "error", "message"),
    [
        ("n.json", "{not json", FileFormatError, "not valid JSON"),
        ("n.json", "[1, 2]", FileFormatError, "expected a JSON object"),
        ("n.json", '{"w": [1], "b": [0]}', FileFormatError, "missing key 'v'"),
        ("n.json", '{"w": 1, "b": [0], "v": [1]}', FileFormatError, "'w' must be a list"),
        ("n.json", '{"w": [NaN], "b": [0], "v": [1]}', FileFormatError, "NaN is not a finite"),
        ("n.json", '{"w": ["x"], "b": [0], "v": [1]}', InvalidValueError, r"n.json: w\[0\]"),
        ("n.json", '{"w": [1, 2], "b": [0], "v": [1]}', InvalidNetworkError, "n.json: w, b and v"),
        ("n.json", '{"w": [1], "b": [0], "v": [1], "format": "x"}', FileFormatError, "format"),
        ("n.txt", "", FileFormatError, "unknown network file type '.txt'"),
        ("n.npz", "garbage", FileFormatError, "not a readable .npz"),
        ("n.pt", "garbage", FileFormatError, "cannot read as a torch state_dict"),
    ],
)
def test_bad_network_files(tmp_path, name, text, error, message):
    if name.endswith(".pt"):
        pytest.importorskip("torch")
    (tmp_path / name).write_text(text)
    with pytest.raises(error, match=message):
        load_network(tmp_path / name)


def test_npz_missing_array(tmp_path):
    np.savez(tmp_path / "n.npz", w=np.ones(2), b=np.ones(2))
    with pytest.raises(FileFormatError, match="missing array"):
        load_network(tmp_path / "n.npz")


@pytest.mark.parametrize(
    ("name", "text", "error", "message"),
    [
        ("d.csv", "", FileFormatError, "empty file"),
        ("d.csv", "a,b\n1,1\n", FileFormatError, "header must name columns x and y"),
        ("d.csv", "x,y\n1,1\n2\n", FileFormatError, "row 3 has 1 fields"),
        ("d.csv", "x,y\n1,2\n", InvalidDataError, r"d.csv: y\[0\] = '2' is not a label"),
        ("d.csv", "x,y\nnan,1\n", InvalidValueError, r"x\[0\]: 'nan' is not a finite"),
        ("d.csv", "x,y\n", InvalidDataError, "empty"),
        ("d.json", '{"x": [1, 2], "y": [1]}', InvalidDataError, "same length"),
        ("d.yaml", "", FileFormatError, "unknown data file type"),
    ],
)
def test_bad_data_files(tmp_path, name, text, error, message):
    (tmp_path / name).write_text(text)
    with pytest.raises(error, match=message):
        load_data(tmp_path / name)


def test_missing_file_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_network(tmp_path / "absent.json")


def test_failed_write_leaves_no_file(tmp_path, monkeypatch):
    def broken_dumps(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(pio.json, "dumps", broken_dumps)
    with pytest.raises(RuntimeError):
        save_network(Network([1], [0], [1]), tmp_path / "n.json")
    with pytest.raises(RuntimeError):
        save_data(Dataset([1], [1]), tmp_path / "d.json")
    assert list(tmp_path.iterdir()) == []


def test_float_json_has_format_marker(tmp_path):
    save_network(Network(np.array([0.1]), np.array([0.0]), np.array([1.0])), tmp_path / "f.json")
    obj = json.loads((tmp_path / "f.json").read_text())
    assert obj["format"] == "float64" and obj["w"] == [0.1]
