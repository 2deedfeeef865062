"""Activation patterns of points in the plane: exact, complete, with checked witnesses."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pwl_kkt import (
    Dataset,
    DatasetNd,
    InvalidDataError,
    InvalidValueError,
    PlanePatterns,
    activation_patterns,
    plane_activation_patterns,
)
from pwl_kkt.geometry import plane_patterns as module

from .strategies import affine_maps, general_position_points, plane_points

# -- an independent brute force: exact Fourier-Motzkin feasibility of every sign vector ---------


def _feasible(rows: list[tuple[Fraction, ...]]) -> bool:
    """Is there ``u in R^3`` with ``c . u >= b`` for every row ``(c1, c2, c3, b)``?"""
    for var in range(3):
        pos = [r for r in rows if r[var] > 0]
        neg = [r for r in rows if r[var] < 0]
        rows = [r for r in rows if r[var] == 0]
        rows += [tuple(p[i] / p[var] - q[i] / q[var] for i in range(4)) for p in pos for q in neg]
    return all(r[3] <= 0 for r in rows)


def _brute_force(points: list[list[Fraction]]) -> set[tuple[bool, ...]]:
    """Every pattern, the empty one included: the 0/1 vectors ``A`` for which some ``u`` has
    ``u . (x_i, 1) > 0`` on ``A`` and ``< 0`` off it (zeros can always be pushed negative by
    ``-t (0, 0, 1)``), that is ``>= 1`` and ``<= -1`` after scaling ``u``."""
    aug = [(Fraction(a), Fraction(b), Fraction(1)) for a, b in points]
    found = set()
    for signs in itertools.product((True, False), repeat=len(points)):
        rows = [
            (*a, Fraction(1)) if s else (*(-t for t in a), Fraction(1)) for a, s in zip(aug, signs)
        ]
        if _feasible(rows):
            found.add(signs)
    return found


def _row_set(pp: PlanePatterns) -> set[tuple[bool, ...]]:
    return {tuple(r) for r in pp.patterns.tolist()}


def _assert_witnesses(pp: PlanePatterns, points: list[list[object]]) -> None:
    """Every witness gives exactly its pattern, in exact arithmetic."""
    xs = [[Fraction(v) for v in row] for row in points]
    for k, (row, u) in enumerate(zip(pp.patterns.tolist(), pp.witnesses.tolist())):
        signs = [u[0] * a + u[1] * b + u[2] > 0 for a, b in xs]
        assert signs == row, (k, u)


# -- completeness and exactness -------------------------------------------------------------------


@given(plane_points(max_size=7), st.booleans())
def test_equals_brute_force_with_collinear_and_repeated_points(points, include_empty):
    pp = plane_activation_patterns(points, include_empty=include_empty)
    truth = _brute_force(points)
    if not include_empty:
        truth.discard((False,) * len(points))
    assert _row_set(pp) == truth
    assert pp.count == len(truth)  # no pattern twice


@given(plane_points(max_size=12))
def test_witnesses_are_exact(points):
    pp = plane_activation_patterns(points, include_empty=True)
    _assert_witnesses(pp, points)
    assert pp.witnesses.dtype in (np.int64, object)


@given(general_position_points())
def test_general_position_has_n_squared_minus_n_plus_two_cells(points):
    n = len(points)
    assert plane_activation_patterns(points).count == n * n - n + 1
    pp = plane_activation_patterns(points, include_empty=True)
    assert pp.count == n * n - n + 2
    assert pp.lines == n * (n - 1) // 2


@given(plane_points(max_size=9), affine_maps())
def test_invariant_under_invertible_affine_maps(points, affine):
    A, c = affine
    moved = [[A[i][0] * x + A[i][1] * y + c[i] for i in range(2)] for x, y in points]
    assert _row_set(plane_activation_patterns(moved)) == _row_set(plane_activation_patterns(points))


@given(plane_points(max_size=9), st.randoms(use_true_random=False))
def test_permuting_points_permutes_columns(points, random):
    perm = list(range(len(points)))
    random.shuffle(perm)
    moved = plane_activation_patterns([points[i] for i in perm])
    base = plane_activation_patterns(points).patterns
    assert _row_set(moved) == {tuple(r) for r in base[:, perm].tolist()}


@given(plane_points(max_size=8))
def test_repeated_points_share_their_column(points):
    doubled = points + points[:1]
    pp = plane_activation_patterns(doubled)
    assert np.array_equal(pp.patterns[:, 0], pp.patterns[:, -1])
    assert pp.count == plane_activation_patterns(points).count


@given(st.lists(st.integers(-5, 5), min_size=1, max_size=8))
def test_collinear_points_are_the_one_dimensional_patterns_in_order(xs):
    """Points on the x-axis have the patterns of :func:`activation_patterns`, in its order:
    the suffixes ``{x >= z_k}`` (the full set first), then the prefixes ``{x <= z_{k-1}}``."""
    pp = plane_activation_patterns([[x, 0] for x in xs])
    z = sorted(set(xs))
    expected = [
        [x >= z[k] if kind > 0 else x <= z[k - 1] for x in xs]
        for kind, k in activation_patterns(xs)
    ]
    assert pp.patterns.tolist() == expected
    _assert_witnesses(pp, [[x, 0] for x in xs])


def test_floats_are_their_exact_values():
    """As decimals (0, 0), (1, 0.1), (3, 0.3) are collinear; as floats they are not."""
    as_text = plane_activation_patterns([[0, 0], [1, "0.1"], [3, "0.3"]])
    as_float = plane_activation_patterns(np.array([[0, 0], [1, 0.1], [3, 0.3]]))
    assert (as_text.count, as_text.lines) == (5, 1)
    assert (as_float.count, as_float.lines) == (7, 3)
    _assert_witnesses(as_float, [[0, 0], [1, 0.1], [3, 0.3]])


def test_angles_too_close_for_floats_are_sorted_exactly():
    """Seen from the origin, (10^20 + 1, 1) turns clockwise of (10^20, 1), but their float
    angles are equal: the exact check must reorder them."""
    big = 10**20
    points = [[0, 0], [big, 1], [big + 1, 1], [big, 2], [-1, -1]]
    pp = plane_activation_patterns(points)
    assert _row_set(pp) == _brute_force(points) - {(False,) * 5}
    _assert_witnesses(pp, points)


@pytest.mark.parametrize("k", [3, 5, 7, 11])
def test_collinear_points_with_big_coordinates_stay_collinear(k):
    """(0, 0), (A, B) and k (A, B) are collinear, but rounding A, B, kA and kB to floats
    makes the float cross product nonzero: only the filter's error bound sends it to exact
    arithmetic."""
    A, B = 2**70 + 2**40 + 12345, 3**44 + 1
    points = [[0, 0], [A, B], [k * A, k * B], [1, -5]]
    pp = plane_activation_patterns(points)
    assert (pp.count, pp.lines) == (11, 4)
    assert _row_set(pp) == _brute_force(points) - {(False,) * 4}
    _assert_witnesses(pp, points)


def test_coordinates_beyond_the_float_range():
    points = [[Fraction(10**400), 0], [0, Fraction(1, 10**400)], [1, 1], [-(10**300), 7]]
    pp = plane_activation_patterns(points)
    assert _row_set(pp) == _brute_force(points) - {(False,) * 4}
    _assert_witnesses(pp, points)


def test_hash_collisions_fall_back_to_comparing_patterns(monkeypatch):
    """With every key zero all patterns share a hash; the count check must catch it."""
    rng = np.random.default_rng(3)
    points = rng.integers(-4, 5, size=(12, 2)).tolist()
    expected = plane_activation_patterns(points)
    monkeypatch.setattr(module, "_zobrist_keys", lambda n: [np.zeros(n, dtype=np.uint64)] * 2)
    pp = plane_activation_patterns(points)
    assert _row_set(pp) == _row_set(expected)
    assert pp.count == expected.count
    _assert_witnesses(pp, points)


# -- small cases -------------------------------------------------------------------------------


def test_one_point_and_two_points():
    one = plane_activation_patterns([["1/2", 3]], include_empty=True)
    assert one.patterns.tolist() == [[True], [False]]
    assert one.witnesses.tolist() == [[0, 0, 1], [0, 0, -1]]
    assert plane_activation_patterns([[1, 1], [1, 1]]).patterns.tolist() == [[True, True]]
    two = plane_activation_patterns([[0, 0], [1, 2]])
    assert _row_set(two) == {(True, True), (True, False), (False, True)}
    _assert_witnesses(two, [[0, 0], [1, 2]])


def test_values_and_accessors():
    data = DatasetNd([[0, 0], [1, 0], [0, 1], [1, 1]], [1, -1, -1, 1])
    pp = plane_activation_patterns(data)
    assert pp.n == 4 and pp.count == 13 and pp.lines == 6
    assert pp.packed.shape == (13, 1) and pp.packed.dtype == np.uint8
    assert all(np.array_equal(pp.pattern(k), pp.patterns[k]) for k in range(pp.count))
    with pytest.raises(ValueError):
        pp.patterns[0, 0] = False  # read-only
    with pytest.raises(ValueError):
        pp.witnesses[0, 0] = 1


def test_large_set_is_complete_and_exact():
    """200 random float points: the count of general position, every witness checked."""
    x = np.random.default_rng(7).normal(size=(200, 2))
    pp = plane_activation_patterns(x)
    assert pp.count == 200 * 199 + 1
    assert len({r.tobytes() for r in pp.packed}) == pp.count
    xs = [[Fraction(a), Fraction(b)] for a, b in x.tolist()]
    D = 2 ** max(q.denominator.bit_length() for r in xs for q in r)
    ints = np.array([[int(q * D) for q in r] + [D] for r in xs], dtype=object)
    signs = (pp.witnesses.astype(object) @ ints.T) > 0
    assert np.array_equal(signs, pp.patterns)


# -- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "x, message",
    [
        ([[1, 2, 3]], "needs points in the plane (d = 2); got d = 3"),
        ([[1], [2]], "needs points in the plane (d = 2); got d = 1"),
        ([[1, 2], [3]], "x[1] has 1 coordinates but x[0] has 2"),
        ([], "no points"),
        (np.array([1.0, 2.0]), "needs points in the plane (d = 2) as an (n, 2) array"),
        (Dataset([1, 2], [1, -1]), "got d = 1 (a Dataset)"),
        (DatasetNd([[1, 2, 3]], [1]), "got d = 3"),
    ],
)
def test_bad_shapes_are_named(x, message):
    with pytest.raises(InvalidDataError) as err:
        plane_activation_patterns(x)
    assert message in str(err.value)


def test_bad_numbers_are_named():
    with pytest.raises(InvalidValueError, match=r"x\[1\]\[0\]: nan is not a finite number"):
        plane_activation_patterns(np.array([[0.0, 1.0], [np.nan, 2.0]]))
    with pytest.raises(InvalidValueError, match=r"x\[0\]\[1\]"):
        plane_activation_patterns([[0, "one"]])
