"""F1 versus F2 max margin (Chizat & Bach 2020): training both layers versus the output layer only.

Normalisations (read this before comparing numbers)
---------------------------------------------------
Every predictor here is a function of ``x`` through the augmented point ``xt = (x, 1)``. Its
*margin per unit norm* in a function space ``F`` is ``min_i y_i h(x_i) / ||h||_F`` and the
*max margin* of ``F`` is ``gamma_F = max_{||h||_F <= 1} min_i y_i h(x_i)`` (Chizat & Bach 2020).

* **F1** (variation norm, both layers trained): ``||h||_F1 = min sum_j |v_j| ||(w_j, b_j)||``
  over networks ``h = sum_j v_j relu(w_j x + b_j)`` of any width (Chizat & Bach's TV form with the
  bias in the norm). With ``P* = min ||h||_F1`` subject to ``y_i h(x_i) >= 1``
  (:func:`pwl_kkt.optimum.global_max_margin`), ``gamma_F1 = 1 / P*``.
* **F2** (conjugate RKHS, output layer only, input weights ``u`` uniform on the unit circle):
  ``h(x) = E_u[c(u) relu(u . xt)]`` and ``||h||_F2^2 = E_u[c(u)^2]``. This is the RKHS of the
  kernel ``k(x, x') = E_u[relu(u . xt) relu(u . xt')]``, the arc-cosine kernel of order 1
  restricted to the circle (:func:`arccos_kernel`),

      k(x, x') = ||xt|| ||xt'|| (sin t + (pi - t) cos t) / (4 pi),   t = angle(xt, xt').

  (For ``u ~ N(0, I_2)`` Cho & Saul's formula has ``2 pi`` in the denominator; ``u = g / ||g||``
  with ``E ||g||^2 = 2`` independent of the direction gives the extra factor 1/2.) With
  ``Q* = min ||h||_F2^2`` subject to ``y_i h(x_i) >= 1`` (a hard-margin SVM without bias),
  ``gamma_F2 = 1 / sqrt(Q*)``.
* **Random features** (finite width ``k``): fixed ``u_1..u_k`` drawn uniformly on the circle,
  ``h(x) = (1/k) sum_j c_j relu(u_j . xt)`` and ``||h||^2 = (1/k) sum_j c_j^2`` (the empirical
  version of ``E_u[c(u)^2]``, so ``Q_k -> Q*`` as ``k -> infinity``); ``gamma_RF = 1/sqrt(Q_k)``.

Since ``E|c| <= sqrt(E c^2)``, ``||h||_F1 <= ||h||_F2``: the F2 ball lies inside the F1 ball and
``gamma_F2 <= gamma_F1`` (likewise ``gamma_RF <= gamma_F1``).

Safran, Vardi & Lee (2022) measure a network ``theta`` by its *normalised margin*
``gamma(theta) = min_i y_i N(x_i) / ||theta||^2``. By ``|v| ||(w, b)|| <= (v^2 + w^2 + b^2) / 2``
(equality for balanced neurons), ``||h||_F1 <= ||theta||^2 / 2``, so ``gamma(theta) <=
gamma_F1 / 2 = 1 / (2 P*)``, with equality at the global optimum. :func:`margin_report` therefore
puts everything on Safran, Vardi & Lee's scale by halving the function-space margins: F1 optimum
``1 / (2 P*)``, F2 optimum ``1 / (2 sqrt(Q*))``, random features ``1 / (2 sqrt(Q_k))``.

Closed form for one point ``(x0, y0)``: ``P* = 1 / ||xt0||`` and ``Q* = 1 / k(x0, x0) =
4 / ||xt0||^2``, so ``gamma_F1 = ||xt0||`` and ``gamma_F2 = ||xt0|| / 2``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import _seeding
from .data import Dataset, as_dataset
from .errors import InvalidValueError
from .network import Network

__all__ = [
    "F2MaxMargin",
    "MarginReport",
    "arccos_kernel",
    "kernel_max_margin",
    "margin_report",
    "network_margin",
    "random_directions",
    "random_feature_max_margin",
]


@dataclass(frozen=True)
class F2MaxMargin:
    """The max-margin classifier when only the output layer is trained (Chizat & Bach's F2).

    Attributes
    ----------
    kind : str
        ``"kernel"`` (infinite width, arc-cosine kernel) or ``"random_features"``.
    sq_norm : float
        ``Q = min ||h||^2`` subject to ``y_i h(x_i) >= 1`` (``inf`` when infeasible).
    margin : float
        ``1 / sqrt(Q)``: the max margin per unit F2 norm (``0`` when infeasible).
    normalized_margin : float
        ``margin / 2``: the same on Safran, Vardi & Lee's scale ``min y N / ||theta||^2``
        (see :mod:`pwl_kkt.f2`).
    n_features : int or None
        ``k`` for random features, ``None`` for the kernel.
    seed : int or None
        Seed of the random features.
    feasible : bool
        Whether some ``h`` in the model reaches margin 1 on every point.
    values : tuple of float
        ``h(x_i)`` of the optimal predictor at the data points.

    Examples
    --------
    >>> r = kernel_max_margin([0], [1])
    >>> round(r.sq_norm, 6), round(r.margin, 6)
    (4.0, 0.5)
    """

    kind: str
    sq_norm: float
    margin: float
    normalized_margin: float
    n_features: int | None
    seed: int | None
    feasible: bool
    values: tuple[float, ...]

    def to_dict(self) -> dict:
        """JSON-ready dictionary (``inf`` written as the string ``"inf"``).

        Examples
        --------
        >>> kernel_max_margin([0], [1]).to_dict()["kind"]
        'kernel'
        """
        return {
            "kind": self.kind,
            "sq_norm": self.sq_norm if math.isfinite(self.sq_norm) else "inf",
            "margin": self.margin,
            "normalized_margin": self.normalized_margin,
            "n_features": self.n_features,
            "seed": self.seed,
            "feasible": self.feasible,
            "values": list(self.values),
        }

    @classmethod
    def from_dict(cls, d: dict) -> F2MaxMargin:
        """Inverse of :meth:`to_dict`.

        Examples
        --------
        >>> r = kernel_max_margin([0, 1], [1, -1])
        >>> F2MaxMargin.from_dict(r.to_dict()) == r
        True
        """
        return cls(
            kind=str(d["kind"]),
            sq_norm=float(d["sq_norm"]),
            margin=float(d["margin"]),
            normalized_margin=float(d["normalized_margin"]),
            n_features=None if d["n_features"] is None else int(d["n_features"]),
            seed=None if d["seed"] is None else int(d["seed"]),
            feasible=bool(d["feasible"]),
            values=tuple(float(t) for t in d["values"]),
        )


def _augmented_norms(x: np.ndarray) -> np.ndarray:
    return np.hypot(x, 1.0)


def arccos_kernel(x1: object, x2: object | None = None) -> np.ndarray:
    """The F2 kernel ``k(x, x') = E_u[relu(<u, xt>) relu(<u, xt'>)]``, ``u`` uniform on the circle.

    Closed form (arc-cosine kernel of order 1 on the unit circle, ``xt = (x, 1)``)::

        k(x, x') = (||xt|| ||xt'|| sin t + (pi - t) (x x' + 1)) / (4 pi),
        t = atan2(|x - x'|, x x' + 1)  (the angle between xt and xt'),

    using ``||xt|| ||xt'|| sin t = |x - x'|`` (the 2D cross product).

    Parameters
    ----------
    x1, x2 : array_like
        One-dimensional inputs (``x2`` defaults to ``x1``).

    Returns
    -------
    numpy.ndarray
        The ``len(x1)`` by ``len(x2)`` kernel matrix.

    Examples
    --------
    ``k(x, x) = (1 + x^2) / 4``:

    >>> arccos_kernel([0.0, 3.0]).round(6)
    array([[0.25    , 0.389337],
           [0.389337, 2.5     ]])
    """
    a = _float_vector(x1, "x1")
    b = a if x2 is None else _float_vector(x2, "x2")
    cross = np.abs(a[:, None] - b[None, :])
    dot = a[:, None] * b[None, :] + 1.0
    t = np.arctan2(cross, dot)
    return (cross + (math.pi - t) * dot) / (4.0 * math.pi)


def _float_vector(values: object, name: str) -> np.ndarray:
    if isinstance(values, Dataset):
        return np.asarray(values.x_float, dtype=np.float64)
    try:
        arr = np.asarray(values, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise InvalidValueError(f"{name} must be a sequence of real numbers") from None
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        i = int(bad[0])
        raise InvalidValueError(f"{name}[{i}]: {float(arr[i])!r} is not a finite number")
    return arr


def _min_norm_margin(R: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray | None]:
    """``min ||z||^2`` s.t. ``y_i (R z)_i >= 1``; returns ``(value, R z)`` or ``(inf, None)``."""
    import cvxpy as cp

    z = cp.Variable(R.shape[1])
    prob = cp.Problem(cp.Minimize(cp.sum_squares(z)), [cp.multiply(y, R @ z) >= 1])
    try:
        prob.solve(solver=cp.CLARABEL)
    except cp.error.SolverError:  # pragma: no cover - fallback solver
        prob.solve(solver=cp.SCS, eps=1e-9)
    if prob.status in ("infeasible", "infeasible_inaccurate"):
        return math.inf, None
    if prob.status not in ("optimal", "optimal_inaccurate"):  # pragma: no cover
        raise InvalidValueError(f"the F2 quadratic program ended with status {prob.status}")
    zv = np.asarray(z.value, dtype=np.float64)
    return float(zv @ zv), R @ zv


def _result(kind, sq, values, n_features, seed) -> F2MaxMargin:
    feasible = math.isfinite(sq)
    margin = 1.0 / math.sqrt(sq) if feasible and sq > 0 else 0.0
    return F2MaxMargin(
        kind=kind,
        sq_norm=sq,
        margin=margin,
        normalized_margin=margin / 2.0,
        n_features=n_features,
        seed=seed,
        feasible=feasible,
        values=() if values is None else tuple(float(t) for t in values),
    )


def kernel_max_margin(x: object, y: object = None) -> F2MaxMargin:
    """Infinite-width F2 max margin: the hard-margin SVM without bias for :func:`arccos_kernel`.

    ``Q* = min ||h||_H^2 s.t. y_i h(x_i) >= 1``. By the representer theorem ``h = sum_i a_i
    k(x_i, .)`` and ``||h||^2 = a^T K a``; with ``K = R R^T`` (eigendecomposition, null space
    dropped) and ``z = R^T a`` the program is ``min ||z||^2 s.t. y_i (R z)_i >= 1``, solved by
    cvxpy. The F2 max margin is ``1 / sqrt(Q*)``.

    Parameters
    ----------
    x, y : data
        A :class:`~pwl_kkt.Dataset` or the two sequences (equal ``x`` with different labels
        raise :class:`~pwl_kkt.NotSeparableError`).

    Returns
    -------
    F2MaxMargin

    Examples
    --------
    One point: ``Q* = 1 / k(x0, x0) = 4 / (1 + x0^2)``.

    >>> round(kernel_max_margin([2], [-1]).sq_norm, 6)
    0.8
    """
    data = as_dataset(x, y).require_separable()
    K = arccos_kernel(data.x_float)
    e, V = np.linalg.eigh(K)
    keep = e > 1e-12 * max(float(e[-1]), 1e-300)
    R = V[:, keep] * np.sqrt(e[keep])
    sq, values = _min_norm_margin(R, data.y.astype(np.float64))
    return _result("kernel", sq, values, None, None)


def random_directions(k: int, seed: int | np.random.Generator = 0) -> np.ndarray:
    """``k`` input weights ``(w_j, b_j)`` drawn uniformly on the unit circle (shape ``(k, 2)``).

    Examples
    --------
    >>> u = random_directions(3, seed=1)
    >>> np.allclose(np.hypot(u[:, 0], u[:, 1]), 1.0)
    True
    """
    if int(k) < 1:
        raise InvalidValueError(f"the number of random features must be >= 1; got {k}")
    phi = _seeding.rng(seed).uniform(0.0, 2.0 * math.pi, size=int(k))
    return np.stack([np.cos(phi), np.sin(phi)], axis=1)


def random_feature_max_margin(
    x: object, y: object = None, *, n_features: int = 1000, seed: int | np.random.Generator = 0
) -> F2MaxMargin:
    """Finite-width F2: max margin with the first layer frozen at random unit directions.

    With features ``phi_j(x) = relu(u_j . xt)`` (``u_j`` from :func:`random_directions`),
    ``h = (1/k) sum_j c_j phi_j`` and ``||h||^2 = (1/k) sum_j c_j^2``; substituting
    ``z = c / sqrt(k)`` gives ``Q_k = min ||z||^2 s.t. y_i (Phi z)_i / sqrt(k) >= 1``. The
    trained network is ``N(x) = sum_j v_j relu(u_j . xt)`` with ``v = c / k``. If the frozen
    features cannot separate the data the result is infeasible (``margin = 0``).

    Parameters
    ----------
    x, y : data
        A :class:`~pwl_kkt.Dataset` or the two sequences.
    n_features : int
        Number ``k`` of random features.
    seed : int
        Seed of the features.

    Returns
    -------
    F2MaxMargin

    Examples
    --------
    >>> r = random_feature_max_margin([0, 1], [1, -1], n_features=2000, seed=0)
    >>> k = kernel_max_margin([0, 1], [1, -1])
    >>> abs(r.sq_norm - k.sq_norm) / k.sq_norm < 0.1
    True
    """
    data = as_dataset(x, y).require_separable()
    u = random_directions(n_features, seed)
    Phi = np.maximum(np.outer(data.x_float, u[:, 0]) + u[:, 1], 0.0)
    R = Phi / math.sqrt(u.shape[0])
    sq, values = _min_norm_margin(R, data.y.astype(np.float64))
    return _result(
        "random_features", sq, values, int(u.shape[0]), _seeding.seed_record(seed)
    )


@dataclass(frozen=True)
class MarginReport:
    """A network's normalised margin next to the F1 and F2 optima, on Safran, Vardi & Lee's scale.

    All margins are ``min_i y_i h(x_i)`` divided by the norm of the model, halved for the
    function-space optima so that they compare with ``gamma(theta) = min y N / ||theta||^2``
    (:mod:`pwl_kkt.f2`): ``network <= f1`` always (up to solver accuracy), ``f2 <= f1``.

    Attributes
    ----------
    network : float
        ``gamma(theta)`` of the given network (``<= 0`` if it misclassifies a point).
    f1 : float
        ``1 / (2 P*)``: the largest ``gamma`` of any network of any width.
    f2 : float
        ``1 / (2 sqrt(Q*))``: F2 (kernel) max margin on the same scale.
    random_features : float or None
        ``1 / (2 sqrt(Q_k))`` for ``n_features`` random features, when requested.
    n_features : int or None
        ``k``.
    P_star : float
        The F1 optimum ``P*``.
    Q_star : float
        The F2 optimum ``Q*``.

    Examples
    --------
    >>> from pwl_kkt import Network
    >>> rep = margin_report(Network([0], [1], [1]), [4, -4], [1, 1])
    >>> round(rep.network, 6), round(rep.f1, 6), rep.f2 < rep.f1
    (0.5, 1.030776, True)
    """

    network: float
    f1: float
    f2: float
    random_features: float | None
    n_features: int | None
    P_star: float
    Q_star: float

    @property
    def ratio_f1(self) -> float:
        """``network / f1``: 1 for a globally optimal network."""
        return self.network / self.f1

    def to_dict(self) -> dict:
        """JSON-ready dictionary.

        Examples
        --------
        >>> from pwl_kkt import Network
        >>> sorted(margin_report(Network([0], [1], [1]), [1], [1]).to_dict())[:3]
        ['P_star', 'Q_star', 'f1']
        """
        return {
            "P_star": self.P_star,
            "Q_star": self.Q_star,
            "f1": self.f1,
            "f2": self.f2,
            "network": self.network,
            "random_features": self.random_features,
            "n_features": self.n_features,
        }

    @classmethod
    def from_dict(cls, d: dict) -> MarginReport:
        """Inverse of :meth:`to_dict`.

        Examples
        --------
        >>> from pwl_kkt import Network
        >>> rep = margin_report(Network([0], [1], [1]), [1], [1])
        >>> MarginReport.from_dict(rep.to_dict()) == rep
        True
        """
        rf = d.get("random_features")
        nf = d.get("n_features")
        return cls(
            network=float(d["network"]),
            f1=float(d["f1"]),
            f2=float(d["f2"]),
            random_features=None if rf is None else float(rf),
            n_features=None if nf is None else int(nf),
            P_star=float(d["P_star"]),
            Q_star=float(d["Q_star"]),
        )

    def table(self) -> str:
        """Plain-text table of the margins.

        Examples
        --------
        >>> from pwl_kkt import Network
        >>> print(margin_report(Network([0], [1], [1]), [0], [1]).table().splitlines()[0])
        normalised margin min y N / ||theta||^2
        """
        rows = [
            "normalised margin min y N / ||theta||^2",
            f"  trained network      {self.network:.6g}  ({self.ratio_f1:.4f} of F1)",
            f"  F1 optimum 1/(2P*)   {self.f1:.6g}  (P* = {self.P_star:.6g})",
            f"  F2 kernel optimum    {self.f2:.6g}  (Q* = {self.Q_star:.6g})",
        ]
        if self.random_features is not None:
            rows.append(f"  F2, {self.n_features} features  {self.random_features:.6g}")
        return "\n".join(rows)


def network_margin(net: Network, x: object, y: object = None) -> float:
    """The normalised margin ``gamma(theta) = min_i y_i N(x_i) / ||theta||^2`` (float).

    Examples
    --------
    >>> network_margin(Network([0], [1], [1]), [4, -4], [1, 1])
    0.5
    """
    data = as_dataset(x, y)
    f = net.to_float()
    sq = float(f.sq_norm)
    if sq == 0:
        return 0.0
    return float(np.min(data.y * np.asarray(f(data.x_float), dtype=np.float64))) / sq


def margin_report(
    net: Network,
    x: object,
    y: object = None,
    *,
    n_features: int | None = None,
    seed: int | np.random.Generator = 0,
    optimum: object = None,
) -> MarginReport:
    """A trained network's normalised margin next to the F1 and F2 max margins (Chizat & Bach 2020).

    ``network = min y N / ||theta||^2``, ``f1 = 1 / (2 P*)``
    (:func:`~pwl_kkt.optimum.global_max_margin`), ``f2 = 1 / (2 sqrt(Q*))``
    (:func:`kernel_max_margin`) and, with ``n_features``,
    ``1 / (2 sqrt(Q_k))`` (:func:`random_feature_max_margin`). See :mod:`pwl_kkt.f2` for why
    the halving puts all of them on one scale.

    Parameters
    ----------
    net : Network
        The trained network.
    x, y : data
        A :class:`~pwl_kkt.Dataset` or the two sequences.
    n_features : int, optional
        Also report a finite random-feature model of this width.
    seed : int
        Seed of the random features.
    optimum : optional
        A precomputed result of ``global_max_margin`` (anything with ``.P_star``).

    Returns
    -------
    MarginReport

    Examples
    --------
    The bias-only KKT point of Example 1 (Safran et al.) reaches half of the F1 optimum's margin:

    >>> rep = margin_report(Network([0], [1], [1]), [4, -4], [1, 1])
    >>> round(rep.ratio_f1, 6)
    0.485071
    """
    from .optimum import global_max_margin

    data = as_dataset(x, y).require_separable()
    opt = optimum if optimum is not None else global_max_margin(data, exact=False)
    p_star = float(opt.P_star)
    ker = kernel_max_margin(data)
    rf = None
    if n_features is not None:
        rf = random_feature_max_margin(data, n_features=n_features, seed=seed).normalized_margin
    return MarginReport(
        network=network_margin(net, data),
        f1=1.0 / (2.0 * p_star),
        f2=ker.normalized_margin,
        random_features=rf,
        n_features=None if n_features is None else int(n_features),
        P_star=p_star,
        Q_star=ker.sq_norm,
    )
