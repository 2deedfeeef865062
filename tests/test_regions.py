"""Exact piecewise-linear form and effective linear regions."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pwl_kkt import (
    InvalidValueError,
    Network,
    Tolerance,
    count_regions,
    linear_regions,
    merged_regions,
    piecewise_linear,
    region_graph,
)

from .strategies import dyadic_float_networks, exact_networks, positive_rationals, small_rationals


def brute_force_count(net: Network, interval=None) -> int:
    """Count slope changes by exact evaluation only, without the jump formula.

    Candidates are all kink locations; at each, compare the slopes of N measured
    on tiny intervals to its left and right (smaller than half the gap to any
    other candidate, so each side is a single affine piece).
    """
    w, b, _ = net.fractions()
    cands = sorted({-bj / wj for wj, bj in zip(w, b) if wj})
    if interval is not None:
        cands = [t for t in cands if interval[0] < t < interval[1]]
    all_cands = sorted({-bj / wj for wj, bj in zip(w, b) if wj})
    gaps = [q - p for p, q in zip(all_cands, all_cands[1:])]
    h = (min(gaps) / 4) if gaps else Fraction(1)
    count = 0
    for t in cands:
        left = (net.exact_value(t) - net.exact_value(t - h)) / h
        right = (net.exact_value(t + h) - net.exact_value(t)) / h
        count += left != right
    return count + 1


@given(exact_networks(max_width=7))
def test_exact_count_equals_brute_force(net):
    assert count_regions(net) == brute_force_count(net)
    assert linear_regions(net).count == brute_force_count(net)


@given(exact_networks(max_width=6), small_rationals, positive_rationals)
def test_interval_count_equals_brute_force(net, lo, length):
    interval = (lo, lo + length)
    assert count_regions(net, interval) == brute_force_count(net, interval)
    assert linear_regions(net, interval).count == count_regions(net, interval)


@given(dyadic_float_networks(max_width=12))
def test_float_filter_agrees_with_exact_path(net):
    # Dyadic parameters make float ties common; the filtered float path must
    # decide them exactly like the all-Fraction path on the same dyadic values.
    assert count_regions(net) == count_regions(net.to_exact())
    assert count_regions(net, (-1, "1/2")) == count_regions(net.to_exact(), (-1, "1/2"))


@given(exact_networks(max_width=6))
def test_graph_merging_agrees(net):
    merged = merged_regions(region_graph(net))
    regions = linear_regions(net).regions
    assert len(merged) == len(regions)
    assert [(r.slope, r.intercept) for r in merged] == [(r.slope, r.intercept) for r in regions]
    assert [r.hi for r in merged[:-1]] == list(linear_regions(net).breakpoints)


@given(st.one_of(exact_networks(max_width=8), dyadic_float_networks(max_width=8)))
def test_graph_pieces_equal_exact_evaluation(net):
    # The prefix-sum affine maps must be what the network computes: two exact
    # evaluations inside every piece (no jump formula involved) fix its map.
    w, b, _ = net.fractions()
    cuts = sorted({-bj / wj for wj, bj in zip(w, b) if wj})
    graph = region_graph(net)
    assert graph.number_of_nodes() == len(cuts) + 1
    ends = [None, *cuts, None]
    for p in range(len(cuts) + 1):
        lo, hi = ends[p], ends[p + 1]
        node = graph.nodes[p]
        assert (node["lo"], node["hi"]) == (lo, hi)
        x1 = Fraction(0) if lo is None and hi is None else (hi - 1 if lo is None else (
            lo + 1 if hi is None else (lo + hi) / 2))
        x0 = x1 - 1 if lo is None else (lo + x1) / 2
        for x in (x0, x1):
            assert node["slope"] * x + node["intercept"] == net.exact_value(x)


@given(exact_networks(max_width=6), positive_rationals, st.randoms(use_true_random=False))
def test_invariant_under_scaling_and_permutation(net, a, rnd):
    order = list(range(net.width))
    rnd.shuffle(order)
    base = linear_regions(net)
    scaled = linear_regions(net.scaled(a))
    assert scaled.breakpoints == base.breakpoints
    assert scaled.slopes == tuple(a * a * s for s in base.slopes)
    assert linear_regions(net.permuted(order)) == base


@given(exact_networks(max_width=5), st.data())
def test_splitting_adding_zero_and_cancelling_neurons_change_nothing(net, data):
    w, b, v = (list(p) for p in net.fractions())
    j = data.draw(st.integers(0, net.width - 1))
    split = Network(w + [w[j]], b + [b[j]], v[:j] + [v[j] / 2] + v[j + 1 :] + [v[j] / 2])
    zero_out = Network(w + [data.draw(small_rationals)], b + [data.draw(small_rationals)], v + [0])
    zero_in = Network(w + [0, 0], b + [0, -1], v + [data.draw(small_rationals)] * 2)
    pair = (data.draw(small_rationals), data.draw(small_rationals), data.draw(small_rationals))
    cancel = Network(w + [pair[0]] * 2, b + [pair[1]] * 2, v + [pair[2], -pair[2]])
    base = piecewise_linear(net)
    for other in (split, zero_out, zero_in, cancel):
        assert piecewise_linear(other) == base


@given(exact_networks(max_width=8))
def test_count_at_most_width_plus_one(net):
    assert 1 <= count_regions(net) <= net.width + 1


@given(exact_networks(max_width=8), st.lists(st.floats(-50, 50), min_size=1, max_size=20))
def test_float_evaluation_of_form_matches_forward_pass(net, xs):
    x = np.array(xs)
    f = piecewise_linear(net)
    w, b, v = net.arrays()
    # Both sides round O(k) products and sums of magnitude at most
    # sum_j |v_j| (|w_j| |x| + |b_j|); 1e-12 of that scale is ~4500 ulps of slack.
    scale = np.abs(v) @ (np.abs(np.multiply.outer(w, x)) + np.abs(b)[:, None]) + 1.0
    assert np.all(np.abs(f.evaluate(x) - net(x)) <= 1e-12 * scale)
    for t in xs[:3]:
        assert f(t) == net.exact_value(t)


def test_shared_kink_cancels_exactly():
    # (w, b) = (3, -1) and (6, -2) both kink at 1/3; jumps 2*3 and -1*6 cancel.
    net = Network([3, 6], [-1, -2], [2, -1])
    assert count_regions(net) == 1
    assert count_regions(net.to_float()) == 1
    assert piecewise_linear(net).slopes == (Fraction(0),)
    net2 = Network([3, 6], [-1, -2], [1, 1])
    assert piecewise_linear(net2).breakpoints == (Fraction(1, 3),)
    assert count_regions(net2.to_float()) == 2


def test_extreme_magnitudes_are_exact():
    big, tiny = 1e300, 1e-300
    # Kinks at -1e-600 (underflows to -0.0 as a float) and -1e600 (overflows to -inf);
    # the last two neurons share the exact kink -1e600 and cancel, the third does not.
    w = np.array([big, tiny, tiny, 2 * tiny, tiny])
    b = np.array([tiny, big, big, 2 * big, 3 * big])
    v = np.array([1.0, 1.0, 2.0, -1.0, 1.0])
    net = Network(w, b, v)
    exact = net.to_exact()
    f = piecewise_linear(exact)
    assert f.breakpoints == tuple(
        sorted(
            {
                -Fraction(3 * big) / Fraction(tiny),
                -Fraction(big) / Fraction(tiny),
                -Fraction(tiny) / Fraction(big),
            }
        )
    )
    assert count_regions(net) == count_regions(exact) == 4
    assert count_regions(net, (-1, 1)) == 2


def test_text_is_the_decimal_it_spells():
    net = Network(["0.1"], ["-0.03"], [1])
    assert piecewise_linear(net).breakpoints == (Fraction(3, 10),)
    assert Network([0.1], [-0.03], [1]).fractions()[0][0] != Fraction(1, 10)


def test_regions_carry_intervals_slopes_and_intercepts():
    net = Network([1, 1], [0, -1], [1, -2])  # x on [0, 1], then 2 - x
    result = linear_regions(net)
    assert [(r.lo, r.hi, r.slope, r.intercept) for r in result.regions] == [
        (None, 0, 0, 0),
        (0, 1, 1, 0),
        (1, None, -1, 2),
    ]
    clipped = linear_regions(net, interval=("1/2", 3))
    assert [(r.lo, r.hi) for r in clipped.regions] == [(Fraction(1, 2), 1), (1, 3)]
    assert linear_regions(net, interval=(1, 1)).count == 1
    d = result.to_dict()
    assert d["count"] == 3 and d["breakpoints"] == ["0", "1"] and d["slopes"] == ["0", "1", "-1"]


def test_sign_changes():
    f = piecewise_linear(Network([1, 1], [0, -1], [1, -2]))
    assert f.sign_changes() == (0, 2)
    # relu(-x) + relu(x - 1) - relu(x - 2) is zero on [0, 1] and positive elsewhere:
    # with sign(0) = -1 the label changes at 0 and 1, with sign(0) = +1 never.
    g = piecewise_linear(Network([1, 1, -1], [-1, -2, 0], [1, -1, 1]))
    assert g.sign_changes(zero_sign=-1) == (0, 1)
    assert g.sign_changes(zero_sign=1) == ()
    h = piecewise_linear(Network([1], [0], [1]))  # relu: 0 then positive
    assert h.sign_changes(zero_sign=-1) == (0,)
    assert h.sign_changes(zero_sign=1) == ()


def test_tolerance_mode_merges_tiny_and_close_kinks():
    net = Network(
        np.array([1.0, 1.0, 1.0]), np.array([0.0, -1e-12, -5.0]), np.array([1.0, 1.0, 1e-15])
    )
    assert count_regions(net) == 4
    assert count_regions(net, tol=1e-9) == 2
    loose = linear_regions(net, tol=Tolerance(jump=0.0, distance=1e-9))
    assert loose.count == 3 and not loose.exact
    assert loose.regions[1].slope == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("interval", "message"),
    [
        ((2, 1), "lo = 2 is greater than hi = 1"),
        ((0,), "must be a pair"),
        (("x", 1), "interval lo"),
    ],
)
def test_bad_interval(interval, message):
    with pytest.raises(InvalidValueError, match=message):
        count_regions(Network([1], [0], [1]), interval)


@pytest.mark.parametrize("tol", [-1.0, float("nan"), "abc"])
def test_bad_tolerance(tol):
    with pytest.raises(InvalidValueError, match="tol"):
        count_regions(Network([1], [0], [1]), tol=tol)


@given(
    st.lists(
        st.tuples(
            st.floats(-1e6, 1e6, allow_subnormal=False).filter(bool),
            st.floats(-1e6, 1e6, allow_subnormal=False),
            st.floats(-1e6, 1e6, allow_subnormal=False).filter(bool),
            st.floats(1e-3, 1e3),
            st.sampled_from([0.5, 1.0, -1.0, 1.5]),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_float_filter_on_planted_near_ties(neurons):
    # Each neuron gets a partner (c*w, c*b, s*v/c): float rounding of c*w and c*b
    # makes kinks that tie as floats but may differ exactly, and jumps that cancel
    # only when s = -1 and the rounding happens to be exact.
    w, b, v = [], [], []
    for wj, bj, vj, c, s in neurons:
        w += [wj, c * wj]
        b += [bj, c * bj]
        v += [vj, s * vj / c]
    net = Network(np.array(w), np.array(b), np.array(v))
    assert count_regions(net) == count_regions(net.to_exact())


# --- tolerance mode with kinks beyond the float range (issue 15) ---------------------------------


def _value_at_zero(regions) -> float:
    return next(r.intercept for r in regions if (r.lo is None or r.lo <= 0) and
                (r.hi is None or 0 <= r.hi))


@given(dyadic_float_networks(max_width=6), st.sampled_from([1e-300, -1e-300]),
       st.sampled_from([1e300, -1e300]), st.sampled_from([0.0, 1e-6]))
def test_tolerance_mode_never_reports_inf_and_keeps_n_at_zero(net, w_far, b_far, tol):
    """A neuron relu(w x + b) with |b / w| = 1e600 has its kink beyond the float range: slopes
    and intercepts stay finite, the kink keeps its exact location (tol = 0) and the described
    function equals N at x = 0 (dropped kinks move to infinity with their affine part)."""
    w, b, v = net.arrays()
    far = Network(np.r_[w, w_far], np.r_[b, b_far], np.r_[v, 1.0])
    res = linear_regions(far, tol=tol)
    assert all(np.isfinite(r.slope) and np.isfinite(r.intercept) for r in res.regions)
    assert all(not isinstance(q, float) or np.isfinite(q) for q in res.breakpoints)
    n0 = float(far.exact_value(0))  # slopes and intercepts are exact sums rounded once
    # ... of moments jump * location at the float kink locations -b/w (correctly rounded, as
    # tolerance mode clusters them): each moment is off by at most 2^-52 of itself, so the
    # intercept is exact up to 1e-12 of the largest finite moment |v_j b_j|.
    finite = np.abs(b / np.where(w == 0, 1.0, w)) < 1e300
    scale = float(np.max(np.abs(v * b)[finite], initial=0.0))
    assert _value_at_zero(res.regions) == pytest.approx(n0, rel=1e-12, abs=1e-12 * scale + 1e-300)
    if tol == 0:
        assert -Fraction(b_far) / Fraction(w_far) in res.breakpoints
