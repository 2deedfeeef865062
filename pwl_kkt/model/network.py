"""The shallow univariate ReLU network of Safran, Vardi & Lee (2022), Eq. (1).

    N(x) = sum_j v_j * relu(w_j * x + b_j),   theta = (w, b, v) in R^{3k}.

A :class:`Network` is an immutable value. It is held either *exactly* (tuples of
:class:`fractions.Fraction`) or as *float64 arrays*; every exact routine of the
package accepts both, taking a float as the dyadic rational it stores.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from functools import cached_property

import numpy as np

from .._rational import (
    floats_of,
    fraction_text,
    fraction_to_float,
    fractions_of,
    to_float,
    to_fraction,
    unordered,
)
from ..errors import InvalidNetworkError, InvalidValueError
from ..limits import shorten

__all__ = ["Network"]

_REPR_WIDTH = 12  # wider networks print a summary, like numpy's array repr


def _float_array(values: object, name: str) -> np.ndarray:
    try:
        arr = np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidValueError(f"{name} must be a sequence of real numbers") from None
    if arr.ndim != 1:
        raise InvalidNetworkError(f"{name} must be one-dimensional; got shape {arr.shape}")
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        i = int(bad[0])
        raise InvalidValueError(f"{name}[{i}]: {float(arr[i])!r} is not a finite number")
    arr.setflags(write=False)
    return arr


def _is_float_array(values: object) -> bool:
    """An array of floats that float64 holds exactly: the mark of a float network or dataset.

    A long double array is not one (float64 would round it): by default it is read exactly.
    """
    return (isinstance(values, np.ndarray) and values.dtype.kind == "f"
            and values.dtype.itemsize <= 8)


def _float_hash(arrays: Sequence[np.ndarray]) -> int:
    """A hash of float arrays consistent with ``np.array_equal``: ``-0.0`` hashes as ``0.0``."""
    return hash(tuple((arr + 0.0).tobytes() for arr in arrays))


def _permutation(order: object, k: int) -> list[int]:
    """``order`` as a list of ints if it is a permutation of ``range(k)``, else a clear error.

    Only integers are accepted: ``int(0.5)`` would quietly turn ``[0.5, 1]`` into ``[0, 1]``.
    """
    message = f"order must be a permutation of range({k})"
    if isinstance(order, (str, bytes)) or not hasattr(order, "__iter__") or unordered(order):
        raise InvalidNetworkError(f"{message}; got {shorten(order)}")
    idx = list(order)
    for i, t in enumerate(idx):
        if isinstance(t, (bool, np.bool_)) or not isinstance(t, (int, np.integer)):
            raise InvalidNetworkError(f"{message}; order[{i}] = {shorten(t)} is not an integer")
    idx = [int(t) for t in idx]
    if sorted(idx) != list(range(k)):
        raise InvalidNetworkError(message)
    return idx


class Network:
    """A depth-2 univariate ReLU network ``N(x) = sum_j v_j relu(w_j x + b_j)``.

    Parameters
    ----------
    w, b, v : sequence
        Hidden weights, hidden biases and output weights, one entry per neuron.
        Entries may be ints, floats, :class:`~fractions.Fraction`, SymPy
        rationals or strings such as ``"1/3"`` or ``"0.1"`` (the decimal they
        spell).
    exact : bool, optional
        Hold the parameters as exact rationals (``True``) or float64 arrays
        (``False``). By default a network built from three float numpy arrays is
        a float network and anything else is exact. Floats become exact as the
        dyadic rationals they are, never as their decimal look-alikes.

    Raises
    ------
    InvalidValueError
        An entry is NaN, infinite or not a number; the message names it.
    InvalidNetworkError
        The three sequences differ in length, are not one-dimensional, or are empty.

    Examples
    --------
    >>> net = Network([1, -1], ["1/2", 0], [1, 2])
    >>> net
    Network(w=['1', '-1'], b=['1/2', '0'], v=['1', '2'])
    >>> net.exact_value(-1)
    Fraction(2, 1)
    >>> Network([0.1], [0], [1]).w[0] == Fraction(1, 10)
    False
    """

    __slots__ = ("_w", "_b", "_v", "_exact", "__dict__")

    def __init__(self, w: object, b: object, v: object, *, exact: bool | None = None) -> None:
        if exact is None:
            exact = not all(_is_float_array(t) for t in (w, b, v))
        if exact:
            params = tuple(fractions_of(t, name) for t, name in ((w, "w"), (b, "b"), (v, "v")))
        else:
            params = tuple(
                _float_array(_floats_of(t, name), name)
                for t, name in ((w, "w"), (b, "b"), (v, "v"))
            )
        lengths = [len(t) for t in params]
        if len(set(lengths)) != 1:
            raise InvalidNetworkError(
                "w, b and v must have the same length; got {}, {} and {}".format(*lengths)
            )
        if lengths[0] == 0:
            raise InvalidNetworkError("a network needs at least one neuron (width 0 given)")
        object.__setattr__(self, "_exact", bool(exact))
        for name, t in zip(("_w", "_b", "_v"), params):
            object.__setattr__(self, name, t)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Network is immutable; build a new one")

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        """Pickle through the constructor (which validates), not through ``__setattr__``.

        >>> import pickle
        >>> net = Network(["1/3"], [0], [1])
        >>> pickle.loads(pickle.dumps(net)) == net
        True
        """
        return _rebuild, (type(self), self._w, self._b, self._v, self._exact)

    # --- construction ---------------------------------------------------------------

    @classmethod
    def from_theta(cls, theta: Sequence[object], *, exact: bool | None = None) -> Network:
        """Build from the flat parameter vector ``theta = (w_1..w_k, b_1..b_k, v_1..v_k)``.

        Examples
        --------
        >>> Network.from_theta([1, 2, 0, 0, 3, 4]).width
        2
        """
        if exact is None:
            exact = not _is_float_array(theta)
        flat = list(theta)
        if len(flat) % 3:
            raise InvalidNetworkError(f"theta must have length 3k; got {len(flat)}")
        k = len(flat) // 3
        if exact:
            return cls(flat[:k], flat[k : 2 * k], flat[2 * k :], exact=True)
        arr = np.asarray(theta, dtype=np.float64)
        return cls(arr[:k], arr[k : 2 * k], arr[2 * k :], exact=False)

    # --- basic properties --------------------------------------------------------------

    @property
    def w(self) -> tuple[Fraction, ...] | np.ndarray:
        """Hidden weights: a tuple of Fractions (exact network) or a read-only float64 array."""
        return self._w

    @property
    def b(self) -> tuple[Fraction, ...] | np.ndarray:
        """Hidden biases, held like :attr:`w`."""
        return self._b

    @property
    def v(self) -> tuple[Fraction, ...] | np.ndarray:
        """Output weights, held like :attr:`w`."""
        return self._v

    @property
    def is_exact(self) -> bool:
        """``True`` when the parameters are held as exact rationals."""
        return self._exact

    @property
    def width(self) -> int:
        """Number of hidden neurons k."""
        return len(self._w)

    def __len__(self) -> int:
        return self.width

    @cached_property
    def _arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not self._exact:
            return self._w, self._b, self._v
        out = []
        for t in (self._w, self._b, self._v):
            arr = np.array([fraction_to_float(q) for q in t], dtype=np.float64)
            arr.setflags(write=False)
            out.append(arr)
        return out[0], out[1], out[2]

    @cached_property
    def _fractions(self) -> tuple[tuple[Fraction, ...], ...]:
        if self._exact:
            return self._w, self._b, self._v
        return tuple(
            tuple(Fraction(t) for t in arr.tolist()) for arr in (self._w, self._b, self._v)
        )

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(w, b, v)`` as read-only float64 arrays (nearest floats for an exact network).

        Examples
        --------
        >>> Network(["1/4"], [1], [2]).arrays()[0]
        array([0.25])
        """
        return self._arrays

    def fractions(self) -> tuple[tuple[Fraction, ...], tuple[Fraction, ...], tuple[Fraction, ...]]:
        """``(w, b, v)`` as tuples of exact Fractions (dyadic values for a float network).

        Examples
        --------
        >>> Network(np.array([0.5]), np.array([0.0]), np.array([1.0])).fractions()[0]
        (Fraction(1, 2),)
        """
        return self._fractions  # type: ignore[return-value]

    # --- conversions ----------------------------------------------------------------------

    def to_exact(self) -> Network:
        """The same network held exactly (floats become their dyadic values).

        Examples
        --------
        >>> Network(np.array([0.1]), np.array([0.0]), np.array([1.0])).to_exact().w[0]
        Fraction(3602879701896397, 36028797018963968)
        """
        if self._exact:
            return self
        return Network(*self._fractions, exact=True)

    def to_float(self) -> Network:
        """The same network held as float64 arrays (rounded to nearest).

        Examples
        --------
        >>> Network(["1/3"], [0], [1]).to_float().w
        array([0.33333333])
        """
        if not self._exact:
            return self
        return Network(*self._arrays, exact=False)

    def theta(self) -> tuple[Fraction, ...] | np.ndarray:
        """The flat parameter vector ``(w, b, v)``, exact or float like the network."""
        if self._exact:
            return self._w + self._b + self._v
        return np.concatenate([self._w, self._b, self._v])

    # --- arithmetic --------------------------------------------------------------------------

    def scaled(self, a: object) -> Network:
        """The network with parameters ``a * theta``; ``N_{a theta} = a^2 N_theta`` for ``a > 0``.

        Examples
        --------
        >>> Network([1], [0], [1]).scaled("1/2").exact_value(4)
        Fraction(1, 1)
        """
        if self._exact:
            q = to_fraction(a, "a")
            return Network(*(tuple(q * t for t in p) for p in self.fractions()), exact=True)
        f = to_float(a, "a")
        return Network(*(f * arr for arr in self._arrays), exact=False)

    def permuted(self, order: Sequence[int]) -> Network:
        """The same function with neurons listed in ``order`` (a permutation of range(k)).

        Examples
        --------
        >>> Network([1, 2], [0, 0], [3, 4]).permuted([1, 0]).v
        (Fraction(4, 1), Fraction(3, 1))
        """
        idx = _permutation(order, self.width)
        if self._exact:
            return Network(*(tuple(p[i] for i in idx) for p in self.fractions()), exact=True)
        return Network(*(arr[idx] for arr in self._arrays), exact=False)

    @property
    def sq_norm(self) -> Fraction | float:
        """``||theta||^2 = sum_j w_j^2 + b_j^2 + v_j^2`` (exact Fraction for an exact network).

        Examples
        --------
        >>> Network([1], [1], ["1/2"]).sq_norm
        Fraction(9, 4)
        """
        if self._exact:
            return sum((t * t for p in self.fractions() for t in p), Fraction(0))
        return float(sum(np.dot(arr, arr) for arr in self._arrays))

    def sq_norm_exact(self) -> Fraction:
        """``||theta||^2`` exactly, for either kind of network.

        Examples
        --------
        >>> Network(np.array([0.5]), np.array([0.0]), np.array([1.0])).sq_norm_exact()
        Fraction(5, 4)
        """
        return sum((t * t for p in self.fractions() for t in p), Fraction(0))

    # --- evaluation ---------------------------------------------------------------------------

    def __call__(self, x: object) -> np.ndarray | float:
        """Float forward pass, vectorized over ``x`` (a number or an array).

        Examples
        --------
        >>> Network([1, -1], [0, 0], [1, 1])(np.array([-2.0, 3.0]))
        array([2., 3.])
        """
        xs = np.asarray(x, dtype=np.float64)
        w, b, v = self._arrays
        flat = xs.reshape(-1)
        out = np.empty(flat.shape, dtype=np.float64)
        # Chunked so that memory stays O(chunk * k) for long inputs.
        chunk = max(1, 2**22 // max(1, self.width))
        for start in range(0, flat.size, chunk):
            z = np.multiply.outer(flat[start : start + chunk], w) + b
            out[start : start + chunk] = np.maximum(z, 0.0) @ v
        return float(out[0]) if xs.ndim == 0 else out.reshape(xs.shape)

    def exact_value(self, x: object) -> Fraction:
        """``N(x)`` in exact rational arithmetic; ``x`` is read exactly like a parameter.

        Examples
        --------
        >>> Network(["1/3"], [0], [3]).exact_value("0.5")
        Fraction(1, 2)
        """
        q = to_fraction(x, "x")
        total = Fraction(0)
        for wj, bj, vj in zip(*self.fractions()):
            z = wj * q + bj
            if z > 0 and vj:
                total += vj * z
        return total

    def exact_values(self, xs: Sequence[object]) -> tuple[Fraction, ...]:
        """``N(x_i)`` exactly for every ``x_i``.

        Examples
        --------
        >>> Network([1], [0], [1]).exact_values([-1, 2])
        (Fraction(0, 1), Fraction(2, 1))
        """
        return tuple(self.exact_value(x) for x in xs)

    # --- value semantics -----------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        """Same kind (exact or float) and identical parameters, neuron by neuron."""
        if not isinstance(other, Network):
            return NotImplemented
        if self._exact != other._exact or self.width != other.width:
            return False
        if self._exact:
            return self.fractions() == other.fractions()
        return all(np.array_equal(p, q) for p, q in zip(self._arrays, other._arrays))

    def __hash__(self) -> int:
        if self._exact:
            return hash(self.fractions())
        return _float_hash(self._arrays)

    def __repr__(self) -> str:
        if self.width > _REPR_WIDTH:
            kind = "exact" if self._exact else "float64"
            return f"<Network width={self.width} {kind}>"
        if self._exact:
            parts = [
                f"{n}={[fraction_text(q) for q in p]}" for n, p in zip("wbv", self.fractions())
            ]
            return f"Network({', '.join(parts)})"
        parts = [f"{n}=np.array({arr.tolist()!r})" for n, arr in zip("wbv", self._arrays)]
        return f"Network({', '.join(parts)})"


def _rebuild(cls: type, *args: object) -> object:
    """Unpickle a value object: ``cls(*params, exact=last)``."""
    return cls(*args[:-1], exact=args[-1])


def _floats_of(values: object, name: str) -> object:
    """Float values of a sequence for a float network (text and rationals are rounded)."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "fiu":
        if values.ndim != 1:  # a (k, 1) array must not pass for k numbers
            raise InvalidNetworkError(f"{name} must be one-dimensional; got shape {values.shape}")
        return values
    return floats_of(values, name)
