"""Seeds: a non-negative int, a :class:`numpy.random.Generator`, or ``None``, everywhere.

An int (or ``None``) gives a fresh generator, so equal seeds give equal draws. A Generator is
used as is and advanced, as NumPy's own functions do, so a caller can thread one generator
through several calls.
"""

from __future__ import annotations

import numpy as np

from .errors import InvalidValueError

Seed = int | np.random.Generator | None


def check_seed(seed: object, name: str = "seed") -> Seed:
    """``seed`` validated: an int >= 0, a Generator, or None (else InvalidValueError)."""
    if seed is None or isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0:
        return int(seed)
    raise InvalidValueError(
        f"{name}: {seed!r} is not a seed (give an int >= 0, a numpy.random.Generator or None)"
    )


def rng(seed: object, name: str = "seed") -> np.random.Generator:
    """A Generator for ``seed`` (the Generator itself when one is given)."""
    return np.random.default_rng(check_seed(seed, name))


def seed_sequences(seed: object, n: int, name: str = "seed") -> list[np.random.SeedSequence]:
    """``n`` independent child seed sequences of ``seed`` (of a Generator's own sequence)."""
    s = check_seed(seed, name)
    if isinstance(s, np.random.Generator):
        return s.bit_generator.seed_seq.spawn(n)
    return np.random.SeedSequence(s).spawn(n)


def seed_record(seed: Seed) -> int | None:
    """What a result records as its seed: the int, or None for a Generator (not replayable)."""
    return seed if isinstance(seed, int) else None
