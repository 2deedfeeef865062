"""The KKT system of Problem (4) as SymPy equations and LaTeX, for small instances.

Unnormalized form (see :mod:`pwl_kkt.kkt.exact`): with ``m = min_i y_i N(x_i)`` and the support
``S = {i : y_i N(x_i) = m}``, theta is a KKT point iff there are ``lambda_i >= 0`` (i in S;
``lambda_i = 0`` off S) and ``s_ij in [0, 1]`` for the zero pairs ``z_ij = 0`` with

    w_j = v_j sum_{i in S} lambda_i y_i s_ij x_i,  b_j = v_j sum_{i in S} lambda_i y_i s_ij,
    v_j = sum_{i in S} lambda_i y_i relu(z_ij),

where ``s_ij = 1`` if ``z_ij > 0`` and ``0`` if ``z_ij < 0``. The same lambdas serve the
normalized ``theta / sqrt(m)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..model.data import as_dataset
from ..model.network import Network

__all__ = ["KKTSystem", "kkt_latex", "kkt_system"]


@dataclass(frozen=True)
class KKTSystem:
    """The KKT conditions of one instance as SymPy objects.

    Attributes
    ----------
    equations : tuple of sympy.Eq
        ``3 k`` stationarity equations (w, b and v equation of each neuron), unevaluated.
    inequalities : tuple of sympy relationals
        ``lambda_i >= 0`` and ``0 <= s_ij <= 1``.
    lambdas : dict
        Support index ``i`` -> symbol ``lambda_i``.
    s : dict
        Zero pair ``(i, j)`` -> symbol ``s_{i,j}``.
    min_margin : sympy.Rational
        ``m``; the support is the set of points with margin exactly ``m``.

    Examples
    --------
    >>> sys_ = kkt_system(Network([0, 0], [1, 0], [1, 0]), [4, -4], [1, 1])
    >>> sys_.equations[0]
    Eq(0, 4*lambda_0 - 4*lambda_1)
    >>> sorted(str(t) for t in sys_.s.values())
    ['s_0_1', 's_1_1']
    """

    equations: tuple[Any, ...]
    inequalities: tuple[Any, ...]
    lambdas: dict[int, Any]
    s: dict[tuple[int, int], Any]
    min_margin: Any

    def substitute(self, lambdas: object, s: dict[tuple[int, int], object]) -> tuple[bool, ...]:
        """Truth value of each equation after substituting exact lambdas and weights.

        ``lambdas`` is indexed by data point (all n), ``s`` by zero pair.

        Examples
        --------
        >>> from fractions import Fraction as F
        >>> sys_ = kkt_system(Network([0, 0], [1, 0], [1, 0]), [4, -4], [1, 1])
        >>> all(sys_.substitute([F(1, 2), F(1, 2)], {(0, 1): 0, (1, 1): 0}))
        True
        """
        import sympy

        sub = {sym: sympy.Rational(str(lambdas[i])) for i, sym in self.lambdas.items()}  # type: ignore[index]
        sub.update({sym: sympy.Rational(str(s.get(p, 0))) for p, sym in self.s.items()})
        return tuple(bool(sympy.simplify(e.lhs - e.rhs.subs(sub)) == 0) for e in self.equations)


def kkt_system(net: Network, x: object, y: object | None = None) -> KKTSystem:
    """The KKT conditions of ``net`` on ``(x, y)`` as SymPy equations (small instances).

    Parameters
    ----------
    net : Network
        Exact or float network (floats are their dyadic values).
    x, y :
        A Dataset, or inputs and labels.

    Returns
    -------
    KKTSystem

    Raises
    ------
    MisclassifiedError
        Some point has ``y_i N(x_i) <= 0``.

    Examples
    --------
    >>> sys_ = kkt_system(Network([0, 0], [1, 0], [1, 0]), [4, -4], [1, 1])
    >>> sys_.equations[2]
    Eq(1, lambda_0 + lambda_1)
    """
    import sympy

    from .exact import _build_system  # validates the data and the margins

    ds = as_dataset(x, y)
    exact_net = net.to_exact()
    sys_ = _build_system(exact_net, ds)
    w, b, v = exact_net.fractions()
    xs, ys = ds.x_exact, ds.y.tolist()
    R = sympy.Rational
    lam = {i: sympy.Symbol(f"lambda_{i}", nonnegative=True) for i in sys_.support}
    s_syms: dict[tuple[int, int], Any] = {}
    eq_w, eq_b, eq_v = [], [], []
    for j in range(len(w)):
        sw = sympy.Integer(0)
        sb = sympy.Integer(0)
        sv = sympy.Integer(0)
        for i in sys_.support:
            z = w[j] * xs[i] + b[j]
            if z > 0:
                sij: Any = sympy.Integer(1)
                sv += lam[i] * ys[i] * R(z.numerator, z.denominator)
            elif z == 0:
                sij = s_syms.setdefault((i, j), sympy.Symbol(f"s_{i}_{j}"))
            else:
                continue
            sw += lam[i] * ys[i] * sij * R(xs[i].numerator, xs[i].denominator)
            sb += lam[i] * ys[i] * sij
        vj = R(v[j].numerator, v[j].denominator)
        eq_w.append(sympy.Eq(R(w[j].numerator, w[j].denominator), sympy.expand(vj * sw),
                             evaluate=False))
        eq_b.append(sympy.Eq(R(b[j].numerator, b[j].denominator), sympy.expand(vj * sb),
                             evaluate=False))
        eq_v.append(sympy.Eq(vj, sympy.expand(sv), evaluate=False))
    eqs = []
    for j in range(len(w)):
        eqs += [eq_w[j], eq_b[j], eq_v[j]]
    ineqs = [sympy.Ge(t, 0, evaluate=False) for t in lam.values()]
    for t in s_syms.values():
        ineqs += [sympy.Ge(t, 0, evaluate=False), sympy.Le(t, 1, evaluate=False)]
    return KKTSystem(
        equations=tuple(eqs),
        inequalities=tuple(ineqs),
        lambdas=lam,
        s=s_syms,
        min_margin=R(sys_.m.numerator, sys_.m.denominator),
    )


def kkt_latex(net: Network, x: object, y: object | None = None) -> str:
    """LaTeX of the KKT system of :func:`kkt_system`, ready to paste into a paper.

    Returns an ``aligned`` environment: one line per stationarity equation, then the sign
    conditions and the support.

    Examples
    --------
    >>> print(kkt_latex(Network([0, 0], [1, 0], [1, 0]), [4, -4], [1, 1]))  # doctest: +ELLIPSIS
    \\begin{aligned}
    0 &= 4 \\lambda_{0} - 4 \\lambda_{1} && \\text{($w_{0}$)}\\\\
    ...
    """
    import sympy

    sys_ = kkt_system(net, x, y)
    lines = []
    kinds = ("w", "b", "v")
    for a, e in enumerate(sys_.equations):
        j, kind = divmod(a, 3)
        lines.append(
            f"{sympy.latex(e.lhs)} &= {sympy.latex(e.rhs)} && \\text{{(${kinds[kind]}_{{{j}}}$)}}"
        )
    cond = ", ".join(sympy.latex(t) for t in sys_.inequalities)
    support = ", ".join(str(i) for i in sys_.lambdas)
    lines.append(f"& {cond} && \\text{{support }} \\{{{support}\\}}"
                 f" \\text{{ at margin }} {sympy.latex(sys_.min_margin)}")
    return "\\begin{aligned}\n" + "\\\\\n".join(lines) + "\n\\end{aligned}"
