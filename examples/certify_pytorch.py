"""
Certify a network you trained in PyTorch
=========================================

Train ``nn.Sequential(nn.Linear(1, k), nn.ReLU(), nn.Linear(k, 1, bias=False))`` in
PyTorch as you normally would, save its ``state_dict``, load it into pwl_kkt, and
ask whether it is (approximately) a KKT point of the max-margin problem.

Needs the ``torch`` extra (``pip install torch==2.13.0``).
"""

# %%
# 1. Train in PyTorch
# -------------------
# Data from a width-2 teacher; the exponential loss; plain full-batch Adam. The
# output layer has no bias: with one, N(x) + c is not 2-homogeneous and the
# max-margin theory does not apply (pwl_kkt refuses such a module).
import tempfile
from pathlib import Path

import torch

from pwl_kkt import certify_kkt, count_regions, load_network, teacher_student_setup, train

setup = teacher_student_setup(r=2, n=30, k=12, seed=4)
x = torch.tensor(setup.data.x_float, dtype=torch.float64).reshape(-1, 1)
y = torch.tensor(setup.data.y, dtype=torch.float64)

torch.manual_seed(0)
model = torch.nn.Sequential(
    torch.nn.Linear(1, 12), torch.nn.ReLU(), torch.nn.Linear(12, 1, bias=False)
).double()
opt = torch.optim.Adam(model.parameters(), lr=0.02)
for _ in range(3000):
    opt.zero_grad()
    loss = torch.exp(-y * model(x).squeeze(1)).mean()
    loss.backward()
    opt.step()
print(f"torch: final loss {loss.item():.3g}")

# %%
# 2. Export and load
# ------------------
# Save the ``state_dict`` (not the pickled module): pwl_kkt reads it with
# ``torch.load(..., weights_only=True)`` and takes every float as its exact value.
path = Path(tempfile.mkdtemp()) / "net.pt"
torch.save(model.state_dict(), path)
net = load_network(path)
print(f"width {net.width}: {count_regions(net)} effective regions (exact)")

# %%
# 3. Certify
# ----------
# ``certify_kkt`` checks that every point is correctly classified (else it raises
# ``MisclassifiedError`` naming the points: there is nothing to certify), normalizes
# theta to minimum margin 1, and solves for multipliers. ``eps`` is the relative
# stationarity residual, ``delta`` the complementary-slackness mass.
cert = certify_kkt(net, setup.data, support_tol=1e-2)
print(f"eps = {cert.eps:.3g}, delta = {cert.delta:.3g}, support = {list(cert.support)}")
print("worst neurons (index, residual):", [(j, round(r, 3)) for j, r in cert.worst_neurons[:3]])

# %%
# 4. When it fails: keep training along the gradient-flow path
# ------------------------------------------------------------
# A large ``eps`` after a few thousand optimizer steps is the usual case: convergence
# in direction is slow. Continue with pwl_kkt's loss-normalized gradient flow (the
# same trajectory as gradient flow, with a much better clock) and certify again.
better, history = train(net, setup.data, steps=20000, lr=0.05, progress=False)
cert2 = certify_kkt(better, setup.data, support_tol=1e-2)
print(f"after {int(history.step[-1])} flow steps: eps = {cert2.eps:.3g} (was {cert.eps:.3g})")
