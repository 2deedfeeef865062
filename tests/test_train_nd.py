"""Training on R^d: the BLAS engine against a dense reference, finite differences and the
univariate engine; stopping, history and invariances; small initialization."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pwl_kkt import (
    Dataset,
    DatasetNd,
    InvalidDataError,
    InvalidNetworkError,
    InvalidValueError,
    Network,
    NetworkNd,
    NotSeparableError,
    init_network,
    loss_and_grad,
    train,
)
from pwl_kkt.training._gradnd import NdEngine

from .strategies import dyadic_datasets_nd, dyadic_networks_nd

EPS = float(np.finfo(float).eps)


def _dense(net: NetworkNd, data: DatasetNd, loss: str, on_kink: float = 0.0):
    """The loss and its gradient written out with full n x k matrices.

    ``on_kink`` is the value taken for ``relu'(0)`` (the Clarke selection is 0). Also returns
    ``bound``: the same gradient with every term replaced by its absolute value, the scale
    of the rounding error of any order of summation. Plain float64: a case where ``exp``
    overflows or the loss underflows is left to the log-frame tests (``assume``).
    """
    w, b, v = net.arrays()
    x, y = np.array(data.x_float), data.y.astype(float)
    n = x.shape[0]
    z = x @ w.T + b
    h = np.maximum(z, 0.0)
    q = y * (h @ v)
    with np.errstate(over="ignore"):
        if loss == "exp":
            values, slopes = np.exp(-q), -np.exp(-q)
        else:
            values, slopes = np.logaddexp(0.0, -q), -1.0 / (1.0 + np.exp(q))
    g = slopes * y / n
    assume(np.all(np.isfinite(values)) and values.mean() > 1e-300)
    act = (z > 0).astype(float) + on_kink * (z == 0)
    grads = (v[:, None] * (act.T @ (g[:, None] * x)), v * (act.T @ g), h.T @ g)
    ag = np.abs(g)
    bound = (
        np.abs(v)[:, None] * (act.T @ (ag[:, None] * np.abs(x))),
        np.abs(v) * (act.T @ ag),
        h.T @ ag,
    )
    return float(values.mean()), grads, bound


def _roundings(n: int, value: float) -> float:
    """How many roundings apart two evaluations of the loss or one gradient entry may be.

    Both sides sum the same n terms in different orders (BLAS blocking, the streaming
    log-sum-exp's rescaling): at most ~n roundings of the sum of the terms' absolute
    values. The engines return ``L = exp(log L)`` and ``grad L = (grad L / L) L``, so the
    rounding of ``log L`` adds ~``|log L|`` roundings relative. A factor 8 on top.
    """
    return 8 * (n + 16 + abs(math.log(value) if value > 0 else 0.0)) * EPS


def _close(ours: np.ndarray, ref: np.ndarray, bound: np.ndarray, n: int, value: float) -> None:
    np.testing.assert_allclose(ours, ref, rtol=0, atol=float(np.max(_roundings(n, value) * bound)))


def _nets_and_data(d: int | None = None, bias: bool | None = None):
    return st.integers(1, 3).flatmap(
        lambda dd: st.tuples(
            dyadic_networks_nd(d=dd if d is None else d, bias=bias),
            dyadic_datasets_nd(dd if d is None else d),
        )
    )


# --- the gradient --------------------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(case=_nets_and_data(), loss=st.sampled_from(["exp", "logistic"]))
def test_gradient_equals_the_dense_reference(case, loss) -> None:
    net, data = case
    value, (dw, db, dv) = loss_and_grad(net, data, loss=loss)
    ref, (rw, rb, rv), (bw, bb, bv) = _dense(net, data, loss)
    # Dyadic parameters and points: the margins are exact, only the sums, exp and log round.
    assert math.isclose(value, ref, rel_tol=_roundings(data.n, ref), abs_tol=1e-300)
    _close(dw, rw, bw, data.n, ref)
    _close(dv, rv, bv, data.n, ref)
    if net.has_bias:
        _close(db, rb, bb, data.n, ref)
    else:
        assert db is None


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("loss", ["exp", "logistic"])
def test_gradient_equals_central_finite_differences(bias, loss) -> None:
    rng = np.random.default_rng(7)
    n, k, d = 60, 7, 4
    x = rng.normal(size=(n, d))
    data = DatasetNd(x, np.where(x[:, 0] > 0.3 * x[:, 1], 1, -1))
    net = NetworkNd(rng.normal(size=(k, d)), rng.normal(size=k) if bias else None,
                    rng.normal(size=k))
    w, b, v = net.arrays()
    # The loss is smooth on a ball of radius min |z_ij| / (||x_i|| + 1) around theta (no
    # kink reaches a data point); the steps stay well inside it.
    margin = np.min(np.abs(x @ w.T + b) / (np.linalg.norm(x, axis=1)[:, None] + 1))
    h = 1e-6
    assert h < margin / 10

    def f(theta: np.ndarray) -> float:
        kd = k * d
        ww = theta[:kd].reshape(k, d)
        bb = theta[kd : kd + k] if bias else None
        return loss_and_grad(NetworkNd(ww, bb, theta[-k:]), data, loss=loss)[0]

    theta = net.theta()
    value, (dw, db, dv) = loss_and_grad(net, data, loss=loss)
    grad = np.concatenate([dw.ravel()] + ([db] if bias else []) + [dv])
    fd = np.array([(f(theta + h * e) - f(theta - h * e)) / (2 * h) for e in np.eye(theta.size)])
    # Central differences err by h^2 |f'''| / 6 (~1e-12 here) plus the rounding of f,
    # ~ eps |f| / h ~ 1e-10 |f|: 1e-8 |f| leaves a factor 100 for both.
    np.testing.assert_allclose(grad, fd, rtol=0, atol=1e-8 * max(value, 1.0))


@settings(max_examples=60, deadline=None)
@given(case=_nets_and_data())
def test_flow_field_takes_the_min_norm_clarke_element(case) -> None:
    """Points exactly on a kink: between relu'(0) = 0 and 1, the shortest (w, b) part."""
    net, data = case
    engine = NdEngine(data.x_float, data.y, net.width, net.has_bias)
    theta = net.theta()
    ev = engine.evaluate(theta, "exp", clarke=True)
    _, zero, _ = _dense(net, data, "exp", on_kink=0.0)
    _, one, _ = _dense(net, data, "exp", on_kink=1.0)
    loss = math.exp(ev.log_loss)
    parts = [0, 1] if net.has_bias else [0]
    g0 = np.hstack([zero[i].reshape(net.width, -1) for i in parts])
    step = np.hstack([one[i].reshape(net.width, -1) for i in parts]) - g0
    dd = np.sum(step * step, axis=1)
    alpha = np.where(dd > 0, np.clip(-np.sum(g0 * step, axis=1) / np.where(dd > 0, dd, 1), 0, 1), 0)
    expected = (g0 + alpha[:, None] * step) / loss
    ours = np.hstack([g.reshape(net.width, -1) for g in ev.grad_over_loss[: len(parts)]])
    scale = np.abs(np.hstack([one[i].reshape(net.width, -1) for i in parts])) + np.abs(g0)
    tol = _roundings(data.n, loss) * (scale.sum(axis=1, keepdims=True) / loss + np.abs(expected))
    assert np.all(np.abs(ours - expected) <= tol)
    assert ev.on_kink == bool(np.any(data.x_float @ net.arrays()[0].T + net.arrays()[1] == 0))


def test_streaming_chunks_agree_with_one_chunk() -> None:
    """Many small chunks, later ones with far larger weights (the running shift rescales)."""
    rng = np.random.default_rng(3)
    n, k, d = 500, 9, 3
    x = rng.normal(size=(n, d)) * np.linspace(0.01, 30.0, n)[:, None]
    y = np.where(x[:, 1] > 0, -1, 1)  # misclassified points with huge margins come last
    net = NetworkNd(rng.normal(size=(k, d)), rng.normal(size=k), rng.normal(size=k))
    theta = net.theta()
    one = NdEngine(x, y, k, True, chunk_entries=n * k).evaluate(theta, "logistic")
    many = NdEngine(x, y, k, True, chunk_entries=7 * k).evaluate(theta, "logistic")
    assert math.isclose(one.log_loss, many.log_loss, rel_tol=1e-13)
    for a, b in zip(one.grad_over_loss, many.grad_over_loss):
        # Each chunk's sums round differently and the rescaling adds one rounding a chunk.
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12 * np.max(np.abs(a)))


