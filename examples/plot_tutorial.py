"""
A 10-minute tutorial
====================

Build a network, find its exact regions, train it by gradient flow, certify it as
an (approximate) KKT point of the max-margin problem, and ask whether it is
globally optimal.
"""

# %%
# 1. A network and its exact regions
# ----------------------------------
# Parameters may be ints, floats (taken as the dyadic rationals they store),
# Fractions or text such as "1/3". The piecewise-linear form is exact.
from pwl_kkt import Network, count_regions, linear_regions, piecewise_linear

net = Network(w=[1, -1, 2], b=[0, 1, "-1/2"], v=[1, "1/2", -1])
f = piecewise_linear(net)
print("breakpoints:", [str(t) for t in f.breakpoints], " slopes:", [str(s) for s in f.slopes])
print(linear_regions(net).table())

# %%
# 2. Data from a teacher, and training
# ------------------------------------
# A width-2 teacher with two sign changes on [-1, 1] labels 30 uniform points; a
# width-20 student starts from the initialization of Assumption 2.1 and follows
# the gradient-flow path (loss-normalized steps: the same trajectory, a better clock).
from pwl_kkt import teacher_student_setup, train

setup = teacher_student_setup(r=2, n=30, k=20, seed=2)
trained, history = train(setup.init, setup.data, steps=30000, lr=0.05, progress=False)
print(f"log-loss {history.log_loss[-1]:.1f}, normalized margin {history.margin[-1]:.4g}")
print("effective regions:", count_regions(trained), "exact,",
      count_regions(trained, tol=1e-3), "at tolerance 1e-3")

# %%
# 3. Is it a KKT point of the max-margin problem?
# -----------------------------------------------
# ``eps`` is the relative stationarity residual after normalizing the margin to 1.
from pwl_kkt import certify_kkt
from pwl_kkt.plot import plot_network

cert = certify_kkt(trained, setup.data, support_tol=1e-2)
print(f"eps = {cert.eps:.3g}, delta = {cert.delta:.3g}, support points {list(cert.support)}")
ax = plot_network(trained, setup.data, lambdas=cert.lambdas, teacher=setup.teacher)

# %%
# 4. Exact KKT proofs on rational networks
# ----------------------------------------
# Example 1 of the paper: theta(0) with b1 = v1 = 1 on x = (4, -4), both labels +1.
# The exact verifier returns rational multipliers that satisfy every equation.
from pwl_kkt import Dataset, verify_kkt_exact

theta0 = Network([0, 0], [1, 0], [1, 0])
data1 = Dataset([4, -4], [1, 1])
proof = verify_kkt_exact(theta0, data1)
print(proof.is_kkt, proof.proof, [str(q) for q in proof.lambdas], "rechecked:", proof.recheck())

# %%
# 5. Global optimality by duality
# -------------------------------
# A KKT point need not be a global optimum. The dual function
# G(u) = sum_i lambda_i y_i relu(u . (x_i, 1)) decides it: ``|G| <= 1`` everywhere proves
# optimality for every width; a direction with ``|G| > 1`` gives a better network.
from pwl_kkt import certify_global, global_max_margin
from pwl_kkt.plot import plot_dual

g = certify_global(theta0, data1)
print("globally optimal:", g.is_global, "| proof:", g.proof, "| improving network:", g.improving)
print("P* =", global_max_margin(data1).P_star, "vs 1/2 ||theta(0)||^2 = 1")
ax = plot_dual([float(q) for q in proof.lambdas], data1)
