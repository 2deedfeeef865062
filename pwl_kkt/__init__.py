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
    NotSeparableError,
    PwlKktError,
)
from .network import Network

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "Dataset",
    "FileFormatError",
    "InvalidDataError",
    "InvalidNetworkError",
    "InvalidValueError",
    "MisclassifiedError",
    "Network",
    "NotSeparableError",
    "PwlKktError",
]
