"""Experiments: sweeps over trial parameters, their summaries and figures.
"""

from .report import (
    sweep_figures,
)
from .summary import (
    SweepSummary,
    sweep_summary,
)
from .sweep import (
    PARAMETERS,
    TRIAL_METRICS,
    Parameter,
    SweepConfig,
    load_results,
    run_sweep,
    run_trial,
)

__all__ = [
    "PARAMETERS",
    "TRIAL_METRICS",
    "Parameter",
    "SweepConfig",
    "load_results",
    "run_sweep",
    "run_trial",
    "SweepSummary",
    "sweep_summary",
    "sweep_figures",
]
