"""The ``pwl-kkt`` command line.

Every subcommand reads its inputs through :mod:`pwl_kkt.model.io` (within the limits of
:mod:`pwl_kkt.limits`) and every option is checked before work starts, so bad input
ends as one line on stderr and exit status 2, and no partial output file is left.
A broken pipe (``pwl-kkt regions ... | head``) ends quietly with status 141, and
SIGTERM with status 143 after removing any temporary file.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shlex
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from fractions import Fraction

from ._rational import short_text, to_fraction
from .errors import InvalidValueError, PwlKktError
from .limits import shorten

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (the usage block is what ``--help`` is for)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def _integer(minimum: int) -> Callable[[str], int]:
    """argparse type: an integer >= ``minimum`` (``--seed -1`` is refused here)."""

    def parse(text: str) -> int:
        if not re.fullmatch(r"\s*[-+]?\d{1,30}\s*", text):
            raise argparse.ArgumentTypeError(f"invalid int value: {shorten(text)}")
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is below the minimum {minimum}")
        return value

    return parse


def _real(*, positive: bool) -> Callable[[str], float]:
    """argparse type: a finite float, > 0 (``positive``) or >= 0; ``-0`` is not > 0."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid float value: {shorten(text)}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{shorten(text)} is not a finite number")
        if positive and not value > 0:
            raise argparse.ArgumentTypeError(f"{shorten(text)} must be > 0")
        if value < 0:
            raise argparse.ArgumentTypeError(f"{shorten(text)} must be >= 0")
        if math.copysign(1.0, value) < 0:  # numpy refuses a scale of -0.0, so refuse it here
            raise argparse.ArgumentTypeError(f"{shorten(text)} is a negative zero; give 0")
        return value

    return parse


def _out_file(kind: str) -> Callable[[str], str]:
    """argparse type: an output path whose suffix suits ``kind`` (checked before any work)."""

    def parse(text: str) -> str:
        from pathlib import Path

        from ._files import figure_format

        if not text.strip():
            raise argparse.ArgumentTypeError("an empty path names no file")
        suffix = Path(text).suffix.lower()
        if kind == "network" and suffix not in (".json", ".npz", ".pt", ".pth"):
            raise argparse.ArgumentTypeError(
                f"{text}: unknown network file type {suffix!r} (use .json, .npz or .pt)"
            )
        if kind == "figure":
            try:
                figure_format(text)
            except PwlKktError as exc:
                raise argparse.ArgumentTypeError(str(exc)) from None
        return text

    return parse


def _require_finite(obj: object, what: str, where: str = "") -> None:
    """Refuse a float64 result holding NaN or inf: it would be reported as if it were a value."""
    if isinstance(obj, float) and not math.isfinite(obj):
        raise InvalidValueError(
            f"{what} overflowed float64 ({where or 'result'} = {obj}); "
            "the inputs are too large for a float computation"
        )
    if isinstance(obj, dict):
        for key, value in obj.items():
            _require_finite(value, what, f"{where}.{key}" if where else str(key))
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            _require_finite(value, what, f"{where}[{i}]")


_FLOAT_RANGE = 1e100  # float paths multiply a few such sizes; (1e100)**3 is still finite


def _require_float_range(what: str, net: object = None, data: object = None) -> None:
    """Refuse inputs too large for a float64 computation, before it overflows into NaN.

    The sizes checked bound ``|N(x_i)|`` and ``||theta||^2``; exact paths need no such bound.
    """
    import numpy as np

    sizes: dict[str, float] = {}
    reach = 0.0
    if data is not None:
        reach = sizes["max |x_i|"] = float(np.max(np.abs(data.x_float)))
    if net is not None:
        w, b, v = (np.abs(a) for a in net.arrays())
        with np.errstate(over="ignore", invalid="ignore"):
            # |w_j . x| <= ||w_j||_1 max_c |x_c|: rows of a d-dimensional network summed
            w1 = w.sum(axis=1) if w.ndim == 2 else w
            sizes["sum_j |v_j| (|w_j| |x| + |b_j|)"] = float(v @ (w1 * max(reach, 1.0) + b))
            sizes["||theta||^2"] = float(np.sum(w * w) + b @ b + v @ v)
    for name, value in sizes.items():
        if not value <= _FLOAT_RANGE:
            raise InvalidValueError(
                f"{what} computes in float64 and its inputs are too large: {name} = {value:.3g}"
                f" exceeds {_FLOAT_RANGE:.0e}; rescale the data or the network"
            )


