"""PyTorch modules, state_dicts and ``.pt`` files to networks and back (the ``torch`` extra).

A network ``N(x) = sum_j v_j relu(w_j . x + b_j)`` is the module
``nn.Sequential(nn.Linear(d, k), nn.ReLU(), nn.Linear(k, 1, bias=False))`` (``bias=False``
in the first layer too for a network without hidden biases). Any other module or
state_dict is read by the shapes of its tensors: one (k, d) weight (the hidden layer), one
(1, k) weight (the output layer), an optional (k,) hidden bias and nothing else, as in the
common ``fc1``/``fc2`` layout. Parameters become float64 without rounding: a float32 value
is the dyadic rational it stores.
"""

from __future__ import annotations

import io as _io
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from .._files import read_bytes
from ..errors import FileFormatError, InvalidNetworkError, InvalidValueError, require
from ..limits import shorten
from ._float64 import exact_floats, float64_parameters
from .network import Network
from .network_nd import NetworkNd

LAYOUT = "nn.Sequential(nn.Linear(d, k), nn.ReLU(), nn.Linear(k, 1, bias=False))"
_LISTED = 12  # tensors named in an error message before "... and N more"
_PROBED = 32  # neurons whose kinks the forward check straddles


def _torch():
    return require("torch", "torch")


def network_from_torch(module: object) -> Network | NetworkNd:
    """The float network of a PyTorch module or state_dict.

    Accepted: ``nn.Sequential(nn.Linear(d, k[, bias]), nn.ReLU(), nn.Linear(k, 1, bias=False))``,
    and any ``nn.Module`` or state_dict whose tensors are exactly one (k, d) weight, one
    (1, k) weight and optionally a (k,) hidden bias (for instance ``fc1 = nn.Linear(d, k)``,
    ``fc2 = nn.Linear(k, 1, bias=False)``). Keys ``<layer>.weight`` / ``<layer>.bias`` pair
    each bias with its layer; other names are matched by shape.

    Every parameter becomes float64 exactly (float16, bfloat16 and float32 embed in
    float64; integers must be float64 values). The result is a univariate
    :class:`~pwl_kkt.model.network.Network` when d = 1 and the hidden layer has biases (as
    in earlier versions), else a :class:`~pwl_kkt.model.network_nd.NetworkNd`.

    For a module other than that ``nn.Sequential`` the forward pass is not known from
    its parameters, so it is checked: on points straddling the neurons' kinks, the
    module's output must equal ``sum_j v_j relu(w_j . x + b_j)`` up to the rounding of
    its dtype. Pass ``module.state_dict()`` to read the parameters without the check.

    Raises
    ------
    InvalidNetworkError
        Tensors of another layout (the message lists their keys and shapes), an output
        bias that is not exactly zero (the network has none: with it ``N(x) + c`` is not
        2-homogeneous and the max-margin theory does not apply), a tensor that is not dense
        and real, or a module whose forward pass computes something else.

    Examples
    --------
    >>> import torch  # doctest: +SKIP
    >>> m = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.ReLU(),
    ...                         torch.nn.Linear(5, 1, bias=False))  # doctest: +SKIP
    >>> net = network_from_torch(m); (net.d, net.width)  # doctest: +SKIP
    (3, 5)
    """
    torch = _torch()
    if isinstance(module, Mapping):
        return _network_from_state(module)
    if not isinstance(module, torch.nn.Module):
        raise InvalidNetworkError(
            f"expected an nn.Module or a state_dict; got {type(module).__name__}"
        )
    state = module.state_dict()
    net = _network_from_state(state)
    if not _is_relu_sequential(module):
        dtype = next(t.dtype for t in state.values() if t.ndim == 2)
        _check_forward(module, net, dtype)
    return net


