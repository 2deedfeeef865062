"""Geometry of the network function and of the data: the exact piecewise-linear form, effective
linear regions (on the line and in the plane), and the activation patterns of points in the plane.
"""

from .great_circles import CircleArrangement, circle_arrangement
from .plane import PlaneLine, PlaneRegion, PlaneRegions, effective_lines
from .plane_patterns import PlanePatterns, plane_activation_patterns
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
    "PlanePatterns",
    "plane_activation_patterns",
    "PlaneLine",
    "PlaneRegion",
    "PlaneRegions",
    "effective_lines",
    "CircleArrangement",
    "circle_arrangement",
]
