"""The O((n + k) log(n + k)) forward pass and gradient of Safran et al.'s empirical loss (Eq. 2).

Sort the data once. For neuron j the float pre-activation ``z_ij = fl(fl(w_j x_i) + b_j)``
is monotone in ``x_i`` (rounding is monotone), so its active set ``{i : z_ij > 0}`` is a
half-line of the sorted data: a suffix for ``w_j > 0``, a prefix for ``w_j < 0``, all or
nothing for ``w_j = 0``. Its end is found by binary search on exactly that float predicate
(a ``searchsorted`` guess at ``-b_j / w_j``, checked, with a vectorized bisection where the
guess is off), so activity agrees bit for bit with the dense rule ``relu'(z) = [z > 0]``:
a point exactly on a kink (``z_ij == 0``) is inactive. That is the Clarke selection
``relu'(0) = 0``.

Then, with bincounts and prefix sums,

    N(x_i) = x_i * sum_{j active at i} v_j w_j + sum_{j active at i} v_j b_j,
    dL/dw_j = v_j S1_j,  dL/db_j = v_j S0_j,  dL/dv_j = w_j S1_j + b_j S0_j,

where ``S1_j, S0_j`` are the sums of ``g_i x_i`` and ``g_i`` over neuron j's active half-line
and ``g_i`` is the per-point loss derivative coefficient.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SortedData:
    """Data sorted once by x: ``xs`` ascending, labels ``ys`` (float ±1) in the same order."""

    xs: np.ndarray
    ys: np.ndarray

    @classmethod
    def build(cls, x: np.ndarray, y: np.ndarray) -> SortedData:
        order = np.argsort(x, kind="stable")
        return cls(np.ascontiguousarray(x[order]), np.asarray(y, dtype=np.float64)[order])

    @property
    def n(self) -> int:
        return int(self.xs.shape[0])


@dataclass(frozen=True)
class Activity:
    """Active half-lines: neuron j is active on sorted indices ``[lo_j, hi_j)``.

    ``pos``/``neg`` index the neurons with ``w > 0`` (active on a suffix, from ``lo``) and
    ``w < 0`` (active on a prefix, up to ``hi``); ``const`` those with ``w = 0, b > 0``
    (active everywhere).
    """

    lo: np.ndarray
    hi: np.ndarray
    pos: np.ndarray
    neg: np.ndarray
    const: np.ndarray


def _first_true(pred, n: int, guess: np.ndarray) -> np.ndarray:
    """First index in ``[0, n]`` where the monotone (False..., True...) ``pred`` holds.

    ``pred(idx, sel)`` evaluates the predicate of the neurons ``sel`` at indices ``idx``.
    """
    k = guess.shape[0]
    allsel = np.arange(k)
    p = guess.copy()
    ok_right = np.ones(k, dtype=bool)
    inside = p < n
    ok_right[inside] = pred(p[inside], allsel[inside])
    ok_left = np.ones(k, dtype=bool)
    pos = p > 0
    ok_left[pos] = ~pred(p[pos] - 1, allsel[pos])
    bad = np.flatnonzero(~(ok_right & ok_left))
    if bad.size:
        lo = np.zeros(bad.size, dtype=np.int64)
        hi = np.full(bad.size, n, dtype=np.int64)
        while True:
            open_ = lo < hi
            if not open_.any():
                break
            idx = np.flatnonzero(open_)
            mid = (lo[idx] + hi[idx]) // 2
            val = pred(mid, bad[idx])
            hi[idx[val]] = mid[val]
            lo[idx[~val]] = mid[~val] + 1
        p[bad] = lo
    return p


def activity(w: np.ndarray, b: np.ndarray, data: SortedData) -> Activity:
    """Active half-line of every neuron, by the float predicate ``fl(fl(w x) + b) > 0``."""
    xs, n, k = data.xs, data.n, w.shape[0]
    lo = np.zeros(k, dtype=np.int64)
    hi = np.full(k, n, dtype=np.int64)
    pos = np.flatnonzero(w > 0)
    neg = np.flatnonzero(w < 0)
    zero = np.flatnonzero(w == 0)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        if pos.size:
            wp, bp = w[pos], b[pos]
            t = -bp / wp  # a nan guess is only a guess: it is checked
            guess = np.searchsorted(xs, t, side="right").astype(np.int64)
            lo[pos] = _first_true(lambda i, s: wp[s] * xs[i] + bp[s] > 0, n, guess)
        if neg.size:
            wn, bn = w[neg], b[neg]
            t = -bn / wn
            guess = np.searchsorted(xs, t, side="left").astype(np.int64)
            hi[neg] = _first_true(lambda i, s: ~(wn[s] * xs[i] + bn[s] > 0), n, guess)
    const = zero[b[zero] > 0]
    hi[zero[~(b[zero] > 0)]] = 0
    return Activity(lo, hi, pos, neg, const)


def outputs(w: np.ndarray, b: np.ndarray, v: np.ndarray, data: SortedData, act: Activity):
    """``N(x_i)`` at the sorted data: ``x_i`` times the active ``sum v w`` plus ``sum v b``."""
    return active_sums(w, v * w, v * b, data, act)


def output_derivative(
    w: np.ndarray,
    b: np.ndarray,
    v: np.ndarray,
    d: tuple[np.ndarray, np.ndarray, np.ndarray],
    data: SortedData,
    act: Activity,
) -> np.ndarray:
    """Directional derivative of ``N(x_i)`` along ``d = (d_w, d_b, d_v)`` at fixed activity.

    ``sum_{j active at i} v_j (d_wj x_i + d_bj) + d_vj (w_j x_i + b_j)``.
    """
    dw, db, dv = d
    return active_sums(w, v * dw + dv * w, v * db + dv * b, data, act)


def active_sums(
    w: np.ndarray, slope: np.ndarray, inter: np.ndarray, data: SortedData, act: Activity
) -> np.ndarray:
    """``x_i * sum slope_j + sum inter_j`` over the neurons j active at each sorted point."""
    n = data.n
    return data.xs * _split_cumsum(w, act, slope, n) + _split_cumsum(w, act, inter, n)


def _split_cumsum(w: np.ndarray, act: Activity, weights: np.ndarray, n: int) -> np.ndarray:
    """Sum of ``weights_j`` over the neurons active at each sorted index, without cancellation.

    Suffix neurons (``w > 0``) are accumulated left to right from their start, prefix neurons
    (``w < 0``) right to left from their end, and all-active constants are added; no
    neuron is ever added and later subtracted.
    """
    total = np.zeros(n)
    if act.pos.size:
        cnt = np.bincount(act.lo[act.pos], weights=weights[act.pos], minlength=n + 1)
        total += np.cumsum(cnt[:n])
    if act.neg.size:
        cnt = np.bincount(act.hi[act.neg], weights=weights[act.neg], minlength=n + 1)
        # active at i iff hi_j > i: sum of cnt[m] for m > i.
        total += np.cumsum(cnt[:0:-1])[::-1]
    if act.const.size:
        total += weights[act.const].sum()
    return total


def param_grads(
    w: np.ndarray, b: np.ndarray, v: np.ndarray, data: SortedData, act: Activity, g: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradient of ``sum_i g_i N(x_i)`` w.r.t. (w, b, v); ``g`` in sorted order."""
    gx = g * data.xs
    s0 = np.zeros_like(w)
    s1 = np.zeros_like(w)
    if act.pos.size:
        # suffix sums suf[i] = sum_{m >= i}, with suf[n] = 0
        suf0 = np.append(np.cumsum(g[::-1])[::-1], 0.0)
        suf1 = np.append(np.cumsum(gx[::-1])[::-1], 0.0)
        at = act.lo[act.pos]
        s0[act.pos] = suf0[at]
        s1[act.pos] = suf1[at]
    if act.neg.size:
        # prefix sums pre[i] = sum_{m < i}, with pre[0] = 0
        pre0 = np.concatenate([[0.0], np.cumsum(g)])
        pre1 = np.concatenate([[0.0], np.cumsum(gx)])
        at = act.hi[act.neg]
        s0[act.neg] = pre0[at]
        s1[act.neg] = pre1[at]
    if act.const.size:
        s0[act.const] = g.sum()
        s1[act.const] = gx.sum()
    return v * s1, v * s0, w * s1 + b * s0


