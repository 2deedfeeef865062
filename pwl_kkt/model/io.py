"""Reading and writing networks and datasets, exactly.

Formats
-------
Network JSON ``{"w": [...], "b": [...], "v": [...]}``
    Each entry a JSON number, read as the exact decimal it spells (``0.1`` is
    1/10), or a string ``"p/q"`` or ``"0.25"``. Written with integers as JSON
    integers and other rationals as ``"p/q"`` strings. A float network is
    written with ``"format": "float64"`` and its values' shortest round-trip
    decimals; that marker makes the reader take them as float64 again.
    A network on R^d has rows: ``{"w": [[...], ...], "b": [...], "v": [...]}``,
    one row of d entries per neuron; ``"b"`` absent or ``null`` means no hidden
    biases.
Network ``.npz``
    Arrays ``w``, ``b``, ``v``; float arrays give a float network (values taken
    as their exact binary values), integer arrays an exact one. A two-dimensional
    ``w`` of shape (k, d) gives a network on R^d, whose ``b`` may be left out (no
    hidden biases).
Network ``.pt`` / ``.pth``
    The ``state_dict`` of ``nn.Sequential(nn.Linear(d, k), nn.ReLU(),
    nn.Linear(k, 1, bias=False))``, or of any module whose tensors are one (k, d)
    and one (1, k) weight and an optional (k,) hidden bias (needs the ``torch``
    extra; see :func:`network_from_torch`).
Data JSON ``{"x": [...], "y": [...]}`` and CSV with a header ``x,y``
    ``x`` read exactly like network entries; ``y`` in {-1, +1}. Points in R^d are
    rows, ``{"x": [[...], ...], "y": [...]}``, or CSV columns ``x1, ..., xd, y``
    (in any order, other columns ignored).

Which class a reader returns is decided by the file, so every univariate file
reads as before: a network whose ``w`` holds rows (a JSON list of lists, a 2-D
array, a state_dict with d > 1 or without hidden biases) is a
:class:`~pwl_kkt.model.network_nd.NetworkNd`, other networks are
:class:`~pwl_kkt.model.network.Network`; data with rows (a JSON list of lists, CSV
columns ``x1..xd``) is a :class:`~pwl_kkt.model.data_nd.DatasetNd`, other data a
:class:`~pwl_kkt.model.data.Dataset`. The writers keep the distinction, so a
round trip returns the class it was given (a ``.pt`` file holds no such marker: a
d = 1 network with hidden biases reads back univariate).

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
import re
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
    PwlKktError,
)
from ..limits import get_limits, shorten
from ._float64 import exact_floats, float64_parameters
from ._torch import load_torch_file, network_from_torch, network_to_torch, torch_file_bytes
from .data import Dataset
from .data_nd import DatasetNd
from .network import Network
from .network_nd import NetworkNd

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


def _json_list(obj: dict, key: str, path: Path, *, nullable: bool = False) -> list:
    if key not in obj:
        raise FileFormatError(f"{path}: missing key {key!r}")
    value = obj[key]
    if not isinstance(value, list):
        kind = {_JsonNumber: "a number", str: "a string", dict: "an object", bool: "a boolean",
                type(None): "null"}.get(type(value), type(value).__name__)
        expected = "a list or null" if nullable else "a list"
        raise FileFormatError(f"{path}: {key!r} must be {expected}, got {kind}")
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


def _json_optional_list(obj: dict, key: str, path: Path) -> list | None:
    """``obj[key]`` as a list, or ``None`` when the key is absent or null."""
    return None if obj.get(key) is None else _json_list(obj, key, path, nullable=True)


def _has_rows(values: list) -> bool:
    """Whether a JSON list holds rows (its first entry is a list): the mark of R^d."""
    return bool(values) and isinstance(values[0], list)


def _float64_rows(rows: list, name: str) -> list[np.ndarray]:
    """Rows of a ``"format": "float64"`` file (their lengths are checked by the class)."""
    out = []
    for j, row in enumerate(rows):
        if not isinstance(row, list):
            raise InvalidNetworkError(f"{name}[{j}] must be a row of d numbers")
        out.append(_float64_list(row, f"{name}[{j}]"))
    return out


def _json_bytes(obj: dict) -> bytes:
    """``json.dumps(obj, indent=1)``, except that a list of rows is written a row per line."""
    items = []
    for key, value in obj.items():
        if isinstance(value, list) and _has_rows(value):
            body = "[\n" + ",\n".join(f"  {json.dumps(row)}" for row in value) + "\n ]"
        else:
            body = json.dumps(value, indent=1).replace("\n", "\n ")
        items.append(f" {json.dumps(key)}: {body}")
    return ("{\n" + ",\n".join(items) + "\n}\n").encode()


# --- networks ---------------------------------------------------------------------------------


def load_network(path: str | os.PathLike) -> Network | NetworkNd:
    """Read a network from ``.json``, ``.npz`` or ``.pt``/``.pth`` (chosen by extension).

    A file whose ``w`` holds rows (see the module docstring) gives a
    :class:`~pwl_kkt.model.network_nd.NetworkNd`, any other a univariate
    :class:`~pwl_kkt.model.network.Network`.

    Raises
    ------
    FileFormatError
        Unknown extension, unparsable file, missing or malformed arrays.
    InvalidValueError, InvalidNetworkError
        Bad entries, ragged rows or inconsistent lengths; the message names the file and
        the entry.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "net.json"
    >>> _ = p.write_text('{"w": [0.1], "b": ["-1/3"], "v": [2]}')
    >>> load_network(p)
    Network(w=['1/10'], b=['-1/3'], v=['2'])
    >>> _ = p.write_text('{"w": [[1, 0.5], [0, -1]], "v": [1, "1/3"]}')
    >>> load_network(p)
    NetworkNd(w=[['1', '1/2'], ['0', '-1']], b=None, v=['1', '1/3'])
    """
    path = Path(path)
    suffix = path.suffix.lower()
    with _naming(path):
        if suffix == ".json":
            return _network_from_json(_read_json(path), path)
        if suffix == ".npz":
            return _load_npz(path)
        if suffix in _TORCH_SUFFIXES:
            return load_torch_file(path)
    raise FileFormatError(f"{path}: unknown network file type {suffix!r} (use .json, .npz or .pt)")


def _network_from_json(obj: dict, path: Path) -> Network | NetworkNd:
    w = _json_list(obj, "w", path)
    rows = _has_rows(w)
    b = _json_optional_list(obj, "b", path) if rows else _json_list(obj, "b", path)
    v = _json_list(obj, "v", path)
    fmt = obj.get("format", "exact")
    if fmt == "float64":
        bf = None if b is None else _float64_list(b, "b")
        if rows:
            return NetworkNd(_float64_rows(w, "w"), bf, _float64_list(v, "v"), exact=False)
        return Network(_float64_list(w, "w"), bf, _float64_list(v, "v"), exact=False)
    if fmt != "exact":
        raise FileFormatError(
            f"{path}: unknown format {shorten(fmt)} (expected 'exact' or 'float64')"
        )
    return NetworkNd(w, b, v, exact=True) if rows else Network(w, b, v, exact=True)


def save_network(net: Network | NetworkNd, path: str | os.PathLike) -> None:
    """Write ``net`` to ``.json``, ``.npz`` or ``.pt``/``.pth``; reading it back gives it again.

    ``.npz`` and ``.pt`` hold float64: an exact network is written there only if
    every parameter is exactly a float64, else :class:`InvalidNetworkError` naming
    the first that is not (use JSON for arbitrary rationals). A
    :class:`~pwl_kkt.model.network_nd.NetworkNd` is written with rows (and
    ``"b": null`` without hidden biases), so it reads back as one.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "net.json"
    >>> net = Network(["1/3"], [0], [1])
    >>> save_network(net, p); load_network(p) == net
    True
    >>> net = NetworkNd([[1, "1/3"]], None, [2])
    >>> save_network(net, p); load_network(p) == net
    True
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        _atomic_write(path, _json_bytes(_network_json(net)))
    elif suffix == ".npz":
        buf = _io.BytesIO()
        np.savez(buf, **float64_parameters(net))
        _atomic_write(path, buf.getvalue())
    elif suffix in _TORCH_SUFFIXES:
        _atomic_write(path, torch_file_bytes(net))
    else:
        raise FileFormatError(
            f"{path}: unknown network file type {suffix!r} (use .json, .npz or .pt)"
        )


