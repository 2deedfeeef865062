"""Synthetic KKT points of Problem (4) at any size, exact by construction.

Two mirrored clusters built from the Pythagorean triple (p, q, r) = (4, 3, 5):

* cluster A: neurons ``alpha_j (4, 3, 5)`` (kink at -3/4, active to the right),
* cluster B: neurons ``alpha_j (-4, 3, -5)`` (kink at 3/4, active to the left),

with the same multiset of ``alpha_j`` in both, so ``N(4/3) = -N(-4/3) = (125/3) sum alpha^2``.
The support is ``x = 4/3`` (label +1) and ``x = -4/3`` (label -1), and every neuron is
stationary with ``lambda = q / r = 3/5`` on both support points (unnormalized form
``theta = sum_i lambda_i h_i(theta)``; each neuron is balanced, ``v^2 = w^2 + b^2``).
The other ``n - 2`` points lie beyond the support (``x > 4/3`` labelled +1, ``x < -4/3``
labelled -1), where the margin is larger: ``y N(x) / y N(+-4/3) = (4 |x| + 3) / (25/3)``.

``family="constant"`` (Example 1 writ large): neurons ``alpha_j (0, 1, 1)``, so ``N`` is the
constant ``sum alpha^2``, and ``n`` distinct points labelled +1 on both sides of 0. Every
point is a support point; the KKT system reduces to ``sum lambda_i = 1`` and ``sum lambda_i
x_i = 0`` with ``lambda >= 0``: feasible iff 0 lies in the convex hull of the x_i, so with
``positive_only=True`` (all x_i > 0) the instance is provably not KKT.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from .. import _seeding
from ..errors import InvalidValueError
from ..model.data import Dataset
from ..model.network import Network

__all__ = ["kkt_instance"]


def kkt_instance(
    n: int,
    k: int,
    *,
    noise: float = 0.0,
    seed: int | np.random.Generator | None = None,
    exact: bool = False,
    family: str = "clusters",
    positive_only: bool = False,
) -> tuple[Network, Dataset]:
    """A KKT point of Problem (4) with ``n`` points and ``k`` neurons (near-KKT if ``noise``).

    Parameters
    ----------
    n, k : int
        Data size (>= 2) and width (>= 2; an odd width adds one dead neuron ``(0, 0, 0)``).
    noise : float
        Relative perturbation: every parameter is multiplied by ``1 + noise * g`` with
        ``g`` standard normal (float networks only).
    seed : int, optional
        Seed of the random cluster weights, data positions and noise.
    exact : bool
        Return an exact network and dataset (small rational weights) instead of floats.
    family : {"clusters", "constant"}
        The construction (see :mod:`pwl_kkt.kkt.synthetic`).
    positive_only : bool
        ``family="constant"`` only: put every x_i > 0, which makes the instance not KKT.

    Returns
    -------
    (Network, Dataset)

    Examples
    --------
    >>> net, data = kkt_instance(6, 4, exact=True, seed=0)
    >>> net.width, data.n
    (4, 6)
    >>> from pwl_kkt.kkt.numeric import certify_kkt
    >>> certify_kkt(net, data).is_kkt
    True
    """
    if n < 2 or k < 2:
        raise InvalidValueError(f"kkt_instance needs n >= 2 and k >= 2; got n={n}, k={k}")
    if exact and noise:
        raise InvalidValueError("noise applies to float instances only (exact=False)")
    rng = _seeding.rng(seed)
    if family == "constant":
        return _constant(n, k, rng, exact=exact, noise=noise, positive_only=positive_only)
    if family != "clusters":
        raise InvalidValueError(f"family: {family!r} is not 'clusters' or 'constant'")
    half = k // 2
    n_pos = (n - 2) // 2
    n_neg = n - 2 - n_pos
    if exact:
        alpha = [Fraction(int(a), 4) for a in rng.integers(1, 9, size=half)]
        beta = alpha[::-1]
        w = [4 * a for a in alpha] + [-4 * a for a in beta]
        b = [3 * a for a in alpha] + [3 * a for a in beta]
        v = [5 * a for a in alpha] + [-5 * a for a in beta]
        if k % 2:
            w, b, v = w + [0], b + [0], v + [0]
        gaps = [Fraction(int(t), 8) for t in rng.integers(1, 80, size=n_pos + n_neg)]
        xs = [Fraction(4, 3)] + [Fraction(4, 3) + g for g in gaps[:n_pos]]
        xs += [Fraction(-4, 3)] + [Fraction(-4, 3) - g for g in gaps[n_pos:]]
        ys = [1] * (n_pos + 1) + [-1] * (n_neg + 1)
        order = rng.permutation(k)
        return Network(w, b, v).permuted(order), Dataset(xs, ys)
    alpha = rng.uniform(0.5, 2.0, size=half)
    alpha /= np.linalg.norm(alpha)
    beta = alpha[rng.permutation(half)]
    w = np.concatenate([4 * alpha, -4 * beta])
    b = np.concatenate([3 * alpha, 3 * beta])
    v = np.concatenate([5 * alpha, -5 * beta])
    if k % 2:
        w, b, v = (np.append(t, 0.0) for t in (w, b, v))
    if noise:
        w, b, v = (t * (1 + noise * rng.standard_normal(k)) for t in (w, b, v))
    gaps = rng.uniform(0.1, 10.0, size=n_pos + n_neg)
    xs = np.concatenate([[4 / 3], 4 / 3 + gaps[:n_pos], [-4 / 3], -4 / 3 - gaps[n_pos:]])
    ys = np.concatenate([np.ones(n_pos + 1), -np.ones(n_neg + 1)])
    perm = rng.permutation(n)
    order = rng.permutation(k)
    return Network(w[order], b[order], v[order]), Dataset(xs[perm], ys[perm])


def _constant(
    n: int, k: int, rng: np.random.Generator, *, exact: bool, noise: float, positive_only: bool
) -> tuple[Network, Dataset]:
    picks = rng.choice(np.arange(1, 40 * n + 1), size=n, replace=False)
    if exact:
        alpha = [Fraction(int(a), 4) for a in rng.integers(1, 9, size=k)]
        xs = [Fraction(int(t), 8) for t in picks]
        if not positive_only:
            xs = [t if a % 2 else -t for a, t in enumerate(xs)]
        net = Network([0] * k, alpha, alpha)
        return net, Dataset(xs, [1] * n)
    a = rng.uniform(0.5, 2.0, size=k)
    x = picks / 8.0
    if not positive_only:
        x = np.where(np.arange(n) % 2 == 1, x, -x)
    w, b, v = np.zeros(k), a.copy(), a.copy()
    if noise:
        w, b, v = (t * (1 + noise * rng.standard_normal(k)) for t in (w, b, v))
        w = noise * rng.standard_normal(k)
    return Network(w, b, v), Dataset(x, np.ones(n))
