"""The model: the univariate network, labelled data, and reading/writing them exactly.
"""

from .data import (
    Dataset,
)
from .io import (
    load_data,
    load_network,
    network_from_torch,
    network_to_torch,
    save_data,
    save_network,
)
from .network import (
    Network,
)

__all__ = [
    "Network",
    "Dataset",
    "load_data",
    "load_network",
    "network_from_torch",
    "network_to_torch",
    "save_data",
    "save_network",
]
