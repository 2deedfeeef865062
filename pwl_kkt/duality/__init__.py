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
from .dual_plane import (
    DualMaximum2d,
    dual_value_2d,
    max_abs_dual_2d,
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
from .f2_plane import (
    arccos_kernel_2d,
    kernel_max_margin_2d,
    margin_report_2d,
    random_feature_max_margin_2d,
)
from .globalopt import (
    GlobalCertificate,
    certify_global,
)
from .globalopt_plane import (
    GlobalCertificate2d,
    certify_global_2d,
)
from .optimum import (
    MaxMarginOptimum,
    activation_patterns,
    global_max_margin,
    optimality_gap,
    optimality_value,
)
from .optimum_plane import (
    MaxMarginOptimum2d,
    global_max_margin_2d,
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
    "DualMaximum2d",
    "dual_value_2d",
    "max_abs_dual_2d",
    "MaxMarginOptimum2d",
    "global_max_margin_2d",
    "GlobalCertificate2d",
    "certify_global_2d",
    "arccos_kernel_2d",
    "kernel_max_margin_2d",
    "margin_report_2d",
    "random_feature_max_margin_2d",
]
