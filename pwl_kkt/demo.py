"""The worked story on built-in defaults (``pwl-kkt demo``).

Teacher with r sign changes -> sample -> Assumption 2.1 initialization -> gradient
flow towards directional convergence -> KKT certificate -> effective regions vs
32r + 67 -> exact population error -> one figure.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import _defaults
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

    The KKT certificate uses ``support_tol=1e-2``: after finite training the margins of
    the would-be support points still differ by about a percent (convergence in
    direction is logarithmically slow), and the certificate reports how far from
    stationary the network still is as ``eps``.

    Examples
    --------
    >>> result = run_demo(r=1, n=12, k=6, steps=300, figure=None, progress=False,
    ...                   echo=False)
    >>> result.regions_exact <= result.k + 1
    True
    """
    from .bounds import region_bound
    from .kkt import certify_kkt
    from .regions import count_regions
    from .teacher import label_changes, population_error, teacher_student_setup
    from .train import train

    say = print if echo else (lambda *a, **k: None)
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
    say(
        f"5. KKT certificate: eps = {cert.eps:.3g} (relative stationarity residual), "
        f"delta = {cert.delta:.3g}, support points {list(cert.support)}"
    )
    regions = count_regions(net)
    regions_tol = count_regions(net, tol=1e-3)
    bound = region_bound(max(r_sample, 1))
    say(
        f"6. effective linear regions: {regions} exact, {regions_tol} at tolerance 1e-3; "
        f"Theorem 4.2 bound 32r + 67 = {bound} (r = {max(r_sample, 1)})"
    )
    error = population_error(net, setup.teacher, setup.distribution)
    say(f"7. exact population error P[sign N != sign N*] = {float(error):.6f}")
    written = None
    if figure is not None:
        written = str(_figure(net, setup, cert.lambdas, Path(figure)))
        say(f"8. figure: {written}")
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
    )


def _figure(net: object, setup: object, lambdas: tuple[float, ...], path: Path) -> Path:
    import io

    from .errors import require
    from .io import _atomic_write

    require("matplotlib", "plot").use("Agg")
    plt = require("matplotlib.pyplot", "plot")
    fig = _draw(net, setup, lambdas)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    _atomic_write(path, buf.getvalue())
    return path


def _draw(net: object, setup: object, lambdas: tuple[float, ...]) -> object:
    """The demo's figure (a matplotlib Figure with one Axes)."""
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
    return fig
