"""Shared pytest configuration: hypothesis profiles.

``default`` keeps the suite fast; ``thorough`` (``--hypothesis-profile=thorough``)
runs many more examples and is meant for benchmarks and sweeps.
"""

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
