"""Gradient flow and gradient descent on the empirical loss, O((n + k) log(n + k)) per step.

Loss (Eq. 2 of Safran, Vardi & Lee 2022): ``L(theta) = 1/n sum_i l(y_i N(x_i))`` with
``l(q) = exp(-q)`` (``"exp"``) or ``l(q) = log(1 + exp(-q))`` (``"logistic"``).

Clarke selection: ``relu'(0) = 0``. A point exactly on a neuron's kink (``w_j x_i + b_j == 0``
in floating point) does not move that neuron. Example 1 of Safran et al. (2022) depends on this.

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
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import _defaults
from . import _fastgrad as fg
from .data import Dataset, as_dataset
from .errors import InvalidDataError, InvalidValueError, require
from .network import Network

__all__ = ["TrainingHistory", "loss_and_grad", "train"]

_LOSSES = ("exp", "logistic")
_METHODS = ("flow", "gd")


# --- numerically safe loss terms ------------------------------------------------------------


def _log_loss_terms(q: np.ndarray, loss: str) -> tuple[np.ndarray, np.ndarray]:
    """``log l(q_i)`` and ``log(-l'(q_i))`` for every margin, without overflow or underflow."""
    if loss == "exp":
        return -q, -q
    u = -q
    with np.errstate(over="ignore", divide="ignore"):
        small = u < -20.0
        # log(softplus(u)) = u + log(1 - e^u / 2 + ...) for very negative u.
        log_l = np.where(small, u + np.log1p(-0.5 * np.exp(np.minimum(u, 0.0))), 0.0)
        big = ~small
        log_l[big] = np.log(np.logaddexp(0.0, u[big]))
    return log_l, -np.logaddexp(0.0, q)


def _logsumexp(a: np.ndarray) -> float:
    m = float(np.max(a))
    if not math.isfinite(m):
        return m
    return m + math.log(float(np.sum(np.exp(a - m))))


def _check_loss(loss: str) -> None:
    if loss not in _LOSSES:
        raise InvalidValueError(f"loss: {loss!r} is not one of {', '.join(_LOSSES)}")


def _float_params(net: Network) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not isinstance(net, Network):
        raise InvalidValueError(f"net must be a Network; got {type(net).__name__}")
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


@dataclass(frozen=True)
class _Eval:
    """Everything one step needs: margins, log loss, and grad L (raw and divided by L)."""

    q: np.ndarray
    log_loss: float
    grad_over_loss: tuple[np.ndarray, np.ndarray, np.ndarray]


def _evaluate(w, b, v, data: fg.SortedData, loss: str) -> _Eval:
    act = fg.activity(w, b, data)
    q = data.ys * fg.outputs(w, b, v, data, act)
    log_l, log_dl = _log_loss_terms(q, loss)
    lse = _logsumexp(log_l)
    log_loss = lse - math.log(data.n)
    # grad L / L = sum_i (l'(q_i) / sum_m l(q_m)) y_i grad N(x_i): softmax-like weights.
    coef = -np.exp(log_dl - lse) * data.ys
    return _Eval(q, log_loss, fg.param_grads(w, b, v, data, act, coef))


def loss_and_grad(
    net: Network, x: object, y: object = None, loss: str = "exp"
) -> tuple[float, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Empirical loss (Safran, Vardi & Lee 2022, Eq. 2) and its gradient in O((n + k) log(n + k)).

    ``L = 1/n sum_i l(y_i N(x_i))`` and, with ``g_i = l'(y_i N(x_i)) y_i / n`` and the Clarke
    selection ``relu'(0) = 0``,
    ``dL/dw_j = v_j sum_{i in A_j} g_i x_i``, ``dL/db_j = v_j sum_{i in A_j} g_i``,
    ``dL/dv_j = sum_{i in A_j} g_i (w_j x_i + b_j)``, where ``A_j = {i : w_j x_i + b_j > 0}`` is
    a half-line of the sorted data found by binary search.

    Parameters
    ----------
    net : Network
        Evaluated in float64 (an exact network is rounded to nearest).
    x, y : sequence or Dataset
        The data (``y`` omitted when ``x`` is a :class:`~pwl_kkt.Dataset`).
    loss : {"exp", "logistic"}

    Returns
    -------
    loss : float
        May underflow to 0.0 for huge margins; the gradient is computed from log-scaled
        terms and underflows gracefully.
    grads : tuple of three float64 arrays
        ``(dL/dw, dL/db, dL/dv)``.

    Examples
    --------
    >>> net = Network([1.0, 0.0], [0.0, 1.0], [1.0, 0.0])
    >>> val, (dw, db, dv) = loss_and_grad(net, [-1.0, 2.0], [1, 1])
    >>> round(val, 6), np.round(dw, 6).tolist(), np.round(dv, 6).tolist()
    (0.567668, [-0.135335, 0.0], [-0.135335, -0.567668])
    """
    _check_loss(loss)
    w, b, v = _float_params(net)
    data = _sorted_data(x, y)
    ev = _evaluate(w, b, v, data, loss)
    value = math.exp(ev.log_loss) if ev.log_loss < 709.0 else math.inf
    grads = tuple(g * value for g in ev.grad_over_loss)
    return value, grads  # type: ignore[return-value]


# --- training history -----------------------------------------------------------------------

_COLUMNS = ("step", "s", "t", "loss", "log_loss", "norm", "margin", "smoothed_margin", "angle")


@dataclass(frozen=True)
class TrainingHistory:
    """Recorded diagnostics of one training run (read-only float64 arrays, one entry a record).

    Attributes
    ----------
    step : array
        Step index of each record.
    s : array
        Loss-normalized time ``s`` of the flow integrator (``ds = lr`` per step; for
        ``method="gd"`` the sum of ``lr * L``).
    t : array
        Gradient-flow time: ``dt = ds / L`` for the flow, ``lr`` per step for GD (``inf`` once
        ``L`` underflows).
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
    loss_name, method, lr, stop_reason : str, str, float, str

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
    loss_name: str = "exp"
    method: str = "flow"
    lr: float = 0.0
    stop_reason: str = ""
    extra: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for name in _COLUMNS:
            arr = np.array(getattr(self, name), dtype=np.int64 if name == "step" else np.float64)
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    def __len__(self) -> int:
        return int(self.step.shape[0])

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
            loss_name=self.loss_name, method=self.method, lr=self.lr, stop_reason=self.stop_reason
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
        cols = {name: [float(x) for x in data[name]] for name in _COLUMNS}
        return cls(
            **cols,
            loss_name=data.get("loss_name", "exp"),
            method=data.get("method", "flow"),
            lr=float(data.get("lr", 0.0)),
            stop_reason=data.get("stop_reason", ""),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TrainingHistory):
            return NotImplemented
        same = all(
            np.array_equal(getattr(self, c), getattr(other, c), equal_nan=True) for c in _COLUMNS
        )
        meta = ("loss_name", "method", "lr", "stop_reason")
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
    net: Network,
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
    callback: Callable[[int, Network, dict], bool | None] | None = None,
    progress: bool = True,
) -> tuple[Network, TrainingHistory]:
    """Train ``net`` on the data by gradient flow (loss-normalized Euler steps) or GD.

    ``method="flow"``: ``theta <- theta - lr * grad L(theta) / L(theta)``, Euler steps of
    ``dtheta/ds = -grad L / L``, the gradient-flow path with GF time ``dt = ds / L``
    (Lyu & Li 2019's loss-based step). ``method="gd"``:
    ``theta <- theta - lr * grad L(theta)``. Clarke selection ``relu'(0) = 0``. Each step
    costs O((n + k) log(n + k)); training is deterministic (no randomness at all).

    Parameters
    ----------
    net : Network
        Initial network (float64; an exact network is rounded).
    x, y : sequence or Dataset
        Data; the same x with both labels raises :class:`~pwl_kkt.NotSeparableError`.
        Single-class data is fine.
    loss : {"exp", "logistic"}
    method : {"flow", "gd"}
    steps : int
        Step budget.
    lr : float
        Flow: relative step size; each Euler step moves ``theta`` by
        ``||delta theta|| = lr * max(||theta||, 1)`` (times a shrink factor that halves when a
        step would raise the loss, which gradient flow never does, and recovers by 1.25x per
        accepted step). GD: the fixed learning rate.
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

    Returns
    -------
    (Network, TrainingHistory)
        The float network after training, and its history (``stop_reason`` is one of
        ``"steps"``, ``"target_loss"``, ``"margin_plateau"``, ``"max_time"``, ``"callback"``,
        ``"stationary"`` (zero gradient) or ``"stalled"`` (no loss-decreasing flow step found)).

    Examples
    --------
    Example 1 of Safran et al. (2022): the second neuron never moves and the direction stays put.

    >>> net0 = Network([0.0, 0.0], [1.0, 0.0], [1.0, 0.0])
    >>> net, hist = train(net0, [4.0, -4.0], [1, 1], steps=200, lr=0.1, progress=False)
    >>> net.w.tolist(), float(net.b[1]), float(net.v[1]), bool(net.b[0] == net.v[0] > 1)
    ([0.0, 0.0], 0.0, 0.0, True)
    """
    _check_loss(loss)
    if method not in _METHODS:
        raise InvalidValueError(f"method: {method!r} is not one of {', '.join(_METHODS)}")
    w, b, v = _float_params(net)
    ds: Dataset = as_dataset(x, y).require_separable()
    steps = _count(steps, "steps", 0)
    record_every = _count(record_every, "record_every", 1)
    lr_f = _positive(lr, "lr", allow_none=False)
    assert lr_f is not None
    log_target = None if target_loss is None else math.log(_positive(target_loss, "target_loss"))
    plateau = None if margin_plateau is None else _positive(margin_plateau, "margin_plateau")
    max_time = None if max_time is None else _positive(max_time, "max_time")
    data = fg.SortedData.build(ds.x_float, ds.y)
    n = data.n

    rows: list[tuple[float, ...]] = []
    prev_dir: np.ndarray | None = None
    s_time, gf_time = 0.0, 0.0
    start = time.perf_counter()
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=steps, desc=f"train ({method}, {loss})", unit="step", leave=False)

    def record(step: int, ev: _Eval) -> dict:
        nonlocal prev_dir
        theta = np.concatenate([w, b, v])
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
            t=gf_time,
            loss=math.exp(ev.log_loss) if ev.log_loss < 709.0 else math.inf,
            log_loss=ev.log_loss,
            norm=norm,
            margin=qmin / sq if sq > 0 else math.nan,
            smoothed_margin=_smoothed_margin(ev.log_loss, n, sq, loss),
            angle=angle,
        )
        rows.append(tuple(row[c] for c in _COLUMNS))
        return row

    stop_reason = "steps"
    shrink = 1.0
    ev = _evaluate(w, b, v, data, loss)
    last = record(0, ev)
    step = 0
    while True:
        if log_target is not None and ev.log_loss <= log_target:
            stop_reason = "target_loss"
            break
        if step >= steps:
            break
        if max_time is not None and time.perf_counter() - start >= max_time:
            stop_reason = "max_time"
            break
        gw, gb, gv = ev.grad_over_loss
        if method == "flow":
            gnorm = math.sqrt(float(gw @ gw + gb @ gb + gv @ gv))
            if gnorm == 0.0:
                stop_reason = "stationary"
                break
            theta_norm = math.sqrt(float(w @ w + b @ b + v @ v))
            # Relative step control: ||delta theta|| = lr * max(||theta||, 1) * shrink, and a
            # step that raises the loss (gradient flow never does) is halved and retried.
            base = lr_f * max(theta_norm, 1.0) / gnorm
            for _ in range(60):
                eta = base * shrink
                nw, nb, nv = w - eta * gw, b - eta * gb, v - eta * gv
                new = _evaluate(nw, nb, nv, data, loss)
                if new.log_loss <= ev.log_loss:
                    break
                shrink *= 0.5
            else:
                stop_reason = "stalled"
                break
            shrink = min(1.0, shrink * 1.25)
            s_time += eta
            gf_time += eta * math.exp(-ev.log_loss) if ev.log_loss > -709.0 else math.inf
        else:
            scale = math.exp(ev.log_loss) if ev.log_loss < 709.0 else math.inf
            eta = lr_f * scale
            s_time += eta
            gf_time += lr_f
            with np.errstate(over="ignore", invalid="ignore"):
                nw, nb, nv = w - eta * gw, b - eta * gb, v - eta * gv
                finite = all(np.isfinite(a).all() for a in (nw, nb, nv))
                new = _evaluate(nw, nb, nv, data, loss) if finite else None
            if new is None or not (
                math.isfinite(new.log_loss)
                and all(np.isfinite(g).all() for g in new.grad_over_loss)
            ):
                raise InvalidValueError(
                    f"training diverged at step {step + 1} (non-finite values); lower lr={lr_f:g}"
                )
        w, b, v, ev = nw, nb, nv, new
        step += 1
        if bar is not None:
            bar.update(1)
        if step % record_every == 0 or step == steps:
            prev_margin = last["margin"]
            last = record(step, ev)
            if callback is not None and callback(step, Network(w, b, v), last):
                stop_reason = "callback"
                break
            if (
                plateau is not None
                and last["margin"] > 0
                and abs(last["margin"] - prev_margin) <= plateau * abs(last["margin"])
            ):
                stop_reason = "margin_plateau"
                break
    if rows[-1][0] != step:
        record(step, ev)
    if bar is not None:
        bar.close()
    cols = list(zip(*rows))
    history = TrainingHistory(
        *(np.array(c) for c in cols),
        loss_name=loss,
        method=method,
        lr=lr_f,
        stop_reason=stop_reason,
    )
    return Network(w.copy(), b.copy(), v.copy()), history


def _count(value: object, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InvalidValueError(f"{name}: {value!r} must be an integer >= {minimum}")
    return int(value)