def _network_json(net: Network | NetworkNd) -> dict[str, object]:
    rows = isinstance(net, NetworkNd)
    if net.is_exact:
        w, b, v = net.fractions()
        obj: dict[str, object] = {
            "w": [[_json_value(q) for q in r] for r in w] if rows else [_json_value(q) for q in w],
            "b": [_json_value(q) for q in b],
            "v": [_json_value(q) for q in v],
        }
    else:
        obj = {"format": "float64", **{k: a.tolist() for k, a in zip("wbv", net.arrays())}}
    if rows and not net.has_bias:
        obj["b"] = None
    return obj


def _load_npz(path: Path) -> Network | NetworkNd:
    raw = read_bytes(path)
    if not raw.startswith(b"PK"):  # every zip archive, empty or not, starts so
        what = "is empty" if not raw else "is not a zip archive (a .npy file renamed?)"
        raise FileFormatError(f"{path}: not a readable .npz file: it {what}")
    limit = get_limits().max_file_bytes
    try:
        with np.load(_io.BytesIO(raw), allow_pickle=False) as data:
            present = [k for k in "wbv" if k in data.files]
            unpacked = sum(data.zip.getinfo(f"{k}.npy").file_size for k in present)
            if unpacked > limit:  # a compressed archive can unpack to far more than its size
                raise FileFormatError(
                    f"{path}: arrays of {unpacked} bytes unpacked, more than the limit "
                    f"max_file_bytes = {limit} (see pwl_kkt.limits)"
                )
            arrays = {k: np.asarray(data[k]) for k in present}
    except PwlKktError:
        raise
    except Exception as exc:  # zipfile, zlib and numpy raise many types for a damaged archive
        raise FileFormatError(
            f"{path}: not a readable .npz file ({type(exc).__name__}: {shorten(str(exc))})"
        ) from None
    rows = "w" in arrays and arrays["w"].ndim == 2
    missing = [k for k in "wbv" if k not in arrays and (k != "b" or not rows)]
    if missing:
        raise FileFormatError(f"{path}: missing array(s) {', '.join(missing)}")
    for name, arr in arrays.items():
        if arr.dtype.kind not in "fiu":
            raise FileFormatError(f"{path}: array {name} has non-numeric dtype {arr.dtype}")
        if arr.ndim != 1 and not (name == "w" and rows):
            expected = "(k,) or (k, d)" if name == "w" else "one dimension"
            raise FileFormatError(
                f"{path}: array {name} has shape {arr.shape}; expected {expected}"
            )
    floats = {name: exact_floats(arr, name) for name, arr in arrays.items()}
    if all(f is not None for f in floats.values()):
        params, exact = floats, False
    else:
        # Some integer exceeds float64 (2**53 + 1): the network is exact, floats as their
        # binary values, so that no entry is rounded.
        params, exact = {name: arr.tolist() for name, arr in arrays.items()}, True
    if rows:
        return NetworkNd(params["w"], params.get("b"), params["v"], exact=exact)
    return Network(params["w"], params["b"], params["v"], exact=exact)


