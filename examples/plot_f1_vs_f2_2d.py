"""
F1 vs F2 in the plane, exactly
==============================

Chizat & Bach, "Implicit Bias of Gradient Descent for Wide Two-layer Neural Networks Trained
with the Logistic Loss" (COLT 2020), show on two-dimensional data that gradient descent on both
layers of a wide ReLU network tends to the F1 (variation-norm) max-margin classifier, while
training the output layer only tends to the F2 (kernel) one. They note that no efficient
algorithm is known for the F1 max-margin problem in general. In the plane it is a finite convex
program: the activation patterns of n points are the n^2 - n + 2 cells of an arrangement of
great circles on the sphere, enumerated exactly, and the dual bound is proven by the exact
maximum of the dual function on the sphere. This example puts the trained networks next to
the exact F1 and F2 asymptotes:

1. margin vs width m, both layers trained vs the output layer only;
2. test error vs the number of samples n;
3. the predictors: decision boundary, linear regions, support points;

and draws the dual certificate of the F1 optimum on the sphere.

All margins are normalised as ``min_i y_i N(x_i) / ||theta||^2`` (F1 optimum ``1 / (2 P*)``,
F2 optimum ``1 / (2 sqrt(Q*))``).
"""

# %%
# Data: points in the square, labelled by a disc
# -----------------------------------------------
import matplotlib.pyplot as plt
import numpy as np

from pwl_kkt import (
    DatasetNd,
    arccos_kernel_2d,
    global_max_margin_2d,
    init_network,
    kernel_max_margin_2d,
    margin_report,
    random_feature_max_margin_2d,
    train,
)


