"""The ``pwl-kkt`` command line.

Every subcommand reads its inputs through :mod:`pwl_kkt.io`, so bad input ends
as one line on stderr and exit status 2, and no partial output file is left.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence

from ._rational import fraction_text, to_fraction
from .errors import PwlKktError

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (the usage block is what ``--help`` is for)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(2)


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
        print(result.table())
    return 0


# --- demo ----------------------------------------------------------------------------------


def _add_demo(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the worked story on built-in defaults")
    p.set_defaults(func=_cmd_demo)


def _cmd_demo(args: argparse.Namespace) -> int:
    from .network import Network
    from .regions import linear_regions

    net = Network([3, -1, 6, 1, -1], [-1, "1/3", -2, 0, 2], [1, 2, -1, "1/2", "-1/2"])
    print("pwl-kkt demo: a width-5 network with a shared kink at 1/3 whose jumps cancel")
    print(f"  {net}")
    result = linear_regions(net)
    print(result.table())
    print(
        f"effective linear regions on R: {result.count} (width {net.width}; naive count "
        f"{net.width + 1})"
    )
    print(f"breakpoints: {', '.join(fraction_text(t) for t in result.breakpoints) or 'none'}")
    return 0


_COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [_add_regions, _add_demo]


def _build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = _Parser(prog="pwl-kkt", description=__doc__.splitlines()[0])
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
    args = _build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (PwlKktError, OSError) as exc:
        print(f"pwl-kkt {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
