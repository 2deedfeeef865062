"""Geometry of the network function: its exact piecewise-linear form and effective linear regions.
"""

from .pwl import (
    PiecewiseLinear,
    exact_kinks,
    piecewise_linear,
)
from .regions import (
    LinearRegions,
    Region,
    Tolerance,
    count_regions,
    linear_regions,
    merged_regions,
    region_graph,
)

__all__ = [
    "PiecewiseLinear",
    "exact_kinks",
    "piecewise_linear",
    "LinearRegions",
    "Region",
    "Tolerance",
    "count_regions",
    "linear_regions",
    "merged_regions",
    "region_graph",
]