# --- data -----------------------------------------------------------------------------------------


def load_data(path: str | os.PathLike) -> Dataset | DatasetNd:
    """Read a dataset from ``.json`` (``{"x": [...], "y": [...]}``) or ``.csv`` (header ``x,y``).

    Points given as rows (a JSON list of lists, or CSV columns ``x1, ..., xd``) give a
    :class:`~pwl_kkt.model.data_nd.DatasetNd`; other files a univariate
    :class:`~pwl_kkt.model.data.Dataset`.

    Raises
    ------
    FileFormatError
        Unknown extension, unparsable file, a CSV header without ``y`` or with a gap in
        ``x1..xd`` (the missing column named).
    InvalidValueError, InvalidDataError
        Bad entries, ragged rows, labels outside {-1, +1}; the message names the entry.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "data.csv"
    >>> _ = p.write_text("x,y\\n0.1,1\\n-1/2,-1\\n")
    >>> load_data(p).x
    (Fraction(1, 10), Fraction(-1, 2))
    >>> _ = p.write_text("x1,x2,y\\n0.1,2,1\\n")
    >>> load_data(p).x
    ((Fraction(1, 10), Fraction(2, 1)),)
    """
    path = Path(path)
    suffix = path.suffix.lower()
    with _naming(path):
        if suffix == ".json":
            obj = _read_json(path)
            x, y = _json_list(obj, "x", path), _json_list(obj, "y", path)
            return DatasetNd(x, y, exact=True) if _has_rows(x) else Dataset(x, y, exact=True)
        if suffix == ".csv":
            return _load_csv(path)
    raise FileFormatError(f"{path}: unknown data file type {suffix!r} (use .json or .csv)")


