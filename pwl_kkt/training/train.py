"""Gradient flow and gradient descent on the empirical loss, on R (O((n + k) log(n + k)) a
step) and on R^d (O(n k d) a step, BLAS).

Loss (Eq. 2 of Safran, Vardi & Lee 2022): ``L(theta) = 1/n sum_i l(y_i N(x_i))`` with
``l(q) = exp(-q)`` (``"exp"``) or ``l(q) = log(1 + exp(-q))`` (``"logistic"``).

Clarke selection: ``relu'(0) = 0``. A point exactly on a neuron's kink (``w_j x_i + b_j == 0``
in floating point) does not move that neuron. Example 1 of Safran et al. (2022) depends on this.

Networks on R^d: a :class:`~pwl_kkt.NetworkNd` (with or without hidden biases) on a
:class:`~pwl_kkt.DatasetNd` trains with the same methods, losses, stopping rules, history,
callback and progress bar. Its step is dense: ``Z = X W^T + b`` and the gradient are two
BLAS matrix products over chunks of the data (:mod:`pwl_kkt.training._gradnd`), float64
throughout; a network without hidden biases trains without them (``N(x) = v^T relu(W x)``,
the network of Phuong & Lampert, ICLR 2021, whose small-initialization regime
:func:`~pwl_kkt.init_network` draws with ``scale``). A univariate
:class:`~pwl_kkt.Network` keeps the sorted-data path below; a d = 1 NetworkNd gives its
answers up to rounding.

``method="flow"`` integrates gradient flow with the loss-normalized clock:
``dtheta/ds = -grad L(theta) / L(theta)`` traces the same curve as ``dtheta/dt = -grad L`` with
``dt = ds / L``, so Euler steps ``theta <- theta - lr * grad L / L`` follow the flow while the loss
decays exponentially; the step in ``s`` is chosen so that ``theta`` moves by a fixed fraction
``lr`` of its norm, halved whenever the loss would rise. ``grad L / L`` is computed directly
from the margins with softmax-like weights, so it stays finite when ``L`` itself underflows
to 0. ``method="gd"`` is plain gradient descent ``theta <- theta - lr * grad L``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from .. import _defaults
from ..errors import InvalidDataError, InvalidValueError, require
from ..model.data import Dataset, as_dataset
from ..model.data_nd import DatasetNd
from ..model.dimensions import check_dimensions
from ..model.network import Network
from ..model.network_nd import NetworkNd
from . import _fastgrad as fg
from . import _flow
from ._evaluation import Evaluation as _Eval
from ._evaluation import log_loss_terms as _log_loss_terms
from ._evaluation import logsumexp as _logsumexp
from ._gradnd import NdEngine

__all__ = ["TrainingHistory", "loss_and_grad", "train"]

_LOSSES = ("exp", "logistic")
_METHODS = ("flow", "gd")


def _check_loss(loss: str) -> None:
    if loss not in _LOSSES:
        raise InvalidValueError(f"loss: {loss!r} is not one of {', '.join(_LOSSES)}")


def _float_params(net: Network) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not isinstance(net, Network):
        raise InvalidValueError(f"net must be a Network or a NetworkNd; got {type(net).__name__}")
    w, b, v = net.arrays()
    return np.array(w), np.array(b), np.array(v)


def _sorted_data(x: object, y: object) -> fg.SortedData:
    """Sorted float data; numeric numpy arrays are validated vectorized (no Dataset round trip)."""
    if (
        isinstance(x, np.ndarray)
        and isinstance(y, np.ndarray)
        and x.dtype.kind in "fiu"
        and y.dtype.kind in "fiu"
        and x.ndim == y.ndim == 1
        and x.shape == y.shape
        and x.size > 0
    ):
        xf = x.astype(np.float64, copy=False)
        bad = np.flatnonzero(~np.isfinite(xf))
        if bad.size:
            i = int(bad[0])
            raise InvalidValueError(f"x[{i}]: {float(xf[i])!r} is not a finite number")
        bad = np.flatnonzero((y != 1) & (y != -1))
        if bad.size:
            i = int(bad[0])
            raise InvalidDataError(f"y[{i}] = {y[i]!r} is not a label in {{-1, +1}}")
        return fg.SortedData.build(xf, y)
    ds = as_dataset(x, y)
    return fg.SortedData.build(ds.x_float, ds.y)


def _univariate_data(net: Network, x: object, y: object) -> tuple[object, object]:
    """The data of a univariate Network: a d = 1 :class:`DatasetNd` becomes a Dataset."""
    if isinstance(x, DatasetNd):
        if y is not None:
            raise InvalidDataError("give either a dataset or x and y, not both")
        check_dimensions(net, x)
        return x.to_univariate(), None
    return x, y


def _nd_data(net: NetworkNd, x: object, y: object) -> DatasetNd:
    """The data of a NetworkNd: a DatasetNd, (n, d) points and labels, or univariate data."""
    if isinstance(x, DatasetNd):
        if y is not None:
            raise InvalidDataError("give either a dataset or x and y, not both")
        ds = x
    elif isinstance(x, Dataset) or _is_flat(x):
        ds = DatasetNd.from_univariate(as_dataset(x, y))  # points in R^1
    elif y is None:
        raise InvalidDataError("labels y are missing")
    else:
        ds = DatasetNd(x, y)
    check_dimensions(net, ds)
    return ds


def _is_flat(x: object) -> bool:
    """Whether ``x`` is a 1-D array or a non-empty sequence of numbers (points in R^1)."""
    if isinstance(x, np.ndarray):
        return x.ndim == 1
    if isinstance(x, (str, bytes)) or not isinstance(x, Sequence) or len(x) == 0:
        return False
    first = x[0]
    return isinstance(first, (str, bytes)) or not isinstance(first, (Sequence, np.ndarray))


def _nd_engine(net: NetworkNd, ds: DatasetNd) -> tuple[NdEngine, np.ndarray]:
    w, b, v = net.arrays()
    theta = np.concatenate([w.ravel(), b, v] if net.has_bias else [w.ravel(), v])
    return NdEngine(ds.x_float, ds.y, net.width, net.has_bias), theta


def _evaluate(w, b, v, data: fg.SortedData, loss: str, clarke: bool = False) -> _Eval:
    """Margins, log loss and ``grad L / L``; ``clarke`` picks the flow's minimum-norm element.

    With ``clarke=False`` the selection is ``relu'(0) = 0``. With ``clarke=True`` the points
    exactly on a neuron's kink contribute the fraction ``alpha_j in [0, 1]`` of their
    ``relu'(0) = 1`` term that makes neuron j's part of ``grad L / L`` shortest.
    """
    act = fg.activity(w, b, data)
    q = data.ys * fg.outputs(w, b, v, data, act)
    log_l, log_dl = _log_loss_terms(q, loss)
    lse = _logsumexp(log_l)
    log_loss = lse - math.log(data.n)
    # grad L / L = sum_i (l'(q_i) / sum_m l(q_m)) y_i grad N(x_i): softmax-like weights.
    coef = -np.exp(log_dl - lse) * data.ys
    gw, gb, gv = fg.param_grads(w, b, v, data, act, coef)
    on_kink = False
    if clarke:
        k0, k1 = fg.kink_sums(w, b, data, act, coef)
        if k0.any() or k1.any():
            on_kink = True
            dw, db = v * k1, v * k0
            alpha = _flow.min_norm_clarke((gw, gb), (dw, db))
            gw, gb = gw + alpha * dw, gb + alpha * db
    return _Eval(q, log_loss, (gw, gb, gv), act, on_kink)


class _Engine(Protocol):
    """What the training loop needs from an engine, for its flat parameter vector ``theta``."""

    n: int

    def evaluate(self, theta: np.ndarray, loss: str, clarke: bool = False) -> _Eval: ...

    def margin_derivative(
        self, theta: np.ndarray, direction: np.ndarray, at: np.ndarray, ev: _Eval
    ) -> np.ndarray: ...

    def same_activity(
        self, theta0: np.ndarray, ev0: _Eval, theta1: np.ndarray, ev1: _Eval
    ) -> bool: ...

    def network(self, theta: np.ndarray) -> Network | NetworkNd: ...


class _Univariate:
    """The O((n + k) log(n + k)) engine on sorted univariate data; ``theta = (w, b, v)``.

    ``margin_derivative`` is ``dN(x_i)[direction]`` at ``theta`` with the activity of ``at``
    (evaluated as ``ev``); ``same_activity`` compares the active half-lines of two evaluations.
    """

    def __init__(self, data: fg.SortedData, k: int) -> None:
        self.data, self.k, self.n = data, k, data.n

    def evaluate(self, theta: np.ndarray, loss: str, clarke: bool = False) -> _Eval:
        return _evaluate(*_split(theta, self.k), self.data, loss, clarke)

    def margin_derivative(
        self, theta: np.ndarray, direction: np.ndarray, at: np.ndarray, ev: _Eval
    ) -> np.ndarray:
        return fg.output_derivative(
            *_split(theta, self.k), _split(direction, self.k), self.data, ev.act
        )

    def same_activity(
        self, theta0: np.ndarray, ev0: _Eval, theta1: np.ndarray, ev1: _Eval
    ) -> bool:
        a0, a1 = ev0.act, ev1.act
        return bool(np.array_equal(a0.lo, a1.lo) and np.array_equal(a0.hi, a1.hi))

    def network(self, theta: np.ndarray) -> Network:
        return Network(*(a.copy() for a in _split(theta, self.k)))


def _engine(net: object, x: object, y: object) -> tuple[_Engine, np.ndarray]:
    """The engine for ``net`` on separable data, and the initial flat parameter vector."""
    if isinstance(net, NetworkNd):
        return _nd_engine(net, _nd_data(net, x, y).require_separable())
    w, b, v = _float_params(net)  # type: ignore[arg-type]
    ds: Dataset = as_dataset(*_univariate_data(net, x, y)).require_separable()
    data = fg.SortedData.build(ds.x_float, ds.y)
    return _Univariate(data, w.shape[0]), np.concatenate([w, b, v])


def _scale_by_loss(g: np.ndarray, log_loss: float) -> np.ndarray:
    """``g * L`` from ``log L``: a plain product when ``L`` is a normal float, else in logs.

    In logs a zero entry stays 0 where ``0 * inf`` would be NaN, and entries that are
    representable although ``L`` itself overflows or underflows come out right.
    """
    value = math.exp(log_loss) if log_loss < 709.0 else math.inf
    if value > 1e-300 and math.isfinite(value):
        return g * value
    with np.errstate(divide="ignore", over="ignore"):
        return np.sign(g) * np.exp(np.log(np.abs(g)) + log_loss)


def loss_and_grad(
    net: Network | NetworkNd, x: object, y: object = None, loss: str = "exp"
) -> tuple[float, tuple[np.ndarray, np.ndarray | None, np.ndarray]]:
    """Empirical loss (Safran, Vardi & Lee 2022, Eq. 2) and its gradient in O((n + k) log(n + k)).

    ``L = 1/n sum_i l(y_i N(x_i))`` and, with ``g_i = l'(y_i N(x_i)) y_i / n`` and the Clarke
    selection ``relu'(0) = 0``,
    ``dL/dw_j = v_j sum_{i in A_j} g_i x_i``, ``dL/db_j = v_j sum_{i in A_j} g_i``,
    ``dL/dv_j = sum_{i in A_j} g_i (w_j x_i + b_j)``, where ``A_j = {i : w_j x_i + b_j > 0}`` is
    a half-line of the sorted data found by binary search.

    For a :class:`~pwl_kkt.NetworkNd` on R^d the same formulas hold with ``x_i`` and ``w_j``
    in R^d, ``A_j = {i : w_j . x_i + b_j > 0}``: a dense O(n k d) computation, two BLAS
    matrix products over chunks of the data (:mod:`pwl_kkt.training._gradnd`).

    Parameters
    ----------
    net : Network or NetworkNd
        Evaluated in float64 (an exact network is rounded to nearest).
    x, y : sequence, array or Dataset
        The data (``y`` omitted when ``x`` is a :class:`~pwl_kkt.Dataset` or
        :class:`~pwl_kkt.DatasetNd`); for a NetworkNd, points of shape (n, d).
    loss : {"exp", "logistic"}

    Returns
    -------
    loss : float
        May underflow to 0.0 for huge margins or overflow to ``inf`` for hugely negative
        ones; the gradient is computed as ``(grad L / L) * L`` in logs, so each entry is
        right wherever it is representable (zero stays zero, never ``0 * inf = nan``).
    grads : tuple of three float64 arrays
        ``(dL/dw, dL/db, dL/dv)``; for a NetworkNd ``dL/dW`` has shape (k, d), and ``dL/db``
        is ``None`` for a network without hidden biases.

    Raises
    ------
    InvalidDataError
        The network's d and the data's d differ (the message names both), or bad labels.

    Examples
    --------
    >>> net = Network([1.0, 0.0], [0.0, 1.0], [1.0, 0.0])
    >>> val, (dw, db, dv) = loss_and_grad(net, [-1.0, 2.0], [1, 1])
    >>> round(val, 6), np.round(dw, 6).tolist(), np.round(dv, 6).tolist()
    (0.567668, [-0.135335, 0.0], [-0.135335, -0.567668])

    On R^2 without hidden biases (margins 2 and 1; each point is active for one neuron only,
    the other sits on its kink):

    >>> net2 = NetworkNd([[1.0, 0.0], [0.0, 1.0]], None, [1.0, -1.0])
    >>> val, (dW, db, dv) = loss_and_grad(net2, [[2.0, 0.0], [0.0, 1.0]], [1, -1])
    >>> round(val, 6), db
    (0.251607, None)
    >>> np.round(dW, 6)
    array([[-0.135335,  0.      ],
           [-0.      , -0.18394 ]])
    """
    _check_loss(loss)
    if isinstance(net, NetworkNd):
        engine, theta = _nd_engine(net, _nd_data(net, x, y))
        ev = engine.evaluate(theta, loss)
    else:
        w, b, v = _float_params(net)
        ev = _evaluate(w, b, v, _sorted_data(*_univariate_data(net, x, y)), loss)
    value = math.exp(ev.log_loss) if ev.log_loss < 709.0 else math.inf
    grads = [_scale_by_loss(g, ev.log_loss) for g in ev.grad_over_loss]
    if isinstance(net, NetworkNd):
        grads[0] = grads[0].reshape(net.width, net.d)
        if not net.has_bias:
            grads.insert(1, None)  # type: ignore[arg-type]
    return value, tuple(grads)  # type: ignore[return-value]


# --- training history -----------------------------------------------------------------------

_COLUMNS = (
    "step",
    "s",
    "t",
    "loss",
    "log_loss",
    "norm",
    "margin",
    "smoothed_margin",
    "angle",
    "log_t",
)


@dataclass(frozen=True)
class TrainingHistory:
    """Recorded diagnostics of one training run (read-only float64 arrays, one entry a record).

    Attributes
    ----------
    step : array
        Step index of each record.
    s : array
        Loss-normalized time ``s`` of the flow integrator (the sum of its adaptive steps; for
        ``method="gd"`` the sum of ``lr * L``).
    t : array
        Gradient-flow time: ``dt = ds / L`` for the flow, ``lr`` per step for GD (``inf``
        once it exceeds float64; ``log_t`` keeps it).
    loss, log_loss : array
        ``L(theta)`` (may underflow to 0) and ``log L(theta)`` (never underflows).
    norm : array
        ``||theta||``.
    margin : array
        Normalized margin ``gamma = min_i y_i N(x_i) / ||theta||^2``.
    smoothed_margin : array
        Lyu & Li's smoothed normalized margin ``-log(n L) / ||theta||^2`` (exp loss) or
        ``-log(expm1(n L)) / ||theta||^2`` (logistic); non-decreasing under gradient flow once
        every point is classified correctly with ``n L < l(0)``.
    angle : array
        Angle (radians) between ``theta / ||theta||`` at this record and the previous one.
    log_t : array
        ``log t`` (``-inf`` at ``t = 0``); finite where ``t`` overflows. Computed from ``t``
        when not given.
    loss_name, method, lr, stop_reason : str, str, float, str
        ``stop_reason`` is one of ``"steps"``, ``"target_loss"``, ``"margin_plateau"``,
        ``"max_time"``, ``"callback"``, ``"stationary"``, ``"stalled"``.
    stop_detail : str
        Why training stopped, in words (e.g. what stalled, and where).
    separated : bool (property)
        Whether the last recorded network classifies every point correctly.

    Examples
    --------
    >>> net, hist = train(Network([0.0], [1.0], [1.0]), [4.0, -4.0], [1, 1], steps=3,
    ...                   progress=False)
    >>> hist.step.tolist(), hist.stop_reason
    ([0, 1, 2, 3], 'steps')
    """

    step: np.ndarray
    s: np.ndarray
    t: np.ndarray
    loss: np.ndarray
    log_loss: np.ndarray
    norm: np.ndarray
    margin: np.ndarray
    smoothed_margin: np.ndarray
    angle: np.ndarray
    log_t: np.ndarray | None = None
    loss_name: str = "exp"
    method: str = "flow"
    lr: float = 0.0
    stop_reason: str = ""
    stop_detail: str = ""
    extra: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.log_t is None:
            with np.errstate(divide="ignore"):
                object.__setattr__(self, "log_t", np.log(np.asarray(self.t, dtype=np.float64)))
        for name in _COLUMNS:
            arr = np.array(getattr(self, name), dtype=np.int64 if name == "step" else np.float64)
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    def __len__(self) -> int:
        return int(self.step.shape[0])

    @property
    def separated(self) -> bool:
        """Whether the last record has every ``y_i N(x_i) > 0`` (normalized margin > 0).

        Examples
        --------
        >>> TrainingHistory(*([[0, 1]] * 9)).separated
        True
        """
        return bool(self.margin.shape[0] and self.margin[-1] > 0)

    def to_dict(self) -> dict:
        """JSON-ready dict (non-finite numbers as the strings ``"inf"``/``"nan"``).

        Examples
        --------
        >>> h = TrainingHistory(*([[0]] * 9), stop_reason="steps")
        >>> TrainingHistory.from_dict(h.to_dict()) == h
        True
        """

        def enc(a: np.ndarray) -> list:
            return [x if math.isfinite(x) else str(x) for x in a.tolist()]

        out: dict = {name: enc(getattr(self, name)) for name in _COLUMNS}
        out["step"] = self.step.tolist()
        out.update(
            loss_name=self.loss_name,
            method=self.method,
            lr=self.lr,
            stop_reason=self.stop_reason,
            stop_detail=self.stop_detail,
        )
        return out

    @classmethod
    def from_dict(cls, data: dict) -> TrainingHistory:
        """Inverse of :meth:`to_dict`.

        Examples
        --------
        >>> TrainingHistory.from_dict(TrainingHistory(*([[1]] * 9)).to_dict()).step.tolist()
        [1]
        """
        cols = {name: [float(x) for x in data[name]] for name in _COLUMNS if name in data}
        return cls(
            **cols,
            loss_name=data.get("loss_name", "exp"),
            method=data.get("method", "flow"),
            lr=float(data.get("lr", 0.0)),
            stop_reason=data.get("stop_reason", ""),
            stop_detail=data.get("stop_detail", ""),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TrainingHistory):
            return NotImplemented
        same = all(
            np.array_equal(getattr(self, c), getattr(other, c), equal_nan=True) for c in _COLUMNS
        )
        meta = ("loss_name", "method", "lr", "stop_reason", "stop_detail")
        return same and all(getattr(self, m) == getattr(other, m) for m in meta)

    __hash__ = None  # type: ignore[assignment]

    def to_dataframe(self) -> object:
        """The records as a :class:`pandas.DataFrame` (pandas imported lazily).

        Examples
        --------
        >>> list(TrainingHistory(*([[0]] * 9)).to_dataframe().columns)[:4]
        ['step', 's', 't', 'loss']
        """
        pd = require("pandas", "dist")
        return pd.DataFrame({name: getattr(self, name) for name in _COLUMNS})

    def plot(self, ax: object = None) -> object:
        """Loss, ``||theta||``, normalized margins and direction change against the step.

        Parameters
        ----------
        ax : sequence of 4 matplotlib Axes, optional
            Where to draw the four panels (e.g. ``fig.subplots(2, 2)``, any shape); default:
            a new 2-by-2 figure.

        Returns
        -------
        matplotlib.figure.Figure
            The figure holding the panels (matplotlib imported lazily, the ``plot`` extra).

        Examples
        --------
        >>> fig = TrainingHistory(*([[1, 2]] * 9)).plot()
        >>> len(fig.axes)
        4
        """
        if ax is None:
            plt = require("matplotlib.pyplot", "plot")
            fig, grid = plt.subplots(2, 2, figsize=(9, 6), layout="constrained")
            panels = list(grid.flat)
        else:
            panels = list(np.asarray(ax, dtype=object).flat)
            if len(panels) != 4:
                raise InvalidValueError(f"ax: needs 4 Axes for the 4 panels, got {len(panels)}")
            fig = panels[0].figure
        x = self.step
        panels[0].plot(x, self.log_loss / math.log(10))
        panels[0].set_ylabel("log10 L")
        panels[1].plot(x, self.norm)
        panels[1].set_ylabel("||theta||")
        panels[2].plot(x, self.margin, label="min margin")
        panels[2].plot(x, self.smoothed_margin, "--", label="smoothed")
        panels[2].set_ylabel("normalized margin")
        panels[2].legend()
        panels[3].semilogy(x[1:], np.maximum(self.angle[1:], 1e-300))
        panels[3].set_ylabel("direction change (rad)")
        for panel in panels:
            panel.set_xlabel("step")
        fig.suptitle(f"{self.method} on {self.loss_name} loss, lr={self.lr:g}")
        return fig


# --- the training loop ------------------------------------------------------------------------


def _smoothed_margin(log_loss: float, n: int, sq_norm: float, loss: str) -> float:
    """Lyu & Li's smoothed normalized margin ``g(log(1 / (n L))) / ||theta||^2``."""
    log_nl = log_loss + math.log(n)
    if loss == "exp":
        num = -log_nl
    else:
        y = math.exp(log_nl) if log_nl < 709.0 else math.inf
        if y == math.inf:
            return -math.inf
        # -log(expm1(y)) = -log y - log(expm1(y) / y); the ratio is 1 + y/2 + ... for tiny y.
        ratio = math.log(math.expm1(y) / y) if y > 1e-12 else y / 2
        num = -log_nl - ratio
    return num / sq_norm if sq_norm > 0 else math.nan