def _univariate(command: str, obj: object, *, function_only: bool = False) -> object:
    """``obj`` as the univariate ``Network`` / ``Dataset`` of a command with no d > 1 version.

    A d = 1 ``NetworkNd`` or ``DatasetNd`` converts exactly. A network without hidden
    biases converts (with zero biases) only where the command is about the function
    (``function_only``): its max-margin problem keeps b = 0, which is another problem.
    """
    from .errors import InvalidDataError, InvalidNetworkError
    from .model import DatasetNd, NetworkNd

    if isinstance(obj, NetworkNd):
        if obj.d == 1 and (obj.has_bias or function_only):
            return obj.to_univariate()
        what = f"d = {obj.d} networks" if obj.d != 1 else "networks without hidden biases"
        needs = "d = 1" if function_only else "d = 1, with hidden biases"
        raise InvalidNetworkError(
            f"{command} for {what}: not available yet; it reads univariate networks ({needs})"
        )
    if isinstance(obj, DatasetNd):
        if obj.d == 1:
            return obj.to_univariate()
        raise InvalidDataError(
            f"{command} for d = {obj.d} data: not available yet; it reads univariate data (d = 1)"
        )
    return obj


def _load_net_data(
    args: argparse.Namespace, *, dims: tuple[int, ...] = (1,), bias: bool = True
) -> tuple[object, object]:
    """NET and DATA, refused (one line naming both d) when their dimensions differ.

    A command reads d = 1 pairs as the univariate classes and the d in ``dims`` (``()``: every
    d) as ``NetworkNd`` / ``DatasetNd``; ``bias=False`` also passes networks without hidden
    biases on as ``NetworkNd`` (at any d the command accepts).
    """
    from .model import DatasetNd, NetworkNd, check_dimensions
    from .model.io import load_data, load_network

    net, data = load_network(args.net), load_data(args.data)
    d = check_dimensions(net, data)
    no_bias = isinstance(net, NetworkNd) and not net.has_bias
    if d == 1 and not (no_bias and not bias):
        return _univariate(args.command, net), _univariate(args.command, data)
    _require_dimension(args.command, d, dims, args.net)
    if no_bias and bias:
        from .errors import InvalidNetworkError

        raise InvalidNetworkError(
            f"{args.command} for networks without hidden biases: not available; {args.net} "
            "has \"b\": null (the max-margin problem with b = 0 is another problem)"
        )
    if not isinstance(data, DatasetNd):  # a d = 1 network without biases on univariate data
        data = DatasetNd.from_univariate(data)
    return net, data


# Why a command stops at the plane: what a d >= 3 version would need.
_PLANE_ONLY = "max |G| is decided exactly on the sphere S^2 only, i.e. for inputs in the plane"


def _require_dimension(command: str, d: int, dims: tuple[int, ...], name: str) -> None:
    """Refuse, in one line naming what is needed, a d that ``command`` has no method for."""
    if d == 1 or not dims or d in dims:
        return
    from .errors import InvalidDataError

    needs = " or ".join(f"d = {t}" for t in sorted({1, *dims}))
    raise InvalidDataError(
        f"{command} for d = {d} inputs: not available; it needs {needs} ({name} has d = {d}; "
        f"{_PLANE_ONLY})"
    )


def _add_net_data(p: argparse.ArgumentParser) -> None:
    """The NET and DATA positional arguments shared by the certificate commands."""
    p.add_argument("net", help="network file (.json, .npz, .pt)")
    p.add_argument("data", help="dataset file (.json, .csv)")


def _add_certificate(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--certificate",
        metavar="CERT.json",
        help="also write a self-contained certificate file ('pwl-kkt verify' re-checks it)",
    )


def _write_certificate(args: argparse.Namespace, result: object, net: object, data: object) -> None:
    """Write ``--certificate`` (if given) embedding the instance and the command line."""
    if args.certificate:
        from .certificate import certificate_for, write_certificate

        cert = certificate_for(result, net, data, command=args.command_line)
        write_certificate(cert, args.certificate)


def _print_json(obj: object) -> None:
    json.dump(obj, sys.stdout, indent=2)
    sys.stdout.write("\n")


# --- regions -----------------------------------------------------------------------------