def sample(n: int, seed: int) -> DatasetNd:
    """n points uniform in [-1, 1]^2, label +1 outside the disc of radius 0.6."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, size=(n, 2))
    return DatasetNd(x, np.where(np.hypot(x[:, 0], x[:, 1]) > 0.6, 1, -1))


data = sample(30, seed=0)
opt = global_max_margin_2d(data)
f2 = kernel_max_margin_2d(data)
print(f"P* in [{opt.lower:.10f}, {opt.upper:.10f}] (proven; {opt.n_patterns} patterns)")
print(f"F1 optimum margin 1/(2P*) = {opt.margin:.6f};  F2 optimum = {f2.normalized_margin:.6f}")

# %%
# The certificate: the dual function on the sphere
# ------------------------------------------------
# ``P* >= sum q / max |G_q|`` for any multipliers ``q >= 0`` (weak duality), with
# ``G_q(u) = sum_i q_i y_i relu(u . (x_i, 1))`` on the unit sphere of ``u = (w_1, w_2, b)``.
# For the optimum's multipliers ``|G_q|`` reaches its maximum, about 1, along the optimal
# neurons' directions. The maximum is computed exactly (cells, arcs and vertices of the
# arrangement of the great circles drawn thin); it exceeds 1 by the solver's accuracy, and
# dividing ``q`` by it gives the proven lower end of the interval.
from pwl_kkt import plot_dual_2d  # noqa: E402

fig, ax = plt.subplots(figsize=(7, 3.6), layout="constrained")
plot_dual_2d(opt.multipliers_exact, data, resolution=241, ax=ax)

# %%
# Margin vs width
# ---------------
# Both layers: gradient flow on the logistic loss from a small initialization, for a fixed time
# budget. Output layer only: gradient descent on a linear model converges in direction to its
# max-margin solution (Soudry et al. 2018), so the output-only curve is the random-feature
# max margin itself, computed directly.
widths = [16, 64, 256]
both, output_only, trained = [], [], {}
for m in widths:
    net0 = init_network(m, d=2, scale=0.1, seed=m)
    trained[m], _ = train(net0, data, loss="logistic", steps=4000, max_time=8.0, progress=False)
    both.append(margin_report(trained[m], data, optimum=opt).network)
    output_only.append(
        np.mean([random_feature_max_margin_2d(data, n_features=m, seed=s).normalized_margin
                 for s in range(3)])
    )

fig, ax = plt.subplots(figsize=(6, 3.6), layout="constrained")
ax.semilogx(widths, both, "o-", color="black", label="both layers trained")
ax.semilogx(widths, output_only, "s-", color="tab:orange", label="output layer only")
ax.axhline(opt.margin, color="tab:blue", ls="--", label="F1 optimum (exact, proven)")
ax.axhline(f2.normalized_margin, color="tab:orange", ls=":", label="F2 optimum (kernel)")
ax.set_xlabel("width m")
ax.set_ylabel("normalised margin")
ax.legend(fontsize="small")

# %%
# Test error vs number of samples
# -------------------------------
# The F1 predictor is the sparse optimal network; the F2 predictor is the kernel machine
# ``h(x) = sum_i a_i k(x, x_i)`` of the arc-cosine kernel on the sphere (a hard-margin SVM
# without bias, solved here in its primal form).
import cvxpy as cp  # noqa: E402

test = sample(2000, seed=99)


def kernel_predictor(train_data: DatasetNd):
    K = arccos_kernel_2d(train_data.x_float)
    a = cp.Variable(train_data.n)
    cp.Problem(cp.Minimize(cp.quad_form(a, cp.psd_wrap(K))),
               [cp.multiply(train_data.y, K @ a) >= 1]).solve()
    return lambda x: arccos_kernel_2d(x, train_data.x_float) @ a.value


sizes = [10, 20, 40, 80]
err_f1, err_f2 = [], []
for n in sizes:
    d = sample(n, seed=n)
    f1_net = global_max_margin_2d(d).network
    err_f1.append(np.mean(np.sign(f1_net(test.x_float)) != test.y))
    err_f2.append(np.mean(np.sign(kernel_predictor(d)(test.x_float)) != test.y))

fig, ax = plt.subplots(figsize=(6, 3.6), layout="constrained")
ax.loglog(sizes, err_f1, "o-", color="tab:blue", label="F1 max margin (exact)")
ax.loglog(sizes, err_f2, "s-", color="tab:orange", label="F2 max margin (kernel)")
ax.set_xlabel("number of samples n")
ax.set_ylabel("test error")
ax.legend(fontsize="small")

# %%
# The predictors
# --------------
# Left: a network trained on both layers (width 64 above), with its effective linear
# regions coloured and the lines where it bends: its neurons gather on a few lines.
# Middle: the exact F1 optimum, a network with few neurons; circled, the support points,
# where the proof's multipliers are positive. Right: the F2 kernel predictor, smooth.
# Black: the decision boundaries N = 0.
from pwl_kkt import plot_regions_2d  # noqa: E402

box = (-1.1, 1.1, -1.1, 1.1)
grid = np.linspace(-1.1, 1.1, 221)
G1, G2 = np.meshgrid(grid, grid)
pts = np.c_[G1.ravel(), G2.ravel()]
net = trained[64]
fig, axes = plt.subplots(1, 3, figsize=(13, 4.4), layout="constrained")
plot_regions_2d(net, data, box=box, ax=axes[0])
plot_regions_2d(opt.network, data, box=box, ax=axes[1],
                lambdas=[float(q) for q in opt.multipliers_exact])
h = kernel_predictor(data)(pts)
axes[2].contourf(G1, G2, np.sign(h).reshape(G1.shape), levels=[-2, 0, 2],
                 colors=["#f4cccc", "#cfe2f3"], alpha=0.7)
for label, color in ((1, "tab:blue"), (-1, "tab:red")):
    axes[2].scatter(*data.x_float[data.y == label].T, s=18, color=color, zorder=3)
for ax, values, title in (
    (axes[0], net(pts), f"both layers trained, width {net.width}"),
    (axes[1], opt.network(pts), f"F1 optimum (exact): width {opt.network.width}"),
    (axes[2], h, "F2 optimum (kernel)"),
):
    ax.contour(G1, G2, values.reshape(G1.shape), levels=[0.0], colors="black", linewidths=1.5)
    ax.set_title(title, fontsize="medium")
    ax.set_aspect("equal")
plt.show()