def _positive(value: object, name: str, allow_none: bool = True) -> float | None:
    if value is None and allow_none:
        return None
    try:
        f = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidValueError(f"{name}: {value!r} is not a number") from None
    if not (math.isfinite(f) and f > 0):
        raise InvalidValueError(f"{name}: {value!r} must be a positive finite number")
    return f


def train(
    net: Network | NetworkNd,
    x: object,
    y: object = None,
    *,
    loss: str = "exp",
    method: str = "flow",
    steps: int = _defaults.TRAIN_STEPS,
    lr: float = _defaults.TRAIN_LR,
    target_loss: float | None = None,
    margin_plateau: float | None = None,
    max_time: float | None = None,
    record_every: int = 1,
    callback: Callable[[int, Network | NetworkNd, dict], bool | None] | None = None,
    progress: bool = True,
    rtol: float = 1e-2,
) -> tuple[Network | NetworkNd, TrainingHistory]:
    """Train ``net`` on the data by gradient flow (adaptive Runge-Kutta) or plain GD.

    ``method="flow"`` integrates ``dtheta/ds = F = -grad L(theta) / L(theta)``, the
    gradient-flow path in the loss-normalized clock ``ds = L dt`` (Lyu & Li, "Gradient Descent
    Maximizes the Margin of Homogeneous Neural Networks", ICLR 2020, use this loss-based
    step), with error control: Euler steps checked by the embedded Heun estimate
    ``h (F_1 - F_0) / 2`` of their local error. A step is accepted when that error is at most
    ``rtol`` relative to ``||theta||`` and, mapped to the margins ``y_i N(x_i)``, at most
    ``rtol`` of the largest margin; when ``log L`` follows the dissipation law
    ``d log L/ds = -||F||^2`` to ``rtol max(|log(n L)|, 1)``; and, on a step where no kink
    crosses or sits on a data point, when ``log L`` does not rise (the flow is stiff near a
    max-margin direction, and this is what an explicit step past its stability limit breaks
    first). The step adapts (small where kinks cross data points, never a relative move
    beyond ``lr``). Measured consequence (tests and ``benchmarks/bench_flow.py``): Lyu & Li's
    smoothed margin, non-decreasing along the flow once ``n L < l(0)``, drops by at most
    ``rtol`` of itself per step, and its drops shrink with ``rtol``. The GF time
    ``t = int ds / L`` is tracked in logs (``log_t``). Everything runs in a log frame
    (``log L``, and ``grad L / L`` from softmax weights), so training goes on far below
    float64's range of ``L``.

    ``method="gd"``: ``theta <- theta - lr * grad L(theta)``, with ``relu'(0) = 0``.

    Nonsmooth points: ``relu'(0) = 0`` (a point exactly on a kink does not move that neuron),
    except that the flow, for a point exactly on neuron j's kink, takes the shortest element
    of the Clarke subdifferential between ``relu'(0) = 0`` and ``relu'(0) = 1`` for that
    neuron. Along a gradient flow of such a (definable) loss the velocity is exactly this
    minimum-norm element (Davis, Drusvyatskiy, Kakade & Lee, "Stochastic subgradient method
    converges on tame functions", FoCM 2020), so a kink can slide along a support point
    instead of being pushed across it by a selection that raises the loss. Where the
    selection ``relu'(0) = 0`` is already shortest (Example 1 of Safran, Vardi & Lee, NeurIPS
    2022: a neuron with ``v_j = 0``) nothing changes. Each field evaluation costs
    O((n + k) log(n + k)) (O(n k d) for a NetworkNd); an accepted flow step takes one (a
    rejected one another), and on R^d the error control takes one more pass over the data
    for the margins' derivative. Training is deterministic.

    Parameters
    ----------
    net : Network or NetworkNd
        Initial network (float64; an exact network is rounded). A NetworkNd trains on R^d,
        without hidden biases if it has none.
    x, y : sequence, array, Dataset or DatasetNd
        Data; the same x with both labels raises :class:`~pwl_kkt.NotSeparableError`.
        Single-class data is fine. For a NetworkNd: a DatasetNd, or points of shape (n, d)
        and labels (univariate data counts as d = 1).
    loss : {"exp", "logistic"}
    method : {"flow", "gd"}
    steps : int
        Budget of accepted steps (rejected flow steps are retried, not counted).
    lr : float
        Flow: the first step and the largest relative step,
        ``||delta theta|| <= lr * max(||theta||, 1)`` to first order. GD: the learning rate.
    target_loss : float, optional
        Stop once ``L <= target_loss`` (compared in log space, so tiny targets work).
    margin_plateau : float, optional
        Stop once all points are classified and the normalized margin changed by at most
        ``margin_plateau * |gamma|`` between two consecutive records.
    max_time : float, optional
        Wall-clock budget in seconds.
    record_every : int
        Record diagnostics every this many steps (the first and last states are always recorded).
    callback : callable, optional
        ``callback(step, net, record)`` after each record; returning ``True`` stops training.
    progress : bool
        Show a tqdm progress bar.
    rtol : float
        Flow only: relative local error tolerance of the integrator (default ``1e-2``;
        smaller follows the flow more closely at more steps per unit of ``s`` early on).

    Returns
    -------
    (Network or NetworkNd, TrainingHistory)
        The float network after training (of the kind of ``net``), and its history
        (``norm`` is that of the trained parameters: no b without biases):
        ``stop_reason`` is one of
        ``"steps"``, ``"target_loss"``, ``"margin_plateau"``, ``"max_time"``, ``"callback"``,
        ``"stationary"`` (zero gradient) or ``"stalled"`` (the flow step cannot move theta
        in float64, or the error control cannot meet ``rtol``); ``stop_detail`` says why in
        words and whether the result separates the data (also ``history.separated``).

    Raises
    ------
    InvalidDataError
        The network's d and the data's d differ (the message names both), or bad labels.
    NotSeparableError
        One point carries both labels.

    Examples
    --------
    Example 1 of Safran et al. (2022): the second neuron never moves and the direction stays put.

    >>> net0 = Network([0.0, 0.0], [1.0, 0.0], [1.0, 0.0])
    >>> net, hist = train(net0, [4.0, -4.0], [1, 1], steps=200, lr=0.1, progress=False)
    >>> net.w.tolist(), float(net.b[1]), float(net.v[1]), bool(net.b[0] == net.v[0] > 1)
    ([0.0, 0.0], 0.0, 0.0, True)
    >>> hist.separated, hist.stop_reason
    (True, 'steps')

    On R^2, from a small initialization without hidden biases:

    >>> from pwl_kkt import init_network
    >>> data = DatasetNd(np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]]), [1, 1, -1])
    >>> net0 = init_network(4, d=2, bias=False, scale=0.1, seed=0)
    >>> net, hist = train(net0, data, loss="logistic", steps=300, progress=False)
    >>> net.d, net.has_bias, hist.separated
    (2, False, True)
    """
    _check_loss(loss)
    if method not in _METHODS:
        raise InvalidValueError(f"method: {method!r} is not one of {', '.join(_METHODS)}")
    engine, theta = _engine(net, x, y)
    steps = _count(steps, "steps", 0)
    record_every = _count(record_every, "record_every", 1)
    lr_f = _positive(lr, "lr", allow_none=False)
    rtol_f = _positive(rtol, "rtol", allow_none=False)
    assert lr_f is not None and rtol_f is not None
    log_target = None if target_loss is None else math.log(_positive(target_loss, "target_loss"))
    plateau = None if margin_plateau is None else _positive(margin_plateau, "margin_plateau")
    max_time = None if max_time is None else _positive(max_time, "max_time")
    n = engine.n

    def field(y: np.ndarray) -> tuple[np.ndarray, _Eval]:
        ev = engine.evaluate(y, loss, clarke=True)
        return -np.concatenate(ev.grad_over_loss), ev

    rows: list[tuple[float, ...]] = []
    prev_dir: np.ndarray | None = None
    s_time, log_t = 0.0, -math.inf
    counts = {"rejected": 0, "loss_rises": 0}
    start = time.perf_counter()
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=steps, desc=f"train ({method}, {loss})", unit="step", leave=False)

    def record(step: int, ev: _Eval) -> dict:
        nonlocal prev_dir
        sq = float(theta @ theta)
        norm = math.sqrt(sq)
        direction = theta / norm if norm > 0 else theta
        angle = 0.0
        if prev_dir is not None:
            # 2 asin(|d1 - d0| / 2) is accurate for tiny angles, unlike acos(d0 . d1).
            angle = 2.0 * math.asin(min(1.0, float(np.linalg.norm(direction - prev_dir)) / 2))
        prev_dir = direction
        qmin = float(ev.q.min())
        row = dict(
            step=step,
            s=s_time,
            t=math.exp(log_t) if log_t < 709.0 else math.inf,
            loss=math.exp(ev.log_loss) if ev.log_loss < 709.0 else math.inf,
            log_loss=ev.log_loss,
            norm=norm,
            margin=qmin / sq if sq > 0 else math.nan,
            smoothed_margin=_smoothed_margin(ev.log_loss, n, sq, loss),
            angle=angle,
            log_t=log_t,
        )
        rows.append(tuple(row[c] for c in _COLUMNS))
        return row

    stop_reason, detail = "steps", f"the step budget ({steps}) is used up"
    if method == "flow":
        velocity, ev = field(theta)
    else:
        ev = engine.evaluate(theta, loss)
    h: float | None = None
    last = record(0, ev)
    step = 0
    while True:
        if log_target is not None and ev.log_loss <= log_target:
            stop_reason, detail = "target_loss", f"log L = {ev.log_loss:.6g} <= log target_loss"
            break
        if step >= steps:
            break
        if max_time is not None and time.perf_counter() - start >= max_time:
            stop_reason, detail = "max_time", f"the wall-clock budget of {max_time:g} s is used up"
            break
        if method == "flow":
            fnorm = float(np.sqrt(velocity @ velocity))
            if fnorm == 0.0:
                stop_reason = "stationary"
                detail = f"grad L = 0 at step {step} (minimum-norm Clarke element)"
                break
            tnorm = float(np.sqrt(theta @ theta))
            h_max = lr_f * max(tnorm, 1.0) / fnorm
            h = h_max if h is None else min(h, h_max)
            for _ in range(_MAX_REJECTS):
                new_theta, new_velocity, new, err = _flow.embedded_step(
                    _PAIR, field, theta, h, velocity
                )
                ratio = _error_ratio(
                    engine, (theta, ev, velocity), (new_theta, new, new_velocity), h, err, rtol_f
                )
                if ratio <= 1.0:
                    break
                counts["rejected"] += 1
                h *= _flow.step_factor(ratio, _PAIR.order)
            else:
                stop_reason = "stalled"
                detail = (
                    f"at step {step} the error control missed rtol = {rtol_f:g} for "
                    f"{_MAX_REJECTS} step sizes down to ds = {h:.3g} (log L = {ev.log_loss:.6g})"
                )
                break
            if np.array_equal(new_theta, theta):
                stop_reason = "stalled"
                detail = (
                    f"at step {step} the flow step ds = {h:.3g} leaves theta unchanged in "
                    f"float64 (log L = {ev.log_loss:.6g}, ||theta|| = {tnorm:.6g})"
                )
                break
            counts["loss_rises"] += new.log_loss > ev.log_loss
            log_t = float(
                np.logaddexp(
                    log_t, _flow.log_time_increment(math.log(h), ev.log_loss, new.log_loss)
                )
            )
            s_time += h
            h *= _flow.step_factor(ratio, _PAIR.order)
            theta, velocity = new_theta, new_velocity
        else:
            scale = math.exp(ev.log_loss) if ev.log_loss < 709.0 else math.inf
            eta = lr_f * scale
            s_time += eta
            log_t = math.log(lr_f * (step + 1))
            with np.errstate(over="ignore", invalid="ignore"):
                new_theta = theta - eta * np.concatenate(ev.grad_over_loss)
                finite = bool(np.isfinite(new_theta).all())
                new = engine.evaluate(new_theta, loss) if finite else None
            if new is None or not (
                math.isfinite(new.log_loss)
                and all(np.isfinite(g).all() for g in new.grad_over_loss)
            ):
                raise InvalidValueError(
                    f"training diverged at step {step + 1} (non-finite values); lower lr={lr_f:g}"
                )
            theta = new_theta
        ev = new
        step += 1
        if bar is not None:
            bar.update(1)
        if step % record_every == 0 or step == steps:
            prev_margin = last["margin"]
            last = record(step, ev)
            if callback is not None and callback(step, engine.network(theta), last):
                stop_reason, detail = "callback", f"the callback asked to stop at step {step}"
                break
            if (
                plateau is not None
                and last["margin"] > 0
                and abs(last["margin"] - prev_margin) <= plateau * abs(last["margin"])
            ):
                stop_reason = "margin_plateau"
                detail = f"the normalized margin changed by <= {plateau:g} of itself"
                break
    if rows[-1][0] != step:
        record(step, ev)
    if bar is not None:
        bar.close()
    wrong = int((ev.q <= 0).sum())
    if wrong:
        detail += f"; the network does not separate the data ({wrong} of {n} points misclassified)"
    cols = list(zip(*rows))
    history = TrainingHistory(
        *(np.array(c) for c in cols),
        loss_name=loss,
        method=method,
        lr=lr_f,
        stop_reason=stop_reason,
        stop_detail=detail,
        extra=dict(counts),
    )
    return engine.network(theta), history