_COORDINATE = re.compile(r"x(\d+)")


def _csv_columns(header: list[str], path: Path) -> tuple[list[int], int]:
    """Indices of the x columns (``[x]`` or ``[x1, ..., xd]`` in order) and of ``y``."""
    shown = shorten(",".join(header))
    if "y" not in header or ("x" not in header and not any(map(_COORDINATE.fullmatch, header))):
        raise FileFormatError(
            f"{path}: header must name columns x and y (or x1, ..., xd and y); got {shown}"
        )
    iy = header.index("y")
    if "x" in header:  # the univariate layout, read as before
        return [header.index("x")], iy
    numbered: dict[int, int] = {}
    for i, name in enumerate(header):
        m = _COORDINATE.fullmatch(name)
        if m is None:
            continue
        c = int(m.group(1)) if len(m.group(1)) <= 9 else 10**9
        if c == 0 or name != f"x{c}":
            raise FileFormatError(
                f"{path}: column {shorten(name)}: coordinates are numbered x1, x2, ..., xd"
            )
        if c in numbered:
            raise FileFormatError(f"{path}: column {name} appears twice in the header")
        numbered[c] = i
    d = max(numbered)
    gap = next((c for c in range(1, d + 1) if c not in numbered), None)
    if gap is not None:
        raise FileFormatError(
            f"{path}: the header names x{d} but not x{gap}: the columns x1, ..., x{d} are "
            "all needed"
        )
    return [numbered[c] for c in range(1, d + 1)], iy


def _load_csv(path: Path) -> Dataset | DatasetNd:
    reader = csv.reader(_io.StringIO(read_text(path)))
    try:
        rows = [row for row in reader if row and any(c.strip() for c in row)]
    except csv.Error as exc:  # e.g. a field over csv's 131072-character limit
        raise FileFormatError(f"{path}: line {reader.line_num}: {exc}") from None
    if not rows:
        raise FileFormatError(f"{path}: empty file (expected a header 'x,y' or 'x1,...,xd,y')")
    header = [c.strip().lower() for c in rows[0]]
    ix, iy = _csv_columns(header, path)
    univariate = header[ix[0]] == "x"
    xs: list = []
    ys = []
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise FileFormatError(
                f"{path}: row {line} has {len(row)} fields, expected {len(header)}"
            )
        ys.append(row[iy].strip())
        if univariate:
            xs.append(row[ix[0]].strip())
        else:  # named by line and column: what a reader of the CSV file looks for
            xs.append([parse_number(row[i], f"line {line}, x{c}") for c, i in enumerate(ix, 1)])
    return Dataset(xs, ys, exact=True) if univariate else DatasetNd(xs, ys, exact=True)


def save_data(data: Dataset | DatasetNd, path: str | os.PathLike) -> None:
    """Write a dataset as ``.json`` or ``.csv`` with exact ``x`` (integers or ``"p/q"``).

    A :class:`~pwl_kkt.model.data_nd.DatasetNd` is written with rows (JSON) or the
    columns ``x1, ..., xd, y`` (CSV), so it reads back as one.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "d.json"
    >>> d = Dataset(["1/3", 2], [1, -1])
    >>> save_data(d, p); load_data(p) == d
    True
    >>> d = DatasetNd([["1/3", 2], [0, 1]], [1, -1])
    >>> save_data(d, p.with_suffix(".csv")); load_data(p.with_suffix(".csv")) == d
    True
    """
    path = Path(path)
    suffix = path.suffix.lower()
    rows = isinstance(data, DatasetNd)
    if rows:
        xs: list = [[_json_value(q) for q in r] for r in data.x_exact]
        columns = [f"x{c}" for c in range(1, data.d + 1)]
    else:
        xs = [_json_value(q) for q in data.x_exact]
        columns = ["x"]
    ys = data.y.tolist()
    if suffix == ".json":
        _atomic_write(path, (json.dumps({"x": xs, "y": ys}) + "\n").encode())
    elif suffix == ".csv":
        cells = [r if rows else [r] for r in xs]
        lines = [",".join([*columns, "y"])]
        lines += [",".join(map(str, [*r, y])) for r, y in zip(cells, ys)]
        _atomic_write(path, ("\n".join(lines) + "\n").encode())
    else:
        raise FileFormatError(f"{path}: unknown data file type {suffix!r} (use .json or .csv)")
