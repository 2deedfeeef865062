"""Pictures of networks, certificates and dual functions (matplotlib, the ``plot`` extra).

Every function draws on a given Axes (or a new Figure) and returns it; none calls
``show()``, so they work in scripts, notebooks and the docs gallery alike.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._rational import fraction_to_float
from .errors import require
from .geometry.regions import count_regions, linear_regions
from .model.data import as_dataset
from .model.data_nd import DatasetNd
from .model.network import Network
from .model.network_nd import NetworkNd

__all__ = ["plot_dual", "plot_dual_2d", "plot_network", "plot_regions_2d", "plot_window"]

_LABEL_COLORS = {1: "tab:blue", -1: "tab:red"}


def _axes(ax: object) -> object:
    if ax is not None:
        return ax
    plt = require("matplotlib.pyplot", "plot")
    _, new_ax = plt.subplots(figsize=(7, 4), layout="constrained")
    return new_ax


def plot_window(
    net: Network, x: object = None, y: object = None, *, interval: object = None
) -> tuple[float, float]:
    """The x range :func:`plot_network` draws: the data, or else the kinks, with a margin.

    With data the window is the data's range padded by 10% on each side, so the data fill
    most of the plot however far a stray kink lies (kinks outside are marked at the edge).
    Without data it spans every kink. ``interval`` overrides both.

    Examples
    --------
    >>> plot_window(Network([1, 1], [0, 110], [1, -1]), [-1, 1], [1, 1])  # kink at -110 ignored
    (-1.2, 1.2)
    >>> plot_window(Network([1, 1], [0, 110], [1, -1]))
    (-126.5, 16.5)
    """
    if interval is not None:
        lo, hi = linear_regions(net, interval).interval
        return float(fraction_to_float(lo)), float(fraction_to_float(hi))
    if x is not None:
        xs = as_dataset(x, y).x_float.tolist()
        pad_frac = 0.1
    else:
        xs = [fraction_to_float(t) for t in linear_regions(net).breakpoints]
        pad_frac = 0.15
    xs = [t for t in xs if np.isfinite(t)] or [-1.0, 1.0]
    lo, hi = min(xs), max(xs)
    pad = pad_frac * (hi - lo) if hi > lo else 1.0
    return lo - pad, hi + pad


def _mark_outside(ax: object, kinks: list[float], lo: float, hi: float) -> str:
    """Mark kinks left and right of the window at its edges; return a note for the x label."""
    notes = []
    for side, out, edge in (
        ("left", [t for t in kinks if t < lo], lo),
        ("right", [t for t in kinks if t > hi], hi),
    ):
        if not out:
            continue
        nearest = max(out) if side == "left" else min(out)
        notes.append(f"{len(out)} {side}, nearest {nearest:.3g}")
        ax.plot(
            [edge], [0.0], marker="<" if side == "left" else ">", color="0.3", ms=9,
            transform=ax.get_xaxis_transform(), clip_on=False, zorder=7,
            label="kinks outside the window" if len(notes) == 1 else None,
        )
    return "kink(s) outside: " + "; ".join(notes) if notes else ""


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

    The window comes from the data (:func:`plot_window`); kinks outside it are marked at
    the edges rather than stretching the axis. The title gives the total number of
    effective linear regions and how many of them the window shows.

    Parameters
    ----------
    net : Network
    x, y : optional
        Data (a :class:`Dataset` or sequences) drawn as points at ``(x_i, N(x_i))``,
        coloured by label.
    lambdas : sequence of float, optional
        KKT multipliers; points with ``lambda_i > 0`` (support points) are circled
        and ``lambda_i`` is drawn as stems on a second, labelled y axis.
    teacher : Network, optional
        Overlaid dashed, rescaled by a positive factor (named in the legend) to the range of
        ``N`` on the window: only its sign matters for the labels, and on its own scale a
        teacher often looks flat next to a trained network.
    interval : pair, optional
        x range to draw (default: :func:`plot_window`).
    tol : float, optional
        Regions in tolerance mode instead of exact mode.
    ax : matplotlib Axes, optional
        Draw here (default: a new figure).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = plot_network(Network([1, -1], [0, 1], [1, 1]), [-1, 2], [1, 1])
    >>> ax.get_xlabel(), ax.get_title()  # the window is the data's: no kink outside
    ('x', '3 effective linear regions (3 in window), width 2')
    """
    ax = _axes(ax)
    data = None if x is None else as_dataset(x, y)
    lo, hi = plot_window(net, data, interval=interval)
    total = linear_regions(net, tol=tol)
    regions = linear_regions(net, (lo, hi), tol=tol)
    for i, region in enumerate(regions.regions):
        if i % 2:
            ax.axvspan(float(region.lo), float(region.hi), color="0.93", zorder=0)
    grid = np.linspace(lo, hi, 801)
    kinks = [float(t) for t in regions.breakpoints]
    grid = np.unique(np.concatenate([grid, kinks]))
    values = np.asarray(net(grid), dtype=np.float64)
    ax.plot(grid, values, color="black", lw=1.6, label="N(x)", zorder=3)
    if kinks:
        ax.plot(kinks, net(np.array(kinks)), "k|", ms=14, mew=1.5, label="kinks", zorder=4)
    outside = _mark_outside(ax, [float(t) for t in total.breakpoints], lo, hi)
    if teacher is not None:
        t_values = np.asarray(teacher(grid), dtype=np.float64)
        top_t, top_n = float(np.max(np.abs(t_values))), float(np.max(np.abs(values)))
        factor = top_n / top_t if top_t > 0 and top_n > 0 else 1.0
        label = "teacher" if factor == 1.0 else f"teacher \u00d7 {factor:.3g} (rescaled)"
        ax.plot(grid, factor * t_values, "--", color="tab:green", lw=1.2, label=label, zorder=2)
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
            twin.set_ylabel("KKT multiplier lambda_i (stems)", color="darkorange")
            twin.set_ylim(bottom=0)
    ax.set_xlim(lo, hi)
    ax.set_xlabel("x" if not outside else f"x    ({outside})")
    ax.set_ylabel("N(x)")
    mode = "" if tol is None else f" at tolerance {tol:g}"
    ax.set_title(
        f"{total.count} effective linear regions{mode} ({regions.count} in window), "
        f"width {net.width}"
    )
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_dual(
    lambdas: Sequence[float],
    x: object,
    y: object = None,
    *,
    tol: float = 1e-6,
    ax: object = None,
) -> object:
    """Draw ``|G(u)|`` over the angle of ``u = (cos a, sin a)`` with the level 1 marked.

    ``G(u) = sum_i lambda_i y_i relu(u . (x_i, 1))``; by weak duality a KKT
    point whose multipliers keep ``|G| <= 1`` everywhere is a
    global optimum for every width, and an angle where ``|G| > 1`` names a neuron
    whose insertion lowers the norm.

    Parameters
    ----------
    lambdas : sequence of float
        Multipliers ``lambda_i >= 0``.
    x, y : data
        A :class:`Dataset` or the two sequences.
    tol : float
        Only ``|G| > 1 + tol`` is shaded as a violation: multipliers from a solver are
        accurate to about 1e-8, so an optimum's ``max |G|`` may read ``1 + 1e-9``.
    ax : matplotlib Axes, optional
        Draw here (default: a new figure).

    Returns
    -------
    matplotlib.axes.Axes

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
    above = np.abs(g) > 1 + tol
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
    verdict = "> 1" if above.any() else "<= 1"
    ax.set_title(f"max |G| = {float(np.max(np.abs(g))):.4g} {verdict}", fontsize="medium")
    ax.legend(loc="best", fontsize="small")
    return ax


def _data_2d(data: object) -> DatasetNd:
    """A :class:`DatasetNd` in the plane from a DatasetNd or a pair ``(x, y)``."""
    from .errors import InvalidDataError

    if not isinstance(data, DatasetNd):
        try:
            x, y = data  # type: ignore[misc]
        except (TypeError, ValueError):
            raise InvalidDataError("data must be a DatasetNd or a pair (x, y)") from None
        data = DatasetNd(x, y)
    if data.d != 2:
        raise InvalidDataError(f"plot_regions_2d needs data with d = 2; got d = {data.d}")
    return data


def _window_2d(net: NetworkNd, data: DatasetNd | None, box: object) -> object:
    """The box to draw: the caller's, else the data padded by 10%, else every vertex."""
    if box is not None:
        return box
    if data is not None:
        xs = data.x_float
        lo, hi = xs.min(axis=0), xs.max(axis=0)
        pad = np.where(hi > lo, 0.1 * (hi - lo), 1.0)
        return (lo[0] - pad[0], hi[0] + pad[0], lo[1] - pad[1], hi[1] + pad[1])
    return linear_regions(net).box


