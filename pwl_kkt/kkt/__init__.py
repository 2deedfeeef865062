"""KKT points of the max-margin problem (Problem (4)): numeric certificates, exact proofs,
the symbolic system, the limit of gradient flow and its ball-arithmetic proof.
"""

from .exact import (
    ExactKKTResult,
    exact_margins,
    verify_kkt_exact,
)
from .limit import (
    KKTLimit,
    LimitGroup,
    kkt_limit,
)
from .numeric import (
    KKTCertificate,
    certify_kkt,
    margins,
)
from .proof import (
    KKTProof,
    prove_kkt_point,
)
from .symbolic import (
    KKTSystem,
    kkt_latex,
    kkt_system,
)
from .synthetic import (
    kkt_instance,
)

__all__ = [
    "KKTCertificate",
    "certify_kkt",
    "margins",
    "ExactKKTResult",
    "exact_margins",
    "verify_kkt_exact",
    "KKTSystem",
    "kkt_latex",
    "kkt_system",
    "KKTLimit",
    "LimitGroup",
    "kkt_limit",
    "KKTProof",
    "prove_kkt_point",
    "kkt_instance",
]
