"""Reading and writing networks and datasets, exactly.

Formats
-------
Network JSON ``{"w": [...], "b": [...], "v": [...]}``
    Each entry a JSON number, read as the exact decimal it spells (``0.1`` is
    1/10), or a string ``"p/q"`` or ``"0.25"``. Written with integers as JSON
    integers and other rationals as ``"p/q"`` strings. A float network is
    written with ``"format": "float64"`` and its values' shortest round-trip
    decimals; that marker makes the reader take them as float64 again.
Network ``.npz``
    Arrays ``w``, ``b``, ``v``; float arrays give a float network (values taken
    as their exact binary values), integer arrays an exact one.
Network ``.pt`` / ``.pth``
    The ``state_dict`` of ``nn.Sequential(nn.Linear(1, k), nn.ReLU(),
    nn.Linear(k, 1, bias=False))`` (needs the ``torch`` extra).
Data JSON ``{"x": [...], "y": [...]}`` and CSV with a header ``x,y``
    ``x`` read exactly like network entries; ``y`` in {-1, +1}.

Every writer round-trips exactly and writes atomically (a temporary file in
the same folder, flushed and renamed into place), so a failure leaves no partial
file; new files get the usual ``0o666`` minus the umask. Every reader reads only
regular files within the size, digit and exponent limits of :mod:`pwl_kkt.limits`
and turns every defect of a file into a :class:`~pwl_kkt.errors.PwlKktError`
naming the file and the entry.
"""

from __future__ import annotations

import csv
import io as _io
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path

import numpy as np

from .._files import atomic_write as _atomic_write
from .._files import read_bytes, read_text
from .._rational import fraction_text, parse_number
from ..errors import (
    FileFormatError,
    InvalidNetworkError,
    InvalidValueError,
    MissingDependencyError,
    PwlKktError,
    require,
)
from ..limits import get_limits, shorten
from .data import Dataset
from .network import Network

__all__ = [
    "load_data",
    "load_network",
    "network_from_torch",
    "network_to_torch",
    "save_data",
    "save_network",
]

_TORCH_SUFFIXES = (".pt", ".pth")


@contextmanager
def _naming(path: Path) -> Iterator[None]:
    """Re-raise pwl_kkt errors with the file they came from in front of the message."""
    try:
        yield
    except PwlKktError as exc:
        if str(exc).startswith(str(path)):
            raise
        raise type(exc)(f"{path}: {exc}") from None


class _JsonNumber(str):
    """The text of a JSON number, kept as text: its value is built (within the limits)
    only where its entry is known, and ``json`` never converts a 10**6-digit integer."""


def _read_json(path: Path) -> dict:
    def no_constants(name: str) -> None:
        raise FileFormatError(f"{path}: {name} is not a finite number")

    text = read_text(path)
    try:
        obj = json.loads(
            text, parse_float=_JsonNumber, parse_int=_JsonNumber, parse_constant=no_constants
        )
    except json.JSONDecodeError as exc:
        raise FileFormatError(f"{path}: not valid JSON ({exc})") from None
    except RecursionError:
        raise FileFormatError(f"{path}: JSON nested too deeply") from None
    if not isinstance(obj, dict):
        raise FileFormatError(f"{path}: expected a JSON object, got {type(obj).__name__}")
    return obj


def _json_list(obj: dict, key: str, path: Path) -> list:
    if key not in obj:
        raise FileFormatError(f"{path}: missing key {key!r}")
    value = obj[key]
    if not isinstance(value, list):
        raise FileFormatError(f"{path}: {key!r} must be a list, got {type(value).__name__}")
    return value


def _float64_list(values: list, name: str) -> np.ndarray:
    """Entries of a ``"format": "float64"`` file: JSON numbers, each a finite float64."""
    out = np.empty(len(values), dtype=np.float64)
    for i, t in enumerate(values):
        where = f"{name}[{i}]"
        if not isinstance(t, _JsonNumber):
            raise InvalidValueError(
                f"{where}: {shorten(t)} is not a JSON number (a float64 file holds numbers)"
            )
        parse_number(t, where)  # the limits, and the same message as exact files
        out[i] = float(t)
        if not np.isfinite(out[i]):
            raise InvalidValueError(f"{where}: {shorten(str(t))} overflows float64")
    return out


