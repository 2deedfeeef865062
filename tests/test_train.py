"""Tests of the fast loss/gradient engine and the training loop (pwl_kkt.training.train)."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pwl_kkt import Dataset, Network, TrainingHistory, loss_and_grad, train
from pwl_kkt.errors import (
    InvalidDataError,
    InvalidNetworkError,
    InvalidValueError,
    NotSeparableError,
)
from pwl_kkt.training._dense import dense_loss_and_grad, dense_outputs
from pwl_kkt.training.train import _log_loss_terms

from .strategies import dyadic_float_networks

# Both engines sum the same O(n) terms per neuron in different orders, so they differ by
# rounding: at most ~ n * eps * (sum of |terms|). With n <= 60, moderate parameters and
# eps = 2.2e-16 this is far below 1e-10 of the gradient's largest entry.
REL_TOL = 1e-10

# Data x = xs / 4 with small integers xs: dyadic, so kinks land exactly on data points often.
_QUARTER_XS = st.lists(st.integers(-16, 16), min_size=1, max_size=12)


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


@given(net=dyadic_float_networks(max_width=8), xs=_QUARTER_XS, data=st.data())
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
    from pwl_kkt.training import _fastgrad as fg

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


@given(net=dyadic_float_networks(max_width=6), scale=st.integers(200, 1000))
def test_overflowing_loss_gives_no_nan_gradient(net: Network, scale: int) -> None:
    # Output weights times 2^scale make L overflow for most networks, yet a neuron that no
    # point activates has exactly zero gradient (the log frame never forms 0 * inf), and
    # nothing is NaN.
    w, b, v = net.arrays()
    big = Network(w, b, v * 2.0**scale)
    x, y = np.array([-1.0, 0.25, 2.0]), np.array([1, -1, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, grads = loss_and_grad(big, x, y)
    assert not any(np.isnan(g).any() for g in grads)
    dead = ~((w[:, None] * x[None, :] + b[:, None]) > 0).any(axis=1)
    for g in grads:
        assert np.all(g[dead] == 0.0)


def test_overflowing_loss_zero_neuron() -> None:
    net = Network([0.0, 0.0], [1.0, -1.0], [-1000.0, 1.0])  # N = -1000, neuron 2 inactive
    val, (dw, db, dv) = loss_and_grad(net, [1.0, 2.0], [1, 1])
    assert val == math.inf
    # dL/dw_1 = v_1 sum g_i x_i with g_i = -e^1000 / 2 < 0: +inf; neuron 2 gets exactly 0.
    assert dw.tolist() == [math.inf, 0.0] and db.tolist() == [math.inf, 0.0]
    assert dv.tolist() == [-math.inf, 0.0]


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


# --- the flow: an integrator with error control -------------------------------------------------


def _demo_drops(steps: int, rtol: float) -> tuple[int, float]:
    """Number and largest relative size of the smoothed margin's per-step drops on the demo.

    Teacher-student demo setting (r = 2, n = 40, k = 30, seed 0), lr = 0.05, every step
    recorded; only steps with n L < l(0) = 1 count (Lyu & Li's monotonicity starts there).
    """
    from pwl_kkt.setting.teacher import teacher_student_setup

    setup = teacher_student_setup(2, 40, 30, seed=0)
    _, hist = train(setup.init, setup.data, steps=steps, lr=0.05, rtol=rtol, progress=False)
    sm = hist.smoothed_margin[hist.log_loss < -math.log(setup.data.n)]
    assert sm.size > 500  # the monotone phase is reached: the check is not vacuous
    rel = -np.diff(sm) / np.abs(sm[:-1])
    return int((rel > 0).sum()), float(max(rel.max(), 0.0))


@pytest.mark.parametrize("rtol", [1e-2, 1e-3])
def test_smoothed_margin_drops_within_rtol_short(rtol: float) -> None:
    # Lyu & Li (ICLR 2020): along gradient flow the smoothed margin never decreases once
    # n L < 1. The integrator's stated tolerance: no per-step drop above rtol times the margin.
    _, worst = _demo_drops(3000, rtol)
    assert worst <= rtol


@pytest.mark.slow
@pytest.mark.parametrize("rtol", [1e-3, 1e-2])
def test_smoothed_margin_drops_within_rtol_20000_steps(rtol: float) -> None:
    _, worst = _demo_drops(20000, rtol)
    assert worst <= rtol


def test_smoothed_margin_drops_shrink_with_rtol() -> None:
    # At rtol = 0.3 the flow chatters visibly (drops exist: the comparison is not vacuous);
    # a 10x tighter tolerance has fewer and smaller drops, each within its tolerance.
    count_big, worst_big = _demo_drops(3000, 0.3)
    count_small, worst_small = _demo_drops(3000, 0.03)
    assert count_big > 0 and worst_big <= 0.3
    assert count_small < count_big and worst_small < worst_big and worst_small <= 0.03


@pytest.mark.slow
def test_smoothed_margin_drops_shrink_with_rtol_20000_steps() -> None:
    count_big, worst_big = _demo_drops(20000, 3e-2)
    count_small, worst_small = _demo_drops(20000, 3e-3)
    assert count_big > 0
    assert count_small < count_big and worst_small < worst_big


def test_flow_time_matches_closed_form() -> None:
    # Example 1's first neuron: w = 0, b = v = a, margins a^2, L = exp(-a^2). In the
    # loss-normalized clock da/ds = a, so a = a0 e^s; with u = a^2, dt = ds / L gives
    # t = (Ei(u) - Ei(u0)) / 2. Euler steps with local error rtol = 1e-7 have h ~ sqrt(2 rtol),
    # so over s ~ 0.3 the global relative error is ~ s sqrt(rtol / 2) ~ 1e-4 in a, a few 1e-4
    # in u and t: 1e-3 relative covers it.
    special = pytest.importorskip("scipy.special")
    net0 = Network([0.0, 0.0], [1.0, 0.0], [1.0, 0.0])
    net, hist = train(net0, [4.0, -4.0], [1, 1], steps=600, lr=0.05, rtol=1e-7, progress=False)
    a = hist.norm / math.sqrt(2)
    assert np.allclose(a, np.exp(hist.s), rtol=1e-3)
    u = a**2
    expected = (special.expi(u) - special.expi(1.0)) / 2
    assert np.allclose(hist.t[1:], expected[1:], rtol=1e-3)
    assert np.allclose(hist.log_t[1:], np.log(hist.t[1:]))
    assert hist.log_t[0] == -math.inf and hist.t[0] == 0.0


def test_flow_takes_the_min_norm_clarke_element_on_a_kink() -> None:
    # Neuron 1's kink sits exactly on x = -1 (label +1) and v_1 < 0. The relu'(0) = 0
    # gradient moves the kink so that x = -1 turns active with a negative contribution: the
    # loss rises along it at every small step. The flow's minimum-norm Clarke element keeps
    # the kink on the point, and the loss falls.
    from pwl_kkt.training._fastgrad import SortedData
    from pwl_kkt.training.train import _evaluate

    x, y = np.array([-1.25, -1.0, -0.75, 1.25]), np.array([-1, 1, 1, 1])
    w, b, v = np.array([1.5, -0.5, 1.5]), np.array([0.5, -0.5, -2.0]), np.array([1.5, -1.5, -0.5])
    data = SortedData.build(x, y)
    plain = np.concatenate(_evaluate(w, b, v, data, "exp").grad_over_loss)
    clarke = np.concatenate(_evaluate(w, b, v, data, "exp", clarke=True).grad_over_loss)
    theta = np.concatenate([w, b, v])

    def log_loss(t: np.ndarray) -> float:
        return _evaluate(t[:3], t[3:6], t[6:], data, "exp").log_loss

    base = log_loss(theta)
    for eta in (1e-3, 1e-5, 1e-7):
        assert log_loss(theta - eta * plain) > base
        assert log_loss(theta - eta * clarke) < base
    # Only neuron 1's w and b change, to the shortest point of the segment between the
    # relu'(0) = 0 and relu'(0) = 1 gradients (the latter: the one-sided limit from b_1 + 0).
    changed = np.flatnonzero(plain != clarke)
    assert changed.tolist() == [1, 4]
    b_up = b.copy()
    b_up[1] = np.nextafter(b[1], 1.0)
    active = np.concatenate(_evaluate(w, b_up, v, data, "exp").grad_over_loss)
    d = active - plain
    alphas = np.linspace(0.0, 1.0, 100001)
    norms = np.linalg.norm(plain[None, :] + alphas[:, None] * d[None, :], axis=1)
    # The one-sided limit is off by about one ulp of b_1; the grid step is 1e-5.
    assert np.linalg.norm(clarke) <= norms.min() + 1e-9
    # Training moves on; where the kink meets the point log L may rise, by at most the
    # stated tolerance rtol * max(|log(n L)|, 1) per step, and it falls overall.
    _, hist = train(Network(w, b, v), x, y, steps=50, lr=0.05, rtol=1e-3, progress=False)
    assert np.all(hist.angle[1:] > 0) and hist.log_loss[-1] < hist.log_loss[0]
    scale = np.maximum(np.abs(hist.log_loss[1:] + math.log(len(x))), 1.0)
    assert np.all(np.diff(hist.log_loss) <= 1e-3 * scale)


@given(net=dyadic_float_networks(max_width=8), xs=_QUARTER_XS, data=st.data())
def test_kink_sums_match_brute_force(net: Network, xs: list[int], data) -> None:
    # K0_j, K1_j = sums of g_i and g_i x_i over the points with fl(fl(w_j x_i) + b_j) == 0.
    from pwl_kkt.training import _fastgrad as fg

    x = np.array(xs, dtype=float) / 4
    g = np.array(data.draw(st.lists(st.integers(-5, 5), min_size=len(x), max_size=len(x))))
    w, b, v = net.arrays()
    sd = fg.SortedData.build(x, np.ones_like(x))
    gs = g[np.argsort(x, kind="stable")].astype(float)
    k0, k1 = fg.kink_sums(w, b, sd, fg.activity(w, b, sd), gs)
    on = (w[:, None] * sd.xs[None, :] + b[:, None]) == 0
    assert np.array_equal(k0, (on * gs).sum(axis=1))
    assert np.array_equal(k1, (on * gs * sd.xs).sum(axis=1))


def test_flow_moves_on_from_the_old_stall() -> None:
    # The previous integrator froze on this network (bit-identical from step ~382,000 to
    # 700,000): neuron 19's kink sits exactly on a data point, relu'(0) = 0 raised the loss
    # at every step size, and its step factor collapsed. The flow (minimum-norm Clarke
    # element, no decrease demanded on such a step) keeps moving: every step turns the
    # direction, the loss falls overall, and the smoothed margin drops by at most rtol of
    # itself per step.
    from pathlib import Path

    from pwl_kkt.setting.teacher import teacher_student_setup

    saved = json.loads((Path(__file__).parent / "data" / "demo_stalled_net.json").read_text())
    w, b, v = (np.array(saved[key]) for key in "wbv")
    setup = teacher_student_setup(2, 40, 30, seed=0)
    x = setup.data.x_float
    assert ((w[:, None] * x[None, :] + b[:, None]) == 0).any()  # a kink on a data point
    _, hist = train(Network(w, b, v), setup.data, steps=150, lr=0.05, rtol=1e-3, progress=False)
    assert hist.stop_reason == "steps" and np.all(hist.angle[1:] > 0)
    assert hist.log_loss[-1] < hist.log_loss[0] < -307
    sm = hist.smoothed_margin
    assert np.all(-np.diff(sm) <= 1e-3 * sm[:-1]) and sm[-1] > sm[0]


def test_stall_is_reported_with_its_reason() -> None:
    # A tolerance no step can meet: the error control gives up and says so.
    net0, x, y = _small_problem()
    _, hist = train(net0, x, y, steps=100, rtol=1e-300, progress=False)
    assert hist.stop_reason == "stalled" and "rtol" in hist.stop_detail
    assert hist.step[-1] == 0


def test_unseparated_result_is_reported() -> None:
    net0, x, y = _small_problem()
    _, hist = train(net0, x, y, steps=0, progress=False)
    assert not hist.separated and "does not separate" in hist.stop_detail
    _, hist = train(net0, x, y, steps=1000, lr=0.1, progress=False)
    assert hist.separated and "does not separate" not in hist.stop_detail


# --- stopping rules, callbacks, determinism, history -------------------------------------------


def _small_problem():
    from pwl_kkt.setting.teacher import init_network

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
    from pwl_kkt.model.io import load_network

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
    from pwl_kkt.setting.teacher import init_network

    ref, _ = train(
        init_network(6, 1.0, 0.5, seed=3),
        [-2, -1, 0.5, 1, 2],
        [1, -1, -1, 1, 1],
        steps=300,
        progress=False,
    )
    assert np.array_equal(np.concatenate(net.arrays()), np.concatenate(ref.arrays()))


def test_cli_train_says_when_not_separated(tmp_path, capsys) -> None:
    from pwl_kkt.cli import main

    data = tmp_path / "d.json"
    data.write_text('{"x": [-2, -1, 0.5, 1, 2], "y": [1, -1, -1, 1, 1]}')
    argv = ["train", str(data), "--width", "6", "--seed", "3", "--sigma-o", "0.5"]
    assert main([*argv, "--steps", "0"]) == 0
    out = capsys.readouterr().out
    assert "stopped: the step budget (0) is used up" in out
    assert "does not separate the data" in out
    assert main([*argv, "--steps", "300", "--lr", "0.1"]) == 0
    assert "does not separate" not in capsys.readouterr().out


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
