"""Exact rationals from user input, and exact rationals as text.

The one rule: a value becomes the rational it *is*. A binary float is the
dyadic rational it stores (``0.1`` is 3602879701896397/36028797018963968), a
text is the decimal or ``p/q`` it spells (``"0.1"`` is 1/10).
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Mapping, Sequence, Set
from fractions import Fraction

import numpy as np

from .limits import get_limits, shorten

# The grammar of fractions.Fraction's text form (Python 3.11), parsed here so that the
# digit and exponent limits are checked before any big integer is built.
_NUMBER = re.compile(
    r"""
    \s*(?P<sign>[-+]?)
    (?=\d|\.\d)
    (?P<num>\d*|\d+(_\d+)*)
    (?:
        (?:\s*/\s*(?P<den>\d+(_\d+)*))?
      |
        (?:\.(?P<dec>\d*|\d+(_\d+)*))?
        (?:E(?P<exp>[-+]?\d+(_\d+)*))?
    )
    \s*\Z
    """,
    re.VERBOSE | re.IGNORECASE,
)
_INT_CHUNK = 1000  # digits converted at once, well inside Python's 4300-digit str/int limit


def to_fraction(value: object, where: str) -> Fraction:
    """Return ``value`` as an exact :class:`~fractions.Fraction`.

    ``where`` names the item in error messages (``"w[3]"``).
    """
    from .errors import InvalidValueError

    if isinstance(value, Fraction):
        return value
    if isinstance(value, (bool, np.bool_)):
        raise InvalidValueError(f"{where}: {value!r} is a boolean, not a number")
    if isinstance(value, (int, np.integer)):
        return Fraction(int(value))
    if isinstance(value, (float, np.floating)):
        if not np.isfinite(value):
            raise InvalidValueError(f"{where}: {float(value)!r} is not a finite number")
        # as_integer_ratio, not float(): a long double holds bits that float64 would round off
        return Fraction(*value.as_integer_ratio())
    if isinstance(value, str):
        return parse_number(value, where)
    if isinstance(value, numbers.Rational) or type(value).__name__ in {
        "fmpq",
        "fmpz",
        "mpq",
        "mpz",
    }:
        return Fraction(int(value.numerator), int(value.denominator))
    if getattr(value, "is_number", False):  # sympy Float, sqrt(2), pi: not exact rationals
        raise InvalidValueError(
            f"{where}: {shorten(value)} is not an exact rational "
            "(give a Rational, a float or 'p/q' text)"
        )
    raise InvalidValueError(
        f"{where}: {shorten(value)} of type {type(value).__name__} is not a number"
    )


def parse_number(text: str, where: str) -> Fraction:
    """The rational that ``text`` spells (``"0.1"``, ``"-2/6"``, ``"1e-3"``), within the limits.

    The digits and the exponent are checked against :func:`pwl_kkt.limits.get_limits`
    before the value is built, so ``"1e999999999"`` is refused at once instead of
    computing ``10**999999999``.

    Examples
    --------
    >>> parse_number(" -2/6 ", "w[0]")
    Fraction(-1, 3)
    >>> parse_number("1e999999999", "w[0]")
    Traceback (most recent call last):
    ...
    pwl_kkt.errors.InvalidValueError: w[0]: '1e999999999' has decimal exponent 999999999, ...
    """
    from .errors import InvalidValueError

    limits = get_limits()
    if len(text) > 4 * limits.max_digits + 100:  # cannot be within the digit limit
        raise InvalidValueError(
            f"{where}: {shorten(text)} is longer than any number within the limit "
            f"max_digits = {limits.max_digits} (see pwl_kkt.limits)"
        )
    m = _NUMBER.match(text)
    if m is None:
        if text.strip().lower().lstrip("+-") in {"nan", "inf", "infinity"}:
            raise InvalidValueError(f"{where}: {shorten(text)} is not a finite number")
        raise InvalidValueError(
            f"{where}: cannot read {shorten(text)} as a number "
            "(use a decimal like '0.25' or 'p/q')"
        )
    num, den, dec, exp = (
        (m.group(k) or "").replace("_", "") for k in ("num", "den", "dec", "exp")
    )
    digits = len(num) + len(den) + len(dec) + len(exp.lstrip("+-"))
    if digits > limits.max_digits:
        raise InvalidValueError(
            f"{where}: {shorten(text)} has {digits} digits, beyond the limit "
            f"max_digits = {limits.max_digits} (see pwl_kkt.limits)"
        )
    e = _digits_to_int(exp) if exp else 0
    if abs(e) > limits.max_exponent:
        raise InvalidValueError(
            f"{where}: {shorten(text)} has decimal exponent {shorten(e)}, beyond the "
            f"limit max_exponent = {limits.max_exponent} (see pwl_kkt.limits)"
        )
    if den:
        d = _digits_to_int(den)
        if d == 0:
            raise InvalidValueError(f"{where}: {shorten(text)} has denominator zero")
        q = Fraction(_digits_to_int(num), d)
    else:
        q = Fraction(_digits_to_int(num + dec)) * Fraction(10) ** (e - len(dec))
    return -q if m.group("sign") == "-" else q


def _digits_to_int(digits: str) -> int:
    """``int(digits)`` for any length, in chunks below Python's str-to-int digit limit."""
    if not digits:
        return 0
    if len(digits) <= _INT_CHUNK:
        return int(digits)
    mid = len(digits) // 2
    return _digits_to_int(digits[:mid]) * 10 ** (len(digits) - mid) + _digits_to_int(
        digits[mid:]
    )


