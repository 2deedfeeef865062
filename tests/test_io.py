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
    # a single Linear(1, 1) is one weight, not a two-layer network: its tensors are named
    with pytest.raises(InvalidNetworkError, match=r"one \(1, k\) weight.*found weight \(1, 1\)"):
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


# --- input limits: huge exponents and digit counts, file sizes, file kinds ----------------------

_PARSE = """
import contextlib, io, sys, time
from pwl_kkt import PwlKktError, load_data, load_network
from pwl_kkt.cli import main

for kind, path in zip(sys.argv[1::2], sys.argv[2::2]):
    start = time.perf_counter()
    try:
        if kind == "network":
            load_network(path)
        elif kind == "data":
            load_data(path)
        else:
            with contextlib.redirect_stderr(io.StringIO()) as err:
                assert main(["regions", path, "--interval", "-1", "1e999999999"]) == 2
            raise PwlKktError(err.getvalue().strip())
    except PwlKktError as exc:
        print(time.perf_counter() - start, type(exc).__name__, exc, flush=True)
"""

_NET = '{{"w": [{}], "b": [0], "v": [1]}}'

_HUGE_EXPONENTS = [
    ("network", "n.json", _NET.format("1e999999999")),
    ("network", "n.json", _NET.format('"1e999999999"')),
    ("network", "n.json", _NET.format("-2.5E-10000000")),
    ("network", "n.json", '{"format": "float64", "w": [1e999999999], "b": [0], "v": [1]}'),
    ("data", "d.json", '{"x": [1e999999999], "y": [1]}'),
    ("data", "d.csv", "x,y\n1e999999999,1\n"),
    ("cli", "n.json", _NET.format(1)),
]


def test_huge_exponents_are_refused_at_once(tmp_path):
    """10**999999999 is never computed: each parser gives a clear error naming the limit,
    in well under a second.

    In a subprocess, so that a regression (an endless big-integer power, which no signal
    interrupts) fails by the timeout instead of hanging the suite.
    """
    import subprocess
    import sys

    argv = []
    for i, (kind, name, text) in enumerate(_HUGE_EXPONENTS):
        (tmp_path / f"{i}{name}").write_text(text)
        argv += [kind, str(tmp_path / f"{i}{name}")]
    proc = subprocess.run(
        [sys.executable, "-c", _PARSE, *argv], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == len(_HUGE_EXPONENTS), proc.stdout
    for case, line in zip(_HUGE_EXPONENTS, lines):
        seconds, kind, message = line.split(" ", 2)
        assert kind in ("InvalidValueError", "PwlKktError") and "max_exponent = 4000" in message
        assert float(seconds) < 1.0, case


def test_limits_are_configurable(tmp_path):
    from pwl_kkt.limits import get_limits, input_limits, set_limits

    path = tmp_path / "n.json"
    path.write_text(_NET.format("1e4500"))
    with pytest.raises(InvalidValueError, match=r"n.json: w\[0\]: '1e4500' .* max_exponent"):
        load_network(path)
    with input_limits(max_exponent=5000, max_digits=5000):
        assert load_network(path).w[0] == 10**4500
    path.write_text(_NET.format("7" * 4500))
    with pytest.raises(InvalidValueError, match="has 4500 digits, beyond the limit max_digits"):
        load_network(path)
    with input_limits(max_digits=5000):  # past Python's own 4300-digit int limit
        assert load_network(path).w[0] == (10**4500 - 1) // 9 * 7
    old = set_limits(max_file_bytes=10)
    try:
        with pytest.raises(FileFormatError, match="more than the limit max_file_bytes = 10"):
            load_network(path)
    finally:
        set_limits(**vars(old))
    assert get_limits() == old
    with pytest.raises(ValueError, match="positive integer"):
        set_limits(max_digits=0)


def test_huge_values_are_not_echoed_whole(tmp_path):
    (tmp_path / "d.csv").write_text("x,y\n" + "9" * 100_000 + "x,1\n")
    with pytest.raises(InvalidValueError) as info:
        load_data(tmp_path / "d.csv")
    assert "(100001 characters)" in str(info.value) and len(str(info.value)) < 300


def test_only_regular_files_are_read(tmp_path):
    import os

    os.mkfifo(tmp_path / "fifo.json")  # nobody writes: opening it plainly would block
    (tmp_path / "zero.csv").symlink_to("/dev/zero")  # would never end
    with pytest.raises(FileFormatError, match="fifo.json: not a regular file"):
        load_network(tmp_path / "fifo.json")
    with pytest.raises(FileFormatError, match="zero.csv: not a regular file"):
        load_data(tmp_path / "zero.csv")


@pytest.mark.parametrize(
    ("name", "text", "error", "message"),
    [
        ("n.json", _NET.format("1" * 5000), InvalidValueError, "5000 digits"),
        ("n.json", "[" * 100_000 + "]" * 100_000, FileFormatError, "nested too deeply"),
        ("d.csv", "x,y\n" + "1" * 200_000 + ",1\n", FileFormatError, "line 2: field larger"),
        ("n.json", _NET.format("1/0"), FileFormatError, "not valid JSON"),
        ("n.json", _NET.format('"1/0"'), InvalidValueError, "denominator zero"),
        ("n.json", _NET.format('{"a": 1}'), InvalidValueError, r"w\[0\]: \{'a': '1'\} of type"),
    ],
)
def test_bad_text_files(tmp_path, name, text, error, message):
    (tmp_path / name).write_text(text)
    loader = load_network if name.startswith("n") else load_data
    with pytest.raises(error, match=message):
        loader(tmp_path / name)


def test_non_utf8_text_is_refused(tmp_path):
    (tmp_path / "n.json").write_bytes(b'{"w": ["\xff"], "b": [0], "v": [1]}')
    with pytest.raises(FileFormatError, match="not a UTF-8 text file"):
        load_network(tmp_path / "n.json")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('"1/3"', "'1/3' is not a JSON number"),
        ("null", "None is not a JSON number"),
        ("true", "True is not a JSON number"),
        ("1e400", "'1e400' overflows float64"),
    ],
)
def test_float64_files_hold_finite_json_numbers(tmp_path, value, message):
    text = '{"format": "float64", "w": [' + value + '], "b": [0.5], "v": [1]}'
    (tmp_path / "n.json").write_text(text)
    with pytest.raises(InvalidValueError, match=r"n.json: w\[0\]: " + message):
        load_network(tmp_path / "n.json")