def test_loss_far_below_float64_range_keeps_finite_directions() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(40, 2))
    x[:, 0] = np.sign(x[:, 0]) * (1 + np.abs(x[:, 0]))  # |x_1| >= 1: margins >= 1600
    data = DatasetNd(x, np.where(x[:, 0] > 0, 1, -1))
    net = NetworkNd([[40.0, 0.0], [-40.0, 0.0]], None, [40.0, -40.0])
    value, (dw, _, dv) = loss_and_grad(net, data)
    q = data.y * net(x)
    assert value == 0.0 and q.min() >= 1600  # L = mean exp(-q) underflows
    engine = NdEngine(x, data.y, 2, False)
    ev = engine.evaluate(net.to_float().theta(), "exp")
    assert math.isclose(ev.log_loss, -q.min() + math.log(np.sum(np.exp(q.min() - q)) / 40),
                        rel_tol=1e-14)
    assert all(np.isfinite(g).all() and np.abs(g).max() > 0 for g in ev.grad_over_loss)


# --- d = 1: the univariate engine's answers ----------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(case=_nets_and_data(d=1, bias=True), loss=st.sampled_from(["exp", "logistic"]))
def test_d1_gradient_is_the_univariate_gradient(case, loss) -> None:
    net, data = case
    uni = net.to_univariate()
    value, grads = loss_and_grad(net, data, loss=loss)
    ref, ref_grads = loss_and_grad(uni, data.to_univariate(), loss=loss)
    _, _, bound = _dense(net, data, loss)
    assert math.isclose(value, ref, rel_tol=_roundings(data.n, ref), abs_tol=1e-300)
    for ours, theirs, scale in zip(grads, ref_grads, bound):
        _close(ours.ravel(), theirs, scale.ravel(), data.n, ref)


