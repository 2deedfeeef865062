"""Fuzzing the command line with bad files and options.

Whatever the files hold and whatever the options say, ``pwl-kkt`` ends with status 0
or 2; on 2 it prints exactly one line on stderr and no traceback; it leaves no file
behind but the output it was asked for; and each run ends within seconds (a run still
going after ``_SECONDS`` is stopped by SIGALRM and fails the test).

The ``@example`` cases name every class of bad input the hardening covers, so each
runs in every test run; hypothesis adds generated cases around them.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings

from pwl_kkt.cli import main

from .strategies import cli_cases

_SECONDS = 10  # generous on a loaded machine; the slowest good case takes well under 1 s


class _TooSlow(BaseException):
    """Raised by SIGALRM; a BaseException so that no ``except Exception`` swallows it."""


def _npz(**arrays: object) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **{k: np.asarray(v) for k, v in arrays.items()})
    return buf.getvalue()


def _pt(state: dict) -> bytes:
    torch = pytest.importorskip("torch")
    buf = io.BytesIO()
    torch.save(state, buf)
    return buf.getvalue()


def _torch_state(**changes: object) -> dict:
    torch = pytest.importorskip("torch")
    state = {"0.weight": torch.ones(2, 1), "0.bias": torch.zeros(2), "2.weight": torch.ones(1, 2)}
    return {**state, **changes}


NET = b'{"w": [1, -1], "b": [0, 1], "v": [1, 1]}'
BIG = b'{"format": "float64", "w": [1e300, -1e300], "b": [1, 1], "v": [1e300, 1e300]}'
DATA = b"x,y\n-2,1\n2,1\n0.5,-1\n"
NET_2D = b'{"w": [[1, 0], [0, -1]], "b": null, "v": [1, 1]}'
DATA_2D = b"x1,x2,y\n-2,0,1\n2,1,1\n0.5,0.5,-1\n"


def _net(entry: str) -> bytes:
    return ('{"w": [' + entry + '], "b": [0], "v": [1]}').encode()


def _float64(entry: str) -> bytes:
    return ('{"format": "float64", "w": [' + entry + '], "b": [0.5], "v": [1]}').encode()


def run_case(command: str, files: dict[str, bytes | str | None], options: list[str]) -> None:
    """Run ``pwl-kkt command options`` on ``files`` in a fresh folder and check the contract.

    A file's content is bytes, or a path (a symlink to it), or ``None`` (a FIFO).
    """
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for name, content in files.items():
            if content is None:
                os.mkfifo(root / name)
            elif isinstance(content, str):
                (root / name).symlink_to(content)
            else:
                (root / name).write_bytes(content)
        out, err = io.StringIO(), io.StringIO()
        here = os.getcwd()

        def too_slow(signum: int, frame: object) -> None:
            raise _TooSlow(f"pwl-kkt {command} {options} still running after {_SECONDS} s")

        previous = signal.signal(signal.SIGALRM, too_slow)
        signal.alarm(_SECONDS)
        try:
            os.chdir(root)
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    code = main([command, *options])
                except SystemExit as exc:  # argparse usage errors
                    code = exc.code
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
            os.chdir(here)
        lines = err.getvalue().strip().splitlines()
        assert code in (0, 2), (code, err.getvalue())
        assert "Traceback" not in err.getvalue()
        if code == 2:
            assert len(lines) == 1, err.getvalue()
            assert len(lines[0]) < 1000  # long values are cut, not echoed
        written = {p.name for p in root.iterdir()} - set(files)
        allowed = {o.split("=", 1)[1] for o in options if o.startswith("--out=")}
        assert written <= (allowed if code == 0 else set()), written


_SLOW_FILES = {"net.json": NET, "data.csv": DATA}

_quick = settings(
    max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None
)


@_quick
@given(cli_cases())
# -- huge exponents and digit counts, in every parser
@example(("regions", {"n.json": _net("1e999999999")}, ["n.json"]))
@example(("regions", {"n.json": _net('"1e999999999"')}, ["n.json"]))
@example(("regions", {"n.json": _net("1e10000000")}, ["n.json"]))
@example(("certify", {**_SLOW_FILES, "d.csv": b"x,y\n1e999999999,1\n"}, ["net.json", "d.csv"]))
@example(
    (
        "certify",
        {**_SLOW_FILES, "d.json": b'{"x": [1e999999999], "y": [1]}'},
        ["net.json", "d.json"],
    )
)
@example(("regions", _SLOW_FILES, ["net.json", "--interval", "0", "1e999999999"]))
@example(("regions", {"n.json": _net("7" * 1_000_000)}, ["n.json"]))  # not echoed whole
@example(("regions", {"n.json": _net("1" * 5000)}, ["n.json"]))  # Python's 4300-digit limit
@example(("regions", {"n.json": _net('"1e4000"')}, ["n.json", "--json"]))  # prints 4001 digits
# -- files that are not files, or too deep
@example(("regions", {"n.json": b"[" * 100_000 + b"]" * 100_000}, ["n.json"]))
@example(("regions", {"z.json": "/dev/zero"}, ["z.json"]))
@example(("regions", {"fifo.json": None}, ["fifo.json"]))
@example(
    (
        "certify",
        {**_SLOW_FILES, "d.csv": b"x,y\n" + b"1" * 140_000 + b",1\n"},
        ["net.json", "d.csv"],
    )
)
@example(("sweep", {"s.toml": b"[grid]\nk = [\xff]\n"}, ["s.toml"]))
@example(("sweep", {"s.toml": b"x = " + b"[" * 100_000 + b"]" * 100_000}, ["s.toml"]))
# -- .npz and .pt
@example(("regions", {"n.npz": b""}, ["n.npz"]))
@example(("regions", {"n.npz": b"PK\x03\x04broken"}, ["n.npz"]))
@example(("regions", {"n.npz": b"\x93NUMPY\x01\x00v\x00"}, ["n.npz"]))
@example(("regions", {"n.npz": _npz(w=[2**53 + 1], b=[0.5], v=[1.0])}, ["n.npz"]))
@example(("regions", {"n.pt": b"garbage"}, ["n.pt"]))
# -- the float64 format
@example(("regions", {"n.json": _float64('"1/3"')}, ["n.json"]))
@example(("regions", {"n.json": _float64("null")}, ["n.json"]))
@example(("regions", {"n.json": _float64("1e400")}, ["n.json"]))
@example(("regions", {"n.json": _float64("true")}, ["n.json"]))
# -- options, and float paths that would overflow
@example(("train", {"d.csv": DATA}, ["d.csv", "--width=2", "--seed=-1"]))
@example(("train", {"d.csv": DATA}, ["d.csv", "--width=2", "--sigma-o=-0"]))
@example(("train", {"d.csv": DATA}, ["d.csv", "--width=2", "--out="]))
@example(("train", {"d.csv": DATA}, ["d.csv", "--width=2", "--steps=3", "--out=n.json"]))
@example(
    ("train", {"d.json": b'{"x": [-1e300, 1e300, 0], "y": [1, 1, -1]}'}, ["d.json", "--width=2"])
)
@example(("train", {"d.csv": DATA}, ["d.csv", "--width=2", "--sigma-h=1e300"]))
@example(("regions", {"n.json": BIG}, ["n.json", "--tol=1e-9"]))
@example(("certify", {"n.json": BIG, "d.csv": DATA}, ["n.json", "d.csv"]))
@example(("demo", {}, ["--out=fig.jpg"]))
# -- networks and data on R^d: rows, a dimension mismatch, commands on R^d (certify, train)
@example(("regions", {"n.json": NET_2D}, ["n.json"]))
@example(("regions", {"n.json": b'{"w": [[1, 2], [3]], "v": [1, 1]}'}, ["n.json"]))
@example(("regions", {"n.json": b'{"w": [[1, 2], 3], "b": null, "v": [1, 1]}'}, ["n.json"]))
@example(("regions", {"n.json": b'{"format": "float64", "w": [[1e400]], "v": [1]}'}, ["n.json"]))
@example(("regions", {"n.npz": _npz(w=[[1.0, float("nan")]], v=[1.0])}, ["n.npz"]))
@example(("regions", {"n.npz": _npz(w=[[2**53 + 1, 1]], v=[1.0])}, ["n.npz"]))
@example(("certify", {"n.json": NET_2D, "d.csv": DATA}, ["n.json", "d.csv"]))
@example(("certify", {"n.json": NET_2D, "d.csv": DATA_2D}, ["n.json", "d.csv", "--exact"]))
@example(("certify", {"n.json": NET, "d.csv": DATA_2D}, ["n.json", "d.csv"]))
@example(("certify", {"n.json": NET, "d.csv": b"x1,x3,y\n1,2,1\n"}, ["n.json", "d.csv"]))
@example(("certify", {"n.json": NET, "d.csv": b"x1,x2,y\n1,nan,1\n"}, ["n.json", "d.csv"]))
@example(("certify", {"n.json": NET, "d.json": b'{"x": [[1], [2, 3]], "y": [1, 1]}'},
          ["n.json", "d.json"]))
@example(("train", {"d.csv": DATA_2D}, ["d.csv", "--width=2"]))
@example(("certify", {"n.json": NET_2D, "d.csv": b"\xef\xbb\xbfx1,x2,y\r\n1,2,1\r\n"},
          ["n.json", "d.csv"]))
@example(("certify", {"n.json": NET, "d.csv": b"x,y,y\n1,1,-1\n"}, ["n.json", "d.csv"]))
@example(("train", {"d.csv": b"x1,y\n-2,1\n2,1\n0.5,-1\n"}, ["d.csv", "--width=2"]))
def test_cli_contract(case):
    run_case(*case)


@pytest.mark.slow
@settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck))
@given(cli_cases())
def test_cli_contract_thorough(case):
    run_case(*case)


def test_torch_files():
    """``.pt`` state dicts: integers are read exactly, complex and sparse tensors refused."""
    torch = pytest.importorskip("torch")
    ones = torch.ones
    for state in (
        _torch_state(**{"0.bias": torch.tensor([0, 1])}),
        _torch_state(**{"0.weight": torch.ones(2, 1) * (1 + 2j)}),
        _torch_state(**{"2.weight": torch.ones(1, 2).to_sparse()}),
        _torch_state(**{"0.bias": [0, 1]}),
        {"0.weight": torch.ones(2, 1)},
        # R^d: the fc1/fc2 layout, a third layer, a layout the shapes cannot decide
        {"fc1.weight": ones(2, 3), "fc1.bias": torch.zeros(2), "fc2.weight": ones(1, 2)},
        {"fc1.weight": ones(8, 3), "fc2.weight": ones(2, 8), "fc3.weight": ones(1, 2)},
        {"W": ones(1, 3), "a": ones(1, 1), "c": ones(1)},
        {"fc1.weight": ones(2, 3), "fc2.weight": ones(1, 2), "fc2.bias": ones(1)},
    ):
        run_case("regions", {"n.pt": _pt(state)}, ["n.pt"])
