"""Global optimality of a network on the plane, for every width: proof, refutation or neither.

The weak-duality argument of :mod:`pwl_kkt.duality.globalopt` holds verbatim with
``xt_i = (x_i, 1)`` and ``u_j = (w_j, b_j)`` in R^3: if the KKT multipliers ``lambda`` of the
network (normalised to margin 1) satisfy ``max_{S^2} |G_lambda| <= 1`` then
``1/2 ||theta||^2 = sum lambda = P*`` -- a global optimum over networks of every width. The
maximum is decided exactly (:func:`pwl_kkt.duality.dual_plane.max_abs_dual_2d`).

Otherwise the infinite-width optimum (:func:`pwl_kkt.duality.optimum_plane.global_max_margin_2d`)
gives an exactly feasible network of proven value ``upper``; when that is below the network's
value, it is an explicit improving network (margins ``>= 1`` and a smaller ``1/2 ||theta||^2``,
both checked in rationals). When neither happens the verdict is ``None`` with the numbers: a
network whose value lies inside the proven interval of ``P*`` but whose multipliers do not
certify it (non-unique multipliers, or a KKT residual above tolerance) is not refuted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from .._rational import fraction_text, fraction_to_float
from ..errors import InvalidDataError, MisclassifiedError
from ..model.network_nd import NetworkNd
from .dual_plane import DualMaximum2d, max_abs_dual_2d, plane_dataset

__all__ = ["GlobalCertificate2d", "certify_global_2d"]


@dataclass(frozen=True)
class GlobalCertificate2d:
    """Whether a network on the plane is a global max-margin optimum for every width.

    The verdict is about ``theta / sqrt(m)``, ``m = min_i y_i N(x_i)`` (exact).

    Attributes
    ----------
    is_global : bool or None
        ``True``: proved (exact path) or certified at tolerance (float network). ``False``:
        refuted by ``improving`` (checked in rationals) or, on the exact path, not a KKT point
        (a Farkas proof). ``None``: inconclusive.
    proof : str
        ``"weak-duality"``, ``"numeric"``, ``"improving-network"``, ``"not-kkt"`` or
        ``"inconclusive"``.
    exact : bool
        Whether the network and the data are exact and every check was in rationals.
    lambdas : tuple
        The KKT multipliers used (Fractions on the exact path).
    dual : DualMaximum2d or None
        ``max |G_lambda|`` exactly (float multipliers read as their dyadic values).
    value : Fraction
        ``||theta||^2 / (2 m)``: the network's value, exactly.
    min_margin : Fraction
        ``m``.
    improving : NetworkNd or None
        An exact network with every margin ``>= 1`` and ``1/2 ||theta'||^2 < value``.
    improving_value : Fraction or None
        Its ``1/2 ||theta'||^2``.
    P_star_interval : tuple of float or None
        The proven interval of ``P*`` when the optimum was computed.
    reason : str
        One sentence with the numbers behind the verdict.

    Examples
    --------
    >>> c = certify_global_2d(NetworkNd([[0, 0]], [1], [1]), [[0, 0]], [1])
    >>> c.is_global, c.dual.max_abs, c.value
    (True, 1, Fraction(1, 1))
    """

    is_global: bool | None
    proof: str
    exact: bool
    lambdas: tuple
    dual: DualMaximum2d | None
    value: Fraction
    min_margin: Fraction
    improving: NetworkNd | None
    improving_value: Fraction | None
    P_star_interval: tuple[float, float] | None
    reason: str

    @property
    def normalized(self) -> bool:
        """``m != 1``: the verdict is about ``theta / sqrt(m)``."""
        return self.min_margin != 1

    def to_dict(self) -> dict:
        """JSON-ready dictionary (exact values as ``"p/q"`` text).

        Examples
        --------
        >>> net = NetworkNd([[0, 0]], [1], [1])
        >>> certify_global_2d(net, [[0, 0]], [1]).to_dict()["proof"]
        'weak-duality'
        """

        def num(t):
            return fraction_text(t) if isinstance(t, Fraction) else t

        imp = None
        if self.improving is not None:
            W, B, V = self.improving.fractions()
            imp = {"w": [[fraction_text(t) for t in r] for r in W],
                   "b": [fraction_text(t) for t in B], "v": [fraction_text(t) for t in V]}
        return {
            "is_global": self.is_global,
            "proof": self.proof,
            "exact": self.exact,
            "lambdas": [num(t) for t in self.lambdas],
            "dual": None if self.dual is None else self.dual.to_dict(),
            "value": fraction_text(self.value),
            "min_margin": fraction_text(self.min_margin),
            "improving": imp,
            "improving_value": None if self.improving_value is None
            else fraction_text(self.improving_value),
            "P_star_interval": None if self.P_star_interval is None
            else list(self.P_star_interval),
            "reason": self.reason,
        }


def _multipliers(net: NetworkNd, data, exact: bool) -> tuple[list | None, str, bool]:
    """KKT multipliers, a note, and whether non-KKT-ness was *proved* (exact Farkas)."""
    if exact:
        from ..kkt.exact import verify_kkt_exact

        r = verify_kkt_exact(net, data)
        if r.is_kkt and r.lambdas is not None:
            return list(r.lambdas), "KKT (exact multipliers)", False
        return None, f"not a KKT point ({r.reason})", True
    from ..kkt.numeric import certify_kkt

    c = certify_kkt(net, data)
    if c.is_kkt:
        return list(c.lambdas), f"KKT at tolerance (eps = {c.eps:.3g} <= {c.kkt_tol:g})", False
    return None, (
        f"KKT residual eps = {c.eps:.3g} above the tolerance {c.kkt_tol:g} "
        "(a missed tolerance, not a proof of non-KKT-ness)"
    ), False


def _scaled_to_margin(net: NetworkNd, m: Fraction) -> tuple[NetworkNd, Fraction]:
    """``alpha theta`` with rational ``alpha``, ``alpha^2 m >= 1``, and its ``1/2 ||.||^2``."""
    alpha = Fraction(1.0 / math.sqrt(fraction_to_float(m)))
    step = alpha / 2**40
    while alpha * alpha * m < 1:
        alpha += step
    scaled = net.to_exact().scaled(alpha)
    return scaled, scaled.sq_norm_exact() / 2


def certify_global_2d(
    net: NetworkNd, x: object, y: object = None, *, tol: float = 1e-9
) -> GlobalCertificate2d:
    """Decide whether a network on the plane is a global max-margin optimum for every width.

    1. KKT multipliers: :func:`pwl_kkt.verify_kkt_exact` for an exact network and exact data
       (exact rationals, or a Farkas proof that there are none), else
       :func:`pwl_kkt.certify_kkt` (float, at tolerance).
    2. ``max |G_lambda|`` on S^2, exactly. ``<= 1`` proves global optimality (``"weak-duality"``;
       on the float path ``<= 1 + tol`` certifies at tolerance, ``"numeric"``).
    3. Otherwise the infinite-width optimum is computed; if its exactly feasible network has a
       smaller value, it refutes (``"improving-network"``). A network that is not KKT
       (exact Farkas proof) is refuted as ``"not-kkt"``.
    4. Else ``None`` (``"inconclusive"``) with the network's value and ``P*``'s interval.

    Parameters
    ----------
    net : NetworkNd
        A network on the plane (``d = 2``) classifying every point correctly.
    x, y : data
        A :class:`~pwl_kkt.DatasetNd` with ``d = 2`` or the two sequences.
    tol : float
        Float path: ``max |G| <= 1 + tol`` counts as certified.

    Raises
    ------
    InvalidDataError
        A network or data that is not on the plane (the message says ``d = 2`` is needed).
    MisclassifiedError
        Some ``y_i N(x_i) <= 0``.

    Examples
    --------
    The bias neuron is optimal for one point at the origin. For the points ``(+-4, 0)`` with
    label 1 (Safran, Vardi & Lee's Example 1 on a line of the plane) it is a KKT point, but
    ``max |G| = sqrt(17)/2 > 1`` and one neuron per point does better:

    >>> certify_global_2d(NetworkNd([[0, 0]], [1], [1]), [[0, 0]], [1]).proof
    'weak-duality'
    >>> c = certify_global_2d(NetworkNd([[0, 0]], [1], [1]), [[4, 0], [-4, 0]], [1, 1])
    >>> c.is_global, c.proof, c.dual.max_abs, c.improving_value < c.value
    (False, 'improving-network', sqrt(17)/2, True)
    """
    from .optimum_plane import exact_margins_2d, global_max_margin_2d

    data = plane_dataset(x, y, "certify_global_2d").require_separable()
    if not isinstance(net, NetworkNd) or net.d != 2:
        got = net.d if isinstance(net, NetworkNd) else 1
        raise InvalidDataError(
            f"certify_global_2d needs a network on the plane (d = 2); got d = {got}"
        )
    margins = exact_margins_2d(net, data)
    m = min(margins)
    if m <= 0:
        i = margins.index(m)
        raise MisclassifiedError(
            f"point {i} has y N(x) = {float(m):.6g} <= 0: nothing to certify"
        )
    exact = net.is_exact and data.is_exact
    value = net.sq_norm_exact() / (2 * m)
    lam, note, proved_not_kkt = _multipliers(net, data, exact)
    dual = None
    if lam is not None:
        dual = max_abs_dual_2d(lam, data)
        if dual.max_sq <= 1 or (not exact and dual.interval[0] <= 1 + tol):
            total = sum((Fraction(t) for t in lam), Fraction(0))
            kind = "weak-duality" if exact and dual.max_sq <= 1 else "numeric"
            how = "proved" if kind == "weak-duality" else f"certified at tolerance {tol:g}"
            return GlobalCertificate2d(
                is_global=True, proof=kind, exact=exact, lambdas=tuple(lam), dual=dual,
                value=value, min_margin=m, improving=None, improving_value=None,
                P_star_interval=None,
                reason=(f"{how}: {note}; max |G_lambda| = {_shown(dual)} <= 1, so by weak "
                        f"duality P* = sum lambda = {float(total):.10g} = 1/2 ||theta_n||^2"),
            )
    opt = global_max_margin_2d(data, exact=False)
    dual_note = "" if dual is None else f"max |G_lambda| = {_shown(dual)} > 1; "
    improving = imp_value = None
    cand, cand_value = _scaled_to_margin(
        opt.network_exact, min(exact_margins_2d(opt.network_exact, data))
    )
    if cand_value < value:  # exact comparison of rationals
        improving, imp_value = cand, cand_value
    interval = (opt.lower, opt.upper)
    if improving is not None:
        witness = (f"a width-{improving.width} network with every margin >= 1 has "
                   f"1/2 ||theta'||^2 = {float(imp_value):.10g} < {float(value):.10g} "
                   "(both checked in exact rationals)")
        proof = "not-kkt" if proved_not_kkt else "improving-network"
        lead = f"refuted: {note}; also " if proved_not_kkt else f"{dual_note}refuted: "
        return GlobalCertificate2d(
            is_global=False, proof=proof, exact=exact, lambdas=tuple(lam or ()), dual=dual,
            value=value, min_margin=m, improving=improving, improving_value=imp_value,
            P_star_interval=interval, reason=lead + witness,
        )
    if proved_not_kkt:
        return GlobalCertificate2d(
            is_global=False, proof="not-kkt", exact=exact, lambdas=(), dual=None, value=value,
            min_margin=m, improving=None, improving_value=None, P_star_interval=interval,
            reason=f"refuted: {note} (proof: verify_kkt_exact)",
        )
    return GlobalCertificate2d(
        is_global=None, proof="inconclusive", exact=exact, lambdas=tuple(lam or ()), dual=dual,
        value=value, min_margin=m, improving=None, improving_value=None,
        P_star_interval=interval,
        reason=(f"inconclusive: {note}; {dual_note}the value {float(value):.10g} lies in "
                f"P*'s proven interval [{opt.lower:.10g}, {opt.upper:.10g}] or its network "
                "did not improve on it exactly"),
    )


def _shown(dual: DualMaximum2d) -> str:
    text = str(dual.max_abs)
    return text if len(text) <= 30 else f"{dual.interval[1]:.10g}"
