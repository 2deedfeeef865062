"""The worked story on built-in defaults (``pwl-kkt demo``).

Teacher with r sign changes -> sample -> Assumption 2.1 initialization -> brief gradient
flow -> the KKT point it is heading to, computed and proven -> the limit's proven effective
regions vs 32r + 67 -> its gap to the global optimum P* -> exact population error -> one
figure of the limit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import _defaults
from ._files import figure_format
from ._rational import fraction_text

__all__ = ["DemoResult", "run_demo"]


@dataclass(frozen=True)
class DemoResult:
    """The numbers the demo prints (see :func:`run_demo`).

    Examples
    --------
    >>> DemoResult.__dataclass_fields__["regions_exact"].type
    'int'
    """

    r: int
    label_changes: int
    k: int
    n: int
    steps: int
    log_loss: float
    normalized_margin: float
    eps: float
    delta: float
    support: tuple[int, ...]
    regions_exact: int
    regions_tol: int
    bound: int
    population_error: float
    figure: str | None
    seconds: float
    limit_proven: bool = False
    limit_regions: int | None = None
    limit_regions_range: tuple[int, int] | None = None
    limit_eps: float = float("nan")
    limit_angle: float = float("nan")
    limit_gap: float = float("nan")


def run_demo(
    r: int = _defaults.DEMO_R,
    n: int = _defaults.DEMO_N,
    k: int = _defaults.DEMO_K,
    *,
    seed: int | np.random.Generator = _defaults.SEED,
    steps: int = _defaults.DEMO_STEPS,
    figure: str | Path | None = "pwl_kkt_demo.png",
    progress: bool = True,
    echo: bool = True,
) -> DemoResult:
    """Run the whole pipeline once and print what each step finds.

    Gradient flow converges to a KKT point of the max-margin problem only in direction and
    only like ``1 / log t``, so the demo trains briefly and then computes the KKT point the
    network is heading to (:func:`pwl_kkt.kkt_limit`) and proves it in ball arithmetic
    (:func:`pwl_kkt.prove_kkt_point`). The region count compared with Theorem 4.2's
    ``32r + 67`` is the proven limit's exact count; the trained network's exact and
    tolerance counts are printed as a side note.

    Examples
    --------
    >>> result = run_demo(r=1, n=12, k=6, steps=300, figure=None, progress=False,
    ...                   echo=False)
    >>> result.regions_exact <= result.k + 1
    True
    """
    from .duality.optimum import global_max_margin, optimality_gap
    from .geometry.regions import count_regions
    from .kkt.limit import kkt_limit
    from .kkt.numeric import certify_kkt
    from .setting.bounds import region_bound
    from .setting.teacher import label_changes, population_error, teacher_student_setup
    from .training.train import train

    say = print if echo else (lambda *a, **k: None)
    if figure is not None:
        figure_format(figure)  # an unknown figure type is refused before the work
    start = time.perf_counter()
    setup = teacher_student_setup(r, n, k, seed=seed)
    data = setup.data
    changes = ", ".join(fraction_text(t) for t in setup.sign_changes)
    say(f"1. teacher of width {r} with sign changes at {changes}; rho = {setup.rho}")
    r_sample = label_changes(data.x_float, data.y)
    say(f"2. {n} points uniform on [-1, 1], labels sign(N*(x)): {r_sample} label change(s)")
    say(f"3. width-{k} student, Assumption 2.1 initialization")
    net, history = train(setup.init, data, steps=steps, lr=0.05, progress=progress)
    say(
        f"4. gradient flow: {int(history.step[-1])} steps, log L = {history.log_loss[-1]:.1f}, "
        f"normalized margin {history.margin[-1]:.4g} (stop: {history.stop_reason})"
    )
    cert = certify_kkt(net, data, support_tol=1e-2)
    regions = count_regions(net)
    regions_tol = count_regions(net, tol=1e-3)
    bound = region_bound(max(r_sample, 1))
    lim = kkt_limit(net, data, prove=True)
    proof = lim.proof
    say(
        f"5. the KKT point it is heading to: eps = {lim.eps:.2g}, ||theta||^2 = "
        f"{lim.sq_norm_after:.10g}, {lim.angle:.3g} rad from the trained direction "
        f"({lim.seconds:.2g} s; {'converged' if lim.converged else 'NOT converged: ' + lim.reason})"
    )
    if proof.proven:
        count = str(proof.regions) if proof.regions is not None else (
            f"between {proof.regions_range[0]} and {proof.regions_range[1]}")
        say(f"   proven (ball arithmetic): an exact KKT point lies within {proof.radius:.2g}")
        say(
            f"6. effective linear regions of the proven limit: {count}; Theorem 4.2 bound "
            f"32r + 67 = {bound} (r = {max(r_sample, 1)})"
        )
    else:
        say(f"   not proven: {proof.reason}")
        say(f"6. no proven region count; Theorem 4.2 bound 32r + 67 = {bound}")
    say(
        f"   (side note: the trained network itself, eps = {cert.eps:.2g}, has {regions} exact "
        f"regions, {regions_tol} at tolerance 1e-3)"
    )
    opt = global_max_margin(data, exact=False)
    gap = optimality_gap(lim.network, data, optimum=opt)
    say(
        f"7. global optimum P* = {opt.P_star:.8g} (any width); the limit's 1/2||theta||^2 = "
        f"{lim.sq_norm_after / 2:.8g}, gap {gap:.3g}"
        + (" (zero to the convex solver's accuracy, about 1e-8 relative)"
           if abs(gap) <= 1e-6 * opt.P_star else "")
    )
    error = population_error(lim.network, setup.teacher, setup.distribution)
    say(f"8. exact population error of the limit P[sign N != sign N*] = {float(error):.6f}")
    written = None
    if figure is not None:
        title = (
            f"Proven limit of gradient flow (a KKT point): {proof.regions} effective regions, "
            f"width {k}" if proof.regions is not None
            else f"Limit of gradient flow (not proven), width {k}"
        )
        written = str(_figure(lim.network, setup, lim.lambdas, Path(figure), title))
        say(f"9. figure of the limit: {written}")
    return DemoResult(
        r,
        r_sample,
        k,
        n,
        int(history.step[-1]),
        float(history.log_loss[-1]),
        float(history.margin[-1]),
        cert.eps,
        cert.delta,
        tuple(cert.support),
        regions,
        regions_tol,
        bound,
        float(error),
        written,
        time.perf_counter() - start,
        bool(proof.proven),
        proof.regions,
        proof.regions_range,
        lim.eps,
        lim.angle,
        gap,
    )


def _figure(
    net: object, setup: object, lambdas: tuple[float, ...], path: Path, title: str | None = None
) -> Path:
    import io

    from .errors import require
    from .model.io import _atomic_write

    require("matplotlib", "plot").use("Agg")
    plt = require("matplotlib.pyplot", "plot")
    fig = _draw(net, setup, lambdas, title)
    buf = io.BytesIO()
    fig.savefig(buf, format=figure_format(path), dpi=110)
    plt.close(fig)
    _atomic_write(path, buf.getvalue())
    return path


def _draw(
    net: object, setup: object, lambdas: tuple[float, ...], title: str | None = None
) -> object:
    """The demo's figure (a matplotlib Figure with one Axes); ``title`` replaces the default."""
    import numpy as np

    from .errors import require
    from .plot import plot_network

    plt = require("matplotlib.pyplot", "plot")
    # The student is normalized to minimum margin 1 (theta / sqrt(min_i y_i N(x_i)), the
    # scale the certificate works at); plot_network takes the window from the data, marks
    # kinks outside it at the edges, rescales the teacher to the student's range, and its
    # title counts all regions and those in the window.
    data = setup.data
    margin = float(np.min(data.y * net(data.x_float)))
    fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    plot_network(net.scaled(margin**-0.5), data, lambdas=lambdas, teacher=setup.teacher, ax=ax)
    if title is not None:
        # plot_network's own title counts the float network's kinks, where rounding splits
        # the shared kink of a group; the caller's title states the proven count
        ax.set_title(title)
    return fig
