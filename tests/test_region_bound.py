"""The 32r + 67 bound of Theorem 4.2, and the mechanism behind it, as properties.

Theorem 4.2 of Safran, Vardi & Lee (2022) rests on the KKT equations (5)-(6): at a KKT point,
neuron j's kink is ``t_j = -b_j / w_j = -(sum_{i in A_j} lambda_i y_i) /
(sum_{i in A_j} lambda_i y_i x_i)`` where A_j is the set of support points the
neuron is active on. So neurons with the same activation pattern on the support
share one kink, and the number of effective regions is governed by the patterns,
not by the width. These tests build exact KKT points of any width (by splitting
the neurons of KKT points into rational pieces ``(a theta_j, c theta_j)`` with
``a^2 + c^2 = 1``, which keeps N, ||theta|| and KKT-ness), prove them KKT exactly,
and check the bound with r = the number of label changes along the sorted sample.
"""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pwl_kkt import (
    Dataset,
    Network,
    count_regions,
    kkt_instance,
    label_changes,
    region_bound,
    verify_kkt_exact,
)

from .strategies import teacher_student_trials

# Rational points on the unit circle: a^2 + c^2 = 1.
PYTHAGOREAN = [(Fraction(3, 5), Fraction(4, 5)), (Fraction(5, 13), Fraction(12, 13)),
               (Fraction(8, 17), Fraction(15, 17))]


def split_neurons(net: Network, pieces: list[int]) -> Network:
    """Split neuron j into ``pieces[j]`` rational parts; N, ||theta|| and KKT-ness are kept."""
    w, b, v = (list(p) for p in net.fractions())
    out: tuple[list, list, list] = ([], [], [])
    for j in range(net.width):
        parts = [Fraction(1)]
        for t in range(pieces[j] - 1):
            a, c = PYTHAGOREAN[t % len(PYTHAGOREAN)]
            parts = parts[:-1] + [parts[-1] * a, parts[-1] * c]
        for s in parts:
            for dst, src in zip(out, (w, b, v)):
                dst.append(s * src[j])
    return Network(*out)


@st.composite
def exact_kkt_points(draw) -> tuple[Network, Dataset]:
    """Exact KKT points of Problem (4), up to width ~300, proven KKT by verify_kkt_exact."""
    family = draw(st.sampled_from(["clusters", "constant"]))
    n = draw(st.integers(2, 8))
    k = draw(st.integers(2, 6))
    net, data = kkt_instance(n, k, exact=True, seed=draw(st.integers(0, 10**6)), family=family)
    pieces = draw(st.lists(st.integers(1, 60), min_size=net.width, max_size=net.width))
    return split_neurons(net, pieces), data


def counterexample(net: Network, data: Dataset) -> str:
    """A reproducible JSON net + data pair for a failure message."""
    net_obj = {key: [str(q) for q in p] for key, p in zip("wbv", net.fractions())}
    data_obj = {"x": [str(q) for q in data.x_exact], "y": data.y.tolist()}
    return f"net.json: {json.dumps(net_obj)}\ndata.json: {json.dumps(data_obj)}"


def check_region_bound(net: Network, data: Dataset, counter=count_regions) -> None:
    r = max(label_changes(data.x_exact, data.y), 1)
    count = counter(net)
    assert count <= region_bound(r), (
        f"{count} effective regions > 32r + 67 = {region_bound(r)} at a KKT point "
        f"(r = {r}, width {net.width})\n{counterexample(net, data)}"
    )


def check_kinks_follow_patterns(net: Network, data: Dataset, lambdas) -> None:
    """Eqs. (5)-(6): each active neuron kinks where its support activation pattern says."""
    w, b, v = net.fractions()
    for j in range(net.width):
        if not (w[j] and v[j]):
            continue
        active = [i for i, lam in enumerate(lambdas) if lam and w[j] * data.x_exact[i] + b[j] > 0]
        zero = [i for i, lam in enumerate(lambdas) if lam and w[j] * data.x_exact[i] + b[j] == 0]
        if zero:
            continue  # a subgradient weight in [0, 1] enters; the formula needs s in {0, 1}
        s0 = sum((lambdas[i] * int(data.y[i]) for i in active), Fraction(0))
        s1 = sum((lambdas[i] * int(data.y[i]) * data.x_exact[i] for i in active), Fraction(0))
        assert s1 != 0 and -b[j] / w[j] == -s0 / s1, counterexample(net, data)


@settings(max_examples=25)
@given(exact_kkt_points())
def test_exact_kkt_points_obey_the_bound_and_the_mechanism(point):
    net, data = point
    result = verify_kkt_exact(net, data)
    assert result.is_kkt and result.recheck()
    check_region_bound(net, data)
    check_kinks_follow_patterns(net, data, result.lambdas)


def test_example_1_obeys_the_bound():
    net, data = Network([0, 0], [1, 0], [1, 0]), Dataset([4, -4], [1, 1])
    assert verify_kkt_exact(net, data).is_kkt
    check_region_bound(net, data)


