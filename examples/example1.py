"""
Example 1 (Safran, Vardi & Lee 2022): a KKT point that is not a global optimum
==============================================================================

Safran, Vardi and Lee (NeurIPS 2022), Example 1: a width-2 network trained by
gradient flow on ``x = (4, -4)``, ``y = (1, 1)`` from ``theta(0)`` with
``b1 = v1 = 1`` and every other parameter 0. Gradient flow never moves the
direction of ``theta(0)``, so it converges in direction to ``theta(0)``, which is
a KKT point of the max-margin problem (4) -- yet ``theta'`` below is feasible
with a smaller norm. Every claim is checked here in exact arithmetic.
"""

# %%
# theta(0) satisfies both margin constraints with equality
# --------------------------------------------------------
from fractions import Fraction

# The margins are exact rationals: N(x) = 1 * relu(0 * x + 1) = 1 for every x.
from pwl_kkt import Dataset, Network, certify_kkt, kkt_latex, verify_kkt_exact
from pwl_kkt.kkt.exact import exact_margins

x, y = [4, -4], [1, 1]
data = Dataset(x, y)
theta0 = Network(w=[0, 0], b=[1, 0], v=[1, 0])
margins = exact_margins(theta0, data)
print("margins y_i N(x_i) at theta(0):", [str(q) for q in margins])
assert margins == (1, 1)

# %%
# theta(0) is a KKT point, with exact multipliers
# -----------------------------------------------
# The exact verifier solves the linear KKT system in rationals and substitutes the
# multipliers back. Neuron 2 has z_i2 = 0 at both points, but it enters no
# equation (w2 = b2 = v2 = 0), so no Clarke weight is needed.
res = verify_kkt_exact(theta0, data)
print("KKT:", res.is_kkt, "| proof:", res.proof, "| lambdas:", [str(t) for t in res.lambdas])
print("proof re-checked from scratch:", res.recheck())
assert res.is_kkt and res.recheck()
# Euler's identity at a KKT point (min margin m = 1): ||theta||^2 = 2 * sum(lambda)
print("||theta(0)||^2 =", theta0.sq_norm, "= 2 * sum(lambda) =", 2 * res.lambda_sum)
assert theta0.sq_norm == 2 * res.lambda_sum == 2
print()
print(kkt_latex(theta0, data))

# %%
# The numeric certificate agrees (float arithmetic, tolerance 1e-6).
cert = certify_kkt(theta0, data)
print(f"numeric: is_kkt={cert.is_kkt}, eps={cert.eps:.1e}, lambdas="
      f"{[round(t, 9) for t in cert.lambdas]}")

# %%
# Gradient flow keeps the direction of theta(0)
# ---------------------------------------------
# L(theta) = 1/2 * sum_i l(y_i N(x_i)) for a generic loss l (exponential or logistic).
# With the Clarke selection relu'(0) = 0 (Heaviside(0) = 0), the gradient is computed
# symbolically at every state along the path: w1 = 0, b1 = v1 = a > 0, neuron 2 zero.
import sympy

ell = sympy.Function("ell")
w1, b1, v1, w2, b2, v2 = sympy.symbols("w1 b1 v1 w2 b2 v2", real=True)
a = sympy.Symbol("a", positive=True)
params = [w1, b1, v1, w2, b2, v2]


def relu(t):
    return sympy.Max(t, 0)


def relu_prime(t):
    return sympy.Heaviside(t, 0)  # relu'(0) = 0


def grad_margin(xi, yi):
    """Gradient of y_i N(x_i) with respect to (w1, b1, v1, w2, b2, v2)."""
    out = []
    for w, b, v in ((w1, b1, v1), (w2, b2, v2)):
        z = w * xi + b
        out += [yi * v * relu_prime(z) * xi, yi * v * relu_prime(z), yi * relu(z)]
    return out


def net_value(xi):
    return v1 * relu(w1 * xi + b1) + v2 * relu(w2 * xi + b2)


grad = [sympy.Integer(0)] * 6
for xi, yi in zip(x, y):
    q = yi * net_value(xi)
    lprime = sympy.Subs(sympy.Derivative(ell(sympy.Symbol("q")), sympy.Symbol("q")),
                        sympy.Symbol("q"), q)
    for c, g in enumerate(grad_margin(xi, yi)):
        grad[c] += sympy.Rational(1, 2) * lprime * g
state = {w1: 0, b1: a, v1: a, w2: 0, b2: 0, v2: 0}
g_state = [sympy.simplify(g.subs(state).doit()) for g in grad]
print("dL/d(w2, b2, v2) =", g_state[3:])
print("dL/d(w1, b1, v1) =", g_state[:3])
assert g_state[3:] == [0, 0, 0]
# Parallel to neuron 1's parameters (0, a, a): the 2x2 minors vanish.
n1 = [0, a, a]
assert all(sympy.simplify(g_state[p] * n1[q] - g_state[q] * n1[p]) == 0
           for p in range(3) for q in range(3))
print("the gradient of neuron 1 is parallel to (w1, b1, v1) = (0, a, a); "
      "neuron 2 never moves, so the direction of theta(0) is fixed")

# %%
# theta(0) is not a global optimum
# --------------------------------
# theta' has w1' = v1' = v2' = 1/2, w2' = -1/2, b' = 0.
half = Fraction(1, 2)
theta_p = Network(w=[half, -half], b=[0, 0], v=[half, half])
margins_p = exact_margins(theta_p, data)
print("margins at theta':", [str(q) for q in margins_p], "| ||theta'||^2 =", theta_p.sq_norm,
      "<", theta0.sq_norm, "= ||theta(0)||^2")
assert margins_p == (1, 1) and theta_p.sq_norm == 1 < 2 == theta0.sq_norm
# (theta' is feasible but is not itself a KKT point: a Farkas vector proves it.)
print("theta' KKT?", verify_kkt_exact(theta_p, data).is_kkt)

# %%
# A perturbed theta(0) is provably not KKT
# ----------------------------------------
# Tilt neuron 1: w1 = 1/10. The margins become 7/5 and 3/5, only x = -4 is a
# support point, and the verifier returns an exact Farkas certificate.
theta_bad = Network(w=["1/10", 0], b=[1, 0], v=[1, 0])
bad = verify_kkt_exact(theta_bad, data)
print("KKT:", bad.is_kkt, "| proof:", bad.proof, "| support:", bad.support)
print("Farkas y (equation, neuron, weight):",
      [(kind, j, str(t)) for kind, j, t in bad.farkas_y])
print("reason:", bad.reason)
print("certificate re-checked from scratch:", bad.recheck())
assert not bad.is_kkt and bad.recheck()
# By hand: the only multiplier is lambda_1 (x = -4, y = 1); the w- and b-equations of
# neuron 1 read 1/10 = -4 lambda_1 and 1 = lambda_1. Weighting them by y:
yw = {(kind, j): t for kind, j, t in bad.farkas_y}
col = yw.get(("w", 0), 0) * (-4) + yw.get(("b", 0), 0) * 1 + yw.get(("v", 0), 0) * Fraction(3, 5)
rhs = yw.get(("w", 0), 0) * Fraction(1, 10) + yw.get(("b", 0), 0) * 1 + yw.get(("v", 0), 0) * 1
print(f"y . A[:, lambda_1] = {col} >= 0 but y . theta = {rhs} < 0: no lambda_1 >= 0 exists")
assert col >= 0 > rhs
