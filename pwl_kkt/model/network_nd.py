"""The two-layer ReLU network on R^d.

    N(x) = sum_j v_j relu(w_j . x + b_j),   w_j in R^d,   theta = (W, b, v),

with an option for no hidden biases (``N(x) = v^T relu(W x)``, the network of Phuong &
Lampert, *The inductive bias of ReLU networks on orthogonally separable data*, ICLR 2021).
The max-margin problem and its KKT conditions are those of the univariate network with
``(x_i, 1)`` and ``(w_j, b_j)`` in R^{d+1} (or ``x_i`` and ``w_j`` in R^d without biases).

A :class:`NetworkNd` is an immutable value with the semantics of
:class:`~pwl_kkt.model.network.Network`: held exactly (tuples of Fractions) or as float64
arrays, exact repr and equality, scaling, permutation and the norm ``||theta||^2``. The
univariate :class:`~pwl_kkt.model.network.Network` stays the fast path in d = 1;
:meth:`NetworkNd.from_univariate` and :meth:`NetworkNd.to_univariate` convert exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from functools import cached_property

import numpy as np

from .._rational import fraction_text, fraction_to_float, fractions_of, to_float, to_fraction
from ..errors import InvalidNetworkError, InvalidValueError
from ._rows import MatrixRows
from .network import (
    Network,
    _float_array,
    _float_hash,
    _floats_of,
    _is_float_array,
    _permutation,
)

__all__ = ["NetworkNd"]

_REPR_WIDTH = 8
_WEIGHTS = MatrixRows("w", "k", InvalidNetworkError, "a sequence of rows, one per neuron",
                      "numbers", "entries", "input dimension")


class NetworkNd:
    """A depth-2 ReLU network on R^d, ``N(x) = sum_j v_j relu(w_j^T x + b_j)``.

    Parameters
    ----------
    w : sequence of sequences, shape (k, d)
        Hidden weights, one row ``w_j`` per neuron; every row has the same length d >= 1.
    b : sequence of length k, or None
        Hidden biases; ``None`` means a network without hidden biases
        (``N(x) = v^T relu(W x)``).
    v : sequence of length k
        Output weights.
    exact : bool, optional
        Hold the parameters as exact rationals or as float64 arrays. By default a network
        whose parameters are all float numpy arrays is a float network, anything else is
        exact. Entries are read like :class:`~pwl_kkt.model.network.Network`'s: ints,
        floats (their dyadic values), Fractions, SymPy rationals, text such as ``"1/3"``.

    Raises
    ------
    InvalidNetworkError
        Ragged rows (the message names the row), mismatched lengths, or width 0.
    InvalidValueError
        An entry that is NaN, infinite or not a number (the message names it).

    Examples
    --------
    >>> net = NetworkNd([[1, 0], [0, -1]], [0, "1/2"], [1, 2])
    >>> net
    NetworkNd(w=[['1', '0'], ['0', '-1']], b=['0', '1/2'], v=['1', '2'])
    >>> net.d, net.width
    (2, 2)
    >>> net.exact_value([3, 0])
    Fraction(4, 1)
    >>> NetworkNd([[1, 1]], None, [1]).has_bias
    False
    """

    __slots__ = ("_w", "_b", "_v", "_exact", "_d", "__dict__")

    def __init__(
        self, w: object, b: object, v: object, *, exact: bool | None = None
    ) -> None:
        if exact is None:
            floats = [w, v] + ([] if b is None else [b])
            exact = not all(_is_float_array(t) for t in floats)
        rows = _WEIGHTS.rows(w)
        d = _WEIGHTS.length(rows)
        if exact:
            wq: object = tuple(fractions_of(r, f"w[{j}]") for j, r in enumerate(rows))
            bq = None if b is None else fractions_of(b, "b")
            vq: object = fractions_of(v, "v")
        else:
            wq = _float_matrix(rows, d)
            bq = None if b is None else _float_array(_floats_of(b, "b"), "b")
            vq = _float_array(_floats_of(v, "v"), "v")
        k = len(rows)
        if k == 0:
            raise InvalidNetworkError("a network needs at least one neuron (width 0 given)")
        for name, t in (("b", bq), ("v", vq)):
            if t is not None and len(t) != k:
                raise InvalidNetworkError(
                    f"{name} must have one entry per row of w; got {len(t)} for {k} rows"
                )
        for name, value in (("_w", wq), ("_b", bq), ("_v", vq), ("_exact", bool(exact)),
                            ("_d", d)):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("NetworkNd is immutable; build a new one")

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        """Pickle through the constructor (which validates).

        >>> import pickle
        >>> net = NetworkNd([["1/3", 2]], None, [1])
        >>> pickle.loads(pickle.dumps(net)) == net
        True
        """
        return _rebuild_nd, (self._w, self._b, self._v, self._exact)

    # --- construction and conversion ------------------------------------------------

    @classmethod
    def from_univariate(cls, net: Network) -> NetworkNd:
        """The d = 1 network with the same parameters as a univariate :class:`Network`.

        Examples
        --------
        >>> NetworkNd.from_univariate(Network([2], [1], [3])).w
        ((Fraction(2, 1),),)
        """
        if net.is_exact:
            w, b, v = net.fractions()
            return cls([[q] for q in w], b, v, exact=True)
        w, b, v = net.arrays()
        return cls(w.reshape(-1, 1), b, v, exact=False)

    def to_univariate(self) -> Network:
        """The univariate :class:`Network` of a d = 1 network with biases.

        Raises
        ------
        InvalidNetworkError
            ``d != 1``; a network without biases becomes one with zero biases.

        Examples
        --------
        >>> NetworkNd([[2]], [1], [3]).to_univariate()
        Network(w=['2'], b=['1'], v=['3'])
        """
        if self._d != 1:
            raise InvalidNetworkError(
                f"only a d = 1 network is univariate; this one has d = {self._d}"
            )
        if self._exact:
            w, b, v = self.fractions()
            return Network([r[0] for r in w], b, v, exact=True)
        w, b, v = self.arrays()
        return Network(w[:, 0].copy(), b.copy(), v.copy(), exact=False)

    def to_exact(self) -> NetworkNd:
        """The same network held exactly (floats become their dyadic values)."""
        if self._exact:
            return self
        w, b, v = self.fractions()
        return NetworkNd(w, b if self.has_bias else None, v, exact=True)

    def to_float(self) -> NetworkNd:
        """The same network held as float64 arrays (rounded to nearest)."""
        if not self._exact:
            return self
        w, b, v = self.arrays()
        return NetworkNd(w, b if self.has_bias else None, v, exact=False)

    # --- properties -----------------------------------------------------------------

    @property
    def w(self) -> tuple[tuple[Fraction, ...], ...] | np.ndarray:
        """Hidden weights: k rows of d Fractions, or a read-only (k, d) float64 array."""
        return self._w

    @property
    def b(self) -> tuple[Fraction, ...] | np.ndarray | None:
        """Hidden biases (``None`` for a network without hidden biases)."""
        return self._b

    @property
    def v(self) -> tuple[Fraction, ...] | np.ndarray:
        """Output weights."""
        return self._v

    @property
    def d(self) -> int:
        """Input dimension."""
        return self._d

    @property
    def width(self) -> int:
        """Number of hidden neurons k."""
        return len(self._v)

    def __len__(self) -> int:
        return self.width

    @property
    def has_bias(self) -> bool:
        """``False`` for ``N(x) = v^T relu(W x)``."""
        return self._b is not None

    @property
    def is_exact(self) -> bool:
        """``True`` when the parameters are held as exact rationals."""
        return self._exact

    @cached_property
    def _arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self._exact:
            w = np.array([[fraction_to_float(q) for q in r] for r in self._w], dtype=np.float64)
            w = w.reshape(self.width, self._d)
            b = (np.zeros(self.width) if self._b is None
                 else np.array([fraction_to_float(q) for q in self._b], dtype=np.float64))
            v = np.array([fraction_to_float(q) for q in self._v], dtype=np.float64)
        else:
            w, v = self._w, self._v
            b = np.zeros(self.width) if self._b is None else self._b
        for arr in (w, b, v):
            arr.setflags(write=False)
        return w, b, v

    @cached_property
    def _fractions(self) -> tuple[tuple[tuple[Fraction, ...], ...], tuple[Fraction, ...],
                                  tuple[Fraction, ...]]:
        if self._exact:
            b = self._b if self._b is not None else (Fraction(0),) * self.width
            return self._w, b, self._v
        w = tuple(tuple(Fraction(t) for t in row) for row in self._w.tolist())
        b = (tuple(Fraction(t) for t in self._b.tolist()) if self._b is not None
             else (Fraction(0),) * self.width)
        return w, b, tuple(Fraction(t) for t in self._v.tolist())

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(W, b, v)`` as read-only float64 arrays, W of shape (k, d); b is zeros without biases.

        Examples
        --------
        >>> NetworkNd([["1/4", 1]], None, [2]).arrays()[0]
        array([[0.25, 1.  ]])
        """
        return self._arrays

    def fractions(self) -> tuple[tuple[tuple[Fraction, ...], ...], tuple[Fraction, ...],
                                 tuple[Fraction, ...]]:
        """``(W, b, v)`` exactly: W as k rows of d Fractions; b is zeros without biases.

        Examples
        --------
        >>> NetworkNd(np.array([[0.5, 1.0]]), None, np.array([1.0])).fractions()[0]
        ((Fraction(1, 2), Fraction(1, 1)),)
        """
        return self._fractions

    def theta(self) -> tuple[Fraction, ...] | np.ndarray:
        """The flat parameter vector ``(W row by row, b, v)``; without biases ``(W, v)``."""
        w, b, v = self.fractions() if self._exact else self.arrays()
        if self._exact:
            flat = tuple(q for row in w for q in row)
            return flat + (b if self.has_bias else ()) + v
        return np.concatenate([w.ravel(), b if self.has_bias else np.zeros(0), v])

    # --- arithmetic -----------------------------------------------------------------

    def scaled(self, a: object) -> NetworkNd:
        """The network with parameters ``a * theta``; ``N_{a theta} = a^2 N_theta`` for a > 0.

        Examples
        --------
        >>> NetworkNd([[1, 1]], [0], [1]).scaled("1/2").exact_value([2, 2])
        Fraction(1, 1)
        """
        if self._exact:
            q = to_fraction(a, "a")
            w, b, v = self.fractions()
            return NetworkNd([[q * t for t in r] for r in w],
                             [q * t for t in b] if self.has_bias else None,
                             [q * t for t in v], exact=True)
        f = to_float(a, "a")
        w, b, v = self.arrays()
        return NetworkNd(f * w, f * b if self.has_bias else None, f * v, exact=False)

    def permuted(self, order: Sequence[int]) -> NetworkNd:
        """The same function with the neurons listed in ``order`` (a permutation of range(k)).

        Examples
        --------
        >>> NetworkNd([[1], [2]], None, [3, 4]).permuted([1, 0]).v
        (Fraction(4, 1), Fraction(3, 1))
        """
        idx = _permutation(order, self.width)
        if self._exact:
            w, b, v = self.fractions()
            return NetworkNd([w[i] for i in idx],
                             [b[i] for i in idx] if self.has_bias else None,
                             [v[i] for i in idx], exact=True)
        w, b, v = self.arrays()
        return NetworkNd(w[idx], b[idx] if self.has_bias else None, v[idx], exact=False)

    @property
    def sq_norm(self) -> Fraction | float:
        """``||theta||^2 = ||W||_F^2 + ||b||^2 + ||v||^2`` (exact for an exact network).

        Examples
        --------
        >>> NetworkNd([[1, 2]], [1], ["1/2"]).sq_norm
        Fraction(25, 4)
        """
        if self._exact:
            return self.sq_norm_exact()
        w, b, v = self.arrays()
        return float(np.sum(w * w) + b @ b + v @ v)

    def sq_norm_exact(self) -> Fraction:
        """``||theta||^2`` exactly, for either kind of network."""
        w, b, v = self.fractions()
        return (sum((q * q for r in w for q in r), Fraction(0))
                + sum((q * q for q in b), Fraction(0)) + sum((q * q for q in v), Fraction(0)))

    # --- evaluation -----------------------------------------------------------------

    def __call__(self, x: object) -> np.ndarray | float:
        """Float forward pass on one point (shape (d,)) or on points (shape (m, d)).

        Examples
        --------
        >>> NetworkNd([[1, 0], [0, 1]], None, [1, -1])(np.array([[2.0, 1.0], [0.0, 3.0]]))
        array([ 1., -3.])
        """
        xs = _input_points(x)
        single = xs.ndim == 1
        pts = xs.reshape(1, -1) if single else xs
        if pts.ndim != 2 or pts.shape[1] != self._d:
            raise InvalidValueError(
                f"x must have shape (m, {self._d}) or ({self._d},); got {xs.shape}"
            )
        w, b, v = self.arrays()
        out = np.empty(pts.shape[0], dtype=np.float64)
        chunk = max(1, 2**22 // max(1, self.width))  # memory O(chunk * k) for many points
        for start in range(0, pts.shape[0], chunk):
            z = pts[start : start + chunk] @ w.T + b
            out[start : start + chunk] = np.maximum(z, 0.0) @ v
        return float(out[0]) if single else out

    def exact_value(self, x: Sequence[object]) -> Fraction:
        """``N(x)`` in exact rational arithmetic; the d coordinates are read exactly.

        Examples
        --------
        >>> NetworkNd([["1/3", 0]], None, [3]).exact_value(["0.5", 7])
        Fraction(1, 2)
        """
        q = fractions_of(x, "x")
        if len(q) != self._d:
            raise InvalidValueError(f"x must have {self._d} coordinates; got {len(q)}")
        total = Fraction(0)
        for row, bj, vj in zip(*self.fractions()):
            z = sum((a * c for a, c in zip(row, q)), bj)
            if z > 0 and vj:
                total += vj * z
        return total

    # --- value semantics ------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        """Same kind, same d, same bias option and identical parameters, neuron by neuron."""
        if not isinstance(other, NetworkNd):
            return NotImplemented
        if (self._exact, self._d, self.width, self.has_bias) != (
            other._exact, other._d, other.width, other.has_bias
        ):
            return False
        if self._exact:
            return self.fractions() == other.fractions()
        return all(np.array_equal(p, q) for p, q in zip(self.arrays(), other.arrays()))

    def __hash__(self) -> int:
        if self._exact:
            return hash((self.has_bias, self.fractions()))
        return hash((self.has_bias, self._d, _float_hash(self.arrays())))

    def __repr__(self) -> str:
        kind = "exact" if self._exact else "float64"
        if self.width > _REPR_WIDTH or self._d > _REPR_WIDTH:
            bias = "" if self.has_bias else " no bias"
            return f"<NetworkNd d={self._d} width={self.width} {kind}{bias}>"
        if self._exact:
            w = [[fraction_text(q) for q in r] for r in self._w]
            b = None if self._b is None else [fraction_text(q) for q in self._b]
            v = [fraction_text(q) for q in self._v]
            return f"NetworkNd(w={w}, b={b}, v={v})"
        b = None if self._b is None else f"np.array({self._b.tolist()!r})"
        return (f"NetworkNd(w=np.array({self._w.tolist()!r}), b={b}, "
                f"v=np.array({self._v.tolist()!r}))")


def _rebuild_nd(w: object, b: object, v: object, exact: bool) -> NetworkNd:
    return NetworkNd(w, b, v, exact=exact)


def _float_matrix(rows: list[object], d: int) -> np.ndarray:
    # every row is checked (and read) by _floats_of, so numpy only stacks numbers here
    arr = np.array([_floats_of(r, f"w[{j}]") for j, r in enumerate(rows)], dtype=np.float64)
    arr = arr.reshape(len(rows), d)
    return _WEIGHTS.finite(arr)


def _input_points(x: object) -> np.ndarray:
    """The points of a forward pass as float64: real numbers only, read like parameters.

    Numeric arrays convert directly; other entries (text, Fractions) are read exactly and
    rounded. Booleans, complex numbers, ``None`` and ragged rows are refused: numpy would
    make them 0/1, drop the imaginary part, NaN, or fail with a bare ``ValueError``.
    """
    if isinstance(x, np.ndarray) and x.dtype.kind in "fiu":
        return x.astype(np.float64, copy=False)
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError):
        raise InvalidValueError(
            "x must be one point (d numbers) or rows of d numbers of one length"
        ) from None
    if arr.dtype.kind in "fiu":
        return arr.astype(np.float64)
    if arr.dtype.kind in "OUS":
        if arr.ndim not in (1, 2):
            return arr  # the caller names the shape that is wrong
        rows = arr.reshape(-1, arr.shape[-1])
        names = ["x"] if arr.ndim == 1 else [f"x[{i}]" for i in range(len(rows))]
        return np.array(
            [[to_float(t, f"{name}[{c}]") for c, t in enumerate(row.tolist())]
             for name, row in zip(names, rows)],
            dtype=np.float64,
        ).reshape(arr.shape)
    kind = {"b": "booleans", "c": "complex numbers"}.get(arr.dtype.kind, f"{arr.dtype} entries")
    raise InvalidValueError(f"x must hold real numbers; got {kind}")
