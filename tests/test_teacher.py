"""Teacher-student setting (Safran et al., Assumptions 2.1, 2.2): exact labels, rho, error."""

from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pwl_kkt import (
    InvalidNetworkError,
    InvalidValueError,
    Network,
    NotSeparableError,
    PiecewiseUniform,
    TeacherStudent,
    Uniform,
    init_network,
    label_changes,
    piecewise_linear,
    population_error,
    random_teacher,
    rho,
    sign_changes_inside,
    teacher_labels,
    teacher_network,
    teacher_student_setup,
)

from .strategies import exact_networks, small_rationals

# --- brute force by exact evaluation on a grid ----------------------------------------------------


def exact_label(net: Network, x: Fraction) -> int:
    """sign(N(x)) with sign(0) = -1, straight from the definition (no piecewise-linear form)."""
    return 1 if net.exact_value(x) > 0 else -1


def grid_runs(net: Network, R: Fraction, m: int) -> list[tuple[int, int]]:
    """Runs (label, number of cells) of the labels at the midpoints of m equal cells of [-R, R]."""
    h = 2 * R / m
    labels = [exact_label(net, -R + h * (i + Fraction(1, 2))) for i in range(m)]
    runs: list[tuple[int, int]] = []
    for label in labels:
        if runs and runs[-1][0] == label:
            runs[-1] = (label, runs[-1][1] + 1)
        else:
            runs.append((label, 1))
    return runs


def brute_population_error(student, teacher, dist: PiecewiseUniform, m: int) -> Fraction:
    """Midpoint rule on m cells: sum of density * width over cells whose midpoint labels differ."""
    R = dist.R
    h = 2 * R / m
    total = Fraction(0)
    for i in range(m):
        mid = -R + h * (i + Fraction(1, 2))
        if exact_label(student, mid) != exact_label(teacher, mid):
            total += dist.density(mid) * h
    return total


sorted_points = st.lists(small_rationals, min_size=1, max_size=6, unique=True).map(sorted)


# --- teacher construction -------------------------------------------------------------------------


@given(points=sorted_points, first=st.sampled_from([-1, 1]))
def test_teacher_network_changes_sign_exactly_at_the_given_points(points, first):
    net = teacher_network(points, first_label=first)
    assert net.width == len(points)
    assert piecewise_linear(net).sign_changes(zero_sign=-1) == tuple(points)
    # The label left of the first change is first_label, and labels alternate.
    probes = [points[0] - 1] + [(a + b) / 2 for a, b in zip(points, points[1:])] + [points[-1] + 1]
    assert [exact_label(net, p) for p in probes] == [
        first * (-1) ** i for i in range(len(points) + 1)
    ]


@pytest.mark.parametrize("r", [1, 2, 5, 12])
@pytest.mark.parametrize("R", [1, "1/2", 3])
def test_random_teacher_has_r_changes_inside_and_a_rho_floor(r, R):
    net = random_teacher(r, R=R, seed=r)
    changes = sign_changes_inside(net, R)
    assert len(changes) == r and net.width == r
    assert rho(net, R) >= Fraction(R) / (4 * (r + 1))
    assert random_teacher(r, R=R, seed=r) == net  # deterministic


@pytest.mark.parametrize(("r", "m"), [(1, 1), (4, 1), (6, 3), (7, 7)])
def test_random_teacher_of_width_r_with_fewer_sign_changes(r, m):
    net = random_teacher(r, R=2, seed=0, changes=m)
    assert net.width == r and len(sign_changes_inside(net, 2)) == m
    s = teacher_student_setup(r=r, n=100, k=3, R=2, seed=0, changes=m)
    assert s.teacher.width == r and len(s.sign_changes) == m
    assert label_changes(s.data.x_float, s.data.y) <= m


# --- rho ------------------------------------------------------------------------------------------


