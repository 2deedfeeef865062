"""Load a module of pwl_kkt as it was at an older commit, to time it side by side.

The old source comes from ``git show COMMIT:pwl_kkt/NAME.py`` and is imported as
``pwl_kkt._baseline_NAME`` (inside the package, so its relative imports resolve to today's
modules). Nothing is kept in the package: the code lives in memory for one run.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
# The last commit before the research-scale rewrite of f2, exact, regions.region_graph and
# the exact path of certify_global.
BASELINE = "948afee"


def old_module(name: str, commit: str = BASELINE) -> ModuleType:
    """``pwl_kkt.<name>`` at ``commit``, imported under a private name."""
    source = subprocess.run(
        ["git", "show", f"{commit}:pwl_kkt/{name}.py"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    qualname = f"pwl_kkt._baseline_{name}"
    tmp = Path(tempfile.mkdtemp()) / f"{name}.py"
    tmp.write_text(source)
    spec = importlib.util.spec_from_file_location(qualname, tmp)
    module = importlib.util.module_from_spec(spec)
    sys.modules[qualname] = module
    spec.loader.exec_module(module)
    return module
