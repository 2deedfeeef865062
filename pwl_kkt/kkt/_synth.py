"""KKT points of Problem (4) built by construction, for tests and benchmarks.

Two *template* neurons, each active on exactly one support point::

    p = 3/4,   y = +1,  u_1 = (3/5, 4/5)     = xt_p / ||xt_p||,  sigma_1 = +1
    q = -12/5, y = -1,  u_2 = (-12/13, 5/13) = xt_q / ||xt_q||,  sigma_2 = -1

A neuron ``c * (u, sigma)`` (so ``|v| = ||(w, b)||``, balanced) satisfies the KKT equations
``(w, b) = v g_A`` and ``v = (w, b) . g_A`` exactly when ``g_A = sigma u`` with
``g_A = sum_{i in A} lambda_i y_i xt_i`` over its active support points A. With
``lambda_p = 1 / ||xt_p|| = 4/5`` and ``lambda_q = 1 / ||xt_q|| = 5/13`` both templates hold,
whatever their magnitudes ``c``. Each template is split into many copies whose squared
magnitudes sum to 52 (template 1) and 25 (template 2), so that both support points have the
margin 52 * 5/4 = 25 * 13/5 = 65; every other data point lies where the margin exceeds 65.
Copies are made by Pythagorean splitting ``c -> (a c / h, b c / h)`` with ``a^2 + b^2 = h^2``, so
everything stays rational.
"""

from __future__ import annotations

from collections import deque
from fractions import Fraction

import numpy as np

from .. import _seeding
from ..model.data import Dataset
from ..model.network import Network

_TRIPLES = ((3, 4, 5), (5, 12, 13), (8, 15, 17))
P_SUPPORT = Fraction(3, 4)
Q_SUPPORT = Fraction(-12, 5)
LAMBDA_P = Fraction(4, 5)
LAMBDA_Q = Fraction(5, 13)
MARGIN = Fraction(65)


def _split(seeds: list[Fraction], count: int, rng: np.random.Generator) -> list[Fraction]:
    """Magnitudes with the same sum of squares as ``seeds``, ``count`` of them (breadth first)."""
    queue = deque(seeds)
    while len(queue) < count:
        c = queue.popleft()
        a, b, h = _TRIPLES[int(rng.integers(len(_TRIPLES)))]
        queue.append(c * a / h)
        queue.append(c * b / h)
    return list(queue)


def kkt_instance(
    k: int, n: int, *, seed: int | np.random.Generator = 0, exact: bool = True, perturb: float = 0.0
) -> tuple[Network, Dataset]:
    """An exact KKT point of width ``k`` with ``n`` data points (support: the two template points).

    ``exact=False`` gives float64 arrays (rounded, so near-KKT); ``perturb > 0`` (floats only)
    multiplies every parameter by ``1 + perturb * N(0, 1)``.
    """
    if k < 2 or n < 2:
        raise ValueError("kkt_instance needs k >= 2 and n >= 2")
    rng = _seeding.rng(seed)
    k1 = k // 2
    mags1 = _split([Fraction(6), Fraction(4)], k1, rng)
    mags2 = _split([Fraction(5)], k - k1, rng)
    w = [Fraction(3, 5) * c for c in mags1] + [Fraction(-12, 13) * c for c in mags2]
    b = [Fraction(4, 5) * c for c in mags1] + [Fraction(5, 13) * c for c in mags2]
    v = list(mags1) + [-c for c in mags2]
    order = rng.permutation(k)
    w, b, v = ([t[i] for i in order] for t in (w, b, v))

    xs = {P_SUPPORT: 1, Q_SUPPORT: -1}
    while len(xs) < n:
        if rng.random() < 0.5:
            q = Fraction(int(rng.integers(750_001, 4_000_001)), 10**6)  # (3/4, 4]
            xs.setdefault(q, 1)
        else:
            q = Fraction(-int(rng.integers(2_400_001, 4_000_001)), 10**6)  # [-4, -12/5)
            xs.setdefault(q, -1)
    items = list(xs.items())
    perm = rng.permutation(len(items))
    x = [items[i][0] for i in perm]
    y = [items[i][1] for i in perm]
    if exact:
        return Network(w, b, v), Dataset(x, y)
    arrays = [np.array([float(t) for t in p]) for p in (w, b, v)]
    if perturb:
        arrays = [a * (1.0 + perturb * rng.standard_normal(a.size)) for a in arrays]
    return Network(*arrays), Dataset(np.array([float(t) for t in x]), y)
