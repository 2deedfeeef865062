"""Sphinx configuration for the pwl_kkt documentation."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.abspath(".."))

import pwl_kkt  # noqa: E402

project = "pwl_kkt"
author = "pwl_kkt developers"
release = version = pwl_kkt.__version__

extensions = [
    "myst_parser",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    # MathJax 3 served from the built site (copied into _static/mathjax), so formulas render
    # offline; the PyPI package "sphinx-mathjax-offline" (docs extra) ships it.
    "sphinx-mathjax-offline",
    "sphinx_gallery.gen_gallery",
]

myst_enable_extensions = ["dollarmath", "amsmath"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py"]

autosummary_generate = True
numpydoc_show_class_members = False
numpydoc_validation_checks: set[str] = set()

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r".*\.py$",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    # No docs/sg_execution_times.rst: the build writes no file outside docs/_build and the
    # ignored generated folders, so building twice leaves the checkout clean.
    "write_computation_times": False,
}

html_theme = "alabaster"
html_static_path: list[str] = []
suppress_warnings = ["config.cache"]