def test_rho_hand_computed_with_end_pieces():
    net = teacher_network(["-1/2", "1/4", "3/4"])
    # Pieces in [-1, 1]: [-1,-1/2], [-1/2,1/4], [1/4,3/4], [3/4,1] -> lengths 1/2, 3/4, 1/2, 1/4.
    assert rho(net, 1) == Fraction(1, 4)
    assert rho(net, 2) == Fraction(1, 2)  # [3/4, 2] now has length 5/4
    assert rho(teacher_network([5]), 1) == 2  # no change inside [-1, 1]: one piece of length 2R
    assert rho(teacher_network([1]), 1) == 2  # a change exactly at R is not counted


def test_rho_is_not_split_by_a_touch_of_zero():
    net = Network([1, -1], [0, 0], [1, 1])  # |x|: zero only at 0, label -1 there, +1 around
    assert sign_changes_inside(net, 1) == ()
    assert rho(net, 1) == 2


def test_rho_matches_grid_brute_force_on_aligned_teachers():
    # r = 3 puts the sign changes on multiples of 2/(8 (r + 1)) = 1/16; with grid cells of
    # 1/64 no cell straddles a change, so the midpoint runs have exactly the true lengths.
    for seed in range(6):
        net = random_teacher(3, R=1, seed=seed)
        assert all((t * 16).denominator == 1 for t in sign_changes_inside(net, 1))
        runs = grid_runs(net, Fraction(1), 128)
        assert rho(net, 1) == min(count for _, count in runs) * Fraction(2, 128)


@given(net=exact_networks(max_width=4))
def test_rho_matches_grid_brute_force_within_two_cells(net):
    R, m = Fraction(5), 400
    h = 2 * R / m
    runs = grid_runs(net, R, m)
    brute = min(count for _, count in runs) * h
    exact = rho(net, R)
    # A change point lies in one cell, so each run length is off by less than two cells. The
    # grid can miss a piece shorter than a cell entirely; then exact < 2h is all we can check.
    if len(runs) == len(sign_changes_inside(net, R)) + 1:
        assert abs(brute - exact) < 2 * h
    else:
        assert exact < 2 * h


# --- labels ---------------------------------------------------------------------------------------


@given(net=exact_networks(max_width=5), xs=st.lists(small_rationals, min_size=1, max_size=10))
def test_teacher_labels_equal_exact_signs_including_kinks_and_zeros(net, xs):
    # Small rationals make points on kinks, on zeros and on sign changes common.
    expected = [exact_label(net, q) for q in xs]
    assert teacher_labels(net, xs).tolist() == expected
    floats = np.array([float(q) for q in xs])
    assert teacher_labels(net, floats).tolist() == [
        exact_label(net, Fraction(f)) for f in floats.tolist()
    ]


def test_teacher_labels_sign_zero_is_minus_one():
    net = Network([1, -1], [0, 0], [1, 1])  # |x|
    assert teacher_labels(net, [-1, 0, 1]).tolist() == [1, -1, 1]
    assert teacher_labels(net, np.array([0.0, 1e-300])).tolist() == [-1, 1]


def test_label_changes_at_most_r_on_teacher_data():
    for seed in range(4):
        s = teacher_student_setup(r=4, n=300, k=3, seed=seed)
        assert label_changes(s.data.x_float, s.data.y) <= 4
    assert label_changes([0, 1, 2, 3], [1, 1, -1, 1]) == 2
    with pytest.raises(NotSeparableError, match="carry both labels"):
        label_changes([0, 0], [1, -1])


# --- distributions --------------------------------------------------------------------------------


def test_piecewise_uniform_exact_measure_and_bound():
    d = PiecewiseUniform([-2, -1, 1, 2], ["1/8", "1/4", "3/8"])
    assert d.R == 2 and d.C == Fraction(3, 8)
    assert d.measure(-2, 2) == 1
    assert d.measure("-3/2", "1/2") == Fraction(1, 16) + Fraction(3, 8)
    assert d.measure(5, 6) == 0 and d.measure(1, 0) == 0
    assert d.density("-3/2") == Fraction(1, 8) and d.density(3) == 0
    assert PiecewiseUniform.from_dict(json.loads(json.dumps(d.to_dict()))) == d
    u = Uniform("1/2")
    assert u.C == 1 and u.measure(0, 1) == Fraction(1, 2)
    assert Uniform.from_dict(u.to_dict()) == u


