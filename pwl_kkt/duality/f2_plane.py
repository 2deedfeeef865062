"""F1 versus F2 max margin for data in the plane (Chizat & Bach 2020, in two dimensions).

The normalisations are those of :mod:`pwl_kkt.duality.f2` with ``xt = (x, 1)`` in R^3 and input
weights ``u`` uniform on the unit sphere S^2:

* **F1** (both layers trained): ``gamma_F1 = 1 / P*`` with ``P*`` from
  :func:`~pwl_kkt.duality.optimum_plane.global_max_margin_2d` (every activation pattern of the
  points, exactly), reported as ``1 / (2 P*)`` on Safran, Vardi & Lee's scale.
* **F2** (output layer only, infinite width): the RKHS of
  ``k(x, x') = E_u[relu(u . xt) relu(u . xt')]``. For a standard Gaussian ``g`` in R^3 Cho & Saul's
  arc-cosine kernel of order 1 is ``||a|| ||b|| (sin t + (pi - t) cos t) / (2 pi)``; with
  ``u = g / ||g||`` (independent of ``||g||``, ``E ||g||^2 = 3``)

      k(x, x') = (||xt x xt'|| + (pi - t) xt . xt') / (6 pi),   t = angle(xt, xt').

  ``Q* = min ||h||^2`` subject to ``y_i h(x_i) >= 1`` is a hard-margin SVM without bias, and the
  F2 margin on the same scale is ``1 / (2 sqrt(Q*))``.
* **Random features** (finite width ``k``): ``u_1..u_k`` uniform on S^2, ``h = (1/k) sum_j c_j
  relu(u_j . xt)``, ``||h||^2 = (1/k) sum_j c_j^2``; ``Q_k -> Q*`` as ``k`` grows.

One point ``x_0``: ``P* = 1 / ||xt_0||`` and ``Q* = 1 / k(x_0, x_0) = 6 / ||xt_0||^2``, so
``gamma_F2 / gamma_F1 = 1 / sqrt(6)`` (``1/2`` on the circle: the sphere spreads the features
thinner).
"""

from __future__ import annotations

import math

import numpy as np

from .. import _seeding
from ..errors import InvalidDataError, InvalidValueError
from ..model.data import Dataset
from ..model.data_nd import DatasetNd
from ..model.network_nd import NetworkNd
from .dual_plane import plane_dataset
from .f2 import F2MaxMargin, MarginReport, _min_norm_margin, _report, _result

__all__ = [
    "arccos_kernel_2d",
    "kernel_max_margin_2d",
    "margin_report_2d",
    "network_margin_2d",
    "random_directions_2d",
    "random_feature_max_margin_2d",
]


def _augmented(points: object, name: str) -> np.ndarray:
    if isinstance(points, Dataset):
        raise InvalidDataError(f"{name} needs points in the plane (d = 2); got d = 1")
    if isinstance(points, DatasetNd):
        if points.d != 2:
            raise InvalidDataError(f"{name} needs points in the plane (d = 2); got d = {points.d}")
        arr = np.asarray(points.x_float, dtype=np.float64)
    else:
        try:
            arr = np.asarray(points, dtype=np.float64)
        except (TypeError, ValueError):
            raise InvalidValueError(f"{name} must be an (n, 2) array of real numbers") from None
        if arr.ndim != 2 or arr.shape[1] != 2:
            got = arr.shape[1] if arr.ndim == 2 else arr.ndim
            raise InvalidDataError(f"{name} needs points in the plane (d = 2); got d = {got}")
        bad = np.argwhere(~np.isfinite(arr))
        if bad.size:
            i, c = (int(t) for t in bad[0])
            raise InvalidValueError(f"{name}[{i}][{c}]: {arr[i, c]!r} is not a finite number")
    return np.c_[arr, np.ones(arr.shape[0])]


def arccos_kernel_2d(x1: object, x2: object | None = None) -> np.ndarray:
    """The F2 kernel ``E_u[relu(<u, xt>) relu(<u, xt'>)]`` for ``u`` uniform on the sphere S^2.

    ``k(x, x') = (||xt x xt'|| + (pi - t) xt . xt') / (6 pi)`` with ``t = atan2(||xt x xt'||,
    xt . xt')`` the angle between ``xt = (x, 1)`` and ``xt' = (x', 1)`` (module docstring).

    Parameters
    ----------
    x1, x2 : array_like, shape (n, 2)
        Points in the plane (``x2`` defaults to ``x1``).

    Returns
    -------
    numpy.ndarray
        The ``n1 x n2`` kernel matrix.

    Examples
    --------
    ``k(x, x) = ||xt||^2 / 6``:

    >>> arccos_kernel_2d([[0.0, 0.0], [1.0, 2.0]]).diagonal().round(6)
    array([0.166667, 1.      ])
    """
    a = _augmented(x1, "x1")
    b = a if x2 is None else _augmented(x2, "x2")
    dot = a @ b.T
    cross = np.linalg.norm(np.cross(a[:, None, :], b[None, :, :]), axis=2)
    t = np.arctan2(cross, dot)
    return (cross + (math.pi - t) * dot) / (6.0 * math.pi)