def _json_value(q: Fraction) -> int | str:
    # Integers beyond ~4000 digits stay text: json (like str) refuses to write them.
    return q.numerator if q.denominator == 1 and q.numerator.bit_length() < 13000 else (
        fraction_text(q)
    )


# --- networks ---------------------------------------------------------------------------------


def load_network(path: str | os.PathLike) -> Network:
    """Read a network from ``.json``, ``.npz`` or ``.pt``/``.pth`` (chosen by extension).

    Raises
    ------
    FileFormatError
        Unknown extension, unparsable file, missing or malformed arrays.
    InvalidValueError, InvalidNetworkError
        Bad entries or inconsistent lengths; the message names the file and entry.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "net.json"
    >>> _ = p.write_text('{"w": [0.1], "b": ["-1/3"], "v": [2]}')
    >>> load_network(p)
    Network(w=['1/10'], b=['-1/3'], v=['2'])
    """
    path = Path(path)
    suffix = path.suffix.lower()
    with _naming(path):
        if suffix == ".json":
            obj = _read_json(path)
            lists = [_json_list(obj, key, path) for key in "wbv"]
            fmt = obj.get("format", "exact")
            if fmt == "float64":
                return Network(*(_float64_list(t, k) for t, k in zip(lists, "wbv")), exact=False)
            if fmt != "exact":
                raise FileFormatError(
                    f"{path}: unknown format {shorten(fmt)} (expected 'exact' or 'float64')"
                )
            return Network(*lists, exact=True)
        if suffix == ".npz":
            return _load_npz(path)
        if suffix in _TORCH_SUFFIXES:
            return _load_torch(path)
    raise FileFormatError(f"{path}: unknown network file type {suffix!r} (use .json, .npz or .pt)")