def _add_regions(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "regions",
        help="exact breakpoints and effective linear regions of a network (d = 1 or 2)",
    )
    p.add_argument("net", help="network file (.json, .npz, .pt)")
    p.add_argument("--interval", nargs=2, metavar=("LO", "HI"), help="count regions on [LO, HI]")
    p.add_argument(
        "--box",
        nargs=4,
        metavar=("XLO", "XHI", "YLO", "YHI"),
        help="d = 2: count the regions meeting the open box (XLO, XHI) x (YLO, YHI)",
    )
    p.add_argument(
        "--tol",
        type=_real(positive=True),
        help="tolerance mode: relative jump threshold and clustering distance",
    )
    p.add_argument("--json", action="store_true", help="print a JSON object instead of a table")
    p.add_argument(
        "--digits",
        type=int,
        metavar="N",
        help="show the table as decimals with N significant digits (default: exact rationals)",
    )
    p.set_defaults(func=_cmd_regions)


def _cmd_regions(args: argparse.Namespace) -> int:
    from .geometry.regions import linear_regions
    from .model import NetworkNd
    from .model.io import load_network

    net = load_network(args.net)
    if isinstance(net, NetworkNd) and net.d == 2:
        return _plane_regions(args, net)
    if isinstance(net, NetworkNd) and net.d > 2:
        raise InvalidValueError(
            f"effective regions need a network with d = 1 or d = 2; {args.net} has d = {net.d}"
        )
    if args.box is not None:
        raise InvalidValueError("--box is for d = 2 networks; use --interval LO HI for d = 1")
    net = _univariate("regions", net, function_only=True)
    interval = None
    if args.interval is not None:
        interval = (to_fraction(args.interval[0], "LO"), to_fraction(args.interval[1], "HI"))
    if args.tol is not None:
        _require_float_range("regions --tol", net)
    result = linear_regions(net, interval=interval, tol=args.tol)
    if args.tol is not None:
        _require_finite(result.to_dict(), "regions --tol (a float64 computation)")
    if args.json:
        _print_json(result.to_dict())
    else:
        print(result.table(digits=args.digits))
    return 0


def _plane_regions(args: argparse.Namespace, net: object) -> int:
    """``regions`` for a 2-D network: the exact count (on R^2 or in the box) and the lines."""
    from ._rational import fraction_text
    from .geometry.plane import effective_lines
    from .geometry.regions import count_regions

    for option, flag in ((args.interval, "--interval LO HI"), (args.tol, "--tol")):
        if option is not None:
            raise InvalidValueError(
                f"{flag} is for d = 1 networks; a d = 2 network takes --box XLO XHI YLO YHI "
                "(and has no tolerance mode)"
            )
    if args.digits is not None and not 1 <= args.digits <= 50:
        raise InvalidValueError(f"--digits: {args.digits} must be an integer from 1 to 50")
    box = None
    if args.box is not None:
        names = ("XLO", "XHI", "YLO", "YHI")
        box = tuple(to_fraction(t, name) for t, name in zip(args.box, names))
    count = count_regions(net, box=box)
    lines = effective_lines(net)
    if args.json:
        _print_json(
            {
                "count": count,
                "exact": True,
                "d": 2,
                "box": None if box is None else [fraction_text(t) for t in box],
                "lines": [line.to_dict() for line in lines],
            }
        )
        return 0
    where = "on R^2" if box is None else "in the box ({}, {}) x ({}, {})".format(
        *(fraction_text(t) for t in box)
    )
    print(f"{count} effective linear region(s) {where} (exact); {len(lines)} line(s) of N")
    if lines:
        jump = (fraction_text if args.digits is None
                else lambda q: f"{float(q):.{args.digits}g}")
        rows = [("line", "a", "b", "c", "jump", "neurons")]
        rows += [
            (str(i), str(t.a), str(t.b), str(t.c), jump(t.jump), " ".join(map(str, t.neurons)))
            for i, t in enumerate(lines)
        ]
        widths = [max(len(r[c]) for r in rows) for c in range(5)]
        for r in rows:
            print("  ".join([*(cell.rjust(w) for cell, w in zip(r[:5], widths)), r[5]]))
    return 0


# --- demo ----------------------------------------------------------------------------------


def _add_demo(sub: argparse._SubParsersAction) -> None:
    from . import _defaults as D

    p = sub.add_parser("demo", help="run the whole story on built-in defaults")
    p.add_argument(
        "--r", type=_integer(1), default=D.DEMO_R, help="teacher sign changes (%(default)s)"
    )
    p.add_argument(
        "--n", type=_integer(1), default=D.DEMO_N, help="sample size (default %(default)s)"
    )
    p.add_argument(
        "--k", type=_integer(1), default=D.DEMO_K, help="student width (default %(default)s)"
    )
    p.add_argument(
        "--seed", type=_integer(0), default=D.SEED, help="random seed (default %(default)s)"
    )
    p.add_argument(
        "--steps", type=_integer(1), default=D.DEMO_STEPS, help="gradient-flow steps (%(default)s)"
    )
    p.add_argument(
        "--out",
        type=_out_file("figure"),
        default="pwl_kkt_demo.png",
        help="figure file, .png, .pdf or .svg (default %(default)s)",
    )
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=_cmd_demo)


