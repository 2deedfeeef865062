"""Conventions shared across the package: seeds, defaults, help text, displays, packaging."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import numpy as np
import pytest

import pwl_kkt
from pwl_kkt import (
    Network,
    PiecewiseUniform,
    init_network,
    kkt_instance,
    linear_regions,
    random_teacher,
    teacher_student_setup,
)
from pwl_kkt.duality.f2 import random_directions
from pwl_kkt.errors import InvalidValueError

ROOT = Path(__file__).resolve().parents[1]


def test_help_has_no_raw_markup(run_cli):
    """``--help`` text is plain: no reST roles or literals leak from docstrings."""
    from pwl_kkt.cli import _build_parser

    sub = next(a for a in _build_parser()._actions if a.dest == "command")
    commands = ["", *sub.choices]  # every subcommand the parser has, new ones included
    assert "orthogonal" in commands
    for command in commands:
        code, out, _ = run_cli(*([command] if command else []), "--help")
        assert code == 0 and out
        for markup in ("``", ":func:", ":class:", ":mod:", ":meth:"):
            assert markup not in out, (command, markup)


# --- seeds ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "draw",
    [
        lambda s: init_network(4, seed=s),
        lambda s: random_teacher(3, R=1, seed=s),
        lambda s: PiecewiseUniform.random(R=1, seed=s),
        lambda s: kkt_instance(4, 3, seed=s)[1],
        lambda s: random_directions(5, seed=s),
        lambda s: teacher_student_setup(r=2, n=10, k=4, seed=s).data,
    ],
)
def test_generator_seeds(draw):
    """A Generator works wherever an int seed does; the same generator state gives the same
    draw, and a used generator moves on (as NumPy's own functions do)."""

    def same(a, b) -> bool:
        return np.array_equal(a, b) if isinstance(a, np.ndarray) else a == b

    assert same(draw(np.random.default_rng(7)), draw(np.random.default_rng(7)))
    gen = np.random.default_rng(7)
    first, second = draw(gen), draw(gen)
    assert not same(first, second)


@pytest.mark.parametrize("bad", [-1, 1.5, True, "0"])
def test_bad_seed_is_named(bad):
    with pytest.raises(InvalidValueError, match="seed"):
        init_network(3, seed=bad)


def test_setup_records_int_seed_only():
    assert teacher_student_setup(r=1, n=5, k=2, seed=3).seed == 3
    assert teacher_student_setup(r=1, n=5, k=2, seed=np.random.default_rng(3)).seed is None


# --- one set of defaults ----------------------------------------------------------------------


def _cli_defaults(command: str) -> dict:
    from pwl_kkt.cli import _build_parser

    parser = _build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices[command]
    return {a.dest: a.default for a in sub._actions}


def _api_defaults(fn) -> dict:
    return {
        k: p.default
        for k, p in inspect.signature(fn).parameters.items()
        if p.default is not inspect.Parameter.empty
    }


def test_cli_and_api_share_defaults():
    from pwl_kkt.demo import run_demo

    demo_cli, demo_api = _cli_defaults("demo"), _api_defaults(run_demo)
    for key in ("r", "n", "k", "seed", "steps"):
        assert demo_cli[key] == demo_api[key], key
    train_cli, train_api = _cli_defaults("train"), _api_defaults(pwl_kkt.train)
    assert (train_cli["steps"], train_cli["lr"]) == (train_api["steps"], train_api["lr"])
    init_api = _api_defaults(init_network)
    assert (train_cli["sigma_h"], train_cli["sigma_o"]) == (
        init_api["sigma_h"],
        init_api["sigma_o"],
    )


# --- displays ---------------------------------------------------------------------------------


def test_regions_decimal_view_and_displays(run_cli, tmp_path):
    net = Network([3], ["-1/7"], [1])
    regions = linear_regions(net)
    assert "0.047619" in regions.table(digits=5) and "1/21" in regions.table()
    assert "| region |" in regions._repr_markdown_() and "<table>" in regions._repr_html_()
    path = tmp_path / "net.json"
    pwl_kkt.save_network(net, path)
    code, out, _ = run_cli("regions", path, "--digits", "3")
    assert code == 0 and "0.0476" in out and "1/21" not in out
    code, _, err = run_cli("regions", path, "--digits", "0")
    assert code == 2 and err.count("\n") == 1 and "digits" in err


def test_history_plot_on_given_axes():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _, hist = pwl_kkt.train(Network([1, -1], [0, 0], [1, 1]), [-1, 1], [1, 1], steps=5,
                            progress=False)
    fig = plt.figure()
    axes = fig.subplots(1, 4)
    assert hist.plot(ax=axes) is fig
    assert all(ax.lines for ax in axes)
    with pytest.raises(InvalidValueError, match="4 Axes"):
        hist.plot(ax=axes[:2])
    plt.close(fig)


def test_certificates_have_latex_and_notebook_displays():
    from pwl_kkt import certify_kkt, global_max_margin, verify_kkt_exact

    net = Network([0, 0], [1, 0], [1, 0])
    for result in (
        certify_kkt(net, [4, -4], [1, 1]),
        verify_kkt_exact(net, [4, -4], [1, 1]),
        global_max_margin([4, -4], [1, 1]),
    ):
        assert result.to_latex().splitlines()[1] == r"\begin{tabular}{ll}"
        assert "| quantity | value |" in result._repr_markdown_()
        assert result._repr_html_().startswith("<p><b>")


# --- packaging ------------------------------------------------------------------------------


def test_license_citation_and_classifiers():
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    cff = (ROOT / "CITATION.cff").read_text()
    assert re.search(rf"^version: {re.escape(pwl_kkt.__version__)}$", cff, re.M)
    cfg = (ROOT / "setup.cfg").read_text()
    for minor in (10, 11, 12, 13):
        assert f"Programming Language :: Python :: 3.{minor}\n" in cfg
    assert "python_requires = >=3.10" in cfg
    torch_extra = cfg.split("torch =", 1)[1].split("\n\n", 1)[0]
    assert "torch>=2.6" in torch_extra and "==" not in torch_extra


def test_old_torch_is_refused_before_loading():
    from pwl_kkt.errors import MissingDependencyError
    from pwl_kkt.model._torch import _check_safe_torch

    _check_safe_torch("2.6.0")
    _check_safe_torch("2.13.0+cpu")
    for old in ("2.5.1", "1.13.1+cu117", "2.0.0a0"):
        with pytest.raises(MissingDependencyError, match="too old"):
            _check_safe_torch(old)