def int_text(n: int) -> str:
    """Decimal text of an integer of any size (``str`` refuses more than 4300 digits).

    Examples
    --------
    >>> len(int_text(10**5000))
    5001
    """
    if n.bit_length() <= 3 * _INT_CHUNK:
        return str(n)
    if n < 0:
        return "-" + int_text(-n)
    half = (n.bit_length() * 3 // 10) // 2  # about half the decimal digits
    high, low = divmod(n, 10**half)
    return int_text(high) + int_text(low).rjust(half, "0")


def to_float(value: object, where: str) -> float:
    """``value`` read like :func:`to_fraction`, as the nearest float64, which must be finite.

    Examples
    --------
    >>> to_float("1/4", "a"), to_float(3, "a")
    (0.25, 3.0)
    >>> to_float(10**400, "a")
    Traceback (most recent call last):
    ...
    pwl_kkt.errors.InvalidValueError: a: 1000000000...0000000000 (401 characters) overflows float64
    """
    from .errors import InvalidValueError

    if type(value) is float and math.isfinite(value):  # the common case, no detour
        return value
    f = fraction_to_float(to_fraction(value, where))
    if not math.isfinite(f):
        raise InvalidValueError(f"{where}: {shorten(value)} overflows float64")
    return f


def unordered(values: object) -> str | None:
    """``"a dict"`` / ``"a set"`` when ``values`` iterates without a meaningful order, else None.

    Iterating a dict gives its keys and a set an arbitrary order: read as a sequence, either
    would silently give other numbers than the ones meant.
    """
    if isinstance(values, Mapping):
        return "a dict"
    if isinstance(values, Set):
        return "a set"
    return None


def fractions_of(values: object, name: str) -> tuple[Fraction, ...]:
    """Convert a one-dimensional sequence to a tuple of exact rationals."""
    from .errors import InvalidValueError

    if isinstance(values, np.ndarray):
        if values.ndim != 1:
            raise InvalidValueError(f"{name} must be one-dimensional; got shape {values.shape}")
        if values.dtype.kind == "f":
            bad = np.flatnonzero(~np.isfinite(values))
            if bad.size:
                i = int(bad[0])
                raise InvalidValueError(f"{name}[{i}]: {float(values[i])!r} is not a finite number")
            if values.dtype.itemsize <= 8:  # embeds in float64: tolist() keeps every bit
                return tuple(Fraction(t) for t in values.tolist())
            return tuple(Fraction(*t.as_integer_ratio()) for t in values)
        items = values.tolist()
    elif isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise InvalidValueError(f"{name} must be a sequence of numbers; got {shorten(values)}")
    elif unordered(values):
        raise InvalidValueError(
            f"{name} must be a sequence of numbers in order; got {unordered(values)}"
        )
    else:
        items = list(values)
    return tuple(to_fraction(t, f"{name}[{i}]") for i, t in enumerate(items))


def floats_of(values: object, name: str) -> list[float]:
    """A one-dimensional sequence as the nearest float64s, read like :func:`fractions_of`.

    A list of floats is taken as it is; anything else is read exactly and rounded, and a
    value beyond the float64 range is refused (naming it) instead of becoming ``inf``.

    Examples
    --------
    >>> floats_of(["1/4", 2], "w")
    [0.25, 2.0]
    """
    from .errors import InvalidValueError

    if isinstance(values, Sequence) and all(isinstance(t, float) for t in values):
        return list(values)  # the common case, without a detour through Fractions
    qs = fractions_of(values, name)
    out = [fraction_to_float(q) for q in qs]
    for i, f in enumerate(out):
        if not math.isfinite(f):
            raise InvalidValueError(f"{name}[{i}]: {short_text(qs[i])} overflows float64")
    return out


def fraction_text(q: Fraction) -> str:
    """Exact text of a rational: ``"3"``, ``"-1/3"``.

    >>> fraction_text(Fraction(-2, 6))
    '-1/3'
    """
    num = int_text(q.numerator)
    return num if q.denominator == 1 else f"{num}/{int_text(q.denominator)}"


def fraction_to_float(q: Fraction) -> float:
    """Nearest float to ``q``, overflowing to +-inf instead of raising."""
    try:
        return float(q)
    except OverflowError:
        return math.inf if q > 0 else -math.inf


def short_text(q: Fraction) -> str:
    """Exact ``p/q`` text when short, else the nearest float (or a 10-digit form) marked ``~``.

    >>> short_text(Fraction(4, 49)), short_text(Fraction(10**400 + 1, 3))
    ('4/49', '~3.333333333e+399')
    """
    text = fraction_text(q)
    if len(text) <= 40:
        return text
    f = fraction_to_float(q)
    if 1e-300 < abs(f) < 1e300:
        return f"~{f!r}"
    digits = len(str(abs(q.numerator))) - len(str(q.denominator))
    mantissa = float(q / Fraction(10) ** digits)
    if abs(mantissa) < 1:  # the digit counts overestimate the exponent by at most one
        digits -= 1
        mantissa = float(q / Fraction(10) ** digits)
    return f"~{mantissa:.10g}e{digits:+d}"