def naive_counter(net: Network) -> int:
    """A deliberately broken counter: one region per neuron kink, no merging of ties."""
    return 1 + sum(1 for wj, vj in zip(*net.fractions()[::2]) if wj and vj)


def test_the_property_catches_a_broken_region_counter():
    # The same property with a counter that forgets to merge shared kinks must fail,
    # and its message must carry a reproducible counterexample.
    @settings(max_examples=200, database=None)
    @given(exact_kkt_points())
    def property_with_broken_counter(point):
        check_region_bound(*point, counter=naive_counter)

    with pytest.raises(AssertionError, match=r"(?s)> 32r \+ 67.*net.json: \{.*data.json: \{"):
        property_with_broken_counter()


@pytest.mark.slow
@settings(max_examples=4, deadline=None)
@example(seed=2, k=140)  # certifies at eps ~ 0.12, so the assertion is always exercised
@given(seed=st.integers(0, 10**6), k=st.integers(100, 140))
def test_trained_near_kkt_networks_obey_the_bound_in_tolerance_mode(seed, k):
    # Theorem 4.2 bounds the limit direction. A finitely trained float network keeps a
    # kink per neuron (exact count k + 1 > 99 here), but once it certifies as an
    # approximate KKT point its kinks have clustered: counted in tolerance mode they
    # must respect 32r + 67. r = 1 and k >= 100 make the bound bite.
    from pwl_kkt import certify_kkt, teacher_student_setup, train

    setup = teacher_student_setup(r=1, n=16, k=k, seed=seed)
    net, _ = train(setup.init, setup.data, steps=30000, lr=0.05, progress=False)
    if (setup.data.y * net(setup.data.x_float) <= 0).any():
        return  # not separated: nothing to certify
    cert = certify_kkt(net, setup.data, support_tol=1e-2)
    r = max(label_changes(setup.data.x_float, setup.data.y), 1)
    if cert.eps <= 0.25:
        count = count_regions(net, tol=1e-3)
        assert count <= region_bound(r), (count, cert.eps, counterexample(net, setup.data))


# --- the bound on proven limits of gradient flow --------------------------------------------


def proven_limit_counts(trials, counter=None) -> tuple[list[tuple[int, int]], int]:
    """Train each (r, n, k, seed, steps) trial briefly, compute and prove its limit.

    Returns ``[(count, 32r + 67)]`` for the proven limits (``counter(limit network)`` if given,
    else the proven exact count) and the number of trials left unproven (not separated after
    training, or the limit not proven).
    """
    from pwl_kkt import kkt_limit, teacher_student_setup, train

    out, unproven = [], 0
    for r, n, k, seed, steps in trials:
        setup = teacher_student_setup(r, n, k, seed=seed)
        net, _ = train(setup.init, setup.data, steps=steps, lr=0.05, progress=False)
        if (setup.data.y * net(setup.data.x_float) <= 0).any():
            unproven += 1  # not separated yet: no limit to compute from here
            continue
        lim = kkt_limit(net, setup.data, prove=True)
        if not lim.proof.proven or lim.proof.regions is None:
            unproven += 1
            continue
        bound = region_bound(max(label_changes(setup.data.x_float, setup.data.y), 1))
        count = lim.proof.regions if counter is None else counter(lim.network)
        out.append((count, bound))
    return out, unproven


def check_limits(trials, counter=None) -> None:
    # Theorem 4.2 of Safran, Vardi & Lee (NeurIPS 2022): at the limit (a KKT point of the
    # max-margin problem) the effective regions are at most 32r + 67, whatever the width.
    # k >= 100 > 32 * 1 + 67 makes the bound bite for r = 1.
    counts, unproven = proven_limit_counts(trials, counter)
    assert unproven <= len(trials) // 2, f"{unproven} of {len(trials)} limits not proven"
    for count, bound in counts:
        assert count <= bound, f"{count} effective regions > 32r + 67 = {bound} at a proven limit"


@settings(max_examples=2, deadline=None, database=None)
@given(st.lists(teacher_student_trials(100, 110), min_size=2, max_size=2))
def test_proven_limits_of_trained_students_obey_the_bound(trials):
    check_limits(trials)


@pytest.mark.slow
@settings(max_examples=6, deadline=None)
@given(st.lists(teacher_student_trials(100, 400), min_size=4, max_size=4))
def test_proven_limits_of_trained_students_obey_the_bound_slow(trials):
    check_limits(trials)


def test_the_limit_property_catches_a_broken_region_counter():
    # The limit network's neurons of one group share a kink; a counter that does not merge
    # shared kinks (one region per live neuron) exceeds 32r + 67 with k >= 100.
    with pytest.raises(AssertionError, match=r"> 32r \+ 67 = 99"):
        check_limits([(1, 16, 300, 3, 2000)], counter=naive_counter)