def _cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    print("pwl-kkt demo: teacher -> sample -> init -> gradient flow -> proven limit")
    run_demo(
        args.r,
        args.n,
        args.k,
        seed=args.seed,
        steps=args.steps,
        figure=args.out,
        progress=not args.no_progress,
    )
    return 0


def _add_certify(sub: argparse._SubParsersAction) -> None:
    from .kkt.numeric import DEFAULT_KKT_TOL as KKT_TOL
    from .kkt.numeric import DEFAULT_SUPPORT_TOL as SUPPORT_TOL
    from .kkt.numeric import DEFAULT_ZERO_TOL as ZERO_TOL

    p = sub.add_parser("certify", help="KKT certificate of a network for the max-margin problem")
    _add_net_data(p)
    p.add_argument("--exact", action="store_true", help="exact decision with a checkable proof")
    p.add_argument("--json", action="store_true", help="print a JSON object")
    p.add_argument(
        "--tol",
        type=_real(positive=True),
        default=KKT_TOL,
        help=f"KKT tolerance (default {KKT_TOL})",
    )
    p.add_argument(
        "--support-tol",
        type=_real(positive=False),
        default=SUPPORT_TOL,
        help=f"relative margin excess of support points (default {SUPPORT_TOL})",
    )
    _add_certificate(p)
    p.add_argument(
        "--zero-tol",
        type=_real(positive=False),
        default=ZERO_TOL,
        help="kink on a data point: within T * (max x - min x) of it (default %(default)s)",
    )
    p.set_defaults(func=_cmd_certify)


def _about(m: Fraction) -> str:
    """The line saying what a verdict is about: theta itself, or its direction."""
    import sympy

    from .model._scale import sqrt_float

    if m == 1:
        return "about: theta itself (min margin exactly 1)"
    root = sympy.sqrt(sympy.Rational(m.numerator, m.denominator))
    if root.is_Rational:
        scale = short_text(Fraction(int(root.p), int(root.q)))
    else:
        scale = f"~{sqrt_float(m)!r}, irrational"
    side = "m < 1, so theta itself is infeasible for Problem (4)" if m < 1 else "m > 1"
    return (
        f"about: the direction of theta, theta / sqrt(m) with m = {short_text(m)} "
        f"(sqrt(m) = {scale}); theta itself has min margin {side}"
    )


def _cmd_certify(args: argparse.Namespace) -> int:
    net, data = _load_net_data(args, dims=(), bias=False)  # every d, with or without biases
    if args.exact:
        from .kkt.exact import verify_kkt_exact

        res = verify_kkt_exact(net, data)
        _write_certificate(args, res, res.network, res.data)
        d = res.to_dict()
        del d["network"], d["data"]
        d["d"] = res.d
        if args.json:
            _print_json(d)
            return 0
        print(f"KKT: {'yes' if res.is_kkt else 'no'} (exact; proof: {res.proof}, {res.method})")
        print(_about(res.min_margin))
        print(f"min margin: {short_text(res.min_margin)}; support: {d['support']}")
        if res.lambdas is not None:
            print("lambdas: " + ", ".join(d["lambdas"]))
        print(res.reason)
        return 0
    from .kkt.numeric import certify_kkt

    _require_float_range("certify (without --exact)", net, data)
    cert = certify_kkt(
        net, data, support_tol=args.support_tol, zero_tol=args.zero_tol, kkt_tol=args.tol
    )
    _write_certificate(args, cert, net, data)
    d = cert.to_dict()
    if not cert.is_kkt:
        d["lambdas"] = None
    if args.json:
        _print_json(d)
        return 0
    verdict = "yes" if cert.is_kkt else "no (a missed tolerance, not a proof)"
    print(f"KKT: {verdict} at tolerance {cert.kkt_tol:g}")
    print(_about(cert.min_margin))
    print(f"eps = {cert.eps:.3e}, delta = {cert.delta:.3e}, support: {list(cert.support)}")
    if cert.is_kkt:
        print("lambdas: " + ", ".join(f"{cert.lambdas[i]:.6g}" for i in cert.support))
    worst = ", ".join(f"{j} ({r:.2e})" for j, r in cert.worst_neurons)
    print(f"worst neurons: {worst}")
    return 0


