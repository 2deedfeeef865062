"""Hypothesis strategies shared by every test module.

Small rationals on purpose: collisions (shared kinks, exact cancellations,
kinks on data points) are then common rather than measure-zero events.
"""

from __future__ import annotations

from fractions import Fraction

from hypothesis import strategies as st

from pwl_kkt import Dataset, Network

small_ints = st.integers(min_value=-4, max_value=4)
small_rationals = st.builds(Fraction, small_ints, st.integers(min_value=1, max_value=3))
positive_rationals = st.builds(
    Fraction, st.integers(min_value=1, max_value=5), st.integers(min_value=1, max_value=3)
)


@st.composite
def exact_networks(draw, min_width: int = 1, max_width: int = 6, values=small_rationals) -> Network:
    """Exact networks with small rational parameters (many ties and cancellations)."""
    k = draw(st.integers(min_value=min_width, max_value=max_width))
    w = draw(st.lists(values, min_size=k, max_size=k))
    b = draw(st.lists(values, min_size=k, max_size=k))
    v = draw(st.lists(values, min_size=k, max_size=k))
    return Network(w, b, v)


@st.composite
def float_networks(draw, min_width: int = 1, max_width: int = 8) -> Network:
    """Float networks with moderate, finite parameters."""
    import numpy as np

    k = draw(st.integers(min_value=min_width, max_value=max_width))
    floats = st.floats(min_value=-10, max_value=10, allow_nan=False, allow_subnormal=False)
    arrays = [np.array(draw(st.lists(floats, min_size=k, max_size=k))) for _ in range(3)]
    return Network(*arrays)


@st.composite
def exact_datasets(draw, min_size: int = 1, max_size: int = 8) -> Dataset:
    """Exact datasets with distinct small rational x and random labels."""
    xs = draw(st.lists(small_rationals, min_size=min_size, max_size=max_size, unique=True))
    ys = draw(st.lists(st.sampled_from([-1, 1]), min_size=len(xs), max_size=len(xs)))
    return Dataset(xs, ys)


dyadic_values = st.builds(
    lambda n, e: Fraction(n, 2**e),
    st.integers(min_value=-8, max_value=8),
    st.integers(min_value=0, max_value=3),
)


@st.composite
def dyadic_float_networks(draw, min_width: int = 1, max_width: int = 10) -> Network:
    """Float networks with small dyadic parameters: float ties are frequent and exact."""
    import numpy as np

    k = draw(st.integers(min_value=min_width, max_value=max_width))
    arrays = [
        np.array([float(q) for q in draw(st.lists(dyadic_values, min_size=k, max_size=k))])
        for _ in range(3)
    ]
    return Network(*arrays)
