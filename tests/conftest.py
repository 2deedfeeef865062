"""Shared pytest configuration: hypothesis profiles.

``default`` keeps the suite fast; ``thorough`` (``--hypothesis-profile=thorough``)
runs many more examples and is meant for benchmarks and sweeps.
"""

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "default",
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("default")


@pytest.fixture
def run_cli(capsys):
    """``run_cli(*argv) -> (exit status, stdout, stderr)`` of ``pwl-kkt argv``.

    argparse usage errors leave through SystemExit; their status is returned too.
    """
    from pwl_kkt.cli import main

    def run(*argv: str) -> tuple[int, str, str]:
        try:
            code = main([str(a) for a in argv])
        except SystemExit as exc:
            code = exc.code
        out, err = capsys.readouterr()
        return code, out, err

    return run
