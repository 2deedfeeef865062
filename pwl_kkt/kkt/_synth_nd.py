"""KKT points of Problem (4) on R^d built by construction, for tests and benchmarks.

T clusters of support points. Cluster t has a centre ``c_t = R p_t`` (``p_t`` a rational unit
vector, the T directions spread like the vertices of a regular simplex, pairwise cosines
about ``-1/(T - 1)``), label ``y_t`` (alternating) and support points ``c_t +- e`` in
``pairs`` mirrored pairs with rational offsets ``e`` perpendicular to ``c_t``. Write
``xt = (x, 1)`` and ``rho = ||(c_t, 1)||`` (``xt = x`` and ``rho = R`` without hidden biases); R
is chosen so that rho is rational. Every support point of cluster t has
``(c_t, 1) . xt_i = rho^2``, and the mirrored pairs average to ``(c_t, 1)``, so with
``lambda_i = 1 / (rho * #points of the cluster)``

    g_t = sum_{i in cluster t} lambda_i y_i xt_i = y_t (c_t, 1) / rho,     ||g_t|| = 1.

Neurons of cluster t are ``u_j = a_j (c_t, 1) / rho``, ``v_j = y_t a_j`` (balanced, ``|v_j| =
||u_j||``), with magnitudes ``a_j`` whose squares sum to 1 (Pythagorean splitting, so they
stay rational). Then ``u_j = v_j g_t`` and ``v_j = u_j . g_t``: the KKT equations hold provided
each neuron is active exactly on its own cluster, which the construction checks exactly
(``(c_s, 1) . xt_i < 0`` for the points of other clusters; offsets are halved until it holds).
Every support point has margin ``rho``; the other points ``alpha c_t + e`` with ``alpha > 1``
have margin ``(alpha R^2 + 1) / rho > rho`` (``alpha R`` without biases).
"""

from __future__ import annotations

import math
from collections import deque
from fractions import Fraction

import numpy as np

from .. import _seeding
from ..model.data_nd import DatasetNd
from ..model.network_nd import NetworkNd

_TRIPLES = ((3, 4, 5), (5, 12, 13), (8, 15, 17))


def _magnitudes(count: int, rng: np.random.Generator) -> list[Fraction]:
    """``count`` positive rationals whose squares sum to 1."""
    queue = deque([Fraction(1)])
    while len(queue) < count:
        c = queue.popleft()
        a, b, h = _TRIPLES[int(rng.integers(len(_TRIPLES)))]
        queue.extend([c * a / h, c * b / h])
    return list(queue)


def _rational_unit(p: np.ndarray, den: int) -> tuple[Fraction, ...]:
    """A rational point of the unit sphere near ``p`` (inverse stereographic projection)."""
    if p.size == 1:
        return (Fraction(1 if p[0] >= 0 else -1),)
    t = [Fraction(float(c) / (1.0 - float(p[-1]))).limit_denominator(den) for c in p[:-1]]
    s = sum((c * c for c in t), Fraction(0))
    return tuple(2 * c / (s + 1) for c in t) + ((s - 1) / (s + 1),)


def _directions(d: int, T: int, rng: np.random.Generator) -> list[tuple[Fraction, ...]]:
    """T rational unit vectors in R^d placed like a randomly turned regular simplex."""
    if T == 1:
        p = rng.standard_normal(d)
        return [_rational_unit(p / np.linalg.norm(p), 64)]
    simplex = np.eye(T) - 1.0 / T  # rows: vertices in the hyperplane sum = 0 of R^T
    basis = np.linalg.svd(simplex)[2][: T - 1]  # orthonormal basis of that hyperplane
    coords = simplex @ basis.T  # (T, T - 1)
    q = np.linalg.qr(rng.standard_normal((d, d)))[0][:, : T - 1]
    pts = coords @ q.T
    pts /= np.linalg.norm(pts, axis=1, keepdims=True)
    out = [_rational_unit(p, 64) for p in pts]
    if T == 2:
        out[1] = tuple(-c for c in out[0])
    return out


def _dot(a, b) -> Fraction:  # noqa: ANN001
    return sum((p * q for p, q in zip(a, b)), Fraction(0))


def _perpendicular(c: tuple[Fraction, ...], length: float, rng: np.random.Generator):
    """A rational vector perpendicular to ``c`` of length about ``length`` (zero if d = 1)."""
    e = [Fraction(int(t)) for t in rng.integers(-9, 10, size=len(c))]
    cc = _dot(c, c)
    f = _dot(e, c) / cc
    e = [a - f * b for a, b in zip(e, c)]
    norm = float(np.sqrt(float(_dot(e, e))))
    if norm == 0:
        return [Fraction(0)] * len(c)
    scale = Fraction(length / norm).limit_denominator(1000)
    return [scale * a for a in e]