def kernel_max_margin_2d(x: object, y: object = None) -> F2MaxMargin:
    """Infinite-width F2 max margin in the plane: the hard-margin SVM of :func:`arccos_kernel_2d`.

    ``Q* = min ||z||^2`` subject to ``y_i (R z)_i >= 1`` for a factor ``K = R R^T`` of the kernel
    matrix (eigen-decomposition; ``O(n^3)``, meant for ``n`` up to a few thousand), solved with
    cvxpy (Clarabel).

    Examples
    --------
    One point: ``Q* = 6 / ||xt_0||^2``.

    >>> round(kernel_max_margin_2d([[1, 2]], [1]).sq_norm, 6)
    1.0
    """
    data = plane_dataset(x, y, "kernel_max_margin_2d").require_separable()
    K = arccos_kernel_2d(data.x_float)
    evals, evecs = np.linalg.eigh(K)
    R = evecs * np.sqrt(np.clip(evals, 0.0, None))
    sq, values = _min_norm_margin(R, data.y.astype(np.float64))
    return _result("kernel", sq, values, None, None)


def random_directions_2d(k: int, seed: int | np.random.Generator = 0) -> np.ndarray:
    """``k`` input weights ``(w_1, w_2, b)`` uniform on the unit sphere S^2 (shape ``(k, 3)``).

    Examples
    --------
    >>> u = random_directions_2d(4, seed=1)
    >>> np.allclose(np.linalg.norm(u, axis=1), 1.0)
    True
    """
    if int(k) < 1:
        raise InvalidValueError(f"the number of random features must be >= 1; got {k}")
    g = _seeding.rng(seed).standard_normal((int(k), 3))
    return g / np.linalg.norm(g, axis=1)[:, None]


def random_feature_max_margin_2d(
    x: object, y: object = None, *, n_features: int = 1000, seed: int | np.random.Generator = 0
) -> F2MaxMargin:
    """Finite-width F2 in the plane: max margin with the first layer frozen on S^2.

    ``Q_k = min ||z||^2`` subject to ``y_i (Phi z)_i / sqrt(k) >= 1``, ``Phi_ij = relu(u_j . xt_i)``
    (:func:`random_directions_2d`); the network is ``sum_j (c_j / k) relu(u_j . xt)``.

    Examples
    --------
    >>> r = random_feature_max_margin_2d([[0, 0], [1, 1]], [1, -1], n_features=3000)
    >>> k = kernel_max_margin_2d([[0, 0], [1, 1]], [1, -1])
    >>> abs(r.sq_norm - k.sq_norm) / k.sq_norm < 0.1
    True
    """
    data = plane_dataset(x, y, "random_feature_max_margin_2d").require_separable()
    u = random_directions_2d(n_features, seed)
    Phi = np.maximum(_augmented(data, "x") @ u.T, 0.0)
    sq, values = _min_norm_margin(Phi / math.sqrt(u.shape[0]), data.y.astype(np.float64))
    return _result("random_features", sq, values, int(u.shape[0]), _seeding.seed_record(seed))


def network_margin_2d(net: NetworkNd, x: object, y: object = None) -> float:
    """``gamma(theta) = min_i y_i N(x_i) / ||theta||^2`` for a network on the plane (float).

    Examples
    --------
    >>> network_margin_2d(NetworkNd([[1, 0]], [0], [1]), [[2, 0]], [1])
    1.0
    """
    data = plane_dataset(x, y, "network_margin_2d")
    if not isinstance(net, NetworkNd) or net.d != 2:
        got = net.d if isinstance(net, NetworkNd) else 1
        raise InvalidDataError(
            f"network_margin_2d needs a network on the plane (d = 2); got d = {got}"
        )
    f = net.to_float()
    w, b, v = f.arrays()
    scale = max(float(np.max(np.abs(w))), float(np.max(np.abs(b))), float(np.max(np.abs(v))))
    if scale == 0:
        return 0.0
    e = math.frexp(scale)[1]  # gamma is scale-invariant; 2^-e theta cannot overflow or underflow
    g = NetworkNd(np.ldexp(w, -e), np.ldexp(b, -e), np.ldexp(v, -e))
    return float(np.min(data.y * g(data.x_float))) / float(g.sq_norm)


def margin_report_2d(
    net: NetworkNd,
    x: object,
    y: object = None,
    *,
    n_features: int | None = None,
    seed: int | np.random.Generator = 0,
    optimum: object = None,
) -> MarginReport:
    """A network's normalised margin next to the exact F1 and the F2 max margins, in the plane.

    ``network = min y N / ||theta||^2``, ``f1 = 1 / (2 P*)`` with ``P*`` from
    :func:`~pwl_kkt.duality.optimum_plane.global_max_margin_2d` (pass ``optimum`` to reuse one),
    ``f2 = 1 / (2 sqrt(Q*))`` (:func:`kernel_max_margin_2d`) and, with ``n_features``, the
    random-feature value. See :mod:`pwl_kkt.duality.f2` for the common scale.

    Returns
    -------
    MarginReport

    Examples
    --------
    One balanced neuron along ``xt_0`` is optimal for one point; F2 reaches ``1/sqrt(6)`` of it:

    >>> rep = margin_report_2d(NetworkNd([[0, 0]], [1], [1]), [[0, 0]], [1])
    >>> round(rep.ratio_f1, 6), round(rep.f2 / rep.f1, 6)
    (1.0, 0.408248)
    """
    from .optimum_plane import global_max_margin_2d

    data = plane_dataset(x, y, "margin_report_2d").require_separable()
    opt = optimum if optimum is not None else global_max_margin_2d(data, exact=False)
    p_star = float(opt.P_star)
    rf = None
    if n_features is not None:
        rf = random_feature_max_margin_2d(data, n_features=n_features, seed=seed).normalized_margin
    return _report(network_margin_2d(net, data), p_star, kernel_max_margin_2d(data), rf, n_features)
