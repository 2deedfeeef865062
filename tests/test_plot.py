"""Plots return their Axes, draw what they claim, and never call show()."""

from __future__ import annotations

import numpy as np
import pytest

from pwl_kkt import Network

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from pwl_kkt.plot import plot_dual, plot_network  # noqa: E402


def test_plot_network_draws_kinks_data_and_support(tmp_path):
    net = Network([1, -1, 2], [0, 1, -1], [1, 1, -1])
    ax = plot_network(net, [-2, 0.3, 2], [1, -1, 1], lambdas=[0.5, 0.0, 0.25], teacher=net)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert {"N(x)", "kinks", "teacher", "y = +1", "y = -1", "support points"} <= set(labels)
    kink_line = next(line for line in ax.get_lines() if line.get_label() == "kinks")
    assert sorted(kink_line.get_xdata()) == [0.0, 0.5, 1.0]
    ax.figure.savefig(tmp_path / "net.png")
    assert (tmp_path / "net.png").stat().st_size > 0


def test_plot_dual_marks_violation():
    # Example 1 (x = 4, -4, labels +1): its KKT multipliers (1/2, 1/2) give
    # |G(u)| = sqrt(17)/2 > 1 at u = (4, 1)/sqrt(17); a grid of 4001 angles gets within 1e-5.
    ax = plot_dual([0.5, 0.5], [4, -4], [1, 1])
    curve = ax.get_lines()[0].get_ydata()
    assert np.max(curve) == pytest.approx(np.sqrt(17) / 2, rel=1e-5)
    assert any("improving" in t.get_text() for t in ax.get_legend().get_texts())


# --- windows chosen from the data -------------------------------------------------------------
# "Most of the width": the data's range covers at least 80% of the x-window (the window pads
# it by 10% on each side, so 1/1.2 = 83%), however far a stray kink lies.


def _data_share(ax, xs) -> float:
    lo, hi = ax.get_xlim()
    assert lo <= float(np.min(xs)) and float(np.max(xs)) <= hi
    return (float(np.max(xs)) - float(np.min(xs))) / (hi - lo)


@pytest.fixture(scope="module")
def tutorial():
    """The tutorial's setting (r = 2, n = 30, k = 20, seed 2), trained for 3,000 of the
    tutorial's 30,000 steps: a kink near x = -116 has already appeared by then."""
    from pwl_kkt import teacher_student_setup, train

    setup = teacher_student_setup(r=2, n=30, k=20, seed=2)
    net, _ = train(setup.init, setup.data, steps=3000, lr=0.05, progress=False)
    return setup, net


def test_tutorial_window_follows_data(tutorial):
    from pwl_kkt import certify_kkt, linear_regions

    setup, net = tutorial
    kinks = [float(t) for t in linear_regions(net).breakpoints]
    assert min(kinks) < -50  # the far kink that used to set the window
    cert = certify_kkt(net, setup.data, support_tol=1e-2)
    ax = plot_network(net, setup.data, lambdas=cert.lambdas, teacher=setup.teacher)
    assert _data_share(ax, setup.data.x_float) >= 0.8
    assert "kink(s) outside: " in ax.get_xlabel() and " left, nearest " in ax.get_xlabel()
    total, shown = linear_regions(net).count, linear_regions(net, ax.get_xlim()).count
    assert ax.get_title().startswith(f"{total} effective linear regions ({shown} in window)")


def test_demo_window_follows_data(tutorial):
    from pwl_kkt.demo import _draw

    setup, net = tutorial
    fig = _draw(net, setup, tuple([0.0] * setup.data.n))
    ax = fig.axes[0]
    assert _data_share(ax, setup.data.x_float) >= 0.8
    teacher_line = next(ln for ln in ax.get_lines() if ln.get_label().startswith("teacher"))
    student = next(ln for ln in ax.get_lines() if ln.get_label() == "N(x)")
    # comparable scales: the rescaled teacher spans the student's range on the window
    assert np.max(np.abs(teacher_line.get_ydata())) == pytest.approx(
        np.max(np.abs(student.get_ydata())), rel=1e-9
    )