def _is_relu_sequential(module: object) -> bool:
    """The exact classes of the standard layout, whose forward pass is known."""
    nn = _torch().nn
    kinds = [type(layer) for layer in module] if isinstance(module, nn.Sequential) else []
    return kinds == [nn.Linear, nn.ReLU, nn.Linear]


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
    """float64 values of a real tensor (its shape kept), refusing rounding and NaN/inf."""
    torch = _torch()
    if tensor.is_floating_point():  # float16, bfloat16 and float32 embed exactly
        out = tensor.to(torch.float64).numpy().copy()
    else:
        out = exact_floats(np.asarray(tensor.tolist()), key)
        if out is None:
            raise InvalidNetworkError(
                f"{key} holds integers that are not exactly float64; "
                "save the exact values as JSON"
            )
    bad = np.argwhere(~np.isfinite(out))
    if bad.size:
        where = ", ".join(str(int(t)) for t in bad[0])
        raise InvalidValueError(f"{key}[{where}]: {float(out[tuple(bad[0])])!r} is not finite")
    return out


def _found(tensors: Mapping[str, object]) -> str:
    """``key (shape)`` for the first tensors, for error messages."""
    if not tensors:
        return "no tensors"
    shown = [f"{_cut(key)} {tuple(t.shape)}" for key, t in list(tensors.items())[:_LISTED]]
    more = len(tensors) - _LISTED
    return ", ".join(shown) + (f", and {more} more" if more > 0 else "")


def _cut(key: str) -> str:
    return key if len(key) <= 60 else f"{key[:28]}...{key[-28:]}"


def _layout_error(tensors: Mapping[str, object]) -> InvalidNetworkError:
    return InvalidNetworkError(
        "expected one (k, d) and one (1, k) weight, an optional (k,) hidden bias and no other "
        f"tensor (the parameters of {LAYOUT}); found {_found(tensors)}"
    )


def _prefix(key: str) -> str | None:
    """``"fc1."`` for ``"fc1.weight"``: the name a bias of the same layer starts with."""
    return key[: -len("weight")] if key.endswith("weight") else None


def _layout(tensors: Mapping[str, object]) -> tuple[str, str, str | None, str | None]:
    """Keys of (hidden weight, output weight, hidden bias or None, output bias or None)."""
    matrices = [key for key, t in tensors.items() if t.ndim == 2]
    vectors = [key for key, t in tensors.items() if t.ndim == 1]
    if len(matrices) != 2 or len(matrices) + len(vectors) != len(tensors):
        raise _layout_error(tensors)
    first, second = matrices
    orders = [
        (h, o) for h, o in ((first, second), (second, first))
        if tuple(tensors[o].shape) == (1, tensors[h].shape[0]) and tensors[h].numel() > 0
    ]
    if not orders:
        raise _layout_error(tensors)
    # Both orders fit only for two (1, 1) weights; state_dicts list layers in order.
    hidden, out = orders[0]
    k = tensors[hidden].shape[0]
    roles: dict[str, str] = {}
    named = _prefix(hidden) is not None and _prefix(out) is not None
    for key in vectors:
        if named:  # <layer>.weight / <layer>.bias: the names say which layer
            role = {f"{_prefix(hidden)}bias": "hidden", f"{_prefix(out)}bias": "out"}.get(key)
        else:
            fits = [r for r, n in (("hidden", k), ("out", 1)) if tensors[key].shape[0] == n]
            if len(fits) == 2:
                raise InvalidNetworkError(
                    f"{_cut(key)} {tuple(tensors[key].shape)} could be the hidden or the output "
                    "bias (k = 1); name the tensors <layer>.weight and <layer>.bias"
                )
            role = fits[0] if fits else None
        if role is None or role in roles.values():
            raise _layout_error(tensors)
        roles[key] = role
    biases = {role: key for key, role in roles.items()}
    for role, size in (("hidden", k), ("out", 1)):
        key = biases.get(role)
        if key is not None and tuple(tensors[key].shape) != (size,):
            raise InvalidNetworkError(
                f"{_cut(key)} has shape {tuple(tensors[key].shape)}; the {role} layer's bias "
                f"must have shape ({size},)"
            )
    return hidden, out, biases.get("hidden"), biases.get("out")