@pytest.mark.parametrize("seed", range(5))
def test_random_piecewise_uniform_respects_C(seed):
    d = PiecewiseUniform.random(R=2, C="1/3", pieces=5, seed=seed)
    assert d.C <= Fraction(1, 3)
    assert d.measure(-2, 2) == 1


def test_sampling_follows_the_piece_masses():
    d = PiecewiseUniform([-1, 0, 1], ["1/4", "3/4"])
    x = d.sample(20_000, np.random.default_rng(0))
    assert np.abs(x).max() <= 1
    # Binomial(20000, 3/4): standard deviation 0.0031; 0.02 is over six of them.
    assert abs((x >= 0).mean() - 0.75) < 0.02
    assert np.array_equal(x, d.sample(20_000, np.random.default_rng(0)))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Uniform(-1), "R: -1 must be positive"),
        (lambda: Uniform(0), "R: 0 must be positive"),
        (lambda: PiecewiseUniform.random(R=1, C=-1), "C: -1 must be non-negative"),
        (lambda: PiecewiseUniform.random(R=1, C="1/4"), r"too small.*1/\(2R\) = 1/2"),
        (lambda: PiecewiseUniform([-1, 1], ["1/4"]), "integrate to 1/2, not 1"),
        (lambda: PiecewiseUniform([-1, 0, 1], [-1, 2]), r"densities\[0\] = -1 is negative"),
        (lambda: PiecewiseUniform([-1, 2], ["1/3"]), "from -R to R"),
        (lambda: PiecewiseUniform([-1, 1, 0, 1], [1, 1, 1]), r"edges\[2\] = 0 is not increasing"),
        (lambda: random_teacher(0), "r: 0 must be at least 1"),
        (lambda: random_teacher(2, R=-1), "R: -1 must be positive"),
        (lambda: random_teacher(2, changes=3), "changes: 3 exceeds the width r = 2"),
        (lambda: random_teacher(2, changes=0), "changes: 0 must be at least 1"),
        (lambda: teacher_network([]), "at least one sign change"),
        (lambda: teacher_network([1, 0]), r"sign_changes\[1\] = 0 is not greater"),
        (lambda: teacher_network([0], first_label=0), "first_label: 0 must be -1 or"),
        (lambda: rho(teacher_network([0]), -2), "R: -2 must be positive"),
        (lambda: init_network(2, sigma_h=-1.0), "sigma_h: -1.0 must be a positive"),
        (lambda: init_network(2, sigma_o=math.nan), "sigma_o: nan must be a non-negative"),
        (lambda: teacher_labels(teacher_network([0]), np.array([np.nan])), r"x\[0\]: nan"),
        (lambda: teacher_student_setup(r=0, n=5, k=2), "r: 0 must be at least 1"),
        (lambda: teacher_student_setup(r=1, n=5, k=2, R=-1), "R: -1 must be positive"),
        (
            lambda: teacher_student_setup(r=2, n=5, k=2, teacher=teacher_network([0])),
            "teacher: has width 1, not r = 2",
        ),
        (
            lambda: teacher_student_setup(r=1, n=5, k=2, R=2, distribution=Uniform(1)),
            r"lives on \[-1, 1\] but R = 2",
        ),
    ],
)
def test_bad_input_messages(make, message):
    with pytest.raises(InvalidValueError, match=message):
        make()


def test_zero_width_is_an_invalid_network():
    with pytest.raises(InvalidNetworkError, match="width 0"):
        init_network(0)
    with pytest.raises(InvalidNetworkError, match="width 0"):
        teacher_student_setup(r=1, n=5, k=0)


# --- population error -----------------------------------------------------------------------------


