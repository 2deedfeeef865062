"""The ``pwl-kkt`` command line.

Every subcommand reads its inputs through :mod:`pwl_kkt.io`, so bad input ends
as one line on stderr and exit status 2, and no partial output file is left.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Callable, Sequence

from ._rational import to_fraction
from .errors import PwlKktError

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (the usage block is what ``--help`` is for)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(2)


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
        "regions", help="exact breakpoints and effective linear regions of a network"
    )
    p.add_argument("net", help="network file (.json, .npz, .pt)")
    p.add_argument("--interval", nargs=2, metavar=("LO", "HI"), help="count regions on [LO, HI]")
    p.add_argument(
        "--tol", type=float, help="tolerance mode: relative jump threshold and clustering distance"
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
    from .io import load_network
    from .regions import linear_regions

    net = load_network(args.net)
    interval = None
    if args.interval is not None:
        interval = (to_fraction(args.interval[0], "LO"), to_fraction(args.interval[1], "HI"))
    result = linear_regions(net, interval=interval, tol=args.tol)
    if args.json:
        _print_json(result.to_dict())
    else:
        print(result.table(digits=args.digits))
    return 0


# --- demo ----------------------------------------------------------------------------------


def _add_demo(sub: argparse._SubParsersAction) -> None:
    from . import _defaults as D

    p = sub.add_parser("demo", help="run the whole story on built-in defaults")
    p.add_argument("--r", type=int, default=D.DEMO_R, help="teacher sign changes (%(default)s)")
    p.add_argument("--n", type=int, default=D.DEMO_N, help="sample size (default %(default)s)")
    p.add_argument("--k", type=int, default=D.DEMO_K, help="student width (default %(default)s)")
    p.add_argument("--seed", type=int, default=D.SEED, help="random seed (default %(default)s)")
    p.add_argument(
        "--steps", type=int, default=D.DEMO_STEPS, help="gradient-flow steps (%(default)s)"
    )
    p.add_argument("--out", default="pwl_kkt_demo.png", help="figure file (default %(default)s)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=_cmd_demo)


def _cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    print("pwl-kkt demo: teacher -> sample -> init -> gradient flow -> certificates")
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
    from .kkt import DEFAULT_KKT_TOL as KKT_TOL
    from .kkt import DEFAULT_SUPPORT_TOL as SUPPORT_TOL
    from .kkt import DEFAULT_ZERO_TOL as ZERO_TOL

    p = sub.add_parser("certify", help="KKT certificate of a network for the max-margin problem")
    _add_net_data(p)
    p.add_argument("--exact", action="store_true", help="exact decision with a checkable proof")
    p.add_argument("--json", action="store_true", help="print a JSON object")
    p.add_argument("--tol", type=float, default=KKT_TOL, help=f"KKT tolerance (default {KKT_TOL})")
    p.add_argument(
        "--support-tol",
        type=float,
        default=SUPPORT_TOL,
        help=f"relative margin excess of support points (default {SUPPORT_TOL})",
    )
    _add_certificate(p)
    p.add_argument(
        "--zero-tol",
        type=float,
        default=ZERO_TOL,
        help="zero pre-activation: |w x + b| <= T (|w x| + |b|) (default %(default)s)",
    )
    p.set_defaults(func=_cmd_certify)


def _cmd_certify(args: argparse.Namespace) -> int:
    from .io import load_data, load_network

    net = load_network(args.net)
    data = load_data(args.data)
    if args.exact:
        from .exact import verify_kkt_exact

        res = verify_kkt_exact(net, data)
        _write_certificate(args, res, res.network, res.data)
        d = res.to_dict()
        del d["network"], d["data"]
        if args.json:
            _print_json(d)
            return 0
        print(f"KKT: {'yes' if res.is_kkt else 'no'} (exact; proof: {res.proof}, {res.method})")
        print(f"min margin: {d['min_margin']}; support: {d['support']}")
        if res.lambdas is not None:
            print("lambdas: " + ", ".join(d["lambdas"]))
        print(res.reason)
        return 0
    from .kkt import certify_kkt

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
    print(f"KKT: {'yes' if cert.is_kkt else 'no'} at tolerance {cert.kkt_tol:g}")
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
    p.set_defaults(func=_cmd_sweep)


def _cmd_sweep(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .experiments import SweepConfig, run_sweep

    config = SweepConfig.from_toml(args.config)
    results = Path(args.results) if args.results else Path(args.config).with_suffix(".parquet")
    df = run_sweep(config, results, scheduler=args.scheduler, n_workers=args.workers)
    failed = int((df["status"] == "failed").sum()) if len(df) else 0
    print(f"{len(df)} trial(s) in {results} ({failed} failed)")
    return 0


def _add_report(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="figures of a sweep's results")
    p.add_argument("results", help="Parquet dataset directory written by 'pwl-kkt sweep'")
    p.add_argument("--out", default="figures", help="folder for the PNG files (default figures)")
    p.set_defaults(func=_cmd_report)


def _cmd_report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .errors import FileFormatError
    from .experiments import load_results
    from .report import sweep_figures

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
    from .globalopt import certify_global
    from .io import load_data, load_network

    net, data = load_network(args.net), load_data(args.data)
    cert = certify_global(net, data)
    _write_certificate(args, cert, net, data)
    d = cert.to_dict()
    if args.json:
        _print_json(d)
        return 0
    verdict = "GLOBAL OPTIMUM (every width)" if cert.is_global else "NOT a global optimum"
    print(f"{verdict}; proof: {cert.proof} ({'exact' if cert.exact else 'float'})")
    if d["max_abs"] is not None:
        print(f"max |G_lambda| = {d['max_abs']} ({cert.max_abs_float:.10g})")
    elif d["max_abs_float"] is not None:
        print(f"max |G_lambda| = {cert.max_abs_float:.10g}")
    else:
        print("no KKT multipliers: theta is not a KKT point")
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
    return 0


def _add_optimum(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("optimum", help="infinite-width max-margin optimum P* (exact patterns)")
    p.add_argument("data", help="dataset file (.json, .csv)")
    p.add_argument("--json", action="store_true", help="print a JSON object")
    p.add_argument("--out", help="write the optimal network to this file (.json, .npz, .pt)")
    _add_certificate(p)
    p.set_defaults(func=_cmd_optimum)


def _cmd_optimum(args: argparse.Namespace) -> int:
    from .io import load_data, save_network
    from .optimum import global_max_margin

    data = load_data(args.data)
    opt = global_max_margin(data)
    _write_certificate(args, opt, None, data)
    if args.out:
        save_network(opt.network, args.out)
    if args.json:
        d = opt.to_dict()
        d["direction"] = None
        _print_json(d)
        return 0
    p_exact = f" = {opt.P_star_exact}" if opt.P_star_exact else ""
    print(f"P* = {opt.P_star:.10g}{p_exact}  (max normalized margin 1/(2P*) = {opt.margin:.10g})")
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
    p.add_argument("--features", type=int, help="also a random-feature model of this width")
    p.add_argument("--seed", type=int, default=0, help="seed of the random features")
    p.add_argument("--json", action="store_true", help="print a JSON object")
    p.set_defaults(func=_cmd_margins)


def _cmd_margins(args: argparse.Namespace) -> int:
    from .f2 import margin_report
    from .io import load_data, load_network

    rep = margin_report(
        load_network(args.net), load_data(args.data), n_features=args.features, seed=args.seed
    )
    if args.json:
        _print_json(rep.to_dict())
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
    p.add_argument("--width", type=int, required=True, metavar="K", help="number of neurons")
    p.add_argument("--loss", choices=["exp", "logistic"], default="exp")
    p.add_argument("--method", choices=["flow", "gd"], default="flow")
    p.add_argument(
        "--steps", type=int, default=D.TRAIN_STEPS, help="step budget (default %(default)s)"
    )
    p.add_argument(
        "--lr", type=float, default=D.TRAIN_LR, help="relative step (flow), rate (gd): %(default)s"
    )
    p.add_argument("--seed", type=int, default=D.SEED, help="initialization seed (%(default)s)")
    p.add_argument(
        "--sigma-h", type=float, default=D.SIGMA_H, help="hidden-layer init std (%(default)s)"
    )
    p.add_argument(
        "--sigma-o", type=float, default=D.SIGMA_O, help="output-layer init std (%(default)s)"
    )
    p.add_argument("--out", help="write the trained network here (.json, .npz, .pt)")
    p.add_argument("--progress", action="store_true", help="show a progress bar on stderr")
    p.set_defaults(func=_cmd_train)


def _cmd_train(args: argparse.Namespace) -> int:
    from .errors import InvalidValueError
    from .io import load_data, save_network
    from .teacher import init_network
    from .train import train

    if args.width < 1:
        raise InvalidValueError(f"--width: {args.width} must be at least 1")
    data = load_data(args.data).require_separable()
    net0 = init_network(args.width, args.sigma_h, args.sigma_o, seed=args.seed)
    net, hist = train(
        net0,
        data,
        loss=args.loss,
        method=args.method,
        steps=args.steps,
        lr=args.lr,
        progress=args.progress,
    )
    last = len(hist) - 1
    print(
        f"{hist.step[last]} steps ({hist.stop_reason}): log L = {hist.log_loss[last]:.6g}, "
        f"||theta|| = {hist.norm[last]:.6g}, normalized margin = {hist.margin[last]:.6g}"
    )
    if args.out:
        save_network(net, args.out)
        print(f"wrote {args.out}")
    return 0


_COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    _add_regions,
    _add_demo,
    _add_sweep,
    _add_report,
    _add_certify,
    _add_global,
    _add_optimum,
    _add_margins,
    _add_train,
    _add_verify,
]


def _build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = _Parser(
        prog="pwl-kkt",
        description="Exact analysis of shallow univariate ReLU networks: regions, KKT and "
        "global-optimality certificates, training, sweeps.",
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
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _build_parser().parse_args(argv)
    args.command_line = shlex.join(["pwl-kkt", *argv])
    try:
        return int(args.func(args))
    except (PwlKktError, OSError) as exc:
        print(f"pwl-kkt {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