def _network_from_state(state: Mapping[object, object]) -> Network | NetworkNd:
    tensors = {str(key): _tensor(value, _cut(str(key))) for key, value in state.items()}
    hidden, out, hidden_bias, out_bias = _layout(tensors)
    if out_bias is not None and bool((tensors[out_bias] != 0).any()):
        value = float(tensors[out_bias].reshape(-1)[0])
        raise InvalidNetworkError(
            f"the output layer has a bias ({_cut(out_bias)} = {value!r}) and the network "
            "sum_j v_j relu(w_j . x + b_j) has none: N(x) + c is not 2-homogeneous, so the "
            "max-margin theory does not apply; use nn.Linear(k, 1, bias=False)"
        )
    w = _tensor_floats(tensors[hidden], hidden)
    b = None if hidden_bias is None else _tensor_floats(tensors[hidden_bias], hidden_bias)
    v = _tensor_floats(tensors[out], out).reshape(-1)
    if w.shape[1] == 1 and b is not None:
        return Network(w[:, 0].copy(), b, v, exact=False)
    return NetworkNd(w, b, v, exact=False)


def _probe_points(w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Points on both sides of (up to ``_PROBED``) neurons' hyperplanes, and a few others.

    For neuron j with unit normal ``u = w_j / |w_j|`` and foot point
    ``p = -b_j u / |w_j|``, the points ``p +- (1 + |p|) u`` have pre-activations
    ``+-|w_j| (1 + |p|)``: a module whose activation is not the ReLU differs there.
    """
    top = np.max(np.abs(w), axis=1)
    live = np.flatnonzero(top > 0)
    if live.size > _PROBED:
        live = live[np.linspace(0, live.size - 1, _PROBED).astype(int)]
    points = [np.random.default_rng(0).standard_normal((8, w.shape[1]))]
    with np.errstate(all="ignore"):
        for j in live:
            unit = w[j] / top[j]  # scaled first: |w_j| itself may overflow
            norm = np.linalg.norm(unit)
            u, p = unit / norm, -(b[j] / top[j]) / norm * (unit / norm)
            step = 1.0 + np.linalg.norm(p)
            pair = np.stack([p + step * u, p - step * u])
            if np.all(np.isfinite(pair)):  # a kink beyond float64 range cannot be probed
                points.append(pair)
    return np.concatenate(points)


def _check_forward(module: object, net: Network | NetworkNd, dtype: object) -> None:
    """Refuse a module whose output is not ``sum_j v_j relu(w_j . x + b_j)`` on probe points.

    Tolerance: a float sum of n terms is off by at most about ``n u`` times the sum of the
    terms' magnitudes (u the unit roundoff of ``dtype``); the module and the float64
    reference each compute ``d + k + 2``-term sums, so ``4 (d + k + 2) u size`` with
    ``size = sum_j |v_j| (|w_j| . |x| + |b_j|)`` covers both with a factor 2 to spare,
    while another activation is off by about ``size`` itself.
    """
    torch = _torch()
    if not torch.is_floating_point(torch.zeros(0, dtype=dtype)):
        dtype = torch.float64
    w, b, v = net.arrays()
    w = w.reshape(net.width, -1)
    k, d = w.shape
    x = torch.tensor(_probe_points(w, b), dtype=torch.float64).to(dtype)
    xs = x.to(torch.float64).numpy()  # the points the module sees, exactly
    try:
        with torch.no_grad():
            got = module(x)
    except Exception as exc:  # any forward pass can fail on a plain (m, d) batch
        raise InvalidNetworkError(
            f"cannot check that the {type(module).__name__} computes sum_j v_j relu(w_j . x "
            f"+ b_j): its forward pass on a batch of shape {tuple(x.shape)} raised "
            f"{type(exc).__name__} ({shorten(str(exc))}); pass module.state_dict() to read the "
            "parameters without this check"
        ) from None
    if not isinstance(got, torch.Tensor) or got.numel() != len(xs):
        shape = tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__
        raise InvalidNetworkError(
            f"the {type(module).__name__} maps a batch of shape {tuple(x.shape)} to {shape}, "
            f"not to one output per point; pass module.state_dict() to read its parameters"
        )
    got = got.detach().to(torch.float64).reshape(-1).numpy()
    with np.errstate(all="ignore"):
        ref = np.maximum(xs @ w.T + b, 0.0) @ v
        size = (np.abs(xs) @ np.abs(w).T + np.abs(b)) @ np.abs(v)
        info = torch.finfo(dtype)
        n = d + k + 2
        tol = 4 * n * (info.eps / 2) * size + n * info.tiny
        usable = size * 4 * n < info.max  # the module's dtype cannot overflow there
        bad = np.flatnonzero(usable & ~(np.abs(got - ref) <= tol))
    if bad.size:
        i = int(bad[0])
        raise InvalidNetworkError(
            f"the {type(module).__name__} does not compute sum_j v_j relu(w_j . x + b_j) with "
            f"its (k, d) and (1, k) weights: at a probe point it gives {float(got[i])!r} where "
            f"the network gives {float(ref[i])!r} (tolerance {tol[i]:.3g}); pass "
            "module.state_dict() to read its parameters without this check"
        )


def network_to_torch(net: Network | NetworkNd, dtype: object = None) -> object:
    """``nn.Sequential(nn.Linear(d, k), nn.ReLU(), nn.Linear(k, 1, bias=False))`` computing ``net``.

    A network without hidden biases gets ``nn.Linear(d, k, bias=False)``. ``dtype``
    defaults to ``torch.float64``; every parameter must be exactly representable in it
    (else :class:`InvalidNetworkError` naming the first that is not), so that the module
    is the same network and not a rounded neighbour: ``dtype=torch.float32`` works for a
    network read from a float32 module, whose values are float32 numbers.

    Examples
    --------
    >>> net = NetworkNd([[1, -1, 0]], None, [2])
    >>> m = network_to_torch(net)  # doctest: +SKIP
    >>> network_from_torch(m) == net.to_float()  # doctest: +SKIP
    True
    """
    torch = _torch()
    dtype = torch.float64 if dtype is None else dtype
    params = float64_parameters(net)
    d = net.d if isinstance(net, NetworkNd) else 1
    k = net.width
    module = torch.nn.Sequential(
        torch.nn.Linear(d, k, bias="b" in params, dtype=dtype),
        torch.nn.ReLU(),
        torch.nn.Linear(k, 1, bias=False, dtype=dtype),
    )
    targets = {"w": module[0].weight, "b": module[0].bias, "v": module[2].weight}
    with torch.no_grad():
        for name, values in params.items():
            param = targets[name]
            tensor = torch.tensor(values, dtype=torch.float64).reshape(param.shape)
            cast = tensor.to(dtype)
            exact = cast.to(torch.float64) == tensor
            if not bool(exact.all()):
                i = int(torch.nonzero(~exact.reshape(-1))[0])
                where = "".join(f"[{t}]" for t in np.unravel_index(i, values.shape))
                value = float(values.reshape(-1)[i])
                raise InvalidNetworkError(
                    f"{name}{where} = {value!r} is not exactly representable in {dtype}"
                )
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
    from ..errors import MissingDependencyError

    parts = []
    for piece in version.split("+")[0].split(".")[:2]:
        digits = "".join(c for c in piece if c.isdigit())
        parts.append(int(digits) if digits else 0)
    if tuple(parts) < _SAFE_TORCH:
        raise MissingDependencyError(
            f"torch {version} is too old to load .pt files safely (weights_only loading can run "
            "code from a crafted file before torch 2.6); upgrade: pip install 'torch>=2.6'"
        )


def load_torch_file(path: Path) -> Network | NetworkNd:
    """The network of a ``.pt`` file holding a state_dict (read with ``weights_only=True``)."""
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
    if not isinstance(obj, Mapping):
        raise FileFormatError(
            f"{path}: holds a {type(obj).__name__}, not a state_dict; "
            "save module.state_dict() with torch.save"
        )
    return _network_from_state(obj)


def torch_file_bytes(net: Network | NetworkNd) -> bytes:
    """The ``.pt`` bytes of ``network_to_torch(net).state_dict()`` (float64)."""
    torch = _torch()
    buf = _io.BytesIO()
    torch.save(network_to_torch(net).state_dict(), buf)
    return buf.getvalue()