def _univariate_case(seed: int, n: int = 50, k: int = 12):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, n)
    return init_network(k, 1.0, 0.3, seed=seed), Dataset(x, np.where(np.sin(3 * x) > 0, 1, -1))


@pytest.mark.parametrize("method", ["gd", "flow"])
@pytest.mark.parametrize("loss", ["exp", "logistic"])
def test_d1_training_gives_the_univariate_answers(method, loss) -> None:
    net, data = _univariate_case(11)
    ref, ref_hist = train(net, data, method=method, loss=loss, steps=300, lr=0.05,
                          progress=False)
    ours, hist = train(NetworkNd.from_univariate(net), DatasetNd.from_univariate(data),
                       method=method, loss=loss, steps=300, lr=0.05, progress=False)
    assert isinstance(ours, NetworkNd) and ours.d == 1 and ours.has_bias
    assert (hist.stop_reason, len(hist), hist.extra) == (
        ref_hist.stop_reason, len(ref_hist), ref_hist.extra
    )
    # Same steps (same accepted and rejected flow steps); each evaluation sums the same
    # terms in another order (BLAS vs prefix sums), ~1e-14 relative, and 300 steps can
    # accumulate that 300-fold: 1e-9 leaves a margin of ~100.
    for a, b in zip(ours.to_univariate().arrays(), ref.arrays()):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9 * np.abs(b).max())
    for column in ("s", "log_loss", "norm", "margin", "smoothed_margin"):
        np.testing.assert_allclose(getattr(hist, column), getattr(ref_hist, column), rtol=1e-9)