def test_huge_exact_integers_round_trip_as_text(tmp_path):
    net = Network([10**6000 + 1], [0], ["1/3"])
    with pytest.raises(ValueError, match="digits"):  # why they are written as text
        str(10**6000)
    save_network(net, tmp_path / "n.json")
    with pytest.raises(InvalidValueError, match="max_digits"):
        load_network(tmp_path / "n.json")  # a file this program wrote, past the default
    from pwl_kkt.limits import input_limits

    with input_limits(max_digits=7000):
        assert load_network(tmp_path / "n.json") == net


# --- binary files: .npz and .pt ---------------------------------------------------------------


def _npz_bytes(**arrays) -> bytes:
    import io

    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: b"", FileFormatError, "it is empty"),
        (lambda: b"\x93NUMPY" + b"\0" * 100, FileFormatError, r"a .npy file renamed\?"),
        (
            lambda: _npz_bytes(w=np.ones(3), b=np.ones(3), v=np.ones(3))[:150],
            FileFormatError,
            "not a readable .npz file",
        ),
        (
            lambda: _npz_bytes(w=np.ones(1) * 1j, b=np.ones(1), v=np.ones(1)),
            FileFormatError,
            "non-numeric dtype complex128",
        ),
        (
            lambda: _npz_bytes(w=np.ones(1), b=np.ones((1, 1)), v=np.ones(1)),
            FileFormatError,
            r"array b has shape \(1, 1\); expected one dimension",
        ),
        (
            lambda: _npz_bytes(w=np.array([None]), b=np.ones(1), v=np.ones(1)),
            FileFormatError,
            "not a readable .npz file",
        ),
        (
            lambda: _npz_bytes(w=np.array(["1"]), b=np.ones(1), v=np.ones(1)),
            FileFormatError,
            "non-numeric dtype",
        ),
        (
            lambda: _npz_bytes(w=np.array([np.inf]), b=np.ones(1), v=np.ones(1)),
            InvalidValueError,
            r"w\[0\]: inf is not a finite number",
        ),
    ],
)
def test_bad_npz_files(tmp_path, make, error, message):
    (tmp_path / "n.npz").write_bytes(make())
    with pytest.raises(error, match=message):
        load_network(tmp_path / "n.npz")