# --- sweep and report ------------------------------------------------------------------------


def _add_sweep(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sweep", help="run an experiment grid on Dask (resumable)")
    p.add_argument("config", help="TOML file with [grid] and [fixed] tables")
    p.add_argument("--results", help="Parquet dataset directory (default: CONFIG.parquet)")
    p.add_argument("--scheduler", help="address of a running Dask scheduler (default: local)")
    p.add_argument("--workers", type=int, default=2, help="local worker processes (default 2)")
    p.add_argument(
        "--allow-mixed",
        action="store_true",
        help="add to a results folder holding trials of other [fixed] settings",
    )
    p.set_defaults(func=_cmd_sweep)


def _cmd_sweep(args: argparse.Namespace) -> int:
    import warnings
    from pathlib import Path

    from .errors import InvalidValueError
    from .experiments.sweep import SweepConfig, run_sweep

    if args.workers < 1:
        raise InvalidValueError(f"--workers: {args.workers} must be at least 1")
    config = SweepConfig.from_toml(args.config)
    results = Path(args.results) if args.results else Path(args.config).with_suffix(".parquet")
    with warnings.catch_warnings():  # restores showwarning afterwards
        # A corrupt trial file that will be rerun: one plain line, not a source location.
        warnings.showwarning = lambda message, *_, **__: print(
            f"pwl-kkt sweep: warning: {message}", file=sys.stderr
        )
        df = run_sweep(
            config,
            results,
            scheduler=args.scheduler,
            n_workers=args.workers,
            allow_mixed=args.allow_mixed,
        )
    failed = int((df["status"] == "failed").sum()) if len(df) else 0
    print(f"{len(df)} trial(s) in {results} ({failed} failed)")
    return 0


def _add_report(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="figures of a sweep's results")
    p.add_argument("results", help="Parquet dataset directory written by 'pwl-kkt sweep'")
    p.add_argument(
        "--out",
        type=_out_file("folder"),
        default="figures",
        help="folder for the PNG files (default figures)",
    )
    p.set_defaults(func=_cmd_report)


def _cmd_report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .errors import FileFormatError
    from .experiments.report import sweep_figures
    from .experiments.sweep import load_results

    if not Path(args.results).is_dir():
        raise FileFormatError(f"{args.results}: not a results directory written by 'pwl-kkt sweep'")
    for path in sweep_figures(load_results(args.results), args.out):
        print(path)
    return 0


# --- global optimality and the infinite-width optimum (issue 5) -----------------------------


def _add_global(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "global", help="global optimality for every width: duality certificate or refutation"
    )
    _add_net_data(p)
    p.add_argument("--json", action="store_true", help="print a JSON object")
    _add_certificate(p)
    p.set_defaults(func=_cmd_global)


def _cmd_global(args: argparse.Namespace) -> int:
    from .duality.globalopt import certify_global

    net, data = _load_net_data(args, dims=(2,))
    cert = certify_global(net, data)
    _write_certificate(args, cert, net, data)
    d = cert.to_dict()
    d["d"] = data.d if hasattr(data, "d") else 1
    if args.json:
        _print_json(d)
        return 0
    if d["d"] == 2:
        return _print_global_2d(cert)
    verdict = {
        True: "GLOBAL OPTIMUM (every width)",
        False: "NOT a global optimum",
        None: "INCONCLUSIVE",
    }[cert.is_global]
    print(f"{verdict}; proof: {cert.proof} ({'exact' if cert.exact else 'float'})")
    print(_about(cert.min_margin))
    if d["max_abs"] is not None:
        print(f"max |G_lambda| = {d['max_abs']} ({cert.max_abs_float:.10g})")
    elif d["max_abs_float"] is not None:
        print(f"max |G_lambda| = {cert.max_abs_float:.10g}")
    if d["direction"] is not None:
        print(f"violating direction u = (w, b) ~ ({', '.join(map(str, d['direction']))})")
    print(f"1/2 ||theta||^2 (margin 1) = {d['value']}")
    if cert.improving is not None:
        print(
            f"improving network (width {cert.improving.width}): 1/2 ||theta'||^2 = "
            f"{float(cert.improving_value):.10g}"
        )
    p_exact = f" = {cert.P_star_exact}" if cert.P_star_exact else ""
    print(f"P* = {cert.P_star:.10g}{p_exact}; gap = {cert.gap:.3g}")
    print(cert.reason)
    return 0


def _print_global_2d(cert: object) -> int:
    """The text report of a plane certificate (:func:`pwl_kkt.certify_global` with d = 2)."""
    verdict = {
        True: "GLOBAL OPTIMUM (every width)",
        False: "NOT a global optimum",
        None: "INCONCLUSIVE",
    }[cert.is_global]
    print(f"{verdict}; proof: {cert.proof} ({'exact' if cert.exact else 'float'}; d = 2)")
    print(_about(cert.min_margin))
    if cert.dual is not None:
        print(f"max |G_lambda| on S^2 = {cert.dual.max_abs} ({cert.dual.max_abs_float:.10g})")
    print(f"1/2 ||theta||^2 (margin 1) = {short_text(cert.value)}")
    if cert.improving is not None:
        print(
            f"improving network (width {cert.improving.width}): 1/2 ||theta'||^2 = "
            f"{float(cert.improving_value):.10g}"
        )
    if cert.P_star_interval is not None:
        print("P* in [{:.10g}, {:.10g}] (proven)".format(*cert.P_star_interval))
    print(cert.reason)
    return 0


def _add_optimum(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("optimum", help="infinite-width max-margin optimum P* (exact patterns)")
    p.add_argument("data", help="dataset file (.json, .csv)")
    p.add_argument("--json", action="store_true", help="print a JSON object")
    p.add_argument(
        "--out",
        type=_out_file("network"),
        help="write the optimal network to this file (.json, .npz, .pt)",
    )
    _add_certificate(p)
    p.set_defaults(func=_cmd_optimum)


def _cmd_optimum(args: argparse.Namespace) -> int:
    from .duality.optimum import global_max_margin
    from .model.io import load_data, save_network

    data = load_data(args.data)
    d = getattr(data, "d", 1)
    _require_dimension("optimum", d, (2,), args.data)
    if d == 1:
        data = _univariate("optimum", data)
    _require_float_range("optimum", data=data)
    opt = global_max_margin(data)
    _write_certificate(args, opt, None, data)
    if args.out:
        save_network(opt.network, args.out)
    if args.json:
        out = opt.to_dict()
        out["direction"] = None
        out["d"] = d
        _print_json(out)
        return 0
    p_exact = f" = {opt.P_star_exact}" if opt.P_star_exact else ""
    print(f"P* = {opt.P_star:.10g}{p_exact}  (max normalized margin 1/(2P*) = {opt.margin:.10g})")
    if getattr(opt, "P_star_exact_reason", None):
        print(f"P* exact: {opt.P_star_exact_reason}")
    if d == 2:
        print(f"proven: {opt.lower:.10g} <= P* <= {opt.upper:.10g} (d = 2)")
    print(f"optimal network: width {opt.network.width}, {opt.regions} effective linear regions")
    print(
        f"duality gap = {opt.gap:.3g} (upper {opt.upper:.10g}, lower {opt.lower:.10g}); "
        f"{opt.n_patterns} exact patterns, {opt.seconds:.3g} s"
    )
    return 0


# --- F1 vs F2 margins (Chizat & Bach 2020) ------------------------------------------------------


def _add_margins(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "margins", help="a network's normalised margin next to the F1 and F2 max margins"
    )
    _add_net_data(p)
    p.add_argument("--features", type=_integer(1), help="also a random-feature model of this width")
    p.add_argument("--seed", type=_integer(0), default=0, help="seed of the random features")
    p.add_argument("--json", action="store_true", help="print a JSON object")
    p.set_defaults(func=_cmd_margins)


def _cmd_margins(args: argparse.Namespace) -> int:
    from .duality.f2 import margin_report

    net, data = _load_net_data(args, dims=(2,), bias=False)
    # the network is rescaled inside (homogeneity): only the data must be in float range
    _require_float_range("margins", data=data)
    rep = margin_report(net, data, n_features=args.features, seed=args.seed)
    _require_finite(rep.to_dict(), "margins (a float64 computation)")
    if args.json:
        _print_json({**rep.to_dict(), "d": getattr(data, "d", 1)})
    else:
        print(rep.table())
    return 0


# --- verify ---------------------------------------------------------------------------------


def _add_verify(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "verify", help="re-check a certificate file from scratch (exit 0 iff it holds)"
    )
    p.add_argument("certificate", metavar="CERT.json", help="file written with --certificate")
    p.set_defaults(func=_cmd_verify)


def _cmd_verify(args: argparse.Namespace) -> int:
    from .certificate import read_certificate, verify_certificate

    cert = read_certificate(args.certificate)
    verdict = verify_certificate(cert)
    if not verdict.holds:
        print(f"pwl-kkt verify: REJECTED ({cert.kind}): {verdict.reason}", file=sys.stderr)
        return 2
    print(f"verified ({cert.kind}): {verdict.reason}")
    return 0


# --- train ------------------------------------------------------------------------------------


def _add_train(sub: argparse._SubParsersAction) -> None:
    from . import _defaults as D

    p = sub.add_parser(
        "train", help="train a network from an Assumption 2.1 initialization (gradient flow / GD)"
    )
    p.add_argument("data", help="dataset file (.json or .csv)")
    p.add_argument(
        "--width", type=_integer(1), required=True, metavar="K", help="number of neurons"
    )
    p.add_argument("--loss", choices=["exp", "logistic"], default="exp")
    p.add_argument("--method", choices=["flow", "gd"], default="flow")
    positive = _real(positive=True)
    p.add_argument(
        "--steps", type=_integer(0), default=D.TRAIN_STEPS, help="step budget (default %(default)s)"
    )
    p.add_argument(
        "--lr",
        type=positive,
        default=D.TRAIN_LR,
        help="relative step (flow), rate (gd): %(default)s",
    )
    p.add_argument("--rtol", type=positive, default=1e-2, help="flow: local error tolerance")
    p.add_argument(
        "--seed", type=_integer(0), default=D.SEED, help="initialization seed (%(default)s)"
    )
    p.add_argument(
        "--sigma-h", type=float, default=D.SIGMA_H, help="hidden-layer init std (%(default)s)"
    )
    p.add_argument(
        "--sigma-o",
        type=_real(positive=False),
        default=D.SIGMA_O,
        help="output-layer init std (%(default)s)",
    )
    p.add_argument(
        "--out",
        type=_out_file("network"),
        help="write the trained network here (.json, .npz, .pt)",
    )
    p.add_argument(
        "--no-bias",
        action="store_true",
        help="a network without hidden biases, N(x) = v^T relu(W x) (written with \"b\": null)",
    )
    p.add_argument("--progress", action="store_true", help="show a progress bar on stderr")
    p.set_defaults(func=_cmd_train)


def _cmd_train(args: argparse.Namespace) -> int:
    from .model import DatasetNd
    from .model.io import load_data, save_network
    from .setting.teacher import init_network
    from .training.train import train

    data = load_data(args.data)
    if isinstance(data, DatasetNd) and data.d == 1 and not args.no_bias:
        data = data.to_univariate()  # the univariate network, as for a file with column x
    if args.no_bias and not isinstance(data, DatasetNd):
        data = DatasetNd.from_univariate(data)
    data = data.require_separable()
    if isinstance(data, DatasetNd):  # a NetworkNd on R^d (d = 1 too without biases)
        net0 = init_network(
            args.width, args.sigma_h, args.sigma_o, seed=args.seed, d=data.d,
            bias=not args.no_bias,
        )
    else:
        net0 = init_network(args.width, args.sigma_h, args.sigma_o, seed=args.seed)
    _require_float_range("train", net0, data)
    net, hist = train(
        net0,
        data,
        loss=args.loss,
        method=args.method,
        steps=args.steps,
        lr=args.lr,
        rtol=args.rtol,
        progress=args.progress,
    )
    last = len(hist) - 1
    _require_finite(
        {
            "log L": hist.log_loss[last],
            "||theta||": hist.norm[last],
            "margin": hist.margin[last],
            "theta": net.theta().tolist(),
        },
        "train (a float64 computation)",
    )
    print(
        f"{hist.step[last]} steps ({hist.stop_reason}): log L = {hist.log_loss[last]:.6g}, "
        f"||theta|| = {hist.norm[last]:.6g}, normalized margin = {hist.margin[last]:.6g}"
    )
    print(f"stopped: {hist.stop_detail}")
    if not hist.separated:
        print("warning: the trained network does not separate the data")
    if args.out:
        save_network(net, args.out)
        print(f"wrote {args.out}")
    return 0


# --- limit ---------------------------------------------------------------------------------


def _add_limit(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "limit", help="the KKT point a separating network is heading to, computed and proven"
    )
    _add_net_data(p)
    p.add_argument("--json", action="store_true", help="print a JSON object")
    p.add_argument("--out", help="write the KKT network here (.json, .npz, .pt)")
    _add_certificate(p)
    p.set_defaults(func=_cmd_limit)


def _cmd_limit(args: argparse.Namespace) -> int:
    from .kkt.limit import kkt_limit
    from .model.io import save_network

    lim = kkt_limit(*_load_net_data(args), prove=True)
    proof = lim.proof
    summary = {
        "proven": bool(proof.proven),
        "regions": proof.regions,
        "regions_range": None if proof.regions_range is None else list(proof.regions_range),
        "eps": lim.eps,
        "delta": lim.delta,
        "radius": proof.radius if proof.proven else None,
        "angle": lim.angle,
        "sq_norm": lim.sq_norm_after,
        "sq_norm_before": lim.sq_norm_before,
        "support": list(lim.support),
        "converged": lim.converged,
        "reason": lim.reason,
        "proof": proof.reason,
        "seconds": lim.seconds,
    }
    if args.out:
        save_network(lim.network, args.out)
    _write_certificate(args, proof, proof.input_network, proof.data)
    if args.json:
        _print_json(summary)
        return 0
    print(f"limit: {'converged' if lim.converged else 'NOT converged'} ({lim.reason})")
    print(
        f"eps = {lim.eps:.3e}, delta = {lim.delta:.3e}, angle to the input = {lim.angle:.3e} rad, "
        f"||theta||^2 = {lim.sq_norm_after:.10g} (input {lim.sq_norm_before:.10g})"
    )
    if proof.proven:
        count = (
            str(proof.regions)
            if proof.regions is not None
            else f"between {proof.regions_range[0]} and {proof.regions_range[1]}"
        )
        print(
            f"proven: an exact KKT point lies within {proof.radius:.3g}; effective regions: {count}"
        )
    else:
        print(f"not proven: {proof.reason}")
    print(f"{lim.seconds:.3g} s")
    if args.out:
        print(f"wrote {args.out}")
    return 0


# --- orthogonal (Phuong & Lampert 2021) -----------------------------------------------------


def _add_orthogonal(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "orthogonal",
        help="exact orthogonal-separability test and the max-margin directions w_+, w_-",
    )
    p.add_argument("data", help="dataset file (.json, .csv)")
    p.add_argument("--json", action="store_true", help="print a JSON object")
    p.set_defaults(func=_cmd_orthogonal)


def _cmd_orthogonal(args: argparse.Namespace) -> int:
    from .model.io import load_data
    from .setting.orthogonal import orthogonal_setting

    setting = orthogonal_setting(load_data(args.data))
    if args.json:
        _print_json(setting.to_dict())
    else:
        print(setting)
    return 0


_COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    _add_regions,
    _add_limit,
    _add_demo,
    _add_sweep,
    _add_report,
    _add_certify,
    _add_global,
    _add_optimum,
    _add_margins,
    _add_train,
    _add_verify,
    _add_orthogonal,
]


def _build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = _Parser(
        prog="pwl-kkt",
        description="Exact analysis of shallow ReLU networks (on the line, the plane, R^d): "
        "regions, KKT and global-optimality certificates, training, sweeps.",
        epilog="Run 'pwl-kkt COMMAND --help' for a command's options. Bad input ends with one "
        "line on stderr and exit status 2.",
    )
    parser.add_argument("--version", action="version", version=f"pwl-kkt {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for add in _COMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``pwl-kkt`` console script; returns the exit status.

    Examples
    --------
    >>> main(["--version"])  # doctest: +SKIP
    pwl-kkt 0.1.0
    """
    import numpy as np

    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = _build_parser().parse_args(argv)
    except SystemExit as exc:  # a usage error (status 2), or --help / --version (status 0)
        return exc.code if isinstance(exc.code, int) else 2
    args.command_line = shlex.join(["pwl-kkt", *argv])
    # Float overflow is caught by the range checks and reported as one error line,
    # so numpy's RuntimeWarnings would only add lines to stderr.
    with _terminate_on_sigterm(), np.errstate(all="ignore"):
        try:
            code = int(args.func(args))
            sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
            return code
        except BrokenPipeError:
            _stdout_to_devnull()
            return 128 + 13  # what a process killed by SIGPIPE reports, like head's writers
        except (PwlKktError, OSError) as exc:
            message = " ".join(str(exc).split())  # one line, whatever the message holds
            print(f"pwl-kkt {args.command}: error: {message}", file=sys.stderr)
            return 2


def _stdout_to_devnull() -> None:
    """Point stdout at /dev/null so that the final flush at exit cannot fail again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout is not a real file (tests)
        pass


@contextmanager
def _terminate_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM into SystemExit(143), so that ``finally`` blocks remove temp files."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