def test_d1_example_1_of_safran_et_al_stays_put() -> None:
    """A neuron with w = b = v = 0 sits on every kink: it never moves, in either model."""
    net0 = Network([0.0, 0.0], [1.0, 0.0], [1.0, 0.0])
    ref, _ = train(net0, [4.0, -4.0], [1, 1], steps=200, lr=0.1, progress=False)
    ours, hist = train(NetworkNd.from_univariate(net0), [[4.0], [-4.0]], [1, 1], steps=200,
                       lr=0.1, progress=False)
    w, b, v = ours.arrays()
    assert w[:, 0].tolist() == [0.0, 0.0] and b[1] == v[1] == 0.0
    np.testing.assert_allclose(np.concatenate(ours.to_univariate().arrays()),
                               np.concatenate(ref.arrays()), rtol=1e-12)
    assert hist.separated


# --- training on R^d -------------------------------------------------------------------------


def _separable(n: int = 80, d: int = 3, seed: int = 0) -> DatasetNd:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    return DatasetNd(x, np.where(x[:, 0] + 0.5 * x[:, -1] > 0, 1, -1))


@pytest.mark.parametrize("bias", [True, False])
def test_gd_decreases_the_loss_and_keeps_the_bias_option(bias) -> None:
    data = _separable()
    net0 = init_network(20, 1.0, 0.3, d=3, bias=bias, seed=1)
    seen = []
    net, hist = train(net0, data, method="gd", steps=200, lr=0.05, progress=False,
                      callback=lambda step, net, rec: seen.append(net.has_bias) and None)
    assert isinstance(net, NetworkNd) and net.has_bias is bias and net.d == 3
    assert (net.b is None) is (not bias) and set(seen) == {bias}
    assert np.all(np.diff(hist.log_loss) < 0)
    assert hist.norm[0] == pytest.approx(math.sqrt(net0.sq_norm), rel=1e-15)


@pytest.mark.parametrize("loss", ["exp", "logistic"])
def test_flow_separates_and_stops_on_its_rules(loss) -> None:
    data = _separable(seed=2)
    net0 = init_network(16, 1.0, 0.3, d=3, bias=False, seed=2)
    net, hist = train(net0, data, loss=loss, steps=3000, lr=0.05, target_loss=1e-3,
                      progress=False)
    assert hist.stop_reason == "target_loss" and hist.separated
    assert hist.log_loss[-1] <= math.log(1e-3) < hist.log_loss[0]
    assert not net.has_bias
    # The smoothed margin (Lyu & Li) does not decrease along the flow once n L < l(0),
    # up to the integrator's rtol per step.
    sm = hist.smoothed_margin[hist.log_loss + math.log(data.n) < math.log(math.log(2))]
    assert np.all(np.diff(sm) >= -1e-2 * np.abs(sm[1:]))
    _, short = train(net0, data, loss=loss, steps=50, lr=0.05, margin_plateau=0.5,
                     record_every=5, progress=True)
    assert short.stop_reason in ("margin_plateau", "steps") and set(short.step % 5) == {0}


def test_permuting_neurons_commutes_with_a_gd_step() -> None:
    data = _separable(n=50, d=4, seed=4)
    net = init_network(9, 1.0, 0.5, d=4, seed=4)
    order = np.random.default_rng(4).permutation(9)
    a, _ = train(net.permuted(order), data, method="gd", steps=1, lr=0.1, progress=False)
    b, _ = train(net, data, method="gd", steps=1, lr=0.1, progress=False)
    # The same sums, but BLAS may block the sum over neurons (forward) and over points
    # (gradient) differently for another column order: a few roundings apart.
    for p, r in zip(a.arrays(), b.permuted(order).arrays()):
        np.testing.assert_allclose(p, r, rtol=1e-13, atol=1e-13 * np.abs(r).max())


def test_scaled_network_has_the_homogeneous_gradient() -> None:
    """N is 2-homogeneous in theta: grad L / L at c theta is c times grad L / L of c^2 N."""
    data = _separable(n=30, d=2, seed=6)
    net = init_network(5, d=2, seed=6)
    engine = NdEngine(data.x_float, data.y, 5, True)
    ev = engine.evaluate(net.theta(), "exp")
    ev2 = engine.evaluate(net.scaled(2.0).theta(), "exp")
    np.testing.assert_array_equal(ev2.q, 4 * ev.q)  # scaling by 2 is exact in float64