def test_npz_integers_are_never_rounded(tmp_path):
    big = 2**53 + 1  # the first integer that float64 rounds
    path = tmp_path / "n.npz"
    path.write_bytes(_npz_bytes(w=np.array([big]), b=np.array([0.5]), v=np.array([1.0])))
    net = load_network(path)
    assert net.is_exact and net.w == (Fraction(big),) and net.b == (Fraction(1, 2),)
    path.write_bytes(_npz_bytes(w=np.array([3]), b=np.array([0.5]), v=np.array([1.0])))
    assert load_network(path) == Network(np.array([3.0]), np.array([0.5]), np.array([1.0]))


def test_bad_torch_state_dicts(tmp_path):
    torch = pytest.importorskip("torch")
    ok = {"0.weight": torch.ones(2, 1), "0.bias": torch.zeros(2), "2.weight": torch.ones(1, 2)}
    ints = {k: t.to(torch.int64) for k, t in ok.items()}
    torch.save(ints, tmp_path / "ints.pt")
    assert load_network(tmp_path / "ints.pt") == Network(np.ones(2), np.zeros(2), np.ones(2))
    cases = {
        "big": ({**ints, "0.bias": torch.tensor([0, 2**60 + 1])}, "not exactly float64"),
        "complex": ({**ok, "0.weight": torch.ones(2, 1) * (1 + 1j)}, "complex"),
        "sparse": ({**ok, "2.weight": torch.ones(1, 2).to_sparse()}, "sparse"),
        "bool": ({**ok, "0.bias": torch.tensor([True, False])}, "boolean"),
    }
    for name, (state, message) in cases.items():
        torch.save(state, tmp_path / f"{name}.pt")
        with pytest.raises(InvalidNetworkError, match=f"{name}.pt: .*{message}"):
            load_network(tmp_path / f"{name}.pt")


# --- output files -------------------------------------------------------------------------------


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o002])
def test_output_files_honour_the_umask(tmp_path, umask):
    import os
    import stat

    old = os.umask(umask)
    try:
        save_network(Network([1], [0], [1]), tmp_path / "n.json")
        save_data(Dataset([1], [1]), tmp_path / "d.csv")
    finally:
        os.umask(old)
    for name in ("n.json", "d.csv"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o666 & ~umask


def test_writes_are_synced_before_the_rename(tmp_path, monkeypatch):
    from pwl_kkt import _files

    calls = []
    real_fsync, real_replace = _files.os.fsync, _files.os.replace
    monkeypatch.setattr(_files.os, "fsync", lambda fd: (calls.append("fsync"), real_fsync(fd)))
    monkeypatch.setattr(
        _files.os, "replace", lambda a, b: (calls.append("replace"), real_replace(a, b))
    )
    save_network(Network([1], [0], [1]), tmp_path / "n.json")
    assert calls[:2] == ["fsync", "replace"]


def test_write_errors_name_the_users_path(tmp_path):
    target = tmp_path / "absent" / "n.json"
    with pytest.raises(FileNotFoundError) as info:
        save_network(Network([1], [0], [1]), target)
    assert str(target) in str(info.value) and ".tmp" not in str(info.value)


def test_temp_files_of_killed_writers_are_removed(tmp_path):
    import os
    import subprocess
    import sys

    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead = tmp_path / f".n.json.pwlkkt-{gone.stdout.strip()}-abc.tmp"
    mine = tmp_path / f".n.json.pwlkkt-{os.getpid()}-abc.tmp"
    for tmp in (dead, mine):
        tmp.write_bytes(b"partial")
        os.utime(tmp, (1, 1))
    save_network(Network([1], [0], [1]), tmp_path / "n.json")
    assert not dead.exists() and mine.exists()  # a live writer's file is left alone
