"""pwl_kkt: exact analysis of shallow univariate ReLU networks.

``N(x) = sum_j v_j relu(w_j x + b_j)`` (Safran, Vardi & Lee 2022, Eq. 1) turned into an exact
breakpoint/slope form, its effective linear regions, and certificates about the
max-margin problem that gradient flow is biased towards.
"""

from .bounds import (
    SufficientConditions,
    corollary_5_1_epsilon,
    corollary_5_1_sample_size,
    region_bound,
    theorem_2_3,
    theorem_3_1,
    theorem_3_2_lower_bound,
    theorem_3_2_width,
)
from .certificate import (
    CertificateFile,
    Verdict,
    certificate_for,
    certificate_of,
    read_certificate,
    verify_certificate,
    write_certificate,
)
from .data import Dataset
from .duality import DualMaximum, dual_function, dual_value_exact, max_abs_dual
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
from .exact import ExactKKTResult, verify_kkt_exact
from .f2 import (
    F2MaxMargin,
    MarginReport,
    arccos_kernel,
    kernel_max_margin,
    margin_report,
    random_feature_max_margin,
)
from .globalopt import GlobalCertificate, certify_global
from .io import (
    load_data,
    load_network,
    network_from_torch,
    network_to_torch,
    save_data,
    save_network,
)
from .kkt import KKTCertificate, certify_kkt
from .limit import KKTLimit, LimitGroup, kkt_limit
from .limits import InputLimits, get_limits, input_limits, set_limits
from .network import Network
from .optimum import (
    MaxMarginOptimum,
    activation_patterns,
    global_max_margin,
    optimality_gap,
    optimality_value,
)
from .plot import plot_dual, plot_network
from .proof import KKTProof, prove_kkt_point
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
from .summary import SweepSummary, sweep_summary
from .symbolic import KKTSystem, kkt_latex, kkt_system
from .synthetic import kkt_instance
from .teacher import (
    PiecewiseUniform,
    TeacherStudent,
    Uniform,
    init_network,
    label_changes,
    population_error,
    random_teacher,
    rho,
    sign_changes_inside,
    teacher_labels,
    teacher_network,
    teacher_student_setup,
)
from .train import TrainingHistory, loss_and_grad, train

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "InputLimits",
    "get_limits",
    "input_limits",
    "set_limits",
    "PiecewiseUniform",
    "SufficientConditions",
    "TeacherStudent",
    "Uniform",
    "corollary_5_1_epsilon",
    "corollary_5_1_sample_size",
    "init_network",
    "label_changes",
    "population_error",
    "random_teacher",
    "region_bound",
    "rho",
    "sign_changes_inside",
    "teacher_labels",
    "teacher_network",
    "teacher_student_setup",
    "theorem_2_3",
    "theorem_3_1",
    "theorem_3_2_lower_bound",
    "theorem_3_2_width",
    "TrainingHistory",
    "loss_and_grad",
    "train",
    "Dataset",
    "ExactKKTResult",
    "KKTCertificate",
    "KKTSystem",
    "certify_kkt",
    "kkt_instance",
    "kkt_latex",
    "kkt_system",
    "verify_kkt_exact",
    "KKTLimit",
    "KKTProof",
    "LimitGroup",
    "kkt_limit",
    "prove_kkt_point",
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
    "DualMaximum",
    "GlobalCertificate",
    "MaxMarginOptimum",
    "activation_patterns",
    "certify_global",
    "dual_function",
    "dual_value_exact",
    "global_max_margin",
    "max_abs_dual",
    "optimality_gap",
    "optimality_value",
    "F2MaxMargin",
    "MarginReport",
    "arccos_kernel",
    "kernel_max_margin",
    "margin_report",
    "random_feature_max_margin",
    "CertificateFile",
    "Verdict",
    "certificate_for",
    "certificate_of",
    "read_certificate",
    "verify_certificate",
    "write_certificate",
    "SweepSummary",
    "sweep_summary",
]