def plot_regions_2d(
    net: NetworkNd,
    data: object = None,
    *,
    box: object = None,
    lambdas: Sequence[float] | None = None,
    ax: object = None,
) -> object:
    """Draw the effective regions of a 2-D network, its lines, and labelled data.

    Each effective region (exact polygon, :func:`~pwl_kkt.geometry.regions.linear_regions`)
    is filled with its own colour; the lines along which N truly bends (nonzero total jump)
    are drawn across the window. The title gives the number of effective regions on R^2
    and how many of them the window shows.

    Parameters
    ----------
    net : NetworkNd
        A network with ``d = 2``.
    data : DatasetNd or pair (x, y), optional
        Points in the plane, coloured by label.
    box : (xlo, xhi, ylo, yhi), optional
        Window (read exactly). Default: the data's bounding box padded by 10% on each side,
        or without data a box holding every vertex of the arrangement.
    lambdas : sequence of float, optional
        Multipliers of the data points; points with ``lambda_i > 0`` (support points) are
        circled.
    ax : matplotlib Axes, optional
        Draw here (default: a new figure).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> net = NetworkNd([[1, 0], [0, 1], [1, 1]], [0, 0, -1], [1, -1, 1])
    >>> ax = plot_regions_2d(net, ([[-1, 1], [2, 2]], [1, -1]), lambdas=[0.5, 0.0])
    >>> ax.get_title()
    '7 effective linear regions on R^2 (4 in the window), width 3'
    """
    from matplotlib.collections import LineCollection, PolyCollection

    from .geometry import plane

    plane._require_plane(net)
    ax = _axes(ax)
    points = None if data is None else _data_2d(data)
    window = plane._check_box(_window_2d(net, points, box))
    regions = linear_regions(net, box=window)
    colors = require("matplotlib", "plot").colormaps["Set3"]  # pastel: labels stay readable
    polygons = [[(float(x), float(y)) for x, y in r.vertices] for r in regions.regions]
    ax.add_collection(
        PolyCollection(
            polygons,
            facecolors=[colors(i % colors.N) for i in range(len(polygons))],
            edgecolors="none",
            alpha=0.8,
            zorder=0,
        )
    )
    segments = []
    for line in regions.lines:
        chord = plane._chord(line, window)
        if chord is not None:
            segments.append([tuple(map(float, plane._at(line, t))) for t in chord])
    if segments:
        ax.add_collection(
            LineCollection(
                segments, colors="0.25", linewidths=1.0, zorder=2,
                label=f"lines of N ({len(segments)} in the window)",
            )
        )
    if points is not None:
        xs = points.x_float
        for label, color in _LABEL_COLORS.items():
            mask = points.y == label
            if mask.any():
                ax.scatter(xs[mask, 0], xs[mask, 1], s=22, color=color, zorder=4,
                           edgecolors="white", linewidths=0.5, label=f"y = {label:+d}")
        if lambdas is not None:
            support = np.asarray(lambdas, dtype=np.float64) > 0
            ax.scatter(xs[support, 0], xs[support, 1], s=110, facecolors="none",
                       edgecolors="darkorange", linewidths=1.6, zorder=5, label="support points")
    xlo, xhi, ylo, yhi = (fraction_to_float(t) for t in window)
    ax.set_xlim(xlo, xhi)
    ax.set_ylim(ylo, yhi)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title(
        f"{count_regions(net)} effective linear regions on R^2 ({regions.count} in the window), "
        f"width {net.width}"
    )
    if segments or points is not None:
        ax.legend(loc="best", fontsize="small")
    return ax