# --- the boundary --------------------------------------------------------------------------


def test_a_dimension_mismatch_names_both_dimensions() -> None:
    net = NetworkNd([[1.0, 2.0]], None, [1.0])
    with pytest.raises(InvalidDataError, match=r"R\^2 \(d = 2\).*R\^3 \(d = 3\)"):
        train(net, [[1, 2, 3]], [1], progress=False)
    with pytest.raises(InvalidDataError, match=r"d = 2.*d = 1"):
        loss_and_grad(net, [1.0, 2.0], [1, -1])
    with pytest.raises(InvalidDataError, match=r"d = 1.*d = 2"):
        train(Network([1.0], [0.0], [1.0]), DatasetNd([[1, 2]], [1]), progress=False)
    with pytest.raises(InvalidDataError, match="not both"):
        loss_and_grad(net, DatasetNd([[1, 2]], [1]), [1])
    with pytest.raises(InvalidDataError, match="labels y are missing"):
        loss_and_grad(net, [[1, 2]])
    with pytest.raises(NotSeparableError, match=r"x\[0\] = x\[1\]"):
        train(net, [[1, 2], [1, 2]], [1, -1], progress=False)
    with pytest.raises(InvalidValueError, match="Network or a NetworkNd"):
        train("net", [1.0], [1], progress=False)


def test_univariate_data_trains_a_d1_network_and_a_d1_dataset_a_network() -> None:
    net = NetworkNd([[1.0]], [0.5], [1.0])
    a, _ = train(net, [1.0, -1.0], [1, -1], steps=5, method="gd", progress=False)
    b, _ = train(net, Dataset([1.0, -1.0], [1, -1]), steps=5, method="gd", progress=False)
    c, _ = train(net.to_univariate(), DatasetNd([[1.0], [-1.0]], [1, -1]), steps=5,
                 method="gd", progress=False)
    assert a == b and isinstance(c, Network)
    np.testing.assert_allclose(a.to_univariate().arrays()[0], c.arrays()[0], rtol=1e-14)


# --- small initialization ------------------------------------------------------------------


def test_init_network_on_rd_and_small_scale() -> None:
    net = init_network(6, 2.0, 0.5, seed=3, d=1)
    assert net == NetworkNd.from_univariate(init_network(6, 2.0, 0.5, seed=3))
    small = init_network(30, d=5, bias=False, scale=1e-5, seed=8)
    assert small == init_network(30, d=5, bias=False, seed=8).scaled(1e-5)
    assert small.d == 5 and not small.has_bias and small.w.shape == (30, 5)
    assert math.sqrt(small.sq_norm) < 1e-3
    for call, message in [
        (lambda: init_network(3, bias=False), "bias=False needs d"),
        (lambda: init_network(3, d=2, scale=0.0), "scale: 0.0 must be a positive"),
        (lambda: init_network(3, d=2, scale=math.inf), "scale: inf must be a positive"),
    ]:
        with pytest.raises(InvalidValueError, match=message):
            call()
    with pytest.raises(InvalidNetworkError, match="at least 1; got 0"):
        init_network(3, d=0)
    with pytest.raises(InvalidNetworkError, match="not an integer dimension"):
        init_network(3, d=2.0)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(st.sampled_from([(0.0, 1.0), (-0.0, 1.0), (2.0, 0.5), (0.25, -3.0)]),
                  min_size=1, max_size=8),
    data=st.data(),
)
def test_float_separability_check_matches_the_exact_one(rows, data) -> None:
    """Training validates float data without Fractions; the verdict and the pair named agree."""
    y = data.draw(st.lists(st.sampled_from([-1, 1]), min_size=len(rows), max_size=len(rows)))
    x = np.array(rows)

    def verdict(ds: DatasetNd) -> str:
        try:
            ds.require_separable()
        except NotSeparableError as exc:
            return str(exc)
        return "separable"

    assert verdict(DatasetNd(x, y)) == verdict(DatasetNd(x, y, exact=True))