def kink_sums(
    w: np.ndarray, b: np.ndarray, data: SortedData, act: Activity, g: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(K0_j, K1_j)``: the sums of ``g_i`` and ``g_i x_i`` over the points exactly on kink j.

    A point is on neuron j's kink when ``fl(fl(w_j x_i) + b_j) == 0``: the Clarke selection
    ``relu'(0) = 0`` leaves it out of ``A_j``, and ``relu'(0) = 1`` would add it. By
    monotonicity these points sit right next to the active half-line (just below ``lo_j`` for
    ``w_j > 0``, from ``hi_j`` on for ``w_j < 0``), so one check per neuron finds them; a
    neuron with ``w_j = b_j = 0`` has every point on its kink. O(k) plus the points found.
    """
    xs, n, k = data.xs, data.n, w.shape[0]
    k0 = np.zeros(k)
    k1 = np.zeros(k)
    cand = np.full(k, -1, dtype=np.int64)
    cand[act.pos] = act.lo[act.pos] - 1
    cand[act.neg] = act.hi[act.neg]
    step = np.where(w > 0, -1, 1)
    idx = np.flatnonzero((cand >= 0) & (cand < n))
    hit = idx[w[idx] * xs[cand[idx]] + b[idx] == 0]
    for j in hit.tolist():  # rare: a kink exactly on a data point
        i = int(cand[j])
        while 0 <= i < n and w[j] * xs[i] + b[j] == 0:
            k0[j] += g[i]
            k1[j] += g[i] * xs[i]
            i += int(step[j])
    dead = (w == 0) & (b == 0)
    if dead.any():
        k0[dead] = g.sum()
        k1[dead] = (g * xs).sum()
    return k0, k1
