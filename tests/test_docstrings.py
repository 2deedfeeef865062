"""Every public name carries a numpydoc docstring with an example."""

from __future__ import annotations

import inspect

import pytest

import pwl_kkt

PUBLIC = [name for name in pwl_kkt.__all__ if name != "__version__"]


@pytest.mark.parametrize("name", PUBLIC)
def test_public_name_has_numpydoc_docstring_with_example(name):
    obj = getattr(pwl_kkt, name)
    doc = inspect.getdoc(obj)
    assert doc, f"{name} has no docstring"
    assert "Examples\n--------" in doc, f"{name}: docstring has no numpydoc 'Examples' section"
    assert ">>> " in doc.split("Examples\n--------", 1)[1], f"{name}: the Examples section is empty"


def test_every_name_in_all_exists():
    for name in pwl_kkt.__all__:
        assert hasattr(pwl_kkt, name), name


def test_api_reference_lists_every_public_name():
    from pathlib import Path

    api = (Path(__file__).resolve().parents[1] / "docs" / "api.rst").read_text()
    listed = {line.strip() for line in api.splitlines() if line.startswith("   ")}
    assert set(PUBLIC) <= listed, sorted(set(PUBLIC) - listed)
