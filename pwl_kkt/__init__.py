"""pwl_kkt: exact analysis of shallow univariate ReLU networks.

``N(x) = sum_j v_j relu(w_j x + b_j)`` (seed 001, Eq. 1) turned into an exact
breakpoint/slope form, its effective linear regions, and certificates about the
max-margin problem that gradient flow is biased towards.
"""

from .data import Dataset
from .errors import (
    FileFormatError,
    InvalidDataError,
    InvalidNetworkError,
    InvalidValueError,
    MisclassifiedError,
    MissingDependencyError,
    NotSeparableError,
    PwlKktError,
)
from .io import (
    load_data,
    load_network,
    network_from_torch,
    network_to_torch,
    save_data,
    save_network,
)
from .network import Network
from .plot import plot_dual, plot_network
from .pwl import PiecewiseLinear, exact_kinks, piecewise_linear
from .regions import (
    LinearRegions,
    Region,
    Tolerance,
    count_regions,
    linear_regions,
    merged_regions,
    region_graph,
)

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "Dataset",
    "FileFormatError",
    "InvalidDataError",
    "InvalidNetworkError",
    "InvalidValueError",
    "LinearRegions",
    "MisclassifiedError",
    "MissingDependencyError",
    "Network",
    "NotSeparableError",
    "PiecewiseLinear",
    "PwlKktError",
    "Region",
    "Tolerance",
    "count_regions",
    "exact_kinks",
    "linear_regions",
    "load_data",
    "load_network",
    "merged_regions",
    "network_from_torch",
    "network_to_torch",
    "piecewise_linear",
    "plot_dual",
    "plot_network",
    "region_graph",
    "save_data",
    "save_network",
]
