"""Dense O(n k) reference for the loss and its gradient (tests and benchmarks only).

The straightforward computation that :mod:`pwl_kkt.training.train` must reproduce to
rounding: ``z_ij = w_j x_i + b_j`` in float64, ``relu'(z) = (z > 0)`` (the Clarke
selection ``relu'(0) = 0``), ``N(x_i) = sum_j v_j relu(z_ij)`` and

    dL/dw_j = (1/n) sum_i l'(q_i) y_i v_j s_ij x_i,   s_ij = [z_ij > 0],
    dL/db_j = (1/n) sum_i l'(q_i) y_i v_j s_ij,
    dL/dv_j = (1/n) sum_i l'(q_i) y_i relu(z_ij),      q_i = y_i N(x_i).

Work is chunked over the data so memory stays O(chunk * k).
"""

from __future__ import annotations

import numpy as np

_CHUNK_ENTRIES = 2**22


def _loss_terms(q: np.ndarray, loss: str) -> tuple[np.ndarray, np.ndarray]:
    """Per-point ``l(q_i)`` and ``l'(q_i)`` computed the plain way (may over/underflow)."""
    if loss == "exp":
        e = np.exp(-q)
        return e, -e
    if loss == "logistic":
        return np.logaddexp(0.0, -q), -1.0 / (1.0 + np.exp(q))
    raise ValueError(f"unknown loss {loss!r}")


def dense_outputs(w: np.ndarray, b: np.ndarray, v: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``N(x_i)`` for every i by the O(n k) formula."""
    out = np.empty(x.shape[0])
    chunk = max(1, _CHUNK_ENTRIES // max(1, w.shape[0]))
    for s in range(0, x.shape[0], chunk):
        z = np.multiply.outer(x[s : s + chunk], w) + b
        out[s : s + chunk] = np.maximum(z, 0.0) @ v
    return out


def dense_loss_and_grad(
    w: np.ndarray, b: np.ndarray, v: np.ndarray, x: np.ndarray, y: np.ndarray, loss: str = "exp"
) -> tuple[float, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Loss (Eq. 2 of Safran, Vardi & Lee (2022)) and its gradient by the dense O(n k) formulas."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = x.shape[0]
    q = y * dense_outputs(w, b, v, x)
    values, slopes = _loss_terms(q, loss)
    g = slopes * y / n
    dw = np.zeros_like(w)
    db = np.zeros_like(w)
    dv = np.zeros_like(w)
    chunk = max(1, _CHUNK_ENTRIES // max(1, w.shape[0]))
    for s in range(0, n, chunk):
        xs, gs = x[s : s + chunk], g[s : s + chunk]
        z = np.multiply.outer(xs, w) + b
        active = z > 0.0
        gx = gs * xs
        dw += v * (gx @ active)
        db += v * (gs @ active)
        dv += gs @ np.maximum(z, 0.0)
    return float(values.mean()), (dw, db, dv)
