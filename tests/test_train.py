"""Tests of the fast loss/gradient engine and the training loop (pwl_kkt.train)."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pwl_kkt import Dataset, Network, TrainingHistory, loss_and_grad, train
from pwl_kkt._dense import dense_loss_and_grad, dense_outputs
from pwl_kkt.errors import (
    InvalidDataError,
    InvalidNetworkError,
    InvalidValueError,
    NotSeparableError,
)
from pwl_kkt.train import _log_loss_terms

from .strategies import dyadic_float_networks

# Both engines sum the same O(n) terms per neuron in different orders, so they differ by
# rounding: at most ~ n * eps * (sum of |terms|). With n <= 60, moderate parameters and
# eps = 2.2e-16 this is far below 1e-10 of the gradient's largest entry.
REL_TOL = 1e-10


def _compare(net: Network, x: np.ndarray, y: np.ndarray, loss: str) -> None:
    w, b, v = net.arrays()
    val, grads = loss_and_grad(net, x, y, loss=loss)
    ref_val, ref_grads = dense_loss_and_grad(w, b, v, x, y.astype(float), loss)
    assert val == pytest.approx(ref_val, rel=REL_TOL)
    fast, ref = np.concatenate(grads), np.concatenate(ref_grads)
    scale = max(np.max(np.abs(ref)), 1e-300)
    assert np.max(np.abs(fast - ref)) <= REL_TOL * scale


def _kinks_on_data(rng: np.random.Generator, n: int, k: int) -> tuple:
    x = rng.uniform(-3, 3, n)
    x[: n // 3] = np.round(x[: n // 3])  # repeated x values
    w = rng.normal(0, 1, k)
    w[: k // 5] = 0.0
    b = rng.normal(0, 1, k)
    on = rng.choice(k, size=k // 2, replace=False)
    # b = -fl(w x_i) makes fl(fl(w x_i) + b) == 0 exactly: the kink sits on a data point.
    b[on] = -(w[on] * x[rng.integers(0, n, on.size)])
    v = rng.normal(0, 1, k)
    y = rng.choice([-1, 1], n)
    return x, y, Network(w, b, v)


@pytest.mark.parametrize("loss", ["exp", "logistic"])
@pytest.mark.parametrize("seed", range(8))
def test_fast_matches_dense_with_kinks_on_data(loss: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x, y, net = _kinks_on_data(rng, int(rng.integers(1, 60)), int(rng.integers(1, 40)))
    _compare(net, x, y, loss)


@given(
    net=dyadic_float_networks(max_width=8),
    xs=st.lists(st.integers(-16, 16), min_size=1, max_size=12),
    data=st.data(),
)
def test_fast_matches_dense_dyadic(net: Network, xs: list[int], data) -> None:
    # Dyadic parameters and data: kinks exactly on data points are frequent and exact.
    x = np.array(xs, dtype=float) / 4
    y = np.array(data.draw(st.lists(st.sampled_from([-1, 1]), min_size=len(x), max_size=len(x))))
    for loss in ("exp", "logistic"):
        _compare(net, x, y, loss)


def test_point_on_kink_is_inactive() -> None:
    # relu'(0) = 0: the neuron with its kink exactly at x = 1 gets no gradient from x = 1.
    net = Network(np.array([1.0]), np.array([-1.0]), np.array([1.0]))
    _, (dw, db, dv) = loss_and_grad(net, np.array([1.0]), np.array([1]))
    assert dw[0] == db[0] == dv[0] == 0.0


def test_outputs_match_dense_at_scale() -> None:
    rng = np.random.default_rng(1)
    x, y, net = _kinks_on_data(rng, 3000, 2000)
    _compare(net, x, y, "exp")
    w, b, v = net.arrays()
    from pwl_kkt import _fastgrad as fg

    data = fg.SortedData.build(x, y)
    got = fg.outputs(w, b, v, data, fg.activity(w, b, data))
    ref = dense_outputs(w, b, v, data.xs)
    assert np.max(np.abs(got - ref)) <= REL_TOL * np.max(np.abs(ref))


def test_accepts_dataset_and_lists() -> None:
    net = Network([1, -1], [0, 1], [1, 2])
    a = loss_and_grad(net, Dataset([0, 1, 2], [1, -1, 1]))
    b = loss_and_grad(net, [0, 1, 2], [1, -1, 1])
    assert a[0] == b[0]
    assert all(np.array_equal(p, q) for p, q in zip(a[1], b[1]))


# --- numerically safe losses -----------------------------------------------------------------


def test_log_loss_terms_match_direct_formulas() -> None:
    q = np.linspace(-30, 30, 121)
    log_l, log_dl = _log_loss_terms(q, "logistic")
    # Direct formulas are accurate in this range; 1e-12 relative covers their rounding.
    assert np.allclose(np.exp(log_l), np.log1p(np.exp(-q)), rtol=1e-12, atol=0)
    assert np.allclose(np.exp(log_dl), 1 / (1 + np.exp(q)), rtol=1e-12, atol=0)
    log_l, _ = _log_loss_terms(np.array([1e6, -1e6]), "logistic")
    assert log_l[0] == -1e6 and log_l[1] == pytest.approx(math.log(1e6))


@pytest.mark.parametrize("loss", ["exp", "logistic"])
def test_tiny_losses_do_not_overflow(loss: str) -> None:
    # Margins around 4e4: L underflows to 0, but nothing overflows and training goes on.
    net = Network(np.array([0.0]), np.array([200.0]), np.array([200.0]))
    x, y = np.array([4.0, -4.0]), np.array([1, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        val, grads = loss_and_grad(net, x, y, loss=loss)
        assert val == 0.0 and all(np.isfinite(g).all() for g in grads)
        out, hist = train(net, x, y, loss=loss, steps=5, lr=0.1, progress=False)
    assert np.isfinite(hist.log_loss).all() and hist.log_loss[-1] < hist.log_loss[0] < -3e4
    assert out.b[0] > 200.0


# --- Example 1 of Safran et al. (2022) ------------------------------------------------------------


@pytest.mark.parametrize("loss", ["exp", "logistic"])
@pytest.mark.parametrize("method", ["flow", "gd"])
def test_example_1_second_neuron_stays_zero(loss: str, method: str) -> None:
    net0 = Network(np.array([0.0, 0.0]), np.array([1.0, 0.0]), np.array([1.0, 0.0]))
    lr = 0.05 if method == "flow" else 1.0
    net, hist = train(
        net0, [4, -4], [1, 1], loss=loss, method=method, steps=300, lr=lr, progress=False
    )
    w, b, v = net.arrays()
    assert w[1] == b[1] == v[1] == 0.0  # exactly: x = 4 and -4 sit on neuron 2's kink
    assert w[0] == 0.0 and b[0] == v[0] > 1.0  # direction (0,0,1,0,1,0)/sqrt(2), exactly
    # The recorded angle only sees the rounding of theta / ||theta|| (a few ulps).
    assert hist.angle.max() <= 4 * np.finfo(float).eps
    assert np.all(np.diff(hist.log_loss) < 0)


# --- the flow: smoothed margin monotone, up to the integrator's step error ---------------------


def _max_margin_drop(lr: float, horizon: float = 12.0) -> tuple[float, float, float]:
    from pwl_kkt.teacher import init_network

    x, y = np.array([-2.0, -1.0, 0.5, 1.0, 2.0]), [1, -1, -1, 1, 1]
    net0 = init_network(6, 1.0, 0.5, seed=3)
    _, hist = train(net0, x, y, steps=int(horizon / lr), lr=lr, progress=False)
    after = hist.log_loss < math.log(1 / len(x))  # Lyu & Li: monotone once n L < l(0) = 1
    sm = hist.smoothed_margin[after]
    return float(-np.diff(sm).min()), float(sm[0]), float(sm[-1])


def test_smoothed_margin_nondecreasing_up_to_step_error() -> None:
    # Under gradient flow the smoothed margin -log(nL)/||theta||^2 never decreases once
    # nL < 1 (Lyu & Li 2019). Euler steps of relative size lr break this only by O(lr)
    # (chattering across kinks near the KKT point): the worst drop is below lr * margin and
    # shrinks when lr does, while the margin itself grows a lot.
    drop_big, first, last = _max_margin_drop(0.008)
    drop_small, _, _ = _max_margin_drop(0.002)
    assert last > first + 0.05
    assert drop_big <= 0.008 * last
    assert drop_small <= 0.002 * last
    assert drop_small < 0.6 * drop_big


# --- stopping rules, callbacks, determinism, history -------------------------------------------


def _small_problem():
    from pwl_kkt.teacher import init_network

    return (
        init_network(6, 1.0, 0.5, seed=3),
        np.array([-2.0, -1.0, 0.5, 1.0, 2.0]),
        [1, -1, -1, 1, 1],
    )


def test_stopping_rules() -> None:
    net0, x, y = _small_problem()
    _, h = train(net0, x, y, steps=20000, target_loss=1e-30, progress=False)
    assert h.stop_reason == "target_loss" and h.log_loss[-1] <= math.log(1e-30)
    assert h.log_loss[-2] > math.log(1e-30)
    _, h = train(net0, x, y, steps=10**6, max_time=0.2, progress=False)
    assert h.stop_reason == "max_time" and h.step[-1] < 10**6
    _, h = train(net0, x, y, steps=20000, margin_plateau=1e-3, record_every=50, progress=False)
    assert h.stop_reason == "margin_plateau"
    assert abs(h.margin[-1] - h.margin[-2]) <= 1e-3 * h.margin[-1]
    seen = []
    _, h = train(
        net0, x, y, steps=100, callback=lambda s, n, r: seen.append(s) or s >= 7, progress=False
    )
    assert h.stop_reason == "callback" and seen == list(range(1, 8)) and h.step[-1] == 7


def test_deterministic_and_history_roundtrip() -> None:
    net0, x, y = _small_problem()
    a, ha = train(net0, x, y, steps=200, record_every=7, progress=False)
    b, hb = train(net0, x, y, steps=200, record_every=7, progress=False)
    assert a == b and ha == hb
    assert ha.step.tolist() == [*range(0, 200, 7), 200]
    again = TrainingHistory.from_dict(json.loads(json.dumps(ha.to_dict())))
    assert again == ha
    df = ha.to_dataframe()
    assert len(df) == len(ha) and df["norm"].iloc[-1] == ha.norm[-1]


def test_history_plot() -> None:
    pytest.importorskip("matplotlib")
    net0, x, y = _small_problem()
    _, h = train(net0, x, y, steps=20, progress=False)
    fig = h.plot()
    assert len(fig.axes) == 4


def test_gd_matches_manual_steps() -> None:
    net0, x, y = _small_problem()
    net, _ = train(net0, x, y, method="gd", steps=3, lr=0.1, progress=False)
    w, b, v = (a.copy() for a in net0.arrays())
    for _ in range(3):
        _, (gw, gb, gv) = loss_and_grad(Network(w, b, v), x, np.array(y))
        w, b, v = w - 0.1 * gw, b - 0.1 * gb, v - 0.1 * gv
    assert np.allclose(np.concatenate(net.arrays()), np.concatenate([w, b, v]), rtol=1e-12)


# --- bad inputs -----------------------------------------------------------------------------------


def test_bad_inputs() -> None:
    net = Network([1, -1], [0, 1], [1, 2])
    with pytest.raises(NotSeparableError, match=r"x\[0\] = x\[2\] = 1"):
        train(net, [1, 2, 1], [1, -1, -1], progress=False)
    with pytest.raises(InvalidValueError, match=r"x\[1\]"):
        train(net, np.array([0.0, np.nan]), np.array([1, 1]), progress=False)
    with pytest.raises(InvalidValueError, match=r"x\[1\]"):
        loss_and_grad(net, np.array([0.0, np.nan]), np.array([1, 1]))
    with pytest.raises(InvalidDataError, match=r"y\[0\]"):
        loss_and_grad(net, np.array([0.0]), np.array([0]))
    with pytest.raises(InvalidValueError, match="w\\[0\\]"):
        Network(np.array([np.nan]), np.array([0.0]), np.array([1.0]))
    with pytest.raises(InvalidNetworkError, match="width 0"):
        Network([], [], [])
    with pytest.raises(InvalidValueError, match="loss"):
        loss_and_grad(net, [0], [1], loss="hinge")
    with pytest.raises(InvalidValueError, match="method"):
        train(net, [0], [1], method="adam", progress=False)
    with pytest.raises(InvalidValueError, match="lr"):
        train(net, [0], [1], lr=0, progress=False)
    with pytest.raises(InvalidValueError, match="steps"):
        train(net, [0], [1], steps=-1, progress=False)
    with pytest.raises(InvalidValueError, match="diverged"):
        train(net, [0, 3], [1, -1], method="gd", lr=1e200, steps=5, progress=False)


# --- CLI ------------------------------------------------------------------------------------------


def test_cli_train(tmp_path, capsys) -> None:
    from pwl_kkt.cli import main
    from pwl_kkt.io import load_network

    data = tmp_path / "d.json"
    data.write_text('{"x": [-2, -1, 0.5, 1, 2], "y": [1, -1, -1, 1, 1]}')
    out = tmp_path / "net.json"
    argv = [
        "train",
        str(data),
        "--width",
        "6",
        "--steps",
        "300",
        "--seed",
        "3",
        "--sigma-o",
        "0.5",
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    assert "300 steps" in capsys.readouterr().out
    net = load_network(out)
    assert net.width == 6
    from pwl_kkt.teacher import init_network

    ref, _ = train(
        init_network(6, 1.0, 0.5, seed=3),
        [-2, -1, 0.5, 1, 2],
        [1, -1, -1, 1, 1],
        steps=300,
        progress=False,
    )
    assert np.array_equal(np.concatenate(net.arrays()), np.concatenate(ref.arrays()))


@pytest.mark.parametrize(
    ("content", "extra", "message"),
    [
        ('{"x": [1, 1], "y": [1, -1]}', [], "carry both labels"),
        ('{"x": [0, 1], "y": [1, -1]}', ["--width", "0"], "--width"),
        ('{"x": [0, 1], "y": [1, -1]}', ["--sigma-h", "-1"], "sigma_h"),
    ],
)
def test_cli_train_bad_input(tmp_path, capsys, content, extra, message) -> None:
    from pwl_kkt.cli import main

    data = tmp_path / "d.json"
    data.write_text(content)
    out = tmp_path / "net.json"
    args = ["train", str(data), "--width", "3", *extra, "--out", str(out)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not out.exists()
