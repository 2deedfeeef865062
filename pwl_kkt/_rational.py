"""Exact rationals from user input, and exact rationals as text.

The one rule: a value becomes the rational it *is*. A binary float is the
dyadic rational it stores (``0.1`` is 3602879701896397/36028797018963968), a
text is the decimal or ``p/q`` it spells (``"0.1"`` is 1/10).
"""

from __future__ import annotations

import math
import numbers
from fractions import Fraction

import numpy as np


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
        f = float(value)
        if not math.isfinite(f):
            raise InvalidValueError(f"{where}: {value!r} is not a finite number")
        return Fraction(f)
    if isinstance(value, str):
        text = value.strip()
        try:
            return Fraction(text)
        except (ValueError, ZeroDivisionError):
            if text.lower().lstrip("+-") in {"nan", "inf", "infinity"}:
                raise InvalidValueError(f"{where}: {value!r} is not a finite number") from None
            raise InvalidValueError(
                f"{where}: cannot read {value!r} as a number (use a decimal like '0.25' or 'p/q')"
            ) from None
    if isinstance(value, numbers.Rational) or type(value).__name__ in {
        "fmpq",
        "fmpz",
        "mpq",
        "mpz",
    }:
        return Fraction(int(value.numerator), int(value.denominator))
    if getattr(value, "is_number", False):  # sympy Float, sqrt(2), pi: not exact rationals
        raise InvalidValueError(
            f"{where}: {value!r} is not an exact rational (give a Rational, a float or 'p/q' text)"
        )
    raise InvalidValueError(f"{where}: {value!r} of type {type(value).__name__} is not a number")


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
            return tuple(Fraction(float(t)) for t in values.tolist())
        items = values.tolist()
    elif isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise InvalidValueError(f"{name} must be a sequence of numbers; got {values!r}")
    else:
        items = list(values)
    return tuple(to_fraction(t, f"{name}[{i}]") for i, t in enumerate(items))


def fraction_text(q: Fraction) -> str:
    """Exact text of a rational: ``"3"``, ``"-1/3"``.

    >>> fraction_text(Fraction(-2, 6))
    '-1/3'
    """
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


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
