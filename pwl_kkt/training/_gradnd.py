"""The forward pass and gradient of the empirical loss on R^d: BLAS, one pass over row chunks.

For ``N(x) = sum_j v_j relu(w_j . x + b_j)`` and data ``X`` (n x d), a chunk of rows at a
time (so memory stays bounded, O(chunk * k)):

    Z = X W^T + b   (one GEMM, then the bias),   A = [Z > 0],   N = relu(Z) v,

with the Clarke selection ``relu'(0) = 0``: a point exactly on a neuron's kink
(``z_ij == 0`` in float64) is inactive. With ``g_i`` the loss derivative coefficients of the
points, the gradient needs one more GEMM of the 0/1 mask:

    [S1 | S0] = A^T [g X | g]   (k x (d + 1)),
    dL/dW = v * S1,   dL/db = v * S0,   dL/dv_j = w_j . S1_j + b_j S0_j,

the formulas of the univariate engine (:mod:`pwl_kkt.training._fastgrad`) with its prefix
sums replaced by a matrix product. Without hidden biases the ``b`` and ``S0`` parts are left
out. ``g_i`` is proportional to ``exp(log(-l'(q_i)) - log sum_m l(q_m))``, which needs every
margin before the first chunk's gradient could be normalized; instead each chunk's weights
are taken relative to the largest ``log(-l'(q_i))`` seen so far and the running sums are
rescaled when it grows (the streaming log-sum-exp), so one pass over the data computes the
loss and ``grad L / L`` together, in a log frame that never overflows or underflows.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from ..model.network_nd import NetworkNd
from . import _flow
from ._evaluation import Evaluation, log_loss_terms

#: Entries of one chunk's n x k block (32 MB of float64, plus two boolean blocks): memory
#: stays bounded whatever n, and each BLAS call is large. Measured (``benchmarks/bench_nd.py``
#: on 2 shared cores, n k = 10^7): 2^22 took 1.3-3.6x less time a step than 2^18, whose
#: cache-sized blocks win on an idle core but pay a thread synchronization per small call.
CHUNK_ENTRIES = 2**22


class NdEngine:
    """Loss, ``grad L / L`` and their helpers for networks of width ``k`` on fixed data in R^d.

    The flat parameter vector is ``theta = (W row by row, b, v)``, without ``b`` when the
    network has no hidden biases (the layout of :meth:`NetworkNd.theta`). The engine owns
    its work buffers, so one engine serves a whole training run without allocating n x k
    arrays.

    Examples
    --------
    >>> eng = NdEngine(np.array([[1.0, 2.0]]), np.array([1.0]), k=1, bias=False)
    >>> ev = eng.evaluate(np.array([1.0, 1.0, 0.5]), "exp")
    >>> float(ev.q[0]), float(ev.log_loss)
    (1.5, -1.5)
    """

    def __init__(
        self, x: np.ndarray, y: np.ndarray, k: int, bias: bool, chunk_entries: int | None = None
    ) -> None:
        self.x = np.ascontiguousarray(x, dtype=np.float64)
        self.ys = np.ascontiguousarray(y, dtype=np.float64)
        self.n, self.d = self.x.shape
        self.k, self.bias = int(k), bool(bias)
        rows = max(1, min(self.n, (chunk_entries or CHUNK_ENTRIES) // self.k))
        cols = self.d + self.bias
        self._z = np.empty((rows, self.k))
        self._on = np.empty((rows, self.k), dtype=bool)
        self._aux = np.empty((rows, self.k), dtype=bool)
        self._r = np.empty((rows, cols))
        self._prod = np.empty((self.k, cols))

    # --- parameters -------------------------------------------------------------------

    def split(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
        """Views ``(W (k, d), b or None, v)`` of a flat parameter vector."""
        kd = self.k * self.d
        w = theta[:kd].reshape(self.k, self.d)
        if self.bias:
            return w, theta[kd : kd + self.k], theta[kd + self.k :]
        return w, None, theta[kd:]

    def network(self, theta: np.ndarray) -> NetworkNd:
        """The float :class:`NetworkNd` of ``theta`` (copies, so later steps cannot alias it)."""
        w, b, v = self.split(theta)
        return NetworkNd(w.copy(), None if b is None else b.copy(), v.copy(), exact=False)

    # --- passes over the data ---------------------------------------------------------

    def _chunks(self) -> Iterator[tuple[int, int]]:
        rows = self._z.shape[0]
        for start in range(0, self.n, rows):
            yield start, min(start + rows, self.n)

    def _preactivation(self, w: np.ndarray, b: np.ndarray | None, s: int, e: int) -> np.ndarray:
        """``Z = X[s:e] W^T + b`` in the engine's block buffer."""
        z = self._z[: e - s]
        np.matmul(self.x[s:e], w.T, out=z)
        if b is not None:
            z += b
        return z

    def evaluate(self, theta: np.ndarray, loss: str, clarke: bool = False) -> Evaluation:
        """Margins, ``log L`` and ``grad L / L``; ``clarke`` picks the flow's minimum-norm element.

        With ``clarke=False`` the selection is ``relu'(0) = 0``. With ``clarke=True`` the
        points exactly on a neuron's kink contribute the fraction ``alpha_j in [0, 1]`` of
        their ``relu'(0) = 1`` term that makes neuron j's part of ``grad L / L`` shortest
        (as in the univariate engine).
        """
        w, b, v = self.split(theta)
        d, cols = self.d, self.d + self.bias
        q = np.empty(self.n)
        acc = np.zeros((self.k, cols))  # running A^T [u X | u]
        kinks = np.zeros((self.k, cols)) if clarke else None
        shift = -math.inf  # u_i = -y_i exp(log(-l'(q_i)) - shift)
        loss_max, loss_sum = -math.inf, 0.0  # sum_i exp(log l(q_i) - loss_max)
        on_kink = False
        with np.errstate(over="ignore", invalid="ignore"):
            for s, e in self._chunks():
                z = self._preactivation(w, b, s, e)
                hit = False
                if clarke:
                    on_zero = self._aux[: e - s]
                    np.equal(z, 0.0, out=on_zero)
                    hit = bool(on_zero.any())
                np.maximum(z, 0.0, out=z)
                qs = q[s:e]
                np.matmul(z, v, out=qs)
                qs *= self.ys[s:e]
                # relu(z) > 0 exactly where z > 0: the block becomes the 0/1 mask A in place.
                np.greater(z, 0.0, out=z)
                log_l, log_dl = log_loss_terms(qs, loss)
                loss_max, loss_sum = _streaming_sum(loss_max, loss_sum, log_l)
                top = float(np.max(log_dl))
                if top > shift:
                    if shift > -math.inf:
                        rescale = math.exp(shift - top)
                        acc *= rescale
                        if kinks is not None:
                            kinks *= rescale
                    shift = top
                if shift == -math.inf:  # every margin is +inf so far: no weight yet
                    continue
                u = np.exp(log_dl - shift)
                u *= -self.ys[s:e]
                r = self._r[: e - s]
                np.multiply(self.x[s:e], u[:, None], out=r[:, :d])
                if self.bias:
                    r[:, d] = u
                acc += np.matmul(z.T, r, out=self._prod)
                if hit:
                    on_kink = True
                    assert kinks is not None
                    np.copyto(z, on_zero)
                    kinks += np.matmul(z.T, r, out=self._prod)
            lse = loss_max if not math.isfinite(loss_max) else loss_max + math.log(loss_sum)
            # grad L / L = sum_i (l'(q_i) / sum_m l(q_m)) y_i grad N(x_i); -l' <= l keeps
            # shift <= lse, so this factor is at most 1.
            factor = math.exp(shift - lse) if shift > -math.inf else 0.0
            acc *= factor
        s1 = acc[:, :d]
        gw = v[:, None] * s1
        gv = np.einsum("ij,ij->i", w, s1)
        parts: list[np.ndarray] = [gw]
        if b is not None:
            s0 = acc[:, d]
            gb = v * s0
            gv += b * s0
            parts.append(gb)
        if on_kink:
            assert kinks is not None
            kinks *= factor
            extra = [v[:, None] * kinks[:, :d]] + ([v * kinks[:, d]] if b is not None else [])
            alpha = _flow.min_norm_clarke(tuple(parts), tuple(extra))
            parts = [
                p + (alpha[:, None] if p.ndim == 2 else alpha) * dp
                for p, dp in zip(parts, extra)
            ]
        grads = (parts[0].ravel(), *parts[1:], gv)
        return Evaluation(q, lse - math.log(self.n), grads, None, on_kink)

    def margin_derivative(
        self, theta: np.ndarray, direction: np.ndarray, at: np.ndarray, ev: object = None
    ) -> np.ndarray:
        """``dN(x_i)[e]`` at ``theta`` along ``e = direction``, with the activity of ``at``.

        The activity is recomputed from ``at`` (its evaluation ``ev`` keeps no n x k mask).

        ``sum_{j active at i} v_j (e_wj . x_i + e_bj) + e_vj (w_j . x_i + b_j)``
        ``= x_i . (A P_w)_i + (A P_b)_i`` with ``P_w = v e_W + e_v W``, ``P_b = v e_b + e_v b``.
        """
        w, b, v = self.split(theta)
        dw, db, dv = self.split(direction)
        w1, b1, _ = self.split(at)
        d = self.d
        p = np.empty((self.k, d + self.bias))
        p[:, :d] = v[:, None] * dw + dv[:, None] * w
        if b is not None and db is not None:
            p[:, d] = v * db + dv * b
        out = np.empty(self.n)
        for s, e in self._chunks():
            z = self._preactivation(w1, b1, s, e)
            np.greater(z, 0.0, out=z)
            t = z @ p
            out[s:e] = np.einsum("ij,ij->i", self.x[s:e], t[:, :d])
            if self.bias:
                out[s:e] += t[:, d]
        return out

    def same_activity(
        self, theta0: np.ndarray, ev0: object, theta1: np.ndarray, ev1: object
    ) -> bool:
        """Whether ``[z_ij > 0]`` is the same at both parameter vectors for every i and j.

        Recomputed chunk by chunk (the evaluations ``ev0, ev1`` keep no masks); stops at the
        first difference.
        """
        w0, b0, _ = self.split(theta0)
        w1, b1, _ = self.split(theta1)
        for s, e in self._chunks():
            before = self._on[: e - s]
            np.greater(self._preactivation(w0, b0, s, e), 0.0, out=before)
            after = self._aux[: e - s]
            np.greater(self._preactivation(w1, b1, s, e), 0.0, out=after)
            if not np.array_equal(before, after):
                return False
        return True


def _streaming_sum(top: float, total: float, a: np.ndarray) -> tuple[float, float]:
    """Fold ``a`` into ``total = sum exp(values - top)``, raising ``top`` to ``max(a)``.

    A ``top`` of ``+inf`` stays (the log-sum-exp is then ``+inf``); ``-inf`` values add 0.
    """
    m = float(np.max(a))
    if m > top:
        total = total * math.exp(top - m) if top > -math.inf else 0.0
        top = m
    if math.isfinite(top):
        total += float(np.sum(np.exp(a - top)))
    return top, total
