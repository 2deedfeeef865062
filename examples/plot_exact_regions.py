"""
Exact effective linear regions
==============================

A network's kinks are where its neurons switch on, but not every kink is a
breakpoint: when several neurons kink at the same place their slope jumps add,
and if they add to exactly zero the two sides are one affine piece. Float
arithmetic cannot tell an exact cancellation from a jump of 1e-17; pwl_kkt can.
"""

# %%
# Two neurons kinking at 1/3 whose jumps cancel
# ---------------------------------------------
# Neuron (w, b) = (3, -1) and neuron (6, -2) both kink at t = 1/3. With output
# weights 2 and -1 their slope jumps are 2 * 3 and -1 * 6: they cancel.
from pwl_kkt import Network, count_regions, linear_regions, piecewise_linear

net = Network(w=[3, 6, 1, -1], b=[-1, -2, 0, 2], v=[2, -1, 1, "1/3"])
f = piecewise_linear(net)
print("breakpoints:", [str(t) for t in f.breakpoints])
print("slopes:     ", [str(s) for s in f.slopes])
print(linear_regions(net).table())

# %%
# The same network held as floats is decided exactly too: floats are dyadic
# rationals, and the float kinks -b/w are compared exactly where they tie.
print("exact count of the float network:", count_regions(net.to_float()))

# %%
# A trained-looking network: exact count vs tolerance mode
# --------------------------------------------------------
# Add kinks with tiny jumps (1e-13 of the others) and pairs a rounding error
# apart. The exact count sees every one; tolerance mode clusters and drops them.
import numpy as np

rng = np.random.default_rng(0)
w = np.concatenate([rng.standard_normal(6), rng.standard_normal(20)])
b = np.concatenate([rng.standard_normal(6), rng.standard_normal(20)])
v = np.concatenate([rng.standard_normal(6), 1e-13 * rng.standard_normal(20)])
noisy = Network(w, b, v)
print("exact:", count_regions(noisy), " tolerance 1e-9:", count_regions(noisy, tol=1e-9))

# %%
# The picture: exact kinks as ticks, effective regions shaded.
from pwl_kkt.plot import plot_network

ax = plot_network(noisy, tol=1e-9)