def _radius(T: int, bias: bool) -> Fraction:
    """R with ``R^2 >= 3 (T - 1)`` and ``R^2 + 1`` a rational square when there are biases."""
    if not bias:
        return Fraction(max(1, int(np.ceil(np.sqrt(3 * max(T - 1, 1))))))
    s = 3
    while True:
        r = Fraction(s * s - 1, 2 * s)
        if r * r >= 3 * max(T - 1, 1):
            return r
        s += 1


def kkt_instance_nd(
    d: int,
    k: int,
    n: int,
    *,
    clusters: int | None = None,
    pairs: int = 2,
    bias: bool = True,
    exact: bool = True,
    seed: int | np.random.Generator = 0,
    perturb: float = 0.0,
) -> tuple[NetworkNd, DatasetNd]:
    """An exact KKT point on R^d of width ``k`` with ``n`` points (module docstring).

    ``clusters`` defaults to ``min(d + 1, k)``; ``pairs`` mirrored pairs per cluster (0: one
    support point per cluster; forced to 0 when d = 1). ``exact=False`` gives float64
    arrays (rounded, so near-KKT); ``perturb > 0`` (floats only) multiplies every parameter
    by ``1 + perturb * N(0, 1)``.
    """
    T = min(d + 1, k) if clusters is None else clusters
    if d == 1:
        T, pairs = min(T, 2), 0
    if not 1 <= T <= min(d + 1, k):
        raise ValueError(f"need 1 <= clusters <= min(d + 1, k); got {T}")
    per = 2 * pairs if pairs else 1
    if n < T * per:
        raise ValueError(f"n = {n} is below the {T * per} support points")
    rng = _seeding.rng(seed)
    R = _radius(T, bias)
    centres = [tuple(R * c for c in p) for p in _directions(d, T, rng)]
    one = (Fraction(1),) if bias else ()
    ct = [c + one for c in centres]
    rho2 = _dot(ct[0], ct[0])
    rho = Fraction(math.isqrt(rho2.numerator), math.isqrt(rho2.denominator))
    if rho * rho != rho2:  # pragma: no cover - R is chosen to make it a square
        raise AssertionError(f"||(c, 1)||^2 = {rho2} is not a rational square")
    labels = [1 if t % 2 == 0 else -1 for t in range(T)]

    def outside(t: int, x: list[Fraction]) -> bool:
        xt = tuple(x) + one
        return all(_dot(ct[s], xt) < 0 for s in range(T) if s != t)

    points: list[tuple[Fraction, ...]] = []
    ys: list[int] = []
    length = float(R) / 8
    for t, c in enumerate(centres):
        if not pairs:
            if not outside(t, list(c)):
                raise ValueError("cluster centres too close; use fewer clusters")
            points.append(c)
            ys.append(labels[t])
            continue
        for _ in range(pairs):
            scale = length
            while True:
                e = _perpendicular(c, scale, rng)
                plus = [a + b for a, b in zip(c, e)]
                minus = [a - b for a, b in zip(c, e)]
                if outside(t, plus) and outside(t, minus):
                    break
                scale /= 2
            points += [tuple(plus), tuple(minus)]
            ys += [labels[t], labels[t]]
    seen = set(points)
    for _ in range(100 * n):
        if len(points) >= n:
            break
        t = int(rng.integers(T))
        alpha = 1 + Fraction(int(rng.integers(100, 1001)), 1000)
        e = _perpendicular(centres[t], length * float(rng.random()), rng)
        x = tuple(alpha * a + b for a, b in zip(centres[t], e))
        if x not in seen and outside(t, list(x)):
            seen.add(x)
            points.append(x)
            ys.append(labels[t])
    else:  # pragma: no cover - the far points are outside the other clusters by construction
        raise ValueError("could not place the points off the support")
    sizes = [k // T + (1 if t < k % T else 0) for t in range(T)]
    w, b, v = [], [], []
    for t in range(T):
        for a in _magnitudes(sizes[t], rng):
            u = [a * q / rho for q in ct[t]]
            w.append(u[:d])
            b.append(u[d] if bias else Fraction(0))
            v.append(labels[t] * a)
    order = rng.permutation(k)
    w, b, v = [w[i] for i in order], [b[i] for i in order], [v[i] for i in order]
    perm = rng.permutation(len(points))
    points, ys = [points[i] for i in perm], [ys[i] for i in perm]
    if exact:
        return NetworkNd(w, b if bias else None, v), DatasetNd(points, ys)
    wf = np.array([[float(q) for q in row] for row in w])
    bf = np.array([float(q) for q in b])
    vf = np.array([float(q) for q in v])
    if perturb:
        wf = wf * (1.0 + perturb * rng.standard_normal(wf.shape))
        bf = bf * (1.0 + perturb * rng.standard_normal(bf.shape))
        vf = vf * (1.0 + perturb * rng.standard_normal(vf.shape))
    xf = np.array([[float(q) for q in row] for row in points])
    return NetworkNd(wf, bf if bias else None, vf), DatasetNd(xf, ys)
