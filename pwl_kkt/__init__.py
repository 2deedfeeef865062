"""pwl_kkt: exact analysis of shallow univariate ReLU networks.

``N(x) = sum_j v_j relu(w_j x + b_j)`` (Safran, Vardi & Lee 2022, Eq. 1) turned into an exact
breakpoint/slope form, its effective linear regions, and certificates about the
max-margin problem that gradient flow is biased towards.
"""

import importlib as _importlib
import sys as _sys

from .certificate import (
    CertificateFile,
    Verdict,
    certificate_for,
    certificate_of,
    read_certificate,
    verify_certificate,
    write_certificate,
)
from .duality import (
    DualMaximum,
    F2MaxMargin,
    GlobalCertificate,
    MarginReport,
    MaxMarginOptimum,
    activation_patterns,
    arccos_kernel,
    certify_global,
    dual_function,
    dual_value_exact,
    global_max_margin,
    kernel_max_margin,
    margin_report,
    max_abs_dual,
    optimality_gap,
    optimality_value,
    random_feature_max_margin,
)
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
from .experiments import SweepSummary, sweep_summary
from .geometry import (
    LinearRegions,
    PiecewiseLinear,
    PlanePatterns,
    Region,
    Tolerance,
    count_regions,
    exact_kinks,
    linear_regions,
    merged_regions,
    piecewise_linear,
    plane_activation_patterns,
    region_graph,
)
from .kkt import (
    ExactKKTResult,
    KKTCertificate,
    KKTLimit,
    KKTProof,
    KKTSystem,
    LimitGroup,
    certify_kkt,
    kkt_instance,
    kkt_latex,
    kkt_limit,
    kkt_system,
    prove_kkt_point,
    verify_kkt_exact,
)
from .limits import InputLimits, get_limits, input_limits, set_limits
from .model import (
    Dataset,
    DatasetNd,
    Network,
    NetworkNd,
    load_data,
    load_network,
    network_from_torch,
    network_to_torch,
    save_data,
    save_network,
)
from .plot import plot_dual, plot_network
from .setting import (
    PiecewiseUniform,
    SufficientConditions,
    TeacherStudent,
    Uniform,
    corollary_5_1_epsilon,
    corollary_5_1_sample_size,
    init_network,
    label_changes,
    population_error,
    random_teacher,
    region_bound,
    rho,
    sign_changes_inside,
    teacher_labels,
    teacher_network,
    teacher_student_setup,
    theorem_2_3,
    theorem_3_1,
    theorem_3_2_lower_bound,
    theorem_3_2_width,
)
from .training import TrainingHistory, loss_and_grad, train

# The flat module paths of pwl_kkt 0.1 (``pwl_kkt.exact``, ``pwl_kkt.network``, ...) are
# documented and appear in pickles, so they stay importable as aliases of the modules'
# homes in the subpackages.
_FLAT_PATHS = {
    "network": "model.network",
    "data": "model.data",
    "io": "model.io",
    "pwl": "geometry.pwl",
    "regions": "geometry.regions",
    "exact": "kkt.exact",
    "symbolic": "kkt.symbolic",
    "limit": "kkt.limit",
    "proof": "kkt.proof",
    "synthetic": "kkt.synthetic",
    "globalopt": "duality.globalopt",
    "optimum": "duality.optimum",
    "f2": "duality.f2",
    "train": "training.train",
    "teacher": "setting.teacher",
    "bounds": "setting.bounds",
    "report": "experiments.report",
    "summary": "experiments.summary",
}


def _alias_flat_paths() -> None:
    for old, new in _FLAT_PATHS.items():
        module = _importlib.import_module(f"{__name__}.{new}")
        _sys.modules.setdefault(f"{__name__}.{old}", module)
        if old not in globals():  # ``pwl_kkt.train`` stays the function
            globals()[old] = module


_alias_flat_paths()

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
    "DatasetNd",
    "NetworkNd",
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
    "PlanePatterns",
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
    "plane_activation_patterns",
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
