"""
Orthogonally separable data: the limit of gradient flow
=======================================================

Phuong & Lampert, "The inductive bias of ReLU networks on orthogonally separable data"
(ICLR 2021): on orthogonally separable data, a two-layer ReLU network without hidden biases,
``f(x) = a^T relu(W x)``, trained by gradient flow from a small initialization converges in
direction to ``W / ||W||_F = u w_+^T + z w_-^T`` and ``a / ||a|| = u ||w_+|| - z ||w_-||``
with ``u, z >= 0`` and ``u_j z_j = 0``: each neuron becomes a multiple of the max-margin
direction of one class. This example draws such data in R^5, computes ``w_+`` and ``w_-``
exactly (with a proof of optimality), trains a width-20 network from a small
initialization, follows the alignment during training, and certifies the trained network
as a KKT point of the max-margin problem.
"""

# %%
# Data and the two max-margin directions
# --------------------------------------
# 50 points in R^5: positives in a cone around e_1, negatives in a cone around a direction
# 135 degrees away. ``orthogonal_setting`` decides orthogonal separability exactly and
# computes ``w_+``, ``w_-`` as exact rationals whose KKT conditions are verified exactly.
from pwl_kkt import orthogonal_data, orthogonal_setting

data = orthogonal_data(50, 5, seed=0)
setting = orthogonal_setting(data)
print(setting.separability)
print(f"w_+: {setting.plus.status}, ||w_+|| = {setting.plus.norm:.6f}, "
      f"support {list(setting.plus.support)}")
print(f"w_-: {setting.minus.status}, ||w_-|| = {setting.minus.norm:.6f}, "
      f"support {list(setting.minus.support)}")

# %%
# Training from a small initialization
# ------------------------------------
# Width 20, no hidden biases, every initial parameter of order 1e-4; logistic loss, gradient
# flow (in the loss-normalized clock, the same path as the flow in time). Every 50 steps the
# network is compared with the theorem's limit.
import numpy as np

from pwl_kkt import alignment_report, init_network, train

net0 = init_network(20, d=5, bias=False, scale=1e-4, seed=0)
trace = []


def record(step, net, _record):
    if step % 50 == 0:
        rep = alignment_report(net, setting)
        trace.append((step, rep.mean_cosine, rep.stable_rank))


net, history = train(net0, data, loss="logistic", steps=3000, callback=record, progress=False)
report = alignment_report(net, setting)
print(history.stop_detail)
print(report)
print(f"mean cosine {report.mean_cosine:.9f}, stable rank {report.stable_rank:.6f}")

# %%
# The alignment over training
# ---------------------------
# Left: how far the neurons are from ``w_+`` (``a_j > 0``) or ``w_-`` (``a_j < 0``),
# ``1 - mean cosine``. Right: the stable rank ``||W||_F^2 / ||W||_2^2``, at most 2 in the limit.
import matplotlib.pyplot as plt

steps, cosine, rank = np.array(trace).T
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(8, 3.2), layout="constrained")
ax1.semilogy(steps, 1 - cosine, color="tab:blue")
ax1.set_xlabel("training step")
ax1.set_ylabel("1 - mean cosine to w+ / w-")
ax2.plot(steps, rank, color="tab:orange")
ax2.axhline(2, color="gray", linestyle="--", linewidth=1, label="2: the limit has rank <= 2")
ax2.set_xlabel("training step")
ax2.set_ylabel("stable rank of W")
ax2.legend()
plt.show()

# %%
# The limit as a KKT point
# ------------------------
# Gradient flow converges in direction to a KKT point of the max-margin problem
# ``min ||theta||^2`` s.t. ``y_i f(x_i) >= 1``, but slowly (like ``1 / log t``): after 3000 steps
# the neurons are aligned, yet the two classes' smallest margins still differ a little, so the
# trained network is only an approximate KKT point. ``orthogonal_limit`` builds the network of
# the theorem's limit form nearest to it (each neuron projected on ``w_+`` or ``w_-``, both
# classes at margin 1), which is a KKT point; ``certify_kkt`` confirms it numerically.
from pwl_kkt import orthogonal_limit

limit = orthogonal_limit(net, setting)
theta, theta_limit = net.theta(), limit.theta()
cos_theta = theta @ theta_limit / (np.linalg.norm(theta) * np.linalg.norm(theta_limit))
print(f"angle between the trained network and the limit: {np.arccos(min(cos_theta, 1.0)):.2e} rad")

from pwl_kkt import certify_kkt

for name, network, support_tol in (("limit", limit, 1e-6), ("trained", net, 1e-2)):
    cert = certify_kkt(network, data, support_tol=support_tol)
    print(f"{name:>7}: KKT at tolerance {cert.kkt_tol:g}: {cert.is_kkt}; eps = {cert.eps:.2e}, "
          f"delta = {cert.delta:.2e}, support {list(cert.support)} (support_tol {support_tol:g})")
