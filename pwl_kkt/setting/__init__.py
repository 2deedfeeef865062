"""The paper's setting: the teacher-student model and the explicit bounds of
Safran, Vardi & Lee (NeurIPS 2022).
"""

from .bounds import (
    SufficientConditions,
    corollary_5_1_epsilon,
    corollary_5_1_sample_size,
    region_bound,
    sigma_h_bound,
    sigma_o_bound,
    theorem_2_3,
    theorem_3_1,
    theorem_3_2_lower_bound,
    theorem_3_2_width,
    width_bound,
)
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

__all__ = [
    "PiecewiseUniform",
    "TeacherStudent",
    "Uniform",
    "init_network",
    "label_changes",
    "population_error",
    "random_teacher",
    "rho",
    "sign_changes_inside",
    "teacher_labels",
    "teacher_network",
    "teacher_student_setup",
    "SufficientConditions",
    "corollary_5_1_epsilon",
    "corollary_5_1_sample_size",
    "region_bound",
    "sigma_h_bound",
    "sigma_o_bound",
    "theorem_2_3",
    "theorem_3_1",
    "theorem_3_2_lower_bound",
    "theorem_3_2_width",
    "width_bound",
]
