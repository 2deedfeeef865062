"""The "certify a network you trained in PyTorch" how-to runs as written."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

pytest.importorskip("torch")

SCRIPT = Path(__file__).resolve().parents[1] / "examples" / "certify_pytorch.py"


def test_pytorch_howto_runs_and_flow_training_improves_the_certificate(capsys):
    namespace = runpy.run_path(str(SCRIPT), run_name="__main__")
    out = capsys.readouterr().out
    assert "eps =" in out
    cert, cert2 = namespace["cert"], namespace["cert2"]
    # Continued gradient flow moves the network towards a KKT point.
    assert cert2.eps < cert.eps
    assert namespace["net"].width == 12