def test_implicit_bias_window_follows_data(tutorial, tmp_path, monkeypatch):
    """The implicit-bias page's example panel (``pwl-kkt report``) from one results row."""
    import json

    import matplotlib.pyplot as plt
    import pandas as pd

    from pwl_kkt import report

    setup, net = tutorial
    w, b, v = net.arrays()
    tw, tb, tv = setup.teacher.fractions()
    row = {
        "r": 2, "k": net.width, "n": setup.data.n, "status": "ok", "regions_exact": 0,
        "population_error": 0.0, "success": True,
        "net_json": json.dumps({"w": w.tolist(), "b": b.tolist(), "v": v.tolist()}),
        "teacher_json": json.dumps({k: [str(t) for t in p] for k, p in zip("wbv", (tw, tb, tv))}),
        "data_json": json.dumps({"x": setup.data.x_float.tolist(), "y": setup.data.y.tolist()}),
        "lambdas_json": None,
    }
    figs = []
    monkeypatch.setattr(report, "_save", lambda fig, path, plt: figs.append(fig) or path)
    report._example_panel(pd.DataFrame([row]), tmp_path / "example.png", plt)
    assert _data_share(figs[0].axes[0], setup.data.x_float) >= 0.8


def test_dual_plot_does_not_flag_an_optimum():
    # lambda* = (1, 1)/sqrt(17) of Example 1, rounded to floats: max |G| = 1 up to rounding,
    # which must not be shaded or labelled as an improving neuron.
    lam = [1 / np.sqrt(17)] * 2
    ax = plot_dual(lam, [4, -4], [1, 1])
    assert not any("improving" in t.get_text() for t in ax.get_legend().get_texts())
    assert ax.get_title().endswith("<= 1")


def test_plot_regions_2d_draws_regions_lines_data_and_support(tmp_path):
    from matplotlib.collections import LineCollection, PolyCollection

    from pwl_kkt import NetworkNd, count_regions
    from pwl_kkt.plot import plot_regions_2d

    # x = 0 and y = 0 bend N; the pair on x + y = 1 cancels, so that line is not drawn.
    net = NetworkNd([[1, 0], [0, 1], [1, 1], [-1, -1]], [0, 0, -1, 1], [1, -1, 1, -1])
    data = ([[-1, -1], [1, 2], [2, -1]], [1, -1, 1])
    ax = plot_regions_2d(net, data, lambdas=[0.5, 0.0, 0.25])
    polys = next(c for c in ax.collections if isinstance(c, PolyCollection))
    lines = next(c for c in ax.collections if isinstance(c, LineCollection))
    window = (-1.3, 2.3, -1.3, 2.3)  # the data's range padded by 10%
    assert np.allclose([*ax.get_xlim(), *ax.get_ylim()], window)
    assert len(polys.get_paths()) == count_regions(net, box=window) == 4
    assert len(lines.get_segments()) == 2
    labels = {t.get_text() for t in ax.get_legend().get_texts()}
    assert {"y = +1", "y = -1", "support points", "lines of N (2 in the window)"} <= labels
    assert ax.get_title() == "4 effective linear regions on R^2 (4 in the window), width 4"
    ax.figure.savefig(tmp_path / "regions.png")
    assert (tmp_path / "regions.png").stat().st_size > 0


def test_plot_regions_2d_names_the_dimension():
    from pwl_kkt import InvalidDataError, InvalidNetworkError, NetworkNd
    from pwl_kkt.plot import plot_regions_2d

    net = NetworkNd([[1, 0]], [0], [1])
    with pytest.raises(InvalidDataError, match="d = 2; got d = 3"):
        plot_regions_2d(net, ([[0, 0, 0]], [1]))
    with pytest.raises(InvalidNetworkError, match="d = 2; got d = 1"):
        plot_regions_2d(NetworkNd([[1]], [0], [1]))