def _error_ratio(
    engine: _Engine,
    old: tuple[np.ndarray, _Eval, np.ndarray],
    new: tuple[np.ndarray, _Eval, np.ndarray],
    h: float,
    err: np.ndarray,
    rtol: float,
) -> float:
    """Local error over tolerance: the largest of three indicators, each ``<= 1`` to accept.

    ``old`` and ``new`` are ``(theta, evaluation, velocity)`` at the two ends of the step.

    * parameters: ``||e|| / (rtol ||theta_0||)``;
    * margins: ``max_i |y_i dN(x_i)[e]| / (rtol max_i |q_i|)`` -- the margins
      ``q_i = y_i N(x_i)`` grow like ``||theta||^2`` and carry ``log L``, so a relative error
      ``rtol`` in ``theta`` alone would let ``log L`` err by far more;
    * dissipation: along the flow ``d log L / ds = -||F||^2``; the step's change of ``log L``
      must match the trapezoid rule ``-h (||F_0||^2 + ||F_1||^2) / 2`` to
      ``rtol max(|log(n L)|, 1)``, and on a smooth step (no kink crosses or sits on a data
      point) ``log L`` must not rise at all (beyond rounding). A step past the explicit
      method's stability limit (the flow is stiff: the support margins equalize fast while
      the direction moves slowly) breaks this first.
    """
    theta, ev0, f0 = old
    new_theta, ev1, f1 = new
    if not math.isfinite(ev1.log_loss):
        return math.inf
    dq = engine.margin_derivative(theta, err, new_theta, ev1)
    scale = float(np.max(np.abs(ev1.q)))
    ratios = [float(np.sqrt(err @ err)) / (rtol * float(np.sqrt(theta @ theta)))]
    if scale > 0:
        ratios.append(float(np.max(np.abs(dq))) / (rtol * scale))
    predicted = -0.5 * h * (float(f0 @ f0) + float(f1 @ f1))
    defect = abs(ev1.log_loss - ev0.log_loss - predicted)
    ratios.append(defect / (rtol * max(abs(ev1.log_loss + math.log(engine.n)), 1.0)))
    rise = ev1.log_loss - ev0.log_loss
    if (
        rise > 64 * _EPS * max(abs(ev0.log_loss), 1.0)
        and not (ev0.on_kink or ev1.on_kink)
        and engine.same_activity(theta, ev0, new_theta, ev1)
    ):
        # The flow's loss never rises; on a smooth step a rise is the explicit step's
        # instability (h beyond 2 / the largest curvature). Where a kink crosses or sits on
        # a data point the Clarke selection can make a decrease impossible: no demand there.
        ratios.append(4.0)
    return max(ratios)


_EPS = float(np.finfo(float).eps)


#: The embedded Runge-Kutta pair of the flow.
_PAIR = _flow.HEUN_EULER

#: Consecutive rejected step sizes (each at least 5x smaller) before the flow reports a stall.
_MAX_REJECTS = 60


def _split(theta: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return theta[:k], theta[k : 2 * k], theta[2 * k :]


def _count(value: object, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InvalidValueError(f"{name}: {value!r} must be an integer >= {minimum}")
    return int(value)
