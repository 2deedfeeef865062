"""The documentation's promises: runnable console blocks, real citations, a page per module."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
_BLOCK = re.compile(r"```console\n(.*?)```", re.S)


def _console_blocks() -> list[tuple[str, list[str]]]:
    blocks = []
    for page in sorted(DOCS.glob("*.md")):
        for i, body in enumerate(_BLOCK.findall(page.read_text())):
            cmds = [line[2:] for line in body.splitlines() if line.startswith("$ ")]
            blocks.append((f"{page.name}#{i}", cmds))
    return blocks


@pytest.mark.parametrize("name, commands", _console_blocks(), ids=lambda v: str(v)[:40])
def test_console_block_runs(name, commands, tmp_path):
    """Every ``console`` block in docs/ runs as written, in a fresh folder (repository files
    such as examples/ are linked in), each command exiting 0."""
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
    # 'pwl-kkt' and 'python' resolve to this interpreter, so the checkout under test runs.
    env["PATH"] = f"{tmp_path / 'bin'}{os.pathsep}{env['PATH']}"
    (tmp_path / "bin").mkdir()
    for tool, args in (("pwl-kkt", "-m pwl_kkt.cli"), ("python", "")):
        script = tmp_path / "bin" / tool
        script.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} {args} "$@"\n')
        script.chmod(0o755)
    for cmd in commands:
        proc = subprocess.run(
            ["bash", "-c", cmd], cwd=tmp_path, env=env, capture_output=True, text=True,
            timeout=600,
        )
        assert proc.returncode == 0, f"{name}: {cmd!r} failed:\n{proc.stderr[-2000:]}"


def test_no_internal_seed_numbers_or_design_file():
    """User-facing text cites papers by authors, never the project's seed numbers."""
    hits = []
    for folder in ("docs", "pwl_kkt", "examples"):
        for path in (ROOT / folder).rglob("*"):
            generated = {"_build", "auto_examples", "gen_modules"} & set(path.parts)
            if path.suffix in {".md", ".rst", ".py", ".toml"} and not generated:
                text = path.read_text()
                if re.search(r"seed 00\d|DESIGN\.md", text, re.I):
                    hits.append(str(path.relative_to(ROOT)))
    readme = (ROOT / "README.md").read_text()
    if re.search(r"seed 00\d|DESIGN\.md", readme, re.I):
        hits.append("README.md")
    assert hits == []


def test_every_public_module_has_a_page():
    """Every public module (no underscore anywhere in its path) has a page in the index."""
    package = ROOT / "pwl_kkt"
    modules = {
        ".".join(("pwl_kkt", *p.relative_to(package).with_suffix("").parts))
        for p in package.rglob("*.py")
        if not any(part.startswith("_") for part in p.relative_to(package).parts)
    }
    documented = {}
    for page in (DOCS / "modules").glob("*.rst"):
        match = re.search(r"^\.\. automodule:: (\S+)", page.read_text(), re.M)
        assert match, f"{page.name} documents no module"
        documented[match.group(1)] = page.stem
    assert set(documented) == modules
    index = (DOCS / "modules.rst").read_text()
    for stem in documented.values():
        assert f"modules/{stem}\n" in index