def plot_dual_2d(
    lambdas: Sequence[float],
    x: object,
    y: object = None,
    *,
    resolution: int = 361,
    exact: bool = True,
    ax: object = None,
) -> object:
    """Heat map of ``|G(u)|`` on the sphere S^2 (longitude/latitude) with the level 1 contour.

    ``G(u) = sum_i lambda_i y_i relu(u . (x_i, 1))`` for data in the plane and
    ``u = (cos(lat) cos(lon), cos(lat) sin(lon), sin(lat)) = (w_1, w_2, b)``. By weak duality,
    ``|G| <= 1`` everywhere proves that ``sum lambda`` bounds ``P*`` from below; the region inside
    the level 1 contour names improving neurons. With ``exact`` the exact maximum
    (:func:`~pwl_kkt.duality.dual_plane.max_abs_dual_2d`) is marked and given in the title; the
    great circles ``xt_i^perp`` (where ``G`` bends) are drawn thin.

    Parameters
    ----------
    lambdas : sequence of float
        Multipliers ``lambda_i >= 0``.
    x, y : data
        A :class:`DatasetNd` with ``d = 2`` or the two sequences.
    resolution : int
        Grid points along the longitude (half as many along the latitude).
    exact : bool
        Compute and mark the exact maximum.
    ax : matplotlib Axes, optional
        Draw here (default: a new figure).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = plot_dual_2d([1, 1], [[1, 0], [-1, 0]], [1, -1], resolution=91)
    >>> ax.get_title()
    'max |G| = sqrt(2) = 1.414 > 1 (exact)'
    """
    from .duality.dual_plane import max_abs_dual_2d, plane_dataset

    ax = _axes(ax)
    data = plane_dataset(x, y, "plot_dual_2d")
    lam = np.asarray([float(t) for t in lambdas], dtype=np.float64)
    lon = np.linspace(-np.pi, np.pi, int(resolution))
    lat = np.linspace(-np.pi / 2, np.pi / 2, max(3, int(resolution) // 2 + 1))
    LON, LAT = np.meshgrid(lon, lat)
    U = np.stack([np.cos(LAT) * np.cos(LON), np.cos(LAT) * np.sin(LON), np.sin(LAT)], axis=-1)
    X = np.c_[data.x_float, np.ones(data.n)]
    G = np.maximum(U @ X.T, 0.0) @ (lam * data.y)
    deg = 180.0 / np.pi
    mesh = ax.pcolormesh(LON * deg, LAT * deg, np.abs(G), shading="auto", cmap="viridis")
    ax.figure.colorbar(mesh, ax=ax, label="|G(u)|")
    if np.abs(G).max() > 1:
        ax.contour(LON * deg, LAT * deg, np.abs(G), levels=[1.0], colors="tab:red",
                   linewidths=1.5)
    for xt in X:  # the great circle xt^perp: b = -(w . x), i.e. tan(lat) = -x . (cos, sin)(lon)
        ax.plot(lon * deg, np.arctan(-(xt[0] * np.cos(lon) + xt[1] * np.sin(lon))) * deg,
                color="white", lw=0.4, alpha=0.5)
    title = f"max |G| on the grid = {float(np.abs(G).max()):.4g}"
    if exact:
        m = max_abs_dual_2d(lambdas, data)
        d = np.array([float(t) for t in m.direction])
        d /= np.linalg.norm(d)
        ax.plot(np.arctan2(d[1], d[0]) * deg, np.arcsin(d[2]) * deg, marker="*", ms=14,
                color="tab:red", mec="white", label="exact maximiser")
        verdict = "<= 1" if m.max_sq <= 1 else "> 1"
        text = str(m.max_abs)
        shown = f"{text} = {m.interval[1]:.4g}" if len(text) <= 24 else f"{m.interval[1]:.10g}"
        title = f"max |G| = {shown} {verdict} (exact)"
        ax.legend(loc="lower left", fontsize="small")
    ax.set_xlabel("longitude of u = (w_1, w_2, b)  [degrees]")
    ax.set_ylabel("latitude (towards b > 0)  [degrees]")
    ax.set_xlim(-180, 180)
    ax.set_ylim(-90, 90)
    ax.set_title(title, fontsize="medium")
    return ax

