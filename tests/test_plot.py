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