def save_network(net: Network, path: str | os.PathLike) -> None:
    """Write ``net`` to ``.json``, ``.npz`` or ``.pt``/``.pth``; reading it back gives it again.

    ``.npz`` and ``.pt`` hold float64: an exact network is written there only if
    every parameter is exactly a float64, else :class:`InvalidNetworkError`
    (use JSON for arbitrary rationals).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "net.json"
    >>> net = Network(["1/3"], [0], [1])
    >>> save_network(net, p); load_network(p) == net
    True
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        if net.is_exact:
            obj: dict[str, object] = {
                k: [_json_value(q) for q in p] for k, p in zip("wbv", net.fractions())
            }
        else:
            obj = {"format": "float64", **{k: a.tolist() for k, a in zip("wbv", net.arrays())}}
        _atomic_write(path, (json.dumps(obj, indent=1) + "\n").encode())
    elif suffix == ".npz":
        arrays = _exact_float64(net)
        buf = _io.BytesIO()
        np.savez(buf, w=arrays[0], b=arrays[1], v=arrays[2])
        _atomic_write(path, buf.getvalue())
    elif suffix in _TORCH_SUFFIXES:
        torch = require("torch", "torch")
        buf = _io.BytesIO()
        torch.save(network_to_torch(net).state_dict(), buf)
        _atomic_write(path, buf.getvalue())
    else:
        raise FileFormatError(
            f"{path}: unknown network file type {suffix!r} (use .json, .npz or .pt)"
        )


def _exact_float64(net: Network) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    arrays = net.arrays()
    if net.is_exact:
        for name, exact, approx in zip("wbv", net.fractions(), arrays):
            for i, (q, f) in enumerate(zip(exact, approx.tolist())):
                if Fraction(f) != q:
                    raise InvalidNetworkError(
                        f"{name}[{i}] = {fraction_text(q)} is not exactly a float64; "
                        "save exact networks as .json"
                    )
    return arrays


def _load_npz(path: Path) -> Network:
    raw = read_bytes(path)
    if not raw.startswith(b"PK"):  # every zip archive, empty or not, starts so
        what = "is empty" if not raw else "is not a zip archive (a .npy file renamed?)"
        raise FileFormatError(f"{path}: not a readable .npz file: it {what}")
    limit = get_limits().max_file_bytes
    try:
        with np.load(_io.BytesIO(raw), allow_pickle=False) as data:
            missing = [k for k in "wbv" if k not in data.files]
            if missing:
                raise FileFormatError(f"{path}: missing array(s) {', '.join(missing)}")
            unpacked = sum(data.zip.getinfo(f"{k}.npy").file_size for k in "wbv")
            if unpacked > limit:  # a compressed archive can unpack to far more than its size
                raise FileFormatError(
                    f"{path}: arrays of {unpacked} bytes unpacked, more than the limit "
                    f"max_file_bytes = {limit} (see pwl_kkt.limits)"
                )
            arrays = [np.asarray(data[k]) for k in "wbv"]
    except PwlKktError:
        raise
    except Exception as exc:  # zipfile, zlib and numpy raise many types for a damaged archive
        raise FileFormatError(
            f"{path}: not a readable .npz file ({type(exc).__name__}: {shorten(str(exc))})"
        ) from None
    for name, arr in zip("wbv", arrays):
        if arr.dtype.kind not in "fiu":
            raise FileFormatError(f"{path}: array {name} has non-numeric dtype {arr.dtype}")
        if arr.ndim != 1:
            raise FileFormatError(
                f"{path}: array {name} has shape {arr.shape}; expected one dimension"
            )
    floats = [_exact_floats(arr, name) for name, arr in zip("wbv", arrays)]
    if all(f is not None for f in floats):
        return Network(*floats, exact=False)
    # Some integer exceeds float64 (2**53 + 1): the network is exact, floats as their
    # binary values, so that no entry is rounded.
    return Network(*(arr.tolist() for arr in arrays), exact=True)


def _exact_floats(arr: np.ndarray, name: str) -> np.ndarray | None:
    """``arr`` as float64 if that holds every entry exactly, else ``None``."""
    if arr.dtype.kind == "f":
        out = arr.astype(np.float64)
        if arr.dtype.itemsize > 8 and not np.array_equal(out, arr, equal_nan=True):
            raise InvalidValueError(
                f"{name}: {arr.dtype} entries are not all float64 values; "
                "save float64 arrays, or the exact values as JSON"
            )
        return out
    out = arr.astype(np.float64)
    big = np.flatnonzero(np.abs(out) >= 2.0**53)  # below, every integer is a float64
    return out if all(int(out[i]) == int(arr[i]) for i in big) else None


# --- torch ----------------------------------------------------------------------------------------


def network_from_torch(module: object) -> Network:
    """Float network from ``Sequential(Linear(1, k), ReLU(), Linear(k, 1, bias=False))``.

    Parameters are converted to float64 exactly (float32 and bfloat16 embed in float64).
    An output layer with a bias is accepted only if the bias is exactly zero: with
    a bias the network ``N(x) + c`` is not 2-homogeneous and the max-margin
    theory does not apply.

    Raises
    ------
    InvalidNetworkError
        Another architecture, or a non-zero output bias.

    Examples
    --------
    >>> import torch  # doctest: +SKIP
    >>> m = torch.nn.Sequential(torch.nn.Linear(1, 3), torch.nn.ReLU(),
    ...                         torch.nn.Linear(3, 1, bias=False))  # doctest: +SKIP
    >>> network_from_torch(m).width  # doctest: +SKIP
    3
    """
    torch = require("torch", "torch")
    nn = torch.nn
    layers = list(module) if isinstance(module, nn.Sequential) else None
    if (
        layers is None
        or len(layers) != 3
        or not isinstance(layers[0], nn.Linear)
        or not isinstance(layers[1], nn.ReLU)
        or not isinstance(layers[2], nn.Linear)
    ):
        raise InvalidNetworkError(
            "expected nn.Sequential(nn.Linear(1, k), nn.ReLU(), nn.Linear(k, 1, bias=False)); "
            f"got {type(module).__name__}"
        )
    state = {
        "0.weight": layers[0].weight,
        "0.bias": layers[0].bias,
        "2.weight": layers[2].weight,
        "2.bias": layers[2].bias,
    }
    return _network_from_state(state)


def _tensor(value: object, key: str) -> object:
    """A dense real tensor, or :class:`InvalidNetworkError` saying what it is instead."""
    torch = _torch()
    if not isinstance(value, torch.Tensor):
        raise InvalidNetworkError(f"{key} is a {type(value).__name__}, not a tensor")
    problem = (
        "a sparse tensor" if value.layout != torch.strided
        else "a quantized tensor" if value.is_quantized
        else "complex (its imaginary part would be lost)" if value.is_complex()
        else "boolean" if value.dtype == torch.bool
        else f"on device {value.device.type}" if value.device.type not in ("cpu",)
        else None
    )
    if problem is not None:
        raise InvalidNetworkError(f"{key} is {problem}; expected a dense real tensor")
    return value.detach()


def _tensor_floats(tensor: object, key: str) -> np.ndarray:
    """float64 values of a real tensor; integers must be exactly float64 (|n| <= 2**53...)."""
    torch = _torch()
    if tensor.is_floating_point():  # float16, bfloat16 and float32 embed exactly
        return tensor.to(torch.float64).numpy().reshape(-1).copy()
    out = _exact_floats(np.asarray(tensor.tolist()).reshape(-1), key)
    if out is None:
        raise InvalidNetworkError(
            f"{key} holds integers that are not exactly float64; save the exact values as JSON"
        )
    return out


def _network_from_state(state: dict) -> Network:
    for key in ("0.weight", "0.bias", "2.weight", "2.bias"):
        if state.get(key) is not None:
            state = {**state, key: _tensor(state[key], key)}
    hidden_w, hidden_b, out_w = state["0.weight"], state.get("0.bias"), state["2.weight"]
    if hidden_w.ndim != 2 or hidden_w.shape[1] != 1:
        raise InvalidNetworkError(
            f"first layer must map 1 input to k units; weight has shape {tuple(hidden_w.shape)}"
        )
    k = hidden_w.shape[0]
    if out_w.ndim != 2 or tuple(out_w.shape) != (1, k):
        raise InvalidNetworkError(
            f"output layer must map {k} units to 1 output; weight has shape {tuple(out_w.shape)}"
        )
    if hidden_b is None:
        raise InvalidNetworkError(
            "the hidden layer needs biases b_j (nn.Linear(1, k) with bias=True)"
        )
    out_b = state.get("2.bias")
    if out_b is not None and bool((out_b != 0).any()):
        raise InvalidNetworkError(
            f"the output layer has a non-zero bias ({float(out_b.reshape(-1)[0])!r}); "
            "N(x) + c is not 2-homogeneous, so the max-margin theory does not apply: "
            "use nn.Linear(k, 1, bias=False)"
        )
    return Network(
        *(_tensor_floats(state[key], key) for key in ("0.weight", "0.bias", "2.weight")),
        exact=False,
    )


def _torch():
    return require("torch", "torch")


def network_to_torch(net: Network, dtype: object = None) -> object:
    """``nn.Sequential(nn.Linear(1, k), nn.ReLU(), nn.Linear(k, 1, bias=False))`` computing ``net``.

    ``dtype`` defaults to ``torch.float64``; every parameter must be exactly
    representable in it (else :class:`InvalidNetworkError`), so that the torch
    module is the same network and not a rounded neighbour.

    Examples
    --------
    >>> m = network_to_torch(Network([1, -1], [0, 0], [1, 1]))  # doctest: +SKIP
    >>> network_from_torch(m) == Network([1, -1], [0, 0], [1, 1]).to_float()  # doctest: +SKIP
    True
    """
    torch = _torch()
    dtype = torch.float64 if dtype is None else dtype
    w, b, v = _exact_float64(net)
    k = net.width
    module = torch.nn.Sequential(
        torch.nn.Linear(1, k, dtype=dtype),
        torch.nn.ReLU(),
        torch.nn.Linear(k, 1, bias=False, dtype=dtype),
    )
    with torch.no_grad():
        for param, values, name in (
            (module[0].weight, w, "w"),
            (module[0].bias, b, "b"),
            (module[2].weight, v, "v"),
        ):
            tensor = torch.tensor(np.array(values), dtype=torch.float64).reshape(param.shape)
            cast = tensor.to(dtype)
            if not torch.equal(cast.to(torch.float64), tensor):
                raise InvalidNetworkError(f"{name} is not exactly representable in {dtype}")
            param.copy_(cast)
    return module


_SAFE_TORCH = (2, 6)  # torch.load(weights_only=True) refuses pickled code only from 2.6 on


def _check_safe_torch(version: str) -> None:
    """Refuse to load ``.pt`` files with a torch older than 2.6.

    Before 2.6, ``torch.load(..., weights_only=True)`` could still execute code from a crafted
    file (CVE-2025-32434), so loading a file from someone else is unsafe there.

    Examples
    --------
    >>> _check_safe_torch("2.13.0+cpu")
    >>> _check_safe_torch("2.5.1")
    Traceback (most recent call last):
    ...
    pwl_kkt.errors.MissingDependencyError: torch 2.5.1 is too old to load .pt files safely ...
    """
    parts = []
    for piece in version.split("+")[0].split(".")[:2]:
        digits = "".join(c for c in piece if c.isdigit())
        parts.append(int(digits) if digits else 0)
    if tuple(parts) < _SAFE_TORCH:
        raise MissingDependencyError(
            f"torch {version} is too old to load .pt files safely (weights_only loading can run "
            "code from a crafted file before torch 2.6); upgrade: pip install 'torch>=2.6'"
        )


def _load_torch(path: Path) -> Network:
    torch = _torch()
    _check_safe_torch(str(torch.__version__))
    raw = read_bytes(path)
    try:
        obj = torch.load(_io.BytesIO(raw), map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a bad or pickled-module file
        raise FileFormatError(
            f"{path}: cannot read as a torch state_dict ({type(exc).__name__}); "
            "save module.state_dict() with torch.save"
        ) from None
    if isinstance(obj, torch.nn.Module):
        return network_from_torch(obj)
    if not isinstance(obj, dict) or not {"0.weight", "0.bias", "2.weight"} <= set(obj):
        raise FileFormatError(
            f"{path}: expected the state_dict of nn.Sequential(Linear(1,k), ReLU(), Linear(k,1)) "
            "with keys 0.weight, 0.bias, 2.weight"
        )
    return _network_from_state(obj)


# --- data -----------------------------------------------------------------------------------------


def load_data(path: str | os.PathLike) -> Dataset:
    """Read a dataset from ``.json`` (``{"x": [...], "y": [...]}``) or ``.csv`` (header ``x,y``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "data.csv"
    >>> _ = p.write_text("x,y\\n0.1,1\\n-1/2,-1\\n")
    >>> load_data(p).x
    (Fraction(1, 10), Fraction(-1, 2))
    """
    path = Path(path)
    suffix = path.suffix.lower()
    with _naming(path):
        if suffix == ".json":
            obj = _read_json(path)
            return Dataset(_json_list(obj, "x", path), _json_list(obj, "y", path), exact=True)
        if suffix == ".csv":
            return _load_csv(path)
    raise FileFormatError(f"{path}: unknown data file type {suffix!r} (use .json or .csv)")


def _load_csv(path: Path) -> Dataset:
    reader = csv.reader(_io.StringIO(read_text(path)))
    try:
        rows = [row for row in reader if row and any(c.strip() for c in row)]
    except csv.Error as exc:  # e.g. a field over csv's 131072-character limit
        raise FileFormatError(f"{path}: line {reader.line_num}: {exc}") from None
    if not rows:
        raise FileFormatError(f"{path}: empty file (expected a header 'x,y')")
    header = [c.strip().lower() for c in rows[0]]
    if "x" not in header or "y" not in header:
        raise FileFormatError(
            f"{path}: header must name columns x and y; got {shorten(','.join(rows[0]))}"
        )
    ix, iy = header.index("x"), header.index("y")
    xs, ys = [], []
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise FileFormatError(
                f"{path}: row {line} has {len(row)} fields, expected {len(header)}"
            )
        xs.append(row[ix].strip())
        ys.append(row[iy].strip())
    return Dataset(xs, ys, exact=True)


def save_data(data: Dataset, path: str | os.PathLike) -> None:
    """Write a dataset as ``.json`` or ``.csv`` with exact ``x`` (integers or ``"p/q"``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "d.json"
    >>> d = Dataset(["1/3", 2], [1, -1])
    >>> save_data(d, p); load_data(p) == d
    True
    """
    path = Path(path)
    suffix = path.suffix.lower()
    xs = [_json_value(q) for q in data.x_exact]
    ys = data.y.tolist()
    if suffix == ".json":
        _atomic_write(path, (json.dumps({"x": xs, "y": ys}) + "\n").encode())
    elif suffix == ".csv":
        lines = ["x,y", *(f"{x},{y}" for x, y in zip(xs, ys))]
        _atomic_write(path, ("\n".join(lines) + "\n").encode())
    else:
        raise FileFormatError(f"{path}: unknown data file type {suffix!r} (use .json or .csv)")
