"""Pictures of networks, certificates and dual functions (matplotlib, the ``plot`` extra).

Every function draws on a given Axes (or a new Figure) and returns it; none calls
``show()``, so they work in scripts, notebooks and the docs gallery alike.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._rational import fraction_to_float
from .data import Dataset, as_dataset
from .errors import require
from .network import Network
from .regions import linear_regions

__all__ = ["plot_dual", "plot_network"]

_LABEL_COLORS = {1: "tab:blue", -1: "tab:red"}


def _axes(ax: object) -> object:
    if ax is not None:
        return ax
    plt = require("matplotlib.pyplot", "plot")
    _, new_ax = plt.subplots(figsize=(7, 4), layout="constrained")
    return new_ax


def _window(net: Network, data: Dataset | None, interval: object) -> tuple[float, float]:
    if interval is not None:
        lo, hi = (
            float(fraction_to_float(linear_regions(net, interval).interval[i])) for i in (0, 1)
        )
        return lo, hi
    points = list(linear_regions(net).breakpoints)
    xs = [fraction_to_float(t) for t in points]
    if data is not None:
        xs += data.x_float.tolist()
    xs = [t for t in xs if np.isfinite(t)] or [-1.0, 1.0]
    lo, hi = min(xs), max(xs)
    pad = 0.15 * (hi - lo) if hi > lo else 1.0
    return lo - pad, hi + pad


def plot_network(
    net: Network,
    x: object = None,
    y: object = None,
    *,
    lambdas: Sequence[float] | None = None,
    teacher: Network | None = None,
    interval: object = None,
    tol: float | None = None,
    ax: object = None,
) -> object:
    """Draw N with its exact kinks, its effective regions shaded, data and multipliers.

    Parameters
    ----------
    net : Network
    x, y : optional
        Data (a :class:`Dataset` or sequences) drawn as points coloured by label at
        height ``y_i``-scaled ``N(x_i)``.
    lambdas : sequence of float, optional
        KKT multipliers; points with ``lambda_i > 0`` (support points) are circled
        and ``lambda_i`` is drawn as stems on a second y axis.
    teacher : Network, optional
        Overlaid dashed.
    interval : pair, optional
        x range to draw (default: all kinks and data with a margin).
    tol : float, optional
        Regions in tolerance mode instead of exact mode.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = plot_network(Network([1, -1], [0, 1], [1, 1]), [-1, 2], [1, 1])
    >>> ax.get_xlabel()
    'x'
    """
    ax = _axes(ax)
    data = None if x is None else as_dataset(x, y)
    lo, hi = _window(net, data, interval)
    regions = linear_regions(net, (lo, hi), tol=tol)
    for i, region in enumerate(regions.regions):
        if i % 2:
            ax.axvspan(float(region.lo), float(region.hi), color="0.93", zorder=0)
    grid = np.linspace(lo, hi, 801)
    kinks = [float(t) for t in regions.breakpoints]
    grid = np.unique(np.concatenate([grid, kinks]))
    ax.plot(grid, net(grid), color="black", lw=1.6, label="N(x)", zorder=3)
    if kinks:
        ax.plot(kinks, net(np.array(kinks)), "k|", ms=14, mew=1.5, label="kinks", zorder=4)
    if teacher is not None:
        ax.plot(grid, teacher(grid), "--", color="tab:green", lw=1.2, label="teacher", zorder=2)
    ax.axhline(0, color="0.6", lw=0.8, zorder=1)
    if data is not None:
        xs = data.x_float
        for label, color in _LABEL_COLORS.items():
            mask = data.y == label
            if mask.any():
                ax.scatter(
                    xs[mask], net(xs[mask]), s=18, color=color, zorder=5, label=f"y = {label:+d}"
                )
        if lambdas is not None:
            lam = np.asarray(lambdas, dtype=np.float64)
            support = lam > 0
            ax.scatter(
                xs[support],
                net(xs[support]),
                s=90,
                facecolors="none",
                edgecolors="darkorange",
                lw=1.5,
                zorder=6,
                label="support points",
            )
            twin = ax.twinx()
            twin.vlines(xs[support], 0, lam[support], color="darkorange", alpha=0.6)
            twin.set_ylabel("lambda_i", color="darkorange")
            twin.set_ylim(bottom=0)
    ax.set_xlim(lo, hi)
    ax.set_xlabel("x")
    ax.set_ylabel("N(x)")
    ax.set_title(f"{regions.count} effective linear region(s), width {net.width}")
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_dual(
    lambdas: Sequence[float], x: object, y: object = None, *, ax: object = None
) -> object:
    """Draw ``|G(u)|`` over the angle of ``u = (cos a, sin a)`` with the level 1 marked.

    ``G(u) = sum_i lambda_i y_i relu(u . (x_i, 1))``; by weak duality a KKT
    point whose multipliers keep ``|G| <= 1`` everywhere is a
    global optimum for every width, and an angle where ``|G| > 1`` names a neuron
    whose insertion lowers the norm.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = plot_dual([0.25, 0.25], [4, -4], [1, 1])
    >>> ax.get_ylabel()
    '|G(u)|'
    """
    ax = _axes(ax)
    data = as_dataset(x, y)
    lam = np.asarray(lambdas, dtype=np.float64)
    angles = np.linspace(-np.pi, np.pi, 4001)
    u = np.stack([np.cos(angles), np.sin(angles)])
    xt = np.stack([data.x_float, np.ones(data.n)], axis=1)
    g = np.maximum(xt @ u, 0.0).T @ (lam * data.y)
    ax.plot(angles, np.abs(g), color="black", lw=1.4)
    ax.axhline(1.0, color="tab:red", ls="--", lw=1, label="level 1")
    above = np.abs(g) > 1
    if above.any():
        ax.fill_between(
            angles,
            1.0,
            np.abs(g),
            where=above,
            color="tab:red",
            alpha=0.25,
            label="|G| > 1: an improving neuron",
        )
    ax.set_xlabel("angle of u = (cos a, sin a)")
    ax.set_ylabel("|G(u)|")
    ax.set_xlim(-np.pi, np.pi)
    ax.legend(loc="best", fontsize="small")
    return ax
