"""
Effective regions vs width
==========================

Theorem 4.2 of Safran, Vardi & Lee (2022): however wide the student, gradient flow converges in
direction to a network with at most 32r + 67 linear regions (r = label changes of
the sample). Here one teacher and one sample, students of growing width, the same
training budget: the exact count, the tolerance-mode count, and the bound.
"""

# %%
import matplotlib.pyplot as plt

from pwl_kkt import (
    count_regions,
    init_network,
    label_changes,
    region_bound,
    teacher_student_setup,
    train,
)

setup = teacher_student_setup(r=2, n=30, k=2, seed=5)
r = label_changes(setup.data.x_float, setup.data.y)
widths = [3, 6, 12, 25, 50, 100, 200]
exact, tolerant = [], []
for k in widths:
    init = init_network(k, 1.0, 1.0 / k, seed=k)
    net, _ = train(init, setup.data, steps=8000, lr=0.05, progress=False)
    exact.append(count_regions(net))
    tolerant.append(count_regions(net, tol=1e-3))
    print(f"k = {k:4d}: {exact[-1]:4d} regions exact, {tolerant[-1]:4d} at tolerance 1e-3")

# %%
# Every neuron keeps a kink of its own, so the exact count of a finitely trained
# float network is k + 1; the tolerance count merges kinks that have nearly met,
# which is where gradient flow is heading.
fig, ax = plt.subplots(figsize=(6.5, 4), layout="constrained")
ax.plot(widths, exact, "o-", label="exact")
ax.plot(widths, tolerant, "s-", label="tolerance 1e-3")
ax.axhline(region_bound(max(r, 1)), color="tab:red", ls="--", label=f"32r + 67 (r = {r})")
ax.set_xscale("log")
ax.set_xlabel("width k")
ax.set_ylabel("effective linear regions")
ax.legend()
