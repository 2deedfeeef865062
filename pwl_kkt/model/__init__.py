"""The model: the network (univariate and on R^d), labelled data, and reading/writing them exactly.
"""

from .data import (
    Dataset,
)
from .data_nd import (
    DatasetNd,
)
from .dimensions import (
    check_dimensions,
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
from .network_nd import (
    NetworkNd,
)

__all__ = [
    "DatasetNd",
    "NetworkNd",
    "Network",
    "Dataset",
    "load_data",
    "load_network",
    "network_from_torch",
    "network_to_torch",
    "save_data",
    "save_network",
    "check_dimensions",
]
