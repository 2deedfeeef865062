"""Exact signs of the inner products ``x_i . x_j`` of a dataset, fast.

The sign of ``x_i . x_j`` does not change when ``x_i`` is multiplied by a positive number,
so every point is first replaced by a positive multiple that is a float64 row with its
largest entry in ``[1/2, 1)``: a float point (or an exact point whose entries are floats)
is scaled by a power of two (exact unless an entry would become subnormal), another exact
point by the common denominator of its entries and then a power of two (exact when the
resulting integers are below ``2^53``). A point that cannot be held exactly this way is
left to exact arithmetic.

The Gram matrix of these rows is computed in float64 by blocks of rows (BLAS), together
with ``A = |X| |X|^T``. In IEEE arithmetic with round to nearest, an inner product of
length ``d`` evaluated in any order (with or without fused multiply-add) satisfies
``|fl(x . y) - x . y| <= gamma_d |x| . |y|``, ``gamma_d = d u / (1 - d u)``, ``u = 2^-53``
(Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., eq. 3.5), as long as no
product underflows. Hence the float sign is the exact sign when

* ``|G_ij| > 2 d u A_ij`` (which exceeds ``gamma_d A`` after the rounding of ``A`` itself),
* or ``A_ij = 0``: every product is then exactly zero, and so is ``x_i . x_j``,
* or the entries are integers times ``2^lo_i`` and ``2^lo_j`` small enough that every
  partial sum is an integer below ``2^53`` times ``2^(lo_i + lo_j)``: the float computation
  is then exact (small rationals and dyadic data, including exact zeros by cancellation).

The first two rules need no underflow: they are applied only when the smallest nonzero
entries of the two rows have a product of at least ``2^-1022``. Every other pair is decided
in exact integer arithmetic.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from .._rational import fraction_to_float
from ..model.data_nd import DatasetNd

__all__ = ["first_offending_pair", "integer_row"]

_U = 2.0**-53
_BLOCK_ENTRIES = 2**20  # entries of one block of the Gram matrix (8 MiB per float array)
_NO_ENTRY = 1 << 20  # exponent stand-in for "no nonzero entry" (larger than any real one)


def integer_row(row: tuple[Fraction, ...]) -> tuple[int, ...]:
    """The smallest positive multiple of ``row`` with integer entries."""
    den = 1
    for q in row:
        den = math.lcm(den, q.denominator)
    return tuple(q.numerator * (den // q.denominator) for q in row)


def first_offending_pair(data: DatasetNd) -> tuple[tuple[int, int] | None, int]:
    """The first pair ``(i, j)``, ``i <= j``, in row-major order, with the wrong sign.

    Equal labels need ``x_i . x_j > 0``, different labels ``x_i . x_j <= 0``: with labels
    folded into the rows, ``s_ij = y_i y_j x_i . x_j`` must be ``> 0``, or ``= 0`` for
    different labels. Returns the pair (``None`` when there is none) and how many pairs
    were decided exactly in integers.
    """
    rows, ok = _scaled_rows(data)
    lo, bits, min_exp = _row_exponents(rows)
    labels = data.y.astype(np.float64)
    signed = rows * labels[:, None]  # exact: a sign flip
    mags = np.abs(rows)
    # Pairs of "plain" rows have no product below 2^-1022, so the float filter applies to
    # all of them; the rare other pairs are examined one by one below.
    plain = ok & (min_exp - 1 >= -511)
    n, d = rows.shape
    log_d = math.ceil(math.log2(d))
    bound = 2.0 * d * _U
    exact_rows: dict[int, tuple[int, ...]] = {}
    rechecks = 0
    block = max(1, _BLOCK_ENTRIES // max(n, 1))
    for r0 in range(0, n, block):
        r1 = min(n, r0 + block)
        s = signed[r0:r1] @ signed[r0:].T
        t = bound * (mags[r0:r1] @ mags[r0:].T)
        # Only entries that might be wrong need a look: s > t is a certain, right sign, and
        # t = 0 (every product exactly 0, so s = 0 exactly) is right for different labels.
        flag = (s <= t) & ((t > 0) | (labels[r0:r1, None] == labels[None, r0:]))
        if not (plain[r0:r1].all() and plain[r0:].all()):
            flag |= ~plain[r0:r1, None] | ~plain[None, r0:]
        flag[:, : r1 - r0] &= np.triu(np.ones((r1 - r0, r1 - r0), dtype=bool))  # j >= i
        cand = np.flatnonzero(flag.ravel())
        if not cand.size:
            continue
        width = n - r0
        i, j = r0 + cand // width, r0 + cand % width
        sv, tv = s.ravel()[cand], t.ravel()[cand]
        both_ok = ok[i] & ok[j]
        no_underflow = min_exp[i] + min_exp[j] - 2 >= -1022
        exact_value = both_ok & (((bits[i] + bits[j] + log_d <= 53) & (lo[i] + lo[j] >= -1074))
                                 | (no_underflow & (tv == 0)))
        decided = exact_value | (both_ok & no_underflow & (np.abs(sv) > tv))
        wrong = (sv < 0) | ((sv == 0) & (labels[i] == labels[j]))
        first_wrong = np.flatnonzero(decided & wrong)
        stop = int(first_wrong[0]) if first_wrong.size else cand.size
        for a in np.flatnonzero(~decided[:stop]).tolist():
            rechecks += 1
            if _wrong_exactly(data, exact_rows, int(i[a]), int(j[a])):
                return (int(i[a]), int(j[a])), rechecks
        if first_wrong.size:
            return (int(i[stop]), int(j[stop])), rechecks
    return None, rechecks


def _wrong_exactly(data: DatasetNd, cache: dict[int, tuple[int, ...]], i: int, j: int) -> bool:
    """Whether the pair ``(i, j)`` has the wrong sign, in exact integer arithmetic."""
    a, b = (cache.setdefault(t, integer_row(data.x_exact[t])) for t in (i, j))
    dot = sum(p * q for p, q in zip(a, b))
    return dot <= 0 if data.y[i] == data.y[j] else dot > 0


def _scaled_rows(data: DatasetNd) -> tuple[np.ndarray, np.ndarray]:
    """``(X, ok)``: where ``ok[i]``, ``X[i]`` is a positive multiple of ``x_i``, max in [1/2, 1)."""
    if data.is_exact:
        raw = np.zeros((data.n, data.d))
        ok = np.zeros(data.n, dtype=bool)
        for i, row in enumerate(data.x):
            floats = [fraction_to_float(q) for q in row]
            if all(math.isfinite(t) and Fraction(t) == q for t, q in zip(floats, row)):
                raw[i], ok[i] = floats, True  # dyadic entries, e.g. floats saved exactly
                continue
            ints = integer_row(row)
            if all(abs(t) < 2**53 for t in ints):
                raw[i], ok[i] = ints, True
    else:
        raw = np.array(data.x, dtype=np.float64)
        ok = np.ones(data.n, dtype=bool)
    _, e = np.frexp(np.max(np.abs(raw), axis=1))
    rows = np.ldexp(raw, -e[:, None])
    ok &= np.all(np.ldexp(rows, e[:, None]) == raw, axis=1)  # no entry lost to underflow
    return rows, ok


def _row_exponents(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: ``lo`` (exponent of the lowest set bit), ``bits = -lo``, ``min_exp``.

    Every entry is an integer times ``2^lo`` of magnitude below ``2^bits`` times ``2^lo``
    (entries are below 1); the smallest nonzero entry is at least ``2^(min_exp - 1)``.
    Rows without a nonzero entry get ``lo = bits = 0`` and a huge ``min_exp``.
    """
    frac, exp = np.frexp(rows)
    nonzero = rows != 0
    mantissa = np.ldexp(frac, 53).astype(np.int64)  # exact: |frac| < 1 has 53 bits
    lowest_bit = np.frexp((mantissa & -mantissa).astype(np.float64))[1] - 1
    lsb = np.where(nonzero, exp - 53 + lowest_bit, _NO_ENTRY)
    lo = lsb.min(axis=1)
    lo = np.where(lo == _NO_ENTRY, 0, lo)
    min_exp = np.where(nonzero, exp, _NO_ENTRY).min(axis=1)
    return lo, -lo, min_exp