def test_population_error_hand_computed():
    teacher = teacher_network(["-1/2", "1/2"])  # -1 on [-1,-1/2], +1 on (-1/2,1/2], -1 beyond
    student = teacher_network(["1/4"])  # -1 up to 1/4, +1 beyond
    # Disagreement on (-1/2, 1/4) and (1/2, 1]: measure 3/8 + 1/4 under Uniform(1).
    assert population_error(student, teacher, Uniform(1)) == Fraction(5, 8)
    d = PiecewiseUniform([-1, 0, 1], ["1/4", "3/4"])
    # (-1/2, 0): 1/2 * 1/4;  (0, 1/4): 1/4 * 3/4;  (1/2, 1]: 1/2 * 3/4.
    assert population_error(student, teacher, d) == Fraction(11, 16)
    assert population_error(teacher, teacher, d) == 0


@given(
    student=exact_networks(max_width=4),
    teacher=exact_networks(max_width=4),
    seed=st.integers(0, 3),
)
def test_population_error_matches_midpoint_brute_force(student, teacher, seed):
    dist = PiecewiseUniform.random(R=4, C="1/4", pieces=4, seed=seed)
    m = 320
    exact = population_error(student, teacher, dist)
    brute = brute_population_error(student, teacher, dist, m)
    # Only cells containing a sign change of either network can be misjudged by the
    # midpoint rule; each contributes at most C * cell width.
    changes = len(sign_changes_inside(student, 4)) + len(sign_changes_inside(teacher, 4))
    assert abs(exact - brute) <= changes * dist.C * Fraction(8, m)


def test_population_error_of_a_float_student_uses_its_dyadic_values():
    student = Network(np.array([1.0]), np.array([-0.1]), np.array([1.0]))  # change at fl(0.1)
    teacher = teacher_network([0])
    assert population_error(student, teacher, Uniform(1)) == Fraction(0.1) / 2


# --- Assumption 2.1 and the whole setup -----------------------------------------------------------


def test_init_network_scales():
    net = init_network(20_000, sigma_h=2.0, sigma_o=0.25, seed=3)
    w, b, v = net.arrays()
    # Sample standard deviations of 20000 normals: relative standard error 0.5%; allow 3%.
    assert abs(w.std() / 2.0 - 1) < 0.03 and abs(b.std() / 2.0 - 1) < 0.03
    assert abs(v.std() / 0.25 - 1) < 0.03
    assert net == init_network(20_000, 2.0, 0.25, seed=3)
    assert net != init_network(20_000, 2.0, 0.25, seed=4)


def test_teacher_student_setup_is_consistent_and_round_trips():
    s = teacher_student_setup(r=3, n=200, k=16, R=2, seed=7, sigma_h=0.5)
    assert s.r == 3 and s.R == 2 and s.data.n == 200 and s.init.width == 16
    assert s.sign_changes == sign_changes_inside(s.teacher, 2)
    assert s.rho == rho(s.teacher, 2)
    assert teacher_labels(s.teacher, s.data.x_float).tolist() == s.data.y.tolist()
    assert np.abs(s.data.x_float).max() <= 2
    # Changing the width leaves teacher and data alone (independent random streams).
    other = teacher_student_setup(r=3, n=200, k=40, R=2, seed=7, sigma_h=0.5)
    assert other.teacher == s.teacher and other.data == s.data
    back = TeacherStudent.from_dict(json.loads(json.dumps(s.to_dict())))
    assert back.teacher == s.teacher and back.data == s.data and back.init == s.init
    assert back.rho == s.rho and back.distribution == s.distribution


def test_setup_with_user_teacher_and_piecewise_density():
    teacher = teacher_network(["-1/3", "1/3"], first_label=1)
    dist = PiecewiseUniform.random(R=1, C=1, pieces=3, seed=0)
    s = teacher_student_setup(r=2, n=50, k=4, teacher=teacher, distribution=dist, seed=1)
    assert s.teacher == teacher and s.rho == Fraction(2, 3)
    assert population_error(s.teacher, s.teacher, dist) == 0


def test_init_network_with_negative_zero_output_scale_gives_zero_output_weights() -> None:
    # -0.0 is a valid zero scale (it compares >= 0), not an error from numpy
    from pwl_kkt import init_network

    net = init_network(4, sigma_o=-0.0, seed=1)
    assert all(v == 0 for v in net.arrays()[2])
