"""
Example 1, globally: a dual refutation and the exact optimum
============================================================

Example 1 of Safran, Vardi & Lee, "On the Effective Number of Linear Regions in Shallow
Univariate ReLU Networks" (NeurIPS 2022): data ``x = (4, -4)``, both labels ``+1``, and the
width-2 network ``theta(0)`` with ``b_1 = v_1 = 1`` and everything else 0. Gradient flow stays at
``theta(0)``, which is a KKT point of the max-margin problem (4) but not a global optimum.
The paper shows this with one hand-made better network. Here duality proves it:

1. the exact KKT multipliers of ``theta(0)`` are ``lambda = (1/2, 1/2)``;
2. the dual function ``G(u) = sum_i lambda_i y_i relu(u . (x_i, 1))`` reaches
   ``sqrt(17)/2 > 1`` at ``u ~ (1, 1/4)`` (the neuron ``relu(x + 1/4)``, which serves
   ``x = 4`` only), so weak duality cannot certify ``theta(0)``;
3. :func:`pwl_kkt.certify_global` builds a width-2 network with exact rational weights,
   margins ``>= 1`` and a strictly smaller norm, all checked in exact arithmetic;
4. the infinite-width optimum is ``P* = 2/sqrt(17)``: one neuron along each ``(+-4, 1)``,
   proved exactly by the multipliers ``lambda* = (1, 1)/sqrt(17)`` with ``max |G| = 1``.
"""

# %%
from fractions import Fraction

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from pwl_kkt import (  # noqa: E402
    Network,
    certify_global,
    global_max_margin,
    max_abs_dual,
    verify_kkt_exact,
)
from pwl_kkt.plot import plot_dual  # noqa: E402

x, y = [4, -4], [1, 1]
theta0 = Network([0, 0], [1, 0], [1, 0])

# %%
# Step 1: theta(0) is a KKT point, with exact multipliers.
kkt = verify_kkt_exact(theta0, x, y)
print(f"theta(0) is a KKT point: {kkt.is_kkt} (proof: {kkt.proof}); lambda = {kkt.lambdas}")

# %%
# Step 2: the exact maximum of ``|G|`` for these multipliers.
dual = max_abs_dual(kkt.lambdas, x, y)
print(f"max |G| = {dual.max_abs} = {dual.max_abs_float:.6f} > 1 at u ~ {dual.direction}")

# %%
# Step 3: the refutation and the improving network it builds.
cert = certify_global(theta0, x, y)
better = cert.improving
print(f"global optimum: {cert.is_global}; proof: {cert.proof}")
print(f"improving network (exact): w = {better.w}, b = {better.b}, v = {better.v}")
print(f"its margins y_i N(x_i) = {[int(t) * better.exact_value(s) for s, t in zip(x, y)]}")
print(
    f"1/2 ||theta'||^2 = {float(cert.improving_value):.6f} < 1/2 ||theta(0)||^2 = {cert.value}"
)

# %%
# Step 4: the infinite-width optimum and its exact certificate.
opt = global_max_margin(x, y)
print(f"P* = {opt.P_star_exact} = {opt.P_star:.9f}; max normalized margin = {opt.margin:.6f}")
print(f"optimal network: {opt.network} ({opt.regions} effective linear regions)")
q = [Fraction(1), Fraction(1)]  # lambda* = q / sqrt(M)
M = max_abs_dual(q, x, y).max_sq
print(f"lambda* = (1, 1)/sqrt({M}): max |G| = 1 exactly, dual value sum lambda* = 2/sqrt({M})")
print(f"gap of theta(0): {cert.gap:.6f} = 1 - 2/sqrt(17)")

# %%
# The dual function for both multiplier vectors.
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
plot_dual([float(t) for t in kkt.lambdas], x, y, ax=axes[0])
axes[0].set_title("theta(0), lambda = (1/2, 1/2): max |G| = sqrt(17)/2 > 1")
plot_dual(list(opt.lambdas), x, y, ax=axes[1])
axes[1].set_title("optimum, lambda* = (1, 1)/sqrt(17): max |G| = 1")
fig.tight_layout()

if __name__ == "__main__":
    fig.savefig("example1_global.png", dpi=80)
