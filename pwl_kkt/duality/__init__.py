"""Duality and global optimality: the dual function, the infinite-width optimum P*,
global certificates, and F1 versus F2 margins.
"""

from .dual import (
    DualMaximum,
    dual_function,
    dual_value_exact,
    max_abs_dual,
)
from .dual_nd import (
    DualBound,
    dual_function_nd,
    dual_value_exact_nd,
    max_abs_dual_nd,
)
from .f2 import (
    F2MaxMargin,
    MarginReport,
    arccos_kernel,
    kernel_max_margin,
    margin_report,
    network_margin,
    random_directions,
    random_feature_max_margin,
)
from .globalopt import (
    GlobalCertificate,
    certify_global,
)
from .optimum import (
    MaxMarginOptimum,
    activation_patterns,
    global_max_margin,
    optimality_gap,
    optimality_value,
)

__all__ = [
    "DualMaximum",
    "dual_function",
    "dual_value_exact",
    "max_abs_dual",
    "DualBound",
    "dual_function_nd",
    "dual_value_exact_nd",
    "max_abs_dual_nd",
    "MaxMarginOptimum",
    "activation_patterns",
    "global_max_margin",
    "optimality_gap",
    "optimality_value",
    "GlobalCertificate",
    "certify_global",
    "F2MaxMargin",
    "MarginReport",
    "arccos_kernel",
    "kernel_max_margin",
    "margin_report",
    "network_margin",
    "random_directions",
    "random_feature_max_margin",
]
